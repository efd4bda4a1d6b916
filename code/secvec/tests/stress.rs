//! Stress tests: many threads hammer one `SecVec`, and afterwards (and
//! sometimes during) the test checks invariants that any correct, linearizable
//! vector keeps: nothing lost, nothing duplicated, nothing invented, and
//! orders that sequential code would produce.
//!
//! The thread counts go well beyond the two cores of a small CI machine on
//! purpose: with 16 threads on 2 cores the scheduler preempts threads in the
//! middle of an operation, between reading the descriptor and swapping it,
//! which is where the helping and the hazard pointers earn their keep.
//!
//! Sizes are chosen so that each test takes about a second in a debug build
//! on two cores. The environment variable `SECVEC_STRESS_SCALE` multiplies
//! every loop count (default `1`; e.g. `0.1` under valgrind, `10` for a long
//! soak):
//!
//! ```text
//! SECVEC_STRESS_SCALE=10 cargo test -p secvec --release --test stress
//!
//! cargo test -p secvec --test stress --no-run   # prints the binary's path
//! SECVEC_STRESS_SCALE=0.1 valgrind --leak-check=full \
//!     --errors-for-leak-kinds=definite --error-exitcode=1 \
//!     target/debug/deps/stress-<hash> push_pop_16_threads --test-threads 1
//! ```
//!
//! Under valgrind, "definitely lost" must be 0; haphazard's global domain
//! leaves its hazard-pointer records and not yet reclaimed descriptors
//! "still reachable" at exit.
//!
//! No test asserts anything about timing.

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::sync::{Arc, Barrier, Weak};
use std::thread;

use secvec::SecVec;

/// `base` multiplied by `SECVEC_STRESS_SCALE`, at least 1.
fn scaled(base: u64) -> u64 {
    let scale: f64 = std::env::var("SECVEC_STRESS_SCALE")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(1.0);
    ((base as f64 * scale) as u64).max(1)
}

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

/// Capacities a vector can have: a prefix of buckets of 8, 16, 32, ... slots.
fn is_bucket_prefix(capacity: usize) -> bool {
    capacity % 8 == 0 && (capacity / 8 + 1).is_power_of_two()
}

// ---------------------------------------------------------------------------
// Push only
// ---------------------------------------------------------------------------

/// While pushes run: `len` never decreases, capacity covers it, every index
/// below an observed length holds a pushed value (never the zero of an
/// unwritten slot), and an element, once seen, never changes. Returns the
/// elements seen (0 where none was read) and how many reads were made.
fn watch_pushes(
    v: &SecVec<u64>,
    done: &AtomicBool,
    threads: u64,
    per_thread: u64,
) -> (Vec<u64>, u64) {
    let mut rng = XorShift::new(999);
    let mut seen: Vec<u64> = Vec::new();
    let mut last_len = 0;
    let mut reads = 0;
    loop {
        // One more round after the pushers finished, so there is always
        // at least one, however the threads were scheduled.
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
            reads += 1;
        }
        if last_round {
            break;
        }
    }
    (seen, reads)
}

/// `threads` threads push `per_thread` values each while a reader watches.
fn push_only(threads: u64, per_thread: u64) {
    let v = SecVec::new();
    let done = AtomicBool::new(false);
    // Released when every pusher is ready, so that they all run at once.
    let start = Barrier::new(threads as usize);
    let (seen, reads) = thread::scope(|s| {
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
        for pusher in pushers {
            pusher.join().unwrap();
        }
        done.store(true, Ordering::Release);
        watcher.join().unwrap()
    });

    let items: Vec<u64> = v.iter().collect();
    assert_eq!(v.len() as u64, threads * per_thread);
    assert_eq!(items.len() as u64, threads * per_thread);
    // Every value exactly once, and each thread's values in its push order.
    let counts = check_per_thread_order(&items, threads);
    assert!(counts.iter().all(|&n| n == per_thread), "{counts:?}");
    // What the reader saw during the run is what is there now.
    for (i, &value) in seen.iter().enumerate() {
        assert!(value == 0 || value == items[i], "index {i}");
    }
    assert!(reads > 0, "the reader never read");
}

#[test]
fn push_only_2_threads() {
    push_only(2, scaled(100_000));
}

#[test]
fn push_only_8_threads() {
    push_only(8, scaled(25_000));
}

#[test]
fn push_only_16_threads() {
    push_only(16, scaled(12_500));
}

// ---------------------------------------------------------------------------
// Push and pop
// ---------------------------------------------------------------------------

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
fn push_pop_worker(v: &SecVec<u64>, t: u64, operations: u64) -> PushPopLog {
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

fn push_pop(threads: u64, per_thread: u64) {
    let v = SecVec::new();
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
    let rest: Vec<u64> = v.iter().collect();
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

#[test]
fn push_pop_4_threads() {
    push_pop(4, scaled(50_000));
}

#[test]
fn push_pop_8_threads() {
    push_pop(8, scaled(25_000));
}

#[test]
fn push_pop_16_threads() {
    push_pop(16, scaled(12_500));
}

// ---------------------------------------------------------------------------
// Set and get
// ---------------------------------------------------------------------------

/// The value writer `writer` (counting from 1; 0 is the initial value) sets
/// at `index` in round `round`: the index in the high half, so every value
/// says where it belongs.
fn slot_value(index: u64, writer: u64, round: u64) -> u64 {
    (index << 32) | (writer << 24) | round
}

fn set_get(writers: u64, readers: u64, rounds: u64) {
    const LEN: u64 = 64;
    assert!(rounds < 1 << 24);
    let v: SecVec<u64> = (0..LEN).map(|i| slot_value(i, 0, 0)).collect();
    let done = AtomicBool::new(false);
    let reads = AtomicUsize::new(0);
    let start = &Barrier::new(writers as usize);
    // Each writer returns the (old, new) pairs of its successful sets.
    let swaps: Vec<Vec<(u64, u64)>> = thread::scope(|s| {
        for r in 0..readers {
            let (v, done, reads) = (&v, &done, &reads);
            s.spawn(move || {
                let mut rng = XorShift::new(100 + r);
                // The latest round seen per (index, writer): a reader never
                // sees a writer's value at an index go back to an older one.
                let mut latest = vec![0_u64; (LEN * (writers + 1)) as usize];
                loop {
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
                    reads.fetch_add(1, Ordering::Relaxed);
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
        let swaps = handles.into_iter().map(|h| h.join().unwrap()).collect();
        done.store(true, Ordering::Release);
        swaps
    });
    assert!(reads.load(Ordering::Relaxed) >= readers as usize);

    // Every slot encodes its own index.
    let last: Vec<u64> = v.iter().collect();
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

#[test]
fn set_get_2_writers_2_readers() {
    set_get(2, 2, scaled(100_000));
}

#[test]
fn set_get_8_writers_8_readers() {
    set_get(8, 8, scaled(25_000));
}

// ---------------------------------------------------------------------------
// ABA pressure: the same few values again and again
// ---------------------------------------------------------------------------

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
fn same_values(threads: u64, per_thread: u64) {
    let v: SecVec<u32> = SecVec::new();
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

#[test]
fn same_values_4_threads() {
    same_values(4, scaled(50_000));
}

#[test]
fn same_values_16_threads() {
    same_values(16, scaled(12_500));
}

// ---------------------------------------------------------------------------
// Iteration during changes
// ---------------------------------------------------------------------------

/// Iterates over and over while `pushers` threads push and `poppers` threads
/// pop. Each pass may yield only pushed values, each thread's values in push
/// order (so no duplicates), and, while nothing pops, at least as many items
/// as the length before the pass, forming a prefix of the final contents.
fn iterate_during(pushers: u64, poppers: u64, per_thread: u64) {
    let v = SecVec::new();
    let done = AtomicBool::new(false);
    let pops_done = AtomicUsize::new(0);
    let passes: Vec<Vec<u64>> = thread::scope(|s| {
        let iterator = s.spawn(|| {
            let mut passes = Vec::new();
            let mut count = 0_u64;
            loop {
                let last_round = done.load(Ordering::Acquire);
                let len_before = v.len();
                let items: Vec<u64> = v.iter().collect();
                for &value in &items {
                    check_pushed(value, pushers, per_thread);
                }
                check_per_thread_order(&items, pushers);
                if poppers == 0 {
                    assert!(items.len() >= len_before, "the pass stopped early");
                    // Keep a few passes to compare with the final contents.
                    if count.is_power_of_two() {
                        passes.push(items);
                    }
                }
                count += 1;
                if last_round {
                    break;
                }
            }
            assert!(count > 0);
            passes
        });
        let mut handles = Vec::new();
        for t in 0..pushers {
            let v = &v;
            handles.push(s.spawn(move || {
                for c in 1..=per_thread {
                    v.push(encode(t, c));
                }
            }));
        }
        for _ in 0..poppers {
            let (v, pops_done) = (&v, &pops_done);
            handles.push(s.spawn(move || {
                for _ in 0..per_thread / 2 {
                    if v.pop().is_some() {
                        pops_done.fetch_add(1, Ordering::Relaxed);
                    }
                }
            }));
        }
        for handle in handles {
            handle.join().unwrap();
        }
        done.store(true, Ordering::Release);
        iterator.join().unwrap()
    });

    let last: Vec<u64> = v.iter().collect();
    let pops = pops_done.load(Ordering::Relaxed) as u64;
    assert_eq!(last.len() as u64, pushers * per_thread - pops);
    check_per_thread_order(&last, pushers);
    for pass in &passes {
        assert_eq!(pass[..], last[..pass.len()], "a pass was not a prefix");
    }
}

#[test]
fn iterate_during_pushes() {
    iterate_during(4, 0, scaled(25_000));
}

#[test]
fn iterate_during_pushes_and_pops() {
    iterate_during(4, 4, scaled(25_000));
}

// ---------------------------------------------------------------------------
// Reads while the length rises and falls across the floor
// ---------------------------------------------------------------------------

/// One writer's schedule: the length climbs to a random height and falls back
/// to a random low point, round after round, so the floor rises and falls
/// many times. Operation `k` (counting from 1) pushes the value `k` if
/// `pushes[k]`; `len[k]` is the length after it (`len[0] = 0`).
struct Schedule {
    pushes: Vec<bool>,
    len: Vec<u64>,
    /// For the push of operation `k`: the operation that pops it, or
    /// `u64::MAX` if it is never popped.
    popped_by: Vec<u64>,
}

impl Schedule {
    fn new(rounds: u64) -> Schedule {
        let mut rng = XorShift::new(77);
        let (mut pushes, mut len) = (vec![false], vec![0]);
        let mut popped_by = vec![u64::MAX];
        // The push operation at each index, like a stack of op numbers.
        let mut stack: Vec<u64> = Vec::new();
        for _ in 0..rounds {
            let high = 64 + rng.below(960);
            let low = rng.below(high / 4);
            for (target, push) in [(high, true), (low, false)] {
                while if push {
                    (stack.len() as u64) < target
                } else {
                    stack.len() as u64 > target
                } {
                    let k = pushes.len() as u64;
                    pushes.push(push);
                    popped_by.push(u64::MAX);
                    if push {
                        stack.push(k);
                    } else {
                        let p = stack.pop().expect("the low point is below the high one");
                        popped_by[p as usize] = k;
                    }
                    len.push(stack.len() as u64);
                }
            }
        }
        Schedule {
            pushes,
            len,
            popped_by,
        }
    }

    /// Whether `get(index)` may return `result` if it started after
    /// operation `first` and ended before operation `last + 1` finished:
    /// some state after an operation in `first..=last + 1` must agree.
    fn allows(&self, index: u64, result: Option<u64>, first: u64, last: u64) -> bool {
        let last = (last + 1).min(self.len.len() as u64 - 1);
        match result {
            None => (first..=last).any(|k| self.len[k as usize] <= index),
            Some(p) => {
                // `p` is a push that put its value at `index`, was done by
                // `last + 1` and was not popped before `first`.
                let k = p as usize;
                k < self.pushes.len()
                    && self.pushes[k]
                    && self.len[k] == index + 1
                    && p <= last
                    && self.popped_by[k] > first
            }
        }
    }
}

/// One thread pushes and pops on a fixed schedule, publishing how many
/// operations it has finished; reader threads `get` random indices and check
/// each answer against the schedule: an element may be returned only if it
/// was at that index at some moment during the `get`, and `None` only if
/// the length was at or below the index. This is what catches a floor left
/// above the length, since a `get` below the floor never reads the
/// descriptor.
#[test]
fn gets_while_the_length_rises_and_falls() {
    let schedule = Schedule::new(scaled(1000));
    let v = SecVec::new();
    let finished = AtomicUsize::new(0);
    let checked = AtomicUsize::new(0);
    thread::scope(|s| {
        for r in 0..2 {
            let (v, schedule, finished, checked) = (&v, &schedule, &finished, &checked);
            s.spawn(move || {
                let mut rng = XorShift::new(500 + r);
                let end = schedule.pushes.len() - 1;
                loop {
                    let first = finished.load(Ordering::Acquire);
                    let index = rng.below(1024);
                    let result = v.get(index as usize);
                    let last = finished.load(Ordering::Acquire);
                    assert!(
                        schedule.allows(index, result, first as u64, last as u64),
                        "get({index}) = {result:?} between operations {first} and {last}"
                    );
                    checked.fetch_add(1, Ordering::Relaxed);
                    if first == end {
                        break;
                    }
                }
            });
        }
        for k in 1..schedule.pushes.len() {
            if schedule.pushes[k] {
                v.push(k as u64);
            } else {
                assert!(v.pop().is_some());
            }
            finished.store(k, Ordering::Release);
        }
    });
    assert_eq!(v.len() as u64, *schedule.len.last().unwrap());
    assert!(checked.load(Ordering::Relaxed) >= 2);
}

/// `get` and `set` of indices near `usize::MAX` while one thread pushes and
/// pops the last element, so that the readers often find a write pending.
/// Every answer must be `None`, as for any index at or past the length; an
/// `index + 1` on the way there used to overflow and panic instead.
#[test]
fn huge_indices_while_the_last_element_churns() {
    let rounds = scaled(200_000);
    let v = SecVec::new();
    v.push(1_u64);
    let done = AtomicBool::new(false);
    thread::scope(|s| {
        for r in 0..2_usize {
            let (v, done) = (&v, &done);
            s.spawn(move || {
                let huge = [usize::MAX, usize::MAX - 1, usize::MAX / 2, 1 << 62];
                let mut checked = 0;
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
        for k in 0..rounds {
            v.push(k + 2);
            assert_eq!(v.pop(), Some(k + 2));
        }
        done.store(true, Ordering::Relaxed);
    });
    assert_eq!(v.pop(), Some(1));
}

// ---------------------------------------------------------------------------
// Reserve and capacity during pushes
// ---------------------------------------------------------------------------

/// Threads reserve while others push; the capacity only grows, stays a
/// prefix of buckets, covers the length and every reservation.
#[test]
fn reserve_during_pushes() {
    let per_thread = scaled(25_000);
    let v = SecVec::new();
    thread::scope(|s| {
        for t in 0..4 {
            let v = &v;
            s.spawn(move || {
                for c in 1..=per_thread {
                    v.push(encode(t, c));
                }
            });
        }
        for r in 0..2 {
            let v = &v;
            s.spawn(move || {
                let mut rng = XorShift::new(r + 50);
                let mut last_capacity = 0;
                for _ in 0..per_thread / 4 {
                    let additional = rng.below(300) as usize;
                    let len = v.len();
                    v.reserve(additional);
                    let capacity = v.capacity();
                    assert!(capacity >= len + additional, "reserve fell short");
                    assert!(capacity >= last_capacity, "capacity shrank");
                    assert!(is_bucket_prefix(capacity), "capacity {capacity}");
                    last_capacity = capacity;
                }
            });
        }
    });
    let items: Vec<u64> = v.iter().collect();
    let counts = check_per_thread_order(&items, 4);
    assert!(counts.iter().all(|&n| n == per_thread));
}

// ---------------------------------------------------------------------------
// Dropping
// ---------------------------------------------------------------------------

/// A vector shared through `Arc` is dropped by whichever thread lets go
/// last, after the others finished with it. Run under valgrind (see the
/// testing chapter) this shows that the buckets and the descriptors are
/// freed no matter which thread drops the vector.
#[test]
fn dropped_by_the_last_thread() {
    let threads = 8;
    let per_thread = scaled(2_500);
    for round in 0..scaled(10) {
        let v = Arc::new(SecVec::new());
        let weak: Weak<SecVec<u64>> = Arc::downgrade(&v);
        let finishers = AtomicUsize::new(0);
        let pushed = AtomicUsize::new(0);
        let popped = AtomicUsize::new(0);
        thread::scope(|s| {
            for t in 0..threads {
                let v = Arc::clone(&v);
                let (finishers, pushed, popped) = (&finishers, &pushed, &popped);
                s.spawn(move || {
                    let log = push_pop_worker(&v, t, per_thread);
                    pushed.fetch_add(log.pushed as usize, Ordering::Relaxed);
                    popped.fetch_add(log.popped.len(), Ordering::Relaxed);
                    // Exactly one thread ends up owning the vector. Letting
                    // go of an `Arc` orders the others' counts before this.
                    if let Some(v) = Arc::into_inner(v) {
                        let expected =
                            pushed.load(Ordering::Relaxed) - popped.load(Ordering::Relaxed);
                        assert_eq!(v.len(), expected);
                        let rest: Vec<u64> = v.iter().collect();
                        check_per_thread_order(&rest, threads);
                        finishers.fetch_add(1, Ordering::Relaxed);
                        // `v` is dropped here, on whichever thread this is.
                    }
                });
            }
            // The main thread lets go first.
            drop(v);
        });
        assert!(weak.upgrade().is_none(), "round {round}: still alive");
        assert_eq!(finishers.load(Ordering::Relaxed), 1);
    }
}

/// Several threads create vectors, fill them across several buckets, use
/// them alone or shared with a helper thread, and drop them, many times.
#[test]
fn many_vectors_created_and_dropped() {
    let rounds = scaled(150);
    thread::scope(|s| {
        for t in 0..4 {
            s.spawn(move || {
                let mut rng = XorShift::new(t + 1000);
                for round in 0..rounds {
                    let n = rng.below(300);
                    let v: SecVec<u64> = if round % 3 == 0 {
                        SecVec::with_capacity(n as usize)
                    } else {
                        SecVec::new()
                    };
                    if round % 2 == 0 {
                        // Shared with a second thread for a while.
                        thread::scope(|inner| {
                            inner.spawn(|| (1..=n).for_each(|c| v.push(encode(1, c))));
                            (1..=n).for_each(|c| v.push(encode(0, c)));
                        });
                        let counts = check_per_thread_order(&v.iter().collect::<Vec<_>>(), 2);
                        assert_eq!(counts, [n, n]);
                    } else {
                        (1..=n).for_each(|c| v.push(encode(t, c)));
                        assert_eq!(v.len() as u64, n);
                    }
                    // Pop some, leave the rest to `drop`.
                    for _ in 0..rng.below(n + 1) {
                        assert!(v.pop().is_some());
                    }
                }
            });
        }
    });
}
