// Measures the explorer on a big dump in headless Chromium: time from
// picking the file to the load summary, then a who-can, the subject list,
// a graph view and the audit (first page of fixes, one fix opened). Not part of `make test` (it needs a big input):
//   target/release/rbacgraph generate --preset xl -o json > /tmp/xl.json
//   node scripts/measure-load.mjs /tmp/xl.json
import { mkdtempSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

import { chromium } from "playwright-core";

import { serve } from "../tests/browser/server.mjs";

const file = process.argv[2];
if (!file) throw new Error("usage: node scripts/measure-load.mjs DUMP.json|yaml");
const here = dirname(dirname(fileURLToPath(import.meta.url)));
const server = await serve(join(here, "explorer"));
const profile = mkdtempSync(join(tmpdir(), "rbacgraph-chromium-"));
const context = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.CHROMIUM_PATH || "/usr/bin/chromium",
  args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"],
  headless: true,
  viewport: { width: 1440, height: 1000 },
});
context.setDefaultTimeout(120000);
const page = await context.newPage();
const timed = async (label, fn) => {
  const t0 = performance.now();
  await fn();
  console.log(`${label}: ${Math.round(performance.now() - t0)} ms`);
};
try {
  await timed("open page (wasm compiled in the worker)", async () => {
    await page.goto(server.url);
    await page.locator("html[data-ready]").waitFor({ state: "attached" });
  });
  console.log(`input: ${(statSync(file).size / 1e6).toFixed(1)} MB`);
  await timed("load (pick file → summary shown)", async () => {
    await page.getByTestId("load-files").setInputFiles(file);
    await page.getByTestId("load-summary").getByText(/\d+ objects/).waitFor();
  });
  console.log(`page says: ${await page.locator("#load-status").textContent()}`);
  const ns = await page.locator("#namespaces option").first().getAttribute("value");
  await timed(`who-can get secrets -n ${ns}`, async () => {
    await page.getByTestId("whocan-resource").fill("secrets");
    await page.getByTestId("whocan-namespace").fill(ns);
    await page.getByTestId("whocan-run").click();
    await page.waitForFunction(() => document.querySelector("#whocan-result")?.dataset.query?.includes("secrets"));
  });
  console.log(`  rows: ${await page.getByTestId("result-row").count()}`);
  await timed("subjects tab (list + filter)", async () => {
    await page.getByRole("tab", { name: "Subjects" }).click();
    await page.locator(".subject-item").first().waitFor();
  });
  await timed("subject matrix", async () => {
    await page.locator(".subject-item").nth(5).click();
    await page.locator(".matrix-box table, .matrix-box p:not(:has(.spinner))").first().waitFor();
  });
  await timed("graph view around ClusterRole:view (depth 2, 150 nodes)", async () => {
    await page.getByRole("tab", { name: "Graph" }).click();
    await page.locator("#graph-around").fill("ClusterRole:view");
    await page.locator("#graph-run").click();
    await page.locator("#graph-canvas[data-nodes]").waitFor();
  });
  console.log(`  ${await page.locator("#graph-note").textContent()}`);
  await timed("audit (click → summary and first page of fixes)", async () => {
    await page.getByRole("tab", { name: "Audit" }).click();
    await page.getByTestId("audit-run").click();
    await page.locator("#audit-result[data-run], #audit-result .error-box").first().waitFor({ timeout: 1800000 });
  });
  const { auditMs, renderMs } = await page.locator("#audit-result").evaluate((el) => el.dataset);
  console.log(`  ${await page.locator(".fix-count").first().textContent()}; engine ${auditMs} ms, page render ${renderMs} ms`);
  await timed("open the first fix", async () => {
    await page.getByTestId("fix-row").first().click();
    await page.getByTestId("fix-detail").first().waitFor();
  });
  const memory = await page.evaluate(() => performance.memory?.usedJSHeapSize);
  if (memory) console.log(`page JS heap: ${(memory / 1e6).toFixed(0)} MB (the worker's wasm memory is separate)`);
} finally {
  await context.close();
  await server.close();
  rmSync(profile, { recursive: true, force: true });
}
