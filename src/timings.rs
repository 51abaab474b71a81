//! `--timings`: how long each phase took, and the peak memory, on stderr.

use std::sync::Mutex;
use std::time::{Duration, Instant};

static PHASES: Mutex<Vec<(&'static str, Duration)>> = Mutex::new(Vec::new());

/// Runs `f`, adding its duration to `phase`.
pub fn time<T>(phase: &'static str, f: impl FnOnce() -> T) -> T {
    let start = Instant::now();
    let out = f();
    add(phase, start.elapsed());
    out
}

/// Adds a duration to a phase.
pub fn add(phase: &'static str, elapsed: Duration) {
    if let Ok(mut phases) = PHASES.lock() {
        match phases.iter_mut().find(|(p, _)| *p == phase) {
            Some((_, d)) => *d += elapsed,
            None => phases.push((phase, elapsed)),
        }
    }
}

/// The report: one line per phase, the total, and the peak resident memory.
pub fn report() -> String {
    let phases = PHASES.lock().map(|p| p.clone()).unwrap_or_default();
    let mut out = String::from("timings:");
    let mut total = Duration::ZERO;
    for (phase, d) in &phases {
        out.push_str(&format!(" {phase} {:.1} ms,", d.as_secs_f64() * 1e3));
        total += *d;
    }
    out.push_str(&format!(" total {:.1} ms", total.as_secs_f64() * 1e3));
    if let Some(kib) = peak_rss_kib() {
        out.push_str(&format!("; peak memory {:.1} MiB", kib as f64 / 1024.0));
    }
    out
}

/// Peak resident set size (`VmHWM` of /proc/self/status; Linux only).
fn peak_rss_kib() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
