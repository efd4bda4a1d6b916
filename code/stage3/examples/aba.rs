//! Chapter 12, "The ABA problem": a stale compare-and-swap lands on a slot
//! that merely *looks* unchanged, unless the slot carries a version that
//! never goes back.
//!
//! The first part replays, in one thread and in a fixed order, the
//! interleaving that loom finds in stage 2. A helper reads a pending write
//! "slot 0, from 0 to 7" and checks the slot; before its compare-and-swap
//! runs, the owner does the write, pops the 7 and pushes 0 into the same
//! slot. Then the helper's stale compare-and-swap runs: once on a slot of
//! bare bits, as in stages 1 and 2, and once on a slot of bits and version
//! packed into one 128-bit word, the way stage 3's `SlotWord` packs them.
//! The first lands and brings the popped 7 back; the second fails.
//!
//! The second part stresses a real stage 3 `SecVec`: threads push and pop
//! the same three values, so slots keep going back to values they held
//! before, and the example checks that every value was popped or left in
//! the vector exactly as often as it was pushed.
//!
//! ```text
//! cargo run -p stage3 --release --example aba
//! ```

use std::fmt;
use std::sync::atomic::{AtomicU64, Ordering};
use std::thread;

use portable_atomic::AtomicU128;
use stage3::SecVec;

/// A slot's contents in stage 3: the element's bits and a version. (Stage
/// 3's own `SlotWord` is private to the crate; this one packs the same way,
/// version in the high half.)
#[derive(Clone, Copy, PartialEq, Eq)]
struct Word {
    bits: u64,
    version: u64,
}

impl Word {
    /// The word a write of `bits` leaves behind: the version one higher.
    fn followed_by(self, bits: u64) -> Word {
        Word {
            bits,
            version: self.version + 1,
        }
    }

    fn pack(self) -> u128 {
        (u128::from(self.version) << 64) | u128::from(self.bits)
    }

    fn unpack(word: u128) -> Word {
        Word {
            bits: word as u64,
            version: (word >> 64) as u64,
        }
    }
}

impl fmt::Display for Word {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "({}, v{})", self.bits, self.version)
    }
}

/// A compare-and-swap with the orderings stage 3's `Slot::replace` uses.
fn swap_u64(slot: &AtomicU64, old: u64, new: u64) -> bool {
    slot.compare_exchange(old, new, Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

/// The same on a 128-bit slot of bits and version.
fn swap_word(slot: &AtomicU128, old: Word, new: Word) -> bool {
    slot.compare_exchange(old.pack(), new.pack(), Ordering::AcqRel, Ordering::Acquire)
        .is_ok()
}

/// Prints one step of a replay and what the slot holds after it.
fn step(what: &str, slot: impl fmt::Display) {
    println!("  {what:<50} slot holds {slot}");
}

/// Stages 1 and 2: the slot holds only the bits. Returns whether the
/// helper's stale swap landed.
fn bits_only() -> bool {
    println!("a slot of bits only, as in stage 2:");
    let slot = AtomicU64::new(0);
    // Acquire: as stage 3's `Slot::load`.
    let load = || slot.load(Ordering::Acquire);
    // The pending write of `push(7)`: slot 0, from 0 to 7.
    let (old, new) = (0, 7);
    step(
        &format!("helper reads the write {old} -> {new}, stalls"),
        load(),
    );
    assert!(swap_u64(&slot, old, new));
    step("owner does the write", load());
    // `pop` writes no slot; `push(0)` writes 0 over the 7.
    assert!(swap_u64(&slot, 7, 0));
    step("pop 7, push 0", load());
    let landed = swap_u64(&slot, old, new);
    let outcome = if landed { "lands" } else { "fails" };
    step(&format!("helper's swap {old} -> {new} {outcome}"), load());
    landed
}

/// Stage 3: the slot holds bits and a version, swapped as one word.
fn versioned() -> bool {
    println!(
        "a slot of bits and version, as in stage 3 (AtomicU128 is lock-free here: {}):",
        AtomicU128::is_lock_free()
    );
    let start = Word {
        bits: 0,
        version: 0,
    };
    let slot = AtomicU128::new(start.pack());
    // Acquire: as stage 3's `Slot::load`.
    let load = || Word::unpack(slot.load(Ordering::Acquire));
    let (old, new) = (start, start.followed_by(7));
    step(
        &format!("helper reads the write {old} -> {new}, stalls"),
        load(),
    );
    assert!(swap_word(&slot, old, new));
    step("owner does the write", load());
    assert!(swap_word(&slot, new, new.followed_by(0)));
    step("pop 7, push 0", load());
    let landed = swap_word(&slot, old, new);
    let outcome = if landed { "lands" } else { "fails" };
    step(&format!("helper's swap {old} -> {new} {outcome}"), load());
    landed
}

/// How many different values the stress pushes.
const VALUES: usize = 3;

fn stress() {
    const THREADS: u64 = 4;
    const OPERATIONS: u64 = 100_000;

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
                    for _ in 0..OPERATIONS {
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
    println!("stage 3 under stress: {THREADS} threads, {OPERATIONS} random pushes and pops each, values 0..{VALUES}");
    for value in 0..VALUES {
        let pushed: u64 = counts.iter().map(|(p, _)| p[value]).sum();
        let popped: u64 = counts.iter().map(|(_, p)| p[value]).sum();
        println!(
            "  value {value}: pushed {pushed}, popped {popped}, left {}",
            left[value]
        );
        assert_eq!(
            pushed,
            popped + left[value],
            "value {value} lost or duplicated"
        );
    }
}

fn main() {
    assert!(bits_only(), "without a version the stale swap lands");
    println!();
    assert!(!versioned(), "with a version the stale swap fails");
    println!();
    stress();
}
