//! `cargo xtask miri [--seeds N]`: secvec's unit tests, and small versions of
//! the concurrent tests, under Miri.
//!
//! Miri is an interpreter for Rust's intermediate representation that checks
//! every memory access as the program runs: use after free, out-of-bounds and
//! uninitialised reads, broken aliasing rules, and data races (two threads
//! touching the same memory, at least one writing, with no happens-before
//! order between them). It schedules threads itself and emulates some of the
//! weak-memory behaviour of atomics, choosing at random; a *seed* fixes those
//! choices, so running with several seeds explores several interleavings.
//!
//! What runs, and why so:
//!
//! - `secvec --lib` (the unit tests), with one seed: all but one are
//!   single-threaded, and that one (`loads_never_tear`) checks an instruction
//!   Miri does not run.
//! - the shared suite's concurrent tests against secvec, and secvec's
//!   `tests/stress.rs`, with seeds `0..N`, at `SECVEC_STRESS_SCALE=0.001`
//!   (a few dozen operations per thread; Miri is roughly a thousand times
//!   slower than native code). Miri runs two seeds at a time on two cores.
//! - not the suite's sequential tests (`--skip sequential`): proptest under
//!   Miri took 74 s of interpretation for one case of each, and they are
//!   single-threaded, which `cargo test` and `cargo xtask sanitize` (with
//!   AddressSanitizer) cover.
//! - not the suite's linearizability check (`--skip linearizable`): it reads
//!   the wall clock (`SystemTime::now`) for its default seed, which Miri's
//!   isolation from the host refuses, and it records thousands of histories;
//!   `cargo xtask lincheck` runs it natively.
//!
//! The flags:
//!
//! - `-Zmiri-permissive-provenance`: a descriptor packs a block's address into
//!   an integer and `WriteRef::from_bits` rebuilds the pointer with
//!   `with_exposed_provenance_mut` (`code/secvec/src/block.rs`), which Miri
//!   otherwise warns about.
//! - `-Zmiri-env-set=SECVEC_STRESS_SCALE=...`: Miri hides the environment
//!   from the program. `-Zmiri-env-forward` would pass it through, but
//!   cargo-miri replays the environment captured when the test binary was
//!   *built*, so a value exported for a later run is silently ignored until
//!   something forces a rebuild. `MIRIFLAGS` is read at run time.
//! - `-Ctarget-feature=+cmpxchg16b` (x86-64 only): without it portable-atomic
//!   cannot use its run-time CPU detection under Miri and falls back to its
//!   global seqlock for every 128-bit atomic, whose locking adds
//!   happens-before edges that hide a missing Release or Acquire on the
//!   descriptor or a slot. With it, Miri checks the orderings secvec asks for.

use std::time::Instant;

use crate::cmd::{self, append_env};
use crate::{nightly, Result};

pub const USAGE: &str = "miri [--seeds N]";
pub const ABOUT: &str = "Run secvec's unit tests and small concurrent tests under Miri \
     (nightly toolchain; the concurrent ones with seeds 0..N, default 4; about 6 minutes on 2 busy cores).";

/// Seeds tried by default for the concurrent tests.
const DEFAULT_SEEDS: u32 = 4;

/// `SECVEC_STRESS_SCALE` inside Miri.
const SCALE: &str = "0.001";

/// One `cargo miri test` run.
struct Run {
    /// What it tests, for progress lines and errors.
    what: &'static str,
    /// Arguments after `cargo +nightly miri test`.
    args: &'static [&'static str],
    /// Whether it runs with seeds `0..N` (else Miri's default seed, 0).
    seeded: bool,
}

const RUNS: &[Run] = &[
    Run {
        what: "secvec's unit tests",
        args: &["-p", "secvec", "--lib"],
        seeded: false,
    },
    Run {
        what: "the shared suite's concurrent tests against secvec",
        args: &[
            "-p",
            "suite",
            "--test",
            "secvec",
            "--",
            "--skip",
            "sequential",
            "--skip",
            "linearizable",
        ],
        seeded: true,
    },
    Run {
        what: "secvec's stress tests",
        args: &["-p", "secvec", "--test", "stress"],
        seeded: true,
    },
];

/// The number of seeds `--seeds N` asks for.
fn parse(args: &[String]) -> Result<u32> {
    let mut seeds = DEFAULT_SEEDS;
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let value = match arg.as_str() {
            "--seeds" => args.next().map(String::as_str),
            other if other.starts_with("--seeds=") => Some(&other["--seeds=".len()..]),
            other => {
                return Err(format!(
                    "unknown option `{other}` for `miri`\nusage: cargo xtask {USAGE}"
                ))
            }
        };
        seeds = value
            .and_then(|v| v.parse().ok())
            .filter(|&n| n > 0)
            .ok_or_else(|| {
                format!("`--seeds` needs a positive number\nusage: cargo xtask {USAGE}")
            })?;
    }
    Ok(seeds)
}

/// The `MIRIFLAGS` for one run: the user's, then ours.
fn miri_flags(seeds: Option<u32>) -> std::ffi::OsString {
    let mut flags =
        format!("-Zmiri-permissive-provenance -Zmiri-env-set=SECVEC_STRESS_SCALE={SCALE}");
    if let Some(n) = seeds {
        flags.push_str(&format!(" -Zmiri-many-seeds=0..{n}"));
    }
    append_env("MIRIFLAGS", &flags)
}

pub fn run(args: &[String]) -> Result {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: cargo xtask {USAGE}\n{ABOUT}");
        return Ok(());
    }
    let seeds = parse(args)?;
    nightly::ensure(&["miri", "rust-src"], "Miri")?;
    let started = Instant::now();
    for (i, run) in RUNS.iter().enumerate() {
        let seeded = run.seeded.then_some(seeds);
        match seeded {
            Some(n) => println!(
                "\nxtask: [{}/{}] {} under Miri, seeds 0..{n} (Miri prints `Trying seed` as it starts each)",
                i + 1,
                RUNS.len(),
                run.what
            ),
            None => println!("\nxtask: [{}/{}] {} under Miri", i + 1, RUNS.len(), run.what),
        }
        let start = Instant::now();
        let mut test = nightly::cargo(["miri", "test"]);
        test.args(run.args).env("MIRIFLAGS", miri_flags(seeded));
        if cfg!(target_arch = "x86_64") {
            test.env(
                "RUSTFLAGS",
                append_env("RUSTFLAGS", "-Ctarget-feature=+cmpxchg16b"),
            );
        }
        let line = cmd::describe(&test);
        cmd::run(&mut test).map_err(|e| {
            let seed_hint = if seeded.is_some() {
                "\nif Miri printed `FAILING SEED: S`, rerun only that seed by replacing \
                 -Zmiri-many-seeds=... with -Zmiri-seed=S"
            } else {
                ""
            };
            format!(
                "Miri found a problem in {} (or could not run): {e}\n\
                 rerun just this part with:\n  {line}{seed_hint}",
                run.what
            )
        })?;
        println!(
            "xtask: {} ok under Miri in {:.0} s",
            run.what,
            start.elapsed().as_secs_f64()
        );
    }
    println!(
        "\nxtask: Miri found nothing in {:.0} s",
        started.elapsed().as_secs_f64()
    );
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn seeds_come_from_the_option() {
        assert_eq!(parse(&[]).unwrap(), DEFAULT_SEEDS);
        assert_eq!(parse(&["--seeds".into(), "3".into()]).unwrap(), 3);
        assert_eq!(parse(&["--seeds=12".into()]).unwrap(), 12);
        assert!(parse(&["--seeds".into(), "0".into()]).is_err());
        assert!(parse(&["--seeds".into()]).is_err());
        assert!(parse(&["--fast".into()]).is_err());
    }
}
