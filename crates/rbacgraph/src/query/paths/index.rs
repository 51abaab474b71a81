//! A reverse index for the attack graph's build: from request attributes to
//! the bindings whose role has a rule that can allow them.
//!
//! Rules are grouped once per (verb, API group, resource, subresource) that
//! the techniques ask about, split into ClusterRoleBindings and the
//! RoleBindings of each namespace; a concrete request then only checks the
//! names of the few rules in its group. The answer is exactly that of
//! [`RbacGraph::allowing_bindings`] (tested below); it only picks the
//! principals that [`RbacGraph::authorize`] is then asked about.

use std::collections::BTreeSet;
use std::hash::{Hash, Hasher};
use std::rc::Rc;

use foldhash::{HashMap, HashSet};

use crate::graph::{BindingId, RbacGraph, RoleId};
use crate::matching::{group_matches, name_matches, resource_matches, verb_matches};
use crate::request::Request;

type Key = (String, String, String, String);

/// A [`Key`] by reference, to look one up without allocating: it hashes as
/// the tuple of strings does.
#[derive(Clone, Copy)]
struct KeyRef<'a>(&'a str, &'a str, &'a str, &'a str);

impl Hash for KeyRef<'_> {
    fn hash<H: Hasher>(&self, state: &mut H) {
        (self.0, self.1, self.2, self.3).hash(state);
    }
}

impl hashbrown::Equivalent<Key> for KeyRef<'_> {
    fn equivalent(&self, key: &Key) -> bool {
        self.0 == key.0 && self.1 == key.1 && self.2 == key.2 && self.3 == key.3
    }
}

/// Bindings with a rule that matches a key, and those rules' indexes
/// (shared by the bindings of one role).
type Entries = Vec<(BindingId, Rc<[u32]>)>;

/// The bindings and names of one (verb, API group, resource, subresource).
#[derive(Debug, Default)]
pub(crate) struct KeyEntries<'g> {
    /// Which key (in the order the index met them).
    pub(crate) id: u32,
    cluster: Entries,
    by_namespace: HashMap<&'g str, Entries>,
    /// The names the cluster-wide rules list in `resourceNames`.
    cluster_names: HashSet<&'g str>,
    /// The names the rules of each namespace's RoleBindings list (only
    /// namespaces where some rule lists one).
    names_by_namespace: HashMap<&'g str, HashSet<&'g str>>,
    /// The names the matching rules of every role list, bound or not: a
    /// role bound on the way holds its rules too.
    any_names: HashSet<&'g str>,
}

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct BindingIndex<'g> {
    graph: &'g RbacGraph,
    keys: hashbrown::HashMap<Key, Rc<KeyEntries<'g>>, foldhash::fast::FixedState>,
}

impl<'g> BindingIndex<'g> {
    pub(crate) fn new(graph: &'g RbacGraph) -> Self {
        BindingIndex {
            graph,
            keys: hashbrown::HashMap::default(),
        }
    }

    fn entries(&mut self, key: KeyRef<'_>) -> Rc<KeyEntries<'g>> {
        if let Some(found) = self.keys.get(&key) {
            return Rc::clone(found);
        }
        let g = self.graph;
        let KeyRef(verb, group, resource, sub) = key;
        // The rules that match the key, by role (the graph's rule index
        // names the candidates), then the bindings of those roles.
        let mut by_role: Vec<(RoleId, Vec<u32>)> = Vec::new();
        for (role, i) in g.index.resource_candidates(verb, group, resource, sub) {
            let matches = g
                .role(role)
                .and_then(|r| r.rules.get(i as usize))
                .is_some_and(|r| {
                    verb_matches(r, verb)
                        && group_matches(r, group)
                        && resource_matches(r, resource, sub)
                });
            if !matches {
                continue;
            }
            match by_role.last_mut() {
                Some((last, rules)) if *last == role => rules.push(i),
                _ => by_role.push((role, vec![i])),
            }
        }
        let mut out = KeyEntries {
            id: self.keys.len() as u32,
            ..KeyEntries::default()
        };
        for (role, rules) in by_role {
            let listed: Vec<&'g str> = g
                .role(role)
                .into_iter()
                .flat_map(|r| rules.iter().filter_map(|&i| r.rules.get(i as usize)))
                .flat_map(|rule| rule.resource_names.iter().map(String::as_str))
                .collect();
            out.any_names.extend(listed.iter().copied());
            let rules: Rc<[u32]> = rules.into();
            let cluster = g.index.cluster_bindings_of(role);
            for &id in cluster {
                out.cluster.push((id, Rc::clone(&rules)));
            }
            if !cluster.is_empty() {
                out.cluster_names.extend(listed.iter().copied());
            }
            for &id in g.index.role_bindings_of(role) {
                if let Some(ns) = g.binding(id).and_then(|b| b.namespace.as_deref()) {
                    out.by_namespace
                        .entry(ns)
                        .or_default()
                        .push((id, Rc::clone(&rules)));
                    if !listed.is_empty() {
                        out.names_by_namespace
                            .entry(ns)
                            .or_default()
                            .extend(listed.iter().copied());
                    }
                }
            }
        }
        // Load order, as the authorizer visits them.
        out.cluster.sort_unstable_by_key(|e| e.0);
        for list in out.by_namespace.values_mut() {
            list.sort_unstable_by_key(|e| e.0);
        }
        let out = Rc::new(out);
        self.keys.insert(
            (
                verb.to_string(),
                group.to_string(),
                resource.to_string(),
                sub.to_string(),
            ),
            Rc::clone(&out),
        );
        out
    }

    /// The entries of a key.
    pub(crate) fn key(
        &mut self,
        verb: &str,
        group: &str,
        resource: &str,
        subresource: &str,
    ) -> Rc<KeyEntries<'g>> {
        self.entries(KeyRef(verb, group, resource, subresource))
    }

    /// The entries of a resource request's key; `None` for a non-resource
    /// request.
    pub(crate) fn lookup(&mut self, request: &Request) -> Option<Rc<KeyEntries<'g>>> {
        match request {
            Request::Resource(r) => {
                Some(self.entries(KeyRef(&r.verb, &r.api_group, &r.resource, &r.subresource)))
            }
            Request::NonResource(_) => None,
        }
    }

    /// The bindings in scope of a namespace (`""`: cluster scope) with a
    /// rule that allows `verb` on the resource for some name: a superset of
    /// [`Self::allowing`] for every name.
    pub(crate) fn allowing_any_name(
        &mut self,
        verb: &str,
        group: &str,
        resource: &str,
        namespace: &str,
    ) -> Vec<BindingId> {
        let entries = self.entries(KeyRef(verb, group, resource, ""));
        let mut out: Vec<BindingId> = entries.cluster.iter().map(|e| e.0).collect();
        if !namespace.is_empty()
            && let Some(list) = entries.by_namespace.get(namespace)
        {
            out.extend(list.iter().map(|e| e.0));
        }
        out
    }

    /// Whether some rule in the request's scope lists its name in
    /// `resourceNames` (then the name changes the decision's reasons).
    pub(crate) fn names_matter(&mut self, request: &Request) -> bool {
        let Request::Resource(r) = request else {
            return false;
        };
        self.lookup(request)
            .is_some_and(|e| e.names_matter(&r.namespace, &r.name))
    }

    /// The bindings that allow a request: every ClusterRoleBinding, then the
    /// RoleBindings of the request's namespace, whose role has a rule
    /// allowing it (resolved roles only).
    #[cfg(test)]
    pub(crate) fn allowing(&mut self, request: &Request) -> Vec<BindingId> {
        let mut out = self.allowing_cluster(request);
        if let (Request::Resource(r), Some(e)) = (request, self.lookup(request)) {
            out.extend(e.allowing_local(self.graph, &r.namespace, &r.name));
        }
        out
    }

    /// The ClusterRoleBindings that allow a request.
    pub(crate) fn allowing_cluster(&mut self, request: &Request) -> Vec<BindingId> {
        match (request, self.lookup(request)) {
            (Request::Resource(r), Some(e)) => e.allowing_cluster(self.graph, &r.name),
            _ => self
                .graph
                .allowing_bindings(request, false)
                .0
                .into_iter()
                .map(|a| a.binding)
                .collect(),
        }
    }
}

impl<'g> KeyEntries<'g> {
    /// Whether some rule in scope of a namespace (`""`: cluster scope)
    /// lists the name in `resourceNames`.
    pub(crate) fn names_matter(&self, namespace: &str, name: &str) -> bool {
        self.cluster_names.contains(name)
            || (!namespace.is_empty()
                && self
                    .names_by_namespace
                    .get(namespace)
                    .is_some_and(|names| names.contains(name)))
    }

    /// Whether a rule of some role, bound or not, lists the name in
    /// `resourceNames`. When neither the name nor the empty name is listed,
    /// the request decides as the same request without a name for every
    /// holder of any role's rules, with the same reasons.
    pub(crate) fn any_role_lists(&self, name: &str) -> bool {
        self.any_names.contains(name)
    }

    /// The names that rules of any role list, sorted.
    pub(crate) fn listed_names(&self) -> BTreeSet<String> {
        self.any_names.iter().map(|n| n.to_string()).collect()
    }

    /// Whether some cluster-wide rule lists the name, or the empty name, in
    /// `resourceNames`; if not, every name is allowed by the same
    /// ClusterRoleBindings (those with a rule without names).
    pub(crate) fn cluster_names_matter(&self, name: &str) -> bool {
        self.cluster_names.contains(name) || self.cluster_names.contains("")
    }

    /// The namespace as the key's RoleBindings name it, and the name where
    /// a rule of them lists it: every name no rule lists is allowed by the
    /// same RoleBindings. `None` when no RoleBinding of the namespace has a
    /// rule for the key.
    pub(crate) fn local_scope(
        &self,
        namespace: &str,
        name: &str,
    ) -> Option<(&'g str, Option<String>)> {
        let (&ns, _) = self.by_namespace.get_key_value(namespace)?;
        let listed = self
            .names_by_namespace
            .get(namespace)
            .is_some_and(|names| names.contains(name));
        Some((ns, listed.then(|| name.to_string())))
    }

    /// The ClusterRoleBindings that allow the key for a name.
    pub(crate) fn allowing_cluster(&self, g: &RbacGraph, name: &str) -> Vec<BindingId> {
        self.cluster
            .iter()
            .filter(|e| allows(g, e, name))
            .map(|e| e.0)
            .collect()
    }

    /// The RoleBindings of a namespace that allow the key for a name (none
    /// without namespace: a RoleBinding grants only in its own).
    pub(crate) fn allowing_local(
        &self,
        g: &RbacGraph,
        namespace: &str,
        name: &str,
    ) -> Vec<BindingId> {
        if namespace.is_empty() {
            return Vec::new();
        }
        self.by_namespace
            .get(namespace)
            .into_iter()
            .flatten()
            .filter(|e| allows(g, e, name))
            .map(|e| e.0)
            .collect()
    }
}

/// Whether one of a binding's matching rules allows the name.
fn allows(g: &RbacGraph, (b, rules): &(BindingId, Rc<[u32]>), name: &str) -> bool {
    g.bound_role(*b).is_some_and(|(_, role)| {
        rules.iter().any(|&i| {
            role.rules
                .get(i as usize)
                .is_some_and(|rule| name_matches(rule, name))
        })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn agrees_with_allowing_bindings() {
        let graph = RbacGraph::builder()
            .load_path(concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/../../examples/clusters/demo"
            ))
            .build()
            .unwrap();
        let mut index = BindingIndex::new(&graph);
        let mut checked = 0;
        for ns in ["", "shop", "payments", "ci", "kube-system"] {
            for (verb, group, resource, sub) in [
                ("create", "", "pods", ""),
                ("get", "", "secrets", ""),
                ("list", "", "secrets", ""),
                ("create", "", "pods", "exec"),
                ("impersonate", "", "serviceaccounts", ""),
                ("create", "apps", "deployments", ""),
                ("update", "", "configmaps", ""),
                ("bind", "rbac.authorization.k8s.io", "clusterroles", ""),
                ("create", "rbac.authorization.k8s.io", "rolebindings", ""),
                ("*", "*", "*", ""),
            ] {
                for name in ["", "card-processor-key", "storefront-tls", "admin"] {
                    let request = Request::resource(verb, group, resource)
                        .subresource(sub)
                        .in_namespace(ns)
                        .named(name);
                    let mut expected: Vec<BindingId> = graph
                        .allowing_bindings(&request, false)
                        .0
                        .into_iter()
                        .map(|a| a.binding)
                        .collect();
                    let mut got = index.allowing(&request);
                    expected.sort();
                    got.sort();
                    assert_eq!(got, expected, "{request}");
                    checked += 1;
                }
            }
        }
        assert_eq!(checked, 200);
    }
}
