"""Typed answers of ``graph.audit()``: what to fix first (the core's
``query/audit``, the CLI's ``rbacgraph audit``).

The unit is the **fix**: one change to one place (delete or narrow a binding,
remove subjects from it, narrow a role's rules, stop mounting a token, label
a namespace, …) with everything it resolves. An :class:`AuditReport` is a
sequence of :class:`Fix` in rank order; each fix's evidence (rules, objects,
the escalation path it cuts) is kept once in the report and resolved here.
``to_dict()`` gives the core's DTO back (the CLI's ``-o json`` body); as a
DataFrame, one row per fix.

Example:
    >>> import rbacgraph
    >>> report = rbacgraph.load("examples/clusters/demo").audit()
    >>> fix = report[0]
    >>> fix.rank, fix.severity, fix.title
    (1, 'critical', 'Delete ClusterRoleBinding argocd-manager-role-binding')
    >>> fix.impact.cluster_admin, str(fix.impact.nodes_principals[0])
    (5, 'ServiceAccount kube-system/argocd-manager')
    >>> str(fix.path)
    'ServiceAccount kube-system/argocd-manager → E01 → cluster-admin'
    >>> report.to_pandas()[["rank", "severity", "impact_cluster_admin"]].head(2).values.tolist()
    [[1, 'critical', 5], [2, 'critical', 4]]
"""

from __future__ import annotations

import dataclasses as dc
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Mapping, Optional, Sequence, Tuple, overload

from . import _tables
from ._rbacgraph import techniques
from ._tables import Row
from .results import (
    AttackPath,
    AttackStep,
    Dto,
    NodeRef,
    ObjectRef,
    PolicyRule,
    SubjectRef,
    _Collection,
    _opt,
    _Result,
    _strs,
)

__all__ = [
    "SEVERITIES",
    "AuditReport",
    "AuditSummary",
    "ControlSummary",
    "EvidenceStore",
    "Finding",
    "Fix",
    "FixEvidence",
    "FixImpact",
    "ObjectPatch",
    "PlatformMatch",
    "RuleEvidence",
    "SuppressedFinding",
    "severity_rank",
]

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


def _subjects(items: Optional[Sequence[Dto]]) -> Tuple[SubjectRef, ...]:
    return tuple(SubjectRef.from_dict(s) for s in items or ())


def _located(objects: Sequence[ObjectRef]) -> Row:
    """``file`` and ``line`` of the first object that has a source."""
    found = next((o.source for o in objects if o.source is not None), None)
    return {"file": found.file if found else None, "line": found.line if found else None}


# ----- evidence, kept once per report ------------------------------------------


@dataclass(frozen=True)
class RuleEvidence(_Result):
    """A rule a fix is about: the ``role`` it belongs to, its index among the
    role's rules as written, the rule, and the requests of the controls it
    grants (``create pods``, …)."""

    role: ObjectRef
    rule_index: int
    rule: PolicyRule
    requests: Tuple[str, ...] = dc.field(default=(), repr=False)
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto, objects: Sequence[ObjectRef]) -> RuleEvidence:
        return cls(
            objects[d["role"]],
            d["ruleIndex"],
            PolicyRule.from_dict(d["rule"]),
            _strs(d, "requests"),
            _raw=d,
        )

    def __str__(self) -> str:
        return f"{self.role} rule {self.rule_index}: {self.rule}"


@dataclass(frozen=True)
class EvidenceStore(_Result):
    """Everything fixes refer to, once: ``objects`` (with sources),
    ``rules``, escalation ``paths`` (resolved to :class:`AttackPath`) and
    their ``steps``. ``to_dict()`` is the core's store (steps by index)."""

    objects: Tuple[ObjectRef, ...] = ()
    rules: Tuple[RuleEvidence, ...] = ()
    paths: Tuple[AttackPath, ...] = ()
    steps: Tuple[AttackStep, ...] = dc.field(default=(), repr=False)
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto, titles: Mapping[str, str]) -> EvidenceStore:
        objects = tuple(ObjectRef.from_dict(o) for o in d.get("objects") or ())
        steps_raw: Sequence[Dto] = d.get("steps") or ()
        steps = tuple(AttackStep.from_dict(s, titles) for s in steps_raw)
        paths = tuple(
            AttackPath(
                NodeRef.from_dict(p["source"]),
                p["target"],
                tuple(steps[i] for i in p["steps"]),
                # The path as `graph.paths()` gives it: steps inline.
                _raw={**p, "steps": [steps_raw[i] for i in p["steps"]]},
            )
            for p in d.get("paths") or ()
        )
        rules = tuple(RuleEvidence.from_dict(r, objects) for r in d.get("rules") or ())
        return cls(objects, rules, paths, steps, _raw=d)


@dataclass(frozen=True)
class FixEvidence(_Result):
    """Why a fix holds, resolved against the report's :class:`EvidenceStore`:
    the ``rules`` involved, the other ``objects`` involved (bindings of a
    role, workloads of a service account, …), ``facts`` in words, and a
    ``path`` that uses the fix (to cluster-admin if one does, else to a
    node). ``to_dict()`` is the core's DTO (indexes into the store)."""

    rules: Tuple[RuleEvidence, ...] = ()
    objects: Tuple[ObjectRef, ...] = ()
    facts: Tuple[str, ...] = ()
    path: Optional[AttackPath] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto, store: EvidenceStore) -> FixEvidence:
        path = _opt(d, "path")
        return cls(
            tuple(store.rules[i] for i in d.get("rules") or ()),
            tuple(store.objects[i] for i in d.get("objects") or ()),
            _strs(d, "facts"),
            store.paths[path] if path is not None else None,
            _raw=d,
        )


# ----- fixes -----------------------------------------------------------------------


@dataclass(frozen=True)
class FixImpact(_Result):
    """What applying a fix does to the escalation paths: how many principals
    lose every path to cluster-admin (``cluster_admin``) and to a node
    (``nodes``), and which."""

    cluster_admin: int
    nodes: int
    cluster_admin_principals: Tuple[SubjectRef, ...] = ()
    nodes_principals: Tuple[SubjectRef, ...] = ()
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> FixImpact:
        return cls(
            d["clusterAdmin"],
            d["nodes"],
            _subjects(d.get("clusterAdminPrincipals")),
            _subjects(d.get("nodesPrincipals")),
            _raw=d,
        )

    def __str__(self) -> str:
        return f"cluster-admin lost by {self.cluster_admin}, nodes by {self.nodes}"


@dataclass(frozen=True)
class ObjectPatch(_Result):
    """One object's change: ``action`` is ``delete``, ``create`` (from
    ``manifest``) or ``patch`` (the RFC 6902 operations in ``json_patch``,
    as ``kubectl patch --type=json`` takes them)."""

    object: ObjectRef
    action: str
    manifest: Optional[Dict[str, Any]] = dc.field(default=None, repr=False)
    json_patch: Tuple[Dict[str, Any], ...] = dc.field(default=(), repr=False)
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> ObjectPatch:
        manifest = _opt(d, "manifest")
        return cls(
            ObjectRef.from_dict(d["object"]),
            d["action"],
            dict(manifest) if manifest is not None else None,
            tuple(dict(op) for op in d.get("jsonPatch") or ()),
            _raw=d,
        )

    def __str__(self) -> str:
        if self.action == "patch":
            return f"patch {self.object}: {len(self.json_patch)} operation(s)"
        return f"{self.action} {self.object}"


@dataclass(frozen=True)
class PlatformMatch(_Result):
    """The managed platform that installs a fix's objects (``EKS``, ``GKE``,
    ``AKS``, ``OpenShift``, ``k3s/RKE2``) and how it was recognised."""

    platform: str
    reason: str
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> PlatformMatch:
        return cls(d["platform"], d["reason"], _raw=d)

    def __str__(self) -> str:
        return f"{self.platform} ({self.reason})"


@dataclass(frozen=True)
class Fix(_Result):
    """One fix: a change to one place, and everything it resolves.

    Attributes:
        id: stable (``FIX-`` and a hash of the change): the same on the same input.
        rank: position in the ranking (1 = first), within its section.
        severity: ``info`` … ``critical``; ``severity_reason`` says how it
            was decided.
        kind: ``deleteBinding``, ``removeSubjects``, ``editRole``,
            ``deleteRole``, ``stopTokenMount``, ``ownServiceAccounts``,
            ``labelNamespace``, ``deleteSecret`` or ``updateApiVersion``.
        title, description: what to change, in a line; why, in full.
        objects: the objects to change, with their sources (none for an
            object the patch creates).
        controls: the controls it addresses (CIS ids and the others).
        principals: the principals whose permissions or credentials it
            changes (every one); ``principal_count`` is the core's count.
        namespaces: how many namespaces it touches; ``cluster_wide``: it
            removes something granted in every namespace.
        impact: what it does to the escalation paths (``None`` with
            ``paths=False``).
        patch: the change, object by object.
        manual: what a person must finish by hand, when the patch cannot.
        evidence: rules, objects, facts and path, resolved.
        platform: the platform that installs the objects (platform-managed
            fixes only).
    """

    id: str
    rank: int
    severity: str
    severity_reason: str
    kind: str
    title: str
    description: str = dc.field(repr=False)
    objects: Tuple[ObjectRef, ...]
    controls: Tuple[str, ...]
    principals: Tuple[SubjectRef, ...] = dc.field(repr=False)
    principal_count: int
    namespaces: int
    cluster_wide: bool
    impact: Optional[FixImpact]
    patch: Tuple[ObjectPatch, ...] = dc.field(repr=False)
    manual: Optional[str] = dc.field(repr=False)
    evidence: FixEvidence = dc.field(repr=False)
    platform: Optional[PlatformMatch] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = (
        "rank",
        "id",
        "severity",
        "kind",
        "title",
        "controls",
        "principals",
        "namespaces",
        "cluster_wide",
        "impact_cluster_admin",
        "impact_nodes",
        "objects",
        "file",
        "line",
        "platform",
    )

    @classmethod
    def from_dict(cls, d: Dto, store: EvidenceStore) -> Fix:
        principals = d["principals"]
        impact = _opt(d, "impact")
        platform = _opt(d, "platform")
        return cls(
            d["id"],
            d["rank"],
            d["severity"],
            d["severityReason"],
            d["kind"],
            d["title"],
            d["description"],
            tuple(ObjectRef.from_dict(o) for o in d.get("objects") or ()),
            _strs(d, "controls"),
            _subjects(principals.get("items")),
            principals["count"],
            d["namespaces"],
            d["clusterWide"],
            FixImpact.from_dict(impact) if impact is not None else None,
            tuple(ObjectPatch.from_dict(p) for p in d.get("patch") or ()),
            _opt(d, "manual"),
            FixEvidence.from_dict(d["evidence"], store),
            PlatformMatch.from_dict(platform) if platform is not None else None,
            _raw=d,
        )

    @property
    def path(self) -> Optional[AttackPath]:
        """A shortest escalation path whose first step this fix removes (to
        cluster-admin if one does, else to a node); ``evidence.path``."""
        return self.evidence.path

    @property
    def rules(self) -> Tuple[RuleEvidence, ...]:
        """The rules the fix is about; ``evidence.rules``."""
        return self.evidence.rules

    def __str__(self) -> str:
        return f"{self.rank}. [{self.severity}] {self.title} ({self.id})"

    def _rows(self) -> List[Row]:
        return [
            {
                "rank": self.rank,
                "id": self.id,
                "severity": self.severity,
                "kind": self.kind,
                "title": self.title,
                "controls": self.controls,
                "principals": self.principal_count,
                "namespaces": self.namespaces,
                "cluster_wide": self.cluster_wide,
                "impact_cluster_admin": self.impact.cluster_admin if self.impact else None,
                "impact_nodes": self.impact.nodes if self.impact else None,
                "objects": tuple(str(o) for o in self.objects),
                **_located(self.objects),
                "platform": self.platform.platform if self.platform else None,
            }
        ]


# ----- the per-control view ---------------------------------------------------------


@dataclass(frozen=True)
class Finding(_Result):
    """One control about one subject or object (the view a CIS auditor
    ticks off): its ``severity`` from the permission or object alone, what
    was found (``message``) and the ids of the ``fixes`` that resolve it
    (``report.fix(id)``)."""

    control: str
    severity: str
    message: str
    subject: Optional[SubjectRef] = None
    object: Optional[ObjectRef] = None
    fixes: Tuple[str, ...] = ()
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = ("control", "severity", "subject", "object", "message", "fixes", "file", "line")

    @classmethod
    def from_dict(cls, d: Dto) -> Finding:
        subject = _opt(d, "subject")
        obj = _opt(d, "object")
        return cls(
            d["control"],
            d["severity"],
            d["message"],
            SubjectRef.from_dict(subject) if subject else None,
            ObjectRef.from_dict(obj) if obj else None,
            _strs(d, "fixes"),
            _raw=d,
        )

    def __str__(self) -> str:
        return f"[{self.severity}] {self.control}: {self.message}"

    def _row(self) -> Row:
        return {
            "control": self.control,
            "severity": self.severity,
            "subject": str(self.subject) if self.subject else None,
            "object": str(self.object) if self.object else None,
            "message": self.message,
            "fixes": self.fixes,
            **_located([self.object] if self.object else []),
        }

    def _rows(self) -> List[Row]:
        return [self._row()]


@dataclass(frozen=True)
class SuppressedFinding(_Result):
    """A finding an ignore rule matched, with the rule's ``reason`` and its
    index in the ignore file."""

    finding: Finding
    reason: str
    rule_index: int
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = (*Finding._COLUMNS, "reason", "rule_index")

    @classmethod
    def from_dict(cls, d: Dto) -> SuppressedFinding:
        return cls(Finding.from_dict(d), d["reason"], d["ruleIndex"], _raw=d)

    def __str__(self) -> str:
        return f"{self.finding} (suppressed: {self.reason})"

    def _rows(self) -> List[Row]:
        return [{**self.finding._row(), "reason": self.reason, "rule_index": self.rule_index}]


@dataclass(frozen=True)
class ControlSummary(_Result):
    """One control: its findings (suppressed ones aside), their highest
    ``severity`` (``None`` without findings) and how many fixes address it."""

    id: str
    title: str
    findings: int
    fixes: int
    severity: Optional[str] = None
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = ("id", "title", "findings", "severity", "fixes")

    @classmethod
    def from_dict(cls, d: Dto) -> ControlSummary:
        return cls(d["id"], d["title"], d["findings"], d["fixes"], _opt(d, "severity"), _raw=d)

    def __str__(self) -> str:
        return f"{self.id} {self.title}: {self.findings} finding(s), {self.fixes} fix(es)"

    def _rows(self) -> List[Row]:
        return [{c: getattr(self, c) for c in self._COLUMNS}]


# ----- the report ------------------------------------------------------------------------

_SUMMARY = (
    ("principals_reaching_cluster_admin", "principalsReachingClusterAdmin"),
    ("principals_bound_to_cluster_admin", "principalsBoundToClusterAdmin"),
    ("principals_reaching_nodes", "principalsReachingNodes"),
    ("default_or_platform_principals", "defaultOrPlatformPrincipals"),
    ("fixes", "fixes"),
    ("by_severity", "bySeverity"),
    ("platform_managed_fixes", "platformManagedFixes"),
    ("findings", "findings"),
    ("suppressed", "suppressed"),
    ("controls", "controls"),
)


@dataclass(frozen=True)
class AuditSummary(_Result):
    """The first screen. Exposure (``None`` with ``paths=False``): principals
    with a path to cluster-admin, those of them bound to it directly, those
    with a path to a node, and how many of all those are the API server's or
    a platform's own. Then the work: fixes (platform-managed ones apart),
    fixes by severity (``{"critical": n, …}``), platform-managed fixes,
    findings, suppressed findings and controls run."""

    principals_reaching_cluster_admin: Optional[int]
    principals_bound_to_cluster_admin: Optional[int]
    principals_reaching_nodes: Optional[int]
    default_or_platform_principals: Optional[int]
    fixes: int
    by_severity: Dict[str, int]
    platform_managed_fixes: int
    findings: int
    suppressed: int
    controls: int
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = ("count", "value")

    @classmethod
    def from_dict(cls, d: Dto) -> AuditSummary:
        values: Dict[str, Any] = {name: d.get(key) for name, key in _SUMMARY}
        values["by_severity"] = dict(d["bySeverity"])
        return cls(**values, _raw=d)

    def __str__(self) -> str:
        by = ", ".join(f"{self.by_severity.get(s, 0)} {s}" for s in reversed(SEVERITIES))
        text = f"{self.fixes} fixes ({by}) resolve {self.findings} findings"
        if self.principals_reaching_cluster_admin is None:
            return f"{text}; exposure not computed (paths=False)"
        return (
            f"{text}; {self.principals_reaching_cluster_admin} principals reach cluster-admin "
            f"({self.principals_bound_to_cluster_admin} bound to it directly), "
            f"{self.principals_reaching_nodes} reach a node; "
            f"{self.default_or_platform_principals} of them are the API server's or the "
            f"platform's own"
        )

    def _rows(self) -> List[Row]:
        rows: List[Row] = []
        for name, _ in _SUMMARY:
            if name == "by_severity":
                rows += [
                    {"count": f"fixes_{s}", "value": self.by_severity.get(s, 0)}
                    for s in reversed(SEVERITIES)
                ]
            else:
                rows.append({"count": name, "value": getattr(self, name)})
        return rows


@dataclass(frozen=True)
class AuditReport(_Collection):
    """The answer to ``graph.audit()``: a sequence of :class:`Fix` in rank
    order (what to change first; truthy when there is something to fix).

    Attributes:
        fixes: the ranked fixes (also the report's items).
        platform_managed: fixes of objects a managed platform installs,
            ranked apart (they count in paths and impact all the same).
        summary: exposure and counts (:class:`AuditSummary`).
        controls: per control, findings and fixes (:class:`ControlSummary`).
        findings: every finding, control by control, with
            ``audit(findings=True)``; otherwise empty.
        suppressed: findings an ignore rule matched, with the reason.
        default_or_platform: principals that reach cluster-admin or a node
            but are the cluster's own (subjects of default or platform
            bindings, kubelets, platform identities): no fix is asked of
            them (empty with ``paths=False``).
        evidence: what the fixes refer to, kept once (:class:`EvidenceStore`).
        reachability: ``attackGraph``, or ``permissionOnly`` with ``paths=False``.
        target_version: of the upgrade checks, when run.
        notes: remarks about the run (checks skipped and why).
        fail_on, failed: with ``fail_on``, whether a fix (platform-managed
            ones aside) is at or above it (the CLI's exit code 1).

    ``to_pandas()`` has one row per fix; ``rbacgraph.to_pandas(report.findings)``
    (or ``.controls``, ``.suppressed``, ``.platform_managed``) the others.
    """

    fixes: Tuple[Fix, ...]
    platform_managed: Tuple[Fix, ...]
    summary: AuditSummary
    controls: Tuple[ControlSummary, ...]
    findings: Tuple[Finding, ...]
    suppressed: Tuple[SuppressedFinding, ...]
    default_or_platform: Tuple[SubjectRef, ...]
    evidence: EvidenceStore = dc.field(repr=False)
    reachability: str
    target_version: Optional[str] = None
    notes: Tuple[str, ...] = ()
    fail_on: Optional[str] = None
    failed: bool = False
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = Fix._COLUMNS

    @classmethod
    def from_dict(
        cls,
        d: Dto,
        titles: Optional[Mapping[str, str]] = None,
        fail_on: Optional[str] = None,
    ) -> AuditReport:
        """Builds a report from the core's DTO, or from a whole document of
        ``rbacgraph audit -o json`` (``apiVersion`` and ``kind`` are checked
        and left out). ``titles`` names the escalation techniques (default:
        the engine's catalogue).

        Raises:
            ValueError: a document of another kind, or an unknown ``fail_on``.
        """
        if "kind" in d or "apiVersion" in d:
            if d.get("kind") != "AuditReport" or d.get("apiVersion") != "rbacgraph/v1":
                raise ValueError(
                    f"not an rbacgraph/v1 AuditReport: apiVersion `{d.get('apiVersion')}`, "
                    f"kind `{d.get('kind')}`"
                )
            d = {k: v for k, v in d.items() if k not in ("apiVersion", "kind")}
        if titles is None:
            titles = techniques()
        store = EvidenceStore.from_dict(d.get("evidence") or {}, titles)
        fixes = tuple(Fix.from_dict(f, store) for f in d.get("fixes") or ())
        failed = False
        if fail_on is not None:
            rank = severity_rank(fail_on)
            failed = any(severity_rank(f.severity) >= rank for f in fixes)
        return cls(
            fixes,
            tuple(Fix.from_dict(f, store) for f in d.get("platformManaged") or ()),
            AuditSummary.from_dict(d["summary"]),
            tuple(ControlSummary.from_dict(c) for c in d.get("controls") or ()),
            tuple(Finding.from_dict(f) for f in d.get("findings") or ()),
            tuple(SuppressedFinding.from_dict(s) for s in d.get("suppressed") or ()),
            _subjects(d.get("defaultOrPlatform")),
            store,
            d["reachability"],
            _opt(d, "targetVersion"),
            _strs(d, "notes"),
            fail_on,
            failed,
            _raw=d,
        )

    def _members(self) -> Tuple[_Result, ...]:
        return self.fixes

    def __iter__(self) -> Iterator[Fix]:
        return iter(self.fixes)

    @overload
    def __getitem__(self, index: int) -> Fix: ...
    @overload
    def __getitem__(self, index: slice) -> Tuple[Fix, ...]: ...
    def __getitem__(self, index: Any) -> Any:
        return self.fixes[index]

    def fails(self, level: str) -> bool:
        """Whether a fix (platform-managed ones aside) is at or above
        ``level`` (``info`` … ``critical``)."""
        rank = severity_rank(level)
        return any(severity_rank(f.severity) >= rank for f in self.fixes)

    def fix(self, id: str) -> Fix:
        """The fix with this id, in either section.

        Raises:
            KeyError: no such fix in this report.
        """
        for f in self.fixes + self.platform_managed:
            if f.id == id:
                return f
        raise KeyError(f"no fix `{id}` in this audit")

    def by_control(self, control: str) -> Tuple[Fix, ...]:
        """The fixes that address ``control`` (``CIS-5.1.1``, …), in rank
        order, platform-managed ones last."""
        return tuple(f for f in self.fixes + self.platform_managed if control in f.controls)

    def findings_of(self, control: str) -> Tuple[Finding, ...]:
        """The findings of one control (needs ``audit(findings=True)``).

        Raises:
            ValueError: the report was made without findings.
        """
        if not self.findings and self.summary.findings:
            raise ValueError("this report has no findings: run graph.audit(findings=True)")
        return tuple(f for f in self.findings if f.control == control)

    def fixes_for(self, finding: Finding) -> Tuple[Fix, ...]:
        """The fixes that resolve a finding."""
        return tuple(self.fix(i) for i in finding.fixes)

    def __repr__(self) -> str:
        shown = 20
        lines = [f"AuditReport({self.summary})"]
        lines += [f"  {f}" for f in self.fixes[:shown]]
        if len(self.fixes) > shown:
            lines.append(f"  … and {len(self.fixes) - shown} more (report.to_pandas() has them all)")
        if self.platform_managed:
            lines.append(f"  + {len(self.platform_managed)} platform-managed fix(es)")
        if self.suppressed:
            lines.append(f"  + {len(self.suppressed)} suppressed finding(s)")
        lines += [f"  note: {n}" for n in self.notes]
        return "\n".join(lines)

    def _repr_html_(self) -> str:
        return _tables.html_table(
            self._COLUMNS,
            self._rows(),
            caption=f"AuditReport: {self.summary}",
            footer=[
                *([f"{len(self.platform_managed)} platform-managed fix(es): "
                   f"report.platform_managed"] if self.platform_managed else []),
                *([f"{len(self.suppressed)} suppressed finding(s): report.suppressed"]
                  if self.suppressed else []),
                *(f"note: {n}" for n in self.notes),
            ],
        )
