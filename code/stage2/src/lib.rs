//! Stage 2 of the book: stage 1 plus memory reclamation with hazard
//! pointers.
//!
//! Stage 1 leaked every descriptor it replaced, because another thread might
//! still be reading it. Here a thread *protects* a descriptor with a hazard
//! pointer before reading it, and the thread whose swap replaces a
//! descriptor *retires* it to [haphazard]'s domain, which frees it once no
//! hazard pointer names it.
//!
//! - [`buckets`]: the two-level array, as in stage 1.
//! - `element`: which types fit in a slot, as in stage 1.
//! - `descriptor`: descriptors and their pending writes, as in stage 1.
//! - `sync`: where the atomics and hazard pointers come from, so that the
//!   same code runs under the `loom` model checker.
//! - `vec`: [`SecVec`]; every operation now reads the descriptor through a
//!   hazard pointer.
//!
//! This stage is still *not* correct: a helper that stalls can write a stale
//! value into a slot (the ABA problem; stage 3 fixes it). Use the `secvec`
//! crate in real code.
//!
//! ```
//! let v = stage2::SecVec::new();
//! v.push(1_u32);
//! v.push(2);
//! assert_eq!(v.set(0, 7), Some(1));
//! assert_eq!(v.pop(), Some(2));
//! assert_eq!(v.get(0), Some(7));
//! ```
//!
//! [haphazard]: https://docs.rs/haphazard

pub mod buckets;
mod descriptor;
mod element;
mod sync;
mod vec;

pub use element::Element;
pub use vec::SecVec;
