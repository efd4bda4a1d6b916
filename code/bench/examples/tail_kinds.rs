//! Which operations make up a mix's latency tail, and how much of it is the
//! first touch of fresh memory.
//!
//! ```text
//! cargo run --profile bench -p bench --example tail_kinds
//! cargo run --profile bench -p bench --example tail_kinds -- --prefault
//! ```
//!
//! Two threads run the read-mostly mix of the latency benchmark (70% `get`,
//! 10% `set`, 15% `push`, 5% `pop`) on a vector that starts with 32,768
//! elements, 3,000,000 operations each, first on `SecVec<u64>` and then on
//! `Mutex<Vec<u64>>`. Every operation is timed with the benchmark's clock
//! and kept with its kind. The report gives the p99, p99.9 and p99.99, how
//! the slowest 1% and 0.1% divide among the four kinds, and the page faults
//! the run took (`minflt` in `/proc/self/stat`).
//!
//! The mix pushes three times as often as it pops, so the vector grows by
//! about 600,000 elements during the run, into memory that no one has
//! touched. With `--prefault`, each vector is first grown by 2,000,000
//! elements and shrunk back, so that the memory the run grows into is
//! already mapped. `--mix push_pop` runs the other mix instead
//! (Part IV of the book, "Performance"). The `bench` profile is the one the
//! benchmarks build with: the workspace's `release` profile keeps debug
//! assertions and overflow checks on.

use std::sync::{Barrier, Mutex};

use bench::contestants::FullContestant;
use bench::timed::Clock;
use bench::workload::{apply, Mix, Op, XorShift, PREFILL};
use secvec::SecVec;

/// Operations per thread.
const OPS: usize = 3_000_000;
/// Threads, one per core on the machine the book was written on.
const THREADS: usize = 2;
/// How far `--prefault` grows each vector before the run.
const PREFAULT: u64 = 2_000_000;
/// The kinds of operation, in the order of [`kind`].
const KINDS: [&str; 4] = ["get", "set", "push", "pop"];

fn kind(op: Op) -> usize {
    match op {
        Op::Get(_) => 0,
        Op::Set(..) => 1,
        Op::Push(_) => 2,
        Op::Pop => 3,
    }
}

/// The minor page faults this process has taken so far.
fn page_faults() -> u64 {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // The command name, field 2, is in parentheses and may hold spaces;
    // `minflt` is field 10, the 8th after it.
    let after_name = stat.rsplit_once(')').map_or("", |(_, rest)| rest);
    after_name
        .split_whitespace()
        .nth(7)
        .and_then(|field| field.parse().ok())
        .unwrap_or(0)
}

/// Runs the mix on a fresh `C` and prints the report.
fn run<C: FullContestant>(mix: Mix, prefault: bool) {
    let v = C::filled(PREFILL);
    if prefault {
        for i in 0..PREFAULT {
            v.push(i);
        }
        for _ in 0..PREFAULT {
            v.pop();
        }
    }
    let clock = Clock::get();
    let barrier = Barrier::new(THREADS);
    // Each thread's operations as (ticks, kind), written before the count
    // of page faults starts, so that the count is the vector's alone.
    let buffers = (0..THREADS).map(|_| vec![(u64::MAX, usize::MAX); OPS]);
    let buffers: Vec<_> = buffers.collect();
    let faults = page_faults();
    let per_thread: Vec<Vec<(u64, usize)>> = std::thread::scope(|s| {
        let workers: Vec<_> = buffers
            .into_iter()
            .enumerate()
            .map(|(thread, mut timed)| {
                let (v, barrier) = (&v, &barrier);
                s.spawn(move || {
                    let mut rng = XorShift::for_thread(thread);
                    barrier.wait();
                    for entry in &mut timed {
                        let op = mix.next(&mut rng);
                        let start = clock.ticks();
                        apply(v, op);
                        *entry = (clock.ticks().saturating_sub(start), kind(op));
                    }
                    timed
                })
            })
            .collect();
        workers
            .into_iter()
            .map(|w| w.join().expect("a worker panicked"))
            .collect()
    });
    let faults = page_faults() - faults;
    let mut all: Vec<(u64, usize)> = per_thread.concat();
    all.sort_unstable();
    let at = |q: f64| clock.nanos(all[(all.len() as f64 * q) as usize].0);
    println!(
        "{:<17} p99 {:>6.0} ns  p99.9 {:>6.0} ns  p99.99 {:>7.0} ns  page faults {faults}",
        C::NAME,
        at(0.99),
        at(0.999),
        at(0.9999)
    );
    for share in [0.01, 0.001] {
        let slowest = &all[all.len() - (all.len() as f64 * share) as usize..];
        let mut count = [0usize; 4];
        for &(_, k) in slowest {
            count[k] += 1;
        }
        let parts: Vec<String> = KINDS
            .iter()
            .zip(count)
            .map(|(name, n)| format!("{name} {:.0}%", 100.0 * n as f64 / slowest.len() as f64))
            .collect();
        println!("    slowest {:>4}%: {}", share * 100.0, parts.join(", "));
    }
}

fn main() {
    let mut mix = Mix::ReadMostly;
    let mut prefault = false;
    let mut args = std::env::args().skip(1);
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "--prefault" => prefault = true,
            "--mix" => {
                let id = args.next().unwrap_or_default();
                mix = Mix::from_id(&id).unwrap_or_else(|| {
                    eprintln!("tail_kinds: unknown mix {id:?} (push_pop or read_mostly)");
                    std::process::exit(2)
                });
            }
            _ => {
                eprintln!("usage: tail_kinds [--prefault] [--mix push_pop|read_mostly]");
                std::process::exit(2)
            }
        }
    }
    println!(
        "{} at {THREADS} threads, {OPS} operations each{}; clock: {}",
        mix.id(),
        if prefault { ", memory prefaulted" } else { "" },
        Clock::get().describe()
    );
    run::<SecVec<u64>>(mix, prefault);
    run::<Mutex<Vec<u64>>>(mix, prefault);
}
