"""Typed answers of ``graph.audit()``: hardening findings, most severe first
(the core's ``query/audit``, the CLI's ``rbacgraph audit``).

Built from the core's ``AuditReport`` DTO and given back by ``to_dict()``;
as a DataFrame, one row per finding.

Example:
    >>> import rbacgraph
    >>> report = rbacgraph.load("examples/clusters/demo").audit()
    >>> first = report[0]
    >>> first.id, first.severity, str(first.subjects[0])
    ('CIS-5.1.1', 'critical', 'ServiceAccount kube-system/argocd-manager')
    >>> [str(s.to) for s in report.by_id("CIS-5.1.4")[1].path_to_cluster_admin.steps]
    ['ServiceAccount kube-system/argocd-manager', 'cluster-admin']
"""

from __future__ import annotations

import dataclasses as dc
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Tuple

from ._tables import Row
from .results import AttackPath, Dto, ObjectRef, SubjectRef, _Collection, _Result, _strs

__all__ = ["SEVERITIES", "AuditReport", "Finding", "SuppressedFinding"]

#: Severities from least to most severe.
SEVERITIES: Tuple[str, ...] = ("info", "low", "medium", "high", "critical")


def severity_rank(level: str) -> int:
    """The rank of a severity (``info`` 0 … ``critical`` 4).

    Raises:
        ValueError: not one of :data:`SEVERITIES`.
    """
    try:
        return SEVERITIES.index(level)
    except ValueError:
        raise ValueError(
            f"unknown severity `{level}`; expected one of {', '.join(SEVERITIES)}"
        ) from None


@dataclass(frozen=True)
class Finding(_Result):
    """One finding: the control's stable ``id`` and ``title``, the
    ``severity`` (``info`` … ``critical``), what was found (``message``), the
    subjects and objects involved (objects with their source file and line),
    the ``evidence`` (the core's DTOs: who-can grants, rules, objects, facts),
    the ``remediation``, how the severity was decided, and — when a subject
    reaches cluster-admin — its shortest escalation path."""

    id: str
    title: str
    severity: str
    message: str
    subjects: Tuple[SubjectRef, ...]
    objects: Tuple[ObjectRef, ...]
    evidence: Tuple[Dict[str, Any], ...]
    remediation: str
    severity_reason: str
    path_to_cluster_admin: Optional[AttackPath] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = (
        "id",
        "severity",
        "title",
        "message",
        "subjects",
        "objects",
        "file",
        "line",
        "reaches_cluster_admin",
    )

    @classmethod
    def from_dict(cls, d: Dto, titles: Mapping[str, str]) -> Finding:
        path = d.get("pathToClusterAdmin")
        return cls(
            d["id"],
            d["title"],
            d["severity"],
            d["message"],
            tuple(SubjectRef.from_dict(s) for s in d.get("subjects") or ()),
            tuple(ObjectRef.from_dict(o) for o in d.get("objects") or ()),
            tuple(dict(e) for e in d.get("evidence") or ()),
            d["remediation"],
            d["severityReason"],
            AttackPath.from_dict(path, titles) if path else None,
            _raw=d,
        )

    def __str__(self) -> str:
        return f"[{self.severity}] {self.id}: {self.message}"

    def _rows(self) -> List[Row]:
        located = next((o for o in self.objects if o.source is not None), None)
        source = located.source if located else None
        return [
            {
                "id": self.id,
                "severity": self.severity,
                "title": self.title,
                "message": self.message,
                "subjects": tuple(str(s) for s in self.subjects),
                "objects": tuple(str(o) for o in self.objects),
                "file": source.file if source else None,
                "line": source.line if source else None,
                "reaches_cluster_admin": self.path_to_cluster_admin is not None,
            }
        ]


@dataclass(frozen=True)
class SuppressedFinding(_Result):
    """A finding an ignore rule matched, with the rule's ``reason`` and its
    index in the ignore file."""

    finding: Finding
    reason: str
    rule_index: int
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto, titles: Mapping[str, str]) -> SuppressedFinding:
        return cls(Finding.from_dict(d, titles), d["reason"], d["ruleIndex"], _raw=d)

    def __str__(self) -> str:
        return f"{self.finding} (suppressed: {self.reason})"


@dataclass(frozen=True)
class AuditReport(_Collection):
    """The answer to ``graph.audit()``: a sequence of :class:`Finding`, most
    severe first, plus the ``suppressed`` ones, the ``summary`` counts
    (``findings``, ``bySeverity``, ``suppressed``, ``controls``), how
    severities were ranked (``reachability``: ``attackGraph`` or
    ``permissionOnly``), the ``target_version`` of the upgrade checks and
    ``notes``. With ``fail_on``, ``failed`` says whether a finding is at or
    above that severity (the CLI's exit code 1)."""

    findings: Tuple[Finding, ...]
    suppressed: Tuple[SuppressedFinding, ...]
    summary: Dict[str, Any]
    reachability: str
    target_version: Optional[str] = None
    notes: Tuple[str, ...] = ()
    fail_on: Optional[str] = None
    failed: bool = False
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = Finding._COLUMNS

    @classmethod
    def from_dict(
        cls, d: Dto, titles: Mapping[str, str], fail_on: Optional[str] = None
    ) -> AuditReport:
        findings = tuple(Finding.from_dict(f, titles) for f in d.get("findings") or ())
        failed = fail_on is not None and any(
            severity_rank(f.severity) >= severity_rank(fail_on) for f in findings
        )
        return cls(
            findings,
            tuple(SuppressedFinding.from_dict(s, titles) for s in d.get("suppressed") or ()),
            dict(d.get("summary") or {}),
            d["reachability"],
            d.get("targetVersion"),
            _strs(d, "notes"),
            fail_on,
            failed,
            _raw=d,
        )

    def _members(self) -> Tuple[_Result, ...]:
        return self.findings

    def __iter__(self) -> Iterator[Finding]:
        return iter(self.findings)

    def __getitem__(self, index: int) -> Finding:
        return self.findings[index]

    def fails(self, level: str) -> bool:
        """Whether a finding is at or above ``level`` (``info`` … ``critical``)."""
        rank = severity_rank(level)
        return any(severity_rank(f.severity) >= rank for f in self.findings)

    def by_id(self, id: str) -> Tuple[Finding, ...]:
        """The findings of one control."""
        return tuple(f for f in self.findings if f.id == id)

    def __repr__(self) -> str:
        counts = self.summary.get("bySeverity") or {}
        by = ", ".join(f"{counts.get(s, 0)} {s}" for s in reversed(SEVERITIES))
        lines = [f"AuditReport({len(self.findings)} findings: {by}; "
                 f"{len(self.suppressed)} suppressed)"]
        lines.extend(f"  {f}" for f in self.findings)
        return "\n".join(lines)
