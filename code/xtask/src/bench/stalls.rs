//! `stalls.md`: the stall benchmark as tables, one per mix and stall
//! setting.

use std::fmt::Write as _;

use super::catalog::workload;
use super::histograms::{distinct, human, Series};
use super::tables::{code, mops};

/// One table per mix and stall setting: per thread count and structure, the
/// calm throughput and the share the stalled run kept; the stalls that froze
/// the other workers (they completed no operation while it lasted) and the
/// pace the others kept during stalls, against as many workers' share of
/// the calm run; the tail of the operations no stall interrupted (calm →
/// with stalls) and how many took half a stall or more; and the interrupted
/// operations apart.
pub fn stall_table(series: &[Series], run: &str) -> String {
    let mut md = String::new();
    let settings = distinct(series, |s| (s.workload.clone(), s.stall_us, s.period_ms));
    for (mix, stall_us, period_ms) in settings {
        let caption = workload(&mix).map_or(mix.as_str(), |w| w.caption);
        let _ = writeln!(
            md,
            "**{caption}**, a random worker stopped for {} about every {period_ms} ms \
             (calm → with stalls):\n",
            human(stall_us as f64 * 1e3)
        );
        md.push_str(
            "| threads | structure | Mops/s calm | kept | stalls | froze the others \
             | others' pace during stalls | p99.9 | p99.99 | max \
             | operations ≥ half a stall | interrupted operations: median, max |\n\
             | ---: | --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |\n",
        );
        let of_setting: Vec<&Series> = series
            .iter()
            .filter(|s| s.workload == mix && s.stall_us == stall_us && s.period_ms == period_ms)
            .collect();
        for (structure, threads) in distinct(series, |s| (s.structure.clone(), s.threads)) {
            let find = |name: &str| {
                of_setting
                    .iter()
                    .find(|s| s.is(&structure, threads, name))
                    .copied()
            };
            let (Some(calm), Some(stalled), Some(hit)) =
                (find("calm"), find("stalled"), find("interrupted"))
            else {
                continue;
            };
            let calm_rate = calm.ops as f64 / calm.seconds;
            // The stalled run's throughput counts the interrupted operations
            // too: they were done, late.
            let stalled_rate = (stalled.ops + hit.ops) as f64 / stalled.seconds;
            // The others' pace while one worker was stopped, against the
            // pace of as many workers in the calm run.
            let others = f64::from(threads - 1) / f64::from(threads);
            let pace = match stalled.stall_seconds {
                0.0 => "–".to_string(),
                seconds => format!(
                    "{:.0}%",
                    100.0 * stalled.stall_ops as f64 / seconds / (calm_rate * others)
                ),
            };
            let froze = match stalled.stalls {
                0 => "–".to_string(),
                n => format!("{:.0}%", 100.0 * stalled.frozen as f64 / n as f64),
            };
            let change = |q: f64| match (calm.at(q), stalled.at(q)) {
                (Some(a), Some(b)) => format!("{} → {}", human(a), human(b)),
                _ => "–".to_string(),
            };
            let interrupted = match (hit.ops, hit.at(0.5), hit.at(1.0)) {
                (0, ..) => "none".to_string(),
                (n, Some(median), Some(max)) => {
                    format!("{n}: {}, {}", human(median), human(max))
                }
                _ => "–".to_string(),
            };
            let _ = writeln!(
                md,
                "| {threads} | {} | {} | {:.0}% | {} | {froze} | {pace} | {} | {} | {} | {} → {} \
                 | {interrupted} |",
                code(&structure),
                mops(calm_rate),
                100.0 * stalled_rate / calm_rate,
                stalled.stalls,
                change(0.999),
                change(0.9999),
                change(1.0),
                calm.slow,
                stalled.slow,
            );
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
    fn calm_and_stalled_side_by_side() {
        let key = "stalls,push_pop,Mutex<Vec>,2,2000,20";
        // 100 stalls of 2 ms, 0.2 s in all, 25 of them freezing the other
        // worker, which did 100,000 operations in them: half the pace of
        // one worker in the calm run (1 Mops/s).
        let stalled = "100,40,25,100000,0.200000";
        let text = with_header(&[
            &format!("{key},calm,4000000,2.000,0,1,0,0,0.0,0.999,100"),
            &format!("{key},calm,4000000,2.000,0,1,0,0,0.0,1,2500000"),
            &format!("{key},stalled,2999990,2.000,{stalled},0.999,120"),
            &format!("{key},stalled,2999990,2.000,{stalled},1,2100000"),
            &format!("{key},interrupted,10,2.000,{stalled},0.5,2000000"),
            &format!("{key},interrupted,10,2.000,{stalled},1,2200000"),
        ]);
        let md = stall_table(&parse(&text).unwrap(), "run");
        assert!(md.contains("stopped for 2.00 ms about every 20 ms"), "{md}");
        assert!(
            md.contains(
                "| 2 | `Mutex<Vec>` | 2.00 | 75% | 100 | 25% | 50% | 100 ns → 120 ns | – | \
                 2.50 ms → 2.10 ms | 1 → 40 | 10: 2.00 ms, 2.20 ms |"
            ),
            "{md}"
        );
    }
}
