//! "Write descriptors in blocks" (Part III): a thread carves its write
//! descriptors out of blocks of 64, and a block is allocated once and retired
//! once, by whichever thread finishes its last write.
//!
//! The first part counts allocations. One thread pushes 6,400 values into a
//! vector whose buckets were allocated beforehand, so that the only memory
//! a push can still ask for is for its write descriptor. The 6,400 pushes
//! make about 200 allocations: one block per 64 pushes, and the record that
//! haphazard allocates when a block is retired.
//!
//! The second part watches one thread's blocks. It pushes 100 values, which
//! takes 100 write descriptors: all 64 of a first block, which is retired as
//! soon as its last write is finished, and 36 of a second one, which the
//! thread keeps for its next writes. Pops, gets and lengths need no write
//! descriptor, so they retire nothing. When the thread exits, it finishes the
//! 28 positions it never used, and the second block goes too.
//!
//! The third part runs a contended workload, with helping, through the same
//! global domain, and checks that once every thread has exited the domain
//! can free every block that is left, and a second pass finds nothing.
//!
//! ```text
//! cargo run -p secvec --release --example blocks
//! ```

use std::sync::Barrier;
use std::thread;

use haphazard::Domain;
use secvec::SecVec;

#[path = "support/count_allocations.rs"]
mod count_allocations;
use count_allocations::allocations;

/// A thread's write descriptors come in blocks of this many.
const BLOCK_LEN: usize = 64;

fn allocations_per_push() {
    const PUSHES: usize = 100 * BLOCK_LEN;
    // A thread of its own, so that its slab starts empty and its first
    // block is allocated inside the count.
    thread::scope(|s| {
        s.spawn(|| {
            let v = SecVec::with_capacity(PUSHES);
            let made = allocations(|| {
                for i in 0..PUSHES as u64 {
                    v.push(i);
                }
            });
            println!(
                "allocs:  {PUSHES} pushes made {made} allocations, one per {:.0} pushes",
                PUSHES as f64 / made as f64
            );
            // 100 blocks and 99 retirements (the last block's last write
            // is still pending), plus the thread's hazard-pointer record
            // and, with some allocators, its first use of thread-local
            // storage.
            assert!(
                (2 * PUSHES / BLOCK_LEN - 1..=2 * PUSHES / BLOCK_LEN + 4).contains(&made),
                "{made} allocations"
            );
        });
    });
}

fn blocks_of_one_thread() {
    // One full block and part of a second.
    const PUSHES: usize = 100;
    let domain = Domain::global();
    // Whatever the first part left in the domain goes first.
    domain.eager_reclaim();
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
        // Each push replaced the pusher's previous write; the first block's
        // last write was replaced by the first push into the second block,
        // which completed the block's count and retired it. The domain has
        // not scanned since (it waits for about a thousand).
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

fn contended_workload() {
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
        // A reader of the last index, which helps whenever it finds a push
        // pending, and so guards the block of that write while it reads it.
        let reader = s.spawn(|| {
            let mut reads = 0_u64;
            while reads < ROUNDS {
                let last = v.len().saturating_sub(1);
                if v.get(last).is_some() {
                    reads += 1;
                }
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

    // Every thread has exited, so no hazard pointer guards a block, and
    // every block is retired but the one holding the write the descriptor
    // still names (the last push stays pending until `v` is dropped). What
    // the domain holds can all go now, and a second pass finds nothing.
    let waiting = Domain::global().eager_reclaim();
    println!("secvec:  blocks still waiting in the domain, now freed: {waiting}");
    assert_eq!(Domain::global().eager_reclaim(), 0);
}

fn main() {
    allocations_per_push();
    blocks_of_one_thread();
    contended_workload();
}
