//! The floor: a length the vector is known not to be below, kept on a cache
//! line of its own so that most reads never touch the descriptor.
//!
//! Every `push` and `pop` swaps the descriptor, so under a mix of reads
//! and writes its cache line keeps moving from core to core, and a
//! `get` that reads it almost always misses. Yet a `get` needs the descriptor
//! only for one fact: that its index is below the length. For an index well
//! below the length, a much colder word can vouch for that.
//!
//! The floor is that word. It holds a power of two that never exceeds the
//! length (the *floor invariant*), and it changes only when the length has
//! moved a long way: it rises when the length reaches eight times the floor,
//! to the largest power of two not above half the length, and it falls when
//! a pop would take the length below it, to the same function of the new
//! length. Between those
//! moments, which are a logarithmic few in the life of a growing vector, every
//! core keeps its copy of the line.
//!
//! Keeping the invariant takes two rules, one per direction:
//!
//! - **A pop lowers the floor before it shrinks the length.** Lowering is
//!   always safe, so the pop simply swaps in the lower floor and looks again.
//! - **A push raises the floor only as part of its pending write.** The raise
//!   travels in the write descriptor beside the slot write and is applied,
//!   like the slot write, by whichever thread completes that write, before
//!   any operation starts from it. While a write is pending no pop can shrink the
//!   vector, so the raise always lands while the length is still the one it
//!   was computed from. A version in the floor's word makes a late, stale
//!   raise fail, just as slot versions do for slot writes.

use crate::sync::{AtomicU64, Ordering};

// ANCHOR: floor_word
/// A floor value, stored as its level, beside a version.
///
/// Level `l` stands for the floor `2^(l - 1)`, and level 0 for a floor of
/// zero, so the low six bits hold any floor. The other 58 bits hold a version
/// that grows with every change of the floor, so a word never comes back.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FloorWord(u64);

/// A change of the floor carried by a pending write: from `old` to `new`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct FloorChange {
    /// The word the change was planned from; if the floor no longer holds
    /// it, the change is stale and does nothing.
    pub(crate) old: FloorWord,
    /// The word to leave: the new level, and the version one higher.
    pub(crate) new: FloorWord,
}
// ANCHOR_END: floor_word

/// The level of the floor chosen for a vector of `len` elements: the largest
/// power of two not above `len / 2`, or zero below two elements.
#[inline]
fn level_for(len: usize) -> u32 {
    match len / 2 {
        0 => 0,
        half => half.ilog2() + 1,
    }
}

impl FloorWord {
    /// How many elements the vector is known to hold at least.
    #[inline]
    pub(crate) fn value(self) -> usize {
        (1_usize << self.level()) >> 1
    }

    #[inline]
    fn level(self) -> u32 {
        (self.0 & 63) as u32
    }

    #[inline]
    fn version(self) -> u64 {
        self.0 >> 6
    }

    /// The change that raises this floor for a vector about to hold `len`
    /// elements, if it has grown to eight times the floor or more.
    #[inline]
    pub(crate) fn raise_for(self, len: usize) -> Option<FloorChange> {
        (level_for(len) >= self.level() + 2).then(|| self.change_to(len))
    }

    /// The change that lowers this floor for a vector about to hold `len`
    /// elements, if the floor would otherwise be above the length.
    #[inline]
    pub(crate) fn lower_for(self, len: usize) -> Option<FloorChange> {
        (len < self.value()).then(|| self.change_to(len))
    }

    fn change_to(self, len: usize) -> FloorChange {
        FloorChange {
            old: self,
            // 2^58 changes, each after the length doubled or halved, will
            // not happen; the shift wraps the version all the same.
            new: FloorWord(((self.version() + 1) << 6) | u64::from(level_for(len))),
        }
    }
}

// ANCHOR: floor
/// The vector's floor, as one 64-bit atomic word.
#[derive(Debug)]
pub(crate) struct Floor(AtomicU64);

impl Floor {
    /// A floor of zero: every `get` asks the descriptor.
    pub(crate) fn new() -> Floor {
        Floor(AtomicU64::new(0))
    }

    /// The current floor.
    #[inline]
    pub(crate) fn load(&self) -> FloorWord {
        // Acquire: pairs with the AcqRel of `apply`, so a reader that sees a
        // raised floor also sees the slot writes done before the raise.
        FloorWord(self.0.load(Ordering::Acquire))
    }

    /// Makes `change` if the floor still holds its `old` word. A stale
    /// change, whose `old` word was replaced meanwhile, does nothing.
    #[inline]
    pub(crate) fn apply(&self, change: FloorChange) {
        // A plain load first: helpers usually find the change made already.
        if self.load() == change.old {
            // AcqRel: Release publishes the slot writes that happened before
            // the change to whoever acquires the new floor; Acquire orders
            // us after whoever set the old one. Failure needs nothing.
            let _ = self.0.compare_exchange(
                change.old.0,
                change.new.0,
                Ordering::AcqRel,
                Ordering::Relaxed,
            );
        }
    }
}
// ANCHOR_END: floor

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn levels_stand_for_powers_of_two() {
        let at = |level| FloorWord(level).value();
        assert_eq!([at(0), at(1), at(2), at(3), at(11)], [0, 1, 2, 4, 1024]);
    }

    #[test]
    fn the_floor_is_never_above_half_the_length_it_was_chosen_for() {
        for len in 0..5000 {
            let value = FloorWord(level_for(len).into()).value();
            assert!(value <= len / 2, "floor {value} for length {len}");
            assert!(
                len < 2 || value * 4 > len,
                "floor {value} too low for {len}"
            );
        }
    }

    #[test]
    fn it_rises_at_eight_times_and_falls_below_itself() {
        let mut floor = FloorWord(0);
        let mut rises = Vec::new();
        for len in 1..=1024 {
            if let Some(change) = floor.raise_for(len) {
                assert_eq!(change.old, floor);
                floor = change.new;
                rises.push((len, floor.value()));
            }
        }
        assert_eq!(rises, [(4, 2), (16, 8), (64, 32), (256, 128), (1024, 512)]);
        assert_eq!(floor.version(), 5);
        assert_eq!(floor.lower_for(512), None);
        let lowered = floor.lower_for(511).expect("511 is below the floor");
        assert_eq!(lowered.new.value(), 128);
        assert_eq!(lowered.new.version(), 6);
    }

    #[test]
    fn a_stale_change_does_nothing() {
        let cell = Floor::new();
        let start = cell.load();
        let up = start.raise_for(64).expect("a raise");
        cell.apply(up);
        assert_eq!(cell.load(), up.new);
        let down = up.new.lower_for(1).expect("a fall");
        cell.apply(down);
        // The value goes back to where `up` found it, the version does not.
        assert_eq!(cell.load().value(), start.value());
        cell.apply(up);
        assert_eq!(cell.load(), down.new);
    }
}
