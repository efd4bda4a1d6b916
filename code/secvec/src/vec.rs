//! [`SecVec`] and its operations.

use std::marker::PhantomData;

use crossbeam_utils::{Backoff, CachePadded};

use crate::buckets::{capacity_overflow, Buckets};
use crate::descriptor::{Descriptor, WriteOp};
use crate::element::{from_bits, to_bits, Element};
use crate::reclaim::{protect_current, retire, with_hazard};
use crate::sync::{pause, AtomicPtr, Ordering};

// ANCHOR: secvec
/// A lock-free vector that many threads can push to, pop from, read and
/// write through a shared reference.
///
/// ```
/// use secvec::SecVec;
/// use std::thread;
///
/// let v = SecVec::new();
/// thread::scope(|s| {
///     for t in 0..4_u64 {
///         let v = &v;
///         s.spawn(move || {
///             for i in 0..100 {
///                 v.push(t * 1000 + i);
///             }
///         });
///     }
/// });
/// assert_eq!(v.len(), 400);
/// ```
pub struct SecVec<T: Element> {
    /// The two-level array of slots, on a cache line of its own.
    buckets: CachePadded<Buckets>,
    /// The current [`Descriptor`]: size and pending write. Every change of
    /// size swaps this pointer, so it is the hottest word of the vector and
    /// gets a cache line to itself.
    descriptor: CachePadded<AtomicPtr<Descriptor>>,
    /// Slots store `T` as bits; this keeps the type, and `T`'s auto traits
    /// out of the picture (see the `Send` and `Sync` impls below).
    _marker: PhantomData<*const T>,
}
// ANCHOR_END: secvec

// ANCHOR: send_sync
// SAFETY: the vector owns its elements as plain bits and hands out copies;
// moving it to another thread moves the elements, which needs `T: Send`.
unsafe impl<T: Element + Send> Send for SecVec<T> {}
// SAFETY: through `&SecVec`, a value pushed on one thread can be popped on
// another (so `T: Send`), and `get` hands copies of one element to many
// threads at once (so `T: Sync`). Every access to shared state is atomic.
unsafe impl<T: Element + Send + Sync> Sync for SecVec<T> {}
// ANCHOR_END: send_sync

impl<T: Element> SecVec<T> {
    /// Creates an empty vector. Allocates the bucket table and the first
    /// descriptor, but no slots.
    ///
    /// ```
    /// let v: secvec::SecVec<u32> = secvec::SecVec::new();
    /// assert!(v.is_empty());
    /// assert_eq!(v.capacity(), 0);
    /// ```
    pub fn new() -> Self {
        let () = T::FITS_IN_A_SLOT;
        SecVec {
            buckets: CachePadded::new(Buckets::new()),
            descriptor: CachePadded::new(AtomicPtr::new(Box::into_raw(Box::new(
                Descriptor::settled(0),
            )))),
            _marker: PhantomData,
        }
    }

    /// Creates an empty vector with room for at least `capacity` elements.
    ///
    /// # Panics
    ///
    /// With "capacity overflow" if that many slots could not be allocated
    /// even in principle (beyond the last bucket or `isize::MAX` bytes).
    ///
    /// ```
    /// let v: secvec::SecVec<u8> = secvec::SecVec::with_capacity(20);
    /// assert!(v.capacity() >= 20);
    /// assert_eq!(v.len(), 0);
    /// ```
    pub fn with_capacity(capacity: usize) -> Self {
        let v = Self::new();
        v.buckets.reserve(capacity);
        v
    }

    // ANCHOR: push
    /// Appends `value` at the end.
    ///
    /// Lock-free: if this thread has to retry, another operation succeeded.
    ///
    /// # Panics
    ///
    /// With "capacity overflow" if the vector cannot grow any further.
    ///
    /// ```
    /// let v = secvec::SecVec::new();
    /// v.push('a');
    /// v.push('b');
    /// assert_eq!(v.get(1), Some('b'));
    /// ```
    pub fn push(&self, value: T) {
        let bits = to_bits(value);
        with_hazard(|hazard| {
            let backoff = Backoff::new();
            loop {
                let (current_ptr, current) = protect_current(hazard, &self.descriptor);
                // The vector cannot move on while `current` owes a slot write.
                current.complete_write(&self.buckets);

                let index = current.size;
                let slot = self.buckets.slot_or_allocate(index);
                let old = slot.load();
                let op = WriteOp {
                    index,
                    old,
                    new: old.followed_by(bits),
                };
                let next = Descriptor::with_write(index + 1, op);

                if self.install(current_ptr, next) {
                    // Our descriptor is public now; finish our own write
                    // (a helper may beat us to it, which is fine).
                    op.apply(&self.buckets);
                    return;
                }
                pause(&backoff);
            }
        })
    }
    // ANCHOR_END: push

    // ANCHOR: pop
    /// Removes the last element and returns it, or `None` if the vector is
    /// empty.
    ///
    /// ```
    /// let v = secvec::SecVec::from(vec![1, 2]);
    /// assert_eq!(v.pop(), Some(2));
    /// assert_eq!(v.pop(), Some(1));
    /// assert_eq!(v.pop(), None);
    /// ```
    pub fn pop(&self) -> Option<T> {
        with_hazard(|hazard| {
            let backoff = Backoff::new();
            loop {
                let (current_ptr, current) = protect_current(hazard, &self.descriptor);
                current.complete_write(&self.buckets);

                let index = current.size.checked_sub(1)?;
                let bits = self.slot_below_size(index).load().bits;

                if self.install(current_ptr, Descriptor::settled(index)) {
                    // SAFETY: `index < size`, so a push wrote this slot with
                    // `to_bits::<T>` and its write was completed just above;
                    // while `current` stayed current (our swap proves it
                    // did) no other write could touch the slot.
                    return Some(unsafe { from_bits(bits) });
                }
                pause(&backoff);
            }
        })
    }
    // ANCHOR_END: pop

    // ANCHOR: get
    /// Returns a copy of the element at `index`, or `None` if `index` is not
    /// below the length.
    ///
    /// ```
    /// let v = secvec::SecVec::from(vec![10, 20]);
    /// assert_eq!(v.get(1), Some(20));
    /// assert_eq!(v.get(2), None);
    /// ```
    pub fn get(&self, index: usize) -> Option<T> {
        with_hazard(|hazard| {
            let (_, current) = protect_current(hazard, &self.descriptor);
            if index >= current.size {
                return None;
            }
            // If the current descriptor's own write targets `index`, its value
            // is the element's value now, whether or not the slot caught up.
            let bits = current
                .pending_bits_for(index)
                .unwrap_or_else(|| self.slot_below_size(index).load().bits);
            // SAFETY: `index < size`: the slot was written by a completed
            // write of `to_bits::<T>` bits, or `bits` is the pending write's
            // own value, which was made the same way.
            Some(unsafe { from_bits(bits) })
        })
    }
    // ANCHOR_END: get

    // ANCHOR: set
    /// Replaces the element at `index` with `value` and returns the old one,
    /// or returns `None` and writes nothing if `index` is not below the
    /// length.
    ///
    /// ```
    /// let v = secvec::SecVec::from(vec![1, 2, 3]);
    /// assert_eq!(v.set(0, 7), Some(1));
    /// assert_eq!(v.set(3, 9), None);
    /// assert_eq!(v.get(0), Some(7));
    /// ```
    pub fn set(&self, index: usize, value: T) -> Option<T> {
        let bits = to_bits(value);
        with_hazard(|hazard| {
            let backoff = Backoff::new();
            loop {
                let (current_ptr, current) = protect_current(hazard, &self.descriptor);
                current.complete_write(&self.buckets);
                if index >= current.size {
                    return None;
                }
                let old = self.slot_below_size(index).load();
                let op = WriteOp {
                    index,
                    old,
                    new: old.followed_by(bits),
                };
                // Same size, one pending write: a set goes through a
                // descriptor like a push, so it is ordered with every push
                // and pop.
                if self.install(current_ptr, Descriptor::with_write(current.size, op)) {
                    op.apply(&self.buckets);
                    // SAFETY: `old` was read from a slot below the size after
                    // the previous write completed, so it holds bits made by
                    // `to_bits::<T>`.
                    return Some(unsafe { from_bits(old.bits) });
                }
                pause(&backoff);
            }
        })
    }
    // ANCHOR_END: set

    // ANCHOR: len
    /// The number of elements, as of the moment the current descriptor was
    /// read.
    ///
    /// ```
    /// let v = secvec::SecVec::new();
    /// v.push(1_u8);
    /// assert_eq!(v.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        with_hazard(|hazard| protect_current(hazard, &self.descriptor).1.size)
    }
    // ANCHOR_END: len

    /// Whether the vector holds no elements.
    ///
    /// ```
    /// let v = secvec::SecVec::new();
    /// assert!(v.is_empty());
    /// v.push(0_i16);
    /// assert!(!v.is_empty());
    /// ```
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // ANCHOR: reserve
    /// Makes sure at least `additional` more elements fit without allocating,
    /// counted from the length at the time of the call.
    ///
    /// Unlike `Vec::reserve` this never moves an element: it allocates the
    /// missing buckets, which is why it takes `&self`.
    ///
    /// # Panics
    ///
    /// With "capacity overflow" if the new capacity exceeds what the buckets
    /// or `isize::MAX` bytes allow.
    ///
    /// ```
    /// let v = secvec::SecVec::from(vec![1_u32; 5]);
    /// v.reserve(100);
    /// assert!(v.capacity() >= 105);
    /// ```
    pub fn reserve(&self, additional: usize) {
        let wanted = self
            .len()
            .checked_add(additional)
            .unwrap_or_else(|| capacity_overflow());
        self.buckets.reserve(wanted);
    }
    // ANCHOR_END: reserve

    /// How many elements fit before the next bucket must be allocated.
    ///
    /// ```
    /// let v = secvec::SecVec::new();
    /// v.push(1_u64);
    /// assert_eq!(v.capacity(), 8); // the first bucket
    /// ```
    pub fn capacity(&self) -> usize {
        self.buckets.capacity()
    }

    /// An iterator over copies of the elements, front to back.
    ///
    /// The iterator reads one element at a time with [`get`](Self::get); it
    /// takes no snapshot. Each item is the element's value at the moment it
    /// was read, and iteration stops at the first index that is not below
    /// the length at that moment. Under concurrent changes it therefore
    /// yields every element that stayed in place during the whole
    /// iteration, sees pushes that land before it gets there, and stops
    /// early if pops shrink the vector below its position. It never yields a
    /// value that was not in the vector, and never the same index twice.
    ///
    /// ```
    /// let v = secvec::SecVec::from(vec![1, 2, 3]);
    /// let doubled: Vec<i32> = v.iter().map(|x| x * 2).collect();
    /// assert_eq!(doubled, [2, 4, 6]);
    /// ```
    pub fn iter(&self) -> crate::Iter<'_, T> {
        crate::Iter::new(self)
    }

    // ANCHOR: install
    /// Swaps the vector's descriptor from `current` to `next`; on success,
    /// retires `current`. On failure `next` is dropped, having never been
    /// seen by another thread.
    fn install(&self, current: *mut Descriptor, next: Descriptor) -> bool {
        let next = Box::into_raw(Box::new(next));
        // AcqRel on success: Release publishes `next` (and the bucket it may
        // need) to every thread that later loads it, and keeps our reads of
        // `current` before the swap; Acquire makes the swap synchronize with
        // the one that installed `current`. Relaxed on failure: we protect
        // the descriptor anew before reading it.
        match self
            .descriptor
            .compare_exchange(current, next, Ordering::AcqRel, Ordering::Relaxed)
        {
            Ok(_) => {
                // SAFETY: our swap just replaced `current`, so no thread can
                // newly load it, and only the thread whose swap succeeded
                // retires it.
                unsafe { retire(current) };
                true
            }
            Err(_) => {
                // SAFETY: the swap failed, so `next` was never published; it
                // is still the box made above, and only we hold it.
                drop(unsafe { Box::from_raw(next) });
                false
            }
        }
    }
    // ANCHOR_END: install

    /// The slot of an index known to be below the current size.
    fn slot_below_size(&self, index: usize) -> &crate::slot::Slot {
        self.buckets
            .slot(index)
            .expect("every index below the size has its bucket allocated")
    }
}

// ANCHOR: drop
impl<T: Element> Drop for SecVec<T> {
    fn drop(&mut self) {
        // Relaxed: `&mut self` means every other thread is done with the
        // vector, and whatever gave us exclusive access ordered their work
        // before this point.
        let current = self.descriptor.load(Ordering::Relaxed);
        // SAFETY: the current descriptor came from `Box::into_raw`, was never
        // retired (only replaced descriptors are), and no hazard pointer can
        // still guard it: operations hold hazard pointers only while they run,
        // and none can run during `drop`.
        drop(unsafe { Box::from_raw(current) });
        // The buckets free themselves when the field is dropped. Retired
        // descriptors refer to slots by index, never by pointer, so the
        // domain may free them later without touching the buckets.
    }
}
// ANCHOR_END: drop
