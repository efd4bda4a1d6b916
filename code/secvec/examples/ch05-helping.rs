//! Chapter 5, "Descriptors and helping": many more threads than cores push
//! into one `SecVec` at the same time.
//!
//! With eight threads on a machine with fewer cores, the operating system
//! keeps preempting threads in the middle of a push, some of them between
//! installing their pending descriptor and writing their slot. The other
//! threads cannot wait for them (there is nothing to wait on); they apply the
//! owed write themselves, settle the descriptor back to idle, and move on.
//! Afterwards the example checks that every pushed value is in the vector
//! exactly once and that nothing else is. It prints no timings: how fast
//! this runs is the Performance chapter's subject, not this one's.
//!
//! Run it with `cargo run --release --example ch05-helping`.

use std::thread;

use secvec::SecVec;

const THREADS: u64 = 8;
const PUSHES_PER_THREAD: u64 = 50_000;

fn main() {
    let cores = thread::available_parallelism().map_or(1, |n| n.get());
    let v = SecVec::new();

    thread::scope(|s| {
        for t in 0..THREADS {
            let v = &v;
            // Each value names its thread and its position in that thread's
            // sequence, so a duplicate or a stray value is easy to spot.
            s.spawn(move || {
                for i in 0..PUSHES_PER_THREAD {
                    v.push(t * PUSHES_PER_THREAD + i);
                }
            });
        }
    });

    let total = THREADS * PUSHES_PER_THREAD;
    let mut values: Vec<u64> = v.iter().collect();
    let len = v.len();
    values.sort_unstable();

    println!("{THREADS} threads on {cores} cores, {PUSHES_PER_THREAD} pushes each");
    println!("pushes done:    {total}");
    println!("final length:   {len}");
    println!("capacity:       {}", v.capacity());

    assert_eq!(len as u64, total, "no push was lost or doubled");
    // Sorted, the values must be exactly 0, 1, ..., total - 1: each present
    // once, none missing, none invented.
    for (expected, &found) in (0..total).zip(&values) {
        assert_eq!(found, expected, "value {expected} missing or duplicated");
    }
    assert_eq!(values.len() as u64, total);

    // Within one thread, pushes happen in program order, so that thread's
    // values must appear in the vector in increasing order.
    let mut last_seen = vec![None; THREADS as usize];
    for value in v.iter() {
        let (t, i) = (value / PUSHES_PER_THREAD, value % PUSHES_PER_THREAD);
        let last = &mut last_seen[t as usize];
        // `None` orders before every `Some`, so the first value always passes.
        assert!(*last < Some(i), "thread {t} out of order");
        *last = Some(i);
    }
    println!("every value present exactly once; each thread's values in its own order");
}
