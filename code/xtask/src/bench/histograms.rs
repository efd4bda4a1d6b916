//! The two histogram benchmarks (`code/bench/benches/latency.rs` and
//! `stalls.rs`): running them, and reading the CSV file they write (its
//! format is described in `code/bench/src/report.rs`) into [`Series`].

use std::fs;
use std::path::Path;

use crate::cmd::{self, cargo};
use crate::Result;

/// The quantiles the tables show, with their column titles.
pub const TABLE_QUANTILES: [(&str, f64); 6] = [
    ("p50", 0.5),
    ("p90", 0.9),
    ("p99", 0.99),
    ("p99.9", 0.999),
    ("p99.99", 0.9999),
    ("max", 1.0),
];

/// The CSV file's header line.
pub const HEADER: &str =
    "experiment,workload,structure,threads,stall_us,period_ms,series,ops,seconds,stalls,slow,frozen,\
     stall_ops,stall_seconds,quantile,nanos";

/// A CSV file of `rows` (one per line) under [`HEADER`], for tests.
#[cfg(test)]
pub fn with_header(rows: &[&str]) -> String {
    format!("{HEADER}\n{}\n", rows.join("\n"))
}

/// One histogram of the CSV file: its key, its counts and its quantiles.
#[derive(Clone, Debug, PartialEq)]
pub struct Series {
    pub workload: String,
    pub structure: String,
    pub threads: u32,
    pub stall_us: u64,
    pub period_ms: u64,
    /// `all` (latency), or `calm`, `stalled`, `interrupted` (stalls).
    pub series: String,
    /// Operations in this histogram.
    pub ops: u64,
    /// Seconds the workers ran, over all rounds.
    pub seconds: f64,
    /// Stall signals the workers handled.
    pub stalls: u64,
    /// Operations that took at least half a stall.
    pub slow: u64,
    /// Stalls during which the other workers completed no operation.
    pub frozen: u64,
    /// Operations the other workers completed during all stalls.
    pub stall_ops: u64,
    /// How long the stalls lasted, seconds.
    pub stall_seconds: f64,
    /// `(quantile, nanoseconds)`, quantile 1 being the maximum.
    pub points: Vec<(f64, f64)>,
}

impl Series {
    /// The latency at quantile `q`, in nanoseconds.
    pub fn at(&self, q: f64) -> Option<f64> {
        self.points
            .iter()
            .find(|(quantile, _)| (quantile - q).abs() < 1e-9)
            .map(|&(_, nanos)| nanos)
    }

    /// Whether this is `structure` at `threads` threads in `series`.
    pub fn is(&self, structure: &str, threads: u32, series: &str) -> bool {
        self.structure == structure && self.threads == threads && self.series == series
    }
}

/// Runs `cargo bench -p bench --bench NAME -- --csv CSV ARGS...`, then
/// reads the file it wrote.
pub fn run(name: &str, args: Vec<String>, csv: &Path, rerun: &str) -> Result<Vec<Series>> {
    let _ = fs::remove_file(csv);
    let mut bench = cargo(["bench", "-p", "bench", "--bench", name, "--", "--csv"]);
    bench.arg(csv).args(args);
    cmd::run(&mut bench).map_err(|e| {
        format!("the {name} benchmark failed: {e}\nfix the error above, then rerun with: {rerun}")
    })?;
    let text = fs::read_to_string(csv)
        .map_err(|e| format!("could not read {}: {e}\nrerun with: {rerun}", csv.display()))?;
    parse(&text).map_err(|e| format!("{}: {e}", csv.display()))
}

/// The series of a CSV file, in file order (rows of one series follow each
/// other).
pub fn parse(text: &str) -> Result<Vec<Series>> {
    let mut lines = text.lines();
    let header = lines.next().unwrap_or_default();
    if header != HEADER {
        return Err(format!(
            "unexpected header `{header}`; was it written by code/bench?"
        ));
    }
    let mut all: Vec<Series> = Vec::new();
    for (n, line) in lines.enumerate() {
        let row = line.split(',').collect::<Vec<_>>();
        let bad = || format!("line {}: cannot read `{line}`", n + 2);
        let [_, workload, structure, threads, stall_us, period_ms, series, ops, seconds, stalls, slow, frozen, stall_ops, stall_seconds, quantile, nanos] =
            row[..]
        else {
            return Err(bad());
        };
        let point = (
            quantile.parse().map_err(|_| bad())?,
            nanos.parse().map_err(|_| bad())?,
        );
        let next = Series {
            workload: workload.to_string(),
            structure: structure.to_string(),
            threads: threads.parse().map_err(|_| bad())?,
            stall_us: stall_us.parse().map_err(|_| bad())?,
            period_ms: period_ms.parse().map_err(|_| bad())?,
            series: series.to_string(),
            ops: ops.parse().map_err(|_| bad())?,
            seconds: seconds.parse().map_err(|_| bad())?,
            stalls: stalls.parse().map_err(|_| bad())?,
            slow: slow.parse().map_err(|_| bad())?,
            frozen: frozen.parse().map_err(|_| bad())?,
            stall_ops: stall_ops.parse().map_err(|_| bad())?,
            stall_seconds: stall_seconds.parse().map_err(|_| bad())?,
            points: Vec::new(),
        };
        match all.last_mut() {
            Some(last)
                if Series {
                    points: Vec::new(),
                    ..last.clone()
                } == next =>
            {
                last.points.push(point)
            }
            _ => all.push(Series {
                points: vec![point],
                ..next
            }),
        }
    }
    Ok(all)
}

/// The distinct values of `key` over `series`, in first-seen order.
pub fn distinct<T: PartialEq>(series: &[Series], key: impl Fn(&Series) -> T) -> Vec<T> {
    let mut values = Vec::new();
    for s in series {
        let value = key(s);
        if !values.contains(&value) {
            values.push(value);
        }
    }
    values
}

/// A latency for tables and plot labels: "52 ns", "3.1 µs", "2.05 ms".
pub fn human(nanos: f64) -> String {
    if nanos < 1e3 {
        format!("{nanos:.0} ns")
    } else if nanos < 1e6 {
        format!("{:.1} µs", nanos / 1e3)
    } else if nanos < 1e9 {
        format!("{:.2} ms", nanos / 1e6)
    } else {
        format!("{:.2} s", nanos / 1e9)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn rows_group_into_series() {
        let text = with_header(&[
            "stalls,push_pop,SecVec,2,2000,20,calm,100,1.000,0,0,0,0,0.0,0.5,80.0",
            "stalls,push_pop,SecVec,2,2000,20,calm,100,1.000,0,0,0,0,0.0,1,9000.5",
            "stalls,push_pop,SecVec,2,2000,20,stalled,90,1.000,50,1,2,700,0.1,0.5,81.0",
        ]);
        let series = parse(&text).unwrap();
        assert_eq!(series.len(), 2);
        assert_eq!(series[0].points, [(0.5, 80.0), (1.0, 9000.5)]);
        assert_eq!(series[0].at(1.0), Some(9000.5));
        assert!(series[1].is("SecVec", 2, "stalled"));
        assert_eq!(
            (series[1].stalls, series[1].slow, series[1].frozen),
            (50, 1, 2)
        );
        assert_eq!((series[1].stall_ops, series[1].stall_seconds), (700, 0.1));
        assert!(parse("a,b\n").is_err());
        assert!(parse(&with_header(&["latency,x"])).is_err());
        assert_eq!(distinct(&series, |s| s.series.clone()), ["calm", "stalled"]);
    }

    #[test]
    fn latencies_read_well() {
        assert_eq!(human(52.4), "52 ns");
        assert_eq!(human(3_140.0), "3.1 µs");
        assert_eq!(human(2_050_000.0), "2.05 ms");
    }
}
