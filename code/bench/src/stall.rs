//! Stalls: stopping a worker thread at an arbitrary point, for a while,
//! while the others go on. Linux only.
//!
//! The main thread sends `SIGUSR1` with `pthread_kill` to a worker chosen at
//! random, about every [`Stalls::period`]. The worker's handler counts the
//! stall (see [`crate::timed`]) and then keeps the thread from running the
//! interrupted code for [`Stalls::length`]: it sleeps (`nanosleep`, giving
//! its core away, like a thread the scheduler preempted or a page fault
//! served from disk) or, with [`Stalls::spin`], spins on the clock (keeping
//! its core, like a thread whose core is taken by an interrupt). Whatever
//! the worker was doing stays half done meanwhile: inside a critical section
//! a lock stays held; inside a `SecVec` operation a descriptor may stay
//! pending, for the others to help along.
//!
//! Before and after the stall, the handler sums the operation counters of
//! the other workers (see [`crate::timed`]), so that each stall logs how
//! many operations the others completed while this one was stopped: none at
//! all means that everyone waited for it.
//!
//! The handler is async-signal-safe: it calls only `nanosleep` and
//! `clock_gettime` (both on POSIX's list of async-signal-safe functions),
//! touches only atomics (static, or thread-local without a destructor), and
//! saves and restores `errno`, which `nanosleep` may change.

use std::io;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering};
use std::sync::OnceLock;
use std::thread;
use std::time::{Duration, Instant};

use crate::workload::XorShift;

/// How long and how often workers are stopped.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Stalls {
    /// How long a stopped worker stays stopped.
    pub length: Duration,
    /// The mean time between two stalls (each gap is drawn uniformly between
    /// half and one and a half times this, so that stalls do not keep step
    /// with the scheduler's ticks).
    pub period: Duration,
    /// Spin on the clock instead of sleeping.
    pub spin: bool,
}

/// The length of a stall in nanoseconds, read by the handler.
static LENGTH_NANOS: AtomicU64 = AtomicU64::new(0);
/// Whether the handler spins (else it sleeps).
static SPIN: AtomicBool = AtomicBool::new(false);

/// Installs the `SIGUSR1` handler (once per process).
fn install() -> io::Result<()> {
    static INSTALLED: OnceLock<Result<(), i32>> = OnceLock::new();
    let result = INSTALLED.get_or_init(|| {
        // SAFETY: an all-zero `sigaction` is a valid value of this plain C
        // struct (no handler, empty mask, no flags), filled in below.
        let mut action: libc::sigaction = unsafe { std::mem::zeroed() };
        action.sa_sigaction = on_stall as extern "C" fn(libc::c_int) as libc::sighandler_t;
        action.sa_flags = libc::SA_RESTART;
        // SAFETY: `action.sa_mask` is a valid signal set to initialize; the
        // handler is async-signal-safe (see the module's documentation) and
        // lives as long as the process; SIGUSR1 has no other user in this
        // program.
        let status = unsafe {
            libc::sigemptyset(&mut action.sa_mask);
            libc::sigaction(libc::SIGUSR1, &action, std::ptr::null_mut())
        };
        if status == 0 {
            Ok(())
        } else {
            Err(io::Error::last_os_error().raw_os_error().unwrap_or(0))
        }
    });
    result.map_err(io::Error::from_raw_os_error)
}

/// The `SIGUSR1` handler: counts the stall, then sleeps or spins for the
/// stall's length. Async-signal-safe, see the module's documentation.
extern "C" fn on_stall(_signal: libc::c_int) {
    // SAFETY: `__errno_location` returns a valid pointer to this thread's
    // `errno`; saving and restoring it keeps the interrupted code's value.
    let errno = unsafe { *libc::__errno_location() };
    crate::timed::count_stall();
    let nanos = LENGTH_NANOS.load(Ordering::Relaxed);
    let (others_before, start) = (crate::timed::others_progress(), monotonic_nanos());
    if SPIN.load(Ordering::Relaxed) {
        while monotonic_nanos().wrapping_sub(start) < nanos {
            std::hint::spin_loop();
        }
    } else {
        let mut request = timespec(nanos);
        // SAFETY: an all-zero `timespec` is a valid value of the C struct.
        let mut remaining: libc::timespec = unsafe { std::mem::zeroed() };
        // SAFETY: both pointers are to live, writable `timespec`s on this
        // stack frame. After an interruption by another signal, sleep what
        // is left; any other error ends the stall early.
        while unsafe { libc::nanosleep(&request, &mut remaining) } != 0
            // SAFETY: as above, this thread's `errno`.
            && unsafe { *libc::__errno_location() } == libc::EINTR
        {
            request = remaining;
        }
    }
    crate::timed::log_stall(
        crate::timed::others_progress().wrapping_sub(others_before),
        monotonic_nanos().wrapping_sub(start),
    );
    // SAFETY: as above.
    unsafe { *libc::__errno_location() = errno };
}

/// `nanos` as a `timespec`.
fn timespec(nanos: u64) -> libc::timespec {
    // SAFETY: an all-zero `timespec` is a valid value of the C struct.
    let mut t: libc::timespec = unsafe { std::mem::zeroed() };
    t.tv_sec = (nanos / 1_000_000_000) as libc::time_t;
    t.tv_nsec = (nanos % 1_000_000_000) as libc::c_long;
    t
}

/// `CLOCK_MONOTONIC` in nanoseconds, through `clock_gettime`, which a
/// signal handler may call (unlike `Instant::now`, whose implementation
/// promises nothing of the kind).
fn monotonic_nanos() -> u64 {
    let mut now = timespec(0);
    // SAFETY: `now` is a live, writable `timespec`; CLOCK_MONOTONIC exists
    // on every Linux.
    unsafe { libc::clock_gettime(libc::CLOCK_MONOTONIC, &mut now) };
    now.tv_sec as u64 * 1_000_000_000 + now.tv_nsec as u64
}

/// Stops one of `workers`, chosen at random, for `stalls.length`, about
/// every `stalls.period`, for `duration`. Returns how many signals it sent.
///
/// # Safety
///
/// Every thread in `workers` must stay joinable (not joined or detached)
/// until this function returns: `pthread_kill` with the id of a thread that
/// was joined or detached is undefined behaviour, since the id may have
/// been reused.
pub unsafe fn inject(workers: &[libc::pthread_t], stalls: Stalls, duration: Duration) -> u64 {
    install().expect("could not install the SIGUSR1 handler");
    LENGTH_NANOS.store(stalls.length.as_nanos() as u64, Ordering::Relaxed);
    SPIN.store(stalls.spin, Ordering::Relaxed);
    let mut rng = XorShift::for_thread(workers.len() + 1000);
    let end = Instant::now() + duration;
    let mut sent = 0;
    loop {
        // Between half and one and a half periods.
        let gap = stalls.period.mul_f64(0.5 + rng.below(1000) as f64 / 1000.0);
        let now = Instant::now();
        // The last stall ends before the run does, so that every stall is
        // over, logged and counted when the workers stop.
        if now + gap + stalls.length >= end {
            thread::sleep(end.saturating_duration_since(now));
            return sent;
        }
        thread::sleep(gap);
        let target = workers[rng.below(workers.len() as u64)];
        // SAFETY: the caller keeps every worker alive until this returns,
        // and the handler for SIGUSR1 is installed.
        if unsafe { libc::pthread_kill(target, libc::SIGUSR1) } == 0 {
            sent += 1;
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::timed::{measure, Clock};
    use crate::workload::Mix;

    /// Stalls reach the workers, and the operations they interrupt are
    /// counted apart, at about the stall's length.
    #[test]
    fn stalls_interrupt_operations() {
        let stalls = Stalls {
            length: Duration::from_millis(2),
            period: Duration::from_millis(10),
            spin: false,
        };
        let clock = Clock::get();
        let outcome = measure::<std::sync::Mutex<Vec<u64>>>(Mix::PushPop, 2, clock, |w| {
            // SAFETY: `measure` keeps the workers alive until this returns.
            unsafe { inject(&w.pthreads(), stalls, Duration::from_millis(200)) };
        });
        assert!(outcome.stalls >= 5, "{} stalls", outcome.stalls);
        assert!(!outcome.interrupted.is_empty());
        assert!(outcome.interrupted.len() <= outcome.stalls);
        // Every stall logged what the other worker did meanwhile.
        assert_eq!(outcome.stall_progress.len() as u64, outcome.stalls);
        assert!(outcome.stall_progress.iter().all(|s| s.nanos >= 1_900_000));
        let longest = clock.nanos(outcome.interrupted.max());
        assert!(longest >= 1.9e6, "{longest} ns");
    }
}
