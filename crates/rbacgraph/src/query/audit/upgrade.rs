//! Upgrade readiness: objects written with apiVersions the target
//! Kubernetes version deprecated or no longer serves, RBAC rules granting
//! resources it removed, and reliance on legacy service-account token
//! Secrets (no longer generated from v1.24).
//!
//! The table is `crates/rbacgraph/data/deprecations.yaml`, written from the
//! Kubernetes deprecated-API migration guide
//! (<https://kubernetes.io/docs/reference/using-api/deprecation-guide/>) and
//! compiled in.

use std::collections::HashMap;
use std::fmt;
use std::str::FromStr;
use std::sync::OnceLock;

use serde::{Deserialize, Serialize};

use super::Severity;
use super::fixes::{Atom, Ctx, RoleEdit, Site};
use crate::error::Error;
use crate::model::Workload;
use crate::query::{ObjectRef, SubjectRef};

/// The type of a legacy service-account token Secret.
pub const SERVICE_ACCOUNT_TOKEN_TYPE: &str = "kubernetes.io/service-account-token";

/// A Kubernetes minor version, `1.NN`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct KubeVersion {
    /// Major (1).
    pub major: u32,
    /// Minor.
    pub minor: u32,
}

impl KubeVersion {
    /// `major.minor`.
    pub const fn new(major: u32, minor: u32) -> Self {
        KubeVersion { major, minor }
    }
}

impl fmt::Display for KubeVersion {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}", self.major, self.minor)
    }
}

impl FromStr for KubeVersion {
    type Err = Error;

    /// `1.NN`, `v1.NN` or `1.NN.P` (the patch is ignored).
    ///
    /// ```
    /// use rbacgraph::query::audit::KubeVersion;
    /// assert_eq!("v1.25.3".parse::<KubeVersion>().unwrap(), KubeVersion::new(1, 25));
    /// assert!("1".parse::<KubeVersion>().is_err());
    /// ```
    fn from_str(s: &str) -> Result<Self, Error> {
        let invalid = || Error::Invalid {
            what: "Kubernetes version",
            value: s.to_string(),
            reason: "expected MAJOR.MINOR, e.g. 1.30".into(),
        };
        let text = s.strip_prefix('v').unwrap_or(s);
        let mut parts = text.split('.');
        let major = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(invalid)?;
        let minor = parts
            .next()
            .and_then(|p| p.parse().ok())
            .ok_or_else(invalid)?;
        if parts.next().is_some_and(|p| p.parse::<u32>().is_err()) || parts.next().is_some() {
            return Err(invalid());
        }
        Ok(KubeVersion { major, minor })
    }
}

impl Serialize for KubeVersion {
    fn serialize<S: serde::Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for KubeVersion {
    fn deserialize<D: serde::Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

/// One apiVersion of the deprecation guide.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ApiDeprecation {
    /// The apiVersion.
    pub api_version: String,
    /// The kinds it served.
    pub kinds: Vec<String>,
    /// The release that deprecated it.
    pub deprecated_in: KubeVersion,
    /// The first release that no longer serves it.
    pub removed_in: KubeVersion,
    /// What to use instead.
    pub replacement: String,
}

/// Resources of a group that no version serves after a release.
#[derive(Clone, Debug, PartialEq, Eq, Deserialize, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct RemovedResources {
    /// API group.
    pub group: String,
    /// Plural resource names.
    pub resources: Vec<String>,
    /// The first release without them.
    pub removed_in: KubeVersion,
    /// What to use instead.
    pub replacement: String,
}

/// The deprecation table.
#[derive(Clone, Debug, Default, PartialEq, Eq, Deserialize, Serialize)]
pub struct Deprecations {
    /// apiVersions.
    pub apis: Vec<ApiDeprecation>,
    /// Removed resources.
    pub resources: Vec<RemovedResources>,
}

impl Deprecations {
    /// The entry for an apiVersion and kind.
    pub fn lookup(&self, api_version: &str, kind: &str) -> Option<&ApiDeprecation> {
        self.apis
            .iter()
            .find(|a| a.api_version == api_version && a.kinds.iter().any(|k| k == kind))
    }
}

/// The embedded table (parsed once; a unit test checks that it parses).
pub fn deprecations() -> &'static Deprecations {
    static TABLE: OnceLock<Deprecations> = OnceLock::new();
    TABLE.get_or_init(|| {
        serde_saphyr::from_str(include_str!("../../../data/deprecations.yaml")).unwrap_or_default()
    })
}

/// Runs the upgrade checks against `target`.
pub(crate) fn run(ctx: &Ctx<'_>, target: KubeVersion, out: &mut Vec<Atom>) {
    let graph = ctx.graph;
    let table = deprecations();
    for o in &graph.load_summary().prerelease {
        let Some(entry) = table.lookup(&o.api_version, &o.kind) else {
            continue;
        };
        let object = ObjectRef {
            kind: o.kind.clone(),
            name: o.name.clone(),
            namespace: o.namespace.clone(),
            source: Some(o.source.clone()),
        };
        let (id, severity, state) = if entry.removed_in <= target {
            (
                "UPGRADE-REMOVED-API",
                Severity::High,
                format!("no longer served from {}", entry.removed_in),
            )
        } else if entry.deprecated_in <= target {
            (
                "UPGRADE-DEPRECATED-API",
                Severity::Low,
                format!(
                    "deprecated since {}, removed in {}",
                    entry.deprecated_in, entry.removed_in
                ),
            )
        } else {
            continue;
        };
        let mut a = Atom::new(
            id,
            severity,
            format!(
                "{object} uses {} ({state}); use {}",
                o.api_version, entry.replacement
            ),
            Site::ApiVersion {
                object: object.clone(),
                from: o.api_version.clone(),
                to: entry.replacement.clone(),
            },
        );
        a.facts.push(format!(
            "Kubernetes deprecation guide: {} {} deprecated in {}, removed in {}",
            o.api_version, o.kind, entry.deprecated_in, entry.removed_in
        ));
        a.namespaces.extend(o.namespace.clone());
        a.object = Some(object);
        out.push(a);
    }
    removed_resources(ctx, table, target, out);
    if target >= KubeVersion::new(1, 24) {
        legacy_tokens(ctx, target, out);
    }
}

fn removed_resources(
    ctx: &Ctx<'_>,
    table: &Deprecations,
    target: KubeVersion,
    out: &mut Vec<Atom>,
) {
    let graph = ctx.graph;
    for (id, role) in ctx.own_roles() {
        let role_ref = graph.role_ref(id);
        for (index, rule) in role.rules.iter().enumerate() {
            for removed in table.resources.iter().filter(|r| r.removed_in <= target) {
                if !rule.api_groups.contains(&removed.group) {
                    continue;
                }
                let hits: Vec<String> = rule
                    .resources
                    .iter()
                    .filter(|r| {
                        let base = r.split('/').next().unwrap_or_default();
                        removed.resources.iter().any(|x| x == base)
                    })
                    .cloned()
                    .collect();
                if hits.is_empty() {
                    continue;
                }
                let psp = hits.iter().any(|r| r.starts_with("podsecuritypolicies"));
                let names: Vec<String> = hits
                    .iter()
                    .map(|r| format!("{r}.{}", removed.group))
                    .collect();
                let mut a = Atom::new(
                    "UPGRADE-REMOVED-RESOURCE",
                    if psp { Severity::Medium } else { Severity::Low },
                    format!(
                        "{role_ref} rule {index} grants {}, which Kubernetes {} no longer serves (removed in {}); replacement: {}",
                        names.join(", "),
                        target,
                        removed.removed_in,
                        removed.replacement
                    ),
                    Site::Role(id),
                );
                a.object = Some(role_ref.clone());
                a.rules.push((id, index));
                // Only the rules of the user's own roles can be rewritten.
                if ctx.defaults.role(id) {
                    continue;
                }
                a.edits.push(RoleEdit::DropResources {
                    rule: index,
                    resources: hits,
                });
                out.push(a);
            }
        }
    }
}

fn legacy_tokens(ctx: &Ctx<'_>, target: KubeVersion, out: &mut Vec<Atom>) {
    let graph = ctx.graph;
    // Which workloads reference each Secret, by namespace and name.
    let mut users: HashMap<(&str, &str), Vec<&Workload>> = HashMap::new();
    for w in graph.workloads() {
        for name in &w.pod.secret_refs {
            users
                .entry((w.namespace.as_str(), name.as_str()))
                .or_default()
                .push(w);
        }
    }
    for (i, s) in graph.secrets().iter().enumerate() {
        if s.type_ != SERVICE_ACCOUNT_TOKEN_TYPE {
            continue;
        }
        let secret = ObjectRef {
            kind: "Secret".into(),
            name: s.name.clone(),
            namespace: Some(s.namespace.clone()),
            source: Some(s.source.clone()),
        };
        let mounters: Vec<ObjectRef> = users
            .get(&(s.namespace.as_str(), s.name.as_str()))
            .into_iter()
            .flatten()
            .map(|w| ObjectRef {
                kind: w.kind.as_str().into(),
                name: w.name.clone(),
                namespace: Some(w.namespace.clone()),
                source: Some(w.source.clone()),
            })
            .collect();
        let owner = s.service_account.as_deref().unwrap_or("?");
        let message = if mounters.is_empty() {
            format!(
                "{secret} is a long-lived token of ServiceAccount {}/{owner}; from 1.24 such Secrets are not created automatically, and at {target} unused auto-generated ones are invalidated and cleaned up",
                s.namespace
            )
        } else {
            format!(
                "{secret} is a long-lived token of ServiceAccount {}/{owner} that {} mount(s); from 1.24 it must be created by hand and never expires",
                s.namespace,
                mounters
                    .iter()
                    .map(ToString::to_string)
                    .collect::<Vec<_>>()
                    .join(", ")
            )
        };
        let mut a = Atom::new(
            "UPGRADE-LEGACY-TOKEN",
            if mounters.is_empty() {
                Severity::Low
            } else {
                Severity::Medium
            },
            message,
            Site::Secret(i),
        );
        if let Some(sa) = &s.service_account {
            let subject = SubjectRef::service_account(&s.namespace, sa);
            a.subject = Some(subject.clone());
            a.principals.push(subject);
        }
        for m in &mounters {
            a.facts.push(format!(
                "{m} mounts Secret {} or reads it from env: give it a projected token first",
                s.name
            ));
        }
        a.objects.extend(mounters);
        a.namespaces.push(s.namespace.clone());
        a.object = Some(secret);
        out.push(a);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_embedded_table_parses() {
        let parsed: Result<Deprecations, _> =
            serde_saphyr::from_str(include_str!("../../../data/deprecations.yaml"));
        let t = parsed.unwrap();
        assert!(t.apis.len() > 25);
        let rbac = t
            .lookup("rbac.authorization.k8s.io/v1beta1", "ClusterRole")
            .unwrap();
        assert_eq!(rbac.removed_in, KubeVersion::new(1, 22));
        let psp = t.lookup("policy/v1beta1", "PodSecurityPolicy").unwrap();
        assert_eq!(psp.removed_in, KubeVersion::new(1, 25));
        assert!(t.apis.iter().all(|a| a.deprecated_in < a.removed_in));
        assert_eq!(deprecations(), &t);
    }

    #[test]
    fn versions_parse() {
        assert_eq!(
            "1.30".parse::<KubeVersion>().unwrap(),
            KubeVersion::new(1, 30)
        );
        assert!("1.x".parse::<KubeVersion>().is_err());
        assert!("1.2.3.4".parse::<KubeVersion>().is_err());
        assert!(KubeVersion::new(1, 9) < KubeVersion::new(1, 10));
    }
}
