//! Model-based tests of what only `secvec` has beyond the shared suite:
//! its conversions, standard traits and iterator must agree with `Vec`'s.
//!
//! The comparison of random operation sequences with `Vec` (push, pop, get,
//! set, len, reserve, for element types from `bool` to `u64`) is in the
//! shared suite, `code/suite/src/sequential.rs`, which runs against every
//! stage of the book and against this crate (`cargo test -p suite`).

use proptest::prelude::*;
use secvec::SecVec;

/// Capacities a vector can have: the first `k` buckets allocated,
/// `8 + 16 + ... + (8 << (k - 1)) = 8 * (2^k - 1)` slots.
fn is_bucket_prefix(capacity: usize) -> bool {
    capacity % 8 == 0 && (capacity / 8 + 1).is_power_of_two()
}

/// 256 cases per test. Override with `PROPTEST_CASES`.
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

/// `extend` reserves room for the iterator's lower size bound before it
/// pushes: an iterator that promises more than it yields shows it, since
/// the pushes alone would leave the capacity at the next bucket's end.
#[test]
fn extend_reserves_the_lower_size_hint_first() {
    struct Promising(std::vec::IntoIter<u32>);
    impl Iterator for Promising {
        type Item = u32;
        fn next(&mut self) -> Option<u32> {
            self.0.next()
        }
        fn size_hint(&self) -> (usize, Option<usize>) {
            (100, None)
        }
    }
    let mut v = SecVec::from(vec![1]);
    v.extend(Promising(vec![2, 3].into_iter()));
    assert_eq!(v.iter().collect::<Vec<_>>(), [1, 2, 3]);
    assert!(v.capacity() >= 101, "capacity {}", v.capacity());
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
