"""`rbacgraph._objects`: Python objects to the JSON documents the core loads."""

from __future__ import annotations

import datetime
import json
from typing import Any, Dict, List

import pytest

from rbacgraph import _objects


def docs(objects: List[Any]) -> List[Dict[str, Any]]:
    return [json.loads(line) for line in _objects.to_documents(objects).splitlines()]


def test_api_shaped_dicts_pass_unchanged() -> None:
    obj = {"apiVersion": "v1", "kind": "ServiceAccount",
           "metadata": {"name": "a_b", "labels": {"x_y": "1"}}}
    assert docs([obj]) == [obj]


def test_to_dict_output_is_renamed_except_data_keys() -> None:
    obj = {
        "api_version": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r", "labels": {"my_label": "a"}, "annotations": {"a_b": "c"},
                     "creation_timestamp": None},
        "aggregation_rule": {"cluster_role_selectors": [{"match_labels": {"k_1": "v"},
                                                         "match_expressions": None}]},
        "rules": [{"non_resource_ur_ls": ["/x"], "verbs": ["get"], "api_groups": None}],
    }
    (out,) = docs([obj])
    assert out == {
        "apiVersion": "rbac.authorization.k8s.io/v1",
        "kind": "ClusterRole",
        "metadata": {"name": "r", "labels": {"my_label": "a"}, "annotations": {"a_b": "c"}},
        "aggregationRule": {"clusterRoleSelectors": [{"matchLabels": {"k_1": "v"}}]},
        "rules": [{"nonResourceURLs": ["/x"], "verbs": ["get"]}],
    }


def test_pod_spec_acronyms() -> None:
    obj = {"api_version": "v1", "kind": "Pod", "metadata": {"name": "p"},
           "spec": {"host_pid": True, "host_ipc": False, "host_network": True,
                    "service_account_name": "sa", "node_selector": {"a_b": "c"}}}
    (out,) = docs([obj])
    assert out["spec"] == {"hostPID": True, "hostIPC": False, "hostNetwork": True,
                           "serviceAccountName": "sa", "nodeSelector": {"a_b": "c"}}


def test_dates_become_iso_strings_and_none_is_skipped() -> None:
    when = datetime.datetime(2024, 5, 6, 7, 8, 9)
    out = docs([None, {"apiVersion": "v1", "kind": "Namespace",
                       "metadata": {"name": "n", "creationTimestamp": when}}])
    assert out == [{"apiVersion": "v1", "kind": "Namespace",
                    "metadata": {"name": "n", "creationTimestamp": "2024-05-06T07:08:09"}}]


def test_one_document_per_line() -> None:
    text = _objects.to_documents([{"kind": "A"}, {"kind": "B"}])
    assert text.splitlines() == ['{"kind":"A"}', '{"kind":"B"}']
    assert _objects.to_documents([]) == ""


@pytest.mark.parametrize("bad", ["kind: Role", 3, ["a"]])
def test_non_objects_are_rejected(bad: Any) -> None:
    with pytest.raises(TypeError, match="from_objects takes Kubernetes objects"):
        _objects.to_documents([bad])
