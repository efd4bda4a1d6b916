//! Model-based tests: a `SecVec` must behave exactly like a `Vec` when only
//! one thread uses it.
//!
//! proptest generates random sequences of operations, applies each one to a
//! `SecVec` and to a `Vec` (the *model*), and compares every result. When a
//! sequence disagrees, proptest shrinks it to a minimal failing sequence and
//! prints it. The element types cover a plain `u32`, a `u64` that uses all
//! 64 bits, a three-byte array (an odd size: `to_bits` must copy exactly three
//! bytes and `from_bits` read exactly three back), `bool` and `char` (types
//! for which most bit patterns are invalid, so a wrong byte would be
//! undefined behaviour, not just a wrong number).

use std::fmt::Debug;

use proptest::prelude::*;
use secvec::{Element, SecVec};

// ANCHOR: op
/// One step of a test: an operation on the vector, with its arguments.
#[derive(Clone, Debug)]
enum Op<T> {
    Push(T),
    Pop,
    Get(usize),
    Set(usize, T),
    Len,
    IsEmpty,
    Reserve(usize),
    Capacity,
    Iter,
}
// ANCHOR_END: op

/// Indices mostly near the length (which stays below about 100), sometimes
/// far beyond it.
fn index() -> impl Strategy<Value = usize> {
    prop_oneof![
        10 => 0..64_usize,
        1 => Just(usize::MAX),
        1 => any::<usize>(),
    ]
}

/// Operations weighted so that the vector tends to grow (pushes outnumber
/// pops) while every operation still occurs often.
fn op<T: Debug + Clone>(value: impl Strategy<Value = T> + Clone) -> impl Strategy<Value = Op<T>> {
    prop_oneof![
        6 => value.clone().prop_map(Op::Push),
        3 => Just(Op::Pop),
        3 => index().prop_map(Op::Get),
        3 => (index(), value).prop_map(|(i, v)| Op::Set(i, v)),
        1 => Just(Op::Len),
        1 => Just(Op::IsEmpty),
        1 => (0..40_usize).prop_map(Op::Reserve),
        1 => Just(Op::Capacity),
        1 => Just(Op::Iter),
    ]
}

fn ops<T: Debug + Clone>(
    value: impl Strategy<Value = T> + Clone,
) -> impl Strategy<Value = Vec<Op<T>>> {
    proptest::collection::vec(op(value), 0..200)
}

/// Capacities a vector can have: the first `k` buckets allocated,
/// `8 + 16 + ... + (8 << (k - 1)) = 8 * (2^k - 1)` slots.
fn is_bucket_prefix(capacity: usize) -> bool {
    capacity % 8 == 0 && (capacity / 8 + 1).is_power_of_two()
}

// ANCHOR: run
/// Applies `ops` to a `SecVec` and to a `Vec`, comparing every result.
fn check_against_vec<T>(ops: &[Op<T>]) -> Result<(), TestCaseError>
where
    T: Element + PartialEq + Debug,
{
    let secvec = SecVec::new();
    let mut model = Vec::new();
    let mut last_capacity = 0;
    for (step, op) in ops.iter().enumerate() {
        match *op {
            Op::Push(v) => {
                secvec.push(v);
                model.push(v);
            }
            Op::Pop => prop_assert_eq!(secvec.pop(), model.pop(), "step {}", step),
            Op::Get(i) => prop_assert_eq!(secvec.get(i), model.get(i).copied(), "step {}", step),
            Op::Set(i, v) => {
                // Out of range: `None`, and nothing written anywhere.
                let expected = model.get_mut(i).map(|slot| std::mem::replace(slot, v));
                prop_assert_eq!(secvec.set(i, v), expected, "step {}", step);
            }
            Op::Len => prop_assert_eq!(secvec.len(), model.len(), "step {}", step),
            Op::IsEmpty => prop_assert_eq!(secvec.is_empty(), model.is_empty()),
            Op::Reserve(n) => {
                secvec.reserve(n);
                prop_assert!(secvec.capacity() >= model.len() + n, "step {}", step);
            }
            Op::Capacity => prop_assert!(secvec.capacity() >= secvec.len()),
            Op::Iter => prop_assert_eq!(secvec.iter().collect::<Vec<T>>(), model.clone()),
        }
        // After every step: buckets are only ever added, always as a prefix.
        let capacity = secvec.capacity();
        prop_assert!(capacity >= model.len() && capacity >= last_capacity);
        prop_assert!(is_bucket_prefix(capacity), "capacity {}", capacity);
        last_capacity = capacity;
    }
    // The whole contents, read twice: by index and by iterator.
    let by_index: Vec<T> = (0..model.len()).map(|i| secvec.get(i).unwrap()).collect();
    prop_assert_eq!(&by_index, &model);
    prop_assert_eq!(secvec.iter().collect::<Vec<T>>(), model);
    Ok(())
}
// ANCHOR_END: run

/// 256 sequences of up to 200 operations per element type. Override with
/// `PROPTEST_CASES`.
fn config() -> ProptestConfig {
    ProptestConfig {
        cases: std::env::var("PROPTEST_CASES")
            .ok()
            .and_then(|cases| cases.parse().ok())
            .unwrap_or(256),
        ..ProptestConfig::default()
    }
}

proptest! {
    #![proptest_config(config())]

    #[test]
    fn behaves_like_vec_u32(ops in ops(any::<u32>())) {
        check_against_vec(&ops)?;
    }

    /// Values with the top bits set: every one of the slot's 64 bits is used.
    #[test]
    fn behaves_like_vec_u64(ops in ops(prop_oneof![any::<u64>(), Just(u64::MAX), Just(0)])) {
        check_against_vec(&ops)?;
    }

    #[test]
    fn behaves_like_vec_three_bytes(ops in ops(any::<[u8; 3]>())) {
        check_against_vec(&ops)?;
    }

    #[test]
    fn behaves_like_vec_bool(ops in ops(any::<bool>())) {
        check_against_vec(&ops)?;
    }

    #[test]
    fn behaves_like_vec_char(ops in ops(any::<char>())) {
        check_against_vec(&ops)?;
    }

    /// The conversions and standard traits agree with `Vec`'s.
    #[test]
    fn traits_agree_with_vec(
        first in proptest::collection::vec(any::<i32>(), 0..100),
        more in proptest::collection::vec(any::<i32>(), 0..100),
    ) {
        let from_vec = SecVec::from(first.clone());
        prop_assert_eq!(from_vec.len(), first.len());
        prop_assert_eq!(from_vec.iter().collect::<Vec<_>>(), first.clone());
        prop_assert_eq!(format!("{from_vec:?}"), format!("{first:?}"));
        prop_assert_eq!(format!("{from_vec:#?}"), format!("{first:#?}"));

        let collected: SecVec<i32> = first.iter().copied().collect();
        prop_assert_eq!((&collected).into_iter().collect::<Vec<_>>(), first.clone());

        let mut extended = from_vec;
        extended.extend(more.iter().copied());
        let mut model = first.clone();
        model.extend(more.iter().copied());
        prop_assert_eq!(extended.iter().collect::<Vec<_>>(), model.clone());
        prop_assert_eq!(format!("{extended:?}"), format!("{model:?}"));
        // `extend` reserves for the iterator's size hint first.
        prop_assert!(extended.capacity() >= model.len());

        let mut sum = 0_i64;
        for x in &extended {
            sum += i64::from(x);
        }
        prop_assert_eq!(sum, model.iter().map(|&x| i64::from(x)).sum::<i64>());
    }

    #[test]
    fn with_capacity_allocates_enough(n in 0..5_000_usize) {
        let v: SecVec<u16> = SecVec::with_capacity(n);
        prop_assert!(v.capacity() >= n);
        prop_assert!(is_bucket_prefix(v.capacity()));
        prop_assert!(v.is_empty());
        // No more than one bucket beyond what was asked for: the capacity
        // is below twice the request, plus the first bucket.
        prop_assert!(v.capacity() < 2 * n + 8);
    }
}

#[test]
fn default_is_empty_like_vec() {
    let v: SecVec<u8> = SecVec::default();
    let model: Vec<u8> = Vec::default();
    assert_eq!(v.len(), model.len());
    assert_eq!(v.capacity(), 0);
    assert_eq!(format!("{v:?}"), format!("{model:?}"));
    assert_eq!(v.pop(), None);
    assert_eq!(v.get(0), None);
    assert_eq!(v.set(0, 1), None);
    assert!(v.is_empty());
}

#[test]
fn iterator_is_fused_even_if_the_vector_grows_again() {
    let v = SecVec::from(vec![1_u32]);
    let mut it = v.iter();
    assert_eq!(it.next(), Some(1));
    assert_eq!(it.next(), None);
    v.push(2);
    // The iterator stopped for good at index 1, although it now exists.
    assert_eq!(it.next(), None);
    assert_eq!(v.iter().collect::<Vec<_>>(), [1, 2]);
}

#[test]
fn reserve_overflow_panics_like_vec() {
    let message = |r: std::thread::Result<()>| {
        let payload = r.expect_err("reserve should panic");
        payload
            .downcast_ref::<&str>()
            .map(|s| s.to_string())
            .or_else(|| payload.downcast_ref::<String>().cloned())
            .unwrap()
    };
    let vec_message = message(std::panic::catch_unwind(|| {
        Vec::<u32>::from([1]).reserve(usize::MAX)
    }));
    let secvec_message = message(std::panic::catch_unwind(|| {
        SecVec::<u32>::from(vec![1]).reserve(usize::MAX)
    }));
    assert_eq!(vec_message, "capacity overflow");
    assert_eq!(secvec_message, vec_message);
    // An empty vector overflows the bucket table instead of the addition.
    let empty = std::panic::catch_unwind(|| SecVec::<u32>::new().reserve(usize::MAX));
    assert_eq!(message(empty), "capacity overflow");
}
