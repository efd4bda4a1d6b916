//! Chapter 2, "Memory allocation": where each index lives.
//!
//! Prints the bucket and offset of a few indices, checks the arithmetic
//! against a slow but obvious count, then pushes elements one at a time and
//! prints the capacity each time a push crosses into a new bucket.
//!
//! Run it with `cargo run --release --example ch02-buckets`.

use secvec::buckets::{bucket_for_index, bucket_len, BUCKET_COUNT, FIRST_BUCKET_SIZE};
use secvec::SecVec;

/// The first index of `bucket`: the total length of the buckets before it.
fn first_index(bucket: usize) -> usize {
    (0..bucket).map(bucket_len).sum()
}

fn main() {
    println!("FIRST_BUCKET_SIZE = {FIRST_BUCKET_SIZE}, BUCKET_COUNT = {BUCKET_COUNT}");
    println!();
    println!(
        "{:>6}  {:>8}  {:>14}  {:>8}  {:>6}  {:>6}",
        "index", "position", "in binary", "high bit", "bucket", "offset"
    );
    for index in [0, 1, 7, 8, 23, 24, 55, 56, 100, 1000] {
        let location = bucket_for_index(index).expect("small indices have a bucket");
        let position = index + FIRST_BUCKET_SIZE;
        let high_bit = usize::BITS - 1 - position.leading_zeros();
        println!(
            "{index:>6}  {position:>8}  {position:>14b}  {high_bit:>8}  {:>6}  {:>6}",
            location.bucket, location.offset
        );
        // The bucket is the high bit minus log2(FIRST_BUCKET_SIZE), that is 3 ...
        assert_eq!(
            location.bucket,
            (high_bit - FIRST_BUCKET_SIZE.trailing_zeros()) as usize
        );
        // ... the offset fits in the bucket ...
        assert!(location.offset < bucket_len(location.bucket));
        // ... and bucket + offset lead back to the index.
        assert_eq!(first_index(location.bucket) + location.offset, index);
    }

    // The last bucket ends just below 2^63 - 8; beyond it there is no slot.
    let total = first_index(BUCKET_COUNT);
    println!();
    println!("all {BUCKET_COUNT} buckets together: {total} slots");
    assert_eq!(
        bucket_for_index(total - 1).unwrap().bucket,
        BUCKET_COUNT - 1
    );
    assert_eq!(bucket_for_index(total), None);
    println!("bucket_for_index({total}) = None: that index would panic with capacity overflow");

    // Capacity grows one whole bucket at a time, and only when a push needs it.
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
                "push #{:<3} -> len {:>3}, capacity {:>3} (bucket of {} allocated)",
                value + 1,
                v.len(),
                capacity,
                capacity - last_capacity
            );
            // A new bucket appears exactly when the previous ones are full.
            assert_eq!(v.len(), last_capacity + 1);
            last_capacity = capacity;
        }
    }
    // Every element is still where it was pushed: nothing moved.
    assert!((0..250).all(|i| v.get(i as usize) == Some(i)));
    println!("all 250 elements read back in place");
}
