//! The workloads: which operations each thread performs, drawn from a
//! generator seeded with the thread's number, so that every contestant
//! executes exactly the same operations in the same order.

use std::hint::black_box;
use std::sync::Barrier;
use std::thread;
use std::time::{Duration, Instant};

use crate::contestants::FullContestant;

/// Elements put in before a get-only, read-mostly or push/pop run: enough
/// that the push/pop mix never empties the vector, and that the read-mostly
/// mix (three pushes per pop) never shrinks it below [`INDICES`].
pub const PREFILL: u64 = 1 << 15;

/// Random indices of `get` and `set` stay below this. The elements they touch
/// then fit in a 512 KiB L2 cache for every contestant (128 KiB for
/// `SecVec`'s 16-byte slots), so the benchmarks measure synchronization
/// rather than cache misses.
pub const INDICES: u64 = 1 << 13;

/// A xorshift64 generator: a few cycles per number, the same sequence for
/// every contestant.
pub struct XorShift(u64);

impl XorShift {
    /// The generator of thread `thread`.
    pub fn for_thread(thread: usize) -> Self {
        XorShift((thread as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    /// The next number of the sequence.
    #[inline]
    #[allow(clippy::should_implement_trait)] // not an iterator: it never ends
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `bound`, by multiply-and-shift (cheaper than `%`).
    #[inline]
    pub fn below(&mut self, bound: u64) -> usize {
        ((u128::from(self.next()) * u128::from(bound)) >> 64) as usize
    }
}

/// One operation on a vector.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `push(value)`.
    Push(u64),
    /// `pop()`.
    Pop,
    /// `get(index)`.
    Get(usize),
    /// `set(index, value)`.
    Set(usize, u64),
}

/// Performs `op` on `v`, keeping its result from being optimized away.
#[inline(always)]
pub fn apply<C: FullContestant>(v: &C, op: Op) {
    match op {
        Op::Push(value) => v.push(value),
        Op::Pop => {
            black_box(v.pop());
        }
        Op::Get(index) => {
            black_box(v.get(index));
        }
        Op::Set(index, value) => {
            black_box(v.set(index, value));
        }
    }
}

/// A mix of operations that draws each operation at random.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Mix {
    /// A coin flip before each operation: push or pop.
    PushPop,
    /// 70% `get`, 10% `set`, 15% `push`, 5% `pop`, at indices below
    /// [`INDICES`].
    ReadMostly,
}

impl Mix {
    /// Both mixes, in the order reports list them.
    pub const ALL: [Mix; 2] = [Mix::PushPop, Mix::ReadMostly];

    /// The workload's id, as in the throughput benchmark's group names.
    pub fn id(self) -> &'static str {
        match self {
            Mix::PushPop => "push_pop",
            Mix::ReadMostly => "read_mostly",
        }
    }

    /// The mix with id `id`.
    pub fn from_id(id: &str) -> Option<Mix> {
        Mix::ALL.into_iter().find(|m| m.id() == id)
    }

    /// The next operation, drawn with `rng`.
    #[inline(always)]
    pub fn next(self, rng: &mut XorShift) -> Op {
        let r = rng.next();
        match self {
            Mix::PushPop if r & 1 == 0 => Op::Push(r),
            Mix::PushPop => Op::Pop,
            Mix::ReadMostly => match r % 100 {
                0..=69 => Op::Get(rng.below(INDICES)),
                70..=79 => Op::Set(rng.below(INDICES), r),
                80..=94 => Op::Push(r),
                _ => Op::Pop,
            },
        }
    }
}

/// Thread `thread` performs `ops` operations of `mix` on `v`.
#[inline(always)]
pub fn run_mix<C: FullContestant>(v: &C, mix: Mix, thread: usize, ops: u64) {
    // With no pauses, the inlined loop of pauses compiles to nothing.
    run_mix_with_work(v, mix, thread, ops, 0);
}

/// Like [`run_mix`], with `pauses` `pause` instructions after each
/// operation: a program that does a little work of its own between
/// operations on the vector. A `pause` took about 15 ns on the book's
/// machine, and varies from processor to processor.
#[inline(always)]
pub fn run_mix_with_work<C: FullContestant>(v: &C, mix: Mix, thread: usize, ops: u64, pauses: u32) {
    let mut rng = XorShift::for_thread(thread);
    for _ in 0..ops {
        apply(v, mix.next(&mut rng));
        for _ in 0..pauses {
            std::hint::spin_loop();
        }
    }
}

/// Operations each thread performs in one iteration of a criterion
/// benchmark that uses [`sample`]. A sample runs at least one iteration, so
/// each thread does at least this much work per spawn.
pub const OPS_PER_THREAD: u64 = 50_000;

/// Runs one criterion sample: builds the vector with `prefill(ops)` (where
/// `ops` is the sample's total operation count), then lets `threads` threads
/// run `work(vector, thread, ops_per_thread)` for `iters` iterations of
/// [`OPS_PER_THREAD`] operations each, all released by one barrier. Returns
/// the time from the first thread starting to the last one finishing; the
/// vector is dropped outside it.
pub fn sample<C: Sync>(
    threads: usize,
    iters: u64,
    prefill: impl Fn(u64) -> C,
    work: impl Fn(&C, usize, u64) + Sync,
) -> Duration {
    let ops_per_thread = iters * OPS_PER_THREAD;
    let vector = prefill(ops_per_thread * threads as u64);
    let elapsed = time_threads(threads, |t| work(&vector, t, ops_per_thread));
    drop(vector); // outside the timed region
    elapsed
}

/// Runs `work(thread)` on `threads` threads, spawned first and then
/// released together by one barrier, and returns the wall-clock time from
/// the first thread starting its work to the last one finishing: the timed
/// region of a criterion sample, without the spawning.
pub fn time_threads(threads: usize, work: impl Fn(usize) + Sync) -> Duration {
    let barrier = Barrier::new(threads);
    let spans: Vec<(Instant, Instant)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (work, barrier) = (&work, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    work(t);
                    (start, Instant::now())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a benchmark thread panicked"))
            .collect()
    });
    let start = spans
        .iter()
        .map(|s| s.0)
        .min()
        .expect("at least one thread");
    let end = spans
        .iter()
        .map(|s| s.1)
        .max()
        .expect("at least one thread");
    end.duration_since(start)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// The read-mostly mix draws its operations in the advertised shares.
    #[test]
    fn read_mostly_shares() {
        let mut rng = XorShift::for_thread(0);
        let mut counts = [0u32; 4];
        for _ in 0..100_000 {
            let kind = match Mix::ReadMostly.next(&mut rng) {
                Op::Get(i) => {
                    assert!((i as u64) < INDICES);
                    0
                }
                Op::Set(..) => 1,
                Op::Push(_) => 2,
                Op::Pop => 3,
            };
            counts[kind] += 1;
        }
        let shares = counts.map(|c| (f64::from(c) / 1000.0).round() as u32);
        assert_eq!(shares, [70, 10, 15, 5]);
    }

    #[test]
    fn mixes_round_trip_their_ids() {
        for mix in Mix::ALL {
            assert_eq!(Mix::from_id(mix.id()), Some(mix));
        }
    }
}
