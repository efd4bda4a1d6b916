//! Descriptors: the vector's size and its one pending write, swapped in as a
//! unit by a single compare-and-swap.
//!
//! A push must change two places at once: the size, and the slot at the old
//! size. No single atomic instruction can do both. The paper's answer is to
//! describe the whole change in an immutable descriptor, publish it with one
//! compare-and-swap, and leave the slot write *pending* inside it. Every
//! operation that wants to install the next descriptor first finishes the
//! pending write it finds, so a write is always done before the vector moves
//! on, however slow its own thread is.
//!
//! The paper allocates every descriptor on the heap and swaps a pointer to it.
//! Here a descriptor is a 128-bit value kept inline in the vector
//! ([`DescriptorCell`]): the size, plus either a *stamp* (no write owed) or a
//! reference to the [`WriteDescriptor`] that is owed. Only a write through
//! the descriptor (a `push`, or a `set` of a sealed slot) needs a write
//! descriptor, and those come from blocks (see `block.rs`); `pop`, `get` and
//! `len` read or swap the inline word and never allocate. (A `pop`, or a
//! `get` of the last index, that finds a write owed reads that write's
//! descriptor from its block to finish it, as every operation helps.)

use crate::block::WriteRef;
use crate::buckets::Buckets;
use crate::floor::{Floor, FloorChange};
use crate::slot::SlotWord;
use crate::sync::{AtomicU128, Ordering};

// ANCHOR: descriptor
/// The state of the vector between two operations.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) enum Descriptor {
    /// No write is owed: every slot below `size` holds its element.
    Idle {
        /// How many elements the vector holds.
        size: usize,
        /// One higher for every descriptor the vector installs (a pending
        /// one's is in its write), so an idle descriptor never comes back
        /// once replaced (see the ABA chapter).
        stamp: u64,
    },
    /// The operation that installed this descriptor owes a slot write, or
    /// made it already: the descriptor stays until the next operation
    /// replaces it, and that operation first makes sure the write is done.
    Pending {
        /// How many elements the vector holds, counting a pushed element
        /// whose slot may not be written yet.
        size: usize,
        /// Where the write is; its block is guarded by a hazard pointer
        /// while the write is read.
        write: WriteRef,
    },
}

/// A slot write announced by a pending descriptor. Immutable once published.
#[derive(Debug)]
pub(crate) struct WriteDescriptor {
    /// What to write where.
    pub(crate) op: WriteOp,
    /// The stamp of the state this write leads to: one higher than the
    /// state it replaced.
    pub(crate) stamp: u64,
}

/// The data of a slot write: plain values, `Copy`, so the thread that
/// published a write can apply it without reading the heap again.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WriteOp {
    /// The element's index.
    pub(crate) index: usize,
    /// The slot's contents when the write was planned.
    pub(crate) old: SlotWord,
    /// The contents to leave there: the new bits, with the version of the
    /// stamp of the state this write leads to.
    pub(crate) new: SlotWord,
    /// A rise of the floor that comes with this write (pushes only).
    pub(crate) raise: Option<FloorChange>,
}
// ANCHOR_END: descriptor

impl Descriptor {
    /// How many elements the vector holds while this descriptor is current.
    #[inline]
    pub(crate) fn size(self) -> usize {
        match self {
            Descriptor::Idle { size, .. } | Descriptor::Pending { size, .. } => size,
        }
    }

    // ANCHOR: pack
    /// The low half holds the size shifted left by one, with the lowest bit
    /// telling the two kinds apart; the high half holds the stamp or the
    /// write's place. A size never needs the top bit: the buckets cannot
    /// hold more than `isize::MAX` bytes of 16-byte slots.
    #[inline]
    fn pack(self) -> u128 {
        let (low, high) = match self {
            Descriptor::Idle { size, stamp } => ((size as u64) << 1, stamp),
            Descriptor::Pending { size, write } => (((size as u64) << 1) | 1, write.to_bits()),
        };
        (u128::from(high) << 64) | u128::from(low)
    }

    #[inline]
    fn unpack(word: u128) -> Descriptor {
        let (low, high) = (word as u64, (word >> 64) as u64);
        let size = (low >> 1) as usize;
        if low & 1 == 0 {
            Descriptor::Idle { size, stamp: high }
        } else {
            Descriptor::Pending {
                size,
                write: WriteRef::from_bits(high),
            }
        }
    }
    // ANCHOR_END: pack
}

// ANCHOR: cell
/// The vector's current descriptor, as one 128-bit atomic word.
#[derive(Debug)]
pub(crate) struct DescriptorCell(AtomicU128);

impl DescriptorCell {
    /// A cell holding `descriptor`.
    pub(crate) fn new(descriptor: Descriptor) -> Self {
        DescriptorCell(AtomicU128::new(descriptor.pack()))
    }

    /// The current descriptor.
    #[inline]
    pub(crate) fn load(&self) -> Descriptor {
        // Acquire: pairs with the Release of `compare_exchange`, so whoever
        // sees a descriptor also sees the write it names and every slot
        // write done before it was installed.
        Descriptor::unpack(self.0.load(Ordering::Acquire))
    }

    /// Replaces `current` with `next` if `current` is still the descriptor.
    #[inline]
    pub(crate) fn compare_exchange(&self, current: Descriptor, next: Descriptor) -> bool {
        self.0
            // AcqRel on success: Release publishes `next` and everything
            // done before, such as the pending write of `current`, which the
            // caller did or saw done; Acquire orders us after the thread
            // that installed `current`. Relaxed on failure: the caller loads the
            // descriptor again before it uses anything.
            .compare_exchange(
                current.pack(),
                next.pack(),
                Ordering::AcqRel,
                Ordering::Relaxed,
            )
            .is_ok()
    }
}
// ANCHOR_END: cell

impl WriteOp {
    // ANCHOR: apply
    /// Puts `new` into the slot if it still holds `old`, and raises the
    /// floor if the write carries a rise and the floor is still as it was.
    ///
    /// If the write was already applied, by us or by a helper, the slot no
    /// longer holds `old` and nothing happens. That also holds for a helper
    /// that stalled here for a long time: once the write landed, the slot's
    /// word names a stamp past every operation that could have put `old`
    /// back (see `slot.rs`), so even if the bits return to `old.bits`, the
    /// version does not.
    #[inline]
    pub(crate) fn apply(&self, buckets: &Buckets, floor: &Floor) {
        let slot = buckets
            .slot(self.index)
            .expect("a write's bucket is allocated before its descriptor is published");
        // A plain load first: when the write is already done (the common
        // case for helpers) we skip the far costlier compare-and-swap.
        if slot.load() == self.old {
            slot.replace(self.old, self.new);
        }
        // Checked on its own: a thread may have stalled between the two.
        if let Some(raise) = self.raise {
            floor.apply(raise);
        }
    }
    // ANCHOR_END: apply
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn both_kinds_survive_packing() {
        let idle = Descriptor::Idle {
            size: (1 << 62) - 1,
            stamp: u64::MAX,
        };
        assert_eq!(Descriptor::unpack(idle.pack()), idle);

        let mut slab = crate::block::WriteSlab::default();
        let write = slab.stage(WriteDescriptor {
            op: WriteOp {
                index: 3,
                old: SlotWord {
                    bits: 0,
                    version: 0,
                },
                new: SlotWord {
                    bits: 9,
                    version: 1,
                },
                raise: None,
            },
            stamp: 2,
        });
        let pending = Descriptor::Pending { size: 4, write };
        assert_eq!(Descriptor::unpack(pending.pack()), pending);
        assert_ne!(pending.pack(), idle.pack());
    }

    #[test]
    fn the_cell_swaps_only_from_the_current_descriptor() {
        let first = Descriptor::Idle { size: 0, stamp: 0 };
        let second = Descriptor::Idle { size: 1, stamp: 1 };
        let cell = DescriptorCell::new(first);
        assert!(cell.compare_exchange(first, second));
        assert!(!cell.compare_exchange(first, second));
        assert_eq!(cell.load(), second);
    }
}
