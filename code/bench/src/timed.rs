//! Timed runs: worker threads perform a [`Mix`] on one vector for a fixed
//! time, and every operation is timed into the worker's own histogram.
//!
//! # The clock
//!
//! On x86-64 each operation is timed with the time-stamp counter (`rdtsc`),
//! calibrated once per process against [`Instant`]; elsewhere, or when the
//! CPU does not say its counter is invariant (`constant_tsc` and
//! `nonstop_tsc` in `/proc/cpuinfo`), with [`Instant`] itself. On the two-core
//! machine this was written on, a pair of `Instant::now()` calls around an
//! operation costs about 51 ns and a pair of `rdtsc` about 20 ns (timed over
//! ten million pairs), while a `SecVec::get` takes about 10 ns: the cheaper
//! clock disturbs the loop it measures less. Linux reads the same counter
//! for `Instant` when its clock source is `tsc`, and only chooses that
//! source when the counters of all cores agree, so a thread that moves to
//! another core during an operation still gets a sound difference.
//! `rdtsc` is not an ordering instruction, so the processor may start it a
//! few instructions early or late: an error of tens of cycles, which blurs
//! the fastest operations by a few nanoseconds and leaves the tail alone.
//!
//! # Stalls
//!
//! A worker counts the stalls that hit it in a thread-local counter, which
//! the stall signal's handler ([`crate::stall`]) increments. The worker
//! reads the counter before and after each operation; an operation during
//! which it changed was interrupted by a stall and goes into a histogram of
//! its own, so that the stopped thread's own wait does not count as the
//! latency of the structure. The counter is read outside the two clock
//! reads, so a stall that lands just between a counter read and a clock read
//! marks an operation it did not delay (rare; such operations show up among
//! the interrupted ones with an ordinary latency), but no stall ever hides
//! in the histogram of uninterrupted operations.

use std::sync::atomic::{compiler_fence, AtomicBool, AtomicU64, AtomicUsize, Ordering};
use std::sync::{Barrier, Mutex, OnceLock};
use std::thread;
use std::time::{Duration, Instant};

use hdrhistogram::Histogram;

use crate::contestants::FullContestant;
use crate::workload::{apply, Mix, XorShift, PREFILL};

/// The highest value a histogram records, in clock ticks: a minute even at
/// 5 GHz. Longer operations are recorded as this.
const HIGHEST_TICKS: u64 = 300_000_000_000;

/// Significant decimal digits the histograms keep (0.1% resolution).
const SIGNIFICANT_DIGITS: u8 = 3;

/// Operations a worker performs between two looks at the stop flag.
const BATCH: u64 = 16;

/// An empty histogram of clock ticks.
pub fn histogram() -> Histogram<u64> {
    Histogram::new_with_bounds(1, HIGHEST_TICKS, SIGNIFICANT_DIGITS)
        .expect("the histogram bounds are valid")
}

// ---------------------------------------------------------------------------
// The clock

/// The clock operations are timed with: raw ticks, and how long one is.
#[derive(Clone, Copy, Debug)]
pub struct Clock {
    /// Whether ticks come from the time-stamp counter (else from `Instant`).
    tsc: bool,
    /// Nanoseconds per tick.
    nanos_per_tick: f64,
}

/// The origin of the `Instant` clock's ticks.
static ORIGIN: OnceLock<Instant> = OnceLock::new();

impl Clock {
    /// The clock of this process: the time-stamp counter where it is
    /// invariant, calibrated against `Instant` over 50 ms, else `Instant`.
    pub fn get() -> Clock {
        static CLOCK: OnceLock<Clock> = OnceLock::new();
        *CLOCK.get_or_init(|| {
            ORIGIN.get_or_init(Instant::now);
            if !invariant_tsc() {
                return Clock {
                    tsc: false,
                    nanos_per_tick: 1.0,
                };
            }
            let tsc = Clock {
                tsc: true,
                nanos_per_tick: 1.0,
            };
            let (start, ticks) = (Instant::now(), tsc.ticks());
            thread::sleep(Duration::from_millis(50));
            let (nanos, ticks) = (start.elapsed().as_nanos(), tsc.ticks() - ticks);
            Clock {
                tsc: true,
                nanos_per_tick: nanos as f64 / ticks.max(1) as f64,
            }
        })
    }

    /// The current time in ticks.
    #[inline(always)]
    pub fn ticks(self) -> u64 {
        #[cfg(target_arch = "x86_64")]
        if self.tsc {
            // SAFETY: `rdtsc` exists on every x86-64 processor and only
            // reads the time-stamp counter.
            return unsafe { core::arch::x86_64::_rdtsc() };
        }
        ORIGIN.get_or_init(Instant::now).elapsed().as_nanos() as u64
    }

    /// `ticks` in nanoseconds.
    pub fn nanos(self, ticks: u64) -> f64 {
        ticks as f64 * self.nanos_per_tick
    }

    /// `duration` in ticks.
    pub fn ticks_in(self, duration: Duration) -> u64 {
        (duration.as_nanos() as f64 / self.nanos_per_tick) as u64
    }

    /// What the clock is, for reports: "rdtsc at 2.45 GHz" or "Instant".
    pub fn describe(self) -> String {
        if self.tsc {
            format!("rdtsc at {:.2} GHz", 1.0 / self.nanos_per_tick)
        } else {
            "std::time::Instant".to_string()
        }
    }

    /// The median time the clock reports for an empty operation, in
    /// nanoseconds: the floor under every measured latency.
    pub fn overhead(self) -> f64 {
        let mut h = histogram();
        for _ in 0..100_000 {
            let start = self.ticks();
            h.saturating_record((self.ticks() - start).max(1));
        }
        self.nanos(h.value_at_quantile(0.5))
    }
}

/// Whether the time-stamp counter ticks at a constant rate, in every
/// power state, as Linux reports in `/proc/cpuinfo`, and is the clock
/// source Linux itself trusts.
fn invariant_tsc() -> bool {
    if !cfg!(target_arch = "x86_64") {
        return false;
    }
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let flags = cpuinfo
        .lines()
        .find(|l| l.starts_with("flags"))
        .unwrap_or_default();
    let has = |flag: &str| flags.split_whitespace().any(|f| f == flag);
    // Linux uses the counter as its own clock source only when the counters
    // of all cores agree; a virtual machine may show both flags and still
    // keep its counters apart (its clock source is then `kvm-clock` or
    // similar), and a thread that moved between cores could read time
    // going backwards.
    let source = "/sys/devices/system/clocksource/clocksource0/current_clocksource";
    let tsc_is_the_clock = std::fs::read_to_string(source).is_ok_and(|s| s.trim() == "tsc");
    has("constant_tsc") && has("nonstop_tsc") && tsc_is_the_clock
}

// ---------------------------------------------------------------------------
// Stall counting and progress

thread_local! {
    /// How many stall signals this thread has handled. Constant-initialized
    /// and without a destructor, so reaching it is a plain thread-local
    /// access, which a signal handler may make.
    static STALLS: AtomicU64 = const { AtomicU64::new(0) };
    /// This worker's index in [`PROGRESS`] (`usize::MAX` off the workers).
    static WORKER: AtomicUsize = const { AtomicUsize::new(usize::MAX) };
}

/// Workers whose progress is followed; more still run, unfollowed.
const FOLLOWED: usize = 64;

/// An operation counter on a cache line of its own.
#[repr(align(128))]
struct Progress(AtomicU64);

/// Operations each worker of the current run has completed, stored after
/// every operation, so that a stalled worker's signal handler can see
/// whether the others go on without it.
static PROGRESS: [Progress; FOLLOWED] = [const { Progress(AtomicU64::new(0)) }; FOLLOWED];

/// Workers in the current run.
static WORKERS: AtomicUsize = AtomicUsize::new(0);

/// What the others did during each stall of the current run: the
/// operations they completed and the stall's length in nanoseconds. Written
/// by signal handlers, so a fixed array and an atomic length.
static STALL_LOG: [(AtomicU64, AtomicU64); 4096] =
    [const { (AtomicU64::new(0), AtomicU64::new(0)) }; 4096];
static STALL_LOG_LEN: AtomicUsize = AtomicUsize::new(0);

/// Counts a stall on the calling thread: called by the stall signal's
/// handler, so it must stay async-signal-safe (one atomic add).
pub(crate) fn count_stall() {
    STALLS.with(|stalls| stalls.fetch_add(1, Ordering::Relaxed));
}

/// The operations all workers but the calling one have completed so far.
/// Async-signal-safe: atomic loads only.
pub(crate) fn others_progress() -> u64 {
    let me = WORKER.with(|w| w.load(Ordering::Relaxed));
    let workers = WORKERS.load(Ordering::Relaxed).min(FOLLOWED);
    (0..workers)
        .filter(|&w| w != me)
        .map(|w| PROGRESS[w].0.load(Ordering::Relaxed))
        .sum()
}

/// Records that the other workers completed `ops` operations during a
/// stall of `nanos`. Async-signal-safe: atomics only; a full log drops it.
pub(crate) fn log_stall(ops: u64, nanos: u64) {
    let i = STALL_LOG_LEN.fetch_add(1, Ordering::Relaxed);
    if let Some((o, n)) = STALL_LOG.get(i) {
        o.store(ops, Ordering::Relaxed);
        n.store(nanos, Ordering::Relaxed);
    }
}

/// The stalls logged since the last call, emptying the log. Called between
/// runs, when no handler runs.
fn take_stall_log() -> Vec<StallProgress> {
    let len = STALL_LOG_LEN
        .swap(0, Ordering::Relaxed)
        .min(STALL_LOG.len());
    STALL_LOG[..len]
        .iter()
        .map(|(o, n)| StallProgress {
            others_ops: o.load(Ordering::Relaxed),
            nanos: n.load(Ordering::Relaxed),
        })
        .collect()
}

/// What the other workers did while one was stalled.
#[derive(Clone, Copy, Debug)]
pub struct StallProgress {
    /// Operations the other workers completed during the stall.
    pub others_ops: u64,
    /// How long the stall lasted, in nanoseconds.
    pub nanos: u64,
}

// ---------------------------------------------------------------------------
// Runs

/// What one timed run (or several, merged) measured.
pub struct Outcome {
    /// Operations performed, interrupted ones included.
    pub ops: u64,
    /// Seconds the workers ran (summed over merged runs).
    pub seconds: f64,
    /// Ticks per operation that no stall interrupted.
    pub latency: Histogram<u64>,
    /// Ticks per operation that a stall interrupted.
    pub interrupted: Histogram<u64>,
    /// Stalls the workers handled.
    pub stalls: u64,
    /// What the other workers did during each stall.
    pub stall_progress: Vec<StallProgress>,
}

impl Default for Outcome {
    fn default() -> Self {
        Outcome {
            ops: 0,
            seconds: 0.0,
            latency: histogram(),
            interrupted: histogram(),
            stalls: 0,
            stall_progress: Vec::new(),
        }
    }
}

impl Outcome {
    /// Adds `other`'s operations, time and histograms to this one.
    pub fn merge(&mut self, other: &Outcome) {
        self.ops += other.ops;
        self.seconds += other.seconds;
        self.stalls += other.stalls;
        self.stall_progress.extend_from_slice(&other.stall_progress);
        self.latency
            .add(&other.latency)
            .expect("histograms with the same bounds add up");
        self.interrupted
            .add(&other.interrupted)
            .expect("histograms with the same bounds add up");
    }

    /// The stalls during which the other workers completed no operation at
    /// all: everyone waited for the stopped thread.
    pub fn frozen(&self) -> usize {
        self.stall_progress
            .iter()
            .filter(|s| s.others_ops == 0)
            .count()
    }

    /// The operations the other workers completed during all stalls, and
    /// how many seconds the stalls lasted.
    pub fn during_stalls(&self) -> (u64, f64) {
        let ops = self.stall_progress.iter().map(|s| s.others_ops).sum();
        let nanos: u64 = self.stall_progress.iter().map(|s| s.nanos).sum();
        (ops, nanos as f64 * 1e-9)
    }

    /// Operations per second, all workers together.
    pub fn ops_per_sec(&self) -> f64 {
        self.ops as f64 / self.seconds.max(1e-9)
    }
}

/// The running workers, as the main thread sees them while they work.
pub struct Workers {
    /// Each worker's POSIX thread, for `pthread_kill`.
    #[cfg(unix)]
    pthreads: Vec<OnceLock<libc::pthread_t>>,
}

impl Workers {
    /// Each worker's POSIX thread. Every worker lives until the function
    /// given to [`measure`] returns.
    #[cfg(unix)]
    pub fn pthreads(&self) -> Vec<libc::pthread_t> {
        self.pthreads
            .iter()
            .map(|p| *p.get().expect("every worker registers before starting"))
            .collect()
    }
}

/// One timed run: `threads` workers perform `mix` on a fresh vector `C`
/// holding [`PREFILL`] elements, from a common start until `during`
/// returns; `during` runs on the calling thread meanwhile (it sleeps, or
/// stops workers now and then). Every operation is timed with `clock`.
pub fn measure<C: FullContestant>(
    mix: Mix,
    threads: usize,
    clock: Clock,
    during: impl FnOnce(&Workers),
) -> Outcome {
    // The progress counters and the stall log are global: one run at a time.
    static ONE_RUN_AT_A_TIME: Mutex<()> = Mutex::new(());
    let _run = ONE_RUN_AT_A_TIME
        .lock()
        .unwrap_or_else(|poisoned| poisoned.into_inner());
    let vector = C::filled(PREFILL);
    for p in &PROGRESS {
        p.0.store(0, Ordering::Relaxed);
    }
    WORKERS.store(threads, Ordering::Relaxed);
    take_stall_log();
    let stop = AtomicBool::new(false);
    let barrier = Barrier::new(threads + 1);
    let workers = Workers {
        #[cfg(unix)]
        pthreads: (0..threads).map(|_| OnceLock::new()).collect(),
    };
    let outcome = thread::scope(|scope| {
        let handles: Vec<_> = (0..threads)
            .map(|t| {
                let (vector, stop, barrier, workers) = (&vector, &stop, &barrier, &workers);
                scope.spawn(move || {
                    #[cfg(unix)]
                    // SAFETY: `pthread_self` has no preconditions.
                    let _ = workers.pthreads[t].set(unsafe { libc::pthread_self() });
                    #[cfg(not(unix))]
                    let _ = workers;
                    // Before the barrier, so that a stall that comes the
                    // moment the run starts finds the worker's index.
                    WORKER.with(|w| w.store(t, Ordering::Relaxed));
                    barrier.wait();
                    work(vector, mix, t, clock, stop)
                })
            })
            .collect();
        barrier.wait();
        let start = Instant::now();
        during(&workers);
        stop.store(true, Ordering::Relaxed);
        let seconds = start.elapsed().as_secs_f64();
        let mut outcome = Outcome::default();
        for handle in handles {
            outcome.merge(&handle.join().expect("a benchmark thread panicked"));
        }
        outcome.seconds = seconds;
        outcome.stall_progress = take_stall_log();
        outcome
    });
    drop(vector);
    outcome
}

/// One worker's loop: operations of `mix` until `stop`, each timed.
fn work<C: FullContestant>(
    v: &C,
    mix: Mix,
    thread: usize,
    clock: Clock,
    stop: &AtomicBool,
) -> Outcome {
    let mut outcome = Outcome::default();
    let mut rng = XorShift::for_thread(thread);
    let progress = PROGRESS.get(thread).map(|p| &p.0);
    let mut done = 0;
    // Every worker is a fresh thread, so its count of stalls starts at 0
    // and counts every stall of the run, even one that came before this
    // line.
    STALLS.with(|stalls| {
        while !stop.load(Ordering::Relaxed) {
            for _ in 0..BATCH {
                let op = mix.next(&mut rng);
                let before = stalls.load(Ordering::Relaxed);
                // The handler runs on this thread: keep the compiler from
                // moving the operation across the counter's loads.
                compiler_fence(Ordering::SeqCst);
                let start = clock.ticks();
                apply(v, op);
                let ticks = clock.ticks().saturating_sub(start).max(1);
                compiler_fence(Ordering::SeqCst);
                if stalls.load(Ordering::Relaxed) == before {
                    outcome.latency.saturating_record(ticks);
                } else {
                    outcome.interrupted.saturating_record(ticks);
                }
                done += 1;
                if let Some(progress) = progress {
                    progress.store(done, Ordering::Relaxed);
                }
            }
        }
        outcome.stalls = stalls.load(Ordering::Relaxed);
    });
    WORKER.with(|w| w.store(usize::MAX, Ordering::Relaxed));
    outcome.ops = done;
    outcome
}

#[cfg(test)]
mod tests {
    use super::*;
    use secvec::SecVec;

    #[test]
    fn a_short_run_times_every_operation() {
        let clock = Clock::get();
        let outcome = measure::<SecVec<u64>>(Mix::ReadMostly, 2, clock, |_| {
            thread::sleep(Duration::from_millis(20));
        });
        assert!(outcome.ops > 0);
        assert_eq!(
            outcome.latency.len() + outcome.interrupted.len(),
            outcome.ops
        );
        // No stalls were sent, and a get or a set takes more than nothing
        // and far less than a millisecond.
        assert_eq!(outcome.stalls, 0);
        assert_eq!(outcome.interrupted.len(), 0);
        let median = clock.nanos(outcome.latency.value_at_quantile(0.5));
        assert!(median > 1.0 && median < 1_000_000.0, "median {median} ns");
    }
}
