//! Chapter 7, `push`: many threads push at once into a stage 1 `SecVec`,
//! and afterwards every value is in the vector exactly once.
//!
//! Each thread pushes values that carry its number in the high 32 bits and a
//! counter in the low 32 bits, so every value is unique and names the thread
//! that pushed it. Thread numbers start at 1, so the zero bits of a slot
//! that was never written cannot pass for a pushed value.
//!
//! Once all threads are done, the example reads the vector front to back and
//! checks that nothing was lost, duplicated or invented, and that each
//! thread's values appear in the order it pushed them: a push takes effect
//! at one instant (the compare-and-swap that installs its descriptor), and
//! one thread's pushes happen one after another, so their indices grow.
//! Finally it drains the vector with `pop`, which must hand the values back
//! in reverse.
//!
//! ```text
//! cargo run -p stage1 --release --example push
//! ```

use std::thread;

use stage1::SecVec;

/// Low 32 bits of a value: the thread's counter.
const COUNTER_MASK: u64 = 0xffff_ffff;

const THREADS: u64 = 8;
const PUSHES_PER_THREAD: u64 = 100_000;

fn main() {
    let v = SecVec::new();
    thread::scope(|s| {
        for thread_number in 1..=THREADS {
            let v = &v;
            s.spawn(move || {
                for counter in 0..PUSHES_PER_THREAD {
                    v.push(thread_number << 32 | counter);
                }
            });
        }
    });
    let total = THREADS * PUSHES_PER_THREAD;

    let items: Vec<u64> = (0..v.len()).map(|i| v.get(i).expect("i < len")).collect();
    assert_eq!(items.len() as u64, total, "length after all pushes");
    // `next[t]` is the counter we expect to meet next from thread `t`.
    let mut next = vec![0_u64; THREADS as usize + 1];
    let mut switches = 0_u64;
    let mut previous_thread = None;
    for (index, &value) in items.iter().enumerate() {
        let thread_number = value >> 32;
        let counter = value & COUNTER_MASK;
        assert!(
            (1..=THREADS).contains(&thread_number) && counter < PUSHES_PER_THREAD,
            "index {index} holds {value:#x}, which no thread pushed"
        );
        let expected = &mut next[thread_number as usize];
        // Catches duplicates and gaps alike: counters must come 0, 1, 2, ...
        assert_eq!(
            counter, *expected,
            "index {index}: thread {thread_number}'s values out of order, lost or repeated"
        );
        *expected += 1;
        if previous_thread.is_some_and(|previous| previous != thread_number) {
            switches += 1;
        }
        previous_thread = Some(thread_number);
    }

    println!(
        "{THREADS} threads, {PUSHES_PER_THREAD} pushes each, on {} cores",
        thread::available_parallelism().map_or(1, usize::from)
    );
    for (thread_number, &count) in next.iter().enumerate().skip(1) {
        assert_eq!(
            count, PUSHES_PER_THREAD,
            "thread {thread_number} lost values"
        );
        println!("  thread {thread_number:>2}: {count} values, in push order");
    }
    println!(
        "total: {} values, none lost, duplicated or invented",
        items.len()
    );
    println!(
        "the pushing thread changes {switches} times along the vector \
         (the pushes really did interleave)"
    );
    println!("capacity: {} slots", v.capacity());

    // Drain: pop must return exactly the same values, last first.
    let mut drained = 0_usize;
    while let Some(value) = v.pop() {
        drained += 1;
        assert_eq!(value, items[items.len() - drained], "pop order");
    }
    assert_eq!(drained, items.len());
    assert!(v.is_empty());
    println!("drained {drained} values with pop, in reverse push order");
}
