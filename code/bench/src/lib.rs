//! Benchmarks of `secvec` beside the vectors it competes with, kept out of
//! the `secvec` crate so that its folder stays copyable with no benchmark
//! dependencies. `cargo xtask bench` runs them and turns their output into
//! the tables and plots of the book's performance chapter.
//!
//! The benchmarks themselves are in `benches/`:
//!
//! - `throughput.rs` (criterion): operations per second, five workloads at
//!   1, 2, 4 and 8 threads.
//! - `hazard.rs` (criterion): what a hazard pointer and a retire cost.
//! - `latency.rs`: the latency of each operation, as histograms, in the
//!   push/pop and read-mostly mixes at 2, 4, 8 and 16 threads.
//! - `stalls.rs` (Linux): the same, while a signal stops one worker now and
//!   then for a while: what the other workers keep of their throughput and
//!   how long they wait.
//! - `elimination.rs` (criterion, run by hand): the push/pop mix with and
//!   without `SecVec::with_elimination`, in a tight loop and with work
//!   between operations.
//!
//! This library holds what they share: the contestants ([`contestants`],
//! with a Treiber stack in [`treiber`] as a lock-free peer),
//! the workloads ([`workload`]), the timed runs with per-operation
//! histograms ([`timed`]), the stalls ([`stall`]) and the command line and
//! CSV output of the two histogram benchmarks ([`report`]).

pub mod contestants;
pub mod report;
#[cfg(target_os = "linux")]
pub mod stall;
pub mod timed;
pub mod treiber;
pub mod workload;
