//! Chapter 13: a miniature linearizability checker.
//!
//! Three threads run a few pushes, pops and `len`s on one `SecVec`, noting
//! for every operation when it was called, when it returned and what it
//! returned. The checker then searches for one sequential order of all the
//! operations that (1) respects real time: an operation that returned before
//! another was called comes first, and (2) gives every operation the result
//! it actually got when replayed on a plain `Vec`. If such an order exists
//! the history is *linearizable* (Herlihy and Wing, 1990). The search is the
//! simple backtracking one of Wing and Gong; it is exponential in general but
//! instant for a dozen operations.
//!
//! The example checks a few hundred random histories, prints one with the
//! order it found, and finally shows that the checker does reject a history
//! that no correct vector could produce.
//!
//! Run with `cargo run --release --example ch13-testing`.

use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::thread;

use secvec::SecVec;

/// An operation and the result it returned.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Op {
    Push(u32),
    Pop(Option<u32>),
    Len(usize),
}

/// One completed operation of a history.
#[derive(Clone, Copy, Debug)]
struct Event {
    thread: usize,
    op: Op,
    /// Clock readings just before the call and just after the return.
    called: u64,
    returned: u64,
}

/// Replays `op` on the sequential model; true if it gives the same result.
fn replay(model: &mut Vec<u32>, op: Op) -> bool {
    match op {
        Op::Push(v) => {
            model.push(v);
            true
        }
        Op::Pop(result) => model.pop() == result,
        Op::Len(result) => model.len() == result,
    }
}

/// Finds a linearization of `events` that starts from `model`: fills
/// `order` with event indices and returns true, or returns false if none
/// exists.
fn linearize(
    events: &[Event],
    done: &mut [bool],
    model: &mut Vec<u32>,
    order: &mut Vec<usize>,
) -> bool {
    if order.len() == events.len() {
        return true;
    }
    // An operation may go next only if no pending operation returned before
    // it was called.
    let first_return = (0..events.len())
        .filter(|&i| !done[i])
        .map(|i| events[i].returned)
        .min()
        .unwrap();
    for i in 0..events.len() {
        if done[i] || events[i].called > first_return {
            continue;
        }
        let saved = model.clone();
        if replay(model, events[i].op) {
            done[i] = true;
            order.push(i);
            if linearize(events, done, model, order) {
                return true;
            }
            order.pop();
            done[i] = false;
        }
        *model = saved;
    }
    false
}

fn check(events: &[Event]) -> Option<Vec<usize>> {
    let mut order = Vec::new();
    let found = linearize(
        events,
        &mut vec![false; events.len()],
        &mut Vec::new(),
        &mut order,
    );
    found.then_some(order)
}

/// Runs three threads of five random operations each on a fresh vector.
fn record_history(seed: u64) -> Vec<Event> {
    let v = SecVec::new();
    let clock = AtomicU64::new(0);
    // Start the threads together, so that their operations overlap: each
    // one spins until all three have arrived (a blocking barrier would wake
    // them one by one, and each would be done before the next woke up).
    let arrived = AtomicUsize::new(0);
    let mut events: Vec<Event> = thread::scope(|s| {
        let threads: Vec<_> = (0..3)
            .map(|t| {
                let (v, clock, arrived) = (&v, &clock, &arrived);
                s.spawn(move || {
                    arrived.fetch_add(1, Ordering::SeqCst);
                    while arrived.load(Ordering::SeqCst) < 3 {
                        std::hint::spin_loop();
                    }
                    let mut rng = seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) ^ (t as u64 + 1);
                    let mut log = Vec::new();
                    for k in 0..5 {
                        rng ^= rng << 13;
                        rng ^= rng >> 7;
                        rng ^= rng << 17;
                        // SeqCst: one total order of all clock readings,
                        // consistent with each thread's program order.
                        let called = clock.fetch_add(1, Ordering::SeqCst);
                        let op = match rng % 5 {
                            0 | 1 => {
                                let value = 10 * (t as u32 + 1) + k;
                                v.push(value);
                                Op::Push(value)
                            }
                            2 | 3 => Op::Pop(v.pop()),
                            _ => Op::Len(v.len()),
                        };
                        let returned = clock.fetch_add(1, Ordering::SeqCst);
                        log.push(Event {
                            thread: t,
                            op,
                            called,
                            returned,
                        });
                    }
                    log
                })
            })
            .collect();
        threads
            .into_iter()
            .flat_map(|t| t.join().unwrap())
            .collect()
    });
    events.sort_by_key(|e| e.called);
    events
}

/// How many pairs of operations of different threads overlap in time.
fn overlaps(events: &[Event]) -> usize {
    let mut pairs = 0;
    for (i, a) in events.iter().enumerate() {
        for b in &events[i + 1..] {
            if a.thread != b.thread && a.called < b.returned && b.called < a.returned {
                pairs += 1;
            }
        }
    }
    pairs
}

fn main() {
    let histories = 1_000;
    let mut operations = 0;
    let mut overlapping = 0;
    // The history with the most overlap, and the order found for it.
    let mut best: Option<(usize, Vec<Event>, Vec<usize>)> = None;
    for seed in 0..histories {
        let events = record_history(seed);
        operations += events.len();
        let order = check(&events)
            .unwrap_or_else(|| panic!("history {seed} is not linearizable: {events:#?}"));
        // Without overlap in time the check is trivial: count the
        // histories where it was not.
        let pairs = overlaps(&events);
        overlapping += usize::from(pairs > 0);
        if best.as_ref().is_none_or(|(most, ..)| pairs > *most) {
            best = Some((pairs, events, order));
        }
    }
    println!("{histories} histories, {operations} operations: all linearizable");
    println!("({overlapping} histories had operations of different threads overlapping in time)");
    assert!(overlapping > 0, "the threads never ran at the same time");

    let (pairs, events, order) = best.unwrap();
    println!();
    println!("The history with the most overlap ({pairs} overlapping pairs):");
    for e in &events {
        println!(
            "  thread {} {:>3}..{:<3} {:?}",
            e.thread, e.called, e.returned, e.op
        );
    }
    println!("A sequential order that explains every result:");
    for chunk in order.chunks(5) {
        let steps: Vec<String> = chunk
            .iter()
            .map(|&i| format!("{:?}", events[i].op))
            .collect();
        println!("  {}", steps.join(", "));
    }
    println!();

    // A history no correct vector can produce: push(1) returned before the
    // pop was called, nothing else ran, yet the pop found the vector empty.
    let impossible = [
        Event {
            thread: 0,
            op: Op::Push(1),
            called: 0,
            returned: 1,
        },
        Event {
            thread: 1,
            op: Op::Pop(None),
            called: 2,
            returned: 3,
        },
    ];
    assert!(check(&impossible).is_none());
    // The same two results with overlapping calls are fine: the pop may
    // have taken effect before the push.
    let overlapping_calls = [
        Event {
            called: 0,
            returned: 2,
            ..impossible[0]
        },
        Event {
            called: 1,
            returned: 3,
            ..impossible[1]
        },
    ];
    assert!(check(&overlapping_calls).is_some());
    println!("push(1) then, strictly later, pop() = None: rejected, as it must be");
    println!("the same two calls overlapping in time: accepted (pop first)");
}
