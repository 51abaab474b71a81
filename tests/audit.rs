//! `audit`: fixes ranked by impact. Every control on a positive and a
//! negative fixture; the demo cluster's planted mistakes as fixes with the
//! impact one can count by hand; a choke point; the fixes' patches applied to
//! the manifests and the paths searched again (exactly the principals a fix's
//! impact names lose their paths); every reaching principal covered by a fix;
//! platform-managed objects apart; golden answers on real manifests and on
//! upstream test suites (kubescape's regolibrary and Polaris, with every
//! divergence explained); SARIF against the published schema; the command
//! line's exit codes, JSON contract, `--fix` and `--by control`.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

#[path = "support/worlds.rs"]
mod worlds;

use std::collections::BTreeSet;
use std::path::{Path, PathBuf};

use assert_cmd::Command;
use rbacgraph::RbacGraph;
use rbacgraph::query::audit::{
    Audit, AuditReport, CONTROLS, Fix, FixKind, IgnoreRules, KubeVersion, Reachability, Severity,
};
use rbacgraph::query::paths::AttackGraph;
use rbacgraph::query::paths::impact::Goal;
use rbacgraph::query::whatif::PatchAction;
use serde_json::Value;

const DEPTH: usize = 8;
/// (fixes, findings) on argo-cd + flux2 + kube-prometheus with the default
/// policy: the golden answer the README quotes.
const THREE_INSTALLS: (usize, usize) = (24, 73);
const BOOTSTRAP: &str = "tests/fixtures/real-world/kubernetes-bootstrap-policy";
const DEMO: &str = "examples/clusters/demo";

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

/// The audit with every check and the per-control view.
fn audit(graph: &RbacGraph) -> AuditReport {
    Audit::builder(graph)
        .target_version(KubeVersion::new(1, 30))
        .findings(true)
        .run()
}

/// Every fix, the user's and the platform's.
fn all_fixes(report: &AuditReport) -> impl Iterator<Item = &Fix> {
    report.fixes.iter().chain(&report.platform_managed)
}

/// The subjects (`Kind ns/name`) a control reports, sorted: a finding's
/// subject, or for a finding about an object the principals of its fixes.
fn subjects(report: &AuditReport, control: &str) -> Vec<String> {
    let mut out = BTreeSet::new();
    for f in report.findings.iter().filter(|f| f.control == control) {
        match &f.subject {
            Some(s) => {
                out.insert(s.to_string());
            }
            None => {
                for id in &f.fixes {
                    let fix = report.fix(id).unwrap();
                    out.extend(fix.principals.items.iter().map(ToString::to_string));
                }
            }
        }
    }
    out.into_iter().collect()
}

fn controls(report: &AuditReport) -> Vec<&str> {
    report.findings.iter().map(|f| f.control.as_str()).collect()
}

/// The one fix that changes this object (`Kind ns/name`).
fn fix_of<'r>(report: &'r AuditReport, object: &str) -> &'r Fix {
    let found: Vec<&Fix> = all_fixes(report)
        .filter(|f| f.objects.iter().any(|o| o.to_string() == object))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "fixes of {object}: {:?}",
        found.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    found[0]
}

/// Subjects as `Kind ns/name`, sorted.
fn names(items: &[rbacgraph::SubjectRef]) -> Vec<String> {
    let mut out: Vec<String> = items.iter().map(ToString::to_string).collect();
    out.sort();
    out
}

/// The one fix that addresses this control.
fn fix_for<'r>(report: &'r AuditReport, control: &str) -> &'r Fix {
    let found: Vec<&Fix> = all_fixes(report)
        .filter(|f| f.controls.iter().any(|c| c == control))
        .collect();
    assert_eq!(
        found.len(),
        1,
        "fixes of {control}: {:?}",
        found.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    found[0]
}

// ----- controls -----------------------------------------------------------

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
                .filter(|f| f.control == control.id)
                .map(|f| f.message.as_str())
                .collect();
            assert_eq!(
                !hits.is_empty(),
                expect,
                "{path}: {} finding(s) {hits:?}",
                control.id
            );
            // Whatever is found is fixed somewhere.
            for f in &report.findings {
                assert!(!f.fixes.is_empty(), "{path}: {} has no fix", f.message);
                for id in &f.fixes {
                    let fix = report.fix(id).unwrap();
                    assert!(
                        fix.controls.contains(&f.control),
                        "{path}: {id} lacks {}",
                        f.control
                    );
                    assert!(
                        fix.severity >= f.severity,
                        "{path}: {id} below {}",
                        f.message
                    );
                }
            }
        }
    }
}

// ----- the shape of the report ----------------------------------------------

/// Rank order, ids, objects, patches, counts: on the demo, the choke-point
/// scenario and three real installs together.
#[test]
fn fixes_are_ranked_located_and_counted() {
    let inputs: [&[&str]; 3] = [
        &[DEMO],
        &[BOOTSTRAP, "tests/fixtures/audit/scenarios/choke-point.yaml"],
        &[
            BOOTSTRAP,
            "tests/fixtures/real-world/argo-cd/manifests/install.yaml",
            "tests/fixtures/real-world/flux2/manifests",
            "tests/fixtures/real-world/kube-prometheus/manifests",
        ],
    ];
    for paths in inputs {
        let graph = load(paths, "default");
        let report = audit(&graph);
        let again = audit(&load(paths, "default"));
        assert_eq!(
            report, again,
            "{paths:?}: the same input gives the same report"
        );
        assert!(!report.fixes.is_empty());
        let impact = |f: &Fix| {
            f.impact
                .as_ref()
                .map(|i| (i.cluster_admin, i.nodes))
                .unwrap()
        };
        for (i, pair) in report.fixes.windows(2).enumerate() {
            let (a, b) = (&pair[0], &pair[1]);
            assert_eq!(a.rank, i + 1);
            let key = |f: &Fix| {
                (
                    std::cmp::Reverse(f.severity),
                    std::cmp::Reverse(impact(f)),
                    std::cmp::Reverse(f.principals.count),
                )
            };
            assert!(
                key(a) <= key(b),
                "{paths:?}: {} before {}",
                a.title,
                b.title
            );
        }
        let mut ids = BTreeSet::new();
        for f in all_fixes(&report) {
            assert!(ids.insert(f.id.clone()), "duplicate id {}", f.id);
            assert!(f.id.starts_with("FIX-") && f.id.len() == 16, "{}", f.id);
            assert!(
                !f.title.is_empty() && !f.description.is_empty() && !f.severity_reason.is_empty()
            );
            assert!(!f.controls.is_empty(), "{}", f.title);
            for c in &f.controls {
                assert!(CONTROLS.iter().any(|x| x.id == c), "{c}");
            }
            assert_eq!(f.principals.count, f.principals.items.len());
            assert!(!f.objects.is_empty(), "{}", f.title);
            assert!(
                !f.patch.is_empty() || f.manual.is_some(),
                "{}: neither a patch nor words for a person",
                f.title
            );
            for p in &f.patch {
                let created = matches!(p.action, PatchAction::Create { .. });
                assert_eq!(
                    p.object.source.is_none(),
                    created,
                    "{}: {}",
                    f.title,
                    p.object
                );
            }
            // The evidence it points at exists.
            for &r in &f.evidence.rules {
                assert!(r < report.evidence.rules.len());
            }
            for &o in &f.evidence.objects {
                assert!(o < report.evidence.objects.len());
            }
            if let Some(p) = f.evidence.path {
                let (path, steps) = report.path(p).unwrap();
                assert_eq!(steps.len(), path.steps.len());
                assert!(!steps.is_empty());
            }
            let i = f.impact.as_ref().unwrap();
            assert_eq!(i.cluster_admin, i.cluster_admin_principals.len());
            assert_eq!(i.nodes, i.nodes_principals.len());
        }
        let s = &report.summary;
        assert_eq!(s.fixes, report.fixes.len());
        assert_eq!(s.platform_managed_fixes, report.platform_managed.len());
        assert_eq!(s.findings, report.findings.len());
        let by: usize = Severity::ALL.iter().map(|&x| s.by_severity.get(x)).sum();
        assert_eq!(by, report.fixes.len());
        assert_eq!(
            s.default_or_platform_principals,
            Some(report.default_or_platform.len())
        );
        // The per-control summary adds up.
        for c in &report.controls {
            let n = report.findings.iter().filter(|f| f.control == c.id).count();
            assert_eq!(c.findings, n, "{}", c.id);
        }
    }
}

/// What paths add: impact, the path through the fix and the raise it
/// brings; without them the report says so.
#[test]
fn without_paths_there_is_no_impact_and_the_report_says_so() {
    let graph = load(&[DEMO], "default");
    let with = audit(&graph);
    assert_eq!(with.reachability, Reachability::AttackGraph);
    let flat = Audit::builder(&graph).paths(false).run();
    assert_eq!(flat.reachability, Reachability::PermissionOnly);
    assert!(
        flat.fixes
            .iter()
            .all(|f| f.impact.is_none() && f.evidence.path.is_none())
    );
    assert!(
        flat.notes.iter().any(|n| n.contains("paths off")),
        "{:?}",
        flat.notes
    );
    assert_eq!(flat.summary.principals_reaching_cluster_admin, None);
    // The same fixes, ranked by their permissions alone.
    let ids = |r: &AuditReport| {
        r.fixes
            .iter()
            .map(|f| f.id.clone())
            .collect::<BTreeSet<_>>()
    };
    assert_eq!(ids(&flat), ids(&with));
}

// ----- the demo, by hand ----------------------------------------------------

/// The mistakes `examples/clusters/demo/README.md` plants, each a fix, with
/// the impact counted by hand from the README's story: the deployer reaches
/// cluster-admin through a pod in kube-system running as argocd-manager,
/// and everyone who can be root on a node (dev-team and alice through
/// privileged pods in their namespaces, shop/default through mistake 1)
/// gets the deployer's token from the build-agent pods.
#[test]
fn the_demo_clusters_planted_mistakes_are_fixes_with_the_impact_counted_by_hand() {
    let graph = load(&[DEMO], "default");
    let report = audit(&graph);
    let s = &report.summary;
    // argocd-manager, ci/deployer, Group dev-team, alice, shop/default.
    assert_eq!(s.principals_reaching_cluster_admin, Some(5));
    assert_eq!(
        s.principals_bound_to_cluster_admin,
        Some(1),
        "argocd-manager, in one step"
    );
    assert_eq!(s.principals_reaching_nodes, Some(5));
    assert_eq!(s.default_or_platform_principals, Some(0));

    let impact = |f: &Fix| {
        let i = f.impact.as_ref().unwrap();
        (
            names(&i.cluster_admin_principals),
            names(&i.nodes_principals),
        )
    };
    let node_route = [
        "Group dev-team",
        "ServiceAccount ci/deployer",
        "ServiceAccount shop/default",
        "User alice@example.com",
    ];

    // What mistake 2 leads to: argocd-manager's binding. Every path ends there.
    let argocd = fix_of(&report, "ClusterRoleBinding argocd-manager-role-binding");
    assert_eq!(argocd.kind, FixKind::DeleteBinding);
    assert_eq!(argocd.rank, 1);
    let mut all = node_route.map(String::from).to_vec();
    all.push("ServiceAccount kube-system/argocd-manager".into());
    all.sort();
    assert_eq!(
        impact(argocd),
        (
            all,
            vec!["ServiceAccount kube-system/argocd-manager".into()]
        )
    );

    // 2. The CI deployer's ClusterRoleBinding: the deployer and everyone whose
    // path runs through its token. They keep their nodes (privileged pods).
    let deployer = fix_of(&report, "ClusterRoleBinding ci-deployer");
    assert_eq!(deployer.kind, FixKind::DeleteBinding);
    assert_eq!(deployer.severity, Severity::Critical);
    assert_eq!(deployer.rank, 2);
    assert_eq!(
        impact(deployer),
        (
            node_route.map(String::from).to_vec(),
            vec!["ServiceAccount ci/deployer".into()]
        )
    );
    assert!(deployer.controls.contains(&"CIS-5.1.4".to_string()));
    let (path, steps) = report.path(deployer.evidence.path.unwrap()).unwrap();
    assert_eq!(path.source.to_string(), "ServiceAccount ci/deployer");
    let techniques: Vec<String> = steps.iter().map(|s| s.technique.to_string()).collect();
    assert_eq!(techniques, ["W01", "E01"]);

    // 1. cluster-admin for shop/default: only shop/default loses its path
    // (alice still creates privileged pods in shop herself).
    let default_sa = fix_of(&report, "RoleBinding shop/default-sa-admin");
    assert_eq!(default_sa.kind, FixKind::DeleteBinding);
    assert!(default_sa.controls.contains(&"CIS-5.1.1".to_string()));
    assert!(default_sa.controls.contains(&"CIS-5.1.5".to_string()));
    let shop_default = vec!["ServiceAccount shop/default".to_string()];
    assert_eq!(impact(default_sa), (shop_default.clone(), shop_default));

    // 3. Secrets for every authenticated user: no path (no token Secrets in
    // the demo), but everyone: critical, with every known principal.
    let secrets = fix_of(&report, "ClusterRoleBinding support-secret-reader");
    assert_eq!(
        secrets.severity,
        Severity::Critical,
        "{}",
        secrets.severity_reason
    );
    assert!(
        secrets.severity_reason.contains("everyone"),
        "{}",
        secrets.severity_reason
    );
    assert!(secrets.controls.contains(&"RBAC-ANON-EXPOSURE".to_string()));
    assert_eq!(impact(secrets), (vec![], vec![]));
    assert_eq!(
        secrets.principals.count, 15,
        "system:authenticated and the 14 principals it admits"
    );
    let finding = report
        .findings
        .iter()
        .find(|f| {
            f.control == "CIS-5.1.2"
                && f.subject
                    .as_ref()
                    .is_some_and(|s| s.name == "system:authenticated")
        })
        .unwrap();
    assert_eq!(
        finding.severity,
        Severity::Critical,
        "a grant to everyone ranks as one"
    );

    // 4. `pods/*`: the dead resource goes; nothing changes for anyone, and
    // the severity stays its own although dev-team reaches cluster-admin.
    let debugger = fix_of(&report, "Role payments/debugger");
    assert_eq!(debugger.kind, FixKind::EditRole);
    assert_eq!(debugger.controls, ["RBAC-DEAD-RULE"]);
    assert_eq!(debugger.severity, Severity::Low);
    assert!(debugger.evidence.path.is_none());

    // 5. The dangling roleRef, with the role that was meant.
    let dangling = fix_of(&report, "RoleBinding ci/cache-warmer");
    assert_eq!(dangling.controls, ["RBAC-DANGLING-ROLEREF"]);
    assert!(
        dangling
            .evidence
            .facts
            .iter()
            .any(|f| f.contains("cache-writer")),
        "{:?}",
        dangling.evidence.facts
    );

    // 6. The ServiceAccount subject without a namespace.
    let dead = fix_of(&report, "ClusterRoleBinding node-exporter");
    assert_eq!(dead.controls, ["RBAC-DEAD-SUBJECT"]);
    assert!(
        dead.evidence
            .facts
            .iter()
            .any(|f| f.contains("namespace: monitoring"))
    );

    // The default policy (10-default-policy.yaml) is never changed.
    for f in all_fixes(&report) {
        for o in &f.objects {
            assert!(
                !o.source
                    .as_ref()
                    .is_some_and(|s| s.file.ends_with("10-default-policy.yaml")),
                "{}: default object {o}",
                f.title
            );
        }
    }
    assert!(report.notes.is_empty(), "{:?}", report.notes);
    assert!(report.platform_managed.is_empty());
}

/// One binding every path of eleven principals goes through ranks first,
/// with that impact; a principal with two disjoint paths is in no single
/// fix's impact, though fixes name it.
#[test]
fn the_choke_point_ranks_first_and_disjoint_paths_survive_every_single_fix() {
    let graph = load(
        &[BOOTSTRAP, "tests/fixtures/audit/scenarios/choke-point.yaml"],
        "default",
    );
    let report = audit(&graph);
    let first = &report.fixes[0];
    assert_eq!(first.objects[0].to_string(), "ClusterRoleBinding bridge");
    assert_eq!(first.severity, Severity::Critical);
    let i = first.impact.as_ref().unwrap();
    let mut expected: Vec<String> = (0..10).map(|n| format!("User dev-{n}")).collect();
    expected.push("ServiceAccount ops/bridge".into());
    expected.sort();
    assert_eq!(names(&i.cluster_admin_principals), expected);
    // The developers' own Role is the next best: ten.
    assert_eq!(report.fixes[1].objects[0].to_string(), "Role ops/launch");
    assert_eq!(report.fixes[1].impact.as_ref().unwrap().cluster_admin, 10);
    // `dual`: named by two fixes, cut by neither.
    let naming: Vec<&Fix> = all_fixes(&report)
        .filter(|f| f.principals.items.iter().any(|p| p.name == "dual"))
        .collect();
    assert_eq!(
        naming.len(),
        2,
        "{:?}",
        naming.iter().map(|f| &f.title).collect::<Vec<_>>()
    );
    for f in all_fixes(&report) {
        let i = f.impact.as_ref().unwrap();
        assert!(
            !i.cluster_admin_principals.iter().any(|p| p.name == "dual"),
            "{}",
            f.title
        );
    }
    for f in naming {
        assert_eq!(
            f.severity,
            Severity::Critical,
            "{}: a path to cluster-admin uses it",
            f.title
        );
        assert!(f.evidence.path.is_some(), "{}", f.title);
    }
    // k3s's own cluster-admin binding is the platform's, listed apart.
    assert_eq!(report.platform_managed.len(), 1);
    assert_eq!(
        report.platform_managed[0].objects[0].name,
        "helm-kube-system-traefik"
    );
    assert_eq!(
        report.platform_managed[0]
            .platform
            .as_ref()
            .unwrap()
            .platform,
        "k3s/RKE2"
    );
    assert!(
        report
            .default_or_platform
            .iter()
            .any(|p| p.name == "helm-traefik")
    );
}

/// The raise comes from a path that uses the fix, never from another path
/// of the same subject: `tools/ci` reaches cluster-admin by binding it, and
/// its PersistentVolume grant stays what it is.
#[test]
fn severity_is_raised_only_by_paths_through_the_fix() {
    let graph = RbacGraph::builder()
        .load_str("escalator.yaml", ESCALATOR)
        .build()
        .unwrap();
    let report = audit(&graph);
    let binder = fix_of(&report, "ClusterRoleBinding ci-binder");
    assert_eq!(binder.severity, Severity::Critical);
    assert!(
        binder.severity_reason.contains("raised to critical"),
        "{}",
        binder.severity_reason
    );
    assert_eq!(
        names(&binder.impact.as_ref().unwrap().cluster_admin_principals),
        ["ServiceAccount tools/ci"]
    );
    let (_, steps) = report.path(binder.evidence.path.unwrap()).unwrap();
    assert_eq!(steps[0].technique.to_string(), "E02");
    let pv = fix_for(&report, "CIS-5.1.9");
    assert!(
        pv.impact
            .as_ref()
            .unwrap()
            .cluster_admin_principals
            .is_empty()
    );
    assert!(
        pv.severity < Severity::Critical,
        "{}: {}",
        pv.severity,
        pv.severity_reason
    );
    if let Some(p) = pv.evidence.path {
        let (path, _) = report.path(p).unwrap();
        assert_ne!(
            path.target, "cluster-admin",
            "an unrelated path of tools/ci"
        );
    }
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

#[test]
fn suppressed_findings_are_counted_and_listed_with_their_reason() {
    let graph = RbacGraph::builder()
        .load_str("escalator.yaml", ESCALATOR)
        .build()
        .unwrap();
    let all = Audit::builder(&graph).paths(false).findings(true).run();
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
    let report = Audit::builder(&graph)
        .paths(false)
        .findings(true)
        .ignore(rules)
        .run();
    assert_eq!(report.suppressed.len(), 1);
    let s = &report.suppressed[0];
    assert_eq!(s.finding.control, "CIS-5.1.9");
    assert_eq!(s.reason, "the CI provisions volumes on purpose");
    assert_eq!(s.rule_index, 0);
    assert_eq!(report.summary.suppressed, 1);
    assert_eq!(report.findings.len() + 1, all.findings.len());
    assert!(
        report
            .findings
            .iter()
            .any(|f| f.control == "CIS-5.1.9" && f.message.starts_with("User storage-bot"))
    );
    // The fix for the volumes now only concerns storage-bot.
    let pv = fix_for(&report, "CIS-5.1.9");
    assert_eq!(names(&pv.principals.items), ["User storage-bot"]);

    assert!(
        IgnoreRules::from_yaml("- {id: CIS-5.1.9}").is_err(),
        "no reason"
    );
    assert!(IgnoreRules::from_yaml("- {id: 'CIS-[', reason: x}").is_err());
    assert!(IgnoreRules::from_yaml("- {id: x, reason: y, extra: z}").is_err());
}

// ----- upgrade readiness ----------------------------------------------------------

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
            .findings(true)
            .target_version(KubeVersion::new(1, v))
            .run()
    };
    let removed = |r: &AuditReport| {
        let mut out: Vec<String> = r
            .findings
            .iter()
            .filter(|f| f.control == "UPGRADE-REMOVED-API")
            .map(|f| f.object.as_ref().unwrap().to_string())
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
        controls(&at(22)).contains(&"UPGRADE-DEPRECATED-API"),
        "CronJob v1beta1"
    );
    assert!(!controls(&at(24)).contains(&"UPGRADE-REMOVED-RESOURCE"));
    let psp = at(25);
    let f = psp
        .findings
        .iter()
        .find(|f| f.control == "UPGRADE-REMOVED-RESOURCE")
        .unwrap();
    assert_eq!(f.severity, Severity::Medium);
    let source = f.object.as_ref().unwrap().source.as_ref().unwrap();
    assert_eq!((&*source.file, source.document), ("old.yaml", 0));
    assert!(
        Audit::builder(&graph)
            .paths(false)
            .run()
            .fixes
            .iter()
            .all(|f| f.controls.iter().all(|c| !c.starts_with("UPGRADE-")))
    );
    // The removed APIs of one kind move together: one fix per kind.
    let at25 = at(25);
    let fixes: Vec<&Fix> = at25
        .fixes
        .iter()
        .filter(|f| f.kind == FixKind::UpdateApiVersion)
        .collect();
    assert!(!fixes.is_empty());
    for f in fixes {
        assert!(
            f.patch
                .iter()
                .all(|p| matches!(p.action, PatchAction::Patch { .. })),
            "{}",
            f.title
        );
    }
}

// ----- properties on random worlds --------------------------------------------

/// The principals (by key) that reach a goal.
fn reaching(attack: &AttackGraph<'_>, goal: Goal) -> BTreeSet<String> {
    attack
        .who_reaches(&worlds::target(goal), DEPTH)
        .into_iter()
        .map(|p| p.source.key())
        .collect()
}

/// Every principal that reaches cluster-admin or a node is among some fix's
/// principals, unless the report lists it as the cluster's own.
fn check_coverage(graph: &RbacGraph, report: &AuditReport, what: &str) {
    let attack = AttackGraph::builder(graph).build();
    let mut named: BTreeSet<String> = all_fixes(report)
        .flat_map(|f| f.principals.items.iter().map(worlds::subject_key))
        .collect();
    named.extend(report.default_or_platform.iter().map(worlds::subject_key));
    for goal in Goal::ALL {
        for key in reaching(&attack, goal) {
            assert!(
                named.contains(&key),
                "{what}: {key} reaches {goal:?} but no fix names it"
            );
        }
    }
}

#[test]
fn every_reaching_principal_is_named_by_a_fix_on_random_worlds() {
    for seed in 0..48 {
        let docs = worlds::world(seed);
        let graph = RbacGraph::builder()
            .load_str("world.yaml", &worlds::yaml(&docs))
            .build()
            .unwrap();
        let report = Audit::builder(&graph).run();
        check_coverage(
            &graph,
            &report,
            &format!("world {seed}:\n{}", worlds::yaml(&docs)),
        );
    }
}

#[test]
fn every_reaching_principal_is_named_by_a_fix_on_the_small_preset_and_real_manifests() {
    let out = rbacgraph()
        .args(["generate", "--preset", "small", "--seed", "3", "-o", "json"])
        .output()
        .unwrap();
    assert!(out.status.success());
    let small = RbacGraph::builder()
        .load_str("small.json", std::str::from_utf8(&out.stdout).unwrap())
        .build()
        .unwrap();
    let report = Audit::builder(&small).run();
    assert!(report.summary.principals_reaching_cluster_admin.unwrap() > 0);
    assert!(
        !report.platform_managed.is_empty(),
        "the preset installs EKS roles"
    );
    check_coverage(&small, &report, "small preset");
    for paths in [
        &[DEMO][..],
        &[BOOTSTRAP, "tests/fixtures/real-world/kubernetes-goat"],
        &[
            BOOTSTRAP,
            "tests/fixtures/real-world/argo-cd/manifests/install.yaml",
        ],
    ] {
        let graph = load(paths, "default");
        check_coverage(&graph, &Audit::builder(&graph).run(), &format!("{paths:?}"));
    }
}

/// For every fix of random worlds: its patch applied to the manifests with a
/// JSON Patch library, the result loaded and searched again — exactly the
/// principals its impact names lose their paths, per goal.
#[test]
fn applying_a_fix_removes_exactly_the_paths_its_impact_names() {
    let mut checked = 0;
    let mut cutting = 0;
    for seed in 0..40 {
        let docs = worlds::world(seed);
        let graph = RbacGraph::builder()
            .load_str("world.yaml", &worlds::yaml(&docs))
            .build()
            .unwrap();
        let report = Audit::builder(&graph).run();
        let before = AttackGraph::builder(&graph).build();
        for fix in all_fixes(&report) {
            let patched = worlds::apply(&docs, &fix.patch);
            let after_graph = RbacGraph::builder()
                .load_str("world.yaml", &worlds::yaml(&patched))
                .build()
                .unwrap();
            let after = AttackGraph::builder(&after_graph).build();
            let impact = fix.impact.as_ref().unwrap();
            for (goal, named) in [
                (Goal::ClusterAdmin, &impact.cluster_admin_principals),
                (Goal::Nodes, &impact.nodes_principals),
            ] {
                let engine: BTreeSet<String> = named.iter().map(worlds::subject_key).collect();
                let truth = worlds::truth(&before, &after, goal, DEPTH);
                assert_eq!(
                    engine,
                    truth,
                    "seed {seed}, {goal:?}, fix {} ({})\nworld:\n{}",
                    fix.id,
                    fix.title,
                    worlds::yaml(&docs)
                );
                cutting += usize::from(!truth.is_empty());
            }
            checked += 1;
        }
    }
    assert!(checked > 200, "{checked} fixes");
    assert!(
        cutting > 40,
        "only {cutting} fixes cut a path: the worlds are too tame"
    );
}

// ----- golden: upstream test suites -------------------------------------------

/// kubescape regolibrary rules mapped to our controls: (rule, case,
/// control, our subjects, whether kubescape agrees). Where it does not, the
/// reason is RBAC's scoping, which its Rego rules do not model: a
/// RoleBinding never grants cluster-scoped resources (nodes/proxy, CSR
/// approval, PersistentVolumes, webhook configurations) — but it does grant
/// `bind` on ClusterRoles within its namespace, which is what a RoleBinding
/// to a ClusterRole is checked against (`pkg/registry/rbac/escalation_check.go
/// :: BindingAuthorized` passes the binding's namespace) — and a
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
        &["User jane"],
        true,
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
        let report = Audit::builder(&graph).paths(false).findings(true).run();
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
            let report = Audit::builder(&graph).paths(false).findings(true).run();
            let found = report
                .findings
                .iter()
                .any(|f| ids.contains(&f.control.as_str()));
            let agrees = check.starts_with("automount") || !name_based.contains(&name.as_str());
            assert_eq!(found == fails, agrees, "{check}/{name}: found {found}");
            if name.starts_with("failure.all_verbs") {
                assert!(controls(&report).contains(&"CIS-5.1.3"), "{check}/{name}");
            }
            checked += 1;
        }
    }
    assert!(checked >= 30, "{checked}");
}

// ----- golden: install manifests and platforms --------------------------------

#[test]
fn real_install_manifests_expose_their_cluster_admin_and_wildcard_grants() {
    let argo = load(
        &[
            BOOTSTRAP,
            "tests/fixtures/real-world/argo-cd/manifests/install.yaml",
        ],
        "argocd",
    );
    let r = audit(&argo);
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
        &[BOOTSTRAP, "tests/fixtures/real-world/flux2/manifests"],
        "flux-system",
    );
    let r = audit(&flux);
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
    // flux-edit is aggregated into `edit`: bound wherever `edit` is.
    let flux_edit = r
        .findings
        .iter()
        .find(|f| f.control == "CIS-5.1.3" && f.message.contains("ClusterRole flux-edit"));
    // No binding names `edit` here: 0, and the message says aggregation
    // was counted.
    let f = flux_edit.unwrap();
    assert!(f.message.contains("pick it (admin, edit)"), "{}", f.message);

    let prom = load(
        &[
            BOOTSTRAP,
            "tests/fixtures/real-world/kube-prometheus/manifests",
        ],
        "monitoring",
    );
    let r = audit(&prom);
    let secrets: Vec<&rbacgraph::Finding> = r
        .findings
        .iter()
        .filter(|f| f.control == "CIS-5.1.2" && f.message.contains("cluster-wide"))
        .collect();
    let who: Vec<String> = secrets
        .iter()
        .map(|f| f.subject.as_ref().unwrap().to_string())
        .collect();
    assert!(
        who.contains(&"ServiceAccount monitoring/kube-state-metrics".to_string()),
        "{who:?}"
    );
    assert!(secrets.iter().all(|f| f.severity == Severity::High));

    // The default policy alone is clean.
    let defaults = load(&[BOOTSTRAP], "default");
    let r = audit(&defaults);
    assert!(
        r.fixes.is_empty() && r.findings.is_empty(),
        "{:?}",
        controls(&r)
    );
}

/// argo-cd + flux2 + kube-prometheus: each controller that holds
/// cluster-admin is one fix (its binding), not one finding per control; the
/// numbers are the golden answer (README, "audit").
#[test]
fn three_real_installs_are_a_few_fixes() {
    let graph = load(
        &[
            BOOTSTRAP,
            "tests/fixtures/real-world/argo-cd/manifests/install.yaml",
            "tests/fixtures/real-world/flux2/manifests",
            "tests/fixtures/real-world/kube-prometheus/manifests",
        ],
        "default",
    );
    let report = audit(&graph);
    for sa in [
        "ServiceAccount argocd/argocd-application-controller",
        "ServiceAccount flux-system/helm-controller",
        "ServiceAccount flux-system/kustomize-controller",
    ] {
        let cluster_admin: Vec<&Fix> = report
            .fixes
            .iter()
            .filter(|f| {
                f.controls.contains(&"CIS-5.1.1".to_string())
                    && f.principals.items.iter().any(|p| p.to_string() == sa)
            })
            .collect();
        assert_eq!(cluster_admin.len(), 1, "{sa}");
        let f = cluster_admin[0];
        assert_eq!(f.kind, FixKind::DeleteBinding);
        assert!(
            f.controls.len() >= 5,
            "{sa}: one fix addresses {:?}",
            f.controls
        );
        let findings = report
            .findings
            .iter()
            .filter(|x| x.fixes.contains(&f.id))
            .count();
        assert!(findings >= 5, "{sa}: {findings}");
    }
    let counts = (report.fixes.len(), report.findings.len());
    assert_eq!(counts, THREE_INSTALLS, "(fixes, findings)");
    assert!(counts.0 * 2 < counts.1);
}

/// Every platform's fixture (written from its docs): only platform-managed
/// fixes, each naming its platform.
#[test]
fn platform_managed_fixtures_give_only_platform_managed_fixes() {
    for (dir, platform) in [
        ("eks", "EKS"),
        ("gke", "GKE"),
        ("aks", "AKS"),
        ("openshift", "OpenShift"),
        ("k3s", "k3s/RKE2"),
    ] {
        let graph = load(
            &[&format!("tests/fixtures/platform/{dir}/cluster.yaml")],
            "default",
        );
        let report = audit(&graph);
        let titles: Vec<&str> = report.fixes.iter().map(|f| f.title.as_str()).collect();
        assert!(titles.is_empty(), "{dir}: user fixes {titles:?}");
        assert!(!report.platform_managed.is_empty(), "{dir}");
        for f in &report.platform_managed {
            let m = f.platform.as_ref().unwrap();
            assert!(
                m.platform.contains(platform)
                    || m.platform.contains(&platform.replace("/RKE2", "")),
                "{dir}: {} is {}",
                f.title,
                m.platform
            );
            assert!(!m.reason.is_empty());
        }
        // They still count in the exposure.
        assert_eq!(
            report.summary.platform_managed_fixes,
            report.platform_managed.len()
        );
    }
}

/// A binding to a role that grants nothing sensitive by name but a path
/// uses is still found: `create pods/exec` in kube-system, where a
/// cluster-admin workload runs, is a fix with that impact.
#[test]
fn exec_into_a_cluster_admin_pod_is_a_fix() {
    let yaml = "
apiVersion: v1
kind: ServiceAccount
metadata: {name: ops, namespace: kube-system}
---
apiVersion: apps/v1
kind: Deployment
metadata: {name: operator, namespace: kube-system}
spec:
  selector: {matchLabels: {app: operator}}
  template:
    metadata: {labels: {app: operator}}
    spec: {serviceAccountName: ops, containers: [{name: c, image: operator}]}
---
apiVersion: rbac.authorization.k8s.io/v1
kind: ClusterRoleBinding
metadata: {name: ops-admin}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: cluster-admin}
subjects: [{kind: ServiceAccount, name: ops, namespace: kube-system}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: Role
metadata: {name: exec, namespace: kube-system}
rules: [{apiGroups: [''], resources: [pods/exec], verbs: [create]}]
---
apiVersion: rbac.authorization.k8s.io/v1
kind: RoleBinding
metadata: {name: debugger, namespace: kube-system}
roleRef: {apiGroup: rbac.authorization.k8s.io, kind: Role, name: exec}
subjects: [{kind: ServiceAccount, name: debugger, namespace: tools}]
";
    let graph = RbacGraph::builder()
        .load_path(root().join(BOOTSTRAP))
        .load_str("exec.yaml", yaml)
        .build()
        .unwrap();
    let report = audit(&graph);
    let fix = fix_of(&report, "Role kube-system/exec");
    assert!(
        fix.controls.contains(&"RBAC-EXEC-IN-PODS".to_string()),
        "{:?}",
        fix.controls
    );
    assert_eq!(fix.severity, Severity::Critical);
    assert_eq!(
        names(&fix.impact.as_ref().unwrap().cluster_admin_principals),
        ["ServiceAccount tools/debugger"]
    );
    assert!(report.fails(Severity::Critical));
}

/// A named grant is a finding in every namespace it reaches.
#[test]
fn named_grants_widen_the_finding_to_their_namespaces() {
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
        .find(|f| f.control == "CIS-5.1.2")
        .unwrap();
    assert!(
        finding.message.ends_with("in 2 namespace(s): a, b"),
        "{}",
        finding.message
    );
    // Each binding is a place to fix it.
    let objects: BTreeSet<String> = finding
        .fixes
        .iter()
        .flat_map(|id| {
            report
                .fix(id)
                .unwrap()
                .objects
                .iter()
                .map(ToString::to_string)
        })
        .collect();
    // Each role is bound once: narrowing it is the fix.
    assert!(objects.contains("ClusterRole secret-reader"), "{objects:?}");
    assert!(objects.contains("ClusterRole db-secret"), "{objects:?}");
}

// ----- SARIF and the command line ---------------------------------------------

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

fn json(args: &[&str]) -> Value {
    let (code, out, err) = run(args);
    assert_eq!(code, 0, "{err}");
    serde_json::from_str(&out).unwrap()
}

#[test]
fn sarif_has_one_result_per_fix_and_is_valid_against_the_published_schema() {
    let schema: Value = serde_json::from_str(
        &std::fs::read_to_string(root().join("tests/fixtures/sarif/sarif-schema-2.1.0.json"))
            .unwrap(),
    )
    .unwrap();
    let validator = jsonschema::draft4::new(&schema).unwrap();
    let args = [
        "-f",
        DEMO,
        "audit",
        "--target-version",
        "1.25",
        "--ignore",
        "tests/fixtures/audit/ignore.yaml",
    ];
    let (code, out, err) = run(&[&args[..], &["-o", "sarif"]].concat());
    assert_eq!(code, 0, "{err}");
    let log: Value = serde_json::from_str(&out).unwrap();
    let errors: Vec<String> = validator
        .iter_errors(&log)
        .map(|e| format!("{} at {}", e, e.instance_path()))
        .collect();
    assert!(errors.is_empty(), "{errors:#?}");
    let report = json(&[&args[..], &["-o", "json"]].concat());
    let fixes = report["fixes"].as_array().unwrap();
    let results = log["runs"][0]["results"].as_array().unwrap();
    let (suppressed, active): (Vec<&Value>, Vec<&Value>) = results
        .iter()
        .partition(|r| r.get("suppressions").is_some());
    assert_eq!(
        active.len(),
        fixes.len() + report["platformManaged"].as_array().unwrap().len()
    );
    assert_eq!(suppressed.len(), 1);
    assert_eq!(suppressed[0]["suppressions"][0]["kind"], "external");
    let rules = log["runs"][0]["tool"]["driver"]["rules"]
        .as_array()
        .unwrap();
    for (r, fix) in active.iter().zip(fixes) {
        let index = r["ruleIndex"].as_u64().unwrap() as usize;
        assert_eq!(rules[index]["id"], r["ruleId"]);
        assert!(
            fix["controls"].as_array().unwrap().contains(&r["ruleId"]),
            "{r}"
        );
        assert!(["error", "warning", "note"].contains(&r["level"].as_str().unwrap()));
        let loc = &r["locations"][0]["physicalLocation"];
        let objects = fix["objects"].as_array().unwrap();
        match objects[0].get("source") {
            Some(src) => {
                assert_eq!(loc["artifactLocation"]["uri"], src["file"]);
                assert_eq!(loc["region"]["startLine"], src["line"]);
            }
            None => assert!(loc.is_null(), "{r}"),
        }
        // Every other located object is a related location.
        let located = objects.iter().filter(|o| o.get("source").is_some()).count();
        let related = r
            .get("relatedLocations")
            .map_or(0, |x| x.as_array().unwrap().len());
        assert!(related + 1 >= located, "{r}");
        assert_eq!(
            r["partialFingerprints"]["rbacgraph/fix/v1"], fix["id"],
            "{r}"
        );
    }
    // A deliberately broken log fails the same validator (the test can fail).
    let mut broken = log.clone();
    broken["runs"][0]["results"][0]["level"] = Value::from("fatal");
    assert!(!validator.is_valid(&broken));
}

#[test]
fn fail_on_sets_the_exit_code() {
    let demo = ["-f", DEMO, "audit", "--no-paths"];
    let with = |extra: &[&str]| run(&[&demo[..], extra].concat());
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
    let (code, out, _) = run(&[
        "-f",
        "tests/fixtures/audit/CIS-5.1.1/negative.yaml",
        "audit",
        "--fail-on",
        "low",
    ]);
    assert_eq!(code, 1, "{out}");
    let (code, out, _) = run(&["-f", BOOTSTRAP, "audit", "--fail-on", "info"]);
    assert_eq!(code, 0, "{out}");
    assert!(out.contains("Nothing to fix."), "{out}");
    // Paths decide: exec into a cluster-admin pod in kube-system is critical.
    let (code, out, _) = run(&[
        "-f",
        "tests/fixtures/audit/RBAC-ESCALATION-PATH/positive.yaml",
        "audit",
        "--fail-on",
        "critical",
    ]);
    assert_eq!(code, 1, "{out}");
    // Platform-managed fixes do not fail the run.
    let (code, out, _) = run(&[
        "-f",
        "tests/fixtures/platform/eks/cluster.yaml",
        "audit",
        "--fail-on",
        "info",
    ]);
    assert_eq!(code, 0, "{out}");
    // Errors exit 2.
    assert_eq!(with(&["--target-version", "one.thirty"]).0, 2);
    assert_eq!(
        with(&["--ignore", "tests/fixtures/audit/missing.yaml"]).0,
        2
    );
    assert_eq!(with(&["--fail-on", "severe"]).0, 2);
    assert_eq!(with(&["--fix", "FIX-000000000000"]).0, 2);
    let (code, _, err) = run(&["-f", DEMO, "summary", "-o", "sarif"]);
    assert_eq!(code, 2);
    assert!(err.contains("only for `audit`"));
}

/// The contract the issue states, from outside.
#[test]
fn json_report_keeps_the_contract() {
    let doc = json(&[
        "-f",
        DEMO,
        "audit",
        "--ignore",
        "tests/fixtures/audit/ignore.yaml",
        "-o",
        "json",
    ]);
    assert_eq!(doc["apiVersion"], "rbacgraph/v1");
    assert_eq!(doc["kind"], "AuditReport");
    assert_eq!(doc["reachability"], "attackGraph");
    assert_eq!(doc["summary"]["principalsReachingClusterAdmin"], 5);
    assert_eq!(doc["summary"]["suppressed"], 1);
    assert_eq!(
        doc["suppressed"][0]["reason"],
        "the schema migration runs once, by hand"
    );
    assert!(
        doc.get("findings").is_none(),
        "per-control findings only with --by control"
    );
    let fixes = doc["fixes"].as_array().unwrap();
    for (i, fix) in fixes.iter().enumerate() {
        assert_eq!(fix["rank"], i + 1);
        for key in [
            "id",
            "severity",
            "objects",
            "controls",
            "principals",
            "impact",
            "patch",
            "title",
            "description",
        ] {
            assert!(fix.get(key).is_some(), "missing {key}: {fix}");
        }
        for o in fix["objects"].as_array().unwrap() {
            assert!(o["kind"].is_string() && o["name"].is_string());
        }
        let p = &fix["principals"];
        assert_eq!(
            p["count"].as_u64().unwrap() as usize,
            p["items"].as_array().unwrap().len()
        );
        assert!(fix["impact"]["clusterAdmin"].is_u64() && fix["impact"]["nodes"].is_u64());
    }
    // Evidence is stored once: paths are referenced by index.
    assert!(fixes.iter().any(|f| f["evidence"]["path"].is_u64()));
    assert!(doc["evidence"]["paths"].as_array().unwrap().len() <= fixes.len());

    let flat = json(&["-f", DEMO, "audit", "--no-paths", "-o", "json"]);
    assert!(
        flat["fixes"]
            .as_array()
            .unwrap()
            .iter()
            .all(|f| f.get("impact").is_none())
    );
    assert!(
        flat["notes"]
            .as_array()
            .unwrap()
            .iter()
            .any(|n| n.as_str().unwrap().contains("paths off"))
    );
    assert_eq!(flat["reachability"], "permissionOnly");

    let by_control = json(&["-f", DEMO, "audit", "--by", "control", "-o", "json"]);
    let findings = by_control["findings"].as_array().unwrap();
    assert_eq!(
        findings.len(),
        by_control["summary"]["findings"].as_u64().unwrap() as usize
    );
}

/// The first screen: the summary, then the top fixes; `--top`, `--all`,
/// `--fix` (with the changed manifests in YAML) and `--by control`.
#[test]
fn the_table_starts_with_the_summary_and_the_top_fixes() {
    let (code, table, _) = run(&["-f", DEMO, "audit"]);
    assert_eq!(code, 0);
    let lines: Vec<&str> = table.lines().collect();
    assert!(lines[0].starts_with("Audit: 23 fixes"), "{}", lines[0]);
    assert!(
        lines[1].starts_with("Exposure: 5 principals reach cluster-admin"),
        "{}",
        lines[1]
    );
    assert!(table.contains("  1. CRITICAL Delete ClusterRoleBinding argocd-manager-role-binding"));
    assert!(table.contains(" 20. ") && !table.contains(" 21. "));
    assert!(table.contains("… and 3 more"));
    let (_, top, _) = run(&["-f", DEMO, "audit", "--top", "3"]);
    assert!(top.contains("  3. ") && !top.contains("  4. "));
    let (_, all, _) = run(&["-f", DEMO, "audit", "--all"]);
    assert!(all.contains(" 23. ") && !all.contains("more"));

    let doc = json(&["-f", DEMO, "audit", "-o", "json"]);
    let narrow = doc["fixes"]
        .as_array()
        .unwrap()
        .iter()
        .find(|f| {
            f["title"]
                .as_str()
                .unwrap()
                .contains("payments/payments-api")
        })
        .unwrap();
    let id = narrow["id"].as_str().unwrap();
    let (code, text, err) = run(&["-f", DEMO, "audit", "--fix", id]);
    assert_eq!(code, 0, "{err}");
    assert!(text.starts_with(id) && text.contains("Patch"), "{text}");
    let (code, yaml, err) = run(&["-f", DEMO, "audit", "--fix", id, "-o", "yaml"]);
    assert_eq!(code, 0, "{err}");
    let changed: Vec<Value> = serde_saphyr::from_multiple(&yaml).unwrap();
    let role = changed.iter().find(|d| d["kind"] == "Role").unwrap();
    assert_eq!(role["metadata"]["name"], "payments-api");
    assert!(
        !serde_json::to_string(&role["rules"])
            .unwrap()
            .contains("secrets"),
        "{yaml}"
    );
    // The changed manifest loads, and the fix is gone.
    let graph = load(&[DEMO], "default");
    let fixed = RbacGraph::builder()
        .load_str("role.yaml", &yaml)
        .build()
        .unwrap();
    assert_eq!(fixed.roles().len(), 1);
    let _ = graph;

    let (_, controls, _) = run(&["-f", DEMO, "audit", "--by", "control"]);
    assert!(
        controls.contains("CONTROL")
            && controls.contains("CIS-5.1.1")
            && controls.contains("RBAC-EXEC-IN-PODS")
    );
    assert!(controls.lines().count() <= 300);
}

/// At scale the first screen stays a screen.
#[test]
fn the_table_is_bounded_on_the_medium_preset() {
    let out = rbacgraph()
        .args([
            "generate", "--preset", "medium", "--seed", "7", "-o", "json",
        ])
        .output()
        .unwrap();
    assert!(out.status.success());
    let dir = root().join("target/test-audit");
    std::fs::create_dir_all(&dir).unwrap();
    let file = dir.join("medium.json");
    std::fs::write(&file, &out.stdout).unwrap();
    let path = file.to_string_lossy().to_string();
    for extra in [&[][..], &["--by", "control"], &["--no-paths"]] {
        let (code, table, err) = run(&[&["-f", path.as_str(), "audit"][..], extra].concat());
        assert_eq!(code, 0, "{err}");
        assert!(
            table.lines().count() <= 300,
            "{extra:?}: {} lines",
            table.lines().count()
        );
    }
    std::fs::remove_file(&file).unwrap();
}
