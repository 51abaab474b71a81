//! For kube-rs users: hand rbacgraph the k8s-openapi objects you already hold.
//!
//! `cargo run --example typed`

use k8s_openapi::api::rbac::v1::{ClusterRole, PolicyRule, RoleBinding, RoleRef, Subject};
use k8s_openapi::apimachinery::pkg::apis::meta::v1::ObjectMeta;
use rbacgraph::{Identity, RbacGraph, Request};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let role = ClusterRole {
        metadata: ObjectMeta {
            name: Some("pod-reader".into()),
            ..Default::default()
        },
        rules: Some(vec![PolicyRule {
            api_groups: Some(vec!["".into()]),
            resources: Some(vec!["pods".into(), "pods/log".into()]),
            verbs: vec!["get".into(), "list".into()],
            ..Default::default()
        }]),
        ..Default::default()
    };
    let binding = RoleBinding {
        metadata: ObjectMeta {
            name: Some("read-pods".into()),
            namespace: Some("web".into()),
            ..Default::default()
        },
        role_ref: RoleRef {
            api_group: Some("rbac.authorization.k8s.io".into()),
            kind: "ClusterRole".into(),
            name: "pod-reader".into(),
        },
        subjects: Some(vec![Subject {
            kind: "Group".into(),
            name: "web-devs".into(),
            ..Default::default()
        }]),
    };
    let graph = RbacGraph::builder()
        .add_resource(&role, "typed")
        .add_resource(&binding, "typed")
        .build()?;

    let dev = Identity::authenticated("jane", ["web-devs"]);
    for request in [
        Request::resource("get", "", "pods")
            .subresource("log")
            .in_namespace("web")
            .named("api-0"),
        Request::resource("get", "", "pods")
            .subresource("exec")
            .in_namespace("web")
            .named("api-0"),
        Request::resource("list", "", "pods").in_namespace("db"),
    ] {
        let d = graph.authorize(&dev, &request);
        println!("{:<3} {request}", if d.allowed { "yes" } else { "no" });
        for miss in &d.why_not {
            println!("    {}", miss.message);
        }
    }
    Ok(())
}
