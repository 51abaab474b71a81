// check() and checkAgainst() against `rbacgraph check --policy`: the
// CheckReport document (`-o json`), JUnit (`-o junit`) and SARIF (`-o
// sarif`) for the demo policies, with and without a changed snapshot
// (`--against`), and policy problems as data naming the field.
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, test } from "node:test";

import { cli, loadFixture, manifestFiles, root, value, wasm } from "./support.mjs";

const DEMO = "examples/clusters/demo";
const POLICIES = ["examples/policies/demo-fails.yaml", "examples/policies/demo-passes.yaml"];
const policyFile = (name) => ({ name, text: readFileSync(join(root, name), "utf8") });

const dir = mkdtempSync(join(tmpdir(), "rbacgraph-wasm-check-"));
/** Writes a file the CLI reads; its path is the name sources show. */
function tempFile(name, text) {
  const path = join(dir, name);
  writeFileSync(path, text);
  return { name: path, text };
}

// The changed snapshot: the demo plus one binding that makes shop/cart a
// cluster admin, loaded as `--against DEMO --against cart-admin.yaml` loads it.
const cartAdmin = tempFile(
  "cart-admin.yaml",
  `apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: cart-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: cart, namespace: shop}]
`,
);
const current = loadFixture(DEMO);
const changed = value(wasm.RbacGraph.load([...manifestFiles(DEMO), cartAdmin]));
const AGAINST = ["--against", DEMO, "--against", cartAdmin.name];

/** `rbacgraph -f DEMO -o FORMAT check --policy …`: its exit status and output. */
function cliCheck(format, policies, extra = []) {
  const args = ["-f", DEMO, "-o", format, "check", ...policies.flatMap((p) => ["--policy", p.name]), ...extra];
  const r = cli(args);
  assert.ok(r.status === 0 || r.status === 1, `${args.join(" ")}: exit ${r.status}: ${r.stderr}`);
  return { status: r.status, out: format === "junit" ? r.stdout : JSON.parse(r.stdout) };
}

/** Whether the CLI's exit status says the check fails. */
const fails = (doc) => (doc.summary.introduced ?? doc.summary.failed) > 0;

for (const name of POLICIES) {
  describe(name, () => {
    const files = [policyFile(name)];

    test("check() equals `check -o json`", () => {
      const doc = value(current.check({ policy: files }));
      const expected = cliCheck("json", files);
      assert.deepEqual(doc, expected.out);
      assert.equal(doc.kind, "CheckReport");
      assert.equal(fails(doc), expected.status === 1);
      // The default format is JSON; one text is named policy.yaml.
      assert.deepEqual(value(current.check({ policy: files, format: "json" })), doc);
      const unnamed = value(current.check({ policy: files[0].text }));
      assert.ok(unnamed.results.every((r) => r.source.file === "policy.yaml"));
      assert.deepEqual(
        unnamed.results.map((r) => r.violations),
        doc.results.map((r) => r.violations),
      );
    });

    test("checkAgainst() equals `check --against -o json`", () => {
      const doc = value(current.checkAgainst(changed, { policy: files }));
      const expected = cliCheck("json", files, AGAINST);
      assert.deepEqual(doc, expected.out);
      assert.equal(fails(doc), expected.status === 1);
      // The new binding is a violation the change introduces, in both policies.
      const introduced = doc.results.flatMap((r) => r.violations.filter((v) => v.introduced).map((v) => v.key));
      assert.ok(introduced.includes("ServiceAccount shop/cart"), introduced.join(", "));
      assert.ok(doc.results.every((r) => Array.isArray(r.resolved)));
    });

    test("JUnit and SARIF equal `-o junit` and `-o sarif`", () => {
      assert.equal(value(current.check({ policy: files, format: "junit" })), cliCheck("junit", files).out);
      assert.equal(
        value(current.checkAgainst(changed, { policy: files, format: "junit" })),
        cliCheck("junit", files, AGAINST).out,
      );
      assert.deepEqual(value(current.check({ policy: files, format: "sarif" })), cliCheck("sarif", files).out);
      assert.deepEqual(
        value(current.checkAgainst(changed, { policy: files, format: "sarif" })),
        cliCheck("sarif", files, AGAINST).out,
      );
    });
  });
}

test("the demo's failing policy fails on every kind of assertion, with evidence", () => {
  const doc = value(current.check({ policy: [policyFile(POLICIES[0])] }));
  assert.deepEqual(
    doc.results.map((r) => [r.kind, r.passed]),
    [
      ["whoCan", false],
      ["canI", false],
      ["paths", false],
      ["canI", false],
      ["audit", false],
    ],
  );
  const [who, canNot, paths, can, audit] = doc.results.map((r) => r.violations);
  assert.ok(who.every((v) => v.grants.length > 0 && v.grants.every((g) => g.binding.source && g.rules.length > 0)));
  assert.ok(canNot[0].reasons.length > 0);
  assert.ok(can[0].nearMisses.length > 0);
  assert.ok(paths[0].steps.length > 0 && paths[0].source);
  assert.ok(audit.every((v) => v.fix.severity === "critical" && v.fix.controls.some((c) => c.startsWith("CIS-5.1."))));
  assert.equal(doc.summary.violations, doc.results.reduce((n, r) => n + r.violations.length, 0));
});

test("several policy files in order, and warnings, as several --policy", () => {
  const typo = tempFile(
    "typo.yaml",
    `apiVersion: rbacgraph/v1
kind: Policy
metadata: {name: typos}
assertions:
- name: nobody reads secrets in a namespace that does not exist
  whoCan: {verb: get, resource: secrets, namespace: shpo}
  allowOnly: [{kind: User, name: nobody-at-all}]
- name: no path from a namespace that does not exist
  paths: {from: {kind: ServiceAccount, namespace: nowhere}}
`,
  );
  const files = [policyFile(POLICIES[1]), typo];
  const doc = value(current.check({ policy: files }));
  assert.deepEqual(doc, cliCheck("json", files).out);
  assert.deepEqual(doc.warnings.map((w) => [w.source.file, w.field]).sort(), [
    [typo.name, "assertions[0].allowOnly[0]"],
    [typo.name, "assertions[0].whoCan.namespace"],
    [typo.name, "assertions[1].paths.from"],
  ]);
  assert.equal(doc.results.length, 8);
});

/** The CLI's problem lines for policies it cannot use (exit 2). */
function cliProblems(files) {
  const r = cli(["-f", DEMO, "-o", "json", "check", ...files.flatMap((f) => ["--policy", f.name])]);
  assert.equal(r.status, 2, r.stderr);
  return r.stderr.split("\n").filter((l) => l.startsWith("error: ") && !l.includes("problem(s) in the policy"));
}

/** A diagnostic as the CLI prints it. */
function printed(d) {
  const where = `${d.source.file}:${d.source.line} (document ${d.source.document})`;
  return `error: ${where}${d.object ? `: ${d.object}` : ""}${d.field ? `: field \`${d.field}\`` : ""}: ${d.message}`;
}

test("a policy that cannot be used is data naming every file, document and field", () => {
  const misspelt = tempFile(
    "misspelt.yaml",
    `apiVersion: rbacgraph/v1
kind: Policy
metadata: {name: first}
assertions: [{name: x, whoCan: {verb: get, resource: pods}, allowOnly: []}]
---
apiVersion: rbacgraph/v1
kind: Policy
metadata: {name: p}
assertions: [{name: x, whoCan: {verb: get, resorce: pods}, allowOnly: []}]
`,
  );
  const noKind = tempFile(
    "no-kind.yaml",
    `apiVersion: rbacgraph/v1
kind: Policy
metadata: {name: q}
assertions: [{name: without a kind, expect: "yes"}]
`,
  );
  const files = [misspelt, noKind];
  const r = current.check({ policy: files });
  assert.equal(r.ok, false);
  const { error } = r;
  assert.equal(error.kind, "policy");
  assert.deepEqual([error.file, error.document, error.field], [misspelt.name, 1, "assertions[0].whoCan.resorce"]);
  assert.match(error.message, /resorce/);
  assert.deepEqual(
    error.diagnostics.map((d) => [d.source.file, d.source.document, d.field]),
    [
      [misspelt.name, 1, "assertions[0].whoCan.resorce"],
      [noKind.name, 0, "assertions[0]"],
    ],
  );
  assert.match(error.diagnostics[1].message, /needs one of `whoCan`/);
  assert.deepEqual(error.diagnostics.map(printed), cliProblems(files));
  // checkAgainst() reads the policies first, the same way.
  assert.deepEqual(current.checkAgainst(changed, { policy: files }).error, error);
});

test("an unknown resource in an assertion names its field, as the CLI does", () => {
  const unknown = tempFile(
    "unknown.yaml",
    `apiVersion: rbacgraph/v1
kind: Policy
metadata: {name: u}
assertions:
- name: nobody reads widgets
  whoCan: {verb: get, resource: secrts, namespace: shop}
  allowOnly: []
`,
  );
  const r = current.check({ policy: [unknown] });
  assert.equal(r.ok, false);
  assert.equal(r.error.kind, "policy");
  assert.equal(r.error.field, "assertions[0].whoCan.resource");
  assert.match(r.error.diagnostics[0].message, /secrts/);
  assert.deepEqual(r.error.diagnostics.map(printed), cliProblems([unknown]));
});

test("check() query errors are data", () => {
  let r = current.check({ policy: [{ name: "p.yaml" }] });
  assert.deepEqual([r.ok, r.error.kind, r.error.field], [false, "query", "policy[0]"]);
  r = current.check({ policy: 3 });
  assert.deepEqual([r.ok, r.error.kind, r.error.field], [false, "query", "policy"]);
  r = current.check({ policy: "", format: "xml" });
  assert.deepEqual([r.ok, r.error.kind, r.error.field], [false, "query", "format"]);
  r = current.check({ policy: "", eks: true, against: changed });
  assert.deepEqual([r.ok, r.error.kind, r.error.field], [false, "query", "against"]);
  r = current.check({ policy: "" });
  assert.deepEqual([r.ok, r.error.kind], [false, "policy"]);
  // A graph argument is checked by the generated glue, which throws (as
  // for a freed graph); the module stays usable.
  assert.throws(() => current.checkAgainst(undefined, { policy: "" }), /expected instance of RbacGraph/);
  assert.equal(value(current.checkAgainst(changed, { policy: [policyFile(POLICIES[1])] })).kind, "CheckReport");
  assert.match(r.error.diagnostics[0].message, /no policy document/);
  assert.equal(wasm.lastPanic(), "");
});

test("path options reach the paths and audit assertions", () => {
  const files = [policyFile(POLICIES[0])];
  const doc = value(current.check({ policy: files, assumeLegacyTokens: true, eks: true }));
  assert.deepEqual(doc, cliCheck("json", files, ["--assume-legacy-tokens", "--eks"]).out);
});
