//! Engine benchmarks on real manifests: load (YAML and JSON), graph build,
//! authorize, who-can and rules-for, each indexed query beside the same
//! question answered by a naive linear scan over every binding.
//!
//! `cargo bench --bench engine`; `cargo test --benches` runs each once.

#![allow(clippy::expect_used, reason = "benchmark setup")]

use std::hint::black_box;
use std::path::Path;

use criterion::{BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rbacgraph::matching::rule_allows;
use rbacgraph::{Identity, RbacGraph, Request, WhoCanQuery};

/// Every YAML file under a directory, concatenated as one stream.
fn read_dir_yaml(dir: &Path, out: &mut String) {
    let Ok(entries) = std::fs::read_dir(dir) else {
        return;
    };
    let mut paths: Vec<_> = entries.filter_map(|e| e.ok()).map(|e| e.path()).collect();
    paths.sort();
    for p in paths {
        if p.is_dir() {
            read_dir_yaml(&p, out);
        } else if matches!(p.extension().and_then(|e| e.to_str()), Some("yaml" | "yml"))
            && let Ok(text) = std::fs::read_to_string(&p)
        {
            out.push_str("\n---\n");
            out.push_str(&text);
        }
    }
}

fn clusters() -> Vec<(&'static str, String)> {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut demo = String::new();
    read_dir_yaml(&root.join("examples/clusters/demo"), &mut demo);
    let mut real = String::new();
    for dir in [
        "tests/fixtures/real-world",
        "tests/fixtures/kubernetes-bootstrap",
    ] {
        read_dir_yaml(&root.join(dir), &mut real);
    }
    vec![("demo", demo), ("real-world", real)]
}

/// The same question as `who_can`, answered by scanning every binding.
fn naive_who_can(graph: &RbacGraph, request: &Request) -> usize {
    let mut n = 0;
    for (i, b) in graph.bindings().iter().enumerate() {
        let in_ns = b
            .namespace
            .as_deref()
            .is_none_or(|ns| ns == request.namespace());
        if !in_ns {
            continue;
        }
        let Some((_, role)) = graph.bound_role(rbacgraph::BindingId(i as u32)) else {
            continue;
        };
        if role.rules.iter().any(|r| rule_allows(r, request)) {
            n += b.subjects.len();
        }
    }
    n
}

fn bench(c: &mut Criterion) {
    for (name, yaml) in clusters() {
        let graph = RbacGraph::builder()
            .load_str(name, &yaml)
            .build()
            .expect("loads");

        let mut group = c.benchmark_group("load");
        group.throughput(Throughput::Bytes(yaml.len() as u64));
        group.bench_with_input(BenchmarkId::new("yaml", name), &yaml, |b, y| {
            b.iter(|| RbacGraph::builder().load_str("bench", black_box(y)).build())
        });
        group.finish();

        let secrets = Request::resource("list", "", "secrets").in_namespace("kube-system");
        let mut group = c.benchmark_group("who_can");
        group.bench_function(BenchmarkId::new("indexed", name), |b| {
            b.iter(|| graph.who_can(black_box(&WhoCanQuery::new(secrets.clone()))))
        });
        group.bench_function(BenchmarkId::new("naive", name), |b| {
            b.iter(|| naive_who_can(&graph, black_box(&secrets)))
        });
        group.bench_function(BenchmarkId::new("expand_all_namespaces", name), |b| {
            b.iter(|| {
                graph.who_can(black_box(
                    &WhoCanQuery::new(secrets.clone())
                        .all_namespaces(true)
                        .expand(true),
                ))
            })
        });
        group.finish();

        let user = Identity::authenticated(
            "system:serviceaccount:kube-system:default",
            Vec::<String>::new(),
        );
        let mut group = c.benchmark_group("authorize");
        group.bench_function(BenchmarkId::new("indexed", name), |b| {
            b.iter(|| graph.authorize(black_box(&user), black_box(&secrets)))
        });
        group.finish();

        let mut group = c.benchmark_group("rules_for");
        group.bench_function(BenchmarkId::new("service_account", name), |b| {
            b.iter(|| graph.rules_for(black_box(&user), "kube-system"))
        });
        group.finish();
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
