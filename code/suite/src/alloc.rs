//! A global allocator that counts the bytes in use, for the tests that show
//! a stage leaking (stage 1) or not (stage 2 on).
//!
//! A test binary installs it with
//!
//! ```text
//! #[global_allocator]
//! static ALLOCATOR: suite::alloc::Counting = suite::alloc::Counting;
//! ```
//!
//! and compares [`live_bytes`] before and after. The count covers every
//! thread of the binary, so such a binary should hold a single `#[test]`.

use std::alloc::{GlobalAlloc, Layout, System};
use std::sync::atomic::{AtomicIsize, Ordering};

/// The system allocator, counting the bytes currently allocated.
pub struct Counting;

/// Bytes allocated and not yet freed, by every thread of the binary.
static LIVE: AtomicIsize = AtomicIsize::new(0);

/// How many bytes are allocated and not yet freed right now.
pub fn live_bytes() -> isize {
    // Relaxed: a count, read by the one thread that measures.
    LIVE.load(Ordering::Relaxed)
}

// SAFETY: every method forwards to `System` with the caller's arguments
// unchanged, so `Counting` keeps exactly the promises `System` does; the
// counter is bookkeeping on the side.
unsafe impl GlobalAlloc for Counting {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: the caller meets `GlobalAlloc::alloc`'s contract for us.
        let pointer = unsafe { System.alloc(layout) };
        if !pointer.is_null() {
            // Relaxed: a count, as in `live_bytes`; it orders nothing.
            LIVE.fetch_add(layout.size() as isize, Ordering::Relaxed);
        }
        pointer
    }

    unsafe fn dealloc(&self, pointer: *mut u8, layout: Layout) {
        // SAFETY: `pointer` came from this allocator, that is from
        // `System`, with `layout` (the caller's promise).
        unsafe { System.dealloc(pointer, layout) };
        // Relaxed: as above.
        LIVE.fetch_sub(layout.size() as isize, Ordering::Relaxed);
    }
}
