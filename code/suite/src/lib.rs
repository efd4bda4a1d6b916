//! The shared test suite: what every stage of the book's vector, and the
//! finished `secvec`, must pass.
//!
//! Each stage runs it from one line in its `tests/suite.rs`, and `secvec`
//! from `code/suite/tests/secvec.rs`, twice (once with elimination on):
//!
//! ```text
//! suite::shared_tests!(stage1);
//! ```
//!
//! The macro wraps the crate's `SecVec<T>` in a local type that implements
//! [`Vector`], and writes one `#[test]` per check:
//!
//! - [`sequential`]: with one thread, random operations must give exactly
//!   what `Vec` gives, for element types from `bool` to `u64`.
//! - [`threads`]: many threads at once, then invariants that any correct
//!   vector keeps: nothing lost, nothing duplicated, nothing invented, and
//!   each thread's values in the order it pushed them.
//!
//! A stage's *known* flaws are asserted by tests of their own, so that a
//! claim such as "stage 1 leaks" is itself checked: stage 1's leak test,
//! and stage 2's loom model of the ABA problem, a flaw stage 1 shares (it
//! completes writes as stage 2 does). Two shared tests see the ABA problem of stages 1 and 2 now and
//! then, not every time: the same-values stress test and the
//! linearizability check. Those stages mark them `#[ignore]` with
//! `shared_tests!(stage1, known_aba = "...")`, so that their suite passes
//! every time, and a reader can still run them with `--ignored` and watch
//! them fail.

pub mod alloc;
pub mod lincheck;
pub mod sequential;
pub mod threads;

#[doc(hidden)]
pub use proptest;

// ANCHOR: vector
/// The API that every stage and `secvec` share: what the suite tests.
pub trait Vector<T>: Sync + Sized {
    /// An empty vector.
    fn new() -> Self;
    /// Appends `value`.
    fn push(&self, value: T);
    /// Removes and returns the last element, or `None` if empty.
    fn pop(&self) -> Option<T>;
    /// A copy of the element at `index`, or `None` if out of range.
    fn get(&self, index: usize) -> Option<T>;
    /// Replaces the element at `index`, returning the old one, or `None`
    /// (writing nothing) if out of range.
    fn set(&self, index: usize, value: T) -> Option<T>;
    /// The number of elements.
    fn len(&self) -> usize;
    /// Whether there are none.
    fn is_empty(&self) -> bool;
    /// Makes room for `additional` more elements.
    fn reserve(&self, additional: usize);
    /// How many elements fit before the next bucket is allocated.
    fn capacity(&self) -> usize;
}
// ANCHOR_END: vector

/// `base` multiplied by `SECVEC_STRESS_SCALE` (default 1), at least 1.
pub fn scaled(base: u64) -> u64 {
    let scale: f64 = std::env::var("SECVEC_STRESS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((base as f64 * scale) as u64).max(1)
}

/// Asks haphazard's global domain to free every retired object that no
/// hazard pointer guards. The stress tests call it after their vector is
/// dropped.
///
/// Nothing leaks without it: retired blocks wait in the domain for its next
/// scan, reachable from it. But when the thread that retired a block rebuilt
/// its pointer from a descriptor's bits (exposed provenance), Miri's leak
/// check cannot follow that pointer and reports the block as leaked (the
/// book's "Miri, sanitizers, arm64 and the MSRV", "A leak that was not
/// one"). Emptying the domain here keeps the leak check on for everything
/// else. For stage 1, which uses no hazard pointers, it does nothing.
pub fn free_retired() {
    haphazard::Domain::global().eager_reclaim();
}

// ANCHOR: macro
/// Writes the shared suite's tests for the crate `$krate`, whose `SecVec<T>`
/// and `Element` have the API of every stage.
#[macro_export]
macro_rules! shared_tests {
    ($krate:ident) => {
        $crate::shared_tests!(@tests $krate, [], $krate::SecVec::new());
    };
    // The same tests on vectors that `$new` builds, for a crate whose vector
    // has options (`secvec::SecVec::new().with_elimination()`).
    ($krate:ident, new = $new:expr) => {
        $crate::shared_tests!(@tests $krate, [], $new);
    };
    // A stage that still has the ABA problem (stages 1 and 2) fails the
    // same-values stress test and the linearizability check now and then,
    // so there those two run only when asked for:
    // `cargo test -p stage2 --test suite -- --ignored`.
    ($krate:ident, known_aba = $why:literal) => {
        $crate::shared_tests!(@tests $krate, [#[ignore = $why]], $krate::SecVec::new());
    };
    (@tests $krate:ident, [$($aba_sensitive:tt)*], $new:expr) => {
        /// `SecVec` seen through the suite's trait.
        struct Under<T: $krate::Element>($krate::SecVec<T>);

        impl<T: $krate::Element + Send + Sync> $crate::Vector<T> for Under<T> {
            fn new() -> Self {
                Under($new)
            }
            fn push(&self, value: T) {
                self.0.push(value)
            }
            fn pop(&self) -> Option<T> {
                self.0.pop()
            }
            fn get(&self, index: usize) -> Option<T> {
                self.0.get(index)
            }
            fn set(&self, index: usize, value: T) -> Option<T> {
                self.0.set(index, value)
            }
            fn len(&self) -> usize {
                self.0.len()
            }
            fn is_empty(&self) -> bool {
                self.0.is_empty()
            }
            fn reserve(&self, additional: usize) {
                self.0.reserve(additional)
            }
            fn capacity(&self) -> usize {
                self.0.capacity()
            }
        }

        #[test]
        fn sequential_u64() {
            $crate::sequential::behaves_like_vec::<Under<u64>, u64>();
        }
        #[test]
        fn sequential_three_bytes() {
            $crate::sequential::behaves_like_vec::<Under<[u8; 3]>, [u8; 3]>();
        }
        #[test]
        fn sequential_bool() {
            $crate::sequential::behaves_like_vec::<Under<bool>, bool>();
        }
        #[test]
        fn sequential_char() {
            $crate::sequential::behaves_like_vec::<Under<char>, char>();
        }
        #[test]
        fn push_only_16_threads() {
            $crate::threads::push_only::<Under<u64>>(16, $crate::scaled(4_000));
            $crate::free_retired();
        }
        #[test]
        fn push_pop_4_threads() {
            $crate::threads::push_pop::<Under<u64>>(4, $crate::scaled(20_000));
            $crate::free_retired();
        }
        #[test]
        fn push_pop_16_threads() {
            $crate::threads::push_pop::<Under<u64>>(16, $crate::scaled(5_000));
            $crate::free_retired();
        }
        #[test]
        fn set_get_4_writers_4_readers() {
            $crate::threads::set_get::<Under<u64>>(4, 4, $crate::scaled(20_000));
            $crate::free_retired();
        }
        #[test]
        $($aba_sensitive)*
        fn same_values_16_threads() {
            $crate::threads::same_values::<Under<u32>>(16, $crate::scaled(5_000));
            $crate::free_retired();
        }
        #[test]
        fn huge_indices_while_the_last_element_churns() {
            $crate::threads::huge_indices::<Under<u64>>($crate::scaled(50_000));
            $crate::free_retired();
        }
        #[test]
        $($aba_sensitive)*
        fn linearizable() {
            $crate::lincheck::linearizable::<Under<u64>>(stringify!($krate));
        }
    };
}
// ANCHOR_END: macro
