// Every query export against the CLI's JSON on the same fixtures:
// summary, whoCan, canI, rulesFor (and accessMatrix/role through them).
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { FIXTURES, cliJson, loadFixture, value } from "./support.mjs";

/** The CLI arguments of a request query. */
function requestArgs(q) {
  const target = q.name ? `${q.resource}/${q.name}` : q.resource;
  const args = [q.verb, target];
  if (q.subresource) args.push("--subresource", q.subresource);
  if (q.allNamespaces) args.push("-A");
  else if (q.namespace !== undefined) args.push("-n", q.namespace);
  return args;
}

function identityArgs(id) {
  return ["--as", id.user, ...(id.groups ?? []).flatMap((g) => ["--as-group", g])];
}

function whoCanCases(ns) {
  return [
    { verb: "get", resource: "secrets", namespace: ns },
    { verb: "create", resource: "pods", namespace: ns },
    { verb: "create", resource: "pods", subresource: "exec", namespace: ns },
    { verb: "get", resource: "po", subresource: "log", name: "web-0", namespace: ns },
    { verb: "update", resource: "deployments.apps", name: "api", namespace: ns },
    { verb: "create", resource: "deploy", namespace: ns, expand: true },
    { verb: "escalate", resource: "roles.rbac.authorization.k8s.io", namespace: ns },
    { verb: "list", resource: "secrets", allNamespaces: true },
    { verb: "impersonate", resource: "serviceaccounts", allNamespaces: true, expand: true },
    { verb: "get", resource: "nodes", subresource: "proxy" },
    { verb: "bind", resource: "clusterroles" },
    { verb: "get", resource: "namespaces", name: ns },
    { verb: "get", resource: "/metrics" },
    { verb: "*", resource: "*.*", allNamespaces: true },
  ];
}

function canICases(ns) {
  return [
    { verb: "get", resource: "secrets", namespace: ns },
    { verb: "create", resource: "pods", namespace: ns },
    { verb: "create", resource: "pods", subresource: "exec", name: "x", namespace: ns },
    { verb: "delete", resource: "deployments.apps", name: "api", namespace: ns },
    { verb: "list", resource: "secrets", allNamespaces: true },
    { verb: "list", resource: "nodes" },
    { verb: "get", resource: "/healthz" },
  ];
}

/** A few identities that the fixture's bindings name, plus one through a group. */
function identities(g) {
  const subjects = g.subjects();
  const users = subjects.filter((s) => s.kind === "User").slice(0, 3).map((s) => ({ user: s.name }));
  const sas = subjects
    .filter((s) => s.kind === "ServiceAccount")
    .slice(0, 4)
    .map((s) => ({ user: `system:serviceaccount:${s.namespace}:${s.name}` }));
  const groups = subjects.filter((s) => s.kind === "Group" && !s.name.startsWith("system:"));
  const member = { user: "someone@example.com", groups: groups.slice(0, 2).map((s) => s.name) };
  return [...users, ...sas, member, { user: "system:anonymous" }];
}

for (const fixture of FIXTURES) {
  describe(fixture, () => {
    const g = loadFixture(fixture);
    // Every case on the demo; on the real-world fixtures one namespace and
    // fewer identities, which keeps the CLI runs to a few seconds.
    const full = fixture === FIXTURES[0];
    const namespaces = full ? [...new Set([...g.namespaces().slice(0, 2), "default"])] : g.namespaces().slice(0, 1);
    const ids = full ? identities(g) : identities(g).filter((_, i) => i % 2 === 0);

    test("summary() equals `summary -o json`", () => {
      assert.deepEqual(g.summary(), cliJson(fixture, ["summary"]));
      assert.deepEqual(g.stats(), g.summary().graph);
    });

    test("whoCan() equals `who-can -o json`", () => {
      for (const ns of namespaces) {
        for (const q of whoCanCases(ns)) {
          const args = ["who-can", ...requestArgs(q), ...(q.expand ? ["--expand"] : [])];
          assert.deepEqual(value(g.whoCan(q)), cliJson(fixture, args), args.join(" "));
        }
      }
    });

    test("canI() equals `can-i -o json`", () => {
      for (const id of ids) {
        for (const q of canICases(namespaces[0])) {
          const args = ["can-i", ...requestArgs(q), ...identityArgs(id)];
          assert.deepEqual(value(g.canI({ ...id, ...q })), cliJson(fixture, args), args.join(" "));
        }
      }
    });

    test("rulesFor() equals `can-i --list -o json`; role() gives the rules it points at", () => {
      for (const id of ids) {
        for (const ns of [...namespaces, ""]) {
          const args = ["can-i", "--list", ...identityArgs(id), "-n", ns];
          const review = value(g.rulesFor({ ...id, namespace: ns }));
          assert.deepEqual(review, cliJson(fixture, args), args.join(" "));
          for (const r of review.resourceRules) {
            const role = value(g.role({ kind: r.role.kind, name: r.role.name, namespace: r.role.namespace }));
            assert.deepEqual(role.rules[r.ruleIndex].verbs, r.verbs);
            assert.deepEqual(role.rules[r.ruleIndex].resources ?? [], r.resources);
          }
        }
      }
    });

    test("accessMatrix() agrees with canI() cell by cell", () => {
      const [id] = ids;
      for (const ns of [namespaces[0], ""]) {
        const m = value(g.accessMatrix({ ...id, namespace: ns }));
        assert.equal(m.verbs.length, 8);
        assert.ok(m.rows.some((r) => r.resource === "pods"));
        for (const row of m.rows.filter((r) => ["pods", "secrets", "deployments.apps", "nodes"].includes(r.resource))) {
          row.allowed.forEach((allowed, i) => {
            const q = { ...id, verb: m.verbs[i], resource: row.resource, namespace: ns };
            assert.equal(allowed, value(g.canI(q)).allowed, `${m.verbs[i]} ${row.resource} in "${ns}"`);
          });
        }
      }
    });
  });
}
