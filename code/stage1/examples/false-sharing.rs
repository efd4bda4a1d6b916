//! Chapter 4, "The cache and false sharing": two counters, two layouts, and
//! what the padding costs stage 1's vector.
//!
//! Two threads each increment their *own* `AtomicU64`; neither touches the
//! other's counter. First the two counters sit next to each other in one
//! struct (one cache line), then each is wrapped in
//! `crossbeam_utils::CachePadded` (a line each). The example times both,
//! checks the counts, and checks the size of `stage1::SecVec<u64>`, whose two
//! fields are padded the same way. Timings vary from run to run and machine
//! to machine, so nothing is asserted about them.
//!
//! Run it with `cargo run -p stage1 --release --example false-sharing`. On a
//! busy Linux machine, real-time priority gets the threads their cores: build
//! it, then run `chrt -f 50 target/release/examples/false-sharing` as root.

use std::mem::{align_of, size_of};
use std::sync::atomic::{AtomicU64, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use crossbeam_utils::CachePadded;
use stage1::SecVec;

/// Increments per thread and per run.
const N: u64 = 10_000_000;

/// Each measurement is repeated this many times and the fastest run kept:
/// other programs on the machine can only ever slow a run down.
const ROUNDS: usize = 5;

/// Two counters side by side: eight bytes apart, on one cache line. The
/// alignment makes sure of that: without it the struct could start eight
/// bytes before the end of a line, and put `b` on the next one.
#[derive(Default)]
#[repr(C, align(64))]
struct Adjacent {
    a: AtomicU64,
    b: AtomicU64,
}

/// The same two counters, each aligned to and filling a line of its own.
#[derive(Default)]
struct Padded {
    a: CachePadded<AtomicU64>,
    b: CachePadded<AtomicU64>,
}

/// Runs one thread per counter, each adding 1 to its own counter `N` times,
/// and returns how long the pair took: from the first thread's start to the
/// last thread's finish, as the threads themselves measured them.
fn race(a: &AtomicU64, b: &AtomicU64) -> Duration {
    // Both threads start counting together, so that their loops overlap.
    let start_line = Barrier::new(2);
    let start_line = &start_line;
    let spans: Vec<(Instant, Instant)> = thread::scope(|s| {
        let threads = [a, b].map(|counter| {
            s.spawn(move || {
                start_line.wait();
                let start = Instant::now();
                for _ in 0..N {
                    // Relaxed: each counter has one writer and is read only
                    // after the threads are joined; we want the raw cost of
                    // the line moving between cores, nothing else.
                    counter.fetch_add(1, Ordering::Relaxed);
                }
                (start, Instant::now())
            })
        });
        threads
            .into_iter()
            .map(|thread| thread.join().expect("a counting thread panicked"))
            .collect()
    });
    let first_start = spans.iter().map(|&(start, _)| start).min();
    let last_end = spans.iter().map(|&(_, end)| end).max();
    last_end.expect("two threads") - first_start.expect("two threads")
}

/// One thread alone adding 1 to `counter` `N` times: the cost when no other
/// core asks for the line, for comparison.
fn alone(counter: &AtomicU64) -> Duration {
    let start = Instant::now();
    for _ in 0..N {
        // Relaxed: as above, only the final count is read, after this loop.
        counter.fetch_add(1, Ordering::Relaxed);
    }
    start.elapsed()
}

fn ns_per_increment(elapsed: Duration) -> f64 {
    elapsed.as_nanos() as f64 / N as f64
}

fn main() {
    let adjacent = Adjacent::default();
    let padded = Padded::default();

    let distance = |a: &AtomicU64, b: &AtomicU64| b as *const _ as usize - a as *const _ as usize;
    println!(
        "adjacent: counters {} bytes apart, struct is {} bytes",
        distance(&adjacent.a, &adjacent.b),
        size_of::<Adjacent>()
    );
    println!(
        "padded:   counters {} bytes apart, struct is {} bytes",
        distance(&padded.a, &padded.b),
        size_of::<Padded>()
    );

    let solo = AtomicU64::new(0);
    let (mut baseline, mut shared, mut separate) = (Duration::MAX, Duration::MAX, Duration::MAX);
    for _ in 0..ROUNDS {
        baseline = baseline.min(alone(&solo));
        shared = shared.min(race(&adjacent.a, &adjacent.b));
        separate = separate.min(race(&padded.a, &padded.b));
    }

    // Each thread touched only its own counter: each must read ROUNDS * N.
    for counter in [&solo, &adjacent.a, &adjacent.b, &*padded.a, &*padded.b] {
        // Relaxed: the threads that counted were joined, which orders
        // their increments before this read.
        assert_eq!(counter.load(Ordering::Relaxed), ROUNDS as u64 * N);
    }

    println!();
    println!("{N} increments per thread, fastest of {ROUNDS} runs:");
    for (what, elapsed) in [
        ("one thread alone:    ", baseline),
        ("2 threads, same line:", shared),
        ("2 threads, own lines:", separate),
    ] {
        println!(
            "  {what} {:>5.2} ns per increment ({:.1} ms)",
            ns_per_increment(elapsed),
            elapsed.as_secs_f64() * 1e3
        );
    }
    println!(
        "  sharing a line was {:.1}x slower",
        shared.as_secs_f64() / separate.as_secs_f64()
    );
    println!(
        "all five counters hold exactly {ROUNDS} x {N} = {}",
        ROUNDS as u64 * N
    );
    println!("(timings are noisy and machine-dependent; only the counts are checked)");
    // With two free cores, two threads on their own lines run side by side
    // and take about as long as one thread alone. Much longer means they
    // took turns on one core, and then false sharing cannot show.
    if separate.as_secs_f64() > 1.5 * baseline.as_secs_f64() {
        println!(
            "note: the two threads did not get a core each (own lines took {:.1}x as long \
             as one thread alone); the machine is busy, rerun it when it is quiet",
            separate.as_secs_f64() / baseline.as_secs_f64()
        );
    }

    // Stage 1's vector pads its two shared fields, `buckets` and
    // `descriptor`, the same way; the marker field takes no room.
    let line = align_of::<CachePadded<u8>>();
    let vector = size_of::<SecVec<u64>>();
    println!();
    println!(
        "stage1::SecVec<u64>: {vector} bytes, aligned to {}: two fields of one {line}-byte line each",
        align_of::<SecVec<u64>>()
    );
    assert_eq!(vector, 2 * line);
    assert_eq!(align_of::<SecVec<u64>>(), line);
}
