//! Malformed command lines: every subcommand, given an unknown flag, a
//! missing value, a bad verb, resource or target, a bad `--as` or a file
//! that does not exist, exits 2 with exactly one line on stderr (`error: …`)
//! and nothing on stdout — never a panic, never clap's multi-line usage.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

use assert_cmd::Command;

const CLUSTER: &str = "tests/fixtures/cli/cluster.yaml";

/// `(arguments, a part of the message)`.
const CASES: &[(&[&str], &str)] = &[
    // Global flags.
    (&["--bogus"], "unexpected argument '--bogus'"),
    (&["-o", "xml", "summary"], "invalid value 'xml'"),
    (&["-f"], "a value is required for '--filename"),
    (&["frobnicate"], "unrecognized subcommand 'frobnicate'"),
    // audit
    (
        &["-f", CLUSTER, "audit", "--bogus"],
        "unexpected argument '--bogus'",
    ),
    (&["audit"], "no input"),
    (
        &["-f", "/nonexistent/dump.yaml", "audit"],
        "cannot read `/nonexistent/dump.yaml`",
    ),
    (
        &["-f", CLUSTER, "audit", "--target-version"],
        "a value is required",
    ),
    // can-i
    (
        &["-f", CLUSTER, "can-i", "get", "pods"],
        "required arguments were not provided: --as",
    ),
    (
        &["-f", CLUSTER, "can-i", "get", "pods", "--as"],
        "a value is required for '--as",
    ),
    (
        &["-f", CLUSTER, "can-i", "get", "pods", "--as", ""],
        "a value is required for '--as",
    ),
    (
        &["-f", CLUSTER, "can-i", "", "pods", "--as", "bob"],
        "invalid verb ``",
    ),
    (
        &["-f", CLUSTER, "can-i", "get", "pods/a/b", "--as", "bob"],
        "invalid target `pods/a/b`",
    ),
    (
        &["-f", CLUSTER, "can-i", "get", "nosuch", "--as", "bob"],
        "unknown resource type `nosuch`",
    ),
    (
        &[
            "-f",
            CLUSTER,
            "can-i",
            "get",
            "pods",
            "--as",
            "bob",
            "--subresource",
        ],
        "a value is required",
    ),
    (
        &["-f", CLUSTER, "can-i", "--list", "--as", "bob", "-A"],
        "cannot be used with",
    ),
    (
        &["-f", "/nonexistent", "can-i", "get", "pods", "--as", "bob"],
        "cannot read `/nonexistent`",
    ),
    (
        &[
            "-f", CLUSTER, "-o", "dot", "can-i", "get", "pods", "--as", "bob",
        ],
        "-o dot is only for",
    ),
    // who-can
    (
        &["-f", CLUSTER, "who-can"],
        "required arguments were not provided",
    ),
    (
        &["-f", CLUSTER, "who-can", "get", "pods", "--as", "bob"],
        "unexpected argument '--as'",
    ),
    (
        &[
            "-f",
            CLUSTER,
            "who-can",
            "get",
            "/healthz",
            "--subresource",
            "log",
        ],
        "invalid target `/healthz`",
    ),
    (
        &["-f", CLUSTER, "who-can", "get", "widgets"],
        "unknown resource type `widgets`",
    ),
    (
        &["-f", CLUSTER, "who-can", "get", "pods", "-n", "a", "-A"],
        "cannot be used with",
    ),
    // summary
    (
        &["-f", "/nonexistent", "summary"],
        "cannot read `/nonexistent`",
    ),
    (&["summary", "--bogus"], "unexpected argument '--bogus'"),
    (&["summary"], "no input"),
    // paths
    (
        &["-f", CLUSTER, "paths"],
        "required arguments were not provided: --as",
    ),
    (
        &["-f", CLUSTER, "paths", "--as", ""],
        "a value is required for '--as",
    ),
    (
        &["-f", CLUSTER, "paths", "--as", "bob", "--to", ""],
        "invalid target ``",
    ),
    (
        &["-f", CLUSTER, "paths", "--as", "bob", "--to", "node:"],
        "invalid target `node:`",
    ),
    (
        &["-f", CLUSTER, "paths", "--as", "bob", "--max-depth", "x"],
        "invalid value 'x'",
    ),
    (
        &["-f", CLUSTER, "paths", "--all", "--as", "bob"],
        "cannot be used with",
    ),
    // export
    (
        &[
            "-f", CLUSTER, "-o", "json", "export", "--around", "nosuch/x",
        ],
        "nosuch/x",
    ),
    (
        &["-f", CLUSTER, "export", "--depth", "-1"],
        "unexpected argument",
    ),
    (&["-f", CLUSTER, "export"], "use -o dot"),
    // diff
    (
        &["-f", CLUSTER, "diff"],
        "required arguments were not provided: --against",
    ),
    (
        &["-f", CLUSTER, "diff", "--against", "/nonexistent"],
        "cannot read `/nonexistent`",
    ),
    (&["-f", CLUSTER, "diff", "--against"], "a value is required"),
    // check and schema
    (
        &["-f", CLUSTER, "check"],
        "required arguments were not provided: --policy",
    ),
    (
        &["-f", CLUSTER, "check", "--policy", "/nonexistent"],
        "cannot read `/nonexistent`",
    ),
    (
        &[
            "-f",
            CLUSTER,
            "check",
            "--policy",
            "examples/policies",
            "--top",
            "-1",
        ],
        "unexpected argument",
    ),
    (
        &["-f", CLUSTER, "-o", "junit", "audit"],
        "-o junit is only for `check`",
    ),
    (
        &["-f", CLUSTER, "-o", "dot", "check", "--policy", "x"],
        "-o dot is only for",
    ),
    (&["schema", "audit"], "invalid value 'audit'"),
    // usage
    (
        &["-f", CLUSTER, "usage"],
        "required arguments were not provided: --audit-log",
    ),
    (
        &["-f", CLUSTER, "usage", "--audit-log", "/nonexistent"],
        "cannot read `/nonexistent`",
    ),
    // generate
    (
        &["generate"],
        "required arguments were not provided: --preset",
    ),
    (&["generate", "--preset", "huge"], "invalid value 'huge'"),
    (
        &["generate", "--preset", "small", "--seed", "-3"],
        "unexpected argument",
    ),
    // completions
    (&["completions", "fish2"], "invalid value 'fish2'"),
    (&["completions"], "required arguments were not provided"),
];

#[test]
fn every_malformed_command_line_exits_2_with_one_line() {
    for (args, part) in CASES {
        let out = Command::cargo_bin("rbacgraph")
            .unwrap()
            .args(*args)
            .env("NO_COLOR", "1")
            .output()
            .unwrap();
        let stderr = String::from_utf8_lossy(&out.stderr);
        assert_eq!(out.status.code(), Some(2), "{args:?}: {stderr}");
        assert!(out.stdout.is_empty(), "{args:?} printed to stdout");
        assert!(
            stderr.starts_with("error: ") && stderr.ends_with('\n') && stderr.lines().count() == 1,
            "{args:?}: not one line: {stderr:?}"
        );
        assert!(stderr.contains(part), "{args:?}: {stderr:?} lacks {part:?}");
        assert!(!stderr.contains("panicked"), "{args:?}: {stderr}");
    }
}

#[test]
fn help_and_version_still_print_and_exit_0() {
    for args in [
        &["--help"][..],
        &["--version"],
        &["can-i", "--help"],
        &["help", "paths"],
    ] {
        let out = Command::cargo_bin("rbacgraph")
            .unwrap()
            .args(args)
            .output()
            .unwrap();
        assert_eq!(out.status.code(), Some(0), "{args:?}");
        assert!(!out.stdout.is_empty(), "{args:?}");
    }
}
