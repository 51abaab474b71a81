// DOM helpers. Every string that can come from a manifest reaches the page
// through text nodes (`textContent`), never through HTML parsing: `h()` has
// no way to set markup, and the explorer never assigns innerHTML.

/**
 * Creates an element. `props` sets properties (className, type, value,
 * title, disabled, …), `dataset`, ARIA/other attributes through `attrs`, and
 * event listeners through `on`. Children are nodes or strings (as text).
 */
export function h(tag, props = {}, ...children) {
  const el = document.createElement(tag);
  const { dataset, attrs, on, ...rest } = props ?? {};
  for (const [k, v] of Object.entries(rest)) {
    if (/HTML$/.test(k)) throw new Error(`h(): ${k} is not allowed; pass text children`);
    if (v !== undefined && v !== null) el[k] = v;
  }
  for (const [k, v] of Object.entries(dataset ?? {})) el.dataset[k] = v;
  for (const [k, v] of Object.entries(attrs ?? {})) {
    if (v !== undefined && v !== null && v !== false) el.setAttribute(k, String(v));
  }
  for (const [k, v] of Object.entries(on ?? {})) el.addEventListener(k, v);
  append(el, children);
  return el;
}

function append(el, children) {
  for (const c of children.flat(Infinity)) {
    if (c === null || c === undefined || c === false) continue;
    el.append(c instanceof Node ? c : document.createTextNode(String(c)));
  }
}

/** Replaces an element's children. */
export function fill(el, ...children) {
  el.replaceChildren();
  append(el, children);
  return el;
}

export const $ = (selector, root = document) => root.querySelector(selector);
export const $$ = (selector, root = document) => [...root.querySelectorAll(selector)];
export const byTestId = (id) => document.querySelector(`[data-testid="${id}"]`);

/** `Kind namespace/name` or `Kind name`. */
export function describe(ref) {
  if (!ref) return "";
  return ref.namespace ? `${ref.kind} ${ref.namespace}/${ref.name}` : `${ref.kind} ${ref.name}`;
}

/** `file:line (document n)`, as the CLI prints sources. */
export function sourceText(source) {
  if (!source) return "";
  if (source.item !== undefined) return `${source.file} (document ${source.document}, items[${source.item}])`;
  if (source.line !== undefined) return `${source.file}:${source.line} (document ${source.document})`;
  return `${source.file} (document ${source.document})`;
}

/** A rule in one line: `get, list pods, pods/log (core) names a, b`. */
export function ruleText(rule) {
  if (!rule) return "";
  const parts = [rule.verbs.join(", ")];
  if (rule.resources?.length) {
    const groups = (rule.apiGroups ?? []).map((g) => (g === "" ? "core" : g));
    parts.push(`${rule.resources.join(", ")} (${groups.join(", ")})`);
  }
  if (rule.resourceNames?.length) parts.push(`names ${rule.resourceNames.join(", ")}`);
  const urls = rule.nonResourceURLs;
  if (urls?.length) parts.push(urls.join(", "));
  return parts.join(" ");
}

/** A kind badge. */
export function badge(kind, extra = "") {
  return h("span", { className: `badge kind-${kind.replace(/[^A-Za-z]/g, "")} ${extra}`.trim() }, kind);
}

export function ms(n) {
  return n < 1000 ? `${Math.round(n)} ms` : `${(n / 1000).toFixed(2)} s`;
}

export function bytes(n) {
  if (n < 1024) return `${n} B`;
  if (n < 1 << 20) return `${(n / 1024).toFixed(0)} KiB`;
  return `${(n / (1 << 20)).toFixed(1)} MiB`;
}

/** The user name a subject authenticates as (`""` for a group). */
export function subjectUser(s) {
  if (s.kind === "ServiceAccount") return `system:serviceaccount:${s.namespace}:${s.name}`;
  if (s.kind === "User") return s.name;
  return "";
}

/** A subject's graph node id. */
export function subjectId(s) {
  return s.namespace ? `${s.kind}:${s.namespace}/${s.name}` : `${s.kind}:${s.name}`;
}

/** One shell word: as it is when safe, else single-quoted. */
export function quoteArg(a) {
  return /^[A-Za-z0-9_@%+=:,./-]+$/.test(a) ? a : `'${a.replace(/'/g, "'\\''")}'`;
}

/** The CLI command that gives the same answer. */
export function cliLine(args) {
  return h("p", { className: "cli" }, h("span", { className: "muted" }, "CLI: "), h("code", {}, ["rbacgraph", ...args].map(quoteArg).join(" ")));
}
