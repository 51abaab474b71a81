//! Recognising the roles, bindings and identities that managed Kubernetes
//! platforms install (EKS, GKE, AKS, OpenShift, k3s/RKE2), so that the audit
//! can report them apart from the user's own objects instead of flooding the
//! report with them. See: <https://github.com/appvia/krane/issues/326>
//!
//! The catalogue is `crates/rbacgraph/data/platform-managed.yaml`, written
//! from the platforms' public documentation and manifests (each platform
//! lists its sources, see [`PlatformCatalog::platforms`]) and compiled in.
//! Its header documents the format; in short, per platform:
//!
//! - roles and bindings match on an exact name, then on a name prefix (each
//!   ends in its separator: `eks:` does not match `ekstra`), then — for
//!   roles — on a label (`"*"` accepts any value);
//! - users and groups match exactly or, with a trailing `*`, by prefix;
//!   service accounts match `namespace/name`, where either part may end in `*`.
//!
//! Each step looks at every platform, in file order, before the next step
//! runs, so an exact name always beats another platform's prefix or label.
//! Objects that several platforms install under the same name are listed
//! under an entry named after all of them (`"EKS or k3s"`), after the five
//! platforms.
//!
//! The API server's own default policy (`system:node`, `cluster-admin`, ...)
//! is not in the catalogue: [`super::defaults`] recognises it.
//!
//! ```
//! use rbacgraph::RbacGraph;
//! use rbacgraph::query::audit::platform::platform_catalog;
//! let graph = RbacGraph::builder().load_str("eks.yaml", "
//! apiVersion: rbac.authorization.k8s.io/v1
//! kind: ClusterRole
//! metadata: {name: 'eks:node-manager'}
//! rules: [{apiGroups: [''], resources: [nodes], verbs: [get, patch]}]
//! ").build().unwrap();
//! let catalog = platform_catalog();
//! let hit = catalog.role(&graph.roles()[0]).unwrap();
//! assert_eq!(hit.platform, "EKS");
//! assert!(catalog.identity("ServiceAccount", "aws-node", Some("kube-system")).is_some());
//! assert!(catalog.identity("User", "alice@example.com", None).is_none());
//! ```

use std::collections::BTreeMap;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use crate::model::{Binding, Role};

/// The embedded catalogue.
const DATA: &str = include_str!("../../../data/platform-managed.yaml");

/// One platform's match of an object or identity.
#[derive(Clone, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct PlatformMatch {
    /// "EKS", "GKE", "AKS", "OpenShift", "k3s/RKE2" or, for an object several
    /// platforms install under the same name, all of them ("EKS or k3s").
    pub platform: String,
    /// Why, in words: "name prefix `eks:`", "label `eks.amazonaws.com/component`", ...
    pub reason: String,
}

/// Where a platform's facts come from.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
#[serde(deny_unknown_fields)]
pub struct Source {
    /// A documentation page, or a repository file at a commit.
    pub url: String,
    /// What the source supports, in words.
    pub supports: String,
}

/// Names, prefixes and labels that mark a platform's roles (or bindings).
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct ObjectMatchers {
    #[serde(default)]
    names: Vec<String>,
    #[serde(default)]
    prefixes: Vec<String>,
    /// Names with one of these prefixes never match by prefix.
    #[serde(default)]
    except_prefixes: Vec<String>,
    /// Label key → value, `"*"` for any value.
    #[serde(default)]
    labels: BTreeMap<String, String>,
}

/// The identities a platform's components run as.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(rename_all = "camelCase", deny_unknown_fields)]
struct IdentityMatchers {
    #[serde(default)]
    users: Vec<String>,
    #[serde(default)]
    groups: Vec<String>,
    /// `namespace/name`, either part optionally ending in `*`.
    #[serde(default)]
    service_accounts: Vec<String>,
}

/// One entry of the data file.
#[derive(Clone, Debug, Default, Deserialize)]
#[serde(deny_unknown_fields)]
struct Platform {
    name: String,
    sources: Vec<Source>,
    #[serde(default)]
    roles: ObjectMatchers,
    #[serde(default)]
    bindings: ObjectMatchers,
    #[serde(default)]
    identities: IdentityMatchers,
}

/// The data file's top level.
#[derive(Deserialize)]
#[serde(deny_unknown_fields)]
struct CatalogFile {
    platforms: Vec<Platform>,
}

/// The parsed catalogue of platform-managed objects and identities (see the
/// [module documentation](self)).
#[derive(Clone, Debug, Default)]
pub struct PlatformCatalog {
    platforms: Vec<Platform>,
}

/// The embedded catalogue, parsed once. Should the embedded file not parse
/// (a unit test makes sure it does), the catalogue is empty and nothing is
/// classified as platform-managed.
pub fn platform_catalog() -> &'static PlatformCatalog {
    static CATALOG: OnceLock<PlatformCatalog> = OnceLock::new();
    CATALOG.get_or_init(|| PlatformCatalog::parse(DATA).unwrap_or_default())
}

impl PlatformCatalog {
    /// Parses a catalogue in the format of the embedded data file.
    fn parse(text: &str) -> Result<Self, serde_saphyr::Error> {
        let file: CatalogFile = serde_saphyr::from_str(text)?;
        Ok(PlatformCatalog {
            platforms: file.platforms,
        })
    }

    /// The platform that installs `role`, if any: by name, name prefix or
    /// label.
    pub fn role(&self, role: &Role) -> Option<PlatformMatch> {
        self.object(&role.name, Some(&role.labels), |p| &p.roles)
    }

    /// The platform that installs `binding`, if any: by name or name prefix.
    ///
    /// The model does not keep the labels of bindings, so the catalogue's
    /// binding labels are not consulted: a binding is recognised by its name
    /// only.
    pub fn binding(&self, binding: &Binding) -> Option<PlatformMatch> {
        self.object(&binding.name, None, |p| &p.bindings)
    }

    /// The platform whose components run as this identity, if any.
    ///
    /// `kind` is `"User"`, `"Group"` or `"ServiceAccount"` (anything else
    /// never matches); `namespace` is read for service accounts only, which
    /// never match without one.
    pub fn identity(
        &self,
        kind: &str,
        name: &str,
        namespace: Option<&str>,
    ) -> Option<PlatformMatch> {
        match kind {
            "User" => self.principal("user", name, |p| p.identities.users.as_slice()),
            "Group" => self.principal("group", name, |p| p.identities.groups.as_slice()),
            "ServiceAccount" => self.service_account(namespace?, name),
            _ => None,
        }
    }

    /// Every platform's name and sources, in catalogue order, for
    /// documentation and the README.
    pub fn platforms(&self) -> impl Iterator<Item = (&str, &[Source])> {
        self.platforms
            .iter()
            .map(|p| (p.name.as_str(), p.sources.as_slice()))
    }

    /// Exact names first, then prefixes, then labels; each step over every
    /// platform in order.
    fn object(
        &self,
        name: &str,
        labels: Option<&BTreeMap<String, String>>,
        pick: fn(&Platform) -> &ObjectMatchers,
    ) -> Option<PlatformMatch> {
        let hit = |p: &Platform, reason: String| PlatformMatch {
            platform: p.name.clone(),
            reason,
        };
        for p in &self.platforms {
            if pick(p).names.iter().any(|n| n == name) {
                return Some(hit(p, format!("name `{name}`")));
            }
        }
        for p in &self.platforms {
            let m = pick(p);
            if m.except_prefixes
                .iter()
                .any(|x| name.starts_with(x.as_str()))
            {
                continue;
            }
            if let Some(prefix) = m.prefixes.iter().find(|x| name.starts_with(x.as_str())) {
                return Some(hit(p, format!("name prefix `{prefix}`")));
            }
        }
        let labels = labels?;
        for p in &self.platforms {
            for (key, wanted) in &pick(p).labels {
                match labels.get(key) {
                    Some(_) if wanted == "*" => {
                        return Some(hit(p, format!("label `{key}`")));
                    }
                    Some(value) if value == wanted => {
                        return Some(hit(p, format!("label `{key}={wanted}`")));
                    }
                    _ => {}
                }
            }
        }
        None
    }

    /// Users and groups: exact names first, then patterns.
    fn principal(
        &self,
        what: &str,
        name: &str,
        pick: fn(&Platform) -> &[String],
    ) -> Option<PlatformMatch> {
        self.first(|p| {
            pick(p)
                .iter()
                .any(|x| x == name)
                .then(|| format!("{what} `{name}`"))
        })
        .or_else(|| {
            self.first(|p| {
                pick(p)
                    .iter()
                    .find(|x| x.ends_with('*') && glob(x, name))
                    .map(|x| format!("{what} `{name}` matches `{x}`"))
            })
        })
    }

    /// Service accounts: exact `namespace/name` first, then patterns.
    fn service_account(&self, namespace: &str, name: &str) -> Option<PlatformMatch> {
        let full = format!("{namespace}/{name}");
        self.first(|p| {
            p.identities
                .service_accounts
                .contains(&full)
                .then(|| format!("service account `{full}`"))
        })
        .or_else(|| {
            self.first(|p| {
                p.identities
                    .service_accounts
                    .iter()
                    .find(|x| {
                        x.split_once('/').is_some_and(|(ns, n)| {
                            (ns.ends_with('*') || n.ends_with('*'))
                                && glob(ns, namespace)
                                && glob(n, name)
                        })
                    })
                    .map(|x| format!("service account `{full}` matches `{x}`"))
            })
        })
    }

    /// The first platform for which `reason` gives a reason.
    fn first(&self, reason: impl Fn(&Platform) -> Option<String>) -> Option<PlatformMatch> {
        self.platforms.iter().find_map(|p| {
            reason(p).map(|reason| PlatformMatch {
                platform: p.name.clone(),
                reason,
            })
        })
    }
}

/// `pattern` is a literal, or a prefix followed by `*` (`*` alone: anything).
fn glob(pattern: &str, value: &str) -> bool {
    match pattern.strip_suffix('*') {
        Some(prefix) => value.starts_with(prefix),
        None => pattern == value,
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::RbacGraph;
    use crate::model::SubjectKind;
    use crate::query::audit::defaults::bootstrap_policy;

    const PLATFORMS: [&str; 5] = ["EKS", "GKE", "AKS", "OpenShift", "k3s/RKE2"];

    fn graph(yaml: &str) -> RbacGraph {
        let g = RbacGraph::builder()
            .load_str("test.yaml", yaml)
            .build()
            .unwrap();
        assert_eq!(g.load_summary().failed, 0, "{:?}", g.diagnostics());
        g
    }

    fn cluster_role(name: &str, labels: &str) -> String {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\n\
             metadata: {{name: '{name}', labels: {{{labels}}}}}\nrules: []\n---\n"
        )
    }

    fn cluster_binding(name: &str) -> String {
        format!(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRoleBinding\n\
             metadata: {{name: '{name}'}}\n\
             roleRef: {{apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, name: x}}\n---\n"
        )
    }

    /// The platform of each role of `yaml`, by name.
    fn roles(yaml: &str) -> BTreeMap<String, Option<String>> {
        let c = platform_catalog();
        graph(yaml)
            .roles()
            .iter()
            .map(|r| (r.name.clone(), c.role(r).map(|m| m.platform)))
            .collect()
    }

    fn bindings(yaml: &str) -> BTreeMap<String, Option<String>> {
        let c = platform_catalog();
        graph(yaml)
            .bindings()
            .iter()
            .map(|b| (b.name.clone(), c.binding(b).map(|m| m.platform)))
            .collect()
    }

    fn platform_of(kind: &str, name: &str, namespace: Option<&str>) -> Option<String> {
        platform_catalog()
            .identity(kind, name, namespace)
            .map(|m| m.platform)
    }

    #[test]
    fn the_embedded_file_parses() {
        let parsed = PlatformCatalog::parse(DATA).unwrap();
        let names: Vec<&str> = parsed.platforms().map(|(n, _)| n).collect();
        assert_eq!(names.get(..5).unwrap(), PLATFORMS);
        // The shared entries come after the five platforms and name them.
        for shared in names.get(5..).unwrap() {
            assert!(shared.contains(" or "), "{shared}");
        }
        assert_eq!(platform_catalog().platforms.len(), parsed.platforms.len());
    }

    #[test]
    fn every_platform_has_sources() {
        for (name, sources) in platform_catalog().platforms() {
            assert!(!sources.is_empty(), "{name} has no source");
            for s in sources {
                assert!(s.url.starts_with("https://"), "{name}: {}", s.url);
                assert!(!s.supports.trim().is_empty(), "{name}: {}", s.url);
            }
        }
    }

    #[test]
    fn patterns_are_well_formed() {
        for p in &platform_catalog().platforms {
            for m in [&p.roles, &p.bindings] {
                for prefix in m.prefixes.iter().chain(&m.except_prefixes) {
                    assert!(
                        prefix.ends_with(':') || prefix.ends_with('-'),
                        "{}: prefix `{prefix}` does not end in its separator",
                        p.name
                    );
                    // The upstream defaults are recognised elsewhere.
                    assert_ne!(prefix, "system:", "{}", p.name);
                }
                for value in m.labels.values() {
                    assert!(!value.is_empty(), "{}", p.name);
                }
            }
            let ids = &p.identities;
            for x in ids.users.iter().chain(&ids.groups) {
                assert!(!x.trim_end_matches('*').contains('*'), "{}: `{x}`", p.name);
                assert_ne!(x, "system:*", "{}", p.name);
            }
            for x in &ids.service_accounts {
                let (ns, name) = x.split_once('/').unwrap();
                for part in [ns, name] {
                    assert!(!part.is_empty(), "{}: `{x}`", p.name);
                    assert!(
                        !part.trim_end_matches('*').contains('*'),
                        "{}: `{x}`",
                        p.name
                    );
                }
            }
        }
    }

    /// A name two platforms install belongs in a shared entry, not in both:
    /// otherwise the first platform would silently win.
    #[test]
    fn no_name_is_claimed_twice() {
        let platforms = &platform_catalog().platforms;
        let mut seen = BTreeMap::new();
        for p in platforms {
            let ids = &p.identities;
            let keyed = [
                ("role", &p.roles.names),
                ("binding", &p.bindings.names),
                ("user", &ids.users),
                ("group", &ids.groups),
                ("service account", &ids.service_accounts),
            ];
            for (what, names) in keyed {
                for n in names {
                    if let Some(other) = seen.insert((what, n.clone()), p.name.clone()) {
                        panic!("{what} `{n}` is listed by {other} and {}", p.name);
                    }
                }
            }
        }
        for p in platforms {
            for q in platforms.iter().filter(|q| q.name != p.name) {
                for (mine, theirs) in [(&p.roles, &q.roles), (&p.bindings, &q.bindings)] {
                    for n in &mine.names {
                        for prefix in &theirs.prefixes {
                            assert!(
                                !n.starts_with(prefix.as_str()),
                                "{}'s `{n}` has {}'s prefix `{prefix}`",
                                p.name,
                                q.name
                            );
                        }
                    }
                }
            }
        }
    }

    /// The API server's default roles, bindings and the identities they
    /// name are not platform-managed (they are recognised as defaults).
    #[test]
    fn no_upstream_default_is_platform_managed() {
        let c = platform_catalog();
        let policy = bootstrap_policy();
        assert!(policy.roles().len() > 50);
        for r in policy.roles() {
            assert_eq!(c.role(r), None, "role {}", r.name);
        }
        for b in policy.bindings() {
            assert_eq!(c.binding(b), None, "binding {}", b.name);
            for s in &b.subjects {
                let ns = (!s.namespace.is_empty()).then_some(s.namespace.as_str());
                assert_eq!(c.identity(s.kind.as_str(), &s.name, ns), None, "{s:?}");
            }
        }
    }

    #[test]
    fn eks() {
        let mut yaml = cluster_role("eks:addon-manager", "");
        yaml += &cluster_role("eks:some-future-role", "");
        yaml += &cluster_role("aws-node", "");
        yaml += &cluster_role("vpc-cni-extra", "'eks.amazonaws.com/component': vpc-cni");
        yaml += &cluster_binding("eks:addon-cluster-admin");
        yaml += &cluster_binding("eks:podsecuritypolicy:authenticated");
        let r = roles(&yaml);
        assert!(r.values().all(|p| p.as_deref() == Some("EKS")), "{r:?}");
        let b = bindings(&yaml);
        assert!(b.values().all(|p| p.as_deref() == Some("EKS")), "{b:?}");

        let c = platform_catalog();
        let g = graph(&yaml);
        let by_name = |n: &str| g.roles().iter().find(|r| r.name == n).unwrap();
        assert_eq!(
            c.role(by_name("eks:addon-manager")).unwrap().reason,
            "name `eks:addon-manager`"
        );
        assert_eq!(
            c.role(by_name("eks:some-future-role")).unwrap().reason,
            "name prefix `eks:`"
        );
        assert_eq!(
            c.role(by_name("vpc-cni-extra")).unwrap().reason,
            "label `eks.amazonaws.com/component`"
        );

        assert_eq!(
            platform_of("User", "eks:addon-manager", None).as_deref(),
            Some("EKS")
        );
        assert_eq!(
            platform_of("User", "eks:support-engineer", None).as_deref(),
            Some("EKS")
        );
        assert_eq!(
            platform_of("Group", "eks:kube-proxy-windows", None).as_deref(),
            Some("EKS")
        );
        assert_eq!(
            platform_of("ServiceAccount", "aws-node", Some("kube-system")).as_deref(),
            Some("EKS")
        );
        // Same name, another namespace: the user's.
        assert_eq!(
            platform_of("ServiceAccount", "aws-node", Some("default")),
            None
        );
        assert_eq!(
            platform_of("ServiceAccount", "kube-proxy", Some("kube-system")).as_deref(),
            Some("EKS or AKS")
        );
    }

    #[test]
    fn gke() {
        let mut yaml = cluster_role("gce:beta:kubelet-certificate-bootstrap", "");
        yaml += &cluster_role("system:gke-common-webhooks", "");
        yaml += &cluster_role("system:gcp-controller-manager", "");
        yaml += &cluster_role("gmp-system:collector", "");
        yaml += &cluster_binding("gce:cloud-provider");
        yaml += &cluster_binding("storage-version-migration-migrator-v2");
        let r = roles(&yaml);
        assert!(r.values().all(|p| p.as_deref() == Some("GKE")), "{r:?}");
        let b = bindings(&yaml);
        assert!(b.values().all(|p| p.as_deref() == Some("GKE")), "{b:?}");
        // The add-on manager's label alone: GKE or AKS.
        let r = roles(&cluster_role(
            "cluster-autoscaler",
            "'addonmanager.kubernetes.io/mode': Reconcile",
        ));
        assert_eq!(r["cluster-autoscaler"].as_deref(), Some("GKE or AKS"));
        assert_eq!(
            platform_of("User", "system:gcp-controller-manager", None).as_deref(),
            Some("GKE")
        );
        assert_eq!(
            platform_of("User", "system:gke-controller", None).as_deref(),
            Some("GKE")
        );
        assert_eq!(
            platform_of("ServiceAccount", "gke-connect-agent", Some("gke-connect")).as_deref(),
            Some("GKE")
        );
        assert_eq!(
            platform_of("User", "kube-apiserver", None).as_deref(),
            Some("GKE or k3s/RKE2")
        );
    }

    #[test]
    fn aks() {
        let mut yaml = cluster_role("aks-service", "");
        yaml += &cluster_role("system:azure-cloud-provider", "");
        yaml += &cluster_role("azure-thing", "'kubernetes.azure.com/managedby': aks");
        yaml += &cluster_binding("aks-cluster-admin-binding");
        yaml += &cluster_binding("aks-service-rolebinding");
        yaml += &cluster_binding("system:aks-client-nodes");
        let r = roles(&yaml);
        assert!(r.values().all(|p| p.as_deref() == Some("AKS")), "{r:?}");
        let b = bindings(&yaml);
        assert!(b.values().all(|p| p.as_deref() == Some("AKS")), "{b:?}");
        // The label with another value is not AKS's.
        let r = roles(&cluster_role(
            "mine",
            "'kubernetes.azure.com/managedby': me",
        ));
        assert_eq!(r["mine"], None);
        assert_eq!(
            platform_of("User", "aks-support", None).as_deref(),
            Some("AKS")
        );
        assert_eq!(
            platform_of("User", "clusterAdmin", None).as_deref(),
            Some("AKS")
        );
        assert_eq!(
            platform_of(
                "ServiceAccount",
                "azure-cloud-provider",
                Some("kube-system")
            )
            .as_deref(),
            Some("AKS")
        );
    }

    #[test]
    fn openshift() {
        let mut yaml = cluster_role("system:openshift:controller:build-controller", "");
        yaml += &cluster_role("system:openshift:scc:privileged", "");
        yaml += &cluster_role("self-provisioner", "");
        yaml += &cluster_binding("self-provisioners");
        yaml += &cluster_binding("system:openshift:controller:build-controller");
        let r = roles(&yaml);
        assert!(
            r.values().all(|p| p.as_deref() == Some("OpenShift")),
            "{r:?}"
        );
        let b = bindings(&yaml);
        assert!(
            b.values().all(|p| p.as_deref() == Some("OpenShift")),
            "{b:?}"
        );
        // `oc adm policy add-scc-to-user` names the user's binding after the
        // SCC role: the role is OpenShift's, the binding the user's.
        let b = bindings(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: RoleBinding\n\
             metadata: {name: 'system:openshift:scc:privileged', namespace: app}\n\
             roleRef: {apiGroup: rbac.authorization.k8s.io, kind: ClusterRole, \
             name: 'system:openshift:scc:privileged'}\n\
             subjects: [{kind: ServiceAccount, name: app}]\n",
        );
        assert_eq!(b["system:openshift:scc:privileged"], None);
        assert_eq!(
            platform_of("User", "system:admin", None).as_deref(),
            Some("OpenShift")
        );
        assert_eq!(
            platform_of("Group", "system:cluster-admins", None).as_deref(),
            Some("OpenShift")
        );
        assert_eq!(
            platform_of(
                "ServiceAccount",
                "build-controller",
                Some("openshift-infra")
            )
            .as_deref(),
            Some("OpenShift")
        );
        assert_eq!(
            platform_of(
                "ServiceAccount",
                "prometheus-k8s",
                Some("openshift-monitoring")
            )
            .as_deref(),
            Some("OpenShift")
        );
        // Not a default project: `openshift` and `openshiftish` are not `openshift-`.
        assert_eq!(
            platform_of("ServiceAccount", "x", Some("openshiftish")),
            None
        );
    }

    #[test]
    fn k3s_and_rke2() {
        let mut yaml = cluster_role("system:k3s-controller", "");
        yaml += &cluster_role("k3s-cloud-controller-manager", "");
        yaml += &cluster_role("local-path-provisioner-role", "");
        yaml += &cluster_role("rke2-canal", "");
        yaml += &cluster_role(
            "system:kube-proxy",
            "'rke2.io/bootstrapping': rbac-defaults",
        );
        yaml += &cluster_binding("helm-kube-system-traefik");
        yaml += &cluster_binding("system:rke2-controller");
        yaml += &cluster_binding("local-path-provisioner-bind");
        let r = roles(&yaml);
        assert!(
            r.values().all(|p| p.as_deref() == Some("k3s/RKE2")),
            "{r:?}"
        );
        let b = bindings(&yaml);
        assert!(
            b.values().all(|p| p.as_deref() == Some("k3s/RKE2")),
            "{b:?}"
        );
        assert_eq!(
            roles(&cluster_role("system:coredns", ""))["system:coredns"].as_deref(),
            Some("EKS or k3s")
        );
        assert_eq!(
            platform_of("User", "system:k3s-controller", None).as_deref(),
            Some("k3s/RKE2")
        );
        assert_eq!(
            platform_of("ServiceAccount", "helm-traefik", Some("kube-system")).as_deref(),
            Some("k3s/RKE2")
        );
        // The Helm controller's service accounts live in kube-system only.
        assert_eq!(
            platform_of("ServiceAccount", "helm-traefik", Some("apps")),
            None
        );
    }

    #[test]
    fn the_users_own_objects_are_not_platform_managed() {
        let mut yaml = String::new();
        for name in [
            "system:node",
            "cluster-admin",
            "admin",
            "edit",
            "view",
            "ekstra",
            "eks",
            "gke",
            "gke-admins",
            "aks",
            "aks-developers",
            "gcepd-reader",
            "openshift",
            "k3s-admin",
            "rke2",
            "app-reader",
        ] {
            yaml += &cluster_role(name, "app: demo");
            yaml += &cluster_binding(name);
        }
        let r = roles(&yaml);
        assert!(r.values().all(Option::is_none), "{r:?}");
        let b = bindings(&yaml);
        assert!(b.values().all(Option::is_none), "{b:?}");

        for (kind, name, ns) in [
            ("User", "alice@example.com", None),
            ("User", "ekstra", None),
            ("User", "system:kube-proxy", None),
            ("User", "system:anonymous", None),
            ("Group", "system:masters", None),
            ("Group", "system:authenticated", None),
            ("Group", "system:serviceaccounts", None),
            ("ServiceAccount", "deployer", Some("ci")),
            ("ServiceAccount", "default", Some("kube-system")),
            ("ServiceAccount", "aws-node", None),
            ("Other", "eks:addon-manager", None),
        ] {
            assert_eq!(platform_of(kind, name, ns), None, "{kind} {name}");
        }
    }

    #[test]
    fn a_broken_file_gives_an_error_not_a_panic() {
        assert!(PlatformCatalog::parse("platforms: [{name: X}]").is_err());
        assert!(PlatformCatalog::parse("platforms: 3").is_err());
        let typo = "platforms: [{name: X, sources: [], roles: {prefix: ['x-']}}]";
        assert!(PlatformCatalog::parse(typo).is_err());
        assert!(
            PlatformCatalog::default()
                .identity("User", "eks:x", None)
                .is_none()
        );
    }

    /// Every role, binding, subject and service account of the platform
    /// fixtures is in the catalogue, under that fixture's platform (alone or
    /// in a shared entry), and every binding refers to a role of the fixture.
    #[test]
    fn the_fixtures_are_entirely_platform_managed() {
        let c = platform_catalog();
        for (dir, platform) in [
            ("eks", "EKS"),
            ("gke", "GKE"),
            ("aks", "AKS"),
            ("openshift", "OpenShift"),
            // Also "EKS or k3s" for its CoreDNS.
            ("k3s", "k3s"),
        ] {
            let path = format!(
                "{}/../../tests/fixtures/platform/{dir}/cluster.yaml",
                env!("CARGO_MANIFEST_DIR")
            );
            let text = std::fs::read_to_string(&path).unwrap();
            let g = graph(&text);
            let objects = g.roles().len() + g.bindings().len() + g.service_accounts().len();
            assert!((4..=15).contains(&objects), "{dir}: {objects} objects");
            // A shared entry names this platform among others.
            let ours = |m: Option<PlatformMatch>, what: &str| {
                let m = m.unwrap_or_else(|| panic!("{dir}: {what} is not platform-managed"));
                assert!(m.platform.contains(platform), "{dir}: {what}: {m:?}");
            };
            for r in g.roles() {
                ours(c.role(r), &format!("role {}", r.name));
            }
            for b in g.bindings() {
                ours(c.binding(b), &format!("binding {}", b.name));
                assert!(
                    g.roles().iter().any(|r| r.name == b.role_ref.name),
                    "{dir}: binding {} refers to a role the fixture lacks",
                    b.name
                );
                for s in &b.subjects {
                    let ns = match (&s.kind, s.namespace.as_str()) {
                        (SubjectKind::ServiceAccount, "") => b.namespace.as_deref(),
                        (_, "") => None,
                        (_, ns) => Some(ns),
                    };
                    ours(
                        c.identity(s.kind.as_str(), &s.name, ns),
                        &format!("subject {} {}", s.kind.as_str(), s.name),
                    );
                }
            }
            for sa in g.service_accounts() {
                ours(
                    c.identity("ServiceAccount", &sa.name, Some(&sa.namespace)),
                    &format!("service account {}/{}", sa.namespace, sa.name),
                );
            }
        }
    }
}
