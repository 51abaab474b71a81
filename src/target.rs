//! TARGET arguments (`TYPE[.GROUP][/NAME]` or `/url`) into request attributes.

use rbacgraph::{Error, RbacGraph, Request};

/// Where a request is asked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NamespaceArg<'a> {
    /// `-n NS` (or its default).
    One(&'a str),
    /// `-A`.
    All,
}

/// The parsed request and whether it is a namespaced resource request.
#[derive(Debug)]
pub struct Target {
    pub request: Request,
    /// `-A` applies: a namespaced resource asked across namespaces.
    pub all_namespaces: bool,
}

/// Builds the request attributes as the API server would for
/// `VERB TARGET [--subresource S] [-n NS | -A]`.
///
/// Cluster-scoped resources get namespace `""`, except one named Namespace
/// object, whose namespace attribute is its own name (rbac-semantics.md §1).
pub fn parse(
    graph: &RbacGraph,
    verb: &str,
    target: &str,
    subresource: Option<&str>,
    namespace: NamespaceArg<'_>,
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
        match namespace {
            NamespaceArg::One(ns) => (ns, false),
            NamespaceArg::All => ("", true),
        }
    };
    Ok(Target {
        request: request.in_namespace(ns),
        all_namespaces: all,
    })
}
