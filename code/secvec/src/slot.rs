//! A slot: one element's bits beside a version number, updated together.
//!
//! The paper stores each element in a single word and completes a pending
//! write with `compare_exchange(old, new)`. A helper that stalls just before
//! that compare-and-swap can wake up after the slot went from `old` to `new`
//! and back to `old` (pop, push of the same value), and its stale swap would
//! then succeed: the ABA problem. Pairing the bits with a version that every
//! write increments makes the stale swap fail, because the version it expects
//! is gone for good. See the book's chapter on ABA for the whole story, and why
//! a spare tag bit (the scheme of Dechev, Pirkelbauer and Stroustrup, ISORC
//! 2010) is not available when an element may use all 64 bits.

use crate::sync::{AtomicU128, Ordering};

// ANCHOR: slot_word
/// What a slot holds: the element's bits and how many writes it has seen.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlotWord {
    /// The element, as made by [`to_bits`](crate::element::to_bits).
    pub(crate) bits: u64,
    /// Incremented by every write to this slot; never goes back.
    pub(crate) version: u64,
}

impl SlotWord {
    /// The word that a write of `bits` over `self` produces.
    #[inline]
    pub(crate) fn followed_by(self, bits: u64) -> SlotWord {
        SlotWord {
            bits,
            // 2^64 writes to one slot would take centuries; wrapping keeps
            // the arithmetic total all the same.
            version: self.version.wrapping_add(1),
        }
    }

    #[inline]
    fn pack(self) -> u128 {
        (u128::from(self.version) << 64) | u128::from(self.bits)
    }

    #[inline]
    fn unpack(word: u128) -> SlotWord {
        SlotWord {
            bits: word as u64,
            version: (word >> 64) as u64,
        }
    }
}
// ANCHOR_END: slot_word

// ANCHOR: slot
/// One element of the vector, as a 128-bit atomic word.
#[derive(Debug)]
#[repr(transparent)]
pub(crate) struct Slot(AtomicU128);

impl Slot {
    /// A slot that was never written: bits and version both zero.
    #[cfg(loom)]
    pub(crate) fn empty() -> Slot {
        Slot(AtomicU128::new(0))
    }

    /// Reads bits and version in one atomic step.
    #[inline]
    pub(crate) fn load(&self) -> SlotWord {
        // Acquire: pairs with the AcqRel of `replace`, so a reader that sees
        // a version also sees everything written before that write.
        SlotWord::unpack(self.0.load(Ordering::Acquire))
    }

    // ANCHOR: load_for_write
    /// Reads bits and version like [`load`](Self::load), but with a
    /// compare-and-swap of zero for zero, which leaves the slot as it is.
    ///
    /// A push reads the slot it is about to write. The first access to a page
    /// of a fresh bucket decides how the operating system maps it: a read maps
    /// the shared page of zeros, and the write that follows must then copy it
    /// and flush the stale mapping from every core's TLB (an interrupt for
    /// each core running the program). A compare-and-swap is a write access
    /// whether or not it succeeds, so the page is mapped once, writable.
    #[inline]
    pub(crate) fn load_for_write(&self) -> SlotWord {
        // AcqRel/Acquire: as `load`, this must see everything written before
        // the word it returns; the swap of 0 for 0 changes nothing.
        let word = match self
            .0
            .compare_exchange(0, 0, Ordering::AcqRel, Ordering::Acquire)
        {
            Ok(zero) | Err(zero) => zero,
        };
        SlotWord::unpack(word)
    }
    // ANCHOR_END: load_for_write

    /// Writes `new` if the slot still holds exactly `expected`, bits *and*
    /// version. Returns whether this call did the write.
    #[inline]
    pub(crate) fn replace(&self, expected: SlotWord, new: SlotWord) -> bool {
        self.0
            // AcqRel: publishes the new bits to the Acquire loads above; the
            // Acquire half makes a failed swap see the write that beat it.
            .compare_exchange(
                expected.pack(),
                new.pack(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }
}
// ANCHOR_END: slot

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn packing_keeps_both_halves() {
        let word = SlotWord {
            bits: u64::MAX - 3,
            version: 42,
        };
        assert_eq!(SlotWord::unpack(word.pack()), word);
    }

    #[test]
    fn load_for_write_reads_and_changes_nothing() {
        let slot = Slot(AtomicU128::new(0));
        assert_eq!(slot.load_for_write(), slot.load());
        let word = SlotWord {
            bits: 7,
            version: 3,
        };
        assert!(slot.replace(slot.load(), word));
        assert_eq!(slot.load_for_write(), word);
        assert_eq!(slot.load(), word);
    }

    #[test]
    fn a_stale_write_cannot_land_on_a_recycled_value() {
        let slot = Slot(AtomicU128::new(0));
        let start = slot.load();
        let first = start.followed_by(7);
        assert!(slot.replace(start, first));
        // The slot goes back to bits 0, but with a newer version.
        let back = first.followed_by(0);
        assert!(slot.replace(first, back));
        assert_eq!(slot.load().bits, start.bits);
        // A helper still holding the first write finds the version moved on.
        assert!(!slot.replace(start, first));
        assert_eq!(slot.load(), back);
    }
}
