"""Typed answers of ``graph.check(policy)``: RBAC guardrails as code (the
core's ``query/check``, the CLI's ``rbacgraph check --policy``).

A policy (``apiVersion: rbacgraph/v1``, ``kind: Policy``) names assertions —
who may make a request (``whoCan`` with ``allowOnly`` / ``maxSubjects``),
whether one identity may (``canI`` with ``expect``), which escalation paths
must not exist (``paths``), which audit fixes must not (``audit``) — and the
engine evaluates them exactly. A :class:`CheckReport` is a sequence of
:class:`AssertionResult` in policy order, each with its :class:`Violation`
and their evidence (binding → role → rules with files and lines, the
allowing reasons or near misses, the path step by step, the audit fix).
With ``against=`` (a changed snapshot) every violation says whether the
change ``introduced`` it, and the check passes when it introduces none.

``to_dict()`` gives the core's DTO back (the CLI's ``-o json`` body);
``to_junit()`` and ``to_sarif()`` are the CLI's ``-o junit`` and
``-o sarif``. As a DataFrame, one row per assertion;
``rbacgraph.to_pandas(report.violations)`` has one row per violation.

Example:
    >>> import rbacgraph
    >>> graph = rbacgraph.load("examples/clusters/demo")
    >>> report = graph.check("examples/policies/demo-fails.yaml")
    >>> report.passed, report.summary.failed, report.summary.violations
    (False, 5, 12)
    >>> result = report[0]
    >>> result.kind, [str(v.subject) for v in result.violations]
    ('whoCan', ['ServiceAccount ci/deployer', 'Group system:authenticated', 'ServiceAccount shop/default'])
    >>> str(result.violations[0].grants[0])
    'ClusterRoleBinding ci-deployer → ClusterRole ci-deployer rules [3]'
    >>> report.to_pandas()[["kind", "passed", "violations"]].values.tolist()[:2]
    [['whoCan', False, 3], ['canI', False, 1]]
"""

from __future__ import annotations

import dataclasses as dc
import json
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple, overload

from . import _tables
from ._rbacgraph import techniques
from ._tables import Row
from .results import (
    AttackStep,
    Diagnostic,
    Dto,
    NearMiss,
    NodeRef,
    ObjectRef,
    PolicyRule,
    Reason,
    Source,
    SubjectRef,
    _Collection,
    _opt,
    _Result,
    _strs,
)

__all__ = [
    "AssertionResult",
    "CheckReport",
    "CheckSummary",
    "FixRef",
    "GrantChain",
    "RuleAt",
    "Violation",
]


@dataclass(frozen=True)
class RuleAt(_Result):
    """A role's rule that grants the request, with its index among the
    role's rules (aggregated rules included)."""

    index: int
    rule: PolicyRule
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> RuleAt:
        return cls(d["index"], PolicyRule.from_dict(d["rule"]), _raw=d)

    def __str__(self) -> str:
        return f"rule {self.index}: {self.rule}"


@dataclass(frozen=True)
class GrantChain(_Result):
    """One way a subject is granted the request of a ``whoCan`` assertion:
    ``binding`` → ``role`` → ``rules``, both objects with their sources;
    ``via`` is the bound subject (a group) when the violation is a
    principal found with ``expand``."""

    binding: ObjectRef
    role: ObjectRef
    rules: Tuple[RuleAt, ...]
    via: Optional[SubjectRef] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> GrantChain:
        via = _opt(d, "via")
        return cls(
            ObjectRef.from_dict(d["binding"]),
            ObjectRef.from_dict(d["role"]),
            tuple(RuleAt.from_dict(r) for r in d.get("rules") or ()),
            SubjectRef.from_dict(via) if via else None,
            _raw=d,
        )

    def __str__(self) -> str:
        via = f"as {self.via}: " if self.via else ""
        return f"{via}{self.binding} → {self.role} rules {[r.index for r in self.rules]}"


@dataclass(frozen=True)
class FixRef(_Result):
    """The audit fix an ``audit`` assertion's violation is about (the whole
    fix: ``graph.audit().fix(id)``)."""

    id: str
    title: str
    severity: str
    controls: Tuple[str, ...]
    objects: Tuple[ObjectRef, ...]
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> FixRef:
        return cls(
            d["id"],
            d["title"],
            d["severity"],
            _strs(d, "controls"),
            tuple(ObjectRef.from_dict(o) for o in d.get("objects") or ()),
            _raw=d,
        )

    def __str__(self) -> str:
        return f"{self.id} [{self.severity}]: {self.title}"


@dataclass(frozen=True)
class Violation(_Result):
    """One violation of an assertion, with its evidence.

    Attributes:
        policy, assertion: the policy and assertion it belongs to.
        key: what the violation is about, stable across snapshots (a
            subject, a path's source, a fix id, the can-i answer);
            ``against=`` compares by it.
        message: a sentence for people.
        subject: ``whoCan``: the subject (or principal) that may;
            ``canI``: the identity asked about.
        grants: ``whoCan``: every binding → role → rules that grants it
            (empty for a ``maxSubjects`` violation).
        reasons: ``canI`` expecting ``no``: why the request is allowed.
        near_misses: ``canI`` expecting ``yes``: why it is denied.
        source: ``paths``: the principal the path starts from.
        steps: ``paths``: the path, step by step.
        fix: ``audit``: the fix.
        introduced: with ``against=``: whether the change introduces it
            (``None`` without).
    """

    policy: str
    assertion: str
    key: str
    message: str
    subject: Optional[SubjectRef] = None
    grants: Tuple[GrantChain, ...] = dc.field(default=(), repr=False)
    reasons: Tuple[Reason, ...] = dc.field(default=(), repr=False)
    near_misses: Tuple[NearMiss, ...] = dc.field(default=(), repr=False)
    source: Optional[NodeRef] = None
    steps: Tuple[AttackStep, ...] = dc.field(default=(), repr=False)
    fix: Optional[FixRef] = None
    introduced: Optional[bool] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = (
        "policy",
        "assertion",
        "key",
        "message",
        "subject_kind",
        "subject_name",
        "subject_namespace",
        "introduced",
    )

    @classmethod
    def from_dict(
        cls,
        d: Dto,
        policy: str = "",
        assertion: str = "",
        titles: Optional[Mapping[str, str]] = None,
    ) -> Violation:
        """Builds a violation from the core's DTO; ``policy`` and
        ``assertion`` name the result it belongs to, ``titles`` the
        escalation techniques (default: the engine's catalogue)."""
        subject = _opt(d, "subject")
        source = _opt(d, "source")
        fix = _opt(d, "fix")
        steps = d.get("steps") or ()
        if steps and titles is None:
            titles = techniques()
        return cls(
            policy,
            assertion,
            d["key"],
            d["message"],
            SubjectRef.from_dict(subject) if subject else None,
            tuple(GrantChain.from_dict(g) for g in d.get("grants") or ()),
            tuple(Reason.from_dict(r) for r in d.get("reasons") or ()),
            tuple(NearMiss.from_dict(m) for m in d.get("nearMisses") or ()),
            NodeRef.from_dict(source) if source else None,
            tuple(AttackStep.from_dict(s, titles or {}) for s in steps),
            FixRef.from_dict(fix) if fix else None,
            _opt(d, "introduced"),
            _raw=d,
        )

    def __str__(self) -> str:
        mark = {True: "new: ", False: "already there: ", None: ""}[self.introduced]
        return f"{mark}{self.message}"

    def _rows(self) -> List[Row]:
        # A path's principal is its source; the other kinds name a subject.
        who = self.subject or self.source
        return [
            {
                "policy": self.policy,
                "assertion": self.assertion,
                "key": self.key,
                "message": self.message,
                "subject_kind": who.kind if who else None,
                "subject_name": who.name if who else None,
                "subject_namespace": who.namespace if who else None,
                "introduced": self.introduced,
            }
        ]


@dataclass(frozen=True)
class AssertionResult(_Result):
    """The outcome of one assertion.

    Attributes:
        name, policy: the assertion's name and its policy's.
        kind: ``whoCan``, ``canI``, ``paths`` or ``audit``.
        source: the policy file and document; ``field`` the assertion's
            place in it (``assertions[2]``).
        passed: it holds on the (changed) snapshot: no violations.
        message: what was found, in one sentence.
        violations: every violation, with its evidence.
        resolved: with ``against=``: the violations of the current snapshot
            the change removes (``None`` without).
    """

    name: str
    policy: str
    kind: str
    source: Source = dc.field(repr=False)
    field: str
    passed: bool
    message: str
    violations: Tuple[Violation, ...] = dc.field(repr=False)
    resolved: Optional[Tuple[Violation, ...]] = dc.field(default=None, repr=False)
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = ("policy", "name", "kind", "passed", "violations", "introduced", "message")

    @classmethod
    def from_dict(cls, d: Dto, titles: Optional[Mapping[str, str]] = None) -> AssertionResult:
        policy, name = d["policy"], d["name"]
        resolved = _opt(d, "resolved")
        return cls(
            name,
            policy,
            d["kind"],
            Source.from_dict(d["source"]),
            d["field"],
            d["passed"],
            d["message"],
            tuple(Violation.from_dict(v, policy, name, titles) for v in d.get("violations") or ()),
            None if resolved is None else tuple(
                Violation.from_dict(v, policy, name, titles) for v in resolved
            ),
            _raw=d,
        )

    @property
    def introduced(self) -> Optional[int]:
        """With ``against=``: how many violations the change introduces;
        ``None`` without."""
        if self.resolved is None:
            return None
        return sum(1 for v in self.violations if v.introduced)

    def __str__(self) -> str:
        return f"{'PASS' if self.passed else 'FAIL'} {self.name}: {self.message}"

    def _rows(self) -> List[Row]:
        return [
            {
                "policy": self.policy,
                "name": self.name,
                "kind": self.kind,
                "passed": self.passed,
                "violations": len(self.violations),
                "introduced": self.introduced,
                "message": self.message,
            }
        ]


@dataclass(frozen=True)
class CheckSummary(_Result):
    """Counts: assertions evaluated, passed and failed, violations over all
    assertions; with ``against=``, violations the change ``introduced`` and
    ``resolved`` (``None`` without)."""

    assertions: int
    passed: int
    failed: int
    violations: int
    introduced: Optional[int] = None
    resolved: Optional[int] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = ("count", "value")

    @classmethod
    def from_dict(cls, d: Dto) -> CheckSummary:
        return cls(
            d["assertions"],
            d["passed"],
            d["failed"],
            d["violations"],
            _opt(d, "introduced"),
            _opt(d, "resolved"),
            _raw=d,
        )

    def __str__(self) -> str:
        text = (
            f"{self.assertions} assertion(s): {self.passed} passed, {self.failed} failed "
            f"({self.violations} violation(s))"
        )
        if self.introduced is not None:
            text += f"; the change introduces {self.introduced} and removes {self.resolved}"
        return text

    def _rows(self) -> List[Row]:
        return [
            {"count": name, "value": getattr(self, name)}
            for name in ("assertions", "passed", "failed", "violations", "introduced", "resolved")
        ]


@dataclass(frozen=True)
class CheckReport(_Collection):
    """The answer to ``graph.check(policy)``: a sequence of
    :class:`AssertionResult` in policy order. Truthy when the check passes.

    Attributes:
        summary: counts (:class:`CheckSummary`).
        results: one per assertion (also the report's items).
        warnings: assertions that can never match anything (a ``from``
            that selects no principal, an ``allowOnly`` entry no subject
            matches, a namespace no object is in), each a
            :class:`Diagnostic` naming the policy file, document and field.
        passed: every assertion holds; with ``against=``, the change
            introduces no violation (the CLI's exit code 0).

    ``to_pandas()`` has one row per assertion;
    ``rbacgraph.to_pandas(report.violations)`` one per violation.
    """

    summary: CheckSummary
    results: Tuple[AssertionResult, ...]
    warnings: Tuple[Diagnostic, ...] = ()
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)
    _junit: Optional[str] = dc.field(default=None, repr=False, compare=False)
    _sarif: Optional[str] = dc.field(default=None, repr=False, compare=False)

    _COLUMNS = AssertionResult._COLUMNS

    @classmethod
    def from_dict(
        cls,
        d: Dto,
        titles: Optional[Mapping[str, str]] = None,
        *,
        junit: Optional[str] = None,
        sarif: Optional[str] = None,
    ) -> CheckReport:
        """Builds a report from the core's DTO, or from a whole document of
        ``rbacgraph check -o json`` (``apiVersion`` and ``kind`` are checked
        and left out). ``titles`` names the escalation techniques (default:
        the engine's catalogue); ``junit`` and ``sarif`` (JSON text, parsed
        when asked for: a SARIF log of a large cluster is tens of megabytes)
        are the report's other renderings, which only :meth:`Graph.check`
        makes.

        Raises:
            ValueError: a document of another kind.
        """
        if "kind" in d or "apiVersion" in d:
            if d.get("kind") != "CheckReport" or d.get("apiVersion") != "rbacgraph/v1":
                raise ValueError(
                    f"not an rbacgraph/v1 CheckReport: apiVersion `{d.get('apiVersion')}`, "
                    f"kind `{d.get('kind')}`"
                )
            d = {k: v for k, v in d.items() if k not in ("apiVersion", "kind")}
        if titles is None:
            titles = techniques()
        return cls(
            CheckSummary.from_dict(d["summary"]),
            tuple(AssertionResult.from_dict(r, titles) for r in d.get("results") or ()),
            tuple(Diagnostic.from_dict(w) for w in d.get("warnings") or ()),
            _raw=d,
            _junit=junit,
            _sarif=sarif,
        )

    @property
    def against(self) -> bool:
        """Whether this report compares a changed snapshot with the current
        one (``graph.check(policy, against=changed)``)."""
        return self.summary.introduced is not None

    @property
    def passed(self) -> bool:
        """Every assertion holds; with ``against=``, the change introduces
        no violation. ``rbacgraph check`` exits 0 exactly then."""
        if self.summary.introduced is not None:
            return self.summary.introduced == 0
        return self.summary.failed == 0

    @property
    def violations(self) -> Tuple[Violation, ...]:
        """Every violation of every assertion, in order."""
        return tuple(v for r in self.results for v in r.violations)

    @property
    def resolved(self) -> Tuple[Violation, ...]:
        """With ``against=``: every violation the change removes (empty
        without)."""
        return tuple(v for r in self.results for v in r.resolved or ())

    def _members(self) -> Tuple[_Result, ...]:
        return self.results

    def __iter__(self) -> Iterator[AssertionResult]:
        return iter(self.results)

    @overload
    def __getitem__(self, index: int) -> AssertionResult: ...
    @overload
    def __getitem__(self, index: slice) -> Tuple[AssertionResult, ...]: ...
    def __getitem__(self, index: Any) -> Any:
        return self.results[index]

    def __bool__(self) -> bool:
        return self.passed

    def to_junit(self) -> str:
        """The report as JUnit XML (``rbacgraph check -o junit``): one test
        suite per policy, one test case per assertion, failing when it has
        violations (with ``against=``: violations the change introduces).

        Raises:
            ValueError: the report was built with :meth:`from_dict`.
        """
        if self._junit is None:
            raise ValueError("JUnit XML comes with graph.check(); this report was read from a dict")
        return self._junit

    def to_sarif(self) -> Dict[str, Any]:
        """The report as a SARIF 2.1.0 log (``rbacgraph check -o sarif``),
        parsed anew on each call: one rule per assertion, one result per violation, located at
        the binding or role that causes it.

        Raises:
            ValueError: the report was built with :meth:`from_dict`.
        """
        if self._sarif is None:
            raise ValueError("SARIF comes with graph.check(); this report was read from a dict")
        log: Dict[str, Any] = json.loads(self._sarif)
        return log

    def __repr__(self) -> str:
        shown = 5
        lines = [f"CheckReport({self.summary})"]
        for r in self.results:
            lines.append(f"  {r}")
            lines += [f"    ✗ {v}" for v in r.violations[:shown]]
            if len(r.violations) > shown:
                lines.append(f"    … and {len(r.violations) - shown} more")
            lines += [f"    ✓ removed by the change: {v.message}" for v in (r.resolved or ())[:shown]]
        lines += [f"  {w}" for w in self.warnings]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return _tables.html_table(
            self._COLUMNS,
            self._rows(),
            caption=f"CheckReport: {self.summary}",
            footer=[str(w) for w in self.warnings],
        )
