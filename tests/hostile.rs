//! Hostile input: alias bombs, amplification, deep nesting, a 100 MB
//! document, huge numbers of documents, binary garbage and invalid UTF-8.
//! Each is rejected with a clear error (file, document, line or object) or
//! loaded, never a panic, a hang or unbounded memory. The inputs are made
//! here (deterministically), not committed, except the small alias bomb.
//!
//! Memory is checked through the CLI, run as a child under an address-space
//! limit (`ulimit -v`) of the input's size plus 256 MiB: a deterministic
//! bound, not a timing.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

use std::path::PathBuf;
use std::process::Command;

use rbacgraph::load::{MAX_DIAGNOSTICS, MAX_OBJECT_BYTES};
use rbacgraph::{Diagnostic, RbacGraph, Severity};

fn load(label: &str, bytes: &[u8]) -> RbacGraph {
    RbacGraph::builder()
        .load_bytes(label, bytes)
        .build()
        .unwrap()
}

/// The one diagnostic of a load that failed as a whole: one document read,
/// nothing loaded, one failure.
fn single_error(g: &RbacGraph) -> &Diagnostic {
    let s = g.load_summary();
    assert_eq!(
        (s.documents, s.loaded_total(), s.failed),
        (1, 0, 1),
        "{s:?}"
    );
    assert_eq!(g.diagnostics().len(), 1, "{:?}", g.diagnostics());
    let d = &g.diagnostics()[0];
    assert_eq!(d.severity, Severity::Error);
    d
}

const BILLION_LAUGHS: &str = include_str!("fixtures/hostile/billion-laughs.yaml");

/// A ClusterRole of about 500 KB whose 100 000 rules are aliases of one
/// rule with 200 verbs: 20 million verbs once expanded.
fn amplified_cluster_role() -> String {
    let verbs: Vec<String> = (0..200).map(|i| format!("verb{i}")).collect();
    let mut s = String::from(
        "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: amplified}\nrules:\n",
    );
    s.push_str(&format!(
        "- &r {{apiGroups: ['*'], resources: ['*'], verbs: [{}]}}\n",
        verbs.join(", ")
    ));
    s.push_str(&"- *r\n".repeat(100_000));
    s
}

/// A ClusterRole of `rules` identical rules, as YAML or JSON.
fn huge_cluster_role(rules: usize, json: bool) -> String {
    if json {
        let rule = r#"{"apiGroups":[""],"resources":["pods","secrets"],"verbs":["get","list"]}"#;
        format!(
            r#"{{"apiVersion":"rbac.authorization.k8s.io/v1","kind":"ClusterRole","metadata":{{"name":"huge"}},"rules":[{}]}}"#,
            vec![rule; rules].join(",")
        )
    } else {
        let mut s = String::from(
            "apiVersion: rbac.authorization.k8s.io/v1\nkind: ClusterRole\nmetadata: {name: huge}\nrules:\n",
        );
        s.push_str(
            &"- {apiGroups: [''], resources: [pods, secrets], verbs: [get, list]}\n".repeat(rules),
        );
        s
    }
}

/// A YAML `List` of one ServiceAccount and a ClusterRole of `rules` rules.
fn list_with_huge_item(rules: usize) -> String {
    let mut s = String::from(
        "apiVersion: v1\nkind: List\nitems:\n\
         - {apiVersion: v1, kind: ServiceAccount, metadata: {name: ok, namespace: ci}}\n\
         - apiVersion: rbac.authorization.k8s.io/v1\n  kind: ClusterRole\n  metadata: {name: huge}\n  rules:\n",
    );
    s.push_str(
        &"  - {apiGroups: [''], resources: [pods, secrets], verbs: [get, list]}\n".repeat(rules),
    );
    s
}

/// Deterministic pseudo-random bytes (xorshift64).
fn garbage(len: usize, mut seed: u64) -> Vec<u8> {
    (0..len)
        .map(|_| {
            seed ^= seed << 13;
            seed ^= seed >> 7;
            seed ^= seed << 17;
            seed.to_le_bytes()[0]
        })
        .collect()
}

#[test]
fn billion_laughs_is_rejected_as_an_alias_bomb() {
    let g = load("laughs.yaml", BILLION_LAUGHS.as_bytes());
    let d = single_error(&g);
    assert_eq!(
        d.message,
        "invalid YAML: aliases expand the document to more than twice its size (an alias bomb?)"
    );
    assert_eq!(d.source.file.as_ref(), "laughs.yaml");
    assert!(d.source.line.is_some());
}

#[test]
fn a_500_kb_role_of_100000_aliased_rules_is_rejected() {
    let text = amplified_cluster_role();
    assert!((450_000..600_000).contains(&text.len()), "{}", text.len());
    let g = load("amplified.yaml", text.as_bytes());
    let d = single_error(&g);
    assert!(d.message.contains("alias bomb"), "{}", d.message);
    // The parser stops where the budget runs out, well inside the rules.
    let line = d.source.line.unwrap();
    assert!(line > 5 && line < 100_005, "line {line}");
}

#[test]
fn nesting_10000_deep_is_rejected() {
    let block = format!("{}x\n", "- ".repeat(10_000));
    let g = load("deep-block.yaml", block.as_bytes());
    let d = single_error(&g);
    assert_eq!(
        d.message,
        "invalid YAML: nested too deeply (more than 64 levels)"
    );
    let flow = format!("{}1{}", "{a: ".repeat(10_000), "}".repeat(10_000));
    let g = load("deep-flow.yaml", flow.as_bytes());
    single_error(&g);
    let seq = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let g = load("deep-seq.yaml", seq.as_bytes());
    assert_eq!(g.load_summary().loaded_total(), 0);
    assert!(g.load_summary().failed >= 1);
    let json = format!("{}1{}", r#"{"a":"#.repeat(10_000), "}".repeat(10_000));
    let g = load("deep.json", json.as_bytes());
    single_error(&g);
    let json = format!("{}{}", "[".repeat(10_000), "]".repeat(10_000));
    let g = load("deep-array.json", json.as_bytes());
    assert_eq!(g.load_summary().loaded_total(), 0);
    assert!(g.load_summary().failed >= 1);
}

#[test]
fn an_object_larger_than_the_api_server_accepts_is_refused_unread() {
    // 100 MB of JSON: refused before its fields are decoded.
    let json = huge_cluster_role(1_400_000, true);
    assert!(json.len() > 100_000_000, "{}", json.len());
    let g = load("huge.json", json.as_bytes());
    let d = single_error(&g);
    assert_eq!(d.object.as_deref(), Some("ClusterRole huge"));
    assert!(
        d.message.ends_with("no Kubernetes object is larger than 4 MiB (the API server's request limit is 3 MiB), so it is not loaded"),
        "{}",
        d.message
    );
    // YAML just over the limit: the same, with its line.
    let yaml = huge_cluster_role(MAX_OBJECT_BYTES / 60, false);
    assert!(yaml.len() > MAX_OBJECT_BYTES);
    let g = load("huge.yaml", yaml.as_bytes());
    let d = single_error(&g);
    assert_eq!(d.object.as_deref(), Some("ClusterRole huge"));
    assert_eq!(d.source.line, Some(1));
}

#[test]
fn a_list_larger_than_one_object_loads_item_by_item() {
    let mut yaml = String::from("apiVersion: v1\nkind: List\nitems:\n");
    let mut n = 0;
    while yaml.len() <= MAX_OBJECT_BYTES {
        yaml.push_str(&format!(
            "- {{apiVersion: v1, kind: ServiceAccount, metadata: {{name: sa{n}, namespace: ci}}}}\n\
             - {{apiVersion: v1, kind: ConfigMap, metadata: {{name: c{n}, namespace: ci}}, data: {{k: v}}}}\n"
        ));
        n += 1;
    }
    yaml.push_str("- {apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r, namespace: ci}, rules: [{verbs: 1}]}\n");
    let g = load("big-list.yaml", yaml.as_bytes());
    let s = g.load_summary();
    assert_eq!(s.documents, 1);
    assert_eq!(s.loaded_total(), n);
    assert_eq!(s.skipped_total(), n);
    assert_eq!(s.failed, 1);
    let d = &g.diagnostics()[0];
    assert_eq!(d.source.item, Some(2 * n));
    assert_eq!(d.object.as_deref(), Some("Role ci/r"));
    assert_eq!(d.field.as_deref(), Some("rules[0].verbs"));
}

#[test]
fn a_list_item_larger_than_any_object_is_refused() {
    let yaml = list_with_huge_item(120_000);
    assert!(yaml.len() > MAX_OBJECT_BYTES);
    let g = load("list.yaml", yaml.as_bytes());
    let s = g.load_summary();
    assert_eq!((s.documents, s.loaded_total(), s.failed), (1, 1, 1));
    let d = &g.diagnostics()[0];
    assert_eq!(d.source.item, Some(1));
    assert!(
        d.message.starts_with("has more than 524288 nodes"),
        "{}",
        d.message
    );
}

#[test]
fn many_documents_all_load() {
    let text: String = (0..50_000)
        .map(|i| format!("---\napiVersion: v1\nkind: ServiceAccount\nmetadata: {{name: sa{i}, namespace: ci}}\n"))
        .collect();
    let g = load("many.yaml", text.as_bytes());
    let s = g.load_summary();
    assert_eq!(
        (s.documents, s.loaded_total(), s.failed),
        (50_000, 50_000, 0)
    );
    assert_eq!(g.service_accounts().len(), 50_000);
}

#[test]
fn a_flood_of_broken_documents_is_counted_and_its_listing_capped() {
    let n = MAX_DIAGNOSTICS + 20_000;
    let text = "---\nnot an object\n".repeat(n);
    let g = load("flood.yaml", text.as_bytes());
    let s = g.load_summary();
    assert_eq!((s.documents, s.failed, s.loaded_total()), (n, n, 0));
    assert_eq!(g.diagnostics().len(), MAX_DIAGNOSTICS + 1);
    assert_eq!(s.unlisted, 20_000);
    let last = g.diagnostics().last().unwrap();
    assert_eq!(last.severity, Severity::Warning);
    assert_eq!(
        last.message,
        "20000 more problem(s) after the first 100000 are counted in the summary but not listed"
    );
    // Markers alone are not documents.
    let g = load("markers.yaml", "---\n".repeat(500_000).as_bytes());
    assert_eq!(g.load_summary().documents, 0);
    assert!(g.diagnostics().is_empty());
}

#[test]
fn binary_garbage_is_one_error() {
    let bytes = garbage(1 << 20, 0x9E37_79B9_7F4A_7C15);
    let g = load("garbage.bin", &bytes);
    let s = g.load_summary();
    assert_eq!(s.loaded_total(), 0);
    assert!(s.failed >= 1 && s.failed == s.documents, "{s:?}");
    assert!(
        g.diagnostics()
            .iter()
            .all(|d| d.severity == Severity::Error && d.message.starts_with("not UTF-8 text")),
        "{:?}",
        g.diagnostics().first()
    );
}

#[test]
fn invalid_utf8_loses_only_its_document() {
    let mut bytes =
        b"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ok, namespace: ci}\n---\n"
            .to_vec();
    bytes.extend_from_slice(
        b"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: \xff\xfe, namespace: ci}\n---\n",
    );
    bytes.extend_from_slice(
        b"apiVersion: v1\nkind: ServiceAccount\nmetadata: {name: ok2, namespace: ci}\n",
    );
    let g = load("mixed.yaml", &bytes);
    let s = g.load_summary();
    assert_eq!((s.documents, s.loaded_total(), s.failed), (3, 2, 1));
    let d = &g.diagnostics()[0];
    assert_eq!((d.source.document, d.source.line), (1, Some(7)));
    assert!(d.message.starts_with("not UTF-8 text"), "{}", d.message);
}

/// A scratch file under Cargo's per-test temporary directory.
fn scratch(name: &str, bytes: &[u8]) -> PathBuf {
    let dir = PathBuf::from(env!("CARGO_TARGET_TMPDIR")).join("hostile");
    std::fs::create_dir_all(&dir).unwrap();
    let path = dir.join(name);
    std::fs::write(&path, bytes).unwrap();
    path
}

/// Runs `rbacgraph -f PATH summary -o json` with at most the file's size
/// plus 256 MiB of address space; returns the summary.
fn summary_within_memory(path: &std::path::Path) -> serde_json::Value {
    let len = std::fs::metadata(path).unwrap().len();
    let limit_kib = (len + (256 << 20)) / 1024;
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {limit_kib} && exec \"$0\" -f \"$1\" summary -o json"
        ))
        .arg(env!("CARGO_BIN_EXE_rbacgraph"))
        .arg(path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert!(
        out.status.success(),
        "{}: {:?} under {limit_kib} KiB: {stderr}",
        path.display(),
        out.status
    );
    assert!(!stderr.contains("panicked"), "{stderr}");
    serde_json::from_slice(&out.stdout).unwrap()
}

#[test]
fn hostile_inputs_stay_within_256_mib_above_their_size() {
    let flood = "---\nnot an object\n".repeat(1_000_000);
    let cases: Vec<(&str, Vec<u8>, &str)> = vec![
        (
            "laughs.yaml",
            BILLION_LAUGHS.as_bytes().to_vec(),
            "alias bomb",
        ),
        (
            "amplified.yaml",
            amplified_cluster_role().into_bytes(),
            "alias bomb",
        ),
        (
            "huge.json",
            huge_cluster_role(1_400_000, true).into_bytes(),
            "not loaded",
        ),
        (
            "huge.yaml",
            huge_cluster_role(1_400_000, false).into_bytes(),
            "not loaded",
        ),
        ("flood.yaml", flood.into_bytes(), "not counted"),
        (
            "huge-item.yaml",
            list_with_huge_item(1_300_000).into_bytes(),
            "524288 nodes",
        ),
        ("garbage.bin", garbage(50 << 20, 7), "not UTF-8"),
        (
            "deep.yaml",
            format!("{}1{}", "{a: ".repeat(10_000), "}".repeat(10_000)).into_bytes(),
            "",
        ),
    ];
    for (name, bytes, message) in cases {
        let path = scratch(name, &bytes);
        drop(bytes);
        let summary = summary_within_memory(&path);
        let load = &summary["load"];
        assert!(load["failed"].as_u64().unwrap() >= 1, "{name}: {load}");
        let diagnostics = summary["diagnostics"].as_array().unwrap();
        assert!(!diagnostics.is_empty(), "{name}");
        if message != "not counted" {
            let first = diagnostics[0]["message"].as_str().unwrap();
            assert!(first.contains(message), "{name}: {first}");
        } else {
            assert_eq!(
                load["unlisted"],
                1_000_000 - MAX_DIAGNOSTICS as u64,
                "{name}"
            );
        }
        std::fs::remove_file(&path).unwrap();
    }
}

/// 4 GB of audit-log lines gzipped into a few MB.
fn gzip_bomb() -> Vec<u8> {
    use std::io::Write;
    let line = br#"{"kind":"Event","apiVersion":"audit.k8s.io/v1","auditID":"x","stage":"ResponseComplete","verb":"get","requestURI":"/api/v1/namespaces/a/pods/b","user":{"username":"bob"},"objectRef":{"resource":"pods","namespace":"a","name":"b","apiVersion":"v1"},"responseStatus":{"code":200}}"#;
    let mut block = Vec::new();
    while block.len() < 1 << 20 {
        block.extend_from_slice(line);
        block.push(b'\n');
    }
    let mut gz = flate2::write::GzEncoder::new(Vec::new(), flate2::Compression::best());
    for _ in 0..4096 {
        gz.write_all(&block).unwrap();
    }
    gz.finish().unwrap()
}

#[test]
fn a_gzip_bomb_audit_log_is_cut_off() {
    let bomb = gzip_bomb();
    assert!(bomb.len() < 32 << 20, "{}", bomb.len());
    let path = scratch("bomb.log.gz", &bomb);
    let limit_kib = (bomb.len() as u64 + (256 << 20)) / 1024;
    let out = Command::new("sh")
        .arg("-c")
        .arg(format!(
            "ulimit -v {limit_kib} && exec \"$0\" -f \"$1\" -o json usage --audit-log \"$2\""
        ))
        .arg(env!("CARGO_BIN_EXE_rbacgraph"))
        .arg("tests/fixtures/cli/cluster.yaml")
        .arg(&path)
        .output()
        .unwrap();
    let stderr = String::from_utf8_lossy(&out.stderr);
    assert_eq!(out.status.code(), Some(0), "{stderr}");
    assert!(
        stderr.contains("gzip stream expands beyond 128 MiB (a decompression bomb?)"),
        "{stderr}"
    );
    std::fs::remove_file(&path).unwrap();
}
