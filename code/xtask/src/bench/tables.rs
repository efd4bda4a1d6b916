//! The markdown tables and the CSV file made from criterion's results
//! (`results.csv`, `throughput.md`, `ratios.md`, `targets.md`,
//! `before-after.md`, `hazard.md`), and the number formats they share.

use std::collections::BTreeMap;
use std::fmt::Write as _;
use std::fs;
use std::path::Path;

use super::catalog::{
    workload, HAZARD_CASES, HAZARD_GROUP, HAZARD_THREADS, SECVEC, TARGETS, THREADS, WORKLOADS,
};
use super::results::{find, pass_ratios, ratio, Measurement};

pub fn results_csv(measurements: &[Measurement]) -> String {
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

pub fn mops(ops_per_sec: f64) -> String {
    let m = ops_per_sec / 1e6;
    if m >= 100.0 {
        format!("{m:.0}")
    } else if m >= 10.0 {
        format!("{m:.1}")
    } else {
        format!("{m:.2}")
    }
}

pub fn times(ratio: f64) -> String {
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

pub fn plural(threads: u32) -> &'static str {
    if threads == 1 {
        "thread"
    } else {
        "threads"
    }
}

/// Throughput in millions of operations per second, per workload.
pub fn throughput_table(measurements: &[Measurement]) -> String {
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

pub fn code(name: &str) -> String {
    format!("`{name}`")
}

/// SecVec's throughput divided by each peer's.
pub fn ratio_table(measurements: &[Measurement]) -> String {
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

fn title_of(id: &str) -> &'static str {
    workload(id).map_or("?", |w| w.title)
}

/// The project's targets against the measured ratios.
pub fn target_table(measurements: &[Measurement]) -> String {
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

/// The first version's results (a heap descriptor per operation), kept in
/// the book's folder so that every run can be compared with them.
pub const BASELINE: &str = "baseline.csv";

/// SecVec's throughput in `baseline` (a `results.csv` of an earlier run)
/// beside this run's, at 1 and 2 threads.
pub fn before_after_table(measurements: &[Measurement], baseline: &Path) -> String {
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

pub fn hazard_table(measurements: &[Measurement]) -> String {
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
