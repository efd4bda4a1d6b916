//! The contestants: `SecVec<u64>` and the vectors it is compared with, all
//! behind one trait so that every benchmark runs the same code on each.

use std::sync::{Mutex, RwLock};

use secvec::SecVec;

use crate::treiber::TreiberStack;

/// What every contestant offers: a vector of `u64` shared by reference.
pub trait Contestant: Sync + Sized {
    /// The name shown in reports.
    const NAME: &'static str;
    /// A vector holding `0..len`.
    fn filled(len: u64) -> Self;
    /// Appends `value`.
    fn push(&self, value: u64);
    /// The element at `index`, if there is one.
    fn get(&self, index: usize) -> Option<u64>;
}

/// Contestants that can also remove and overwrite (boxcar cannot).
pub trait FullContestant: Contestant {
    /// Removes and returns the last element.
    fn pop(&self) -> Option<u64>;
    /// Overwrites the element at `index`, returning the old one.
    fn set(&self, index: usize, value: u64) -> Option<u64>;
}

/// Something done with each [`FullContestant`] in turn, by type: see
/// [`each_full_contestant`].
pub trait Visit {
    /// Called once per contestant type `C`.
    fn visit<C: FullContestant>(&mut self);
}

/// Calls `visitor.visit::<C>()` for every full contestant, `SecVec` first:
/// the one list that the benchmarks comparing whole vectors share.
pub fn each_full_contestant(visitor: &mut impl Visit) {
    visitor.visit::<SecVec<u64>>();
    visitor.visit::<stage3::SecVec<u64>>();
    visitor.visit::<Mutex<Vec<u64>>>();
    visitor.visit::<RwLock<Vec<u64>>>();
    visitor.visit::<parking_lot::Mutex<Vec<u64>>>();
}

/// Calls `visitor.visit::<C>()` for the structures that run only the
/// latency benchmark's push/pop mix beside the vectors: `SecVec` with
/// elimination, which changes only how pushes and pops meet, and two
/// lock-free structures that are not vectors, crossbeam's queue and a
/// Treiber stack (their `get` and `set` panic). A mix of pushes and pops is
/// something they all do, and the last two show which of `SecVec`'s tails
/// come with lock-freedom and which with its design.
pub fn each_push_pop_peer(visitor: &mut impl Visit) {
    visitor.visit::<Eliminating>();
    visitor.visit::<crossbeam_queue::SegQueue<u64>>();
    visitor.visit::<TreiberStack>();
}

/// `SecVec<u64>` built with [`SecVec::with_elimination`].
pub struct Eliminating(pub SecVec<u64>);

impl Contestant for Eliminating {
    const NAME: &'static str = "SecVec + elimination";
    fn filled(len: u64) -> Self {
        Eliminating(<SecVec<u64> as Contestant>::filled(len).with_elimination())
    }
    fn push(&self, value: u64) {
        self.0.push(value);
    }
    fn get(&self, index: usize) -> Option<u64> {
        self.0.get(index)
    }
}

impl FullContestant for Eliminating {
    fn pop(&self) -> Option<u64> {
        self.0.pop()
    }
    fn set(&self, index: usize, value: u64) -> Option<u64> {
        self.0.set(index, value)
    }
}

/// The names of the full contestants, in [`each_full_contestant`]'s order.
pub fn full_contestant_names() -> Vec<&'static str> {
    struct Names(Vec<&'static str>);
    impl Visit for Names {
        fn visit<C: FullContestant>(&mut self) {
            self.0.push(C::NAME);
        }
    }
    let mut names = Names(Vec::new());
    each_full_contestant(&mut names);
    names.0
}

impl Contestant for SecVec<u64> {
    const NAME: &'static str = "SecVec";
    fn filled(len: u64) -> Self {
        let v = SecVec::with_capacity(len as usize);
        for i in 0..len {
            v.push(i);
        }
        v
    }
    fn push(&self, value: u64) {
        SecVec::push(self, value);
    }
    fn get(&self, index: usize) -> Option<u64> {
        SecVec::get(self, index)
    }
}

impl FullContestant for SecVec<u64> {
    fn pop(&self) -> Option<u64> {
        SecVec::pop(self)
    }
    fn set(&self, index: usize, value: u64) -> Option<u64> {
        SecVec::set(self, index, value)
    }
}

/// The book's third stage: the paper's design with a heap descriptor and a
/// hazard pointer per operation, before the optimizations of the
/// performance chapter.
impl Contestant for stage3::SecVec<u64> {
    const NAME: &'static str = "stage3::SecVec";
    fn filled(len: u64) -> Self {
        let v = stage3::SecVec::new();
        v.reserve(len as usize);
        for i in 0..len {
            v.push(i);
        }
        v
    }
    fn push(&self, value: u64) {
        stage3::SecVec::push(self, value);
    }
    fn get(&self, index: usize) -> Option<u64> {
        stage3::SecVec::get(self, index)
    }
}

impl FullContestant for stage3::SecVec<u64> {
    fn pop(&self) -> Option<u64> {
        stage3::SecVec::pop(self)
    }
    fn set(&self, index: usize, value: u64) -> Option<u64> {
        stage3::SecVec::set(self, index, value)
    }
}

impl Contestant for Mutex<Vec<u64>> {
    const NAME: &'static str = "Mutex<Vec>";
    fn filled(len: u64) -> Self {
        Mutex::new((0..len).collect())
    }
    fn push(&self, value: u64) {
        self.lock().unwrap().push(value);
    }
    fn get(&self, index: usize) -> Option<u64> {
        self.lock().unwrap().get(index).copied()
    }
}

impl FullContestant for Mutex<Vec<u64>> {
    fn pop(&self) -> Option<u64> {
        self.lock().unwrap().pop()
    }
    fn set(&self, index: usize, value: u64) -> Option<u64> {
        let mut v = self.lock().unwrap();
        v.get_mut(index).map(|slot| std::mem::replace(slot, value))
    }
}

impl Contestant for RwLock<Vec<u64>> {
    const NAME: &'static str = "RwLock<Vec>";
    fn filled(len: u64) -> Self {
        RwLock::new((0..len).collect())
    }
    fn push(&self, value: u64) {
        self.write().unwrap().push(value);
    }
    fn get(&self, index: usize) -> Option<u64> {
        self.read().unwrap().get(index).copied()
    }
}

impl FullContestant for RwLock<Vec<u64>> {
    fn pop(&self) -> Option<u64> {
        self.write().unwrap().pop()
    }
    fn set(&self, index: usize, value: u64) -> Option<u64> {
        let mut v = self.write().unwrap();
        v.get_mut(index).map(|slot| std::mem::replace(slot, value))
    }
}

impl Contestant for parking_lot::Mutex<Vec<u64>> {
    const NAME: &'static str = "parking_lot::Mutex<Vec>";
    fn filled(len: u64) -> Self {
        parking_lot::Mutex::new((0..len).collect())
    }
    fn push(&self, value: u64) {
        self.lock().push(value);
    }
    fn get(&self, index: usize) -> Option<u64> {
        self.lock().get(index).copied()
    }
}

impl FullContestant for parking_lot::Mutex<Vec<u64>> {
    fn pop(&self) -> Option<u64> {
        self.lock().pop()
    }
    fn set(&self, index: usize, value: u64) -> Option<u64> {
        let mut v = self.lock();
        v.get_mut(index).map(|slot| std::mem::replace(slot, value))
    }
}

impl Contestant for boxcar::Vec<u64> {
    const NAME: &'static str = "boxcar::Vec";
    fn filled(len: u64) -> Self {
        let v = boxcar::Vec::with_capacity(len as usize);
        for i in 0..len {
            v.push(i);
        }
        v
    }
    fn push(&self, value: u64) {
        boxcar::Vec::push(self, value);
    }
    fn get(&self, index: usize) -> Option<u64> {
        boxcar::Vec::get(self, index).copied()
    }
}

/// What the push/pop peers answer to `get` and `set`, which no mix that
/// runs them performs.
fn no_indices(peer: &str) -> ! {
    panic!("{peer} has no indices: it runs only the push/pop mix")
}

/// crossbeam's unbounded lock-free queue: a push claims a slot at the tail,
/// a pop at the head, each with a compare-and-swap of its own index. A queue,
/// not a stack, so its pops take the oldest element, not the newest.
impl Contestant for crossbeam_queue::SegQueue<u64> {
    const NAME: &'static str = "crossbeam::SegQueue";
    fn filled(len: u64) -> Self {
        let queue = crossbeam_queue::SegQueue::new();
        for i in 0..len {
            queue.push(i);
        }
        queue
    }
    fn push(&self, value: u64) {
        crossbeam_queue::SegQueue::push(self, value);
    }
    fn get(&self, _index: usize) -> Option<u64> {
        no_indices(Self::NAME)
    }
}

impl FullContestant for crossbeam_queue::SegQueue<u64> {
    fn pop(&self) -> Option<u64> {
        crossbeam_queue::SegQueue::pop(self)
    }
    fn set(&self, _index: usize, _value: u64) -> Option<u64> {
        no_indices(Self::NAME)
    }
}

impl Contestant for TreiberStack {
    const NAME: &'static str = "Treiber stack";
    fn filled(len: u64) -> Self {
        let stack = TreiberStack::new();
        for i in 0..len {
            stack.push(i);
        }
        stack
    }
    fn push(&self, value: u64) {
        TreiberStack::push(self, value);
    }
    fn get(&self, _index: usize) -> Option<u64> {
        no_indices(Self::NAME)
    }
}

impl FullContestant for TreiberStack {
    fn pop(&self) -> Option<u64> {
        TreiberStack::pop(self)
    }
    fn set(&self, _index: usize, _value: u64) -> Option<u64> {
        no_indices(Self::NAME)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Every full contestant behaves like a `Vec` on one thread.
    #[test]
    fn contestants_agree_with_vec() {
        struct Check;
        impl Visit for Check {
            fn visit<C: FullContestant>(&mut self) {
                let v = C::filled(3);
                v.push(3);
                assert_eq!(v.get(3), Some(3), "{}", C::NAME);
                assert_eq!(v.set(0, 10), Some(0), "{}", C::NAME);
                assert_eq!(v.get(0), Some(10), "{}", C::NAME);
                assert_eq!(v.pop(), Some(3), "{}", C::NAME);
                assert_eq!(v.get(3), None, "{}", C::NAME);
            }
        }
        each_full_contestant(&mut Check);
        assert_eq!(full_contestant_names()[0], "SecVec");
    }

    /// Every push/pop peer gives back what was pushed, and only that.
    #[test]
    fn push_pop_peers_keep_their_elements() {
        struct Check;
        impl Visit for Check {
            fn visit<C: FullContestant>(&mut self) {
                let v = C::filled(2);
                v.push(7);
                let mut out: Vec<u64> = std::iter::from_fn(|| v.pop()).collect();
                out.sort_unstable();
                assert_eq!(out, [0, 1, 7], "{}", C::NAME);
            }
        }
        each_push_pop_peer(&mut Check);
    }
}
