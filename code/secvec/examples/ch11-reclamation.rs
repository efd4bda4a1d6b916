//! Chapter 11, memory reclamation: a hazard pointer keeps a retired object
//! alive for exactly as long as a reader needs it, and `SecVec` retires its
//! write descriptors in blocks of 64.
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
//! The second part watches one thread's blocks. It pushes 100 values, which
//! takes 100 write descriptors: all 64 of a first block, which is retired as
//! soon as its last write is finished, and 36 of a second one, which the
//! thread keeps for its next writes. Pops, gets and lengths need no write
//! descriptor, so they retire nothing. When the thread exits, it finishes the
//! 28 positions it never used, and the second block goes too.
//!
//! The third part runs a contended `SecVec` workload through the same global
//! domain and shows that once every thread has exited, the domain can free
//! every block that is left, and a second pass finds nothing.
//!
//! ```text
//! cargo run --release --example ch11-reclamation
//! ```

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;

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

/// A thread's write descriptors come in blocks of this many.
const BLOCK_LEN: usize = 64;

fn blocks_of_one_thread() {
    // One full block and part of a second.
    const PUSHES: usize = 100;
    let domain = Domain::global();
    let v = SecVec::new();
    // Two meeting points: the pusher is done pushing; the pusher may exit.
    let pushed = Barrier::new(2);
    let may_exit = Barrier::new(2);

    thread::scope(|s| {
        let pusher = s.spawn(|| {
            for i in 0..PUSHES as u64 {
                v.push(i);
            }
            pushed.wait();
            // Stay alive, and keep the partly used block, until told.
            may_exit.wait();
        });

        pushed.wait();
        // The pusher settled every one of its writes itself, so the first
        // block's 64 positions are all finished and it was retired; the
        // domain has not scanned since (it waits for about a thousand).
        let freed = domain.eager_reclaim();
        println!("blocks:  {PUSHES} pushes filled 1 block of {BLOCK_LEN}, reclaim frees {freed}");
        assert_eq!(freed, 1);

        // None of these writes a slot, so none takes a write descriptor.
        for i in 0..PUSHES / 2 {
            assert_eq!(v.get(i), Some(i as u64));
            assert!(v.pop().is_some());
            assert_eq!(v.len(), PUSHES - 1 - i);
        }
        let freed = domain.eager_reclaim();
        println!(
            "blocks:  {} pops, gets and lens retire nothing, reclaim frees {freed}",
            PUSHES / 2
        );
        assert_eq!(freed, 0);

        may_exit.wait();
        // Unlike the end of the scope, `join` waits until the thread has
        // exited and dropped its thread-locals, slab included.
        pusher.join().unwrap();
        let unused = BLOCK_LEN - PUSHES % BLOCK_LEN;
        let freed = domain.eager_reclaim();
        println!(
            "blocks:  the pusher exited and finished its {unused} unused positions, reclaim frees {freed}"
        );
        assert_eq!(freed, 1);
    });
}

fn secvec_workload() {
    const THREADS: u64 = 2;
    const ROUNDS: u64 = 100_000;

    let v = SecVec::new();
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
        // A reader that helps whenever it finds a write pending, and so
        // guards the block of that write while it reads it.
        let reader = s.spawn(|| {
            let mut reads = 0_u64;
            while reads < ROUNDS {
                if v.get(0).is_some() {
                    reads += 1;
                }
                std::hint::black_box(v.len());
            }
        });
        // Join each thread, so that it has exited and its slab has finished
        // the positions it never used before we look at the domain.
        let popped = workers.into_iter().map(|w| w.join().unwrap()).sum();
        reader.join().unwrap();
        popped
    });

    let pushed = THREADS * ROUNDS;
    let left = v.len() as u64;
    println!("secvec:  {THREADS} threads pushed {pushed} and popped {popped}, {left} left");
    assert_eq!(pushed, popped + left);

    // Every thread has exited: every block is finished and retired, and no
    // hazard pointer guards one. What the domain still holds can all go
    // now, and a second pass finds nothing.
    let waiting = Domain::global().eager_reclaim();
    println!("secvec:  blocks still waiting in the domain, now freed: {waiting}");
    assert_eq!(Domain::global().eager_reclaim(), 0);
}

fn main() {
    hazard_pointers_by_hand();
    blocks_of_one_thread();
    secvec_workload();
}
