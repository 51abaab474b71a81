//! Engine benchmarks on synthetic clusters of real-world RBAC sizes
//! (`crates/synth`): load (JSON and YAML, throughput in bytes), graph build,
//! and every query beside the same question answered by the naive reference
//! evaluator of the differential tests (`tests/support/reference.rs`), so the
//! indexed/naive ratio is read from one run.
//!
//! `cargo bench --bench engine` runs every preset (`RBACGRAPH_BENCH_PRESETS=small,big`
//! narrows them); `cargo test --benches` runs each benchmark once on `small`.

#![allow(
    clippy::expect_used,
    clippy::unwrap_used,
    clippy::panic,
    reason = "benchmark setup"
)]

#[path = "../tests/support/reference.rs"]
#[allow(dead_code, reason = "the benchmark uses part of the reference")]
mod reference;

use std::hint::black_box;

use criterion::{BatchSize, BenchmarkId, Criterion, Throughput, criterion_group, criterion_main};
use rbacgraph::load::Loader;
use rbacgraph::model::Object;
use rbacgraph::{AttackGraph, Identity, RbacGraph, Request, Target, WhoCanQuery};
use reference::{Reference, World};

// The allocator the `rbacgraph` binary uses, so load numbers match it.
#[global_allocator]
static ALLOCATOR: mimalloc::MiMalloc = mimalloc::MiMalloc;

/// The presets to run: all of them under `cargo bench`, `small` when the
/// benchmark binary runs as a test.
fn presets() -> Vec<rbacgraph_synth::Preset> {
    let bench_mode = std::env::args().any(|a| a == "--bench");
    let names = match std::env::var("RBACGRAPH_BENCH_PRESETS") {
        Ok(list) => list,
        Err(_) if bench_mode => "small,medium,big,xl".to_string(),
        Err(_) => "small".to_string(),
    };
    names
        .split(',')
        .filter_map(|n| rbacgraph_synth::preset(n.trim()))
        .collect()
}

struct Cluster {
    name: &'static str,
    json: String,
    objects: Vec<Object>,
    graph: RbacGraph,
    reference: Reference,
}

fn cluster(preset: rbacgraph_synth::Preset) -> Cluster {
    let mut json = Vec::new();
    rbacgraph_synth::write_json(preset, 1, &mut json).expect("generates");
    let json = String::from_utf8(json).expect("utf-8");
    let mut loader = Loader::new();
    loader.load_str(preset.name, &json);
    let (objects, _, _) = loader.into_parts();
    let graph = RbacGraph::from_objects(objects.clone());
    let mut world = World::default();
    for o in &objects {
        match o {
            Object::Role(r) => world.roles.push(r.clone()),
            Object::Binding(b) => world.bindings.push(b.clone()),
            Object::ServiceAccount(s) => world.service_accounts.push(s.clone()),
            _ => {}
        }
    }
    Cluster {
        name: preset.name,
        json,
        objects,
        graph,
        reference: Reference::new(world),
    }
}

/// Questions a security review asks, answerable on every preset.
fn requests() -> Vec<Request> {
    vec![
        Request::resource("get", "", "secrets").in_namespace("team-0001"),
        Request::resource("create", "", "pods").in_namespace("team-0002"),
        Request::resource("create", "", "pods")
            .subresource("exec")
            .in_namespace("team-0003")
            .named("svc-3-0"),
        Request::resource("patch", "apps", "deployments")
            .in_namespace("team-0004")
            .named("svc-4"),
        Request::resource("bind", "rbac.authorization.k8s.io", "clusterroles")
            .named("cluster-admin"),
        Request::non_resource("get", "/metrics"),
    ]
}

fn identities() -> Vec<Identity> {
    vec![
        Identity::authenticated(
            "system:serviceaccount:team-0001:app-1",
            Vec::<String>::new(),
        ),
        Identity::authenticated("user-7@example.com", ["team-3"]),
        Identity::authenticated("system:kube-controller-manager", Vec::<String>::new()),
    ]
}

fn bench_load(c: &mut Criterion, cl: &Cluster, preset: rbacgraph_synth::Preset) {
    let mut group = c.benchmark_group("load");
    group.sample_size(10);
    group.throughput(Throughput::Bytes(cl.json.len() as u64));
    group.bench_with_input(BenchmarkId::new("json", cl.name), &cl.json, |b, text| {
        b.iter(|| {
            RbacGraph::builder()
                .load_str("bench.json", black_box(text))
                .build()
        })
    });
    // YAML parses at ~11 MB/s a core; keep xl out of the default run.
    if preset.name != "xl" {
        let mut yaml = Vec::new();
        rbacgraph_synth::write_yaml(preset, 1, &mut yaml).expect("generates");
        let yaml = String::from_utf8(yaml).expect("utf-8");
        group.throughput(Throughput::Bytes(yaml.len() as u64));
        group.bench_with_input(BenchmarkId::new("yaml", cl.name), &yaml, |b, text| {
            b.iter(|| {
                RbacGraph::builder()
                    .load_str("bench.yaml", black_box(text))
                    .build()
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("build");
    group.sample_size(10);
    group.bench_function(BenchmarkId::from_parameter(cl.name), |b| {
        b.iter_batched(
            || cl.objects.clone(),
            RbacGraph::from_objects,
            BatchSize::LargeInput,
        )
    });
    group.finish();
}

fn bench_queries(c: &mut Criterion, cl: &Cluster) {
    let requests = requests();
    let identities = identities();
    let g = &cl.graph;
    let r = &cl.reference;

    let mut group = c.benchmark_group("authorize");
    group.bench_function(BenchmarkId::new("indexed", cl.name), |b| {
        b.iter(|| {
            for id in &identities {
                for q in &requests {
                    black_box(g.authorize(id, q).allowed);
                }
            }
        })
    });
    group.bench_function(BenchmarkId::new("naive", cl.name), |b| {
        b.iter(|| {
            for id in &identities {
                for q in &requests {
                    black_box(r.authorize(id, q));
                }
            }
        })
    });
    // The same pairs split by decision: a denied request also computes its
    // near misses.
    let pairs: Vec<(&Identity, &Request)> = identities
        .iter()
        .flat_map(|id| requests.iter().map(move |q| (id, q)))
        .collect();
    let (allowed, denied): (Vec<_>, Vec<_>) = pairs
        .into_iter()
        .partition(|(id, q)| g.authorize(id, q).allowed);
    for (name, pairs) in [("indexed_allowed", allowed), ("indexed_denied", denied)] {
        if pairs.is_empty() {
            continue;
        }
        group.bench_function(BenchmarkId::new(name, cl.name), |b| {
            b.iter(|| {
                for (id, q) in &pairs {
                    black_box(g.authorize(id, q).allowed);
                }
            })
        });
    }
    group.finish();

    let mut group = c.benchmark_group("who_can");
    group.bench_function(BenchmarkId::new("indexed", cl.name), |b| {
        b.iter(|| {
            for q in &requests {
                black_box(g.who_can(&WhoCanQuery::new(q.clone())));
            }
        })
    });
    group.bench_function(BenchmarkId::new("naive", cl.name), |b| {
        b.iter(|| {
            for q in &requests {
                black_box(r.who_can_bound(q, false, scope(g, q)));
            }
        })
    });
    group.bench_function(BenchmarkId::new("all_namespaces", cl.name), |b| {
        b.iter(|| {
            for q in &requests {
                black_box(g.who_can(&WhoCanQuery::new(q.clone()).all_namespaces(true)));
            }
        })
    });
    group.bench_function(BenchmarkId::new("expand", cl.name), |b| {
        b.iter(|| {
            for q in &requests {
                black_box(
                    g.who_can(
                        &WhoCanQuery::new(q.clone())
                            .all_namespaces(true)
                            .expand(true),
                    ),
                );
            }
        })
    });
    group.finish();

    let mut group = c.benchmark_group("rules_for");
    group.bench_function(BenchmarkId::new("indexed", cl.name), |b| {
        b.iter(|| black_box(g.rules_for(&identities[0], "team-0001")))
    });
    group.bench_function(BenchmarkId::new("naive", cl.name), |b| {
        b.iter(|| black_box(r.rules_for(&identities[0], "team-0001")))
    });
    group.finish();
}

/// Escalation paths: building the attack graph and every principal's
/// shortest path to cluster-admin (`paths --all`), on every preset. The
/// graph is built to be kept and queried again, so freeing it is timed
/// apart (`paths/free`): the two add up to a build-query-drop cycle.
fn bench_paths(c: &mut Criterion, cl: &Cluster) {
    let mut group = c.benchmark_group("paths");
    group.sample_size(10);
    let build_and_ask = || {
        let attack = AttackGraph::builder(&cl.graph).build();
        let paths = attack.who_reaches(&Target::ClusterAdmin, 8);
        (attack, paths)
    };
    group.bench_function(BenchmarkId::new("all_to_cluster_admin", cl.name), |b| {
        b.iter_batched(
            || (),
            |()| black_box(build_and_ask()),
            BatchSize::PerIteration,
        )
    });
    group.bench_function(BenchmarkId::new("free", cl.name), |b| {
        b.iter_batched(build_and_ask, drop, BatchSize::PerIteration)
    });
    group.finish();
}

/// The audit as the README's first command runs it: checks, the attack
/// graph, every fix's impact (`audit/<preset>`), and without the paths
/// (`audit/no_paths/<preset>`).
fn bench_audit(c: &mut Criterion, cl: &Cluster) {
    let mut group = c.benchmark_group("audit");
    group.sample_size(10);
    group.bench_function(BenchmarkId::from_parameter(cl.name), |b| {
        b.iter(|| black_box(rbacgraph::query::audit::Audit::builder(&cl.graph).run()))
    });
    group.bench_function(BenchmarkId::new("no_paths", cl.name), |b| {
        b.iter(|| {
            black_box(
                rbacgraph::query::audit::Audit::builder(&cl.graph)
                    .paths(false)
                    .run(),
            )
        })
    });
    group.finish();
}

fn scope(g: &RbacGraph, q: &Request) -> Option<rbacgraph::model::Scope> {
    match q {
        Request::Resource(r) => g.discovery().scope(&r.api_group, &r.resource),
        Request::NonResource(_) => None,
    }
}

fn bench(c: &mut Criterion) {
    for preset in presets() {
        let cl = cluster(preset);
        bench_load(c, &cl, preset);
        bench_queries(c, &cl);
        bench_paths(c, &cl);
        bench_audit(c, &cl);
    }
}

criterion_group!(benches, bench);
criterion_main!(benches);
