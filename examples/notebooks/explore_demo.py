# ---
# jupyter:
#   jupytext:
#     text_representation:
#       extension: .py
#       format_name: percent
#   kernelspec:
#     display_name: Python 3
#     language: python
#     name: python3
# ---

# %% [markdown]
# # Exploring the demo cluster with rbacgraph
#
# The demo cluster (`examples/clusters/demo`) is a small, realistic set of
# manifests with six RBAC mistakes planted in it. This notebook finds them
# with `import rbacgraph` alone: no cluster, no graph database.
#
# Open it in Jupyter with jupytext (`jupytext --to notebook explore_demo.py`)
# or run it as a script from the repository root:
# `python examples/notebooks/explore_demo.py`. Needs
# `pip install './bindings/python[notebook]'` (pandas and networkx).

# %%
from pathlib import Path

import pandas as pd

import rbacgraph

# The demo, from the repository root or from this notebook's folder.
DEMO = next(p for p in (Path("examples/clusters/demo"), Path("../clusters/demo")) if p.exists())
graph = rbacgraph.load(DEMO)
graph

# %% [markdown]
# ## What was loaded, and what looked wrong
#
# `graph.summary()` counts what was read; `graph.warnings` lists every
# problem with its file, document, object and field. Three of the planted
# mistakes show up right away: a `pods/*` rule that matches nothing, a
# ServiceAccount subject without a namespace, and a binding to a role that
# does not exist.

# %%
summary = graph.summary()
print(summary)
warnings = rbacgraph.to_pandas(graph.warnings)
warnings[["object", "field", "message"]]

# %% [markdown]
# ## Can the CI deployer create pods in kube-system?
#
# A `Decision` is truthy when allowed and carries every reason: subject →
# binding → role → rule, with the file each comes from.

# %%
deployer = "system:serviceaccount:ci:deployer"
decision = graph.can_i(deployer, "create", "pods", namespace="kube-system")
print(decision.explain())
decision.to_pandas()[["binding_kind", "binding_name", "role_name", "rule_index", "rule"]]

# %% [markdown]
# ## Who can read secrets in `shop`?
#
# One row per subject-grant. `Group system:authenticated` is planted
# mistake 3 (everyone), `ServiceAccount shop/default` mistake 1.

# %%
who = graph.who_can("get", "secrets", namespace="shop")
secrets_readers = who.to_pandas()
secrets_readers[["subject_kind", "subject_name", "subject_namespace", "binding_name", "role_name"]]

# %% [markdown]
# With `expand=True` rbacgraph lists concrete principals — every known
# service account and user — and the bound subject each one is granted
# through.

# %%
everyone = graph.who_can("list", "secrets", namespace="payments", expand=True).to_pandas()
everyone.groupby("via")["subject_name"].count().sort_values(ascending=False)

# %% [markdown]
# ## A permission matrix
#
# Ask many questions and pivot the answers: which service accounts may
# create pods (and so run as any service account) in which namespace?

# %%
service_accounts = sorted(
    {
        f"system:serviceaccount:{s.namespace}:{s.name}"
        for s in graph.who_can("get", "pods", all_namespaces=True, expand=True)
        if s.kind == "ServiceAccount"
    }
)
namespaces = ["shop", "payments", "analytics", "kube-system"]
matrix = pd.DataFrame(
    [
        {
            "service_account": sa.rsplit(":", 2)[-2] + "/" + sa.rsplit(":", 1)[-1],
            "namespace": ns,
            "create pods": graph.can_i(sa, "create", "pods", namespace=ns).allowed,
        }
        for sa in service_accounts
        for ns in namespaces
    ]
).pivot(index="service_account", columns="namespace", values="create pods")
matrix[matrix.any(axis=1)]

# %% [markdown]
# ## Why not? Near misses
#
# Developers were meant to exec into payment pods. They cannot: `pods/*` is
# not a wildcard (planted mistake 4). The near misses say so, and name the
# RoleBindings that would allow it in other namespaces.

# %%
denied = graph.can_i(
    "alice@example.com", "create", "pods", groups=["dev-team"],
    namespace="payments", subresource="exec",
)
rbacgraph.to_pandas(denied.why_not)[["reason", "binding_name", "role_name", "message"]]

# %% [markdown]
# ## What can alice do in `shop`? (`kubectl auth can-i --list`)

# %%
rules = graph.rules_for("alice@example.com", namespace="shop").to_pandas()
rules.explode("verbs").groupby("role_name")["verbs"].nunique()

# %% [markdown]
# ## Escalation paths
#
# Who can become root on a node, and how? And everything the `shop/default`
# service account (planted mistake 1) can reach.

# %%
root = graph.who_reaches("nodes")
print(root)
radius = graph.blast_radius("system:serviceaccount:shop:default", max_depth=2)
steps = radius.to_pandas()
steps[steps["step"] == steps["length"]][["end", "length", "technique", "title"]]  # last steps

# %% [markdown]
# ## What changes with the next release?
#
# `examples/clusters/demo-next` is the same cluster after a round of fixes
# (and one new mistake). `diff` compares effective permissions, not YAML:
# one row per principal, change and rule, with the objects that cause it.

# %%
next_release = rbacgraph.load(DEMO.parent / "demo-next")
diff = graph.diff(next_release)
print(f"{diff.summary.principals} principals changed; "
      f"{diff.summary.gained_paths} new path(s) to cluster-admin")
diff.to_pandas()[["principal_kind", "principal_name", "change", "namespace", "rule"]].head(8)

# %% [markdown]
# ## Granted versus used, from an audit log
#
# Replaying `examples/audit/demo-audit.log` against the cluster: which
# granted rules were used, and the least roles that would do.

# %%
AUDIT = DEMO.parent.parent / "audit" / "demo-audit.log"
usage = graph.usage(AUDIT)
print(usage)
grants = usage.to_pandas()
grants.groupby("principal_name")["uses"].agg(granted="size", used=lambda u: int((u > 0).sum()))

# %% [markdown]
# ## The graph itself, in networkx
#
# Nodes are subjects, bindings, roles, rules and workloads; edges are typed
# (`subjectOf`, `roleRef`, `rule`, `aggregatedInto`, `runsAs`, `escalation`).
# Everything upstream of the secret-reading role is who holds it.

# %%
import networkx as nx  # noqa: E402

g = graph.to_networkx()
holders = sorted(
    n for n in nx.ancestors(g, "ClusterRole:support-secret-reader")
    if g.nodes[n]["kind"] in ("User", "Group", "ServiceAccount")
)
print(f"{g.number_of_nodes()} nodes, {g.number_of_edges()} edges; support-secret-reader held by {holders}")

# %% [markdown]
# ## Sanity checks
#
# The answers the demo's README promises (this notebook runs in the test
# suite).

# %%
assert decision.allowed
assert [str(s) for s in who][-1] == "ServiceAccount shop/default"
assert not denied and any("`pods/*` is not a wildcard" in m.message for m in denied.why_not)
assert len(graph.warnings) == 3
assert holders == ["Group:system:authenticated"]
assert diff and usage[0].user == "alice@example.com"
print("all checks passed")
