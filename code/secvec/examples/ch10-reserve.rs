//! Chapter 10, "`reserve` and capacity": how capacity grows bucket by bucket.
//!
//! The first table pushes one element at a time and prints a row whenever the
//! capacity changes: each time, one new bucket twice the size of the last.
//! The second table shows that `with_capacity` and `reserve` allocate whole
//! buckets ahead (so the capacity is rounded up to the end of a bucket), that
//! `reserve` counts from the current length, and that it never shrinks or
//! reallocates anything. Then it reserves room for ten million elements and,
//! on Linux, shows how little of that memory the process actually touched:
//! the buckets come from zeroed pages the kernel hands out on first use.
//! Finally, a request beyond what the buckets can index panics with
//! "capacity overflow", as `Vec` does.
//!
//! Run it with `cargo run --release --example ch10-reserve`.

use std::panic;

use secvec::SecVec;

/// Size of one slot: eight bytes of element bits and an eight-byte version.
const SLOT_BYTES: usize = 16;

fn main() {
    println!("pushing one at a time:");
    println!("{:>8} {:>9}", "len", "capacity");
    let v = SecVec::new();
    let mut last_capacity = v.capacity();
    println!("{:>8} {:>9}", v.len(), last_capacity);
    for i in 0..200_u32 {
        v.push(i);
        let capacity = v.capacity();
        if capacity != last_capacity {
            println!("{:>8} {:>9}", v.len(), capacity);
            // Each new bucket doubles the previous one's size: capacity
            // goes 8, 8 + 16, 8 + 16 + 32, ...
            assert_eq!(capacity, 2 * last_capacity + 8);
            last_capacity = capacity;
        }
    }

    println!();
    println!("{:<28} {:>5} {:>9}", "allocating ahead", "len", "capacity");
    let show = |what: &str, v: &SecVec<u32>| {
        println!("{what:<28} {:>5} {:>9}", v.len(), v.capacity());
    };

    let w: SecVec<u32> = SecVec::with_capacity(100);
    show("with_capacity(100)", &w);
    assert_eq!(w.capacity(), 120); // buckets of 8, 16, 32 and 64 slots

    for i in 0..100 {
        w.push(i);
    }
    show("after 100 pushes", &w);
    assert_eq!(w.capacity(), 120, "the pushes fit without allocating");

    w.reserve(30);
    show("reserve(30)", &w);
    assert_eq!(w.capacity(), 248, "len 100 + 30 needs the 128-slot bucket");

    w.reserve(1);
    show("reserve(1)", &w);
    assert_eq!(w.capacity(), 248, "already enough room: nothing allocated");

    while w.pop().is_some() {}
    show("after popping everything", &w);
    assert_eq!(w.capacity(), 248, "buckets are never given back early");

    println!();
    let before = resident_kib();
    let big: SecVec<u64> = SecVec::with_capacity(10_000_000);
    let after = resident_kib();
    let reserved_kib = big.capacity() * SLOT_BYTES / 1024;
    println!(
        "with_capacity(10_000_000): capacity {}, {} KiB of slots",
        big.capacity(),
        reserved_kib
    );
    if let (Some(before), Some(after)) = (before, after) {
        let grown = after.saturating_sub(before);
        println!("resident memory grew by {grown} KiB");
        assert!(
            grown < reserved_kib / 4,
            "untouched zero pages cost nothing"
        );
    }

    println!();
    // Silence the default panic message; we print our own.
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(|| big.reserve(usize::MAX));
    let _ = panic::take_hook();
    let message = result
        .expect_err("reserving usize::MAX more must panic")
        .downcast::<&str>()
        .map(|message| *message)
        .unwrap_or("?");
    println!("reserve(usize::MAX) panicked: {message}");
    assert_eq!(message, "capacity overflow");
}

/// This process's resident memory in KiB, where the system reports it.
fn resident_kib() -> Option<usize> {
    let status = std::fs::read_to_string("/proc/self/status").ok()?;
    let line = status.lines().find(|line| line.starts_with("VmRSS:"))?;
    line.split_whitespace().nth(1)?.parse().ok()
}
