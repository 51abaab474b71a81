// graphView() against `rbacgraph export -o json` (the whole permission
// graph, escalation edges left out: the view draws the RBAC graph), and the
// explorer's lookups (subjects, namespaces, resourceTypes, findNodes).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { cliJson, loadFixture, value } from "./support.mjs";

/** The neighbourhood within `depth` of `center` in the CLI's export. */
function expected(exported, center, depth) {
  const edges = exported.edges.filter((e) => e.kind !== "escalation");
  const adjacent = new Map();
  for (const e of edges) {
    for (const [a, b] of [[e.from, e.to], [e.to, e.from]]) {
      if (!adjacent.has(a)) adjacent.set(a, []);
      adjacent.get(a).push(b);
    }
  }
  const dist = new Map([[center, 0]]);
  const queue = [center];
  while (queue.length) {
    const v = queue.shift();
    if (dist.get(v) >= depth) continue;
    for (const u of adjacent.get(v) ?? []) {
      if (!dist.has(u)) {
        dist.set(u, dist.get(v) + 1);
        queue.push(u);
      }
    }
  }
  const nodes = exported.nodes.filter((n) => dist.has(n.id));
  return {
    dist,
    nodes,
    edges: edges.filter((e) => dist.has(e.from) && dist.has(e.to)).map((e) => `${e.from} -${e.kind}-> ${e.to}`).sort(),
  };
}

const pick = ({ id, kind, name, namespace, label }) => ({ id, kind, name, namespace, label });

for (const fixture of ["examples/clusters/demo", "tests/fixtures/real-world/kubernetes-goat"]) {
  describe(fixture, () => {
    const g = loadFixture(fixture);
    const exported = cliJson(fixture, ["export"]);
    const rbacIds = new Set(
      exported.edges.filter((e) => e.kind !== "escalation").flatMap((e) => [e.from, e.to]),
    );

    test("graphView() draws the neighbourhood `export` has, node for node and edge for edge", () => {
      const centers = exported.nodes.filter((n) => rbacIds.has(n.id)).map((n) => n.id);
      assert.ok(centers.length > 10);
      for (const center of centers) {
        for (const depth of [1, 2, 3]) {
          const view = value(g.graphView({ around: center, depth, maxNodes: 10000 }));
          const want = expected(exported, center, depth);
          assert.equal(view.center, center);
          assert.equal(view.omitted, 0);
          assert.deepEqual(
            view.nodes.map(pick).sort((a, b) => a.id.localeCompare(b.id)),
            want.nodes.map(pick).sort((a, b) => a.id.localeCompare(b.id)),
            `nodes around ${center}, depth ${depth}`,
          );
          assert.deepEqual(
            view.edges.map((e) => `${e.from} -${e.kind}-> ${e.to}`).sort(),
            want.edges,
            `edges around ${center}, depth ${depth}`,
          );
          for (const n of view.nodes) assert.equal(n.depth, want.dist.get(n.id));
        }
      }
    });

    test("graphView() caps the drawing and counts what it leaves out", () => {
      const hub = [...rbacIds].sort((a, b) => {
        const degree = (id) => exported.edges.filter((e) => e.kind !== "escalation" && (e.from === id || e.to === id)).length;
        return degree(b) - degree(a);
      })[0];
      const full = value(g.graphView({ around: hub, depth: 2, maxNodes: 10000 }));
      const capped = value(g.graphView({ around: hub, depth: 2, maxNodes: 3 }));
      assert.equal(capped.nodes.length, Math.min(3, full.nodes.length));
      // Omitted: neighbours (within depth 2) of drawn nodes nearer than 2, not drawn.
      const want = expected(exported, hub, 2);
      const drawnIds = new Set(capped.nodes.map((n) => n.id));
      const near = capped.nodes.filter((n) => n.depth < 2).map((n) => n.id);
      const left = new Set(
        exported.edges
          .filter((e) => e.kind !== "escalation")
          .flatMap((e) => [[e.from, e.to], [e.to, e.from]])
          .filter(([a, b]) => near.includes(a) && !drawnIds.has(b) && want.dist.has(b))
          .map(([, b]) => b),
      );
      assert.equal(capped.omitted, left.size);
      assert.ok(capped.omitted > 0 || full.nodes.length <= 3);
      assert.equal(capped.nodes[0].id, hub);
      const drawn = new Set(capped.nodes.map((n) => n.id));
      assert.ok(capped.edges.every((e) => drawn.has(e.from) && drawn.has(e.to)));
      const noRules = value(g.graphView({ around: hub, depth: 3, maxNodes: 10000, rules: false, workloads: false }));
      assert.ok(noRules.nodes.every((n) => ["User", "Group", "ServiceAccount", "Role", "ClusterRole", "RoleBinding", "ClusterRoleBinding"].includes(n.kind)));
    });

    test("subjects(), namespaces() and findNodes() list what `export` has", () => {
      const subjectIds = g.subjects().map((s) => (s.namespace ? `${s.kind}:${s.namespace}/${s.name}` : `${s.kind}:${s.name}`));
      const exportedSubjects = exported.nodes
        .filter((n) => ["User", "Group", "ServiceAccount"].includes(n.kind) && rbacIds.has(n.id))
        .map((n) => n.id);
      assert.deepEqual(new Set(subjectIds), new Set(exportedSubjects));
      const summary = g.summary();
      assert.equal(g.namespaces().length, summary.graph.namespaces);
      assert.deepEqual(g.namespaces(), [...g.namespaces()].sort());
      for (const n of exported.nodes.filter((n) => rbacIds.has(n.id) && n.kind !== "Rule" && !/^(Deployment|DaemonSet|StatefulSet|CronJob|Job|Pod|ReplicaSet|ReplicationController)$/.test(n.kind))) {
        const found = g.findNodes(n.name, 1000);
        assert.ok(found.some((f) => f.id === n.id), `findNodes(${n.name}) finds ${n.id}`);
      }
      assert.ok(g.findNodes("", 5).length <= 5);
    });
  });
}

test("resourceTypes() has the built-ins and the demo's CRD", () => {
  const g = loadFixture("examples/clusters/demo");
  const types = g.resourceTypes();
  const pods = types.find((t) => t.plural === "pods" && t.group === "");
  assert.deepEqual([pods.kind, pods.scope, pods.shortNames], ["Pod", "Namespaced", ["po"]]);
  const backups = types.find((t) => t.plural === "backups");
  assert.deepEqual([backups.group, backups.custom], ["example.com", true]);
  assert.equal(types.find((t) => t.plural === "nodes").scope, "Cluster");
});
