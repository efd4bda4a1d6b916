//! `cargo xtask lincheck [--histories N] [--crate NAME]`: a long run of the
//! linearizability checker (`code/suite/src/lincheck.rs`) in a release
//! build, with a progress line every second.
//!
//! The run is the suite's own `linearizable` test, every one of them in the
//! crate's suite file (for secvec, also the one on vectors with elimination
//! on), one after the other, so it checks exactly what `cargo test` checks,
//! only more of it: `SECVEC_LINCHECK_HISTORIES` sets the
//! count, `SECVEC_LINCHECK_PROGRESS` turns on the progress lines, and
//! `SECVEC_LINCHECK_MAX_VIOLATIONS` lets it go on after the first violation.

use std::fs;
use std::path::Path;

use crate::cmd::{self, cargo, repo_root};
use crate::Result;

pub const USAGE: &str = "lincheck [--histories N] [--crate NAME]";
pub const ABOUT: &str = "Check N random concurrent histories (default 1,000,000) of a crate \
     (default secvec; any crate that runs the shared suite) for linearizability, in a release \
     build, with progress every second; for secvec, N more with elimination on. Stops after 10 \
     violations.";

/// How many histories a long run checks unless told otherwise.
const DEFAULT_HISTORIES: u64 = 1_000_000;

/// How many violations a long run prints before it stops.
const MAX_VIOLATIONS: u64 = 10;

/// A test target that runs the shared suite on a crate: the file
/// `code/<folder>/tests/<test>.rs` holds `suite::shared_tests!(<krate>)`.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SuiteTarget {
    /// The crate under test, as named in the macro.
    pub krate: String,
    /// The package that owns the test file.
    pub package: String,
    /// The test target's name (the file's stem).
    pub test: String,
    /// The package's folder, relative to the root (`code/suite`).
    pub folder: String,
}

/// Every test file under `root/code/*/tests/` that invokes `shared_tests!`,
/// sorted by crate name.
pub fn suite_targets(root: &Path) -> Result<Vec<SuiteTarget>> {
    let code = root.join("code");
    let mut targets = Vec::new();
    for folder in read_dir_sorted(&code)? {
        let tests = folder.join("tests");
        if !tests.is_dir() {
            continue;
        }
        for file in read_dir_sorted(&tests)? {
            if file.extension().is_none_or(|e| e != "rs") {
                continue;
            }
            let text = fs::read_to_string(&file)
                .map_err(|e| format!("could not read {}: {e}", file.display()))?;
            let Some(krate) = invoked_crate(&text) else {
                continue;
            };
            let manifest = folder.join("Cargo.toml");
            let package = package_name(&manifest)?;
            let test = file
                .file_stem()
                .map(|s| s.to_string_lossy().into_owned())
                .unwrap_or_default();
            let folder = folder.strip_prefix(root).unwrap_or(&folder);
            targets.push(SuiteTarget {
                krate,
                package,
                test,
                folder: folder.to_string_lossy().into_owned(),
            });
        }
    }
    targets.sort_by(|a, b| a.krate.cmp(&b.krate));
    Ok(targets)
}

/// The suite target for `krate`, or an error listing the valid names.
pub fn suite_target(root: &Path, krate: &str) -> Result<SuiteTarget> {
    let targets = suite_targets(root)?;
    let names: Vec<&str> = targets.iter().map(|t| t.krate.as_str()).collect();
    let names = names.join(", ");
    targets
        .into_iter()
        .find(|t| t.krate == krate)
        .ok_or_else(|| {
            format!("no test runs `suite::shared_tests!({krate})`; crates that do: {names}")
        })
}

fn read_dir_sorted(dir: &Path) -> Result<Vec<std::path::PathBuf>> {
    let entries =
        fs::read_dir(dir).map_err(|e| format!("could not list {}: {e}", dir.display()))?;
    let mut paths: Vec<_> = entries.flatten().map(|e| e.path()).collect();
    paths.sort();
    Ok(paths)
}

/// `NAME` for a file containing `shared_tests!(NAME)`.
fn invoked_crate(text: &str) -> Option<String> {
    let rest = &text[text.find("shared_tests!(")? + "shared_tests!(".len()..];
    let name = rest[..rest.find(')')?].trim();
    let valid = !name.is_empty() && name.chars().all(|c| c.is_alphanumeric() || c == '_');
    valid.then(|| name.to_string())
}

/// The `name = "..."` of a manifest's `[package]` section.
pub fn package_name(manifest: &Path) -> Result<String> {
    let text = fs::read_to_string(manifest)
        .map_err(|e| format!("could not read {}: {e}", manifest.display()))?;
    let mut in_package = false;
    for line in text.lines() {
        let line = line.trim();
        if line.starts_with('[') {
            in_package = line == "[package]";
        } else if let (true, Some(value)) = (in_package, line.strip_prefix("name")) {
            let value = value.trim_start().trim_start_matches('=').trim();
            return Ok(value.trim_matches('"').to_string());
        }
    }
    Err(format!("{} has no [package] name", manifest.display()))
}

/// `N` from `--histories N`: digits, with `_` or `,` allowed between them.
pub fn parse_count(option: &str, value: Option<&String>) -> Result<u64> {
    let value = value.ok_or_else(|| format!("`{option}` needs a number"))?;
    let digits: String = value.chars().filter(|&c| c != '_' && c != ',').collect();
    digits
        .parse()
        .map_err(|_| format!("`{option}` needs a whole number, not `{value}`"))
}

pub fn run(args: &[String]) -> Result {
    let mut histories = DEFAULT_HISTORIES;
    let mut krate = "secvec".to_string();
    let args = crate::cmd::split_inline_values(args);
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        match arg.as_str() {
            "-h" | "--help" => {
                println!("usage: cargo xtask {USAGE}\n{ABOUT}");
                return Ok(());
            }
            "--histories" => histories = parse_count("--histories", args.next())?,
            "--crate" => {
                krate = args
                    .next()
                    .ok_or("`--crate` needs a crate name")?
                    .to_string()
            }
            other => {
                return Err(format!(
                    "unknown option `{other}` for `lincheck`\nusage: cargo xtask {USAGE}"
                ))
            }
        }
    }
    let target = suite_target(&repo_root(), &krate)?;
    let mut test = cargo([
        "test",
        "--release",
        "-p",
        &target.package,
        "--test",
        &target.test,
        // Every test whose name contains this: `linearizable`, and for
        // secvec `with_elimination::linearizable` too.
        "linearizable",
        "--",
        "--nocapture",
        // One at a time: each spawns its own threads.
        "--test-threads",
        "1",
    ]);
    test.env("SECVEC_LINCHECK_HISTORIES", histories.to_string())
        .env("SECVEC_LINCHECK_PROGRESS", "1");
    if std::env::var_os("SECVEC_LINCHECK_MAX_VIOLATIONS").is_none() {
        test.env("SECVEC_LINCHECK_MAX_VIOLATIONS", MAX_VIOLATIONS.to_string());
    }
    cmd::run(&mut test).map_err(|e| {
        format!(
            "{e}\nthe linearizability check of `{krate}` failed: the histories printed above \
             have no sequential explanation (or an operation panicked).\nrerun the same \
             plans (the interleavings will differ) with: SECVEC_LINCHECK_SEED=<the seed \
             printed above> cargo xtask lincheck --crate {krate} --histories {histories}"
        )
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_macro_names_the_crate() {
        let text = "//! The suite.\nsuite::shared_tests!(stage1);\n";
        assert_eq!(invoked_crate(text).as_deref(), Some("stage1"));
        assert_eq!(invoked_crate("shared_tests!($krate)"), None);
        assert_eq!(invoked_crate("no macro here"), None);
    }

    #[test]
    fn this_repository_runs_the_suite_on_secvec() {
        let targets = suite_targets(&repo_root()).unwrap();
        let secvec = SuiteTarget {
            krate: "secvec".into(),
            package: "suite".into(),
            test: "secvec".into(),
            folder: "code/suite".into(),
        };
        assert!(targets.contains(&secvec), "{targets:?}");
    }

    #[test]
    fn counts_may_have_separators() {
        let arg = |s: &str| Some(s.to_string());
        assert_eq!(
            parse_count("--histories", arg("1_000_000").as_ref()),
            Ok(1_000_000)
        );
        assert_eq!(
            parse_count("--histories", arg("20,000").as_ref()),
            Ok(20_000)
        );
        assert!(parse_count("--histories", arg("lots").as_ref()).is_err());
        assert!(parse_count("--histories", None).is_err());
    }
}
