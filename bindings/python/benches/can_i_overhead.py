"""Per-call cost of ``Graph.can_i`` through Python, split into its parts.

Run from the repository root after ``pip install ./bindings/python`` (a
release build): ``python bindings/python/benches/can_i_overhead.py``.

Prints, per question, microseconds per call for:

- ``native``: the native method alone (identity + TARGET parsing + the core's
  ``authorize`` + the DTO turned into Python dicts by pythonize);
- ``wrap``: building the ``Decision`` view over that dict;
- ``can_i``: the whole public call (what a loop checking ``.allowed`` pays);
- ``typed``: ``can_i`` plus building every typed reason and near miss
  (``.reasons``, ``.why_not``), which happens on first access.

The core's own time for the same questions (``Identity::authenticated`` +
``target::parse`` + ``RbacGraph::authorize``) is measured in Rust; see the
report of issue 6 for the numbers on the demo cluster. Not a test: no
thresholds.
"""

from __future__ import annotations

import timeit

import rbacgraph
from rbacgraph.results import Decision

QUESTIONS = [
    ("system:serviceaccount:ci:deployer", (), "create", "pods", None, "kube-system"),
    ("alice@example.com", ("dev-team",), "create", "pods", "exec", "payments"),
]


def per_call_us(stmt: object, number: int) -> float:
    best = min(timeit.repeat(stmt, number=number, repeat=5))  # type: ignore[arg-type]
    return best / number * 1e6


def _typed(decision: Decision) -> int:
    return len(decision.reasons) + len(decision.why_not)


def main() -> None:
    graph = rbacgraph.load("examples/clusters/demo")
    native = graph._native
    for user, groups, verb, resource, sub, ns in QUESTIONS:
        dto = native.can_i(user, list(groups), verb, resource, sub, ns)
        n = 20_000
        t_native = per_call_us(
            lambda: native.can_i(user, list(groups), verb, resource, sub, ns), n
        )
        t_wrap = per_call_us(lambda: Decision.from_dict(dto), n)
        t_all = per_call_us(
            lambda: graph.can_i(user, verb, resource, groups=groups, subresource=sub,
                                namespace=ns),
            n,
        )
        t_typed = per_call_us(
            lambda: _typed(graph.can_i(user, verb, resource, groups=groups, subresource=sub,
                                       namespace=ns)),
            n,
        )
        print(
            f"{user} {verb} {resource} sub={sub} -n {ns}: native {t_native:.2f} us, "
            f"wrap {t_wrap:.2f} us, can_i {t_all:.2f} us, typed {t_typed:.2f} us "
            f"(allowed={dto['allowed']}, {len(dto['reasons'])} reasons, "
            f"{len(dto['whyNot'])} near misses)"
        )


if __name__ == "__main__":
    main()
