//! Stage 3 under the loom model checker: the interleaving that breaks
//! stage 2 (see `code/stage2/tests/loom.rs`) no longer can.
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p stage3 --release --test loom
//! ```
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use stage3::SecVec;

/// Empties `v` and returns what it held, front to back.
fn drain(v: &SecVec<u32>) -> Vec<u32> {
    let mut items = Vec::new();
    while let Some(x) = v.pop() {
        items.push(x);
    }
    items.reverse();
    items
}

/// Stage 2's failing model, unchanged: a pop on another thread stalls in
/// `complete_write` for the push of 7 while the main thread pops the 7 and
/// pushes 0 into the same slot. The stalled swap now expects version 0 and
/// finds version 2, so it fails, as it must.
#[test]
fn stale_helper() {
    let mut model = loom::model::Builder::new();
    // Two forced switches are enough for the stall described above.
    model.preemption_bound = Some(2);
    model.check(|| {
        let v = Arc::new(SecVec::new());
        let helper = {
            let v = Arc::clone(&v);
            thread::spawn(move || v.pop())
        };
        v.push(7);
        let main_popped = v.pop();
        v.push(0);
        v.push(5);
        let helper_popped = helper.join().unwrap();

        let mut seen = drain(&v);
        seen.extend(helper_popped);
        seen.extend(main_popped);
        seen.sort_unstable();
        assert_eq!(seen, [0, 5, 7], "every value pushed comes out exactly once");
    });
}
