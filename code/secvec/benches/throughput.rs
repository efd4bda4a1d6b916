//! Throughput of `SecVec<u64>` beside the vectors it competes with, at 1, 2,
//! 4 and 8 threads. Run it with `cargo xtask bench`, which also turns
//! criterion's results into the tables and plots of the book's performance
//! chapter.
//!
//! Every benchmark times one *iteration* = `threads` × [`OPS_PER_THREAD`]
//! operations, and declares that many elements of throughput, so criterion
//! reports operations per second and runs at different thread counts
//! compare. For a sample of `iters` iterations the threads are spawned once,
//! each runs `iters` × `OPS_PER_THREAD` operations, and the time runs from
//! the first thread leaving a shared barrier to the last thread finishing.
//! Building the structure (pre-filling it) and dropping it happen outside the
//! timed region, and every sample gets a fresh structure.
//!
//! Every implementation gets identical work: the same operations, in the
//! same order on each thread, with the same random indices (a xorshift
//! generator seeded from the thread's number).

use std::hint::black_box;
use std::sync::{Barrier, Mutex, RwLock};
use std::thread;
use std::time::{Duration, Instant};

mod common;

use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use secvec::SecVec;

/// The thread counts every workload runs at.
const THREADS: [usize; 4] = [1, 2, 4, 8];

/// Operations each thread performs per iteration. A sample runs at least one
/// iteration, so each thread does at least this much work per spawn.
const OPS_PER_THREAD: u64 = 50_000;

/// Elements put in before a get-only, read-mostly or push/pop sample: enough
/// that the push/pop mix never empties the vector, and that the read-mostly
/// mix (three pushes per pop) never shrinks it below [`INDICES`].
const PREFILL: u64 = 1 << 15;

/// Random indices of `get` and `set` stay below this. The elements they touch
/// then fit in a 512 KiB L2 cache for every contestant (128 KiB for
/// `SecVec`'s 16-byte slots), so the benchmark measures synchronization
/// rather than cache misses.
const INDICES: u64 = 1 << 13;

// ---------------------------------------------------------------------------
// The contestants

/// What every contestant offers: a vector of `u64` shared by reference.
trait Contestant: Sync + Sized {
    /// The name shown in reports.
    const NAME: &'static str;
    /// A vector holding `0..len`.
    fn filled(len: u64) -> Self;
    /// Appends `value`.
    fn push(&self, value: u64);
    /// The element at `index`, if there is one.
    fn get(&self, index: usize) -> Option<u64>;
}

/// Contestants that can also remove and overwrite (boxcar cannot).
trait FullContestant: Contestant {
    /// Removes and returns the last element.
    fn pop(&self) -> Option<u64>;
    /// Overwrites the element at `index`, returning the old one.
    fn set(&self, index: usize, value: u64) -> Option<u64>;
}

impl Contestant for SecVec<u64> {
    const NAME: &'static str = "SecVec";
    fn filled(len: u64) -> Self {
        let v = SecVec::with_capacity(len as usize);
        for i in 0..len {
            v.push(i);
        }
        v
    }
    fn push(&self, value: u64) {
        SecVec::push(self, value);
    }
    fn get(&self, index: usize) -> Option<u64> {
        SecVec::get(self, index)
    }
}

impl FullContestant for SecVec<u64> {
    fn pop(&self) -> Option<u64> {
        SecVec::pop(self)
    }
    fn set(&self, index: usize, value: u64) -> Option<u64> {
        SecVec::set(self, index, value)
    }
}

impl Contestant for Mutex<Vec<u64>> {
    const NAME: &'static str = "Mutex<Vec>";
    fn filled(len: u64) -> Self {
        Mutex::new((0..len).collect())
    }
    fn push(&self, value: u64) {
        self.lock().unwrap().push(value);
    }
    fn get(&self, index: usize) -> Option<u64> {
        self.lock().unwrap().get(index).copied()
    }
}

impl FullContestant for Mutex<Vec<u64>> {
    fn pop(&self) -> Option<u64> {
        self.lock().unwrap().pop()
    }
    fn set(&self, index: usize, value: u64) -> Option<u64> {
        let mut v = self.lock().unwrap();
        v.get_mut(index).map(|slot| std::mem::replace(slot, value))
    }
}

impl Contestant for RwLock<Vec<u64>> {
    const NAME: &'static str = "RwLock<Vec>";
    fn filled(len: u64) -> Self {
        RwLock::new((0..len).collect())
    }
    fn push(&self, value: u64) {
        self.write().unwrap().push(value);
    }
    fn get(&self, index: usize) -> Option<u64> {
        self.read().unwrap().get(index).copied()
    }
}

impl FullContestant for RwLock<Vec<u64>> {
    fn pop(&self) -> Option<u64> {
        self.write().unwrap().pop()
    }
    fn set(&self, index: usize, value: u64) -> Option<u64> {
        let mut v = self.write().unwrap();
        v.get_mut(index).map(|slot| std::mem::replace(slot, value))
    }
}

impl Contestant for parking_lot::Mutex<Vec<u64>> {
    const NAME: &'static str = "parking_lot::Mutex<Vec>";
    fn filled(len: u64) -> Self {
        parking_lot::Mutex::new((0..len).collect())
    }
    fn push(&self, value: u64) {
        self.lock().push(value);
    }
    fn get(&self, index: usize) -> Option<u64> {
        self.lock().get(index).copied()
    }
}

impl FullContestant for parking_lot::Mutex<Vec<u64>> {
    fn pop(&self) -> Option<u64> {
        self.lock().pop()
    }
    fn set(&self, index: usize, value: u64) -> Option<u64> {
        let mut v = self.lock();
        v.get_mut(index).map(|slot| std::mem::replace(slot, value))
    }
}

impl Contestant for boxcar::Vec<u64> {
    const NAME: &'static str = "boxcar::Vec";
    fn filled(len: u64) -> Self {
        let v = boxcar::Vec::with_capacity(len as usize);
        for i in 0..len {
            v.push(i);
        }
        v
    }
    fn push(&self, value: u64) {
        boxcar::Vec::push(self, value);
    }
    fn get(&self, index: usize) -> Option<u64> {
        boxcar::Vec::get(self, index).copied()
    }
}

// ---------------------------------------------------------------------------
// The workloads

/// A xorshift64 generator: a few cycles per number, the same sequence for
/// every contestant.
struct XorShift(u64);

impl XorShift {
    /// The generator of thread `thread`.
    fn for_thread(thread: usize) -> Self {
        XorShift((thread as u64 + 1).wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1)
    }

    fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }

    /// A number below `bound`, by multiply-and-shift (cheaper than `%`).
    fn below(&mut self, bound: u64) -> usize {
        ((u128::from(self.next()) * u128::from(bound)) >> 64) as usize
    }
}

fn push_only<C: Contestant>(v: &C, _thread: usize, ops: u64) {
    for i in 0..ops {
        v.push(i);
    }
}

fn pop_only<C: FullContestant>(v: &C, _thread: usize, ops: u64) {
    for _ in 0..ops {
        black_box(v.pop());
    }
}

fn push_pop<C: FullContestant>(v: &C, thread: usize, ops: u64) {
    let mut rng = XorShift::for_thread(thread);
    for _ in 0..ops {
        let r = rng.next();
        if r & 1 == 0 {
            v.push(r);
        } else {
            black_box(v.pop());
        }
    }
}

fn read_mostly<C: FullContestant>(v: &C, thread: usize, ops: u64) {
    let mut rng = XorShift::for_thread(thread);
    for _ in 0..ops {
        let r = rng.next();
        // 70% get, 10% set, 15% push, 5% pop.
        match r % 100 {
            0..=69 => {
                black_box(v.get(rng.below(INDICES)));
            }
            70..=79 => {
                black_box(v.set(rng.below(INDICES), r));
            }
            80..=94 => v.push(r),
            _ => {
                black_box(v.pop());
            }
        }
    }
}

fn get_only<C: Contestant>(v: &C, thread: usize, ops: u64) {
    let mut rng = XorShift::for_thread(thread);
    for _ in 0..ops {
        black_box(v.get(rng.below(INDICES)));
    }
}

// ---------------------------------------------------------------------------
// Timing

/// Runs one sample: builds the vector with `prefill(ops)` (where `ops` is
/// the sample's total operation count), then lets `threads` threads run
/// `work` for `iters` iterations each, all released by one barrier. Returns
/// the time from the first thread starting to the last one finishing.
fn sample<C: Sync>(
    threads: usize,
    iters: u64,
    prefill: impl Fn(u64) -> C,
    work: fn(&C, usize, u64),
) -> Duration {
    let ops_per_thread = iters * OPS_PER_THREAD;
    let vector = prefill(ops_per_thread * threads as u64);
    let barrier = Barrier::new(threads);
    let spans: Vec<(Instant, Instant)> = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (vector, barrier) = (&vector, &barrier);
                scope.spawn(move || {
                    barrier.wait();
                    let start = Instant::now();
                    work(vector, t, ops_per_thread);
                    (start, Instant::now())
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("a benchmark thread panicked"))
            .collect()
    });
    drop(vector); // outside the timed region
    common::wall_time(&spans)
}

/// Registers the benchmark of contestant `C` at `threads` threads in `group`.
fn bench<C: Contestant>(
    group: &mut BenchmarkGroup<'_, WallTime>,
    threads: usize,
    prefill: fn(u64) -> C,
    work: fn(&C, usize, u64),
) {
    group.bench_with_input(BenchmarkId::new(C::NAME, threads), &threads, |b, &t| {
        b.iter_custom(|iters| sample(t, iters, prefill, work));
    });
}

/// A group for one workload, with its throughput set per thread count.
fn workload(
    c: &mut Criterion,
    name: &str,
    mut each: impl FnMut(&mut BenchmarkGroup<'_, WallTime>, usize),
) {
    let mut group = c.benchmark_group(name);
    // Each iteration is long (thousands of operations per thread), so every
    // sample runs the same number of iterations.
    group.sampling_mode(SamplingMode::Flat);
    for threads in THREADS {
        group.throughput(Throughput::Elements(threads as u64 * OPS_PER_THREAD));
        each(&mut group, threads);
    }
    group.finish();
}

fn empty<C: Contestant>(_ops: u64) -> C {
    C::filled(0)
}

fn exactly<C: Contestant>(ops: u64) -> C {
    C::filled(ops)
}

fn prefilled<C: Contestant>(_ops: u64) -> C {
    C::filled(PREFILL)
}

fn benches(c: &mut Criterion) {
    workload(c, "push", |g, t| {
        bench::<SecVec<u64>>(g, t, empty, push_only);
        bench::<Mutex<Vec<u64>>>(g, t, empty, push_only);
        bench::<RwLock<Vec<u64>>>(g, t, empty, push_only);
        bench::<parking_lot::Mutex<Vec<u64>>>(g, t, empty, push_only);
        bench::<boxcar::Vec<u64>>(g, t, empty, push_only);
    });
    // Exactly as many elements as the sample pops: every pop succeeds.
    workload(c, "pop", |g, t| {
        bench::<SecVec<u64>>(g, t, exactly, pop_only);
        bench::<Mutex<Vec<u64>>>(g, t, exactly, pop_only);
        bench::<RwLock<Vec<u64>>>(g, t, exactly, pop_only);
        bench::<parking_lot::Mutex<Vec<u64>>>(g, t, exactly, pop_only);
    });
    workload(c, "push_pop", |g, t| {
        bench::<SecVec<u64>>(g, t, prefilled, push_pop);
        bench::<Mutex<Vec<u64>>>(g, t, prefilled, push_pop);
        bench::<RwLock<Vec<u64>>>(g, t, prefilled, push_pop);
        bench::<parking_lot::Mutex<Vec<u64>>>(g, t, prefilled, push_pop);
    });
    workload(c, "read_mostly", |g, t| {
        bench::<SecVec<u64>>(g, t, prefilled, read_mostly);
        bench::<Mutex<Vec<u64>>>(g, t, prefilled, read_mostly);
        bench::<RwLock<Vec<u64>>>(g, t, prefilled, read_mostly);
        bench::<parking_lot::Mutex<Vec<u64>>>(g, t, prefilled, read_mostly);
    });
    workload(c, "get", |g, t| {
        bench::<SecVec<u64>>(g, t, prefilled, get_only);
        bench::<Mutex<Vec<u64>>>(g, t, prefilled, get_only);
        bench::<RwLock<Vec<u64>>>(g, t, prefilled, get_only);
        bench::<parking_lot::Mutex<Vec<u64>>>(g, t, prefilled, get_only);
        bench::<boxcar::Vec<u64>>(g, t, prefilled, get_only);
    });
}

criterion_group! {
    name = throughput;
    // 10 samples of 4 s after 1 s of warm-up when run by hand. `cargo xtask
    // bench` instead runs three passes of 1.5 s after 0.5 s (the median of
    // passes minutes apart resists a noisy minute on a shared machine), and
    // `--quick` one pass of 0.5 s after 0.2 s, both on the command line.
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(4))
        .without_plots();
    targets = benches
}
criterion_main!(throughput);
