//! Helpers shared by the subcommands: where the repository is, and how to
//! run a child process so that its output reaches the user.

use std::ffi::{OsStr, OsString};
use std::path::{Path, PathBuf};
use std::process::Command;

use crate::Result;

/// The repository root: this crate lives in `code/xtask`, two levels below.
/// Derived from `CARGO_MANIFEST_DIR`, so `cargo xtask` works from any folder.
pub fn repo_root() -> PathBuf {
    let manifest_dir = Path::new(env!("CARGO_MANIFEST_DIR"));
    manifest_dir
        .ancestors()
        .nth(2)
        .unwrap_or(manifest_dir)
        .to_path_buf()
}

/// A `cargo` command for the toolchain that runs this xtask (`cargo run`
/// sets `CARGO`), started in the repository root.
pub fn cargo<I, S>(args: I) -> Command
where
    I: IntoIterator<Item = S>,
    S: AsRef<OsStr>,
{
    let cargo = std::env::var_os("CARGO").unwrap_or_else(|| "cargo".into());
    let mut command = Command::new(cargo);
    command.args(args).current_dir(repo_root());
    command
}

/// `value` appended to the caller's environment variable `var` (if set), so
/// flags such as `RUSTFLAGS` add to what the user configured.
pub fn append_env(var: &str, value: &str) -> OsString {
    match std::env::var_os(var) {
        Some(old) if !old.is_empty() => {
            let mut joined = old;
            joined.push(" ");
            joined.push(value);
            joined
        }
        _ => value.into(),
    }
}

/// How `command` looks on a shell line: `VAR=value program args...`.
/// The program is shown by file name (`cargo`, not its full path), and
/// mdbook's config overrides (`MDBOOK_*`, see `tools.rs`) are left out.
pub fn describe(command: &Command) -> String {
    let mut words = Vec::new();
    for (key, value) in command.get_envs() {
        let hidden = key.to_string_lossy().starts_with("MDBOOK_");
        if let (Some(value), false) = (value, hidden) {
            words.push(format!(
                "{}={}",
                key.to_string_lossy(),
                quote(&value.to_string_lossy())
            ));
        }
    }
    let program = Path::new(command.get_program());
    let program = program.file_stem().unwrap_or(program.as_os_str());
    words.push(program.to_string_lossy().into_owned());
    words.extend(command.get_args().map(|a| quote(&a.to_string_lossy())));
    words.join(" ")
}

fn quote(word: &str) -> String {
    if !word.is_empty() && !word.contains([' ', '"', '\'', '$', '*']) {
        word.to_string()
    } else {
        format!("'{word}'")
    }
}

/// Runs `command` with inherited stdin/stdout/stderr after echoing it, and
/// turns a failure to start or a non-zero exit into an error message.
/// `--name=value` as two arguments, `--name` and `value`, so that each
/// option can be given either way.
pub fn split_inline_values(args: &[String]) -> Vec<String> {
    args.iter()
        .flat_map(|arg| match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => {
                vec![name.to_string(), value.to_string()]
            }
            _ => vec![arg.clone()],
        })
        .collect()
}

pub fn run(command: &mut Command) -> Result {
    let line = describe(command);
    println!("$ {line}");
    let status = command
        .status()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if status.success() {
        Ok(())
    } else {
        Err(format!("`{line}` failed ({status})"))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn only_options_split_at_their_first_equals_sign() {
        let args: Vec<String> = ["--histories=1_000", "--crate=a=b", "name=x", "--stress"]
            .map(String::from)
            .to_vec();
        assert_eq!(
            split_inline_values(&args),
            [
                "--histories",
                "1_000",
                "--crate",
                "a=b",
                "name=x",
                "--stress"
            ]
        );
    }
}
