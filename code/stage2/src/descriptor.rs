//! Descriptors: the vector's size and at most one pending slot write,
//! published together by one compare-and-swap of a pointer.
//!
//! A push must change two words at once: the size, and the slot at the old
//! size. No instruction does that. So a push describes the whole change in a
//! new [`Descriptor`], installs it with one compare-and-swap, and only then
//! writes the slot. Until the slot is written the write is *pending*, and
//! every thread that finds it pending completes it before doing anything
//! else. That is *helping*: a thread stalled after its swap cannot hold up
//! the others, because they finish its work for it.

use crate::sync::{AtomicBool, Ordering};

use crate::buckets::Buckets;

// ANCHOR: descriptor
/// The state of the vector. Never changed once published (only the write's
/// `pending` flag is), so every thread that reads it sees the same thing.
pub(crate) struct Descriptor {
    /// How many elements the vector holds, counting the one a pending push
    /// is writing.
    pub(crate) size: usize,
    /// The slot write that the operation which installed this descriptor
    /// still owes, if any.
    pub(crate) write: Option<WriteDescriptor>,
}

/// A slot write: put `new` in slot `index` if it still holds `old`.
pub(crate) struct WriteDescriptor {
    index: usize,
    old: u64,
    new: u64,
    /// `true` until some thread has done the write.
    pending: AtomicBool,
}
// ANCHOR_END: descriptor

impl WriteDescriptor {
    /// A write, not yet done, of `new` over `old` in slot `index`.
    pub(crate) fn new(index: usize, old: u64, new: u64) -> Self {
        WriteDescriptor {
            index,
            old,
            new,
            pending: AtomicBool::new(true),
        }
    }
}

impl Descriptor {
    // ANCHOR: complete_write
    /// Completes the write this descriptor announces, if it is still
    /// pending. Any number of threads may call this at once: exactly one of
    /// their compare-and-swaps finds `old` in the slot and replaces it,
    /// unless the slot comes back to `old` while a late one is still on its
    /// way (the ABA problem, which stage 3 fixes).
    pub(crate) fn complete_write(&self, buckets: &Buckets) {
        let Some(write) = &self.write else {
            return;
        };
        // Acquire: pairs with the Release store below, so a thread that
        // finds the write done also sees the slot as the write left it.
        if write.pending.load(Ordering::Acquire) {
            let slot = buckets
                .slot(write.index)
                .expect("a write's bucket exists before its descriptor is published");
            // AcqRel publishes the new bits; on failure (someone else did the
            // write first) Acquire makes their write visible to us, and so
            // to whoever reads our `false` below.
            let _ =
                slot.compare_exchange(write.old, write.new, Ordering::AcqRel, Ordering::Acquire);
            // Release: see the Acquire load above.
            write.pending.store(false, Ordering::Release);
        }
    }
    // ANCHOR_END: complete_write
}
