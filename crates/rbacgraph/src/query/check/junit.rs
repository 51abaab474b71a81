//! JUnit XML output of a check, as CI systems show test results: one test
//! suite per policy, one test case per assertion, a `<failure>` with every
//! violation and its evidence (the first [`JUNIT_VIOLATIONS`] of them; the
//! text says how many more `-o json` lists). With `--against`, a test case
//! fails only on violations the change introduces; the ones already there
//! are listed in its `<system-out>`. Warnings go to the suite's
//! `<system-err>`.
//!
//! The shape follows Jenkins' `junit-10.xsd` (xunit-plugin), which
//! `tests/check.rs` validates against; time attributes are `0` (the check
//! is one evaluation, not timed per assertion).

use std::io;

use quick_xml::Writer;
use quick_xml::events::BytesText;

use super::{AssertionResult, CheckReport, Violation};

/// How many violations one test case's text details.
pub const JUNIT_VIOLATIONS: usize = 50;

/// Text as XML 1.0 may carry it: characters it forbids (most C0 controls,
/// unpaired surrogates cannot occur in `str`, U+FFFE and U+FFFF) become
/// U+FFFD.
fn xml_text(s: &str) -> String {
    s.chars()
        .map(|c| match c {
            '\t' | '\n' | '\r' => c,
            '\u{0}'..='\u{1f}' | '\u{fffe}' | '\u{ffff}' => '\u{fffd}',
            _ => c,
        })
        .collect()
}

fn violation_text(out: &mut String, v: &Violation) {
    out.push_str("- ");
    out.push_str(&v.message);
    out.push('\n');
    for line in v.evidence_lines() {
        out.push_str("    ");
        out.push_str(&line);
        out.push('\n');
    }
}

fn violations_text<'a>(violations: impl Iterator<Item = &'a Violation>) -> String {
    let all: Vec<&Violation> = violations.collect();
    let mut out = String::new();
    for v in all.iter().take(JUNIT_VIOLATIONS) {
        violation_text(&mut out, v);
    }
    if all.len() > JUNIT_VIOLATIONS {
        out.push_str(&format!(
            "… and {} more violation(s); `-o json` lists every one\n",
            all.len() - JUNIT_VIOLATIONS
        ));
    }
    out
}

/// The violations a test case fails on: with `--against`, the new ones.
fn failing(r: &AssertionResult) -> impl Iterator<Item = &Violation> {
    r.violations.iter().filter(|v| v.introduced.unwrap_or(true))
}

fn testcase(w: &mut Writer<Vec<u8>>, r: &AssertionResult) -> io::Result<()> {
    let failures: Vec<&Violation> = failing(r).collect();
    let known: Vec<&Violation> = r
        .violations
        .iter()
        .filter(|v| v.introduced == Some(false))
        .collect();
    let name = xml_text(&r.name);
    let policy = xml_text(&r.policy);
    let element = w
        .create_element("testcase")
        .with_attribute(("name", name.as_str()))
        .with_attribute(("classname", policy.as_str()))
        .with_attribute(("time", "0"));
    let mut out_text = format!("{}\n{} of {}\n", r.message, r.field, r.source);
    if !known.is_empty() {
        out_text.push_str(&format!(
            "{} violation(s) already in the current snapshot:\n",
            known.len()
        ));
        out_text.push_str(&violations_text(known.iter().copied()));
    }
    if let Some(resolved) = r.resolved.as_ref().filter(|v| !v.is_empty()) {
        out_text.push_str(&format!(
            "{} violation(s) the change removes:\n",
            resolved.len()
        ));
        for v in resolved.iter().take(JUNIT_VIOLATIONS) {
            out_text.push_str(&format!("- {}\n", v.message));
        }
    }
    element.write_inner_content(|w| {
        if !failures.is_empty() {
            let message = if r.resolved.is_some() {
                format!("{} violation(s) introduced", failures.len())
            } else {
                format!("{} violation(s)", failures.len())
            };
            w.create_element("failure")
                .with_attribute(("message", message.as_str()))
                .with_attribute(("type", r.kind.as_str()))
                .write_text_content(BytesText::new(&xml_text(&violations_text(
                    failures.iter().copied(),
                ))))?;
        }
        w.create_element("system-out")
            .write_text_content(BytesText::new(&xml_text(&out_text)))?;
        Ok(())
    })?;
    Ok(())
}

impl CheckReport {
    /// The report as JUnit XML.
    pub fn to_junit(&self) -> String {
        // Writing to a Vec cannot fail.
        self.write_junit().unwrap_or_default()
    }

    fn write_junit(&self) -> io::Result<String> {
        let mut w = Writer::new_with_indent(Vec::new(), b' ', 2);
        w.get_mut()
            .extend_from_slice(b"<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n");
        let fails = |r: &AssertionResult| failing(r).next().is_some();
        let total = self.results.len().to_string();
        let failures = self.results.iter().filter(|r| fails(r)).count().to_string();
        // One suite per policy, in policy order (results of one policy are
        // contiguous).
        let mut suites: Vec<(&str, Vec<&AssertionResult>)> = Vec::new();
        for r in &self.results {
            match suites.last_mut() {
                Some((name, list))
                    if *name == r.policy && list.first().is_some_and(|f| f.source == r.source) =>
                {
                    list.push(r)
                }
                _ => suites.push((&r.policy, vec![r])),
            }
        }
        w.create_element("testsuites")
            .with_attribute(("name", "rbacgraph check"))
            .with_attribute(("tests", total.as_str()))
            .with_attribute(("failures", failures.as_str()))
            .with_attribute(("errors", "0"))
            .with_attribute(("time", "0"))
            .write_inner_content(|w| {
                for (name, results) in &suites {
                    let tests = results.len().to_string();
                    let failed = results.iter().filter(|r| fails(r)).count().to_string();
                    let file = results
                        .first()
                        .map(|r| xml_text(&r.source.file))
                        .unwrap_or_default();
                    let suite_name = xml_text(name);
                    let warnings: Vec<String> = self
                        .warnings
                        .iter()
                        .filter(|d| results.first().is_some_and(|r| r.source == d.source))
                        .map(ToString::to_string)
                        .collect();
                    w.create_element("testsuite")
                        .with_attribute(("name", suite_name.as_str()))
                        .with_attribute(("tests", tests.as_str()))
                        .with_attribute(("failures", failed.as_str()))
                        .with_attribute(("errors", "0"))
                        .with_attribute(("skipped", "0"))
                        .with_attribute(("time", "0"))
                        .with_attribute(("file", file.as_str()))
                        .write_inner_content(|w| {
                            for r in results {
                                testcase(w, r)?;
                            }
                            if !warnings.is_empty() {
                                w.create_element("system-err").write_text_content(
                                    BytesText::new(&xml_text(&(warnings.join("\n") + "\n"))),
                                )?;
                            }
                            Ok(())
                        })?;
                }
                Ok(())
            })?;
        let mut bytes = w.into_inner();
        bytes.push(b'\n');
        String::from_utf8(bytes).map_err(io::Error::other)
    }
}
