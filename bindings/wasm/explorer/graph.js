// The graph view: draws a neighbourhood (from the engine's graphView) with
// cytoscape.js and the dagre layered layout. Labels are drawn on a canvas,
// so manifest names are never parsed as markup.
import cytoscape from "./vendor/cytoscape.esm.min.js";
import dagre from "./vendor/cytoscape-dagre.min.js";

cytoscape.use(dagre);

/** Colours by kind (also used by the legend and the CSS badges). */
export const KINDS = [
  { kind: "User", color: "#2563eb", shape: "ellipse" },
  { kind: "Group", color: "#7c3aed", shape: "ellipse" },
  { kind: "ServiceAccount", color: "#0e7490", shape: "ellipse" },
  { kind: "RoleBinding", color: "#475569", shape: "round-rectangle" },
  { kind: "ClusterRoleBinding", color: "#334155", shape: "round-rectangle" },
  { kind: "Role", color: "#b45309", shape: "hexagon" },
  { kind: "ClusterRole", color: "#c2410c", shape: "hexagon" },
  { kind: "Rule", color: "#64748b", shape: "rectangle" },
  { kind: "Workload", color: "#047857", shape: "barrel" },
];
const WORKLOADS = new Set(["Pod", "Deployment", "DaemonSet", "StatefulSet", "ReplicaSet", "ReplicationController", "Job", "CronJob"]);

export function kindStyle(kind) {
  const k = WORKLOADS.has(kind) ? "Workload" : kind;
  return KINDS.find((x) => x.kind === k) ?? { kind, color: "#6b7280", shape: "ellipse" };
}

function shorten(text, n) {
  return text.length > n ? `${text.slice(0, n - 1)}…` : text;
}

function nodeLabel(n) {
  if (n.kind === "Rule") return shorten(n.label ?? n.name, 70);
  const name = shorten(n.name, 40);
  return n.namespace ? `${name}\n${n.namespace}` : name;
}

const STYLE = [
  {
    selector: "node",
    style: {
      "background-color": "data(color)",
      shape: "data(shape)",
      label: "data(label)",
      color: "#1f2937",
      "font-size": 11,
      "font-family": "system-ui, sans-serif",
      "text-valign": "bottom",
      "text-halign": "center",
      "text-margin-y": 4,
      "text-wrap": "wrap",
      "text-max-width": 160,
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.85,
      "text-background-padding": 2,
      width: 22,
      height: 22,
      "border-width": 0,
    },
  },
  {
    selector: 'node[kind = "Rule"]',
    style: {
      width: 12,
      height: 12,
      "font-size": 10,
      color: "#475569",
      "text-valign": "center",
      "text-halign": "right",
      "text-margin-x": 4,
      "text-margin-y": 0,
      "text-max-width": 260,
    },
  },
  { selector: "node[?missing]", style: { "background-color": "#fff", "border-width": 2, "border-style": "dashed", "border-color": "#dc2626" } },
  { selector: "node[?center]", style: { width: 32, height: 32, "border-width": 4, "border-color": "#facc15", "font-weight": "bold" } },
  { selector: "node:selected", style: { "border-width": 4, "border-color": "#2563eb" } },
  {
    selector: "edge",
    style: {
      width: 1.4,
      "line-color": "#94a3b8",
      "target-arrow-color": "#94a3b8",
      "target-arrow-shape": "triangle",
      "arrow-scale": 0.8,
      "curve-style": "bezier",
    },
  },
  { selector: 'edge[kind = "aggregatedInto"]', style: { "line-style": "dashed", "line-color": "#c2410c", "target-arrow-color": "#c2410c" } },
  { selector: 'edge[kind = "runsAs"]', style: { "line-style": "dotted", "line-color": "#047857", "target-arrow-color": "#047857" } },
  { selector: 'edge[kind = "rule"]', style: { width: 1, "line-color": "#cbd5e1", "target-arrow-shape": "none" } },
];

export class GraphPanel {
  constructor(container, { onSelect, onOpen }) {
    this.container = container;
    this.onSelect = onSelect;
    this.onOpen = onOpen;
    this.cy = null;
  }

  /** Draws a GraphView; resolves once the layout has run. */
  show(view) {
    this.cy?.destroy();
    const elements = [
      ...view.nodes.map((n) => {
        const s = kindStyle(n.kind);
        return {
          group: "nodes",
          data: {
            id: n.id,
            kind: n.kind,
            label: nodeLabel(n),
            color: s.color,
            shape: s.shape,
            missing: n.label === "missing",
            center: n.id === view.center,
            node: n,
          },
        };
      }),
      ...view.edges.map((e, i) => ({ group: "edges", data: { id: `e${i}`, source: e.from, target: e.to, kind: e.kind } })),
    ];
    this.cy = cytoscape({
      container: this.container,
      elements,
      style: STYLE,
      minZoom: 0.1,
      maxZoom: 3,
      boxSelectionEnabled: false,
    });
    this.cy.on("tap", "node", (ev) => this.onSelect?.(ev.target.data("node")));
    this.cy.on("dbltap", "node", (ev) => this.onOpen?.(ev.target.id()));
    return new Promise((resolve) => {
      const layout = this.cy.layout({
        name: "dagre",
        rankDir: "LR",
        nodeDimensionsIncludeLabels: true,
        nodeSep: 12,
        rankSep: 70,
        edgeSep: 8,
        padding: 24,
        animate: false,
      });
      layout.one("layoutstop", () => {
        this.cy.fit(undefined, 24);
        this.container.dataset.nodes = String(view.nodes.length);
        this.container.dataset.edges = String(view.edges.length);
        this.container.dataset.center = view.center;
        resolve();
      });
      layout.run();
    });
  }

  select(id) {
    const n = this.cy?.getElementById(id);
    if (n && n.nonempty()) {
      this.cy.$(":selected").unselect();
      n.select();
    }
  }

  resize() {
    this.cy?.resize();
    this.cy?.fit(undefined, 24);
  }
}
