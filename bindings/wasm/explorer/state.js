// URL state: the current view and its query live in the fragment
// (`#whocan?verb=get&resource=secrets&namespace=shop`), so a link
// reproduces a view once the same data is loaded. Never the data itself.

export function readState() {
  const raw = location.hash.replace(/^#/, "");
  const [view, query = ""] = raw.split("?", 2);
  return { view: view || "", params: Object.fromEntries(new URLSearchParams(query)) };
}

/** Records a view and its query without adding a history entry per keystroke. */
export function writeState(view, params) {
  const clean = Object.fromEntries(
    Object.entries(params).filter(([, v]) => v !== undefined && v !== null && v !== "" && v !== false),
  );
  const query = new URLSearchParams(clean).toString();
  const hash = `#${view}${query ? `?${query}` : ""}`;
  if (location.hash !== hash) history.replaceState(null, "", hash);
}
