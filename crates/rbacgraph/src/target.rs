//! Turning what a person types — `VERB TYPE[.GROUP][/NAME]` or a URL, a
//! subresource and a namespace choice — into request attributes, as kubectl
//! and the API server would. Shared by the CLI and the bindings.

use crate::{Error, RbacGraph, Request};

/// Where a request is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Namespaces<'a> {
    /// `-n NS` (or its default).
    One(&'a str),
    /// `-A`.
    All,
}

/// The parsed request and whether it is asked across namespaces.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Target {
    /// The request attributes.
    pub request: Request,
    /// All namespaces were asked for and the resource is namespaced (for
    /// who-can: evaluate every namespace's RoleBindings in their own
    /// namespace).
    pub all_namespaces: bool,
}

/// Builds the request attributes as the API server would for
/// `VERB TARGET [--subresource S] [-n NS | -A]`, resolving the type name
/// against the graph's discovery (built-ins and loaded CRDs).
///
/// Cluster-scoped resources get namespace `""`, except one named Namespace
/// object, whose namespace attribute is its own name (rbac-semantics.md §1).
/// `Namespaces::All` gives namespace `""` and, for namespaced resources,
/// `all_namespaces`.
///
/// # Errors
/// An empty verb, a malformed target, or an unknown bare type name.
///
/// ```
/// use rbacgraph::target::{parse, Namespaces};
/// use rbacgraph::{RbacGraph, Request};
/// let graph = RbacGraph::builder().build().unwrap();
/// let t = parse(&graph, "get", "deploy/web", Some("scale"), Namespaces::One("shop")).unwrap();
/// assert_eq!(t.request, Request::resource("get", "apps", "deployments").named("web").subresource("scale").in_namespace("shop"));
/// let nodes = parse(&graph, "list", "no", None, Namespaces::One("shop")).unwrap();
/// assert_eq!(nodes.request.namespace(), "");
/// ```
pub fn parse(
    graph: &RbacGraph,
    verb: &str,
    target: &str,
    subresource: Option<&str>,
    namespaces: Namespaces<'_>,
) -> Result<Target, Error> {
    if verb.is_empty() {
        return Err(Error::Invalid {
            what: "verb",
            value: verb.into(),
            reason: "is empty".into(),
        });
    }
    if target.starts_with('/') {
        if subresource.is_some() {
            return Err(Error::Invalid {
                what: "target",
                value: target.into(),
                reason: "a non-resource URL has no subresource".into(),
            });
        }
        return Ok(Target {
            request: Request::non_resource(verb, target),
            all_namespaces: false,
        });
    }
    let (type_part, name) = match target.split_once('/') {
        Some((t, n)) if n.is_empty() || n.contains('/') => {
            return Err(Error::Invalid {
                what: "target",
                value: target.into(),
                reason: format!(
                    "expected TYPE[.GROUP][/NAME]; for a subresource use `{t} --subresource SUB`"
                ),
            });
        }
        Some((t, n)) => (t, n),
        None => (target, ""),
    };
    let resolved = graph.discovery().resolve(type_part)?;
    let mut request = Request::resource(verb, &resolved.group, &resolved.resource).named(name);
    if let Some(sub) = subresource {
        request = request.subresource(sub);
    }
    let is_named_namespace =
        resolved.group.is_empty() && resolved.resource == "namespaces" && !name.is_empty();
    let (ns, all) = if is_named_namespace {
        (name, false)
    } else if !resolved.is_namespaced() {
        ("", false)
    } else {
        match namespaces {
            Namespaces::One(ns) => (ns, false),
            Namespaces::All => ("", true),
        }
    };
    Ok(Target {
        request: request.in_namespace(ns),
        all_namespaces: all,
    })
}
