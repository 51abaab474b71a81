//! Command-line definitions (clap derive). Parsing only; no logic.

use std::path::PathBuf;

use clap::{Args, Parser, Subcommand, ValueEnum};

/// Offline Kubernetes RBAC analysis: who can do what, and why.
///
/// Reads RBAC objects, service accounts and workloads from manifests or
/// `kubectl get ... -o json|yaml` dumps and answers exactly as the API
/// server's RBAC authorizer would, without talking to a cluster.
#[derive(Debug, Parser)]
#[command(
    name = "rbacgraph",
    version,
    propagate_version = true,
    max_term_width = 100
)]
pub struct Cli {
    #[command(flatten)]
    pub global: GlobalArgs,

    #[command(subcommand)]
    pub command: Command,
}

/// Flags accepted anywhere on the line.
#[derive(Debug, Args)]
pub struct GlobalArgs {
    /// File, directory (recursive: .yaml, .yml, .json) or `-` for stdin; repeatable
    #[arg(short = 'f', long = "filename", value_name = "PATH", global = true)]
    pub files: Vec<PathBuf>,

    /// Output format
    #[arg(short = 'o', long, value_enum, default_value_t = Format::Table, global = true)]
    pub output: Format,

    /// Namespace given to namespaced objects that have none, as `kubectl apply -n` would
    #[arg(long, value_name = "NS", default_value = "default", global = true)]
    pub default_namespace: String,

    /// Treat any input error as fatal (exit 2) instead of skipping the bad document
    #[arg(long, global = true)]
    pub strict: bool,

    /// Print phase times (read, parse, build, query, render) and peak memory on stderr
    #[arg(long, global = true)]
    pub timings: bool,
}

/// Output formats.
#[derive(Clone, Copy, Debug, PartialEq, Eq, ValueEnum)]
pub enum Format {
    /// Aligned columns for people (coloured on a terminal; NO_COLOR respected)
    Table,
    /// JSON (`apiVersion: rbacgraph/v1` documents)
    Json,
    /// YAML (same schema as JSON)
    Yaml,
    /// Graphviz DOT (`paths` and `export` only)
    Dot,
    /// Markdown for a pull-request comment (`diff` only)
    Markdown,
    /// SARIF 2.1.0 for code-scanning services (`audit` and `check`)
    Sarif,
    /// JUnit XML test results for CI (`check` only)
    Junit,
}

#[derive(Debug, Subcommand)]
pub enum Command {
    /// What to fix first: CIS 5.1.1-5.1.13, exec and Service interception, Pod Security,
    /// API exposure, dangling and unused RBAC, default service accounts and, with
    /// --target-version, upgrade readiness, as fixes ranked by severity and impact
    /// (exit 0; 1 with --fail-on when a fix is at or above it; 2 error)
    Audit(AuditArgs),
    /// Guardrails as code: evaluate policy assertions (who-can allow-lists, can-i
    /// expectations, forbidden escalation paths, audit gates) against the cluster; with
    /// --against, judge a change on the violations it introduces (exit 0 all hold, 1 some
    /// fail, 2 error)
    Check(CheckArgs),
    /// Is a request allowed? Prints yes or no (exit 0 yes, 1 no, 2 error)
    #[command(name = "can-i")]
    CanI(CanIArgs),
    /// Which subjects may make a request (exit 0 if any subject besides
    /// system:masters may, 1 if none, 2 error)
    #[command(name = "who-can")]
    WhoCan(WhoCanArgs),
    /// What was loaded: counts by kind, the graph, and every load problem
    Summary,
    /// Escalation paths: how an identity reaches cluster-admin, a node or
    /// another identity (exit 0 if a path is found, 1 if none, 2 error)
    Paths(PathsArgs),
    /// The permission graph (subjects, bindings, roles, rules, workloads and
    /// escalation edges), whole or around one object, as DOT or JSON
    Export(ExportArgs),
    /// Effective-permission changes from the -f snapshot to the --against one, per
    /// principal, with their causes, and new or lost paths to cluster-admin (exit 0;
    /// 1 with --fail-on-change / --fail-on-escalation when they apply; 2 error)
    Diff(DiffArgs),
    /// Granted versus used from audit logs: used and unused rules, denied requests,
    /// removable bindings, and the least roles that allow what was used (-o yaml)
    Usage(UsageArgs),
    /// Write a deterministic synthetic cluster (for benchmarks) to stdout
    Generate(GenerateArgs),
    /// Print the JSON Schema of a document rbacgraph reads (`policy`: what
    /// `check --policy` takes), for editors and validators
    Schema {
        /// The document
        #[arg(value_parser = ["policy"])]
        document: String,
    },
    /// Print a shell completion script
    Completions {
        /// The shell
        shell: clap_complete::Shell,
    },
}

/// The identity a request is made as.
#[derive(Debug, Args)]
pub struct IdentityArgs {
    /// User name (`system:serviceaccount:NS:NAME` for a service account)
    ///
    /// The identity gets what Kubernetes' authenticators add: system:authenticated
    /// (system:unauthenticated for system:anonymous), and system:serviceaccounts plus
    /// system:serviceaccounts:NS for a service account.
    #[arg(long = "as", value_name = "USER", required = true, value_parser = clap::builder::NonEmptyStringValueParser::new())]
    pub user: String,

    /// A group the user is in; repeatable
    ///
    /// Unlike kubectl's impersonation headers (which replace the groups), this adds to the
    /// implicit groups: it models the principal's real credentials.
    #[arg(long = "as-group", value_name = "GROUP")]
    pub groups: Vec<String>,
}

/// What is asked about.
#[derive(Debug, Args)]
pub struct TargetArgs {
    /// Verb: get, list, watch, create, update, patch, delete, deletecollection, or any
    /// custom verb (bind, escalate, impersonate, use, approve, …); HTTP methods for URLs
    pub verb: String,

    /// TYPE[.GROUP][/NAME] (pods, deployments.apps/web, po, deploy, sa, …) or a
    /// non-resource URL starting with `/`
    pub target: String,

    /// Subresource (log, exec, status, scale, token, …)
    #[arg(long, value_name = "SUB")]
    pub subresource: Option<String>,

    /// Namespace of the request (cluster-scoped resources ignore it)
    #[arg(short = 'n', long, value_name = "NS", default_value = "default")]
    pub namespace: String,

    /// can-i: ask at cluster scope (namespace ""). who-can: every namespace's
    /// RoleBindings, each in its own namespace
    #[arg(short = 'A', long, conflicts_with = "namespace")]
    pub all_namespaces: bool,
}

#[derive(Debug, Args)]
pub struct CanIArgs {
    #[command(flatten)]
    pub identity: IdentityArgs,

    /// List every rule that applies to the identity in the namespace
    /// (kubectl's SelfSubjectRulesReview)
    #[arg(long, conflicts_with_all = ["verb", "target", "subresource", "all_namespaces"])]
    pub list: bool,

    /// Print why: the allowing bindings and rules, or the near misses
    #[arg(long)]
    pub explain: bool,

    /// Verb (see who-can --help)
    #[arg(required_unless_present = "list")]
    pub verb: Option<String>,

    /// TYPE[.GROUP][/NAME] or a non-resource URL starting with `/`
    #[arg(required_unless_present = "list")]
    pub target: Option<String>,

    /// Subresource (log, exec, status, scale, token, …)
    #[arg(long, value_name = "SUB")]
    pub subresource: Option<String>,

    /// Namespace of the request (cluster-scoped resources ignore it)
    #[arg(short = 'n', long, value_name = "NS", default_value = "default")]
    pub namespace: String,

    /// Ask at cluster scope (namespace ""): only ClusterRoleBindings count
    #[arg(short = 'A', long)]
    pub all_namespaces: bool,
}

#[derive(Debug, Args)]
pub struct CheckArgs {
    /// Policy file or directory (recursive: .yaml, .yml, .json) of `kind: Policy`
    /// documents; repeatable
    #[arg(long = "policy", value_name = "PATH", required = true)]
    pub policies: Vec<PathBuf>,

    /// A changed snapshot (-f gives the current one): check it, and fail only on the
    /// violations the change introduces; a file, a directory or `-`; repeatable
    #[arg(long = "against", value_name = "PATH")]
    pub against: Vec<PathBuf>,

    /// How many violations the table shows per assertion (JSON, YAML and SARIF have
    /// every one; JUnit details the first 50 of each test case)
    #[arg(long, value_name = "N", default_value_t = 10)]
    pub top: usize,

    #[command(flatten)]
    pub model: AttackModelArgs,
}

#[derive(Debug, Args)]
pub struct WhoCanArgs {
    #[command(flatten)]
    pub target: TargetArgs,

    /// List concrete users and service accounts (implicit groups applied)
    /// instead of subjects as bound
    #[arg(long)]
    pub expand: bool,
}

#[derive(Debug, Args)]
pub struct AuditArgs {
    /// Check upgrade readiness for this Kubernetes version (1.NN): removed and deprecated
    /// apiVersions, rules granting removed resources, legacy token Secrets
    #[arg(long, value_name = "1.NN")]
    pub target_version: Option<String>,

    /// Suppressions (YAML: `ignore: [{id, subject, object, reason}]`, globs allowed);
    /// suppressed findings are counted and listed, not dropped
    #[arg(long, value_name = "FILE")]
    pub ignore: Option<PathBuf>,

    /// Exit 1 when a fix (platform-managed ones aside) is at or above this severity
    #[arg(long, value_name = "SEVERITY", value_parser = ["info", "low", "medium", "high", "critical"])]
    pub fail_on: Option<String>,

    /// Rank by the permission alone, without building the attack graph (faster; no impact)
    #[arg(long)]
    pub no_paths: bool,

    /// The most steps an escalation path may have
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_depth: usize,

    /// How many fixes the table shows (JSON, YAML and SARIF always have them all)
    #[arg(long, value_name = "N", default_value_t = 20, conflicts_with = "all")]
    pub top: usize,

    /// Show every fix in the table
    #[arg(long)]
    pub all: bool,

    /// The unit of the report: `fix` (what to change, ranked) or `control` (every
    /// finding, control by control, as a CIS auditor ticks them off)
    #[arg(long, value_name = "UNIT", default_value = "fix", value_parser = ["fix", "control"])]
    pub by: String,

    /// Show one fix: its patch, the principals it affects and the paths it cuts;
    /// with -o yaml, the manifests it changes, patched
    #[arg(long, value_name = "ID")]
    pub fix: Option<String>,

    #[command(flatten)]
    pub model: AttackModelArgs,
}

#[derive(Debug, Args)]
pub struct GenerateArgs {
    /// Size: small, medium, big (RBAC sizes of real clusters published by KubeHound) or xl (10× big)
    #[arg(long, value_parser = ["small", "medium", "big", "xl"])]
    pub preset: String,

    /// Seed: the same preset and seed always give the same bytes
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
}

#[derive(Debug, Args)]
pub struct PathsArgs {
    /// Start from this user (`system:serviceaccount:NS:NAME` for a service account)
    ///
    /// The identity gets the implicit groups, as for can-i.
    #[arg(
        long = "as",
        value_name = "USER",
        value_parser = clap::builder::NonEmptyStringValueParser::new(),
        required_unless_present = "all",
        conflicts_with = "all"
    )]
    pub user: Option<String>,

    /// A group the user is in; repeatable
    #[arg(long = "as-group", value_name = "GROUP", requires = "user")]
    pub groups: Vec<String>,

    /// What to reach: cluster-admin, nodes, node:NAME, group:NAME or a user name
    #[arg(long, value_name = "TARGET", default_value = "cluster-admin")]
    pub to: String,

    /// List every principal (user, group, service account, kubelet) that reaches
    /// the target, with one shortest path each
    #[arg(long)]
    pub all: bool,

    /// List everything the identity reaches, one shortest path each (instead of --to)
    #[arg(long, conflicts_with_all = ["to", "all"], requires = "user")]
    pub blast_radius: bool,

    /// The most steps a path may have
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_depth: usize,

    /// With --as: how many paths to print, shortest first (a target made of
    /// several nodes, like `nodes`, has one path per node)
    #[arg(long, value_name = "N", default_value_t = 1)]
    pub limit: usize,

    #[command(flatten)]
    pub model: AttackModelArgs,
}

/// How the attack graph models the cluster (paths, export, diff, audit).
#[derive(Debug, Args)]
pub struct AttackModelArgs {
    /// Every ServiceAccount has a legacy token Secret (clusters before v1.24):
    /// reading a namespace's Secrets yields all its service accounts
    #[arg(long)]
    pub assume_legacy_tokens: bool,

    /// The cluster is EKS: editing kube-system/aws-auth maps an IAM identity to
    /// system:masters (on by itself when a Node has an eks.amazonaws.com/ label)
    #[arg(long)]
    pub eks: bool,
}

impl AttackModelArgs {
    /// The attack-graph options these flags ask for.
    pub fn options(&self) -> rbacgraph::query::paths::PathOptions {
        rbacgraph::query::paths::PathOptions {
            assume_legacy_tokens: self.assume_legacy_tokens,
            eks: self.eks,
        }
    }
}

#[derive(Debug, Args)]
pub struct ExportArgs {
    /// Only the neighbourhood of a subject, role or binding: KIND/NAME or
    /// KIND/NAMESPACE/NAME (user/, group/, sa/, role/, clusterrole/, rolebinding/,
    /// clusterrolebinding/, node/) or a user name
    #[arg(long, value_name = "OBJECT")]
    pub around: Option<String>,

    /// How many edges away from --around to go
    #[arg(long, value_name = "N", default_value_t = 2)]
    pub depth: usize,

    #[command(flatten)]
    pub model: AttackModelArgs,
}

#[derive(Debug, Args)]
pub struct DiffArgs {
    /// The new snapshot (-f gives the old one): a file, a directory or `-`; repeatable
    #[arg(long = "against", value_name = "PATH", required = true)]
    pub against: Vec<PathBuf>,

    /// Exit 1 when any effective permission or escalation path changed
    #[arg(long)]
    pub fail_on_change: bool,

    /// Exit 1 when a principal newly reaches cluster-admin, or reaches it in fewer steps
    #[arg(long)]
    pub fail_on_escalation: bool,

    /// Do not compare escalation paths (faster on big clusters)
    #[arg(long)]
    pub no_paths: bool,

    /// The most steps an escalation path may have
    #[arg(long, value_name = "N", default_value_t = 8)]
    pub max_depth: usize,

    #[command(flatten)]
    pub model: AttackModelArgs,
}

#[derive(Debug, Args)]
pub struct UsageArgs {
    /// Audit log: JSON lines of audit.k8s.io/v1 events, plain or gzip (`-` for stdin); repeatable
    #[arg(long = "audit-log", value_name = "FILE", required = true)]
    pub audit_logs: Vec<PathBuf>,

    /// Only this user (`system:serviceaccount:NS:NAME` for a service account); repeatable
    #[arg(long = "user", value_name = "USER")]
    pub users: Vec<String>,

    /// Only this service account; repeatable
    #[arg(long = "serviceaccount", value_name = "NS:NAME")]
    pub service_accounts: Vec<String>,

    /// Generated roles also cover the requests denied in the log (what audit2rbac does)
    #[arg(long)]
    pub include_denied: bool,

    /// Generate exactly the verbs used (no list → get/list/watch expansion)
    #[arg(long)]
    pub exact_verbs: bool,

    /// Generated objects are named PREFIX:USER
    #[arg(long, value_name = "PREFIX", default_value = "rbacgraph")]
    pub name_prefix: String,
}
