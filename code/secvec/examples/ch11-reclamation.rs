//! Chapter 11, memory reclamation: a hazard pointer keeps a retired object
//! alive for exactly as long as a reader needs it.
//!
//! The first part uses `haphazard` directly. A shared pointer starts out at
//! object 0. A reader thread protects it with a hazard pointer and then waits.
//! Meanwhile the main thread swaps in objects 1, 2, ... and retires each one
//! it replaced, so object 0 is retired while the reader still holds it. The
//! main thread then asks the global domain to reclaim everything it can: all
//! retired objects are freed except object 0. Only after the reader resets
//! its hazard pointer does the next reclamation free object 0 too. Every
//! object counts its own drop, so the example can check what was freed.
//!
//! The second part runs a contended `SecVec` workload, which retires one
//! descriptor per successful push or pop through the same global domain, and
//! shows that it finishes with the element count it should have and leaves
//! nothing behind for the domain once every thread is done.
//!
//! ```text
//! cargo run --release --example ch11-reclamation
//! ```

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;
use std::time::Instant;

use haphazard::{AtomicPtr, Domain, HazardPointer};
use secvec::SecVec;

/// How many times the main thread replaces the shared object.
const REPLACEMENTS: usize = 10;

/// How many `Tracked` objects have been dropped (freed) so far.
static DROPPED: AtomicUsize = AtomicUsize::new(0);
/// Whether object 0, the one the reader protects, has been dropped.
static FIRST_DROPPED: AtomicBool = AtomicBool::new(false);

/// An object that reports its own drop.
struct Tracked {
    id: usize,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        if self.id == 0 {
            FIRST_DROPPED.store(true, Ordering::SeqCst);
        }
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

fn hazard_pointers_by_hand() {
    let shared: AtomicPtr<Tracked> = AtomicPtr::from(Box::new(Tracked { id: 0 }));
    // Three meeting points: the reader has protected object 0; the main
    // thread has retired and reclaimed; the reader has let go.
    let barrier = Barrier::new(2);
    let domain = Domain::global();

    thread::scope(|s| {
        s.spawn(|| {
            let mut hazard = HazardPointer::new();
            let seen = shared.safe_load(&mut hazard).expect("never null");
            println!("reader:  protected object {}", seen.id);
            barrier.wait(); // 1: protected
            barrier.wait(); // 2: the writer retired it and tried to free it
                            // Still readable: the hazard pointer kept it alive.
            println!("reader:  object {} is still readable", seen.id);
            assert_eq!(seen.id, 0);
            hazard.reset_protection();
            // From here on `seen` is unusable: the borrow checker ties it to
            // the protection we just gave up.
            barrier.wait(); // 3: released
        });

        barrier.wait(); // 1
        let mut freed_by_retire = 0;
        for id in 1..=REPLACEMENTS {
            let old = shared.swap(Box::new(Tracked { id })).expect("never null");
            // SAFETY: `old` was just swapped out, so no later load can return
            // it, and only this thread swaps, so it is retired exactly once.
            freed_by_retire += unsafe { old.retire() };
        }
        println!("writer:  swapped {REPLACEMENTS} times, retired {REPLACEMENTS} objects");

        let freed = domain.eager_reclaim() + freed_by_retire;
        println!(
            "writer:  reclaim while the reader holds object 0 frees {freed} (object 0 freed: {})",
            FIRST_DROPPED.load(Ordering::SeqCst)
        );
        assert_eq!(freed, REPLACEMENTS - 1);
        assert_eq!(DROPPED.load(Ordering::SeqCst), REPLACEMENTS - 1);
        assert!(!FIRST_DROPPED.load(Ordering::SeqCst));
        barrier.wait(); // 2

        barrier.wait(); // 3
        let freed = domain.eager_reclaim();
        println!(
            "writer:  reclaim after the reader let go frees {freed} (object 0 freed: {})",
            FIRST_DROPPED.load(Ordering::SeqCst)
        );
        assert_eq!(freed, 1);
        assert!(FIRST_DROPPED.load(Ordering::SeqCst));
    });

    // The last object is still in `shared`; nobody can read it any more.
    // SAFETY: `shared` is consumed here, so no load can return its object
    // again, and that object was never retired before.
    unsafe { shared.retire() };
    domain.eager_reclaim();
    assert_eq!(DROPPED.load(Ordering::SeqCst), REPLACEMENTS + 1);
    println!(
        "total:   {} objects made, {} freed",
        REPLACEMENTS + 1,
        DROPPED.load(Ordering::SeqCst)
    );
}

fn secvec_workload() {
    const THREADS: u64 = 2;
    const ROUNDS: u64 = 100_000;

    let v = SecVec::new();
    let start = Instant::now();
    let popped: u64 = thread::scope(|s| {
        let workers: Vec<_> = (0..THREADS)
            .map(|t| {
                let v = &v;
                s.spawn(move || {
                    let mut popped = 0;
                    for i in 0..ROUNDS {
                        v.push(t * ROUNDS + i);
                        // Keep about one element in three.
                        if i % 3 != 0 && v.pop().is_some() {
                            popped += 1;
                        }
                    }
                    popped
                })
            })
            .collect();
        // A reader that keeps protecting descriptors while they are replaced.
        s.spawn(|| {
            let mut reads = 0_u64;
            while reads < ROUNDS {
                if v.get(0).is_some() {
                    reads += 1;
                }
                std::hint::black_box(v.len());
            }
        });
        workers.into_iter().map(|w| w.join().unwrap()).sum()
    });
    let elapsed = start.elapsed();

    let pushed = THREADS * ROUNDS;
    let left = v.len() as u64;
    println!(
        "secvec:  {THREADS} threads pushed {pushed} and popped {popped}, {left} left, in {:.0?}",
        elapsed
    );
    assert_eq!(pushed, popped + left);

    // Every thread is done, so no hazard pointer guards a descriptor: what
    // the domain still holds can all go now, and a second pass finds nothing.
    let pending = Domain::global().eager_reclaim();
    println!("secvec:  descriptors still waiting in the domain, now freed: {pending}");
    assert_eq!(Domain::global().eager_reclaim(), 0);
}

fn main() {
    hazard_pointers_by_hand();
    secvec_workload();
}
