//! Shared by the benchmark files.

use std::time::{Duration, Instant};

/// The wall-clock time a multi-threaded sample took: from the first thread
/// starting to the last one finishing, given each thread's `(start, end)`.
pub fn wall_time(spans: &[(Instant, Instant)]) -> Duration {
    let start = spans
        .iter()
        .map(|s| s.0)
        .min()
        .expect("at least one thread");
    let end = spans
        .iter()
        .map(|s| s.1)
        .max()
        .expect("at least one thread");
    end.duration_since(start)
}
