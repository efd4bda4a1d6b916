//! Stage 3 of the book: stage 2 plus versioned slots. The first stage that
//! is correct.
//!
//! In stage 2, a helper that stalled before its compare-and-swap could wake
//! up after the slot had gone from `old` to `new` and back to `old`, and its
//! stale swap then succeeded: the ABA problem. Here every slot holds its
//! element's bits *and* a version that grows with every write, swapped
//! together as one 128-bit word, so the word a stale swap expects never
//! comes back.
//!
//! - [`buckets`]: the two-level array, now of 128-bit slots.
//! - `slot`: a slot's bits and version, and the one atomic word they share.
//! - `element`: which types fit in a slot, as in stage 1.
//! - `descriptor`: descriptors and their pending writes, now of slot words.
//! - `sync`: where the atomics and hazard pointers come from, now with a
//!   128-bit atomic for loom too.
//! - `vec`: [`SecVec`], as in stage 2 but for the versions.
//!
//! ```
//! let v = stage3::SecVec::new();
//! v.push(1_u32);
//! v.push(2);
//! assert_eq!(v.set(0, 7), Some(1));
//! assert_eq!(v.pop(), Some(2));
//! assert_eq!(v.get(0), Some(7));
//! ```

pub mod buckets;
mod descriptor;
mod element;
mod slot;
mod sync;
mod vec;

pub use element::Element;
pub use vec::SecVec;
