//! `cargo xtask sanitize [thread|address]`: the stress tests under
//! ThreadSanitizer and AddressSanitizer.
//!
//! A sanitizer is instrumentation the compiler adds to every memory access,
//! plus a runtime library that checks the accesses as the program runs at
//! nearly native speed. ThreadSanitizer (TSan) keeps, for every thread, what
//! it has synchronised with, and reports two accesses to the same memory
//! from different threads, one a write, when neither happens before the
//! other. AddressSanitizer (ASan) surrounds allocations with poisoned bytes
//! and keeps freed memory poisoned for a while, so it reports out-of-bounds
//! accesses, use after free and double frees; its leak checker reports heap
//! memory nothing points to at exit.
//!
//! Both need the nightly toolchain (`-Zsanitizer` is unstable) and its
//! `rust-src` component: `-Zbuild-std` rebuilds the standard library with the
//! same instrumentation, without which TSan could not see the synchronisation
//! inside `std` (thread spawn and join, `Barrier`) and could report races
//! that are not there. `--target` is given explicitly so that `RUSTFLAGS`
//! reach only the code that runs in the tests, not build scripts. Each
//! sanitizer builds into its own target folder (`target/tsan`,
//! `target/asan`), since its flags change every crate's build.
//!
//! What TSan cannot see here:
//!
//! - standalone fences: its runtime treats `fence` as a plain CPU barrier and
//!   derives no happens-before edge from it. secvec's one fence (`SeqCst`, in
//!   `protect_write`, `code/secvec/src/reclaim.rs`) and haphazard's order a
//!   hazard-pointer store before a load; that ordering decides *whether* a
//!   block is freed, so TSan can neither confirm it nor report its absence
//!   (a copy without the fence ran clean). Nor does it cause false reports:
//!   what must happen before a block is freed, a reader's last access to it,
//!   is ordered by the Release store that clears the reader's hazard pointer
//!   and the reclaimer's Acquire load of it, which TSan follows.
//! - reorderings the hardware did not make: it checks the order the run
//!   actually had, with every load seeing the latest store.
//!
//! What it does see: with `-Zsanitizer=thread` portable-atomic swaps its
//! inline-assembly `cmpxchg16b` for the compiler's 128-bit atomic, which TSan
//! instruments (`__tsan_atomic128_compare_exchange_val`), so the descriptor
//! and slot words count, with their orderings. No suppression file is needed:
//! the runs are clean.

use std::time::Instant;

use crate::cmd::{self, append_env, repo_root};
use crate::{nightly, Result};

pub const USAGE: &str = "sanitize [thread|address]";
pub const ABOUT: &str = "Run secvec's and the shared suite's stress tests under ThreadSanitizer \
     and AddressSanitizer (nightly toolchain, -Zbuild-std; both by default; about 5 minutes \
     the first time on 2 cores, most of it building the standard library twice).";

/// One sanitizer run.
struct Sanitizer {
    /// Its `-Zsanitizer=` value, also the name on the command line.
    name: &'static str,
    /// The folder under `target/` it builds into.
    dir: &'static str,
    /// `SECVEC_STRESS_SCALE` unless the environment sets one.
    scale: &'static str,
    /// What its failure looks like, for the error message.
    failure: &'static str,
}

const SANITIZERS: &[Sanitizer] = &[
    Sanitizer {
        name: "thread",
        dir: "tsan",
        // At scale 1 one reader-heavy test alone took over a minute.
        scale: "0.3",
        failure: "look for `WARNING: ThreadSanitizer: data race` above; \
                  exit status 66 is TSan's, given after the tests even if they passed",
    },
    Sanitizer {
        name: "address",
        dir: "asan",
        scale: "1",
        failure: "look for `ERROR: AddressSanitizer` or `ERROR: LeakSanitizer` above",
    },
];

/// Cases per proptest test (the suite's sequential tests, single-threaded:
/// they matter to ASan, not to TSan) unless the environment sets it.
const PROPTEST_CASES: &str = "32";

/// The sanitizers named on the command line, in their usual order (all if
/// none is named).
fn select(args: &[String]) -> Result<Vec<&'static Sanitizer>> {
    for arg in args {
        if !SANITIZERS.iter().any(|s| s.name == arg) {
            return Err(format!(
                "unknown sanitizer `{arg}`; valid: thread, address\nusage: cargo xtask {USAGE}"
            ));
        }
    }
    Ok(SANITIZERS
        .iter()
        .filter(|s| args.is_empty() || args.iter().any(|a| a == s.name))
        .collect())
}

pub fn run(args: &[String]) -> Result {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: cargo xtask {USAGE}\n{ABOUT}");
        return Ok(());
    }
    let sanitizers = select(args)?;
    nightly::ensure(&["rust-src"], "the sanitizers' -Zbuild-std")?;
    let host = nightly::host()?;
    for (i, sanitizer) in sanitizers.iter().enumerate() {
        println!(
            "\nxtask: [{}/{}] stress tests under -Zsanitizer={} (the first build \
             compiles the standard library too: a few minutes)",
            i + 1,
            sanitizers.len(),
            sanitizer.name
        );
        let start = Instant::now();
        let mut test = nightly::cargo(["test", "-Zbuild-std", "--target", &host]);
        test.args([
            "-p", "secvec", "--test", "stress", "-p", "suite", "--test", "secvec",
        ]);
        test.env(
            "RUSTFLAGS",
            append_env("RUSTFLAGS", &format!("-Zsanitizer={}", sanitizer.name)),
        )
        .env(
            "CARGO_TARGET_DIR",
            repo_root().join("target").join(sanitizer.dir),
        );
        for (var, default) in [
            ("SECVEC_STRESS_SCALE", sanitizer.scale),
            ("PROPTEST_CASES", PROPTEST_CASES),
        ] {
            if std::env::var_os(var).is_none() {
                test.env(var, default);
            }
        }
        let line = cmd::describe(&test);
        cmd::run(&mut test).map_err(|e| {
            format!(
                "-Zsanitizer={} failed: {e}\n{}\nrerun just this sanitizer with: \
                 cargo xtask sanitize {}\nor by hand:\n  {line}",
                sanitizer.name, sanitizer.failure, sanitizer.name
            )
        })?;
        println!(
            "xtask: -Zsanitizer={} found nothing in {:.0} s",
            sanitizer.name,
            start.elapsed().as_secs_f64()
        );
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn sanitizers_are_selected_by_name_in_usual_order() {
        let names = |args: &[&str]| -> Vec<&str> {
            let args: Vec<String> = args.iter().map(|a| a.to_string()).collect();
            select(&args).unwrap().iter().map(|s| s.name).collect()
        };
        assert_eq!(names(&[]), ["thread", "address"]);
        assert_eq!(names(&["address", "thread"]), ["thread", "address"]);
        assert_eq!(names(&["address"]), ["address"]);
        assert!(select(&["memory".to_string()]).is_err());
    }
}
