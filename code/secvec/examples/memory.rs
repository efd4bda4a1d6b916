//! How much memory ten million `u64`s take in a `SecVec` and in a `Vec`.
//!
//! With no argument it measures both, each in a child process of its own (so
//! that the peak resident memory belongs to that structure alone), and
//! prints them side by side:
//!
//! ```text
//! cargo run --release --example memory
//! ```
//!
//! With an argument it measures one structure, in this process:
//!
//! ```text
//! cargo run --release --example memory -- secvec
//! cargo run --release --example memory -- vec
//! ```
//!
//! Prints the allocated bytes per element, worked out from the capacity and
//! the size of a slot (16 bytes in a `SecVec`: the element's bits and a
//! version; 8 in a `Vec`), and the process's peak resident set (`VmHWM` in
//! `/proc/self/status`, Linux only). `cargo xtask bench` runs both and writes
//! the book's memory table from their output, which is why the last lines
//! are `key=value` pairs.

use std::process::{Command, ExitCode};

use secvec::SecVec;

/// How many elements are pushed.
const ELEMENTS: usize = 10_000_000;

/// Bytes a `SecVec` slot takes: a 128-bit atomic holding bits and version.
const SECVEC_SLOT_BYTES: usize = 16;

/// The process's peak resident set in bytes, if `/proc` tells it.
fn peak_resident_bytes() -> Option<u64> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|l| l.starts_with("VmHWM:"))?;
    let kib: u64 = line
        .trim_start_matches("VmHWM:")
        .trim()
        .trim_end_matches("kB")
        .trim()
        .parse()
        .ok()?;
    Some(kib * 1024)
}

/// The two structures, as the argument names them and as the comparison
/// shows them.
const STRUCTURES: [(&str, &str); 2] = [("secvec", "SecVec<u64>"), ("vec", "Vec<u64>")];

/// The `key=value` lines a child printed, as numbers.
fn summary(stdout: &str) -> Vec<(String, f64)> {
    stdout
        .lines()
        .filter_map(|line| line.split_once('='))
        .filter(|(key, _)| !key.contains(' '))
        .filter_map(|(key, value)| Some((key.to_string(), value.trim().parse().ok()?)))
        .collect()
}

/// How a number is shown in the comparison.
type Show = fn(f64) -> String;

/// Measures both structures in child processes (this program, run with
/// `secvec`, then `vec`) and prints a comparison.
fn compare() -> ExitCode {
    let Ok(program) = std::env::current_exe() else {
        eprintln!("cannot find this program's own path to run it again");
        return ExitCode::FAILURE;
    };
    let mut columns = Vec::new();
    for (arg, name) in STRUCTURES {
        println!("measuring {name} in a child process ...");
        let output = match Command::new(&program).arg(arg).output() {
            Ok(output) if output.status.success() => output,
            Ok(output) => {
                eprintln!("`memory {arg}` failed ({})", output.status);
                eprint!("{}", String::from_utf8_lossy(&output.stderr));
                return ExitCode::FAILURE;
            }
            Err(e) => {
                eprintln!("could not run `memory {arg}`: {e}");
                return ExitCode::FAILURE;
            }
        };
        columns.push(summary(&String::from_utf8_lossy(&output.stdout)));
    }
    let value = |column: &[(String, f64)], key: &str| {
        column.iter().find(|(k, _)| k == key).map(|&(_, v)| v)
    };
    let mib: Show = |bytes| format!("{:.0} MiB", bytes / (1 << 20) as f64);
    let rows: [(&str, &str, Show); 5] = [
        ("elements", "elements", |n| format!("{n:.0}")),
        ("capacity", "capacity", |n| format!("{n:.0}")),
        ("allocated", "allocated_bytes", mib),
        ("bytes per element", "bytes_per_element", |n| {
            format!("{n:.2}")
        }),
        ("peak resident set", "peak_rss_bytes", mib),
    ];
    println!(
        "\n{:<18} {:>12} {:>12} {:>9}",
        "", STRUCTURES[0].1, STRUCTURES[1].1, "ratio"
    );
    for (label, key, show) in rows {
        let (ours, theirs) = (value(&columns[0], key), value(&columns[1], key));
        let cell = |v: Option<f64>| v.map_or("?".to_string(), show);
        let ratio = match (ours, theirs) {
            (Some(a), Some(b)) if b > 0.0 && a != b => format!("{:.2}×", a / b),
            _ => String::new(),
        };
        println!(
            "{label:<18} {:>12} {:>12} {ratio:>9}",
            cell(ours),
            cell(theirs)
        );
    }
    println!(
        "\nA SecVec slot is {SECVEC_SLOT_BYTES} bytes (the element and a version), a Vec's {}; \
         both grow by doubling. The resident set counts only the pages written.",
        std::mem::size_of::<u64>()
    );
    ExitCode::SUCCESS
}

fn main() -> ExitCode {
    let Some(which) = std::env::args().nth(1) else {
        return compare();
    };
    let baseline = peak_resident_bytes();
    let (len, capacity, slot_bytes) = match which.as_str() {
        "secvec" => {
            let v = SecVec::new();
            for i in 0..ELEMENTS as u64 {
                v.push(i);
            }
            assert_eq!(v.get(ELEMENTS - 1), Some(ELEMENTS as u64 - 1));
            (v.len(), v.capacity(), SECVEC_SLOT_BYTES)
        }
        "vec" => {
            let mut v = Vec::new();
            for i in 0..ELEMENTS as u64 {
                v.push(i);
            }
            assert_eq!(v.last(), Some(&(ELEMENTS as u64 - 1)));
            (v.len(), v.capacity(), std::mem::size_of::<u64>())
        }
        _ => {
            eprintln!("usage: cargo run --release --example memory [-- secvec|vec]");
            return ExitCode::FAILURE;
        }
    };
    assert_eq!(len, ELEMENTS);
    let allocated = capacity * slot_bytes;
    let per_element = allocated as f64 / len as f64;
    println!("{which}: {len} u64 elements, capacity {capacity}, {slot_bytes} bytes per slot");
    println!(
        "allocated {:.1} MiB = {per_element:.2} bytes per element",
        allocated as f64 / (1 << 20) as f64
    );
    match (peak_resident_bytes(), baseline) {
        (Some(peak), Some(before)) => println!(
            "peak resident set {:.1} MiB ({:.1} MiB before pushing)",
            peak as f64 / (1 << 20) as f64,
            before as f64 / (1 << 20) as f64
        ),
        _ => println!("peak resident set: unknown (no /proc/self/status)"),
    }
    // Machine-readable summary for `cargo xtask bench`.
    println!("structure={which}");
    println!("elements={len}");
    println!("capacity={capacity}");
    println!("allocated_bytes={allocated}");
    println!("bytes_per_element={per_element:.4}");
    println!("peak_rss_bytes={}", peak_resident_bytes().unwrap_or(0));
    ExitCode::SUCCESS
}
