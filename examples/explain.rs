//! Embedding rbacgraph: load manifests, ask who can read secrets in a
//! namespace and why one service account may or may not.
//!
//! `cargo run --example explain -- examples/clusters/demo shop`

use rbacgraph::{Identity, RbacGraph, Reason, Request, WhoCanQuery};

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let mut args = std::env::args().skip(1);
    let path = args
        .next()
        .unwrap_or_else(|| "examples/clusters/demo".into());
    let namespace = args.next().unwrap_or_else(|| "shop".into());

    let graph = RbacGraph::builder().load_path(&path).build()?;
    let stats = graph.stats();
    println!(
        "{} roles, {} bindings, {} subjects loaded from {path}",
        stats.roles + stats.cluster_roles,
        stats.role_bindings + stats.cluster_role_bindings,
        stats.subjects
    );

    let read_secrets = Request::resource("get", "", "secrets").in_namespace(&namespace);
    println!("\nwho can {read_secrets}:");
    for s in graph
        .who_can(&WhoCanQuery::new(read_secrets.clone()))
        .subjects
    {
        let via: Vec<String> = s
            .grants
            .iter()
            .map(|g| format!("{} → {}", g.binding, g.role))
            .collect();
        println!("  {:<45} {}", s.subject.to_string(), via.join("; "));
    }

    let sa = Identity::authenticated(
        format!("system:serviceaccount:{namespace}:default"),
        Vec::<String>::new(),
    );
    let decision = graph.authorize(&sa, &read_secrets);
    println!(
        "\ncan {} {read_secrets}? {}",
        sa.name,
        if decision.allowed { "yes" } else { "no" }
    );
    for reason in &decision.reasons {
        if let Reason::Rule {
            binding,
            role,
            rule_index,
            ..
        } = reason
        {
            println!("  because {binding} → {role} rule {rule_index}");
        }
    }
    for miss in &decision.why_not {
        println!("  near miss: {}", miss.message);
    }
    Ok(())
}
