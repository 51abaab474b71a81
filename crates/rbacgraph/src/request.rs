//! Who is asking and what for: [`Identity`] and [`Request`], the attributes
//! the RBAC authorizer looks at.
//!
//! See: `staging/src/k8s.io/apiserver/pkg/authorization/authorizer/interfaces.go`
//! and rbac-semantics.md §1.

use std::fmt;

use serde::Serialize;

/// `system:masters`: allowed everything by the privileged-groups authorizer.
pub const SYSTEM_MASTERS: &str = "system:masters";
/// Added to every authenticated user.
pub const SYSTEM_AUTHENTICATED: &str = "system:authenticated";
/// The group of anonymous requests.
pub const SYSTEM_UNAUTHENTICATED: &str = "system:unauthenticated";
/// The anonymous user.
pub const SYSTEM_ANONYMOUS: &str = "system:anonymous";
/// Group of every service account.
pub const SYSTEM_SERVICEACCOUNTS: &str = "system:serviceaccounts";
/// Prefix of service-account user names.
pub const SA_USERNAME_PREFIX: &str = "system:serviceaccount:";

/// A user as the authorizer sees it: a name and groups. Nothing is added
/// implicitly; use [`Identity::authenticated`] for what Kubernetes'
/// authenticators add.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct Identity {
    /// User name (`system:serviceaccount:NS:NAME` for service accounts).
    pub name: String,
    /// Group names.
    pub groups: Vec<String>,
}

impl Identity {
    /// An identity with exactly these groups.
    pub fn new<G>(name: impl Into<String>, groups: G) -> Self
    where
        G: IntoIterator,
        G::Item: Into<String>,
    {
        Identity {
            name: name.into(),
            groups: groups.into_iter().map(Into::into).collect(),
        }
    }

    /// The identity a request authenticated as `name` with `groups` carries,
    /// with the groups Kubernetes' authenticators add:
    /// `system:serviceaccounts` and `system:serviceaccounts:NS` for a
    /// service-account user name, then `system:authenticated` unless the user
    /// is `system:anonymous` (which gets `system:unauthenticated`) or either
    /// group is already present.
    ///
    /// See: `authentication/group/authenticated_group_adder.go`,
    /// `authentication/serviceaccount/util.go :: MakeGroupNames`.
    ///
    /// ```
    /// use rbacgraph::Identity;
    /// let sa = Identity::authenticated("system:serviceaccount:ci:builder", ["team"]);
    /// assert_eq!(
    ///     sa.groups,
    ///     ["team", "system:serviceaccounts", "system:serviceaccounts:ci", "system:authenticated"]
    /// );
    /// let anon = Identity::authenticated("system:anonymous", Vec::<String>::new());
    /// assert_eq!(anon.groups, ["system:unauthenticated"]);
    /// ```
    pub fn authenticated<G>(name: impl Into<String>, groups: G) -> Self
    where
        G: IntoIterator,
        G::Item: Into<String>,
    {
        let mut id = Identity::new(name, groups);
        if let Some((ns, _)) = split_service_account(&id.name) {
            let ns_group = format!("{SYSTEM_SERVICEACCOUNTS}:{ns}");
            for g in [SYSTEM_SERVICEACCOUNTS.to_string(), ns_group] {
                if !id.groups.contains(&g) {
                    id.groups.push(g);
                }
            }
        }
        if id.name == SYSTEM_ANONYMOUS {
            // The anonymous authenticator (not the group adder) gives
            // `system:anonymous` the group `system:unauthenticated`.
            // See: `authentication/request/anonymous/anonymous.go`.
            if !id
                .groups
                .iter()
                .any(|g| g == SYSTEM_AUTHENTICATED || g == SYSTEM_UNAUTHENTICATED)
            {
                id.groups.push(SYSTEM_UNAUTHENTICATED.to_string());
            }
        } else {
            id.add_authenticated_group();
        }
        id
    }

    /// Applies the `AuthenticatedGroupAdder` rule alone: appends
    /// `system:authenticated` unless the user is `system:anonymous` or already
    /// has `system:authenticated` or `system:unauthenticated` (the adder
    /// leaves `system:anonymous` untouched: it adds no group at all).
    ///
    /// See: `staging/src/k8s.io/apiserver/pkg/authentication/group/authenticated_group_adder.go
    /// :: AuthenticatedGroupAdder.AuthenticateRequest` and its test
    /// `authenticated_group_adder_test.go :: TestAuthenticatedGroupAdder`
    /// ("don't add for anon": `system:anonymous` with `[some-group]` stays
    /// `[some-group]`).
    pub fn add_authenticated_group(&mut self) {
        let has = |g: &str| self.groups.iter().any(|x| x == g);
        if self.name == SYSTEM_ANONYMOUS || has(SYSTEM_AUTHENTICATED) || has(SYSTEM_UNAUTHENTICATED)
        {
            return;
        }
        self.groups.push(SYSTEM_AUTHENTICATED.to_string());
    }

    /// Whether the identity is in `system:masters`.
    pub fn is_superuser(&self) -> bool {
        self.groups.iter().any(|g| g == SYSTEM_MASTERS)
    }

    /// `(namespace, name)` if the user name is a valid service-account user name.
    pub fn service_account(&self) -> Option<(&str, &str)> {
        split_service_account(&self.name)
    }
}

impl fmt::Display for Identity {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.name)?;
        if !self.groups.is_empty() {
            write!(f, " (groups: {})", self.groups.join(", "))?;
        }
        Ok(())
    }
}

/// The user name of a service account.
pub fn service_account_username(namespace: &str, name: &str) -> String {
    format!("{SA_USERNAME_PREFIX}{namespace}:{name}")
}

/// Splits `system:serviceaccount:NS:NAME` into `(NS, NAME)` when both parts
/// are non-empty and contain no further `:`, as `SplitUsername` requires.
pub fn split_service_account(username: &str) -> Option<(&str, &str)> {
    let rest = username.strip_prefix(SA_USERNAME_PREFIX)?;
    let (ns, name) = rest.split_once(':')?;
    if ns.is_empty() || name.is_empty() || name.contains(':') {
        return None;
    }
    Some((ns, name))
}

/// The attributes of a resource request.
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
#[serde(rename_all = "camelCase")]
pub struct ResourceRequest {
    /// Verb (`get`, `list`, `create`, custom verbs such as `bind`, …).
    pub verb: String,
    /// API group, `""` for core.
    pub api_group: String,
    /// Resource (plural), e.g. `pods`.
    pub resource: String,
    /// Subresource, `""` for none.
    pub subresource: String,
    /// Object name, `""` for collection requests.
    pub name: String,
    /// Namespace attribute, `""` for cluster scope and all-namespace requests.
    pub namespace: String,
}

/// The attributes of a non-resource request (`/healthz`, `/metrics`, …).
#[derive(Clone, Debug, Default, PartialEq, Eq, Hash, Serialize)]
pub struct NonResourceRequest {
    /// Lower-case HTTP method (`get`, `post`, …).
    pub verb: String,
    /// URL path.
    pub path: String,
}

/// What is being asked for.
#[derive(Clone, Debug, PartialEq, Eq, Hash, Serialize)]
#[serde(tag = "type", rename_all = "camelCase")]
pub enum Request {
    /// A request on an API resource.
    Resource(ResourceRequest),
    /// A request on a non-resource URL.
    NonResource(NonResourceRequest),
}

impl Request {
    /// A resource request with empty name, subresource and namespace; chain
    /// [`Request::in_namespace`], [`Request::named`], [`Request::subresource`].
    ///
    /// ```
    /// use rbacgraph::Request;
    /// let r = Request::resource("get", "", "pods").in_namespace("web").named("api-0");
    /// assert_eq!(r.to_string(), "get pods/api-0 in namespace web");
    /// ```
    pub fn resource(
        verb: impl Into<String>,
        api_group: impl Into<String>,
        resource: impl Into<String>,
    ) -> Self {
        Request::Resource(ResourceRequest {
            verb: verb.into(),
            api_group: api_group.into(),
            resource: resource.into(),
            ..ResourceRequest::default()
        })
    }

    /// A non-resource request.
    pub fn non_resource(verb: impl Into<String>, path: impl Into<String>) -> Self {
        Request::NonResource(NonResourceRequest {
            verb: verb.into(),
            path: path.into(),
        })
    }

    /// Sets the namespace attribute (resource requests only).
    pub fn in_namespace(mut self, namespace: impl Into<String>) -> Self {
        if let Request::Resource(r) = &mut self {
            r.namespace = namespace.into();
        }
        self
    }

    /// Sets the object name (resource requests only).
    pub fn named(mut self, name: impl Into<String>) -> Self {
        if let Request::Resource(r) = &mut self {
            r.name = name.into();
        }
        self
    }

    /// Sets the subresource (resource requests only).
    pub fn subresource(mut self, subresource: impl Into<String>) -> Self {
        if let Request::Resource(r) = &mut self {
            r.subresource = subresource.into();
        }
        self
    }

    /// The verb.
    pub fn verb(&self) -> &str {
        match self {
            Request::Resource(r) => &r.verb,
            Request::NonResource(r) => &r.verb,
        }
    }

    /// The namespace attribute (`""` for non-resource requests).
    pub fn namespace(&self) -> &str {
        match self {
            Request::Resource(r) => &r.namespace,
            Request::NonResource(_) => "",
        }
    }
}

impl fmt::Display for Request {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Request::Resource(r) => {
                write!(f, "{} {}", r.verb, r.resource)?;
                if !r.api_group.is_empty() {
                    write!(f, ".{}", r.api_group)?;
                }
                if !r.name.is_empty() {
                    write!(f, "/{}", r.name)?;
                }
                if !r.subresource.is_empty() {
                    write!(f, " (subresource {})", r.subresource)?;
                }
                if r.namespace.is_empty() {
                    write!(f, " at cluster scope")
                } else {
                    write!(f, " in namespace {}", r.namespace)
                }
            }
            Request::NonResource(r) => write!(f, "{} {}", r.verb, r.path),
        }
    }
}
