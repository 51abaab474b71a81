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
            let mut ser = serde_json::Serializer::with_formatter(&mut out, Shallow::new());
            doc.serialize(&mut ser).map_err(io::Error::from)?;
            out.write_all(b"\n")?;
            out.flush()
        });
    }
    let start = std::time::Instant::now();
    let text = serde_saphyr::to_string(doc).map_err(io::Error::other)?;
    crate::timings::add("render", start.elapsed());
    write_out(&text)
}

/// JSON indented down to [`Shallow::LIMIT`] levels, each deeper value on
/// one line: the outline of a document stays readable (one fix, one
/// principal, one object per line) while a large one stays about as small as
/// compact JSON.
struct Shallow {
    depth: usize,
    pretty: serde_json::ser::PrettyFormatter<'static>,
}

impl Shallow {
    const LIMIT: usize = 4;

    fn new() -> Shallow {
        Shallow {
            depth: 0,
            pretty: serde_json::ser::PrettyFormatter::new(),
        }
    }

    /// Whether the current container is written compactly.
    fn flat(&self) -> bool {
        self.depth > Self::LIMIT
    }
}

impl serde_json::ser::Formatter for Shallow {
    fn begin_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        if self.flat() {
            w.write_all(b"[")
        } else {
            self.pretty.begin_array(w)
        }
    }

    fn end_array<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        let flat = self.flat();
        self.depth -= 1;
        if flat {
            w.write_all(b"]")
        } else {
            self.pretty.end_array(w)
        }
    }

    fn begin_array_value<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if self.flat() {
            if first { Ok(()) } else { w.write_all(b",") }
        } else {
            self.pretty.begin_array_value(w, first)
        }
    }

    fn end_array_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.flat() {
            Ok(())
        } else {
            self.pretty.end_array_value(w)
        }
    }

    fn begin_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        self.depth += 1;
        if self.flat() {
            w.write_all(b"{")
        } else {
            self.pretty.begin_object(w)
        }
    }

    fn end_object<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        let flat = self.flat();
        self.depth -= 1;
        if flat {
            w.write_all(b"}")
        } else {
            self.pretty.end_object(w)
        }
    }

    fn begin_object_key<W: ?Sized + Write>(&mut self, w: &mut W, first: bool) -> io::Result<()> {
        if self.flat() {
            if first { Ok(()) } else { w.write_all(b",") }
        } else {
            self.pretty.begin_object_key(w, first)
        }
    }

    fn begin_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.flat() {
            w.write_all(b":")
        } else {
            self.pretty.begin_object_value(w)
        }
    }

    fn end_object_value<W: ?Sized + Write>(&mut self, w: &mut W) -> io::Result<()> {
        if self.flat() {
            Ok(())
        } else {
            self.pretty.end_object_value(w)
        }
    }
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
