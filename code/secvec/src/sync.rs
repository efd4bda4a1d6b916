//! The one place that decides whose atomics the crate uses.
//!
//! Under `cfg(loom)` every atomic, every retry pause and the 128-bit slot
//! word come from [loom], which then explores the interleavings of a test
//! model. In a normal build they are the standard library's atomics and
//! [`portable_atomic::AtomicU128`]. The rest of the crate imports from here and
//! never names `std::sync::atomic` or `loom` itself, so the code that is
//! model-checked is the code that ships.
//!
//! [loom]: https://docs.rs/loom

// ANCHOR: shim
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicUsize};

pub(crate) use std::sync::atomic::Ordering;

#[cfg(not(loom))]
pub(crate) use portable_atomic::AtomicU128;
// ANCHOR_END: shim

use crossbeam_utils::Backoff;

/// Pauses a retry loop after a lost compare-and-swap.
///
/// Outside loom this spins with exponential backoff. Under loom it yields, so
/// that the model checker schedules the thread that won instead of exploring a
/// spinning thread forever.
pub(crate) fn pause(backoff: &Backoff) {
    #[cfg(loom)]
    {
        let _ = backoff;
        loom::thread::yield_now();
    }
    #[cfg(not(loom))]
    backoff.spin();
}

// ANCHOR: loom_u128
/// A stand-in for a 128-bit atomic under loom, which has none.
///
/// A loom `Mutex` makes each access one indivisible, model-checked step, which
/// is what a real `cmpxchg16b` gives the algorithm.
#[cfg(loom)]
#[derive(Debug)]
pub(crate) struct AtomicU128(loom::sync::Mutex<u128>);

#[cfg(loom)]
impl AtomicU128 {
    pub(crate) fn new(value: u128) -> Self {
        Self(loom::sync::Mutex::new(value))
    }

    pub(crate) fn load(&self, _order: Ordering) -> u128 {
        *self.0.lock().unwrap()
    }

    pub(crate) fn compare_exchange(
        &self,
        current: u128,
        new: u128,
        _success: Ordering,
        _failure: Ordering,
    ) -> Result<u128, u128> {
        let mut word = self.0.lock().unwrap();
        if *word == current {
            *word = new;
            Ok(current)
        } else {
            Err(*word)
        }
    }
}
// ANCHOR_END: loom_u128
