//! The pinned mdBook tools: find them, install them when missing, and
//! generate mdbook-mermaid's JavaScript for the book.

use std::ffi::OsStr;
use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::sync::OnceLock;

use crate::cmd::{self, repo_root};
use crate::Result;

/// mdBook version the book is written for (`book.toml` uses 0.5 keys).
pub const MDBOOK_VERSION: &str = "0.5.4";
/// mdbook-mermaid version; it must be built against mdBook 0.5.
pub const MDBOOK_MERMAID_VERSION: &str = "0.17.1";

/// The JavaScript files `mdbook-mermaid install` writes. `book.toml` lists
/// them as `book/mermaid/<name>` in `output.html.additional-js`.
const MERMAID_FILES: [&str; 2] = ["mermaid.min.js", "mermaid-init.js"];

/// Paths of the verified tool binaries.
pub struct Tools {
    mdbook: PathBuf,
    mermaid: PathBuf,
}

impl Tools {
    /// An `mdbook` command run from the repository root, using the verified
    /// binaries even where cargo's bin folder is not on `PATH`: mdbook reads
    /// `MDBOOK_<KEY>` variables as config overrides, so the mermaid
    /// preprocessor's `command` (plain `mdbook-mermaid` in book.toml) is
    /// replaced by the binary's full path.
    pub fn mdbook<I, S>(&self, args: I) -> Command
    where
        I: IntoIterator<Item = S>,
        S: AsRef<OsStr>,
    {
        let mut command = Command::new(&self.mdbook);
        command.args(args).current_dir(repo_root());
        // mdbook splits `command` into words like a shell: quote if needed.
        let mermaid = self.mermaid.to_string_lossy();
        let mermaid = if mermaid.contains(|c: char| c.is_whitespace() || "'\"\\".contains(c)) {
            format!("'{}'", mermaid.replace('\'', r"'\''"))
        } else {
            mermaid.into_owned()
        };
        command.env("MDBOOK_PREPROCESSOR__MERMAID__COMMAND", mermaid);
        command
    }
}

/// Everything a book build needs: the pinned tools (installed if needed)
/// and mermaid's JavaScript in `book/mermaid/`. Done once per run.
pub fn prepare_book() -> Result<&'static Tools> {
    static TOOLS: OnceLock<Tools> = OnceLock::new();
    if let Some(tools) = TOOLS.get() {
        return Ok(tools);
    }
    let tools = Tools {
        mdbook: ensure("mdbook", MDBOOK_VERSION)?,
        mermaid: ensure("mdbook-mermaid", MDBOOK_MERMAID_VERSION)?,
    };
    write_mermaid_js(&tools.mermaid)?;
    Ok(TOOLS.get_or_init(|| tools))
}

/// Cargo's bin folders, where `cargo install` puts binaries by default:
/// `$CARGO_INSTALL_ROOT/bin` if set, then `$CARGO_HOME/bin` (default
/// `~/.cargo/bin`).
fn cargo_bin_dirs() -> Vec<PathBuf> {
    let mut dirs = Vec::new();
    if let Some(root) = std::env::var_os("CARGO_INSTALL_ROOT") {
        dirs.push(PathBuf::from(root).join("bin"));
    }
    if let Some(home) = std::env::var_os("CARGO_HOME") {
        dirs.push(PathBuf::from(home).join("bin"));
    } else if let Some(home) = std::env::var_os("HOME") {
        dirs.push(PathBuf::from(home).join(".cargo").join("bin"));
    }
    dirs
}

/// Every existing `name` binary on `PATH`, then in cargo's bin folders.
fn candidates(name: &str) -> Vec<PathBuf> {
    let file = format!("{name}{}", std::env::consts::EXE_SUFFIX);
    let mut dirs: Vec<PathBuf> = std::env::var_os("PATH")
        .map(|path| std::env::split_paths(&path).collect())
        .unwrap_or_default();
    dirs.extend(cargo_bin_dirs());
    let mut found: Vec<PathBuf> = Vec::new();
    for path in dirs.iter().map(|dir| dir.join(&file)) {
        if path.is_file() && !found.contains(&path) {
            found.push(path);
        }
    }
    found
}

/// The version `binary --version` reports: its last word without a `v`
/// (`mdbook v0.5.4`, `mdbook-mermaid 0.17.1`).
fn version_of(binary: &Path) -> Option<String> {
    let output = Command::new(binary).arg("--version").output().ok()?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    let word = stdout.split_whitespace().last()?;
    Some(word.trim_start_matches('v').to_string())
}

/// The first `name` binary that reports `version`, and a description of
/// the ones that report something else.
fn find(name: &str, version: &str) -> (Option<PathBuf>, Vec<String>) {
    let mut others = Vec::new();
    for path in candidates(name) {
        match version_of(&path) {
            Some(v) if v == version => return (Some(path), others),
            v => others.push(format!(
                "{} reports {}",
                path.display(),
                v.as_deref().unwrap_or("no version")
            )),
        }
    }
    (None, others)
}

/// Path of a `name` binary reporting `version`; runs `cargo install` first
/// if there is none.
fn ensure(name: &str, version: &str) -> Result<PathBuf> {
    let path = match find(name, version) {
        (Some(path), _) => path,
        (None, others) => {
            install(name, version, &others)?;
            match find(name, version) {
                (Some(path), _) => path,
                (None, others) => return Err(still_missing(name, version, &others)),
            }
        }
    };
    warn_if_off_path(&path);
    Ok(path)
}

/// `cargo install --locked NAME --version VERSION` into cargo's default
/// bin folder; `others` are the binaries found with the wrong version.
fn install(name: &str, version: &str, others: &[String]) -> Result {
    println!(
        "xtask: installing {name} {version} with `cargo install --locked` \
         (needed for the book; this takes a few minutes, once per machine)"
    );
    for other in others {
        println!("xtask:   not using {other}");
    }
    let install = ["install", "--locked", name, "--version", version];
    cmd::run(&mut cmd::cargo(install)).map_err(|e| {
        format!(
            "{e}\ninstalling {name} {version} failed; retry by hand with: \
             cargo install --locked {name} --version {version}"
        )
    })
}

/// The error when `cargo install` succeeded but the binary is still not
/// found with the right version.
fn still_missing(name: &str, version: &str, others: &[String]) -> String {
    let bins: Vec<String> = cargo_bin_dirs()
        .iter()
        .map(|d| d.display().to_string())
        .collect();
    let seen = if others.is_empty() {
        "found none".to_string()
    } else {
        others.join("; ")
    };
    format!(
        "`cargo install` finished, but no `{name}` on PATH or in {} reports \
         version {version} ({seen}).\nIf cargo installs elsewhere (install.root \
         in cargo's config), put that bin folder on PATH, e.g. \
         `export PATH=\"$HOME/.cargo/bin:$PATH\"`, then rerun.",
        bins.join(" or ")
    )
}

/// Tells the user when a tool was only found in cargo's bin folder: the
/// xtask copes, but running `mdbook` by hand would not find it.
fn warn_if_off_path(tool: &Path) {
    let dir = tool.parent();
    let on_path = std::env::var_os("PATH")
        .is_some_and(|path| std::env::split_paths(&path).any(|d| Some(d.as_path()) == dir));
    if !on_path {
        println!(
            "xtask: note: using {}; its folder is not on PATH",
            tool.display()
        );
    }
}

/// Writes mermaid's JavaScript into `book/mermaid/`.
///
/// The two files are committed, as mdbook-mermaid's own instructions
/// suggest, so that a plain `mdbook build` or `mdbook serve` works in a
/// fresh clone. This keeps them in step with the pinned mdbook-mermaid:
/// after a version bump, the regenerated files show up in `git status`.
///
/// `mdbook-mermaid install DIR` expects a book: it reads `DIR/book.toml`,
/// adds its preprocessor and `additional-js` entries to it, and writes the
/// two files next to it. We run it in a scratch book under `target/` (whose
/// edited `book.toml` we ignore) and copy the files over. A file is only
/// rewritten when its content changed, so a running `mdbook serve` does not
/// rebuild for nothing.
fn write_mermaid_js(mermaid: &Path) -> Result {
    let root = repo_root();
    let scratch = root.join("target").join("xtask-mermaid");
    let dest = root.join("book").join("mermaid");
    let io = |what: &str, path: &Path, e: std::io::Error| {
        format!("could not {what} {}: {e}", path.display())
    };
    // Start from an empty folder: `install` may not overwrite older files.
    if scratch.exists() {
        fs::remove_dir_all(&scratch).map_err(|e| io("remove", &scratch, e))?;
    }
    fs::create_dir_all(&scratch).map_err(|e| io("create", &scratch, e))?;
    let book_toml = scratch.join("book.toml");
    fs::write(&book_toml, "[book]\ntitle = \"mermaid assets\"\n")
        .map_err(|e| io("write", &book_toml, e))?;

    let mut install = Command::new(mermaid);
    install.arg("install").arg(&scratch);
    let line = cmd::describe(&install);
    // `install` logs a dozen lines of instructions; show them only on failure.
    let output = install
        .output()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    if !output.status.success() {
        return Err(format!(
            "`{line}` failed ({}):\n{}{}",
            output.status,
            String::from_utf8_lossy(&output.stdout),
            String::from_utf8_lossy(&output.stderr)
        ));
    }

    fs::create_dir_all(&dest).map_err(|e| io("create", &dest, e))?;
    for name in MERMAID_FILES {
        let from = scratch.join(name);
        let to = dest.join(name);
        let content = fs::read(&from).map_err(|e| {
            format!(
                "`{line}` did not write {name} ({}: {e}); \
                 has mdbook-mermaid changed what `install` writes?",
                from.display()
            )
        })?;
        if fs::read(&to).ok().as_deref() != Some(content.as_slice()) {
            fs::write(&to, &content).map_err(|e| io("write", &to, e))?;
        }
    }
    Ok(())
}
