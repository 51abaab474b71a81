// The explorer page: loading, the who-can / can-i / subject / graph views,
// the audit (audit.js), and URL state. The engine runs in worker.js; this file only asks it
// questions and renders answers, as text (see dom.js).
import { $, $$, badge, byTestId, bytes, cliLine, describe, fill, h, ms, ruleText, sourceText, subjectId, subjectUser } from "./dom.js";
import { AuditPanel } from "./audit.js";
import { Engine } from "./engine.js";
import { GraphPanel, KINDS } from "./graph.js";
import { readState, writeState } from "./state.js";

const VIEWS = ["whocan", "cani", "subject", "graph", "audit"];
const engine = new Engine(onCrash);
/** What is loaded: {label, summary, namespaces, resourceTypes, bytes, timing}. */
let loaded = null;
let subjectList = null;
const roleCache = new Map();
let graphPanel = null;

// ---- small helpers -------------------------------------------------------

function banner(text, kind = "error") {
  const el = $("#banner");
  el.className = `banner ${kind}`;
  fill(el, text, " ", h("button", { type: "button", className: "link", on: { click: () => (el.hidden = true) } }, "Dismiss"));
  el.hidden = false;
}

function onCrash(message) {
  loaded = null;
  subjectList = null;
  roleCache.clear();
  auditPanel.reset();
  fill($("#dataset"), "No cluster loaded");
  banner(`The engine stopped on an internal error (${message}). Load the data again.`);
}

/** An error result (RbacError) as a message, marking the form field at fault. */
function showError(container, error, form) {
  const field = error.field && form ? form.elements.namedItem(error.field) : null;
  if (field instanceof HTMLElement) {
    field.classList.add("invalid");
    field.setAttribute("aria-invalid", "true");
  }
  const extra = error.suggestions?.length ? ` Did you mean ${error.suggestions.join(" or ")}?` : "";
  fill(container, h("div", { className: "error-box", attrs: { role: "alert" } }, h("strong", {}, "Cannot answer: "), error.message, extra));
}

function clearInvalid(form) {
  for (const el of $$(".invalid", form)) {
    el.classList.remove("invalid");
    el.removeAttribute("aria-invalid");
  }
}

function needData(container) {
  if (loaded) return false;
  fill(container, h("p", { className: "muted" }, "Load a cluster first: drop manifests on the left, or try the demo cluster."));
  return true;
}

function formValues(form) {
  const out = {};
  for (const el of form.elements) {
    if (!el.name) continue;
    out[el.name] = el.type === "checkbox" ? el.checked : el.value.trim();
  }
  return out;
}

function setFormValues(form, params) {
  for (const el of form.elements) {
    if (!el.name || !(el.name in params)) continue;
    if (el.type === "checkbox") el.checked = params[el.name] === "1" || params[el.name] === "true";
    else el.value = params[el.name];
  }
}

function cliTarget(q) {
  return q.name ? `${q.resource}/${q.name}` : q.resource;
}

async function roleRules(ref) {
  const key = describe(ref);
  if (!roleCache.has(key)) {
    roleCache.set(key, engine.call("role", { kind: ref.kind, name: ref.name, namespace: ref.namespace }));
  }
  const r = await roleCache.get(key);
  return r.ok ? r.value.rules : [];
}

function objectLink(ref) {
  return h("span", { className: "obj", title: sourceText(ref.source) }, badge(ref.kind), " ", ref.namespace ? `${ref.namespace}/${ref.name}` : ref.name);
}

// ---- views ---------------------------------------------------------------

function showView(view) {
  if (!VIEWS.includes(view)) return;
  for (const v of VIEWS) {
    $(`#view-${v}`).hidden = v !== view;
    $(`#tab-${v}`).setAttribute("aria-selected", String(v === view));
  }
  if (view === "subject") ensureSubjects();
  if (view === "graph") graphPanel?.resize();
}

for (const tab of $$(".tabs [role=tab]")) {
  tab.addEventListener("click", () => {
    showView(tab.dataset.view);
    const state = readState();
    if (state.view !== tab.dataset.view) writeState(tab.dataset.view, {});
  });
}

// ---- loading -------------------------------------------------------------

async function load(label, op, ...args) {
  const status = $("#load-status");
  const buttons = $$(".load-panel button, .load-panel input");
  fill(status, h("span", { className: "spinner", attrs: { "aria-hidden": "true" } }), ` Loading ${label}…`);
  status.className = "load-status busy";
  for (const b of buttons) b.disabled = true;
  try {
    const r = await engine.call(op, ...args);
    if (!r.ok) {
      status.className = "load-status";
      fill(status, "");
      showError($("#load-summary"), r.error);
      return;
    }
    loaded = { label, ...r };
    subjectList = null;
    roleCache.clear();
    status.className = "load-status";
    fill(status, `Loaded ${label} in ${ms(r.timing.totalMs)} (${bytes(r.bytes)}; engine ${ms(r.timing.parseMs)}).`);
    renderSummary();
    onLoaded();
  } catch (e) {
    status.className = "load-status";
    fill(status, "");
    showError($("#load-summary"), { message: e.message });
  } finally {
    for (const b of buttons) b.disabled = false;
  }
}

function renderSummary() {
  const { summary } = loaded;
  const l = summary.load;
  const g = summary.graph;
  const total = Object.values(l.loaded).reduce((a, b) => a + b, 0);
  const skipped = Object.entries(l.skipped);
  const warnings = summary.diagnostics;
  const chips = (entries, cls) =>
    h("ul", { className: `chips ${cls}` }, entries.map(([k, n]) => h("li", { className: "chip" }, h("span", { className: "count" }, String(n)), " ", k)));
  fill(
    $("#load-summary"),
    h("p", { className: "summary-head" }, h("strong", {}, `${total} objects`), ` from ${l.files} file(s), ${l.documents} document(s)`),
    chips(Object.entries(l.loaded), "loaded"),
    skipped.length ? [h("p", { className: "muted small" }, "Not used by RBAC analysis:"), chips(skipped, "skipped")] : null,
    l.failed ? h("p", { className: "warn" }, `${l.failed} object(s) or document(s) could not be used (see below).`) : null,
    h(
      "p",
      { className: "small graph-counts" },
      `${g.subjects} subjects · ${g.roleBindings + g.clusterRoleBindings} bindings · ${g.roles + g.clusterRoles} roles (${g.aggregatedClusterRoles} aggregated) · ${g.workloads} workloads · ${g.namespaces} namespaces`,
      g.danglingBindings ? ` · ${g.danglingBindings} binding(s) to a missing role` : "",
    ),
    h("h3", {}, warnings.length ? `Load problems (${warnings.length})` : "No load problems"),
    warnings.length
      ? h(
          "ol",
          { className: "diagnostics" },
          warnings.map((d) =>
            h(
              "li",
              { className: d.severity },
              h("span", { className: `sev ${d.severity}` }, d.severity),
              " ",
              h("span", { className: "where" }, sourceText(d.source)),
              d.object ? [" ", h("span", { className: "object" }, d.object)] : null,
              d.field ? [" ", h("code", {}, d.field)] : null,
              h("div", { className: "message" }, d.message),
            ),
          ),
        )
      : null,
  );
}

function onLoaded() {
  fill($("#dataset"), h("strong", {}, loaded.label), ` · ${Object.values(loaded.summary.load.loaded).reduce((a, b) => a + b, 0)} objects`);
  $("#banner").hidden = true;
  fill($("#namespaces"), loaded.namespaces.map((ns) => h("option", { value: ns })));
  const resources = new Set();
  for (const t of loaded.resourceTypes) {
    resources.add(t.group ? `${t.plural}.${t.group}` : t.plural);
    for (const s of t.shortNames) resources.add(s);
  }
  fill($("#resources"), [...resources].sort().map((r) => h("option", { value: r })));
  for (const id of ["#whocan-result", "#cani-result"]) fill($(id));
  fill($("#subject-detail"), h("p", { className: "muted" }, "Pick a subject to see what it can do in each namespace, and what it can escalate to."));
  fill($("#graph-note"));
  auditPanel.reset();
  ensureSubjects().then(() => {
    fill($("#users"), (subjectList ?? []).filter((s) => s.kind !== "Group").slice(0, 2000).map((s) => h("option", { value: subjectUser(s) })));
  });
  applyState(true);
}

function manifestName(file) {
  return file.webkitRelativePath || file.name;
}

function byPath(a, b) {
  return a.name < b.name ? -1 : a.name > b.name ? 1 : 0;
}

function filesLabel(entries) {
  return entries.length === 1 ? entries[0].name : `${entries.length} files`;
}

$("#load-files").addEventListener("change", (ev) => {
  const entries = [...ev.target.files].map((f) => ({ name: manifestName(f), file: f })).sort(byPath);
  ev.target.value = "";
  if (entries.length) load(filesLabel(entries), "load", entries);
});

$("#load-folder").addEventListener("change", (ev) => {
  // A folder reads as `-f DIR` does: its .yaml, .yml and .json files, in path order.
  const entries = [...ev.target.files]
    .filter((f) => /\.(ya?ml|json)$/i.test(f.name))
    .map((f) => ({ name: manifestName(f), file: f }))
    .sort(byPath);
  ev.target.value = "";
  if (entries.length) load(filesLabel(entries), "load", entries);
  else banner("That folder has no .yaml, .yml or .json files.");
});

byTestId("load-demo").addEventListener("click", () => load("demo cluster", "loadDemo"));

byTestId("paste-load").addEventListener("click", () => {
  const text = byTestId("paste-input").value;
  if (!text.trim()) return banner("Paste some YAML or JSON first.", "info");
  load("pasted text", "load", [{ name: "pasted.yaml", text }]);
});

/** Files (recursively, for folders) of a drop. */
async function droppedFiles(dataTransfer) {
  const out = [];
  const readEntries = (reader) => new Promise((resolve, reject) => reader.readEntries(resolve, reject));
  const fileOf = (entry) => new Promise((resolve, reject) => entry.file(resolve, reject));
  async function walk(entry, inFolder) {
    if (entry.isFile) {
      if (!inFolder || /\.(ya?ml|json)$/i.test(entry.name)) {
        out.push({ name: entry.fullPath.replace(/^\//, ""), file: await fileOf(entry) });
      }
    } else if (entry.isDirectory) {
      const reader = entry.createReader();
      for (let batch = await readEntries(reader); batch.length; batch = await readEntries(reader)) {
        for (const child of batch) await walk(child, true);
      }
    }
  }
  const entries = [...dataTransfer.items].map((i) => i.webkitGetAsEntry?.()).filter(Boolean);
  if (entries.length) for (const e of entries) await walk(e, false);
  else for (const f of dataTransfer.files) out.push({ name: f.name, file: f });
  return out.sort(byPath);
}

const dropzone = $("#dropzone");
for (const type of ["dragenter", "dragover"]) {
  document.addEventListener(type, (ev) => {
    ev.preventDefault();
    dropzone.classList.add("dragging");
  });
}
for (const type of ["dragleave", "dragend"]) {
  document.addEventListener(type, (ev) => {
    if (ev.type === "dragend" || ev.relatedTarget === null) dropzone.classList.remove("dragging");
  });
}
document.addEventListener("drop", async (ev) => {
  ev.preventDefault();
  dropzone.classList.remove("dragging");
  const entries = await droppedFiles(ev.dataTransfer);
  if (entries.length) load(filesLabel(entries), "load", entries);
});

// ---- who can -------------------------------------------------------------

const whoForm = $("#whocan-form");
let whoRows = [];
let whoSort = { key: null, dir: 1 };

whoForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  runWhoCan();
});
byTestId("whocan-all-namespaces").addEventListener("change", (ev) => {
  byTestId("whocan-namespace").disabled = ev.target.checked;
});

function whoQuery() {
  const v = formValues(whoForm);
  const q = { verb: v.verb, resource: v.resource };
  if (v.subresource) q.subresource = v.subresource;
  if (v.name) q.name = v.name;
  if (v.all) q.allNamespaces = true;
  else q.namespace = v.namespace;
  if (v.expand) q.expand = true;
  return q;
}

async function runWhoCan() {
  const out = $("#whocan-result");
  clearInvalid(whoForm);
  const q = whoQuery();
  writeState("whocan", { verb: q.verb, resource: q.resource, subresource: q.subresource, name: q.name, namespace: q.namespace, all: q.allNamespaces ? 1 : "", expand: q.expand ? 1 : "" });
  if (needData(out)) return;
  const r = await engine.call("whoCan", q);
  out.dataset.query = JSON.stringify(q);
  if (!r.ok) return showError(out, r.error, whoForm);
  const doc = r.value;
  whoRows = doc.subjects.map((s, i) => ({ ...s, order: i }));
  whoSort = { key: null, dir: 1 };
  const where = q.allNamespaces ? "in any namespace" : q.resource.startsWith("/") ? "" : `(namespace ${q.namespace})`;
  const args = ["who-can", q.verb, cliTarget(q)];
  if (q.subresource) args.push("--subresource", q.subresource);
  args.push(...(q.allNamespaces ? ["-A"] : ["-n", q.namespace]));
  if (q.expand) args.push("--expand");
  fill(
    out,
    h(
      "p",
      { className: "answer-line" },
      h("strong", {}, `${doc.subjects.length} ${q.expand ? "principal" : "subject"}${doc.subjects.length === 1 ? "" : "s"}`),
      ` can ${q.verb} ${cliTarget(q)}${q.subresource ? ` (${q.subresource})` : ""} ${where}`,
    ),
    cliLine(args),
    h(
      "table",
      { className: "results", id: "whocan-table" },
      h(
        "thead",
        {},
        h(
          "tr",
          {},
          [
            ["kind", "Kind"],
            ["name", "Name"],
            ["namespace", "Namespace"],
            ["grants", "Granted by"],
          ].map(([key, label]) => h("th", { attrs: { "aria-sort": "none" }, dataset: { key } }, h("button", { type: "button", className: "sort", on: { click: () => sortWho(key) } }, label))),
        ),
      ),
      h("tbody", {}),
    ),
    doc.errors.length ? h("div", { className: "warn small" }, h("strong", {}, "Unresolved role references: "), doc.errors.join("; ")) : null,
  );
  renderWhoRows();
}

function sortWho(key) {
  whoSort = whoSort.key === key ? { key, dir: -whoSort.dir } : { key, dir: 1 };
  const value = (r) => (key === "grants" ? r.grants.length : (r[key] ?? ""));
  whoRows.sort((a, b) => {
    const x = value(a);
    const y = value(b);
    return (x < y ? -1 : x > y ? 1 : a.order - b.order) * whoSort.dir;
  });
  for (const th of $$("#whocan-table th")) {
    th.setAttribute("aria-sort", th.dataset.key === key ? (whoSort.dir > 0 ? "ascending" : "descending") : "none");
  }
  renderWhoRows();
}

function grantSummary(s) {
  if (!s.grants.length) return h("span", { className: "muted" }, "privileged group: allowed everything before RBAC");
  const g = s.grants[0];
  return h("span", {}, describe(g.binding), " → ", describe(g.role), s.grants.length > 1 ? h("span", { className: "muted" }, ` +${s.grants.length - 1} more`) : null);
}

function renderWhoRows() {
  const tbody = $("#whocan-table tbody");
  if (!tbody) return;
  fill(
    tbody,
    whoRows.map((s) => {
      const detail = h("tr", { className: "detail", hidden: true }, h("td", { colSpan: 4 }));
      const toggle = h("button", { type: "button", className: "twisty", attrs: { "aria-expanded": "false", "aria-label": `Show how ${s.kind} ${s.name} is granted` } });
      const row = h(
        "tr",
        { className: "row", dataset: { testid: "result-row" } },
        h("td", {}, toggle, badge(s.kind)),
        h("td", { className: "name" }, s.name),
        h("td", {}, s.namespace ?? ""),
        h("td", {}, grantSummary(s)),
      );
      const flip = () => {
        const open = detail.hidden;
        detail.hidden = !open;
        toggle.setAttribute("aria-expanded", String(open));
        row.classList.toggle("open", open);
        if (open && !detail.dataset.filled) {
          detail.dataset.filled = "1";
          fill(detail.firstChild, grantChains(s));
        }
      };
      row.addEventListener("click", flip);
      return [row, detail];
    }),
  );
}

function grantChains(s) {
  if (!s.grants.length) {
    return h("p", {}, `${s.kind} ${s.name} is allowed every request by the API server's privileged-groups authorizer, before RBAC is asked.`);
  }
  return h(
    "ol",
    { className: "chains" },
    s.grants.map((g) => {
      const rules = h("ul", { className: "rules" }, g.rules.map((i) => h("li", {}, `rule ${i}`)));
      roleRules(g.role).then((all) => fill(rules, g.rules.map((i) => h("li", {}, h("span", { className: "rule-index" }, `rule ${i}`), " ", h("code", {}, ruleText(all[i]))))));
      return h(
        "li",
        { className: "chain" },
        g.via ? h("span", { className: "via" }, "via ", objectLink(g.via), " → ") : null,
        objectLink(g.binding),
        h("span", { className: "arrow" }, " → "),
        objectLink(g.role),
        rules,
        h("p", { className: "muted small" }, `binding from ${sourceText(g.binding.source)}`, g.role.source ? `; role from ${sourceText(g.role.source)}` : ""),
      );
    }),
  );
}

// ---- can i ---------------------------------------------------------------

const canForm = $("#cani-form");
canForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  runCanI();
});

function canQuery() {
  const v = formValues(canForm);
  const q = { user: v.user, groups: v.groups.split(",").map((g) => g.trim()).filter(Boolean), verb: v.verb, resource: v.resource, namespace: v.namespace };
  if (v.subresource) q.subresource = v.subresource;
  if (v.name) q.name = v.name;
  return q;
}

async function runCanI() {
  const out = $("#cani-result");
  clearInvalid(canForm);
  const q = canQuery();
  writeState("cani", { user: q.user, groups: q.groups.join(","), verb: q.verb, resource: q.resource, subresource: q.subresource, name: q.name, namespace: q.namespace });
  if (needData(out)) return;
  const r = await engine.call("canI", q);
  out.dataset.query = JSON.stringify(q);
  if (!r.ok) return showError(out, r.error, canForm);
  const d = r.value;
  const args = ["can-i", q.verb, cliTarget(q)];
  if (q.subresource) args.push("--subresource", q.subresource);
  args.push("-n", q.namespace, "--as", q.user, ...q.groups.flatMap((g) => ["--as-group", g]), "--explain");
  fill(
    out,
    h(
      "div",
      { className: `answer ${d.allowed ? "yes" : "no"}` },
      h("span", { className: "answer-word", dataset: { testid: "cani-answer" } }, d.allowed ? "yes" : "no"),
      h("span", { className: "answer-text" }, `${q.user}${q.groups.length ? ` (groups ${q.groups.join(", ")})` : ""} ${d.allowed ? "may" : "may not"} ${q.verb} ${cliTarget(q)}${q.subresource ? `/${q.subresource}` : ""}${q.namespace ? ` in namespace ${q.namespace}` : " at cluster scope"}`),
    ),
    cliLine(args),
    d.allowed ? h("h3", {}, "Allowed by") : null,
    d.allowed
      ? h(
          "ol",
          { className: "chains" },
          d.reasons.map((reason) =>
            reason.type === "privilegedGroup"
              ? h("li", { className: "chain" }, "member of ", h("code", {}, reason.group), ", which the API server allows everything before RBAC")
              : h(
                  "li",
                  { className: "chain" },
                  objectLink(reason.subject),
                  h("span", { className: "arrow" }, " → "),
                  objectLink(reason.binding),
                  h("span", { className: "arrow" }, " → "),
                  objectLink(reason.role),
                  h("ul", { className: "rules" }, h("li", {}, h("span", { className: "rule-index" }, `rule ${reason.ruleIndex}`), " ", h("code", {}, ruleText(reason.rule)))),
                  h("p", { className: "muted small" }, `binding from ${sourceText(reason.binding.source)}`),
                ),
          ),
        )
      : null,
    !d.allowed ? h("h3", {}, d.whyNot.length ? "Near misses" : "Why not") : null,
    !d.allowed && !d.whyNot.length ? h("p", { className: "muted" }, "No binding that applies to this identity has a rule close to this request.") : null,
    !d.allowed && d.whyNot.length
      ? h(
          "ul",
          { className: "misses" },
          d.whyNot.map((m) => h("li", {}, h("span", { className: "miss-reason" }, m.reason.replace(/([A-Z])/g, " $1").toLowerCase()), " ", m.message, h("div", { className: "muted small" }, `binding from ${sourceText(m.binding.source)}`))),
        )
      : null,
    d.errors.length ? h("div", { className: "warn small" }, h("strong", {}, "Unresolved: "), d.errors.join("; ")) : null,
  );
}

// ---- subjects ------------------------------------------------------------

async function ensureSubjects() {
  if (!loaded) {
    fill($("#subject-items"));
    fill($("#subject-count"), "Load a cluster to list its subjects.");
    return;
  }
  if (!subjectList) {
    subjectList = await engine.call("subjects");
    renderSubjectList();
  }
}

$("#subject-search").addEventListener("input", () => renderSubjectList());

function renderSubjectList() {
  if (!subjectList) return;
  const needle = $("#subject-search").value.trim().toLowerCase();
  const matching = needle ? subjectList.filter((s) => subjectId(s).toLowerCase().includes(needle)) : subjectList;
  const shown = matching.slice(0, 300);
  fill($("#subject-count"), `${matching.length} of ${subjectList.length} subjects${matching.length > shown.length ? ` (first ${shown.length} shown; filter to narrow)` : ""}`);
  fill(
    $("#subject-items"),
    shown.map((s) =>
      h("li", {}, h("button", { type: "button", className: "subject-item", dataset: { id: subjectId(s) }, on: { click: () => selectSubject(s) } }, badge(s.kind), " ", h("span", { className: "name" }, s.namespace ? `${s.namespace}/${s.name}` : s.name))),
    ),
  );
}

function identityOf(s) {
  return s.kind === "Group" ? { user: "", groups: [s.name] } : { user: subjectUser(s), groups: [] };
}

async function selectSubject(s, namespace) {
  for (const b of $$(".subject-item")) b.classList.toggle("selected", b.dataset.id === subjectId(s));
  const ns = namespace ?? (s.kind === "ServiceAccount" ? s.namespace : loaded.namespaces.includes("default") ? "default" : "");
  writeState("subject", { kind: s.kind, name: s.name, namespace: s.namespace, in: ns });
  const detail = $("#subject-detail");
  const nsSelect = h(
    "select",
    { on: { change: () => selectSubject(s, nsSelect.value) }, attrs: { "aria-label": "Namespace" } },
    h("option", { value: "" }, "cluster-wide (all namespaces)"),
    loaded.namespaces.map((n) => h("option", { value: n }, n)),
  );
  nsSelect.value = ns;
  const onlyAllowed = h("input", { type: "checkbox", checked: true });
  const matrixBox = h("div", { className: "matrix-box" }, h("p", { className: "muted" }, "Computing…"));
  const rulesBox = h("details", { className: "rules-box" });
  const pathsBox = h("div", { className: "paths-box" });
  const identity = identityOf(s);
  fill(
    detail,
    h(
      "div",
      { className: "subject-head" },
      h("h2", {}, badge(s.kind), " ", s.namespace ? `${s.namespace}/${s.name}` : s.name),
      h(
        "p",
        { className: "muted small" },
        s.kind === "Group" ? "As any member of this group (with system:authenticated)." : `Authenticates as ${identity.user}; the implicit groups are added.`,
      ),
      h(
        "div",
        { className: "actions" },
        h("button", { type: "button", className: "button", on: { click: () => drawAround(subjectId(s)) } }, "Show in graph"),
        s.kind !== "Group" ? h("button", { type: "button", className: "button", on: { click: () => askAs(identity.user) } }, "Ask can-i as this subject") : null,
      ),
    ),
    h("div", { className: "matrix-controls" }, h("label", {}, "Namespace ", nsSelect), h("label", { className: "check" }, onlyAllowed, " Only resources with some access")),
    matrixBox,
    rulesBox,
    h("h3", {}, "Escalation"),
    pathsBox,
  );
  const r = await engine.call("accessMatrix", { ...identity, namespace: ns });
  if (!r.ok) return showError(matrixBox, r.error);
  const renderMatrix = () => fill(matrixBox, matrixTable(r.value, onlyAllowed.checked));
  onlyAllowed.addEventListener("change", renderMatrix);
  renderMatrix();
  const review = await engine.call("rulesFor", { ...identity, namespace: ns });
  if (review.ok) fill(rulesBox, rulesList(review.value, ns));
  fill(
    pathsBox,
    h(
      "p",
      { className: "muted small" },
      "Escalation paths (create a binding, impersonate, run a pod as another service account, …) to cluster-admin, nodes and other identities. ",
      "On clusters with thousands of bindings the search can take a minute; other questions wait for it.",
    ),
    h("button", { type: "button", className: "button", on: { click: () => findPaths(identity, pathsBox) } }, "Find what it can escalate to"),
  );
}

/** `can-i --list`: every rule that applies, with the binding and role it comes from. */
function rulesList(review, ns) {
  const rules = [...review.resourceRules, ...review.nonResourceRules];
  return [
    h("summary", {}, `${rules.length} rule${rules.length === 1 ? "" : "s"} apply ${ns ? `in namespace ${ns}` : "cluster-wide"} (can-i --list)`),
    h(
      "table",
      { className: "rules-table" },
      h("thead", {}, h("tr", {}, h("th", {}, "Rule"), h("th", {}, "Granted by"))),
      h(
        "tbody",
        {},
        rules.map((r) =>
          h(
            "tr",
            {},
            h("td", {}, h("code", {}, ruleText(r))),
            h("td", { title: sourceText(r.binding.source) }, describe(r.binding), " → ", describe(r.role), h("span", { className: "muted" }, ` rule ${r.ruleIndex}`)),
          ),
        ),
      ),
    ),
    review.errors.length ? h("p", { className: "warn small" }, `Unresolved: ${review.errors.join("; ")}`) : null,
  ];
}

function matrixTable(m, onlyAllowed) {
  const rows = onlyAllowed ? m.rows.filter((r) => r.allowed.some(Boolean)) : m.rows;
  if (!rows.length) {
    return h("p", { className: "muted" }, `No access to any resource type ${m.namespace ? `in namespace ${m.namespace}` : "cluster-wide"}.`);
  }
  return h(
    "div",
    { className: "table-scroll" },
    h(
      "table",
      { className: "matrix" },
      h("thead", {}, h("tr", {}, h("th", {}, "Resource"), m.verbs.map((v) => h("th", { className: "verb" }, v)))),
      h(
        "tbody",
        {},
        rows.map((r) =>
          h(
            "tr",
            {},
            h("th", { scope: "row" }, r.resource, r.custom ? h("span", { className: "muted small" }, " (CRD)") : null),
            r.allowed.map((a, i) => h("td", { className: a ? "yes" : "no", title: `${m.verbs[i]} ${r.resource}: ${a ? "allowed" : "denied"}` }, a ? "✓" : "·")),
          ),
        ),
      ),
    ),
  );
}

let techniqueTitles = null;

/** Technique id → title, asked of the engine once. */
async function techniqueMap() {
  techniqueTitles ??= new Map((await engine.call("techniques")).map((t) => [t.id, t.title]));
  return techniqueTitles;
}

async function findPaths(identity, box) {
  await techniqueMap();
  fill(box, h("p", { className: "muted" }, h("span", { className: "spinner" }), " Searching escalation paths…"));
  let r;
  try {
    r = await engine.call("paths", { ...identity, blastRadius: true });
  } catch (e) {
    return showError(box, { message: e.message });
  }
  if (!r.ok) return showError(box, r.error);
  const paths = r.value.paths;
  if (!paths.length) return fill(box, h("p", {}, "No escalation paths: it reaches nothing beyond its own permissions."));
  fill(
    box,
    h("p", {}, h("strong", {}, `Reaches ${paths.length} target${paths.length === 1 ? "" : "s"}`)),
    h(
      "ol",
      { className: "paths" },
      paths.map((p) =>
        h(
          "li",
          {},
          h("strong", {}, describe(p.steps.at(-1)?.to ?? { kind: "", name: p.target })),
          h("span", { className: "muted" }, ` in ${p.steps.length} step${p.steps.length === 1 ? "" : "s"}: `),
          p.steps.map((s, i) => [i ? " → " : "", h("code", { className: "technique", title: techniqueTitles.get(s.technique) ?? "" }, s.technique), " ", describe(s.to)]),
        ),
      ),
    ),
    h(
      "dl",
      { className: "techniques small" },
      [...new Set(paths.flatMap((p) => p.steps.map((s) => s.technique)))].sort().map((id) => [h("dt", {}, h("code", {}, id)), h("dd", {}, techniqueTitles.get(id) ?? "")]),
    ),
  );
}

function askAs(user) {
  byTestId("cani-user").value = user;
  byTestId("cani-groups").value = "";
  showView("cani");
  byTestId("cani-verb").focus();
}

// ---- graph ---------------------------------------------------------------

const graphForm = $("#graph-form");
graphForm.addEventListener("submit", (ev) => {
  ev.preventDefault();
  runGraph();
});

let suggestTimer = null;
$("#graph-around").addEventListener("input", (ev) => {
  clearTimeout(suggestTimer);
  const text = ev.target.value.trim();
  if (!loaded || text.length < 2) return;
  suggestTimer = setTimeout(async () => {
    const found = await engine.call("findNodes", text, 30);
    fill($("#graph-suggestions"), found.map((n) => h("option", { value: n.id })));
  }, 150);
});

fill(
  $("#graph-legend"),
  h("h3", {}, "Legend"),
  h("ul", { className: "legend-list" }, KINDS.map((k) => h("li", {}, h("span", { className: `swatch kind-${k.kind}` }), k.kind))),
  h("p", { className: "muted small" }, "Arrows: subject → binding → role → rule; dashed: aggregated into; dotted: workload runs as. Click a node for details, double-click to centre on it."),
  h("p", { className: "muted small" }, "An audit fix's escalation path: the path's nodes have a halo, its steps are red arrows labelled with the technique, and what the fix changes has a dashed red border."),
);

const auditPanel = new AuditPanel({
  engine,
  form: $("#audit-form"),
  out: $("#audit-result"),
  needData,
  showError,
  clearInvalid,
  writeState,
  onDrawPath: drawPath,
  techniqueTitles: techniqueMap,
});

function drawAround(id) {
  graphForm.elements.namedItem("around").value = id;
  showView("graph");
  runGraph();
}

async function runGraph() {
  const v = formValues(graphForm);
  const note = $("#graph-note");
  clearInvalid(graphForm);
  const q = { around: v.around, depth: Number(v.depth), maxNodes: Number(v.max), rules: v.rules, workloads: v.workloads };
  writeState("graph", { around: q.around, depth: q.depth, max: q.maxNodes, rules: q.rules ? "1" : "", workloads: q.workloads ? "" : "0" });
  if (needData(note)) return;
  if (!q.around) return fill(note, "Type a subject, binding or role to centre the drawing on (e.g. ClusterRole:view).");
  const r = await engine.call("graphView", q);
  if (!r.ok) return showError(note, r.error, graphForm);
  const view = r.value;
  await ensureGraphPanel().show(view);
  const center = view.nodes.find((n) => n.id === view.center);
  if (center) showNode(center);
  fill(
    note,
    `${view.nodes.length} nodes and ${view.edges.length} edges within ${q.depth} step${q.depth === 1 ? "" : "s"} of ${view.center}.`,
    view.omitted ? h("strong", {}, ` ${view.omitted} more neighbours not drawn`) : "",
    view.omitted ? ": raise Max nodes, or double-click a node to centre on it." : "",
  );
}

function ensureGraphPanel() {
  graphPanel ??= new GraphPanel($("#graph-canvas"), {
    onSelect: (n) => showNode(n),
    onOpen: (id) => drawAround(id),
  });
  return graphPanel;
}

/** An escalation path of the audit, drawn and lit (see audit.js pathView). */
async function drawPath(view, fix, note) {
  showView("graph");
  fill($("#graph-note"), h("span", { className: "spinner" }), " Drawing the path…");
  await ensureGraphPanel().show(view, { highlight: fix.id });
  const center = view.nodes.find((n) => n.id === view.center);
  if (center) showNode(center);
  fill($("#graph-note"), note);
}

function showNode(n) {
  graphPanel?.select(n.id);
  const subject = ["User", "Group", "ServiceAccount"].includes(n.kind);
  const rules = h("div", { className: "node-rules" });
  if ((n.kind === "Role" || n.kind === "ClusterRole") && n.label !== "missing") {
    roleRules(n).then((all) =>
      fill(rules, h("h4", {}, `Rules (${all.length})`), h("ol", { className: "rules", start: 0 }, all.map((r) => h("li", {}, h("code", {}, ruleText(r)))))),
    );
  }
  fill(
    $("#graph-node"),
    h("h3", {}, badge(n.kind), " ", n.name),
    h(
      "dl",
      { className: "props" },
      n.namespace ? [h("dt", {}, "Namespace"), h("dd", {}, n.namespace)] : null,
      n.label ? [h("dt", {}, n.kind === "Rule" ? "Rule" : "Note"), h("dd", {}, h("code", {}, n.label))] : null,
      n.user ? [h("dt", {}, "User name"), h("dd", {}, n.user)] : null,
      n.source ? [h("dt", {}, "Source"), h("dd", {}, sourceText(n.source))] : null,
      n.degree !== undefined ? [h("dt", {}, "Neighbours"), h("dd", {}, String(n.degree))] : null,
      n.onPath ? [h("dt", {}, "Path"), h("dd", {}, "on the escalation path")] : null,
      n.changed ? [h("dt", {}, "Fix"), h("dd", {}, "changed by the fix")] : null,
    ),
    h(
      "div",
      { className: "actions" },
      n.drawable !== false ? h("button", { type: "button", className: "button", on: { click: () => drawAround(n.id) } }, "Centre here") : null,
      subject
        ? h(
            "button",
            {
              type: "button",
              className: "button",
              on: {
                click: () => {
                  showView("subject");
                  ensureSubjects().then(() => selectSubject({ kind: n.kind, name: n.name, namespace: n.namespace }));
                },
              },
            },
            "Open subject",
          )
        : null,
    ),
    rules,
  );
}

// ---- URL state -------------------------------------------------------------

/** Shows the view the fragment names, fills its form, and (with data) runs it. */
function applyState(run) {
  const { view, params } = readState();
  if (!VIEWS.includes(view)) return;
  showView(view);
  if (view === "whocan") {
    setFormValues(whoForm, params);
    byTestId("whocan-namespace").disabled = whoForm.elements.namedItem("all").checked;
    if (run && loaded && params.verb && params.resource) runWhoCan();
  } else if (view === "cani") {
    setFormValues(canForm, params);
    if (run && loaded && params.user && params.verb && params.resource) runCanI();
  } else if (view === "graph") {
    setFormValues(graphForm, { around: params.around ?? "", depth: params.depth ?? "2", max: params.max ?? "150" });
    graphForm.elements.namedItem("rules").checked = params.rules === "1";
    graphForm.elements.namedItem("workloads").checked = params.workloads !== "0";
    if (run && loaded && params.around) runGraph();
  } else if (view === "audit") {
    auditPanel.setParams(params);
    if (run && loaded && params.run === "1") auditPanel.run();
  } else if (view === "subject" && run && loaded && params.kind && params.name) {
    ensureSubjects().then(() => selectSubject({ kind: params.kind, name: params.name, namespace: params.namespace }, params.in ?? ""));
  }
}

window.addEventListener("hashchange", () => applyState(true));
applyState(false);
document.documentElement.dataset.ready = "1";
