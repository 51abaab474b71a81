//! Replays the fuzz regression inputs (`fuzz/regressions/<target>/*`) through
//! the same entry points the cargo-fuzz targets call
//! (`rbacgraph::fuzzing`), on stable, in the normal test run. A file that
//! once crashed, hung or broke an invariant stays here for good.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

use std::path::Path;

type Entry = fn(&[u8]) -> Result<(), String>;

/// Runs every file of `fuzz/regressions/<target>` through `entry`.
fn replay(target: &str, entry: Entry) {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("fuzz/regressions")
        .join(target);
    let mut files: Vec<_> = std::fs::read_dir(&dir)
        .unwrap_or_else(|e| panic!("{}: {e}", dir.display()))
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert!(
        !files.is_empty(),
        "no regression inputs in {}",
        dir.display()
    );
    for file in files {
        let bytes = std::fs::read(&file).unwrap();
        if let Err(broken) = entry(&bytes) {
            panic!("{}: {broken}", file.display());
        }
    }
}

#[test]
fn yaml_loader() {
    replay("yaml_loader", rbacgraph::fuzzing::yaml_loader);
}

#[test]
fn json_loader() {
    replay("json_loader", rbacgraph::fuzzing::json_loader);
}

#[test]
fn target_parse() {
    replay("target_parse", rbacgraph::fuzzing::target_parse);
}

#[test]
fn build_and_query() {
    replay("build_and_query", rbacgraph::fuzzing::build_and_query);
}

#[test]
fn audit_log() {
    replay("audit_log", rbacgraph::fuzzing::audit_log);
}
