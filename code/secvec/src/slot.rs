//! A slot: one element's bits beside a version number, updated together.
//!
//! The paper stores each element in a single word and completes a pending
//! write with `compare_exchange(old, new)`. A helper that stalls just before
//! that compare-and-swap can wake up after the slot went from `old` to `new`
//! and back to `old` (pop, push of the same value), and its stale swap would
//! then succeed: the ABA problem. Pairing the bits with a version makes the
//! stale swap fail. The version is taken from the descriptor's stamp, which
//! grows with every descriptor installed, rather than counted per slot: that
//! way a pop's *seal* (see `pop` and `set` in `vec.rs`) names the descriptor
//! it belongs to.
//!
//! What holds is this. Every descriptor stands for a state of the vector with
//! a stamp: an idle descriptor's own, or for a pending one the stamp its
//! write carries (the state once that write is done). Every word names a
//! stamp: a direct `set` and a seal carry the stamp of the state they were
//! planned under, and a write through the descriptor (a push, or a `set` of
//! a sealed slot) carries the stamp of the state it leads to, one higher. An
//! operation planned under stamp `t` only ever expects a word of stamp `t` or
//! less, and the stamp a slot's word names never goes down. Within one
//! stamp a word can come back (two direct sets) and a seal lowers the
//! version by one; but once a write through the descriptor has landed, no
//! operation planned before it can swap that slot again. The book's chapters
//! on ABA and on seals tell the whole story, and why a spare tag bit (the
//! scheme of Dechev, Pirkelbauer and Stroustrup, ISORC 2010) is not
//! available when an element may use all 64 bits.

use crate::sync::{AtomicU128, Ordering};

// ANCHOR: slot_word
/// What a slot holds: the element's bits and a version taken from the
/// descriptor's stamp.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct SlotWord {
    /// The element, as made by [`to_bits`](crate::element::to_bits).
    pub(crate) bits: u64,
    /// `2 × (stamp + 1)` for a write carrying that stamp, `2 × stamp + 1`
    /// for a pop's seal under the state with it (see the module
    /// documentation for which stamp a write carries).
    pub(crate) version: u64,
}

impl SlotWord {
    // ANCHOR: seal_versions
    /// The word a write of `bits` leaves, carrying `stamp`: a direct `set`
    /// passes the stamp of the state it read, a write through the descriptor
    /// the stamp of the state it leads to.
    #[inline]
    pub(crate) fn written(bits: u64, stamp: u64) -> SlotWord {
        SlotWord {
            bits,
            // 2^63 descriptors would take centuries; wrapping keeps the
            // arithmetic total all the same.
            version: stamp.wrapping_add(1).wrapping_mul(2),
        }
    }

    /// The same bits, sealed by a pop under the state with `stamp`. Pops of
    /// the same state leave the same seal.
    #[inline]
    pub(crate) fn sealed(self, stamp: u64) -> SlotWord {
        SlotWord {
            bits: self.bits,
            version: stamp.wrapping_mul(2) | 1,
        }
    }

    /// Whether a pop under the state with `stamp` sealed this word,
    /// that is, whether sealing it again under `stamp` would change nothing.
    #[inline]
    pub(crate) fn is_sealed_under(self, stamp: u64) -> bool {
        self == self.sealed(stamp)
    }
    // ANCHOR_END: seal_versions

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
    /// Reads bits and version like [`load`](Self::load), with a write access
    /// if this read may be the first touch of its page.
    ///
    /// A push reads the slot it is about to write. The first access to a page
    /// of a fresh bucket decides how the operating system maps it: a read maps
    /// the shared page of zeros, and the write that follows must then copy it
    /// and flush the stale mapping from every core's TLB (an interrupt for
    /// each core running the program). A compare-and-swap is a write access
    /// whether or not it succeeds, so the slot that starts a page is read with
    /// a compare-and-swap of zero for zero, which leaves it as it is.
    ///
    /// Every other slot is read with a plain load, which costs a fraction of
    /// the swap. Pushes fill a bucket in address order, so by the time one
    /// reaches the second slot of a page, the push to its first slot has
    /// mapped it writable. Pages are 4 KiB or a multiple of that, so each one
    /// starts at a 4 KiB boundary. A page that a bucket enters mid-way was
    /// touched by the allocator already; if not, the price is one extra
    /// fault, as before this function existed.
    #[inline]
    pub(crate) fn load_for_write(&self) -> SlotWord {
        if !self.starts_a_page() {
            return self.load();
        }
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

    /// Whether this slot is the first in a page of memory (of 4 KiB, the
    /// smallest page size in common use; larger pages are multiples of it,
    /// and on a system with smaller pages some would fault twice, no more).
    #[inline]
    fn starts_a_page(&self) -> bool {
        (self as *const Slot).addr() % 4096 == 0
    }

    /// Writes `new` if the slot still holds exactly `expected`, bits *and*
    /// version. Returns whether this call did the write.
    #[inline]
    pub(crate) fn replace(&self, expected: SlotWord, new: SlotWord) -> bool {
        self.0
            // AcqRel: publishes the new bits to the Acquire loads above, and
            // a successful swap sees the write it replaced. Acquire on
            // failure, as `load` is: the callers load the slot again before
            // they use anything, so it is more than they need.
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
        // Two pages' worth of slots, so that both kinds of read are taken:
        // the swap at a page's first slot and the plain load elsewhere.
        let slots: Vec<Slot> = (0..512).map(|_| Slot(AtomicU128::new(0))).collect();
        let starts = slots.iter().filter(|slot| slot.starts_a_page()).count();
        assert!(starts >= 1, "8 KiB of slots span a page boundary");
        for (i, slot) in slots.iter().enumerate() {
            assert_eq!(slot.load_for_write(), slot.load());
            let word = SlotWord {
                bits: i as u64 + 7,
                version: 3,
            };
            assert!(slot.replace(slot.load(), word));
            assert_eq!(slot.load_for_write(), word);
            assert_eq!(slot.load(), word);
        }
    }

    #[test]
    fn a_stale_write_cannot_land_on_a_recycled_value() {
        let slot = Slot(AtomicU128::new(0));
        let start = slot.load();
        let first = SlotWord::written(7, 0);
        assert!(slot.replace(start, first));
        // The slot goes back to bits 0, but with a newer version.
        let back = SlotWord::written(0, 3);
        assert!(slot.replace(first, back));
        assert_eq!(slot.load().bits, start.bits);
        // A helper still holding the first write finds the version moved on.
        assert!(!slot.replace(start, first));
        assert_eq!(slot.load(), back);
    }

    #[test]
    fn seals_belong_to_one_descriptor() {
        let word = SlotWord::written(5, 3);
        let sealed = word.sealed(4);
        assert_eq!(sealed.bits, 5);
        assert!(sealed.is_sealed_under(4));
        assert!(!sealed.is_sealed_under(5));
        assert!(!word.is_sealed_under(3));
        // A second pop of the same descriptor leaves the very same word.
        assert_eq!(sealed.sealed(4), sealed);
        // Versions grow: write under 3, seal under 4, write under 4.
        assert!(word.version < sealed.version);
        assert!(sealed.version < SlotWord::written(9, 4).version);
    }
}
