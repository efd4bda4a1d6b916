//! The one place that decides whose atomics the crate uses.
//!
//! Under `cfg(loom)` the atomics are [loom]'s, which then explores the
//! interleavings of a test model; otherwise they are the standard library's.
//! The rest of the crate imports from here, so the code that loom checks is
//! the code that runs.
//!
//! [loom]: https://docs.rs/loom

// ANCHOR: shim
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr};

pub(crate) use std::sync::atomic::Ordering;

#[cfg(not(loom))]
pub(crate) use portable_atomic::AtomicU128;
// ANCHOR_END: shim

use haphazard::HazardPointer;

// ANCHOR: with_hazards
/// Runs `f` with two hazard pointers from haphazard's global domain: one for
/// the descriptor an operation reads, one for the descriptor it publishes.
///
/// Under loom the pointers are never handed back to the domain. When
/// haphazard hands out a used one again it spins on a lock bit without
/// yielding, which loom cannot schedule; a domain that never gets one back
/// never takes that path. The domain frees them all at the end of each
/// model run.
pub(crate) fn with_hazards<R>(
    f: impl FnOnce(&mut HazardPointer<'static>, &mut HazardPointer<'static>) -> R,
) -> R {
    let mut hazards = HazardPointer::many::<2>();
    let [current, next] = hazards.as_refs();
    let result = f(current, next);
    #[cfg(loom)]
    std::mem::forget(hazards);
    result
}
// ANCHOR_END: with_hazards

// ANCHOR: loom_u128
/// A stand-in for a 128-bit atomic under loom, which has none.
///
/// A loom `Mutex` makes each access one indivisible step that loom
/// schedules, which is what a real 128-bit compare-and-swap gives the
/// algorithm. (It also orders more than the real instruction does, so loom
/// cannot check the orderings of the slot accesses themselves.)
#[cfg(loom)]
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
