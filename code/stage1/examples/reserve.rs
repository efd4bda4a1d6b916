//! For the chapter "`len`, `reserve` and capacity" (book/len-reserve.md): how
//! the capacity grows bucket by bucket, and where it stops.
//!
//! The first table pushes one element at a time and prints a row whenever the
//! capacity changes: each time, one new bucket twice the size of the last.
//! The second table shows that `reserve` allocates whole buckets ahead (so
//! the capacity is rounded up to the end of a bucket), that it counts from
//! the current length, and that nothing ever shrinks or moves. Last, two
//! requests that no bucket can hold panic with "capacity overflow", as they
//! would for `Vec`, and allocate nothing.
//!
//! Run it with `cargo run -p stage1 --release --example reserve`.

use std::panic::{self, UnwindSafe};

use stage1::SecVec;

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

    let w = SecVec::new();
    w.reserve(100);
    show("reserve(100) when empty", &w);
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
    // At length 200, `200 + usize::MAX` overflows a `usize`.
    let message = panic_message(|| v.reserve(usize::MAX));
    println!("reserve(usize::MAX) at len 200 panicked: {message}");
    assert_eq!(message, "capacity overflow");
    assert_eq!(v.capacity(), 248, "the failed reserve allocated nothing");

    // The sum fits, but index 2^63 - 1 lies past the last bucket, which
    // ends at index 2^63 - 9.
    let empty: SecVec<u32> = SecVec::new();
    let message = panic_message(|| empty.reserve(1 << 63));
    println!("reserve(1 << 63) when empty panicked: {message}");
    assert_eq!(message, "capacity overflow");
    assert_eq!(empty.capacity(), 0, "the failed reserve allocated nothing");
}

/// Runs `f`, which must panic, and returns its panic message.
fn panic_message(f: impl FnOnce() + UnwindSafe) -> &'static str {
    // Silence the default panic report; `main` prints its own line.
    panic::set_hook(Box::new(|_| {}));
    let result = panic::catch_unwind(f);
    let _ = panic::take_hook();
    result
        .expect_err("the call must panic")
        .downcast::<&str>()
        .map(|message| *message)
        .unwrap_or("?")
}
