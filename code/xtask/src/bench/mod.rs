//! `cargo xtask bench [--quick] [--passes N] [--filter SUBSTR] [--only PART,...]`:
//! run the benchmarks of `code/bench` and the memory example, and turn their
//! results into the data, tables and plots of the book's performance chapter
//! (`book/performance/`).
//!
//! One module per concern: [`options`] (the command line), [`catalog`]
//! (what the criterion benchmarks measure), [`criterion`] (running them),
//! [`results`] (reading criterion's JSON), [`tables`] (their tables),
//! [`histograms`] (running the latency and stall benchmarks and reading
//! their CSV), [`latency`] and [`stalls`] (their tables), [`plots`] (every
//! SVG), [`memory`] (the memory example) and [`machine`] (the machine).

mod catalog;
mod criterion;
mod histograms;
mod latency;
mod machine;
mod memory;
mod options;
mod plots;
mod results;
mod stalls;
mod tables;

use std::fs;
use std::path::{Path, PathBuf};

use crate::cmd::repo_root;
use crate::Result;

use catalog::{benchmark_ids, WORKLOADS};
use criterion::{FULL, OVERHEAD, QUICK};
use histograms::Series;
use options::{Options, Part};

pub const USAGE: &str =
    "bench [--quick] [--passes N] [--filter SUBSTR] [--only PART[,PART...]] [--out DIR]";
pub const ABOUT: &str = "Benchmark SecVec against Mutex<Vec>, RwLock<Vec>, \
     parking_lot and boxcar (about 20 minutes on 2 cores) and write book/performance/. \
     Parts: throughput (criterion, 3 passes; each result is the median of the passes, \
     each ratio the median of the ratios within each pass), hazard (criterion), memory, \
     latency (per-operation histograms; the push/pop mix also with SecVec + elimination, \
     crossbeam's SegQueue and a Treiber stack) and stalls (progress while a worker is stopped). \
     --quick: one short pass of everything that checks the pipeline (about 3 minutes); \
     --passes N: N throughput passes instead; --filter: only the criterion benchmarks \
     whose id (workload/implementation/threads) contains SUBSTR (and then no memory, latency or \
     stalls unless --only names them); --only: just these parts, e.g. --only latency,stalls; \
     --out DIR: write the files to DIR instead (a trial run that leaves the book alone).";

/// One of the two histogram benchmarks, and what `cargo xtask bench` makes
/// of its CSV file.
struct HistogramPart {
    part: Part,
    /// The bench target's name, and the prefix of the files written.
    name: &'static str,
    title: &'static str,
    /// Seconds per run of one structure, and rounds, in a full run
    /// (`--quick` passes `--quick`: 0.2 s, one round).
    runs: (f64, usize),
    /// What each run of a structure is, for the run line.
    each: &'static str,
    /// Seconds a full and a quick run take on two cores, without compiling.
    seconds: (f64, f64),
    table: fn(&[Series], &str) -> String,
    /// More tables from the same series, with their file names.
    extra: &'static [(&'static str, ExtraTable)],
    /// The series drawn solid, and dashed.
    lines: (&'static str, Option<&'static str>),
    /// The plots' notes under their legend.
    notes: &'static [&'static str],
}

/// A table made from a histogram benchmark's series alone.
type ExtraTable = fn(&[Series]) -> String;

/// 4 thread counts × 3 rounds of 1 s × 13 structures over the two mixes
/// (the five vectors in each; in push/pop also `SecVec` with elimination
/// and the two lock-free peers).
const LATENCY: HistogramPart = HistogramPart {
    part: Part::Latency,
    name: "latency",
    title: "latency histograms (code/bench/benches/latency.rs)",
    runs: (1.0, 3),
    each: "",
    seconds: (175.0, 16.0),
    table: latency::latency_table,
    extra: &[("latency-targets.md", latency::target_table)],
    lines: ("all", None),
    notes: &[
        "one operation at a time,",
        "every thread's histogram merged",
    ],
};

/// 2 thread counts × 5 structures × 3 rounds of a calm and a stalled run of
/// 2 s each.
const STALLS: HistogramPart = HistogramPart {
    part: Part::Stalls,
    name: "stalls",
    title: "stall benchmark (code/bench/benches/stalls.rs)",
    runs: (2.0, 3),
    each: " calm and as long with stalls",
    seconds: (130.0, 8.0),
    table: stalls::stall_table,
    extra: &[],
    lines: ("stalled", Some("calm")),
    notes: &[
        "solid: with stalls, operations",
        "no stall interrupted;",
        "dashed: without stalls",
    ],
};

const MEMORY_SECONDS: f64 = 15.0;

pub fn run(args: &[String]) -> Result {
    let Some(options) = options::parse(args)? else {
        return Ok(());
    };
    let rerun = options.rerun_line();
    let settings = if options.quick { &QUICK } else { &FULL };
    let passes = options.passes.unwrap_or(settings.passes);
    let book_dir = repo_root().join("book").join("performance");
    let mut out = Output {
        dir: options.out.clone().unwrap_or_else(|| book_dir.clone()),
        written: Vec::new(),
        rerun: rerun.clone(),
    };
    let target = target_dir();

    // Which criterion benchmarks will run.
    let ids = benchmark_ids();
    let matching = |id: &String| {
        options
            .filter
            .as_ref()
            .is_none_or(|f| id.contains(f.as_str()))
    };
    let count = |hazard: bool, part: Part| {
        let n = ids.iter().filter(|(h, id)| *h == hazard && matching(id));
        if options.runs(part) {
            n.count()
        } else {
            0
        }
    };
    let (throughput_count, hazard_count) =
        (count(false, Part::Throughput), count(true, Part::Hazard));
    let criterion_parts = options.parts.iter().any(|p| p.is_criterion());
    if criterion_parts && throughput_count + hazard_count == 0 {
        return Err(format!(
            "no benchmark id contains `{}`; ids look like `push/SecVec/2`, \
             `get/RwLock<Vec>/8`, `hazard_pointer/reused/1`",
            options.filter.as_deref().unwrap_or_default()
        ));
    }

    // What runs, and for about how long.
    let pick = |(full, quick): (f64, f64)| if options.quick { quick } else { full };
    let mut plan = Vec::new();
    let mut expected = 0.0;
    for part in &options.parts {
        let (seconds, what) = match part {
            Part::Throughput => (
                OVERHEAD * passes as f64 * throughput_count as f64 * settings.seconds_per_benchmark,
                format!(
                    "{throughput_count} throughput benchmarks (criterion) in {passes} pass{}",
                    if passes == 1 { "" } else { "es" }
                ),
            ),
            Part::Hazard => (
                OVERHEAD * hazard_count as f64 * settings.seconds_per_hazard_benchmark,
                format!("{hazard_count} hazard-pointer benchmarks (criterion)"),
            ),
            Part::Memory => (MEMORY_SECONDS, "the memory example".to_string()),
            Part::Latency => (pick(LATENCY.seconds), "the latency histograms".to_string()),
            Part::Stalls => (pick(STALLS.seconds), "the stall benchmark".to_string()),
        };
        expected += seconds;
        plan.push(what);
    }
    println!(
        "xtask: running {}; expected to take about {} plus compilation",
        plan.join(", "),
        minutes(expected)
    );
    let load = machine::load_average();
    if let Some(load) = load.filter(|l| *l > 0.5) {
        println!(
            "xtask: warning: the load average is {load:.2}; other programs compete for \
             the cores, so the numbers will be noisy"
        );
    }
    let steps = options.parts.len()
        - usize::from(options.runs(Part::Throughput) && options.runs(Part::Hazard));
    let mut step = 0;
    let mut next_step = |what: &str| {
        step += 1;
        println!("\nxtask: [{step}/{steps}] {what}");
    };

    if criterion_parts {
        next_step("criterion benchmarks");
        let criterion_dir = target.join("criterion");
        let mut runs = Vec::new();
        let filter = options.filter.as_deref();
        if throughput_count > 0 {
            for pass in 1..=passes {
                println!("\nxtask: throughput benchmarks, pass {pass} of {passes}");
                runs.push(criterion::run(
                    "throughput",
                    settings.args,
                    filter,
                    &criterion_dir,
                    &rerun,
                )?);
            }
        }
        if hazard_count > 0 {
            println!("\nxtask: hazard-pointer benchmarks");
            runs.push(criterion::run(
                "hazard",
                settings.hazard_args,
                filter,
                &criterion_dir,
                &rerun,
            )?);
        }
        println!(
            "\nxtask: reading criterion's results from {}",
            criterion_dir.display()
        );
        let measurements = results::combine(&runs);
        let stale = measurements.iter().filter(|m| !m.fresh).count();
        if stale > 0 {
            println!(
                "xtask: {stale} of {} results come from earlier runs (not selected by --filter)",
                measurements.len()
            );
        }
        write_criterion(&mut out, &measurements, &book_dir.join(tables::BASELINE))?;
        out.text(
            "machine.md",
            machine::machine(settings, passes, options.filter.as_deref(), load),
        )?;
        println!(
            "xtask: criterion's raw results are in {}",
            criterion_dir.display()
        );
        let missing = ids.len() - results::ids_found(&ids, &measurements);
        if missing > 0 {
            println!("xtask: note: {missing} benchmarks have no result yet; run without --filter");
        }
    }

    if options.runs(Part::Memory) {
        next_step("measuring memory (code/secvec/examples/memory.rs, one process per structure)");
        let memory = [
            memory::measure_memory("secvec")?,
            memory::measure_memory("vec")?,
        ];
        out.text("memory.md", memory::memory_table(&memory))?;
    }

    for part in [&LATENCY, &STALLS] {
        if options.runs(part.part) {
            next_step(part.title);
            histogram_part(part, &mut out, &options, load, &target)?;
        }
    }

    println!("\nxtask: wrote");
    for path in &out.written {
        println!("  {}", path.display());
    }
    println!("xtask: build the book with `cargo xtask book`");
    Ok(())
}

/// The files criterion's results become: the CSV file, the tables and a
/// plot per workload.
fn write_criterion(
    out: &mut Output,
    measurements: &[results::Measurement],
    baseline: &Path,
) -> Result {
    out.text("results.csv", tables::results_csv(measurements))?;
    out.text("throughput.md", tables::throughput_table(measurements))?;
    out.text("ratios.md", tables::ratio_table(measurements))?;
    out.text("targets.md", tables::target_table(measurements))?;
    out.text(
        "before-after.md",
        tables::before_after_table(measurements, baseline),
    )?;
    out.text("hazard.md", tables::hazard_table(measurements))?;
    for workload in &WORKLOADS {
        let path = out.dir.join(format!("{}.svg", workload.id));
        if plots::plot(workload, measurements, &path)? {
            out.written.push(path);
        } else {
            println!(
                "xtask: warning: no results for workload `{}`, so no plot",
                workload.id
            );
        }
    }
    Ok(())
}

/// Runs a histogram benchmark into `target/bench/<name>.csv`, and writes
/// its table, a copy of its CSV file and its plots.
fn histogram_part(
    part: &HistogramPart,
    out: &mut Output,
    options: &Options,
    load: Option<f64>,
    target: &Path,
) -> Result {
    let csv = target.join("bench").join(format!("{}.csv", part.name));
    let (seconds, rounds) = part.runs;
    let args = if options.quick {
        vec!["--quick".to_string()]
    } else {
        vec![
            "--seconds".to_string(),
            seconds.to_string(),
            "--rounds".to_string(),
            rounds.to_string(),
        ]
    };
    let rerun = out.rerun.clone();
    let series = histograms::run(part.name, args, &csv, &rerun)?;
    let run = run_line(options, load, part.runs, part.each);
    out.text(&format!("{}.md", part.name), (part.table)(&series, &run))?;
    for (file, table) in part.extra {
        out.text(file, table(&series))?;
    }
    out.copy(&csv, &format!("{}.csv", part.name))?;
    out.percentile_plots(&series, part.name, part.lines, part.notes)
}

/// How a histogram benchmark ran, below its tables: when, how long (`runs`
/// of each structure, `each` of them), the load, and how operations were
/// timed.
fn run_line(options: &Options, load: Option<f64>, runs: (f64, usize), each: &str) -> String {
    let mut line = format!(
        "Measured by `{}` on {}",
        options.rerun_line(),
        machine::today()
    );
    if options.quick {
        line.push_str(" (quick: each structure ran for 0.2 s, in one round: not for quoting)");
    } else {
        let (seconds, rounds) = runs;
        line.push_str(&format!(
            " (each structure ran for {seconds} s{each} per round, in {rounds} rounds, \
             each round starting with the next structure)"
        ));
    }
    if let Some(load) = load {
        line.push_str(&format!(", load average {load:.2} when it started"));
    }
    line.push_str(
        ". Every operation was timed with the time-stamp counter (see \
         `code/bench/src/timed.rs`), which adds about 10 ns to each; the throughput \
         shown is that of these timed runs.",
    );
    line
}

/// The book's folder of performance files, and what was written to it.
struct Output {
    dir: PathBuf,
    written: Vec<PathBuf>,
    rerun: String,
}

impl Output {
    fn create_dir(&self) -> Result {
        fs::create_dir_all(&self.dir)
            .map_err(|e| format!("could not create {}: {e}", self.dir.display()))
    }

    /// Writes `text` to the file `name`.
    fn text(&mut self, name: &str, text: String) -> Result {
        self.create_dir()?;
        let path = self.dir.join(name);
        fs::write(&path, text).map_err(|e| {
            format!(
                "could not write {}: {e}\nrerun with: {}",
                path.display(),
                self.rerun
            )
        })?;
        self.written.push(path);
        Ok(())
    }

    /// Copies the file `from` to `name`.
    fn copy(&mut self, from: &Path, name: &str) -> Result {
        let text = fs::read_to_string(from)
            .map_err(|e| format!("could not read {}: {e}", from.display()))?;
        self.text(name, text)
    }

    /// `<prefix>-<mix>.svg`, a percentile plot per mix in `series`, its
    /// caption the mix's, followed by the stall setting if there is one.
    fn percentile_plots(
        &mut self,
        series: &[Series],
        prefix: &str,
        lines: (&str, Option<&str>),
        notes: &[&str],
    ) -> Result {
        for mix in histograms::distinct(series, |s| s.workload.clone()) {
            let mut caption = catalog::workload(&mix)
                .map_or(mix.as_str(), |w| w.caption)
                .to_string();
            if let Some(s) = series.iter().find(|s| s.workload == mix && s.stall_us > 0) {
                caption.push_str(&format!(
                    "; a worker stopped for {} about every {} ms",
                    histograms::human(s.stall_us as f64 * 1e3),
                    s.period_ms
                ));
            }
            let path = self.dir.join(format!("{prefix}-{mix}.svg"));
            if plots::percentile_plot(series, &mix, &caption, lines, notes, &path)? {
                self.written.push(path);
            }
        }
        Ok(())
    }
}

/// Cargo's target folder: `$CARGO_TARGET_DIR`, else `target/` in the repo.
fn target_dir() -> PathBuf {
    match std::env::var_os("CARGO_TARGET_DIR") {
        Some(dir) if !dir.is_empty() => {
            let dir = PathBuf::from(dir);
            if dir.is_absolute() {
                dir
            } else {
                repo_root().join(dir)
            }
        }
        _ => repo_root().join("target"),
    }
}

fn minutes(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{} seconds", seconds.round())
    } else {
        format!("{} minutes", (seconds / 60.0).round())
    }
}
