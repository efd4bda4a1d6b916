//! Chapter 5, "Elements as atomic words": every kind of element the chapter
//! talks about goes into stage 1's `SecVec` and comes back out unchanged.
//!
//! For each type the example prints its size, the bytes of its first value
//! (exactly the bytes the vector copies into the low-addressed end of a
//! slot's 64-bit word) and the values it pushed. It asserts that `get`,
//! `set` and `pop` give every value back equal to what went in.
//!
//! Run it with `cargo run -p stage1 --release --example elements`.

use std::fmt::Debug;
use std::mem::size_of;
use std::num::NonZeroU32;

use stage1::{Element, SecVec};

/// A colour with four 16-bit channels: eight bytes, no padding.
#[derive(Clone, Copy, Debug, PartialEq)]
#[repr(C)]
struct Rgba16 {
    r: u16,
    g: u16,
    b: u16,
    a: u16,
}

// SAFETY: `NoUninit` asks for an inhabited, `Copy + 'static` type whose every
// byte is initialised, with no pointers and no interior mutability. `Rgba16`
// is `#[repr(C)]`, so its layout is its fields in order; all four are `u16`
// (itself `NoUninit`) with the same alignment, so no padding goes between or
// after them (the assertion below checks that the size is exactly four
// `u16`s). It holds no pointer, `Cell` or atomic, and derives `Copy`.
unsafe impl bytemuck::NoUninit for Rgba16 {}

const _: () = assert!(size_of::<Rgba16>() == 4 * size_of::<u16>());

/// Pushes `values` into a fresh vector, reads them back with `get`, swaps the
/// first for the last with `set`, pops everything, and prints one table row.
fn round_trip<T: Element + PartialEq + Debug>(name: &str, values: &[T]) {
    let v = SecVec::new();
    for &value in values {
        v.push(value);
    }
    for (i, &value) in values.iter().enumerate() {
        assert_eq!(v.get(i), Some(value), "{name}: get({i})");
    }

    let last = *values.last().expect("at least one value");
    assert_eq!(
        v.set(0, last),
        Some(values[0]),
        "{name}: set returns the old value"
    );
    assert_eq!(v.get(0), Some(last), "{name}: set is visible to get");

    let mut popped = Vec::new();
    while let Some(value) = v.pop() {
        popped.push(value);
    }
    popped.reverse();
    let mut expected = values.to_vec();
    expected[0] = last;
    assert_eq!(popped, expected, "{name}: pop returns what was stored");

    let bytes: Vec<String> = bytemuck::bytes_of(&values[0])
        .iter()
        .map(|byte| format!("{byte:02x}"))
        .collect();
    println!(
        "{name:<11} {:>4}  {:<23}  {values:?}",
        size_of::<T>(),
        bytes.join(" "),
    );
}

fn main() {
    println!(
        "{:<11} {:>4}  {:<23}  values pushed",
        "type", "size", "bytes of the first value"
    );
    round_trip("u8", &[0_u8, 7, 255]);
    round_trip("bool", &[true, false, true]);
    round_trip("char", &['λ', 'a', '🦀']);
    round_trip("f64", &[1.5_f64, -0.0, 1e300]);
    round_trip("[u16; 4]", &[[1_u16, 2, 3, 4], [0; 4], [9; 4]]);
    let nonzero = |n| NonZeroU32::new(n).expect("not zero");
    round_trip("NonZeroU32", &[nonzero(9), nonzero(1), nonzero(u32::MAX)]);
    round_trip(
        "Rgba16",
        &[
            Rgba16 {
                r: 0x1234,
                g: 0,
                b: 0xffff,
                a: 1,
            },
            Rgba16 {
                r: 1,
                g: 2,
                b: 3,
                a: 4,
            },
        ],
    );
    println!("every value came back unchanged");
}
