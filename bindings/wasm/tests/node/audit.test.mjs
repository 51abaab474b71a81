// audit() against `rbacgraph audit -o json`: the ranked fixes with and
// without escalation paths, the per-control findings, options, suppressions,
// and errors as data.
import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, test } from "node:test";

import { cliJson, loadFixture, root, value, wasm } from "./support.mjs";

const DEMO = "examples/clusters/demo";
const IGNORE = "tests/fixtures/audit/ignore.yaml";
const ignoreText = readFileSync(join(root, IGNORE), "utf8");

/** The CLI's flags for an audit query. */
function auditArgs(q) {
  const args = ["audit"];
  if (q.targetVersion) args.push("--target-version", q.targetVersion);
  if (q.ignore) args.push("--ignore", IGNORE);
  if (q.paths === false) args.push("--no-paths");
  if (q.maxDepth !== undefined) args.push("--max-depth", String(q.maxDepth));
  if (q.assumeLegacyTokens) args.push("--assume-legacy-tokens");
  if (q.eks) args.push("--eks");
  if (q.findings) args.push("--by", "control");
  return args;
}

/** Every index a fix holds points into the report's evidence store. */
function assertEvidenceResolves(doc) {
  const { objects, rules, paths, steps } = doc.evidence;
  for (const fix of [...doc.fixes, ...doc.platformManaged]) {
    for (const i of fix.evidence.rules) {
      assert.ok(rules[i], `${fix.id}: rule ${i}`);
      assert.ok(objects[rules[i].role], `${fix.id}: role of rule ${i}`);
    }
    for (const i of fix.evidence.objects) assert.ok(objects[i], `${fix.id}: object ${i}`);
    if (fix.evidence.path !== undefined) {
      const p = paths[fix.evidence.path];
      assert.ok(p, `${fix.id}: path ${fix.evidence.path}`);
      assert.ok(p.steps.length > 0 && p.steps.every((s) => steps[s]), `${fix.id}: steps of its path`);
    }
  }
}

describe(DEMO, () => {
  const g = loadFixture(DEMO);
  const queries = [
    {},
    { paths: false },
    { findings: true },
    { findings: true, paths: false },
    { targetVersion: "1.25", ignore: ignoreText, paths: false },
    { targetVersion: "1.25", ignore: ignoreText, findings: true },
    { maxDepth: 3, assumeLegacyTokens: true },
  ];

  test("audit() equals `audit -o json` for every option", () => {
    for (const q of queries) {
      const args = auditArgs(q);
      assert.deepEqual(value(g.audit(q)), cliJson(DEMO, args), args.join(" "));
    }
    assert.equal(wasm.lastPanic(), "");
  });

  test("the report is ranked fixes whose evidence resolves; impact only with paths", () => {
    const doc = value(g.audit({}));
    assert.equal(doc.kind, "AuditReport");
    assert.equal(doc.reachability, "attackGraph");
    assert.deepEqual(
      doc.fixes.map((f) => f.rank),
      doc.fixes.map((_, i) => i + 1),
    );
    assert.equal(doc.summary.fixes, doc.fixes.length);
    const bySeverity = { critical: 0, high: 0, medium: 0, low: 0, info: 0 };
    for (const f of doc.fixes) bySeverity[f.severity] += 1;
    assert.deepEqual(doc.summary.bySeverity, bySeverity);
    // The demo's first fix cuts paths to cluster-admin, and lists who loses them.
    const first = doc.fixes[0];
    assert.ok(first.impact.clusterAdmin > 0);
    assert.equal(first.impact.clusterAdminPrincipals.length, first.impact.clusterAdmin);
    assert.ok(first.evidence.path !== undefined);
    assert.equal(doc.findings, undefined);
    assertEvidenceResolves(doc);

    const flat = value(g.audit({ paths: false }));
    assert.equal(flat.reachability, "permissionOnly");
    assert.ok(flat.fixes.every((f) => f.impact === undefined && f.evidence.path === undefined));
    assert.equal(flat.summary.principalsReachingClusterAdmin, undefined);
    assert.ok(flat.notes.some((n) => n.includes("not computed")), flat.notes.join("; "));
    assertEvidenceResolves(flat);
  });

  test("findings: true lists every finding, each naming fixes of the report", () => {
    const doc = value(g.audit({ findings: true, targetVersion: "1.25", ignore: ignoreText }));
    assert.equal(doc.findings.length, doc.summary.findings);
    const ids = new Set([...doc.fixes, ...doc.platformManaged].map((f) => f.id));
    for (const f of doc.findings) for (const id of f.fixes) assert.ok(ids.has(id), `${f.control}: ${id}`);
    const perControl = new Map(doc.controls.map((c) => [c.id, c.findings]));
    const counted = new Map();
    for (const f of doc.findings) counted.set(f.control, (counted.get(f.control) ?? 0) + 1);
    for (const [id, n] of counted) assert.equal(perControl.get(id), n, id);
    assert.equal(doc.suppressed.length, 1);
    assert.equal(doc.suppressed[0].reason, "the schema migration runs once, by hand");
  });
});

test("audit() errors are data", () => {
  const g = loadFixture(DEMO);
  const bad = g.audit({ targetVersion: "one.thirty" });
  assert.equal(bad.ok, false);
  assert.equal(bad.error.field, "targetVersion");
  const noReason = g.audit({ ignore: "- {id: CIS-5.1.2}" });
  assert.equal(noReason.ok, false);
  assert.equal(noReason.error.field, "ignore");
  const misspelt = g.audit({ finding: true });
  assert.equal(misspelt.ok, false);
  assert.match(misspelt.error.message, /finding/);
  const wrongType = g.audit({ findings: "yes" });
  assert.equal(wrongType.ok, false);
  assert.equal(wrongType.error.field, "findings");
});
