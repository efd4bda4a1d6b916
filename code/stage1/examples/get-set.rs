//! For the chapter "`get` and `set`" (book/get-set.md): readers never see
//! another index's value, and every `set` returns exactly what it replaced.
//!
//! Every value stored at index `i` is `i * TAG + round`, so a reader can tell
//! at a glance whether a value belongs where it found it. Writer threads `set`
//! the first `FIXED` indices again and again, each index owned by one writer
//! that counts its rounds up. A tail thread keeps pushing `TAIL` more values
//! and popping them again, so the indices past `FIXED` come and go. Reader
//! threads `get` random indices the whole time and check that
//!
//! - every value read is tagged with the index it was read from,
//! - an index below `FIXED` never goes back to an older round (each has a
//!   single writer, so a later `get` must not see an earlier `set`),
//! - `None` only ever comes back for a tail index.
//!
//! The writers check that each `set` returns the value it replaced, and the
//! tail thread that each `pop` returns what it pushed. Last, one thread times
//! a million `get`s and a million `set`s on its own: a `set` allocates and
//! installs a descriptor, a `get` only reads.
//!
//! Run it with `cargo run -p stage1 --release --example get-set`.

use std::hint::black_box;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::thread;
use std::time::Instant;

use stage1::SecVec;

/// Indices `0..FIXED` always exist and are only ever `set`.
const FIXED: usize = 64;
/// Indices `FIXED..FIXED + TAIL` are pushed and popped over and over.
const TAIL: usize = 16;
const WRITERS: usize = 2;
const READERS: usize = 2;
const ROUNDS: usize = 2_000;
const TAIL_CYCLES: usize = 2_000;
/// Values are `index * TAG + round`; rounds stay below `TAG`.
const TAG: usize = 1_000_000;
/// How many calls of each kind the timing at the end makes.
const TIMED: usize = 1_000_000;

/// A small xorshift generator: good enough to pick indices, no dependency.
struct Rng(u64);

impl Rng {
    fn below(&mut self, n: usize) -> usize {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        (self.0 % n as u64) as usize
    }
}

/// Counts a writing thread out when it ends, and stops the readers after
/// the last one. As a guard it also counts out a thread whose assertion
/// failed, so that the readers stop and the failure is reported, instead of
/// the example spinning forever.
struct Finished<'a> {
    busy: &'a AtomicUsize,
    stop: &'a AtomicBool,
}

impl Drop for Finished<'_> {
    fn drop(&mut self) {
        // Relaxed: the count and the flag only end the readers' loop; what
        // the readers check comes from the vector's own atomics, and the
        // scope's join orders everything else.
        if self.busy.fetch_sub(1, Ordering::Relaxed) == 1 {
            self.stop.store(true, Ordering::Relaxed);
        }
    }
}

fn main() {
    let v = SecVec::new();
    for i in 0..FIXED {
        v.push(i * TAG);
    }
    // The writers and the tail thread count down; readers stop at zero.
    let busy = AtomicUsize::new(WRITERS + 1);
    let stop = AtomicBool::new(false);

    let (found, missing) = thread::scope(|s| {
        for w in 0..WRITERS {
            let (v, busy, stop) = (&v, &busy, &stop);
            s.spawn(move || {
                let _done = Finished { busy, stop };
                for round in 1..=ROUNDS {
                    for i in (w..FIXED).step_by(WRITERS) {
                        let old = v.set(i, i * TAG + round);
                        // Only this thread writes index `i`.
                        assert_eq!(old, Some(i * TAG + round - 1), "set({i}) returned");
                    }
                }
            });
        }

        {
            let (v, busy, stop) = (&v, &busy, &stop);
            s.spawn(move || {
                let _done = Finished { busy, stop };
                for cycle in 0..TAIL_CYCLES {
                    for i in FIXED..FIXED + TAIL {
                        v.push(i * TAG + cycle);
                    }
                    for i in (FIXED..FIXED + TAIL).rev() {
                        assert_eq!(v.pop(), Some(i * TAG + cycle), "pop at {i}");
                    }
                }
            });
        }

        let readers: Vec<_> = (0..READERS)
            .map(|r| {
                let (v, stop) = (&v, &stop);
                s.spawn(move || {
                    let mut rng = Rng(0x9e37_79b9_7f4a_7c15 + r as u64);
                    let mut newest = [0; FIXED];
                    let (mut found, mut missing) = (0_usize, 0_usize);
                    // Relaxed: as for the store that ends the loop.
                    while !stop.load(Ordering::Relaxed) {
                        let i = rng.below(FIXED + TAIL);
                        match v.get(i) {
                            Some(value) => {
                                found += 1;
                                assert_eq!(value / TAG, i, "get({i}) returned {value}");
                                if i < FIXED {
                                    let round = value % TAG;
                                    assert!(round >= newest[i], "index {i} went back in time");
                                    newest[i] = round;
                                }
                            }
                            None => {
                                missing += 1;
                                assert!(i >= FIXED, "index {i} vanished");
                            }
                        }
                    }
                    (found, missing)
                })
            })
            .collect();
        readers
            .into_iter()
            .map(|reader| reader.join().expect("reader panicked"))
            .fold((0, 0), |(f, m), (found, missing)| (f + found, m + missing))
    });

    println!(
        "writers:  {WRITERS} threads, {} sets over indices 0..{FIXED}, \
         each returned the value it replaced",
        WRITERS * (FIXED / WRITERS) * ROUNDS
    );
    println!(
        "tail:     1 thread, {} pushes and as many pops over indices {FIXED}..{}",
        TAIL * TAIL_CYCLES,
        FIXED + TAIL
    );
    println!("readers:  {READERS} threads, {} gets", found + missing);
    println!("          {found} values, every one tagged with its own index");
    println!("          {missing} None, all at tail indices that were popped");
    for i in 0..FIXED {
        assert_eq!(v.get(i), Some(i * TAG + ROUNDS));
    }
    assert_eq!(v.len(), FIXED);
    println!("final:    every index 0..{FIXED} holds its last round, length {FIXED}");

    // One thread alone: what a `get` and a `set` cost with nobody in the way.
    let start = Instant::now();
    for n in 0..TIMED {
        black_box(v.get(n % FIXED));
    }
    let get_ns = start.elapsed().as_nanos() as f64 / TIMED as f64;
    let start = Instant::now();
    for n in 0..TIMED {
        black_box(v.set(n % FIXED, n % FIXED * TAG));
    }
    let set_ns = start.elapsed().as_nanos() as f64 / TIMED as f64;
    println!("alone:    {get_ns:.1} ns per get, {set_ns:.1} ns per set");
}
