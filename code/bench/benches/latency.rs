//! The latency of single operations: every operation of the push/pop and
//! read-mostly mixes (the throughput benchmark's) is timed, at 2, 4, 8 and
//! 16 threads, for `SecVec<u64>` and the lock-based vectors, and the times
//! go into per-thread histograms (`hdrhistogram`) that are merged.
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
//! plots from that file; run by hand it prints its percentiles:
//!
//! ```text
//! cargo bench -p bench --bench latency -- --quick
//! ```

use std::thread;

use bench::report::{
    human, options_from_env, percentiles, round_order, runners, seconds, Csv, Experiment, Key,
};
use bench::timed::{Clock, Outcome};

fn main() -> std::io::Result<()> {
    let options = options_from_env(Experiment::Latency);
    let clock = Clock::get();
    println!(
        "clock: {}; an empty operation measures {}",
        clock.describe(),
        human(clock.overhead())
    );
    let runners = runners();
    let mut csv = Csv::create(options.csv.as_ref())?;
    let run = seconds(options.seconds);
    for &mix in &options.mixes {
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
                println!(
                    "{structure:>24} {:7.2} Mops/s{}",
                    outcome.ops_per_sec() / 1e6,
                    percentiles(&outcome.latency, clock)
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
