//! A slot: an element's bits beside a version that grows with every write,
//! read and swapped together as one 128-bit atomic word.

use crate::sync::{AtomicU128, Ordering};

// ANCHOR: slot_word
/// What a slot holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlotWord {
    /// The element, as made by `to_bits`.
    pub(crate) bits: u64,
    /// How many writes the slot has taken. Every write replaces a word with
    /// one whose version is one higher, so a slot never holds the same word
    /// twice.
    pub(crate) version: u64,
}

impl SlotWord {
    /// The word a write of `bits` leaves behind in a slot that holds `self`.
    pub(crate) fn followed_by(self, bits: u64) -> SlotWord {
        SlotWord {
            bits,
            // 2^64 writes to one slot would take centuries; wrapping keeps
            // the arithmetic total all the same.
            version: self.version.wrapping_add(1),
        }
    }

    fn pack(self) -> u128 {
        (u128::from(self.version) << 64) | u128::from(self.bits)
    }

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
pub(crate) struct Slot(AtomicU128);

impl Slot {
    /// A slot that was never written: bits and version both zero.
    pub(crate) fn new() -> Slot {
        Slot(AtomicU128::new(0))
    }

    /// Reads bits and version in one atomic step.
    pub(crate) fn load(&self) -> SlotWord {
        // Acquire: pairs with the AcqRel of `replace`, which wrote the word.
        SlotWord::unpack(self.0.load(Ordering::Acquire))
    }

    /// Writes `new` if the slot still holds exactly `expected`, bits *and*
    /// version. Returns whether this call did the write.
    pub(crate) fn replace(&self, expected: SlotWord, new: SlotWord) -> bool {
        self.0
            // AcqRel publishes the new bits to the Acquire loads; on
            // failure, Acquire makes the write that beat us visible.
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

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn a_stale_write_cannot_land_on_a_recycled_value() {
        let slot = Slot::new();
        let start = slot.load();
        let first = start.followed_by(7);
        assert!(slot.replace(start, first));
        // The slot goes back to bits 0, with a newer version.
        let back = first.followed_by(0);
        assert!(slot.replace(first, back));
        assert_eq!(slot.load().bits, start.bits);
        // A helper still holding the first write finds the version moved on.
        assert!(!slot.replace(start, first));
        assert_eq!(slot.load(), back);
    }
}
