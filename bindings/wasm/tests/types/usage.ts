// Type-checked (tsc --noEmit), never run: the generated declarations must
// describe the API precisely enough for this code to compile, and to reject
// the misuses marked @ts-expect-error.
import {
  RbacGraph,
  lastPanic,
  techniques,
  version,
  type AccessDecisionDocument,
  type CheckReportDocument,
  type CheckSarifLog,
  type Fix,
  type GraphView,
  type RbacError,
  type Result,
  type WhoCanDocument,
} from "../../pkg-node/rbacgraph_wasm.js";
import initWeb, { RbacGraph as WebGraph } from "../../explorer/pkg/rbacgraph_wasm.js";

function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  const e: RbacError = r.error;
  switch (e.kind) {
    case "strict":
      throw new Error(`${e.file} document ${e.document}: ${e.diagnostics.length} problems`);
    case "policy":
      throw new Error(`${e.file} document ${e.document}: ${e.field ?? ""}: ${e.diagnostics.map((d) => d.field).join()}`);
    case "unknownResource":
      throw new Error(`${e.field}: did you mean ${e.suggestions.join(", ")}`);
    case "invalid":
      throw new Error(`${e.field} = ${e.value}: ${e.reason}`);
    case "query":
      throw new Error(`${e.field ?? "query"}: ${e.message}`);
    case "other":
      throw new Error(e.message);
  }
}

const graph: RbacGraph = unwrap(
  RbacGraph.load([{ name: "a.yaml", text: "kind: Role" }], { defaultNamespace: "shop", strict: false }),
);
const fromYaml: RbacGraph = unwrap(RbacGraph.fromYaml("kind: Role"));
const fromJson: RbacGraph = unwrap(RbacGraph.fromJson("{}", { name: "dump.json" }));

const who: WhoCanDocument = unwrap(graph.whoCan({ verb: "get", resource: "secrets", namespace: "shop", expand: true }));
const subjects: string[] = who.subjects.map((s) => `${s.kind} ${s.name} via ${s.grants.map((g) => g.binding.name).join()}`);

const decision: AccessDecisionDocument = unwrap(
  graph.canI({ user: "bob", groups: ["dev"], verb: "get", resource: "pods", subresource: "log", namespace: "shop" }),
);
for (const reason of decision.reasons) {
  if (reason.type === "rule") console.log(reason.binding.source?.file, reason.rule.verbs, reason.ruleIndex);
  else console.log(reason.group);
}
for (const miss of decision.whyNot) {
  if (miss.reason === "rule" && miss.mismatch.part === "resourceNames") console.log(miss.mismatch.allowed);
  if (miss.reason === "otherNamespace") console.log(miss.bindingNamespace, miss.requestNamespace);
}

const rules = unwrap(graph.rulesFor({ user: "bob", namespace: "shop" }));
console.log(rules.resourceRules.map((r) => r.resources), rules.nonResourceRules.map((r) => r.nonResourceURLs));

const paths = unwrap(graph.paths({ user: "system:serviceaccount:ci:deployer", to: "cluster-admin", maxDepth: 4 }));
for (const p of paths.paths) {
  for (const step of p.steps) {
    for (const e of step.evidence) if (e.type === "permission" && e.request.type === "resource") console.log(e.request.resource);
  }
}

const audit = unwrap(graph.audit({ targetVersion: "1.30", paths: true, findings: true }));
for (const f of audit.fixes) {
  const level: "info" | "low" | "medium" | "high" | "critical" = f.severity;
  const lost: number | undefined = f.impact?.clusterAdmin;
  console.log(f.id, f.rank, level, f.kind, lost, f.principals.count, f.objects.map((o) => o.source?.line));
  for (const p of f.patch) {
    if (p.action === "patch") console.log(p.object.name, p.jsonPatch.map((op) => `${op.op} ${op.path}`));
    else if (p.action === "create") console.log(p.manifest);
  }
  const rules = f.evidence.rules.map((i) => audit.evidence.rules[i]).map((r) => r && audit.evidence.objects[r.role]?.name);
  const path = f.evidence.path === undefined ? undefined : audit.evidence.paths[f.evidence.path];
  const steps = path?.steps.map((i) => audit.evidence.steps[i]?.technique);
  console.log(rules, path?.target, steps);
}
for (const finding of audit.findings ?? []) console.log(finding.control, finding.subject?.name, finding.object?.source?.file, finding.fixes);
console.log(audit.summary.bySeverity.critical, audit.summary.principalsReachingClusterAdmin ?? "no paths", audit.platformManaged.length);
console.log(audit.suppressed.map((s) => `${s.control} ${s.reason}`), audit.controls.map((c) => c.severity ?? "none"));
// @ts-expect-error: targetVersion is a string such as "1.30"
graph.audit({ targetVersion: 1.3 });
// @ts-expect-error: a fix's kind is a closed set
const kind: Fix["kind"] = "deleteEverything";
console.log(kind);

const policy = "apiVersion: rbacgraph/v1\nkind: Policy\n";
const check: CheckReportDocument = unwrap(graph.check({ policy, assumeLegacyTokens: true }));
for (const r of check.results) {
  const kind: "whoCan" | "canI" | "paths" | "audit" = r.kind;
  console.log(kind, r.passed, r.source.file, r.field, r.resolved?.length);
  for (const v of r.violations) {
    console.log(v.key, v.introduced ?? "no baseline", v.subject?.name, v.fix?.severity, v.source?.kind);
    for (const g of v.grants ?? []) console.log(g.via?.name, g.binding.source?.line, g.rules.map((x) => `${x.index} ${x.rule.verbs.join()}`));
    for (const reason of v.reasons ?? []) if (reason.type === "rule") console.log(reason.ruleIndex);
    console.log(v.nearMisses?.map((m) => m.message), v.steps?.map((s) => s.technique));
  }
}
console.log(check.summary.introduced ?? check.summary.failed, check.warnings.map((w) => w.field));
const changed: CheckReportDocument = unwrap(
  graph.checkAgainst(fromYaml, { policy: [{ name: "p.yaml", text: policy }], format: "json" }),
);
const junit: string = unwrap(graph.check({ policy, format: "junit" }));
const sarif: CheckSarifLog = unwrap(graph.checkAgainst(fromYaml, { policy, format: "sarif", eks: true }));
for (const r of sarif.runs[0]?.results ?? []) console.log(r.baselineState, r.properties.key, r.locations?.[0]?.physicalLocation.region?.startLine);
console.log(changed.summary.resolved, junit.length);
// @ts-expect-error: JUnit is text, not a report
const notReport: CheckReportDocument = unwrap(graph.check({ policy, format: "junit" }));
// @ts-expect-error: formats are a closed set
graph.check({ policy, format: "xml" });
// @ts-expect-error: the changed snapshot is checkAgainst's first argument, not a query field
graph.check({ policy, against: fromYaml });
// @ts-expect-error: a policy is text or named files
graph.check({ policy: { kind: "Policy" } });
console.log(notReport);

const summary = graph.summary();
const counts: number = Object.values(summary.load.loaded).reduce((a, b) => a + b, 0) + graph.stats().edges;
const warnings = summary.diagnostics.filter((d) => d.severity === "warning").map((d) => `${d.source.file}:${d.source.line ?? 0} ${d.field ?? ""}`);

const view: GraphView = unwrap(graph.graphView({ around: "ClusterRole:view", depth: 2, maxNodes: 100, rules: false }));
const kinds: string[] = view.edges.map((e) => e.kind);
const matrix = unwrap(graph.accessMatrix({ user: "bob", namespace: "shop", verbs: ["get"] }));
const cell: boolean | undefined = matrix.rows[0]?.allowed[0];
const role = unwrap(graph.role({ kind: "ClusterRole", name: "view" }));
const found: string[] = graph.findNodes("view", 5).map((n) => n.id);
const types: string[] = graph.resourceTypes().filter((t) => t.scope === "Cluster").map((t) => t.plural);
const names: string[] = [...graph.namespaces(), ...graph.subjects().map((s) => s.name), version(), lastPanic(), ...techniques().map((t) => `${t.id} ${t.title}`)];
console.log(subjects, counts, warnings, kinds, cell, role.rules.length, found, types, names, fromYaml, fromJson);

// @ts-expect-error: `verb` is required
graph.whoCan({ resource: "pods" });
// @ts-expect-error: groups are strings
graph.canI({ user: "a", groups: [1], verb: "get", resource: "pods" });
// @ts-expect-error: a result must be narrowed before use
graph.whoCan({ verb: "get", resource: "pods" }).value.subjects;
// @ts-expect-error: edge kinds are a closed set
const wrong: GraphView["edges"][number]["kind"] = "escalation";
console.log(wrong);

// The web build has the same class, after its async initialisation.
async function web(): Promise<boolean> {
  await initWeb();
  const r = WebGraph.fromYaml("kind: Role");
  return r.ok && r.value.stats().roles === 0;
}
void web();
graph.free();
