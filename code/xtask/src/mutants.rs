//! `cargo xtask mutants [--stress] [--histories N] [--list] [NAME...]`:
//! deliberately broken copies of the crates, to show that the tests can fail.
//!
//! A test suite that has never failed proves little: it may not be able to.
//! So this command copies the workspace into `target/mutants/<mutant>/`,
//! plants one known bug in each copy (a *mutant*) with a textual find and
//! replace, and runs the linearizability test against it (with `--stress`,
//! the stress and sequential tests too). Each find must match exactly once:
//! if the source drifts away from a mutant, the command stops with an error
//! instead of testing an unchanged copy and calling it caught.
//!
//! An unmodified copy runs first, as a control: if it fails, every "caught"
//! below would mean nothing. All copies share one target folder,
//! `target/mutants/target`, so the dependencies are built once.

use std::fs;
use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, ExitStatus, Stdio};
use std::thread;
use std::time::{Duration, Instant};

use serde_json::Value;

use crate::cmd::split_inline_values;
use crate::cmd::{cargo, describe, repo_root};
use crate::lincheck::{package_name, parse_count, suite_target};
use crate::Result;

pub const USAGE: &str = "mutants [--stress] [--histories N] [--list] [NAME...]";
pub const ABOUT: &str = "Plant known bugs in copies of the crates (target/mutants/), one per \
     copy, and check that the linearizability test catches each (with --stress: which stress \
     and sequential tests do too). --histories N per copy (default 100,000); --list names the \
     mutants; NAME... runs only those.";

/// How many histories the linearizability test checks per copy, unless told.
const DEFAULT_HISTORIES: u64 = 100_000;

/// A test binary that runs longer than this is stopped and counted as hung.
const TIMEOUT: Duration = Duration::from_secs(600);

// ANCHOR: mutant
/// One replacement in a file: `find` must occur exactly once.
struct Edit {
    find: &'static str,
    replace: &'static str,
}

/// A deliberately broken copy.
struct Mutant {
    /// Short name, as given on the command line.
    name: &'static str,
    /// The crate it breaks (the one whose shared suite runs against it).
    krate: &'static str,
    /// The file the edits apply to, relative to the repository root.
    file: &'static str,
    /// The edits, applied in order.
    edits: &'static [Edit],
    /// What is broken, and what goes wrong because of it.
    bug: &'static str,
    /// If the default number of random histories does not always catch it:
    /// why (which stall it needs). The command fails if a mutant survives
    /// that is not marked so.
    elusive: Option<&'static str>,
}
// ANCHOR_END: mutant

const VEC: &str = "code/secvec/src/vec.rs";
const EXCHANGE: &str = "code/secvec/src/exchange.rs";

/// Why a `get` that does not help is rarely caught by random histories.
const GET_WINDOW: &str = "needs a get of the last index to read the descriptor after a \
     push published it and the slot before the push wrote it, a window of a few instructions";

// ANCHOR: mutants
const MUTANTS: &[Mutant] = &[
    // ANCHOR: first_mutant
    Mutant {
        name: "set-ignores-seal",
        krate: "secvec",
        file: VEC,
        edits: &[Edit {
            find: "} else if old.is_sealed_under(base.stamp) {",
            replace: "} else if false && old.is_sealed_under(base.stamp) {",
        }],
        bug: "set swaps a slot directly even when a pop of the current descriptor has \
              sealed it: the pop, between its seal and its swap, and the set both return the \
              old element, and the set's value is lost with the popped slot",
        elusive: None,
    },
    // ANCHOR_END: first_mutant
    Mutant {
        name: "helper-does-not-apply",
        krate: "secvec",
        file: VEC,
        edits: &[Edit {
            find: "                owed.op.apply(&self.buckets, &self.floor);\n",
            replace: "",
        }],
        bug: "an operation that finds another thread's write pending starts from it without \
              applying it: while the owner is between its publication and its own apply, the \
              descriptor counts a slot that does not hold its element yet, so a get or pop \
              reads what was there before",
        elusive: None,
    },
    Mutant {
        name: "get-without-help",
        krate: "secvec",
        file: VEC,
        edits: &[Edit {
            find: "Descriptor::Pending { .. } => self.settled_size(),",
            replace: "Descriptor::Pending { size, .. } => size,",
        }],
        bug: "get reads the last slot while a write to it is pending, instead of helping \
              the write first: it returns the slot's old contents",
        elusive: Some(GET_WINDOW),
    },
    Mutant {
        name: "pop-seals-without-recheck",
        krate: "secvec",
        file: VEC,
        edits: &[Edit {
            find: "if self.descriptor.load() == base.current &&",
            replace: "if true &&",
        }],
        bug: "pop seals the slot it read without checking that the descriptor it read is \
              still current: a pop that stalled across other pops and a push seals a slot \
              that the push is about to write, and the pushed value is lost",
        elusive: Some(
            "needs one pop to stall between reading the descriptor and sealing while another \
             thread pushes, pops twice and pushes again",
        ),
    },
    Mutant {
        name: "pop-gives-up-when-the-descriptor-moves",
        krate: "secvec",
        file: VEC,
        edits: &[Edit {
            find: "if self.descriptor.load() == base.current &&",
            replace: "if self.descriptor.load() != base.current {\n            \
                      return ControlFlow::Break(None);\n        }\n        if",
        }],
        bug: "a pop whose second look finds the descriptor changed returns None instead of \
              starting over: it reports an empty vector while elements are there (the loom \
              models that pop from a vector that cannot be empty catch it too)",
        elusive: None,
    },
    Mutant {
        name: "set-without-recheck",
        krate: "secvec",
        file: VEC,
        edits: &[Edit {
            find: "let done = if self.descriptor.load() != base.current {",
            replace: "let done = if false && self.descriptor.load() != base.current {",
        }],
        bug: "set does not check the descriptor again after reading the slot: a set that \
              stalled across two pops finds a seal of a later descriptor, thinks the slot \
              unsealed, and replaces an element that a pop has already returned",
        elusive: Some(
            "needs a set to stall between reading the descriptor and reading the slot while \
             two pops complete",
        ),
    },
    Mutant {
        name: "floor-never-lowered",
        krate: "secvec",
        file: VEC,
        edits: &[Edit {
            find: "if let Some(fall) = self.floor.load().lower_for(index) {",
            replace: "if let Some(fall) = self.floor.load().lower_for(index).filter(|_| false) {",
        }],
        bug: "pop shrinks the vector without lowering the floor first (or ever): a get \
              below the stale floor skips the descriptor and returns a popped element",
        elusive: None,
    },
    Mutant {
        name: "floor-lowered-after-shrink",
        krate: "secvec",
        file: VEC,
        edits: &[
            Edit {
                find: "        if let Some(fall) = self.floor.load().lower_for(index) {\n\
                       \x20           self.floor.apply(fall);\n\
                       \x20           return ControlFlow::Continue(());\n        }\n",
                replace: "        let fall = self.floor.load().lower_for(index);\n",
            },
            Edit {
                find: "if swap(next) {\n",
                replace: "if swap(next) {\n\
                          if let Some(fall) = fall { self.floor.apply(fall); }\n",
            },
        ],
        bug: "pop lowers the floor after shrinking the vector rather than before: between \
              the two, a get below the old floor returns the element just popped",
        elusive: Some(
            "the window is the few instructions between the pop's swap and its lowering, and \
             only a get that must come after the pop (because the same thread saw the new \
             length first) can show it",
        ),
    },
    Mutant {
        name: "stamp-not-raised",
        krate: "secvec",
        file: VEC,
        edits: &[Edit {
            find: "let stamp = base.stamp.wrapping_add(1);",
            replace: "let stamp = base.stamp;",
        }],
        bug: "write_through gives its write the stamp of the state it replaces: a set through \
              the descriptor leads back to a state of the stamp a pop sealed under, and the \
              pop, retrying, takes its own seal for a fresh one and returns the element the \
              set replaced",
        elusive: Some(
            "needs a set of the last index to find the slot sealed, in the few \
             instructions between a pop's seal and its swap; only then does the set go \
             through the descriptor",
        ),
    },
    Mutant {
        name: "set-through-own-stamp",
        krate: "secvec",
        file: VEC,
        edits: &[Edit {
            find: "                        new: SlotWord::written(bits, base.stamp.wrapping_add(1)),\n\
                   \x20                       raise: None,\n",
            replace: "                        new: SlotWord::written(bits, base.stamp),\n\
                      \x20                       raise: None,\n",
        }],
        bug: "a set that goes through the descriptor writes a word of its own stamp, as a \
              direct set does, instead of the next one: a direct set and a seal that stalled \
              under the same stamp can then land on that word, and a late helper lands the \
              write a second time, so a later set's value is lost (the schedule in the seals \
              chapter)",
        elusive: Some(
            "needs five threads, four of them stalled at chosen points; histories have \
             at most three",
        ),
    },
    Mutant {
        name: "stage3-get-without-help",
        krate: "stage3",
        file: "code/stage3/src/vec.rs",
        edits: &[Edit {
            find: "            let current = self.current(current_hazard);\n            \
                   current.complete_write(&self.buckets);\n            \
                   if index >= current.size {\n                return None;\n            \
                   }\n            let bits",
            replace: "            let current = self.current(current_hazard);\n            \
                      if index >= current.size {\n                return None;\n            \
                      }\n            let bits",
        }],
        bug: "stage 3's get does not complete the pending write of the descriptor it \
              reads, and reads a slot that the write has not reached yet",
        elusive: None,
    },
    Mutant {
        name: "elimination-take-without-claim",
        krate: "secvec",
        file: EXCHANGE,
        edits: &[Edit {
            find: "(seen.state == State::Offer && self.replace(seen, taken)).then_some(seen.bits)",
            replace: "(seen.state == State::Offer && { let _ = taken; true }).then_some(seen.bits)",
        }],
        bug: "with elimination on, a pop takes a waiting push's value without swapping the \
              exchanger's word: the push sees nobody came, withdraws and pushes the value \
              too, so it comes out twice",
        elusive: None,
    },
    Mutant {
        name: "elimination-fill-without-handing-over",
        krate: "secvec",
        file: EXCHANGE,
        edits: &[Edit {
            find: "seen.state == State::Request && self.replace(seen, answered)",
            replace: "seen.state == State::Request && { let _ = answered; true }",
        }],
        bug: "with elimination on, a push reports that it answered a waiting pop without \
              writing its value into the exchanger: the pop withdraws and goes on, and the \
              pushed value is lost",
        elusive: None,
    },
];
// ANCHOR_END: mutants

/// What one run of a test binary showed.
enum Finding {
    /// Every test passed.
    Passed,
    /// Tests failed: each one's name and the first line of its panic.
    Failed(Vec<(String, String)>),
    /// The binary died without the harness reporting a failed test.
    Crashed(String),
    /// Stopped after [`TIMEOUT`].
    Hung,
}

/// A check run against one copy: which check, what it found, how long.
struct Checked {
    check: &'static str,
    finding: Finding,
    took: Duration,
}

impl Checked {
    fn caught(&self) -> bool {
        !matches!(self.finding, Finding::Passed)
    }

    /// One line: "caught in 3.2 s by linearizable: history 812 ...".
    fn describe(&self) -> String {
        let took = format!("{:.1} s", self.took.as_secs_f64());
        match &self.finding {
            Finding::Passed => format!("passed ({took})"),
            Finding::Hung => format!("CAUGHT: hung, stopped after {took}"),
            Finding::Crashed(how) => format!("CAUGHT in {took}: crashed: {how}"),
            Finding::Failed(tests) => {
                let lines: Vec<String> = tests
                    .iter()
                    .map(|(test, message)| format!("{test}: {message}"))
                    .collect();
                format!(
                    "CAUGHT in {took} by {} test{}:\n      {}",
                    tests.len(),
                    if tests.len() == 1 { "" } else { "s" },
                    lines.join("\n      ")
                )
            }
        }
    }
}

/// What the command was asked to do.
struct Options {
    stress: bool,
    histories: u64,
    names: Vec<String>,
}

fn parse(args: &[String]) -> Result<Option<Options>> {
    let mut options = Options {
        stress: false,
        histories: DEFAULT_HISTORIES,
        names: Vec::new(),
    };
    let args = split_inline_values(args);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("usage: cargo xtask {USAGE}\n{ABOUT}");
                return Ok(None);
            }
            "--list" => {
                for m in MUTANTS {
                    println!("{} ({}): {}", m.name, m.krate, m.bug);
                }
                return Ok(None);
            }
            "--stress" => options.stress = true,
            "--histories" => options.histories = parse_count("--histories", args.next())?,
            other if other.starts_with('-') => {
                return Err(format!(
                    "unknown option `{other}` for `mutants`\nusage: cargo xtask {USAGE}"
                ))
            }
            name => {
                if !MUTANTS.iter().any(|m| m.name == name) {
                    let names: Vec<&str> = MUTANTS.iter().map(|m| m.name).collect();
                    return Err(format!(
                        "no mutant is called `{name}`; mutants: {}",
                        names.join(", ")
                    ));
                }
                options.names.push(name.to_string());
            }
        }
    }
    Ok(Some(options))
}

pub fn run(args: &[String]) -> Result {
    let Some(options) = parse(args)? else {
        return Ok(());
    };
    let chosen: Vec<&Mutant> = MUTANTS
        .iter()
        .filter(|m| options.names.is_empty() || options.names.iter().any(|n| n == m.name))
        .collect();
    let root = repo_root();
    // Every edit must still fit the source before anything is built.
    for mutant in &chosen {
        let file = root.join(mutant.file);
        let text = fs::read_to_string(&file)
            .map_err(|e| format!("could not read {}: {e}", file.display()))?;
        mutate(mutant, &text)?;
    }
    let base = root.join("target").join("mutants");
    let started = Instant::now();
    let mut crates: Vec<&str> = Vec::new();
    for mutant in &chosen {
        if !crates.contains(&mutant.krate) {
            crates.push(mutant.krate);
        }
    }

    // The controls: each crate's copy as it is must pass.
    let mut controls = Vec::new();
    for krate in &crates {
        let name = format!("control-{krate}");
        println!("\n==> {name}: the {krate} copy, unmodified");
        let checks = test_copy(&base, &name, krate, None, &options)?;
        if let Some(failed) = checks.iter().find(|c| c.caught()) {
            return Err(format!(
                "the unmodified copy of {krate} fails its {} check: {}\nfix that first; \
                 rerun with: cargo xtask mutants",
                failed.check,
                failed.describe()
            ));
        }
        controls.push((name, checks));
    }

    let mut results = Vec::new();
    for (i, mutant) in chosen.iter().enumerate() {
        println!(
            "\n==> [{}/{}] {} ({}): {}",
            i + 1,
            chosen.len(),
            mutant.name,
            mutant.file,
            mutant.bug
        );
        let checks = test_copy(&base, mutant.name, mutant.krate, Some(mutant), &options)?;
        results.push((mutant, checks));
    }

    println!("\n==> summary ({} histories per copy)", options.histories);
    for (name, checks) in &controls {
        report(name, checks);
    }
    for (mutant, checks) in &results {
        report(mutant.name, checks);
        if let (Some(why), false) = (mutant.elusive, checks.iter().any(Checked::caught)) {
            println!("    (expected: {why})");
        }
    }
    let total = started.elapsed().as_secs_f64();
    println!("xtask: mutants took {:.0} s in all", total);

    let survivors: Vec<&str> = results
        .iter()
        .filter(|(m, checks)| m.elusive.is_none() && !checks.iter().any(Checked::caught))
        .map(|(m, _)| m.name)
        .collect();
    if survivors.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "no check caught {}; rerun with: cargo xtask mutants --histories N {}",
            survivors.join(", "),
            survivors.join(" ")
        ))
    }
}

fn report(name: &str, checks: &[Checked]) {
    println!("  {name}");
    for check in checks {
        println!("    {:<8} {}", check.check, check.describe());
    }
}

/// `text` with `mutant`'s edits applied, or an error if one of them does
/// not match exactly once.
fn mutate(mutant: &Mutant, text: &str) -> Result<String> {
    let mut text = text.to_string();
    for edit in mutant.edits {
        let count = text.matches(edit.find).count();
        if count != 1 {
            return Err(format!(
                "mutant `{}`: this text occurs {count} times in {}, not once; the source has \
                 changed, so update the mutant in code/xtask/src/mutants.rs:\n{}",
                mutant.name, mutant.file, edit.find
            ));
        }
        text = text.replacen(edit.find, edit.replace, 1);
    }
    Ok(text)
}

/// Copies the workspace to `base/name`, applies `mutant` (if any), builds
/// the tests and runs them: the linearizability test always, the stress
/// and sequential tests with `--stress`.
fn test_copy(
    base: &Path,
    name: &str,
    krate: &str,
    mutant: Option<&Mutant>,
    options: &Options,
) -> Result<Vec<Checked>> {
    let copy = base.join(name);
    let target_dir = base.join("target");
    copy_workspace(&repo_root(), &copy)?;
    if let Some(mutant) = mutant {
        let file = copy.join(mutant.file);
        let text = fs::read_to_string(&file)
            .map_err(|e| format!("could not read {}: {e}", file.display()))?;
        fs::write(&file, mutate(mutant, &text)?)
            .map_err(|e| format!("could not write {}: {e}", file.display()))?;
    }
    let suite = suite_target(&copy, krate)?;
    let started = Instant::now();
    let suite_exe = build_test(&copy, &target_dir, &suite.package, &suite.test)?;
    // The crate's own stress tests, if it has any.
    let own_stress = Path::new("code").join(krate);
    let stress_exe = if options.stress && copy.join(&own_stress).join("tests/stress.rs").exists() {
        let package = package_name(&copy.join(&own_stress).join("Cargo.toml"))?;
        Some(build_test(&copy, &target_dir, &package, "stress")?)
    } else {
        None
    };
    println!("    built in {:.1} s", started.elapsed().as_secs_f64());

    let histories = options.histories.to_string();
    let suite_dir = copy.join(&suite.folder);
    let mut checks = vec![run_check(
        "lincheck",
        &suite_exe,
        &suite_dir,
        // Every linearizability test of the suite file (for secvec, also
        // the one with elimination on), one at a time.
        &["linearizable", "--test-threads", "1"],
        &[
            ("SECVEC_LINCHECK_HISTORIES", &histories),
            ("SECVEC_LINCHECK_MAX_VIOLATIONS", "1"),
        ],
        &copy,
    )?];
    if options.stress {
        let skip = ["--skip", "linearizable"];
        checks.push(run_check(
            "suite",
            &suite_exe,
            &suite_dir,
            &skip,
            &[],
            &copy,
        )?);
        if let Some(exe) = stress_exe {
            let dir = copy.join(&own_stress);
            checks.push(run_check("stress", &exe, &dir, &[], &[], &copy)?);
        }
    }
    Ok(checks)
}

/// Copies `Cargo.toml`, `Cargo.lock` and `code/` (without any `target`
/// folder) from `from` to a fresh `to`.
fn copy_workspace(from: &Path, to: &Path) -> Result {
    if to.exists() {
        fs::remove_dir_all(to).map_err(|e| format!("could not remove {}: {e}", to.display()))?;
    }
    fs::create_dir_all(to).map_err(|e| format!("could not create {}: {e}", to.display()))?;
    for file in ["Cargo.toml", "Cargo.lock"] {
        copy_file(&from.join(file), &to.join(file))?;
    }
    copy_tree(&from.join("code"), &to.join("code"))
}

fn copy_file(from: &Path, to: &Path) -> Result {
    fs::copy(from, to)
        .map(drop)
        .map_err(|e| format!("could not copy {} to {}: {e}", from.display(), to.display()))
}

fn copy_tree(from: &Path, to: &Path) -> Result {
    fs::create_dir_all(to).map_err(|e| format!("could not create {}: {e}", to.display()))?;
    let entries =
        fs::read_dir(from).map_err(|e| format!("could not list {}: {e}", from.display()))?;
    for entry in entries.flatten() {
        let path = entry.path();
        let dest = to.join(entry.file_name());
        if path.is_dir() {
            if entry.file_name() != "target" {
                copy_tree(&path, &dest)?;
            }
        } else {
            copy_file(&path, &dest)?;
        }
    }
    Ok(())
}

/// Builds the test target `test` of `package` in the workspace `copy` and
/// returns the path of its binary. Cargo's progress goes to the terminal.
fn build_test(copy: &Path, target_dir: &Path, package: &str, test: &str) -> Result<PathBuf> {
    let mut build = cargo([
        "test",
        "--no-run",
        "--message-format=json-render-diagnostics",
        "-p",
        package,
        "--test",
        test,
    ]);
    build
        .current_dir(copy)
        .env("CARGO_TARGET_DIR", target_dir)
        .stdout(Stdio::piped())
        .stderr(Stdio::inherit());
    let line = describe(&build);
    println!("    $ (cd {}; {line})", copy.display());
    let output = build
        .output()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{line}` failed ({}) in {}: the mutant does not compile; fix its edits in \
             code/xtask/src/mutants.rs",
            output.status,
            copy.display()
        ));
    }
    String::from_utf8_lossy(&output.stdout)
        .lines()
        .filter_map(|line| serde_json::from_str::<Value>(line).ok())
        .find(|message| {
            message["reason"] == "compiler-artifact"
                && message["target"]["name"] == test
                && message["target"]["kind"][0] == "test"
        })
        .and_then(|message| message["executable"].as_str().map(PathBuf::from))
        .ok_or_else(|| format!("`{line}` named no test binary called {test}"))
}

/// Runs the test binary `exe` in `dir` with `args` and `envs` as the check
/// called `check`, reports what it found, and keeps its whole output in
/// `copy/<check>.log`; stops it after [`TIMEOUT`].
fn run_check(
    check: &'static str,
    exe: &Path,
    dir: &Path,
    args: &[&str],
    envs: &[(&str, &str)],
    copy: &Path,
) -> Result<Checked> {
    let mut command = Command::new(exe);
    command
        .args(args)
        .current_dir(dir)
        // Backtraces would bury the messages this command reports.
        .env("RUST_BACKTRACE", "0")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    for (key, value) in envs {
        command.env(key, value);
    }
    let line = describe(&command);
    println!("    $ {line}");
    let started = Instant::now();
    let mut child = command
        .spawn()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    // Read both pipes while waiting, so a chatty test cannot block on a full
    // pipe.
    let readers: Vec<_> = [
        child
            .stdout
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
        child
            .stderr
            .take()
            .map(|p| Box::new(p) as Box<dyn Read + Send>),
    ]
    .into_iter()
    .flatten()
    .map(|mut pipe| {
        thread::spawn(move || {
            let mut text = String::new();
            let _ = pipe.read_to_string(&mut text);
            text
        })
    })
    .collect();
    let status: Option<ExitStatus> = loop {
        match child.try_wait() {
            Ok(Some(status)) => break Some(status),
            Ok(None) if started.elapsed() > TIMEOUT => {
                // Our own child, stopped by its handle.
                let _ = child.kill();
                let _ = child.wait();
                break None;
            }
            Ok(None) => thread::sleep(Duration::from_millis(50)),
            Err(e) => return Err(format!("could not wait for `{line}`: {e}")),
        }
    };
    let took = started.elapsed();
    let output: String = readers
        .into_iter()
        .map(|r| r.join().unwrap_or_default())
        .collect::<Vec<_>>()
        .join("\n");
    let finding = match status {
        None => Finding::Hung,
        Some(status) if status.success() => Finding::Passed,
        Some(status) => {
            let failed = failures(&output);
            if failed.is_empty() {
                let tail: Vec<&str> = output.lines().rev().take(5).collect();
                let tail: Vec<&str> = tail.into_iter().rev().collect();
                Finding::Crashed(format!("{status}; last lines: {}", tail.join(" | ")))
            } else {
                Finding::Failed(failed)
            }
        }
    };
    let log = copy.join(format!("{check}.log"));
    fs::write(&log, &output).map_err(|e| format!("could not write {}: {e}", log.display()))?;
    let checked = Checked {
        check,
        finding,
        took,
    };
    println!(
        "    {check:<8} {} (output in {})",
        checked.describe(),
        log.display()
    );
    Ok(checked)
}

/// The failed tests in a test harness's output, each with the first line
/// of its first panic message.
fn failures(output: &str) -> Vec<(String, String)> {
    let mut failed = Vec::new();
    let mut lines = output.lines();
    while let Some(line) = lines.next() {
        let Some(name) = line
            .strip_prefix("---- ")
            .and_then(|rest| rest.strip_suffix(" stdout ----"))
        else {
            continue;
        };
        let mut message = String::from("(no panic message)");
        for line in lines.by_ref() {
            if line.starts_with("---- ") || line == "failures:" {
                break;
            }
            if line.contains("panicked at") {
                message = first_lines(&mut lines);
                break;
            }
        }
        failed.push((name.to_string(), message));
    }
    failed
}

/// The start of a panic message: up to three lines (an assertion's `left`
/// and `right`), joined, stopping at a blank line, a history
/// (`starting from`) or proptest's `minimal failing input`.
fn first_lines<'a>(lines: &mut impl Iterator<Item = &'a str>) -> String {
    let mut message = Vec::new();
    for line in lines.take(3) {
        let line = line.trim();
        let ends = ["starting from", "minimal failing input", "note:"];
        if line.is_empty() || ends.iter().any(|end| line.starts_with(end)) {
            break;
        }
        message.push(line);
    }
    let message = message.join(" ");
    match message.char_indices().nth(MESSAGE_CHARS) {
        Some((end, _)) => format!("{}...", &message[..end]),
        None => message,
    }
}

/// How much of a panic message the report shows.
const MESSAGE_CHARS: usize = 200;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn every_mutant_fits_the_source_exactly_once() {
        let root = repo_root();
        for mutant in MUTANTS {
            let text = fs::read_to_string(root.join(mutant.file)).unwrap();
            let mutated = mutate(mutant, &text).unwrap_or_else(|e| panic!("{e}"));
            assert_ne!(mutated, text, "{}", mutant.name);
        }
    }

    #[test]
    fn an_edit_that_no_longer_fits_is_an_error() {
        let mutant = &MUTANTS[0];
        let err = mutate(mutant, "fn unrelated() {}").unwrap_err();
        assert!(err.contains("occurs 0 times"), "{err}");
        let twice = format!("{0}\n{0}", mutant.edits[0].find);
        assert!(mutate(mutant, &twice)
            .unwrap_err()
            .contains("occurs 2 times"));
    }

    #[test]
    fn failures_are_read_from_the_harness_output() {
        let output = "running 2 tests\n\
            test a ... FAILED\n\
            \n\
            failures:\n\
            \n\
            ---- a stdout ----\n\
            \n\
            thread 'a' (123) panicked at src/lib.rs:1:1:\n\
            history 4 is not linearizable: thread 1's pop() -> Some(2)\n\
            starting from [2]\n\
            ---- b stdout ----\n\
            thread '<unnamed>' (124) panicked at src/lib.rs:2:2:\n\
            assertion `left == right` failed: value 1\n\
            \x20 left: 5\n\
            \x20right: 4\n\
            note: run with `RUST_BACKTRACE=1`\n\
            \n\
            failures:\n    a\n    b\n";
        assert_eq!(
            failures(output),
            [
                (
                    "a".to_string(),
                    "history 4 is not linearizable: thread 1's pop() -> Some(2)".to_string()
                ),
                (
                    "b".to_string(),
                    "assertion `left == right` failed: value 1 left: 5 right: 4".to_string()
                ),
            ]
        );
    }
}
