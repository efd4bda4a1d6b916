//! Write descriptors, allocated and reclaimed in blocks.
//!
//! Every push and set announces its slot write in a [`WriteDescriptor`] that
//! other threads may read until the descriptor naming it is replaced, so it
//! must be reclaimed through hazard pointers. One allocation and one
//! retirement per write would cost more than the rest of a push together: a
//! retirement is itself an allocation, a fence and two read-modify-writes on
//! the domain's shared counters. So each thread carves its write descriptors
//! out of a [`Block`] of [`BLOCK_LEN`] and the block is retired as one object,
//! by whichever thread finishes its last write descriptor.
//!
//! A hazard pointer guards a whole block: a reader publishes the block's
//! address, not the write descriptor's.

use std::cell::UnsafeCell;
use std::mem::MaybeUninit;
use std::ptr::NonNull;

use crate::descriptor::WriteDescriptor;
use crate::reclaim::retire;
use crate::sync::{AtomicUsize, Ordering};

// ANCHOR: block
/// How many write descriptors share one allocation and one retirement.
pub(crate) const BLOCK_LEN: usize = 64;

/// A batch of write descriptors, filled in order by one thread.
///
/// Aligned to 64 bytes so that the low six bits of its address are free to
/// hold a position within it (see [`WriteRef::to_bits`]).
#[repr(align(64))]
pub(crate) struct Block {
    /// Position `i` is written only by the owning thread, before it is
    /// published (again after a failed publication, which staged it but
    /// published nothing); after that every thread only reads it.
    writes: [UnsafeCell<MaybeUninit<WriteDescriptor>>; BLOCK_LEN],
    /// How many positions are done with: published and then replaced, or
    /// never used. At `BLOCK_LEN` the block is retired.
    finished: AtomicUsize,
}

/// A write descriptor's place: its block and its position there.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub(crate) struct WriteRef {
    block: NonNull<Block>,
    index: usize,
}
// ANCHOR_END: block

const _: () = assert!(BLOCK_LEN <= std::mem::align_of::<Block>());

// SAFETY: the cells are written only by the thread that owns a position
// before publishing it (a Release compare-and-swap), and read by others only
// after they acquired that publication, so sending a block to the thread that
// reclaims it, or sharing it, races on nothing. The contents are plain data.
unsafe impl Send for Block {}
// SAFETY: as above: shared access is read-only once a position is published.
unsafe impl Sync for Block {}

impl Block {
    /// A fresh block with nothing written and nothing finished.
    fn allocate() -> NonNull<Block> {
        let block = Box::new(Block {
            writes: std::array::from_fn(|_| UnsafeCell::new(MaybeUninit::uninit())),
            finished: AtomicUsize::new(0),
        });
        NonNull::from(Box::leak(block))
    }

    // ANCHOR: finish
    /// Counts `count` positions of `block` as done with; the call that
    /// completes the count retires the block.
    ///
    /// # Safety
    ///
    /// `block` is alive (the caller owns unfinished positions of it, or
    /// guards it with a hazard pointer), and each position is counted once.
    unsafe fn finish(block: NonNull<Block>, count: usize) {
        // SAFETY: alive, by the caller's promise.
        let finished = unsafe { &block.as_ref().finished };
        // AcqRel: each finisher's reads of the block happen before the
        // count completes, and the thread that completes it sees them all
        // before it hands the block to the domain.
        if finished.fetch_add(count, Ordering::AcqRel) + count == BLOCK_LEN {
            // SAFETY: every position is finished: none is named by a
            // descriptor any more or will be, so no new hazard pointer can
            // come to guard the block, and only this call saw the count
            // complete.
            unsafe { retire(block) };
        }
    }
    // ANCHOR_END: finish
}

impl WriteRef {
    /// The block to guard before reading the write descriptor.
    #[inline]
    pub(crate) fn block(self) -> NonNull<Block> {
        self.block
    }

    // ANCHOR: write_ref_bits
    /// Packs the place into one word: the block's address with the position
    /// in its low bits, which the alignment leaves zero.
    #[inline]
    pub(crate) fn to_bits(self) -> u64 {
        // Exposed so that `from_bits` may turn the address back into a
        // pointer with the block's provenance.
        (self.block.as_ptr().expose_provenance() | self.index) as u64
    }

    /// Unpacks what [`to_bits`](Self::to_bits) made.
    #[inline]
    pub(crate) fn from_bits(bits: u64) -> WriteRef {
        let address = bits as usize;
        let block = std::ptr::with_exposed_provenance_mut(address & !(BLOCK_LEN - 1));
        WriteRef {
            block: NonNull::new(block).expect("a packed write names a block"),
            index: address & (BLOCK_LEN - 1),
        }
    }
    // ANCHOR_END: write_ref_bits

    /// The write descriptor itself.
    ///
    /// # Safety
    ///
    /// The write was published, and its block stays alive for `'a` (the
    /// caller guards it with a hazard pointer for that long).
    pub(crate) unsafe fn get<'a>(self) -> &'a WriteDescriptor {
        // SAFETY: published positions were initialised before publication
        // and are never written again; the block is alive for `'a` by the
        // caller's promise.
        unsafe { (*self.block.as_ref().writes[self.index].get()).assume_init_ref() }
    }

    /// Marks this write as done with, once the descriptor naming it has been
    /// replaced (or the vector that held it is dropped).
    ///
    /// # Safety
    ///
    /// The caller's compare-and-swap replaced the only descriptor naming this
    /// published write (or the caller owns the vector), so no other thread
    /// finishes it; and the block is alive: guarded by the caller's hazard
    /// pointer, or unfinished because this very write is not.
    pub(crate) unsafe fn finish(self) {
        // SAFETY: the caller's promises above are `Block::finish`'s.
        unsafe { Block::finish(self.block, 1) };
    }
}

// ANCHOR: slab
/// A thread's current block and the next free position in it.
#[derive(Debug, Default)]
pub(crate) struct WriteSlab {
    block: Option<NonNull<Block>>,
    next: usize,
    /// Published positions of the current block that this thread finished
    /// itself, not yet added to the block's count (see [`finish`](Self::finish)).
    finished_here: usize,
}

impl WriteSlab {
    /// Writes `write` into the next free position and returns its place. It
    /// is not published: a failed publication may stage again over it.
    #[inline]
    pub(crate) fn stage(&mut self, write: WriteDescriptor) -> WriteRef {
        let block = *self.block.get_or_insert_with(|| {
            self.next = 0;
            Block::allocate()
        });
        // SAFETY: the block is alive, because its position `next` and those
        // after it are unfinished; and that position was never published,
        // so no other thread reads it while we write.
        unsafe { (*block.as_ref().writes[self.next].get()).write(write) };
        WriteRef {
            block,
            index: self.next,
        }
    }

    // ANCHOR: own
    /// The write descriptor `write` if it is in this slab's current block,
    /// which makes it one this thread published; `None` otherwise.
    ///
    /// # Safety
    ///
    /// `write` was published: a descriptor named it.
    #[inline]
    pub(crate) unsafe fn own(&self, write: WriteRef) -> Option<&WriteDescriptor> {
        if self.block != Some(write.block) {
            return None;
        }
        // SAFETY: the block is alive while it is our current block (its
        // positions from `next` on are unfinished and ours), and `write`
        // was published, so its position was written before and is never
        // written again.
        Some(unsafe { write.get() })
    }
    // ANCHOR_END: own

    /// The write staged last was published: its position is taken for good.
    #[inline]
    pub(crate) fn published(&mut self) {
        self.next += 1;
        if self.next == BLOCK_LEN {
            // Every position is published; the block is in the hands of
            // whoever replaces those descriptors, and may be freed any time
            // once our own count is in.
            if let Some(block) = self.block.take() {
                let count = std::mem::take(&mut self.finished_here);
                if count > 0 {
                    // SAFETY: the positions counted here were finished by
                    // this thread and not yet counted in the block, which
                    // they keep alive until this call.
                    unsafe { Block::finish(block, count) };
                }
            }
        }
    }

    // ANCHOR: slab_finish
    /// Marks `write` as done with, like [`WriteRef::finish`]. A write of
    /// this slab's current block is only counted here, and added to the
    /// block's count in one step when the slab leaves the block: a thread
    /// that replaces its own descriptors, push after push, then makes no
    /// read-modify-write on the block for each of them.
    ///
    /// # Safety
    ///
    /// As for [`WriteRef::finish`].
    #[inline]
    pub(crate) unsafe fn finish(&mut self, write: WriteRef) {
        if self.block == Some(write.block) {
            self.finished_here += 1;
        } else {
            // SAFETY: the caller's promises are `WriteRef::finish`'s.
            unsafe { write.finish() };
        }
    }
    // ANCHOR_END: slab_finish
}

impl Drop for WriteSlab {
    fn drop(&mut self) {
        if let Some(block) = self.block {
            // SAFETY: positions from `next` on were never published, so they
            // are ours to finish, once, and those counted in `finished_here`
            // were finished by us and not yet counted in the block; both
            // keep the block alive until this call.
            unsafe { Block::finish(block, BLOCK_LEN - self.next + self.finished_here) };
        }
    }
}
// ANCHOR_END: slab

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;
    use crate::descriptor::WriteOp;
    use crate::slot::SlotWord;

    fn write(stamp: u64) -> WriteDescriptor {
        let word = SlotWord {
            bits: stamp,
            version: stamp,
        };
        WriteDescriptor {
            op: WriteOp {
                index: 0,
                old: word,
                new: word,
                raise: None,
            },
            stamp,
        }
    }

    #[test]
    fn places_survive_packing() {
        let mut slab = WriteSlab::default();
        for stamp in 0..BLOCK_LEN as u64 + 3 {
            let place = slab.stage(write(stamp));
            assert_eq!(WriteRef::from_bits(place.to_bits()), place);
            // SAFETY: staged just now, and the slab keeps the block alive
            // until this place is published and finished below.
            assert_eq!(unsafe { place.get() }.stamp, stamp);
            slab.published();
            // SAFETY: published (in this test's sense) and finished once.
            unsafe { place.finish() };
        }
    }

    #[test]
    fn own_finishes_are_counted_in_the_slab_until_it_leaves_the_block() {
        let mut slab = WriteSlab::default();
        let mut other = WriteSlab::default();
        let first = slab.stage(write(1));
        slab.published();
        let second = slab.stage(write(2));
        slab.published();
        let foreign = other.stage(write(3));
        other.published();
        // SAFETY: each was published (in this test's sense) and is finished
        // once; `other` keeps its block alive.
        unsafe {
            slab.finish(first);
            slab.finish(second);
            slab.finish(foreign);
        }
        // SAFETY: both slabs still hold their blocks, so both are alive.
        let (mine, theirs) = unsafe {
            (
                first.block().as_ref().finished.load(Ordering::Relaxed),
                foreign.block().as_ref().finished.load(Ordering::Relaxed),
            )
        };
        assert_eq!(slab.finished_here, 2);
        assert_eq!(mine, 0, "our own finishes wait in the slab");
        assert_eq!(theirs, 1, "another block's finish is counted at once");
    }

    #[test]
    fn a_failed_publication_reuses_the_position() {
        let mut slab = WriteSlab::default();
        let first = slab.stage(write(1));
        let again = slab.stage(write(2));
        assert_eq!(first, again);
        // SAFETY: the slab still owns the block.
        assert_eq!(unsafe { again.get() }.stamp, 2);
    }
}
