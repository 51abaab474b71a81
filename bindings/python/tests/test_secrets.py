"""Secret hygiene in the Python bindings: the dump of tests/fixtures/secrets
(Secrets with data/stringData, a token Secret, aws-auth and token-like
ConfigMaps, Pod env values, audit-log bodies, and broken documents whose
error messages would quote them). No result, repr, dict, exception or
diagnostic may contain a planted value."""

from __future__ import annotations

import json
import pickle
from typing import Any

import pytest

import rbacgraph

FIXTURE = "tests/fixtures/secrets"
AUDIT_LOG = "tests/fixtures/secrets/audit.log"
# "PLANTED" and its base64 form at each alignment.
MARKERS = ("PLANTED", "UExBTlRF", "QU5URU", "TEFOVEVE")


def _text(result: Any) -> str:
    parts = [repr(result), str(result)]
    to_dict = getattr(result, "to_dict", None)
    if callable(to_dict):
        parts.append(json.dumps(to_dict(), default=str))
    return "\n".join(parts)


def assert_clean(what: str, result: Any) -> None:
    text = _text(result)
    for marker in MARKERS:
        assert marker not in text, f"{what} leaks {marker}"


def test_fixture_holds_the_planted_values() -> None:
    with open(f"{FIXTURE}/dump.yaml", encoding="utf-8") as f:
        text = f.read()
    assert "PLANTED" in text and "UExBTlRF" in text


def test_no_result_holds_a_planted_value() -> None:
    g = rbacgraph.load(FIXTURE)
    web = "system:serviceaccount:shop:web"
    results = {
        "graph": g,
        "warnings": g.warnings,
        "summary": g.summary(),
        "stats": g.stats(),
        "can_i": g.can_i(web, "get", "secrets", namespace="shop", name="db"),
        "who_can": g.who_can("get", "secrets", namespace="shop", expand=True),
        "who_can_all": g.who_can("update", "configmaps", all_namespaces=True, name="aws-auth"),
        "rules_for": g.rules_for(web, namespace="shop"),
        "paths": g.paths(web, eks=True, assume_legacy_tokens=True),
        "blast_radius": g.blast_radius(web, eks=True),
        "who_reaches": g.who_reaches("nodes"),
        "audit": g.audit(),
        "usage": g.usage(AUDIT_LOG, include_denied=True),
        "diff": g.diff(rbacgraph.load("tests/fixtures/cli/cluster.yaml")),
    }
    for what, result in results.items():
        assert_clean(what, result)
        if what != "graph":
            assert_clean(f"pickled {what}", pickle.dumps(result))
    assert any("Secret shop/broken" in str(w) for w in g.warnings)


def test_errors_hold_no_planted_value() -> None:
    with pytest.raises(rbacgraph.LoadError) as info:
        rbacgraph.load(FIXTURE, strict=True)
    assert_clean("strict LoadError", info.value)
    assert_clean("strict LoadError diagnostics", info.value.diagnostics)
    with open(f"{FIXTURE}/dump.yaml", encoding="utf-8") as f:
        text = f.read()
    with pytest.raises(rbacgraph.LoadError) as info:
        rbacgraph.Graph.from_yaml(text, strict=True, label="dump.yaml")
    assert_clean("from_yaml LoadError", info.value)
