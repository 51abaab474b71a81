//! Secret hygiene: a dump whose Secrets (`data`, `stringData`, a
//! service-account token, `last-applied-configuration`), ConfigMaps
//! (aws-auth, token-like values), Pod environment values and audit-log
//! request and response bodies carry planted values — and broken documents
//! built so that an error message would quote them. No planted value may
//! reach any output of any command in any format, any error message, or the
//! loaded model itself (its `Debug` form shows everything it holds).
//!
//! Every planted value contains `PLANTED`; base64-encoded ones are checked
//! in both forms.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

use assert_cmd::Command;
use rbacgraph::RbacGraph;

const DIR: &str = "tests/fixtures/secrets";
const AUDIT_LOG: &str = "tests/fixtures/secrets/audit.log";

/// The markers, plain and as they appear base64-encoded in `data`.
fn markers() -> Vec<String> {
    // "PLANTED" and its base64 form at each of the three alignments.
    ["PLANTED", "UExBTlRF", "QU5URU", "TEFOVEVE"]
        .map(String::from)
        .to_vec()
}

fn assert_clean(what: &str, text: &str) {
    for marker in markers() {
        assert!(
            !text.contains(&marker),
            "{what} leaks `{marker}`:\n{}",
            text.lines()
                .filter(|l| l.contains(&marker))
                .collect::<Vec<_>>()
                .join("\n")
        );
    }
}

/// Runs the CLI on the dump; returns stdout and stderr together.
fn run(args: &[&str]) -> String {
    let out = Command::cargo_bin("rbacgraph")
        .unwrap()
        .args(["-f", DIR])
        .args(args)
        .env("NO_COLOR", "1")
        .output()
        .unwrap();
    let code = out.status.code();
    assert!(matches!(code, Some(0..=2)), "{args:?}: {code:?}");
    let text = format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    );
    assert!(!text.contains("panicked"), "{args:?}: {text}");
    text
}

#[test]
fn the_fixture_really_holds_the_planted_values() {
    let dump = std::fs::read_to_string(format!("{DIR}/dump.yaml")).unwrap();
    let json = std::fs::read_to_string(format!("{DIR}/dump.json")).unwrap();
    let log = std::fs::read_to_string(AUDIT_LOG).unwrap();
    for text in [&dump, &json, &log] {
        assert!(text.contains("PLANTED"));
    }
    assert!(dump.contains("UExBTlRF")); // base64 in `data`
}

#[test]
fn no_command_in_any_format_prints_a_planted_value() {
    let who = "system:serviceaccount:shop:web";
    let deployer = "system:serviceaccount:ci:deployer";
    let mut commands: Vec<Vec<&str>> = vec![
        vec!["--timings", "summary"],
        vec!["--strict", "summary"],
        vec![
            "can-i",
            "get",
            "secrets",
            "-n",
            "shop",
            "--as",
            who,
            "--explain",
        ],
        vec![
            "can-i",
            "get",
            "secrets/db",
            "-n",
            "shop",
            "--as",
            deployer,
            "--explain",
        ],
        vec!["can-i", "--list", "-n", "shop", "--as", who],
        vec!["who-can", "get", "secrets", "-n", "shop"],
        vec!["who-can", "get", "secrets", "-A", "--expand"],
        vec![
            "who-can",
            "update",
            "configmaps/aws-auth",
            "-n",
            "kube-system",
        ],
        vec!["paths", "--as", who],
        vec![
            "paths",
            "--as",
            who,
            "--blast-radius",
            "--assume-legacy-tokens",
            "--eks",
        ],
        vec!["paths", "--all", "--to", "nodes", "--eks"],
        vec!["audit"],
        vec!["audit", "--target-version", "1.25"],
        vec!["diff", "--against", "tests/fixtures/cli/cluster.yaml"],
        vec!["usage", "--audit-log", AUDIT_LOG, "--include-denied"],
        vec!["check", "--policy", "examples/policies"],
    ];
    let formats: &[&[&str]] = &[&[], &["-o", "json"], &["-o", "yaml"]];
    let mut runs: Vec<Vec<&str>> = Vec::new();
    for c in commands.drain(..) {
        for f in formats {
            runs.push(f.iter().copied().chain(c.iter().copied()).collect());
        }
    }
    runs.push(vec!["-o", "dot", "paths", "--as", who]);
    runs.push(vec![
        "-o",
        "dot",
        "export",
        "--eks",
        "--assume-legacy-tokens",
    ]);
    runs.push(vec!["-o", "json", "export", "--eks"]);
    runs.push(vec!["-o", "dot", "export", "--around", "sa/shop/web"]);
    runs.push(vec![
        "-o",
        "markdown",
        "diff",
        "--against",
        "tests/fixtures/cli/cluster.yaml",
    ]);
    runs.push(vec!["-o", "sarif", "audit"]);
    runs.push(vec![
        "-o",
        "sarif",
        "check",
        "--policy",
        "examples/policies",
    ]);
    runs.push(vec![
        "-o",
        "junit",
        "check",
        "--policy",
        "examples/policies",
    ]);
    for args in runs {
        let text = run(&args);
        assert_clean(&format!("rbacgraph {}", args.join(" ")), &text);
    }
}

#[test]
fn the_error_paths_are_exercised_and_clean() {
    // The broken Secrets, Pod and Role are reported, by name and field, …
    let text = run(&["summary"]);
    for expected in [
        "Secret shop/broken: field `metadata.annotations`: invalid type: a string, expected a mapping",
        "(document 5): invalid YAML: unclosed bracket",
        "Secret shop/odd-type: field `type`",
        "Pod shop/broken-env: field `spec.containers[0].env[0].valueFrom`",
        "Role shop/broken-rules: field `rules`: invalid type: a string, expected a sequence",
        "field `metadata`: invalid type: a string, expected a mapping",
    ] {
        assert!(text.contains(expected), "missing {expected:?} in\n{text}");
    }
    // … and so are the audit-log lines that are not events.
    let text = run(&["usage", "--audit-log", AUDIT_LOG]);
    assert!(
        text.contains(
            "field `user`: not an audit event: invalid type: a string, expected a mapping"
        ),
        "{text}"
    );
    assert_clean("usage", &text);
}

#[test]
fn the_model_holds_no_planted_value() {
    let graph = RbacGraph::builder().load_path(DIR).build().unwrap();
    assert!(!graph.secrets().is_empty());
    assert_clean("the graph's Debug form", &format!("{graph:?}"));
    for d in graph.diagnostics() {
        assert_clean("a diagnostic", &d.to_string());
    }
    let mut log = rbacgraph::auditlog::AuditLog::new();
    log.load_path(std::path::Path::new(AUDIT_LOG)).unwrap();
    assert!(!log.requests.is_empty());
    assert_clean("the audit log's Debug form", &format!("{log:?}"));
    // Strict mode's error carries the diagnostics.
    let strict = RbacGraph::builder().strict(true).load_path(DIR).build();
    assert_clean("strict mode's error", &format!("{:?}", strict.err()));
}
