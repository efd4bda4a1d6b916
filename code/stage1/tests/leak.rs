//! Stage 1's flaw, measured: every descriptor it replaces is leaked.
//!
//! A counting allocator (from the shared suite) tells how many bytes are in
//! use before a vector exists and after it is dropped. A correct vector
//! gives everything back; this one keeps one descriptor per operation.

use stage1::SecVec;
use suite::alloc::{live_bytes, Counting};

#[global_allocator]
static ALLOCATOR: Counting = Counting;

// ANCHOR: leak
#[test]
fn every_replaced_descriptor_is_leaked() {
    const PUSHES: usize = 10_000;
    let before = live_bytes();
    {
        let v = SecVec::new();
        for i in 0..PUSHES {
            v.push(i as u64);
        }
        while v.pop().is_some() {}
    } // `v` is dropped here, with its buckets and its last descriptor.
    let leaked = (live_bytes() - before) as usize;
    let operations = 2 * PUSHES;
    println!(
        "{leaked} bytes leaked by {operations} operations: {} per operation",
        leaked / operations
    );
    // Every push and pop installs a descriptor that the next one replaces,
    // and a descriptor holds at least the size, the index and the old and
    // new bits: 32 bytes.
    assert!(leaked >= operations * 32, "only {leaked} bytes leaked");
}
// ANCHOR_END: leak
