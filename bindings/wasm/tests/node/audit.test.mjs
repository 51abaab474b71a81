// audit() against `rbacgraph audit -o json`: defaults, options, suppressions
// and errors as data.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";

import { cliJson, loadFixture, value, wasm } from "./support.mjs";

const DEMO = "examples/clusters/demo";
const IGNORE = "tests/fixtures/audit/ignore.yaml";

test("audit() equals `audit -o json`", () => {
  const g = loadFixture(DEMO);
  assert.deepEqual(value(g.audit({})), cliJson(DEMO, ["audit"]));
  const ignore = readFileSync(new URL(`../../../../${IGNORE}`, import.meta.url), "utf8");
  const doc = value(g.audit({ targetVersion: "1.25", ignore, paths: false }));
  assert.deepEqual(
    doc,
    cliJson(DEMO, ["audit", "--target-version", "1.25", "--ignore", IGNORE, "--no-paths"]),
  );
  assert.equal(doc.kind, "AuditReport");
  assert.equal(doc.findings[0].id, "CIS-5.1.1");
  assert.equal(doc.suppressed.length, 1);
  assert.equal(wasm.lastPanic(), "");
});

test("audit() errors are data", () => {
  const g = loadFixture(DEMO);
  const bad = g.audit({ targetVersion: "one.thirty" });
  assert.equal(bad.ok, false);
  assert.equal(bad.error.field, "targetVersion");
  const noReason = g.audit({ ignore: "- {id: CIS-5.1.2}" });
  assert.equal(noReason.ok, false);
  assert.equal(noReason.error.field, "ignore");
  assert.equal(g.audit({ colour: "red" }).ok, false);
});
