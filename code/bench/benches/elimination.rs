//! What elimination (`SecVec::with_elimination`) does to throughput: the
//! push/pop mix at 1, 2, 4 and 8 threads, for `SecVec`, `SecVec` with
//! elimination and `parking_lot::Mutex<Vec>` side by side, once in a tight
//! loop and once with 8 `pause`s of other work after every operation.
//!
//! The book's chapter on elimination quotes it; `cargo xtask bench` does not
//! run it. Run it by hand:
//!
//! ```text
//! cargo bench -p bench --bench elimination
//! cargo bench -p bench --bench elimination -- '/2$'    # two threads only
//! ```

use std::time::Duration;

use bench::contestants::{Eliminating, FullContestant};
use bench::workload::{run_mix_with_work, sample, Mix, OPS_PER_THREAD, PREFILL};
use criterion::measurement::WallTime;
use criterion::{
    criterion_group, criterion_main, BenchmarkGroup, BenchmarkId, Criterion, SamplingMode,
    Throughput,
};
use secvec::SecVec;

/// Pauses of work after each operation: none, and about 120 ns.
const WORK: [u32; 2] = [0, 8];

fn bench<C: FullContestant>(group: &mut BenchmarkGroup<'_, WallTime>, threads: usize, pauses: u32) {
    group.bench_with_input(BenchmarkId::new(C::NAME, threads), &threads, |b, &t| {
        b.iter_custom(|iters| {
            sample(
                t,
                iters,
                |_| C::filled(PREFILL),
                |v, thread, ops| run_mix_with_work(v, Mix::PushPop, thread, ops, pauses),
            )
        });
    });
}

fn benches(c: &mut Criterion) {
    for pauses in WORK {
        let mut group = c.benchmark_group(format!("push_pop_work_{pauses}"));
        group.sampling_mode(SamplingMode::Flat);
        for threads in [1, 2, 4, 8] {
            group.throughput(Throughput::Elements(threads as u64 * OPS_PER_THREAD));
            bench::<SecVec<u64>>(&mut group, threads, pauses);
            bench::<Eliminating>(&mut group, threads, pauses);
            bench::<parking_lot::Mutex<Vec<u64>>>(&mut group, threads, pauses);
        }
        group.finish();
    }
}

criterion_group! {
    name = elimination;
    config = Criterion::default()
        .sample_size(10)
        .warm_up_time(Duration::from_secs(1))
        .measurement_time(Duration::from_secs(3));
    targets = benches
}
criterion_main!(elimination);
