// Secret hygiene in the wasm package: the dump of tests/fixtures/secrets
// (Secrets with data/stringData, a token Secret, aws-auth and token-like
// ConfigMaps, Pod env values, and broken documents whose error messages
// would quote them) loaded as the explorer loads dropped files; no result,
// error or diagnostic of any export may contain a planted value.
import assert from "node:assert/strict";
import { test } from "node:test";

import { manifestFiles, wasm } from "./support.mjs";

const FIXTURE = "tests/fixtures/secrets";
// "PLANTED" and its base64 form at each alignment.
const MARKERS = ["PLANTED", "UExBTlRF", "QU5URU", "TEFOVEVE"];

function assertClean(what, result) {
  const text = JSON.stringify(result);
  for (const m of MARKERS) assert.ok(!text.includes(m), `${what} leaks ${m}: ${text.slice(0, 400)}`);
}

test("the fixture holds the planted values", () => {
  const text = manifestFiles(FIXTURE).map((f) => f.text).join("\n");
  for (const m of ["PLANTED", "UExBTlRF"]) assert.ok(text.includes(m));
});

test("no export returns a planted value", () => {
  const files = manifestFiles(FIXTURE);
  const loaded = wasm.RbacGraph.load(files);
  assert.ok(loaded.ok, JSON.stringify(loaded.error));
  const g = loaded.value;
  const web = "system:serviceaccount:shop:web";
  const results = {
    summary: g.summary(),
    stats: g.stats(),
    subjects: g.subjects(),
    namespaces: g.namespaces(),
    resourceTypes: g.resourceTypes(),
    whoCan: g.whoCan({ verb: "get", resource: "secrets", namespace: "shop", expand: true }),
    whoCanAll: g.whoCan({ verb: "update", resource: "configmaps", name: "aws-auth", allNamespaces: true }),
    canI: g.canI({ user: web, verb: "get", resource: "secrets", name: "db", namespace: "shop" }),
    rulesFor: g.rulesFor({ user: web, namespace: "shop" }),
    paths: g.paths({ user: web, blastRadius: true }),
    pathsAll: g.paths({ all: true, to: "nodes" }),
    audit: g.audit({}),
    accessMatrix: g.accessMatrix({ user: web, namespace: "shop" }),
    graphView: g.graphView({ around: "ServiceAccount:shop/web" }),
    findNodes: g.findNodes("PLANTED"),
  };
  for (const [what, result] of Object.entries(results)) assertClean(what, result);
  const diagnostics = results.summary.diagnostics;
  assert.ok(diagnostics.some((d) => d.object === "Secret shop/broken"), JSON.stringify(diagnostics));
});

test("strict mode's error is clean", () => {
  const r = wasm.RbacGraph.load(manifestFiles(FIXTURE), { strict: true });
  assert.equal(r.ok, false);
  assertClean("strict error", r.error);
  for (const f of manifestFiles(FIXTURE).filter((f) => f.name.endsWith(".yaml"))) {
    const y = wasm.RbacGraph.fromYaml(f.text, { strict: true, name: f.name });
    assert.equal(y.ok, false);
    assertClean("fromYaml strict error", y.error);
  }
});
