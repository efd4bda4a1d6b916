//! The latency of single operations: every operation of the push/pop and
//! read-mostly mixes (the throughput benchmark's) is timed, at 2, 4, 8 and
//! 16 threads, for `SecVec<u64>` and the lock-based vectors, and the times
//! go into per-thread histograms (`hdrhistogram`) that are merged. The
//! push/pop mix also runs two lock-free structures that are not vectors,
//! crossbeam's `SegQueue` and a Treiber stack (`bench::treiber`).
//!
//! For each mix and thread count, every structure runs for `--seconds` in
//! turn, and the turns repeat `--rounds` times, each round starting one
//! structure later, so that a noisy stretch of the machine's time spreads
//! over all of them; their histograms are merged over the rounds. Each run
//! gets a fresh vector of 32,768 elements. Each worker thread runs
//! operations back to back (a closed loop: the next operation starts when
//! the last one returns), so the histograms hold the time of each
//! operation, not a response time under some arrival rate.
//!
//! `cargo xtask bench` runs it with `--csv` and writes the book's tables and
//! plots from that file; run by hand it prints its percentiles, and how
//! many operations in a million took 1 ms or more (in practice, those whose
//! thread the scheduler took off its core):
//!
//! ```text
//! cargo bench -p bench --bench latency -- --quick
//! ```

use std::thread;

use bench::report::{
    human, options_from_env, percentiles, push_pop_peer_runners, round_order, runners, seconds,
    slow_ops, Csv, Experiment, Key,
};
use bench::timed::{Clock, Outcome};
use bench::workload::Mix;

fn main() -> std::io::Result<()> {
    let options = options_from_env(Experiment::Latency);
    let clock = Clock::get();
    println!(
        "clock: {}; an empty operation measures {}",
        clock.describe(),
        human(clock.overhead())
    );
    let mut csv = Csv::create(options.csv.as_ref())?;
    let run = seconds(options.seconds);
    for &mix in &options.mixes {
        let mut runners = runners();
        if mix == Mix::PushPop {
            runners.extend(push_pop_peer_runners());
        }
        for &threads in &options.threads {
            println!("\n{} at {threads} threads:", mix.id());
            let mut outcomes: Vec<Outcome> = runners.iter().map(|_| Outcome::default()).collect();
            for round in 0..options.rounds {
                for i in round_order(round, runners.len()) {
                    let outcome = (runners[i].1)(mix, threads, clock, &mut |_| thread::sleep(run));
                    outcomes[i].merge(&outcome);
                }
            }
            for (&(structure, _), outcome) in runners.iter().zip(&outcomes) {
                let descheduled = slow_ops(&outcome.latency, clock, 0);
                println!(
                    "{structure:>24} {:7.2} Mops/s{}  ≥ 1 ms: {:.0} per million",
                    outcome.ops_per_sec() / 1e6,
                    percentiles(&outcome.latency, clock),
                    descheduled as f64 * 1e6 / outcome.latency.len().max(1) as f64,
                );
                let key = Key {
                    experiment: Experiment::Latency,
                    mix,
                    structure,
                    threads,
                    stall_us: 0,
                    period_ms: 0,
                };
                csv.write(&key, "all", outcome, &outcome.latency, clock)?;
            }
        }
    }
    csv.finish()
}
