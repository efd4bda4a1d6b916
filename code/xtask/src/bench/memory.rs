//! The memory example (`code/secvec/examples/memory.rs`), run once per
//! structure, and the table made from what it prints.

use std::collections::BTreeMap;
use std::process::Stdio;

use crate::cmd::{self, cargo};
use crate::Result;

pub struct Memory {
    structure: String,
    values: BTreeMap<String, String>,
}

impl Memory {
    fn number(&self, key: &str) -> Result<f64> {
        self.values
            .get(key)
            .and_then(|v| v.parse().ok())
            .ok_or_else(|| {
                format!(
                    "the memory example for `{}` printed no `{key}=` line\n\
                     run it alone with: cargo run --release -p secvec --example memory -- {}",
                    self.structure, self.structure
                )
            })
    }
}

pub fn measure_memory(structure: &str) -> Result<Memory> {
    let mut run = cargo([
        "run",
        "--release",
        "--quiet",
        "-p",
        "secvec",
        "--example",
        "memory",
        "--",
        structure,
    ]);
    let line = cmd::describe(&run);
    println!("$ {line}");
    let output = run
        .stderr(Stdio::inherit())
        .output()
        .map_err(|e| format!("could not start `{line}`: {e}"))?;
    let stdout = String::from_utf8_lossy(&output.stdout);
    print!("{stdout}");
    if !output.status.success() {
        return Err(format!(
            "`{line}` failed ({})\nrun it alone with: {line}",
            output.status
        ));
    }
    let values = stdout
        .lines()
        .filter_map(|l| l.split_once('='))
        .map(|(k, v)| (k.trim().to_string(), v.trim().to_string()))
        .collect();
    Ok(Memory {
        structure: structure.to_string(),
        values,
    })
}

pub fn memory_table(memory: &[Memory]) -> String {
    let mut md = String::from(
        "| structure | elements | capacity | allocated | bytes per element | peak resident set |\n\
         | --- | ---: | ---: | ---: | ---: | ---: |\n",
    );
    for m in memory {
        let row = (|| -> Result<String> {
            let name = match m.structure.as_str() {
                "secvec" => "`SecVec<u64>`",
                _ => "`Vec<u64>`",
            };
            Ok(format!(
                "| {name} | {} | {} | {:.0} MiB | {:.2} | {:.0} MiB |",
                m.number("elements")?,
                m.number("capacity")?,
                m.number("allocated_bytes")? / f64::from(1 << 20),
                m.number("bytes_per_element")?,
                m.number("peak_rss_bytes")? / f64::from(1 << 20),
            ))
        })();
        match row {
            Ok(row) => {
                md.push_str(&row);
                md.push('\n');
            }
            Err(e) => println!("xtask: warning: {e}"),
        }
    }
    md
}
