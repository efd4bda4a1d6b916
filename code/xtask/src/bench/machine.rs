//! The machine the benchmarks ran on, for `machine.md`.

use std::fmt::Write as _;
use std::fs;
use std::path::Path;
use std::process::Command;

use jiff::Timestamp;

use super::criterion::Settings;

pub fn load_average() -> Option<f64> {
    fs::read_to_string("/proc/loadavg")
        .ok()?
        .split_whitespace()
        .next()?
        .parse()
        .ok()
}

pub fn machine(
    settings: &Settings,
    passes: usize,
    filter: Option<&str>,
    load: Option<f64>,
) -> String {
    let cpuinfo = fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let cpu = cpuinfo
        .lines()
        .find(|l| l.starts_with("model name"))
        .and_then(|l| l.split_once(':'))
        .map_or("unknown".to_string(), |(_, v)| v.trim().to_string());
    let cores = std::thread::available_parallelism().map_or(0, |n| n.get());
    let memory = fs::read_to_string("/proc/meminfo")
        .ok()
        .and_then(|m| {
            let line = m.lines().find(|l| l.starts_with("MemTotal:"))?.to_string();
            let kib: f64 = line.split_whitespace().nth(1)?.parse().ok()?;
            Some(format!("{:.0} GiB", kib / f64::from(1 << 20)))
        })
        .unwrap_or_else(|| "unknown".into());
    let kernel = fs::read_to_string("/proc/sys/kernel/osrelease")
        .map_or("unknown".to_string(), |s| format!("Linux {}", s.trim()));
    let rustc = std::env::var_os("RUSTC").unwrap_or_else(|| "rustc".into());
    let rustc = Command::new(rustc)
        .arg("--version")
        .output()
        .ok()
        .filter(|o| o.status.success())
        .map_or("unknown".to_string(), |o| {
            String::from_utf8_lossy(&o.stdout).trim().to_string()
        });
    let mut md = String::new();
    let _ = writeln!(md, "| | |\n| --- | --- |");
    let _ = writeln!(md, "| CPU | {cpu} |");
    let _ = writeln!(md, "| cores available | {cores} |");
    if let Some(caches) = caches() {
        let _ = writeln!(md, "| caches (as CPU 0 sees them) | {caches} |");
    }
    let _ = writeln!(md, "| memory | {memory} |");
    let _ = writeln!(md, "| operating system | {kernel} |");
    let _ = writeln!(md, "| compiler | {rustc} |");
    let _ = writeln!(md, "| date | {} |", today());
    let mut run = format!("`cargo xtask bench`: {}", settings.description);
    if passes > 1 {
        let _ = write!(
            run,
            "; the throughput benchmarks ran in {passes} passes, one after the other, \
             each figure is the median of its passes, and each ratio the median of \
             the ratios within each pass"
        );
    }
    if let Some(filter) = filter {
        let _ = write!(run, "; only benchmarks matching `{filter}` were rerun");
    }
    let _ = writeln!(md, "| run | {run} |");
    if let Some(load) = load {
        let _ = writeln!(md, "| load average when the run started | {load:.2} |");
    }
    md
}

/// The data and unified caches of CPU 0, as Linux's sysfs lists them:
/// "L1d 32K, L2 512K, L3 32768K".
fn caches() -> Option<String> {
    let dir = Path::new("/sys/devices/system/cpu/cpu0/cache");
    let mut caches = Vec::new();
    for index in 0..8 {
        let read = |file: &str| {
            fs::read_to_string(dir.join(format!("index{index}")).join(file))
                .ok()
                .map(|s| s.trim().to_string())
        };
        let (Some(level), Some(kind), Some(size)) = (read("level"), read("type"), read("size"))
        else {
            continue;
        };
        let suffix = match kind.as_str() {
            "Data" => "d",
            "Unified" => "",
            _ => continue,
        };
        caches.push(format!("L{level}{suffix} {size}"));
    }
    (!caches.is_empty()).then(|| caches.join(", "))
}

/// Today's date (UTC) as YYYY-MM-DD, from the system clock.
pub fn today() -> String {
    date_of(Timestamp::now())
}

/// The date (UTC) of `time`, as YYYY-MM-DD.
fn date_of(time: Timestamp) -> String {
    time.strftime("%Y-%m-%d").to_string()
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn dates_come_out_right() {
        let day = |days: i64| date_of(Timestamp::from_second(days * 86_400).unwrap());
        assert_eq!(day(0), "1970-01-01");
        assert_eq!(day(19_782), "2024-02-29");
        assert_eq!(day(20_454), "2026-01-01");
        // The last second of a day is still that day.
        let last = Timestamp::from_second(20_454 * 86_400 - 1).unwrap();
        assert_eq!(date_of(last), "2025-12-31");
    }
}
