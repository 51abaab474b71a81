// End-to-end: the explorer in real headless Chromium (Debian's chromium,
// driven by playwright-core), served by a static server on 127.0.0.1. The
// answers shown through the forms must equal the CLI's; the page must make
// no request outside its origin and never execute manifest content.
// Every wait is on a condition (locators, waitForFunction); no sleeps.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";

import { chromium } from "playwright-core";

import { cli, cliJson, cliPath, loadFixture, manifestFiles, pkgDir, root, value } from "../node/support.mjs";
import { serve } from "./server.mjs";

const CHROMIUM = process.env.CHROMIUM_PATH || "/usr/bin/chromium";
// Flags that work on these machines: no sandbox as root, and nothing that
// phones home (the closed network refuses it). Playwright adds --headless,
// and a fresh --user-data-dir comes from launchPersistentContext.
const ARGS = [
  "--no-sandbox",
  "--disable-gpu",
  "--disable-quic",
  "--no-first-run",
  "--disable-background-networking",
  "--disable-component-update",
  "--disable-sync",
];
const DEMO = "examples/clusters/demo";
const FIXTURE = "tests/fixtures/real-world/kube-prometheus/manifests";
const outDir = join(root, "target");

let server;
let profile;
let context;
const requests = [];
const foreign = [];
const problems = [];

before(async () => {
  server = await serve(join(pkgDir, "explorer"));
  profile = mkdtempSync(join(tmpdir(), "rbacgraph-chromium-"));
  context = await chromium.launchPersistentContext(profile, {
    executablePath: CHROMIUM,
    args: ARGS,
    headless: true,
    viewport: { width: 1440, height: 1000 },
  });
  context.setDefaultTimeout(15000);
  const origin = new URL(server.url).origin;
  context.on("request", (r) => requests.push(r.url()));
  // Anything outside the origin is recorded and refused (the page should not even try).
  await context.route(
    (url) => url.origin !== origin,
    (route) => {
      foreign.push(route.request().url());
      return route.abort();
    },
  );
});

after(async () => {
  await context?.close();
  await server?.close();
  if (profile) rmSync(profile, { recursive: true, force: true });
});

async function openPage() {
  const page = await context.newPage();
  page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
  page.on("console", (m) => {
    if (m.type() === "error" || m.type() === "warning") problems.push(`console ${m.type()}: ${m.text()}`);
  });
  page.on("dialog", (d) => {
    problems.push(`dialog: ${d.message()}`);
    return d.dismiss();
  });
  await page.goto(server.url);
  await page.locator("html[data-ready]").waitFor({ state: "attached" });
  return page;
}

async function loadDemo(page) {
  const started = Date.now();
  await page.getByTestId("load-demo").click();
  const total = Object.values(cliJson(DEMO, ["summary"]).load.loaded).reduce((a, b) => a + b, 0);
  await page.getByTestId("load-summary").getByText(`${total} objects`).waitFor();
  return Date.now() - started;
}

/** Fills the who-can form, runs it, and waits for this query's answer. */
async function whoCan(page, q) {
  await page.getByRole("tab", { name: "Who can" }).click();
  await page.getByTestId("whocan-verb").fill(q.verb);
  await page.getByTestId("whocan-resource").fill(q.resource);
  await page.locator("#whocan-form [name=subresource]").fill(q.subresource ?? "");
  await page.locator("#whocan-form [name=name]").fill(q.name ?? "");
  await page.getByTestId("whocan-all-namespaces").setChecked(Boolean(q.allNamespaces));
  if (!q.allNamespaces) await page.getByTestId("whocan-namespace").fill(q.namespace ?? "default");
  await page.getByTestId("whocan-run").click();
  const expected = { verb: q.verb, resource: q.resource };
  if (q.subresource) expected.subresource = q.subresource;
  if (q.name) expected.name = q.name;
  if (q.allNamespaces) expected.allNamespaces = true;
  else expected.namespace = q.namespace ?? "default";
  await page.waitForFunction((want) => document.querySelector("#whocan-result")?.dataset.query === want, JSON.stringify(expected));
  return page.getByTestId("result-row").evaluateAll((rows) =>
    rows.map((r) => {
      const cells = [...r.cells].map((c) => c.textContent.trim());
      return [cells[0], cells[1], cells[2]];
    }),
  );
}

function cliWhoCan(fixture, q) {
  const target = q.name ? `${q.resource}/${q.name}` : q.resource;
  const args = ["who-can", q.verb, target];
  if (q.subresource) args.push("--subresource", q.subresource);
  args.push(...(q.allNamespaces ? ["-A"] : ["-n", q.namespace ?? "default"]));
  return cliJson(fixture, args).subjects.map((s) => [s.kind, s.name, s.namespace ?? ""]);
}

async function canI(page, q) {
  await page.getByRole("tab", { name: "Can I" }).click();
  await page.getByTestId("cani-user").fill(q.user);
  await page.getByTestId("cani-groups").fill((q.groups ?? []).join(", "));
  await page.getByTestId("cani-verb").fill(q.verb);
  await page.getByTestId("cani-resource").fill(q.resource);
  await page.locator("#cani-form [name=subresource]").fill(q.subresource ?? "");
  await page.locator("#cani-form [name=name]").fill(q.name ?? "");
  await page.getByTestId("cani-namespace").fill(q.namespace);
  await page.getByTestId("cani-run").click();
  const expected = { user: q.user, groups: q.groups ?? [], verb: q.verb, resource: q.resource, namespace: q.namespace };
  if (q.subresource) expected.subresource = q.subresource;
  if (q.name) expected.name = q.name;
  await page.waitForFunction((want) => document.querySelector("#cani-result")?.dataset.query === want, JSON.stringify(expected));
  return page.getByTestId("cani-answer").textContent();
}

function cliCanI(fixture, q) {
  const target = q.name ? `${q.resource}/${q.name}` : q.resource;
  const args = ["can-i", q.verb, target, "-n", q.namespace, "--as", q.user, ...(q.groups ?? []).flatMap((g) => ["--as-group", g])];
  if (q.subresource) args.push("--subresource", q.subresource);
  return cliJson(fixture, args);
}

describe("the explorer", () => {
  test("loads the demo cluster and shows every kind count and every load warning", async () => {
    const page = await openPage();
    const took = await loadDemo(page);
    const summary = cliJson(DEMO, ["summary"]);
    const shown = await page.getByTestId("load-summary").textContent();
    for (const [kind, n] of Object.entries(summary.load.loaded)) assert.ok(shown.includes(`${n} ${kind}`), `${n} ${kind}`);
    assert.equal(summary.diagnostics.length, 3);
    for (const d of summary.diagnostics) {
      assert.ok(shown.includes(d.message), d.message);
      assert.ok(shown.includes(`${d.source.file}:${d.source.line}`));
    }
    const status = await page.locator("#load-status").textContent();
    console.log(`# demo load: ${took} ms from click to summary; page says: ${status}`);
    await page.close();
  });

  test("who-can through the form equals the CLI on the demo; rows sort and expand to binding → role → rule", async () => {
    const page = await openPage();
    await loadDemo(page);
    const queries = [
      { verb: "get", resource: "secrets", namespace: "shop" },
      { verb: "create", resource: "pods", namespace: "kube-system" },
      { verb: "list", resource: "secrets", allNamespaces: true },
      { verb: "get", resource: "nodes", subresource: "proxy" },
      { verb: "get", resource: "secrets", name: "payments-db", namespace: "payments" },
      { verb: "get", resource: "/metrics" },
    ];
    for (const q of queries) {
      assert.deepEqual(await whoCan(page, q), cliWhoCan(DEMO, q), JSON.stringify(q));
    }

    const q = queries[0];
    const expected = cliWhoCan(DEMO, q);
    await whoCan(page, q);
    await page.locator("#whocan-table th[data-key=name] button").click();
    const byName = await page.getByTestId("result-row").locator("td.name").allTextContents();
    assert.deepEqual(byName, expected.map((r) => r[1]).sort());
    await page.locator("#whocan-table th[data-key=name] button").click();
    assert.deepEqual(await page.getByTestId("result-row").locator("td.name").allTextContents(), expected.map((r) => r[1]).sort().reverse());

    // Expand ServiceAccount ci/deployer: its chain names the binding, the role and the rule.
    const doc = cliJson(DEMO, ["who-can", "get", "secrets", "-n", "shop"]);
    const deployer = doc.subjects.find((s) => s.name === "deployer");
    const row = page.getByTestId("result-row").filter({ hasText: "deployer" });
    await row.click();
    const detail = row.locator("xpath=following-sibling::tr[1]");
    const grant = deployer.grants[0];
    await detail.getByText(`rule ${grant.rules[0]}`).waitFor();
    await detail.locator("code").filter({ hasText: "secrets" }).first().waitFor();
    const text = await detail.textContent();
    assert.ok(text.includes(grant.binding.name) && text.includes(grant.role.name), text);
    assert.ok(text.includes(`${grant.binding.source.file}:${grant.binding.source.line}`));
    await page.screenshot({ path: join(outDir, "explorer-screenshot.png"), fullPage: true });

    // The query is in the URL fragment: a new tab with the same link and data shows the same answer.
    const link = page.url();
    assert.match(link, /#whocan\?verb=get&resource=secrets&namespace=shop$/);
    const again = await openPage();
    await again.goto(link);
    await loadDemo(again);
    await again.waitForFunction(() => document.querySelector("#whocan-result")?.dataset.query);
    assert.deepEqual(
      await again.getByTestId("result-row").locator("td.name").allTextContents(),
      expected.map((r) => r[1]),
    );
    await again.close();
    await page.close();
  });

  test("can-i through the form equals the CLI on the demo, with the explanation or the near misses", async () => {
    const page = await openPage();
    await loadDemo(page);
    const cases = [
      { user: "system:serviceaccount:ci:deployer", verb: "create", resource: "pods", namespace: "kube-system" },
      { user: "system:serviceaccount:shop:default", verb: "delete", resource: "secrets", namespace: "shop" },
      { user: "system:serviceaccount:shop:default", verb: "delete", resource: "secrets", namespace: "payments" },
      { user: "bob", groups: ["dev-team"], verb: "create", resource: "backups.example.com", namespace: "payments" },
      { user: "bob", groups: ["dev-team"], verb: "create", resource: "backups", namespace: "shop" },
      { user: "alice@example.com", verb: "get", resource: "pods", subresource: "log", name: "web-0", namespace: "shop" },
      { user: "system:anonymous", verb: "get", resource: "/healthz", namespace: "default" },
    ];
    let sawYes = false;
    let sawNo = false;
    for (const q of cases) {
      const want = cliCanI(DEMO, q);
      assert.equal(await canI(page, q), want.allowed ? "yes" : "no", JSON.stringify(q));
      const text = await page.locator("#cani-result").textContent();
      if (want.allowed) {
        sawYes = true;
        for (const r of want.reasons.filter((x) => x.type === "rule")) assert.ok(text.includes(r.binding.name), r.binding.name);
      } else {
        sawNo = true;
        for (const m of want.whyNot) assert.ok(text.includes(m.message), m.message);
      }
    }
    assert.ok(sawYes && sawNo);
    // An unknown resource is an error shown next to its field, not an answer.
    await page.getByTestId("cani-resource").fill("widgets");
    await page.getByTestId("cani-run").click();
    await page.locator("#cani-result .error-box").getByText("unknown resource type `widgets`").waitFor();
    assert.equal(await page.getByTestId("cani-resource").getAttribute("aria-invalid"), "true");
    await page.close();
  });

  test("a real-world folder loads through the folder picker and answers as the CLI does", async () => {
    const page = await openPage();
    await page.locator("#load-folder").setInputFiles(join(root, FIXTURE));
    const summary = cliJson(FIXTURE, ["summary"]);
    const total = Object.values(summary.load.loaded).reduce((a, b) => a + b, 0);
    await page.getByTestId("load-summary").getByText(`${total} objects`).waitFor();
    assert.ok((await page.getByTestId("load-summary").textContent()).includes(`from ${summary.load.files} file(s)`));
    const g = loadFixture(FIXTURE);
    const ns = g.namespaces()[0];
    for (const q of [
      { verb: "get", resource: "secrets", namespace: ns },
      { verb: "list", resource: "pods", allNamespaces: true },
      { verb: "get", resource: "nodes", subresource: "metrics" },
    ]) {
      assert.deepEqual(await whoCan(page, q), cliWhoCan(FIXTURE, q), JSON.stringify(q));
    }
    const sa = g.subjects().find((s) => s.kind === "ServiceAccount");
    for (const q of [
      { user: `system:serviceaccount:${sa.namespace}:${sa.name}`, verb: "list", resource: "pods", namespace: sa.namespace },
      { user: `system:serviceaccount:${sa.namespace}:${sa.name}`, verb: "delete", resource: "secrets", namespace: sa.namespace },
    ]) {
      assert.equal(await canI(page, q), cliCanI(FIXTURE, q).allowed ? "yes" : "no", JSON.stringify(q));
    }
    // Files picked one by one load too.
    const files = manifestFiles(FIXTURE).slice(0, 3);
    await page.getByTestId("load-files").setInputFiles(files.map((f) => join(root, f.name)));
    await page.locator("#load-status").getByText("Loaded 3 files").waitFor();
    await page.close();
  });

  test("the graph view draws only the neighbourhood asked for, and the subject view its matrix", async () => {
    const page = await openPage();
    await loadDemo(page);
    const g = loadFixture(DEMO);
    await page.getByRole("tab", { name: "Graph" }).click();
    await page.locator("#graph-around").fill("ClusterRole:view");
    await page.locator("#graph-run").click();
    const want = value(g.graphView({ around: "ClusterRole:view", depth: 2, maxNodes: 150, rules: false, workloads: true }));
    await page.locator(`#graph-canvas[data-center="ClusterRole:view"][data-nodes="${want.nodes.length}"][data-edges="${want.edges.length}"]`).waitFor();
    await page.locator("#graph-node").getByText(/Rules \(\d+\)/).waitFor();
    assert.ok(await page.locator("#graph-canvas canvas").count() > 0);
    await page.screenshot({ path: join(outDir, "explorer-graph.png"), fullPage: true });

    await page.getByRole("tab", { name: "Subjects" }).click();
    await page.locator(".subject-item").filter({ hasText: "ci/deployer" }).click();
    await page.locator("table.matrix").waitFor();
    const m = value(g.accessMatrix({ user: "system:serviceaccount:ci:deployer", namespace: "ci" }));
    const allowedRows = m.rows.filter((r) => r.allowed.some(Boolean)).map((r) => r.resource);
    assert.deepEqual(await page.locator("table.matrix tbody th").allTextContents(), allowedRows);
    const list = cliJson(DEMO, ["can-i", "--list", "--as", "system:serviceaccount:ci:deployer", "-n", "ci"]);
    const count = list.resourceRules.length + list.nonResourceRules.length;
    await page.locator(".rules-box summary").getByText(`${count} rules apply in namespace ci`).click();
    assert.equal(await page.locator(".rules-table tbody tr").count(), count);
    await page.getByRole("button", { name: "Find what it can escalate to" }).click();
    const paths = value(g.paths({ user: "system:serviceaccount:ci:deployer", blastRadius: true })).paths;
    if (paths.length) await page.locator("ol.paths > li").nth(paths.length - 1).waitFor();
    else await page.getByText("No escalation paths").waitFor();
    assert.equal(await page.locator("ol.paths > li").count(), paths.length);
    await page.close();
  });

  test("the audit tab shows the CLI's summary and fixes in rank order; a fix opens to its principals and draws its path", async () => {
    const page = await openPage();
    await loadDemo(page);
    const doc = cliJson(DEMO, ["audit"]);
    await page.getByRole("tab", { name: "Audit" }).click();
    await page.getByTestId("audit-run").click();
    await page.locator("#audit-result[data-run]").waitFor();

    const summary = page.getByTestId("audit-summary");
    const s = doc.summary;
    assert.equal(await summary.getByTestId("summary-cluster-admin").locator(".stat-value").textContent(), String(s.principalsReachingClusterAdmin));
    assert.equal(await summary.getByTestId("summary-nodes").locator(".stat-value").textContent(), String(s.principalsReachingNodes));
    assert.equal(await summary.getByTestId("summary-fixes").locator(".stat-value").textContent(), String(s.fixes));
    for (const [severity, n] of Object.entries(s.bySeverity)) {
      assert.equal((await summary.locator(`li[data-severity=${severity}]`).textContent()).trim(), `${severity} ${n}`);
    }
    const summaryText = await summary.textContent();
    assert.ok(summaryText.includes(`${s.principalsBoundToClusterAdmin} is bound to it on purpose`), summaryText);
    for (const note of doc.notes) assert.ok(summaryText.includes(note), note);

    // One row per fix, in the CLI's rank order, each with its impact on paths to cluster-admin.
    const rows = page.getByTestId("fix-row");
    assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => r.dataset.id)), doc.fixes.map((f) => f.id));
    assert.deepEqual(await rows.locator(".fix-title .title").allTextContents(), doc.fixes.map((f) => f.title));
    assert.equal(await rows.first().getByTestId("fix-impact").textContent(), String(doc.fixes[0].impact.clusterAdmin));
    assert.deepEqual(await page.getByTestId("fix-impact").allTextContents(), doc.fixes.map((f) => String(f.impact.clusterAdmin)));

    // The first fix opens to its objects (file:line), every principal and who loses cluster-admin.
    const first = doc.fixes[0];
    await rows.first().click();
    const detail = page.locator(`[data-testid=fix-detail][data-id="${first.id}"]`);
    await detail.waitFor();
    const detailText = await detail.textContent();
    for (const o of first.objects) assert.ok(detailText.includes(`${o.source.file}:${o.source.line}`), o.name);
    const named = (list) => list.map((p) => (p.namespace ? `${p.kind}${p.namespace}/${p.name}` : `${p.kind}${p.name}`).replace(/\s+/g, ""));
    const shownNames = async (testid) => (await detail.getByTestId(testid).locator("li").allTextContents()).map((t) => t.replace(/\s+/g, ""));
    assert.deepEqual(await shownNames("fix-principals"), named(first.principals.items));
    assert.deepEqual(await shownNames("fix-impact-admin"), named(first.impact.clusterAdminPrincipals));
    await page.screenshot({ path: join(outDir, "explorer-audit.png"), fullPage: true });

    // The fix with the longest path draws it in the graph view, its nodes lit
    // and the objects the fix changes marked.
    const withPath = doc.fixes.filter((f) => f.evidence.path !== undefined);
    const steps = (f) => doc.evidence.paths[f.evidence.path].steps.length;
    const fix = withPath.reduce((a, b) => (steps(b) > steps(a) ? b : a));
    assert.ok(steps(fix) > 1);
    const path = doc.evidence.paths[fix.evidence.path];
    const nodeId = (n) => (n.kind === "ClusterAdmin" ? "ClusterAdmin:cluster-admin" : n.namespace ? `${n.kind}:${n.namespace}/${n.name}` : `${n.kind}:${n.name}`);
    const onPath = [...new Set([path.source, ...path.steps.map((i) => doc.evidence.steps[i].to)].map(nodeId))].sort();
    const row = rows.nth(fix.rank - 1);
    await row.click();
    const fixDetail = page.locator(`[data-testid=fix-detail][data-id="${fix.id}"]`);
    await fixDetail.locator(".path-steps > li").nth(steps(fix) - 1).waitFor();
    await fixDetail.getByTestId("fix-draw-path").click();
    const canvas = page.locator(`#graph-canvas[data-path="${fix.id}"]`);
    await canvas.waitFor();
    assert.ok(await page.locator("#view-graph").isVisible());
    assert.deepEqual(JSON.parse(await canvas.getAttribute("data-highlighted")), onPath);
    const changed = JSON.parse(await canvas.getAttribute("data-changed"));
    assert.ok(changed.length > 0 && changed.every((id) => fix.objects.some((o) => nodeId(o) === id)), JSON.stringify(changed));
    assert.ok((await page.locator("#graph-note").textContent()).includes(fix.id));
    await page.screenshot({ path: join(outDir, "explorer-audit-path.png"), fullPage: true });

    // Without paths, with upgrade checks and suppressions: no impact, the
    // summary says why, and the suppressed finding shows its reason.
    const ignore = "tests/fixtures/audit/ignore.yaml";
    const flat = cliJson(DEMO, ["audit", "--no-paths", "--target-version", "1.25", "--ignore", ignore]);
    await page.getByRole("tab", { name: "Audit" }).click();
    await page.locator("#audit-form [name=paths]").setChecked(false);
    await page.locator("#audit-form [name=targetVersion]").fill("1.25");
    await page.locator("#audit-ignore-details summary").click();
    await page.locator("#audit-ignore").fill(readFileSync(join(root, ignore), "utf8"));
    await page.getByTestId("audit-run").click();
    await page.locator("#audit-result[data-run='2']").waitFor();
    assert.deepEqual(await rows.evaluateAll((rs) => rs.map((r) => r.dataset.id)), flat.fixes.map((f) => f.id));
    assert.ok((await page.getByTestId("fix-impact").allTextContents()).every((t) => t === "–"));
    const flatSummary = await page.getByTestId("audit-summary").textContent();
    for (const note of flat.notes) assert.ok(flatSummary.includes(note), note);
    assert.ok(flatSummary.includes(`${flat.suppressed.length} finding suppressed`), flatSummary);
    await page.locator(".suppressed summary").click();
    await page.locator(".suppressed .finding").getByText(flat.suppressed[0].reason, { exact: false }).waitFor();
    await page.close();
  });

  test("a big audit renders a page of fixes at a time; findings per control open to their fixes", async () => {
    const dir = mkdtempSync(join(tmpdir(), "rbacgraph-small-"));
    const file = join(dir, "small.json");
    const generated = cli(["generate", "--preset", "small", "--seed", "7", "-o", "json"]);
    assert.equal(generated.status, 0, generated.stderr);
    writeFileSync(file, generated.stdout);
    try {
      // Run where the file is: sources (and so fix ids) name it `small.json`, as the file picker does.
      const run = spawnSync(cliPath, ["-f", "small.json", "-o", "json", "audit", "--by", "control"], { cwd: dir, encoding: "utf8", maxBuffer: 1 << 30 });
      assert.equal(run.status, 0, run.stderr);
      const doc = JSON.parse(run.stdout);
      assert.ok(doc.fixes.length > 250, `${doc.fixes.length} fixes`);
      const page = await openPage();
      await page.getByTestId("load-files").setInputFiles(file);
      await page.getByTestId("load-summary").getByText(/\d+ objects/).waitFor();
      await page.getByRole("tab", { name: "Audit" }).click();
      await page.locator("#audit-form [name=findings]").setChecked(true);
      const started = Date.now();
      await page.getByTestId("audit-run").click();
      await page.locator("#audit-result[data-run]").waitFor({ timeout: 120000 });
      const took = Date.now() - started;
      const { auditMs, renderMs } = await page.locator("#audit-result").evaluate((el) => el.dataset);
      console.log(`# audit of ${doc.fixes.length} fixes: ${took} ms from click to rows (engine ${auditMs} ms, page render ${renderMs} ms)`);

      const ids = () => page.getByTestId("fix-row").evaluateAll((rs) => rs.map((r) => r.dataset.id));
      assert.deepEqual(await ids(), doc.fixes.slice(0, 100).map((f) => f.id));
      await page.getByTestId("fix-more").click();
      await page.getByTestId("fix-row").nth(199).waitFor();
      assert.deepEqual(await ids(), doc.fixes.slice(0, 200).map((f) => f.id));
      assert.deepEqual(
        await page.getByTestId("fix-impact").allTextContents(),
        doc.fixes.slice(0, 200).map((f) => String(f.impact.clusterAdmin)),
      );
      assert.deepEqual(
        await page.getByTestId("platform-fix-row").evaluateAll((rs) => rs.map((r) => r.dataset.id)),
        doc.platformManaged.slice(0, 100).map((f) => f.id),
      );

      // The severity filter narrows both lists, still in rank order.
      await page.locator(".fix-tools select").selectOption("info");
      const info = doc.fixes.filter((f) => f.severity === "info");
      await page.locator(".fix-count").first().getByText(`of ${info.length} matching`).waitFor();
      assert.deepEqual(await ids(), info.slice(0, 100).map((f) => f.id));

      // A control's findings list the fixes that resolve them; one click opens that fix.
      const main = new Set(doc.fixes.map((f) => f.id));
      const finding = doc.findings.find((f) => f.fixes.length > 0 && main.has(f.fixes[0]));
      const ofControl = doc.findings.filter((f) => f.control === finding.control);
      const at = ofControl.indexOf(finding);
      assert.ok(at < 100);
      await page.locator(`.controls-table tr[data-control="${finding.control}"]`).click();
      const items = page.locator(`.controls-table tr[data-control="${finding.control}"] + tr .finding`);
      await items.first().waitFor();
      assert.equal(await items.count(), Math.min(100, ofControl.length));
      assert.ok((await items.nth(at).textContent()).includes(finding.message));
      await items.nth(at).getByRole("button", { name: finding.fixes[0] }).click();
      await page.locator(`[data-testid=fix-detail][data-id="${finding.fixes[0]}"]`).waitFor();
      assert.deepEqual(await ids(), [finding.fixes[0]]);
      await page.close();
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("manifest names are shown as text: markup in them never executes", async () => {
    const page = await openPage();
    await page.evaluate(() => {
      window.__pwned = [];
    });
    const img = `<img src=x onerror="window.__pwned.push('img')">`;
    const script = `<script>window.__pwned.push('script')</script>`;
    // YAML single-quoted scalars: a quote is written twice.
    const y = (text) => `'${text.replaceAll("'", "''")}'`;
    const yaml = [
      "apiVersion: rbac.authorization.k8s.io/v1",
      "kind: ClusterRole",
      `metadata: {name: ${y(img)}}`,
      "rules:",
      "- {apiGroups: [''], resources: [secrets], verbs: [get]}",
      `- {apiGroups: [''], resources: [configmaps], verbs: [get], resourceNames: [${y(script)}]}`,
      "---",
      "apiVersion: rbac.authorization.k8s.io/v1",
      "kind: ClusterRoleBinding",
      `metadata: {name: ${y(script)}}`,
      `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: ${y(img)}}`,
      `subjects: [{kind: User, name: ${y(img)}}, {kind: Group, name: ${y(script)}}]`,
      "---",
      "apiVersion: rbac.authorization.k8s.io/v1",
      "kind: RoleBinding",
      `metadata: {name: dangling, namespace: ${y(img)}}`,
      `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${y(script)}}`,
      "subjects: [{kind: ServiceAccount, name: x}]",
      "---",
      // A Role that lets a user run pods: an escalation path (to a node) named by markup.
      "apiVersion: rbac.authorization.k8s.io/v1",
      "kind: Role",
      `metadata: {name: ${y(img)}, namespace: ${y(script)}}`,
      "rules: [{apiGroups: [''], resources: [pods], verbs: [create]}]",
      "---",
      "apiVersion: rbac.authorization.k8s.io/v1",
      "kind: RoleBinding",
      `metadata: {name: ${y(img)}, namespace: ${y(script)}}`,
      `roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: ${y(img)}}`,
      `subjects: [{kind: User, name: ${y(script)}}]`,
      "---",
      `kind: ${y(img)}`,
    ].join("\n");
    await page.locator("#paste-details summary").click();
    await page.getByTestId("paste-input").fill(yaml);
    await page.getByTestId("paste-load").click();
    await page.getByTestId("load-summary").getByText("objects").first().waitFor();

    assert.deepEqual(await whoCan(page, { verb: "get", resource: "secrets", namespace: "default" }), [
      ["Group", "system:masters", ""],
      ["User", img, ""],
      ["Group", script, ""],
    ]);
    await page.getByTestId("result-row").nth(1).click();
    await page.locator("tr.detail").getByText(img).first().waitFor();
    assert.equal(await canI(page, { user: img, verb: "get", resource: "secrets", namespace: "default" }), "yes");
    assert.equal(await canI(page, { user: img, verb: "get", resource: "configmaps", name: "x", namespace: "default" }), "no");
    // A name with a slash is not a name: the error names the field.
    await page.locator("#cani-form [name=name]").fill("");
    await page.getByTestId("cani-resource").fill(`configmaps/${script}`);
    await page.getByTestId("cani-run").click();
    await page.locator("#cani-result .error-box").getByText(script, { exact: false }).waitFor();
    await page.getByRole("tab", { name: "Subjects" }).click();
    await page.locator(`.subject-item[data-id="User:${img.replaceAll('"', '\\"')}"]`).click();
    await page.locator("table.matrix").waitFor();
    await page.getByRole("tab", { name: "Graph" }).click();
    await page.locator("#graph-around").fill(`User:${img}`);
    await page.locator("#graph-run").click();
    await page.locator("#graph-canvas[data-nodes]").waitFor();
    await page.locator("#graph-node h3").getByText(img).waitFor();
    await page.locator("#graph-around").fill(`ClusterRole:${img}`);
    await page.locator("#graph-run").click();
    await page.locator("#graph-node code").getByText(script).waitFor();

    // The audit: fix titles, objects, patches, principals, findings and the
    // drawn escalation path all carry the names, as text.
    await page.getByRole("tab", { name: "Audit" }).click();
    await page.locator("#audit-form [name=findings]").setChecked(true);
    await page.getByTestId("audit-run").click();
    await page.locator("#audit-result[data-run]").waitFor();
    const fixRows = page.getByTestId("fix-row");
    const fixes = await fixRows.count();
    assert.ok(fixes >= 3, `${fixes} fixes`);
    assert.ok((await fixRows.locator(".fix-title .title").allTextContents()).some((t) => t.includes(script)));
    for (let i = 0; i < fixes; i++) {
      await fixRows.nth(i).click();
      await page.getByTestId("fix-detail").nth(i).waitFor();
    }
    assert.ok((await page.getByTestId("fix-principals").allTextContents()).some((t) => t.includes(img)));
    await page.locator(".controls-table tr.row").first().click();
    await page.locator(".controls-table .finding").first().waitFor();
    await page.getByTestId("fix-draw-path").first().click();
    const drawn = page.locator("#graph-canvas[data-path]");
    await drawn.waitFor();
    assert.ok(JSON.parse(await drawn.getAttribute("data-highlighted")).includes(`User:${script}`));
    await page.locator("#graph-note").getByText(script, { exact: false }).waitFor();

    assert.deepEqual(await page.evaluate(() => window.__pwned), []);
    assert.equal(await page.locator("img:not([src='favicon.svg'])").count(), 0);
    assert.equal(await page.locator("body script").count(), 0);
    assert.ok((await page.locator("body").textContent()).includes(img));
    await page.close();
  });

  test("the page made no request outside its origin, and logged no error", () => {
    const origin = new URL(server.url).origin;
    assert.ok(requests.length > 0);
    assert.deepEqual(
      requests.filter((u) => new URL(u).origin !== origin),
      [],
    );
    assert.deepEqual(foreign, []);
    assert.deepEqual(problems, []);
    const files = new Set(server.requests);
    for (const f of ["/", "/app.js", "/worker.js", "/pkg/rbacgraph_wasm_bg.wasm", "/assets/demo.json"]) assert.ok(files.has(f), f);
  });
});

mkdirSync(outDir, { recursive: true });
