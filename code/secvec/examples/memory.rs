//! How much memory ten million `u64`s take in a `SecVec` and in a `Vec`.
//!
//! Run one structure per process, so the peak resident memory belongs to it
//! alone:
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

use std::process::ExitCode;

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

fn main() -> ExitCode {
    let which = std::env::args().nth(1).unwrap_or_default();
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
            eprintln!("usage: cargo run --release --example memory -- secvec|vec");
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
