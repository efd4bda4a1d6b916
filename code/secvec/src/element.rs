//! Which types a [`SecVec`](crate::SecVec) can hold, and how they become the
//! bits of a slot.

use bytemuck::NoUninit;

/// A type that can live in a [`SecVec`](crate::SecVec): plain data of at most
/// eight bytes.
///
/// An element lives in the 64-bit half of a slot that threads read and
/// replace atomically (the other half is a version), so it is copied in and
/// out as raw bits. That is only
/// sound for types that are
///
/// - `Copy` and `'static`: copying the bits is the whole story, no destructor
///   or borrow is involved;
/// - free of padding and uninitialised bytes ([`bytemuck::NoUninit`]): every
///   byte copied into the slot is a real byte of the value;
/// - at most eight bytes: checked when the vector is built, at compile time.
///
/// `Element` is implemented for every type that meets these rules; you never
/// implement it yourself. For your own structs, derive `bytemuck::NoUninit`.
///
/// ```
/// use secvec::SecVec;
///
/// let flags: SecVec<bool> = SecVec::new();
/// let points: SecVec<[f32; 2]> = SecVec::new(); // exactly eight bytes
/// let letters: SecVec<char> = SecVec::new();
/// # let _ = (flags, points, letters);
/// ```
///
/// A sixteen-byte array does not fit in a slot, so this fails to build
/// (the size is checked when the constructor is instantiated, so `cargo
/// build` reports it; `cargo check` does not get that far):
///
/// ```compile_fail,E0080
/// let v: secvec::SecVec<[u8; 16]> = secvec::SecVec::new();
/// ```
///
/// A struct with padding bytes (three after `a`) is rejected: it has no
/// `NoUninit` implementation, and bytemuck's derive refuses to give it one,
/// since its padding is uninitialised memory:
///
/// ```compile_fail,E0277
/// #[derive(Clone, Copy)]
/// #[repr(C)]
/// struct Padded { a: u8, b: u32 }
/// let v: secvec::SecVec<Padded> = secvec::SecVec::new();
/// ```
///
/// So is a reference: a pointer turned into plain bits and back loses its
/// provenance (what memory it may access), so bytemuck does not count
/// references or raw pointers as plain data:
///
/// ```compile_fail,E0277
/// let v: secvec::SecVec<&u8> = secvec::SecVec::new();
/// ```
// ANCHOR: element
pub trait Element: NoUninit {
    /// Evaluated by every constructor; fails the build for types over eight bytes.
    #[doc(hidden)]
    const FITS_IN_A_SLOT: () = assert!(
        size_of::<Self>() <= size_of::<u64>(),
        "a SecVec element must be at most 8 bytes"
    );
}

impl<T: NoUninit> Element for T {}
// ANCHOR_END: element

// ANCHOR: to_bits
/// Copies `value`'s bytes into the low-addressed bytes of a `u64`.
///
/// The remaining bytes are zero. No `unsafe` is needed: `NoUninit` lets
/// bytemuck view the value as initialised bytes.
pub(crate) fn to_bits<T: Element>(value: T) -> u64 {
    let () = T::FITS_IN_A_SLOT;
    let mut bits = 0u64;
    let bytes = bytemuck::bytes_of(&value);
    bytemuck::bytes_of_mut(&mut bits)[..bytes.len()].copy_from_slice(bytes);
    bits
}
// ANCHOR_END: to_bits

// ANCHOR: from_bits
/// Turns bits made by [`to_bits`] back into the value.
///
/// # Safety
///
/// `bits` must have been returned by `to_bits::<T>` for this same `T`. Not
/// every bit pattern is a valid `T` (think of `bool` or `NonZeroU32`), so bits
/// from anywhere else, such as a slot that was never written, are forbidden.
pub(crate) unsafe fn from_bits<T: Element>(bits: u64) -> T {
    let () = T::FITS_IN_A_SLOT;
    let bytes = bytemuck::bytes_of(&bits);
    // SAFETY: `size_of::<T>() <= 8` (checked above at compile time), so the
    // read stays inside `bits`; `read_unaligned` needs no alignment. The
    // first `size_of::<T>()` bytes are exactly the bytes `to_bits` copied out
    // of a valid `T` (the caller's promise), so they form a valid `T`, and
    // `T: Copy` means duplicating it is fine.
    unsafe { bytes.as_ptr().cast::<T>().read_unaligned() }
}
// ANCHOR_END: from_bits

#[cfg(test)]
mod tests {
    use super::*;
    use std::num::NonZeroU32;

    fn round_trip<T: Element + PartialEq + std::fmt::Debug>(value: T) {
        let bits = to_bits(value);
        // SAFETY: `bits` was just made by `to_bits::<T>`.
        assert_eq!(unsafe { from_bits::<T>(bits) }, value);
    }

    #[test]
    fn values_survive_the_trip_through_a_slot() {
        round_trip(0xdead_beef_u32);
        round_trip(-7_i8);
        round_trip(u64::MAX);
        round_trip(true);
        round_trip('λ');
        round_trip(1.5_f64);
        round_trip([1_u16, 2, 3]);
        round_trip(NonZeroU32::new(9).unwrap());
    }

    #[test]
    fn small_values_leave_the_other_bytes_zero() {
        let bits = to_bits(0xab_u8);
        assert_eq!(bits.to_ne_bytes()[0], 0xab);
        assert!(bits.to_ne_bytes()[1..].iter().all(|&b| b == 0));
    }
}
