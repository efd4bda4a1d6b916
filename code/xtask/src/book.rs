//! `cargo xtask book [--serve] [--open]`: build (or serve) the book.

use crate::cmd::{self, repo_root};
use crate::{tools, Result};

pub const USAGE: &str = "book [--serve] [--open]";
pub const ABOUT: &str = "Build the book into target/book. --serve: serve it at \
     http://localhost:3000 with live reload; --open: open it in a browser.";

pub fn run(args: &[String]) -> Result {
    let (mut serve, mut open) = (false, false);
    for arg in args {
        match arg.as_str() {
            "--serve" => serve = true,
            "--open" => open = true,
            "-h" | "--help" => {
                println!("usage: cargo xtask {USAGE}\n{ABOUT}");
                return Ok(());
            }
            other => {
                return Err(format!(
                    "unknown option `{other}` for `book`\nusage: cargo xtask {USAGE}"
                ))
            }
        }
    }

    let tools = tools::prepare_book()?;
    let mut mdbook = tools.mdbook([if serve { "serve" } else { "build" }]);
    if open {
        mdbook.arg("--open");
    }
    if serve {
        println!("xtask: serving the book at http://localhost:3000 (Ctrl-C stops)");
    }
    let rerun = if serve {
        "cargo xtask book --serve"
    } else {
        "cargo xtask book"
    };
    cmd::run(&mut mdbook).map_err(|e| format!("{e}\nrerun with: {rerun}"))?;
    if !serve {
        let index = repo_root().join("target").join("book").join("index.html");
        println!("xtask: the book is ready:\n{}", index.display());
    }
    Ok(())
}
