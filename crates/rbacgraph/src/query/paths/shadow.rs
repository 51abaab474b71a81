//! Shadows of cluster-admin principals, for impact queries.
//!
//! A principal that is cluster-admin-equivalent (E01: a `* * *` rule through
//! a ClusterRoleBinding) gets that one step in the graph and no other: any
//! other step would only lead to what cluster-admin reaches anyway. A change
//! that takes cluster-admin away from it (deleting that binding, removing
//! the principal from it) leaves it with whatever else it holds, which may
//! still lead somewhere. Its *shadow* is a node that decides as the
//! principal without the grants that make it cluster-admin, evaluated
//! forward like a role grant ([`AttackGraph::forward`]); the impact engine
//! ([`super::impact`]) lets the principal step into it, as it is after the
//! change, when the change removes its E01 step. Shadows have no edges into
//! them and are no principals, so no path query ever meets one.

use std::sync::Arc;

use super::build::{Actor, Ctx, cluster_admin_probe};
use super::{AttackGraph, AttackNode};
use crate::matching::rule_allows;
use crate::model::PolicyRule;
use crate::query::whatif::{Change, Overlay};

/// Whether a rule, through a ClusterRoleBinding, makes its holder
/// cluster-admin (it allows `*` verbs on `*` resources in `*` groups).
pub(crate) fn makes_cluster_admin(rule: &PolicyRule) -> bool {
    rule_allows(rule, &cluster_admin_probe())
}

impl<'g> AttackGraph<'g> {
    /// Adds a shadow for every cluster-admin principal and queues it for
    /// its edges.
    pub(crate) fn add_shadows(&mut self, ctx: &mut Ctx<'g>) {
        let none = Change::default();
        let overlay = Overlay::new(self.graph, &none);
        let admins: Vec<(u32, crate::request::Identity)> = self
            .actors
            .iter()
            .enumerate()
            .filter(|(i, _)| self.is_admin(*i as u32))
            .filter_map(|(i, a)| match a {
                Some(Actor::Identity(id)) => Some((i as u32, id.clone())),
                _ => None,
            })
            .collect();
        for (of, identity) in admins {
            let holdings = Arc::new(overlay.holdings(&identity).not_admin().to_owned());
            let node = self.add_node(
                AttackNode::Shadow { of },
                Some(Actor::Restricted { identity, holdings }),
            );
            if let Some(x) = self.expanded.get_mut(node as usize) {
                *x = true;
            }
            ctx.queue.push_back(node);
        }
    }
}
