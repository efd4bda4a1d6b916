//! Model checks: every interleaving of a few small concurrent scenarios.
//!
//! Run with
//!
//! ```text
//! RUSTFLAGS="--cfg loom" cargo test -p secvec --release --test loom
//! ```
//!
//! (`cargo xtask test --only loom` does exactly that, in its own target
//! folder). Loom replaces every atomic in the crate (see `src/sync.rs`) and
//! runs each model once per distinct interleaving, up to
//! `LOOM_MAX_PREEMPTIONS` forced thread switches (5 unless the environment
//! says otherwise).
//!
//! Each model checks what may be observed, not just that nothing crashes:
//! every value pushed is popped or still there exactly once, and every result
//! is one that some sequential order of the same operations would produce.
#![cfg(loom)]

use loom::sync::Arc;
use loom::thread;
use secvec::SecVec;

/// Runs `f` under loom with a preemption bound of 5 unless the environment
/// sets `LOOM_MAX_PREEMPTIONS`.
fn model(f: impl Fn() + Send + Sync + 'static) {
    model_with_bound(usize::MAX, f);
}

/// Like [`model`], but never with more than `cap` preemptions: for models with
/// three threads, where each extra preemption multiplies the running time.
fn model_with_bound(cap: usize, f: impl Fn() + Send + Sync + 'static) {
    let mut builder = loom::model::Builder::new();
    let bound = builder.preemption_bound.unwrap_or(5).min(cap);
    builder.preemption_bound = Some(bound);
    // Setting up a vector and haphazard's hazard-pointer records take many
    // atomic steps of their own; the default limit of 1,000 is too tight.
    if builder.max_branches < 20_000 {
        builder.max_branches = 20_000;
    }
    // The model runs in a thread of its own, not in loom's main thread,
    // whose thread-locals loom drops only after haphazard's domain (see
    // `spawn`).
    let f = std::sync::Arc::new(f);
    builder.check(move || {
        let f = std::sync::Arc::clone(&f);
        spawn(move || f()).join().unwrap();
    });
}

// ANCHOR: spawn
/// Starts a model thread running `f`. Before it returns, the thread hands
/// back the slab of write descriptors the crate keeps for it: loom lets a
/// `join` return before it drops the joined thread's thread-locals, possibly
/// after the end of the model, when haphazard's domain, which the slab may
/// still need, is gone.
fn spawn<T: 'static>(f: impl FnOnce() -> T + 'static) -> thread::JoinHandle<T> {
    thread::spawn(move || {
        let result = f();
        secvec::release_thread();
        result
    })
}
// ANCHOR_END: spawn

/// Empties `v` and returns what it held, front to back.
fn drain(v: &SecVec<u32>) -> Vec<u32> {
    let mut items = Vec::new();
    while let Some(x) = v.pop() {
        items.push(x);
    }
    items.reverse();
    items
}

fn sorted(mut items: Vec<u32>) -> Vec<u32> {
    items.sort_unstable();
    items
}

/// Starts a thread that pops once from `v` and returns what it popped.
fn spawn_pop(v: &Arc<SecVec<u32>>) -> thread::JoinHandle<Option<u32>> {
    let v = Arc::clone(v);
    spawn(move || v.pop())
}

// ANCHOR: push_push
#[test]
fn push_push() {
    model(|| {
        let v = Arc::new(SecVec::new());
        let other = {
            let v = Arc::clone(&v);
            spawn(move || v.push(1))
        };
        v.push(2);
        other.join().unwrap();

        assert_eq!(v.len(), 2);
        // Both values are there, once each, in one of the two orders.
        assert_eq!(sorted(drain(&v)), [1, 2]);
    });
}
// ANCHOR_END: push_push

#[test]
fn push_pop() {
    model(|| {
        let v = Arc::new(SecVec::from(vec![1]));
        let pusher = {
            let v = Arc::clone(&v);
            spawn(move || v.push(2))
        };
        let popped = v.pop();
        pusher.join().unwrap();

        let rest = drain(&v);
        match popped {
            // The pop came first and took the old element...
            Some(1) => assert_eq!(rest, [2]),
            // ...or the push came first and the pop took the new one.
            Some(2) => assert_eq!(rest, [1]),
            other => panic!("pop returned {other:?}"),
        }
    });
}

#[test]
fn pop_pop() {
    model(|| {
        let v = Arc::new(SecVec::from(vec![1, 2]));
        let other = spawn_pop(&v);
        let mine = v.pop();
        let theirs = other.join().unwrap();

        // Each element is popped exactly once.
        let mut both = vec![mine.unwrap(), theirs.unwrap()];
        both.sort_unstable();
        assert_eq!(both, [1, 2]);
        assert!(v.is_empty());
    });
}

#[test]
fn get_and_len_during_push() {
    model(|| {
        let v = Arc::new(SecVec::from(vec![1]));
        let pusher = {
            let v = Arc::clone(&v);
            spawn(move || v.push(2))
        };
        let len = v.len();
        let second = v.get(1);
        let first = v.get(0);
        pusher.join().unwrap();

        assert!(len == 1 || len == 2, "len {len}");
        assert_eq!(first, Some(1));
        // Index 1 is either not there yet or holds the pushed value, never
        // the zeroed slot behind it.
        assert!(second.is_none() || second == Some(2), "get(1) = {second:?}");
        // Only pushes run, so the length cannot shrink: once len saw 2,
        // the later get must see the element.
        if len == 2 {
            assert_eq!(second, Some(2));
        }
    });
}

#[test]
fn set_during_pop() {
    model(|| {
        let v = Arc::new(SecVec::from(vec![1]));
        let setter = {
            let v = Arc::clone(&v);
            spawn(move || v.set(0, 5))
        };
        let popped = v.pop();
        let replaced = setter.join().unwrap();

        match (replaced, popped) {
            // set first: it saw 1, and the pop took the 5 it wrote.
            (Some(1), Some(5)) => {}
            // pop first: the index was gone, so set wrote nothing.
            (None, Some(1)) => {}
            other => panic!("(set, pop) = {other:?}"),
        }
        assert!(v.is_empty());
    });
}

#[test]
fn set_during_push() {
    model(|| {
        let v = Arc::new(SecVec::from(vec![1]));
        let setter = {
            let v = Arc::clone(&v);
            spawn(move || v.set(1, 9))
        };
        v.push(2);
        let replaced = setter.join().unwrap();

        match replaced {
            // The set ran before index 1 existed: nothing written.
            None => assert_eq!(drain(&v), [1, 2]),
            // The set ran after the push and replaced its value.
            Some(2) => assert_eq!(drain(&v), [1, 9]),
            other => panic!("set returned {other:?}"),
        }
    });
}

/// Two helpers and the owner of a write, three threads in all.
///
/// The main thread's push installs its descriptor and may be preempted before
/// it applies its own write; the first popper may then help and be preempted
/// in the middle of finishing that write; the second popper arrives while both are
/// stalled. Whatever it finds, it must pop the value that was pushed (or 1, if
/// it ran first), never the zero of a slot nobody wrote yet: whoever finds the
/// push's descriptor pending must see its write in the slot before it starts
/// from it.
///
/// Two preemptions reach that schedule (such a bug is found in seconds);
/// with three threads every extra preemption multiplies the running time, so
/// it is capped at 3.
#[test]
fn two_helpers_and_a_stalled_owner() {
    model_with_bound(3, || {
        let v = Arc::new(SecVec::from(vec![1]));
        let poppers: Vec<_> = (0..2).map(|_| spawn_pop(&v)).collect();
        v.push(2);
        let popped: Vec<Option<u32>> = poppers
            .into_iter()
            .map(|popper| popper.join().unwrap())
            .collect();
        let left = drain(&v);
        // A pop finds the vector empty only between the pop of 1 and the
        // push of 2: then the other pop took 1, and 2 is left.
        if popped.contains(&None) {
            assert!(
                popped.contains(&Some(1)) && left == [2],
                "popped {popped:?}, left {left:?}"
            );
        }
        let mut seen: Vec<u32> = popped.into_iter().flatten().collect();
        seen.extend(left);
        assert_eq!(sorted(seen), [1, 2]);
    });
}

// ANCHOR: bucket_race
#[test]
fn bucket_allocation_race() {
    model(|| {
        // Eight elements fill bucket 0, so the other thread's `reserve(1)`
        // and the main thread's push both need bucket 1 and may both try to
        // allocate it.
        let v = Arc::new(SecVec::from((0..8).collect::<Vec<u32>>()));
        assert_eq!(v.capacity(), 8);
        let other = {
            let v = Arc::clone(&v);
            spawn(move || {
                v.reserve(1);
                v.push(100);
            })
        };
        v.push(200);
        other.join().unwrap();

        // One bucket 1 won; both elements landed in it.
        assert_eq!(v.capacity(), 8 + 16);
        let items = drain(&v);
        assert_eq!(items[..8], [0, 1, 2, 3, 4, 5, 6, 7]);
        assert_eq!(sorted(items[8..].to_vec()), [100, 200]);
    });
}
// ANCHOR_END: bucket_race

// ANCHOR: aba_idle
/// A pop stalls between reading the last element and swapping the descriptor,
/// while another thread pops that element, pushes two in its place and pops
/// the second again. The descriptor is idle and the size is back where the
/// stalled pop saw it, but the stamp is not, so the stalled swap must fail:
/// otherwise it would return the element popped already (counted twice) and
/// lose the 3 pushed in its place.
#[test]
fn aba_idle_descriptor() {
    model(|| {
        let v = Arc::new(SecVec::from(vec![1, 2, 9]));
        // An idle descriptor of size 2 for the stalled pop to read.
        assert_eq!(v.pop(), Some(9));
        let stalled = spawn_pop(&v);
        let mut main_popped = vec![v.pop()];
        v.push(3);
        v.push(4);
        main_popped.push(v.pop());
        let stalled_popped = stalled.join().unwrap();
        // The vector is never empty when a pop runs: two elements before the
        // pushes, two pops before them at most.
        assert!(stalled_popped.is_some() && main_popped.iter().all(Option::is_some));

        let mut seen: Vec<u32> = drain(&v);
        seen.extend(main_popped.into_iter().flatten());
        seen.extend(stalled_popped);
        assert_eq!(sorted(seen), [1, 2, 3, 4]);
    });
}
// ANCHOR_END: aba_idle

// ANCHOR: aba
/// A helper stalls inside a write completion while the slot it targets goes
/// from 0 to 7 and back to 0. Its stale write of 7 must not land.
///
/// The helper thread's `pop` finds the push of 7 pending and helps it; loom
/// preempts it between checking the slot and swapping it. Meanwhile the main
/// thread finishes its push, pops the 7, pushes 0 into the same slot, and
/// pushes 5 (by then the push of 0 has applied its own write, so a later
/// helper finds it done). If the stale swap of 7 landed, the vector would hold 7
/// where 0 belongs, and 7 would be counted twice.
///
/// The main thread runs the long sequence so that the scenario needs only two
/// preemptions: one to let the helper see the pending write, one to stall it.
#[test]
fn aba_stale_helper() {
    model(|| {
        let v = Arc::new(SecVec::new());
        let helper = spawn_pop(&v);
        v.push(7);
        let main_popped = v.pop();
        v.push(0);
        v.push(5);
        let helper_popped = helper.join().unwrap();

        // Every value pushed is popped or left, exactly once.
        let mut seen: Vec<u32> = drain(&v);
        seen.extend(helper_popped);
        seen.extend(main_popped);
        assert_eq!(sorted(seen), [0, 5, 7]);
    });
}
// ANCHOR_END: aba

// ANCHOR: floor
/// A push that raises the floor races pops that take the length back down.
///
/// `[10, 11, 12]` has a floor of 0; the push to four elements raises it to 2.
/// Meanwhile another thread pops three times, which may leave one element.
/// Whatever the order, the floor must end at or below the length: a `get`
/// below the floor skips the descriptor, so a floor left above the length
/// would return an element that was popped. Two bugs fail this model: a pop
/// that shrinks the vector without lowering the floor first, and a raise
/// that lands after the descriptor naming its write was replaced (by then
/// pops may have shrunk the vector below it).
#[test]
fn floor_rise_during_pops() {
    model(|| {
        let v = Arc::new(SecVec::from(vec![10, 11, 12]));
        let popper = {
            let v = Arc::clone(&v);
            spawn(move || [v.pop(), v.pop(), v.pop()])
        };
        v.push(13);
        // While the pops may still run, index 0 always holds an element.
        assert!(v.get(0).is_some());
        let popped = popper.join().unwrap();
        // Three pops of four elements: none finds the vector empty.
        assert!(popped.iter().all(Option::is_some), "popped {popped:?}");

        let len = v.len();
        for index in 0..5 {
            assert_eq!(
                v.get(index).is_some(),
                index < len,
                "get({index}) with length {len}"
            );
        }
        let mut seen: Vec<u32> = drain(&v);
        seen.extend(popped.into_iter().flatten());
        assert_eq!(sorted(seen), [10, 11, 12, 13]);
    });
}
// ANCHOR_END: floor

/// One thread sets the last element while the other pops it, then both move
/// to index 0. A set that read the slot before a pop sealed it must fail, and
/// one that finds the pop's seal goes through the descriptor, so every value
/// set or present comes out exactly once: popped, replaced or left.
#[test]
fn sets_during_pops() {
    model(|| {
        let v = Arc::new(SecVec::from(vec![1, 2]));
        let setter = {
            let v = Arc::clone(&v);
            spawn(move || (v.set(1, 9), v.set(0, 8)))
        };
        let popped = [v.pop(), v.pop()];
        let (first, second) = setter.join().unwrap();
        let left = drain(&v);
        // Two pops of two elements, and sets never change the length.
        assert!(popped.iter().all(Option::is_some), "popped {popped:?}");

        let mut went_in = vec![1, 2];
        went_in.extend(first.map(|_| 9));
        went_in.extend(second.map(|_| 8));
        let mut came_out = left.clone();
        came_out.extend(popped.into_iter().flatten());
        came_out.extend(first);
        came_out.extend(second);
        assert_eq!(
            sorted(came_out),
            sorted(went_in),
            "popped {popped:?}, set returned {first:?} and {second:?}, left {left:?}"
        );
    });
}

/// A pop reads the last slot and stalls while the other thread pops that
/// element, pushes a new one in its place and sets it. Whatever the stalled
/// pop does when it wakes, every value must come out once: its seal, and a
/// set that finds it, must not lose the 3 or the 4. (This model fails
/// without seals, or with a set that ignores them, or with a stamp that
/// write_through does not raise. A pop without its second look at the
/// descriptor passes here: the stalled pop read the same descriptor as the
/// other thread's pop, so its late seal repeats that pop's or fails. The
/// next model is the one that needs that look.)
#[test]
fn pop_stalls_while_the_last_element_comes_back() {
    model(|| {
        let v = Arc::new(SecVec::from(vec![1, 2]));
        let stalled = spawn_pop(&v);
        let main_popped = v.pop();
        v.push(3);
        let replaced = v.set(1, 4);
        let stalled_popped = stalled.join().unwrap();
        let left = drain(&v);
        // Two pops of two elements and a push: neither finds it empty.
        assert!(stalled_popped.is_some() && main_popped.is_some());

        let mut went_in = vec![1, 2, 3];
        went_in.extend(replaced.map(|_| 4));
        let mut came_out = left.clone();
        came_out.extend(main_popped);
        came_out.extend(replaced);
        came_out.extend(stalled_popped);
        assert_eq!(
            sorted(came_out),
            sorted(went_in),
            "main popped {main_popped:?}, set returned {replaced:?}, \
             stalled pop {stalled_popped:?}, left {left:?}"
        );
    });
}

// ANCHOR: pop_stalls_across
/// Like the model above, but the stalled pop's descriptor is older than the
/// one under which the element it finds was sealed: between them the other
/// thread pushed and popped once, so the size came back with a new stamp.
/// Without its second look at the descriptor, the stalled pop would re-seal
/// the slot that the final push has already read, and that push's write
/// would fail: the 5 would be lost.
#[test]
fn pop_stalls_across_a_push_and_two_pops() {
    model(|| {
        let v = Arc::new(SecVec::from(vec![1, 2]));
        let stalled = spawn_pop(&v);
        v.push(3);
        let main_popped = [v.pop(), v.pop()];
        v.push(5);
        let stalled_popped = stalled.join().unwrap();
        let left = drain(&v);
        // Three pops, and at least one element for each whenever it runs.
        assert!(
            stalled_popped.is_some() && main_popped.iter().all(Option::is_some),
            "main popped {main_popped:?}, stalled pop {stalled_popped:?}"
        );

        let mut came_out = left.clone();
        came_out.extend(main_popped.into_iter().flatten());
        came_out.extend(stalled_popped);
        assert_eq!(
            sorted(came_out),
            [1, 2, 3, 5],
            "main popped {main_popped:?}, stalled pop {stalled_popped:?}, left {left:?}"
        );
    });
}
// ANCHOR_END: pop_stalls_across

// ANCHOR: elimination
/// With elimination on, a push that loses to a pop waits in the exchanger,
/// and the next pop may take its value there instead of from the vector.
/// Every outcome must still be one of the three orders of a push beside two
/// pops: push first (the pops return 2, then 1), push second (1, then 2), or
/// push last (1, then nothing, and 2 is left).
#[test]
fn elimination_push_meets_the_second_pop() {
    model(|| {
        let v = Arc::new(SecVec::from(vec![1]).with_elimination());
        let pusher = {
            let v = Arc::clone(&v);
            spawn(move || v.push(2))
        };
        let popped = [v.pop(), v.pop()];
        pusher.join().unwrap();
        let left = drain(&v);

        let allowed: [([Option<u32>; 2], &[u32]); 3] = [
            ([Some(2), Some(1)], &[]),
            ([Some(1), Some(2)], &[]),
            ([Some(1), None], &[2]),
        ];
        assert!(
            allowed.contains(&(popped, left.as_slice())),
            "popped {popped:?}, left {left:?}"
        );
    });
}

/// The other way round: a pop that loses to a push waits in the exchanger,
/// and the next push may hand it its value there. The pop's result must
/// be what a pop before, between or after the two pushes returns, and what
/// is left must be the rest.
#[test]
fn elimination_pop_meets_the_second_push() {
    model(|| {
        let v = Arc::new(SecVec::from(vec![1]).with_elimination());
        let popper = spawn_pop(&v);
        v.push(2);
        v.push(3);
        let popped = popper.join().unwrap();
        let left = drain(&v);

        let allowed: [(Option<u32>, &[u32]); 3] =
            [(Some(1), &[2, 3]), (Some(2), &[1, 3]), (Some(3), &[1, 2])];
        assert!(
            allowed.contains(&(popped, left.as_slice())),
            "popped {popped:?}, left {left:?}"
        );
    });
}
// ANCHOR_END: elimination
