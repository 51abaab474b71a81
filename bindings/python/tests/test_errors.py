"""`rbacgraph.errors`: the typed hierarchy and how the core's errors map onto it."""

from __future__ import annotations

import pickle

import pytest

import rbacgraph

BROKEN = """
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: fine}
rules: []
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: broken, namespace: web}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role}
subjects: [{kind: User, name: jane}]
"""


def test_hierarchy() -> None:
    assert issubclass(rbacgraph.LoadError, rbacgraph.RbacGraphError)
    assert issubclass(rbacgraph.QueryError, rbacgraph.RbacGraphError)
    assert issubclass(rbacgraph.UnknownResourceError, rbacgraph.QueryError)
    assert issubclass(rbacgraph.RbacGraphError, Exception)


def test_strict_load_error_is_located() -> None:
    with pytest.raises(rbacgraph.LoadError) as info:
        rbacgraph.Graph.from_yaml(BROKEN, strict=True, label="broken.yaml")
    e = info.value
    assert (e.file, e.document, e.line) == ("broken.yaml", 1, 6)
    assert e.object == "RoleBinding web/broken"
    assert e.field == "roleRef.name"
    assert len(e.diagnostics) == 1 and e.diagnostics[0]["severity"] == "error"
    assert str(e).startswith("1 problem(s) in the input (strict mode); first: error: broken.yaml")
    # Without strict the same input loads, with the problem as a warning.
    graph = rbacgraph.Graph.from_yaml(BROKEN, label="broken.yaml")
    assert [w.to_dict() for w in graph.warnings] == e.diagnostics


def test_strict_load_error_from_files(tmp_path: object) -> None:
    import pathlib

    assert isinstance(tmp_path, pathlib.Path)
    (tmp_path / "a.yaml").write_text(BROKEN)
    with pytest.raises(rbacgraph.LoadError) as info:
        rbacgraph.load(tmp_path, strict=True)
    assert info.value.file == str(tmp_path / "a.yaml")


def test_unreadable_path() -> None:
    with pytest.raises(rbacgraph.LoadError) as info:
        rbacgraph.load("no/such/dir")
    assert info.value.file == "no/such/dir"
    assert info.value.document is None
    assert "cannot read `no/such/dir`" in str(info.value)


def test_unknown_resource_has_suggestions(demo: rbacgraph.Graph) -> None:
    with pytest.raises(rbacgraph.UnknownResourceError) as info:
        demo.can_i("alice", "get", "deploymentz")
    e = info.value
    assert (e.what, e.value) == ("resource", "deploymentz")
    assert e.suggestions == ["deployments.apps"]
    assert "did you mean `deployments.apps`?" in str(e)
    with pytest.raises(rbacgraph.QueryError):
        demo.who_can("get", "widgets")


@pytest.mark.parametrize(
    "call,what",
    [
        (lambda g: g.can_i("alice", "", "pods"), "verb"),
        (lambda g: g.can_i("alice", "get", "pods/a/b"), "target"),
        (lambda g: g.who_can("get", "/metrics", subresource="x"), "target"),
        (lambda g: g.who_can("get", "", namespace="shop"), "resource"),
        (lambda g: g.paths("alice", to=""), "target"),
        (lambda g: g.to_networkx(around="nosuchkind/x"), "--around"),
    ],
    ids=["empty verb", "two slashes", "URL with subresource", "empty resource",
         "empty path target", "unknown --around"],
)
def test_core_query_errors(demo: rbacgraph.Graph, call: object, what: str) -> None:
    with pytest.raises(rbacgraph.QueryError) as info:
        call(demo)  # type: ignore[operator]
    assert info.value.what == what
    assert not isinstance(info.value, rbacgraph.UnknownResourceError)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"resource": "pods/x", "name": "y"},
        {"resource": "deployments.apps", "api_group": "apps"},
        {"resource": "/metrics", "name": "x"},
        {"resource": "/metrics", "api_group": ""},
    ],
)
def test_keyword_conflicts_are_query_errors(demo: rbacgraph.Graph, kwargs: dict) -> None:
    with pytest.raises(rbacgraph.QueryError) as info:
        demo.can_i("alice", "get", **kwargs)
    assert info.value.what == "target"


def test_wrong_types_are_type_errors(demo: rbacgraph.Graph) -> None:
    with pytest.raises(TypeError):
        demo.can_i("alice", "get", 3)  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        demo.can_i(None, "get", "pods")  # type: ignore[arg-type]
    with pytest.raises(TypeError):
        demo.can_i("alice", "get", "pods", groups=[1])  # type: ignore[list-item]


def test_errors_pickle() -> None:
    errors = [
        rbacgraph.LoadError("m", file="f", document=1, line=2, object="o", field="x",
                            diagnostics=[{"message": "m"}]),
        rbacgraph.QueryError("m", what="target", value="v"),
        rbacgraph.UnknownResourceError("m", value="v", suggestions=["a.b"]),
        rbacgraph.RbacGraphError("m"),
    ]
    for e in errors:
        again = pickle.loads(pickle.dumps(e))
        assert type(again) is type(e) and str(again) == str(e)
        assert again.__dict__ == e.__dict__
