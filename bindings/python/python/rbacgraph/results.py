"""Typed answers: small immutable objects built from the core's DTOs.

Every class here is built from the dict the core serialises (the body of the
CLI's ``-o json`` document, camelCase) and gives it back unchanged with
``to_dict()``. No RBAC logic lives here: the fields are the core's, renamed to
snake_case. Every object has a ``__repr__``, a ``_repr_html_`` table for
notebooks, pickles, and turns into a tidy DataFrame with
``rbacgraph.to_pandas(...)`` (or ``.to_pandas()`` on the collections).

Example:
    >>> import rbacgraph
    >>> graph = rbacgraph.load("examples/clusters/demo")
    >>> decision = graph.can_i("system:serviceaccount:ci:deployer", "create", "pods", namespace="shop")
    >>> bool(decision), decision.reasons[0].binding.name
    (True, 'ci-deployer')
"""

from __future__ import annotations

import copy
import dataclasses as dc
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, overload

from . import _tables
from ._tables import Row

__all__ = [
    "AttackPath",
    "AttackStep",
    "Decision",
    "Diagnostic",
    "EffectiveRule",
    "Evidence",
    "Grant",
    "GraphStats",
    "LoadSummary",
    "NearMiss",
    "NodeRef",
    "ObjectRef",
    "Paths",
    "PolicyRule",
    "Reason",
    "Rules",
    "Source",
    "SubjectGrants",
    "SubjectRef",
    "Summary",
    "WhoCan",
]

Dto = Mapping[str, Any]


def _opt(d: Dto, key: str) -> Any:
    return d.get(key)


def _strs(d: Dto, key: str) -> Tuple[str, ...]:
    return tuple(d.get(key) or ())


class _Result:
    """Shared behaviour: ``to_dict()`` gives the core's DTO back, rows feed
    pandas and HTML."""

    _COLUMNS: Tuple[str, ...] = ()
    _raw: Dto

    def to_dict(self) -> Dict[str, Any]:
        """The core's DTO (camelCase, as the CLI's ``-o json`` prints it), a copy."""
        return copy.deepcopy(dict(self._raw))

    def _rows(self) -> List[Row]:
        return []

    def to_pandas(self) -> Any:
        """A tidy pandas DataFrame of this result (pandas is imported lazily)."""
        return _tables.data_frame(self._COLUMNS, self._rows())

    def _repr_html_(self) -> str:
        return _tables.html_table(self._COLUMNS, self._rows(), caption=type(self).__name__)


def _ref_columns(prefix: str, ref: Optional[ObjectRef]) -> Row:
    return {
        f"{prefix}_kind": ref.kind if ref else None,
        f"{prefix}_name": ref.name if ref else None,
        f"{prefix}_namespace": ref.namespace if ref else None,
    }


def _subject_columns(subject: Optional[SubjectRef]) -> Row:
    return {
        "subject_kind": subject.kind if subject else None,
        "subject_name": subject.name if subject else None,
        "subject_namespace": subject.namespace if subject else None,
    }


_REF_COLUMNS = {
    prefix: (f"{prefix}_kind", f"{prefix}_name", f"{prefix}_namespace")
    for prefix in ("subject", "binding", "role")
}


# ----- references ---------------------------------------------------------


@dataclass(frozen=True)
class Source(_Result):
    """Where an object came from: file (or label), zero-based document index,
    ``items[i]`` inside a List document, one-based line."""

    file: str
    document: int
    item: Optional[int] = None
    line: Optional[int] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> Source:
        return cls(d["file"], d["document"], _opt(d, "item"), _opt(d, "line"), _raw=d)

    def __str__(self) -> str:
        if self.item is not None:
            return f"{self.file} (document {self.document}, items[{self.item}])"
        if self.line is not None:
            return f"{self.file}:{self.line} (document {self.document})"
        return f"{self.file} (document {self.document})"


def _source(d: Optional[Dto]) -> Optional[Source]:
    return Source.from_dict(d) if d else None


@dataclass(frozen=True)
class ObjectRef(_Result):
    """A Role, ClusterRole, RoleBinding, ClusterRoleBinding (or other
    object), with its source when it exists."""

    kind: str
    name: str
    namespace: Optional[str] = None
    source: Optional[Source] = dc.field(default=None, repr=False)
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> ObjectRef:
        return cls(d["kind"], d["name"], _opt(d, "namespace"), _source(_opt(d, "source")), _raw=d)

    def __str__(self) -> str:
        if self.namespace:
            return f"{self.kind} {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"


def _ref(d: Optional[Dto]) -> Optional[ObjectRef]:
    return ObjectRef.from_dict(d) if d else None


@dataclass(frozen=True)
class SubjectRef(_Result):
    """A User, Group or ServiceAccount (always with its namespace)."""

    kind: str
    name: str
    namespace: Optional[str] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> SubjectRef:
        return cls(d["kind"], d["name"], _opt(d, "namespace"), _raw=d)

    def __str__(self) -> str:
        if self.namespace is not None:
            return f"{self.kind} {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"


def _subject(d: Optional[Dto]) -> Optional[SubjectRef]:
    return SubjectRef.from_dict(d) if d else None


@dataclass(frozen=True)
class PolicyRule(_Result):
    """One RBAC rule, as written (aggregated ClusterRoles: as computed)."""

    verbs: Tuple[str, ...]
    api_groups: Tuple[str, ...] = ()
    resources: Tuple[str, ...] = ()
    resource_names: Tuple[str, ...] = ()
    non_resource_urls: Tuple[str, ...] = ()
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> PolicyRule:
        urls = d.get("nonResourceURLs")
        return cls(
            _strs(d, "verbs"),
            _strs(d, "apiGroups"),
            _strs(d, "resources"),
            _strs(d, "resourceNames"),
            tuple(urls or ()),
            _raw=d,
        )

    def __str__(self) -> str:
        parts = [f"verbs [{' '.join(self.verbs)}]"]
        if self.api_groups:
            groups = " ".join(g if g else '""' for g in self.api_groups)
            parts.append(f"apiGroups [{groups}]")
        if self.resources:
            parts.append(f"resources [{' '.join(self.resources)}]")
        if self.resource_names:
            parts.append(f"resourceNames [{' '.join(self.resource_names)}]")
        if self.non_resource_urls:
            parts.append(f"nonResourceURLs [{' '.join(self.non_resource_urls)}]")
        return ", ".join(parts)


# ----- can_i ---------------------------------------------------------------


@dataclass(frozen=True)
class Reason(_Result):
    """One reason a request is allowed: ``type == "rule"`` (subject →
    binding → role → rule) or ``type == "privilegedGroup"`` (membership in
    ``system:masters``, allowed before RBAC is asked; ``group`` set)."""

    type: str
    subject: Optional[SubjectRef] = None
    binding: Optional[ObjectRef] = None
    role: Optional[ObjectRef] = None
    rule_index: Optional[int] = None
    rule: Optional[PolicyRule] = None
    group: Optional[str] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = (
        "type",
        *_REF_COLUMNS["subject"],
        *_REF_COLUMNS["binding"],
        *_REF_COLUMNS["role"],
        "rule_index",
        "rule",
        "binding_source",
    )

    @classmethod
    def from_dict(cls, d: Dto) -> Reason:
        rule = d.get("rule")
        return cls(
            d["type"],
            _subject(_opt(d, "subject")),
            _ref(_opt(d, "binding")),
            _ref(_opt(d, "role")),
            _opt(d, "ruleIndex"),
            PolicyRule.from_dict(rule) if rule else None,
            _opt(d, "group"),
            _raw=d,
        )

    def __str__(self) -> str:
        if self.type == "privilegedGroup":
            return f"member of {self.group}, which the API server allows everything before RBAC"
        return f"{self.subject} → {self.binding} → {self.role} rule {self.rule_index}: {self.rule}"

    def _rows(self) -> List[Row]:
        subject = self.subject
        if self.type == "privilegedGroup" and self.group is not None:
            subject = SubjectRef("Group", self.group)
        return [
            {
                "type": self.type,
                **_subject_columns(subject),
                **_ref_columns("binding", self.binding),
                **_ref_columns("role", self.role),
                "rule_index": self.rule_index,
                "rule": str(self.rule) if self.rule else None,
                "binding_source": str(self.binding.source)
                if self.binding and self.binding.source
                else None,
            }
        ]


@dataclass(frozen=True)
class NearMiss(_Result):
    """A binding or rule that almost allows a denied request, and why it
    missed (``reason``: ``otherNamespace``, ``roleBindingScope``, ``rule``,
    ``missingRole``, ``invalidRoleRef``, ``serviceAccountWithoutNamespace``;
    the reason's own fields are in ``details``)."""

    reason: str
    message: str
    binding: ObjectRef
    role: ObjectRef
    rule_index: Optional[int] = None
    details: Dict[str, Any] = dc.field(default_factory=dict, compare=False)
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = (
        "reason",
        *_REF_COLUMNS["binding"],
        *_REF_COLUMNS["role"],
        "rule_index",
        "message",
    )
    _KNOWN = frozenset({"reason", "message", "binding", "role", "ruleIndex"})

    @classmethod
    def from_dict(cls, d: Dto) -> NearMiss:
        return cls(
            d["reason"],
            d["message"],
            ObjectRef.from_dict(d["binding"]),
            ObjectRef.from_dict(d["role"]),
            _opt(d, "ruleIndex"),
            {k: v for k, v in d.items() if k not in cls._KNOWN},
            _raw=d,
        )

    def __str__(self) -> str:
        return self.message

    def _rows(self) -> List[Row]:
        return [
            {
                "reason": self.reason,
                **_ref_columns("binding", self.binding),
                **_ref_columns("role", self.role),
                "rule_index": self.rule_index,
                "message": self.message,
            }
        ]


class Decision(_Result):
    """The answer to ``graph.can_i(...)``: truthy when allowed.

    Attributes:
        allowed: allowed by RBAC or by membership in ``system:masters``.
        reasons: every allowing subject → binding → role → rule, in the
            authorizer's visiting order.
        why_not: when denied, the near misses and why each missed.
        errors: role references that could not be resolved on the way.

    ``can_i`` is the call made in loops, so a Decision is a view over the
    core's DTO: ``reasons`` and ``why_not`` become typed objects on first
    access, and two Decisions are equal when their DTOs are.

    Example:
        >>> import rbacgraph
        >>> graph = rbacgraph.load("examples/clusters/demo")
        >>> d = graph.can_i("system:serviceaccount:ci:cache-warmer", "update", "configmaps", namespace="ci")
        >>> bool(d), d.why_not[0].reason
        (False, 'missingRole')
    """

    _COLUMNS = Reason._COLUMNS
    __hash__ = None  # type: ignore[assignment]

    def __init__(self, dto: Dto) -> None:
        self._raw = dto
        self._reasons: Optional[Tuple[Reason, ...]] = None
        self._why_not: Optional[Tuple[NearMiss, ...]] = None

    @classmethod
    def from_dict(cls, d: Dto) -> Decision:
        return cls(d)

    @property
    def allowed(self) -> bool:
        """Allowed by RBAC or by membership in ``system:masters``."""
        return bool(self._raw["allowed"])

    @property
    def reasons(self) -> Tuple[Reason, ...]:
        """Every reason it is allowed (empty when denied)."""
        if self._reasons is None:
            self._reasons = tuple(Reason.from_dict(r) for r in self._raw.get("reasons") or ())
        return self._reasons

    @property
    def why_not(self) -> Tuple[NearMiss, ...]:
        """When denied, the near misses and why each missed."""
        if self._why_not is None:
            self._why_not = tuple(NearMiss.from_dict(m) for m in self._raw.get("whyNot") or ())
        return self._why_not

    @property
    def errors(self) -> Tuple[str, ...]:
        """Role references that could not be resolved on the way."""
        return _strs(self._raw, "errors")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, Decision):
            return NotImplemented
        return self._raw == other._raw

    def __reduce__(self) -> Tuple[Any, ...]:
        return (Decision, (self._raw,))

    def __bool__(self) -> bool:
        return self.allowed

    def explain(self) -> str:
        """The CLI's ``--explain`` text: ``yes``/``no``, then the allowing
        chains or the near misses."""
        lines = ["yes" if self.allowed else "no"]
        lines += [f"  allowed: {r}" for r in self.reasons]
        if not self.allowed:
            if not self.why_not:
                lines.append(
                    "  no binding that applies to this identity has a rule close to this request"
                )
            lines += [f"  near miss: {m.message}" for m in self.why_not]
            lines += [f"  unresolved: {e}" for e in self.errors]
        return "\n".join(lines)

    def __repr__(self) -> str:
        return f"Decision(allowed={self.allowed})\n" + "\n".join(self.explain().splitlines()[1:])

    def _rows(self) -> List[Row]:
        return [row for r in self.reasons for row in r._rows()]

    def _repr_html_(self) -> str:
        verdict = "allowed" if self.allowed else "denied"
        if self.allowed:
            return _tables.html_table(self._COLUMNS, self._rows(), caption=f"Decision: {verdict}")
        return _tables.html_table(
            NearMiss._COLUMNS,
            [row for m in self.why_not for row in m._rows()],
            caption=f"Decision: {verdict} (near misses)",
            footer=[f"unresolved: {e}" for e in self.errors],
        )


# ----- who_can -------------------------------------------------------------


@dataclass(frozen=True)
class Grant(_Result):
    """One way a subject is granted a request: a binding, its role and the
    indexes of the role's allowing rules; in expand mode ``via`` is the
    bound subject (itself or a group) it is granted through."""

    binding: ObjectRef
    role: ObjectRef
    rules: Tuple[int, ...]
    via: Optional[SubjectRef] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> Grant:
        return cls(
            ObjectRef.from_dict(d["binding"]),
            ObjectRef.from_dict(d["role"]),
            tuple(d.get("rules") or ()),
            _subject(_opt(d, "via")),
            _raw=d,
        )

    def __str__(self) -> str:
        rules = ",".join(str(i) for i in self.rules)
        text = f"{self.binding} → {self.role} rules [{rules}]"
        return f"{text} via {self.via}" if self.via else text


@dataclass(frozen=True)
class SubjectGrants(_Result):
    """A subject (or, expanded, a principal) and every grant it holds; no
    grants for ``system:masters`` when only the privileged-groups
    authorizer allows it."""

    kind: str
    name: str
    namespace: Optional[str]
    grants: Tuple[Grant, ...]
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = (
        *_REF_COLUMNS["subject"],
        *_REF_COLUMNS["binding"],
        *_REF_COLUMNS["role"],
        "rules",
        "via",
        "binding_source",
    )

    @classmethod
    def from_dict(cls, d: Dto) -> SubjectGrants:
        return cls(
            d["kind"],
            d["name"],
            _opt(d, "namespace"),
            tuple(Grant.from_dict(g) for g in d.get("grants") or ()),
            _raw=d,
        )

    @property
    def subject(self) -> SubjectRef:
        """The subject as a :class:`SubjectRef`."""
        return SubjectRef(self.kind, self.name, self.namespace)

    def __str__(self) -> str:
        return str(self.subject)

    def _rows(self) -> List[Row]:
        subject = _subject_columns(self.subject)
        if not self.grants:
            return [
                {**subject, **_ref_columns("binding", None), **_ref_columns("role", None),
                 "rules": (), "via": None, "binding_source": None}
            ]
        return [
            {
                **subject,
                **_ref_columns("binding", g.binding),
                **_ref_columns("role", g.role),
                "rules": g.rules,
                "via": str(g.via) if g.via else None,
                "binding_source": str(g.binding.source) if g.binding.source else None,
            }
            for g in self.grants
        ]


class _Collection(_Result):
    """A sequence of items: ``len``, iteration, indexing."""

    def _members(self) -> Tuple[_Result, ...]:
        raise NotImplementedError

    def __len__(self) -> int:
        return len(self._members())

    def _rows(self) -> List[Row]:
        return [row for item in self._members() for row in item._rows()]

    def _repr_html_(self) -> str:
        return _tables.html_table(
            self._COLUMNS,
            self._rows(),
            caption=f"{type(self).__name__}: {len(self)}",
            footer=[f"unresolved: {e}" for e in getattr(self, "errors", ())],
        )


@dataclass(frozen=True)
class WhoCan(_Collection):
    """The answer to ``graph.who_can(...)``: subjects in the subject
    locator's order (``Group system:masters`` first), each with its grants.
    A sequence of :class:`SubjectGrants`.

    Example:
        >>> import rbacgraph
        >>> graph = rbacgraph.load("examples/clusters/demo")
        >>> [str(s) for s in graph.who_can("create", "pods", namespace="kube-system")]
        ['Group system:masters', 'ServiceAccount ci/deployer', 'ServiceAccount kube-system/argocd-manager']
    """

    subjects: Tuple[SubjectGrants, ...]
    errors: Tuple[str, ...] = ()
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = SubjectGrants._COLUMNS

    @classmethod
    def from_dict(cls, d: Dto) -> WhoCan:
        return cls(
            tuple(SubjectGrants.from_dict(s) for s in d.get("subjects") or ()),
            _strs(d, "errors"),
            _raw=d,
        )

    def _members(self) -> Tuple[_Result, ...]:
        return self.subjects

    def __iter__(self) -> Iterator[SubjectGrants]:
        return iter(self.subjects)

    @overload
    def __getitem__(self, index: int) -> SubjectGrants: ...
    @overload
    def __getitem__(self, index: slice) -> Tuple[SubjectGrants, ...]: ...
    def __getitem__(self, index: Any) -> Any:
        return self.subjects[index]

    def __repr__(self) -> str:
        lines = [f"WhoCan({len(self.subjects)} subjects)"]
        for s in self.subjects:
            grants = "; ".join(str(g) for g in s.grants) or "privileged group: allowed everything"
            lines.append(f"  {s}: {grants}")
        lines += [f"  unresolved: {e}" for e in self.errors]
        return "\n".join(lines)


# ----- rules_for -------------------------------------------------------------


@dataclass(frozen=True)
class EffectiveRule(_Result):
    """One rule that applies to an identity, with the subject, binding and
    role it comes from (a row of ``kubectl auth can-i --list``)."""

    rule: PolicyRule
    subject: SubjectRef
    binding: ObjectRef
    role: ObjectRef
    rule_index: int
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = (
        "verbs",
        "api_groups",
        "resources",
        "resource_names",
        "non_resource_urls",
        *_REF_COLUMNS["subject"],
        *_REF_COLUMNS["binding"],
        *_REF_COLUMNS["role"],
        "rule_index",
    )

    @classmethod
    def from_dict(cls, d: Dto) -> EffectiveRule:
        return cls(
            PolicyRule.from_dict(d),
            SubjectRef.from_dict(d["subject"]),
            ObjectRef.from_dict(d["binding"]),
            ObjectRef.from_dict(d["role"]),
            d["ruleIndex"],
            _raw=d,
        )

    def __str__(self) -> str:
        return f"{self.rule} ({self.binding} → {self.role} rule {self.rule_index})"

    def _rows(self) -> List[Row]:
        return [
            {
                "verbs": self.rule.verbs,
                "api_groups": self.rule.api_groups,
                "resources": self.rule.resources,
                "resource_names": self.rule.resource_names,
                "non_resource_urls": self.rule.non_resource_urls,
                **_subject_columns(self.subject),
                **_ref_columns("binding", self.binding),
                **_ref_columns("role", self.role),
                "rule_index": self.rule_index,
            }
        ]


@dataclass(frozen=True)
class Rules(_Collection):
    """The answer to ``graph.rules_for(...)`` (``kubectl auth can-i
    --list``): resource rules, then non-resource rules. A sequence of
    :class:`EffectiveRule`.

    Example:
        >>> import rbacgraph
        >>> graph = rbacgraph.load("examples/clusters/demo")
        >>> rules = graph.rules_for("system:serviceaccount:shop:default", namespace="shop")
        >>> str(rules[0].role)
        'ClusterRole system:basic-user'
    """

    resource_rules: Tuple[EffectiveRule, ...]
    non_resource_rules: Tuple[EffectiveRule, ...] = ()
    errors: Tuple[str, ...] = ()
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = EffectiveRule._COLUMNS

    @classmethod
    def from_dict(cls, d: Dto) -> Rules:
        return cls(
            tuple(EffectiveRule.from_dict(r) for r in d.get("resourceRules") or ()),
            tuple(EffectiveRule.from_dict(r) for r in d.get("nonResourceRules") or ()),
            _strs(d, "errors"),
            _raw=d,
        )

    def _members(self) -> Tuple[_Result, ...]:
        return self.resource_rules + self.non_resource_rules

    def __iter__(self) -> Iterator[EffectiveRule]:
        return iter(self.resource_rules + self.non_resource_rules)

    @overload
    def __getitem__(self, index: int) -> EffectiveRule: ...
    @overload
    def __getitem__(self, index: slice) -> Tuple[EffectiveRule, ...]: ...
    def __getitem__(self, index: Any) -> Any:
        return (self.resource_rules + self.non_resource_rules)[index]

    def __repr__(self) -> str:
        lines = [
            f"Rules({len(self.resource_rules)} resource rules, "
            f"{len(self.non_resource_rules)} non-resource rules)"
        ]
        lines += [f"  {r}" for r in self]
        lines += [f"  unresolved: {e}" for e in self.errors]
        return "\n".join(lines)


# ----- load problems and summary ----------------------------------------------


@dataclass(frozen=True)
class Diagnostic(_Result):
    """A problem found while loading: ``severity`` is ``warning`` (the
    object was kept) or ``error`` (the document or object was left out)."""

    severity: str
    source: Source
    message: str
    object: Optional[str] = None
    field: Optional[str] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = ("severity", "file", "document", "line", "object", "field", "message")

    @classmethod
    def from_dict(cls, d: Dto) -> Diagnostic:
        return cls(
            d["severity"],
            Source.from_dict(d["source"]),
            d["message"],
            _opt(d, "object"),
            _opt(d, "field"),
            _raw=d,
        )

    def __str__(self) -> str:
        text = f"{self.severity}: {self.source}"
        if self.object:
            text += f": {self.object}"
        if self.field:
            text += f": field `{self.field}`"
        return f"{text}: {self.message}"

    def _rows(self) -> List[Row]:
        return [
            {
                "severity": self.severity,
                "file": self.source.file,
                "document": self.source.document,
                "line": self.source.line,
                "object": self.object,
                "field": self.field,
                "message": self.message,
            }
        ]


@dataclass(frozen=True)
class LoadSummary(_Result):
    """What a load read: files, documents, objects loaded and skipped by
    kind, objects that failed, deprecated ``apiVersion``s."""

    files: int
    documents: int
    loaded: Dict[str, int]
    skipped: Dict[str, int]
    failed: int
    deprecated: Dict[str, int]
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = ("what", "kind", "count")

    @classmethod
    def from_dict(cls, d: Dto) -> LoadSummary:
        return cls(
            d["files"],
            d["documents"],
            dict(d.get("loaded") or {}),
            dict(d.get("skipped") or {}),
            d["failed"],
            dict(d.get("deprecated") or {}),
            _raw=d,
        )

    def _rows(self) -> List[Row]:
        rows: List[Row] = []
        for what, counts in (("loaded", self.loaded), ("skipped", self.skipped),
                             ("deprecated", self.deprecated)):
            rows += [{"what": what, "kind": k, "count": n} for k, n in counts.items()]
        return rows


_STATS = (
    ("roles", "roles"),
    ("cluster_roles", "clusterRoles"),
    ("aggregated_cluster_roles", "aggregatedClusterRoles"),
    ("role_bindings", "roleBindings"),
    ("cluster_role_bindings", "clusterRoleBindings"),
    ("dangling_bindings", "danglingBindings"),
    ("subjects", "subjects"),
    ("service_accounts", "serviceAccounts"),
    ("workloads", "workloads"),
    ("namespaces", "namespaces"),
    ("nodes", "nodes"),
    ("edges", "edges"),
)


@dataclass(frozen=True)
class GraphStats(_Result):
    """Counts of the built graph (``rbacgraph summary``'s RBAC and Graph lines)."""

    roles: int
    cluster_roles: int
    aggregated_cluster_roles: int
    role_bindings: int
    cluster_role_bindings: int
    dangling_bindings: int
    subjects: int
    service_accounts: int
    workloads: int
    namespaces: int
    nodes: int
    edges: int
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = ("count", "value")

    @classmethod
    def from_dict(cls, d: Dto) -> GraphStats:
        return cls(**{name: d[key] for name, key in _STATS}, _raw=d)

    def _rows(self) -> List[Row]:
        return [{"count": name, "value": getattr(self, name)} for name, _ in _STATS]


@dataclass(frozen=True)
class Summary(_Result):
    """``rbacgraph summary`` as data: load counts, graph counts, diagnostics."""

    load: LoadSummary
    graph: GraphStats
    diagnostics: Tuple[Diagnostic, ...]
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = GraphStats._COLUMNS

    @classmethod
    def from_dict(cls, d: Dto) -> Summary:
        return cls(
            LoadSummary.from_dict(d["load"]),
            GraphStats.from_dict(d["graph"]),
            tuple(Diagnostic.from_dict(x) for x in d.get("diagnostics") or ()),
            _raw=d,
        )

    def __repr__(self) -> str:
        g, load = self.graph, self.load
        loaded = sum(load.loaded.values())
        lines = [
            f"Summary({loaded} objects from {load.files} file(s), {load.documents} document(s); "
            f"{load.failed} failed)",
            f"  RBAC: {g.roles} Roles, {g.cluster_roles} ClusterRoles "
            f"({g.aggregated_cluster_roles} aggregated), {g.role_bindings} RoleBindings, "
            f"{g.cluster_role_bindings} ClusterRoleBindings; {g.dangling_bindings} dangling",
            f"  Graph: {g.subjects} subjects, {g.service_accounts} ServiceAccounts, "
            f"{g.workloads} workloads, {g.namespaces} namespaces; {g.nodes} nodes, {g.edges} edges",
        ]
        lines += [f"  {d}" for d in self.diagnostics]
        return "\n".join(lines)

    def _rows(self) -> List[Row]:
        return self.graph._rows()

    def _repr_html_(self) -> str:
        return "\n".join(
            [
                _tables.html_table(LoadSummary._COLUMNS, self.load._rows(), caption="Loaded"),
                _tables.html_table(GraphStats._COLUMNS, self.graph._rows(), caption="Graph"),
                _tables.html_table(
                    Diagnostic._COLUMNS,
                    [row for x in self.diagnostics for row in x._rows()],
                    caption=f"Problems: {len(self.diagnostics)}",
                ),
            ]
        )


# ----- escalation paths --------------------------------------------------------


@dataclass(frozen=True)
class NodeRef(_Result):
    """A node of an escalation path: ``ClusterAdmin``, ``Node``, ``User``,
    ``Group``, ``ServiceAccount``, a workload kind or ``RoleGrant``."""

    kind: str
    name: str
    namespace: Optional[str] = None
    groups: Tuple[str, ...] = ()
    role: Optional[ObjectRef] = None
    source: Optional[Source] = dc.field(default=None, repr=False)
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> NodeRef:
        return cls(
            d["kind"],
            d["name"],
            _opt(d, "namespace"),
            _strs(d, "groups"),
            _ref(_opt(d, "role")),
            _source(_opt(d, "source")),
            _raw=d,
        )

    def __str__(self) -> str:
        if self.kind == "ClusterAdmin":
            return "cluster-admin"
        if self.kind == "Node":
            return f"node {self.name}"
        if self.kind == "RoleGrant":
            where = f"in namespace {self.namespace}" if self.namespace else "cluster-wide"
            return f"{self.role} bound {where}" if self.role else f"any rules {where}"
        if self.namespace:
            return f"{self.kind} {self.namespace}/{self.name}"
        return f"{self.kind} {self.name}"


@dataclass(frozen=True)
class Evidence(_Result):
    """Why a step is possible: ``type`` is ``permission`` (the authorizer
    allowed ``request``, for ``reasons``), ``grantedRule`` (a rule bound
    earlier on the path), ``covered`` (the escalation check passes),
    ``object`` (an object the step uses) or ``fact``."""

    type: str
    message: Optional[str] = None
    request: Optional[Dict[str, Any]] = None
    reasons: Tuple[Reason, ...] = ()
    role: Optional[ObjectRef] = None
    object: Optional[ObjectRef] = None
    rule: Optional[PolicyRule] = None
    rule_index: Optional[int] = None
    namespace: Optional[str] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> Evidence:
        rule = d.get("rule")
        return cls(
            d["type"],
            _opt(d, "message"),
            _opt(d, "request"),
            tuple(Reason.from_dict(r) for r in d.get("reasons") or ()),
            _ref(_opt(d, "role")),
            _ref(_opt(d, "object")),
            PolicyRule.from_dict(rule) if rule else None,
            _opt(d, "ruleIndex"),
            _opt(d, "namespace"),
            _raw=d,
        )


@dataclass(frozen=True)
class AttackStep(_Result):
    """One step of an escalation path: a technique from ``from_`` to ``to``."""

    technique: str
    title: str
    from_: NodeRef
    to: NodeRef
    evidence: Tuple[Evidence, ...] = dc.field(default=(), repr=False)
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto, titles: Mapping[str, str]) -> AttackStep:
        return cls(
            d["technique"],
            titles.get(d["technique"], ""),
            NodeRef.from_dict(d["from"]),
            NodeRef.from_dict(d["to"]),
            tuple(Evidence.from_dict(e) for e in d.get("evidence") or ()),
            _raw=d,
        )

    def __str__(self) -> str:
        return f"{self.from_} —{self.technique} {self.title}→ {self.to}"


@dataclass(frozen=True)
class AttackPath(_Result):
    """A shortest escalation path from ``source`` to what was looked for
    (``target``: ``cluster-admin``, ``nodes``, ``node:NAME``, a user name,
    ``group:NAME``; for a blast radius the key of the node reached)."""

    source: NodeRef
    target: str
    steps: Tuple[AttackStep, ...]
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = ("source", "target", "end", "length", "step", "technique", "title", "from", "to")

    @classmethod
    def from_dict(cls, d: Dto, titles: Mapping[str, str]) -> AttackPath:
        return cls(
            NodeRef.from_dict(d["source"]),
            d["target"],
            tuple(AttackStep.from_dict(s, titles) for s in d.get("steps") or ()),
            _raw=d,
        )

    @property
    def end(self) -> Optional[NodeRef]:
        """The node the path ends at."""
        return self.steps[-1].to if self.steps else None

    @property
    def techniques(self) -> Tuple[str, ...]:
        """The technique ids along the path."""
        return tuple(s.technique for s in self.steps)

    def __str__(self) -> str:
        chain = " → ".join(f"{s.technique} → {s.to}" for s in self.steps)
        return f"{self.source} → {chain}"

    def _rows(self) -> List[Row]:
        return [
            {
                "source": str(self.source),
                "target": self.target,
                "end": str(self.end) if self.end else None,
                "length": len(self.steps),
                "step": i + 1,
                "technique": s.technique,
                "title": s.title,
                "from": str(s.from_),
                "to": str(s.to),
            }
            for i, s in enumerate(self.steps)
        ]


@dataclass(frozen=True)
class Paths(_Collection):
    """The answer to ``graph.paths(...)``, ``graph.who_reaches(...)`` and
    ``graph.blast_radius(...)``: a sequence of :class:`AttackPath`; as a
    DataFrame, one row per step."""

    paths: Tuple[AttackPath, ...]
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = AttackPath._COLUMNS

    @classmethod
    def from_dict(cls, d: Dto, titles: Mapping[str, str]) -> Paths:
        return cls(tuple(AttackPath.from_dict(p, titles) for p in d.get("paths") or ()), _raw=d)

    def _members(self) -> Tuple[_Result, ...]:
        return self.paths

    def __iter__(self) -> Iterator[AttackPath]:
        return iter(self.paths)

    @overload
    def __getitem__(self, index: int) -> AttackPath: ...
    @overload
    def __getitem__(self, index: slice) -> Tuple[AttackPath, ...]: ...
    def __getitem__(self, index: Any) -> Any:
        return self.paths[index]

    def __repr__(self) -> str:
        lines = [f"Paths({len(self.paths)} paths)"]
        lines += [f"  {p}" for p in self.paths]
        return "\n".join(lines)


def rows_of(results: Any) -> Tuple[Sequence[str], List[Row]]:
    """The columns and rows of a result, or of an iterable of results of one
    kind (their rows concatenated)."""
    if isinstance(results, _Result):
        return results._COLUMNS, results._rows()
    items = list(results)
    if not items:
        return (), []
    if not all(isinstance(x, _Result) for x in items):
        raise TypeError("to_pandas takes rbacgraph results or an iterable of them")
    columns = items[0]._COLUMNS
    if any(x._COLUMNS != columns for x in items):
        raise TypeError("to_pandas takes results of one kind at a time")
    return columns, [row for x in items for row in x._rows()]
