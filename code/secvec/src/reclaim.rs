//! Memory reclamation for blocks of write descriptors, with hazard pointers
//! from `haphazard`.
//!
//! A write descriptor cannot be freed as soon as the descriptor naming it is
//! replaced: another thread may have loaded the vector's descriptor a moment
//! earlier and be about to read the write it names. Before reading a write
//! descriptor, a thread *protects* its block: it publishes the block's address
//! in a hazard pointer and checks that the descriptor naming the write is
//! still current. The thread that replaces a pending descriptor *finishes*
//! its write (see `block.rs`); the thread that finishes the last write of a
//! block *retires* the block, and the domain frees it only once no hazard
//! pointer names it. Every block lives in haphazard's global domain.
//!
//! Each thread keeps one hazard pointer and one slab of write descriptors for
//! all its operations on any `SecVec` (see [`with_local`]): taking a fresh
//! hazard pointer from the domain for every operation would walk and lock the
//! domain's shared list of records.

use std::cell::RefCell;
use std::ptr::NonNull;

use haphazard::{Domain, HazardPointer};

use crate::block::{Block, WriteRef, WriteSlab};
use crate::descriptor::{Descriptor, DescriptorCell, WriteDescriptor};
use crate::sync::{fence, Ordering};

// ANCHOR: local
/// What an operation borrows from its thread: a hazard pointer, and the
/// slab its write descriptors come from.
pub(crate) struct Local {
    /// Guards the block of another thread's pending write, from the moment
    /// the operation reads it until the operation ends: the operation may
    /// replace the descriptor that names it, and then finishes it.
    pub(crate) hazard: HazardPointer<'static>,
    /// This thread's current block of write descriptors.
    pub(crate) writes: WriteSlab,
}

impl Local {
    fn new() -> Self {
        Local {
            hazard: HazardPointer::new(),
            writes: WriteSlab::default(),
        }
    }
}
// ANCHOR_END: local

// ANCHOR: with_local
#[cfg(not(loom))]
thread_local! {
    /// This thread's hazard pointer and slab, made on first use. When the
    /// thread exits, the hazard pointer goes back to the domain and the
    /// slab's unused positions are finished.
    static LOCAL: RefCell<Option<Local>> = const { RefCell::new(None) };
}

/// Runs `f` with this thread's [`Local`] and clears the hazard pointer's
/// protection afterwards, so the last block it guarded can be reclaimed.
///
/// Falls back to a temporary `Local` in the two cases where the thread's own
/// is unavailable: while thread-local storage is being torn down, and if `f`
/// somehow reentered (no code path in the crate does).
#[cfg(not(loom))]
// Always inlined: the closure is on the path of every push, and inlined it
// keeps what it captures in registers instead of copying it through memory.
#[inline(always)]
pub(crate) fn with_local<R>(f: impl FnOnce(&mut Local) -> R) -> R {
    let mut f = Some(f);
    let cached = LOCAL.try_with(|cell| {
        let mut slot = cell.try_borrow_mut().ok()?;
        let local = slot.get_or_insert_with(Local::new);
        let result = (f.take().expect("called once"))(local);
        local.hazard.reset_protection();
        Some(result)
    });
    match cached {
        Ok(Some(result)) => result,
        _ => (f.take().expect("not called above"))(&mut Local::new()),
    }
}
// ANCHOR_END: with_local

/// Whether this thread has made its [`Local`] yet: for tests of the paths
/// that must not borrow it.
#[cfg(all(test, not(loom)))]
pub(crate) fn local_is_made() -> bool {
    LOCAL.with(|cell| cell.borrow().is_some())
}

// ANCHOR: with_local_loom
#[cfg(loom)]
loom::thread_local! {
    /// The loom version of the slab: kept per thread, as in a normal build,
    /// so that models see a thread start from a pending write of its own.
    static SLAB: RefCell<WriteSlab> = RefCell::new(WriteSlab::default());
}

/// The loom version: this thread's slab, but a fresh hazard pointer per
/// operation, which is never handed back.
///
/// Two facts about the model checker force the fresh hazard pointer. Loom
/// drops lazily initialised statics, which is where haphazard keeps its
/// global domain under loom, *before* the main thread's thread-locals, so a
/// cached hazard pointer would outlive its domain. And when haphazard hands
/// out a previously used record it spins on a lock bit without yielding,
/// which loom cannot schedule. A record that is never returned keeps the
/// list of free records empty, so that path is never taken; the domain frees
/// every record when it is dropped at the end of each execution. The slab
/// goes back to the thread after each operation; when the thread ends, its
/// unused positions are finished, so models also race a block's owner
/// finishing those against the threads finishing the published ones. The
/// protocol under test (protect, validate, finish, retire) is exactly the
/// one above.
#[cfg(loom)]
pub(crate) fn with_local<R>(f: impl FnOnce(&mut Local) -> R) -> R {
    // A fresh hazard pointer, and the thread's slab in place of an empty one.
    let mut local = Local {
        writes: take_slab(),
        ..Local::new()
    };
    let result = f(&mut local);
    local.hazard.reset_protection();
    let Local { hazard, writes } = local;
    std::mem::forget(hazard);
    SLAB.with(|slab| *slab.borrow_mut() = writes);
    result
}

/// Under loom only: drops this thread's slab now, finishing its unused
/// positions, instead of when loom drops the thread's thread-locals. Every
/// thread of a model calls it last (see `tests/loom.rs`).
#[cfg(loom)]
pub fn release_thread() {
    drop(take_slab());
}

/// Takes this thread's slab out of its thread-local, leaving an empty one.
#[cfg(loom)]
fn take_slab() -> WriteSlab {
    SLAB.with(|slab| std::mem::take(&mut *slab.borrow_mut()))
}
// ANCHOR_END: with_local_loom

// ANCHOR: protect
/// Guards the block of the write named by `current` and checks that
/// `current` is still the vector's descriptor; `None` if it is not.
///
/// The reference lives as long as the borrow of `hazard`; protecting
/// something else with the same hazard pointer ends that borrow, so the
/// compiler rules out reading a write descriptor that is no longer guarded.
pub(crate) fn protect_write<'hp>(
    hazard: &'hp mut HazardPointer<'static>,
    cell: &DescriptorCell,
    current: Descriptor,
    write: WriteRef,
) -> Option<&'hp WriteDescriptor> {
    hazard.protect_raw(write.block().as_ptr());
    // SeqCst: our hazard store and the re-load below must not be reordered,
    // and must be ordered against the SeqCst fences haphazard issues between
    // retiring an object and scanning the hazard pointers. Either the scan
    // sees our hazard, or our re-load sees the descriptor that replaced
    // `current` (and we back off).
    fence(Ordering::SeqCst);
    if cell.load() != current {
        return None;
    }
    // SAFETY: `current` was still the vector's descriptor after our hazard
    // pointer was published, so `write` was published and unfinished then,
    // and its block not retired; blocks are freed only through this
    // domain's retire, which does not free one while `hazard` names it.
    // `hazard` stays mutably borrowed for `'hp`, so the reference cannot
    // outlive the protection.
    Some(unsafe { write.get() })
}
// ANCHOR_END: protect

// ANCHOR: retire
/// Hands a block to the domain, which frees it once no hazard pointer guards
/// it any more.
///
/// # Safety
///
/// Every write descriptor in `block` is finished: no descriptor names one,
/// so no new hazard pointer can come to protect the block; and no one else
/// retires it.
pub(crate) unsafe fn retire(block: NonNull<Block>) {
    // SAFETY: the caller guarantees it is unreachable for new readers and
    // retired exactly once; it came from `Box::leak`, so `Box` is the right
    // way to free it, and it stays valid until the global domain frees it.
    unsafe { Domain::global().retire_ptr::<Block, Box<Block>>(block.as_ptr()) };
}
// ANCHOR_END: retire
