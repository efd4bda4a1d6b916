//! What hazard-pointer reclamation costs per operation, measured on
//! `haphazard` alone (no vector), at 1 and 2 threads. Run it with
//! `cargo xtask bench`, which writes the figures into the book.
//!
//! - `new_per_op`: take a fresh `HazardPointer` from the global domain,
//!   protect a pointer with it, drop it. This is what every `SecVec`
//!   operation did before the crate kept one hazard pointer per thread.
//! - `reused`: protect with the thread's one hazard pointer, then reset its
//!   protection. This is what every `SecVec` operation does now.
//! - `retire`: allocate a 64-byte object (the size of stage 3's
//!   `Descriptor`) and retire it to the global domain, which is what every
//!   successful push, pop and set of stage 3 pays on top of protecting
//!   (`SecVec` retires one block per 64 writes instead).
//!
//! Timing is the same as in the `throughput` benchmark: threads spawned once
//! per sample, released together by a barrier, `threads` ×
//! [`OPS_PER_THREAD`] operations per iteration.

use std::hint::black_box;
use std::sync::atomic::AtomicPtr;
use std::time::Duration;

use bench::workload::time_threads;
use criterion::{
    criterion_group, criterion_main, BenchmarkId, Criterion, SamplingMode, Throughput,
};
use haphazard::{Domain, HazardPointer};

/// Operations each thread performs per iteration.
const OPS_PER_THREAD: u64 = 50_000;

/// An object of a descriptor's size (64 bytes), to retire.
struct Payload([u64; 8]);

/// One benchmarked case: runs its operation `ops` times.
type Work = fn(&AtomicPtr<Payload>, u64);

/// Protects `shared` `ops` times with a fresh hazard pointer each time.
fn new_per_op(shared: &AtomicPtr<Payload>, ops: u64) {
    for _ in 0..ops {
        let mut hazard = HazardPointer::new();
        black_box(hazard.protect_ptr(shared).map(|(p, _)| p));
    }
}

/// Protects `shared` `ops` times with one hazard pointer.
fn reused(shared: &AtomicPtr<Payload>, ops: u64) {
    let mut hazard = HazardPointer::new();
    for _ in 0..ops {
        black_box(hazard.protect_ptr(shared).map(|(p, _)| p));
        hazard.reset_protection();
    }
}

/// Allocates and retires `ops` objects.
fn retire(_shared: &AtomicPtr<Payload>, ops: u64) {
    for i in 0..ops {
        let object = Box::into_raw(Box::new(Payload([i; 8])));
        // SAFETY: `object` comes from `Box::into_raw`, was never shared, so
        // no reader can hold it, and it is retired exactly once, as a `Box`.
        unsafe { Domain::global().retire_ptr::<Payload, Box<Payload>>(object) };
    }
}

/// One sample: `threads` threads run `work` for `iters` iterations each,
/// released by one barrier; the time from the first start to the last end.
fn sample(threads: usize, iters: u64, work: Work) -> Duration {
    let ops = iters * OPS_PER_THREAD;
    let payload = Box::into_raw(Box::new(Payload([0; 8])));
    let shared = AtomicPtr::new(payload);
    let elapsed = time_threads(threads, |_| work(&shared, ops));
    // SAFETY: `payload` came from `Box::into_raw`, was never retired, and
    // every thread that protected it has been joined.
    let payload = unsafe { Box::from_raw(payload) };
    black_box(payload.0);
    elapsed
}

fn benches(c: &mut Criterion) {
    let mut group = c.benchmark_group("hazard_pointer");
    group.sampling_mode(SamplingMode::Flat);
    let cases: [(&str, Work); 3] = [
        ("new_per_op", new_per_op),
        ("reused", reused),
        ("retire", retire),
    ];
    for threads in [1, 2] {
        group.throughput(Throughput::Elements(threads as u64 * OPS_PER_THREAD));
        for (name, work) in cases {
            group.bench_with_input(BenchmarkId::new(name, threads), &threads, |b, &t| {
                b.iter_custom(|iters| sample(t, iters, work));
            });
        }
    }
    group.finish();
}

criterion_group! {
    name = hazard;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3))
        .without_plots();
    targets = benches
}
criterion_main!(hazard);
