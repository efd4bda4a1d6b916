//! Descriptors: the vector's size and its one pending write, swapped in as a
//! unit by a single compare-and-swap.
//!
//! A push must change two places at once: the size, and the slot at the old
//! size. No single atomic instruction can do both. The paper's answer is to
//! describe the whole change in a fresh, immutable [`Descriptor`], publish it
//! with one compare-and-swap on the vector's descriptor pointer, and leave the
//! slot write *pending* inside it. Every operation that wants to install the
//! next descriptor first finishes the pending write it finds, so a write is
//! always done before the vector moves on, however slow its own thread is.

use crate::buckets::Buckets;
use crate::slot::SlotWord;
use crate::sync::{AtomicBool, Ordering};

// ANCHOR: descriptor
/// The state of the vector between two operations.
pub(crate) struct Descriptor {
    /// How many elements the vector holds.
    pub(crate) size: usize,
    /// The slot write that the operation which installed this descriptor
    /// still owes, if it writes a slot at all (`pop` does not).
    pub(crate) write: Option<WriteDescriptor>,
}

/// A slot write announced in a descriptor.
pub(crate) struct WriteDescriptor {
    /// What to write where.
    pub(crate) op: WriteOp,
    /// Cleared once the write is known to be in the slot, so later helpers
    /// can skip it. A hint only: [`WriteOp::apply`] is safe to repeat.
    pending: AtomicBool,
}

/// The data of a slot write: plain values, `Copy`, so the thread that
/// published a descriptor can apply its own write without reading the
/// descriptor again.
#[derive(Clone, Copy, Debug)]
pub(crate) struct WriteOp {
    /// The element's index.
    pub(crate) index: usize,
    /// The slot's contents when the write was planned.
    pub(crate) old: SlotWord,
    /// The contents to leave there: new bits, version one higher.
    pub(crate) new: SlotWord,
}
// ANCHOR_END: descriptor

impl Descriptor {
    /// A descriptor with no pending write.
    pub(crate) fn settled(size: usize) -> Self {
        Descriptor { size, write: None }
    }

    /// A descriptor whose slot write is still to be done.
    pub(crate) fn with_write(size: usize, op: WriteOp) -> Self {
        Descriptor {
            size,
            write: Some(WriteDescriptor {
                op,
                pending: AtomicBool::new(true),
            }),
        }
    }

    // ANCHOR: complete_write
    /// Finishes this descriptor's pending write, whoever started it.
    ///
    /// Any thread may call this, any number of times, concurrently; it is how
    /// threads help each other. It only ever touches this descriptor's own
    /// flag, never that of whatever descriptor is current by the time it runs.
    pub(crate) fn complete_write(&self, buckets: &Buckets) {
        let Some(write) = &self.write else { return };
        // Acquire: pairs with the Release below, so seeing `false` means the
        // slot write is visible to us too.
        if write.pending.load(Ordering::Acquire) {
            write.op.apply(buckets);
            // Release: whoever reads `false` also sees the slot write.
            write.pending.store(false, Ordering::Release);
        }
    }
    // ANCHOR_END: complete_write

    // ANCHOR: pending_bits_for
    /// The value index `index` holds while this descriptor is current, if
    /// this descriptor's own write is what put it there.
    pub(crate) fn pending_bits_for(&self, index: usize) -> Option<u64> {
        self.write
            .as_ref()
            .filter(|write| write.op.index == index)
            .map(|write| write.op.new.bits)
    }
    // ANCHOR_END: pending_bits_for
}

impl WriteOp {
    // ANCHOR: apply
    /// Puts `new` into the slot if it still holds `old`.
    ///
    /// If the write was already applied, by us or by a helper, the slot's
    /// version has moved past `old.version` and nothing happens. That also
    /// holds for a helper that stalled here for a long time: even if the bits
    /// went back to `old.bits`, the version did not, so a stale write can
    /// never land.
    pub(crate) fn apply(&self, buckets: &Buckets) {
        let slot = buckets
            .slot(self.index)
            .expect("a write's bucket is allocated before its descriptor is published");
        // A plain load first: when the write is already done (the common
        // case for helpers) we skip the far costlier compare-and-swap.
        if slot.load() == self.old {
            slot.replace(self.old, self.new);
        }
    }
    // ANCHOR_END: apply
}
