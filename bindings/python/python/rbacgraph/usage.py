"""Typed answers of ``graph.usage(audit_log)``: granted versus used (the
core's ``query/usage.rs``, the CLI's ``rbacgraph usage``).

Built from the core's ``UsageReport`` DTO and given back by ``to_dict()``;
as a DataFrame, one row per principal and granted rule, with how often the
rule was used in the log window. ``manifests()`` gives the least-privilege
Roles/ClusterRoles and bindings as Kubernetes objects (dicts), ready for
``yaml.safe_dump_all``.

Example:
    >>> import rbacgraph
    >>> graph = rbacgraph.load("examples/clusters/demo")
    >>> report = graph.usage("examples/audit/demo-audit.log")
    >>> alice = report[0]
    >>> str(alice.principal), len(alice.used()), str(alice.denied[0])
    ('User alice@example.com', 5, 'delete pods/schema-migrate in namespace payments')
"""

from __future__ import annotations

import dataclasses as dc
from dataclasses import dataclass
from typing import Any, Dict, Iterator, List, Optional, Tuple

from ._tables import Row
from .results import (
    Diagnostic,
    Dto,
    EffectiveRule,
    ObjectRef,
    SubjectRef,
    _Collection,
    _ref_columns,
    _Result,
    _strs,
    _subject_columns,
)

__all__ = [
    "GrantUsage",
    "ObservedRequest",
    "PrincipalUsage",
    "RemovableGrant",
    "UsageReport",
    "describe_request",
]


def describe_request(request: Dto) -> str:
    """A request DTO in words, as the CLI prints it
    (``get pods/web-0 (subresource log) in namespace shop``, ``get /metrics``)."""
    if request.get("type") == "nonResource":
        return f"{request['verb']} {request['path']}"
    text = f"{request['verb']} {request['resource']}"
    if request.get("apiGroup"):
        text += f".{request['apiGroup']}"
    if request.get("name"):
        text += f"/{request['name']}"
    if request.get("subresource"):
        text += f" (subresource {request['subresource']})"
    namespace = request.get("namespace")
    return text + (f" in namespace {namespace}" if namespace else " at cluster scope")


@dataclass(frozen=True)
class ObservedRequest(_Result):
    """One distinct request of a principal: the request attributes (the
    core's ``Request`` DTO), how many logged events allowed or denied it, and
    whether the given RBAC allows it (``derived``: implied by impersonation)."""

    request: Dict[str, Any]
    allowed_in_log: int
    denied_in_log: int
    rbac_allowed: bool
    derived: bool = False
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> ObservedRequest:
        return cls(
            dict(d["request"]),
            d["allowedInLog"],
            d["deniedInLog"],
            d["rbacAllowed"],
            bool(d.get("derived", False)),
            _raw=d,
        )

    def __str__(self) -> str:
        return describe_request(self.request)


@dataclass(frozen=True)
class GrantUsage(_Result):
    """A granted rule (with subject, binding, role and scope: ``namespace``
    ``None`` is cluster-wide), the logged events it allows (``uses``; 0 is
    unused) and whether it is ``shared`` (granted through a Group)."""

    grant: EffectiveRule
    namespace: Optional[str]
    uses: int
    shared: bool
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> GrantUsage:
        # The core flattens the rule's provenance into the grant.
        rule = {**d, **d["rule"]}
        return cls(EffectiveRule.from_dict(rule), d.get("namespace"), d["uses"], d["shared"], _raw=d)

    def __str__(self) -> str:
        return f"{self.grant} used {self.uses}×"


@dataclass(frozen=True)
class RemovableGrant(_Result):
    """A binding to the principal itself none of whose ``rules`` was used."""

    binding: ObjectRef
    role: ObjectRef
    subject: SubjectRef
    rules: int
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    @classmethod
    def from_dict(cls, d: Dto) -> RemovableGrant:
        return cls(
            ObjectRef.from_dict(d["binding"]),
            ObjectRef.from_dict(d["role"]),
            SubjectRef.from_dict(d["subject"]),
            d["rules"],
            _raw=d,
        )

    def __str__(self) -> str:
        return f"{self.binding} → {self.role} ({self.rules} rules, none used)"


@dataclass(frozen=True)
class PrincipalUsage(_Result):
    """What one user or service account was granted, used, was denied, and
    would need (``generated``: least-privilege objects as dicts)."""

    principal: SubjectRef
    user: str
    groups: Tuple[str, ...]
    events: int
    superuser: bool
    requests: Tuple[ObservedRequest, ...]
    grants: Tuple[GrantUsage, ...]
    removable: Tuple[RemovableGrant, ...]
    denied: Tuple[ObservedRequest, ...]
    covered_by_groups: int
    generated: Tuple[Dict[str, Any], ...]
    unverified: Tuple[Dict[str, Any], ...] = ()
    errors: Tuple[str, ...] = ()
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = (
        *(f"principal_{c}" for c in ("kind", "name", "namespace")),
        "namespace",
        "verbs",
        "api_groups",
        "resources",
        "resource_names",
        "non_resource_urls",
        *(f"via_{c}" for c in ("kind", "name", "namespace")),
        *(f"binding_{c}" for c in ("kind", "name", "namespace")),
        *(f"role_{c}" for c in ("kind", "name", "namespace")),
        "rule_index",
        "uses",
        "shared",
    )

    @classmethod
    def from_dict(cls, d: Dto) -> PrincipalUsage:
        identity = d.get("identity") or {}
        return cls(
            SubjectRef.from_dict(d["principal"]),
            identity.get("name", ""),
            tuple(identity.get("groups") or ()),
            d["events"],
            d["superuser"],
            tuple(ObservedRequest.from_dict(r) for r in d.get("requests") or ()),
            tuple(GrantUsage.from_dict(g) for g in d.get("grants") or ()),
            tuple(RemovableGrant.from_dict(r) for r in d.get("removable") or ()),
            tuple(ObservedRequest.from_dict(r) for r in d.get("denied") or ()),
            d.get("coveredByGroups", 0),
            tuple(dict(m) for m in d.get("generated") or ()),
            tuple(dict(r) for r in d.get("unverified") or ()),
            _strs(d, "errors"),
            _raw=d,
        )

    def used(self) -> Tuple[GrantUsage, ...]:
        """The granted rules that allowed some logged request."""
        return tuple(g for g in self.grants if g.uses > 0)

    def unused(self) -> Tuple[GrantUsage, ...]:
        """The granted rules that allowed no logged request."""
        return tuple(g for g in self.grants if g.uses == 0)

    def __str__(self) -> str:
        return str(self.principal)

    def _rows(self) -> List[Row]:
        principal = {
            k.replace("subject_", "principal_"): v
            for k, v in _subject_columns(self.principal).items()
        }
        rows: List[Row] = []
        for g in self.grants:
            e = g.grant
            via = {k.replace("subject_", "via_"): v for k, v in _subject_columns(e.subject).items()}
            rows.append(
                {
                    **principal,
                    "namespace": g.namespace,
                    "verbs": e.rule.verbs,
                    "api_groups": e.rule.api_groups,
                    "resources": e.rule.resources,
                    "resource_names": e.rule.resource_names,
                    "non_resource_urls": e.rule.non_resource_urls,
                    **via,
                    **_ref_columns("binding", e.binding),
                    **_ref_columns("role", e.role),
                    "rule_index": e.rule_index,
                    "uses": g.uses,
                    "shared": g.shared,
                }
            )
        return rows


@dataclass(frozen=True)
class UsageReport(_Collection):
    """The answer to ``graph.usage(...)``: a sequence of
    :class:`PrincipalUsage` (by user name), the log window (``first``,
    ``last`` timestamps), the log's counts (``stats``) and the lines that
    could not be used (``warnings``)."""

    principals: Tuple[PrincipalUsage, ...]
    stats: Dict[str, int]
    window: Optional[Tuple[str, str]] = None
    warnings: Tuple[Diagnostic, ...] = ()
    _raw: Dto = dc.field(default_factory=dict, repr=False, compare=False)

    _COLUMNS = PrincipalUsage._COLUMNS

    @classmethod
    def from_dict(cls, d: Dto, warnings: Tuple[Dto, ...] = ()) -> UsageReport:
        window = d.get("window")
        return cls(
            tuple(PrincipalUsage.from_dict(p) for p in d.get("principals") or ()),
            dict(d.get("stats") or {}),
            (window["first"], window["last"]) if window else None,
            tuple(Diagnostic.from_dict(w) for w in warnings),
            _raw=d,
        )

    def _members(self) -> Tuple[_Result, ...]:
        return self.principals

    def __iter__(self) -> Iterator[PrincipalUsage]:
        return iter(self.principals)

    def __getitem__(self, index: int) -> PrincipalUsage:
        return self.principals[index]

    def manifests(self) -> List[Dict[str, Any]]:
        """Every generated least-privilege object of every principal, in
        order (``yaml.safe_dump_all(report.manifests())`` is ready for
        ``kubectl apply -f -``)."""
        return [m for p in self.principals for m in p.generated]

    def __repr__(self) -> str:
        window = f" from {self.window[0]} to {self.window[1]}" if self.window else ""
        lines = [
            f"UsageReport({len(self.principals)} principals, "
            f"{self.stats.get('counted', 0)} requests{window})"
        ]
        for p in self.principals:
            lines.append(
                f"  {p.principal}: {len(p.used())} of {len(p.grants)} granted rules used, "
                f"{len(p.denied)} denied, {len(p.generated)} objects generated"
            )
        return "\n".join(lines)
