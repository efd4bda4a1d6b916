//! Elimination: a push and a pop that meet here cancel out, and neither
//! touches the vector.
//!
//! A push followed at once by a pop that returns the pushed value leaves the
//! vector as it was, so when a push and a pop overlap in time, the pop can
//! take the push's value directly and both can return: a `get` or `len` at
//! any moment sees the vector without the pair, which is what it would see
//! if the push and the pop had run back to back. This is the elimination of
//! Hendler, Shavit and Yerushalmi's lock-free stack, with one meeting place
//! instead of an array of them.
//!
//! The meeting place is one 16-byte word: a value, the number of the meeting
//! and its state. A push or pop that has lost a few times in a row posts
//! itself there ([`Exchanger::offer`], [`Exchanger::request`])
//! and waits a little; every push and pop first looks there for a partner
//! ([`Exchanger::fill_request`], [`Exchanger::take_offer`]).
//! Only [`SecVec::with_elimination`](crate::SecVec::with_elimination) turns
//! it on: see its documentation for what it costs.

use crate::sync::{AtomicU128, Ordering};

// ANCHOR: constants
/// How many times in a row a push or pop must lose before it posts itself
/// in the exchanger. One under loom, so that small models reach it.
pub(crate) const ELIMINATE_AFTER: u32 = if cfg!(loom) { 1 } else { 2 };

/// How many `pause`s a posted operation waits for a partner before it
/// withdraws and goes back to the vector (one yield under loom).
const PATIENCE: u32 = if cfg!(loom) { 1 } else { 256 };
// ANCHOR_END: constants

// ANCHOR: word
/// What the exchanger's word says.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum State {
    /// Nobody waits: a push or pop that lost may post itself.
    Empty,
    /// A push waits, with its value, for a pop to take it.
    Offer,
    /// A pop waits for a push to give it a value.
    Request,
    /// A partner came: the poster's operation is done. Only the poster
    /// writes the word now, to empty it for the next meeting.
    Done,
}

/// The exchanger's 16-byte word, unpacked.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
struct Word {
    state: State,
    /// Which meeting this is. Every meeting that ends empties the word with
    /// the next number, so a partner that read an older meeting's offer
    /// cannot complete a newer one with the same value (ABA).
    meeting: u64,
    /// The element's bits: the push's value in an offer, and in a request
    /// once a push has answered it.
    bits: u64,
}

// ANCHOR_END: word

impl Word {
    /// The state in the low two bits of the high half, the meeting number
    /// in the other 62, the bits in the low half.
    fn pack(self) -> u128 {
        let state = match self.state {
            State::Empty => 0,
            State::Offer => 1,
            State::Request => 2,
            State::Done => 3,
        };
        u128::from(self.meeting << 2 | state) << 64 | u128::from(self.bits)
    }

    fn unpack(word: u128) -> Self {
        let high = (word >> 64) as u64;
        let state = match high & 3 {
            0 => State::Empty,
            1 => State::Offer,
            2 => State::Request,
            _ => State::Done,
        };
        Word {
            state,
            meeting: high >> 2,
            bits: word as u64,
        }
    }

    /// The empty word that follows this meeting.
    fn next_meeting(self) -> Self {
        Word {
            state: State::Empty,
            meeting: (self.meeting + 1) & (u64::MAX >> 2),
            bits: 0,
        }
    }
}

/// The meeting place of pushes and pops: one word, on a cache line of its
/// own (see `SecVec`).
#[derive(Debug)]
pub(crate) struct Exchanger {
    word: AtomicU128,
}

impl Exchanger {
    pub(crate) fn new() -> Self {
        let empty = Word {
            state: State::Empty,
            meeting: 0,
            bits: 0,
        };
        Exchanger {
            word: AtomicU128::new(empty.pack()),
        }
    }

    // ANCHOR: look
    /// A push's first step: if a pop waits here, give it `bits`. `true` if
    /// it took them: the push is done, and so is that pop.
    // Out of line, as are the other three: a vector without elimination
    // then pays for the `Option` check in `push` and `pop`, not for this
    // code inlined around it.
    #[inline(never)]
    pub(crate) fn fill_request(&self, bits: u64) -> bool {
        let seen = self.load();
        let answered = Word {
            state: State::Done,
            bits,
            ..seen
        };
        seen.state == State::Request && self.replace(seen, answered)
    }

    /// A pop's first step: if a push waits here, take its value's bits. The
    /// push is then done, and so is this pop.
    #[inline(never)]
    pub(crate) fn take_offer(&self) -> Option<u64> {
        let seen = self.load();
        let taken = Word {
            state: State::Done,
            ..seen
        };
        (seen.state == State::Offer && self.replace(seen, taken)).then_some(seen.bits)
    }
    // ANCHOR_END: look

    // ANCHOR: wait
    /// A push that keeps losing: wait here a while for a pop to take
    /// `bits`. `true` if one did, and the push is done; `false` if the word
    /// was taken or nobody came, and the push must go on with the vector.
    #[inline(never)]
    pub(crate) fn offer(&self, bits: u64) -> bool {
        self.wait(State::Offer, bits).is_some()
    }

    /// A pop that keeps losing: wait here a while for a push. The pushed
    /// value's bits if one came; `None` if the pop must go on with the
    /// vector.
    #[inline(never)]
    pub(crate) fn request(&self) -> Option<u64> {
        self.wait(State::Request, 0)
    }

    /// Posts an offer or a request, waits up to [`PATIENCE`] for a partner,
    /// and withdraws if none came. The word's bits once a partner came.
    fn wait(&self, state: State, bits: u64) -> Option<u64> {
        let empty = self.load();
        if empty.state != State::Empty {
            return None;
        }
        let posted = Word {
            state,
            bits,
            ..empty
        };
        if !self.replace(empty, posted) {
            return None;
        }
        // While the word is `posted`, only a partner can change it, and only
        // to `Done` of the same meeting.
        for _ in 0..PATIENCE {
            crate::sync::spin();
            let now = self.load();
            if now.state == State::Done {
                return Some(self.close(now));
            }
        }
        // Withdraw; if that fails, a partner came just now.
        if self.replace(posted, posted.next_meeting()) {
            return None;
        }
        Some(self.close(self.load()))
    }

    /// Empties the word after a partner finished the meeting `done`, and
    /// returns its bits. Only the poster gets here, and nobody else writes
    /// a `Done` word, so the swap cannot fail.
    fn close(&self, done: Word) -> u64 {
        let closed = self.replace(done, done.next_meeting());
        debug_assert!(closed, "only the poster writes a finished meeting's word");
        done.bits
    }
    // ANCHOR_END: wait

    fn load(&self) -> Word {
        // Acquire: a word that carries a value carries the happens-before of
        // the push that wrote it, as the vector's own slots do.
        Word::unpack(self.word.load(Ordering::Acquire))
    }

    /// Swaps the word from `current` to `new`; `true` if it was `current`.
    fn replace(&self, current: Word, new: Word) -> bool {
        // AcqRel: every swap either hands a value over (Release, for the pop
        // that reads it) or takes one (Acquire, from the push that wrote it).
        // Acquire on failure, as for `load`.
        self.word
            .compare_exchange(
                current.pack(),
                new.pack(),
                Ordering::AcqRel,
                Ordering::Acquire,
            )
            .is_ok()
    }
}

#[cfg(all(test, not(loom)))]
mod tests {
    use super::*;

    #[test]
    fn words_pack_and_unpack() {
        for state in [State::Empty, State::Offer, State::Request, State::Done] {
            let word = Word {
                state,
                meeting: u64::MAX >> 2,
                bits: u64::MAX - 1,
            };
            assert_eq!(Word::unpack(word.pack()), word);
        }
        let last = Word {
            state: State::Done,
            meeting: u64::MAX >> 2,
            bits: 7,
        };
        assert_eq!(last.next_meeting().meeting, 0, "meeting numbers wrap");
    }

    #[test]
    fn nobody_waits_in_a_new_exchanger() {
        let exchanger = Exchanger::new();
        assert!(!exchanger.fill_request(5));
        assert_eq!(exchanger.take_offer(), None);
    }

    #[test]
    fn a_post_that_nobody_answers_is_withdrawn() {
        let exchanger = Exchanger::new();
        assert!(!exchanger.offer(5));
        assert_eq!(exchanger.request(), None);
        // Withdrawn, so nobody finds them afterwards, and the word is free.
        assert_eq!(exchanger.take_offer(), None);
        assert!(!exchanger.fill_request(6));
        assert_eq!(exchanger.load().state, State::Empty);
        assert_eq!(exchanger.load().meeting, 2);
    }

    /// Retries `attempt` until it gives a value, and panics after a number
    /// of attempts no working exchanger needs, so that a broken one fails
    /// the test instead of hanging it.
    fn eventually<T>(what: &str, mut attempt: impl FnMut() -> Option<T>) -> T {
        const ATTEMPTS: u64 = 100_000_000;
        for _ in 0..ATTEMPTS {
            if let Some(value) = attempt() {
                return value;
            }
            std::hint::spin_loop();
        }
        panic!("{what}: no partner in {ATTEMPTS} attempts");
    }

    /// A push that waits meets a pop on another thread, and a pop that waits
    /// meets a push: each value comes out once, where it was meant to.
    #[test]
    fn waiting_operations_meet_their_partners() {
        let exchanger = Exchanger::new();
        let rounds = if cfg!(miri) { 3 } else { 100 };
        for round in 0..rounds {
            std::thread::scope(|s| {
                let popper = s.spawn(|| eventually("take_offer", || exchanger.take_offer()));
                eventually("offer", || exchanger.offer(round).then_some(()));
                assert_eq!(popper.join().unwrap(), round);

                let pusher = s.spawn(|| {
                    eventually("fill_request", || {
                        exchanger.fill_request(round + 1000).then_some(())
                    })
                });
                let bits = eventually("request", || exchanger.request());
                pusher.join().unwrap();
                assert_eq!(bits, round + 1000);
            });
            assert_eq!(exchanger.load().state, State::Empty);
            assert_eq!(exchanger.take_offer(), None);
        }
    }
}
