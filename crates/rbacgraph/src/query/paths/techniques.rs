//! The technique vocabulary of the attack graph and the facts about pod
//! specs and namespaces that some techniques depend on (container escapes,
//! Pod Security admission, token automounting).
//!
//! Technique ids follow `escalation-catalog.md`; `docs/techniques.md`
//! documents each one with the permissions it needs, what it yields and its
//! upstream basis.

use std::fmt;

use serde::{Serialize, Serializer};

use crate::model::{NamedObject, PodTemplate, ServiceAccount, Workload, WorkloadKind};

/// An escalation technique: one kind of edge of the attack graph.
///
/// The ids are those of the technique catalog (E = pure RBAC, C = credentials,
/// W = workloads). Serialized as the id string (`"E02"`).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Technique {
    /// Cluster-admin equivalence: `*` verbs on `*` resources of `*` groups
    /// through a ClusterRoleBinding, or membership in `system:masters`.
    E01,
    /// Create or update a (Cluster)RoleBinding to a role, passing the RBAC
    /// storage's escalation check (`bind` on the role, or already holding
    /// its permissions).
    E02,
    /// `escalate` plus update of a role bound to you: rewrite it with any rules.
    E03,
    /// Impersonate a user, group or service account.
    E04,
    /// Create a CertificateSigningRequest, approve it and fetch the client
    /// certificate (any user and group, `system:masters` included).
    E07,
    /// Register a mutating admission webhook.
    E08,
    /// Edit the EKS `aws-auth` ConfigMap (map an IAM identity to `system:masters`).
    E09,
    /// Create the missing role of a dangling binding that applies to you.
    E13,
    /// List or watch Secrets: read legacy service-account token Secrets.
    C01,
    /// Get a legacy service-account token Secret by name.
    C02,
    /// Request a token for a service account (`serviceaccounts/token`).
    C03,
    /// Create a service-account token Secret and read it back.
    C04,
    /// Read the token mounted in a pod one runs code in.
    C05,
    /// Create a pod (or a pod controller) that runs as any service account of
    /// the namespace.
    W01,
    /// Create a privileged pod where Pod Security admission allows it → node.
    W02,
    /// Relax a namespace's Pod Security label, then create a privileged pod → node.
    W03,
    /// Exec into a pod.
    W04,
    /// Patch a running pod (swap its image).
    W06,
    /// Add an ephemeral (debug) container to a pod.
    W07,
    /// Run commands in pods through the kubelet API (`nodes/proxy`).
    W08,
    /// Create a hostPath PersistentVolume and mount it → node.
    W13,
    /// Escape from a container whose spec gives host access → node.
    W16,
    /// From root on a node: its kubelet identity and the service accounts of
    /// the pods it runs.
    W17,
}

impl Technique {
    /// Every technique, in id order.
    pub const ALL: [Technique; 23] = [
        Technique::E01,
        Technique::E02,
        Technique::E03,
        Technique::E04,
        Technique::E07,
        Technique::E08,
        Technique::E09,
        Technique::E13,
        Technique::C01,
        Technique::C02,
        Technique::C03,
        Technique::C04,
        Technique::C05,
        Technique::W01,
        Technique::W02,
        Technique::W03,
        Technique::W04,
        Technique::W06,
        Technique::W07,
        Technique::W08,
        Technique::W13,
        Technique::W16,
        Technique::W17,
    ];

    /// The catalog id, e.g. `"E02"`.
    pub fn id(self) -> &'static str {
        match self {
            Technique::E01 => "E01",
            Technique::E02 => "E02",
            Technique::E03 => "E03",
            Technique::E04 => "E04",
            Technique::E07 => "E07",
            Technique::E08 => "E08",
            Technique::E09 => "E09",
            Technique::E13 => "E13",
            Technique::C01 => "C01",
            Technique::C02 => "C02",
            Technique::C03 => "C03",
            Technique::C04 => "C04",
            Technique::C05 => "C05",
            Technique::W01 => "W01",
            Technique::W02 => "W02",
            Technique::W03 => "W03",
            Technique::W04 => "W04",
            Technique::W06 => "W06",
            Technique::W07 => "W07",
            Technique::W08 => "W08",
            Technique::W13 => "W13",
            Technique::W16 => "W16",
            Technique::W17 => "W17",
        }
    }

    /// A short title for people.
    pub fn title(self) -> &'static str {
        match self {
            Technique::E01 => "cluster-admin equivalent",
            Technique::E02 => "bind a role",
            Technique::E03 => "escalate a bound role",
            Technique::E04 => "impersonate",
            Technique::E07 => "issue a client certificate",
            Technique::E08 => "mutating admission webhook",
            Technique::E09 => "edit EKS aws-auth",
            Technique::E13 => "create the missing role of a dangling binding",
            Technique::C01 => "list secrets: token secret",
            Technique::C02 => "get secret: token secret",
            Technique::C03 => "request a service-account token",
            Technique::C04 => "mint a token secret",
            Technique::C05 => "steal the mounted token",
            Technique::W01 => "create a pod as any service account",
            Technique::W02 => "create a privileged pod",
            Technique::W03 => "relax Pod Security, then a privileged pod",
            Technique::W04 => "exec into a pod",
            Technique::W06 => "patch a running pod",
            Technique::W07 => "ephemeral debug container",
            Technique::W08 => "kubelet API through nodes/proxy",
            Technique::W13 => "hostPath PersistentVolume",
            Technique::W16 => "container escape",
            Technique::W17 => "node credentials and pod tokens",
        }
    }

    /// Parses an id (`"E02"`).
    pub fn parse(id: &str) -> Option<Technique> {
        Technique::ALL.into_iter().find(|t| t.id() == id)
    }
}

impl fmt::Display for Technique {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

impl Serialize for Technique {
    fn serialize<S: Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

/// The Pod Security admission label that decides what a namespace admits.
///
/// See: `staging/src/k8s.io/pod-security-admission/api/constants.go :: EnforceLevelLabel`.
pub const PSA_ENFORCE_LABEL: &str = "pod-security.kubernetes.io/enforce";

/// Whether Pod Security admission lets a privileged pod into a namespace,
/// with the reason. Only an absent `enforce` label (the built-in default
/// level is `privileged` unless the API server's admission configuration
/// says otherwise, which manifests cannot show) or the value `privileged`
/// admits one; `baseline` and `restricted` reject privileged containers,
/// host namespaces and hostPath volumes, and an unparsable value is
/// evaluated as `restricted`.
///
/// See: `staging/src/k8s.io/pod-security-admission/api/helpers.go :: PolicyToEvaluate`
/// ("If labels cannot be parsed correctly, the values of restricted and
/// latest are used") and `policy/check_privileged.go`, `check_hostPathVolumes.go`.
pub(crate) fn privileged_pods_admitted(namespace: Option<&NamedObject>) -> (bool, String) {
    match namespace.and_then(|n| n.labels.get(PSA_ENFORCE_LABEL)) {
        None => (
            true,
            format!(
                "no `{PSA_ENFORCE_LABEL}` label{}: Pod Security admission applies the cluster default, `privileged` unless configured otherwise",
                if namespace.is_none() {
                    " (Namespace object not loaded)"
                } else {
                    ""
                }
            ),
        ),
        Some(level) if level_admits_privileged(level) => (
            true,
            format!("`{PSA_ENFORCE_LABEL}: privileged` admits privileged pods"),
        ),
        Some(level) => (
            false,
            format!("`{PSA_ENFORCE_LABEL}: {level}` rejects privileged pods"),
        ),
    }
}

/// Whether an `enforce` label value admits privileged pods: only
/// `privileged` (an unparsable value is evaluated as `restricted`).
pub(crate) fn level_admits_privileged(level: &str) -> bool {
    level == "privileged"
}

/// hostPath paths that give the node away when mounted: the root, the
/// kubelet's and the control plane's credentials, the directories that
/// hold the container runtime sockets, and the sockets themselves (a CRI
/// socket starts privileged containers on the host).
///
/// See: KubeHound `EXPLOIT_HOST_READ`/`EXPLOIT_HOST_WRITE`/`EXPLOIT_CONTAINERD_SOCK`,
/// badPods `hostpath` (escalation-catalog.md W16).
const SENSITIVE_HOST_PATHS: &[&str] = &[
    "/",
    "/etc",
    "/etc/kubernetes",
    "/root",
    "/var",
    "/var/lib",
    "/var/lib/kubelet",
    "/var/run",
    "/run",
    "/var/run/docker.sock",
    "/run/docker.sock",
    "/var/run/containerd",
    "/run/containerd",
    "/var/run/containerd/containerd.sock",
    "/run/containerd/containerd.sock",
    "/var/run/crio",
    "/run/crio",
    "/var/run/crio/crio.sock",
    "/run/crio/crio.sock",
    "/var/run/cri-dockerd.sock",
    "/run/cri-dockerd.sock",
];

/// Capabilities that break out of a container on their own: SYS_ADMIN
/// (cgroup `release_agent`, mounts), SYS_MODULE (load a kernel module),
/// DAC_READ_SEARCH (open host files by handle, "shocker"), and ALL.
const ESCAPE_CAPABILITIES: &[&str] = &["SYS_ADMIN", "SYS_MODULE", "DAC_READ_SEARCH", "ALL"];

fn normalize_capability(cap: &str) -> String {
    let upper = cap.trim().to_ascii_uppercase();
    upper.strip_prefix("CAP_").unwrap_or(&upper).to_string()
}

fn normalize_path(path: &str) -> &str {
    let trimmed = path.trim_end_matches('/');
    if trimmed.is_empty() && path.starts_with('/') {
        "/"
    } else {
        trimmed
    }
}

/// Why code execution in a pod with this spec is root on its node (empty
/// when it is not): a privileged container; hostPID together with
/// SYS_PTRACE (`nsenter`/ptrace into host processes); a capability that
/// escapes on its own; a sensitive hostPath or CRI socket. hostPID,
/// hostNetwork or hostIPC alone are not escapes (badPods classes `hostpid`,
/// `hostnetwork`, `hostipc`).
///
/// See: escalation-catalog.md W16; badPods `README.md` (class table).
pub(crate) fn escape_reasons(pod: &PodTemplate) -> Vec<String> {
    let mut out = Vec::new();
    for c in &pod.containers {
        if c.privileged {
            out.push(format!("container `{}` is privileged", c.name));
        }
        let caps: Vec<String> = c
            .capabilities_add
            .iter()
            .map(|x| normalize_capability(x))
            .collect();
        for cap in &caps {
            if ESCAPE_CAPABILITIES.contains(&cap.as_str()) {
                out.push(format!("container `{}` adds capability {cap}", c.name));
            }
        }
        if pod.host_pid && caps.iter().any(|x| x == "SYS_PTRACE") {
            out.push(format!(
                "hostPID and container `{}` adds SYS_PTRACE (ptrace host processes)",
                c.name
            ));
        }
    }
    for path in &pod.host_paths {
        let p = normalize_path(path);
        if SENSITIVE_HOST_PATHS.contains(&p) {
            out.push(format!("hostPath volume `{path}`"));
        }
    }
    out
}

/// Whether the pods of a workload get their service account's token
/// mounted, and why: the pod spec's `automountServiceAccountToken` wins over
/// the ServiceAccount's; unset on both means mounted.
///
/// See: `plugin/pkg/admission/serviceaccount/admission.go :: shouldAutomount`.
pub(crate) fn token_mounted(w: &Workload, sa: Option<&ServiceAccount>) -> (bool, String) {
    match (w.pod.automount_token, sa.and_then(|s| s.automount_token)) {
        (Some(v), _) => (
            v,
            format!("the pod spec sets automountServiceAccountToken: {v}"),
        ),
        (None, Some(v)) => (
            v,
            format!("the ServiceAccount sets automountServiceAccountToken: {v}"),
        ),
        (None, None) => (
            true,
            "automountServiceAccountToken is unset (the default mounts the token)".into(),
        ),
    }
}

/// Whether the workload's pods run on every node (a DaemonSet without a
/// fixed node).
pub(crate) fn runs_everywhere(w: &Workload) -> bool {
    w.kind == WorkloadKind::DaemonSet && w.pod.node_name.is_none()
}

/// The pod controllers whose create (or, on an existing object, update and
/// patch) lets one choose the pod template's service account, as
/// `(group, resource)`.
///
/// See: escalation-catalog.md W01 (KubeHound misses the `apps` and `batch`
/// ones: peers.md, problem 4).
pub(crate) const POD_CONTROLLERS: &[(&str, &str, WorkloadKind)] = &[
    ("apps", "deployments", WorkloadKind::Deployment),
    ("apps", "daemonsets", WorkloadKind::DaemonSet),
    ("apps", "statefulsets", WorkloadKind::StatefulSet),
    ("apps", "replicasets", WorkloadKind::ReplicaSet),
    ("batch", "jobs", WorkloadKind::Job),
    ("batch", "cronjobs", WorkloadKind::CronJob),
    (
        "",
        "replicationcontrollers",
        WorkloadKind::ReplicationController,
    ),
];

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::Container;

    fn pod(f: impl FnOnce(&mut PodTemplate)) -> PodTemplate {
        let mut p = PodTemplate {
            service_account: "default".into(),
            containers: vec![Container {
                name: "c".into(),
                ..Container::default()
            }],
            ..PodTemplate::default()
        };
        f(&mut p);
        p
    }

    #[test]
    fn escapes() {
        assert!(escape_reasons(&pod(|_| {})).is_empty());
        assert!(escape_reasons(&pod(|p| p.host_pid = true)).is_empty());
        assert!(escape_reasons(&pod(|p| p.host_network = true)).is_empty());
        assert!(!escape_reasons(&pod(|p| p.containers[0].privileged = true)).is_empty());
        assert!(!escape_reasons(&pod(|p| p.host_paths = vec!["/".into()])).is_empty());
        assert!(!escape_reasons(&pod(|p| p.host_paths = vec!["/var/run/".into()])).is_empty());
        assert!(escape_reasons(&pod(|p| p.host_paths = vec!["/proc".into()])).is_empty());
        assert!(
            !escape_reasons(&pod(
                |p| p.containers[0].capabilities_add = vec!["CAP_SYS_ADMIN".into()]
            ))
            .is_empty()
        );
        assert!(
            escape_reasons(&pod(
                |p| p.containers[0].capabilities_add = vec!["SYS_PTRACE".into()]
            ))
            .is_empty()
        );
        assert!(
            !escape_reasons(&pod(|p| {
                p.host_pid = true;
                p.containers[0].capabilities_add = vec!["SYS_PTRACE".into()];
            }))
            .is_empty()
        );
    }

    #[test]
    fn technique_ids_round_trip() {
        for t in Technique::ALL {
            assert_eq!(Technique::parse(t.id()), Some(t));
        }
    }
}
