//! The two-level array: 60 pointers to buckets of slots, each bucket twice
//! the size of the one before, allocated the first time an index needs it.
//!
//! An element never moves once its bucket exists, so a thread that found a
//! slot can keep using it while other threads grow the vector.

use std::ptr;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

// ANCHOR: constants
/// How many slots bucket 0 holds. A power of two, so that finding an
/// element is a few bit operations.
pub const FIRST_BUCKET_SIZE: usize = 8;

/// How many buckets the top level holds. Bucket `k` holds
/// `FIRST_BUCKET_SIZE << k` slots, so sixty of them reach index `2^63 - 9`.
pub const BUCKET_COUNT: usize = 60;
// ANCHOR_END: constants

// ANCHOR: bucket_for_index
/// Where element `index` lives: which bucket, and which slot inside it.
///
/// Adding `FIRST_BUCKET_SIZE` to the index makes bucket `k` hold the
/// positions `[8 << k, 16 << k)`, so the highest set bit of the position
/// names the bucket and the bits below it are the offset.
///
/// ```
/// use stage1::buckets::{bucket_for_index, Location};
///
/// assert_eq!(bucket_for_index(7), Some(Location { bucket: 0, offset: 7 }));
/// assert_eq!(bucket_for_index(8), Some(Location { bucket: 1, offset: 0 }));
/// assert_eq!(bucket_for_index(usize::MAX), None);
/// ```
pub fn bucket_for_index(index: usize) -> Option<Location> {
    let position = index.checked_add(FIRST_BUCKET_SIZE)?;
    let high_bit = usize::BITS - 1 - position.leading_zeros();
    let bucket = (high_bit - FIRST_BUCKET_SIZE.trailing_zeros()) as usize;
    (bucket < BUCKET_COUNT).then(|| Location {
        bucket,
        offset: position ^ (1 << high_bit),
    })
}

/// How many slots bucket `bucket` holds.
pub const fn bucket_len(bucket: usize) -> usize {
    FIRST_BUCKET_SIZE << bucket
}

/// A bucket and an offset inside it.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// Which of the [`BUCKET_COUNT`] buckets.
    pub bucket: usize,
    /// Which slot inside that bucket.
    pub offset: usize,
}
// ANCHOR_END: bucket_for_index

// ANCHOR: buckets
/// The top level of the two-level array. Bucket `k` is null until some
/// thread needs it, then points at `bucket_len(k)` slots.
pub(crate) struct Buckets {
    pointers: Box<[AtomicPtr<AtomicU64>; BUCKET_COUNT]>,
}
// ANCHOR_END: buckets

impl Buckets {
    // ANCHOR: buckets_new
    /// A table of null pointers. `[AtomicPtr::new(ptr::null_mut()); 60]`
    /// does not compile, because a repeated value must be `Copy` (or a
    /// constant) and `AtomicPtr` is not; `from_fn` builds each entry in turn.
    pub(crate) fn new() -> Self {
        Buckets {
            pointers: Box::new(std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut()))),
        }
    }
    // ANCHOR_END: buckets_new

    // ANCHOR: slot
    /// The slot for `index`, if its bucket has been allocated.
    pub(crate) fn slot(&self, index: usize) -> Option<&AtomicU64> {
        let Location { bucket, offset } = bucket_for_index(index)?;
        // Acquire: pairs with the Release in `allocate`, so the slots'
        // initial zeros are visible before we touch them.
        let first = self.pointers[bucket].load(Ordering::Acquire);
        if first.is_null() {
            return None;
        }
        // SAFETY: a non-null pointer points at `bucket_len(bucket)` slots
        // (see `allocate`), `offset` is below that by construction of
        // `bucket_for_index`, and buckets are freed only in `drop`, which
        // cannot run while `&self` is borrowed.
        Some(unsafe { &*first.add(offset) })
    }

    /// The slot for `index`, allocating its bucket first if needed.
    ///
    /// # Panics
    ///
    /// With "capacity overflow" if `index` lies beyond the last bucket.
    pub(crate) fn slot_or_allocate(&self, index: usize) -> &AtomicU64 {
        let Some(Location { bucket, .. }) = bucket_for_index(index) else {
            panic!("capacity overflow");
        };
        self.allocate(bucket);
        self.slot(index).expect("allocated just above")
    }
    // ANCHOR_END: slot

    // ANCHOR: allocate
    /// Allocates bucket `bucket` unless another thread already did.
    ///
    /// Two threads may both find the bucket missing and both allocate one.
    /// Only one compare-and-swap from null succeeds; the loser frees its
    /// allocation, which no other thread ever saw.
    fn allocate(&self, bucket: usize) {
        let pointer = &self.pointers[bucket];
        // Acquire: as in `slot`.
        if !pointer.load(Ordering::Acquire).is_null() {
            return;
        }
        let len = bucket_len(bucket);
        let fresh: Box<[AtomicU64]> = (0..len).map(|_| AtomicU64::new(0)).collect();
        let fresh = Box::into_raw(fresh).cast::<AtomicU64>();
        // Release on success publishes the zeroed slots to every Acquire
        // load of the pointer; on failure nothing of ours was published,
        // and Acquire lets us see the winner's slots.
        if pointer
            .compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: `fresh` came from `Box::into_raw` of `len` slots just
            // above, and the failed swap means no other thread saw it.
            drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(fresh, len)) });
        }
    }
    // ANCHOR_END: allocate

    // ANCHOR: reserve
    /// Allocates every bucket that holds an index below `len`.
    ///
    /// # Panics
    ///
    /// With "capacity overflow" if that needs buckets beyond the last.
    pub(crate) fn reserve(&self, len: usize) {
        if let Some(last) = len.checked_sub(1) {
            let Some(Location { bucket, .. }) = bucket_for_index(last) else {
                panic!("capacity overflow");
            };
            for k in 0..=bucket {
                self.allocate(k);
            }
        }
    }

    /// How many slots the allocated buckets hold. Buckets are allocated in
    /// order, so the allocated ones are a prefix of the table.
    pub(crate) fn capacity(&self) -> usize {
        self.pointers
            .iter()
            // Relaxed: only the count is wanted; no slot is read through it.
            .take_while(|pointer| !pointer.load(Ordering::Relaxed).is_null())
            .enumerate()
            .map(|(k, _)| bucket_len(k))
            .sum()
    }
    // ANCHOR_END: reserve
}

// ANCHOR: drop
impl Drop for Buckets {
    fn drop(&mut self) {
        for (k, pointer) in self.pointers.iter().enumerate() {
            // Relaxed: `&mut self` means no other thread can reach the
            // buckets any more, and whatever gave us exclusive access
            // ordered their work before this.
            let first = pointer.load(Ordering::Relaxed);
            if !first.is_null() {
                // SAFETY: `allocate` installed this pointer from a boxed
                // slice of exactly `bucket_len(k)` slots, and `&mut self`
                // means no one else can use it any more.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(first, bucket_len(k))) });
            }
        }
    }
}
// ANCHOR_END: drop

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn consecutive_indices_fill_buckets_in_order() {
        let mut expected = Location {
            bucket: 0,
            offset: 0,
        };
        for index in 0..10_000 {
            assert_eq!(bucket_for_index(index), Some(expected), "index {index}");
            expected.offset += 1;
            if expected.offset == bucket_len(expected.bucket) {
                expected = Location {
                    bucket: expected.bucket + 1,
                    offset: 0,
                };
            }
        }
    }

    #[test]
    fn reserve_allocates_a_prefix_of_buckets() {
        let buckets = Buckets::new();
        assert_eq!(buckets.capacity(), 0);
        buckets.reserve(9);
        assert_eq!(buckets.capacity(), 8 + 16);
        assert!(buckets.slot(23).is_some());
        assert!(buckets.slot(24).is_none());
    }
}
