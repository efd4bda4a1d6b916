//! Criterion's results: reading its JSON files into [`Measurement`]s,
//! combining passes, and the ratios between implementations.

use std::collections::BTreeMap;
use std::fs;
use std::path::{Path, PathBuf};
use std::time::SystemTime;

use serde_json::Value;

use crate::Result;

use super::catalog::{is_known, SECVEC};

/// One measured benchmark.
#[derive(Clone, Debug)]
pub struct Measurement {
    pub group: String,
    pub function: String,
    pub threads: u32,
    /// The median of `passes`.
    pub ops_per_sec: f64,
    /// The result of each pass, in order (one value for a benchmark that
    /// ran once).
    pub passes: Vec<f64>,
    /// Whether criterion wrote it during this run (not an older one).
    pub fresh: bool,
}

/// Every `<group>/<function>/<parameter>/new/` folder under `dir` that holds
/// both `benchmark.json` and `estimates.json`.
pub fn read_results(dir: &Path, started: SystemTime) -> Result<Vec<Measurement>> {
    let mut folders = Vec::new();
    find_new_folders(dir, &mut folders);
    let mut measurements = Vec::new();
    for folder in folders {
        if let Some(m) = read_measurement(&folder, started)? {
            measurements.push(m);
        }
    }
    if measurements.is_empty() {
        return Err(format!(
            "found no criterion results (benchmark.json, estimates.json) under {}",
            dir.display()
        ));
    }
    measurements.sort_by(|a, b| {
        (&a.group, &a.function, a.threads).cmp(&(&b.group, &b.function, b.threads))
    });
    Ok(measurements)
}

/// One measurement per benchmark from the results read after each
/// invocation: a benchmark measured in several of them gets the median of
/// its fresh results, one that none of them ran keeps its stale result.
pub fn combine(runs: &[Vec<Measurement>]) -> Vec<Measurement> {
    let mut by_id: BTreeMap<(String, String, u32), Measurement> = BTreeMap::new();
    for run in runs {
        for m in run {
            let key = (m.group.clone(), m.function.clone(), m.threads);
            match by_id.get_mut(&key) {
                Some(seen) if m.fresh && seen.fresh => seen.passes.push(m.ops_per_sec),
                Some(seen) if m.fresh => *seen = m.clone(),
                Some(_) => {}
                None => {
                    by_id.insert(key, m.clone());
                }
            }
        }
    }
    by_id
        .into_values()
        .map(|mut m| {
            m.ops_per_sec = median(&m.passes);
            m
        })
        .collect()
}

/// The median of `values` (the mean of the middle two for an even count).
pub fn median(values: &[f64]) -> f64 {
    let mut sorted = values.to_vec();
    sorted.sort_by(f64::total_cmp);
    let mid = sorted.len() / 2;
    if sorted.len() % 2 == 1 {
        sorted[mid]
    } else {
        (sorted[mid - 1] + sorted[mid]) / 2.0
    }
}

fn find_new_folders(dir: &Path, found: &mut Vec<PathBuf>) {
    let Ok(entries) = fs::read_dir(dir) else {
        return;
    };
    for entry in entries.flatten() {
        let path = entry.path();
        if !path.is_dir() {
            continue;
        }
        if entry.file_name() == "new" && path.join("benchmark.json").is_file() {
            found.push(path);
        } else if entry.file_name() != "report" {
            find_new_folders(&path, found);
        }
    }
}

fn read_json(path: &Path) -> Result<Value> {
    let text =
        fs::read_to_string(path).map_err(|e| format!("could not read {}: {e}", path.display()))?;
    serde_json::from_str(&text).map_err(|e| format!("could not parse {}: {e}", path.display()))
}

/// One result, or `None` for a benchmark this xtask does not know (say, one
/// that was renamed since).
fn read_measurement(folder: &Path, started: SystemTime) -> Result<Option<Measurement>> {
    let benchmark_path = folder.join("benchmark.json");
    let estimates_path = folder.join("estimates.json");
    let benchmark = read_json(&benchmark_path)?;
    let text = |key: &str| {
        benchmark
            .get(key)
            .and_then(Value::as_str)
            .map(str::to_string)
    };
    let (Some(group), Some(function), Some(parameter)) =
        (text("group_id"), text("function_id"), text("value_str"))
    else {
        return Ok(None);
    };
    let Ok(threads) = parameter.parse::<u32>() else {
        return Ok(None);
    };
    if !is_known(&group, &function) {
        return Ok(None);
    }
    let elements = benchmark
        .pointer("/throughput/Elements")
        .and_then(Value::as_f64)
        .ok_or_else(|| {
            format!(
                "{} has no element throughput; was it written by benches/throughput.rs?",
                benchmark_path.display()
            )
        })?;
    let estimates = read_json(&estimates_path)?;
    // Criterion's own headline figure: the slope of a linear sample, else the
    // mean time per iteration (our flat samples), in nanoseconds.
    let nanos = estimates
        .pointer("/slope/point_estimate")
        .and_then(Value::as_f64)
        .or_else(|| {
            estimates
                .pointer("/mean/point_estimate")
                .and_then(Value::as_f64)
        })
        .filter(|ns| *ns > 0.0)
        .ok_or_else(|| format!("{} has no time estimate", estimates_path.display()))?;
    let fresh = fs::metadata(&estimates_path)
        .and_then(|m| m.modified())
        .map(|t| t >= started)
        .unwrap_or(false);
    Ok(Some(Measurement {
        group,
        function,
        threads,
        ops_per_sec: elements / (nanos * 1e-9),
        passes: vec![elements / (nanos * 1e-9)],
        fresh,
    }))
}

pub fn find<'a>(
    measurements: &'a [Measurement],
    group: &str,
    function: &str,
    threads: u32,
) -> Option<&'a Measurement> {
    measurements
        .iter()
        .find(|m| m.group == group && m.function == function && m.threads == threads)
}

/// How many of `ids` (as from `catalog::benchmark_ids`) have a result.
pub fn ids_found(ids: &[(bool, String)], measurements: &[Measurement]) -> usize {
    ids.iter()
        .filter(|(_, id)| {
            measurements
                .iter()
                .any(|m| format!("{}/{}/{}", m.group, m.function, m.threads) == *id)
        })
        .count()
}

/// SecVec's throughput divided by `peer`'s: the median of the passes'
/// ratios when both ran in the same passes, else the ratio of the medians.
///
/// Pairing matters on a shared machine. Within a pass the two benchmarks run
/// seconds apart, so they share whatever mood the machine is in; across
/// passes they need not. Dividing the medians can pair SecVec's fast pass
/// with the peer's slow one and report a ratio that no pass showed.
pub fn ratio(
    measurements: &[Measurement],
    workload: &str,
    peer: &str,
    threads: u32,
) -> Option<f64> {
    if let Some(ratios) = pass_ratios(measurements, workload, peer, threads) {
        return Some(median(&ratios));
    }
    let ours = find(measurements, workload, SECVEC, threads)?;
    let theirs = find(measurements, workload, peer, threads)?;
    Some(ours.ops_per_sec / theirs.ops_per_sec)
}

/// SecVec's throughput divided by `peer`'s in each pass, if both ran in the
/// same passes.
pub fn pass_ratios(
    measurements: &[Measurement],
    workload: &str,
    peer: &str,
    threads: u32,
) -> Option<Vec<f64>> {
    let ours = find(measurements, workload, SECVEC, threads)?;
    let theirs = find(measurements, workload, peer, threads)?;
    (ours.passes.len() == theirs.passes.len()).then(|| {
        ours.passes
            .iter()
            .zip(&theirs.passes)
            .map(|(a, b)| a / b)
            .collect()
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn passes_combine_into_their_median() {
        let m = |ops: f64, fresh: bool| Measurement {
            group: "get".into(),
            function: SECVEC.into(),
            threads: 2,
            ops_per_sec: ops,
            passes: vec![ops],
            fresh,
        };
        let combined = combine(&[vec![m(5.0, true)], vec![m(1.0, true)], vec![m(3.0, true)]]);
        assert_eq!(combined.len(), 1);
        assert_eq!(combined[0].passes, [5.0, 1.0, 3.0]);
        assert_eq!(combined[0].ops_per_sec, 3.0);
        // A stale result never mixes with fresh ones.
        let combined = combine(&[vec![m(9.0, false)], vec![m(2.0, true)], vec![m(9.0, false)]]);
        assert_eq!(combined[0].passes, [2.0]);
        assert_eq!(median(&[4.0, 1.0, 3.0, 2.0]), 2.5);
    }

    #[test]
    fn ratios_pair_the_passes() {
        let m = |function: &str, passes: Vec<f64>| Measurement {
            group: "read_mostly".into(),
            function: function.into(),
            threads: 2,
            ops_per_sec: median(&passes),
            passes,
            fresh: true,
        };
        // SecVec fast in the third pass, the peer slow in the second and
        // third: the medians' ratio is 20 / 12, about 1.67, but no pass
        // shows more than the third's 27 / 12 = 2.25, and the middle pass's
        // ratio is 12 / 11.
        let runs = [
            m(SECVEC, vec![20.0, 12.0, 27.0]),
            m("Mutex<Vec>", vec![23.0, 11.0, 12.0]),
        ];
        let r = ratio(&runs, "read_mostly", "Mutex<Vec>", 2).unwrap();
        assert!((r - 12.0 / 11.0).abs() < 1e-9, "{r}");
        // Different pass counts cannot be paired: the medians are divided.
        let runs = [
            m(SECVEC, vec![20.0, 12.0, 27.0]),
            m("Mutex<Vec>", vec![10.0]),
        ];
        let r = ratio(&runs, "read_mostly", "Mutex<Vec>", 2).unwrap();
        assert!((r - 2.0).abs() < 1e-9, "{r}");
    }
}
