// The engine, off the page's main thread: loads manifests into an RbacGraph
// (WebAssembly) and answers the page's questions. Messages in:
// {id, op, args}; out: {id, ok: true, value} or {id, ok: false, crashed,
// message}. Nothing here touches the DOM or the network beyond this
// directory's own files (the wasm module and the bundled demo).
import init, { RbacGraph, lastPanic, techniques } from "./pkg/rbacgraph_wasm.js";

const ready = init();
/** @type {RbacGraph | null} */
let graph = null;

function needGraph() {
  if (!graph) throw new Error("no cluster is loaded");
  return graph;
}

/** Loads `{name, text}` files; replaces the current graph only on success. */
function loadFiles(files, started, readMs) {
  const bytes = files.reduce((n, f) => n + f.text.length, 0);
  const t0 = performance.now();
  const result = RbacGraph.load(files);
  const parseMs = performance.now() - t0;
  if (!result.ok) return { ok: false, error: result.error };
  graph?.free();
  graph = result.value;
  return {
    ok: true,
    summary: graph.summary(),
    namespaces: graph.namespaces(),
    resourceTypes: graph.resourceTypes(),
    bytes,
    timing: { readMs, parseMs, totalMs: performance.now() - started },
  };
}

const ops = {
  /** Files picked or dropped: File objects (with a path) or {name, text}. */
  async load(entries) {
    const started = performance.now();
    const files = [];
    for (const e of entries) {
      if (e.file) files.push({ name: e.name, text: await e.file.text() });
      else files.push({ name: e.name, text: e.text });
    }
    return loadFiles(files, started, performance.now() - started);
  },

  /** The demo cluster bundled with the page at build time. */
  async loadDemo() {
    const started = performance.now();
    const response = await fetch(new URL("./assets/demo.json", import.meta.url));
    if (!response.ok) throw new Error(`demo cluster: HTTP ${response.status}`);
    const files = await response.json();
    return loadFiles(files, started, performance.now() - started);
  },

  whoCan: (q) => needGraph().whoCan(q),
  canI: (q) => needGraph().canI(q),
  rulesFor: (q) => needGraph().rulesFor(q),
  role: (q) => needGraph().role(q),
  accessMatrix: (q) => needGraph().accessMatrix(q),
  paths: (q) => needGraph().paths(q),
  graphView: (q) => needGraph().graphView(q),
  findNodes: (text, limit) => needGraph().findNodes(text, limit),
  subjects: () => needGraph().subjects(),
  techniques: () => techniques(),
};

self.onmessage = async (event) => {
  const { id, op, args } = event.data;
  try {
    await ready;
    if (!Object.hasOwn(ops, op)) throw new Error(`unknown operation ${op}`);
    const value = await ops[op](...(args ?? []));
    self.postMessage({ id, ok: true, value });
  } catch (e) {
    // A WebAssembly trap (an internal error) leaves the module unusable;
    // the page starts a new worker.
    const crashed = e instanceof WebAssembly.RuntimeError;
    const message = (crashed && lastPanic()) || (e instanceof Error ? e.message : String(e));
    self.postMessage({ id, ok: false, crashed, message });
  }
};

