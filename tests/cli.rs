//! The command-line contract, tested from outside exactly as documented.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

use std::path::Path;

use assert_cmd::Command;
use serde_json::Value;

const CLUSTER: &str = "tests/fixtures/cli/cluster.yaml";
const BROKEN: &str = "tests/fixtures/cli/broken.yaml";

fn rbacgraph() -> Command {
    let mut cmd = Command::cargo_bin("rbacgraph").unwrap();
    cmd.env("NO_COLOR", "1")
        .current_dir(env!("CARGO_MANIFEST_DIR"));
    cmd
}

/// Runs and returns (exit code, stdout, stderr).
fn run(args: &[&str]) -> (i32, String, String) {
    let out = rbacgraph().args(args).output().unwrap();
    (
        out.status.code().unwrap_or(-1),
        String::from_utf8(out.stdout).unwrap(),
        String::from_utf8(out.stderr).unwrap(),
    )
}

fn json(args: &[&str]) -> (i32, Value) {
    let (code, stdout, stderr) = run(args);
    let value = serde_json::from_str(&stdout).unwrap_or_else(|e| panic!("{e}: {stdout}\n{stderr}"));
    (code, value)
}

#[test]
fn can_i_prints_yes_or_no_with_exit_codes() {
    let (code, out, _) = run(&[
        "-f", CLUSTER, "can-i", "get", "pods", "-n", "web", "--as", "jane",
    ]);
    assert_eq!((code, out.as_str()), (0, "yes\n"));
    let (code, out, _) = run(&[
        "-f", CLUSTER, "can-i", "delete", "pods", "-n", "web", "--as", "jane",
    ]);
    assert_eq!((code, out.as_str()), (1, "no\n"));
}

#[test]
fn exit_code_follows_the_answer_in_every_format() {
    for format in ["table", "json", "yaml"] {
        let (yes, _, _) = run(&[
            "-o", format, "-f", CLUSTER, "can-i", "get", "pods", "-n", "web", "--as", "jane",
        ]);
        let (no, _, _) = run(&[
            "-o", format, "-f", CLUSTER, "can-i", "get", "pods", "-n", "db", "--as", "jane",
        ]);
        assert_eq!((yes, no), (0, 1), "format {format}");
    }
}

#[test]
fn can_i_json_shape_and_why_not() {
    let (code, v) = json(&[
        "-f", CLUSTER, "-o", "json", "can-i", "get", "pods", "-n", "db", "--as", "jane",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["apiVersion"], "rbacgraph/v1");
    assert_eq!(v["allowed"], false);
    assert_eq!(v["reasons"], Value::Array(vec![]));
    let why = v["whyNot"].as_array().unwrap();
    assert_eq!(why.len(), 1);
    assert_eq!(why[0]["reason"], "otherNamespace");
    assert_eq!(why[0]["bindingNamespace"], "web");
    assert_eq!(why[0]["binding"]["name"], "web-readers");

    let (code, v) = json(&[
        "-f", CLUSTER, "-o", "json", "can-i", "get", "pods", "-n", "web", "--as", "jane",
    ]);
    assert_eq!(code, 0);
    let reason = &v["reasons"][0];
    assert_eq!(reason["type"], "rule");
    assert_eq!(
        reason["subject"],
        serde_json::json!({"kind": "User", "name": "jane"})
    );
    assert_eq!(reason["binding"]["kind"], "RoleBinding");
    assert_eq!(reason["role"]["name"], "pod-reader");
    assert_eq!(reason["ruleIndex"], 0);
    assert!(
        reason["binding"]["source"]["file"]
            .as_str()
            .unwrap()
            .ends_with("cluster.yaml")
    );
}

#[test]
fn resource_names_never_match_a_list() {
    let args = [
        "-f",
        CLUSTER,
        "can-i",
        "list",
        "secrets",
        "-n",
        "web",
        "--as",
        "bob",
        "--as-group",
        "web-devs",
        "--explain",
    ];
    let (code, out, _) = run(&args);
    assert_eq!(code, 1);
    assert!(out.contains("resourceNames [tls]"), "{out}");
    let (code, _, _) = run(&[
        "-f",
        CLUSTER,
        "can-i",
        "get",
        "secrets/tls",
        "-n",
        "web",
        "--as",
        "bob",
        "--as-group",
        "web-devs",
    ]);
    assert_eq!(code, 0);
}

#[test]
fn service_account_identity_gets_its_namespace_default() {
    let sa = "system:serviceaccount:web:builder";
    let (code, _, _) = run(&[
        "-f",
        CLUSTER,
        "can-i",
        "get",
        "pods",
        "--subresource",
        "log",
        "-n",
        "web",
        "--as",
        sa,
    ]);
    assert_eq!(code, 0);
    let (code, _, _) = run(&[
        "-f",
        CLUSTER,
        "can-i",
        "get",
        "pods",
        "--subresource",
        "exec",
        "-n",
        "web",
        "--as",
        sa,
    ]);
    assert_eq!(code, 1);
}

#[test]
fn non_resource_urls_and_all_namespaces() {
    let sa = "system:serviceaccount:monitoring:prometheus";
    assert_eq!(
        run(&["-f", CLUSTER, "can-i", "get", "/metrics", "--as", sa]).0,
        0
    );
    assert_eq!(
        run(&["-f", CLUSTER, "can-i", "get", "/debug/pprof", "--as", sa]).0,
        0
    );
    assert_eq!(
        run(&["-f", CLUSTER, "can-i", "get", "/debug", "--as", sa]).0,
        1
    );
    // Cluster scope: a RoleBinding never grants an all-namespace list.
    assert_eq!(
        run(&["-f", CLUSTER, "can-i", "list", "pods", "-A", "--as", "jane"]).0,
        1
    );
}

#[test]
fn can_i_list_json_shape() {
    let (code, v) = json(&[
        "-f", CLUSTER, "-o", "json", "can-i", "--list", "--as", "jane", "-n", "web",
    ]);
    assert_eq!(code, 0);
    let rules = v["resourceRules"].as_array().unwrap();
    assert_eq!(rules.len(), 1);
    assert_eq!(
        rules[0]["verbs"],
        serde_json::json!(["get", "list", "watch"])
    );
    assert_eq!(
        rules[0]["resources"],
        serde_json::json!(["pods", "pods/log"])
    );
    assert_eq!(rules[0]["binding"]["name"], "web-readers");
    assert_eq!(v["nonResourceRules"], Value::Array(vec![]));
    let (code, v) = json(&[
        "-f", CLUSTER, "-o", "json", "can-i", "--list", "--as", "jane", "-n", "db",
    ]);
    assert_eq!(code, 1);
    assert_eq!(v["resourceRules"], Value::Array(vec![]));
}

#[test]
fn who_can_json_shape() {
    let (code, v) = json(&[
        "-f", CLUSTER, "-o", "json", "who-can", "get", "pods", "-n", "web",
    ]);
    assert_eq!(code, 0);
    let subjects = v["subjects"].as_array().unwrap();
    let names: Vec<(&str, &str)> = subjects
        .iter()
        .map(|s| (s["kind"].as_str().unwrap(), s["name"].as_str().unwrap()))
        .collect();
    assert_eq!(
        names,
        [
            ("Group", "system:masters"),
            ("ServiceAccount", "builder"),
            ("User", "jane")
        ]
    );
    assert_eq!(subjects[1]["namespace"], "web");
    assert!(subjects[2].get("namespace").is_none());
    let grant = &subjects[1]["grants"][0];
    assert_eq!(grant["binding"]["kind"], "RoleBinding");
    assert_eq!(grant["binding"]["namespace"], "web");
    assert_eq!(grant["role"]["kind"], "ClusterRole");
    assert!(grant["role"].get("namespace").is_none());
    assert_eq!(grant["rules"], serde_json::json!([0]));
}

#[test]
fn who_can_expand_and_all_namespaces() {
    let (code, v) = json(&[
        "-f", CLUSTER, "-o", "json", "who-can", "get", "pods", "-A", "--expand",
    ]);
    assert_eq!(code, 0);
    let names: Vec<String> = v["subjects"]
        .as_array()
        .unwrap()
        .iter()
        .map(|s| {
            format!(
                "{} {}",
                s["kind"].as_str().unwrap(),
                s["name"].as_str().unwrap()
            )
        })
        .collect();
    assert_eq!(names, ["ServiceAccount builder", "User jane"]);
    // Nobody but system:masters: exit 1.
    let (code, _, _) = run(&["-f", CLUSTER, "who-can", "delete", "nodes"]);
    assert_eq!(code, 1);
}

#[test]
fn global_flags_anywhere_and_stdin() {
    let text =
        std::fs::read_to_string(Path::new(env!("CARGO_MANIFEST_DIR")).join(CLUSTER)).unwrap();
    let out = rbacgraph()
        .args([
            "who-can", "get", "pods", "-n", "web", "-o", "json", "-f", "-",
        ])
        .write_stdin(text)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(0));
    let v: Value = serde_json::from_slice(&out.stdout).unwrap();
    assert_eq!(v["subjects"].as_array().unwrap().len(), 3);
}

#[test]
fn table_output_has_no_colour_without_a_terminal() {
    let out = Command::cargo_bin("rbacgraph")
        .unwrap()
        .current_dir(env!("CARGO_MANIFEST_DIR"))
        .env_remove("NO_COLOR")
        .args(["-f", CLUSTER, "who-can", "get", "pods", "-n", "web"])
        .output()
        .unwrap();
    let text = String::from_utf8(out.stdout).unwrap();
    assert!(!text.contains('\u{1b}'), "{text:?}");
    assert!(text.starts_with("KIND"), "{text}");
}

#[test]
fn bad_input_is_reported_and_the_rest_loads() {
    let (code, out, err) = run(&["-f", BROKEN, "can-i", "get", "pods", "--as", "x"]);
    // The ClusterRoleBinding to a Role is rejected, so x gets nothing.
    assert_eq!((code, out.as_str()), (1, "no\n"));
    assert!(err.contains("broken.yaml"), "{err}");
    assert!(err.contains("ClusterRoleBinding wrong"), "{err}");
    assert!(err.contains("roleRef.kind"), "{err}");
    assert!(err.contains("invalid YAML"), "{err}");
    let (code, out, err) = run(&[
        "--strict", "-f", BROKEN, "can-i", "get", "pods", "--as", "x",
    ]);
    assert_eq!((code, out.as_str()), (2, ""));
    assert_eq!(err.lines().count(), 1, "{err}");
    assert!(err.starts_with("error: "), "{err}");
}

#[test]
fn errors_exit_2_with_one_line() {
    let cases: &[&[&str]] = &[
        &["can-i", "get", "pods", "--as", "x"], // no -f
        &["-f", CLUSTER, "can-i", "get", "widgets", "--as", "x"], // unknown type
        &["-f", CLUSTER, "can-i", "get", "pods"], // no --as
        &["-f", CLUSTER, "who-can", "get"],     // no target
        &["-f", CLUSTER, "who-can", "get", "pods/a/b"], // bad target
        &["-f", "does/not/exist", "summary"],   // unreadable
        &["-f", CLUSTER, "-o", "xml", "summary"], // bad format
        &["-f", CLUSTER, "frobnicate"],         // unknown command
    ];
    for args in cases {
        let (code, out, err) = run(args);
        assert_eq!(code, 2, "{args:?}: {out}{err}");
        assert!(out.is_empty(), "{args:?}: {out}");
        assert!(err.starts_with("error"), "{args:?}: {err}");
    }
    let (_, _, err) = run(&["-f", CLUSTER, "can-i", "get", "widgets", "--as", "x"]);
    assert!(err.contains("TYPE.GROUP"), "{err}");
    let (code, out, _) = run(&[
        "-f",
        CLUSTER,
        "can-i",
        "get",
        "widgets.example.com",
        "--as",
        "x",
    ]);
    assert_eq!((code, out.as_str()), (1, "no\n"));
}

#[test]
fn short_names_and_groups_resolve_like_kubectl() {
    let (_, v) = json(&[
        "-f", CLUSTER, "-o", "json", "can-i", "get", "po/x", "-n", "web", "--as", "jane",
    ]);
    assert_eq!(v["allowed"], true);
    let (_, v) = json(&[
        "-f", CLUSTER, "-o", "json", "who-can", "create", "deploy", "-n", "web",
    ]);
    let grants = &v["subjects"][0];
    assert_eq!(grants["name"], "system:masters");
    // A named Namespace object is addressed in its own namespace.
    let (_, v) = json(&[
        "-f",
        CLUSTER,
        "-o",
        "json",
        "can-i",
        "get",
        "namespaces/web",
        "--as",
        "jane",
        "--explain",
    ]);
    assert_eq!(v["allowed"], false);
}

#[test]
fn summary_and_completions() {
    let (code, out, _) = run(&["-f", CLUSTER, "summary"]);
    assert_eq!(code, 0);
    assert!(out.contains("Loaded 8 objects"), "{out}");
    let (code, v) = json(&["-f", CLUSTER, "-o", "json", "summary"]);
    assert_eq!(code, 0);
    assert_eq!(v["kind"], "Summary");
    assert_eq!(v["graph"]["roleBindings"], 2);
    let (code, out, _) = run(&["completions", "bash"]);
    assert_eq!(code, 0);
    assert!(out.contains("rbacgraph"));
}

/// Every `rbacgraph …` command line in the READMEs runs (answering yes/no or
/// found/none, never an error).
#[test]
fn readme_commands_run() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR"));
    let mut ran = 0;
    for readme in ["README.md", "examples/clusters/demo/README.md"] {
        let Ok(text) = std::fs::read_to_string(root.join(readme)) else {
            continue;
        };
        let mut in_sh = false;
        for line in text.lines() {
            if line.starts_with("```") {
                in_sh = line == "```sh";
                continue;
            }
            let line = line.trim();
            let Some(rest) = line.strip_prefix("rbacgraph ") else {
                continue;
            };
            if !in_sh
                || rest.contains(['|', '>', '<', '$'])
                || !rest.contains("examples/clusters/demo")
            {
                continue;
            }
            let args: Vec<&str> = rest.split_whitespace().collect();
            let (code, out, err) = run(&args);
            assert!(
                code == 0 || code == 1,
                "{readme}: `{line}` exited {code}: {out}{err}"
            );
            ran += 1;
        }
    }
    assert!(ran >= 8, "only {ran} README commands found");
}
