//! `cargo xtask test [--only STEP[,STEP...]] [--skip STEP[,STEP...]]`: the
//! checks of CI's main test job and Miri with two seeds (the project's test
//! command), in order, stopping at the first failure.

use std::collections::BTreeMap;
use std::fs;
use std::path::Path;
use std::time::{Duration, Instant};

use crate::cmd::{self, append_env, cargo, repo_root};
use crate::{tools, Result};

pub const USAGE: &str = "test [--only STEP[,STEP...]] [--skip STEP[,STEP...]]";
pub const ABOUT: &str = "Run the checks of CI's main test job and Miri with two seeds, \
     stopping at the first failure \
     (--only: just these steps; --skip: all but these). \
     Steps: fmt, clippy, test, fallback, doc, loom, miri, book, book-test.";

/// One check: its name (as given to `--only`) and what it runs.
struct Step {
    name: &'static str,
    run: fn() -> Result,
}

/// The steps, in the order they run (fast and likely failures first).
const STEPS: &[Step] = &[
    Step {
        name: "fmt",
        run: fmt,
    },
    Step {
        name: "clippy",
        run: clippy,
    },
    Step {
        name: "test",
        run: test,
    },
    Step {
        name: "fallback",
        run: fallback,
    },
    Step {
        name: "doc",
        run: doc,
    },
    Step {
        name: "loom",
        run: loom,
    },
    Step {
        name: "miri",
        run: miri,
    },
    Step {
        name: "book",
        run: book,
    },
    Step {
        name: "book-test",
        run: book_test,
    },
];

fn fmt() -> Result {
    cmd::run(&mut cargo(["fmt", "--all", "--check"]))
}

fn clippy() -> Result {
    cmd::run(&mut cargo([
        "clippy",
        "--workspace",
        "--all-targets",
        "--",
        "-D",
        "warnings",
        "-W",
        "clippy::undocumented_unsafe_blocks",
    ]))
}

fn test() -> Result {
    cmd::run(&mut cargo(["test", "--workspace"]))
}

/// secvec's unit tests with portable-atomic's lock-based 128-bit atomics
/// (`--cfg portable_atomic_no_outline_atomics`). On x86-64 its writes then
/// take a lock even on a processor that has `cmpxchg16b`, and the crate's
/// inline 16-byte load must stay off, or `loads_never_tear` reads a torn
/// word. (On aarch64 its writes stay lock-free, and the step repeats the
/// unit tests.) The cfg
/// changes every crate's build, so the step has its own target folder.
fn fallback() -> Result {
    let mut test = cargo(["test", "-p", "secvec", "--lib"]);
    test.env(
        "RUSTFLAGS",
        append_env("RUSTFLAGS", "--cfg portable_atomic_no_outline_atomics"),
    )
    .env(
        "CARGO_TARGET_DIR",
        repo_root().join("target").join("fallback"),
    );
    cmd::run(&mut test)
}

fn doc() -> Result {
    let mut doc = cargo(["doc", "--workspace", "--no-deps"]);
    doc.env("RUSTDOCFLAGS", append_env("RUSTDOCFLAGS", "-D warnings"));
    cmd::run(&mut doc)
}

/// The loom model checks: secvec's models, stage 2's model that must fail
/// (the ABA problem) and stage 3's, which must pass. `--cfg loom` changes
/// every crate's build, so they get their own target folder and leave the
/// normal build alone.
fn loom() -> Result {
    let mut loom = cargo([
        "test",
        "-p",
        "secvec",
        "-p",
        "stage2",
        "-p",
        "stage3",
        "--release",
        "--test",
        "loom",
    ]);
    loom.env("RUSTFLAGS", append_env("RUSTFLAGS", "--cfg loom"))
        .env("CARGO_TARGET_DIR", repo_root().join("target").join("loom"));
    if std::env::var_os("LOOM_MAX_PREEMPTIONS").is_none() {
        loom.env("LOOM_MAX_PREEMPTIONS", "5");
    }
    cmd::run(&mut loom)
}

/// `cargo xtask miri --seeds 2`: secvec's unit tests and the small concurrent
/// tests under Miri, with two seeds (CI's Miri job tries more). It installs
/// the nightly toolchain's `miri` and `rust-src` first if they are missing.
fn miri() -> Result {
    crate::miri::run(&["--seeds".to_string(), "2".to_string()])
}

fn book() -> Result {
    let tools = tools::prepare_book()?;
    cmd::run(&mut tools.mdbook(["build"]))
}

/// Compiles the book's Rust snippets against the secvec crate and the
/// stages.
///
/// `mdbook test -L DIR` lets rustdoc pick crates from DIR by name, and
/// rustdoc refuses (E0464, "multiple candidates") when DIR holds two builds
/// of one crate. So the book's crates are built alone in their own target
/// folder, and that folder is rebuilt from scratch when it holds stale
/// duplicates (after a dependency bump, a feature or toolchain change).
fn book_test() -> Result {
    let tools = tools::prepare_book()?;
    let target = repo_root().join("target").join("mdbook-deps");
    let deps = target.join("debug").join("deps");
    build_lib_into(&target)?;
    let duplicates = duplicate_crates(&deps)?;
    if !duplicates.is_empty() {
        println!(
            "xtask: {} holds several builds of {}; rebuilding it from scratch",
            deps.display(),
            duplicates.join(", ")
        );
        fs::remove_dir_all(&target)
            .map_err(|e| format!("could not remove {}: {e}", target.display()))?;
        build_lib_into(&target)?;
        let duplicates = duplicate_crates(&deps)?;
        if !duplicates.is_empty() {
            // Two semver-incompatible versions in the dependency graph: fine
            // unless a snippet names one of these crates directly.
            println!(
                "xtask: warning: the dependency graph has several versions of {}; \
                 snippets that name them fail with E0464",
                duplicates.join(", ")
            );
        }
    }
    let mut test = tools.mdbook(["test", "-L"]);
    test.arg(&deps);
    cmd::run(&mut test)
}

/// The crates whose libraries the book's snippets may name: the finished
/// crate and the three stages that Parts I and II build. Built in one cargo
/// call, so that they share one build of each dependency.
const BOOK_CRATES: [&str; 4] = ["secvec", "stage1", "stage2", "stage3"];

fn build_lib_into(target: &Path) -> Result {
    let mut build = cargo(["build", "--lib"]);
    for name in BOOK_CRATES {
        build.args(["-p", name]);
    }
    build.arg("--target-dir").arg(target);
    cmd::run(&mut build)
}

/// Names of the crates of which `deps` holds more than one library
/// (`lib<crate>-<hash>.rlib`, or a proc-macro's `.so`/`.dylib`/`.dll`).
fn duplicate_crates(deps: &Path) -> Result<Vec<String>> {
    let entries =
        fs::read_dir(deps).map_err(|e| format!("could not list {}: {e}", deps.display()))?;
    let mut count: BTreeMap<String, usize> = BTreeMap::new();
    for entry in entries.flatten() {
        let file = entry.file_name().to_string_lossy().into_owned();
        if let Some(name) = crate_name(&file) {
            *count.entry(name.to_string()).or_default() += 1;
        }
    }
    Ok(count
        .into_iter()
        .filter(|&(_, n)| n > 1)
        .map(|(name, _)| name)
        .collect())
}

/// `foo` for `libfoo-0123abcd.rlib`; `None` for other files.
fn crate_name(file: &str) -> Option<&str> {
    use std::env::consts::{DLL_EXTENSION, DLL_PREFIX};
    let (stem, extension) = file.rsplit_once('.')?;
    let stem = match extension {
        "rlib" => stem.strip_prefix("lib")?,
        ext if ext == DLL_EXTENSION => stem.strip_prefix(DLL_PREFIX)?,
        _ => return None,
    };
    stem.rsplit_once('-').map(|(name, _hash)| name)
}

/// The steps `--only` selects (all when absent), minus those `--skip`
/// names, in their usual order.
fn select(args: &[String]) -> Result<Vec<&'static Step>> {
    let valid = || STEPS.iter().map(|s| s.name).collect::<Vec<_>>().join(", ");
    let (mut only, mut skip): (Vec<String>, Vec<String>) = (Vec::new(), Vec::new());
    let args = cmd::split_inline_values(args);
    let mut args = args.iter();
    while let Some(option) = args.next() {
        let into = match option.as_str() {
            "--only" => &mut only,
            "--skip" => &mut skip,
            other => {
                return Err(format!(
                    "unknown option `{other}` for `test`\nusage: cargo xtask {USAGE}"
                ))
            }
        };
        let list = args
            .next()
            .ok_or_else(|| format!("`{option}` needs a step name; valid steps: {}", valid()))?;
        into.extend(list.split(',').map(|s| s.trim().to_string()));
    }
    for name in only.iter().chain(&skip) {
        if !STEPS.iter().any(|s| s.name == name) {
            return Err(format!("unknown step `{name}`; valid steps: {}", valid()));
        }
    }
    Ok(STEPS
        .iter()
        .filter(|s| only.is_empty() || only.iter().any(|w| w == s.name))
        .filter(|s| !skip.iter().any(|w| w == s.name))
        .collect())
}

fn seconds(d: Duration) -> String {
    // In tenths first, so that 119.97 s is "2m 00.0s", not "1m 60.0s".
    let tenths = (d.as_secs_f64() * 10.0).round() as u64;
    if tenths < 600 {
        format!("{}.{}s", tenths / 10, tenths % 10)
    } else {
        let (minutes, tenths) = (tenths / 600, tenths % 600);
        format!("{minutes}m {:02}.{}s", tenths / 10, tenths % 10)
    }
}

pub fn run(args: &[String]) -> Result {
    if args.iter().any(|a| a == "-h" || a == "--help") {
        println!("usage: cargo xtask {USAGE}\n{ABOUT}");
        return Ok(());
    }
    let steps = select(args)?;
    let started = Instant::now();
    let mut done: Vec<(bool, Duration)> = Vec::new();
    let mut failure = None;
    for (i, step) in steps.iter().enumerate() {
        println!("\n==> [{}/{}] {}", i + 1, steps.len(), step.name);
        let start = Instant::now();
        let result = (step.run)();
        let took = start.elapsed();
        let verdict = if result.is_ok() { "ok" } else { "FAILED" };
        println!("<== {} {verdict} in {}", step.name, seconds(took));
        done.push((result.is_ok(), took));
        if let Err(e) = result {
            failure = Some((step.name, e));
            break;
        }
    }

    println!("\nstep        result        time");
    for (i, step) in steps.iter().enumerate() {
        let (result, took) = match done.get(i) {
            Some(&(ok, took)) => (if ok { "ok" } else { "FAILED" }, seconds(took)),
            None => ("not run", String::new()),
        };
        let row = format!("{:<11} {result:<8} {took:>9}", step.name);
        println!("{}", row.trim_end());
    }
    println!("{:<20} {:>9}", "total", seconds(started.elapsed()));

    match failure {
        None => {
            println!("xtask: all {} steps succeeded", steps.len());
            Ok(())
        }
        Some((name, e)) => Err(format!(
            "step `{name}` failed: {e}\nrerun just this step with: cargo xtask test --only {name}"
        )),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn crate_names_come_from_library_files() {
        assert_eq!(crate_name("libfoo_bar-0123abcd.rlib"), Some("foo_bar"));
        assert_eq!(crate_name("libfoo-0123abcd.rmeta"), None);
        assert_eq!(crate_name("foo-0123abcd.d"), None);
    }

    #[test]
    fn only_selects_in_usual_order() {
        let args = ["--only".to_string(), "book-test,fmt".to_string()];
        let names: Vec<_> = select(&args).unwrap().iter().map(|s| s.name).collect();
        assert_eq!(names, ["fmt", "book-test"]);
        assert_eq!(select(&[]).unwrap().len(), STEPS.len());
        let err = select(&["--only=nope".to_string()]).err().unwrap();
        assert!(err.contains("valid steps: fmt, clippy"), "{err}");
        let args = ["--skip".to_string(), "miri".to_string()];
        let names: Vec<_> = select(&args).unwrap().iter().map(|s| s.name).collect();
        assert_eq!(names.len(), STEPS.len() - 1);
        assert!(!names.contains(&"miri"));
        let args = ["--only=test,miri".to_string(), "--skip=miri".to_string()];
        let names: Vec<_> = select(&args).unwrap().iter().map(|s| s.name).collect();
        assert_eq!(names, ["test"]);
    }

    #[test]
    fn times_read_well() {
        assert_eq!(seconds(Duration::from_millis(3_400)), "3.4s");
        assert_eq!(seconds(Duration::from_millis(119_970)), "2m 00.0s");
        assert_eq!(seconds(Duration::from_millis(66_700)), "1m 06.7s");
    }
}
