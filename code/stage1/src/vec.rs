//! [`SecVec`] and its operations.

use std::marker::PhantomData;
use std::sync::atomic::{AtomicPtr, AtomicU64, Ordering};

use crossbeam_utils::{Backoff, CachePadded};

use crate::buckets::Buckets;
use crate::descriptor::{Descriptor, WriteDescriptor};
use crate::element::{from_bits, to_bits, Element};

// ANCHOR: secvec
/// A vector that many threads can push to, pop from, read and write through
/// a shared reference, without locks.
pub struct SecVec<T: Element> {
    /// The two-level array of slots.
    buckets: CachePadded<Buckets>,
    /// The current descriptor. `push`, `pop`, `get` and `set` replace or
    /// complete it, so it gets a cache line of its own.
    descriptor: CachePadded<AtomicPtr<Descriptor>>,
    /// The slots hold `T`s as bits. `*const T` keeps `T`'s `Send` and `Sync`
    /// out of the picture; the impls below say what the vector needs.
    _marker: PhantomData<*const T>,
}

// SAFETY: the vector owns its elements as plain bits; sending it to another
// thread sends the elements, which needs `T: Send`.
unsafe impl<T: Element + Send> Send for SecVec<T> {}
// SAFETY: through `&SecVec`, a value pushed on one thread can be popped on
// another (`T: Send`), and `get` copies one element out to many threads at
// once (`T: Sync`). Every access to shared state is atomic.
unsafe impl<T: Element + Send + Sync> Sync for SecVec<T> {}
// ANCHOR_END: secvec

impl<T: Element> SecVec<T> {
    // ANCHOR: new
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
            descriptor: CachePadded::new(AtomicPtr::new(Box::into_raw(first))),
            _marker: PhantomData,
        }
    }
    // ANCHOR_END: new

    // ANCHOR: current
    /// The current descriptor.
    fn current(&self) -> &Descriptor {
        // Acquire: pairs with the Release of the swap in `install` that
        // installed the descriptor, so we see the fields written before it.
        let current = self.descriptor.load(Ordering::Acquire);
        // SAFETY: every descriptor comes from `Box::into_raw`, and none is
        // freed while the vector lives: this stage leaks every descriptor it
        // replaces (stage 2 fixes that).
        unsafe { &*current }
    }
    // ANCHOR_END: current

    // ANCHOR: install
    /// Installs `next` in place of `current` and completes the write it
    /// announces. Returns `false`, changing nothing, if `current` is no
    /// longer the vector's descriptor.
    fn install(&self, current: &Descriptor, next: Descriptor) -> bool {
        let current = current as *const Descriptor as *mut Descriptor;
        let next = Box::into_raw(Box::new(next));
        // AcqRel: Release publishes `next`, and the write of `current` that
        // the caller completed; Acquire orders us after the thread that
        // installed `current`. Relaxed on failure: the caller starts over.
        match self
            .descriptor
            .compare_exchange(current, next, Ordering::AcqRel, Ordering::Relaxed)
        {
            Ok(_replaced) => {
                // `_replaced` is garbage now, but another thread may still be
                // reading it, so this stage never frees it: the leak.
                // SAFETY: published just now, and never freed (see `current`).
                unsafe { &*next }.complete_write(&self.buckets);
                true
            }
            Err(_) => {
                // SAFETY: the swap failed, so no other thread ever saw `next`.
                drop(unsafe { Box::from_raw(next) });
                false
            }
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
        loop {
            let current = self.current();
            current.complete_write(&self.buckets);
            let index = current.size;
            let slot = self.buckets.slot_or_allocate(index);
            // Acquire: pairs with the swap that last wrote the slot.
            let old = slot.load(Ordering::Acquire);
            let next = Descriptor {
                size: index + 1,
                write: Some(WriteDescriptor::new(index, old, bits)),
            };
            if self.install(current, next) {
                return;
            }
            backoff.spin();
        }
    }
    // ANCHOR_END: push

    // ANCHOR: pop
    /// Removes the last element and returns it, or `None` if the vector is
    /// empty.
    pub fn pop(&self) -> Option<T> {
        let backoff = Backoff::new();
        loop {
            let current = self.current();
            current.complete_write(&self.buckets);
            let index = current.size.checked_sub(1)?;
            // Acquire: as in `push`.
            let bits = self.slot_below_size(index).load(Ordering::Acquire);
            let next = Descriptor {
                size: index,
                write: None,
            };
            if self.install(current, next) {
                // SAFETY: `index` was below the size of `current`, whose
                // write was complete, so a push stored `to_bits::<T>` bits in
                // the slot, as does every later write to it.
                return Some(unsafe { from_bits(bits) });
            }
            backoff.spin();
        }
    }
    // ANCHOR_END: pop

    // ANCHOR: get
    /// A copy of the element at `index`, or `None` if `index` is not below
    /// the length.
    pub fn get(&self, index: usize) -> Option<T> {
        let current = self.current();
        current.complete_write(&self.buckets);
        if index >= current.size {
            return None;
        }
        // Acquire: as in `push`.
        let bits = self.slot_below_size(index).load(Ordering::Acquire);
        // SAFETY: as in `pop`.
        Some(unsafe { from_bits(bits) })
    }
    // ANCHOR_END: get

    // ANCHOR: set
    /// Replaces the element at `index` with `value` and returns the old one,
    /// or returns `None`, writing nothing, if `index` is not below the length.
    pub fn set(&self, index: usize, value: T) -> Option<T> {
        let bits = to_bits(value);
        let backoff = Backoff::new();
        loop {
            let current = self.current();
            current.complete_write(&self.buckets);
            if index >= current.size {
                return None;
            }
            // Acquire: as in `push`.
            let old = self.slot_below_size(index).load(Ordering::Acquire);
            let next = Descriptor {
                size: current.size,
                write: Some(WriteDescriptor::new(index, old, bits)),
            };
            if self.install(current, next) {
                // SAFETY: as in `pop`.
                return Some(unsafe { from_bits(old) });
            }
            backoff.spin();
        }
    }
    // ANCHOR_END: set

    // ANCHOR: len
    /// The number of elements: the size of the current descriptor. No help
    /// is needed: a pending push already counts.
    pub fn len(&self) -> usize {
        self.current().size
    }
    // ANCHOR_END: len

    /// Whether the vector holds no elements.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    // ANCHOR: reserve
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
    // ANCHOR_END: reserve

    // ANCHOR: slot_below_size
    /// The slot of an index below the size of a descriptor.
    fn slot_below_size(&self, index: usize) -> &AtomicU64 {
        self.buckets
            .slot(index)
            .expect("every index below the size has its bucket")
    }
    // ANCHOR_END: slot_below_size
}

impl<T: Element> Default for SecVec<T> {
    fn default() -> Self {
        Self::new()
    }
}

// ANCHOR: drop
impl<T: Element> Drop for SecVec<T> {
    fn drop(&mut self) {
        // SAFETY: the current descriptor came from `Box::into_raw`, and
        // `&mut self` means no other thread can be reading it. (Every
        // descriptor it replaced is leaked.)
        drop(unsafe { Box::from_raw(*self.descriptor.get_mut()) });
    }
}
// ANCHOR_END: drop
