//! Which types a [`SecVec`](crate::SecVec) can hold, and how they become the
//! bits of a slot.

use bytemuck::NoUninit;

// ANCHOR: element
/// A type that can live in a slot: plain data (`Copy`, `'static`, no
/// padding or uninitialised bytes, which is what [`bytemuck::NoUninit`]
/// promises) of at most eight bytes. Implemented for every such type.
pub trait Element: NoUninit {
    /// Evaluated by the constructor; fails the build for types over eight
    /// bytes.
    #[doc(hidden)]
    const FITS_IN_A_SLOT: () = assert!(
        size_of::<Self>() <= size_of::<u64>(),
        "an element must be at most 8 bytes"
    );
}

impl<T: NoUninit> Element for T {}
// ANCHOR_END: element

// ANCHOR: bits
// ANCHOR: to_bits
/// Copies `value`'s bytes into the low-addressed bytes of a `u64`; the
/// other bytes are zero.
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
/// `bits` came from `to_bits::<T>` for this same `T`: not every bit pattern
/// is a valid `T` (think of `bool`), so bits from anywhere else are
/// forbidden.
pub(crate) unsafe fn from_bits<T: Element>(bits: u64) -> T {
    let () = T::FITS_IN_A_SLOT;
    // SAFETY: `T` is at most eight bytes (checked above), so the read stays
    // inside `bits`, and `read_unaligned` needs no alignment. Those bytes are
    // the ones `to_bits` copied out of a valid `T` (the caller's promise),
    // and `T: Copy`, so making another copy is fine.
    unsafe { (&bits as *const u64).cast::<T>().read_unaligned() }
}
// ANCHOR_END: from_bits
// ANCHOR_END: bits

#[cfg(test)]
mod tests {
    use super::*;

    fn round_trip<T: Element + PartialEq + std::fmt::Debug>(value: T) {
        // SAFETY: the bits were just made by `to_bits::<T>`.
        assert_eq!(unsafe { from_bits::<T>(to_bits(value)) }, value);
    }

    #[test]
    fn values_survive_the_trip_through_a_slot() {
        round_trip(u64::MAX);
        round_trip(-7_i8);
        round_trip(true);
        round_trip('λ');
        round_trip([1_u8, 2, 3]);
    }
}
