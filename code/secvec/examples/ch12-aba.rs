//! Chapter 12, the ABA problem: a stale compare-and-swap lands on a word that
//! merely *looks* unchanged, unless the word carries a counter that never
//! goes back.
//!
//! The first part replays, in one thread and in a fixed order, the
//! interleaving that the chapter starts with. A helper plans to complete a
//! pending write `A -> B` and checks that the slot holds `A`; before its
//! compare-and-swap runs, another thread applies the write (`A -> B`), pops
//! the element and pushes `A` again (`B -> A`). Then the helper's stale
//! compare-and-swap runs. It is done twice per trial: on a plain 64-bit slot
//! that holds only the bits, and on a 128-bit slot that holds the bits and a
//! version, as `secvec` does. The example counts in how many trials the stale
//! write lands: in all of them without the version, in none with it.
//!
//! The second part replays the same trick one level up, on the vector's
//! descriptor. A pop reads the size `n` and the last element, and stalls
//! before its compare-and-swap from `n` to `n - 1`; meanwhile another thread
//! pops that element and pushes a new one, so the size is `n` again. On a
//! descriptor that holds only the size, the stale pop lands; on one that
//! holds the size and a stamp, as an idle `secvec` descriptor does, it never
//! does.
//!
//! The third part stresses a real `SecVec`: threads push and pop the same
//! three values, so slots keep going back to values they held before, and the
//! example checks that every value pushed is popped or still there exactly
//! as often as it was pushed.
//!
//! ```text
//! cargo run --release --example ch12-aba
//! ```

use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use portable_atomic::AtomicU128;
use secvec::SecVec;

/// How many times the interleaving is replayed.
const TRIALS: u64 = 10_000;

/// The values a trial uses: `a` is written, replaced by `b`, written again.
fn trial_values(trial: u64) -> (u64, u64) {
    // A few fixed corner cases, then a cheap spread over all 64 bits.
    match trial {
        0 => (0, 7),
        1 => (u64::MAX, 0),
        2 => (0, u64::MAX),
        _ => {
            let a = trial.wrapping_mul(0x9E37_79B9_7F4A_7C15);
            (a, a.rotate_left(17) ^ 1)
        }
    }
}

/// Packs two halves into one 128-bit word: bits and version, the way a
/// versioned slot holds them, or size and stamp for a descriptor.
fn word(low: u64, high: u64) -> u128 {
    (u128::from(high) << 64) | u128::from(low)
}

/// One trial on a slot that holds only the bits. Returns whether the
/// helper's stale write landed.
fn plain_trial(a: u64, b: u64) -> bool {
    let slot = AtomicU64::new(a);
    // Helper: reads the pending write `a -> b` and checks the slot.
    let (expected, new) = (a, b);
    assert_eq!(slot.load(Ordering::Acquire), expected);
    // ...and is preempted. Another thread applies the write, pops the
    // element, and pushes `a` into the same slot.
    assert!(slot
        .compare_exchange(a, b, Ordering::AcqRel, Ordering::Acquire)
        .is_ok());
    assert!(slot
        .compare_exchange(b, a, Ordering::AcqRel, Ordering::Acquire)
        .is_ok());
    // The helper wakes up and runs the compare-and-swap it planned.
    let landed = slot
        .compare_exchange(expected, new, Ordering::AcqRel, Ordering::Acquire)
        .is_ok();
    // If it landed, the slot holds `b` where the vector says `a` belongs.
    assert_eq!(landed, slot.load(Ordering::Acquire) == b);
    landed
}

/// The same trial on a slot that holds bits and a version.
fn versioned_trial(a: u64, b: u64) -> bool {
    let slot = AtomicU128::new(word(a, 0));
    let (expected, new) = (word(a, 0), word(b, 1));
    assert_eq!(slot.load(Ordering::Acquire), expected);
    // Every write increments the version: (a, 0) -> (b, 1) -> (a, 2).
    assert!(slot
        .compare_exchange(word(a, 0), word(b, 1), Ordering::AcqRel, Ordering::Acquire)
        .is_ok());
    assert!(slot
        .compare_exchange(word(b, 1), word(a, 2), Ordering::AcqRel, Ordering::Acquire)
        .is_ok());
    // Same bits as the helper expects, but version 2 instead of 0.
    let landed = slot
        .compare_exchange(expected, new, Ordering::AcqRel, Ordering::Acquire)
        .is_ok();
    assert_eq!(slot.load(Ordering::Acquire) == word(a, 2), !landed);
    landed
}

fn replay() {
    let mut plain_landed = 0;
    let mut versioned_landed = 0;
    for trial in 0..TRIALS {
        let (a, b) = trial_values(trial);
        assert_ne!(a, b);
        plain_landed += u64::from(plain_trial(a, b));
        versioned_landed += u64::from(versioned_trial(a, b));
    }
    println!("replayed the stale-helper interleaving {TRIALS} times");
    println!(
        "  (AtomicU128 is lock-free on this machine: {})",
        AtomicU128::is_lock_free()
    );
    println!("  bits only (AtomicU64):       stale write landed {plain_landed} times");
    println!("  bits + version (AtomicU128): stale write landed {versioned_landed} times");
    assert_eq!(plain_landed, TRIALS);
    assert_eq!(versioned_landed, 0);
}

/// One stalled pop on a descriptor that holds only the size. Returns whether
/// the stale pop's compare-and-swap landed.
fn size_only_trial(n: u64) -> bool {
    let descriptor = AtomicU64::new(n);
    // The stalled pop reads the size (and would read slot `n - 1`)...
    let seen = descriptor.load(Ordering::Acquire);
    // ...and is preempted. Another thread pops slot `n - 1` and pushes a
    // new element into it: `n -> n - 1 -> n`.
    assert!(descriptor
        .compare_exchange(n, n - 1, Ordering::AcqRel, Ordering::Acquire)
        .is_ok());
    assert!(descriptor
        .compare_exchange(n - 1, n, Ordering::AcqRel, Ordering::Acquire)
        .is_ok());
    // The stale pop lands: it returns the element popped already, and the
    // new one is cut off beyond the end.
    descriptor
        .compare_exchange(seen, seen - 1, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

/// The same on a descriptor that holds the size and a stamp, which every
/// change increments: a pop by one, a push by one as it settles.
fn stamped_trial(n: u64) -> bool {
    let descriptor = AtomicU128::new(word(n, 0));
    let seen = descriptor.load(Ordering::Acquire);
    // (n, 0) -> (n - 1, 1) -> (n, 2).
    assert!(descriptor
        .compare_exchange(
            word(n, 0),
            word(n - 1, 1),
            Ordering::AcqRel,
            Ordering::Acquire
        )
        .is_ok());
    assert!(descriptor
        .compare_exchange(
            word(n - 1, 1),
            word(n, 2),
            Ordering::AcqRel,
            Ordering::Acquire
        )
        .is_ok());
    // Same size as the pop saw, but stamp 2 instead of 0.
    let landed = descriptor
        .compare_exchange(seen, word(n - 1, 1), Ordering::AcqRel, Ordering::Acquire)
        .is_ok();
    assert_eq!(descriptor.load(Ordering::Acquire) == word(n, 2), !landed);
    landed
}

fn replay_stalled_pop() {
    let mut size_only_landed = 0;
    let mut stamped_landed = 0;
    for n in 1..=TRIALS {
        size_only_landed += u64::from(size_only_trial(n));
        stamped_landed += u64::from(stamped_trial(n));
    }
    println!("\nreplayed the stalled-pop interleaving {TRIALS} times");
    println!("  size only (AtomicU64):       stale pop landed {size_only_landed} times");
    println!("  size + stamp (AtomicU128):   stale pop landed {stamped_landed} times");
    assert_eq!(size_only_landed, TRIALS);
    assert_eq!(stamped_landed, 0);
}

/// How many different values the stress pushes.
const VALUES: usize = 3;

fn stress() {
    const THREADS: u64 = 4;
    const OPS: u64 = 100_000;

    let v = SecVec::new();
    // Per thread: how often it pushed and popped each value.
    let counts: Vec<([u64; VALUES], [u64; VALUES])> = thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let v = &v;
                s.spawn(move || {
                    let mut pushed = [0; VALUES];
                    let mut popped = [0; VALUES];
                    // A small xorshift generator: each thread its own mix of
                    // pushes and pops, and of values.
                    let mut rng = 0x2545_F491_4F6C_DD1D_u64 ^ (t + 1);
                    for _ in 0..OPS {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        if rng % 2 == 0 {
                            let value = (rng >> 8) % VALUES as u64;
                            v.push(value);
                            pushed[value as usize] += 1;
                        } else if let Some(value) = v.pop() {
                            popped[value as usize] += 1;
                        }
                    }
                    (pushed, popped)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });

    let mut left = [0_u64; VALUES];
    while let Some(value) = v.pop() {
        left[value as usize] += 1;
    }
    println!("\nstress: {THREADS} threads, {OPS} random pushes/pops each, values 0..{VALUES}");
    for value in 0..VALUES {
        let pushed: u64 = counts.iter().map(|(p, _)| p[value]).sum();
        let popped: u64 = counts.iter().map(|(_, p)| p[value]).sum();
        println!(
            "  value {value}: pushed {pushed}, popped {popped}, left {}, balanced: {}",
            left[value],
            pushed == popped + left[value]
        );
        assert_eq!(
            pushed,
            popped + left[value],
            "value {value} lost or duplicated"
        );
    }
}

fn main() {
    replay();
    replay_stalled_pop();
    stress();
}
