//! Stage 2 fixes stage 1's leak: after a vector is dropped and haphazard's
//! domain has reclaimed what it can, the bytes in use are back where they
//! were.

use haphazard::Domain;
use stage2::SecVec;
use suite::alloc::{live_bytes, Counting};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// ANCHOR: no_leak
#[test]
fn every_replaced_descriptor_is_freed() {
    const PUSHES: usize = 10_000;
    // One operation first: the domain allocates its hazard-pointer records
    // on first use and keeps them for the life of the program.
    SecVec::<u64>::new().push(0);
    Domain::global().eager_reclaim();
    let before = live_bytes();
    {
        let v = SecVec::new();
        for i in 0..PUSHES {
            v.push(i as u64);
        }
        while v.pop().is_some() {}
    }
    // Retired descriptors wait in the domain until a scan finds no hazard
    // pointer naming them; ask for that scan now.
    Domain::global().eager_reclaim();
    let left = live_bytes() - before;
    println!(
        "{left} bytes still allocated after {} operations",
        2 * PUSHES
    );
    assert!(left.abs() < 1024, "{left} bytes left behind");
}
// ANCHOR_END: no_leak
