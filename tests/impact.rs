//! The impact engine against the truth: on random worlds, every random
//! change is written as patches, applied to the manifests with a JSON Patch
//! library, loaded again and searched again; the principals the engine says
//! lose every path to cluster-admin (and, apart, to the nodes) must be
//! exactly those that no longer reach it.
//!
//! "No longer reach" is asked of the principal itself: a principal the new
//! graph no longer knows (its only binding was deleted) is asked as an
//! identity (`paths --as`), since it still holds what its groups hold.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

#[path = "support/worlds.rs"]
mod worlds;

use std::collections::{BTreeMap, BTreeSet};

use proptest::prelude::*;
use proptest::test_runner::{Config, RngSeed, TestRunner};
use rbacgraph::RbacGraph;
use rbacgraph::graph::{BindingId, RoleId, WorkloadId};
use rbacgraph::query::paths::AttackGraph;
use rbacgraph::query::paths::impact::{Goal, ReachIndex};
use rbacgraph::query::whatif::Change;
use serde_json::Value;
use worlds::{Rng, apply, target, truth};

const DEPTH: usize = 8;

fn load(docs: &[Value]) -> RbacGraph {
    RbacGraph::builder()
        .load_str("world.yaml", &worlds::yaml(docs))
        .build()
        .unwrap()
}

/// A random change within the engine's contract: it only takes away, and
/// never takes `* * *` from a role or deletes a role a binding references.
fn random_change(g: &RbacGraph, r: &mut Rng) -> Change {
    let mut change = Change::default();
    for _ in 0..1 + r.below(2) {
        match r.below(9) {
            0 if !g.bindings().is_empty() => {
                change
                    .deleted_bindings
                    .insert(BindingId(r.below(g.bindings().len()) as u32));
            }
            1 if !g.bindings().is_empty() => {
                let b = r.below(g.bindings().len());
                let n = g.bindings()[b].subjects.len();
                if n > 0 {
                    change
                        .removed_subjects
                        .entry(BindingId(b as u32))
                        .or_default()
                        .insert(r.below(n));
                }
            }
            2 | 3 => {
                let candidates: Vec<usize> = (0..g.roles().len())
                    .filter(|&i| {
                        let role = &g.roles()[i];
                        role.aggregation.is_none()
                            && !role.rules.iter().any(|x| {
                                x.verbs == ["*"] && x.resources == ["*"] && x.api_groups == ["*"]
                            })
                    })
                    .collect();
                if candidates.is_empty() {
                    continue;
                }
                let i = *r.pick(&candidates);
                let mut rules = g.roles()[i].rules.clone();
                if !rules.is_empty() {
                    let k = r.below(rules.len());
                    if rules[k].verbs.len() > 1 && r.chance(1, 2) {
                        let v = r.below(rules[k].verbs.len());
                        rules[k].verbs.remove(v);
                    } else {
                        rules.remove(k);
                    }
                }
                change.replaced_rules.insert(RoleId(i as u32), rules);
            }
            4 => {
                let referenced: BTreeSet<(String, String, String)> = g
                    .bindings()
                    .iter()
                    .map(|b| {
                        let ns = if b.role_ref.kind == "Role" {
                            b.namespace.clone().unwrap_or_default()
                        } else {
                            String::new()
                        };
                        (b.role_ref.kind.clone(), ns, b.role_ref.name.clone())
                    })
                    .collect();
                let unused: Vec<usize> = (0..g.roles().len())
                    .filter(|&i| {
                        let role = &g.roles()[i];
                        let ns = role.namespace.clone().unwrap_or_default();
                        !referenced.contains(&(
                            role.kind.as_str().to_string(),
                            ns,
                            role.name.clone(),
                        ))
                    })
                    .collect();
                if !unused.is_empty() {
                    change.deleted_roles.insert(RoleId(*r.pick(&unused) as u32));
                }
            }
            5 if !g.workloads().is_empty() => {
                change
                    .unmounted
                    .insert(WorkloadId(r.below(g.workloads().len()) as u32));
            }
            6 if !g.workloads().is_empty() => {
                let w = &g.workloads()[r.below(g.workloads().len())];
                if r.chance(1, 2) {
                    change
                        .unmounted_service_accounts
                        .insert((w.namespace.clone(), w.pod.service_account.clone()));
                } else {
                    let id = g
                        .workloads()
                        .iter()
                        .position(|x| std::ptr::eq(x, w))
                        .unwrap();
                    change
                        .new_service_account
                        .insert(WorkloadId(id as u32), format!("{}-own", w.name));
                }
            }
            7 => {
                let ns = *r.pick(&["apps", "ops", "kube-system", "elsewhere"]);
                let level = *r.pick(&["baseline", "restricted", "privileged"]);
                change
                    .pod_security
                    .insert(ns.to_string(), level.to_string());
            }
            _ if !g.secrets().is_empty() => {
                change.deleted_secrets.insert(r.below(g.secrets().len()));
            }
            _ => {}
        }
    }
    change
}

fn check_world(seed: u64) -> Result<(), TestCaseError> {
    let docs = worlds::world(seed);
    let graph = load(&docs);
    let attack = AttackGraph::builder(&graph).what_if(true).build();
    let index = ReachIndex::new(&attack, DEPTH);
    // Distances agree with the path search.
    for goal in Goal::ALL {
        let reaching: BTreeMap<String, usize> = attack
            .who_reaches(&target(goal), DEPTH)
            .into_iter()
            .map(|p| (p.source.key(), p.steps.len()))
            .collect();
        let engine: BTreeMap<String, usize> = index
            .reaching(goal)
            .into_iter()
            .map(|(n, d)| {
                (
                    attack.node_ref(&attack.nodes()[n as usize]).key(),
                    d as usize,
                )
            })
            .collect();
        prop_assert_eq!(
            &engine,
            &reaching,
            "distances to {:?}, world:\n{}",
            goal,
            worlds::yaml(&docs)
        );
    }
    let mut r = Rng::new(seed.wrapping_mul(31));
    for _ in 0..8 {
        let change = random_change(&graph, &mut r);
        if change.is_empty() {
            continue;
        }
        let impact = index.impact(&change);
        let patched = apply(&docs, &change.patches(&graph));
        let after_graph = load(&patched);
        let after = AttackGraph::builder(&after_graph).build();
        for goal in Goal::ALL {
            let engine: BTreeSet<String> = impact
                .lost(goal)
                .iter()
                .map(|&n| attack.node_ref(&attack.nodes()[n as usize]).key())
                .collect();
            let expected = truth(&attack, &after, goal, DEPTH);
            if std::env::var("IMPACT_STATS").is_ok() {
                eprintln!(
                    "seed {seed} {goal:?} reaching {} lost {}",
                    index.reaching(goal).len(),
                    expected.len()
                );
            }
            prop_assert_eq!(
                &engine,
                &expected,
                "{:?} lost after {:?}\nworld:\n{}",
                goal,
                change,
                worlds::yaml(&docs)
            );
        }
    }
    Ok(())
}

/// Random worlds from a fixed seed (deterministic in CI; `PROPTEST_CASES`
/// asks for more).
#[test]
fn impact_is_what_rebuilding_finds() -> Result<(), String> {
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|v| v.parse::<u32>().ok())
        .unwrap_or(64);
    let config = Config {
        cases,
        failure_persistence: None,
        rng_seed: RngSeed::Fixed(0x001a_9ac7_0014),
        ..Config::default()
    };
    let mut runner = TestRunner::new(config);
    runner
        .run(&any::<u64>(), check_world)
        .map_err(|e| e.to_string())
}

#[test]
fn impact_on_fixed_seeds() {
    for seed in 0..40 {
        check_world(seed).unwrap();
    }
}
