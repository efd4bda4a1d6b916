//! Many threads: stress tests with invariants.
//!
//! Threads hammer one vector, and afterwards (and sometimes during) the test
//! checks what any correct, linearizable vector keeps: nothing lost, nothing
//! duplicated, nothing invented, and orders that sequential code would
//! produce. "It did not crash" proves little; each check here is one that a
//! lost, duplicated or invented value breaks.
//!
//! The thread counts go beyond the cores of a small machine on purpose: with
//! 16 threads on 2 cores the scheduler preempts threads in the middle of an
//! operation, where helping matters. Sizes are multiplied by
//! `SECVEC_STRESS_SCALE` (see [`scaled`](crate::scaled)).

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::Barrier;
use std::thread;

use crate::sequential::is_bucket_prefix;
use crate::Vector;

/// A tiny xorshift generator: enough randomness to vary the operations and
/// indices, no dependency, and a fixed seed per thread.
struct XorShift(u64);

impl XorShift {
    fn new(seed: u64) -> Self {
        XorShift(seed.wrapping_mul(0x9e37_79b9_7f4a_7c15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number in `0..n`.
    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }
}

/// The value thread `thread` pushes as its `counter`-th element (counting
/// from 1, so no pushed value is ever 0, the contents of an unwritten slot).
fn encode(thread: u64, counter: u64) -> u64 {
    assert!(counter > 0 && counter < 1 << 32);
    (thread << 32) | counter
}

/// The inverse of [`encode`].
fn decode(value: u64) -> (u64, u64) {
    (value >> 32, value & 0xffff_ffff)
}

/// Panics unless `value` is one that `encode(t, c)` produced for a thread
/// `t < threads` and a counter `1 <= c <= per_thread`.
fn check_pushed(value: u64, threads: u64, per_thread: u64) {
    let (t, c) = decode(value);
    assert!(
        t < threads && (1..=per_thread).contains(&c),
        "{value:#x} (thread {t}, counter {c}) was never pushed"
    );
}

/// Panics unless each thread's values appear in `items` in the order that
/// thread pushed them (strictly increasing counters), which also rules out
/// duplicates. Returns how many values of each thread were seen.
fn check_per_thread_order(items: &[u64], threads: u64) -> Vec<u64> {
    let mut last = vec![0; threads as usize];
    let mut count = vec![0; threads as usize];
    for (index, &value) in items.iter().enumerate() {
        let (t, c) = decode(value);
        assert!(t < threads, "index {index}: {value:#x} was never pushed");
        assert!(
            c > last[t as usize],
            "index {index}: thread {t}'s value {c} comes after its value {}",
            last[t as usize]
        );
        last[t as usize] = c;
        count[t as usize] += 1;
    }
    count
}

/// Raises a stop flag when dropped: at the end of the writers' work, or when
/// a writer's failure unwinds past it. Without it, a failed writer would
/// leave the readers waiting for the flag, and `thread::scope`, which waits
/// for every thread before it passes the panic on, would hang the test
/// instead of failing it.
struct StopOnDrop<'a>(&'a AtomicBool);

impl Drop for StopOnDrop<'_> {
    fn drop(&mut self) {
        // Release: a reader that sees the flag also sees every write made
        // before it, so its last round reads the final state.
        self.0.store(true, Ordering::Release);
    }
}

/// The contents of `v`, front to back, read with `get` once no other thread
/// changes it.
fn contents<V: Vector<T>, T>(v: &V) -> Vec<T> {
    (0..v.len())
        .map(|i| v.get(i).expect("index below the length"))
        .collect()
}

/// While pushes run: `len` never decreases, capacity covers it, every index
/// below an observed length holds a pushed value (never the zero of an
/// unwritten slot), and an element, once seen, never changes. Returns the
/// elements seen (0 where none was read).
fn watch_pushes<V: Vector<u64>>(
    v: &V,
    done: &AtomicBool,
    threads: u64,
    per_thread: u64,
) -> Vec<u64> {
    let mut rng = XorShift::new(999);
    let mut seen: Vec<u64> = Vec::new();
    let mut last_len = 0;
    loop {
        // One more round after the pushers finished, so there is always
        // at least one, however the threads were scheduled. Acquire: pairs
        // with `StopOnDrop`, so the last round sees every push.
        let last_round = done.load(Ordering::Acquire);
        let len = v.len();
        assert!(
            len >= last_len,
            "len went from {last_len} down to {len} while only pushes ran"
        );
        last_len = len;
        let capacity = v.capacity();
        assert!(capacity >= len && is_bucket_prefix(capacity));
        if len == 0 {
            assert!(!last_round, "the pushes left nothing");
            thread::yield_now();
            continue;
        }
        seen.resize(len, 0);
        // The newest element is the likeliest to have its write still
        // pending; the others are random.
        let newest = len as u64 - 1;
        for i in std::iter::once(newest).chain((0..7).map(|_| rng.below(len as u64))) {
            let i = i as usize;
            let value = v
                .get(i)
                .unwrap_or_else(|| panic!("get({i}) = None, but len was already {len}"));
            check_pushed(value, threads, per_thread);
            if seen[i] == 0 {
                seen[i] = value;
            } else {
                assert_eq!(seen[i], value, "index {i} changed while only pushes ran");
            }
        }
        if last_round {
            break;
        }
    }
    seen
}

/// `threads` threads push `per_thread` values each while a reader watches.
pub fn push_only<V: Vector<u64>>(threads: u64, per_thread: u64) {
    let v = V::new();
    let done = AtomicBool::new(false);
    // Released when every pusher is ready, so that they all run at once.
    let start = Barrier::new(threads as usize);
    let seen = thread::scope(|s| {
        let watcher = s.spawn(|| watch_pushes(&v, &done, threads, per_thread));
        let pushers: Vec<_> = (0..threads)
            .map(|t| {
                let (v, start) = (&v, &start);
                s.spawn(move || {
                    start.wait();
                    for c in 1..=per_thread {
                        v.push(encode(t, c));
                    }
                })
            })
            .collect();
        let stop = StopOnDrop(&done);
        for pusher in pushers {
            pusher.join().unwrap();
        }
        drop(stop);
        watcher.join().unwrap()
    });

    let items: Vec<u64> = contents(&v);
    assert_eq!(v.len() as u64, threads * per_thread);
    assert_eq!(items.len() as u64, threads * per_thread);
    // Every value exactly once: each one pushed (its counter in range),
    // each thread's in its push order (so none twice), and all of them.
    for &value in &items {
        check_pushed(value, threads, per_thread);
    }
    let counts = check_per_thread_order(&items, threads);
    assert!(counts.iter().all(|&n| n == per_thread), "{counts:?}");
    // What the reader saw during the run is what is there now.
    for (i, &value) in seen.iter().enumerate() {
        assert!(value == 0 || value == items[i], "index {i}");
    }
}

/// What one thread of [`push_pop`] did.
struct PushPopLog {
    /// It pushed `encode(t, 1..=pushed)`.
    pushed: u64,
    /// Everything its pops returned.
    popped: Vec<u64>,
}

/// Each thread pushes values unique to it and now and then pops, but only
/// while it has pushed more than it popped: then the vector cannot be empty
/// at the moment of the pop (every thread's own balance is never negative),
/// so a `None` would be a bug.
fn push_pop_worker<V: Vector<u64>>(v: &V, t: u64, operations: u64) -> PushPopLog {
    let mut rng = XorShift::new(t + 1);
    let mut log = PushPopLog {
        pushed: 0,
        popped: Vec::new(),
    };
    let mut balance = 0_u64;
    for _ in 0..operations {
        if balance > 0 && rng.below(5) < 2 {
            let value = v
                .pop()
                .unwrap_or_else(|| panic!("thread {t}: pop found the vector empty"));
            log.popped.push(value);
            balance -= 1;
        } else {
            log.pushed += 1;
            v.push(encode(t, log.pushed));
            balance += 1;
        }
    }
    log
}

/// `threads` threads push and pop; afterwards every value pushed was popped
/// once or is still there.
pub fn push_pop<V: Vector<u64>>(threads: u64, per_thread: u64) {
    let v = V::new();
    let start = Barrier::new(threads as usize);
    let logs: Vec<PushPopLog> = thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (v, start) = (&v, &start);
                s.spawn(move || {
                    start.wait();
                    push_pop_worker(v, t, per_thread)
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });

    // What is left keeps each thread's push order: an element never moves,
    // and a later push lands above every element still present.
    let rest: Vec<u64> = contents(&v);
    check_per_thread_order(&rest, threads);
    let mut drained = Vec::new();
    while let Some(value) = v.pop() {
        drained.push(value);
    }
    drained.reverse();
    assert_eq!(drained, rest);
    assert_eq!(v.len(), 0);

    // ANCHOR: multiset
    // Every value pushed was popped exactly once or is still there; nothing
    // was popped twice, and nothing came out that no one put in.
    let mut pushed: Vec<u64> = (0..threads)
        .flat_map(|t| (1..=logs[t as usize].pushed).map(move |c| encode(t, c)))
        .collect();
    let mut came_out: Vec<u64> = logs.iter().flat_map(|log| log.popped.clone()).collect();
    came_out.extend(&drained);
    pushed.sort_unstable();
    came_out.sort_unstable();
    assert_eq!(pushed.len(), came_out.len(), "values lost or duplicated");
    assert_eq!(pushed, came_out, "the popped and remaining values differ");
    // ANCHOR_END: multiset
}

/// The value writer `writer` (counting from 1; 0 is the initial value) sets
/// at `index` in round `round`: the index in the high half, so every value
/// says where it belongs.
fn slot_value(index: u64, writer: u64, round: u64) -> u64 {
    (index << 32) | (writer << 24) | round
}

/// `writers` threads set random indices of a 64-element vector while
/// `readers` threads get them; the sets on each index must form one chain.
pub fn set_get<V: Vector<u64>>(writers: u64, readers: u64, rounds: u64) {
    const LEN: u64 = 64;
    assert!(rounds < 1 << 24);
    let v = V::new();
    for i in 0..LEN {
        v.push(slot_value(i, 0, 0));
    }
    let done = AtomicBool::new(false);
    let start = &Barrier::new(writers as usize);
    // Each writer returns the (old, new) pairs of its successful sets.
    let swaps: Vec<Vec<(u64, u64)>> = thread::scope(|s| {
        for r in 0..readers {
            let (v, done) = (&v, &done);
            s.spawn(move || {
                let mut rng = XorShift::new(100 + r);
                // The latest round seen per (index, writer): a reader never
                // sees a writer's value at an index go back to an older one.
                let mut latest = vec![0_u64; (LEN * (writers + 1)) as usize];
                loop {
                    // Acquire: pairs with `StopOnDrop`, so the last round
                    // reads the writers' final values.
                    let last_round = done.load(Ordering::Acquire);
                    assert_eq!(v.len() as u64, LEN, "set changed the length");
                    let i = rng.below(LEN);
                    let value = v.get(i as usize).expect("index below the length");
                    assert_eq!(value >> 32, i, "get({i}) returned {value:#x}");
                    let (w, round) = ((value >> 24) & 0xff, value & 0xff_ffff);
                    assert!(w <= writers && round <= rounds, "{value:#x} was never set");
                    let key = (i * (writers + 1) + w) as usize;
                    assert!(round >= latest[key], "index {i} went back in time");
                    latest[key] = round;
                    if last_round {
                        break;
                    }
                }
            });
        }
        let handles: Vec<_> = (1..=writers)
            .map(|w| {
                let v = &v;
                s.spawn(move || {
                    start.wait();
                    let mut rng = XorShift::new(w);
                    let mut swaps = Vec::new();
                    for round in 1..=rounds {
                        let i = rng.below(LEN);
                        let new = slot_value(i, w, round);
                        let old = v.set(i as usize, new).expect("index below the length");
                        assert_eq!(old >> 32, i, "set({i}) replaced {old:#x}");
                        swaps.push((old, new));
                    }
                    swaps
                })
            })
            .collect();
        let _stop = StopOnDrop(&done);
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });

    // Every slot encodes its own index.
    let last: Vec<u64> = contents(&v);
    assert_eq!(last.len() as u64, LEN);
    for (i, &value) in last.iter().enumerate() {
        assert_eq!(value >> 32, i as u64);
    }
    // The sets on each slot form one chain: each set replaced exactly the
    // value the previous one wrote, starting from the initial value and
    // ending at the final one. A lost update would show as two sets
    // returning the same old value; a stale one as a broken chain.
    let mut next: HashMap<u64, u64> = HashMap::new();
    for &(old, new) in swaps.iter().flatten() {
        if let Some(other) = next.insert(old, new) {
            panic!("{old:#x} was replaced twice: by {other:#x} and by {new:#x}");
        }
    }
    let mut links = 0;
    for i in 0..LEN {
        let mut value = slot_value(i, 0, 0);
        while let Some(&newer) = next.get(&value) {
            value = newer;
            links += 1;
        }
        assert_eq!(value, last[i as usize], "index {i}: chain ends elsewhere");
    }
    assert_eq!(links, next.len(), "some sets are not on any chain");
    assert_eq!(links as u64, writers * rounds);
}

/// Tallies of one thread of [`same_values`], indexed by value.
#[derive(Default)]
struct Tally {
    pushed: [u64; 4],
    popped: [u64; 4],
    /// Written by a successful `set`.
    set_in: [u64; 4],
    /// Returned (so replaced) by a successful `set`.
    set_out: [u64; 4],
}

/// Many threads push, pop and set the values `0..4` only, on a vector kept
/// short, so the same slots go through the same values over and over: the
/// situation where a stale compare-and-swap could land (the ABA problem).
/// Zero is among the values, the same bits as an unwritten slot.
pub fn same_values<V: Vector<u32>>(threads: u64, per_thread: u64) {
    let v = V::new();
    let start = Barrier::new(threads as usize);
    let tallies: Vec<Tally> = thread::scope(|s| {
        let workers: Vec<_> = (0..threads)
            .map(|t| {
                let (v, start) = (&v, &start);
                s.spawn(move || {
                    start.wait();
                    let mut rng = XorShift::new(t + 7);
                    let mut tally = Tally::default();
                    let mut balance = 0;
                    for _ in 0..per_thread {
                        let value = rng.below(4) as u32;
                        match rng.below(8) {
                            0..=2 if balance > 0 => {
                                let got = v.pop().expect("own balance is positive");
                                assert!(got < 4, "popped {got}, never pushed");
                                tally.popped[got as usize] += 1;
                                balance -= 1;
                            }
                            3 => {
                                let index = rng.below(2 * threads) as usize;
                                if let Some(old) = v.set(index, value) {
                                    assert!(old < 4, "set replaced {old}, never pushed");
                                    tally.set_out[old as usize] += 1;
                                    tally.set_in[value as usize] += 1;
                                }
                            }
                            _ if balance < 3 => {
                                v.push(value);
                                tally.pushed[value as usize] += 1;
                                balance += 1;
                            }
                            _ => {
                                let got = v.pop().expect("own balance is positive");
                                assert!(got < 4, "popped {got}, never pushed");
                                tally.popped[got as usize] += 1;
                                balance -= 1;
                            }
                        }
                    }
                    tally
                })
            })
            .collect();
        workers.into_iter().map(|w| w.join().unwrap()).collect()
    });

    let mut remaining = [0_u64; 4];
    while let Some(value) = v.pop() {
        assert!(value < 4, "{value} was never pushed");
        remaining[value as usize] += 1;
    }
    // ANCHOR: same_values_check
    // Per value: what went in (pushes, and sets that wrote it) equals what
    // came out (pops, and sets that replaced it) plus what is left.
    for (value, &left) in remaining.iter().enumerate() {
        let went_in: u64 = tallies
            .iter()
            .map(|t| t.pushed[value] + t.set_in[value])
            .sum();
        let came_out: u64 = tallies
            .iter()
            .map(|t| t.popped[value] + t.set_out[value])
            .sum();
        assert_eq!(
            went_in,
            came_out + left,
            "value {value}: {went_in} went in, {came_out} came out, {left} remain"
        );
    }
    // ANCHOR_END: same_values_check
}

/// `get` and `set` of indices near `usize::MAX` while one thread pushes and
/// pops the last element, so that the readers often meet a pending write.
/// Every answer must be `None`, as for any index at or past the length.
pub fn huge_indices<V: Vector<u64>>(rounds: u64) {
    let v = V::new();
    v.push(1);
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        for r in 0..2_usize {
            let (v, done) = (&v, &done);
            s.spawn(move || {
                let huge = [usize::MAX, usize::MAX - 1, usize::MAX / 2, 1 << 62];
                let mut checked = 0;
                // Relaxed: the flag only ends the loop; the answers it
                // checks come from the vector's own atomics.
                while !done.load(Ordering::Relaxed) || checked == 0 {
                    for index in huge {
                        assert_eq!(v.get(index), None, "get({index:#x})");
                        if r == 1 {
                            assert_eq!(v.set(index, 9), None, "set({index:#x})");
                        }
                    }
                    checked += 1;
                }
            });
        }
        let _stop = StopOnDrop(&done);
        for k in 0..rounds {
            v.push(k + 2);
            assert_eq!(v.pop(), Some(k + 2));
        }
    });
    assert_eq!(v.pop(), Some(1));
}
