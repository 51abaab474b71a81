// Builds the WebAssembly package and the explorer's generated assets:
//   1. cargo build --target wasm32-unknown-unknown --profile wasm-release
//   2. wasm-bindgen (--target nodejs → pkg-node/, --target web → explorer/pkg/)
//   3. wasm-opt -Oz (npm binaryen) on both outputs
//   4. explorer/vendor/: cytoscape and cytoscape-dagre ES modules from node_modules
//   5. explorer/assets/demo.json: examples/clusters/demo, bundled for the demo button
// and prints the wasm size (raw, after wasm-opt, gzipped). Idempotent.
//
// Usage: node scripts/build.mjs [--skip-cargo | --assets-only]
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { copyFileSync, existsSync, mkdirSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";

const here = dirname(dirname(fileURLToPath(import.meta.url)));
const root = join(here, "..", "..");
const cargo = process.env.CARGO || "cargo";
const targetDir = process.env.CARGO_TARGET_DIR || join(root, "target");
const rawWasm = join(targetDir, "wasm32-unknown-unknown", "wasm-release", "rbacgraph_wasm.wasm");

function run(cmd, args, options = {}) {
  const r = spawnSync(cmd, args, { stdio: "inherit", cwd: root, ...options });
  if (r.error) throw new Error(`${cmd}: ${r.error.message}`);
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(" ")} exited with ${r.status}`);
}

const assetsOnly = process.argv.includes("--assets-only");
if (!assetsOnly && !process.argv.includes("--skip-cargo")) {
  run(cargo, ["build", "--target", "wasm32-unknown-unknown", "--profile", "wasm-release", "-p", "rbacgraph-wasm"]);
}

const outputs = [
  { target: "nodejs", dir: join(here, "pkg-node") },
  { target: "web", dir: join(here, "explorer", "pkg") },
];
const wasmOpt = join(here, "node_modules", ".bin", "wasm-opt");
// The features rustc enables by default for wasm32-unknown-unknown.
const features = [
  "--enable-bulk-memory",
  "--enable-nontrapping-float-to-int",
  "--enable-sign-ext",
  "--enable-mutable-globals",
  "--enable-reference-types",
  "--enable-multivalue",
];
// Both targets get the same module; optimise it once (wasm-opt takes most
// of the build's time) and reuse the result when the bytes are the same.
// Nothing to redo when the outputs were made from this very module.
const stampOf = (dir) => join(dir, ".built-from");
const source = assetsOnly ? "" : createHash("sha256").update(readFileSync(rawWasm)).digest("hex");
const upToDate = outputs.every(({ dir }) => existsSync(stampOf(dir)) && readFileSync(stampOf(dir), "utf8") === source);
const optimisedFor = new Map();
for (const { target, dir } of assetsOnly || upToDate ? [] : outputs) {
  rmSync(dir, { recursive: true, force: true });
  run("wasm-bindgen", ["--target", target, "--out-dir", dir, rawWasm]);
  const bg = join(dir, "rbacgraph_wasm_bg.wasm");
  const key = createHash("sha256").update(readFileSync(bg)).digest("hex");
  if (optimisedFor.has(key)) {
    copyFileSync(optimisedFor.get(key), bg);
  } else {
    run(wasmOpt, ["-Oz", ...features, bg, "-o", bg]);
    optimisedFor.set(key, bg);
  }
  writeFileSync(stampOf(dir), source);
}
// The nodejs output is CommonJS inside this ES-module package.
if (!assetsOnly) writeFileSync(join(here, "pkg-node", "package.json"), JSON.stringify({ type: "commonjs" }) + "\n");

const vendor = join(here, "explorer", "vendor");
rmSync(vendor, { recursive: true, force: true });
mkdirSync(vendor, { recursive: true });
for (const [from, to] of [
  ["cytoscape/dist/cytoscape.esm.min.mjs", "cytoscape.esm.min.js"],
  ["cytoscape/LICENSE", "cytoscape.LICENSE.txt"],
  ["cytoscape-dagre/dist/cytoscape-dagre.min.mjs", "cytoscape-dagre.min.js"],
  ["cytoscape-dagre/LICENSE", "cytoscape-dagre.LICENSE.txt"],
]) {
  copyFileSync(join(here, "node_modules", from), join(vendor, to));
}

const demoDir = join(root, "examples", "clusters", "demo");
const demo = readdirSync(demoDir)
  .filter((f) => /\.(ya?ml|json)$/.test(f))
  .sort()
  .map((f) => ({ name: relative(root, join(demoDir, f)), text: readFileSync(join(demoDir, f), "utf8") }));
mkdirSync(join(here, "explorer", "assets"), { recursive: true });
writeFileSync(join(here, "explorer", "assets", "demo.json"), JSON.stringify(demo));

const kib = (n) => `${(n / 1024).toFixed(0)} KiB`;
const optimised = join(here, "explorer", "pkg", "rbacgraph_wasm_bg.wasm");
const sizes = {
  raw: statSync(rawWasm).size,
  optimised: statSync(optimised).size,
  gzipped: gzipSync(readFileSync(optimised), { level: 9 }).length,
};
writeFileSync(join(targetDir, "wasm-size.json"), JSON.stringify(sizes) + "\n");
console.log(
  `wasm size: ${kib(sizes.raw)} from cargo, ${kib(sizes.optimised)} after wasm-bindgen + wasm-opt -Oz, ${kib(sizes.gzipped)} gzipped`,
);
