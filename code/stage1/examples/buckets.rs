//! Chapter 3, "Memory allocation: the two-level array": where each index
//! lives, and how the capacity grows.
//!
//! Prints the bucket and offset of a few indices, as `bucket_for_index`
//! computes them, and checks each against a slow but obvious count of the
//! buckets before it. Then pushes elements one at a time and prints the
//! capacity each time a push needs a new bucket.
//!
//! Run it with `cargo run -p stage1 --release --example buckets`.

use stage1::buckets::{bucket_for_index, bucket_len, BUCKET_COUNT, FIRST_BUCKET_SIZE};
use stage1::SecVec;

/// The first index of `bucket`: the total length of the buckets before it.
fn first_index(bucket: usize) -> usize {
    (0..bucket).map(bucket_len).sum()
}

fn main() {
    println!("FIRST_BUCKET_SIZE = {FIRST_BUCKET_SIZE}, BUCKET_COUNT = {BUCKET_COUNT}");
    println!();
    println!(
        "{:>5}  {:>8}  {:>10}  {:>8}  {:>6}  {:>6}",
        "index", "position", "in binary", "high bit", "bucket", "offset"
    );
    for index in [0, 7, 8, 23, 24, 55, 56, 100, 1000] {
        let location = bucket_for_index(index).expect("small indices have a bucket");
        let position = index + FIRST_BUCKET_SIZE;
        let high_bit = usize::BITS - 1 - position.leading_zeros();
        println!(
            "{index:>5}  {position:>8}  {position:>10b}  {high_bit:>8}  {:>6}  {:>6}",
            location.bucket, location.offset
        );
        // The bucket is the high bit minus 3 (8 is 2 to the 3) ...
        assert_eq!(location.bucket, high_bit as usize - 3);
        // ... the offset fits in the bucket ...
        assert!(location.offset < bucket_len(location.bucket));
        // ... and the buckets before it plus the offset lead back to the index.
        assert_eq!(first_index(location.bucket) + location.offset, index);
    }

    // The last bucket ends at 2^63 - 9; beyond it there is no slot.
    let total = first_index(BUCKET_COUNT);
    println!();
    println!("all {BUCKET_COUNT} buckets together: {total} slots");
    assert_eq!(total, (1 << 63) - 8);
    assert_eq!(
        bucket_for_index(total - 1).map(|l| l.bucket),
        Some(BUCKET_COUNT - 1)
    );
    assert_eq!(bucket_for_index(total), None);
    println!(
        "bucket_for_index({total}) = None: a push to that index would panic with \"capacity overflow\""
    );

    // The capacity grows one whole bucket at a time, when a push needs it.
    println!();
    let v: SecVec<u32> = SecVec::new();
    println!("new vector: len 0, capacity {}", v.capacity());
    assert_eq!(v.capacity(), 0);
    let mut last_capacity = 0;
    for value in 0..250 {
        v.push(value);
        let capacity = v.capacity();
        if capacity != last_capacity {
            println!(
                "push #{:<3} -> len {:>3}, capacity {:>3} (a bucket of {} slots)",
                value + 1,
                v.len(),
                capacity,
                capacity - last_capacity
            );
            // A new bucket appears exactly when the ones before are full.
            assert_eq!(v.len(), last_capacity + 1);
            last_capacity = capacity;
        }
    }
    // Every element is still at the index it was pushed to: nothing moved.
    assert!((0..250).all(|i| v.get(i as usize) == Some(i)));
    println!("all 250 elements read back at their indices");

    // `reserve` allocates whole buckets too: room for 1000 more elements
    // after the 250 means every bucket up to the one holding index 1249.
    v.reserve(1000);
    let last = bucket_for_index(1249).expect("a small index").bucket;
    println!(
        "reserve(1000) -> capacity {} (buckets 0 to {last})",
        v.capacity()
    );
    assert_eq!(v.capacity(), first_index(last + 1));
}
