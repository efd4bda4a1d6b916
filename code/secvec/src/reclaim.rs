//! Memory reclamation for descriptors, with hazard pointers from `haphazard`.
//!
//! A replaced descriptor cannot be freed on the spot: another thread may have
//! loaded the pointer a moment earlier and be about to read its size. Before
//! reading a descriptor, a thread *protects* it: it publishes the pointer in a
//! hazard pointer and checks that the descriptor is still current. The thread
//! that replaces a descriptor *retires* it, and the domain frees it only once
//! no hazard pointer names it. Every descriptor lives in haphazard's global
//! domain.

use std::ptr::NonNull;

use haphazard::{Domain, HazardPointer};

use crate::descriptor::Descriptor;
use crate::sync::AtomicPtr;

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
