// The graph view: draws a neighbourhood (from the engine's graphView), or an
// escalation path with the grants it uses (from the audit), with
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
  { kind: "Node", color: "#1f2937", shape: "diamond" },
  { kind: "ClusterAdmin", color: "#b91c1c", shape: "star" },
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
  { selector: 'edge[kind = "memberOf"]', style: { "line-style": "dashed", "line-color": "#7c3aed", "target-arrow-color": "#7c3aed" } },
  { selector: 'edge[kind = "evidence"]', style: { "line-style": "dotted", "line-color": "#94a3b8", "target-arrow-shape": "none" } },
  // An escalation path: its nodes get a halo, its steps are thick and labelled
  // with the technique; what the fix changes has a dashed red border.
  { selector: "node[?onPath]", style: { "underlay-color": "#f59e0b", "underlay-padding": 7, "underlay-opacity": 0.55, "underlay-shape": "ellipse", "font-weight": "bold" } },
  { selector: "node[?changed]", style: { "border-width": 4, "border-style": "dashed", "border-color": "#dc2626" } },
  {
    selector: "edge[?onPath]",
    style: {
      width: 3.5,
      "line-color": "#dc2626",
      "target-arrow-color": "#dc2626",
      "arrow-scale": 1.1,
      label: "data(label)",
      "font-size": 10,
      "font-weight": "bold",
      color: "#b91c1c",
      "text-background-color": "#ffffff",
      "text-background-opacity": 0.9,
      "text-background-padding": 2,
      "text-rotation": "autorotate",
    },
  },
];

export class GraphPanel {
  constructor(container, { onSelect, onOpen }) {
    this.container = container;
    this.onSelect = onSelect;
    this.onOpen = onOpen;
    this.cy = null;
  }

  /**
   * Draws a GraphView; resolves once the layout has run. Nodes may carry
   * `onPath` and `changed`, edges `onPath` and a `label` (an escalation
   * path, see audit.js); `highlight` names what is drawn, for the page and
   * its tests (`data-path` on the canvas).
   */
  show(view, { highlight } = {}) {
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
            onPath: Boolean(n.onPath),
            changed: Boolean(n.changed),
            node: n,
          },
        };
      }),
      ...view.edges.map((e, i) => ({
        group: "edges",
        data: { id: `e${i}`, source: e.from, target: e.to, kind: e.kind, label: e.label ?? "", onPath: Boolean(e.onPath) },
      })),
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
    this.cy.on("dbltap", "node", (ev) => {
      if (ev.target.data("node").drawable !== false) this.onOpen?.(ev.target.id());
    });
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
        // What is highlighted, read back from the drawing itself.
        const lit = this.cy.nodes("[?onPath]").map((n) => n.id()).sort();
        if (highlight) {
          this.container.dataset.path = highlight;
          this.container.dataset.highlighted = JSON.stringify(lit);
          this.container.dataset.changed = JSON.stringify(this.cy.nodes("[?changed]").map((n) => n.id()).sort());
        } else {
          for (const k of ["path", "highlighted", "changed"]) delete this.container.dataset[k];
        }
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
