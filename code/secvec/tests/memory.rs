//! Memory accounting: a counting global allocator shows that a dropped
//! `SecVec` gives back everything it allocated, buckets and blocks of write
//! descriptors, including after concurrent use.
//!
//! Blocks of write descriptors are not freed at once: a block is retired only
//! when all 64 of its writes are done with (a thread's partly used block when
//! the thread exits), and then waits in `haphazard`'s global domain until no
//! hazard pointer guards it; the domain only scans now and then (after about
//! a thousand retirements). So each check first asks the domain to reclaim
//! everything it can with `Domain::global().eager_reclaim()`, and only then
//! compares the bytes in use with the figure from before the vector existed.
//! The measuring thread keeps one partly used block throughout, which is in
//! both figures.
//!
//! The allocator counts the whole test binary, so this file holds a single
//! `#[test]` that runs its checks one after another: with two tests, the
//! harness would start the second one (a thread, buffers for its output)
//! while the first is measuring. A little slack remains for the harness's own
//! allocations; what the checks measure is hundreds of kilobytes.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};
use std::thread;

use haphazard::Domain;
use secvec::SecVec;

/// The system allocator, counting the bytes currently allocated.
struct Counting;

/// Bytes allocated and not yet freed, by every thread of the binary.
static LIVE: AtomicIsize = AtomicIsize::new(0);

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `Counting` upholds exactly the guarantees `System` does; the
// counter is bookkeeping on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller meets `GlobalAlloc::alloc`'s contract for us.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: as for `alloc`.
        let pointer = unsafe { System.alloc_zeroed(layout) };
        if !pointer.is_null() {
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: `pointer` was allocated by this allocator, that is by
        // `System`, with `layout` (the caller's promise).
        unsafe { System.dealloc(pointer, layout) };
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }

    unsafe fn realloc(&self, pointer: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: as for `dealloc`, and `new_size` meets `realloc`'s rules
        // (the caller's promise).
        let new = unsafe { System.realloc(pointer, layout, new_size) };
        if !new.is_null() {
            LIVE.fetch_add(
                new_size as isize - layout.size() as isize,
                Ordering::Relaxed,
            );
        }
        new
    }
}

#[global_allocator]
static ALLOCATOR: Counting = Counting;

/// Bytes the harness may allocate behind our back during a measurement.
const SLACK: isize = 4 * 1024;

/// Bytes in use once the hazard-pointer domain has freed what it can.
fn live_after_reclaim() -> isize {
    Domain::global().eager_reclaim();
    LIVE.load(Ordering::Relaxed)
}

/// One vector, filled, used and dropped by the calling thread.
fn fill_and_drop(n: u64) -> isize {
    let v = SecVec::new();
    for i in 0..n {
        v.push(i);
    }
    for i in 0..n / 2 {
        v.set(i as usize, i + 1);
        v.pop();
    }
    let peak = LIVE.load(Ordering::Relaxed);
    drop(v);
    peak
}

fn a_dropped_vector_gives_back_its_buckets_and_descriptors() {
    // The first use on a thread takes a hazard-pointer record from the
    // domain, which keeps it for reuse: allocate that before measuring.
    fill_and_drop(100);
    let before = live_after_reclaim();

    let peak = fill_and_drop(100_000);
    // 100,000 slots of 16 bytes were in use, in buckets of 8 << k slots.
    assert!(peak - before >= 100_000 * 16, "peak {}", peak - before);

    let after = live_after_reclaim();
    assert!(
        (after - before).abs() < SLACK,
        "{} bytes still allocated after the drop",
        after - before
    );
}

fn concurrent_use_leaks_nothing() {
    let run = |per_thread: u64| {
        let v = SecVec::new();
        thread::scope(|s| {
            let workers: Vec<_> = (0..8)
                .map(|t| {
                    let v = &v;
                    s.spawn(move || {
                        for i in 0..per_thread {
                            v.push(t * per_thread + i);
                            if i % 3 == 0 {
                                v.pop();
                            }
                            if i % 5 == 0 {
                                v.get(i as usize);
                            }
                        }
                    })
                })
                .collect();
            // Join each thread explicitly: unlike the end of the scope, that
            // waits until the thread has exited and freed its thread-locals
            // (the scope only waits for the closures to return).
            for worker in workers {
                worker.join().unwrap();
            }
        });
        assert_eq!(v.len() as u64, 8 * (per_thread - per_thread.div_ceil(3)));
    };
    // Eight threads take eight hazard-pointer records; when they exit the
    // records go back to the domain, and the next eight threads reuse them.
    run(10);
    let before = live_after_reclaim();
    for _ in 0..5 {
        run(5_000);
    }
    let after = live_after_reclaim();
    assert!(
        (after - before).abs() < SLACK,
        "{} bytes still allocated after five vectors were dropped",
        after - before
    );
}

fn drop_frees_the_buckets_itself() {
    fill_and_drop(100);
    let before = live_after_reclaim();
    let v = SecVec::new();
    for i in 0..5_000_u32 {
        v.push(i);
    }
    let buckets = v.capacity() as isize * 16;
    let in_use = LIVE.load(Ordering::Relaxed);
    drop(v);
    // The buckets go with the vector, at once; replaced descriptors may
    // still wait in the domain until it next scans.
    let freed = in_use - LIVE.load(Ordering::Relaxed);
    assert!(freed >= buckets, "drop freed {freed} bytes of {buckets}");
    let after = live_after_reclaim();
    assert!((after - before).abs() < SLACK, "{}", after - before);
}

/// Whatever a vector keeps for itself (bucket table, current descriptor)
/// goes with it: a thousand vectors leaking even 64 bytes each would show.
fn many_small_vectors_leak_nothing() {
    fill_and_drop(100);
    let before = live_after_reclaim();
    for i in 0..1_000_u16 {
        let v = SecVec::from(vec![i, i + 1, i + 2]);
        assert_eq!(v.pop(), Some(i + 2));
        let empty: SecVec<u16> = SecVec::new();
        assert!(empty.is_empty());
    }
    let after = live_after_reclaim();
    assert!((after - before).abs() < SLACK, "{}", after - before);
}

/// The checks above, one after another (see the module documentation).
#[test]
fn dropped_vectors_give_back_everything() {
    a_dropped_vector_gives_back_its_buckets_and_descriptors();
    drop_frees_the_buckets_itself();
    many_small_vectors_leak_nothing();
    concurrent_use_leaks_nothing();
}
