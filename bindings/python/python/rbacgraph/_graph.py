"""The :class:`Graph`: load a cluster once, ask many questions.

Each method is one call into the Rust core (``rbacgraph._rbacgraph``); the
answer comes back as the core's DTO and is wrapped in a typed result.
"""

from __future__ import annotations

import os
from typing import Any, Dict, Iterable, List, Mapping, Optional, Sequence, Tuple, Union

from . import _objects, _tables
from ._rbacgraph import NativeGraph, techniques
from .errors import QueryError
from .diff import PermissionDiff
from .results import Decision, Diagnostic, GraphStats, Paths, Rules, Source, Summary, WhoCan
from .audit import AuditReport, severity_rank
from .check import CheckReport
from .usage import UsageReport

__all__ = ["Graph", "load"]

PathLike = Union[str, "os.PathLike[str]"]
Groups = Union[str, Iterable[str]]
#: One policy for :meth:`Graph.check`: a path, YAML/JSON text, or a parsed document.
Policy = Union[str, "os.PathLike[str]", Mapping[str, Any]]


def _groups(groups: Groups) -> List[str]:
    # A single group name is a common shorthand; never iterate its letters.
    if isinstance(groups, str):
        return [groups]
    return list(groups)


def _is_policy_text(policy: str) -> bool:
    """The rule that tells policy text from a path: text has a line break or
    starts (after blanks) with ``{`` or ``apiVersion``."""
    head = policy.lstrip()
    return "\n" in policy or head.startswith("{") or head.startswith("apiVersion")


def _policy_input(policy: Any, label: str) -> Tuple[str, str, Any]:
    """A policy as the native ``check`` takes it: ``(kind, label, value)``."""
    if isinstance(policy, Mapping):
        return ("document", label, policy)
    if isinstance(policy, str) and _is_policy_text(policy):
        return ("text", label, policy)
    if isinstance(policy, (str, os.PathLike)):
        return ("path", "", os.fspath(policy))
    raise TypeError(
        "a policy is a path, YAML or JSON text, or a dict (one policy document), "
        f"not {type(policy).__name__}"
    )


def _policy_inputs(policy: Union[Policy, Sequence[Policy]]) -> List[Tuple[str, str, Any]]:
    if isinstance(policy, (list, tuple)):
        if not policy:
            raise ValueError("check() needs at least one policy")
        return [_policy_input(p, f"<policy[{i}]>") for i, p in enumerate(policy)]
    return [_policy_input(policy, "<policy>")]


def _target(resource: str, name: Optional[str], api_group: Optional[str]) -> str:
    """The CLI's TARGET (``TYPE[.GROUP][/NAME]`` or ``/url``) from keyword
    arguments; the core parses and resolves it."""
    if not isinstance(resource, str):
        raise TypeError(f"resource must be a str, not {type(resource).__name__}")
    if resource.startswith("/"):
        if name is not None or api_group is not None:
            raise QueryError(
                f"invalid target `{resource}`: a non-resource URL has no name or API group",
                what="target",
                value=resource,
            )
        return resource
    type_part, slash, object_name = resource.partition("/")
    if api_group is not None:
        if "." in type_part:
            raise QueryError(
                f"invalid target `{resource}`: give the API group either as "
                f"TYPE.GROUP or as api_group, not both",
                what="target",
                value=resource,
            )
        # `TYPE.` (empty group) is the core group to the core's resolver.
        type_part = f"{type_part}.{api_group}"
    if name is not None:
        if slash:
            raise QueryError(
                f"invalid target `{resource}`: give the object name either as "
                f"TYPE/NAME or as name, not both",
                what="target",
                value=resource,
            )
        slash, object_name = "/", name
    return f"{type_part}{slash}{object_name}"


class Graph:
    """An analysed cluster: Roles, ClusterRoles, RoleBindings,
    ClusterRoleBindings, ServiceAccounts and workloads, built into a
    subject → binding → role → rule graph. Immutable; build it with
    :func:`rbacgraph.load`, :meth:`Graph.from_yaml`, :meth:`Graph.from_json`
    or :meth:`Graph.from_objects`.

    Example:
        >>> import rbacgraph
        >>> graph = rbacgraph.load("examples/clusters/demo")
        >>> graph.can_i("bob@example.com", "list", "secrets", namespace="payments").allowed
        True
        >>> len(graph.warnings)
        3
    """

    __slots__ = ("_native", "_warnings")

    def __init__(self, native: NativeGraph) -> None:
        if not isinstance(native, NativeGraph):
            raise TypeError(
                "build a Graph with rbacgraph.load(...), Graph.from_yaml(...), "
                "Graph.from_json(...) or Graph.from_objects(...)"
            )
        self._native = native
        self._warnings: Optional[List[Diagnostic]] = None

    # ----- loading -----------------------------------------------------------

    @classmethod
    def load(
        cls, *paths: PathLike, default_namespace: str = "default", strict: bool = False
    ) -> Graph:
        """Loads files and directories (recursively: ``.yaml``, ``.yml``,
        ``.json``), as ``rbacgraph -f PATH...`` does; ``-`` is standard input.

        Args:
            paths: files or directories; multi-document YAML, JSON (one
                value, several, or an array), ``kind: List`` dumps.
            default_namespace: namespace for namespaced objects without one,
                as ``kubectl apply -n`` would.
            strict: raise :class:`LoadError` on any bad document instead of
                reporting it in :attr:`warnings` and skipping it.

        Raises:
            LoadError: a path cannot be read; with ``strict``, a bad document.

        Example:
            >>> import rbacgraph
            >>> rbacgraph.Graph.load("examples/clusters/demo").stats().cluster_roles
            19
        """
        if not paths:
            raise TypeError("load() needs at least one file or directory")
        native = NativeGraph.load([os.fspath(p) for p in paths], default_namespace, strict)
        return cls(native)

    @classmethod
    def from_yaml(
        cls,
        text: str,
        *,
        default_namespace: str = "default",
        strict: bool = False,
        label: str = "<yaml>",
    ) -> Graph:
        """Loads multi-document YAML text (JSON is YAML too); ``label``
        names it in sources and diagnostics.

        Example:
            >>> import rbacgraph
            >>> graph = rbacgraph.Graph.from_yaml('''
            ... apiVersion: rbac.authorization.k8s.io/v1
            ... kind: ClusterRole
            ... metadata: {name: reader}
            ... rules: [{apiGroups: [""], resources: [pods], verbs: [get, list]}]
            ... ---
            ... apiVersion: rbac.authorization.k8s.io/v1
            ... kind: ClusterRoleBinding
            ... metadata: {name: readers}
            ... roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: reader}
            ... subjects: [{kind: Group, name: support}]
            ... ''')
            >>> bool(graph.can_i("bob", "list", "pods", groups=["support"]))
            True
        """
        return cls(NativeGraph.from_text(label, text, default_namespace, strict))

    @classmethod
    def from_json(
        cls,
        text: str,
        *,
        default_namespace: str = "default",
        strict: bool = False,
        label: str = "<json>",
    ) -> Graph:
        """Loads JSON text: one object, a ``List`` (what ``kubectl get -o
        json`` prints), an array, or several concatenated values.

        Example:
            >>> import rbacgraph
            >>> graph = rbacgraph.Graph.from_json('{"apiVersion": "v1", "kind": "List", "items": []}')
            >>> graph.summary().load.documents
            1
        """
        return cls(NativeGraph.from_text(label, text, default_namespace, strict))

    @classmethod
    def from_objects(
        cls,
        objects: Iterable[Any],
        *,
        default_namespace: str = "default",
        strict: bool = False,
        label: str = "<objects>",
    ) -> Graph:
        """Loads Kubernetes objects held in Python: dicts as
        ``yaml.safe_load_all`` or ``json.load`` give, dicts from the official
        ``kubernetes`` client's ``.to_dict()``, or that client's model
        objects (``V1Role``, …). Document ``i`` in sources is the ``i``-th
        object (``None`` entries are left out).

        Example:
            >>> import rbacgraph
            >>> role = {"apiVersion": "rbac.authorization.k8s.io/v1", "kind": "Role",
            ...         "metadata": {"name": "r", "namespace": "web"},
            ...         "rules": [{"apiGroups": [""], "resources": ["pods"], "verbs": ["get"]}]}
            >>> rbacgraph.Graph.from_objects([role]).stats().roles
            1
        """
        text = _objects.to_documents(objects)
        return cls(NativeGraph.from_text(label, text, default_namespace, strict))

    # ----- what was loaded ---------------------------------------------------

    @property
    def warnings(self) -> List[Diagnostic]:
        """Every problem found while loading and building: documents that did
        not parse or validate (``severity == "error"``, left out) and
        warnings (dangling role references, ``pods/*``-style rules,
        duplicates; kept). Each names its file, document, object and field.
        """
        if self._warnings is None:
            self._warnings = [Diagnostic.from_dict(d) for d in self._native.diagnostics()]
        return list(self._warnings)

    def summary(self) -> Summary:
        """``rbacgraph summary`` as data: load counts, graph counts and
        diagnostics.

        Example:
            >>> import rbacgraph
            >>> rbacgraph.load("examples/clusters/demo").summary().load.skipped
            {'Backup': 1}
        """
        return Summary.from_dict(self._native.summary())

    def stats(self) -> GraphStats:
        """Counts of the built graph (roles, bindings, subjects, …)."""
        return self.summary().graph

    # ----- questions -----------------------------------------------------------

    def can_i(
        self,
        user: str,
        verb: str,
        resource: str,
        *,
        groups: Groups = (),
        namespace: Optional[str] = "default",
        name: Optional[str] = None,
        subresource: Optional[str] = None,
        api_group: Optional[str] = None,
    ) -> Decision:
        """May ``user`` do ``verb`` on ``resource``, and why (or why not)?
        ``rbacgraph can-i VERB RESOURCE --as USER --as-group G -n NS``.

        Args:
            user: the user name as authenticated; service accounts are
                ``system:serviceaccount:NS:NAME``. Kubernetes' implicit
                groups are added (``system:authenticated``,
                ``system:serviceaccounts``, …).
            verb: ``get``, ``list``, ``create``, ``impersonate``, ….
            resource: ``TYPE[.GROUP][/NAME]`` — plural, singular, kind or
                short name of a built-in type or a loaded CRD
                (``deploy/web``, ``backups.example.com``) — or a
                non-resource URL starting with ``/``.
            groups: extra groups (a single name or several).
            namespace: the request's namespace; ``""`` or ``None`` asks
                across all namespaces (``-A``). Cluster-scoped resources
                ignore it, except a named Namespace object.
            name: the object name (same as ``TYPE/NAME``).
            subresource: e.g. ``log``, ``exec``, ``scale``.
            api_group: restrict ``TYPE`` to this group (same as
                ``TYPE.GROUP``; ``""`` is the core group).

        Returns:
            A :class:`Decision`: truthy when allowed, with ``reasons`` or,
            when denied, ``why_not`` near misses.

        Raises:
            UnknownResourceError: an unknown bare type name.
            QueryError: an empty verb or a malformed target.

        Example:
            >>> import rbacgraph
            >>> graph = rbacgraph.load("examples/clusters/demo")
            >>> d = graph.can_i("alice@example.com", "create", "pods", groups=["dev-team"],
            ...                 namespace="payments", subresource="exec")
            >>> d.allowed, d.why_not[0].reason
            (False, 'otherNamespace')
        """
        target = _target(resource, name, api_group)
        dto = self._native.can_i(
            user, _groups(groups), verb, target, subresource, namespace or ""
        )
        return Decision.from_dict(dto)

    def who_can(
        self,
        verb: str,
        resource: str,
        *,
        namespace: str = "default",
        all_namespaces: bool = False,
        expand: bool = False,
        subresource: Optional[str] = None,
        name: Optional[str] = None,
        api_group: Optional[str] = None,
    ) -> WhoCan:
        """Who may do ``verb`` on ``resource``? ``rbacgraph who-can VERB
        RESOURCE [-n NS | -A] [--expand]``.

        Args:
            verb, resource, subresource, name, api_group: as in :meth:`can_i`.
            namespace: the namespace asked about.
            all_namespaces: evaluate every namespace's RoleBindings, each in
                its own namespace (``-A``).
            expand: list concrete principals (every known service account
                and user whose identity, implicit groups included, is
                allowed) instead of subjects as bound.

        Returns:
            :class:`WhoCan`, ``Group system:masters`` first, each subject
            with the bindings, roles and rule indexes that grant it.

        Example:
            >>> import rbacgraph
            >>> graph = rbacgraph.load("examples/clusters/demo")
            >>> who = graph.who_can("get", "secrets", namespace="shop")
            >>> [str(s) for s in who][:3]
            ['Group system:masters', 'ServiceAccount ci/deployer', 'Group system:authenticated']
            >>> who.to_pandas().shape
            (7, 12)
        """
        target = _target(resource, name, api_group)
        dto = self._native.who_can(
            verb, target, subresource, namespace or "", all_namespaces, expand
        )
        return WhoCan.from_dict(dto)

    def rules_for(
        self, user: str, *, groups: Groups = (), namespace: Optional[str] = "default"
    ) -> Rules:
        """Every rule that applies to ``user`` in ``namespace``, with the
        binding and role it comes from: ``rbacgraph can-i --list``
        (kubectl's SelfSubjectRulesReview). ``""`` or ``None`` gives the
        cluster-wide rules only.

        Example:
            >>> import rbacgraph
            >>> graph = rbacgraph.load("examples/clusters/demo")
            >>> rules = graph.rules_for("alice@example.com", namespace="shop")
            >>> sorted({r.role.name for r in rules})
            ['admin', 'support-secret-reader', 'system:basic-user', 'system:discovery', 'system:public-info-viewer', 'view']
        """
        dto = self._native.rules_for(user, _groups(groups), namespace or "")
        return Rules.from_dict(dto)

    # ----- escalation paths ------------------------------------------------------

    def paths(
        self,
        user: str,
        *,
        groups: Groups = (),
        to: str = "cluster-admin",
        max_depth: int = 8,
        limit: Optional[int] = None,
        assume_legacy_tokens: bool = False,
        eks: bool = False,
    ) -> Paths:
        """Shortest escalation paths from ``user`` to ``to``: ``rbacgraph
        paths --as USER --to TARGET``. One path per target node reached, in
        order of length.

        Args:
            user, groups: the identity, as in :meth:`can_i`.
            to: ``cluster-admin``, ``nodes`` (root on any node),
                ``node:NAME``, ``group:NAME``, or a user name
                (``system:serviceaccount:NS:NAME`` for a service account).
            max_depth: the most steps a path may have.
            limit: stop after this many paths (``None``: all).
            assume_legacy_tokens: every ServiceAccount has a legacy token Secret.
            eks: model EKS's ``aws-auth`` ConfigMap (on by itself when a
                Node carries an ``eks.amazonaws.com/`` label).

        Raises:
            QueryError: ``to`` does not parse.

        Example:
            >>> import rbacgraph
            >>> graph = rbacgraph.load("examples/clusters/demo")
            >>> p = graph.paths("system:serviceaccount:ci:deployer", to="nodes", limit=1)
            >>> p[0].techniques, str(p[0].end)
            (('W02',), 'node *')
        """
        dto = self._native.paths(
            user, _groups(groups), to, max_depth, limit, assume_legacy_tokens, eks
        )
        return Paths.from_dict(dto, _titles())

    def who_reaches(
        self,
        to: str = "cluster-admin",
        *,
        max_depth: int = 8,
        assume_legacy_tokens: bool = False,
        eks: bool = False,
    ) -> Paths:
        """Every principal (user, group, service account, kubelet) that
        reaches ``to``, each with one shortest path: ``rbacgraph paths --all
        --to TARGET``. Arguments as in :meth:`paths`."""
        dto = self._native.who_reaches(to, max_depth, assume_legacy_tokens, eks)
        return Paths.from_dict(dto, _titles())

    def blast_radius(
        self,
        user: str,
        *,
        groups: Groups = (),
        max_depth: int = 8,
        assume_legacy_tokens: bool = False,
        eks: bool = False,
    ) -> Paths:
        """Everything ``user`` reaches (principals, nodes, cluster-admin,
        workloads), each with one shortest path: ``rbacgraph paths --as USER
        --blast-radius``. Arguments as in :meth:`paths`."""
        dto = self._native.blast_radius(
            user, _groups(groups), max_depth, assume_legacy_tokens, eks
        )
        return Paths.from_dict(dto, _titles())

    # ----- snapshots and audit logs ---------------------------------------------------

    def diff(
        self,
        new: Graph,
        *,
        escalation_paths: bool = True,
        max_depth: int = 8,
        assume_legacy_tokens: bool = False,
        eks: bool = False,
    ) -> PermissionDiff:
        """Effective-permission changes from this snapshot to ``new``:
        ``rbacgraph -f OLD diff --against NEW``. For every principal, the
        rules it may use afterwards that it could not before and those it
        lost, per scope, each with the bindings and roles that cause it;
        renamed roles, reordered or split rules are no change.

        Args:
            new: the later snapshot.
            escalation_paths: also compare paths to cluster-admin (who gains
                or loses one).
            max_depth, assume_legacy_tokens, eks: as in :meth:`paths`.

        Example:
            >>> import rbacgraph
            >>> old = rbacgraph.load("examples/clusters/demo")
            >>> diff = old.diff(rbacgraph.load("examples/clusters/demo-next"))
            >>> bool(diff), diff.summary.principals
            (True, 6)
        """
        if not isinstance(new, Graph):
            raise TypeError(f"diff takes another Graph, not {type(new).__name__}")
        dto = self._native.diff(new._native, escalation_paths, max_depth,
                                assume_legacy_tokens, eks)
        return PermissionDiff.from_dict(dto, _titles())

    def audit(
        self,
        target_version: Optional[str] = None,
        ignore: Optional[PathLike] = None,
        fail_on: Optional[str] = None,
        *,
        findings: bool = False,
        paths: bool = True,
        max_depth: int = 8,
        assume_legacy_tokens: bool = False,
        eks: bool = False,
    ) -> AuditReport:
        """What to fix first: ``rbacgraph audit``. Runs CIS 5.1.1–5.1.13 and
        the other controls (code execution in pods, Service interception,
        Pod Security of namespaces, API exposure, dangling and unused RBAC,
        default service accounts, dead rules and, with ``target_version``,
        upgrade readiness) and turns what they find into ranked fixes: one
        change to one place each, with its patch, the principals it affects,
        its impact on the escalation paths and its evidence.

        Args:
            target_version: run the upgrade checks against ``1.NN``.
            ignore: an ignore file (YAML: ``ignore: [{id, subject, object,
                reason}]``); suppressed findings go to ``report.suppressed``.
            fail_on: ``info`` … ``critical``: ``report.failed`` says whether
                a fix (platform-managed ones aside) is at or above it (the
                CLI's ``--fail-on``).
            findings: also list every finding, control by control, in
                ``report.findings`` (``--by control``).
            paths: compute the escalation paths: impact, exposure and
                severities raised by the paths a fix cuts (``False``: by
                the permission alone, faster; ``impact`` is ``None``).
            max_depth, assume_legacy_tokens, eks: as in :meth:`paths`.

        Raises:
            QueryError: a bad ``target_version`` or ignore file.
            ValueError: an unknown ``fail_on`` severity.

        Example:
            >>> import rbacgraph
            >>> report = rbacgraph.load("examples/clusters/demo").audit(fail_on="high")
            >>> report.failed, report.summary.fixes, report.summary.principals_reaching_cluster_admin
            (True, 23, 5)
            >>> [str(s.to) for s in report[0].path.steps]
            ['cluster-admin']
        """
        if fail_on is not None:
            severity_rank(fail_on)
        text = None
        if ignore is not None:
            with open(os.fspath(ignore), encoding="utf-8") as f:
                text = f.read()
        dto = self._native.audit(
            target_version, text, paths, max_depth, assume_legacy_tokens, eks, findings
        )
        return AuditReport.from_dict(dto, _titles(), fail_on)

    def check(
        self,
        policy: Union[Policy, Sequence[Policy]],
        *,
        against: Optional[Graph] = None,
        assume_legacy_tokens: bool = False,
        eks: bool = False,
    ) -> CheckReport:
        """Evaluates guardrail policies exactly: ``rbacgraph check --policy
        FILE... [--against NEW]``. A policy (``apiVersion: rbacgraph/v1``,
        ``kind: Policy``) names assertions: who may make a request
        (``whoCan`` with ``allowOnly`` / ``maxSubjects``), whether one
        identity may (``canI`` with ``expect: yes|no``), which escalation
        paths must not exist (``paths``), which audit fixes must not
        (``audit``); ``rbacgraph schema policy`` prints its JSON Schema.

        Args:
            policy: one policy source or a list of them, evaluated in order:

                - a path (``str`` or ``os.PathLike``) to a file of YAML or
                  JSON policy documents, or to a directory (every ``.yaml``,
                  ``.yml`` and ``.json`` file below it, recursively, in name
                  order, as the CLI reads it); ``-`` is standard input;
                - YAML or JSON text: a ``str`` that contains a line break or
                  starts (after blanks) with ``{`` or ``apiVersion``; labelled
                  ``<policy>`` (``<policy[i]>`` in a list) in sources;
                - a dict: one policy document, already parsed (same labels).
            against: the changed snapshot. The policies are then evaluated
                on ``against``, and each violation says whether the change
                ``introduced`` it (compared with this graph's); the check
                passes when the change introduces none.
            assume_legacy_tokens, eks: as in :meth:`paths` (for ``paths``
                and ``audit`` assertions).

        Returns:
            A :class:`CheckReport`: ``passed``, one result per assertion
            with its violations and their evidence, ``to_junit()``,
            ``to_sarif()``, ``to_pandas()``.

        Raises:
            PolicyError: a policy that cannot be used (every problem in
                ``.problems``, each with file, document and field).
            LoadError: a policy path cannot be read.

        Example:
            >>> import rbacgraph
            >>> graph = rbacgraph.load("examples/clusters/demo")
            >>> report = graph.check('''
            ... apiVersion: rbacgraph/v1
            ... kind: Policy
            ... metadata: {name: shop}
            ... assertions:
            ... - name: only alice reads shop secrets
            ...   whoCan: {verb: get, resource: secrets, namespace: shop}
            ...   allowOnly: [{kind: User, name: alice@example.com}]
            ... ''')
            >>> report.passed, [v.key for v in report.violations][:2]
            (False, ['ServiceAccount ci/deployer', 'Group system:authenticated'])
            >>> graph.check("examples/policies/demo-passes.yaml").passed
            True
        """
        inputs = _policy_inputs(policy)
        changed = None
        if against is not None:
            if not isinstance(against, Graph):
                raise TypeError(f"against takes another Graph, not {type(against).__name__}")
            changed = against._native
        dto, junit, sarif = self._native.check(inputs, changed, assume_legacy_tokens, eks)
        return CheckReport.from_dict(dto, _titles(), junit=junit, sarif=sarif)

    def usage(
        self,
        *audit_logs: PathLike,
        users: Groups = (),
        include_denied: bool = False,
        expand_verbs: bool = True,
        name_prefix: str = "rbacgraph",
        strict: bool = False,
    ) -> UsageReport:
        """Granted versus used, from Kubernetes audit logs (``audit.k8s.io/v1``
        events, one JSON object per line, plain or gzip): ``rbacgraph usage
        --audit-log FILE``. Per principal: which granted rules were used in
        the log window, which requests were denied, which bindings could go,
        and the least Roles/ClusterRoles that allow what was used.

        Args:
            audit_logs: log files (``-`` is standard input).
            users: only these user names (``system:serviceaccount:NS:NAME``
                for a service account); empty for everyone in the log.
            include_denied: generated roles also allow the denied requests.
            expand_verbs: widen verbs as audit2rbac does (``get`` with
                ``list`` and ``watch``, …); ``False`` keeps exactly those seen.
            name_prefix: generated objects are named ``PREFIX:USER``.
            strict: raise :class:`LoadError` on a line that is not an audit
                event instead of listing it in the report's ``warnings``.

        Example:
            >>> import rbacgraph
            >>> graph = rbacgraph.load("examples/clusters/demo")
            >>> report = graph.usage("examples/audit/demo-audit.log", users="alice@example.com")
            >>> [m["kind"] for m in report.manifests()]
            ['Role', 'RoleBinding']
        """
        if not audit_logs:
            raise TypeError("usage() needs at least one audit log file")
        dto, warnings = self._native.usage(
            [os.fspath(p) for p in audit_logs], _groups(users), include_denied,
            expand_verbs, name_prefix, strict,
        )
        return UsageReport.from_dict(dto, tuple(warnings))

    # ----- the graph itself ----------------------------------------------------------

    def to_networkx(
        self,
        *,
        around: Optional[str] = None,
        depth: int = 2,
        assume_legacy_tokens: bool = False,
        eks: bool = False,
    ) -> Any:
        """The permission graph as a ``networkx.MultiDiGraph`` (``rbacgraph
        export``): subjects, bindings, roles, their rules, workloads, and the
        escalation edges between principals and sinks.

        Nodes are keyed by id (``User:alice``, ``ServiceAccount:ci/deployer``,
        ``ClusterRole:edit``, ``ClusterRole:edit#3`` for a rule) and carry
        ``kind``, ``name``, ``namespace``, ``label`` and ``source``. Edges
        carry ``kind`` (``subjectOf``, ``roleRef``, ``rule``,
        ``aggregatedInto``, ``runsAs``, ``escalation``) and, for escalation
        edges, ``technique`` and ``title``; the edge key is the technique or
        the kind.

        Args:
            around: only the neighbourhood of one object:
                ``KIND/NAME`` or ``KIND/NAMESPACE/NAME`` (``user``, ``group``,
                ``sa``, ``role``, ``clusterrole``, ``rolebinding``,
                ``clusterrolebinding``, ``node``), a node id or a user name.
            depth: the neighbourhood's radius in edges (either direction).
            assume_legacy_tokens, eks: as in :meth:`paths`.

        Example:
            >>> import rbacgraph
            >>> graph = rbacgraph.load("examples/clusters/demo")
            >>> g = graph.to_networkx(around="sa/ci/deployer", depth=1)
            >>> g.nodes["ServiceAccount:ci/deployer"]["kind"]
            'ServiceAccount'
        """
        nx = _tables.import_optional("networkx", "networkx")
        dto = self._native.export(around, depth, assume_legacy_tokens, eks)
        titles = _titles()
        graph = nx.MultiDiGraph()
        for node in dto["nodes"]:
            source = node.get("source")
            graph.add_node(
                node["id"],
                kind=node["kind"],
                name=node["name"],
                namespace=node.get("namespace"),
                label=node.get("label"),
                source=str(Source.from_dict(source)) if source else None,
            )
        for edge in dto["edges"]:
            technique = edge.get("technique")
            attributes: Dict[str, Any] = {"kind": edge["kind"]}
            if technique is not None:
                attributes["technique"] = technique
                attributes["title"] = titles.get(technique, "")
            graph.add_edge(edge["from"], edge["to"], key=technique or edge["kind"], **attributes)
        return graph

    # ----- notebook niceties -------------------------------------------------------

    def __repr__(self) -> str:
        s = self.summary()
        g = s.graph
        return (
            f"<rbacgraph.Graph: {sum(s.load.loaded.values())} objects from "
            f"{s.load.files} file(s); {g.roles} Roles, {g.cluster_roles} ClusterRoles, "
            f"{g.role_bindings} RoleBindings, {g.cluster_role_bindings} ClusterRoleBindings, "
            f"{g.subjects} subjects; {len(s.diagnostics)} problem(s)>"
        )

    def _repr_html_(self) -> str:
        return self.summary()._repr_html_()

    def __reduce__(self) -> Tuple[Any, ...]:
        raise TypeError(
            "a Graph cannot be pickled: pickle its results, or load the manifests again"
        )


_TITLES: Optional[Dict[str, str]] = None


def _titles() -> Dict[str, str]:
    global _TITLES
    if _TITLES is None:
        _TITLES = dict(techniques())
    return _TITLES


def load(*paths: PathLike, default_namespace: str = "default", strict: bool = False) -> Graph:
    """Loads files and directories into a :class:`Graph`; see :meth:`Graph.load`.

    Example:
        >>> import rbacgraph
        >>> graph = rbacgraph.load("examples/clusters/demo")
        >>> [str(s) for s in graph.who_can("create", "pods", namespace="kube-system")]
        ['Group system:masters', 'ServiceAccount ci/deployer', 'ServiceAccount kube-system/argocd-manager']
    """
    return Graph.load(*paths, default_namespace=default_namespace, strict=strict)
