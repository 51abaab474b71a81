"""Typed answers of ``graph.diff(new)``: effective-permission changes between
two snapshots (the core's ``query/diff.rs``, the CLI's ``rbacgraph diff``).

Built from the core's ``PermissionDiff`` DTO and given back by ``to_dict()``;
as a DataFrame, one row per principal, change (``added``/``removed``), scope
and rule.

Example:
    >>> import rbacgraph
    >>> old = rbacgraph.load("examples/clusters/demo")
    >>> new = rbacgraph.load("examples/clusters/demo-next")
    >>> diff = old.diff(new)
    >>> [str(p.principal) for p in diff][:2]
    ['Group support', 'Group system:authenticated']
"""

from __future__ import annotations

import dataclasses as dc
from dataclasses import dataclass
from typing import Iterator, List, Mapping, Optional, Tuple

from .results import (
    AttackPath,
    Dto,
    ObjectRef,
    PolicyRule,
    SubjectRef,
    _Collection,
    _Result,
    _strs,
    _subject_columns,
)
from ._tables import Row

__all__ = [
    "Cause",
    "ChangedObject",
    "DiffSummary",
    "EscalationDiff",
    "ShorterPath",
    "PermissionDiff",
    "PrincipalDiff",
    "RuleChange",
]


@dataclass(frozen=True)
class ChangedObject(_Result):
    """A binding or role behind a change, and how it changed between the
    snapshots: ``added``, ``removed``, ``modified`` or ``unchanged``."""

    object: ObjectRef
    change: str
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> ChangedObject:
        return cls(ObjectRef.from_dict(d), d["change"], _raw=d)

    def __str__(self) -> str:
        return str(self.object) if self.change == "unchanged" else f"{self.object} ({self.change})"


@dataclass(frozen=True)
class Cause(_Result):
    """Why a rule set changed: subject → binding → role (⇐ the ClusterRoles
    aggregated into it) → rule indexes, on the side that holds the rules."""

    binding: ChangedObject
    role: ChangedObject
    rules: Tuple[int, ...]
    subject: SubjectRef
    aggregated_from: Tuple[ChangedObject, ...] = ()
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> Cause:
        return cls(
            ChangedObject.from_dict(d["binding"]),
            ChangedObject.from_dict(d["role"]),
            tuple(d.get("rules") or ()),
            SubjectRef.from_dict(d["subject"]),
            tuple(ChangedObject.from_dict(a) for a in d.get("aggregatedFrom") or ()),
            _raw=d,
        )

    def __str__(self) -> str:
        chain = f"{self.binding} → {self.role}"
        chain += "".join(f" ⇐ {a}" for a in self.aggregated_from)
        return f"{chain} rules {list(self.rules)}"


@dataclass(frozen=True)
class RuleChange(_Result):
    """Rules gained or lost in one scope (``namespace``; ``None`` is
    cluster-wide), with their causes."""

    namespace: Optional[str]
    rules: Tuple[PolicyRule, ...]
    causes: Tuple[Cause, ...]
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> RuleChange:
        return cls(
            d.get("namespace"),
            tuple(PolicyRule.from_dict(r) for r in d.get("rules") or ()),
            tuple(Cause.from_dict(c) for c in d.get("causes") or ()),
            _raw=d,
        )

    def __str__(self) -> str:
        scope = f"in namespace {self.namespace}" if self.namespace else "cluster-wide"
        return f"{scope}: " + "; ".join(str(r) for r in self.rules)


@dataclass(frozen=True)
class PrincipalDiff(_Result):
    """One principal's changes: rules ``added`` and ``removed``, the
    subjects whose changes it ``inherits`` (its groups), and whether it
    ``gained`` or ``lost`` cluster-admin (``cluster_admin``)."""

    principal: SubjectRef
    added: Tuple[RuleChange, ...]
    removed: Tuple[RuleChange, ...]
    inherits: Tuple[SubjectRef, ...] = ()
    cluster_admin: Optional[str] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = (
        "principal_kind",
        "principal_name",
        "principal_namespace",
        "change",
        "namespace",
        "rule",
        "causes",
    )

    @classmethod
    def from_dict(cls, d: Dto) -> PrincipalDiff:
        return cls(
            SubjectRef.from_dict(d["principal"]),
            tuple(RuleChange.from_dict(c) for c in d.get("added") or ()),
            tuple(RuleChange.from_dict(c) for c in d.get("removed") or ()),
            tuple(SubjectRef.from_dict(s) for s in d.get("inherits") or ()),
            d.get("clusterAdmin"),
            _raw=d,
        )

    def __str__(self) -> str:
        return str(self.principal)

    def _rows(self) -> List[Row]:
        principal = {
            k.replace("subject_", "principal_"): v
            for k, v in _subject_columns(self.principal).items()
        }
        return [
            {
                **principal,
                "change": change,
                "namespace": rc.namespace,
                "rule": str(rule),
                "causes": tuple(str(c) for c in rc.causes),
            }
            for change, changes in (("added", self.added), ("removed", self.removed))
            for rc in changes
            for rule in rc.rules
        ]


@dataclass(frozen=True)
class ShorterPath(_Result):
    """A principal's new shortest path to cluster-admin (``path``), shorter
    than the old one (``previous_steps`` steps)."""

    previous_steps: int
    path: AttackPath
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = AttackPath._COLUMNS

    @classmethod
    def from_dict(cls, d: Dto, titles: Mapping[str, str]) -> ShorterPath:
        return cls(d["previousSteps"], AttackPath.from_dict(d["path"], titles), _raw=d)

    def _rows(self) -> List[Row]:
        return self.path._rows()


@dataclass(frozen=True)
class EscalationDiff(_Result):
    """Paths to ``target`` (cluster-admin) that exist only in the new
    snapshot (``gained``) or only in the old one (``lost``), and principals
    that reach it in both but in fewer steps now (``shortened``)."""

    target: str
    max_depth: int
    gained: Tuple[AttackPath, ...]
    lost: Tuple[AttackPath, ...]
    shortened: Tuple[ShorterPath, ...] = ()
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = AttackPath._COLUMNS

    @classmethod
    def from_dict(cls, d: Dto, titles: Mapping[str, str]) -> EscalationDiff:
        return cls(
            d["target"],
            d["maxDepth"],
            tuple(AttackPath.from_dict(p, titles) for p in d.get("gained") or ()),
            tuple(AttackPath.from_dict(p, titles) for p in d.get("lost") or ()),
            tuple(ShorterPath.from_dict(p, titles) for p in d.get("shortened") or ()),
            _raw=d,
        )

    def _rows(self) -> List[Row]:
        paths = self.gained + self.lost + tuple(s.path for s in self.shortened)
        return [row for p in paths for row in p._rows()]


@dataclass(frozen=True)
class DiffSummary(_Result):
    """Counts: principals changed, rule sets added and removed, escalation
    paths gained and lost."""

    principals: int
    added: int
    removed: int
    gained_paths: int
    lost_paths: int
    shortened_paths: int = 0
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> DiffSummary:
        return cls(
            d["principals"], d["added"], d["removed"], d["gainedPaths"], d["lostPaths"],
            d.get("shortenedPaths", 0), _raw=d
        )


@dataclass(frozen=True)
class PermissionDiff(_Collection):
    """The answer to ``old.diff(new)``: a sequence of :class:`PrincipalDiff`
    (principals whose effective permissions changed), the escalation paths
    gained and lost (``escalation``, unless turned off) and the role
    references that did not resolve (``errors``, prefixed ``old:`` or
    ``new:``). Truthy when anything changed."""

    summary: DiffSummary
    principals: Tuple[PrincipalDiff, ...]
    escalation: Optional[EscalationDiff] = None
    errors: Tuple[str, ...] = ()
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = PrincipalDiff._COLUMNS

    @classmethod
    def from_dict(cls, d: Dto, titles: Mapping[str, str]) -> PermissionDiff:
        escalation = d.get("escalation")
        return cls(
            DiffSummary.from_dict(d["summary"]),
            tuple(PrincipalDiff.from_dict(p) for p in d.get("principals") or ()),
            EscalationDiff.from_dict(escalation, titles) if escalation else None,
            _strs(d, "errors"),
            _raw=d,
        )

    def _members(self) -> Tuple[_Result, ...]:
        return self.principals

    def __iter__(self) -> Iterator[PrincipalDiff]:
        return iter(self.principals)

    def __getitem__(self, index: int) -> PrincipalDiff:
        return self.principals[index]

    def __bool__(self) -> bool:
        e = self.escalation
        return bool(self.principals) or (
            e is not None and bool(e.gained or e.lost or e.shortened))

    def __repr__(self) -> str:
        s = self.summary
        lines = [
            f"PermissionDiff({s.principals} principals: {s.added} rule sets added, "
            f"{s.removed} removed; {s.gained_paths} paths to cluster-admin gained, "
            f"{s.lost_paths} lost, {s.shortened_paths} shortened)"
        ]
        for p in self.principals:
            lines.append(f"  {p.principal}" + (f" ({p.cluster_admin} cluster-admin)"
                                                 if p.cluster_admin else ""))
            lines += [f"    + {c}" for c in p.added]
            lines += [f"    - {c}" for c in p.removed]
        lines += [f"  unresolved: {e}" for e in self.errors]
        return "\n".join(lines)
