//! The first touch of a page (book, Part III, "The first touch of a page"):
//! how many page faults it takes to fill zeroed memory with slots, counted
//! with the kernel's own counter of minor faults in `/proc/self/stat`.
//!
//! First a real `SecVec`: a large reservation costs next to nothing until
//! it is used, pushing into it costs one fault per 4 KiB page of slots, and
//! pushing into the same pages a second time costs none.
//! Then the same kind of memory, 64 MiB of zeroed 16-byte atomics, filled in
//! address order as pushes fill a bucket, two ways: each slot read with a
//! plain load before it is written (stage 3's push), and the first slot of
//! every page read with a compare-and-swap of zero for zero instead
//! (secvec's `Slot::load_for_write`).
//!
//! ```text
//! cargo run -p secvec --release --example pages
//! ```
//!
//! Linux only: elsewhere it says so and stops.

use std::alloc::{alloc_zeroed, dealloc, Layout};
use std::sync::atomic::Ordering;

use portable_atomic::AtomicU128;
use secvec::SecVec;

/// Bytes in the smallest page size in common use.
const PAGE: usize = 4096;

/// Slots of the raw experiments: 64 MiB of 16-byte words.
const SLOTS: usize = 4 << 20;

/// The process's minor page faults so far, from field 10 of
/// `/proc/self/stat`, or `None` where there is no such file.
fn minor_faults() -> Option<u64> {
    let stat = std::fs::read_to_string("/proc/self/stat").ok()?;
    // The command name (field 2) is in parentheses and may hold spaces;
    // the fields after it start with field 3.
    let rest = &stat[stat.rfind(')')? + 2..];
    rest.split_whitespace().nth(10 - 3)?.parse().ok()
}

/// Runs `f` and returns its result with the page faults it took.
fn faults_of<R>(f: impl FnOnce() -> R) -> (R, u64) {
    let before = minor_faults().expect("checked in main");
    let result = f();
    (result, minor_faults().expect("checked in main") - before)
}

/// Part one: a real vector, reserved and then filled.
fn secvec() {
    let n = SLOTS;
    let (v, reserve_faults) = faults_of(|| SecVec::<u64>::with_capacity(n));
    let reserved_mib = (v.capacity() * 16) >> 20;
    println!(
        "SecVec::with_capacity({n}): room for {} elements ({reserved_mib} MiB of slots), page faults: {reserve_faults}",
        v.capacity()
    );
    let ((), push_faults) = faults_of(|| {
        for i in 0..n as u64 {
            v.push(i);
        }
    });
    let pages = n * 16 / PAGE;
    println!(
        "pushed {n} elements, {pages} pages of slots: page faults: {push_faults}, {:.2} per page",
        push_faults as f64 / pages as f64
    );
    // The same pushes again, into pages that are mapped already.
    let ((), again_faults) = faults_of(|| {
        while v.pop().is_some() {}
        for i in 0..n as u64 {
            v.push(i);
        }
    });
    println!("popped them all and pushed {n} again: page faults: {again_faults}");
    // A reservation touches (almost) nothing; the first pushes fault once
    // per page, and the second round finds every page mapped.
    assert!(reserve_faults < 100, "{reserve_faults} faults to reserve");
    assert!(
        push_faults >= pages as u64 && push_faults < pages as u64 * 11 / 10,
        "{push_faults} faults for {pages} pages: not one per page"
    );
    assert!(again_faults < 100, "{again_faults} faults the second time");
}

/// How a fill reads a slot before it writes it.
#[derive(Clone, Copy)]
enum Read {
    /// A plain atomic load, for every slot.
    Load,
    /// A compare-and-swap of zero for zero at the first slot of a page, a
    /// load elsewhere: what `Slot::load_for_write` does.
    SwapAtPageStart,
}

/// Fills `slots` in address order as pushes would: read the slot, then
/// write it with a compare-and-swap from what was read.
fn fill(slots: &[AtomicU128], read: Read) {
    for (i, slot) in slots.iter().enumerate() {
        let starts_a_page = (slot as *const AtomicU128).addr() % PAGE == 0;
        let old = match read {
            Read::SwapAtPageStart if starts_a_page => {
                match slot.compare_exchange(0, 0, Ordering::AcqRel, Ordering::Acquire) {
                    Ok(zero) | Err(zero) => zero,
                }
            }
            _ => slot.load(Ordering::Acquire),
        };
        let new = (1 << 64) | i as u128;
        assert!(slot
            .compare_exchange(old, new, Ordering::AcqRel, Ordering::Acquire)
            .is_ok());
    }
}

/// Fills a fresh zeroed region with `read`, and frees it. Returns the page
/// faults the fill took.
fn zeroed_fill(read: Read) -> u64 {
    let layout = Layout::array::<AtomicU128>(SLOTS).expect("64 MiB");
    // SAFETY: the layout is 64 MiB, not zero-sized.
    let first = unsafe { alloc_zeroed(layout) }.cast::<AtomicU128>();
    assert!(!first.is_null(), "out of memory");
    // SAFETY: `first` points at `SLOTS` zeroed, properly aligned 16-byte
    // words, and all-zero bytes are a valid `AtomicU128` holding 0. The
    // slice is dropped before the memory is freed below.
    let slots = unsafe { std::slice::from_raw_parts(first, SLOTS) };
    let ((), faults) = faults_of(|| fill(slots, read));
    // SAFETY: allocated above with this very layout; `slots` is not used
    // after this point.
    unsafe { dealloc(first.cast(), layout) };
    faults
}

/// Part two: the same kind of memory, read two ways before each write.
fn raw() {
    let pages = (SLOTS * 16 / PAGE) as u64;
    println!("\n64 MiB of zeroed 16-byte slots ({pages} pages), filled in address order:");
    let load = zeroed_fill(Read::Load);
    println!(
        "  each slot read with a load first:      page faults: {load}, {:.2} per page",
        load as f64 / pages as f64
    );
    let swap = zeroed_fill(Read::SwapAtPageStart);
    println!(
        "  a page's first slot read with a swap:  page faults: {swap}, {:.2} per page",
        swap as f64 / pages as f64
    );
    // Reading first maps each page twice; a write access first, once.
    assert!(load >= pages * 19 / 10, "{load} faults for {pages} pages");
    assert!(
        swap >= pages && swap < pages * 11 / 10,
        "{swap} faults for {pages} pages"
    );
}

fn main() {
    if minor_faults().is_none() {
        println!("this example reads /proc/self/stat, which only Linux has");
        return;
    }
    secvec();
    raw();
}
