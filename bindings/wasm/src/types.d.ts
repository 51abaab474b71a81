
// ---- results and errors ----------------------------------------------------

/** Everything that can fail answers with a tagged result; nothing throws. */
export type Result<T> = { ok: true; value: T } | { ok: false; error: RbacError };

/** A failure, as data. `field` names the query field at fault. */
export type RbacError =
  | {
      kind: "strict";
      message: string;
      /** The first problem's file, document and field. */
      file: string;
      document: number;
      field?: string;
      diagnostics: Diagnostic[];
    }
  | {
      kind: "policy";
      message: string;
      /** The first problem's policy file, document and field (`assertions[0].whoCan.resource`). */
      file: string;
      document: number;
      field?: string;
      /** Every problem, each with its file, document, object (`Policy NAME`) and field. */
      diagnostics: Diagnostic[];
    }
  | { kind: "unknownResource"; message: string; field: "resource"; name: string; suggestions: string[] }
  | { kind: "invalid"; message: string; field: string; value: string; reason: string }
  | { kind: "query"; message: string; field?: string }
  | { kind: "other"; message: string };

// ---- inputs -----------------------------------------------------------------

export interface ManifestFile {
  /** Shown in sources and diagnostics. */
  name: string;
  /** YAML or JSON. */
  text: string;
}

export interface LoadOptions {
  /** Namespace for namespaced objects that have none (default `default`). */
  defaultNamespace?: string;
  /** Any error diagnostic fails the load. */
  strict?: boolean;
  /** The name of the text in sources (`fromYaml`/`fromJson`). */
  name?: string;
}

/** `VERB TYPE[.GROUP][/NAME]` as the CLI takes it. */
interface RequestFields {
  verb: string;
  /** Plural, singular, kind or short name, optionally `.GROUP`; or a URL starting with `/`. */
  resource: string;
  subresource?: string;
  name?: string;
  /** Default `default`. */
  namespace?: string;
  allNamespaces?: boolean;
}

export interface WhoCanQuery extends RequestFields {
  /** Concrete principals instead of bound subjects. */
  expand?: boolean;
}

export interface CanIQuery extends RequestFields {
  /** `system:serviceaccount:NS:NAME` for a service account. */
  user: string;
  /** Extra groups; the implicit ones are added. */
  groups?: string[];
}

export interface RulesForQuery {
  user: string;
  groups?: string[];
  /** Default `default`. */
  namespace?: string;
}

export interface PathsQuery {
  user?: string;
  groups?: string[];
  /** `cluster-admin` (default), `nodes`, `node:NAME`, `group:NAME` or a user name. */
  to?: string;
  all?: boolean;
  blastRadius?: boolean;
  /** Default 8. */
  maxDepth?: number;
  assumeLegacyTokens?: boolean;
  eks?: boolean;
}

export interface AuditQuery {
  /** Run the upgrade checks against `1.NN`. */
  targetVersion?: string;
  /** The text of an ignore file (YAML: `ignore: [{id, subject, object, reason}]`). */
  ignore?: string;
  /** Rank by reachability of cluster-admin (default true). */
  paths?: boolean;
  /** Default 8. */
  maxDepth?: number;
  assumeLegacyTokens?: boolean;
  eks?: boolean;
  /** List every finding, control by control (`--by control`). */
  findings?: boolean;
}

/** What `check` answers with, by `format` (`rbacgraph check -o FORMAT`). */
export interface CheckOutputs {
  json: CheckReportDocument;
  /** JUnit XML text. */
  junit: string;
  sarif: CheckSarifLog;
}

export type CheckFormat = keyof CheckOutputs;

export interface CheckQuery<F extends CheckFormat = CheckFormat> {
  /**
   * The policies (`kind: Policy` documents): YAML or JSON text, named
   * `policy.yaml` in sources, or files in order as `--policy` reads them,
   * their names in sources. A policy built as an object goes in as
   * `JSON.stringify(policy)`.
   */
  policy: string | ManifestFile[];
  /** Default `json`. */
  format?: F;
  assumeLegacyTokens?: boolean;
  eks?: boolean;
}

// `check` and `checkAgainst` are declared here, merged into the class, as
// their answer's type follows the query's `format`.
export interface RbacGraph {
  /** Policies evaluated on this cluster (`rbacgraph check --policy`). */
  check<F extends CheckFormat = "json">(query: CheckQuery<F>): Result<CheckOutputs[F]>;
  /**
   * The same policies on a changed snapshot, compared with this cluster
   * (`rbacgraph -f THIS check --against CHANGED`): every violation says
   * whether the change `introduced` it, every result what it `resolved`.
   * `changed` must be a live `RbacGraph`: anything else throws, as a freed
   * graph does.
   */
  checkAgainst<F extends CheckFormat = "json">(changed: RbacGraph, query: CheckQuery<F>): Result<CheckOutputs[F]>;
}

export interface AccessMatrixQuery {
  /** Empty: any member of `groups`. */
  user?: string;
  groups?: string[];
  /** `""`: cluster scope (namespaced types across all namespaces). */
  namespace?: string;
  verbs?: string[];
}

export interface RoleQuery {
  kind: "Role" | "ClusterRole";
  name: string;
  /** Role only. */
  namespace?: string;
}

export interface GraphViewFilter {
  /** A node id: `User:alice`, `ClusterRole:view`, `RoleBinding:shop/web`, `Role:shop/r#0`, `Pod:shop/p`. */
  around: string;
  /** Default 2. */
  depth?: number;
  /** Default 150. */
  maxNodes?: number;
  /** Draw rules as nodes (default true). */
  rules?: boolean;
  /** Draw workloads (default true). */
  workloads?: boolean;
}

// ---- answers (the CLI's `-o json` documents) ---------------------------------

export interface Source {
  file: string;
  document: number;
  item?: number;
  line?: number;
}

export interface Diagnostic {
  severity: "warning" | "error";
  source: Source;
  object?: string;
  field?: string;
  message: string;
}

export interface ObjectRef {
  kind: string;
  name: string;
  namespace?: string;
  source?: Source;
}

export interface SubjectRef {
  kind: string;
  name: string;
  namespace?: string;
}

export interface PolicyRule {
  verbs: string[];
  apiGroups?: string[];
  resources?: string[];
  resourceNames?: string[];
  nonResourceURLs?: string[];
}

interface DocumentHeader<K extends string> {
  apiVersion: "rbacgraph/v1";
  kind: K;
}

export interface LoadSummary {
  files: number;
  documents: number;
  loaded: Record<string, number>;
  skipped: Record<string, number>;
  failed: number;
  deprecated: Record<string, number>;
}

export interface GraphStats {
  roles: number;
  clusterRoles: number;
  aggregatedClusterRoles: number;
  roleBindings: number;
  clusterRoleBindings: number;
  danglingBindings: number;
  subjects: number;
  serviceAccounts: number;
  workloads: number;
  namespaces: number;
  nodes: number;
  edges: number;
}

export interface SummaryDocument extends DocumentHeader<"Summary"> {
  load: LoadSummary;
  graph: GraphStats;
  diagnostics: Diagnostic[];
}

export interface Grant {
  binding: ObjectRef;
  role: ObjectRef;
  rules: number[];
  via?: SubjectRef;
}

export interface SubjectGrants extends SubjectRef {
  /** Empty for `system:masters`. */
  grants: Grant[];
}

export interface WhoCanDocument extends DocumentHeader<"WhoCan"> {
  subjects: SubjectGrants[];
  errors: string[];
}

export type Reason =
  | { type: "privilegedGroup"; group: string }
  | { type: "rule"; subject: SubjectRef; binding: ObjectRef; role: ObjectRef; ruleIndex: number; rule: PolicyRule };

export type Mismatch =
  | { part: "verb" | "apiGroup" | "subresource" | "resource" | "nonResourceUrl" | "wrongRequestType" }
  | { part: "resourceNames"; allowed: string[] };

export type MissReason =
  | { reason: "missingRole" }
  | { reason: "invalidRoleRef"; detail: string }
  | { reason: "otherNamespace"; bindingNamespace: string; requestNamespace: string }
  | { reason: "roleBindingScope"; bindingNamespace: string }
  | { reason: "rule"; mismatch: Mismatch }
  | { reason: "serviceAccountWithoutNamespace" };

export type NearMiss = MissReason & {
  binding: ObjectRef;
  role: ObjectRef;
  ruleIndex?: number;
  message: string;
};

export interface AccessDecisionDocument extends DocumentHeader<"AccessDecision"> {
  allowed: boolean;
  reasons: Reason[];
  whyNot: NearMiss[];
  errors: string[];
}

interface Provenance {
  subject: SubjectRef;
  binding: ObjectRef;
  role: ObjectRef;
  ruleIndex: number;
}

export interface ResourceRule extends Provenance {
  verbs: string[];
  apiGroups: string[];
  resources: string[];
  resourceNames: string[];
}

export interface NonResourceRule extends Provenance {
  verbs: string[];
  nonResourceURLs: string[];
}

export interface RulesReviewDocument extends DocumentHeader<"RulesReview"> {
  resourceRules: ResourceRule[];
  nonResourceRules: NonResourceRule[];
  errors: string[];
}

export type RequestAttributes =
  | {
      type: "resource";
      verb: string;
      apiGroup: string;
      resource: string;
      subresource: string;
      name: string;
      namespace: string;
    }
  | { type: "nonResource"; verb: string; path: string };

export interface NodeRef {
  kind: string;
  name: string;
  namespace?: string;
  groups?: string[];
  role?: ObjectRef;
  source?: Source;
}

export type Evidence =
  | { type: "permission"; request: RequestAttributes; reasons: Reason[] }
  | {
      type: "grantedRule";
      request: RequestAttributes;
      role?: ObjectRef;
      namespace?: string;
      ruleIndex?: number;
      rule: PolicyRule;
    }
  | { type: "covered"; role: ObjectRef; namespace?: string; message: string }
  | { type: "object"; object: ObjectRef; message: string }
  | { type: "fact"; message: string };

export interface AttackStep {
  /** Technique id, e.g. `E02`. */
  technique: string;
  from: NodeRef;
  to: NodeRef;
  evidence: Evidence[];
}

export interface AttackPath {
  source: NodeRef;
  target: string;
  steps: AttackStep[];
}

export interface TechniqueInfo {
  /** As path steps name it, e.g. `E02`. */
  id: string;
  title: string;
}

export interface EscalationPathsDocument extends DocumentHeader<"EscalationPaths"> {
  paths: AttackPath[];
}

export type AuditSeverity = "info" | "low" | "medium" | "high" | "critical";

/** What kind of change a fix makes. */
export type FixKind =
  | "deleteBinding"
  | "removeSubjects"
  | "editRole"
  | "deleteRole"
  | "stopTokenMount"
  | "ownServiceAccounts"
  | "labelNamespace"
  | "deleteSecret"
  | "updateApiVersion";

/** Principals a fix affects: the count, and every one, sorted. */
export interface Principals {
  count: number;
  items: SubjectRef[];
}

/** What applying a fix does to the escalation paths (absent without paths). */
export interface FixImpact {
  /** How many principals lose every path to cluster-admin. */
  clusterAdmin: number;
  /** How many principals lose every path to a node. */
  nodes: number;
  clusterAdminPrincipals: SubjectRef[];
  nodesPrincipals: SubjectRef[];
}

/** One RFC 6902 operation (`kubectl patch --type=json`). */
export interface JsonPatchOp {
  op: string;
  /** A JSON Pointer into the manifest. */
  path: string;
  value?: unknown;
}

/** The change to one object. */
export type ObjectPatch = { object: ObjectRef } & (
  | { action: "delete" }
  | { action: "create"; manifest: unknown }
  | { action: "patch"; jsonPatch: JsonPatchOp[] }
);

/** Why a fix holds: indexes into the report's `evidence`. */
export interface FixEvidence {
  /** Into `evidence.rules`. */
  rules: number[];
  /** Into `evidence.objects`. */
  objects: number[];
  facts: string[];
  /** Into `evidence.paths`: a path whose first step the fix removes. */
  path?: number;
}

export interface PlatformMatch {
  /** `EKS`, `GKE`, `AKS`, `OpenShift`, `k3s/RKE2`, or several joined with "or". */
  platform: string;
  reason: string;
}

/** One change to one place, and everything it resolves. */
export interface Fix {
  /** `FIX-` and a hash of the change: the same on the same input. */
  id: string;
  /** 1 = first, in its section. */
  rank: number;
  severity: AuditSeverity;
  severityReason: string;
  kind: FixKind;
  title: string;
  description: string;
  /** The objects to change, with their sources (file and line). */
  objects: ObjectRef[];
  /** Control ids, e.g. `CIS-5.1.2`. */
  controls: string[];
  principals: Principals;
  /** Namespaces it touches. */
  namespaces: number;
  clusterWide: boolean;
  impact?: FixImpact;
  patch: ObjectPatch[];
  /** What a person must finish by hand. */
  manual?: string;
  evidence: FixEvidence;
  /** For platform-managed fixes. */
  platform?: PlatformMatch;
}

/** One control about one subject or object (`findings: true`). */
export interface Finding {
  control: string;
  severity: AuditSeverity;
  subject?: SubjectRef;
  object?: ObjectRef;
  message: string;
  /** Ids of the fixes that resolve it. */
  fixes: string[];
}

export interface SuppressedFinding extends Finding {
  /** The ignore rule's reason. */
  reason: string;
  /** The rule's index in the ignore file. */
  ruleIndex: number;
}

export interface RuleEvidence {
  /** Into `evidence.objects`. */
  role: number;
  /** The rule's index in the role as written. */
  ruleIndex: number;
  rule: PolicyRule;
  /** The requests of the controls it grants, e.g. `create pods`. */
  requests: string[];
}

export interface PathEvidence {
  source: NodeRef;
  target: "cluster-admin" | "nodes";
  /** Into `evidence.steps`. */
  steps: number[];
}

/** Evidence stored once, referred to by index. */
export interface EvidenceStore {
  objects: ObjectRef[];
  rules: RuleEvidence[];
  paths: PathEvidence[];
  steps: AttackStep[];
}

export interface AuditSummary {
  /** The four principal counts are absent without paths. */
  principalsReachingClusterAdmin?: number;
  /** Of those, bound to cluster-admin (or an equal role) directly. */
  principalsBoundToClusterAdmin?: number;
  principalsReachingNodes?: number;
  /** The API server's own identities and platform-managed ones. */
  defaultOrPlatformPrincipals?: number;
  fixes: number;
  bySeverity: Record<AuditSeverity, number>;
  platformManagedFixes: number;
  findings: number;
  suppressed: number;
  controls: number;
}

export interface ControlSummary {
  id: string;
  title: string;
  findings: number;
  severity?: AuditSeverity;
  fixes: number;
}

export interface AuditReportDocument extends DocumentHeader<"AuditReport"> {
  targetVersion?: string;
  reachability: "attackGraph" | "permissionOnly";
  summary: AuditSummary;
  /** In rank order: what to change first. */
  fixes: Fix[];
  /** Fixes of objects a managed platform installs, in rank order. */
  platformManaged: Fix[];
  controls: ControlSummary[];
  /** Only with `findings: true`. */
  findings?: Finding[];
  suppressed: SuppressedFinding[];
  /**
   * Principals that reach cluster-admin or a node but are the cluster's own
   * (the API server's and the platform's identities): no fix is asked of
   * them. Empty without paths.
   */
  defaultOrPlatform: SubjectRef[];
  evidence: EvidenceStore;
  notes: string[];
}

export type AssertionKind = "whoCan" | "canI" | "paths" | "audit";

/** A role's rule, with its index in the role's (effective) rules. */
export interface RuleAt {
  index: number;
  rule: PolicyRule;
}

/** One way a subject is granted the request: binding → role → rules. */
export interface GrantChain {
  /** The bound subject a principal gets it through (`expand`). */
  via?: SubjectRef;
  binding: ObjectRef;
  role: ObjectRef;
  rules: RuleAt[];
}

/** An audit fix a violation names. */
export interface FixRef {
  id: string;
  title: string;
  severity: AuditSeverity;
  controls: string[];
  objects: ObjectRef[];
}

/** One violation, with the evidence its assertion's kind has. */
export interface Violation {
  /** What it is about, stable across snapshots (`checkAgainst` compares by it). */
  key: string;
  message: string;
  /** `whoCan`: the subject that may; `canI`: the identity. */
  subject?: SubjectRef;
  /** `whoCan`: every grant (absent for a `maxSubjects` violation). */
  grants?: GrantChain[];
  /** `canI` expecting no: why it is allowed. */
  reasons?: Reason[];
  /** `canI` expecting yes: the near misses. */
  nearMisses?: NearMiss[];
  /** `paths`: where the path starts. */
  source?: NodeRef;
  /** `paths`: the path. */
  steps?: AttackStep[];
  /** `audit`: the fix. */
  fix?: FixRef;
  /** `checkAgainst`: whether the change introduces it. */
  introduced?: boolean;
}

export interface AssertionResult {
  name: string;
  policy: string;
  kind: AssertionKind;
  /** The policy's file and document. */
  source: Source;
  /** `assertions[N]`. */
  field: string;
  passed: boolean;
  message: string;
  violations: Violation[];
  /** `checkAgainst`: the violations of this cluster the change removes. */
  resolved?: Violation[];
}

export interface CheckSummary {
  assertions: number;
  passed: number;
  failed: number;
  violations: number;
  /** `checkAgainst` only. */
  introduced?: number;
  resolved?: number;
}

export interface CheckReportDocument extends DocumentHeader<"CheckReport"> {
  summary: CheckSummary;
  /** One per assertion, in policy order. */
  results: AssertionResult[];
  /** Assertions that can never fail (a pattern that selects nobody, an unknown namespace). */
  warnings: Diagnostic[];
}

export interface SarifText {
  text: string;
}

export interface SarifLocation {
  /** Among a result's related locations. */
  id?: number;
  physicalLocation: {
    artifactLocation: { uri: string };
    region?: { startLine: number };
  };
  message: SarifText;
}

export interface SarifResult<P> {
  ruleId: string;
  ruleIndex: number;
  level: "error" | "warning" | "note";
  message: SarifText;
  locations?: SarifLocation[];
  relatedLocations?: SarifLocation[];
  suppressions?: { kind: string; justification: string }[];
  /** `checkAgainst`: `absent` for what the change removes. */
  baselineState?: "new" | "unchanged" | "absent";
  partialFingerprints?: Record<string, string>;
  properties: P;
}

/** A SARIF 2.1.0 log with one run; `P` is rbacgraph's own result properties. */
export interface SarifLog<P> {
  $schema: string;
  version: "2.1.0";
  runs: {
    tool: {
      driver: {
        name: "rbacgraph";
        version: string;
        rules: { id: string; shortDescription: SarifText; fullDescription: SarifText; help: SarifText }[];
      };
    };
    results: SarifResult<P>[];
  }[];
}

export interface CheckProperties {
  policy: string;
  assertion: string;
  key: string;
}

export type CheckSarifLog = SarifLog<CheckProperties>;

export interface ResourceType {
  group: string;
  plural: string;
  singular: string;
  kind: string;
  shortNames: string[];
  scope: "Namespaced" | "Cluster";
  custom: boolean;
}

export interface Identity {
  name: string;
  groups: string[];
}

export interface AccessRow {
  /** `plural` or `plural.group`. */
  resource: string;
  group: string;
  namespaced: boolean;
  custom: boolean;
  /** One entry per verb of the matrix. */
  allowed: boolean[];
}

export interface AccessMatrix {
  identity: Identity;
  namespace: string;
  verbs: string[];
  rows: AccessRow[];
}

export interface RoleInfo extends ObjectRef {
  /** Effective rules: `ruleIndex` in answers points here. */
  rules: PolicyRule[];
  aggregatedFrom: ObjectRef[];
}

export interface ViewNode {
  id: string;
  kind: string;
  name: string;
  namespace?: string;
  /** A rule's text, or `missing`. */
  label?: string;
  /** The user name a User or ServiceAccount authenticates as. */
  user?: string;
  source?: Source;
  depth: number;
  degree: number;
}

export interface ViewEdge {
  from: string;
  to: string;
  kind: "subjectOf" | "roleRef" | "rule" | "aggregatedInto" | "runsAs";
}

export interface GraphView {
  center: string;
  nodes: ViewNode[];
  edges: ViewEdge[];
  /** Neighbours of drawn nodes, within `depth`, that `maxNodes` left out. */
  omitted: number;
}

export interface FoundNode {
  id: string;
  kind: string;
  name: string;
  namespace?: string;
}
