//! One thread: a vector must behave exactly like `Vec`.
//!
//! proptest generates random sequences of operations, applies each to the
//! vector under test and to a `Vec` (the *model*), and compares every
//! result. When a sequence disagrees, proptest shrinks it to a short one
//! that still does and prints it.

use std::fmt::Debug;

use proptest::prelude::*;
use proptest::test_runner::{Config, TestRunner};

use crate::Vector;

// ANCHOR: op
/// One step of a test: an operation, with its arguments.
#[derive(Clone, Debug)]
pub enum Op<T> {
    /// `push(value)`
    Push(T),
    /// `pop()`
    Pop,
    /// `get(index)`
    Get(usize),
    /// `set(index, value)`
    Set(usize, T),
    /// `len()`
    Len,
    /// `reserve(additional)`
    Reserve(usize),
}
// ANCHOR_END: op

/// Indices mostly near the length (which stays below about 100), sometimes
/// far beyond it, up to `usize::MAX`.
fn index() -> impl Strategy<Value = usize> {
    prop_oneof![
        10 => 0..64_usize,
        1 => Just(usize::MAX),
        1 => any::<usize>(),
    ]
}

/// Operations weighted so that the vector tends to grow across several
/// buckets while every operation still occurs often.
fn ops<T: Arbitrary + Clone + Debug>() -> impl Strategy<Value = Vec<Op<T>>> {
    let op = prop_oneof![
        6 => any::<T>().prop_map(Op::Push),
        3 => Just(Op::Pop),
        3 => index().prop_map(Op::Get),
        3 => (index(), any::<T>()).prop_map(|(i, v)| Op::Set(i, v)),
        1 => Just(Op::Len),
        1 => (0..40_usize).prop_map(Op::Reserve),
    ];
    proptest::collection::vec(op, 0..200)
}

/// Capacities a vector can have: the first `k` buckets,
/// `8 + 16 + ... + (8 << (k - 1)) = 8 × (2^k - 1)` slots.
pub fn is_bucket_prefix(capacity: usize) -> bool {
    capacity % 8 == 0 && (capacity / 8 + 1).is_power_of_two()
}

// ANCHOR: check
/// Applies `ops` to a `V` and to a `Vec`, comparing every result.
pub fn check_against_vec<V, T>(ops: &[Op<T>]) -> Result<(), TestCaseError>
where
    V: Vector<T>,
    T: Copy + PartialEq + Debug,
{
    let vector = V::new();
    let mut model = Vec::new();
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Push(value) => {
                vector.push(value);
                model.push(value);
            }
            Op::Pop => prop_assert_eq!(vector.pop(), model.pop(), "step {}", step),
            Op::Get(i) => prop_assert_eq!(vector.get(i), model.get(i).copied(), "step {}", step),
            Op::Set(i, value) => {
                // Out of range: `None`, and nothing written anywhere.
                let old = model.get_mut(i).map(|slot| std::mem::replace(slot, value));
                prop_assert_eq!(vector.set(i, value), old, "step {}", step);
            }
            Op::Len => {
                prop_assert_eq!(vector.len(), model.len(), "step {}", step);
                prop_assert_eq!(vector.is_empty(), model.is_empty(), "step {}", step);
            }
            Op::Reserve(n) => {
                vector.reserve(n);
                prop_assert!(vector.capacity() >= model.len() + n, "step {}", step);
            }
        }
        // After every step: the capacity covers the length, and is a whole
        // number of buckets.
        let capacity = vector.capacity();
        prop_assert!(capacity >= model.len(), "step {}", step);
        prop_assert!(is_bucket_prefix(capacity), "capacity {}", capacity);
    }
    let contents: Vec<T> = (0..model.len()).map(|i| vector.get(i).unwrap()).collect();
    prop_assert_eq!(contents, model);
    Ok(())
}
// ANCHOR_END: check

/// Runs [`check_against_vec`] on 256 random sequences of fewer than 200
/// operations (`PROPTEST_CASES` changes the count).
///
/// # Panics
///
/// With the shrunk failing sequence, if one disagrees with `Vec`.
pub fn behaves_like_vec<V, T>()
where
    V: Vector<T>,
    T: Arbitrary + Copy + PartialEq + Debug,
{
    let cases = std::env::var("PROPTEST_CASES")
        .ok()
        .and_then(|cases| cases.parse().ok())
        .unwrap_or(256);
    let mut runner = TestRunner::new(Config {
        cases,
        // No regression files: the suite runs for several crates at once.
        failure_persistence: None,
        ..Config::default()
    });
    if let Err(failure) = runner.run(&ops::<T>(), |ops| check_against_vec::<V, T>(&ops)) {
        panic!("{failure}");
    }
}
