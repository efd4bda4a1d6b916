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
use std::time::Duration;

use bench::contestants::{each_full_contestant, Contestant, FullContestant, Visit};
use bench::workload::{run_mix, sample, Mix, XorShift, INDICES, OPS_PER_THREAD, PREFILL};
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};

/// The thread counts every workload runs at.
const THREADS: [usize; 4] = [1, 2, 4, 8];

// ---------------------------------------------------------------------------
// The workloads

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
    run_mix(v, Mix::PushPop, thread, ops);
}

/// 70% get, 10% set, 15% push, 5% pop.
fn read_mostly<C: FullContestant>(v: &C, thread: usize, ops: u64) {
    run_mix(v, Mix::ReadMostly, thread, ops);
}

fn get_only<C: Contestant>(v: &C, thread: usize, ops: u64) {
    let mut rng = XorShift::for_thread(thread);
    for _ in 0..ops {
        black_box(v.get(rng.below(INDICES)));
    }
}

// ---------------------------------------------------------------------------
// Timing

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

/// The workloads every full contestant runs.
#[derive(Clone, Copy)]
enum Work {
    Push,
    Pop,
    PushPop,
    ReadMostly,
    Get,
}

/// Registers one workload's benchmark for each full contestant.
struct Register<'g, 'c> {
    group: &'g mut BenchmarkGroup<'c, WallTime>,
    threads: usize,
    work: Work,
}

impl Visit for Register<'_, '_> {
    fn visit<C: FullContestant>(&mut self) {
        let (g, t) = (&mut *self.group, self.threads);
        match self.work {
            Work::Push => bench::<C>(g, t, empty, push_only),
            // Exactly as many elements as the sample pops: every pop succeeds.
            Work::Pop => bench::<C>(g, t, exactly, pop_only),
            Work::PushPop => bench::<C>(g, t, prefilled, push_pop),
            Work::ReadMostly => bench::<C>(g, t, prefilled, read_mostly),
            Work::Get => bench::<C>(g, t, prefilled, get_only),
        }
    }
}

fn benches(c: &mut Criterion) {
    let register = |work: Work| {
        move |group: &mut BenchmarkGroup<'_, WallTime>, threads: usize| {
            each_full_contestant(&mut Register {
                group,
                threads,
                work,
            });
        }
    };
    // boxcar has no pop and no set: it joins push and get only.
    let register_push = register(Work::Push);
    workload(c, "push", |g, t| {
        register_push(g, t);
        bench::<boxcar::Vec<u64>>(g, t, empty, push_only);
    });
    workload(c, "pop", register(Work::Pop));
    workload(c, "push_pop", register(Work::PushPop));
    workload(c, "read_mostly", register(Work::ReadMostly));
    let register_get = register(Work::Get);
    workload(c, "get", |g, t| {
        register_get(g, t);
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
