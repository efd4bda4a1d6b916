//! Progress while a thread is stopped: the benchmark of the latency
//! benchmark's workers, run twice per structure, once calm and once while a
//! signal stops a random worker for `--stall-us` microseconds about every
//! `--period-ms` milliseconds (see `bench::stall`). It reports, per
//! structure, the throughput the stalled run kept of the calm one; how often
//! a stall froze all the other workers (they completed no operation while it
//! lasted) and how much of their calm pace they kept during stalls; and the
//! latency of the operations that no stall interrupted (those of the other
//! workers, and the stopped worker's before and after its stall), with the
//! interrupted operations apart.
//!
//! A thread stopped inside a critical section keeps its lock, and every
//! other thread that wants it waits out the stall; a thread stopped in the
//! middle of a `SecVec` operation leaves at most a pending descriptor, which
//! the next writer completes for it before going on.
//!
//! For each setting the calm and the stalled run of a structure follow each
//! other (in alternating order from round to round), and each round starts
//! one structure later than the last. Linux only.
//!
//! ```text
//! cargo bench -p bench --bench stalls -- --quick
//! cargo bench -p bench --bench stalls -- --threads 2 --stall-us 200,2000 --period-ms 5,20
//! ```

#[cfg(target_os = "linux")]
fn main() -> std::io::Result<()> {
    use std::thread;

    use bench::report::{
        options_from_env, percentiles, round_order, runners, seconds, slow_ops, Csv, Experiment,
        Key,
    };
    use bench::stall::{inject, Stalls};
    use bench::timed::{Clock, Outcome};

    let options = options_from_env(Experiment::Stalls);
    let clock = Clock::get();
    println!("clock: {}", clock.describe());
    let runners = runners();
    let mut csv = Csv::create(options.csv.as_ref())?;
    let run = seconds(options.seconds);
    let fresh = || -> Vec<Outcome> { runners.iter().map(|_| Outcome::default()).collect() };
    for &mix in &options.mixes {
        for &threads in &options.threads {
            for &stall_us in &options.stall_us {
                for &period_ms in &options.period_ms {
                    let stalls = Stalls {
                        length: std::time::Duration::from_micros(stall_us),
                        period: std::time::Duration::from_millis(period_ms),
                        spin: options.spin,
                    };
                    println!(
                        "\n{} at {threads} threads, {} stalls of {stall_us} µs about every \
                         {period_ms} ms:",
                        mix.id(),
                        if options.spin { "spinning" } else { "sleeping" }
                    );
                    let (mut calm, mut stalled) = (fresh(), fresh());
                    for round in 0..options.rounds {
                        for i in round_order(round, runners.len()) {
                            let runner = runners[i].1;
                            let mut calm_run = || {
                                calm[i].merge(&runner(mix, threads, clock, &mut |_| {
                                    thread::sleep(run)
                                }))
                            };
                            let mut stalled_run = || {
                                stalled[i].merge(&runner(mix, threads, clock, &mut |w| {
                                    // SAFETY: the workers live until this
                                    // closure returns (see `measure`).
                                    unsafe { inject(&w.pthreads(), stalls, run) };
                                }))
                            };
                            if round % 2 == 0 {
                                calm_run();
                                stalled_run();
                            } else {
                                stalled_run();
                                calm_run();
                            }
                        }
                    }
                    for (i, &(structure, _)) in runners.iter().enumerate() {
                        let (c, s) = (&calm[i], &stalled[i]);
                        let slow = |h| slow_ops(h, clock, stall_us);
                        // The others' pace during stalls, against the pace
                        // of as many workers in the calm run.
                        let (others_ops, stalled_seconds) = s.during_stalls();
                        let others_share = (threads - 1) as f64 / threads as f64;
                        let pace = others_ops as f64
                            / stalled_seconds.max(1e-9)
                            / (c.ops_per_sec() * others_share);
                        println!(
                            "{structure:>24} kept {:5.1}% of {:.2} Mops/s; {} stalls, {} froze \
                             the others ({:.0}%); the others kept {:.0}% of their pace \
                             during stalls; operations over half a stall: {} calm, {} stalled\n\
                             {:>24} calm   {}\n{:>24} others {}\n{:>24} hit    {}",
                            100.0 * s.ops_per_sec() / c.ops_per_sec(),
                            c.ops_per_sec() / 1e6,
                            s.stall_progress.len(),
                            s.frozen(),
                            100.0 * s.frozen() as f64 / s.stall_progress.len().max(1) as f64,
                            100.0 * pace,
                            slow(&c.latency),
                            slow(&s.latency),
                            "",
                            percentiles(&c.latency, clock),
                            "",
                            percentiles(&s.latency, clock),
                            "",
                            percentiles(&s.interrupted, clock),
                        );
                        let key = Key {
                            experiment: Experiment::Stalls,
                            mix,
                            structure,
                            threads,
                            stall_us,
                            period_ms,
                        };
                        csv.write(&key, "calm", c, &c.latency, clock)?;
                        csv.write(&key, "stalled", s, &s.latency, clock)?;
                        csv.write(&key, "interrupted", s, &s.interrupted, clock)?;
                    }
                }
            }
        }
    }
    csv.finish()
}

#[cfg(not(target_os = "linux"))]
fn main() {
    eprintln!("the stall benchmark needs Linux (pthread_kill, SIGUSR1, __errno_location)");
}
