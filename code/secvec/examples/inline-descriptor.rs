//! "The descriptor moves into the vector" (Part III): with the descriptor
//! packed into one 128-bit word, reads and pops need no heap, and a stamp
//! keeps a stalled pop from mistaking a new state for an old one of the
//! same size.
//!
//! The first part counts allocations: pushes still allocate (write
//! descriptors, and buckets), but `len`, `get` and `pop` allocate nothing.
//!
//! The second part replays, in one thread and in a fixed order, a pop that
//! reads the descriptor and the last element and stalls before its
//! compare-and-swap, while another thread pops that element and pushes a new
//! one, so the size is back where the stalled pop saw it. Once on a word
//! that holds only the size, and once on a word packed like an idle
//! descriptor (the size shifted left by one, the stamp in the high half),
//! ten thousand times each. It counts how often the stale swap lands.
//!
//! The third part runs the real thing: four threads push values of their
//! own and pop at random on a short vector, so its size keeps coming back to
//! values it had before. Every value must come out (popped, or left in the
//! vector) exactly once.
//!
//! ```text
//! cargo run -p secvec --release --example inline-descriptor
//! ```

use std::collections::HashSet;
use std::hint::black_box;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use portable_atomic::AtomicU128;
use secvec::SecVec;

#[path = "support/count_allocations.rs"]
mod count_allocations;
use count_allocations::allocations;

fn no_heap_for_reads_and_pops() {
    const N: usize = 10_000;
    let v = SecVec::new();
    let pushes = allocations(|| (0..N as u64).for_each(|i| v.push(i)));
    let lens = allocations(|| (0..N).for_each(|_| _ = black_box(v.len())));
    let gets = allocations(|| (0..N).for_each(|i| _ = black_box(v.get(i))));
    let pops = allocations(|| (0..N).for_each(|_| _ = black_box(v.pop())));
    println!("heap:    {N} pushes made {pushes} allocations");
    println!("heap:    {N} lens made {lens}, {N} gets made {gets}, {N} pops made {pops}");
    assert!(pushes > 0);
    assert_eq!((lens, gets, pops), (0, 0, 0));
}

/// How many times the interleaving is replayed.
const TRIALS: u64 = 10_000;

/// An idle descriptor packed as the crate packs it: the size shifted left
/// by one (lowest bit 0: idle) in the low half, the stamp in the high half.
fn idle(size: u64, stamp: u64) -> u128 {
    (u128::from(stamp) << 64) | u128::from(size << 1)
}

/// The stalled pop on a word that holds only the size. Returns whether its
/// stale compare-and-swap landed.
fn size_only_trial(n: u64) -> bool {
    let descriptor = AtomicU64::new(n);
    // The stalled pop reads the size (and the element at `n - 1`)...
    let seen = descriptor.load(Ordering::Acquire);
    // ...and is preempted. Another thread pops that element and pushes a
    // new one into the same slot: `n -> n - 1 -> n`.
    descriptor.store(n - 1, Ordering::Release);
    descriptor.store(n, Ordering::Release);
    // The stale pop wakes up and swaps.
    descriptor
        .compare_exchange(seen, seen - 1, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

/// The same on a packed idle descriptor: a pop adds one to the stamp, and so
/// does a push (the write its pending descriptor names carries the next one).
fn stamped_trial(n: u64) -> bool {
    let descriptor = AtomicU128::new(idle(n, 0));
    let seen = descriptor.load(Ordering::Acquire);
    descriptor.store(idle(n - 1, 1), Ordering::Release);
    descriptor.store(idle(n, 2), Ordering::Release);
    // Same size as the pop saw, but stamp 2 instead of 0.
    descriptor
        .compare_exchange(seen, idle(n - 1, 1), Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

fn replay_stalled_pop() {
    let mut size_only = 0;
    let mut stamped = 0;
    for n in 1..=TRIALS {
        size_only += u64::from(size_only_trial(n));
        stamped += u64::from(stamped_trial(n));
    }
    println!("\nreplayed a stalled pop {TRIALS} times");
    println!("  size only:       the stale pop landed {size_only} times");
    println!("  size and stamp:  the stale pop landed {stamped} times");
    assert_eq!(size_only, TRIALS);
    assert_eq!(stamped, 0);
}

fn sizes_that_come_back() {
    const THREADS: u64 = 4;
    const OPS: u64 = 200_000;

    let v = SecVec::new();
    // Per thread: how many values it pushed, and the values it popped.
    let results: Vec<(u64, Vec<u64>)> = thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let v = &v;
                s.spawn(move || {
                    let mut popped = Vec::new();
                    let mut next = t << 32;
                    // A xorshift generator per thread: its own mix of pushes
                    // and pops, with pops a little more likely, so the vector
                    // stays short and its sizes keep repeating.
                    let mut rng = 0x2545_F491_4F6C_DD1D_u64 ^ (t + 1);
                    for _ in 0..OPS {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        if rng % 100 < 48 {
                            v.push(next);
                            next += 1;
                        } else if let Some(value) = v.pop() {
                            popped.push(value);
                        }
                    }
                    (next - (t << 32), popped)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });

    let pushed: u64 = results.iter().map(|(pushed, _)| pushed).sum();
    // How many values each thread pushed: a value `t << 32 | c` was pushed
    // exactly when `c` is below thread `t`'s count.
    let counts: Vec<u64> = results.iter().map(|&(pushed, _)| pushed).collect();
    let mut seen = HashSet::new();
    let popped = results.into_iter().flat_map(|(_, popped)| popped);
    for value in popped.chain(v.iter()) {
        let (t, c) = (value >> 32, value & 0xffff_ffff);
        assert!(
            counts.get(t as usize).is_some_and(|&n| c < n),
            "{value:#x} was never pushed"
        );
        assert!(seen.insert(value), "{value:#x} came out twice");
    }
    println!("\nstress:  {THREADS} threads, {OPS} random pushes and pops each");
    println!(
        "  {pushed} values pushed, {} came out once each ({} left in the vector)",
        seen.len(),
        v.len()
    );
    assert_eq!(seen.len() as u64, pushed, "a value was lost");
}

fn main() {
    no_heap_for_reads_and_pops();
    replay_stalled_pop();
    sizes_that_come_back();
}
