//! Chapter 8, `pop`: threads push and pop a stage 1 `SecVec` at the same
//! time, and no value is lost, returned twice or made up.
//!
//! Each thread pushes its own values (thread number in the high 32 bits,
//! starting at 1, and a counter in the low 32 bits) and, on about half of
//! its steps, pops whatever is on top, which may be another thread's value.
//! The length wanders up and down and often reaches zero, so the same few
//! slots are written, popped and written again all the time. When every
//! thread is done, the main thread drains what is left.
//!
//! Then it checks that every value pushed came back exactly once, during the
//! run or in the drain. A value seen twice is a duplicate; a value never seen
//! is lost; a value no thread pushed (such as the zero bits of a slot nobody
//! wrote) is invented.
//!
//! ```text
//! cargo run -p stage1 --release --example pop [THREADS] [PUSHES_PER_THREAD]
//! ```
//!
//! The defaults are 4 threads and 100,000 pushes each.

use std::thread;

use stage1::SecVec;

/// Low 32 bits of a value: the thread's counter.
const COUNTER_MASK: u64 = 0xffff_ffff;

/// Out of 100 steps, how many pop instead of push. At one half, the length
/// does a random walk that keeps coming back to zero.
const POP_PERCENT: u64 = 50;

/// What one thread did.
struct Report {
    popped: Vec<u64>,
    empty_pops: u64,
}

fn main() {
    let mut args = std::env::args()
        .skip(1)
        .map(|arg| arg.parse::<u64>().expect("arguments are whole numbers"));
    let threads = args.next().unwrap_or(4);
    let per_thread = args.next().unwrap_or(100_000);
    assert!((1..=1024).contains(&threads), "use 1 to 1024 threads");
    assert!(
        per_thread <= COUNTER_MASK,
        "the counter must fit in 32 bits"
    );

    let v = SecVec::new();
    let reports: Vec<Report> = thread::scope(|s| {
        let handles: Vec<_> = (1..=threads)
            .map(|thread_number| {
                let v = &v;
                s.spawn(move || run_thread(v, thread_number, per_thread))
            })
            .collect();
        handles.into_iter().map(|h| h.join().unwrap()).collect()
    });
    let left_at_end = v.len();

    let mut drained = Vec::new();
    while let Some(value) = v.pop() {
        drained.push(value);
    }
    assert!(v.is_empty());

    // How often each pushed value came back: seen[t - 1][counter].
    let mut seen = vec![vec![0_u8; per_thread as usize]; threads as usize];
    let mut invented = 0_u64;
    let popped_during_run: usize = reports.iter().map(|r| r.popped.len()).sum();
    for &value in reports.iter().flat_map(|r| &r.popped).chain(&drained) {
        let thread_number = value >> 32;
        let counter = value & COUNTER_MASK;
        if (1..=threads).contains(&thread_number) && counter < per_thread {
            let count = &mut seen[thread_number as usize - 1][counter as usize];
            *count = count.saturating_add(1);
        } else {
            invented += 1;
        }
    }
    let counts = seen.iter().flatten();
    let duplicates: u64 = counts
        .clone()
        .map(|&c| u64::from(c.saturating_sub(1)))
        .sum();
    let lost = counts.filter(|&&c| c == 0).count();

    let pushed = threads * per_thread;
    let empty_pops: u64 = reports.iter().map(|r| r.empty_pops).sum();
    println!(
        "{threads} threads on {} cores, each pushing {per_thread} values and popping \
         on {POP_PERCENT}% of its steps",
        thread::available_parallelism().map_or(1, usize::from)
    );
    println!("pushed:             {pushed:>9}");
    println!("popped during run:  {popped_during_run:>9}");
    println!("pops that found the vector empty: {empty_pops}");
    println!("left at the end:    {left_at_end:>9}");
    println!("drained at the end: {:>9}", drained.len());
    println!("duplicates={duplicates} lost={lost} invented={invented}");

    assert_eq!(drained.len(), left_at_end);
    assert_eq!(duplicates, 0, "some values came back twice");
    assert_eq!(lost, 0, "some values never came back");
    assert_eq!(invented, 0, "some values were never pushed");
    assert_eq!(popped_during_run + drained.len(), pushed as usize);
    println!("every value pushed came back exactly once");
}

/// Pushes `per_thread` values, popping on about `POP_PERCENT` of the steps.
fn run_thread(v: &SecVec<u64>, thread_number: u64, per_thread: u64) -> Report {
    let mut rng = XorShift(0x9e37_79b9_7f4a_7c15 ^ thread_number);
    let mut report = Report {
        popped: Vec::new(),
        empty_pops: 0,
    };
    let mut counter = 0;
    while counter < per_thread {
        if rng.next() % 100 < POP_PERCENT {
            match v.pop() {
                Some(value) => report.popped.push(value),
                None => report.empty_pops += 1,
            }
        } else {
            v.push(thread_number << 32 | counter);
            counter += 1;
        }
    }
    report
}

/// A tiny pseudo-random generator (Marsaglia's xorshift), so the example
/// needs no dependency and each run makes the same choices per thread.
struct XorShift(u64);

impl XorShift {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 << 13;
        self.0 ^= self.0 >> 7;
        self.0 ^= self.0 << 17;
        self.0
    }
}
