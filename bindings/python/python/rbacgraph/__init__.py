"""rbacgraph: exact, offline Kubernetes RBAC analysis, in-process.

Load manifests or ``kubectl get -o json`` dumps once, then ask the questions
the API server's RBAC authorizer would answer — *can S do X, and why*, *who can
do X*, *what can S do*, *how does S escalate* — with every reason (subject →
binding → role → rule, with file and document) and, when the answer is no, the
near misses. The engine is the Rust core the ``rbacgraph`` CLI uses; answers
are typed objects that render as tables in notebooks and turn into tidy pandas
DataFrames.

Example:
    >>> import rbacgraph
    >>> graph = rbacgraph.load("examples/clusters/demo")
    >>> graph.can_i("system:serviceaccount:ci:deployer", "create", "pods", namespace="kube-system").allowed
    True
    >>> df = rbacgraph.to_pandas(graph.who_can("get", "secrets", namespace="shop"))
    >>> sorted(set(df["subject_name"]))[:3]
    ['alice@example.com', 'argocd-manager', 'default']
"""

from __future__ import annotations

from typing import Any

from . import _tables
from ._graph import Graph, load
from ._rbacgraph import __version__
from .audit import (
    AuditReport,
    AuditSummary,
    ControlSummary,
    EvidenceStore,
    Finding,
    Fix,
    FixEvidence,
    FixImpact,
    ObjectPatch,
    PlatformMatch,
    RuleEvidence,
    SuppressedFinding,
)
from .check import (
    AssertionResult,
    CheckReport,
    CheckSummary,
    FixRef,
    GrantChain,
    RuleAt,
    Violation,
)
from .diff import (
    Cause,
    ChangedObject,
    DiffSummary,
    EscalationDiff,
    PermissionDiff,
    PrincipalDiff,
    RuleChange,
    ShorterPath,
)
from .errors import LoadError, PolicyError, QueryError, RbacGraphError, UnknownResourceError
from .results import (
    AttackPath,
    AttackStep,
    Decision,
    Diagnostic,
    EffectiveRule,
    Evidence,
    Grant,
    GraphStats,
    LoadSummary,
    NearMiss,
    NodeRef,
    ObjectRef,
    Paths,
    PolicyRule,
    Reason,
    Rules,
    Source,
    SubjectGrants,
    SubjectRef,
    Summary,
    WhoCan,
    rows_of,
)
from .usage import GrantUsage, ObservedRequest, PrincipalUsage, RemovableGrant, UsageReport

__all__ = [
    "AssertionResult",
    "AttackPath",
    "AttackStep",
    "AuditReport",
    "AuditSummary",
    "Cause",
    "ChangedObject",
    "CheckReport",
    "CheckSummary",
    "ControlSummary",
    "Decision",
    "Diagnostic",
    "DiffSummary",
    "EffectiveRule",
    "EscalationDiff",
    "Evidence",
    "EvidenceStore",
    "Finding",
    "Fix",
    "FixEvidence",
    "FixImpact",
    "FixRef",
    "Grant",
    "GrantChain",
    "GrantUsage",
    "Graph",
    "GraphStats",
    "LoadError",
    "LoadSummary",
    "NearMiss",
    "NodeRef",
    "ObjectPatch",
    "ObjectRef",
    "ObservedRequest",
    "Paths",
    "PermissionDiff",
    "PlatformMatch",
    "PolicyError",
    "PolicyRule",
    "PrincipalDiff",
    "PrincipalUsage",
    "QueryError",
    "RbacGraphError",
    "Reason",
    "RemovableGrant",
    "RuleAt",
    "RuleChange",
    "RuleEvidence",
    "Rules",
    "ShorterPath",
    "Source",
    "SubjectGrants",
    "SubjectRef",
    "Summary",
    "SuppressedFinding",
    "UnknownResourceError",
    "UsageReport",
    "Violation",
    "WhoCan",
    "__version__",
    "load",
    "to_pandas",
]


def to_pandas(results: Any) -> Any:
    """A tidy pandas DataFrame of a result, or of a list of results of one
    kind (pandas is imported only now).

    One row per:

    - :class:`WhoCan` / :class:`SubjectGrants`: subject-grant (subject,
      binding, role, rule indexes, ``via`` in expand mode, binding source);
      ``system:masters`` without a binding has one row with empty binding;
    - :class:`Decision` / :class:`Reason`: allowing reason;
    - a list of :class:`NearMiss` (``decision.why_not``): near miss;
    - :class:`Rules` / :class:`EffectiveRule`: rule;
    - :class:`Paths` / :class:`AttackPath`: step of a path;
    - a list of :class:`Diagnostic` (``graph.warnings``): problem;
    - :class:`PermissionDiff` / :class:`PrincipalDiff`: principal, change,
      scope and rule;
    - :class:`UsageReport` / :class:`PrincipalUsage`: principal and granted
      rule, with its uses in the audit log;
    - :class:`AuditReport` / :class:`Fix`: fix, in rank order (with its
      impact on the escalation paths); a list of :class:`Finding`,
      :class:`ControlSummary` or :class:`SuppressedFinding`: one each;
    - :class:`CheckReport` / :class:`AssertionResult`: assertion (passed,
      violations, introduced); a list of :class:`Violation`
      (``report.violations``): violation.

    Example:
        >>> import rbacgraph
        >>> graph = rbacgraph.load("examples/clusters/demo")
        >>> rbacgraph.to_pandas(graph.warnings)[["severity", "field"]].values.tolist()
        [['warning', 'rules[0].resources[0]'], ['warning', 'subjects[0].namespace'], ['warning', 'roleRef']]
    """
    columns, rows = rows_of(results)
    return _tables.data_frame(columns, rows)
