//! `latency.md`: the latency benchmark's percentiles as tables, one per mix;
//! `latency-targets.md`: `SecVec`'s tail against the project's targets.

use std::fmt::Write as _;

use super::catalog::{
    workload, LATENCY_PEER, LATENCY_TARGET_QUANTILES, LATENCY_TARGET_THREADS, SECVEC,
};
use super::histograms::{distinct, human, Series, TABLE_QUANTILES};
use super::tables::{code, mops};

/// One table per mix: a row per thread count and structure, with the
/// throughput of the timed run, the latency at each table quantile, and how
/// many operations in a million took 1 ms or more (the benchmark's `slow`
/// count: in practice, operations whose thread was descheduled).
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
        let _ = writeln!(md, " ≥ 1 ms per million |\n{rule} ---: |");
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
            let per_million = s.slow as f64 * 1e6 / s.ops.max(1) as f64;
            let _ = writeln!(md, " {per_million:.0} |");
        }
        md.push('\n');
    }
    let _ = writeln!(md, "{run}");
    md
}

/// One row per mix, target thread count and target quantile: `SecVec`'s
/// latency beside [`LATENCY_PEER`]'s, and whether it is at most that.
pub fn target_table(series: &[Series]) -> String {
    let mut md = format!(
        "| workload | threads | percentile | `{SECVEC}` | {} | met? |\n\
         | --- | ---: | --- | ---: | ---: | --- |\n",
        code(LATENCY_PEER)
    );
    let at = |structure: &str, mix: &str, threads: u32, q: f64| {
        series
            .iter()
            .find(|s| s.workload == mix && s.is(structure, threads, "all"))
            .and_then(|s| s.at(q))
    };
    let cell = |v: Option<f64>| v.map_or("–".to_string(), human);
    for mix in distinct(series, |s| s.workload.clone()) {
        let title = workload(&mix).map_or(mix.as_str(), |w| w.title);
        for threads in LATENCY_TARGET_THREADS {
            for (name, q) in LATENCY_TARGET_QUANTILES {
                let (ours, peer) = (
                    at(SECVEC, &mix, threads, q),
                    at(LATENCY_PEER, &mix, threads, q),
                );
                let verdict = match (ours, peer) {
                    (Some(a), Some(b)) if a <= b => "yes",
                    (Some(_), Some(_)) => "**no**",
                    _ => "not measured",
                };
                let _ = writeln!(
                    md,
                    "| {title} | {threads} | {name} | {} | {} | {verdict} |",
                    cell(ours),
                    cell(peer)
                );
            }
        }
    }
    md
}

#[cfg(test)]
mod tests {
    use super::super::histograms::{parse, with_header};
    use super::*;

    #[test]
    fn one_row_per_structure_and_thread_count() {
        let text = with_header(&[
            "latency,push_pop,SecVec,2,0,0,all,4000000,2.000,0,12,0,0,0.0,0.5,80.0",
            "latency,push_pop,SecVec,2,0,0,all,4000000,2.000,0,12,0,0,0.0,1,2050000",
        ]);
        let md = latency_table(&parse(&text).unwrap(), "run");
        assert!(md.contains("**push/pop 50/50**"), "{md}");
        assert!(md.contains("| 2 | `SecVec` | 2.00 | 80 ns | – |"), "{md}");
        // 12 operations of 1 ms or more among 4 million: 3 per million.
        assert!(md.ends_with("| 2.05 ms | 3 |\n\nrun\n"), "{md}");
    }

    #[test]
    fn targets_compare_secvec_with_the_mutex() {
        let row = |structure: &str, threads: u32, q: &str, nanos: f64| {
            format!(
                "latency,push_pop,{structure},{threads},0,0,all,100,1.000,0,0,0,0,0.0,{q},{nanos}"
            )
        };
        let rows = [
            row("SecVec", 2, "0.999", 6_900.0),
            row("SecVec", 2, "0.9999", 20_000.0),
            row("Mutex<Vec>", 2, "0.999", 1_900.0),
            row("Mutex<Vec>", 2, "0.9999", 33_000.0),
        ];
        let rows: Vec<&str> = rows.iter().map(String::as_str).collect();
        let md = target_table(&parse(&with_header(&rows)).unwrap());
        assert!(
            md.contains("| push/pop 50/50 | 2 | p99.9 | 6.9 µs | 1.9 µs | **no** |"),
            "{md}"
        );
        assert!(
            md.contains("| push/pop 50/50 | 2 | p99.99 | 20.0 µs | 33.0 µs | yes |"),
            "{md}"
        );
        assert!(
            md.contains("| push/pop 50/50 | 8 | p99.9 | – | – | not measured |"),
            "{md}"
        );
        assert_eq!(md.lines().count(), 2 + 3 * 2, "{md}");
    }
}
