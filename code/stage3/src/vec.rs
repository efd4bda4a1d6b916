//! [`SecVec`] and its operations.

use std::marker::PhantomData;

use crossbeam_utils::{Backoff, CachePadded};
use haphazard::{AtomicPtr, HazardPointer};

use crate::buckets::Buckets;
use crate::descriptor::{Descriptor, WriteDescriptor};
use crate::element::{from_bits, to_bits, Element};
use crate::slot::Slot;
use crate::sync::with_hazards;

// ANCHOR: secvec
/// A vector that many threads can push to, pop from, read and write through
/// a shared reference, without locks.
pub struct SecVec<T: Element> {
    /// The two-level array of slots.
    buckets: CachePadded<Buckets>,
    /// The current descriptor, in haphazard's `AtomicPtr`: a pointer that
    /// can only be read through a hazard pointer, and whose replaced
    /// values are retired to haphazard's global domain.
    descriptor: CachePadded<AtomicPtr<Descriptor>>,
    /// The slots hold `T`s as bits; see stage 1.
    _marker: PhantomData<*const T>,
}

// SAFETY: as in stage 1: sending the vector sends its elements.
unsafe impl<T: Element + Send> Send for SecVec<T> {}
// SAFETY: as in stage 1: elements move between threads and are copied to
// many at once; every access to shared state is atomic or guarded.
unsafe impl<T: Element + Send + Sync> Sync for SecVec<T> {}
// ANCHOR_END: secvec

impl<T: Element> SecVec<T> {
    /// An empty vector. It allocates the bucket table and a first
    /// descriptor, but no slots.
    pub fn new() -> Self {
        let () = T::FITS_IN_A_SLOT;
        let first = Box::new(Descriptor {
            size: 0,
            write: None,
        });
        SecVec {
            buckets: CachePadded::new(Buckets::new()),
            descriptor: CachePadded::new(AtomicPtr::from(first)),
            _marker: PhantomData,
        }
    }

    // ANCHOR: current
    /// The current descriptor, guarded by `hazard`. The borrow of `hazard`
    /// keeps the descriptor alive: the compiler rejects any use of it after
    /// `hazard` protects something else.
    fn current<'hp>(&self, hazard: &'hp mut HazardPointer<'static>) -> &'hp Descriptor {
        // `safe_load` loads the pointer, publishes it in `hazard`, and loads
        // it again until the two agree: then the descriptor was still the
        // vector's after our hazard pointer was visible, so it was not yet
        // retired, and it will not be freed while `hazard` names it. Its
        // final load is Acquire, pairing with the Release of the swap that
        // installed the descriptor.
        self.descriptor
            .safe_load(hazard)
            .expect("the descriptor is never null")
    }
    // ANCHOR_END: current

    // ANCHOR: install
    /// Installs `next` in place of `current` and completes the write it
    /// announces, guarding `next` with `hazard`. Returns `false`, changing
    /// nothing, if `current` is no longer the vector's descriptor.
    fn install(
        &self,
        current: &Descriptor,
        next: Descriptor,
        hazard: &mut HazardPointer<'static>,
    ) -> bool {
        let next = Box::new(next);
        let next_ptr = &*next as *const Descriptor as *mut Descriptor;
        // Guard `next` before it is published: once it is, another thread
        // may replace and retire it at any moment, and we still read it
        // below. No fence is needed here: whoever replaces `next` first
        // loads it with `safe_load`, whose Acquire load reads our Release
        // swap, so this hazard store happens before that thread's retire
        // and before any scan that follows it.
        hazard.protect_raw(next_ptr);
        let current = current as *const Descriptor as *mut Descriptor;
        // haphazard swaps with Release (publishing `next`, and the write of
        // `current` that the caller completed) and Relaxed on failure (the caller
        // starts over with a fresh, guarded load).
        match self.descriptor.compare_exchange(current, next) {
            Ok(replaced) => {
                let replaced = replaced.expect("the descriptor is never null");
                // SAFETY: our swap took `replaced` out of the vector, so no
                // new reader can reach it, and only the one thread whose
                // swap succeeded retires it. It came from a `Box`, as
                // haphazard's `AtomicPtr` requires.
                unsafe { replaced.retire() };
                // SAFETY: `next` was guarded by `hazard` before anyone else
                // could see it, so it is not freed while we read it.
                unsafe { &*next_ptr }.complete_write(&self.buckets);
                true
            }
            // Never published, so `next` is still ours, and dropped here.
            Err(_next) => false,
        }
    }
    // ANCHOR_END: install

    // ANCHOR: push
    /// Appends `value` at the end.
    ///
    /// # Panics
    ///
    /// With "capacity overflow" if the vector cannot grow any further.
    pub fn push(&self, value: T) {
        let bits = to_bits(value);
        let backoff = Backoff::new();
        with_hazards(|current_hazard, next_hazard| loop {
            let current = self.current(current_hazard);
            current.complete_write(&self.buckets);
            let index = current.size;
            let old = self.buckets.slot_or_allocate(index).load();
            let next = Descriptor {
                size: index + 1,
                write: Some(WriteDescriptor::new(index, old, old.followed_by(bits))),
            };
            if self.install(current, next, next_hazard) {
                return;
            }
            backoff.spin();
        })
    }
    // ANCHOR_END: push

    // ANCHOR: pop
    /// Removes the last element and returns it, or `None` if the vector is
    /// empty.
    pub fn pop(&self) -> Option<T> {
        let backoff = Backoff::new();
        with_hazards(|current_hazard, next_hazard| loop {
            let current = self.current(current_hazard);
            current.complete_write(&self.buckets);
            let index = current.size.checked_sub(1)?;
            let bits = self.slot_below_size(index).load().bits;
            let next = Descriptor {
                size: index,
                write: None,
            };
            if self.install(current, next, next_hazard) {
                // SAFETY: `index` was below the size of `current`, whose
                // write was complete, so a push stored `to_bits::<T>` bits in
                // the slot, as does every later write to it.
                return Some(unsafe { from_bits(bits) });
            }
            backoff.spin();
        })
    }
    // ANCHOR_END: pop

    // ANCHOR: get
    /// A copy of the element at `index`, or `None` if `index` is not below
    /// the length.
    pub fn get(&self, index: usize) -> Option<T> {
        with_hazards(|current_hazard, _| {
            let current = self.current(current_hazard);
            current.complete_write(&self.buckets);
            if index >= current.size {
                return None;
            }
            let bits = self.slot_below_size(index).load().bits;
            // SAFETY: as in `pop`.
            Some(unsafe { from_bits(bits) })
        })
    }
    // ANCHOR_END: get

    // ANCHOR: set
    /// Replaces the element at `index` with `value` and returns the old one,
    /// or returns `None`, writing nothing, if `index` is not below the length.
    pub fn set(&self, index: usize, value: T) -> Option<T> {
        let bits = to_bits(value);
        let backoff = Backoff::new();
        with_hazards(|current_hazard, next_hazard| loop {
            let current = self.current(current_hazard);
            current.complete_write(&self.buckets);
            if index >= current.size {
                return None;
            }
            let old = self.slot_below_size(index).load();
            let next = Descriptor {
                size: current.size,
                write: Some(WriteDescriptor::new(index, old, old.followed_by(bits))),
            };
            if self.install(current, next, next_hazard) {
                // SAFETY: as in `pop`.
                return Some(unsafe { from_bits(old.bits) });
            }
            backoff.spin();
        })
    }
    // ANCHOR_END: set

    // ANCHOR: len
    /// The number of elements: the size of the current descriptor, read
    /// through a hazard pointer. No help: a pending push already counts.
    pub fn len(&self) -> usize {
        with_hazards(|hazard, _| self.current(hazard).size)
    }
    // ANCHOR_END: len

    /// Whether the vector holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// Makes sure at least `additional` more elements fit, counted from the
    /// length at the time of the call, by allocating the missing buckets.
    ///
    /// # Panics
    ///
    /// With "capacity overflow" if that needs buckets beyond the last.
    pub fn reserve(&self, additional: usize) {
        let wanted = self.len().checked_add(additional);
        self.buckets
            .reserve(wanted.unwrap_or_else(|| panic!("capacity overflow")));
    }

    /// How many elements fit before the next bucket must be allocated.
    pub fn capacity(&self) -> usize {
        self.buckets.capacity()
    }

    /// The slot of an index below the size of a descriptor.
    fn slot_below_size(&self, index: usize) -> &Slot {
        self.buckets
            .slot(index)
            .expect("every index below the size has its bucket")
    }
}

impl<T: Element> Default for SecVec<T> {
    fn default() -> Self {
        Self::new()
    }
}

// ANCHOR: drop
impl<T: Element> Drop for SecVec<T> {
    fn drop(&mut self) {
        let current = self.descriptor.load_ptr();
        // SAFETY: the current descriptor came from a `Box` and was never
        // retired; `&mut self` means no other thread can reach it. Every
        // descriptor it replaced was retired, and the domain frees those
        // once no hazard pointer guards them.
        drop(unsafe { Box::from_raw(current) });
    }
}
// ANCHOR_END: drop
