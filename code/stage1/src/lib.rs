//! Stage 1 of the book: the lock-free vector of Damian Dechev, Peter
//! Pirkelbauer and Bjarne Stroustrup (OPODIS 2006), as the paper publishes it.
//!
//! - [`buckets`]: a two-level array of `AtomicU64` slots, allocated lazily.
//! - `element`: which types fit in a slot, and how they become its bits.
//! - `descriptor`: the size and at most one pending slot write, in a heap
//!   object that one `AtomicPtr` names; any thread completes a pending write.
//! - `vec`: [`SecVec`] and its operations.
//!
//! This stage is *not* finished. It never frees a descriptor it replaces
//! (the book's reclamation chapter fixes that in stage 2), and a helper that
//! stalls can write a stale value into a slot (the ABA chapter fixes that in
//! stage 3). Use the `secvec` crate in real code.
//!
//! ```
//! let v = stage1::SecVec::new();
//! v.push(1_u32);
//! v.push(2);
//! assert_eq!(v.get(1), Some(2));
//! assert_eq!(v.pop(), Some(2));
//! assert_eq!(v.len(), 1);
//! ```

pub mod buckets;
mod descriptor;
mod element;
mod vec;

pub use element::Element;
pub use vec::SecVec;
