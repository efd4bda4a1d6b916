//! The two-level array: 60 bucket pointers, each bucket twice the size of the
//! one before, allocated the first time an index needs it.
//!
//! Element `i` never moves once its bucket exists, so a thread that found a
//! slot can keep using it while other threads grow the vector. That is why the
//! design uses buckets instead of reallocating one big array.

use std::alloc::Layout;
use std::ptr;

use crate::slot::Slot;
use crate::sync::{AtomicPtr, Ordering};

// ANCHOR: constants
/// How many slots bucket 0 holds. A power of two, so the arithmetic below is
/// a few bit operations.
///
/// ```
/// let v = secvec::SecVec::new();
/// v.push(1_u8);
/// assert_eq!(v.capacity(), secvec::buckets::FIRST_BUCKET_SIZE);
/// ```
pub const FIRST_BUCKET_SIZE: usize = 8;

/// How many buckets the top level holds. Bucket `k` has
/// `FIRST_BUCKET_SIZE << k` slots, so sixty of them reach index `2^63 - 9`:
/// far more slots than any 64-bit machine has memory for.
///
/// ```
/// use secvec::buckets::{bucket_for_index, BUCKET_COUNT};
///
/// // On a 64-bit target, an index near the very end:
/// if usize::BITS == 64 {
///     let last = bucket_for_index((1u64 << 62) as usize + 5).unwrap();
///     assert_eq!(last.bucket, BUCKET_COUNT - 1);
/// }
/// ```
pub const BUCKET_COUNT: usize = 60;
// ANCHOR_END: constants

const FIRST_BUCKET_BITS: u32 = FIRST_BUCKET_SIZE.trailing_zeros();

// ANCHOR: bucket_for_index
/// Where element `index` lives: which bucket, and which slot inside it.
///
/// Shifting the index by `FIRST_BUCKET_SIZE` makes every bucket start at a
/// power of two: bucket `k` holds the shifted positions
/// `[8 << k, 16 << k)`. The highest set bit of the shifted position therefore
/// names the bucket, and the bits below it are the offset.
///
/// Returns `None` for an index beyond the last bucket.
///
/// ```
/// use secvec::buckets::{bucket_for_index, Location};
///
/// assert_eq!(bucket_for_index(0), Some(Location { bucket: 0, offset: 0 }));
/// assert_eq!(bucket_for_index(7), Some(Location { bucket: 0, offset: 7 }));
/// assert_eq!(bucket_for_index(8), Some(Location { bucket: 1, offset: 0 }));
/// assert_eq!(bucket_for_index(100), Some(Location { bucket: 3, offset: 44 }));
/// ```
#[inline]
pub fn bucket_for_index(index: usize) -> Option<Location> {
    let position = index.checked_add(FIRST_BUCKET_SIZE)?;
    // The number of the highest set bit is 63 − leading zeros. Written as
    // 63 XOR leading zeros, which is the same for every count from 0 to 63
    // (63 is six one-bits, so the subtraction never borrows), it cancels
    // against the XOR 63 that x86-64 computes leading zeros with (`bsr`,
    // then XOR 63), and what is left is the one instruction `bsr`.
    let high_bit = position.leading_zeros() ^ (usize::BITS - 1);
    let bucket = (high_bit - FIRST_BUCKET_BITS) as usize;
    (bucket < BUCKET_COUNT).then(|| Location {
        bucket,
        offset: position ^ (1 << high_bit),
    })
}

/// How many slots bucket `bucket` holds.
///
/// ```
/// assert_eq!(secvec::buckets::bucket_len(0), 8);
/// assert_eq!(secvec::buckets::bucket_len(3), 64);
/// ```
pub const fn bucket_len(bucket: usize) -> usize {
    FIRST_BUCKET_SIZE << bucket
}
// ANCHOR_END: bucket_for_index

/// A bucket and an offset inside it, as computed by [`bucket_for_index`].
///
/// ```
/// use secvec::buckets::{bucket_for_index, bucket_len, Location};
///
/// let Location { bucket, offset } = bucket_for_index(30).unwrap();
/// // Buckets 0 and 1 hold indices 0..24, so index 30 is slot 6 of bucket 2.
/// assert_eq!((bucket, offset), (2, 6));
/// assert!(offset < bucket_len(bucket));
/// ```
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Location {
    /// Which of the [`BUCKET_COUNT`] buckets.
    pub bucket: usize,
    /// Which slot inside that bucket.
    pub offset: usize,
}

/// Panics the way `Vec` does when asked for more than memory can describe.
#[cold]
#[track_caller]
pub(crate) fn capacity_overflow() -> ! {
    panic!("capacity overflow")
}

// ANCHOR: buckets
/// The top level of the two-level array.
pub(crate) struct Buckets {
    /// Bucket `k` points at `bucket_len(k)` slots, or is null until needed.
    pointers: [AtomicPtr<Slot>; BUCKET_COUNT],
}
// ANCHOR_END: buckets

impl Buckets {
    pub(crate) fn new() -> Self {
        Buckets {
            pointers: std::array::from_fn(|_| AtomicPtr::new(ptr::null_mut())),
        }
    }

    /// The slot for `index`, if its bucket has been allocated.
    #[inline]
    pub(crate) fn slot(&self, index: usize) -> Option<&Slot> {
        let Location { bucket, offset } = bucket_for_index(index)?;
        // Acquire: pairs with the AcqRel that published the bucket in
        // `allocate`, so its zeroed slots are visible before we touch them.
        let first = self.pointers[bucket].load(Ordering::Acquire);
        if first.is_null() {
            return None;
        }
        // SAFETY: a non-null bucket pointer always points at `bucket_len(bucket)`
        // slots (see `allocate`), `offset < bucket_len(bucket)` by
        // construction of `bucket_for_index`, and buckets are only freed in
        // `drop`, which `&self` rules out for the life of the returned borrow.
        Some(unsafe { &*first.add(offset) })
    }

    /// The slot for `index`, allocating its bucket first if needed.
    ///
    /// # Panics
    ///
    /// With "capacity overflow" if `index` lies beyond the last bucket or the
    /// bucket would exceed `isize::MAX` bytes.
    #[inline]
    pub(crate) fn slot_or_allocate(&self, index: usize) -> &Slot {
        let Location { bucket, .. } =
            bucket_for_index(index).unwrap_or_else(|| capacity_overflow());
        self.allocate(bucket);
        self.slot(index)
            .expect("the bucket was allocated just above and is never freed while shared")
    }

    // ANCHOR: reserve_and_capacity
    /// Makes sure every bucket holding an index below `len` exists.
    ///
    /// # Panics
    ///
    /// With "capacity overflow", before allocating anything, if the last
    /// bucket needed lies beyond the table or exceeds `isize::MAX` bytes.
    pub(crate) fn reserve(&self, len: usize) {
        let Some(last) = len.checked_sub(1) else {
            return;
        };
        let Location { bucket, .. } = bucket_for_index(last).unwrap_or_else(|| capacity_overflow());
        // Refuse an impossible request up front, as `Vec` does, instead of
        // allocating the smaller buckets first and failing halfway.
        slots_layout(bucket_len(bucket));
        for k in 0..=bucket {
            self.allocate(k);
        }
    }

    /// How many slots the allocated buckets hold together.
    ///
    /// Buckets are only ever allocated in order (a push needs the buckets
    /// below its index already, and `reserve` goes from the first up), so the
    /// allocated ones are always a prefix of the table, and the count stops
    /// at the first empty pointer. Counting every non-empty pointer instead
    /// could mix moments: a reader paused after seeing bucket 10 empty could
    /// then count buckets 11 and 12, allocated meanwhile, and report a
    /// capacity that no moment ever had.
    pub(crate) fn capacity(&self) -> usize {
        self.pointers
            .iter()
            // Relaxed: only the count is wanted, no slot is read through it.
            .take_while(|pointer| !pointer.load(Ordering::Relaxed).is_null())
            .enumerate()
            .map(|(k, _)| bucket_len(k))
            .sum()
    }
    // ANCHOR_END: reserve_and_capacity

    // ANCHOR: allocate
    /// Allocates bucket `bucket` unless another thread already did.
    ///
    /// Two threads may both find the bucket missing and both allocate one.
    /// Only one compare-and-swap from null can succeed; the loser frees its
    /// own allocation, which no other thread ever saw.
    fn allocate(&self, bucket: usize) {
        let pointer = &self.pointers[bucket];
        // Acquire: if the bucket exists, its zeroed slots must be visible.
        if !pointer.load(Ordering::Acquire).is_null() {
            return;
        }
        let len = bucket_len(bucket);
        let fresh = Box::into_raw(allocate_zeroed_slots(len)).cast::<Slot>();
        // AcqRel: Release publishes our zeroed slots to every later Acquire
        // load; on failure, Acquire makes the winner's slots visible to us.
        if pointer
            .compare_exchange(ptr::null_mut(), fresh, Ordering::AcqRel, Ordering::Acquire)
            .is_err()
        {
            // SAFETY: `fresh` came from `Box::into_raw` of a `[Slot]` of
            // length `len` just above, and the failed swap means no other
            // thread ever saw it; we still own it.
            drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(fresh, len)) });
        }
    }
    // ANCHOR_END: allocate
}

impl Drop for Buckets {
    fn drop(&mut self) {
        for (k, pointer) in self.pointers.iter().enumerate() {
            // Relaxed: `&mut self` means no other thread can reach the
            // buckets any more; whatever handed us exclusive access already
            // ordered their writes before this point.
            let first = pointer.load(Ordering::Relaxed);
            if !first.is_null() {
                // SAFETY: a non-null pointer was installed by `allocate` from
                // a `Box<[Slot]>` of exactly `bucket_len(k)` slots, and is
                // freed only here, once.
                drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(first, bucket_len(k))) });
            }
        }
    }
}

/// The memory layout of `len` slots.
///
/// # Panics
///
/// With "capacity overflow" if they would exceed `isize::MAX` bytes.
fn slots_layout(len: usize) -> Layout {
    Layout::array::<Slot>(len).unwrap_or_else(|_| capacity_overflow())
}

// ANCHOR: allocate_zeroed_slots
/// A fresh bucket of `len` never-written slots.
///
/// All-zero bytes are a valid `Slot` (an atomic `u128` holding 0), so the
/// bucket comes straight from `alloc_zeroed`: the operating system hands out
/// zero pages lazily, and a large reserved bucket costs nothing until used.
#[cfg(not(loom))]
fn allocate_zeroed_slots(len: usize) -> Box<[Slot]> {
    let layout = slots_layout(len);
    // SAFETY: `len >= FIRST_BUCKET_SIZE > 0` and `Slot` is not zero-sized,
    // so `layout` has a non-zero size, as `alloc_zeroed` requires.
    let first = unsafe { std::alloc::alloc_zeroed(layout) }.cast::<Slot>();
    if first.is_null() {
        std::alloc::handle_alloc_error(layout);
    }
    // SAFETY: `first` is a live allocation from the global allocator with
    // exactly the layout `Box<[Slot]>` uses for `len` elements, and its bytes
    // are all zero, which is a valid `Slot` (`portable_atomic::AtomicU128`
    // has the in-memory representation of `u128`). The box takes ownership.
    unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(first, len)) }
}
// ANCHOR_END: allocate_zeroed_slots

/// Under loom a slot is a model-checked object that must be built, not zeroed.
#[cfg(loom)]
fn allocate_zeroed_slots(len: usize) -> Box<[Slot]> {
    // Same panic as the real allocator for sizes it could not describe.
    slots_layout(len);
    (0..len).map(|_| Slot::empty()).collect()
}

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
    #[cfg(target_pointer_width = "64")]
    fn every_bucket_starts_where_the_last_one_ended() {
        // The first and last index of every bucket, up to the top of the
        // table, where a slip in the highest-bit arithmetic would show.
        let mut first = 0;
        for bucket in 0..BUCKET_COUNT {
            let last = first + bucket_len(bucket) - 1;
            assert_eq!(
                bucket_for_index(first),
                Some(Location { bucket, offset: 0 })
            );
            assert_eq!(
                bucket_for_index(last),
                Some(Location {
                    bucket,
                    offset: bucket_len(bucket) - 1
                })
            );
            first = last + 1;
        }
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    fn indices_past_the_last_bucket_have_no_location() {
        let last_index = (1_usize << 63) - 1 - FIRST_BUCKET_SIZE;
        let last = bucket_for_index(last_index).unwrap();
        assert_eq!(last.bucket, BUCKET_COUNT - 1);
        assert_eq!(last.offset, bucket_len(BUCKET_COUNT - 1) - 1);
        assert_eq!(bucket_for_index(last_index + 1), None);
        assert_eq!(bucket_for_index(usize::MAX), None);
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

    #[test]
    #[cfg(target_pointer_width = "64")]
    #[should_panic(expected = "capacity overflow")]
    fn a_bucket_larger_than_isize_max_bytes_is_refused() {
        // Bucket 59 exists in the table, but 2^62 slots of 16 bytes do not
        // fit in an allocation.
        Buckets::new().slot_or_allocate(1 << 62);
    }

    #[test]
    #[cfg(target_pointer_width = "64")]
    #[should_panic(expected = "capacity overflow")]
    fn an_impossible_reservation_panics_before_allocating() {
        // The last bucket needed would be 2^64 bytes; the smaller ones
        // (together far more than this machine has) must not be tried first.
        Buckets::new().reserve(1 << 60);
    }
}
