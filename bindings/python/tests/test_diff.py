"""`Graph.diff` and `rbacgraph.diff`: effective-permission changes between two
snapshots, as `rbacgraph diff` reports them."""

from __future__ import annotations

import pickle

import pytest

import rbacgraph
from conftest import DEMO, Cli

NEXT = "examples/clusters/demo-next"


@pytest.fixture(scope="module")
def diff(demo: rbacgraph.Graph) -> rbacgraph.PermissionDiff:
    return demo.diff(rbacgraph.load(NEXT))


def test_diff_matches_cli(diff: rbacgraph.PermissionDiff, cli: Cli) -> None:
    expected = cli("-f", DEMO, "diff", "--against", NEXT, expect_kind="PermissionDiff")
    assert diff.to_dict() == expected


def test_diff_options_match_cli(demo: rbacgraph.Graph, cli: Cli) -> None:
    new = rbacgraph.load(NEXT)
    no_paths = demo.diff(new, escalation_paths=False)
    assert no_paths.escalation is None
    expected = cli("-f", DEMO, "diff", "--against", NEXT, "--no-paths",
                   expect_kind="PermissionDiff")
    assert no_paths.to_dict() == expected
    shallow = demo.diff(new, max_depth=1, assume_legacy_tokens=True)
    expected = cli("-f", DEMO, "diff", "--against", NEXT, "--max-depth", "1",
                   "--assume-legacy-tokens", expect_kind="PermissionDiff")
    assert shallow.to_dict() == expected


def test_diff_is_typed(diff: rbacgraph.PermissionDiff) -> None:
    assert diff and len(diff) == diff.summary.principals == 6
    support = diff[0]
    assert isinstance(support, rbacgraph.PrincipalDiff)
    assert str(support.principal) == "Group support"
    (change,) = support.added
    assert isinstance(change, rbacgraph.RuleChange) and change.namespace is None
    assert change.rules[0].resources == ("secrets",)
    (cause,) = change.causes
    assert isinstance(cause, rbacgraph.Cause)
    assert (str(cause.binding.object), cause.binding.change) == (
        "ClusterRoleBinding support-secret-reader", "modified")
    alice = next(p for p in diff if p.principal.name == "alice@example.com")
    assert [str(a) for a in alice.added[0].causes[0].aggregated_from] == [
        "ClusterRole oncall-impersonator (added)"]
    assert diff.escalation is not None
    assert diff.summary.gained_paths == len(diff.escalation.gained) == 1
    (shorter,) = diff.escalation.shortened
    assert isinstance(shorter, rbacgraph.ShorterPath)
    assert str(shorter.path.source) == "User alice@example.com"
    assert (len(shorter.path.steps), shorter.previous_steps) == (1, 4)
    assert diff.errors == ("old: RoleBinding ci/cache-warmer: Role `cache-writter` not found",)


def test_no_change_is_falsy(demo: rbacgraph.Graph) -> None:
    same = demo.diff(rbacgraph.load(DEMO))
    assert not same and len(same) == 0
    assert same.summary.principals == 0 and same.escalation is not None


def test_diff_table_one_row_per_rule(diff: rbacgraph.PermissionDiff) -> None:
    pytest.importorskip("pandas")
    df = diff.to_pandas()
    assert list(df.columns) == ["principal_kind", "principal_name", "principal_namespace",
                                "change", "namespace", "rule", "causes"]
    assert len(df) == sum(len(c.rules) for p in diff for c in p.added + p.removed)
    assert set(df["change"]) == {"added", "removed"}
    assert rbacgraph.to_pandas(diff).equals(df)


def test_diff_repr_html_pickle(diff: rbacgraph.PermissionDiff) -> None:
    assert repr(diff).startswith("PermissionDiff(6 principals")
    assert "+ cluster-wide" in repr(diff)
    assert diff._repr_html_().startswith('<table class="rbacgraph">')
    assert pickle.loads(pickle.dumps(diff)) == diff


def test_diff_takes_a_graph(demo: rbacgraph.Graph) -> None:
    with pytest.raises(TypeError):
        demo.diff(NEXT)  # type: ignore[arg-type]
