//! Writing answers: JSON/YAML documents for machines, aligned and coloured
//! tables for people. A closed pipe ends output quietly.

use std::io::{self, Write};

use anstyle::{AnsiColor, Style};
use serde::Serialize;

use crate::cli::Format;

pub const BOLD: Style = Style::new().bold();
pub const GREEN: Style = AnsiColor::Green.on_default().bold();
pub const RED: Style = AnsiColor::Red.on_default().bold();
pub const YELLOW: Style = AnsiColor::Yellow.on_default();
pub const DIM: Style = Style::new().dimmed();

/// Serialises a document as JSON or YAML. JSON is written as it is
/// serialised (a large answer is never held as text).
pub fn document<T: Serialize>(format: Format, doc: &T) -> io::Result<()> {
    if format != Format::Yaml {
        return crate::timings::time("render", || {
            let mut out = io::BufWriter::with_capacity(1 << 16, io::stdout().lock());
            serde_json::to_writer_pretty(&mut out, doc).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
            out.flush()
        });
    }
    let start = std::time::Instant::now();
    let text = serde_saphyr::to_string(doc).map_err(io::Error::other)?;
    crate::timings::add("render", start.elapsed());
    write_out(&text)
}

/// Writes text to standard output (ANSI styles stripped when not a
/// terminal or when NO_COLOR is set).
pub fn write_out(text: &str) -> io::Result<()> {
    crate::timings::time("render", || {
        let mut out = anstream::stdout().lock();
        out.write_all(text.as_bytes())?;
        out.flush()
    })
}

/// Styles `text`.
pub fn paint(style: Style, text: &str) -> String {
    format!("{style}{text}{style:#}")
}

/// Aligns rows (first row is the header, printed bold) into columns.
pub fn table(rows: &[Vec<String>]) -> String {
    let aligned = rbacgraph::render::align(rows);
    let mut out = String::new();
    for (i, line) in aligned.lines().enumerate() {
        if i == 0 {
            out.push_str(&paint(BOLD, line));
        } else {
            out.push_str(line);
        }
        out.push('\n');
    }
    out
}
