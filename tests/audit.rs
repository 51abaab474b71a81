//! `audit`: every control on a positive and a negative fixture, the demo
//! cluster's planted mistakes, severities from reachability, suppressions,
//! golden answers on real manifests and upstream test suites (kubescape's
//! regolibrary and Polaris, with every divergence explained), SARIF against
//! the published schema, and the command line's exit codes.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rbacgraph::RbacGraph;
use rbacgraph::query::audit::{
    Audit, AuditEvidence, AuditReport, CONTROLS, IgnoreRules, KubeVersion, Reachability, Severity,
};
use rbacgraph::query::paths::Technique;
use serde_json::Value;

fn root() -> &'static Path {
    Path::new(env!("CARGO_MANIFEST_DIR"))
}

fn load(paths: &[&str], default_namespace: &str) -> RbacGraph {
    paths
        .iter()
        .fold(
            RbacGraph::builder().default_namespace(default_namespace),
            |b, p| b.load_path(root().join(p)),
        )
        .build()
        .unwrap()
}

fn audit(graph: &RbacGraph) -> AuditReport {
    Audit::builder(graph)
        .target_version(KubeVersion::new(1, 30))
        .run()
}

/// The subjects (`Kind ns/name`) of the findings with this id, sorted.
fn subjects(report: &AuditReport, id: &str) -> Vec<String> {
    let mut out: Vec<String> = report
        .findings
        .iter()
        .filter(|f| f.id == id)
        .flat_map(|f| f.subjects.iter().map(ToString::to_string))
        .collect();
    out.sort();
    out.dedup();
    out
}

fn ids_of(report: &AuditReport) -> Vec<&str> {
    ids(report)
}

fn ids(report: &AuditReport) -> Vec<&str> {
    report.findings.iter().map(|f| f.id.as_str()).collect()
}

#[test]
fn every_control_has_a_positive_and_a_negative_fixture() {
    for control in CONTROLS {
        let dir = format!("tests/fixtures/audit/{}", control.id);
        for (file, expect) in [("positive.yaml", true), ("negative.yaml", false)] {
            let path = format!("{dir}/{file}");
            assert!(root().join(&path).exists(), "missing fixture {path}");
            let graph = load(&[&path], "default");
            let report = audit(&graph);
            let hits: Vec<&str> = report
                .findings
                .iter()
                .filter(|f| f.id == control.id)
                .map(|f| f.message.as_str())
                .collect();
            assert_eq!(
                !hits.is_empty(),
                expect,
                "{path}: {} finding(s) {hits:?}",
                control.id
            );
        }
    }
}

#[test]
fn findings_carry_sources_remediation_and_are_sorted_most_severe_first() {
    let graph = load(&["examples/clusters/demo"], "default");
    let report = audit(&graph);
    assert!(!report.findings.is_empty());
    for pair in report.findings.windows(2) {
        assert!(pair[0].severity >= pair[1].severity);
    }
    for f in &report.findings {
        assert!(!f.remediation.is_empty(), "{}", f.id);
        assert!(!f.severity_reason.is_empty(), "{}", f.id);
        assert!(
            f.objects.iter().any(|o| o.source.is_some()),
            "{} has no located object: {}",
            f.id,
            f.message
        );
    }
    assert_eq!(report.summary.findings, report.findings.len());
    let by: usize = Severity::ALL
        .iter()
        .map(|&s| report.summary.by_severity.get(s))
        .sum();
    assert_eq!(by, report.findings.len());
}

/// The six mistakes `examples/clusters/demo/README.md` plants, and none of
/// the default policy's objects.
#[test]
fn the_demo_clusters_planted_mistakes_are_found() {
    let graph = load(&["examples/clusters/demo"], "default");
    let report = audit(&graph);
    let has = |id: &str, needle: &str| {
        report
            .findings
            .iter()
            .any(|f| f.id == id && f.message.contains(needle))
    };
    // 1. cluster-admin for shop's default ServiceAccount.
    assert!(has("CIS-5.1.1", "RoleBinding shop/default-sa-admin"));
    assert!(has("CIS-5.1.5", "ServiceAccount shop/default"));
    // 2. The CI deployer creates pods and reads Secrets cluster-wide.
    let deployer = |id: &str| {
        report
            .findings
            .iter()
            .find(|f| f.id == id && f.message.starts_with("ServiceAccount ci/deployer"))
            .unwrap()
    };
    assert!(deployer("CIS-5.1.4").message.contains("cluster-wide"));
    // Raised from high: a pod in kube-system runs as argocd-manager, which
    // holds every permission (65-kube-system.yaml).
    assert_eq!(deployer("CIS-5.1.4").severity, Severity::Critical);
    let path = deployer("CIS-5.1.4")
        .path_to_cluster_admin
        .as_ref()
        .unwrap();
    assert_eq!(
        path.techniques(),
        [Technique::W01, Technique::E01],
        "{path:?}"
    );
    assert!(deployer("CIS-5.1.2").message.contains("cluster-wide"));
    // 3. Secrets readable by every authenticated user.
    assert!(has(
        "RBAC-ANON-EXPOSURE",
        "ClusterRoleBinding support-secret-reader"
    ));
    assert!(subjects(&report, "CIS-5.1.2").contains(&"Group system:authenticated".to_string()));
    // 4. `pods/*`.
    assert!(has("RBAC-DEAD-RULE", "Role payments/debugger rule 0"));
    // 5. The dangling roleRef.
    assert!(has("RBAC-DANGLING-ROLEREF", "RoleBinding ci/cache-warmer"));
    // 6. The ServiceAccount subject without a namespace.
    assert!(has("RBAC-DEAD-SUBJECT", "ClusterRoleBinding node-exporter"));

    // The default policy (10-default-policy.yaml) is never the subject of a
    // finding of its own: no unused or wildcard default roles, no default
    // bindings.
    for f in &report.findings {
        if matches!(
            f.id.as_str(),
            "RBAC-UNUSED-ROLE" | "CIS-5.1.3" | "RBAC-ANON-EXPOSURE" | "CIS-5.1.7"
        ) {
            let first = f.objects.first().unwrap();
            assert!(
                !first
                    .source
                    .as_ref()
                    .is_some_and(|s| s.file.ends_with("10-default-policy.yaml")),
                "default object reported: {}",
                f.message
            );
        }
    }
    assert!(
        report.notes.is_empty(),
        "upgrade checks ran: {:?}",
        report.notes
    );
}

const ESCALATOR: &str = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: cluster-admin}
rules: [{apiGroups: ['*'], resources: ['*'], verbs: ['*']}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: binder}
rules:
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterrolebindings], verbs: [create]}
- {apiGroups: [rbac.authorization.k8s.io], resources: [clusterroles], verbs: [bind], resourceNames: [cluster-admin]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-binder}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: binder}
subjects: [{kind: ServiceAccount, name: ci, namespace: tools}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: pv-maker}
rules: [{apiGroups: [''], resources: [persistentvolumes], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ci-pv}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: pv-maker}
subjects: [{kind: ServiceAccount, name: ci, namespace: tools}, {kind: User, name: storage-bot}]
";

/// The same permission ranks higher on a principal that reaches
/// cluster-admin, and the finding shows the path.
#[test]
fn reachability_of_cluster_admin_raises_severity() {
    let graph = RbacGraph::builder()
        .load_str("escalator.yaml", ESCALATOR)
        .build()
        .unwrap();
    let report = Audit::builder(&graph).run();
    assert_eq!(report.reachability, Reachability::AttackGraph);
    let pv = |report: &AuditReport, who: &str| {
        report
            .findings
            .iter()
            .find(|f| f.id == "CIS-5.1.9" && f.message.starts_with(who))
            .cloned()
            .unwrap()
    };
    let ci = pv(&report, "ServiceAccount tools/ci");
    let bot = pv(&report, "User storage-bot");
    assert_eq!(bot.severity, Severity::Medium);
    assert!(bot.path_to_cluster_admin.is_none());
    assert_eq!(ci.severity, Severity::High);
    let path = ci.path_to_cluster_admin.as_ref().unwrap();
    assert_eq!(path.steps.len(), 1);
    assert_eq!(path.steps[0].technique.id(), "E02");
    assert!(ci.severity_reason.contains("reaches cluster-admin"));
    // bind limited by resourceNames is found through the name.
    let bind = report
        .findings
        .iter()
        .find(|f| f.id == "CIS-5.1.8")
        .unwrap();
    assert!(bind.message.contains("cluster-admin"), "{}", bind.message);
    // Medium for a bind limited to named roles, raised: the name is cluster-admin.
    assert_eq!(bind.severity, Severity::High);
    assert!(bind.path_to_cluster_admin.is_some());

    let flat = Audit::builder(&graph).paths(false).run();
    assert_eq!(flat.reachability, Reachability::PermissionOnly);
    assert_eq!(
        pv(&flat, "ServiceAccount tools/ci").severity,
        Severity::Medium
    );
    assert!(
        pv(&flat, "ServiceAccount tools/ci")
            .severity_reason
            .contains("permission alone")
    );
    assert!(flat.notes.iter().any(|n| n.contains("permission alone")));
}

#[test]
fn suppressed_findings_are_counted_and_listed_with_their_reason() {
    let graph = RbacGraph::builder()
        .load_str("escalator.yaml", ESCALATOR)
        .build()
        .unwrap();
    let all = Audit::builder(&graph).paths(false).run();
    let rules = IgnoreRules::from_yaml(
        "
ignore:
- id: CIS-5.1.9
  subject: 'system:serviceaccount:tools:*'
  reason: the CI provisions volumes on purpose
- id: 'RBAC-*'
  object: ClusterRole pv-*
  reason: never matches anything here
",
    )
    .unwrap();
    let report = Audit::builder(&graph).paths(false).ignore(rules).run();
    assert_eq!(report.suppressed.len(), 1);
    let s = &report.suppressed[0];
    assert_eq!(s.finding.id, "CIS-5.1.9");
    assert_eq!(s.reason, "the CI provisions volumes on purpose");
    assert_eq!(s.rule_index, 0);
    assert_eq!(report.summary.suppressed, 1);
    assert_eq!(report.findings.len() + 1, all.findings.len());
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.id == "CIS-5.1.9" && f.message.starts_with("User storage-bot"))
    );

    assert!(
        IgnoreRules::from_yaml("- {id: CIS-5.1.9}").is_err(),
        "no reason"
    );
    assert!(IgnoreRules::from_yaml("- {id: 'CIS-[', reason: x}").is_err());
    assert!(IgnoreRules::from_yaml("- {id: x, reason: y, extra: z}").is_err());
}

#[test]
fn upgrade_readiness_follows_the_target_version() {
    let yaml = "
apiVersion: rbac.authorization.k8s.io/v1beta1
kind: ClusterRole
metadata: {name: old}
rules: [{apiGroups: [policy], resources: [podsecuritypolicies], verbs: [use]}]
---
apiVersion: batch/v1beta1
kind: CronJob
metadata: {name: nightly, namespace: ops}
spec: {schedule: '@daily', jobTemplate: {spec: {template: {spec: {serviceAccountName: ops, containers: [{name: c, image: c}]}}}}}
---
apiVersion: extensions/v1beta1
kind: Ingress
metadata: {name: web, namespace: web}
";
    let graph = RbacGraph::builder()
        .load_str("old.yaml", yaml)
        .build()
        .unwrap();
    let at = |v: u32| {
        Audit::builder(&graph)
            .paths(false)
            .target_version(KubeVersion::new(1, v))
            .run()
    };
    let removed = |r: &AuditReport| {
        let mut out: Vec<String> = r
            .findings
            .iter()
            .filter(|f| f.id == "UPGRADE-REMOVED-API")
            .map(|f| f.objects[0].to_string())
            .collect();
        out.sort();
        out
    };
    assert_eq!(removed(&at(16)), Vec::<String>::new());
    assert_eq!(
        removed(&at(22)),
        ["ClusterRole old", "Ingress web/web"],
        "RBAC v1beta1 and extensions Ingress go in 1.22"
    );
    assert_eq!(
        removed(&at(25)),
        ["ClusterRole old", "CronJob ops/nightly", "Ingress web/web"]
    );
    assert!(
        ids(&at(22)).contains(&"UPGRADE-DEPRECATED-API"),
        "CronJob v1beta1"
    );
    assert!(!ids(&at(24)).contains(&"UPGRADE-REMOVED-RESOURCE"));
    let psp = at(25);
    let f = psp
        .findings
        .iter()
        .find(|f| f.id == "UPGRADE-REMOVED-RESOURCE")
        .unwrap();
    assert_eq!(f.severity, Severity::Medium);
    let source = f.objects[0].source.as_ref().unwrap();
    assert_eq!((&*source.file, source.document), ("old.yaml", 0));
    assert!(
        Audit::builder(&graph)
            .paths(false)
            .run()
            .findings
            .iter()
            .all(|f| !f.id.starts_with("UPGRADE-"))
    );
}

// ----- golden: upstream test suites -------------------------------------

/// kubescape regolibrary rules mapped to our controls: (rule, case,
/// control, our subjects, whether kubescape agrees). Where it does not, the
/// reason is RBAC's scoping, which its Rego rules do not model: a
/// RoleBinding never grants cluster-scoped resources (nodes/proxy, CSR
/// approval, PersistentVolumes, webhook configurations, ClusterRoles), and a
/// `kubernetes.io/bootstrapping: rbac-defaults` label does not make a
/// binding to a non-default role a default.
const KUBESCAPE: &[(&str, &str, &str, &[&str], bool)] = &[
    (
        "cluster-admin-role",
        "clusterrole-clusterrolebinding",
        "CIS-5.1.1",
        &["Group dev", "Group manager"],
        true,
    ),
    (
        "cluster-admin-role",
        "clusterrole-rolebinding",
        "CIS-5.1.1",
        &[],
        true,
    ),
    (
        "cluster-admin-role",
        "role-clusterrolebinding",
        "CIS-5.1.1",
        &[],
        true,
    ),
    (
        "ensure-default-service-accounts-has-only-default-roles",
        "failed_clusterrolebinding",
        "CIS-5.1.5",
        &["ServiceAccount n1/default"],
        true,
    ),
    (
        "ensure-default-service-accounts-has-only-default-roles",
        "pass_rolebinding_two_subjects",
        "CIS-5.1.5",
        &[],
        true,
    ),
    (
        "ensure-default-service-accounts-has-only-default-roles",
        "passed_clusterrolebinding",
        "CIS-5.1.5",
        &[],
        true,
    ),
    (
        "ensure-default-service-accounts-has-only-default-roles",
        "passed_rolebinding_one_subject",
        "CIS-5.1.5",
        &["ServiceAccount default/default"],
        false,
    ),
    (
        "rule-can-access-proxy-subresource",
        "clusterrole-clusterrolebinding",
        "CIS-5.1.10",
        &[],
        true,
    ),
    (
        "rule-can-access-proxy-subresource",
        "clusterrole-rolebinding",
        "CIS-5.1.10",
        &[],
        false,
    ),
    (
        "rule-can-approve-cert-signing-request",
        "clusterrole-clusterrolebinding",
        "CIS-5.1.11",
        &[],
        true,
    ),
    (
        "rule-can-approve-cert-signing-request",
        "role-rolebinding",
        "CIS-5.1.11",
        &[],
        false,
    ),
    (
        "rule-can-bind-escalate",
        "clusterrole-clusterrolebinding",
        "CIS-5.1.8",
        &["Group dev", "Group manager"],
        true,
    ),
    (
        "rule-can-bind-escalate",
        "role-rolebinding",
        "CIS-5.1.8",
        &[],
        false,
    ),
    (
        "rule-can-create-pod",
        "clusterrole-clusterrolebinding",
        "CIS-5.1.4",
        &[],
        true,
    ),
    (
        "rule-can-create-pod",
        "clusterrole-rolebinding",
        "CIS-5.1.4",
        &["User jane"],
        true,
    ),
    (
        "rule-can-create-pod",
        "role-rolebinding",
        "CIS-5.1.4",
        &["User jane"],
        true,
    ),
    (
        "rule-can-create-pv",
        "clusterrole-rolebinding",
        "CIS-5.1.9",
        &[],
        false,
    ),
    (
        "rule-can-create-service-account-token",
        "clusterrole-clusterrolebinding",
        "CIS-5.1.13",
        &[],
        true,
    ),
    (
        "rule-can-create-service-account-token",
        "role-rolebinding",
        "CIS-5.1.13",
        &["User jane"],
        true,
    ),
    (
        "rule-can-impersonate-users-groups-v1",
        "clusterrole-clusterrolebinding",
        "CIS-5.1.8",
        &["Group dev", "Group manager"],
        true,
    ),
    (
        "rule-can-impersonate-users-groups-v1",
        "role-rolebinding",
        "CIS-5.1.8",
        &["User jane"],
        true,
    ),
    (
        "rule-can-list-get-secrets-v1",
        "clusterrole-clusterrolebinding",
        "CIS-5.1.2",
        &["Group dev", "Group manager"],
        true,
    ),
    (
        "rule-can-list-get-secrets-v1",
        "clusterrole-rolebinding",
        "CIS-5.1.2",
        &["User jane"],
        true,
    ),
    (
        "rule-can-list-get-secrets-v1",
        "role-rolebinding",
        "CIS-5.1.2",
        &["User jane"],
        true,
    ),
    (
        "rule-can-modify-admission-webhooks",
        "clusterrole-clusterrolebinding",
        "CIS-5.1.12",
        &[],
        true,
    ),
    (
        "rule-can-modify-admission-webhooks",
        "clusterrole-rolebinding",
        "CIS-5.1.12",
        &[],
        false,
    ),
];

#[test]
fn kubescape_regolibrary_expected_outcomes() {
    for &(rule, case, id, expected, agrees) in KUBESCAPE {
        let dir =
            format!("tests/fixtures/real-world/kubescape-regolibrary/rules/{rule}/test/{case}");
        let graph = load(&[&format!("{dir}/input")], "default");
        let report = Audit::builder(&graph).paths(false).run();
        assert_eq!(subjects(&report, id), expected, "{rule}/{case} {id}");
        let alerts: Vec<Value> = serde_json::from_str(
            &std::fs::read_to_string(root().join(&dir).join("expected.json")).unwrap(),
        )
        .unwrap();
        assert_eq!(
            alerts.is_empty() == expected.is_empty(),
            agrees,
            "{rule}/{case}: kubescape has {} alert(s)",
            alerts.len()
        );
    }
}

/// Polaris checks: `automountServiceAccountToken` is CIS-5.1.6's mount
/// decision; `*ClusterAdmin*` is CIS-5.1.1. Polaris lints names and
/// wildcards where we decide by the permission: it exempts bindings named
/// `system:*` or `gce:podsecuritypolicy:calico-sa` (we report `*` on `*` to
/// a user whatever the binding's name), fails a role merely named
/// `cluster-admin` that grants `get deployments` (not cluster-admin), and
/// fails `*` groups and resources with seven listed verbs, which lack
/// `bind`, `escalate`, `impersonate`, … (we report those wildcards under
/// CIS-5.1.3, checked below).
#[test]
fn polaris_expected_verdicts() {
    let name_based = [
        "failure.all_verbs.yaml",
        "failure.all_verbs_different_order.yaml",
        "failure.default_clusteradmin_clusterrole.yaml",
        "success.gce_calico_binding.yaml",
        "success.system_prefix_binding.yaml",
    ];
    let mut checked = 0;
    for (check, ids) in [
        ("automountServiceAccountToken", &["CIS-5.1.6"][..]),
        ("clusterrolebindingClusterAdmin", &["CIS-5.1.1"]),
        ("rolebindingClusterAdminClusterRole", &["CIS-5.1.1"]),
    ] {
        let dir = root()
            .join("tests/fixtures/real-world/polaris/test/checks")
            .join(check);
        let mut files: Vec<PathBuf> = std::fs::read_dir(&dir)
            .unwrap()
            .map(|e| e.unwrap().path())
            .collect();
        files.sort();
        for file in files {
            let name = file.file_name().unwrap().to_string_lossy().to_string();
            let fails = if name.starts_with("failure.") {
                true
            } else if name.starts_with("success.") {
                false
            } else {
                continue;
            };
            let graph = RbacGraph::builder().load_path(&file).build().unwrap();
            let report = Audit::builder(&graph).paths(false).run();
            let found = report.findings.iter().any(|f| ids.contains(&f.id.as_str()));
            let agrees = check.starts_with("automount") || !name_based.contains(&name.as_str());
            assert_eq!(found == fails, agrees, "{check}/{name}: found {found}");
            if name.starts_with("failure.all_verbs") {
                assert!(ids_of(&report).contains(&"CIS-5.1.3"), "{check}/{name}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked}");
}

// ----- golden: install manifests ----------------------------------------

#[test]
fn real_install_manifests_expose_their_cluster_admin_and_wildcard_grants() {
    let bootstrap = "tests/fixtures/real-world/kubernetes-bootstrap-policy";
    let argo = load(
        &[
            bootstrap,
            "tests/fixtures/real-world/argo-cd/manifests/install.yaml",
        ],
        "argocd",
    );
    let r = Audit::builder(&argo).paths(false).run();
    assert_eq!(
        subjects(&r, "CIS-5.1.1"),
        ["ServiceAccount argocd/argocd-application-controller"]
    );
    let wild = subjects(&r, "CIS-5.1.3");
    assert!(
        wild.contains(&"ServiceAccount argocd/argocd-server".to_string()),
        "{wild:?}"
    );

    let flux = load(
        &[bootstrap, "tests/fixtures/real-world/flux2/manifests"],
        "flux-system",
    );
    let r = Audit::builder(&flux).paths(false).run();
    assert_eq!(
        subjects(&r, "CIS-5.1.1"),
        [
            "ServiceAccount flux-system/helm-controller",
            "ServiceAccount flux-system/kustomize-controller"
        ]
    );
    assert!(
        subjects(&r, "CIS-5.1.13").len() >= 7,
        "crd-controller mints tokens"
    );

    let prom = load(
        &[
            bootstrap,
            "tests/fixtures/real-world/kube-prometheus/manifests",
        ],
        "monitoring",
    );
    let r = Audit::builder(&prom).paths(false).run();
    let secrets: Vec<&rbacgraph::Finding> = r
        .findings
        .iter()
        .filter(|f| f.id == "CIS-5.1.2" && f.message.contains("cluster-wide"))
        .collect();
    let who: Vec<String> = secrets.iter().map(|f| f.subjects[0].to_string()).collect();
    assert!(
        who.contains(&"ServiceAccount monitoring/kube-state-metrics".to_string()),
        "{who:?}"
    );
    assert!(secrets.iter().all(|f| f.severity == Severity::High));

    // The default policy alone is clean.
    let defaults = load(&[bootstrap], "default");
    let r = Audit::builder(&defaults).paths(false).run();
    assert!(r.findings.is_empty(), "{:?}", ids(&r));
}

// ----- SARIF and the command line ---------------------------------------

fn rbacgraph() -> Command {
    let mut cmd = Command::cargo_bin("rbacgraph").unwrap();
    cmd.env("NO_COLOR", "1").current_dir(root());
    cmd
}

fn run(args: &[&str]) -> (i32, String, String) {
    let out = rbacgraph().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

#[test]
fn sarif_output_is_valid_against_the_published_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let (code, out, err) = run(&[
        "-f",
        "examples/clusters/demo",
        "audit",
        "--target-version",
        "1.25",
        "--ignore",
        "tests/fixtures/audit/ignore.yaml",
        "-o",
        "sarif",
    ]);
    assert_eq!(code, 0, "{err}");
    let log: Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    // Each result points at the manifest file and line of its objects.
    let results = log["runs"][0]["results"].as_array().unwrap();
    assert!(!results.is_empty());
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    assert_eq!(rules.len(), CONTROLS.len());
    for r in results {
        let id = r["ruleId"].as_str().unwrap();
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], id);
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        let loc = &r["locations"][0]["physicalLocation"];
        let uri = loc["artifactLocation"]["uri"].as_str().unwrap();
        assert!(uri.starts_with("examples/clusters/demo/"), "{uri}");
        assert!(loc["region"]["startLine"].as_u64().unwrap() >= 1);
    }
    let dangling = results
        .iter()
        .find(|r| r["ruleId"] == "RBAC-DANGLING-ROLEREF")
        .unwrap();
    assert_eq!(
        dangling["locations"][0]["physicalLocation"]["artifactLocation"]["uri"],
        "examples/clusters/demo/40-ci.yaml"
    );
    assert_eq!(
        dangling["locations"][0]["physicalLocation"]["region"]["startLine"],
        95
    );
    // Suppressed findings stay in the log, marked.
    let suppressed: Vec<&Value> = results
        .iter()
        .filter(|r| r.get("suppressions").is_some())
        .collect();
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "external");

    // A deliberately broken log fails the same validator (the test can fail).
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn fail_on_sets_the_exit_code() {
    let demo = ["-f", "examples/clusters/demo", "audit", "--no-paths"];
    let with = |extra: &[&str]| {
        let mut args = demo.to_vec();
        args.extend_from_slice(extra);
        run(&args)
    };
    assert_eq!(with(&[]).0, 0, "no --fail-on: always 0");
    assert_eq!(with(&["--fail-on", "high"]).0, 1);
    assert_eq!(
        with(&["--fail-on", "critical"]).0,
        1,
        "argocd-manager holds every permission"
    );
    let (code, out, _) = run(&[
        "-f",
        "tests/fixtures/audit/CIS-5.1.1/negative.yaml",
        "audit",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(code, 0, "{out}");
    let clean = [
        "-f",
        "tests/fixtures/audit/CIS-5.1.1/negative.yaml",
        "audit",
        "--fail-on",
        "low",
    ];
    let (code, out, _) = run(&clean);
    assert_eq!(code, 1, "{out}");
    let (code, out, _) = run(&[
        "-f",
        "tests/fixtures/real-world/kubernetes-bootstrap-policy",
        "audit",
        "--fail-on",
        "info",
    ]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("No findings."));
    // Errors exit 2.
    assert_eq!(with(&["--target-version", "one.thirty"]).0, 2);
    assert_eq!(
        with(&["--ignore", "tests/fixtures/audit/missing.yaml"]).0,
        2
    );
    assert_eq!(with(&["--fail-on", "severe"]).0, 2);
    let (code, _, err) = run(&["-f", "examples/clusters/demo", "summary", "-o", "sarif"]);
    assert_eq!(code, 2);
    assert!(err.contains("only for `audit`"));
}

#[test]
fn json_report_is_a_versioned_document() {
    let (code, out, err) = run(&[
        "-f",
        "examples/clusters/demo",
        "audit",
        "--ignore",
        "tests/fixtures/audit/ignore.yaml",
        "-o",
        "json",
    ]);
    assert_eq!(code, 0, "{err}");
    let doc: Value = serde_json::from_str(&out).unwrap();
    assert_eq!(doc["apiVersion"], "rbacgraph/v1");
    assert_eq!(doc["kind"], "AuditReport");
    assert_eq!(doc["reachability"], "attackGraph");
    assert_eq!(doc["summary"]["suppressed"], 1);
    assert_eq!(
        doc["suppressed"][0]["reason"],
        "the schema migration runs once, by hand"
    );
    let first = &doc["findings"][0];
    for key in [
        "id",
        "title",
        "severity",
        "message",
        "subjects",
        "objects",
        "evidence",
        "remediation",
        "severityReason",
    ] {
        assert!(first.get(key).is_some(), "missing {key}: {first}");
    }
    let (_, table, _) = run(&["-f", "examples/clusters/demo", "audit"]);
    let high = table.find("HIGH (").unwrap();
    let medium = table.find("MEDIUM (").unwrap();
    assert!(high < medium, "most severe first");
    assert!(table.contains("SUPPRESSED") || !table.contains("suppressed;"));
}

/// A named grant where the subject already holds every name is not
/// repeated as evidence (its binding is still an object of the finding);
/// one in another namespace widens the finding and is kept.
#[test]
fn named_grants_are_evidence_only_where_they_add_something() {
    let yaml = "
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: secret-reader}
rules: [{apiGroups: [''], resources: [secrets], verbs: [get]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRole
metadata: {name: db-secret}
rules: [{apiGroups: [''], resources: [secrets], verbs: [get], resourceNames: [db-password]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bot-reads-a, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: secret-reader}
subjects: [{kind: ServiceAccount, name: bot, namespace: tools}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bot-db-a, namespace: a}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: db-secret}
subjects: [{kind: ServiceAccount, name: bot, namespace: tools}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: bot-db-b, namespace: b}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: db-secret}
subjects: [{kind: ServiceAccount, name: bot, namespace: tools}]
";
    let graph = RbacGraph::builder()
        .load_str("named.yaml", yaml)
        .build()
        .unwrap();
    let report = audit(&graph);
    let finding = report
        .findings
        .iter()
        .find(|f| f.id == "CIS-5.1.2")
        .unwrap();
    assert!(
        finding.message.ends_with("in 2 namespace(s): a, b"),
        "{}",
        finding.message
    );
    let objects: Vec<String> = finding.objects.iter().map(ToString::to_string).collect();
    for binding in [
        "RoleBinding a/bot-reads-a",
        "RoleBinding a/bot-db-a",
        "RoleBinding b/bot-db-b",
    ] {
        assert!(objects.contains(&binding.to_string()), "{objects:?}");
    }
    let evidence_bindings: Vec<String> = finding
        .evidence
        .iter()
        .filter_map(|e| match e {
            AuditEvidence::Grants { grants, .. } => Some(grants),
            _ => None,
        })
        .flatten()
        .map(|g| g.binding.to_string())
        .collect();
    assert_eq!(
        evidence_bindings,
        ["RoleBinding a/bot-reads-a", "RoleBinding b/bot-db-b"]
    );
}
