// Failures are data: tagged results whose errors carry a kind, the message
// the CLI prints, and the field (or file and document) at fault.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { test } from "node:test";

import { cli, cliJson, loadFixture, manifestFiles, root, value, wasm } from "./support.mjs";

const DEMO = "examples/clusters/demo";
const g = loadFixture(DEMO);

/** The message the CLI prints for a failing command (`error: MESSAGE`). */
function cliError(args) {
  const r = cli(args);
  assert.equal(r.status, 2, `${args.join(" ")} should fail`);
  const line = r.stderr.split("\n").find((l) => l.startsWith("error: "));
  assert.ok(line, r.stderr);
  return line.slice("error: ".length);
}

function error(result) {
  assert.equal(result.ok, false, `expected an error, got ${JSON.stringify(result).slice(0, 200)}`);
  assert.equal("value" in result, false);
  return result.error;
}

test("an unknown resource names the field, the suggestions and the CLI's message", () => {
  for (const resource of ["widgets", "secrts", "deploymnts"]) {
    const e = error(g.whoCan({ verb: "get", resource, namespace: "shop" }));
    assert.equal(e.kind, "unknownResource");
    assert.equal(e.field, "resource");
    assert.equal(e.name, resource);
    assert.ok(Array.isArray(e.suggestions));
    assert.equal(e.message, cliError(["-f", DEMO, "who-can", "get", resource, "-n", "shop"]));
  }
});

test("invalid targets and verbs are data with the CLI's message", () => {
  let e = error(g.whoCan({ verb: "get", resource: "pods/a/b" }));
  assert.deepEqual([e.kind, e.field, e.value], ["invalid", "resource", "pods/a/b"]);
  assert.equal(e.message, cliError(["-f", DEMO, "who-can", "get", "pods/a/b"]));

  e = error(g.canI({ user: "a", verb: "get", resource: "/x", subresource: "y" }));
  assert.deepEqual([e.kind, e.field], ["invalid", "resource"]);
  assert.equal(e.message, cliError(["-f", DEMO, "can-i", "get", "/x", "--subresource", "y", "--as", "a"]));

  e = error(g.canI({ user: "a", verb: "", resource: "pods" }));
  assert.deepEqual([e.kind, e.field, e.value], ["invalid", "verb", ""]);

  e = error(g.whoCan({ verb: "get", resource: "pods/a", name: "b" }));
  assert.deepEqual([e.kind, e.field, e.value], ["invalid", "name", "b"]);

  e = error(g.graphView({ around: "User:nobody-at-all" }));
  assert.deepEqual([e.kind, e.field], ["invalid", "around"]);

  e = error(g.role({ kind: "ClusterRole", name: "no-such-role" }));
  assert.deepEqual([e.kind, e.field], ["invalid", "name"]);
});

test("a query of the wrong shape names the field at fault", () => {
  let e = error(g.whoCan({ verb: "get", resource: "pods", namespce: "shop" }));
  assert.deepEqual([e.kind, e.field], ["query", "namespce"]);
  assert.match(e.message, /unknown field `namespce`/);

  e = error(g.canI({ user: "bob", groups: ["a", 3], verb: "get", resource: "pods" }));
  assert.deepEqual([e.kind, e.field], ["query", "groups[1]"]);

  e = error(g.canI({ verb: "get", resource: "pods" }));
  assert.equal(e.kind, "query");
  assert.match(e.message, /missing field `user`/);

  e = error(g.whoCan("get pods"));
  assert.equal(e.kind, "query");

  e = error(wasm.RbacGraph.load([{ name: "x.yaml" }]));
  assert.deepEqual([e.kind, e.field], ["query", "[0]"]);
  assert.match(e.message, /missing field `text`/);

  e = error(wasm.RbacGraph.fromYaml("kind: Role", { strictt: true }));
  assert.deepEqual([e.kind, e.field], ["query", "strictt"]);
});

test("strict mode fails with every diagnostic located by file, document and field", () => {
  const path = "tests/fixtures/cli/broken.yaml";
  const text = readFileSync(join(root, path), "utf8");
  const e = error(wasm.RbacGraph.fromYaml(text, { strict: true, name: path }));
  assert.equal(e.kind, "strict");
  assert.equal(e.file, path);
  assert.equal(e.document, 1);
  assert.equal(e.field, "roleRef.kind");
  assert.equal(e.message, cliError(["-f", path, "--strict", "summary"]));
  assert.ok(e.diagnostics.length >= 2);
  for (const d of e.diagnostics) {
    assert.equal(d.severity, "error");
    assert.equal(d.source.file, path);
    assert.equal(typeof d.source.document, "number");
  }
  // Without strict mode the same input loads, and the summary lists the problems.
  const lenient = value(wasm.RbacGraph.fromYaml(text, { name: path }));
  assert.deepEqual(lenient.summary(), cliJson(path, ["summary"]));
});

test("fromJson() reads `kubectl get -o json` output as the CLI does", () => {
  const dir = mkdtempSync(join(tmpdir(), "rbacgraph-wasm-"));
  const path = join(dir, "small.json");
  const dump = cli(["generate", "--preset", "small", "--seed", "7", "-o", "json"]);
  assert.equal(dump.status, 0, dump.stderr);
  writeFileSync(path, dump.stdout);
  const graph = value(wasm.RbacGraph.fromJson(readFileSync(path, "utf8"), { name: path }));
  assert.deepEqual(graph.summary(), cliJson(path, ["summary"]));
  const q = { verb: "get", resource: "secrets", namespace: graph.namespaces()[0] };
  assert.deepEqual(value(graph.whoCan(q)), cliJson(path, ["who-can", "get", "secrets", "-n", q.namespace]));
  assert.equal(value(wasm.RbacGraph.fromJson("{}")).summary().load.files, 1);
});

test("the default namespace option is the CLI's --default-namespace", () => {
  const files = manifestFiles("tests/fixtures/cli/cluster.yaml");
  const graph = value(wasm.RbacGraph.load(files, { defaultNamespace: "team-a" }));
  assert.deepEqual(
    graph.summary(),
    cliJson("tests/fixtures/cli/cluster.yaml", ["--default-namespace", "team-a", "summary"]),
  );
});

test("every exported method is covered by a test file", () => {
  const instance = Object.getOwnPropertyNames(wasm.RbacGraph.prototype).filter(
    (n) => !["constructor", "free", "__destroy_into_raw"].includes(n),
  );
  const statics = Object.getOwnPropertyNames(wasm.RbacGraph).filter(
    (n) => typeof wasm.RbacGraph[n] === "function" && !n.startsWith("__"),
  );
  const sources = ["queries", "errors", "view", "paths", "audit", "check"]
    .map((f) => readFileSync(new URL(`./${f}.test.mjs`, import.meta.url), "utf8"))
    .join("\n");
  for (const name of [...instance, ...statics]) {
    assert.match(sources, new RegExp(`\\.${name}\\(`), `${name} has no test`);
  }
  assert.equal(typeof wasm.version(), "string");
  assert.match(readFileSync(new URL("./paths.test.mjs", import.meta.url), "utf8"), /wasm\.techniques\(\)/);
  assert.equal(wasm.lastPanic(), "");
});
