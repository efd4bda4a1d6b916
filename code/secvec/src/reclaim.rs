//! Memory reclamation for descriptors, with hazard pointers from `haphazard`.
//!
//! A replaced descriptor cannot be freed on the spot: another thread may have
//! loaded the pointer a moment earlier and be about to read its size. Before
//! reading a descriptor, a thread *protects* it: it publishes the pointer in a
//! hazard pointer and checks that the descriptor is still current. The thread
//! that replaces a descriptor *retires* it, and the domain frees it only once
//! no hazard pointer names it. Every descriptor lives in haphazard's global
//! domain.
//!
//! Each thread keeps one hazard pointer for all its operations on any
//! `SecVec` (see [`with_hazard`]): taking a fresh one from the domain for
//! every operation would walk and lock the domain's shared list of records.

#[cfg(not(loom))]
use std::cell::RefCell;
use std::ptr::NonNull;

use haphazard::{Domain, HazardPointer};

use crate::descriptor::Descriptor;
use crate::sync::AtomicPtr;

// ANCHOR: with_hazard
#[cfg(not(loom))]
thread_local! {
    /// This thread's hazard pointer, taken from the global domain on first
    /// use and given back when the thread exits.
    static HAZARD: RefCell<Option<HazardPointer<'static>>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's hazard pointer and clears its protection
/// afterwards, so the last descriptor it guarded can be reclaimed.
///
/// Falls back to a temporary hazard pointer in the two cases where the
/// thread's own is unavailable: while thread-local storage is being torn
/// down, and if `f` somehow reentered (no code path in the crate does).
#[cfg(not(loom))]
pub(crate) fn with_hazard<R>(f: impl FnOnce(&mut HazardPointer<'static>) -> R) -> R {
    let mut f = Some(f);
    let cached = HAZARD.try_with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        let hazard = slot.get_or_insert_with(HazardPointer::new);
        let result = (f.take().expect("called once"))(hazard);
        hazard.reset_protection();
        Some(result)
    });
    match cached {
        Ok(Some(result)) => result,
        _ => (f.take().expect("not called above"))(&mut HazardPointer::new()),
    }
}
// ANCHOR_END: with_hazard

// ANCHOR: with_hazard_loom
/// The loom version: a fresh hazard pointer per operation, never handed back.
///
/// Two facts about the model checker force this. Loom drops lazily
/// initialised statics, which is where haphazard keeps its global domain under
/// loom, *before* the main thread's thread-locals, so a cached hazard pointer
/// would outlive its domain. And when haphazard hands out a previously used
/// record it spins on a lock bit without yielding, which loom cannot schedule.
/// A record that is never returned keeps the list of free records empty, so
/// that path is never taken; the domain frees every record when it is dropped
/// at the end of each execution. The protocol under test (protect, validate,
/// retire) is exactly the one above.
#[cfg(loom)]
pub(crate) fn with_hazard<R>(f: impl FnOnce(&mut HazardPointer<'static>) -> R) -> R {
    let mut hazard = HazardPointer::new();
    let result = f(&mut hazard);
    hazard.reset_protection();
    std::mem::forget(hazard);
    result
}
// ANCHOR_END: with_hazard_loom

// ANCHOR: protect
/// Loads the current descriptor and keeps it alive while `hazard` guards it.
///
/// Returns the pointer (to compare-and-swap against later) and a reference
/// that lives as long as the borrow of `hazard`; protecting something else
/// with the same hazard pointer ends that borrow, so the compiler rules out
/// reading a descriptor that is no longer guarded.
pub(crate) fn protect_current<'hp>(
    hazard: &'hp mut HazardPointer<'static>,
    current: &AtomicPtr<Descriptor>,
) -> (*mut Descriptor, &'hp Descriptor) {
    // `protect_ptr` loads the pointer, publishes it, issues a SeqCst fence
    // and loads again until both loads agree; the agreeing load is Acquire,
    // pairing with the Release of the compare-and-swap that installed it.
    let (pointer, _guard): (NonNull<Descriptor>, _) = hazard
        .protect_ptr(current)
        .expect("a SecVec always has a current descriptor");
    // SAFETY: the pointer came from `Box::into_raw` in `SecVec` and was the
    // current descriptor when the hazard pointer was published, so it was not
    // yet retired then; descriptors are freed only through this domain's
    // retire (or in `SecVec::drop`, which `&self` excludes), and the domain
    // does not free a descriptor while `hazard` names it. `hazard` stays
    // mutably borrowed for `'hp`, so the reference cannot outlive the guard.
    (pointer.as_ptr(), unsafe { pointer.as_ref() })
}
// ANCHOR_END: protect

// ANCHOR: retire
/// Hands a replaced descriptor to the domain, which frees it once no hazard
/// pointer guards it any more.
///
/// # Safety
///
/// `descriptor` must have been the current descriptor of a vector and have
/// just been replaced by a successful compare-and-swap of the caller, so no
/// new hazard pointer can come to protect it, and no one else retires it.
pub(crate) unsafe fn retire(descriptor: *mut Descriptor) {
    // SAFETY: the caller guarantees it is unreachable for new readers and
    // retired exactly once; it came from `Box::into_raw`, so `Box` is the
    // right way to free it, and it stays valid until the global domain frees it.
    unsafe { Domain::global().retire_ptr::<Descriptor, Box<Descriptor>>(descriptor) };
}
// ANCHOR_END: retire
