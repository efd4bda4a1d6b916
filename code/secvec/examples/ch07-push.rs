//! Chapter 7, `push`: many threads push at once, and afterwards every value
//! is in the vector exactly once.
//!
//! Each thread pushes values that carry its number in the high 32 bits and a
//! counter in the low 32 bits, so every value is unique and names the thread
//! that pushed it. Thread numbers start at 1, so the all-zero bits of a slot
//! that was never written cannot pass for a pushed value.
//!
//! Once all threads are done, the example reads the vector front to back and
//! checks that nothing was lost, duplicated or invented. It checks one thing
//! more: each thread's values appear in the order that thread pushed them.
//! A push takes effect at one instant (the compare-and-swap that publishes
//! its pending descriptor), and one thread's pushes happen one after another,
//! so their indices must grow.
//! Finally it drains the vector with `pop`, which must hand the values back
//! in reverse.
//!
//! ```text
//! cargo run --release --example ch07-push [THREADS] [PUSHES_PER_THREAD]
//! ```
//!
//! The defaults are 8 threads and 100,000 pushes each.

use std::thread;
use std::time::Instant;

use secvec::SecVec;

/// Low 32 bits of a value: the thread's counter.
const COUNTER_MASK: u64 = 0xffff_ffff;

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|arg| arg.parse::<u64>().expect("arguments are whole numbers"));
    let threads = args.next().unwrap_or(8);
    let per_thread = args.next().unwrap_or(100_000);
    assert!((1..=1024).contains(&threads), "use 1 to 1024 threads");
    assert!(
        per_thread <= COUNTER_MASK,
        "the counter must fit in 32 bits"
    );

    let v = SecVec::new();
    let start = Instant::now();
    thread::scope(|s| {
        for thread_number in 1..=threads {
            let v = &v;
            s.spawn(move || {
                for counter in 0..per_thread {
                    v.push(thread_number << 32 | counter);
                }
            });
        }
    });
    let elapsed = start.elapsed();
    let total = threads * per_thread;

    // Read the vector back and check it, value by value.
    let items: Vec<u64> = v.iter().collect();
    assert_eq!(items.len() as u64, total, "length after all pushes");
    // `next[t]` is the counter we expect to meet next from thread `t`.
    let mut next = vec![0_u64; threads as usize + 1];
    let mut switches = 0_u64;
    let mut previous_thread = None;
    for (index, &value) in items.iter().enumerate() {
        let thread_number = value >> 32;
        let counter = value & COUNTER_MASK;
        assert!(
            (1..=threads).contains(&thread_number) && counter < per_thread,
            "index {index} holds {value:#x}, which no thread pushed"
        );
        let expected = &mut next[thread_number as usize];
        // Catches duplicates and gaps alike: counters must come 0, 1, 2, ...
        assert_eq!(
            counter, *expected,
            "index {index}: thread {thread_number}'s values out of order, lost or repeated"
        );
        *expected += 1;
        if previous_thread.is_some_and(|previous| previous != thread_number) {
            switches += 1;
        }
        previous_thread = Some(thread_number);
    }

    println!(
        "{threads} threads, {per_thread} pushes each, on {} cores",
        cores()
    );
    for (thread_number, &count) in next.iter().enumerate().skip(1) {
        assert_eq!(count, per_thread, "thread {thread_number} lost values");
        println!("  thread {thread_number:>2}: {count} values, in push order");
    }
    println!(
        "total: {} values, none lost, duplicated or invented",
        items.len()
    );
    println!(
        "the pushing thread changes {switches} times along the vector \
         (the pushes really did interleave)"
    );
    println!(
        "time: {:.1} ms, {:.0} ns per push (all threads together)",
        elapsed.as_secs_f64() * 1e3,
        elapsed.as_nanos() as f64 / total as f64
    );
    println!("capacity: {} slots", v.capacity());

    // Drain: pop must return exactly the same values, last first.
    let mut drained = 0_usize;
    while let Some(value) = v.pop() {
        drained += 1;
        assert_eq!(value, items[items.len() - drained], "pop order");
    }
    assert_eq!(drained, items.len());
    assert!(v.is_empty());
    println!("drained {drained} values with pop, in reverse push order");
}

/// How many threads the machine runs at once, for the report.
fn cores() -> usize {
    thread::available_parallelism().map_or(1, usize::from)
}
