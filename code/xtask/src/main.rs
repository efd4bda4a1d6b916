//! Project automation for the secvec repository, run as `cargo xtask ...`
//! (the alias lives in `.cargo/config.toml`).
//!
//! Every subcommand lives in its own module, which exposes `USAGE` (its
//! synopsis), `ABOUT` (one sentence) and `pub fn run(args: &[String]) ->
//! Result`. To add one (say `bench`), write `src/bench.rs`, declare it below
//! and add an entry to [`COMMANDS`].

mod bench;
mod book;
mod cmd;
mod diagrams;
mod lincheck;
mod miri;
mod mutants;
mod nightly;
mod sanitize;
mod test;
mod tools;

use std::process::ExitCode;

/// Errors are plain messages: each one says what failed and how to rerun it.
pub type Result<T = ()> = std::result::Result<T, String>;

/// A subcommand: its name, its synopsis, what it does and its entry point.
struct Command {
    name: &'static str,
    usage: &'static str,
    about: &'static str,
    run: fn(&[String]) -> Result,
}

/// The subcommands, in the order `cargo xtask help` lists them.
const COMMANDS: &[Command] = &[
    Command {
        name: "bench",
        usage: bench::USAGE,
        about: bench::ABOUT,
        run: bench::run,
    },
    Command {
        name: "book",
        usage: book::USAGE,
        about: book::ABOUT,
        run: book::run,
    },
    Command {
        name: "diagrams",
        usage: diagrams::USAGE,
        about: diagrams::ABOUT,
        run: diagrams::run,
    },
    Command {
        name: "lincheck",
        usage: lincheck::USAGE,
        about: lincheck::ABOUT,
        run: lincheck::run,
    },
    Command {
        name: "miri",
        usage: miri::USAGE,
        about: miri::ABOUT,
        run: miri::run,
    },
    Command {
        name: "mutants",
        usage: mutants::USAGE,
        about: mutants::ABOUT,
        run: mutants::run,
    },
    Command {
        name: "sanitize",
        usage: sanitize::USAGE,
        about: sanitize::ABOUT,
        run: sanitize::run,
    },
    Command {
        name: "test",
        usage: test::USAGE,
        about: test::ABOUT,
        run: test::run,
    },
];

fn usage() -> String {
    let mut text = String::from("usage: cargo xtask <command> [options]\n\ncommands:\n");
    for command in COMMANDS {
        text.push_str(&format!("  {}\n      {}\n", command.usage, command.about));
    }
    text
}

fn main() -> ExitCode {
    let args: Vec<String> = std::env::args().skip(1).collect();
    let Some(name) = args.first() else {
        eprint!("{}", usage());
        return ExitCode::FAILURE;
    };
    if matches!(name.as_str(), "help" | "-h" | "--help") {
        print!("{}", usage());
        return ExitCode::SUCCESS;
    }
    let Some(command) = COMMANDS.iter().find(|c| c.name == name) else {
        eprintln!("error: unknown command `{name}`\n");
        eprint!("{}", usage());
        return ExitCode::FAILURE;
    };
    match (command.run)(&args[1..]) {
        Ok(()) => ExitCode::SUCCESS,
        Err(message) => {
            eprintln!("\nerror: {message}");
            ExitCode::FAILURE
        }
    }
}
