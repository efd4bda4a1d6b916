//! Running the criterion benchmarks (`code/bench/benches/throughput.rs` and
//! `hazard.rs`) with the timing settings of a full or quick run.

use std::path::Path;
use std::time::SystemTime;

use crate::cmd::{self, cargo};
use crate::Result;

use super::results::{read_results, Measurement};

/// Criterion timing settings of one mode.
pub struct Settings {
    /// How many times the throughput benchmarks run; each result is the
    /// median of the passes.
    pub passes: usize,
    /// Extra arguments for the throughput benchmark binary, per pass.
    pub args: &'static [&'static str],
    /// Extra arguments for the hazard-pointer benchmark (none: its defaults).
    pub hazard_args: &'static [&'static str],
    /// Warm-up plus measurement time of one throughput benchmark, seconds.
    pub seconds_per_benchmark: f64,
    /// Warm-up plus measurement time of one hazard-pointer benchmark.
    pub seconds_per_hazard_benchmark: f64,
    /// How one pass is described in machine.md.
    pub description: &'static str,
}

/// Three short passes rather than one long one: on a shared machine the
/// noise comes and goes over minutes, and one noisy minute can halve a single
/// result. The median of passes minutes apart shrugs that off.
pub const FULL: Settings = Settings {
    passes: 3,
    args: &["--warm-up-time", "0.5", "--measurement-time", "1.5"],
    hazard_args: &[],
    seconds_per_benchmark: 2.0,
    seconds_per_hazard_benchmark: 4.0,
    description: "10 samples per benchmark after 0.5 s of warm-up, 1.5 s of measurement \
                  (the hazard-pointer benchmarks: one pass, 1 s and 3 s)",
};

pub const QUICK: Settings = Settings {
    passes: 1,
    args: &["--warm-up-time", "0.2", "--measurement-time", "0.5"],
    hazard_args: &["--warm-up-time", "0.2", "--measurement-time", "0.5"],
    seconds_per_benchmark: 0.7,
    seconds_per_hazard_benchmark: 0.7,
    description: "10 samples per benchmark after 0.2 s of warm-up, 0.5 s of measurement",
};

/// Set-up (pre-filling, dropping) and criterion's analysis add to the timed
/// part; this factor is what a run on two cores showed.
pub const OVERHEAD: f64 = 1.5;

/// Runs criterion benchmark `bench_name` of the `bench` crate with `args`
/// (and `filter`, a substring of the benchmark ids), keeping its results in
/// `criterion_dir`, and reads every result found there afterwards.
pub fn run(
    bench_name: &str,
    args: &[&str],
    filter: Option<&str>,
    criterion_dir: &Path,
    rerun: &str,
) -> Result<Vec<Measurement>> {
    let started = SystemTime::now();
    let mut bench = cargo(["bench", "-p", "bench", "--bench", bench_name, "--"]);
    bench.args(args);
    if let Some(filter) = filter {
        // Criterion takes a regular expression; escape it to a substring.
        bench.arg(regex_escape(filter));
    }
    bench.env("CRITERION_HOME", criterion_dir);
    cmd::run(&mut bench).map_err(|e| {
        format!("the benchmarks failed: {e}\nfix the error above, then rerun with: {rerun}")
    })?;
    read_results(criterion_dir, started).map_err(|e| format!("{e}\nrerun with: {rerun}"))
}

fn regex_escape(text: &str) -> String {
    let mut escaped = String::new();
    for c in text.chars() {
        if "\\.+*?()|[]{}^$#&-~".contains(c) {
            escaped.push('\\');
        }
        escaped.push(c);
    }
    escaped
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn filters_match_substrings_literally() {
        assert_eq!(regex_escape("Mutex<Vec>/2"), "Mutex<Vec>/2");
        assert_eq!(regex_escape("parking_lot::Mutex"), "parking_lot::Mutex");
        assert_eq!(regex_escape("a.b(c)"), "a\\.b\\(c\\)");
    }
}
