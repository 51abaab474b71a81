"""The exceptions rbacgraph raises.

Only malformed input or a question that cannot be understood is an exception;
everything else (a denied request, a dangling binding, a skipped document) is
an answer. The native module maps the core's errors onto these classes in one
place (``bindings/python/src/errors.rs``)::

    RbacGraphError
    ├── LoadError             a path cannot be read, or a strict load met a bad document
    ├── PolicyError           a check policy that cannot be used (every problem in ``.problems``)
    └── QueryError            a TARGET, verb or path target that does not parse
        └── UnknownResourceError   a bare type name that is neither built in nor a loaded CRD

Example:
    >>> import rbacgraph
    >>> graph = rbacgraph.Graph.from_yaml("")
    >>> try:
    ...     graph.can_i("alice", "get", "widgets")
    ... except rbacgraph.UnknownResourceError as e:
    ...     print(e.value, e.suggestions)
    widgets []
"""

from __future__ import annotations

from typing import Any, Dict, List, Optional, Sequence, Tuple

__all__ = ["LoadError", "PolicyError", "QueryError", "RbacGraphError", "UnknownResourceError"]


class RbacGraphError(Exception):
    """Base class of every rbacgraph error; ``str(e)`` is the core's message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message

    def __reduce__(self) -> Tuple[Any, ...]:
        return (_rebuild, (type(self), self.message, self._attributes()))

    def _attributes(self) -> Dict[str, Any]:
        return {}


def _rebuild(cls: Any, message: str, attributes: Dict[str, Any]) -> RbacGraphError:
    error: RbacGraphError = cls(message, **attributes)
    return error


class LoadError(RbacGraphError):
    """Input that cannot be loaded: an unreadable path, or (with
    ``strict=True``) a document that does not parse or validate.

    Attributes:
        file: the file (or label) of the first problem, or the unreadable path.
        document: zero-based document index in that file, when known.
        line: one-based line where that document starts, when known.
        object: ``Kind namespace/name`` of the object, when known.
        field: the field path, e.g. ``roleRef.kind``, when known.
        diagnostics: every error diagnostic of a strict load, as the core's
            DTO dicts (``severity``, ``source``, ``object``, ``field``, ``message``).

    Example:
        >>> import rbacgraph
        >>> try:
        ...     rbacgraph.Graph.from_yaml("kind: Role\\nmetadata: {name: r}\\nrules: 3\\n", strict=True)
        ... except rbacgraph.LoadError as e:
        ...     print(e.file, e.document, e.field)
        <yaml> 0 rules
    """

    def __init__(
        self,
        message: str,
        *,
        file: Optional[str] = None,
        document: Optional[int] = None,
        line: Optional[int] = None,
        object: Optional[str] = None,
        field: Optional[str] = None,
        diagnostics: Sequence[Dict[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.file = file
        self.document = document
        self.line = line
        self.object = object
        self.field = field
        self.diagnostics: List[Dict[str, Any]] = list(diagnostics)

    def _attributes(self) -> Dict[str, Any]:
        return {
            "file": self.file,
            "document": self.document,
            "line": self.line,
            "object": self.object,
            "field": self.field,
            "diagnostics": self.diagnostics,
        }


class PolicyError(RbacGraphError):
    """A policy of :meth:`Graph.check` that cannot be used: YAML that does
    not parse, a document that is not ``kind: Policy``, an unknown or
    misspelt field, a value of the wrong type, an assertion with no kind or
    two, a resource type the cluster does not know. Every problem of every
    policy is found before this is raised (the CLI's ``check`` exits 2).

    Attributes:
        file: the policy file (or label) of the first problem.
        document: zero-based document index in that file.
        line: one-based line where that document starts, when known.
        object: ``Policy NAME``, when the document got that far.
        field: the field path of the first problem, e.g.
            ``assertions[0].whoCan.resorce``.
        problems: every problem, as dicts with ``file``, ``document``,
            ``line``, ``object``, ``field`` and ``message``.

    Example:
        >>> import rbacgraph
        >>> graph = rbacgraph.Graph.from_yaml("")
        >>> try:
        ...     graph.check({"apiVersion": "rbacgraph/v1", "kind": "Policy",
        ...                  "metadata": {"name": "p"},
        ...                  "assertions": [{"name": "x", "whoCan": {"verb": "get", "resorce": "pods"},
        ...                                  "allowOnly": []}]})
        ... except rbacgraph.PolicyError as e:
        ...     print(e.field, len(e.problems))
        assertions[0].whoCan.resorce 1
    """

    def __init__(
        self,
        message: str,
        *,
        file: Optional[str] = None,
        document: Optional[int] = None,
        line: Optional[int] = None,
        object: Optional[str] = None,
        field: Optional[str] = None,
        problems: Sequence[Dict[str, Any]] = (),
    ) -> None:
        super().__init__(message)
        self.file = file
        self.document = document
        self.line = line
        self.object = object
        self.field = field
        self.problems: List[Dict[str, Any]] = [dict(p) for p in problems]

    def _attributes(self) -> Dict[str, Any]:
        return {
            "file": self.file,
            "document": self.document,
            "line": self.line,
            "object": self.object,
            "field": self.field,
            "problems": self.problems,
        }


class QueryError(RbacGraphError):
    """A question that cannot be understood: an empty verb, a malformed
    TARGET (``TYPE[.GROUP][/NAME]`` or a URL starting with ``/``), a path
    target that does not parse.

    Attributes:
        what: what was being parsed (``target``, ``verb``, ``resource``, …).
        value: the input.
    """

    def __init__(
        self, message: str, *, what: Optional[str] = None, value: Optional[str] = None
    ) -> None:
        super().__init__(message)
        self.what = what
        self.value = value

    def _attributes(self) -> Dict[str, Any]:
        return {"what": self.what, "value": self.value}


class UnknownResourceError(QueryError):
    """A bare resource type name that is neither built in nor the plural,
    singular, kind or short name of a loaded CustomResourceDefinition.
    Name it as ``TYPE.GROUP`` to ask about a resource that is not loaded.

    Attributes:
        suggestions: close matches, as ``TYPE.GROUP``.
    """

    def __init__(
        self,
        message: str,
        *,
        what: Optional[str] = "resource",
        value: Optional[str] = None,
        suggestions: Sequence[str] = (),
    ) -> None:
        super().__init__(message, what=what, value=value)
        self.suggestions: List[str] = list(suggestions)

    def _attributes(self) -> Dict[str, Any]:
        return {"what": self.what, "value": self.value, "suggestions": self.suggestions}
