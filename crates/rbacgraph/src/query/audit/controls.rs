//! The catalogue of audit controls: stable ids, titles, how each is
//! decided and what to do about a finding. The README's controls table and
//! the SARIF rules are made from it.

use serde::Serialize;

/// One control.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct Control {
    /// Stable id.
    pub id: &'static str,
    /// Short title.
    pub title: &'static str,
    /// How it is decided.
    pub decided: &'static str,
    /// What to do about a finding.
    pub remediation: &'static str,
}

/// Every control, in report order of ids.
pub const CONTROLS: &[Control] = &[
    Control {
        id: "CIS-5.1.1",
        title: "cluster-admin bound outside the defaults",
        decided: "every binding whose role covers `*` verbs on `*` resources in `*` groups (cluster-admin or an equal role), except the unmodified default `cluster-admin` → `system:masters`; critical for a ClusterRoleBinding, high for a RoleBinding",
        remediation: "Bind a role with only the permissions the subject needs; keep cluster-admin for break-glass identities.",
    },
    Control {
        id: "CIS-5.1.2",
        title: "who can read Secrets",
        decided: "who-can `get`, `list`, `watch` on `secrets` over every namespace (and the Secret names rules restrict them to), one finding per subject; high when granted cluster-wide, medium in namespaces, low when only named Secrets",
        remediation: "Grant Secret access per namespace and per name (`resourceNames`), and only to the workloads that mount them.",
    },
    Control {
        id: "CIS-5.1.3",
        title: "wildcards in roles",
        decided: "roles with `*` in verbs, resources (or `*/sub`), API groups or non-resource URLs, except unmodified defaults; high for `*` verbs on `*` resources, medium for `*` verbs or resources, low for groups or URLs",
        remediation: "List the verbs, groups and resources the role needs; a wildcard also grants every resource added later (CRDs included).",
    },
    Control {
        id: "CIS-5.1.4",
        title: "who can create pods or pod controllers",
        decided: "who-can `create` on pods, and `create`, `update` or `patch` on deployments, daemonsets, statefulsets, replicasets, jobs, cronjobs and replicationcontrollers (a new template starts new pods), over every namespace; high cluster-wide, medium in namespaces (creating a pod runs code as any service account of its namespace)",
        remediation: "Let people and CI deploy through RoleBindings in the application namespaces only; keep pod creation in kube-system to the control plane.",
    },
    Control {
        id: "CIS-5.1.5",
        title: "default service account in use",
        decided: "a namespace's `default` ServiceAccount named by a binding (other than the defaults), or run by workloads that get its token mounted; medium when bound, low when only used",
        remediation: "Give each workload its own ServiceAccount, bind roles to that, and set `automountServiceAccountToken: false` on `default`.",
    },
    Control {
        id: "CIS-5.1.6",
        title: "token mounted but unused by RBAC",
        decided: "workloads whose pods get a service-account token (the pod spec's `automountServiceAccountToken` overrides the ServiceAccount's; unset means yes) while no binding names that ServiceAccount or its namespace's `system:serviceaccounts:NS` group; low",
        remediation: "Set `automountServiceAccountToken: false` in the pod spec (or on the ServiceAccount) of workloads that do not call the API.",
    },
    Control {
        id: "CIS-5.1.7",
        title: "system:masters in a binding",
        decided: "bindings with a `system:masters` Group subject, except the default `cluster-admin` binding; the group bypasses RBAC, so such a binding points at credentials that cannot be revoked by RBAC; high",
        remediation: "Do not issue credentials in `system:masters`; bind named groups to the roles they need.",
    },
    Control {
        id: "CIS-5.1.8",
        title: "who can bind, escalate or impersonate",
        decided: "who-can `bind` and `escalate` on roles and clusterroles, `impersonate` on users, groups and serviceaccounts, over every namespace and the names rules restrict them to; high cluster-wide, medium in namespaces",
        remediation: "Remove these verbs from everyone but the RBAC administrators; restrict `bind` with `resourceNames` to the roles a delegate may hand out.",
    },
    Control {
        id: "CIS-5.1.9",
        title: "who can create PersistentVolumes",
        decided: "who-can `create` on persistentvolumes (cluster-scoped: ClusterRoleBindings only); medium (a hostPath volume mounts the node's filesystem)",
        remediation: "Let users claim storage through PersistentVolumeClaims and StorageClasses instead of creating volumes.",
    },
    Control {
        id: "CIS-5.1.10",
        title: "who can use nodes/proxy",
        decided: "who-can `get` or `create` on the `proxy` subresource of nodes; high (the kubelet API runs commands in every pod of the node)",
        remediation: "Grant node metrics through `nodes/metrics` and `nodes/stats`, never `nodes/proxy`.",
    },
    Control {
        id: "CIS-5.1.11",
        title: "who can approve certificate signing requests",
        decided: "who-can `update` or `patch` on `certificatesigningrequests/approval` in certificates.k8s.io; high (an approved client certificate can name any user or group)",
        remediation: "Leave CSR approval to the controller manager and a few administrators.",
    },
    Control {
        id: "CIS-5.1.12",
        title: "who can change admission webhooks",
        decided: "who-can `create`, `update`, `patch` or `delete` on mutating and validating webhook configurations; high (a webhook sees, and may rewrite, every admitted object)",
        remediation: "Keep webhook configurations to the operators that own them and the cluster administrators.",
    },
    Control {
        id: "CIS-5.1.13",
        title: "who can create service-account tokens",
        decided: "who-can `create` on `serviceaccounts/token` over every namespace and the names rules restrict it to; high cluster-wide, medium in namespaces, low when only named service accounts",
        remediation: "Restrict token creation to the service accounts a component must act as (`resourceNames`).",
    },
    Control {
        id: "RBAC-EXEC-IN-PODS",
        title: "who can run code in running pods",
        decided: "who-can `create` on `pods/exec` and `pods/attach`, `update` or `patch` on `pods` (container images are mutable) and on `pods/ephemeralcontainers`, over every namespace; high cluster-wide, medium in namespaces, low for named pods (the code runs with the pod's service account token and host access)",
        remediation: "Keep exec, attach and debug containers to the namespaces a team owns, and out of kube-system; use short-lived debug access instead of standing grants.",
    },
    Control {
        id: "RBAC-SERVICE-INTERCEPT",
        title: "who can intercept Service traffic",
        decided: "who-can `update` or `patch` on `services/status` (a LoadBalancer ingress IP) or `create`, `update` or `patch` on `services` (`spec.externalIPs`), over every namespace: CVE-2020-8554 lets such a Service capture traffic for any IP in the cluster; medium cluster-wide, low in namespaces",
        remediation: "Deny `spec.externalIPs` with an admission policy (the DenyServiceExternalIPs admission plugin) and keep `services/status` to the load-balancer controller.",
    },
    Control {
        id: "RBAC-ESCALATION-PATH",
        title: "principal with a path to cluster-admin or a node",
        decided: "every principal with an escalation path (`rbacgraph paths --all`) that no other control's fix touches: the permissions of its first step; severity from the path",
        remediation: "Remove the permission the first step of the path uses.",
    },
    Control {
        id: "POD-SECURITY-PRIVILEGED",
        title: "namespace admits privileged pods where pods can be created",
        decided: "namespaces (kube-system and the other system namespaces aside) whose `pod-security.kubernetes.io/enforce` label is absent or `privileged`, where a binding that is not a default lets someone create pods or pod controllers, and whose loaded workloads would all pass `baseline`; medium (a privileged pod is root on the node it names)",
        remediation: "Label the namespace `pod-security.kubernetes.io/enforce: baseline` (or `restricted`): privileged containers, host namespaces and hostPath volumes are then rejected.",
    },
    Control {
        id: "RBAC-ANON-EXPOSURE",
        title: "API exposed to anonymous or all authenticated users",
        decided: "bindings (other than the defaults) with subject User `system:anonymous`, Group `system:unauthenticated` or Group `system:authenticated`; high for anonymous access, medium for every authenticated identity",
        remediation: "Bind named groups instead; anonymous requests should reach only health and discovery endpoints (or set `--anonymous-auth=false`).",
    },
    Control {
        id: "RBAC-DANGLING-ROLEREF",
        title: "binding to a role that does not exist",
        decided: "bindings whose roleRef does not resolve (missing role, or a ClusterRoleBinding to a Role); low: it grants nothing now, and whoever later creates a role of that name grants it to the subjects",
        remediation: "Fix the roleRef name or delete the binding.",
    },
    Control {
        id: "RBAC-DEAD-SUBJECT",
        title: "binding subject that never matches",
        decided: "binding subjects no request can ever match: a ServiceAccount without a namespace in a ClusterRoleBinding (a RoleBinding would lend its own), or a subject kind other than User, Group and ServiceAccount; low: the intended identity gets nothing",
        remediation: "Give the ServiceAccount subject its namespace (or fix the kind).",
    },
    Control {
        id: "RBAC-UNUSED-ROLE",
        title: "role no binding uses",
        decided: "roles no binding references and that are not aggregated into another role, except the defaults; info",
        remediation: "Delete roles nobody uses; they are easy to bind by mistake later.",
    },
    Control {
        id: "RBAC-WORKLOAD-DEFAULT-SA",
        title: "workload without a dedicated service account",
        decided: "Pods and pod controllers that run as their namespace's `default` ServiceAccount; low when its token is mounted, info when not",
        remediation: "Create a ServiceAccount for the workload and set `serviceAccountName`.",
    },
    Control {
        id: "RBAC-DEAD-RULE",
        title: "rule naming resources that never match",
        decided: "rules with a resource `R/*` (RBAC has no such wildcard: it matches only a subresource literally named `*`), and with a target version, resources that version no longer serves; low",
        remediation: "Name the subresources (`pods/exec`, `pods/log`) or use `*/exec`; drop removed resources.",
    },
    Control {
        id: "UPGRADE-REMOVED-API",
        title: "apiVersion removed by the target version",
        decided: "objects of any kind whose apiVersion the Kubernetes deprecation guide lists as no longer served at or before the target version; high",
        remediation: "Re-write the manifest with the replacement apiVersion before upgrading.",
    },
    Control {
        id: "UPGRADE-DEPRECATED-API",
        title: "apiVersion deprecated at the target version",
        decided: "objects whose apiVersion is deprecated, but still served, at the target version; low",
        remediation: "Move to the replacement apiVersion before the release that removes it.",
    },
    Control {
        id: "UPGRADE-REMOVED-RESOURCE",
        title: "rule granting a resource the target version removed",
        decided: "rules granting a group and resource no version serves any more at the target version (podsecuritypolicies in policy from 1.25, extensions resources); medium for PodSecurityPolicy (its protection is gone), low otherwise",
        remediation: "Remove the rule; replace PodSecurityPolicy with Pod Security Admission.",
    },
    Control {
        id: "UPGRADE-LEGACY-TOKEN",
        title: "reliance on legacy service-account token Secrets",
        decided: "with a target of 1.24 or later: Secrets of type `kubernetes.io/service-account-token` (no longer created automatically from 1.24; unused auto-generated ones are invalidated and removed by the legacy token cleaner in later releases); medium when a workload mounts it, low otherwise",
        remediation: "Use projected, expiring tokens (the default volume, or the TokenRequest API) and delete long-lived token Secrets.",
    },
];

/// A control by id.
pub fn control(id: &str) -> Option<&'static Control> {
    CONTROLS.iter().find(|c| c.id == id)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ids_are_unique_and_every_id_the_checks_use_exists() {
        let mut ids: Vec<&str> = CONTROLS.iter().map(|c| c.id).collect();
        ids.sort_unstable();
        ids.dedup();
        assert_eq!(ids.len(), CONTROLS.len());
        let sources = [
            include_str!("checks.rs"),
            include_str!("upgrade.rs"),
            include_str!("grants.rs"),
            include_str!("fixes.rs"),
        ];
        // Every quoted control id in the sources exists, and every control
        // is used somewhere.
        let mut used = std::collections::BTreeSet::new();
        for source in sources {
            for literal in source.split('"').skip(1).step_by(2) {
                let is_id = ["CIS-", "RBAC-", "UPGRADE-", "POD-SECURITY-"]
                    .iter()
                    .any(|p| literal.starts_with(p))
                    && literal.chars().all(|c| {
                        c.is_ascii_uppercase() || c.is_ascii_digit() || c == '-' || c == '.'
                    });
                if is_id {
                    assert!(control(literal).is_some(), "unknown control id {literal}");
                    used.insert(literal);
                }
            }
        }
        for c in CONTROLS {
            assert!(used.contains(c.id), "control {} is never used", c.id);
        }
    }
}
