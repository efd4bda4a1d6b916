//! What the criterion benchmarks measure: their workloads, the
//! implementations in each, the hazard-pointer cases and the project's
//! targets. Names match `code/bench/benches/throughput.rs` and `hazard.rs`.

/// Thread counts the throughput benchmark runs at.
pub const THREADS: [u32; 4] = [1, 2, 4, 8];

/// A workload of `benches/throughput.rs`: criterion group id, short title
/// (tables), plot caption, and the implementations it runs (`SecVec` first).
pub struct Workload {
    pub id: &'static str,
    pub title: &'static str,
    pub caption: &'static str,
    pub implementations: &'static [&'static str],
}

pub const SECVEC: &str = "SecVec";
pub const MUTEX: &str = "Mutex<Vec>";
pub const RWLOCK: &str = "RwLock<Vec>";
pub const PARKING_LOT: &str = "parking_lot::Mutex<Vec>";
pub const BOXCAR: &str = "boxcar::Vec";
/// The book's third stage, before the optimizations (code/stage3).
pub const STAGE3: &str = "stage3::SecVec";
/// `SecVec` built with `with_elimination`, and two lock-free peers that are
/// not vectors, run in the latency benchmark's push/pop mix only
/// (code/bench/src/contestants.rs).
pub const ELIMINATION: &str = "SecVec + elimination";
pub const SEGQUEUE: &str = "crossbeam::SegQueue";
pub const TREIBER: &str = "Treiber stack";

const ALL: &[&str] = &[SECVEC, STAGE3, MUTEX, RWLOCK, PARKING_LOT, BOXCAR];
const NO_BOXCAR: &[&str] = &[SECVEC, STAGE3, MUTEX, RWLOCK, PARKING_LOT];

pub const WORKLOADS: [Workload; 5] = [
    Workload {
        id: "push",
        title: "push only",
        caption: "push only",
        implementations: ALL,
    },
    Workload {
        id: "pop",
        title: "pop only",
        caption: "pop only",
        implementations: NO_BOXCAR,
    },
    Workload {
        id: "push_pop",
        title: "push/pop 50/50",
        caption: "push/pop 50/50",
        implementations: NO_BOXCAR,
    },
    Workload {
        id: "read_mostly",
        title: "read-mostly",
        caption: "read-mostly: 70% get, 10% set, 15% push, 5% pop",
        implementations: NO_BOXCAR,
    },
    Workload {
        id: "get",
        title: "get only",
        caption: "get only",
        implementations: ALL,
    },
];

/// The workload with id `id`.
pub fn workload(id: &str) -> Option<&'static Workload> {
    WORKLOADS.iter().find(|w| w.id == id)
}

/// The criterion group of `benches/hazard.rs` and its cases.
pub const HAZARD_GROUP: &str = "hazard_pointer";
pub const HAZARD_CASES: [(&str, &str); 3] = [
    (
        "new_per_op",
        "fresh `HazardPointer::new()` per operation, protect, drop",
    ),
    (
        "reused",
        "one hazard pointer per thread: protect, reset protection",
    ),
    ("retire", "allocate a 64-byte object and retire it"),
];
pub const HAZARD_THREADS: [u32; 2] = [1, 2];

/// A performance target the project set itself: SecVec's throughput divided
/// by a peer's, in one workload at one thread count, must reach `at_least`.
pub struct Target {
    pub workload: &'static str,
    pub peer: &'static str,
    pub threads: u32,
    pub at_least: f64,
}

/// The project's throughput targets, all at two threads on two cores but
/// the single-threaded push: the push/pop mix at a quarter of `Mutex<Vec>`
/// and half of `parking_lot::Mutex<Vec>`; the read-mostly mix at least as
/// fast as `RwLock<Vec>`; reads twice as fast as `RwLock<Vec>` and as fast
/// as boxcar; a push on one thread at 0.4 of `Mutex<Vec>`.
pub const TARGETS: [Target; 6] = [
    Target {
        workload: "push_pop",
        peer: MUTEX,
        threads: 2,
        at_least: 0.25,
    },
    Target {
        workload: "push_pop",
        peer: PARKING_LOT,
        threads: 2,
        at_least: 0.5,
    },
    Target {
        workload: "read_mostly",
        peer: RWLOCK,
        threads: 2,
        at_least: 1.0,
    },
    Target {
        workload: "get",
        peer: RWLOCK,
        threads: 2,
        at_least: 2.0,
    },
    Target {
        workload: "get",
        peer: BOXCAR,
        threads: 2,
        at_least: 1.0,
    },
    Target {
        workload: "push",
        peer: MUTEX,
        threads: 1,
        at_least: 0.4,
    },
];

/// The project's latency targets: in both mixes of the latency benchmark, at
/// these thread counts, `SecVec`'s latency at these quantiles at most that
/// of [`LATENCY_PEER`].
pub const LATENCY_TARGET_THREADS: [u32; 3] = [2, 8, 16];
/// The quantiles of the latency targets, with their column titles.
pub const LATENCY_TARGET_QUANTILES: [(&str, f64); 2] = [("p99.9", 0.999), ("p99.99", 0.9999)];
/// The structure whose tail `SecVec`'s must not exceed.
pub const LATENCY_PEER: &str = MUTEX;

/// Whether criterion's `group`/`function` is a benchmark this xtask knows.
pub fn is_known(group: &str, function: &str) -> bool {
    WORKLOADS
        .iter()
        .any(|w| w.id == group && w.implementations.contains(&function))
        || (group == HAZARD_GROUP && HAZARD_CASES.iter().any(|(c, _)| *c == function))
}

/// Every benchmark id, flagged `true` for the hazard-pointer ones.
pub fn benchmark_ids() -> Vec<(bool, String)> {
    let mut ids = Vec::new();
    for workload in &WORKLOADS {
        for threads in THREADS {
            for implementation in workload.implementations {
                ids.push((false, format!("{}/{implementation}/{threads}", workload.id)));
            }
        }
    }
    for threads in HAZARD_THREADS {
        for (case, _) in HAZARD_CASES {
            ids.push((true, format!("{HAZARD_GROUP}/{case}/{threads}")));
        }
    }
    ids
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn targets_name_known_benchmarks() {
        for t in &TARGETS {
            let w = workload(t.workload).unwrap();
            assert!(w.implementations.contains(&t.peer));
            assert!(THREADS.contains(&t.threads));
        }
    }
}
