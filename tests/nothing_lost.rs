//! Nothing lost: in lenient mode, for any mix of good and bad documents
//! (and lists of good and bad items), every good object loads, every bad
//! document or item is reported at its document (and item) index, and
//! `loaded + skipped + failed` is exactly the number of objects read.

#![allow(
    clippy::unwrap_used,
    clippy::expect_used,
    clippy::panic,
    reason = "test code: a failure should panic"
)]

use proptest::prelude::*;
use rbacgraph::{RbacGraph, Severity};

/// One document of the generated stream.
#[derive(Clone, Debug)]
enum Doc {
    /// A ServiceAccount (loaded).
    Good,
    /// A ConfigMap (skipped: a kind rbacgraph does not use).
    Skipped,
    /// YAML that does not parse.
    BadSyntax,
    /// A Role whose `rules` is not a list.
    BadField,
    /// A mapping without `kind`.
    NoKind,
    /// A scalar, not a mapping.
    Scalar,
    /// Bytes that are not UTF-8.
    NotUtf8,
    /// Only a comment: not a document at all.
    Comment,
    /// A `List` of good (`true`) and bad (`false`) items.
    List(Vec<bool>),
}

fn doc() -> impl Strategy<Value = Doc> {
    prop_oneof![
        4 => Just(Doc::Good),
        1 => Just(Doc::Skipped),
        1 => Just(Doc::BadSyntax),
        1 => Just(Doc::BadField),
        1 => Just(Doc::NoKind),
        1 => Just(Doc::Scalar),
        1 => Just(Doc::NotUtf8),
        1 => Just(Doc::Comment),
        1 => prop::collection::vec(any::<bool>(), 0..6).prop_map(Doc::List),
    ]
}

/// What a stream should load to.
#[derive(Debug, Default, PartialEq, Eq)]
struct Expected {
    documents: usize,
    loaded: usize,
    skipped: usize,
    failed: usize,
    /// `(document, item)` of every failure.
    failures: Vec<(usize, Option<usize>)>,
    /// Names of the service accounts that must load.
    good: Vec<String>,
}

fn sa(name: &str) -> String {
    format!("{{apiVersion: v1, kind: ServiceAccount, metadata: {{name: {name}, namespace: ci}}}}")
}

/// The stream's bytes and what it should load to.
fn render(docs: &[Doc]) -> (Vec<u8>, Expected) {
    let mut out = Vec::new();
    let mut e = Expected::default();
    for (i, d) in docs.iter().enumerate() {
        out.extend_from_slice(b"---\n");
        let index = e.documents;
        let fail = |e: &mut Expected, item| {
            e.failed += 1;
            e.failures.push((index, item));
        };
        match d {
            Doc::Comment => {
                out.extend_from_slice(b"# nothing here\n");
                continue;
            }
            Doc::Good => {
                let name = format!("sa-{i}");
                out.extend_from_slice(sa(&name).as_bytes());
                e.loaded += 1;
                e.good.push(name);
            }
            Doc::Skipped => {
                out.extend_from_slice(b"{apiVersion: v1, kind: ConfigMap, metadata: {name: c}}");
                e.skipped += 1;
            }
            Doc::BadSyntax => {
                out.extend_from_slice(b"kind: ServiceAccount\nmetadata: {name: [x");
                fail(&mut e, None);
            }
            Doc::BadField => {
                out.extend_from_slice(
                    b"{apiVersion: rbac.authorization.k8s.io/v1, kind: Role, metadata: {name: r, namespace: ci}, rules: nope}",
                );
                fail(&mut e, None);
            }
            Doc::NoKind => {
                out.extend_from_slice(b"{apiVersion: v1, metadata: {name: x}}");
                fail(&mut e, None);
            }
            Doc::Scalar => {
                out.extend_from_slice(b"just words");
                fail(&mut e, None);
            }
            Doc::NotUtf8 => {
                out.extend_from_slice(b"kind: ServiceAccount\nmetadata: {name: \xff\xfe}");
                fail(&mut e, None);
            }
            Doc::List(items) => {
                out.extend_from_slice(b"apiVersion: v1\nkind: List\n");
                out.extend_from_slice(if items.is_empty() {
                    b"items: []\n"
                } else {
                    b"items:\n"
                });
                for (j, good) in items.iter().enumerate() {
                    if *good {
                        let name = format!("sa-{i}-{j}");
                        out.extend_from_slice(format!("- {}\n", sa(&name)).as_bytes());
                        e.loaded += 1;
                        e.good.push(name);
                    } else {
                        out.extend_from_slice(
                            b"- {apiVersion: v1, kind: ServiceAccount, metadata: [1]}\n",
                        );
                        fail(&mut e, Some(j));
                    }
                }
            }
        }
        out.push(b'\n');
        e.documents += 1;
    }
    (out, e)
}

proptest! {
    #![proptest_config(ProptestConfig {
        cases: 200,
        failure_persistence: None,
        ..ProptestConfig::default()
    })]

    #[test]
    fn every_good_object_loads_and_every_bad_one_is_reported(docs in prop::collection::vec(doc(), 0..40)) {
        let (bytes, expected) = render(&docs);
        let g = RbacGraph::builder().load_bytes("mix.yaml", &bytes).build().unwrap();
        let s = g.load_summary();
        prop_assert_eq!(s.documents, expected.documents);
        prop_assert_eq!(s.loaded_total(), expected.loaded);
        prop_assert_eq!(s.skipped_total(), expected.skipped);
        prop_assert_eq!(s.failed, expected.failed);
        let mut failures: Vec<(usize, Option<usize>)> = g
            .diagnostics()
            .iter()
            .filter(|d| d.severity == Severity::Error)
            .map(|d| (d.source.document, d.source.item))
            .collect();
        failures.sort();
        prop_assert_eq!(failures, expected.failures);
        for d in g.diagnostics() {
            prop_assert_eq!(d.source.file.as_ref(), "mix.yaml");
            prop_assert!(d.source.line.is_some(), "{}", d);
        }
        let mut names: Vec<&str> = g.service_accounts().iter().map(|a| a.name.as_str()).collect();
        names.sort_unstable();
        let mut good: Vec<&str> = expected.good.iter().map(String::as_str).collect();
        good.sort_unstable();
        prop_assert_eq!(names, good);
    }
}
