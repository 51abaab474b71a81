// paths() against `rbacgraph paths -o json`: from an identity, every
// principal that reaches a target (--all), and a blast radius.
import assert from "node:assert/strict";
import { describe, test } from "node:test";

import { cli, cliJson, loadFixture, value, wasm } from "./support.mjs";

function identityArgs(q) {
  return q.user ? ["--as", q.user, ...(q.groups ?? []).flatMap((g) => ["--as-group", g])] : [];
}

function pathsArgs(q) {
  const args = ["paths", ...identityArgs(q)];
  if (q.all) args.push("--all");
  if (q.blastRadius) args.push("--blast-radius");
  if (q.to) args.push("--to", q.to);
  if (q.maxDepth !== undefined) args.push("--max-depth", String(q.maxDepth));
  if (q.assumeLegacyTokens) args.push("--assume-legacy-tokens");
  return args;
}

for (const fixture of ["examples/clusters/demo", "tests/fixtures/real-world/kubernetes-goat"]) {
  describe(fixture, () => {
    const g = loadFixture(fixture);
    const sas = g
      .subjects()
      .filter((s) => s.kind === "ServiceAccount")
      .slice(0, 4)
      .map((s) => `system:serviceaccount:${s.namespace}:${s.name}`);

    test("paths() equals `paths -o json`", () => {
      const queries = [
        { all: true },
        { all: true, to: "nodes" },
        { all: true, to: "group:system:masters", maxDepth: 3 },
        ...sas.map((user) => ({ user })),
        ...sas.slice(0, 2).map((user) => ({ user, blastRadius: true })),
        { user: "someone@example.com", groups: ["dev-team"], to: "nodes", assumeLegacyTokens: true },
      ];
      for (const q of queries) {
        const args = pathsArgs(q);
        assert.deepEqual(value(g.paths(q)), cliJson(fixture, args), args.join(" "));
      }
      assert.equal(wasm.lastPanic(), "");
    });

    test("techniques() names every technique a path uses, with the CLI's titles", () => {
      const list = wasm.techniques();
      assert.equal(new Set(list.map((t) => t.id)).size, list.length);
      const titles = new Map(list.map((t) => [t.id, t.title]));
      for (const user of sas.slice(0, 2)) {
        const doc = value(g.paths({ user, blastRadius: true }));
        const table = cli(["-f", fixture, "paths", "--as", user, "--to", "nodes"]).stdout;
        for (const step of doc.paths.flatMap((p) => p.steps)) assert.ok(titles.get(step.technique), step.technique);
        for (const step of value(g.paths({ user, to: "nodes" })).paths.flatMap((p) => p.steps)) {
          assert.ok(table.includes(`${step.technique} ${titles.get(step.technique)}`), `${step.technique} in the CLI's table`);
        }
      }
    });

    test("paths() rejects a query that names no start", () => {
      const none = g.paths({ to: "cluster-admin" });
      assert.equal(none.ok, false);
      assert.deepEqual([none.error.kind, none.error.field], ["query", "user"]);
      const both = g.paths({ user: "a", all: true });
      assert.equal(both.ok, false);
      assert.equal(both.error.field, "all");
      const bad = g.paths({ all: true, to: "" });
      assert.equal(bad.ok, false);
      assert.deepEqual([bad.error.kind, bad.error.field], ["invalid", "to"]);
    });
  });
}
