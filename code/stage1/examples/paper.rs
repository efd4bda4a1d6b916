//! Chapter "The paper in brief": the promise of the paper's vector, kept by
//! stage 1.
//!
//! Four threads push disjoint ranges of numbers into one `SecVec` at the same
//! time, through a shared reference and without a lock. Afterwards the example
//! checks what the paper promises: every value arrived exactly once, nothing
//! was lost or duplicated, `len` counts every push, and each thread's values
//! sit in the order that thread pushed them (a push is linearizable: it takes
//! effect at one instant, after the same thread's earlier pushes).
//!
//! Run it with `cargo run -p stage1 --release --example paper`.

use std::sync::Barrier;
use std::thread;

use stage1::SecVec;

const THREADS: u64 = 4;
const PER_THREAD: u64 = 100_000;
/// Thread `t` pushes `t * RANGE .. t * RANGE + PER_THREAD`.
const RANGE: u64 = 1_000_000;

fn main() {
    let v: SecVec<u64> = SecVec::new();
    // A common start, so that no thread is done before the last one is
    // spawned.
    let start = Barrier::new(THREADS as usize);

    thread::scope(|s| {
        for t in 0..THREADS {
            let (v, start) = (&v, &start);
            s.spawn(move || {
                start.wait();
                for i in 0..PER_THREAD {
                    v.push(t * RANGE + i);
                }
            });
        }
    });

    // Read the vector back, front to back, with `get`.
    let items: Vec<u64> = (0..v.len()).map(|i| v.get(i).unwrap()).collect();

    // Every value exactly once: sort a copy and compare with what was pushed.
    let mut sorted = items.clone();
    sorted.sort_unstable();
    let expected: Vec<u64> = (0..THREADS)
        .flat_map(|t| (0..PER_THREAD).map(move |i| t * RANGE + i))
        .collect();
    assert_eq!(sorted, expected, "a value was lost or duplicated");

    // Each thread's values appear in the order it pushed them.
    for t in 0..THREADS {
        let mine: Vec<u64> = items.iter().copied().filter(|x| x / RANGE == t).collect();
        assert!(
            mine.windows(2).all(|w| w[0] < w[1]),
            "thread {t} out of order"
        );
    }

    // How often the owner changes from one index to the next shows how much
    // the threads' pushes interleaved.
    let switches = items
        .windows(2)
        .filter(|w| w[0] / RANGE != w[1] / RANGE)
        .count();

    println!("{THREADS} threads pushed {PER_THREAD} values each, concurrently");
    println!("every value arrived exactly once: {} values", sorted.len());
    println!("each thread's values are in the order it pushed them");
    println!("neighbouring indices changed thread {switches} times");
    for t in 0..THREADS {
        let first = items.iter().position(|x| x / RANGE == t).unwrap();
        println!("  thread {t}: first value at index {first}");
    }

    let pushed = THREADS * PER_THREAD;
    println!("len() = {}, pushes made = {pushed}", v.len());
    assert_eq!(v.len() as u64, pushed);
    println!(
        "capacity() = {} (allocated buckets, never moved)",
        v.capacity()
    );
    assert!(v.capacity() >= v.len());
}
