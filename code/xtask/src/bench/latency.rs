//! `latency.md`: the latency benchmark's percentiles as tables, one per mix.

use std::fmt::Write as _;

use super::catalog::workload;
use super::histograms::{distinct, human, Series, TABLE_QUANTILES};
use super::tables::{code, mops};

/// One table per mix: a row per thread count and structure, with the
/// throughput of the timed run and the latency at each table quantile.
pub fn latency_table(series: &[Series], run: &str) -> String {
    let mut md = String::new();
    for mix in distinct(series, |s| s.workload.clone()) {
        let caption = workload(&mix).map_or(mix.as_str(), |w| w.caption);
        let _ = writeln!(md, "**{caption}**, latency of one operation:\n");
        md.push_str("| threads | structure | Mops/s |");
        let mut rule = String::from("| ---: | --- | ---: |");
        for (title, _) in TABLE_QUANTILES {
            let _ = write!(md, " {title} |");
            rule.push_str(" ---: |");
        }
        let _ = writeln!(md, "\n{rule}");
        let of_mix: Vec<&Series> = series.iter().filter(|s| s.workload == mix).collect();
        for s in &of_mix {
            let _ = write!(
                md,
                "| {} | {} | {} |",
                s.threads,
                code(&s.structure),
                mops(s.ops as f64 / s.seconds)
            );
            for (_, q) in TABLE_QUANTILES {
                let _ = write!(md, " {} |", s.at(q).map_or("–".to_string(), human));
            }
            md.push('\n');
        }
        md.push('\n');
    }
    let _ = writeln!(md, "{run}");
    md
}

#[cfg(test)]
mod tests {
    use super::super::histograms::{parse, with_header};
    use super::*;

    #[test]
    fn one_row_per_structure_and_thread_count() {
        let text = with_header(&[
            "latency,push_pop,SecVec,2,0,0,all,4000000,2.000,0,0,0,0,0.0,0.5,80.0",
            "latency,push_pop,SecVec,2,0,0,all,4000000,2.000,0,0,0,0,0.0,1,2050000",
        ]);
        let md = latency_table(&parse(&text).unwrap(), "run");
        assert!(md.contains("**push/pop 50/50**"), "{md}");
        assert!(md.contains("| 2 | `SecVec` | 2.00 | 80 ns | – |"), "{md}");
        assert!(md.ends_with("| 2.05 ms |\n\nrun\n"), "{md}");
    }
}
