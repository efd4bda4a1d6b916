//! `cargo xtask bench [--quick] [--filter SUBSTR]`: run the criterion
//! benchmarks and the memory example, and turn their results into the data,
//! tables and plots of the book's performance chapter (`book/performance/`).

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use plotters::coord::combinators::IntoLogRange;
use plotters::prelude::*;
use serde_json::Value;

use crate::cmd::{self, cargo, repo_root};
use crate::Result;

pub const USAGE: &str = "bench [--quick] [--passes N] [--filter SUBSTR]";
pub const ABOUT: &str = "Benchmark SecVec against Mutex<Vec>, RwLock<Vec>, \
     parking_lot and boxcar (about 15 minutes on 2 cores) and write book/performance/. \
     The throughput benchmarks run in 3 passes; each result is the median of the \
     passes, each ratio the median of the ratios within each pass. --quick: one \
     short pass that checks the pipeline (about 2 minutes); --passes N: N passes \
     instead; --filter: only the benchmarks whose id \
     (workload/implementation/threads) contains SUBSTR.";

/// Thread counts the throughput benchmark runs at.
const THREADS: [u32; 4] = [1, 2, 4, 8];

/// A workload of `benches/throughput.rs`: criterion group id, short title
/// (tables), plot caption, and the implementations it runs (`SecVec` first).
struct Workload {
    id: &'static str,
    title: &'static str,
    caption: &'static str,
    implementations: &'static [&'static str],
}

const SECVEC: &str = "SecVec";
const MUTEX: &str = "Mutex<Vec>";
const RWLOCK: &str = "RwLock<Vec>";
const PARKING_LOT: &str = "parking_lot::Mutex<Vec>";
const BOXCAR: &str = "boxcar::Vec";

const ALL: &[&str] = &[SECVEC, MUTEX, RWLOCK, PARKING_LOT, BOXCAR];
const NO_BOXCAR: &[&str] = &[SECVEC, MUTEX, RWLOCK, PARKING_LOT];

const WORKLOADS: [Workload; 5] = [
    Workload {
        id: "push",
        title: "push only",
        caption: "push only",
        implementations: ALL,
    },
    Workload {
        id: "pop",
        title: "pop only",
        caption: "pop only",
        implementations: NO_BOXCAR,
    },
    Workload {
        id: "push_pop",
        title: "push/pop 50/50",
        caption: "push/pop 50/50",
        implementations: NO_BOXCAR,
    },
    Workload {
        id: "read_mostly",
        title: "read-mostly",
        caption: "read-mostly: 70% get, 10% set, 15% push, 5% pop",
        implementations: NO_BOXCAR,
    },
    Workload {
        id: "get",
        title: "get only",
        caption: "get only",
        implementations: ALL,
    },
];

/// The criterion group of `benches/hazard.rs` and its cases.
const HAZARD_GROUP: &str = "hazard_pointer";
const HAZARD_CASES: [(&str, &str); 3] = [
    (
        "new_per_op",
        "fresh `HazardPointer::new()` per operation, protect, drop",
    ),
    (
        "reused",
        "one hazard pointer per thread: protect, reset protection",
    ),
    ("retire", "allocate a 64-byte object and retire it"),
];
const HAZARD_THREADS: [u32; 2] = [1, 2];

/// A performance target the project set itself: SecVec's throughput divided
/// by a peer's, in one workload at one thread count, must reach `at_least`.
struct Target {
    workload: &'static str,
    peer: &'static str,
    threads: u32,
    at_least: f64,
}

const TARGETS: [Target; 6] = [
    Target {
        workload: "push_pop",
        peer: MUTEX,
        threads: 2,
        at_least: 0.25,
    },
    Target {
        workload: "read_mostly",
        peer: MUTEX,
        threads: 2,
        at_least: 1.5,
    },
    Target {
        workload: "read_mostly",
        peer: RWLOCK,
        threads: 2,
        at_least: 1.0,
    },
    Target {
        workload: "get",
        peer: RWLOCK,
        threads: 2,
        at_least: 2.0,
    },
    Target {
        workload: "get",
        peer: BOXCAR,
        threads: 2,
        at_least: 0.3,
    },
    Target {
        workload: "push",
        peer: MUTEX,
        threads: 1,
        at_least: 0.15,
    },
];

/// Criterion timing settings of one mode.
struct Settings {
    /// How many times the throughput benchmarks run; each result is the
    /// median of the passes.
    passes: usize,
    /// Extra arguments for the throughput benchmark binary, per pass.
    args: &'static [&'static str],
    /// Extra arguments for the hazard-pointer benchmark (none: its defaults).
    hazard_args: &'static [&'static str],
    /// Warm-up plus measurement time of one throughput benchmark, seconds.
    seconds_per_benchmark: f64,
    /// Warm-up plus measurement time of one hazard-pointer benchmark.
    seconds_per_hazard_benchmark: f64,
    /// How one pass is described in machine.md.
    description: &'static str,
}

/// Three short passes rather than one long one: on a shared machine the
/// noise comes and goes over minutes, and one noisy minute can halve a single
/// result. The median of passes minutes apart shrugs that off.
const FULL: Settings = Settings {
    passes: 3,
    args: &["--warm-up-time", "0.5", "--measurement-time", "1.5"],
    hazard_args: &[],
    seconds_per_benchmark: 2.0,
    seconds_per_hazard_benchmark: 4.0,
    description: "10 samples per benchmark after 0.5 s of warm-up, 1.5 s of measurement \
                  (the hazard-pointer benchmarks: one pass, 1 s and 3 s)",
};

const QUICK: Settings = Settings {
    passes: 1,
    args: &["--warm-up-time", "0.2", "--measurement-time", "0.5"],
    hazard_args: &["--warm-up-time", "0.2", "--measurement-time", "0.5"],
    seconds_per_benchmark: 0.7,
    seconds_per_hazard_benchmark: 0.7,
    description: "10 samples per benchmark after 0.2 s of warm-up, 0.5 s of measurement",
};

/// Set-up (pre-filling, dropping) and criterion's analysis add to the timed
/// part; this factor is what a run on two cores showed.
const OVERHEAD: f64 = 1.5;

/// One measured benchmark.
#[derive(Clone, Debug)]
struct Measurement {
    group: String,
    function: String,
    threads: u32,
    /// The median of `passes`.
    ops_per_sec: f64,
    /// The result of each pass, in order (one value for a benchmark that
    /// ran once).
    passes: Vec<f64>,
    /// Whether criterion wrote it during this run (not an older one).
    fresh: bool,
}

struct Options {
    quick: bool,
    passes: Option<usize>,
    filter: Option<String>,
}

fn parse(args: &[String]) -> Result<Option<Options>> {
    let mut options = Options {
        quick: false,
        passes: None,
        filter: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--quick" => options.quick = true,
            "--filter" => {
                let value = args.next().ok_or_else(|| {
                    format!("`--filter` needs a value\nusage: cargo xtask {USAGE}")
                })?;
                options.filter = Some(value.clone());
            }
            other if other.starts_with("--filter=") => {
                options.filter = Some(other["--filter=".len()..].to_string());
            }
            "--passes" => {
                let value = args.next().ok_or_else(|| {
                    format!("`--passes` needs a number\nusage: cargo xtask {USAGE}")
                })?;
                options.passes = Some(parse_passes(value)?);
            }
            other if other.starts_with("--passes=") => {
                options.passes = Some(parse_passes(&other["--passes=".len()..])?);
            }
            "-h" | "--help" => {
                println!("usage: cargo xtask {USAGE}\n{ABOUT}");
                return Ok(None);
            }
            other => {
                return Err(format!(
                    "unknown option `{other}` for `bench`\nusage: cargo xtask {USAGE}"
                ))
            }
        }
    }
    if options.filter.as_deref() == Some("") {
        return Err("`--filter` needs a non-empty value".into());
    }
    Ok(Some(options))
}

/// A pass count between 1 and 9.
fn parse_passes(value: &str) -> Result<usize> {
    match value.parse::<usize>() {
        Ok(n @ 1..=9) => Ok(n),
        _ => Err(format!(
            "`--passes` takes a whole number from 1 to 9, not `{value}`"
        )),
    }
}

/// The command line that reruns this invocation, for error messages.
fn rerun_line(options: &Options) -> String {
    let mut line = String::from("cargo xtask bench");
    if options.quick {
        line.push_str(" --quick");
    }
    if let Some(passes) = options.passes {
        line.push_str(&format!(" --passes {passes}"));
    }
    if let Some(filter) = &options.filter {
        line.push_str(&format!(" --filter '{filter}'"));
    }
    line
}

pub fn run(args: &[String]) -> Result {
    let Some(options) = parse(args)? else {
        return Ok(());
    };
    let rerun = rerun_line(&options);
    let settings = if options.quick { &QUICK } else { &FULL };
    let out_dir = repo_root().join("book").join("performance");
    let criterion_dir = target_dir().join("criterion");

    // Which benchmarks will run, and for about how long.
    let ids = benchmark_ids();
    let matching = |id: &String| {
        options
            .filter
            .as_ref()
            .is_none_or(|f| id.contains(f.as_str()))
    };
    let throughput_count = ids
        .iter()
        .filter(|(hazard, id)| !hazard && matching(id))
        .count();
    let hazard_count = ids
        .iter()
        .filter(|(hazard, id)| *hazard && matching(id))
        .count();
    if throughput_count + hazard_count == 0 {
        return Err(format!(
            "no benchmark id contains `{}`; ids look like `push/SecVec/2`, \
             `get/RwLock<Vec>/8`, `hazard_pointer/reused/1`",
            options.filter.as_deref().unwrap_or_default()
        ));
    }
    let passes = options.passes.unwrap_or(settings.passes);
    let expected = OVERHEAD
        * (passes as f64 * throughput_count as f64 * settings.seconds_per_benchmark
            + hazard_count as f64 * settings.seconds_per_hazard_benchmark);
    println!(
        "xtask: [1/4] running {} benchmarks ({throughput_count} throughput, in {passes} \
         pass{}; {hazard_count} hazard-pointer), expected to take about {} plus compilation",
        throughput_count + hazard_count,
        if passes == 1 { "" } else { "es" },
        minutes(expected)
    );

    let load = load_average();
    if let Some(load) = load.filter(|l| *l > 0.5) {
        println!(
            "xtask: warning: the load average is {load:.2}; other programs compete for \
             the cores, so the numbers will be noisy"
        );
    }
    let run_bench = |bench_name: &str, args: &[&str], label: &str| -> Result<Vec<Measurement>> {
        println!("\nxtask: {label}");
        let started = SystemTime::now();
        let mut bench = cargo(["bench", "-p", "secvec", "--bench", bench_name, "--"]);
        bench.args(args);
        if let Some(filter) = &options.filter {
            // Criterion takes a regular expression; escape it to a substring.
            bench.arg(regex_escape(filter));
        }
        bench.env("CRITERION_HOME", &criterion_dir);
        cmd::run(&mut bench).map_err(|e| {
            format!("the benchmarks failed: {e}\nfix the error above, then rerun with: {rerun}")
        })?;
        read_results(&criterion_dir, started).map_err(|e| format!("{e}\nrerun with: {rerun}"))
    };
    let mut runs = Vec::new();
    if throughput_count > 0 {
        for pass in 1..=passes {
            runs.push(run_bench(
                "throughput",
                settings.args,
                &format!("throughput benchmarks, pass {pass} of {passes}"),
            )?);
        }
    }
    if hazard_count > 0 {
        runs.push(run_bench(
            "hazard",
            settings.hazard_args,
            "hazard-pointer benchmarks",
        )?);
    }

    println!(
        "\nxtask: [2/4] reading criterion's results from {}",
        criterion_dir.display()
    );
    let measurements = combine(&runs);
    let stale = measurements.iter().filter(|m| !m.fresh).count();
    if stale > 0 {
        println!(
            "xtask: {stale} of {} results come from earlier runs (not selected by --filter)",
            measurements.len()
        );
    }

    println!("\nxtask: [3/4] measuring memory (examples/memory.rs, one process per structure)");
    let memory = [measure_memory("secvec")?, measure_memory("vec")?];

    println!("\nxtask: [4/4] writing {}", out_dir.display());
    fs::create_dir_all(&out_dir)
        .map_err(|e| format!("could not create {}: {e}", out_dir.display()))?;
    let mut written = Vec::new();
    let mut write = |name: &str, text: String| -> Result {
        let path = out_dir.join(name);
        fs::write(&path, text).map_err(|e| {
            format!(
                "could not write {}: {e}\nrerun with: {rerun}",
                path.display()
            )
        })?;
        written.push(path);
        Ok(())
    };
    write("results.csv", results_csv(&measurements))?;
    write("throughput.md", throughput_table(&measurements))?;
    write("ratios.md", ratio_table(&measurements))?;
    write("targets.md", target_table(&measurements))?;
    write(
        "before-after.md",
        before_after_table(&measurements, &out_dir.join(BASELINE)),
    )?;
    write("hazard.md", hazard_table(&measurements))?;
    write("memory.md", memory_table(&memory))?;
    write(
        "machine.md",
        machine(settings, passes, options.filter.as_deref(), load),
    )?;
    for workload in &WORKLOADS {
        let path = out_dir.join(format!("{}.svg", workload.id));
        if plot(workload, &measurements, &path)? {
            written.push(path);
        } else {
            println!(
                "xtask: warning: no results for workload `{}`, so no plot",
                workload.id
            );
        }
    }

    println!("\nxtask: wrote");
    for path in &written {
        println!("  {}", path.display());
    }
    println!(
        "xtask: criterion's raw results are in {}; build the book with `cargo xtask book`",
        criterion_dir.display()
    );
    let missing = ids.len() - ids_found(&ids, &measurements);
    if missing > 0 {
        println!("xtask: note: {missing} benchmarks have no result yet; run without --filter");
    }
    Ok(())
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

/// Every benchmark id, flagged `true` for the hazard-pointer ones.
fn benchmark_ids() -> Vec<(bool, String)> {
    let mut ids = Vec::new();
    for workload in &WORKLOADS {
        for threads in THREADS {
            for implementation in workload.implementations {
                ids.push((false, format!("{}/{implementation}/{threads}", workload.id)));
            }
        }
    }
    for threads in HAZARD_THREADS {
        for (case, _) in HAZARD_CASES {
            ids.push((true, format!("{HAZARD_GROUP}/{case}/{threads}")));
        }
    }
    ids
}

fn ids_found(ids: &[(bool, String)], measurements: &[Measurement]) -> usize {
    ids.iter()
        .filter(|(_, id)| {
            measurements
                .iter()
                .any(|m| format!("{}/{}/{}", m.group, m.function, m.threads) == *id)
        })
        .count()
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

fn minutes(seconds: f64) -> String {
    if seconds < 90.0 {
        format!("{} seconds", seconds.round())
    } else {
        format!("{} minutes", (seconds / 60.0).round())
    }
}

// ---------------------------------------------------------------------------
// Criterion's results

/// Every `<group>/<function>/<parameter>/new/` folder under `dir` that holds
/// both `benchmark.json` and `estimates.json`.
fn read_results(dir: &Path, started: SystemTime) -> Result<Vec<Measurement>> {
    let mut folders = Vec::new();
    find_new_folders(dir, &mut folders);
    let mut measurements = Vec::new();
    for folder in folders {
        if let Some(m) = read_measurement(&folder, started)? {
            measurements.push(m);
        }
    }
    if measurements.is_empty() {
        return Err(format!(
            "found no criterion results (benchmark.json, estimates.json) under {}",
            dir.display()
        ));
    }
    measurements.sort_by(|a, b| {
        (&a.group, &a.function, a.threads).cmp(&(&b.group, &b.function, b.threads))
    });
    Ok(measurements)
}

/// One measurement per benchmark from the results read after each
/// invocation: a benchmark measured in several of them gets the median of
/// its fresh results, one that none of them ran keeps its stale result.
fn combine(runs: &[Vec<Measurement>]) -> Vec<Measurement> {
    let mut by_id: BTreeMap<(String, String, u32), Measurement> = BTreeMap::new();
    for run in runs {
        for m in run {
            let key = (m.group.clone(), m.function.clone(), m.threads);
            match by_id.get_mut(&key) {
                Some(seen) if m.fresh && seen.fresh => seen.passes.push(m.ops_per_sec),
                Some(seen) if m.fresh => *seen = m.clone(),
                Some(_) => {}
                None => {
                    by_id.insert(key, m.clone());
                }
            }
        }
    }
    by_id
        .into_values()
        .map(|mut m| {
            m.ops_per_sec = median(&m.passes);
            m
        })
        .collect()
}

/// The median of `values` (the mean of the middle two for an even count).
fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

fn find_new_folders(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if entry.file_name() == "new" && path.join("benchmark.json").is_file() {
            found.push(path);
        } else if entry.file_name() != "report" {
            find_new_folders(&path, found);
        }
    }
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("could not parse {}: {e}", path.display()))
}

/// One result, or `None` for a benchmark this xtask does not know (say, one
/// that was renamed since).
fn read_measurement(folder: &Path, started: SystemTime) -> Result<Option<Measurement>> {
    let benchmark_path = folder.join("benchmark.json");
    let estimates_path = folder.join("estimates.json");
    let benchmark = read_json(&benchmark_path)?;
    let text = |key: &str| {
        benchmark
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (Some(group), Some(function), Some(parameter)) =
        (text("group_id"), text("function_id"), text("value_str"))
    else {
        return Ok(None);
    };
    let known = WORKLOADS
        .iter()
        .any(|w| w.id == group && w.implementations.contains(&function.as_str()))
        || (group == HAZARD_GROUP && HAZARD_CASES.iter().any(|(c, _)| *c == function));
    let Ok(threads) = parameter.parse::<u32>() else {
        return Ok(None);
    };
    if !known {
        return Ok(None);
    }
    let elements = benchmark
        .pointer("/throughput/Elements")
        .and_then(Value::as_f64)
        .ok_or_else(|| {
            format!(
                "{} has no element throughput; was it written by benches/throughput.rs?",
                benchmark_path.display()
            )
        })?;
    let estimates = read_json(&estimates_path)?;
    // Criterion's own headline figure: the slope of a linear sample, else the
    // mean time per iteration (our flat samples), in nanoseconds.
    let nanos = estimates
        .pointer("/slope/point_estimate")
        .and_then(Value::as_f64)
        .or_else(|| {
            estimates
                .pointer("/mean/point_estimate")
                .and_then(Value::as_f64)
        })
        .filter(|ns| *ns > 0.0)
        .ok_or_else(|| format!("{} has no time estimate", estimates_path.display()))?;
    let fresh = fs::metadata(&estimates_path)
        .and_then(|m| m.modified())
        .map(|t| t >= started)
        .unwrap_or(false);
    Ok(Some(Measurement {
        group,
        function,
        threads,
        ops_per_sec: elements / (nanos * 1e-9),
        passes: vec![elements / (nanos * 1e-9)],
        fresh,
    }))
}

fn find<'a>(
    measurements: &'a [Measurement],
    group: &str,
    function: &str,
    threads: u32,
) -> Option<&'a Measurement> {
    measurements
        .iter()
        .find(|m| m.group == group && m.function == function && m.threads == threads)
}

/// SecVec's throughput divided by `peer`'s: the median of the passes'
/// ratios when both ran in the same passes, else the ratio of the medians.
///
/// Pairing matters on a shared machine. Within a pass the two benchmarks run
/// seconds apart, so they share whatever mood the machine is in; across
/// passes they need not. Dividing the medians can pair SecVec's fast pass
/// with the peer's slow one and report a ratio that no pass showed.
fn ratio(measurements: &[Measurement], workload: &str, peer: &str, threads: u32) -> Option<f64> {
    if let Some(ratios) = pass_ratios(measurements, workload, peer, threads) {
        return Some(median(&ratios));
    }
    let ours = find(measurements, workload, SECVEC, threads)?;
    let theirs = find(measurements, workload, peer, threads)?;
    Some(ours.ops_per_sec / theirs.ops_per_sec)
}

// ---------------------------------------------------------------------------
// Tables

fn results_csv(measurements: &[Measurement]) -> String {
    let mut csv = String::from("workload,implementation,threads,ops_per_sec\n");
    for workload in &WORKLOADS {
        for implementation in workload.implementations {
            for threads in THREADS {
                if let Some(m) = find(measurements, workload.id, implementation, threads) {
                    let _ = writeln!(
                        csv,
                        "{},{implementation},{threads},{:.0}",
                        workload.id, m.ops_per_sec
                    );
                }
            }
        }
    }
    csv
}

fn mops(ops_per_sec: f64) -> String {
    let m = ops_per_sec / 1e6;
    if m >= 100.0 {
        format!("{m:.0}")
    } else if m >= 10.0 {
        format!("{m:.1}")
    } else {
        format!("{m:.2}")
    }
}

fn times(ratio: f64) -> String {
    if ratio >= 10.0 {
        format!("{ratio:.0}×")
    } else if ratio >= 0.1 {
        format!("{ratio:.2}×")
    } else {
        format!("{ratio:.3}×")
    }
}

fn thread_header(first: &str) -> String {
    let mut header = format!("| {first} |");
    let mut rule = String::from("| --- |");
    for threads in THREADS {
        let _ = write!(header, " {threads} {} |", plural(threads));
        rule.push_str(" ---: |");
    }
    format!("{header}\n{rule}\n")
}

fn plural(threads: u32) -> &'static str {
    if threads == 1 {
        "thread"
    } else {
        "threads"
    }
}

/// Throughput in millions of operations per second, per workload.
fn throughput_table(measurements: &[Measurement]) -> String {
    let mut md = String::new();
    for workload in &WORKLOADS {
        let _ = writeln!(
            md,
            "**{}**, million operations per second:\n",
            workload.caption
        );
        md.push_str(&thread_header("implementation"));
        for implementation in workload.implementations {
            let _ = write!(md, "| {} |", code(implementation));
            for threads in THREADS {
                let cell = find(measurements, workload.id, implementation, threads)
                    .map_or("–".to_string(), |m| mops(m.ops_per_sec));
                let _ = write!(md, " {cell} |");
            }
            md.push('\n');
        }
        md.push('\n');
    }
    md
}

fn code(name: &str) -> String {
    format!("`{name}`")
}

/// SecVec's throughput divided by each peer's.
fn ratio_table(measurements: &[Measurement]) -> String {
    let mut md = String::from(
        "SecVec's throughput divided by the peer's, at each thread count \
         (above 1× SecVec is faster; the median of the ratios within each pass):\n\n",
    );
    let mut header = String::from("| workload | SecVec ÷ |");
    let mut rule = String::from("| --- | --- |");
    for threads in THREADS {
        let _ = write!(header, " {threads} {} |", plural(threads));
        rule.push_str(" ---: |");
    }
    let _ = writeln!(md, "{header}\n{rule}");
    for workload in &WORKLOADS {
        for peer in workload.implementations.iter().filter(|p| **p != SECVEC) {
            let _ = write!(md, "| {} | {} |", workload.title, code(peer));
            for threads in THREADS {
                let cell =
                    ratio(measurements, workload.id, peer, threads).map_or("–".to_string(), times);
                let _ = write!(md, " {cell} |");
            }
            md.push('\n');
        }
    }
    md
}

fn title_of(workload: &str) -> &'static str {
    WORKLOADS
        .iter()
        .find(|w| w.id == workload)
        .map_or("?", |w| w.title)
}

/// The project's targets against the measured ratios.
fn target_table(measurements: &[Measurement]) -> String {
    let mut md = String::from(
        "| workload | threads | SecVec ÷ | target | measured (median of the passes) | each pass | met? |\n\
         | --- | ---: | --- | ---: | ---: | ---: | --- |\n",
    );
    for t in &TARGETS {
        let measured = ratio(measurements, t.workload, t.peer, t.threads);
        let (cell, verdict) = match measured {
            Some(r) if r >= t.at_least => (times(r), "yes"),
            Some(r) => (times(r), "**no**"),
            None => ("–".to_string(), "not measured"),
        };
        let each = pass_ratios(measurements, t.workload, t.peer, t.threads)
            .map_or("–".to_string(), |rs| {
                rs.iter().map(|r| times(*r)).collect::<Vec<_>>().join(", ")
            });
        let _ = writeln!(
            md,
            "| {} | {} | {} | ≥ {} | {cell} | {each} | {verdict} |",
            title_of(t.workload),
            t.threads,
            code(t.peer),
            times(t.at_least),
        );
    }
    md
}

/// SecVec's throughput divided by `peer`'s in each pass, if both ran in the
/// same passes.
fn pass_ratios(
    measurements: &[Measurement],
    workload: &str,
    peer: &str,
    threads: u32,
) -> Option<Vec<f64>> {
    let ours = find(measurements, workload, SECVEC, threads)?;
    let theirs = find(measurements, workload, peer, threads)?;
    (ours.passes.len() == theirs.passes.len()).then(|| {
        ours.passes
            .iter()
            .zip(&theirs.passes)
            .map(|(a, b)| a / b)
            .collect()
    })
}

/// The first version's results (a heap descriptor per operation), kept in
/// the book's folder so that every run can be compared with them.
const BASELINE: &str = "baseline.csv";

/// SecVec's throughput in `baseline` (a `results.csv` of an earlier run)
/// beside this run's, at 1 and 2 threads.
fn before_after_table(measurements: &[Measurement], baseline: &Path) -> String {
    let Ok(text) = fs::read_to_string(baseline) else {
        return format!("(no baseline: {} is missing)\n", baseline.display());
    };
    let before = |workload: &str, threads: u32| {
        text.lines().skip(1).find_map(|line| {
            let fields: Vec<&str> = line.split(',').collect();
            let matches = fields.len() == 4
                && fields[0] == workload
                && fields[1] == SECVEC
                && fields[2] == threads.to_string();
            matches.then(|| fields[3].parse::<f64>().ok()).flatten()
        })
    };
    let mut md = String::from(
        "| workload | threads | first version, Mops/s | this run, Mops/s | change |\n\
         | --- | ---: | ---: | ---: | ---: |\n",
    );
    for workload in &WORKLOADS {
        for threads in [1, 2] {
            let old = before(workload.id, threads);
            let new = find(measurements, workload.id, SECVEC, threads).map(|m| m.ops_per_sec);
            let cell = |v: Option<f64>| v.map_or("–".to_string(), mops);
            let change = match (old, new) {
                (Some(old), Some(new)) => times(new / old),
                _ => "–".to_string(),
            };
            let _ = writeln!(
                md,
                "| {} | {threads} | {} | {} | {change} |",
                workload.title,
                cell(old),
                cell(new)
            );
        }
    }
    md
}

/// Nanoseconds per operation on each thread: `threads` / total throughput.
fn nanos_per_op(m: &Measurement) -> f64 {
    f64::from(m.threads) * 1e9 / m.ops_per_sec
}

fn hazard_table(measurements: &[Measurement]) -> String {
    let mut md = String::from("| operation | ");
    let mut rule = String::from("| --- |");
    for threads in HAZARD_THREADS {
        let _ = write!(md, "ns per operation, {threads} {} | ", plural(threads));
        rule.push_str(" ---: |");
    }
    let _ = writeln!(md, "\n{rule}");
    let mut lookup = BTreeMap::new();
    for (case, description) in HAZARD_CASES {
        let _ = write!(md, "| {description} |");
        for threads in HAZARD_THREADS {
            let cell = match find(measurements, HAZARD_GROUP, case, threads) {
                Some(m) => {
                    lookup.insert((case, threads), nanos_per_op(m));
                    format!("{:.1}", nanos_per_op(m))
                }
                None => "–".to_string(),
            };
            let _ = write!(md, " {cell} |");
        }
        md.push('\n');
    }
    md.push_str(
        "\nTime per operation is measured on each thread: with two threads, each \
         thread does its share of the operations in the time shown.\n",
    );
    if let (Some(fresh), Some(reused)) =
        (lookup.get(&("new_per_op", 1)), lookup.get(&("reused", 1)))
    {
        let _ = write!(
            md,
            "\nOn one thread, reusing the thread's hazard pointer saves {:.1} ns per \
             operation ({:.1} ns instead of {:.1} ns, {:.1}× less)",
            fresh - reused,
            reused,
            fresh,
            fresh / reused
        );
        if let (Some(fresh2), Some(reused2)) =
            (lookup.get(&("new_per_op", 2)), lookup.get(&("reused", 2)))
        {
            let _ = write!(
                md,
                "; on two threads, where taking and returning a record contends on the \
                 domain's shared list, {:.1} ns ({:.1} ns instead of {:.1} ns)",
                fresh2 - reused2,
                reused2,
                fresh2
            );
        }
        md.push_str(".\n");
    }
    md
}

// ---------------------------------------------------------------------------
// Memory

/// The `key=value` lines `examples/memory.rs` printed for one structure.
struct Memory {
    structure: String,
    values: BTreeMap<String, String>,
}

impl Memory {
    fn number(&self, key: &str) -> Result<f64> {
        self.values
            .get(key)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| {
                format!(
                    "the memory example for `{}` printed no `{key}=` line\n\
                     run it alone with: cargo run --release -p secvec --example memory -- {}",
                    self.structure, self.structure
                )
            })
    }
}

fn measure_memory(structure: &str) -> Result<Memory> {
    let mut run = cargo([
        "run",
        "--release",
        "--quiet",
        "-p",
        "secvec",
        "--example",
        "memory",
        "--",
        structure,
    ]);
    let line = cmd::describe(&run);
    println!("$ {line}");
    let output = run
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    if !output.status.success() {
        return Err(format!(
            "`{line}` failed ({})\nrun it alone with: {line}",
            output.status
        ));
    }
    let values = stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Memory {
        structure: structure.to_string(),
        values,
    })
}

fn memory_table(memory: &[Memory]) -> String {
    let mut md = String::from(
        "| structure | elements | capacity | allocated | bytes per element | peak resident set |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for m in memory {
        let row = (|| -> Result<String> {
            let name = match m.structure.as_str() {
                "secvec" => "`SecVec<u64>`",
                _ => "`Vec<u64>`",
            };
            Ok(format!(
                "| {name} | {} | {} | {:.0} MiB | {:.2} | {:.0} MiB |",
                m.number("elements")?,
                m.number("capacity")?,
                m.number("allocated_bytes")? / f64::from(1 << 20),
                m.number("bytes_per_element")?,
                m.number("peak_rss_bytes")? / f64::from(1 << 20),
            ))
        })();
        match row {
            Ok(row) => {
                md.push_str(&row);
                md.push('\n');
            }
            Err(e) => println!("xtask: warning: {e}"),
        }
    }
    md
}

// ---------------------------------------------------------------------------
// The machine

/// The one-minute load average from `/proc/loadavg`.
fn load_average() -> Option<f64> {
    fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

fn machine(settings: &Settings, passes: usize, filter: Option<&str>, load: Option<f64>) -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown".to_string(), |(_, v)| v.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?.to_string();
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.0} GiB", kib / f64::from(1 << 20)))
        })
        .unwrap_or_else(|| "unknown".into());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or("unknown".to_string(), |s| format!("Linux {}", s.trim()));
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let rustc = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or("unknown".to_string(), |o| {
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        });
    let mut md = String::new();
    let _ = writeln!(md, "| | |\n| --- | --- |");
    let _ = writeln!(md, "| CPU | {cpu} |");
    let _ = writeln!(md, "| cores available | {cores} |");
    if let Some(caches) = caches() {
        let _ = writeln!(md, "| caches (as CPU 0 sees them) | {caches} |");
    }
    let _ = writeln!(md, "| memory | {memory} |");
    let _ = writeln!(md, "| operating system | {kernel} |");
    let _ = writeln!(md, "| compiler | {rustc} |");
    let _ = writeln!(md, "| date | {} |", today());
    let mut run = format!("`cargo xtask bench`: {}", settings.description);
    if passes > 1 {
        let _ = write!(
            run,
            "; the throughput benchmarks ran in {passes} passes, one after the other, \
             each figure is the median of its passes, and each ratio the median of \
             the ratios within each pass"
        );
    }
    if let Some(filter) = filter {
        let _ = write!(run, "; only benchmarks matching `{filter}` were rerun");
    }
    let _ = writeln!(md, "| run | {run} |");
    if let Some(load) = load {
        let _ = writeln!(md, "| load average when the run started | {load:.2} |");
    }
    md
}

/// The data and unified caches of CPU 0, as Linux's sysfs lists them:
/// "L1d 32K, L2 512K, L3 32768K".
fn caches() -> Option<String> {
    let dir = Path::new("/sys/devices/system/cpu/cpu0/cache");
    let mut caches = Vec::new();
    for index in 0..8 {
        let read = |file: &str| {
            fs::read_to_string(dir.join(format!("index{index}")).join(file))
                .ok()
                .map(|s| s.trim().to_string())
        };
        let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
        else {
            continue;
        };
        let suffix = match kind.as_str() {
            "Data" => "d",
            "Unified" => "",
            _ => continue,
        };
        caches.push(format!("L{level}{suffix} {size}"));
    }
    (!caches.is_empty()).then(|| caches.join(", "))
}

/// Today's date (UTC) as YYYY-MM-DD, from the system clock.
fn today() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .unwrap_or(Duration::ZERO)
        .as_secs();
    let (y, m, d) = civil_from_days((secs / 86_400) as i64);
    format!("{y:04}-{m:02}-{d:02}")
}

/// The proleptic Gregorian date `days` days after 1970-01-01 (Howard
/// Hinnant's algorithm).
fn civil_from_days(days: i64) -> (i64, u32, u32) {
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = (doy - (153 * mp + 2) / 5 + 1) as u32;
    let m = if mp < 10 { mp + 3 } else { mp - 9 } as u32;
    let y = yoe + era * 400 + i64::from(m <= 2);
    (y, m, d)
}

// ---------------------------------------------------------------------------
// Plots

/// Line colour and stroke width of each implementation, the same in every
/// plot; SecVec is drawn thicker.
fn style_of(implementation: &str) -> (RGBColor, u32) {
    match implementation {
        SECVEC => (RGBColor(200, 30, 30), 3),
        MUTEX => (RGBColor(31, 100, 180), 2),
        RWLOCK => (RGBColor(40, 150, 60), 2),
        PARKING_LOT => (RGBColor(150, 80, 190), 2),
        _ => (RGBColor(90, 90, 90), 2),
    }
}

/// Draws `workload`'s plot to `path`; `false` if there was nothing to draw.
fn plot(workload: &Workload, measurements: &[Measurement], path: &Path) -> Result<bool> {
    let series: Vec<(&str, Vec<(f64, f64)>)> = workload
        .implementations
        .iter()
        .map(|implementation| {
            let points = THREADS
                .iter()
                .filter_map(|&t| {
                    let m = find(measurements, workload.id, implementation, t)?;
                    Some((f64::from(t), m.ops_per_sec / 1e6))
                })
                .collect();
            (*implementation, points)
        })
        .filter(|(_, points): &(&str, Vec<_>)| !points.is_empty())
        .collect();
    if series.is_empty() {
        return Ok(false);
    }
    draw(workload, &series, path).map_err(|e| format!("could not draw {}: {e}", path.display()))?;
    Ok(true)
}

fn draw(
    workload: &Workload,
    series: &[(&str, Vec<(f64, f64)>)],
    path: &Path,
) -> std::result::Result<(), Box<dyn std::error::Error>> {
    let values = series.iter().flat_map(|(_, p)| p.iter().map(|&(_, y)| y));
    let (low, high) = values.fold((f64::MAX, f64::MIN), |(lo, hi), y| (lo.min(y), hi.max(y)));
    // Whole decades around the data, for a readable logarithmic axis.
    let low = 10f64.powf(low.max(1e-3).log10().floor());
    let high = 10f64.powf(high.max(low * 10.0).log10().ceil());

    let root = SVGBackend::new(path, (760, 440)).into_drawing_area();
    root.fill(&WHITE)?;
    let (chart_area, legend_area) = root.split_horizontally(540);
    let mut chart = ChartBuilder::on(&chart_area)
        .caption(workload.caption, ("sans-serif", 20))
        .margin(12)
        .x_label_area_size(44)
        .y_label_area_size(64)
        .build_cartesian_2d((0.8f64..10.0).log_scale(), (low..high).log_scale())?;
    chart
        .configure_mesh()
        .x_desc("threads")
        .y_desc("million operations per second (log scale)")
        .disable_x_mesh()
        // Only the thread counts measured get a label.
        .x_label_formatter(&|x| {
            let threads = x.round();
            if (x - threads).abs() < 1e-6 && THREADS.contains(&(threads as u32)) {
                format!("{threads}")
            } else {
                String::new()
            }
        })
        .y_label_formatter(&|y| {
            if *y >= 1.0 {
                format!("{y:.0}")
            } else {
                format!("{y}")
            }
        })
        .label_style(("sans-serif", 14))
        .axis_desc_style(("sans-serif", 15))
        .draw()?;
    for (implementation, points) in series {
        let (color, width) = style_of(implementation);
        chart.draw_series(LineSeries::new(
            points.iter().copied(),
            color.stroke_width(width),
        ))?;
        chart.draw_series(
            points
                .iter()
                .map(|&p| Circle::new(p, width + 2, color.filled())),
        )?;
    }

    // The legend, beside the chart so it never hides a line.
    let x = 12;
    let mut y = 70;
    legend_area.draw(&Text::new(
        "implementation",
        (x, y - 30),
        ("sans-serif", 15).into_font().color(&BLACK),
    ))?;
    for (implementation, _) in series {
        let (color, width) = style_of(implementation);
        legend_area.draw(&PathElement::new(
            vec![(x, y), (x + 30, y)],
            color.stroke_width(width),
        ))?;
        legend_area.draw(&Circle::new((x + 15, y), width + 2, color.filled()))?;
        legend_area.draw(&Text::new(
            implementation.to_string(),
            (x + 40, y - 7),
            ("sans-serif", 14).into_font().color(&BLACK),
        ))?;
        y += 30;
    }
    root.present()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_out_right() {
        assert_eq!(civil_from_days(0), (1970, 1, 1));
        assert_eq!(civil_from_days(19_782), (2024, 2, 29));
        assert_eq!(civil_from_days(20_454), (2026, 1, 1));
    }

    #[test]
    fn filters_match_substrings_literally() {
        assert_eq!(regex_escape("Mutex<Vec>/2"), "Mutex<Vec>/2");
        assert_eq!(regex_escape("parking_lot::Mutex"), "parking_lot::Mutex");
        assert_eq!(regex_escape("a.b(c)"), "a\\.b\\(c\\)");
    }

    #[test]
    fn passes_combine_into_their_median() {
        let m = |ops: f64, fresh: bool| Measurement {
            group: "get".into(),
            function: SECVEC.into(),
            threads: 2,
            ops_per_sec: ops,
            passes: vec![ops],
            fresh,
        };
        let combined = combine(&[vec![m(5.0, true)], vec![m(1.0, true)], vec![m(3.0, true)]]);
        assert_eq!(combined.len(), 1);
        assert_eq!(combined[0].passes, [5.0, 1.0, 3.0]);
        assert_eq!(combined[0].ops_per_sec, 3.0);
        // A stale result never mixes with fresh ones.
        let combined = combine(&[vec![m(9.0, false)], vec![m(2.0, true)], vec![m(9.0, false)]]);
        assert_eq!(combined[0].passes, [2.0]);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn ratios_pair_the_passes() {
        let m = |function: &str, passes: Vec<f64>| Measurement {
            group: "read_mostly".into(),
            function: function.into(),
            threads: 2,
            ops_per_sec: median(&passes),
            passes,
            fresh: true,
        };
        // SecVec fast in the third pass, the peer slow in the second and
        // third: the medians' ratio is 20 / 12, about 1.67, but no pass
        // shows more than the third's 27 / 12 = 2.25, and the middle pass's
        // ratio is 12 / 11.
        let runs = [
            m(SECVEC, vec![20.0, 12.0, 27.0]),
            m("Mutex<Vec>", vec![23.0, 11.0, 12.0]),
        ];
        let r = ratio(&runs, "read_mostly", "Mutex<Vec>", 2).unwrap();
        assert!((r - 12.0 / 11.0).abs() < 1e-9, "{r}");
        // Different pass counts cannot be paired: the medians are divided.
        let runs = [
            m(SECVEC, vec![20.0, 12.0, 27.0]),
            m("Mutex<Vec>", vec![10.0]),
        ];
        let r = ratio(&runs, "read_mostly", "Mutex<Vec>", 2).unwrap();
        assert!((r - 2.0).abs() < 1e-9, "{r}");
    }

    #[test]
    fn targets_name_known_benchmarks() {
        for t in &TARGETS {
            let w = WORKLOADS.iter().find(|w| w.id == t.workload).unwrap();
            assert!(w.implementations.contains(&t.peer));
            assert!(THREADS.contains(&t.threads));
        }
    }
}
