//! The textbook lock-free stack, as a peer for the latency benchmark's
//! push/pop mix: R. Kent Treiber's stack ("Systems Programming: Coping with
//! Parallelism", IBM Research Report RJ 5118, 1986), with its nodes reclaimed
//! by `crossbeam-epoch`.
//!
//! Like `SecVec`, it keeps its whole state in one word that every push and
//! every pop must change, here the pointer to the top node; unlike `SecVec`,
//! it changes it with a single compare-and-swap and writes nothing else
//! shared. Beside `SecVec` it shows how much of a contended tail belongs to
//! any structure with one contended word, and how much to a longer
//! operation.
//!
//! Its tests pass under Miri with
//! `MIRIFLAGS="-Zmiri-tree-borrows -Zmiri-permissive-provenance -Zmiri-ignore-leaks"`:
//! crossbeam-epoch's own `pin` breaks the default Stacked Borrows rules, and
//! its global collector does not free the last deferred nodes at exit.

use std::sync::atomic::Ordering::{Acquire, Relaxed, Release};

use crossbeam_epoch::{self as epoch, Atomic, Owned};
use crossbeam_utils::Backoff;

/// A lock-free stack of `u64`s: a linked list whose top is swapped by
/// compare-and-swap.
pub struct TreiberStack {
    top: Atomic<Node>,
}

struct Node {
    value: u64,
    next: Atomic<Node>,
}

impl TreiberStack {
    /// An empty stack.
    pub fn new() -> Self {
        TreiberStack {
            top: Atomic::null(),
        }
    }

    /// Puts `value` on top.
    pub fn push(&self, value: u64) {
        let mut node = Owned::new(Node {
            value,
            next: Atomic::null(),
        });
        let guard = epoch::pin();
        let backoff = Backoff::new();
        loop {
            // Relaxed: the push only links to the old top, it never reads
            // through it.
            let top = self.top.load(Relaxed, &guard);
            // Relaxed: the node is not shared yet; the swap below publishes it.
            node.next.store(top, Relaxed);
            // Release on success: a pop that acquires the new top sees the
            // node's value and link.
            match self
                .top
                // Release: publishes the node's value and link to the pop
                // that acquires it. Relaxed on failure: a lost swap reads
                // nothing through the pointer it got back.
                .compare_exchange(top, node, Release, Relaxed, &guard)
            {
                Ok(_) => return,
                Err(lost) => {
                    node = lost.new;
                    backoff.spin();
                }
            }
        }
    }

    /// Takes the top value off, or returns `None` if the stack is empty.
    pub fn pop(&self) -> Option<u64> {
        let guard = epoch::pin();
        let backoff = Backoff::new();
        loop {
            // Acquire: pairs with the Release of the push that put this node
            // on top, so its value and link are visible.
            let top = self.top.load(Acquire, &guard);
            // SAFETY: a non-null top was made by `Owned::new` in a push and
            // is freed only through `defer_destroy` below, after a pop has
            // unlinked it; we are pinned, so that cannot happen before
            // `guard` is dropped.
            let node = unsafe { top.as_ref() }?;
            // Relaxed: `next` was written before the node was published and
            // never changes after; the Acquire load of `top` covers it.
            let next = node.next.load(Relaxed, &guard);
            // Relaxed: as a read-modify-write, this swap continues the release
            // sequence of the push that published `next`, so a pop that
            // acquires `next` from it still sees that node's fields. The
            // pointer cannot have come back to `top` by reuse: no node is
            // freed while we are pinned.
            if self
                .top
                .compare_exchange(top, next, Relaxed, Relaxed, &guard)
                .is_ok()
            {
                let value = node.value;
                // SAFETY: our swap unlinked the node, so no thread can reach
                // it any more except those that loaded it before and are
                // still pinned; the epoch frees it only after they unpin.
                unsafe { guard.defer_destroy(top) };
                return Some(value);
            }
            backoff.spin();
        }
    }
}

impl Default for TreiberStack {
    fn default() -> Self {
        Self::new()
    }
}

impl Drop for TreiberStack {
    fn drop(&mut self) {
        // SAFETY: `&mut self` means no other thread is using the stack, so no
        // node can be reached but through this list, and nothing else frees it.
        let guard = unsafe { epoch::unprotected() };
        let mut current = self.top.load(Relaxed, guard);
        while !current.is_null() {
            // SAFETY: as above; every node on the list was made by
            // `Owned::new` and is owned by the list alone.
            let node = unsafe { current.into_owned() };
            current = node.next.load(Relaxed, guard);
        }
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashSet;
    use std::sync::Mutex;
    use std::thread;

    use super::*;

    #[test]
    fn last_in_first_out() {
        let stack = TreiberStack::new();
        assert_eq!(stack.pop(), None);
        for i in 0..5 {
            stack.push(i);
        }
        let popped: Vec<u64> = std::iter::from_fn(|| stack.pop()).collect();
        assert_eq!(popped, [4, 3, 2, 1, 0]);
    }

    /// Four threads push distinct values and pop as many as they push:
    /// every value comes out exactly once, from the pops or from what is left.
    #[test]
    fn concurrent_pushes_and_pops_lose_and_invent_nothing() {
        const PER_THREAD: u64 = if cfg!(miri) { 200 } else { 20_000 };
        let stack = TreiberStack::new();
        let popped = Mutex::new(Vec::new());
        thread::scope(|scope| {
            for t in 0..4 {
                let (stack, popped) = (&stack, &popped);
                scope.spawn(move || {
                    let mut mine = Vec::new();
                    for i in 0..PER_THREAD {
                        stack.push(t * PER_THREAD + i);
                        if i % 2 == 1 {
                            mine.extend(stack.pop());
                            mine.extend(stack.pop());
                        }
                    }
                    popped.lock().unwrap().extend(mine);
                });
            }
        });
        let mut all = popped.into_inner().unwrap();
        all.extend(std::iter::from_fn(|| stack.pop()));
        assert_eq!(all.len() as u64, 4 * PER_THREAD);
        let distinct: HashSet<u64> = all.iter().copied().collect();
        assert_eq!(distinct.len(), all.len(), "a value came out twice");
        assert!(
            all.iter().all(|&v| v < 4 * PER_THREAD),
            "a value was invented"
        );
    }
}
