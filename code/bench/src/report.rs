//! The command line and the output of the two histogram benchmarks,
//! `benches/latency.rs` and `benches/stalls.rs`.
//!
//! Both write one CSV file (`--csv PATH`) that `cargo xtask bench` turns
//! into tables and plots, with one row per quantile of each histogram:
//!
//! ```text
//! experiment,workload,structure,threads,stall_us,period_ms,series,ops,seconds,stalls,slow,frozen,stall_ops,stall_seconds,quantile,nanos
//! latency,push_pop,SecVec,2,0,0,all,41563184,3.000,0,0,0,0,0.000000,0.5,52.1
//! ```
//!
//! - `series` is `all` in the latency benchmark; in the stall benchmark
//!   `calm` (the run without stalls), `stalled` (the operations of the run
//!   with stalls that no stall interrupted) or `interrupted` (those it did).
//! - `ops` counts the operations in the series' histogram, `seconds` the
//!   time the workers ran (summed over rounds), `stalls` the stall signals
//!   the workers handled, `slow` the operations in the series that took at
//!   least half a stall's length, or in the latency benchmark at least
//!   [`DESCHEDULED`] (1 ms).
//! - `frozen` counts the stalls during which the other workers completed no
//!   operation at all, `stall_ops` the operations they completed during all
//!   stalls together, and `stall_seconds` how long the stalls lasted.
//! - `quantile` 1 is the maximum; `nanos` is the latency at that quantile.

use std::fmt::Write as _;
use std::fs::File;
use std::io::{self, BufWriter, Write};
use std::path::PathBuf;
use std::time::Duration;

use hdrhistogram::Histogram;

use crate::contestants::{each_full_contestant, each_push_pop_peer, FullContestant, Visit};
use crate::timed::{measure, Clock, Outcome, Workers};
use crate::workload::Mix;

/// The quantiles written for every histogram: those the tables show (50%,
/// 90%, 99%, 99.9%, 99.99% and the maximum) and enough between them for a
/// smooth plot.
pub const QUANTILES: [f64; 12] = [
    0.5, 0.75, 0.9, 0.95, 0.99, 0.995, 0.999, 0.9995, 0.9999, 0.99995, 0.99999, 1.0,
];

/// The CSV file's header line.
pub const CSV_HEADER: &str =
    "experiment,workload,structure,threads,stall_us,period_ms,series,ops,seconds,stalls,slow,frozen,stall_ops,stall_seconds,quantile,nanos";

// ---------------------------------------------------------------------------
// Options

/// The command line of both benchmarks.
#[derive(Clone, Debug, PartialEq)]
pub struct Options {
    /// The mixes to run.
    pub mixes: Vec<Mix>,
    /// The thread counts to run at.
    pub threads: Vec<usize>,
    /// How long one run of one structure lasts.
    pub seconds: f64,
    /// How many times each structure runs (in turn with the others); the
    /// histograms of the rounds are merged.
    pub rounds: usize,
    /// Where to write the CSV file, if anywhere.
    pub csv: Option<PathBuf>,
    /// Stall lengths to try, microseconds (stall benchmark only).
    pub stall_us: Vec<u64>,
    /// Mean periods between stalls to try, milliseconds (stall benchmark
    /// only).
    pub period_ms: Vec<u64>,
    /// Stalled threads spin rather than sleep (stall benchmark only).
    pub spin: bool,
}

/// Which benchmark parses its options: they differ in defaults and in what
/// they accept.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Experiment {
    /// `benches/latency.rs`.
    Latency,
    /// `benches/stalls.rs`.
    Stalls,
}

impl Experiment {
    /// The name in the CSV file's first column.
    pub fn id(self) -> &'static str {
        match self {
            Experiment::Latency => "latency",
            Experiment::Stalls => "stalls",
        }
    }

    /// The options of a full run.
    pub fn defaults(self) -> Options {
        let (mixes, threads, seconds, rounds) = match self {
            Experiment::Latency => (Mix::ALL.to_vec(), vec![2, 4, 8, 16], 1.0, 3),
            Experiment::Stalls => (vec![Mix::PushPop], vec![2, 4], 2.0, 3),
        };
        Options {
            mixes,
            threads,
            seconds,
            rounds,
            csv: None,
            // 200 µs about every millisecond: often enough that the
            // operations a stopped lock holder delays can be counted
            // (about one stall in six stops a holder), and long enough to
            // stand out against the calm tail, which reaches some tens of
            // microseconds on a shared two-core machine.
            stall_us: vec![200],
            period_ms: vec![1],
            spin: false,
        }
    }

    fn usage(self) -> String {
        let d = self.defaults();
        let list = |v: &[usize]| v.iter().map(usize::to_string).collect::<Vec<_>>().join(",");
        let mut text = format!(
            "usage: cargo bench -p bench --bench {} -- [--quick] [--mix push_pop,read_mostly] \
             [--threads LIST] [--seconds S] [--rounds N] [--csv PATH]",
            self.id()
        );
        if self == Experiment::Stalls {
            text.push_str(" [--stall-us LIST] [--period-ms LIST] [--spin]");
        }
        let _ = write!(
            text,
            "\n\ndefaults: --mix {} --threads {} --seconds {} --rounds {}",
            d.mixes.iter().map(|m| m.id()).collect::<Vec<_>>().join(","),
            list(&d.threads),
            d.seconds,
            d.rounds
        );
        if self == Experiment::Stalls {
            let _ = write!(
                text,
                " --stall-us {} --period-ms {} (sleeping, not spinning)",
                d.stall_us[0], d.period_ms[0]
            );
        }
        text.push_str("\n--quick: one round of 0.2 s, to check that everything runs\n");
        text
    }

    /// Parses the benchmark's arguments (without the program name). `None`
    /// for `--help`, after printing the usage.
    pub fn parse(self, args: &[String]) -> Result<Option<Options>, String> {
        let mut options = self.defaults();
        let mut args = args.iter();
        while let Some(arg) = args.next() {
            let (name, inline) = match arg.split_once('=') {
                Some((name, value)) => (name, Some(value.to_string())),
                None => (arg.as_str(), None),
            };
            let mut value = || {
                inline
                    .clone()
                    .or_else(|| args.next().cloned())
                    .ok_or_else(|| format!("`{name}` needs a value\n{}", self.usage()))
            };
            let stalls_only = matches!(name, "--stall-us" | "--period-ms" | "--spin");
            if stalls_only && self != Experiment::Stalls {
                return Err(format!("`{name}` is for the stall benchmark only"));
            }
            match name {
                // `cargo bench` passes `--bench` to every benchmark binary.
                "--bench" => {}
                "--quick" => {
                    options.seconds = 0.2;
                    options.rounds = 1;
                }
                "--mix" => {
                    options.mixes = list(&value()?, |m| Mix::from_id(m).ok_or(()))
                        .map_err(|m| format!("unknown mix `{m}`: push_pop or read_mostly"))?;
                }
                "--threads" => options.threads = numbers(name, &value()?)?,
                "--seconds" => {
                    options.seconds = value()?
                        .parse()
                        .ok()
                        .filter(|s: &f64| *s > 0.0 && s.is_finite())
                        .ok_or("`--seconds` takes a positive number")?;
                }
                "--rounds" => options.rounds = number(name, &value()?)?,
                "--csv" => options.csv = Some(PathBuf::from(value()?)),
                "--stall-us" => options.stall_us = numbers(name, &value()?)?,
                "--period-ms" => options.period_ms = numbers(name, &value()?)?,
                "--spin" => options.spin = true,
                "-h" | "--help" => {
                    print!("{}", self.usage());
                    return Ok(None);
                }
                other => return Err(format!("unknown option `{other}`\n{}", self.usage())),
            }
        }
        if self == Experiment::Stalls && options.threads.contains(&1) {
            return Err(
                "the stall benchmark needs at least 2 threads: it measures the \
                        workers that were not stopped"
                    .to_string(),
            );
        }
        Ok(Some(options))
    }
}

/// The comma-separated items of `text`, each converted by `item`; the
/// first item it rejects is the error.
fn list<T>(text: &str, item: impl Fn(&str) -> Result<T, ()>) -> Result<Vec<T>, String> {
    text.split(',')
        .map(|s| item(s.trim()).map_err(|()| s.to_string()))
        .collect()
}

fn number<T: std::str::FromStr + PartialOrd + From<u8>>(
    name: &str,
    text: &str,
) -> Result<T, String> {
    text.parse()
        .ok()
        .filter(|n| *n >= T::from(1))
        .ok_or_else(|| format!("`{name}` takes whole numbers from 1 up, not `{text}`"))
}

fn numbers<T: std::str::FromStr + PartialOrd + From<u8>>(
    name: &str,
    text: &str,
) -> Result<Vec<T>, String> {
    list(text, |s| number(name, s).map_err(|_| ()))
        .map_err(|s| format!("`{name}` takes whole numbers from 1 up, not `{s}`"))
}

// ---------------------------------------------------------------------------
// Running the structures in turn

/// A timed run of one structure, by function pointer, so that the
/// structures can be run in any order.
pub type Runner = fn(Mix, usize, Clock, &mut dyn FnMut(&Workers)) -> Outcome;

/// Collects each visited contestant's name and runner.
struct Runners(Vec<(&'static str, Runner)>);

impl Visit for Runners {
    fn visit<C: FullContestant>(&mut self) {
        fn run<C: FullContestant>(
            mix: Mix,
            threads: usize,
            clock: Clock,
            during: &mut dyn FnMut(&Workers),
        ) -> Outcome {
            measure::<C>(mix, threads, clock, during)
        }
        self.0.push((C::NAME, run::<C>));
    }
}

/// Every full contestant's name and runner, `SecVec` first.
pub fn runners() -> Vec<(&'static str, Runner)> {
    let mut runners = Runners(Vec::new());
    each_full_contestant(&mut runners);
    runners.0
}

/// The push/pop peers' names and runners (see [`each_push_pop_peer`]):
/// they can run [`Mix::PushPop`] only.
pub fn push_pop_peer_runners() -> Vec<(&'static str, Runner)> {
    let mut runners = Runners(Vec::new());
    each_push_pop_peer(&mut runners);
    runners.0
}

/// The order in which round `round` runs `count` structures: each round
/// starts one later, so that none always runs first (or right after the
/// same neighbour).
pub fn round_order(round: usize, count: usize) -> impl Iterator<Item = usize> {
    (0..count).map(move |i| (round + i) % count)
}

/// `Duration` of `seconds`.
pub fn seconds(seconds: f64) -> Duration {
    Duration::from_secs_f64(seconds)
}

// ---------------------------------------------------------------------------
// Output

/// Where in the experiment a histogram belongs: the CSV file's key columns.
pub struct Key<'a> {
    /// `latency` or `stalls`.
    pub experiment: Experiment,
    /// The mix.
    pub mix: Mix,
    /// The structure's name.
    pub structure: &'a str,
    /// Worker threads.
    pub threads: usize,
    /// Stall length in microseconds (0 without stalls).
    pub stall_us: u64,
    /// Mean stall period in milliseconds (0 without stalls).
    pub period_ms: u64,
}

/// The CSV file being written, if any.
pub struct Csv(Option<BufWriter<File>>);

impl Csv {
    /// Creates the file at `path` (with its folder) and writes the header;
    /// `None` writes nothing.
    pub fn create(path: Option<&PathBuf>) -> io::Result<Csv> {
        let Some(path) = path else {
            return Ok(Csv(None));
        };
        if let Some(parent) = path.parent() {
            std::fs::create_dir_all(parent)?;
        }
        let mut file = BufWriter::new(File::create(path)?);
        writeln!(file, "{CSV_HEADER}")?;
        Ok(Csv(Some(file)))
    }

    /// One row per quantile of `histogram` (ticks of `clock`).
    pub fn write(
        &mut self,
        key: &Key<'_>,
        series: &str,
        outcome: &Outcome,
        histogram: &Histogram<u64>,
        clock: Clock,
    ) -> io::Result<()> {
        let Some(file) = &mut self.0 else {
            return Ok(());
        };
        let slow = slow_ops(histogram, clock, key.stall_us);
        let frozen = outcome.frozen();
        let (stall_ops, stall_seconds) = outcome.during_stalls();
        for q in QUANTILES {
            writeln!(
                file,
                "{},{},{},{},{},{},{series},{},{:.3},{},{slow},{frozen},{stall_ops},\
                 {stall_seconds:.6},{q},{:.1}",
                key.experiment.id(),
                key.mix.id(),
                key.structure,
                key.threads,
                key.stall_us,
                key.period_ms,
                histogram.len(),
                outcome.seconds,
                outcome.stalls,
                clock.nanos(histogram.value_at_quantile(q)),
            )?;
        }
        Ok(())
    }

    /// Flushes the file.
    pub fn finish(self) -> io::Result<()> {
        match self.0 {
            Some(mut file) => file.flush(),
            None => Ok(()),
        }
    }
}

/// How long an operation of the latency benchmark must take to count as
/// slow: far longer than any spinning or retrying takes, about as long as a
/// thread waits for a core once the scheduler has taken its own away.
pub const DESCHEDULED: Duration = Duration::from_millis(1);

/// The operations in `histogram` that took at least half a stall of
/// `stall_us` microseconds, or without stalls (`stall_us` 0, the latency
/// benchmark) at least [`DESCHEDULED`].
pub fn slow_ops(histogram: &Histogram<u64>, clock: Clock, stall_us: u64) -> u64 {
    let threshold = match stall_us {
        0 => clock.ticks_in(DESCHEDULED),
        _ => clock.ticks_in(Duration::from_micros(stall_us)) / 2,
    };
    histogram.count_between(threshold.max(1), u64::MAX)
}

/// A latency for people: "52 ns", "3.1 µs", "2.05 ms".
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

/// One line of percentiles: "p50 52 ns  p90 ...  max 2.05 ms".
pub fn percentiles(histogram: &Histogram<u64>, clock: Clock) -> String {
    if histogram.is_empty() {
        return "no operations".to_string();
    }
    let mut line = String::new();
    for (label, q) in [
        ("p50", 0.5),
        ("p90", 0.9),
        ("p99", 0.99),
        ("p99.9", 0.999),
        ("p99.99", 0.9999),
        ("max", 1.0),
    ] {
        let _ = write!(
            line,
            "  {label} {:>9}",
            human(clock.nanos(histogram.value_at_quantile(q)))
        );
    }
    line
}

/// The process's arguments without the program name, parsed for
/// `experiment`; exits on `--help` or an error.
pub fn options_from_env(experiment: Experiment) -> Options {
    let args: Vec<String> = std::env::args().skip(1).collect();
    match experiment.parse(&args) {
        Ok(Some(options)) => options,
        Ok(None) => std::process::exit(0),
        Err(message) => {
            eprintln!("error: {message}");
            std::process::exit(2);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn args(line: &str) -> Vec<String> {
        line.split_whitespace().map(str::to_string).collect()
    }

    #[test]
    fn options_parse() {
        let o = Experiment::Latency
            .parse(&args("--quick --threads 2,4 --mix=read_mostly --bench"))
            .unwrap()
            .unwrap();
        assert_eq!(o.threads, [2, 4]);
        assert_eq!(o.mixes, [Mix::ReadMostly]);
        assert_eq!((o.seconds, o.rounds), (0.2, 1));
        let o = Experiment::Stalls
            .parse(&args("--stall-us 100,1000 --period-ms 5 --spin"))
            .unwrap()
            .unwrap();
        assert_eq!(
            (o.stall_us, o.period_ms, o.spin),
            (vec![100, 1000], vec![5], true)
        );
        assert!(Experiment::Latency.parse(&args("--spin")).is_err());
        assert!(Experiment::Stalls.parse(&args("--threads 1,2")).is_err());
        assert!(Experiment::Latency.parse(&args("--threads 1")).is_ok());
        assert!(Experiment::Latency.parse(&args("--threads 0")).is_err());
        assert!(Experiment::Latency.parse(&args("--mix push")).is_err());
        assert!(Experiment::Latency.parse(&args("--rounds")).is_err());
    }

    #[test]
    fn rounds_rotate() {
        assert_eq!(round_order(1, 3).collect::<Vec<_>>(), [1, 2, 0]);
    }

    #[test]
    fn latencies_read_well() {
        assert_eq!(human(52.4), "52 ns");
        assert_eq!(human(3_140.0), "3.1 µs");
        assert_eq!(human(2_050_000.0), "2.05 ms");
    }
}
