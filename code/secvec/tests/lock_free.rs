//! `SecVec` is lock-free only where portable-atomic's `AtomicU128` is: where
//! the processor has a 128-bit compare-and-swap. Elsewhere portable-atomic
//! falls back to a table of locks, which keeps the vector correct but lets a
//! preempted thread hold up the others (see "Where it is lock-free" in the
//! crate documentation).
//!
//! This asserts the lock-free case on the two architectures CI runs on,
//! x86-64 and AArch64, so that a dependency change or a build setting that
//! quietly selects the fallback fails a test instead of a promise.

#[test]
fn is_lock_free_reports_portable_atomics_answer() {
    assert_eq!(
        secvec::is_lock_free(),
        portable_atomic::AtomicU128::is_lock_free()
    );
}

#[test]
#[cfg(any(target_arch = "x86_64", target_arch = "aarch64"))]
#[cfg_attr(
    miri,
    ignore = "under Miri portable-atomic takes its lock-based fallback unless built with cmpxchg16b"
)]
fn lock_free_on_x86_64_and_aarch64() {
    assert!(
        secvec::is_lock_free(),
        "portable_atomic::AtomicU128 is not lock-free here: on x86-64 this \
         processor has no cmpxchg16b, or portable-atomic's run-time detection \
         was disabled (cfg portable_atomic_no_outline_atomics)"
    );
}
