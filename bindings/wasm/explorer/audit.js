// The Audit tab: runs `audit` in the worker and shows its first screen (who
// reaches cluster-admin and the nodes, fixes by severity, notes), the fixes
// in rank order — a page at a time, since a big cluster's report holds tens
// of thousands — each expandable to its objects, patch, principals, impact,
// evidence and escalation path (drawn in the graph view), the
// platform-managed fixes apart, and the controls with their findings.
// The report stays in the worker; the page holds one slim row per fix and
// asks for a fix's details when it is opened. Everything from the report
// reaches the page as text (see dom.js).
import { badge, cliLine, describe, fill, h, ms, quoteArg, ruleText, sourceText, subjectId } from "./dom.js";

/** Rows rendered at a time, per list. */
export const PAGE = 100;
const SEVERITIES = ["critical", "high", "medium", "low", "info"];
/** Kinds the permission graph view can centre on (see view.rs). */
const DRAWABLE = new Set([
  "User",
  "Group",
  "ServiceAccount",
  "RoleBinding",
  "ClusterRoleBinding",
  "Role",
  "ClusterRole",
  "Pod",
  "Deployment",
  "DaemonSet",
  "StatefulSet",
  "ReplicaSet",
  "ReplicationController",
  "Job",
  "CronJob",
]);

const plural = (n, one, many = `${one}s`) => `${n} ${n === 1 ? one : many}`;
const words = (camel) => camel.replace(/([A-Z])/g, " $1").toLowerCase();

function level(severity) {
  return h("span", { className: `level ${severity}` }, severity);
}

function objectLine(ref) {
  return h(
    "span",
    { className: "obj-line" },
    badge(ref.kind),
    " ",
    h("span", { className: "obj-name" }, ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name),
    ref.source ? h("span", { className: "where" }, ` ${sourceText(ref.source)}`) : null,
  );
}

function subjectItem(s) {
  return h("li", {}, badge(s.kind), " ", s.namespace ? `${s.namespace}/${s.name}` : s.name);
}

/** A scrollable list of every principal, with its count in the heading. */
function principalList(title, items, testid) {
  return [
    h("h4", {}, `${title} (${items.length})`),
    items.length
      ? h("ul", { className: "scroll-list", dataset: { testid } }, items.map(subjectItem))
      : h("p", { className: "muted small", dataset: { testid } }, "None."),
  ];
}

function requestText(r) {
  if (r.type === "nonResource") return `${r.verb} ${r.path}`;
  const what = `${r.resource}${r.subresource ? `/${r.subresource}` : ""} (${r.apiGroup || "core"})${r.name ? ` named ${r.name}` : ""}`;
  return `${r.verb} ${what} ${r.namespace ? `in namespace ${r.namespace}` : "cluster-wide"}`;
}

/** A path node (`NodeRef`) in words. */
function nodeText(n) {
  if (n.kind === "ClusterAdmin") return "cluster-admin";
  if (n.kind === "Node") return n.name === "*" ? "any node" : `node ${n.name}`;
  if (n.kind === "RoleGrant") {
    const role = n.role ? describe(n.role) : "any rules";
    return n.namespace ? `${role} bound in namespace ${n.namespace}` : `${role} bound cluster-wide`;
  }
  return describe(n);
}

function stepEvidence(e) {
  switch (e.type) {
    case "permission":
      return h(
        "li",
        {},
        "may ",
        h("code", {}, requestText(e.request)),
        e.reasons.length
          ? h(
              "ul",
              {},
              e.reasons.map((r) =>
                r.type === "rule"
                  ? h("li", {}, describe(r.binding), " → ", describe(r.role), h("span", { className: "rule-index" }, ` rule ${r.ruleIndex}`), " ", h("code", {}, ruleText(r.rule)), h("span", { className: "where" }, ` ${sourceText(r.binding.source)}`))
                  : h("li", {}, "member of ", h("code", {}, r.group)),
              ),
            )
          : null,
      );
    case "grantedRule":
      return h("li", {}, "granted ", h("code", {}, ruleText(e.rule)), e.role ? [" by ", describe(e.role)] : null, e.ruleIndex !== undefined ? h("span", { className: "rule-index" }, ` rule ${e.ruleIndex}`) : null);
    case "covered":
      return h("li", {}, describe(e.role), ": ", e.message);
    case "object":
      return h("li", {}, objectLine(e.object), " ", e.message);
    default:
      return h("li", {}, e.message);
  }
}

/** The requests a rule grants: the first few, the rest on request. */
function requestList(requests) {
  if (!requests.length) return null;
  const first = requests.slice(0, 6).join(", ");
  if (requests.length <= 6) return h("div", { className: "muted small" }, `grants ${first}`);
  return h("details", { className: "muted small requests" }, h("summary", {}, `grants ${first} and ${requests.length - 6} more`), requests.slice(6).join(", "));
}

/** `kubectl` for one object patch, to copy. */
function kubectlLine(p) {
  const o = p.object;
  const ns = o.namespace ? ["-n", o.namespace] : [];
  const kind = o.kind.toLowerCase();
  if (p.action === "delete") return ["kubectl", "delete", kind, o.name, ...ns];
  if (p.action === "create") return ["kubectl", "apply", "-f", `${o.name}.json`];
  return ["kubectl", "patch", kind, o.name, ...ns, "--type=json", "-p", JSON.stringify(p.jsonPatch)];
}

function patchView(patch) {
  return [
    h(
      "ol",
      { className: "patch" },
      patch.map((p) =>
        h(
          "li",
          {},
          h("strong", { className: `action ${p.action}` }, p.action),
          " ",
          objectLine(p.object),
          p.action === "patch"
            ? h(
                "ul",
                { className: "ops" },
                p.jsonPatch.map((op) => h("li", {}, h("code", {}, `${op.op} ${op.path}`), op.value !== undefined ? [" ", h("code", { className: "value" }, JSON.stringify(op.value))] : null)),
              )
            : null,
          p.action === "create" ? h("pre", { className: "json" }, JSON.stringify(p.manifest, null, 2)) : null,
          h("div", { className: "kubectl" }, h("code", {}, kubectlLine(p).map(quoteArg).join(" "))),
        ),
      ),
    ),
    h("details", { className: "raw" }, h("summary", {}, "The patch as JSON"), h("pre", { className: "json" }, JSON.stringify(patch, null, 2))),
  ];
}

/** The node id the graph view uses for a path node or an object. */
function nodeId(n) {
  if (n.kind === "ClusterAdmin") return "ClusterAdmin:cluster-admin";
  if (n.kind === "RoleGrant") return `RoleGrant:${n.namespace ?? ""}/${n.role ? describe(n.role) : "*"}`;
  return subjectId(n);
}

/**
 * An escalation path as a drawing: its nodes (lit), each step an edge
 * labelled with its technique (lit), and what each step stands on — the
 * subject → binding → role chains of its permissions and the objects of its
 * evidence. Objects the fix changes are marked `changed`.
 */
export function pathView(path, fix) {
  const nodes = new Map();
  const edges = [];
  const seenEdges = new Set();
  const changed = new Set([...fix.objects, ...fix.patch.map((p) => p.object)].map(nodeId));
  const addNode = (ref, onPath) => {
    const id = nodeId(ref);
    const known = nodes.get(id);
    if (known) {
      known.onPath ||= onPath;
      return id;
    }
    const name = ref.kind === "Node" && ref.name === "*" ? "any node" : ref.kind === "RoleGrant" ? nodeText(ref) : ref.name;
    nodes.set(id, {
      id,
      kind: ref.kind,
      name,
      namespace: ref.kind === "RoleGrant" ? undefined : ref.namespace,
      source: ref.source,
      onPath,
      changed: changed.has(id),
      drawable: DRAWABLE.has(ref.kind),
    });
    return id;
  };
  const addEdge = (from, to, kind, extra = {}) => {
    const key = `${from}\u0000${to}\u0000${kind}`;
    if (seenEdges.has(key)) return;
    seenEdges.add(key);
    edges.push({ from, to, kind, ...extra });
  };
  const center = addNode(path.source, true);
  for (const step of path.steps) {
    const from = addNode(step.from, true);
    const to = addNode(step.to, true);
    addEdge(from, to, "escalation", { label: step.technique, onPath: true });
    for (const e of step.evidence) {
      if (e.type === "permission") {
        for (const r of e.reasons) {
          if (r.type !== "rule") continue;
          const subject = addNode(r.subject, false);
          if (subject !== from) addEdge(from, subject, "memberOf");
          const binding = addNode(r.binding, false);
          const role = addNode(r.role, false);
          addEdge(subject, binding, "subjectOf");
          addEdge(binding, role, "roleRef");
        }
      } else if (e.type === "object") {
        addEdge(addNode(e.object, false), to, "evidence");
      } else if (e.type === "grantedRule" && e.role) {
        addEdge(addNode(e.role, false), to, "evidence");
      }
    }
  }
  return { center, nodes: [...nodes.values()], edges };
}

/**
 * The Audit tab. `ctx`: {engine, form, out, needData, showError, clearInvalid,
 * writeState, onDrawPath(view, fix, note), techniqueTitles(): Promise<Map>}.
 */
export class AuditPanel {
  constructor(ctx) {
    this.ctx = ctx;
    this.overview = null;
    this.query = null;
    this.filter = { text: "", severity: "" };
    this.lists = [];
    this.runs = 0;
    ctx.form.addEventListener("submit", (ev) => {
      ev.preventDefault();
      this.run();
    });
  }

  /** Forgets the last report (new data was loaded). */
  reset() {
    this.overview = null;
    this.lists = [];
    fill(this.ctx.out, h("p", { className: "muted" }, "Run the audit to see what to fix first on this cluster."));
  }

  /** Sets the form from URL parameters. */
  setParams(p) {
    const el = (name) => this.ctx.form.elements.namedItem(name);
    el("paths").checked = p.paths !== "0";
    el("findings").checked = p.findings === "1";
    el("legacy").checked = p.legacy === "1";
    el("eks").checked = p.eks === "1";
    el("targetVersion").value = p.target ?? "";
    el("maxDepth").value = p.depth ?? "8";
  }

  formQuery() {
    const el = (name) => this.ctx.form.elements.namedItem(name);
    const q = {
      paths: el("paths").checked,
      findings: el("findings").checked,
      maxDepth: Number(el("maxDepth").value),
      assumeLegacyTokens: el("legacy").checked,
      eks: el("eks").checked,
    };
    const target = el("targetVersion").value.trim();
    if (target) q.targetVersion = target;
    const ignore = el("ignore").value;
    if (ignore.trim()) q.ignore = ignore;
    return q;
  }

  cliArgs(q) {
    const args = ["audit"];
    if (q.targetVersion) args.push("--target-version", q.targetVersion);
    if (q.ignore) args.push("--ignore", "ignore.yaml");
    if (!q.paths) args.push("--no-paths");
    if (q.maxDepth !== 8) args.push("--max-depth", String(q.maxDepth));
    if (q.assumeLegacyTokens) args.push("--assume-legacy-tokens");
    if (q.eks) args.push("--eks");
    if (q.findings) args.push("--by", "control");
    args.push("-o", "json");
    return args;
  }

  async run() {
    const { engine, form, out } = this.ctx;
    this.ctx.clearInvalid(form);
    const q = this.formQuery();
    this.ctx.writeState("audit", {
      run: 1,
      paths: q.paths ? "" : "0",
      findings: q.findings ? 1 : "",
      legacy: q.assumeLegacyTokens ? 1 : "",
      eks: q.eks ? 1 : "",
      target: q.targetVersion,
      depth: q.maxDepth === 8 ? "" : q.maxDepth,
    });
    if (this.ctx.needData(out)) return;
    const button = form.querySelector("[type=submit]");
    button.disabled = true;
    delete out.dataset.query;
    fill(
      out,
      h(
        "p",
        { className: "muted" },
        h("span", { className: "spinner", attrs: { "aria-hidden": "true" } }),
        q.paths ? " Auditing: running the controls and building the escalation graph (a minute on clusters with tens of thousands of bindings)…" : " Auditing…",
      ),
    );
    let r;
    const t0 = performance.now();
    try {
      r = await engine.call("audit", q);
    } catch (e) {
      r = { ok: false, error: { message: e.message } };
    } finally {
      button.disabled = false;
    }
    const roundTripMs = performance.now() - t0;
    if (!r.ok) {
      out.dataset.query = JSON.stringify(q);
      return this.ctx.showError(out, r.error, form);
    }
    const t1 = performance.now();
    this.overview = r.value;
    this.query = q;
    this.filter = { text: "", severity: "" };
    this.render();
    const renderMs = performance.now() - t1;
    fill(this.timing, `Audit ${ms(r.value.timing.auditMs)} in the engine, ${ms(roundTripMs)} until the page had it, ${ms(renderMs)} to draw this page.`);
    out.dataset.auditMs = String(Math.round(r.value.timing.auditMs));
    out.dataset.renderMs = String(Math.round(renderMs));
    out.dataset.query = JSON.stringify(q);
    out.dataset.run = String(++this.runs);
  }

  render() {
    const o = this.overview;
    const { out } = this.ctx;
    this.timing = h("p", { className: "muted small timing" });
    const filterBox = h("input", {
      type: "search",
      placeholder: "Filter fixes: title, id, control, kind",
      attrs: { "aria-label": "Filter fixes" },
      dataset: { testid: "fix-filter" },
      on: { input: () => this.setFilter({ text: filterBox.value }) },
    });
    const severityBox = h(
      "select",
      { attrs: { "aria-label": "Severity" }, on: { change: () => this.setFilter({ severity: severityBox.value }) } },
      h("option", { value: "" }, "every severity"),
      SEVERITIES.map((s) => h("option", { value: s }, s)),
    );
    this.filterBox = filterBox;
    this.severityBox = severityBox;
    const main = this.fixList(o.fixes, "fix-row", "fixes");
    const platform = this.fixList(o.platformManaged, "platform-fix-row", "platform-managed fixes");
    this.lists = [main, platform];
    fill(
      out,
      this.summary(),
      cliLine(this.cliArgs(this.query)),
      this.timing,
      h("h3", {}, `Fixes, in rank order (${o.fixes.length})`),
      o.fixes.length
        ? [h("div", { className: "fix-tools" }, filterBox, severityBox, main.count), main.table, main.more]
        : h("p", { className: "muted" }, "Nothing to fix."),
      o.platformManaged.length
        ? h(
            "section",
            { className: "platform-fixes" },
            h("h3", {}, `Platform-managed (${o.platformManaged.length})`),
            h("p", { className: "muted small" }, "Objects a managed platform installs (EKS, GKE, AKS, OpenShift, k3s): they are not yours to change, but they count in paths and impact."),
            platform.count,
            platform.table,
            platform.more,
          )
        : null,
      this.controlsSection(),
    );
    for (const list of this.lists) this.refill(list);
  }

  summary() {
    const o = this.overview;
    const s = o.summary;
    const withPaths = o.reachability === "attackGraph";
    const stat = (value, label, sub, testid) =>
      h("div", { className: "stat", dataset: testid ? { testid } : {} }, h("div", { className: "stat-value" }, value), h("div", { className: "stat-label" }, label), sub ? h("div", { className: "stat-sub muted small" }, sub) : null);
    const controlsHit = o.controls.filter((c) => c.findings > 0).length;
    return h(
      "section",
      { className: "audit-summary", dataset: { testid: "audit-summary" }, attrs: { "aria-label": "Audit summary" } },
      h(
        "div",
        { className: "stats" },
        withPaths
          ? [
              stat(String(s.principalsReachingClusterAdmin), "principals reach cluster-admin", `${plural(s.principalsBoundToClusterAdmin, "is", "are")} bound to it on purpose (directly)`, "summary-cluster-admin"),
              stat(String(s.principalsReachingNodes), "reach root on a node", null, "summary-nodes"),
              stat(String(s.defaultOrPlatformPrincipals), "of them are the API server's or the platform's own", "no fix is asked of those"),
            ]
          : stat("—", "principals reaching cluster-admin", "not computed: escalation paths are off", "summary-cluster-admin"),
        stat(String(s.fixes), s.fixes === 1 ? "fix" : "fixes", `resolve ${plural(s.findings, "finding")} of ${plural(controlsHit, "control")} (${s.controls} run)`, "summary-fixes"),
      ),
      h(
        "ul",
        { className: "severity-counts", attrs: { "aria-label": "Fixes by severity" } },
        SEVERITIES.map((v) => h("li", { className: s.bySeverity[v] ? "" : "zero", dataset: { severity: v } }, level(v), " ", String(s.bySeverity[v]))),
      ),
      h(
        "p",
        { className: "small" },
        s.platformManagedFixes ? `${plural(s.platformManagedFixes, "platform-managed fix", "platform-managed fixes")}, listed apart below. ` : "No platform-managed fixes. ",
        s.suppressed ? `${plural(s.suppressed, "finding")} suppressed by the ignore file. ` : "",
        o.targetVersion ? `Upgrade checks against Kubernetes ${o.targetVersion}. ` : "",
        withPaths ? "Ranked by severity, then by how many principals each fix cuts off from cluster-admin." : "Ranked by the permissions alone.",
      ),
      o.notes.length ? h("ul", { className: "notes" }, o.notes.map((n) => h("li", {}, n))) : null,
    );
  }

  /** A list of fixes: its table, "show more" button and counter. */
  fixList(rows, testid, noun) {
    const headers = [
      ["#", "Rank"],
      ["Severity", ""],
      ["Fix", ""],
      ["Controls", ""],
      ["Principals", "Principals whose permissions or credentials it changes"],
      ["Scope", "Namespaces it touches, or cluster-wide"],
      ["Admin paths cut", "Principals that lose every path to cluster-admin once it is applied"],
      ["Node paths cut", "Principals that lose every path to a node once it is applied"],
    ];
    const tbody = h("tbody", {});
    const list = {
      rows,
      testid,
      noun,
      tbody,
      rendered: 0,
      shown: PAGE,
      matching: rows,
      count: h("span", { className: "muted small fix-count" }),
      table: h(
        "div",
        { className: "table-scroll" },
        h("table", { className: "results fix-table" }, h("thead", {}, h("tr", {}, headers.map(([label, title]) => h("th", { title }, label)))), tbody),
      ),
      more: h("button", {
        type: "button",
        className: "button more",
        hidden: true,
        dataset: { testid: testid === "fix-row" ? "fix-more" : "platform-fix-more" },
        on: {
          click: () => {
            list.shown += PAGE;
            this.appendRows(list);
          },
        },
      }),
    };
    return list;
  }

  setFilter(change) {
    Object.assign(this.filter, change);
    for (const list of this.lists) this.refill(list);
  }

  /** Re-applies the filter: the first page of what matches. */
  refill(list) {
    const text = this.filter.text.trim().toLowerCase();
    const sev = this.filter.severity;
    list.matching = list.rows.filter(
      (f) => (!sev || f.severity === sev) && (!text || [f.id, f.title, f.kind, words(f.kind), f.platform ?? "", ...f.controls].some((x) => x.toLowerCase().includes(text))),
    );
    list.tbody.replaceChildren();
    list.rendered = 0;
    list.shown = PAGE;
    this.appendRows(list);
  }

  appendRows(list) {
    const end = Math.min(list.shown, list.matching.length);
    const titles = new Map(this.overview.controls.map((c) => [c.id, c.title]));
    for (const f of list.matching.slice(list.rendered, end)) list.tbody.append(...this.fixRow(f, list.testid, titles));
    list.rendered = end;
    const filtered = list.matching.length !== list.rows.length;
    fill(list.count, filtered ? `Showing ${end} of ${list.matching.length} matching ${list.noun} (${list.rows.length} in all)` : `Showing ${end} of ${list.rows.length} ${list.noun}`);
    const left = list.matching.length - end;
    list.more.hidden = left <= 0;
    fill(list.more, `Show ${Math.min(PAGE, left)} more (${left} left)`);
  }

  fixRow(f, testid, titles) {
    const withPaths = this.overview.reachability === "attackGraph";
    const detail = h("tr", { className: "detail", hidden: true }, h("td", { colSpan: 8 }));
    const toggle = h("button", { type: "button", className: "twisty", attrs: { "aria-expanded": "false", "aria-label": `Show fix ${f.rank}` } });
    const shownControls = f.controls.slice(0, 3);
    const row = h(
      "tr",
      { className: "row fix-row", dataset: { testid, id: f.id, severity: f.severity } },
      h("td", { className: "rank" }, toggle, String(f.rank)),
      h("td", {}, level(f.severity)),
      h(
        "td",
        { className: "fix-title" },
        h("div", { className: "title" }, f.title),
        h("div", { className: "muted small" }, h("code", { className: "fix-id" }, f.id), ` · ${words(f.kind)}`, f.platform ? ` · ${f.platform}` : "", f.hasPath ? " · on an escalation path" : ""),
      ),
      h(
        "td",
        { className: "controls" },
        shownControls.map((c) => h("span", { className: "control", title: titles.get(c) ?? "" }, c)),
        f.controls.length > shownControls.length ? h("span", { className: "muted small", title: f.controls.slice(3).join(", ") }, ` +${f.controls.length - 3}`) : null,
      ),
      h("td", { className: "num" }, String(f.principals)),
      h("td", { className: "scope" }, f.clusterWide ? "cluster-wide" : f.namespaces ? plural(f.namespaces, "namespace") : "—"),
      h("td", { className: "num impact", dataset: { testid: testid === "fix-row" ? "fix-impact" : "platform-fix-impact" }, title: withPaths ? "" : "impact not computed: escalation paths are off" }, f.impact ? String(f.impact.clusterAdmin) : "–"),
      h("td", { className: "num" }, f.impact ? String(f.impact.nodes) : "–"),
    );
    const flip = () => {
      const open = detail.hidden;
      detail.hidden = !open;
      toggle.setAttribute("aria-expanded", String(open));
      row.classList.toggle("open", open);
      if (open && !detail.dataset.filled) {
        detail.dataset.filled = "1";
        this.fillDetail(detail.firstChild, f.id);
      }
    };
    row.addEventListener("click", flip);
    return [row, detail];
  }

  async fillDetail(cell, id) {
    fill(cell, h("p", { className: "muted" }, h("span", { className: "spinner" }), " Loading the fix…"));
    let d;
    try {
      this.techniqueTitles ??= await this.ctx.techniqueTitles();
      d = await this.ctx.engine.call("auditFix", id);
    } catch (e) {
      return this.ctx.showError(cell, { message: e.message });
    }
    fill(cell, this.fixDetail(d));
  }

  fixDetail(d) {
    const { fix } = d;
    const withPaths = this.overview.reachability === "attackGraph";
    const titles = this.techniqueTitles;
    const section = (title, ...body) => h("section", { className: "fix-part" }, h("h4", {}, title), ...body);
    return h(
      "div",
      { className: "fix-detail", dataset: { testid: "fix-detail", id: fix.id } },
      h("p", { className: "description" }, fix.description),
      h("p", { className: "muted small" }, `Severity ${fix.severity}: ${fix.severityReason}.`),
      fix.manual ? h("p", { className: "warn small" }, h("strong", {}, "By hand: "), fix.manual) : null,
      fix.platform ? h("p", { className: "small" }, `Installed by ${fix.platform.platform} (${fix.platform.reason}).`) : null,
      h(
        "div",
        { className: "fix-grid" },
        section("What to change", h("ul", { className: "objects" }, fix.objects.map((o) => h("li", {}, objectLine(o)))), patchView(fix.patch)),
        section(
          "Controls it addresses",
          h(
            "ul",
            { className: "control-list" },
            d.controls.map((c) => h("li", {}, h("code", {}, c.id), " ", c.title)),
          ),
        ),
        h("section", { className: "fix-part" }, principalList("Affected principals", fix.principals.items, "fix-principals")),
        fix.impact
          ? h(
              "section",
              { className: "fix-part" },
              principalList("Lose every path to cluster-admin", fix.impact.clusterAdminPrincipals, "fix-impact-admin"),
              principalList("Lose every path to a node", fix.impact.nodesPrincipals, "fix-impact-nodes"),
            )
          : section("Impact", h("p", { className: "muted small" }, withPaths ? "None." : "Not computed: escalation paths are off.")),
        section(
          "Evidence",
          d.rules.length
            ? h(
                "ol",
                { className: "rule-evidence" },
                d.rules.map((r) =>
                  h(
                    "li",
                    {},
                    objectLine(r.role),
                    h("div", {}, h("span", { className: "rule-index" }, `rule ${r.ruleIndex}`), " ", h("code", {}, ruleText(r.rule))),
                    requestList(r.requests),
                  ),
                ),
              )
            : null,
          d.objects.length ? h("ul", { className: "objects" }, d.objects.map((o) => h("li", {}, objectLine(o)))) : null,
          fix.evidence.facts.length ? h("ul", { className: "facts" }, fix.evidence.facts.map((f) => h("li", {}, f))) : null,
          !d.rules.length && !d.objects.length && !fix.evidence.facts.length ? h("p", { className: "muted small" }, "The objects above are the evidence.") : null,
        ),
      ),
      d.path ? this.pathSection(d, titles) : withPaths ? h("p", { className: "muted small" }, "No escalation path starts with what this fix removes.") : null,
    );
  }

  pathSection(d, titles) {
    const { path, fix } = d;
    return h(
      "section",
      { className: "fix-path" },
      h("h4", {}, `Escalation path it cuts: ${nodeText(path.source)} to ${path.target === "nodes" ? "a node" : path.target} in ${plural(path.steps.length, "step")}`),
      h(
        "ol",
        { className: "path-steps" },
        path.steps.map((s) =>
          h(
            "li",
            {},
            h("strong", {}, nodeText(s.from)),
            " → ",
            h("code", { className: "technique", title: titles.get(s.technique) ?? "" }, s.technique),
            " ",
            h("span", { className: "muted" }, titles.get(s.technique) ?? ""),
            " → ",
            h("strong", {}, nodeText(s.to)),
            h("ul", { className: "step-evidence small" }, s.evidence.map(stepEvidence)),
          ),
        ),
      ),
      h(
        "button",
        {
          type: "button",
          className: "button",
          dataset: { testid: "fix-draw-path" },
          on: {
            click: () => {
              const view = pathView(path, fix);
              const changed = fix.objects.filter((o) => view.nodes.some((n) => n.changed && n.id === nodeId(o)));
              const note = [
                `Fix ${fix.rank} (${fix.id}): ${nodeText(path.source)} reaches ${path.target === "nodes" ? "a node" : path.target} in ${plural(path.steps.length, "step")}. `,
                "Halo: the path; red arrows: its steps, labelled with the technique",
                changed.length ? `; dashed red border: what the fix changes (${changed.map(describe).join(", ")})` : "",
                ". Double-click a subject, binding or role to draw its neighbourhood.",
              ].join("");
              this.ctx.onDrawPath(view, fix, note);
            },
          },
        },
        "Draw this path in the graph",
      ),
    );
  }

  controlsSection() {
    const o = this.overview;
    const rows = o.controls.map((c) => {
      const expandable = o.findingsListed && c.findings > 0;
      const detail = h("tr", { className: "detail", hidden: true }, h("td", { colSpan: 5 }));
      const row = h(
        "tr",
        { className: expandable ? "row" : "", dataset: { control: c.id } },
        h("td", {}, expandable ? h("button", { type: "button", className: "twisty", attrs: { "aria-expanded": "false", "aria-label": `Show the findings of ${c.id}` } }) : null, h("code", {}, c.id)),
        h("td", {}, c.title),
        h("td", {}, c.severity ? level(c.severity) : h("span", { className: "muted" }, "—")),
        h("td", { className: "num" }, String(c.findings)),
        h("td", { className: "num" }, String(c.fixes)),
      );
      if (expandable) {
        row.addEventListener("click", () => {
          const open = detail.hidden;
          detail.hidden = !open;
          row.querySelector(".twisty").setAttribute("aria-expanded", String(open));
          row.classList.toggle("open", open);
          if (open && !detail.dataset.filled) {
            detail.dataset.filled = "1";
            this.findingPages(detail.firstChild, { control: c.id });
          }
        });
      }
      return [row, detail];
    });
    const suppressed = h("details", { className: "suppressed" }, h("summary", {}, `Suppressed findings (${o.suppressed})`));
    if (o.suppressed) {
      suppressed.addEventListener("toggle", () => {
        if (suppressed.open && !suppressed.dataset.filled) {
          suppressed.dataset.filled = "1";
          const box = h("div", {});
          suppressed.append(box);
          this.findingPages(box, { suppressed: true });
        }
      });
    }
    return h(
      "section",
      { className: "audit-controls" },
      h("h3", {}, "Controls"),
      o.findingsListed ? null : h("p", { className: "muted small" }, "Tick “Findings per control” and run again to list each finding (what rbacgraph audit --by control prints)."),
      h(
        "div",
        { className: "table-scroll" },
        h(
          "table",
          { className: "results controls-table" },
          h("thead", {}, h("tr", {}, ["Control", "Title", "Severity", "Findings", "Fixes"].map((t) => h("th", {}, t)))),
          h("tbody", {}, rows),
        ),
      ),
      o.suppressed ? suppressed : null,
    );
  }

  /** Findings of one control (or the suppressed ones), a page at a time. */
  async findingPages(box, which) {
    const list = h("ol", { className: "findings" });
    const more = h("button", { type: "button", className: "button more", hidden: true });
    fill(box, list, more);
    let offset = 0;
    const next = async () => {
      const page = await this.ctx.engine.call("auditFindings", { ...which, offset, limit: PAGE });
      list.append(...page.items.map((f) => this.findingItem(f)));
      offset += page.items.length;
      const left = page.total - offset;
      more.hidden = left <= 0;
      fill(more, `Show ${Math.min(PAGE, left)} more (${left} left)`);
    };
    more.addEventListener("click", next);
    await next();
  }

  findingItem(f) {
    return h(
      "li",
      { className: "finding" },
      level(f.severity),
      " ",
      f.message,
      f.object ? h("div", { className: "small" }, objectLine(f.object)) : null,
      f.reason ? h("div", { className: "muted small" }, `Suppressed: ${f.reason} (ignore rule ${f.ruleIndex})`) : null,
      f.fixes.length
        ? h(
            "div",
            { className: "small" },
            "Resolved by ",
            f.fixes.map((id, i) => [i ? ", " : "", h("button", { type: "button", className: "link", on: { click: () => this.focusFix(id) } }, id)]),
          )
        : null,
    );
  }

  /** Filters the fix lists to one id and opens it. */
  focusFix(id) {
    this.filterBox.value = id;
    this.severityBox.value = "";
    this.setFilter({ text: id, severity: "" });
    const row = this.ctx.out.querySelector(`tr.fix-row[data-id="${CSS.escape(id)}"]`);
    if (row) {
      row.click();
      row.scrollIntoView({ block: "center" });
    }
  }
}
