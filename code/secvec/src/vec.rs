//! [`SecVec`] and its operations.

use std::marker::PhantomData;
use std::ops::ControlFlow;

use crossbeam_utils::CachePadded;

use crate::buckets::{capacity_overflow, Buckets};
use crate::descriptor::{Descriptor, DescriptorCell, WriteDescriptor, WriteOp};
use crate::element::{from_bits, to_bits, Element};
use crate::exchange::{Exchanger, ELIMINATE_AFTER};
use crate::floor::Floor;
use crate::reclaim::{protect_write, with_local, Local};
use crate::slot::SlotWord;
use crate::sync::{pause, Backoff};

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
    /// The current [`Descriptor`]: the size and the pending write, if any.
    /// Every push and pop swaps this word, and most other operations read
    /// it, so it is the hottest word of the vector and gets a cache line to
    /// itself.
    descriptor: CachePadded<DescriptorCell>,
    /// A length the vector is known not to be below. It changes rarely, so
    /// a `get` below it reads a line that stays in every core's cache.
    floor: CachePadded<Floor>,
    /// Where a push or pop that keeps losing waits for a partner, and the
    /// two cancel out, if
    /// [`with_elimination`](Self::with_elimination) turned it on; on a cache
    /// line of its own, as the only other word they all write.
    exchanger: Option<CachePadded<Exchanger>>,
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
    /// Creates an empty vector. Allocates nothing: the bucket table lives
    /// in the vector, and the first push allocates the first bucket.
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
            descriptor: CachePadded::new(DescriptorCell::new(Descriptor::Idle {
                size: 0,
                stamp: 0,
            })),
            floor: CachePadded::new(Floor::new()),
            exchanger: None,
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

    // ANCHOR: with_elimination
    /// Turns on elimination: a push or a pop that keeps losing to other
    /// threads waits a while in a side word, and a pop or push that comes
    /// by meets it there; the two cancel out, the pop taking the push's
    /// value, without touching the vector.
    ///
    /// This shortens the slowest contended pushes and pops (at two threads
    /// it about halved the p99.9 of a push/pop mix), and lets a program whose
    /// threads do some work between operations lose nothing; but in a tight
    /// loop of pushes and pops it can halve the throughput, because it stops
    /// one thread from running many operations in a row while another waits.
    /// The book's chapter "Elimination" has the measurements. Everything
    /// else behaves as without it: a pair that cancels out is a push
    /// followed at once by a pop, which `get`, `len` and every other
    /// operation cannot tell from no change at all.
    ///
    /// ```
    /// let v = secvec::SecVec::new().with_elimination();
    /// v.push(1);
    /// assert_eq!(v.pop(), Some(1));
    /// assert_eq!(v.pop(), None);
    /// ```
    #[must_use]
    pub fn with_elimination(mut self) -> Self {
        self.exchanger = Some(CachePadded::new(Exchanger::new()));
        self
    }
    // ANCHOR_END: with_elimination

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
    // Inlined into the caller: without the hint the compiler stopped doing
    // so once elimination's check made `push` longer, and a push on one
    // thread cost 334 instructions instead of 318 (callgrind,
    // `code/bench/examples/instructions.rs`).
    #[inline]
    pub fn push(&self, value: T) {
        let bits = to_bits(value);
        if self
            .exchanger
            .as_ref()
            .is_some_and(|e| e.fill_request(bits))
        {
            return; // a pop that waited took the value (see `with_elimination`)
        }
        with_local(|local| {
            let backoff = Backoff::new();
            loop {
                let base = self.settled(local);
                let slot = self.buckets.slot_or_allocate(base.size);
                let old = slot.load_for_write();
                let op = WriteOp {
                    index: base.size,
                    old,
                    // A write through the descriptor carries the stamp of
                    // the state it leads to (see `SlotWord::written`).
                    new: SlotWord::written(bits, base.stamp.wrapping_add(1)),
                    // Once the vector has grown to eight times its floor,
                    // the floor rises with this write (see `floor.rs`).
                    raise: self.floor.load().raise_for(base.size + 1),
                };
                if self.write_through(local, base, base.size + 1, op) {
                    return;
                }
                if self.meeting_place(&backoff).is_some_and(|e| e.offer(bits)) {
                    return; // a pop took the value instead
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
        if let Some(bits) = self.exchanger.as_ref().and_then(|e| e.take_offer()) {
            // SAFETY: a push of this vector made `bits` with `to_bits::<T>`
            // and handed them to this pop alone (see `with_elimination`).
            return Some(unsafe { from_bits(bits) });
        }
        let backoff = Backoff::new();
        loop {
            let current = self.descriptor.load();
            let attempt = match current {
                // An idle descriptor owes no write and names none to finish,
                // so this attempt needs nothing from the thread's `Local`
                // and does not borrow it.
                Descriptor::Idle { size, stamp } => {
                    let base = Settled::idle(size, stamp);
                    self.try_pop(base, |next| self.descriptor.compare_exchange(current, next))
                }
                Descriptor::Pending { .. } => with_local(|local| {
                    let base = self.settled(local);
                    self.try_pop(base, |next| self.replace(local, base, next))
                }),
            };
            if let ControlFlow::Break(popped) = attempt {
                return popped;
            }
            if let Some(bits) = self.meeting_place(&backoff).and_then(|e| e.request()) {
                // SAFETY: as for the exchange at the top of `pop`.
                return Some(unsafe { from_bits(bits) });
            }
            pause(&backoff);
        }
    }
    // ANCHOR_END: pop

    // ANCHOR: meeting_place
    /// The exchanger, if elimination is on and the operation that owns
    /// `backoff` has just lost for the [`ELIMINATE_AFTER`]th time or later:
    /// it should wait there a while for a partner before it pauses.
    #[inline]
    fn meeting_place(&self, backoff: &Backoff) -> Option<&Exchanger> {
        let exchanger = self.exchanger.as_deref()?;
        // Each earlier loss paused once; this one has not yet.
        (backoff.pauses() + 1 >= ELIMINATE_AFTER).then_some(exchanger)
    }
    // ANCHOR_END: meeting_place

    // ANCHOR: try_pop
    /// One attempt to pop from `base`: `swap` must replace the descriptor of
    /// `base` with the one it is given, and say whether it did. `Continue`
    /// if the attempt failed and the pop must start over.
    #[inline(always)]
    fn try_pop(
        &self,
        base: Settled,
        swap: impl FnOnce(Descriptor) -> bool,
    ) -> ControlFlow<Option<T>> {
        let Some(index) = base.size.checked_sub(1) else {
            return ControlFlow::Break(None);
        };
        // ANCHOR: pop_floor
        // The floor must never be above the length: lower it first, then
        // start over. It cannot rise before our swap below without a write
        // being published, which would make that swap fail.
        if let Some(fall) = self.floor.load().lower_for(index) {
            self.floor.apply(fall);
            return ControlFlow::Continue(());
        }
        // ANCHOR_END: pop_floor
        let slot = self.slot_below_size(index);
        let word = slot.load();
        // The word must have been read under `base`: a pop that stalled with
        // an older descriptor must not seal a slot that was popped meanwhile
        // and is about to be pushed again. Seal it, so that a set that read
        // it before can no longer swap it; a second pop of the same state
        // leaves the same seal.
        if self.descriptor.load() == base.current && slot.replace(word, word.sealed(base.stamp)) {
            let next = Descriptor::Idle {
                size: index,
                stamp: base.stamp.wrapping_add(1),
            };
            if swap(next) {
                // SAFETY: `index < size`, so a push wrote this slot with
                // `to_bits::<T>`, and `base` owed no write, so that write was
                // done. The swap succeeded, so the descriptor stayed
                // `base.current` (see `Settled`); no push writes below the
                // size, and a set that read the slot before our seal fails,
                // while one that found the seal went through the descriptor
                // and would have failed our swap. So the element was
                // `word.bits` at our swap.
                return ControlFlow::Break(Some(unsafe { from_bits(word.bits) }));
            }
        }
        ControlFlow::Continue(())
    }
    // ANCHOR_END: try_pop

    // ANCHOR: get
    /// Returns a copy of the element at `index`, or `None` if `index` is not
    /// below the length.
    ///
    /// ```
    /// let v = secvec::SecVec::from(vec![10, 20]);
    /// assert_eq!(v.get(1), Some(20));
    /// assert_eq!(v.get(2), None);
    /// ```
    // Inlined into the caller: a `get` below the floor is then a few
    // instructions in the caller's own loop, not a call. In a loop of gets
    // on one thread that took a get from 3.8 to 2.6 ns.
    #[inline]
    pub fn get(&self, index: usize) -> Option<T> {
        // Below the floor the index is in the vector for sure: read the slot
        // and leave the descriptor's busy cache line alone.
        if index < self.floor.load().value() {
            // SAFETY: the floor never exceeds the length (see `floor.rs`).
            // It rises only with a push's applied write, whose descriptor
            // counts every element below the new floor as written; it falls
            // only before a pop shrinks the length, to a value below one
            // that was raised so. Either way every index below the value we
            // read holds an element whose push was applied before that value
            // was stored, and no pop removes it while the value stands.
            return Some(unsafe { self.element(index) });
        }
        let size = match self.descriptor.load() {
            Descriptor::Idle { size, .. } => size,
            // A pending write is always to the last index: a push, or a set
            // of a sealed last element. Every other index holds its element
            // or is out of range, as of this load. (A pending size is at
            // least one, so `size - 1` cannot underflow.)
            Descriptor::Pending { size, .. } if index != size - 1 => size,
            // The write owed is to this very index: help it finish rather
            // than read a slot that may lag behind.
            Descriptor::Pending { .. } => self.settled_size(),
        };
        if index >= size {
            return None;
        }
        // SAFETY: `index` was below the size of an idle descriptor, which
        // owes no write, or below the last index of a pending one, which
        // owes only the write to its last index, or it was that last index
        // and `settled` saw the write done: either way the slot is written.
        Some(unsafe { self.element(index) })
    }

    /// The element in the slot at `index`.
    ///
    /// # Safety
    ///
    /// A push to `index` was applied before the atomic load that told the
    /// caller the index is in the vector. That push stored bits made by
    /// `to_bits::<T>`, and so does every write to the slot after it.
    #[inline]
    unsafe fn element(&self, index: usize) -> T {
        let bits = self.slot_below_size(index).load().bits;
        // SAFETY: the slot holds the bits of a `T`, by the caller's promise.
        unsafe { from_bits(bits) }
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
        with_local(|local| {
            let backoff = Backoff::new();
            loop {
                let base = self.settled(local);
                if index >= base.size {
                    return None;
                }
                let slot = self.slot_below_size(index);
                let old = slot.load();
                let done = if self.descriptor.load() != base.current {
                    // `old` must have been read under `base`.
                    false
                } else if old.is_sealed_under(base.stamp) {
                    // A pop of this very element may be between its seal
                    // and its swap. Go through the descriptor, so that one
                    // of the two swaps fails. Like a push's, the word written
                    // carries the stamp of the state it leads to, so that a
                    // direct set or a seal of this stamp that stalled cannot
                    // land on it afterwards.
                    let op = WriteOp {
                        index,
                        old,
                        new: SlotWord::written(bits, base.stamp.wrapping_add(1)),
                        raise: None,
                    };
                    self.write_through(local, base, base.size, op)
                } else {
                    // No pop of `base` has sealed the slot: swap it
                    // directly. A pop that seals it before our swap makes
                    // the swap fail.
                    slot.replace(old, SlotWord::written(bits, base.stamp))
                };
                if done {
                    // SAFETY: `old` was read from a slot below the size of
                    // a descriptor that owed no write, so it holds bits made
                    // by `to_bits::<T>`.
                    return Some(unsafe { from_bits(old.bits) });
                }
                pause(&backoff);
            }
        })
    }
    // ANCHOR_END: set

    // ANCHOR: len
    /// The number of elements, as of the moment the current descriptor was
    /// read. One atomic load: `len` never waits for anyone.
    ///
    /// ```
    /// let v = secvec::SecVec::new();
    /// v.push(1_u8);
    /// assert_eq!(v.len(), 1);
    /// ```
    pub fn len(&self) -> usize {
        self.descriptor.load().size()
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

    // ANCHOR: settled
    /// The current descriptor, once it owes no write: idle, or pending with
    /// a write that is done. A pending write of another thread is applied
    /// here first; this is where threads help each other. Nothing is
    /// swapped: the descriptor stays as it is until the caller replaces it.
    fn settled(&self, local: &mut Local) -> Settled {
        loop {
            let current = self.descriptor.load();
            let (size, write) = match current {
                Descriptor::Idle { size, stamp } => return Settled::idle(size, stamp),
                Descriptor::Pending { size, write } => (size, write),
            };
            // ANCHOR: own_write
            // SAFETY: `current` names `write`, so it was published.
            if let Some(own) = unsafe { local.writes.own(write) } {
                // This thread published the write, and the operation that
                // did so applied it before it returned.
                return Settled {
                    current,
                    size,
                    stamp: own.stamp,
                };
            }
            // ANCHOR_END: own_write
            // If `current` was replaced meanwhile, just look again.
            if let Some(owed) = protect_write(&mut local.hazard, &self.descriptor, current, write) {
                owed.op.apply(&self.buckets, &self.floor);
                // The hazard pointer keeps guarding the write's block until
                // the operation ends (see `with_local`), so its place cannot
                // come back in another descriptor while we compare against
                // `current`.
                return Settled {
                    current,
                    size,
                    stamp: owed.stamp,
                };
            }
        }
    }
    // ANCHOR_END: settled

    /// The size once the current descriptor owes no write: `get`'s rare
    /// path, kept out of line so that the common one stays small.
    #[cold]
    #[inline(never)]
    fn settled_size(&self) -> usize {
        with_local(|local| self.settled(local).size)
    }

    // ANCHOR: replace
    /// Swaps `next` in for the descriptor of `base`, and finishes the write
    /// `base` named if it was pending. Returns `false`, having changed
    /// nothing, if that descriptor was no longer current.
    #[inline]
    fn replace(&self, local: &mut Local, base: Settled, next: Descriptor) -> bool {
        if !self.descriptor.compare_exchange(base.current, next) {
            return false;
        }
        if let Descriptor::Pending { write, .. } = base.current {
            // SAFETY: our swap replaced the only descriptor that named
            // `write`, so only we finish it. Its block is alive: it is this
            // thread's own current block, or our hazard pointer guards it
            // (see `settled`); either way it has at least this unfinished
            // position until the call below.
            unsafe { local.writes.finish(write) };
        }
        true
    }
    // ANCHOR_END: replace

    // ANCHOR: write_through
    /// Publishes `op` in a pending descriptor of size `new_size` in place of
    /// the descriptor of `base`, then applies it. Returns `false`, having
    /// published nothing, if that descriptor was no longer current.
    ///
    /// The descriptor stays pending: the next operation, of whichever
    /// thread, replaces it, and helps with the write first if it must.
    // Always inlined, like `with_local`: `op` then stays in registers. A
    // single-threaded push got about a fifth faster.
    #[inline(always)]
    fn write_through(
        &self,
        local: &mut Local,
        base: Settled,
        new_size: usize,
        op: WriteOp,
    ) -> bool {
        let stamp = base.stamp.wrapping_add(1);
        let write = local.writes.stage(WriteDescriptor { op, stamp });
        let pending = Descriptor::Pending {
            size: new_size,
            write,
        };
        if !self.replace(local, base, pending) {
            // Never published: the next attempt stages over it.
            return false;
        }
        local.writes.published();
        // `op` is a copy: applying it reads nothing from the block, which
        // may be freed as soon as another thread replaces our descriptor.
        op.apply(&self.buckets, &self.floor);
        true
    }
    // ANCHOR_END: write_through

    /// The slot of an index known to be below the current size.
    fn slot_below_size(&self, index: usize) -> &crate::slot::Slot {
        self.buckets
            .slot(index)
            .expect("every index below the size has its bucket allocated")
    }
}

// ANCHOR: settled_struct
/// A descriptor that owes no write, as an operation found it.
///
/// A pending descriptor whose write is done is as good as an idle one: the
/// operation starts from it and compares against it as it is, and the swap
/// that replaces it finishes its write. Neither kind comes back once
/// replaced: every descriptor installed carries the next stamp (an idle one
/// in its word, a pending one in its write), and a pending one names a place
/// in a block that is not reused while the operation holds it (see
/// `settled`).
#[derive(Clone, Copy, Debug)]
struct Settled {
    /// The descriptor as loaded.
    current: Descriptor,
    /// How many elements the vector holds in this state.
    size: usize,
    /// The state's stamp: the idle descriptor's, or the one its pending
    /// write carries, which its idle successor would have.
    stamp: u64,
}

impl Settled {
    /// The idle descriptor of `size` and `stamp`, which owes no write.
    #[inline]
    fn idle(size: usize, stamp: u64) -> Self {
        Settled {
            current: Descriptor::Idle { size, stamp },
            size,
            stamp,
        }
    }
}
// ANCHOR_END: settled_struct

// ANCHOR: drop
impl<T: Element> Drop for SecVec<T> {
    fn drop(&mut self) {
        // `&mut self` means every other thread is done with the vector, and
        // whatever gave us exclusive access ordered their work before this.
        if let Descriptor::Pending { write, .. } = self.descriptor.load() {
            // SAFETY: the current descriptor names `write`, so it is
            // unfinished and its block alive; no operation runs during
            // `drop`, so no one else will finish it. Its block may still be
            // in use by other vectors, so it goes through the count like
            // any other write.
            unsafe { write.finish() };
        }
        // The buckets free themselves when the field is dropped. Write
        // descriptors refer to slots by index, never by pointer, so the
        // domain may free their blocks later without touching the buckets.
    }
}
// ANCHOR_END: drop

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    // ANCHOR: stale_after_write_through
    /// The schedule of the book's seals chapter ("The case that needs the
    /// next stamp"), replayed on one thread. Each stalled operation is played as
    /// the word it read before it stalled and the swap it makes when it
    /// wakes: a direct `set` and a pop's seal, both planned under stamp `t`,
    /// and a helper of a `set` that went through the descriptor.
    ///
    /// A write through the descriptor must leave a word that no operation
    /// planned under the same stamp can expect, or the stalled set lands on
    /// it, the stalled seal puts the write's `old` word back, and the stalled
    /// helper lands the same write a second time.
    #[test]
    fn stale_operations_cannot_land_after_a_write_through_the_descriptor() {
        let v = SecVec::from(vec![0_u32, 1]);
        assert_eq!(v.set(1, 10), Some(1));
        let t = with_local(|local| v.settled(local).stamp);
        let slot = v.slot_below_size(1);

        // D, a direct `set(1, 20)` under `t`, reads the slot and stalls.
        let read_by_d = slot.load();
        // Another `set(1, 20)` runs to the end, directly.
        assert_eq!(v.set(1, 20), Some(10));
        // A pops: reads the slot under `t`, stalls before sealing.
        let read_by_a = slot.load();
        // B pops: seals the slot under `t`, stalls before its descriptor swap.
        assert!(slot.replace(read_by_a, read_by_a.sealed(t)));
        // S, `set(1, 10)`, finds the seal and goes through the descriptor;
        // B fails its swap, finds S's write owed, and stalls inside `apply`.
        assert_eq!(v.set(1, 10), Some(20));
        let helped_by_b = WriteOp {
            index: 1,
            old: read_by_a.sealed(t),
            new: slot.load(),
            raise: None,
        };
        assert_eq!(helped_by_b.new.bits, 10);

        // D wakes: its swap must fail, or it replaces S's 10 with a 20 that
        // S's return value says came before it.
        assert!(!slot.replace(read_by_d, SlotWord::written(20, t)));
        // A wakes: its seal must fail too.
        assert!(!slot.replace(read_by_a, read_by_a.sealed(t)));
        // B wakes and applies S's write: nothing to do.
        helped_by_b.apply(&v.buckets, &v.floor);
        assert_eq!(slot.load(), helped_by_b.new);
        assert_eq!(v.pop(), Some(10));
        assert_eq!(v.pop(), Some(0));
    }
    // ANCHOR_END: stale_after_write_through

    // ANCHOR: stays_pending
    /// A push leaves its descriptor pending. The same thread's next push
    /// starts from it as it is and replaces it; another thread's pop
    /// replaces it too, with an idle descriptor one stamp further on.
    #[test]
    fn a_write_stays_pending_until_the_next_operation_replaces_it() {
        let v = SecVec::new();
        v.push(1_u32);
        let Descriptor::Pending { size: 1, write: w1 } = v.descriptor.load() else {
            panic!("a push leaves its descriptor pending");
        };
        v.push(2);
        let Descriptor::Pending { size: 2, write: w2 } = v.descriptor.load() else {
            panic!("the second push replaced the first one's descriptor");
        };
        assert_ne!(w1, w2);
        assert_eq!(w1.block(), w2.block(), "both came from this thread's block");
        // SAFETY: `w2` is named by the descriptor and its block is this
        // thread's current one, so it is alive.
        let stamp = unsafe { w2.get() }.stamp;

        let popped = std::thread::scope(|s| s.spawn(|| v.pop()).join().unwrap());
        assert_eq!(popped, Some(2));
        assert_eq!(
            v.descriptor.load(),
            Descriptor::Idle {
                size: 1,
                stamp: stamp + 1
            }
        );
        assert_eq!(v.pop(), Some(1));
    }
    // ANCHOR_END: stays_pending

    /// A pop that finds the descriptor idle needs no hazard pointer and no
    /// slab, and leaves a thread that has not made its `Local` without one;
    /// one that finds a write pending must borrow it, to finish the write.
    #[test]
    fn only_a_pop_that_finds_a_write_pending_borrows_the_local() {
        let v = SecVec::from(vec![1_u32, 2, 3]);
        assert!(matches!(v.descriptor.load(), Descriptor::Pending { .. }));
        std::thread::scope(|s| {
            s.spawn(|| {
                assert!(!crate::reclaim::local_is_made());
                assert_eq!(v.pop(), Some(3));
                assert!(
                    crate::reclaim::local_is_made(),
                    "the push's write was pending"
                );
            });
        });
        assert!(matches!(v.descriptor.load(), Descriptor::Idle { .. }));
        std::thread::scope(|s| {
            s.spawn(|| {
                assert_eq!(v.pop(), Some(2));
                assert_eq!(v.pop(), Some(1));
                assert_eq!(v.pop(), None);
                assert!(!crate::reclaim::local_is_made(), "every pop found it idle");
            });
        });
    }
}
