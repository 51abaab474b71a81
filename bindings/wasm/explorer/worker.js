// The engine, off the page's main thread: loads manifests into an RbacGraph
// (WebAssembly) and answers the page's questions. Messages in:
// {id, op, args}; out: {id, ok: true, value} or {id, ok: false, crashed,
// message}. Nothing here touches the DOM or the network beyond this
// directory's own files (the wasm module and the bundled demo).
import init, { RbacGraph, lastPanic, techniques } from "./pkg/rbacgraph_wasm.js";

const ready = init();
/** @type {RbacGraph | null} */
let graph = null;
/**
 * The last audit: the whole report stays here, in the worker; the page gets
 * a slim row per fix and asks for one fix's details when it opens it, so a
 * report with tens of thousands of fixes never crosses to the page at once.
 */
let audit = null;

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
  audit = null;
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

  /** Runs the audit; answers with the summary and one row per fix. */
  audit(q) {
    const t0 = performance.now();
    const result = needGraph().audit(q);
    const auditMs = performance.now() - t0;
    if (!result.ok) return result;
    const report = result.value;
    const byId = new Map();
    for (const f of report.fixes) byId.set(f.id, f);
    for (const f of report.platformManaged) byId.set(f.id, f);
    const findingsByControl = new Map();
    for (const f of report.findings ?? []) {
      if (!findingsByControl.has(f.control)) findingsByControl.set(f.control, []);
      findingsByControl.get(f.control).push(f);
    }
    audit = { report, byId, findingsByControl };
    return {
      ok: true,
      value: {
        reachability: report.reachability,
        targetVersion: report.targetVersion,
        summary: report.summary,
        notes: report.notes,
        controls: report.controls,
        fixes: report.fixes.map(fixRow),
        platformManaged: report.platformManaged.map(fixRow),
        findingsListed: report.findings !== undefined,
        suppressed: report.suppressed.length,
        evidence: Object.fromEntries(Object.entries(report.evidence).map(([k, v]) => [k, v.length])),
        timing: { auditMs },
      },
    };
  },

  /** One fix of the last audit, with the evidence it refers to resolved. */
  auditFix(id) {
    const fix = needAudit().byId.get(id);
    if (!fix) throw new Error(`no fix ${id} in the last audit`);
    const { evidence, controls } = audit.report;
    const rules = fix.evidence.rules.map((i) => ({ ...evidence.rules[i], role: evidence.objects[evidence.rules[i].role] }));
    let path = null;
    if (fix.evidence.path !== undefined) {
      const p = evidence.paths[fix.evidence.path];
      path = { source: p.source, target: p.target, steps: p.steps.map((i) => evidence.steps[i]) };
    }
    const titles = new Map(controls.map((c) => [c.id, c.title]));
    return {
      fix,
      rules,
      objects: fix.evidence.objects.map((i) => evidence.objects[i]),
      path,
      controls: fix.controls.map((c) => ({ id: c, title: titles.get(c) ?? "" })),
    };
  },

  /** A page of one control's findings (or of the suppressed ones). */
  auditFindings({ control, suppressed, offset = 0, limit = 100 }) {
    const { report, findingsByControl } = needAudit();
    const all = suppressed ? report.suppressed : (findingsByControl.get(control) ?? []);
    return { total: all.length, items: all.slice(offset, offset + limit) };
  },
};

function needAudit() {
  if (!audit) throw new Error("run the audit first");
  return audit;
}

/** What the page's list shows of a fix. */
function fixRow(f) {
  return {
    id: f.id,
    rank: f.rank,
    severity: f.severity,
    kind: f.kind,
    title: f.title,
    controls: f.controls,
    principals: f.principals.count,
    namespaces: f.namespaces,
    clusterWide: f.clusterWide,
    impact: f.impact ? { clusterAdmin: f.impact.clusterAdmin, nodes: f.impact.nodes } : null,
    hasPath: f.evidence.path !== undefined,
    platform: f.platform?.platform ?? null,
  };
}

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

