//! Chapter 6, "Descriptors and helping": many more threads than cores push
//! into one stage 1 `SecVec` at the same time.
//!
//! With four threads per core, the operating system keeps descheduling
//! threads in the middle of a push, some of them right after their
//! compare-and-swap installed a descriptor and before they wrote its slot.
//! Nobody waits for them: the next operation on any thread finds the write
//! pending and completes it. Afterwards the example checks that every value
//! is in the vector exactly once, and that each thread's values are in the
//! order it pushed them. It prints no timings.
//!
//! ```text
//! cargo run -p stage1 --release --example helping
//! ```

use std::thread;

use stage1::SecVec;

const PUSHES_PER_THREAD: u64 = 50_000;

fn main() {
    let cores = thread::available_parallelism().map_or(1, usize::from) as u64;
    let threads = (4 * cores).max(8);
    let v = SecVec::new();

    thread::scope(|s| {
        for t in 0..threads {
            let v = &v;
            // Each value names its thread and its place in that thread's
            // sequence, so a duplicate or a stray value is easy to spot.
            s.spawn(move || {
                for i in 0..PUSHES_PER_THREAD {
                    v.push(t * PUSHES_PER_THREAD + i);
                }
            });
        }
    });

    let total = threads * PUSHES_PER_THREAD;
    let len = v.len();
    println!("{threads} threads on {cores} cores, {PUSHES_PER_THREAD} pushes each");
    println!("pushes done:    {total}");
    println!("final length:   {len}");
    assert_eq!(len as u64, total, "a push was lost or counted twice");

    let values: Vec<u64> = (0..len).map(|i| v.get(i).expect("i < len")).collect();

    // Within one thread, pushes take effect in program order, so that
    // thread's values must appear in increasing order.
    let mut last_seen = vec![None; threads as usize];
    for (index, &value) in values.iter().enumerate() {
        let (t, i) = (value / PUSHES_PER_THREAD, value % PUSHES_PER_THREAD);
        assert!(
            t < threads,
            "index {index} holds {value}, which nobody pushed"
        );
        let last = &mut last_seen[t as usize];
        // `None` orders before every `Some`, so a thread's first value passes.
        assert!(*last < Some(i), "index {index}: thread {t} out of order");
        *last = Some(i);
    }
    // In order per thread, so no duplicates; the right count, so none lost.
    println!("every value present exactly once; each thread's values in its own order");
}
