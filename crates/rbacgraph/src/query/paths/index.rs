//! A reverse index for the attack graph's build: from request attributes to
//! the bindings whose role has a rule that can allow them.
//!
//! Rules are grouped once per (verb, API group, resource, subresource) that
//! the techniques ask about, split into ClusterRoleBindings and the
//! RoleBindings of each namespace; a concrete request then only checks the
//! names of the few rules in its group. The answer is exactly that of
//! [`RbacGraph::allowing_bindings`] (tested below); it only picks the
//! principals that [`RbacGraph::authorize`] is then asked about.

use std::rc::Rc;

use foldhash::{HashMap, HashMapExt, HashSet, HashSetExt};

use crate::graph::{BindingId, RbacGraph, RoleId};
use crate::matching::{group_matches, name_matches, resource_matches, verb_matches};
use crate::request::Request;

type Key = (String, String, String, String);

/// Bindings with a rule that matches a key, and those rules' indexes.
type Entries = Vec<(BindingId, Vec<u32>)>;

#[derive(Debug, Default)]
struct KeyEntries {
    cluster: Entries,
    by_namespace: HashMap<String, Entries>,
    /// The names the cluster-wide rules list in `resourceNames`.
    cluster_names: HashSet<String>,
    /// The names the rules of each namespace's RoleBindings list.
    names_by_namespace: HashMap<String, HashSet<String>>,
}

/// See the module documentation.
#[derive(Debug)]
pub(crate) struct BindingIndex<'g> {
    graph: &'g RbacGraph,
    keys: HashMap<Key, Rc<KeyEntries>>,
}

impl<'g> BindingIndex<'g> {
    pub(crate) fn new(graph: &'g RbacGraph) -> Self {
        BindingIndex {
            graph,
            keys: HashMap::new(),
        }
    }

    fn entries(&mut self, key: Key) -> Rc<KeyEntries> {
        if let Some(found) = self.keys.get(&key) {
            return Rc::clone(found);
        }
        let g = self.graph;
        let (verb, group, resource, sub) = (&key.0, &key.1, &key.2, &key.3);
        // The rules that match the key, by role (the graph's rule index
        // names the candidates), then the bindings of those roles.
        let mut by_role: Vec<(RoleId, Vec<u32>)> = Vec::new();
        for (role, i) in g.index.resource_candidates(group, resource, sub) {
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
        let mut out = KeyEntries::default();
        for (role, rules) in &by_role {
            for &id in g.index.cluster_bindings_of(*role) {
                out.cluster.push((id, rules.clone()));
            }
            for &id in g.index.role_bindings_of(*role) {
                if let Some(ns) = g.binding(id).and_then(|b| b.namespace.as_ref()) {
                    out.by_namespace
                        .entry(ns.clone())
                        .or_default()
                        .push((id, rules.clone()));
                }
            }
        }
        // Load order, as the authorizer visits them.
        out.cluster.sort_unstable_by_key(|e| e.0);
        for list in out.by_namespace.values_mut() {
            list.sort_unstable_by_key(|e| e.0);
        }
        let names = |entries: &Entries| {
            let mut out = HashSet::new();
            for (b, rules) in entries {
                if let Some((_, role)) = g.bound_role(*b) {
                    for &i in rules {
                        if let Some(rule) = role.rules.get(i as usize) {
                            out.extend(rule.resource_names.iter().cloned());
                        }
                    }
                }
            }
            out
        };
        out.cluster_names = names(&out.cluster);
        out.names_by_namespace = out
            .by_namespace
            .iter()
            .map(|(ns, list)| (ns.clone(), names(list)))
            .collect();
        let out = Rc::new(out);
        self.keys.insert(key, Rc::clone(&out));
        out
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
        let entries = self.entries((
            verb.to_string(),
            group.to_string(),
            resource.to_string(),
            String::new(),
        ));
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
        let entries = self.entries((
            r.verb.clone(),
            r.api_group.clone(),
            r.resource.clone(),
            r.subresource.clone(),
        ));
        entries.cluster_names.contains(&r.name)
            || (!r.namespace.is_empty()
                && entries
                    .names_by_namespace
                    .get(&r.namespace)
                    .is_some_and(|names| names.contains(&r.name)))
    }

    /// The bindings that allow a request: every ClusterRoleBinding, then the
    /// RoleBindings of the request's namespace, whose role has a rule
    /// allowing it (resolved roles only).
    #[cfg(test)]
    pub(crate) fn allowing(&mut self, request: &Request) -> Vec<BindingId> {
        let (mut out, local) = self.allowing_split(request);
        out.extend(local);
        out
    }

    /// [`Self::allowing`] in two parts: the ClusterRoleBindings, and the
    /// RoleBindings of the request's namespace.
    pub(crate) fn allowing_split(&mut self, request: &Request) -> (Vec<BindingId>, Vec<BindingId>) {
        let r = match request {
            Request::Resource(r) => r,
            Request::NonResource(_) => {
                let all = self
                    .graph
                    .allowing_bindings(request, false)
                    .0
                    .into_iter()
                    .map(|a| a.binding)
                    .collect();
                return (all, Vec::new());
            }
        };
        let entries = self.entries((
            r.verb.clone(),
            r.api_group.clone(),
            r.resource.clone(),
            r.subresource.clone(),
        ));
        let g = self.graph;
        let allows = |(b, rules): &(BindingId, Vec<u32>)| {
            let role = g.bound_role(*b).map(|(_, role)| role);
            role.is_some_and(|role| {
                rules.iter().any(|&i| {
                    role.rules
                        .get(i as usize)
                        .is_some_and(|rule| name_matches(rule, &r.name))
                })
            })
        };
        let cluster: Vec<BindingId> = entries
            .cluster
            .iter()
            .filter(|e| allows(e))
            .map(|e| e.0)
            .collect();
        let mut local = Vec::new();
        // A RoleBinding grants only requests in its own (non-empty) namespace.
        if !r.namespace.is_empty()
            && let Some(list) = entries.by_namespace.get(&r.namespace)
        {
            local.extend(list.iter().filter(|e| allows(e)).map(|e| e.0));
        }
        (cluster, local)
    }
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
