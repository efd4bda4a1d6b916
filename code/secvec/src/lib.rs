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
//!   names a write descriptor, always for the last index. Every operation
//!   that changes the vector, and a `get` of the last index that finds a
//!   write owed, first completes that write.
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
//! `len` is wait-free: one atomic load of the descriptor. `get` below the
//! floor is wait-free too: three loads (the floor, the bucket pointer and the
//! slot). Otherwise it loads the descriptor, and if that owes a write to this
//! very index, it helps to finish the write first (lock-free).

#![deny(unsafe_op_in_unsafe_fn, missing_docs)]
#![warn(clippy::undocumented_unsafe_blocks)]

mod block;
pub mod buckets;
mod descriptor;
mod element;
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
