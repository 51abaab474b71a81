// Shared by the Node tests: the wasm package (nodejs target), the CLI
// (`target/debug/rbacgraph`, or $RBACGRAPH_BIN) and the fixtures, loaded the
// way `rbacgraph -f DIR` loads them (recursive, in path order), so sources
// name the same files and answers can be compared as JSON.
import { spawnSync } from "node:child_process";
import { readdirSync, readFileSync, statSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";

export const pkgDir = dirname(dirname(dirname(fileURLToPath(import.meta.url))));
export const root = join(pkgDir, "..", "..");
const require = createRequire(import.meta.url);
/** @type {typeof import("../../pkg-node/rbacgraph_wasm.js")} */
export const wasm = require(join(pkgDir, "pkg-node", "rbacgraph_wasm.js"));

export const cliPath = process.env.RBACGRAPH_BIN || join(root, "target", "debug", "rbacgraph");

/** Runs the CLI from the repository root; returns {status, json, stdout, stderr}. */
export function cli(args) {
  const r = spawnSync(cliPath, args, { cwd: root, encoding: "utf8", maxBuffer: 1 << 30 });
  if (r.error) throw r.error;
  let json;
  if (r.stdout.trim().startsWith("{")) json = JSON.parse(r.stdout);
  return { status: r.status, json, stdout: r.stdout, stderr: r.stderr };
}

/** The CLI's JSON answer for `-f PATH ... -o json` (exit 0 or 1). */
export function cliJson(path, args) {
  const r = cli(["-f", path, "-o", "json", ...args]);
  if (r.json === undefined) {
    throw new Error(`rbacgraph ${args.join(" ")} printed no JSON (exit ${r.status}): ${r.stderr}`);
  }
  return r.json;
}

function compareComponents(a, b) {
  const x = a.split("/");
  const y = b.split("/");
  for (let i = 0; i < Math.min(x.length, y.length); i++) {
    if (x[i] !== y[i]) return Buffer.compare(Buffer.from(x[i]), Buffer.from(y[i]));
  }
  return x.length - y.length;
}

/** `{name, text}` for every manifest under `path` (relative to the root), as `-f path` reads them. */
export function manifestFiles(path) {
  const abs = join(root, path);
  const out = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const p = join(dir, entry.name);
      if (entry.isDirectory()) walk(p);
      else if (/\.(ya?ml|json)$/.test(entry.name)) out.push(relative(root, p));
    }
  };
  if (statSync(abs).isDirectory()) walk(abs);
  else out.push(path);
  out.sort(compareComponents);
  return out.map((name) => ({ name, text: readFileSync(join(root, name), "utf8") }));
}

/** The graph of a fixture, or a failed assertion naming the error. */
export function loadFixture(path) {
  const r = wasm.RbacGraph.load(manifestFiles(path));
  if (!r.ok) throw new Error(`loading ${path}: ${JSON.stringify(r.error)}`);
  return r.value;
}

/** The value of an ok result, or a thrown error with the error data. */
export function value(result) {
  if (!result.ok) throw new Error(`expected ok, got ${JSON.stringify(result.error)}`);
  return result.value;
}

/** Fixtures compared against the CLI: the demo and real-world manifests. */
export const FIXTURES = [
  "examples/clusters/demo",
  "tests/fixtures/real-world/kubernetes-bootstrap-policy",
  "tests/fixtures/real-world/argo-cd",
  "tests/fixtures/real-world/kube-prometheus",
  "tests/fixtures/real-world/kubernetes-goat",
  "tests/fixtures/real-world/flux2",
];
