//! Chapter 11, "Memory reclamation with hazard pointers": a hazard pointer
//! keeps a retired object alive for exactly as long as a reader needs it,
//! and stage 2's vector gives back what stage 1 leaked.
//!
//! The first part uses `haphazard` directly. A shared pointer starts out at
//! object 0. A reader thread protects it with a hazard pointer and waits.
//! Meanwhile the main thread swaps in objects 1 to 10 and retires each one
//! it replaces, so object 0 is retired while the reader still holds it. The
//! main thread asks the global domain to reclaim what it can: every retired
//! object goes except object 0. Only after the reader resets its hazard
//! pointer does the next reclamation free object 0 too. Every object counts
//! its own drop, so the example can check what was freed.
//!
//! The second part counts bytes. A stage 2 `SecVec` with one element takes
//! 20,000 more operations (a push and a pop, over and over), each of which
//! replaces the descriptor. Stage 1 leaked 48 bytes for each; here the
//! replaced descriptors wait in the domain until a retire finds more than
//! its threshold waiting, and are then freed. The example prints the most
//! bytes ever waiting, and checks that once the vector is dropped and the
//! domain has reclaimed, the bytes in use are back where they started.
//!
//! ```text
//! cargo run -p stage2 --release --example reclamation
//! ```

use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::Barrier;
use std::thread;

use haphazard::{AtomicPtr, Domain, HazardPointer};
use stage2::SecVec;
use suite::alloc::{live_bytes, Counting};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// How many times the main thread replaces the shared object.
const REPLACEMENTS: usize = 10;

/// How many `Tracked` objects have been dropped (freed) so far. Both this
/// and the flag below use `SeqCst`, though any ordering would do: they are
/// written by whichever thread frees an object and read after a barrier or
/// a join, which order the two already.
static DROPPED: AtomicUsize = AtomicUsize::new(0);
/// Whether object 0, the one the reader protects, has been dropped.
static FIRST_DROPPED: AtomicBool = AtomicBool::new(false);

/// An object that reports its own drop.
struct Tracked {
    id: usize,
}

impl Drop for Tracked {
    fn drop(&mut self) {
        // SeqCst: as the statics' comment says, more than needed.
        if self.id == 0 {
            FIRST_DROPPED.store(true, Ordering::SeqCst);
        }
        DROPPED.fetch_add(1, Ordering::SeqCst);
    }
}

fn a_hazard_pointer_by_hand() {
    let shared: AtomicPtr<Tracked> = AtomicPtr::from(Box::new(Tracked { id: 0 }));
    // Three meeting points: the reader has protected object 0; the main
    // thread has retired and reclaimed; the reader has let go.
    let barrier = Barrier::new(2);
    let domain = Domain::global();

    thread::scope(|s| {
        let reader = s.spawn(|| {
            let mut hazard = HazardPointer::new();
            let seen = shared.safe_load(&mut hazard).expect("never null");
            println!("reader:  protected object {}", seen.id);
            barrier.wait(); // 1: protected
            barrier.wait(); // 2: the writer retired it and tried to free it
            println!("reader:  object {} is still readable", seen.id);
            assert_eq!(seen.id, 0);
            hazard.reset_protection();
            // From here on `seen` is unusable: the borrow checker ties it to
            // the protection we just gave up.
            barrier.wait(); // 3: released
        });

        barrier.wait(); // 1
        let mut freed = 0;
        for id in 1..=REPLACEMENTS {
            let old = shared.swap(Box::new(Tracked { id })).expect("never null");
            // SAFETY: `old` was just swapped out, so no later load can return
            // it, and only this thread swaps, so it is retired exactly once.
            // (It returns how many objects this retire happened to free.)
            freed += unsafe { old.retire() };
        }
        println!("writer:  swapped {REPLACEMENTS} times, retired {REPLACEMENTS} objects");
        freed += domain.eager_reclaim();
        println!(
            "writer:  reclaim while the reader holds object 0 frees {freed} (object 0 freed: {})",
            FIRST_DROPPED.load(Ordering::SeqCst)
        );
        assert_eq!(freed, REPLACEMENTS - 1);
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
        // Unlike the end of the scope, `join` waits until the thread has
        // exited and freed what it allocated, which the second part counts.
        reader.join().unwrap();
    });

    // SAFETY: `shared` is consumed here, so no load can return its last
    // object again, and that object was never retired before.
    unsafe { shared.retire() };
    domain.eager_reclaim();
    assert_eq!(DROPPED.load(Ordering::SeqCst), REPLACEMENTS + 1);
    println!(
        "total:   {} objects made, {} freed",
        REPLACEMENTS + 1,
        DROPPED.load(Ordering::SeqCst)
    );
}

fn stage_two_gives_it_back() {
    const OPERATIONS: usize = 20_000;
    let domain = Domain::global();
    // Warm up: the domain allocates its hazard-pointer records on first use
    // and keeps them for the life of the program.
    SecVec::<u64>::new().push(0);
    domain.eager_reclaim();
    let start = live_bytes();
    {
        let v = SecVec::new();
        v.push(0_u64);
        // From here on the buckets stay as they are: any change in the
        // bytes in use is descriptors, and the domain's notes about them.
        let base = live_bytes();
        let mut most_waiting = 0;
        for i in 0..OPERATIONS / 2 {
            v.push(i as u64);
            assert_eq!(v.pop(), Some(i as u64));
            most_waiting = most_waiting.max(live_bytes() - base);
        }
        println!(
            "stage 2: {OPERATIONS} operations, at most {most_waiting} bytes of replaced descriptors waiting"
        );
        // Stage 1 kept 48 bytes per operation, for good.
        assert!(most_waiting < (OPERATIONS * 48 / 4) as isize);
    }
    let left = live_bytes() - start;
    let freed = domain.eager_reclaim();
    let after = live_bytes() - start;
    println!(
        "stage 2: dropped: {left} bytes still allocated; reclaim frees {freed} more, {after} left"
    );
    assert_eq!(after, 0);
}

fn main() {
    a_hazard_pointer_by_hand();
    println!();
    stage_two_gives_it_back();
}
