//! The nightly toolchain that `miri` and `sanitize` need: check that it and
//! the components they use are installed (installing what is missing), and
//! build `cargo +nightly` commands.
//!
//! Everything goes through rustup, which is also what `+nightly` needs. An
//! installed nightly toolchain is never updated here: other work on the
//! machine may depend on the exact nightly it has.

use std::ffi::OsStr;
use std::process::Command;

use crate::cmd::{self, repo_root};
use crate::Result;

/// The toolchain name given to rustup and to `cargo +...`.
pub const TOOLCHAIN: &str = "nightly";

/// A `cargo +nightly ARGS` command started in the repository root. It goes
/// through rustup's `cargo` proxy on `PATH` (not `$CARGO`, which is the
/// stable cargo that runs the xtask).
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let mut command = Command::new("cargo");
    command
        .arg(format!("+{TOOLCHAIN}"))
        .args(args)
        .current_dir(repo_root());
    command
}

/// Whether a line of `rustup toolchain list` names the undated nightly
/// (`nightly`, or `nightly-<host>`, perhaps followed by ` (default)`), not
/// a dated one such as `nightly-2025-01-01-<host>`, which is another
/// toolchain to rustup.
fn is_undated_nightly(line: &str) -> bool {
    let name = line.split_whitespace().next().unwrap_or("");
    name == TOOLCHAIN
        || name
            .strip_prefix(&format!("{TOOLCHAIN}-"))
            .is_some_and(|host| !host.starts_with(|c: char| c.is_ascii_digit()))
}

/// Makes sure the nightly toolchain and `components` are installed, for
/// `purpose` (shown to the user, e.g. "Miri"). Says what it installs before
/// it does, since that downloads a few hundred megabytes.
pub fn ensure(components: &[&str], purpose: &str) -> Result {
    let toolchains = rustup_output(&["toolchain", "list"])?;
    let installed = toolchains.lines().any(is_undated_nightly);
    let list = components.join(",");
    if !installed {
        println!(
            "xtask: installing the {TOOLCHAIN} toolchain with {} (needed for {purpose}; \
             a download of a few hundred MB, once per machine)",
            components.join(" and ")
        );
        let mut install = Command::new("rustup");
        install.args(["toolchain", "install", TOOLCHAIN, "--profile", "minimal"]);
        install.args(["--component", &list]);
        return cmd::run(&mut install).map_err(|e| {
            format!(
                "{e}\ninstalling the {TOOLCHAIN} toolchain failed; retry by hand with: \
                 rustup toolchain install {TOOLCHAIN} --profile minimal --component {list}"
            )
        });
    }
    let have = rustup_output(&["component", "list", "--installed", "--toolchain", TOOLCHAIN])?;
    let missing: Vec<&str> = components
        .iter()
        .copied()
        .filter(|c| !have_component(&have, c))
        .collect();
    if missing.is_empty() {
        return Ok(());
    }
    println!(
        "xtask: adding the {TOOLCHAIN} toolchain's {} component{} with rustup \
         (needed for {purpose}; once per machine)",
        missing.join(" and "),
        if missing.len() == 1 { "" } else { "s" }
    );
    let mut add = Command::new("rustup");
    add.args(["component", "add", "--toolchain", TOOLCHAIN]);
    add.args(&missing);
    cmd::run(&mut add).map_err(|e| {
        format!(
            "{e}\nadding the components failed; retry by hand with: \
             rustup component add --toolchain {TOOLCHAIN} {}",
            missing.join(" ")
        )
    })
}

/// Whether `rustup component list --installed` output lists `component`:
/// target-specific components carry a target triple after a dash
/// (`miri-x86_64-unknown-linux-gnu`), others stand alone (`rust-src`). A
/// triple has at least two dashes, which tells `rust-src` from `rust`.
fn have_component(installed: &str, component: &str) -> bool {
    installed.lines().map(str::trim).any(|line| {
        line == component
            || line
                .strip_prefix(component)
                .and_then(|rest| rest.strip_prefix('-'))
                .is_some_and(|triple| triple.matches('-').count() >= 2)
    })
}

/// The nightly compiler's host target (`x86_64-unknown-linux-gnu`), from
/// the `host:` line of `rustc -vV`.
pub fn host() -> Result<String> {
    let mut rustc = Command::new("rustc");
    rustc.args([&format!("+{TOOLCHAIN}"), "-vV"]);
    let output = rustc
        .output()
        .map_err(|e| format!("could not start `rustc +{TOOLCHAIN} -vV`: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    stdout
        .lines()
        .find_map(|line| line.strip_prefix("host: "))
        .map(|host| host.trim().to_string())
        .ok_or_else(|| {
            format!(
                "`rustc +{TOOLCHAIN} -vV` printed no `host:` line ({})",
                String::from_utf8_lossy(&output.stderr).trim()
            )
        })
}

/// What `rustup ARGS` prints, or an error saying rustup is needed.
fn rustup_output(args: &[&str]) -> Result<String> {
    let line = format!("rustup {}", args.join(" "));
    let output = Command::new("rustup").args(args).output().map_err(|e| {
        format!(
            "could not start `{line}` ({e}); this command needs rustup \
             (https://rustup.rs) to provide the {TOOLCHAIN} toolchain"
        )
    })?;
    if !output.status.success() {
        return Err(format!(
            "`{line}` failed ({}): {}",
            output.status,
            String::from_utf8_lossy(&output.stderr).trim()
        ));
    }
    Ok(String::from_utf8_lossy(&output.stdout).into_owned())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_the_undated_nightly_counts() {
        assert!(is_undated_nightly("nightly-x86_64-unknown-linux-gnu"));
        assert!(is_undated_nightly(
            "nightly-aarch64-unknown-linux-gnu (default)"
        ));
        assert!(is_undated_nightly("nightly"));
        assert!(!is_undated_nightly(
            "nightly-2025-01-01-x86_64-unknown-linux-gnu"
        ));
        assert!(!is_undated_nightly(
            "stable-x86_64-unknown-linux-gnu (default)"
        ));
    }

    #[test]
    fn components_are_found_with_or_without_a_target() {
        let installed = "cargo-x86_64-unknown-linux-gnu\nmiri-x86_64-unknown-linux-gnu\nrust-src\n";
        assert!(have_component(installed, "miri"));
        assert!(have_component(installed, "rust-src"));
        assert!(!have_component(installed, "rust"));
        assert!(!have_component(installed, "clippy"));
    }
}
