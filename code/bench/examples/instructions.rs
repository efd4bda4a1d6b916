//! Instructions per operation, for `valgrind --tool=callgrind`: one thread
//! makes 200,000 pushes, then 200,000 gets, then 200,000 pops, each loop in
//! a function of its own, on stage 3 or on secvec.
//!
//! ```text
//! cargo build -p bench --profile bench --example instructions
//! valgrind --tool=callgrind --callgrind-out-file=/tmp/cg.secvec \
//!     target/release/examples/instructions secvec
//! callgrind_annotate --inclusive=yes /tmp/cg.secvec | grep -E 'secvec_(push|get|pop)'
//! ```
//!
//! The `bench` profile turns off the debug assertions and overflow checks
//! that this workspace keeps in release builds (and puts the binary in
//! `target/release` all the same). Divide each loop's inclusive count by
//! 200,000. Callgrind counts
//! instructions, not time, so the figures are the same on a busy machine
//! and a quiet one (Part III of the book, "From stage 3 to secvec").

use std::hint::black_box;

/// Operations per loop.
const N: u64 = 200_000;

/// Three loops, never inlined, so that callgrind reports each apart.
macro_rules! loops {
    ($push:ident, $get:ident, $pop:ident, $vec:ty) => {
        #[inline(never)]
        fn $push(v: &$vec) {
            for i in 0..N {
                v.push(black_box(i));
            }
        }

        #[inline(never)]
        fn $get(v: &$vec) {
            for i in 0..N {
                black_box(v.get(black_box(i as usize)));
            }
        }

        #[inline(never)]
        fn $pop(v: &$vec) {
            for _ in 0..N {
                black_box(v.pop());
            }
        }
    };
}

loops!(stage3_push, stage3_get, stage3_pop, stage3::SecVec<u64>);
loops!(secvec_push, secvec_get, secvec_pop, secvec::SecVec<u64>);

fn main() {
    match std::env::args().nth(1).as_deref() {
        Some("stage3") => {
            let v = stage3::SecVec::new();
            stage3_push(&v);
            stage3_get(&v);
            stage3_pop(&v);
            assert!(v.is_empty());
        }
        Some("secvec") => {
            let v = secvec::SecVec::new();
            secvec_push(&v);
            secvec_get(&v);
            secvec_pop(&v);
            assert!(v.is_empty());
        }
        _ => {
            eprintln!("usage: instructions stage3|secvec (run it under valgrind --tool=callgrind)");
            std::process::exit(2);
        }
    }
}
