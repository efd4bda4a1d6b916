//! The one place that decides whose atomics the crate uses.
//!
//! Under `cfg(loom)` every atomic, every retry pause and the 128-bit slot
//! word come from [loom], which then explores the interleavings of a test
//! model. In a normal build they are the standard library's atomics and a
//! thin wrapper around [`portable_atomic::AtomicU128`] whose load can be
//! inlined (see [`AtomicU128`]). The rest of the crate imports its atomics
//! from here and never names `std::sync::atomic` or loom's atomics itself,
//! so the code that is model-checked is the code that ships. (The one other
//! thing loom must replace, a thread-local, is chosen in `reclaim.rs`.)
//!
//! [loom]: https://docs.rs/loom

// ANCHOR: shim
#[cfg(loom)]
pub(crate) use loom::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicUsize};
#[cfg(not(loom))]
pub(crate) use std::sync::atomic::{fence, AtomicPtr, AtomicU64, AtomicUsize};

pub(crate) use std::sync::atomic::Ordering;
// ANCHOR_END: shim

use std::cell::Cell;

// ANCHOR: backoff
/// The most `pause` instructions one wait spins for: 2^10. crossbeam's
/// `Backoff` stops doubling at 2^6, which on two cores let the two writers
/// collide over and over (see the book's chapter "Backing off longer").
/// Under loom, which never spins, it is unused.
#[cfg_attr(loom, allow(dead_code))]
pub(crate) const SPIN_LIMIT: u32 = 10;

/// Exponential backoff for one operation's retry loop.
#[derive(Debug, Default)]
pub(crate) struct Backoff {
    /// How many times this operation has lost so far.
    step: Cell<u32>,
}

impl Backoff {
    /// A backoff for a fresh operation: its first wait is one `pause`.
    pub(crate) fn new() -> Self {
        Self::default()
    }

    /// How many times this operation has paused so far: once after each
    /// lost attempt.
    pub(crate) fn pauses(&self) -> u32 {
        self.step.get()
    }

    /// How many `pause` instructions the next wait spins for.
    #[cfg_attr(loom, allow(dead_code))]
    fn spins(&self) -> u32 {
        1 << self.step.get().min(SPIN_LIMIT)
    }
}

/// Pauses a retry loop after a lost compare-and-swap.
///
/// Outside loom this spins for twice as long as the last time, up to
/// 2^[`SPIN_LIMIT`] `pause` instructions. Under loom it yields, so that the
/// model checker schedules the thread that won instead of exploring a
/// spinning thread forever.
pub(crate) fn pause(backoff: &Backoff) {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    for _ in 0..backoff.spins() {
        std::hint::spin_loop();
    }
    backoff.step.set(backoff.step.get().saturating_add(1));
}
// ANCHOR_END: backoff

/// One step of a bounded wait for another thread: a `pause`, or under loom
/// a yield, for the reason [`pause`] gives.
pub(crate) fn spin() {
    #[cfg(loom)]
    loom::thread::yield_now();
    #[cfg(not(loom))]
    std::hint::spin_loop();
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

// ANCHOR: native_u128
/// The crate's 128-bit atomic outside loom: [`portable_atomic::AtomicU128`]
/// with a load the compiler can inline.
///
/// On x86-64, portable-atomic picks its 16-byte load at run time (unless the
/// build assumes AVX) and calls it through a function pointer, which puts a
/// call in the middle of every `get`. On a processor with AVX an aligned
/// 16-byte `movdqa` is a single atomic load, so where that holds this type
/// issues it inline; everywhere else, and under Miri and the sanitizers,
/// which cannot follow inline assembly, it defers to portable-atomic.
#[cfg(not(loom))]
#[derive(Debug)]
#[repr(transparent)]
pub(crate) struct AtomicU128(portable_atomic::AtomicU128);

#[cfg(not(loom))]
impl AtomicU128 {
    pub(crate) const fn new(value: u128) -> Self {
        Self(portable_atomic::AtomicU128::new(value))
    }

    /// Reads the word in one atomic step, with `Acquire` ordering or
    /// stronger (an `order` of `Relaxed`, `Acquire` or `SeqCst`).
    #[inline]
    pub(crate) fn load(&self, order: Ordering) -> u128 {
        #[cfg(all(target_arch = "x86_64", not(miri), not(secvec_no_asm)))]
        if wide_load::is_atomic() {
            // SAFETY: `is_atomic` found AVX, so this aligned 16-byte read is
            // one atomic access, and found portable-atomic lock-free, so
            // every write to the word is a `lock cmpxchg16b` too, never a
            // lock-protected copy. The word is 16-byte aligned and alive for
            // `&self`.
            return unsafe { wide_load::load(self.0.as_ptr()) };
        }
        self.0.load(order)
    }

    #[inline]
    pub(crate) fn compare_exchange(
        &self,
        current: u128,
        new: u128,
        success: Ordering,
        failure: Ordering,
    ) -> Result<u128, u128> {
        self.0.compare_exchange(current, new, success, failure)
    }
}
// ANCHOR_END: native_u128

// ANCHOR: wide_load
/// An inline 16-byte atomic load for x86-64 processors with AVX.
#[cfg(all(target_arch = "x86_64", not(loom), not(miri), not(secvec_no_asm)))]
mod wide_load {
    use core::arch::{asm, x86_64::__m128i};
    use std::sync::atomic::{AtomicU8, Ordering};

    const UNKNOWN: u8 = 0;
    const ATOMIC: u8 = 1;
    const NOT_ATOMIC: u8 = 2;

    /// What [`detect`] found, once it has run.
    static VERDICT: AtomicU8 = AtomicU8::new(UNKNOWN);

    /// Whether [`load`] is atomic on this processor.
    #[inline]
    pub(super) fn is_atomic() -> bool {
        // Relaxed: the verdict is a fact about the processor, the same
        // whichever thread stored it and whenever; nothing else rides on it.
        match VERDICT.load(Ordering::Relaxed) {
            ATOMIC => true,
            NOT_ATOMIC => false,
            _ => detect(),
        }
    }

    /// Asks the processor and portable-atomic, once. Intel and AMD guarantee
    /// that an aligned 16-byte `movdqa` is atomic on every processor that has
    /// AVX. But the load is only sound if every write to the word is atomic
    /// too: portable-atomic writes with `lock cmpxchg16b` exactly when its
    /// `is_lock_free` says so. Built with `--cfg
    /// portable_atomic_no_outline_atomics`, or for SGX, it writes under a
    /// lock instead, even on a processor with the instruction, and a
    /// `movdqa` could then read half of a write.
    #[cold]
    #[inline(never)]
    fn detect() -> bool {
        let atomic = std::is_x86_feature_detected!("avx")
            && std::is_x86_feature_detected!("cmpxchg16b")
            && portable_atomic::AtomicU128::is_lock_free();
        let verdict = if atomic { ATOMIC } else { NOT_ATOMIC };
        // Relaxed: as in `is_atomic`; a race only stores the same answer twice.
        VERDICT.store(verdict, Ordering::Relaxed);
        atomic
    }

    /// Reads the 16 bytes at `src` with one `movdqa`.
    ///
    /// # Safety
    ///
    /// [`is_atomic`] returned true, `src` is 16-byte aligned and valid for
    /// reads, and every concurrent write to it is an atomic 16-byte write.
    #[inline]
    pub(super) unsafe fn load(src: *const u128) -> u128 {
        let word: __m128i;
        // SAFETY: by the caller's promise the read is in bounds, aligned and
        // atomic. It acts like an atomic load, which Rust's memory model
        // allows here. On x86-64 every load already has Acquire semantics
        // for the processor (loads are not reordered with later loads or
        // stores). For the compiler, the block is not marked `readonly`: it
        // must then assume the block may write memory too, and moves no
        // memory access across it, so no later read is hoisted above the
        // load. `movdqa` is SSE2, part of every x86-64.
        unsafe {
            asm!(
                "movdqa {word}, xmmword ptr [{src}]",
                src = in(reg) src,
                word = out(xmm_reg) word,
                options(nostack, preserves_flags),
            );
        }
        // SAFETY: both types are 16 bytes of plain data.
        unsafe { core::mem::transmute::<__m128i, u128>(word) }
    }
}
// ANCHOR_END: wide_load

#[cfg(all(test, not(loom)))]
mod tests {
    use super::{pause, AtomicU128, Backoff, Ordering, SPIN_LIMIT};

    #[test]
    fn each_wait_doubles_until_the_limit() {
        let backoff = Backoff::new();
        let mut waits = Vec::new();
        for _ in 0..SPIN_LIMIT + 3 {
            waits.push(backoff.spins());
            pause(&backoff);
        }
        let expected = [1, 2, 4, 8, 16, 32, 64, 128, 256, 512, 1024, 1024, 1024];
        assert_eq!(waits, expected);
    }

    #[test]
    fn loads_see_what_was_stored() {
        let word = AtomicU128::new(0);
        let mut current = 0;
        for value in [
            1,
            u128::from(u64::MAX),
            u128::MAX,
            0x0123_4567_89ab_cdef << 60,
        ] {
            assert_eq!(
                word.compare_exchange(current, value, Ordering::AcqRel, Ordering::Acquire),
                Ok(current)
            );
            assert_eq!(word.load(Ordering::Acquire), value);
            current = value;
        }
    }

    /// Words whose halves are equal, swapped in while another thread loads:
    /// a load that tore the word in two would find halves that differ.
    #[test]
    fn loads_never_tear() {
        // Miri interprets every step, and takes portable-atomic's load anyway.
        let rounds: u64 = if cfg!(miri) { 100 } else { 100_000 };
        let word = AtomicU128::new(0);
        let twin = |n: u64| (u128::from(n) << 64) | u128::from(n);
        // Raised when the writer ends, or fails: the reader then stops
        // instead of waiting forever for a word that will not come.
        let writer_gone = std::sync::atomic::AtomicBool::new(false);
        struct Gone<'a>(&'a std::sync::atomic::AtomicBool);
        impl Drop for Gone<'_> {
            fn drop(&mut self) {
                // Relaxed: the flag only ends the reader's loop.
                self.0.store(true, Ordering::Relaxed);
            }
        }
        std::thread::scope(|s| {
            s.spawn(|| {
                let _gone = Gone(&writer_gone);
                for n in 1..=rounds {
                    let swapped = word.compare_exchange(
                        twin(n - 1),
                        twin(n),
                        Ordering::AcqRel,
                        Ordering::Acquire,
                    );
                    assert!(swapped.is_ok());
                }
            });
            let mut last = 0;
            // Relaxed: as for the store.
            while last < rounds && !writer_gone.load(Ordering::Relaxed) {
                let loaded = word.load(Ordering::Acquire);
                let (high, low) = ((loaded >> 64) as u64, loaded as u64);
                assert_eq!(high, low, "a torn load: {loaded:#x}");
                assert!(low >= last, "went back from {last} to {low}");
                last = low;
            }
        });
    }

    /// The inline load is atomic on a processor with AVX, and sound only
    /// where portable-atomic writes with `lock cmpxchg16b`, which its
    /// `is_lock_free` tells. Built with `--cfg
    /// portable_atomic_no_outline_atomics` it writes under a lock even on a
    /// processor that has the instruction; there this test fails if the
    /// inline load stays on, and so does `loads_never_tear`, with a torn
    /// load.
    #[cfg(all(target_arch = "x86_64", not(miri), not(secvec_no_asm)))]
    #[test]
    fn the_inline_load_is_used_exactly_where_it_is_atomic() {
        let expected = std::is_x86_feature_detected!("avx")
            && std::is_x86_feature_detected!("cmpxchg16b")
            && portable_atomic::AtomicU128::is_lock_free();
        assert_eq!(super::wide_load::is_atomic(), expected);
        // The second answer comes from the cached verdict.
        assert_eq!(super::wide_load::is_atomic(), expected);
    }
}
