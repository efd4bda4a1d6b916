//! `cargo xtask bench`'s command line.

use std::path::PathBuf;

use crate::Result;

use super::USAGE;

/// A part of the benchmark run, as named by `--only`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord)]
pub enum Part {
    /// The criterion throughput benchmarks (`benches/throughput.rs`).
    Throughput,
    /// The criterion hazard-pointer benchmarks (`benches/hazard.rs`).
    Hazard,
    /// The memory example, once per structure.
    Memory,
    /// The latency histograms (`benches/latency.rs`).
    Latency,
    /// The stall benchmark (`benches/stalls.rs`).
    Stalls,
}

impl Part {
    /// Every part, in the order they run.
    pub const ALL: [Part; 5] = [
        Part::Throughput,
        Part::Hazard,
        Part::Memory,
        Part::Latency,
        Part::Stalls,
    ];

    /// The name `--only` takes.
    pub fn name(self) -> &'static str {
        match self {
            Part::Throughput => "throughput",
            Part::Hazard => "hazard",
            Part::Memory => "memory",
            Part::Latency => "latency",
            Part::Stalls => "stalls",
        }
    }

    /// Whether criterion runs this part.
    pub fn is_criterion(self) -> bool {
        matches!(self, Part::Throughput | Part::Hazard)
    }
}

pub struct Options {
    pub quick: bool,
    pub passes: Option<usize>,
    pub filter: Option<String>,
    /// The parts to run, in [`Part::ALL`]'s order.
    pub parts: Vec<Part>,
    /// Whether `--only` chose the parts.
    pub only: bool,
    /// Where to write the files instead of `book/performance/`.
    pub out: Option<PathBuf>,
}

/// The options, or `None` after printing the help for `--help`.
pub fn parse(args: &[String]) -> Result<Option<Options>> {
    let mut options = Options {
        quick: false,
        passes: None,
        filter: None,
        parts: Vec::new(),
        only: false,
        out: None,
    };
    let mut args = args.iter();
    while let Some(arg) = args.next() {
        let (name, inline) = match arg.split_once('=') {
            Some((name, value)) if name.starts_with("--") => (name, Some(value.to_string())),
            _ => (arg.as_str(), None),
        };
        let mut value = |what: &str| {
            inline
                .clone()
                .or_else(|| args.next().cloned())
                .ok_or_else(|| format!("`{name}` needs {what}\nusage: cargo xtask {USAGE}"))
        };
        match name {
            "--quick" => options.quick = true,
            "--filter" => options.filter = Some(value("a value")?),
            "--passes" => options.passes = Some(parse_passes(&value("a number")?)?),
            "--only" => {
                options.parts = parse_parts(&value("a list of parts")?)?;
                options.only = true;
            }
            "--out" => options.out = Some(PathBuf::from(value("a folder")?)),
            "-h" | "--help" => {
                println!("usage: cargo xtask {USAGE}\n{}", super::ABOUT);
                return Ok(None);
            }
            other => {
                return Err(format!(
                    "unknown option `{other}` for `bench`\nusage: cargo xtask {USAGE}"
                ))
            }
        }
    }
    if options.filter.as_deref() == Some("") {
        return Err("`--filter` needs a non-empty value".into());
    }
    if !options.only {
        // `--filter` reruns some criterion benchmarks: then the parts that
        // are not criterion's stay out unless `--only` names them.
        options.parts = Part::ALL
            .into_iter()
            .filter(|p| {
                options.filter.is_none()
                    || !matches!(p, Part::Memory | Part::Latency | Part::Stalls)
            })
            .collect();
    }
    Ok(Some(options))
}

/// A pass count between 1 and 9.
fn parse_passes(value: &str) -> Result<usize> {
    match value.parse::<usize>() {
        Ok(n @ 1..=9) => Ok(n),
        _ => Err(format!(
            "`--passes` takes a whole number from 1 to 9, not `{value}`"
        )),
    }
}

/// A comma-separated list of part names, in run order, each once.
fn parse_parts(value: &str) -> Result<Vec<Part>> {
    let mut parts = Vec::new();
    for name in value.split(',').map(str::trim) {
        let part = Part::ALL
            .into_iter()
            .find(|p| p.name() == name)
            .ok_or_else(|| {
                let names: Vec<_> = Part::ALL.iter().map(|p| p.name()).collect();
                format!(
                    "unknown part `{name}` for `--only`; the parts are {}",
                    names.join(", ")
                )
            })?;
        parts.push(part);
    }
    parts.sort();
    parts.dedup();
    Ok(parts)
}

impl Options {
    /// Whether `part` runs.
    pub fn runs(&self, part: Part) -> bool {
        self.parts.contains(&part)
    }

    /// The command line that reruns this invocation, for error messages.
    pub fn rerun_line(&self) -> String {
        let mut line = String::from("cargo xtask bench");
        if self.quick {
            line.push_str(" --quick");
        }
        if let Some(passes) = self.passes {
            line.push_str(&format!(" --passes {passes}"));
        }
        if let Some(filter) = &self.filter {
            line.push_str(&format!(" --filter '{filter}'"));
        }
        if let Some(out) = &self.out {
            line.push_str(&format!(" --out '{}'", out.display()));
        }
        if self.only {
            let names: Vec<_> = self.parts.iter().map(|p| p.name()).collect();
            line.push_str(&format!(" --only {}", names.join(",")));
        }
        line
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse_line(line: &str) -> Result<Options> {
        let args: Vec<String> = line.split_whitespace().map(str::to_string).collect();
        parse(&args).map(|o| o.unwrap())
    }

    #[test]
    fn only_picks_parts_in_run_order() {
        let o = parse_line("--only stalls,latency --quick").unwrap();
        assert_eq!(o.parts, [Part::Latency, Part::Stalls]);
        assert_eq!(
            o.rerun_line(),
            "cargo xtask bench --quick --only latency,stalls"
        );
        assert!(parse_line("--only latency,nothing").is_err());
        assert_eq!(parse_line("").unwrap().parts, Part::ALL);
    }

    #[test]
    fn a_filter_leaves_out_what_is_not_criterion() {
        let o = parse_line("--filter=get/ --passes 2").unwrap();
        assert_eq!(o.parts, [Part::Throughput, Part::Hazard]);
        assert_eq!(o.passes, Some(2));
        let o = parse_line("--filter get/ --only throughput,latency").unwrap();
        assert_eq!(o.parts, [Part::Throughput, Part::Latency]);
        assert!(parse_line("--passes 10").is_err());
        assert!(parse_line("--filter").is_err());
    }
}
