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
pub(crate) use loom::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{AtomicBool, AtomicPtr, AtomicU64};

pub(crate) use std::sync::atomic::Ordering;
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
