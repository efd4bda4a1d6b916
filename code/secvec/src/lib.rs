//! A lock-free, dynamically resizable array.
//!
//! `secvec` implements the vector of Damian Dechev, Peter Pirkelbauer and
//! Bjarne Stroustrup, "Lock-free Dynamically Resizable Arrays" (OPODIS 2006),
//! and is the crate built step by step in the book that comes with it. Any
//! number of threads can [`push`](SecVec::push), [`pop`](SecVec::pop),
//! [`get`](SecVec::get) and [`set`](SecVec::set) through a shared reference;
//! no operation ever takes a lock, and none moves an element once written.
//!
//! ```
//! use secvec::SecVec;
//! use std::thread;
//!
//! let v = SecVec::new();
//! thread::scope(|s| {
//!     s.spawn(|| v.push(1_u32));
//!     s.spawn(|| v.push(2_u32));
//! });
//! let mut both = [v.pop().unwrap(), v.pop().unwrap()];
//! both.sort();
//! assert_eq!(both, [1, 2]);
//! assert_eq!(v.pop(), None);
//! ```
//!
//! # How it works, in one paragraph per file
//!
//! - [`buckets`]: elements live in a two-level array, 60 pointers to
//!   buckets of 8, 16, 32, … slots, allocated the first time they are needed.
//!   Elements never move.
//! - `slot`: a slot holds an element's bits and a version number, updated
//!   together by one 128-bit compare-and-swap, so a stale write can never
//!   land (the ABA problem). A pop *seals* the slot it removes before it
//!   swaps the descriptor, which lets `set` swap slots directly.
//! - `descriptor`: the size and at most one pending slot write are described
//!   by a descriptor, a 128-bit value swapped in with one compare-and-swap.
//!   An idle descriptor carries a stamp that never repeats; a pending one
//!   names a write descriptor, always for the last index, and stays until
//!   the next operation replaces it. Every operation that changes the
//!   vector, and a `get` of the last index that finds a write owed, first
//!   completes that write, unless its own thread made it.
//! - `block`: write descriptors are carved out of per-thread blocks of 64,
//!   and a block is retired once all of its write descriptors are done with.
//! - `reclaim`: blocks are retired to `haphazard`'s hazard pointer domain and
//!   freed once no reader guards them.
//! - `floor`: a length the vector is known not to be below, kept on a
//!   quiet cache line of its own. A `get` below it reads the slot without
//!   touching the descriptor. Pops lower it before shrinking the vector past
//!   it; pushes raise it, rarely, as part of their pending write.
//! - [`Element`]: elements are `Copy` plain data of at most eight bytes,
//!   checked at compile time.
//! - `exchange`: with [`SecVec::with_elimination`], a push or a pop that
//!   keeps losing waits in one side word, and a pop or push that comes by
//!   meets it there: the two cancel out, the pop taking the push's value;
//!   off by default.
//! - `sync`: one shim swaps every atomic for `loom`'s under `cfg(loom)`, so
//!   the shipped code is the model-checked code.
//!
//! # Progress and ordering
//!
//! `push`, `pop`, `set`, `get` and `len` are linearizable: each appears to
//! take effect at one instant between its call and its return. `push`, `pop`
//! and `set` are lock-free: a thread goes round its loop again only when
//! another thread's operation changed the descriptor or the slot it was about
//! to swap, or, once per fall of the floor, after a pop lowered the floor.
//! Before it goes round again, it spins, twice as long as the last time, up
//! to 1,024 `pause` instructions: under contention one thread then runs
//! several operations in a row while the others wait, which buys throughput
//! with fairness (the book's chapter "Backing off longer" measures both).
//! With elimination on, a push or pop that has lost twice first waits up to
//! 256 `pause`s in the exchanger for a partner; nobody waits for it, so the
//! operations stay lock-free.
//! `len` is wait-free: one atomic load of the descriptor. `get` below the
//! floor is wait-free too: three loads (the floor, the bucket pointer and the
//! slot). Otherwise it loads the descriptor, and if that owes a write to this
//! very index, it helps to finish the write first (lock-free).
//!
//! # Where it is lock-free
//!
//! The descriptor and every slot are 128-bit words, changed with one 128-bit
//! compare-and-swap, which the crate takes from [`portable_atomic`]. Whether
//! that is a single processor instruction depends on the target:
//!
//! - x86-64: `cmpxchg16b`, which all but the earliest x86-64 processors have.
//!   Most targets (Linux among them) do not assume it at compile time, so
//!   portable-atomic checks the processor once at run time and then calls the
//!   instruction through a function pointer; building with
//!   `-C target-feature=+cmpxchg16b` (or a `-C target-cpu` that has it)
//!   inlines it instead. Apple, Windows and Fuchsia targets assume it. A
//!   128-bit *load* is a single inline `movdqa` on every processor with AVX,
//!   which the crate checks once, at its first load.
//! - AArch64 (and Arm64EC): always (`ldxp`/`stxp`, or `casp` where the
//!   processor has LSE, chosen at run time).
//! - s390x: always (`cdsg`).
//! - riscv64 with the Zacas extension, and powerpc64 with quadword atomics
//!   (the default on powerpc64le; only with Rust 1.95 or later): known at
//!   compile time, or detected at run time on Linux and a few other systems.
//!
//! Everywhere else (32-bit targets such as x86 or Arm, and an x86-64
//! processor without `cmpxchg16b`) portable-atomic emulates each 128-bit
//! atomic with a sequence lock taken from a small global table.
//! Every operation still works and is still linearizable, but it is no longer
//! lock-free: a thread preempted while it holds one of those locks makes the
//! others wait. Targets whose standard library has no 64-bit atomics (such as
//! 32-bit MIPS or PowerPC) cannot build the crate at all. [`is_lock_free`]
//! says which case the running program is in.

#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod block;
pub mod buckets;
mod descriptor;
mod element;
mod exchange;
mod floor;
mod impls;
mod iter;
mod reclaim;
mod slot;
mod sync;
mod vec;

pub use element::Element;
pub use iter::Iter;
pub use vec::SecVec;

#[cfg(loom)]
#[doc(hidden)]
pub use reclaim::release_thread;

/// Whether [`SecVec`]'s operations are lock-free in this process: `true`
/// where the processor has a 128-bit compare-and-swap, `false` where
/// portable-atomic falls back to locks (see
/// [Where it is lock-free](crate#where-it-is-lock-free)).
///
/// On x86-64 the answer comes from the processor, checked once at run time
/// unless the build assumes `cmpxchg16b`; it is the same for the whole run.
///
/// ```
/// if !secvec::is_lock_free() {
///     eprintln!("note: SecVec falls back to locks on this machine");
/// }
/// # // Under Miri, portable-atomic takes its lock-based fallback unless
/// # // the build enables cmpxchg16b (x86-64 only).
/// # #[cfg(all(any(target_arch = "x86_64", target_arch = "aarch64"), not(miri)))]
/// # assert!(secvec::is_lock_free());
/// ```
pub fn is_lock_free() -> bool {
    portable_atomic::AtomicU128::is_lock_free()
}
