//! A linearizability checker: record short concurrent histories, then
//! search each one for a sequential explanation.
//!
//! # Linearizability
//!
//! A concurrent object is *linearizable* (Herlihy and Wing, 1990) when every
//! run of it can be explained by a sequential one: each operation seems to
//! take effect at one instant, its *linearization point*, somewhere between
//! the moment it was called and the moment it returned, and the results are
//! those of the operations applied one at a time, in the order of those
//! instants, to a sequential object. For a vector the sequential object is a
//! plain `Vec`.
//!
//! Two rules follow for a recorded *history* (every call, when it was made,
//! when it returned and what it returned):
//!
//! 1. **Real time.** If operation `a` returned before operation `b` was
//!    called, `a` comes before `b` in the order. Operations that overlap in
//!    time may come in either order.
//! 2. **Sequential results.** Replaying the operations on a `Vec` in that
//!    order gives every operation exactly the result it got.
//!
//! The history is linearizable if at least one order keeps both rules.
//!
//! # How this checker works
//!
//! 1. **Record** ([`Recorder`]): two or three threads each run a short
//!    script of pushes, pops, gets, sets and lens on a fresh, tiny vector.
//!    Before each call a thread takes a ticket from a shared atomic counter,
//!    and after the return another: the tickets order every call and return
//!    in real time.
//! 2. **Search** ([`linearize`]): Wing and Gong's algorithm (1993), a
//!    depth-first search that picks, step by step, an operation that may go
//!    next and replays it on a `Vec`, backing up when a result does not
//!    match. Lowe's memoization (2017) remembers each dead end as the set of
//!    operations placed so far plus the `Vec`'s contents, so no dead end is
//!    explored twice. Porcupine (Go) and Knossos (Clojure) are well-known
//!    checkers built on the same idea.
//! 3. **Report** ([`Violation`]): a history with no valid order is printed
//!    per thread with its tickets, with the longest order the search found
//!    and why no operation could follow it.
//!
//! The shared suite runs [`linearizable`] on every crate; see
//! [`Config::from_env`] for the environment variables that size it, and
//! `cargo xtask lincheck` for a long run.

use std::collections::HashSet;
use std::fmt;
use std::panic::{self, AssertUnwindSafe};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering};
use std::sync::{mpsc, Arc};
use std::thread;
use std::time::{Duration, Instant, SystemTime};

use crate::Vector;

// ANCHOR: op
/// An operation a thread calls on the vector, with its arguments (the
/// operations of the one-thread test, [`sequential::Op`](crate::sequential::Op),
/// less `reserve`, whose effect a history cannot see).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Op {
    /// `push(value)`
    Push(u64),
    /// `pop()`
    Pop,
    /// `get(index)`
    Get(usize),
    /// `set(index, value)`
    Set(usize, u64),
    /// `len()`
    Len,
}

/// What an operation returned.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// `push` returns nothing.
    Unit,
    /// `pop`, `get` and `set` return an element, or `None`.
    Element(Option<u64>),
    /// `len` returns a length.
    Length(usize),
}

impl Op {
    /// Calls the operation on the vector under test.
    pub fn call<V: Vector<u64>>(self, vector: &V) -> Outcome {
        match self {
            Op::Push(value) => {
                vector.push(value);
                Outcome::Unit
            }
            Op::Pop => Outcome::Element(vector.pop()),
            Op::Get(index) => Outcome::Element(vector.get(index)),
            Op::Set(index, value) => Outcome::Element(vector.set(index, value)),
            Op::Len => Outcome::Length(vector.len()),
        }
    }

    /// The sequential specification: applies the operation to `model`, a
    /// plain `Vec`, and returns what it returns there.
    pub fn apply(self, model: &mut Vec<u64>) -> Outcome {
        match self {
            Op::Push(value) => {
                model.push(value);
                Outcome::Unit
            }
            Op::Pop => Outcome::Element(model.pop()),
            Op::Get(index) => Outcome::Element(model.get(index).copied()),
            // Out of range: `None`, and nothing written.
            Op::Set(index, value) => Outcome::Element(
                model
                    .get_mut(index)
                    .map(|slot| std::mem::replace(slot, value)),
            ),
            Op::Len => Outcome::Length(model.len()),
        }
    }
}
// ANCHOR_END: op

// ANCHOR: event
/// One operation of a history: what was called, what came back, and when.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Event {
    /// The operation and its arguments.
    pub op: Op,
    /// What it returned.
    pub outcome: Outcome,
    /// The ticket the thread took just before the call.
    pub called: u64,
    /// The ticket it took just after the return.
    pub returned: u64,
}

/// A recorded run: where the vector started, and what each thread did.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct History {
    /// The vector's contents when the threads started.
    pub initial: Vec<u64>,
    /// How long the vector was at the most while it was being filled (more
    /// than `initial.len()` if it grew further and was popped back).
    pub peak: usize,
    /// Each thread's events, in the order it called them.
    pub threads: Vec<Vec<Event>>,
}
// ANCHOR_END: event

// ANCHOR: play
/// Runs `script` on `vector`, taking a ticket from `clock` just before each
/// call and just after each return.
fn play<V: Vector<u64>>(vector: &V, script: &[Step], clock: &AtomicU64) -> Vec<Event> {
    let mut events = Vec::with_capacity(script.len());
    for step in script {
        // A random pause, so that the threads meet at ever different points
        // of their operations.
        for _ in 0..step.pause {
            std::hint::spin_loop();
        }
        // SeqCst, though AcqRel would do: the tickets are read-modify-writes
        // of one counter, so they form one sequence whatever the ordering.
        // What the ordering adds is that the operation stays inside its two
        // tickets (Acquire keeps it after the first, Release before the
        // second), and that a ticket drawn after another thread's return
        // ticket synchronizes with it: the operation that follows sees all
        // that the other one did.
        let called = clock.fetch_add(1, Ordering::SeqCst);
        let outcome = step.op.call(vector);
        let returned = clock.fetch_add(1, Ordering::SeqCst);
        events.push(Event {
            op: step.op,
            outcome,
            called,
            returned,
        });
    }
    events
}
// ANCHOR_END: play

// ---------------------------------------------------------------------------
// Plans: what the threads of one history will do.
// ---------------------------------------------------------------------------

/// The most threads a history has. Two cores run two at once; a third is
/// preempted and resumed at random points, which is where a thread stalls
/// in the middle of an operation.
pub const MAX_THREADS: usize = 3;

/// Values are drawn from `0..VALUES`. With four values, coincidences are
/// common: a popped value pushed again, a set writing what was there. That
/// is when the ABA problem bites.
const VALUES: u64 = 4;

/// The lengths a history starts from: empty and almost empty, and around the
/// end of the first bucket (indices `0..8`) and of the second (`8..24`).
const LENGTHS: [usize; 11] = [0, 1, 2, 6, 7, 8, 9, 22, 23, 24, 25];

/// Indices aimed at besides the last one: the last and first index of the
/// first two buckets.
const BOUNDARIES: [usize; 4] = [7, 8, 23, 24];

/// How long a thread at the start line spins before it yields its core.
/// The threads of a round run from race to race without blocking, so they
/// seldom wait long; but of three threads on two cores one is always
/// waiting for a core, and gets it sooner when a spinner yields. On the
/// two-core test machine, 2 to 30 µs recorded about three times as many
/// histories per second as 100 µs, with as large a share overlapping.
const SPIN_BEFORE_YIELD: Duration = Duration::from_micros(10);

/// One operation of a script, and how long to spin before calling it.
#[derive(Clone, Copy, Debug)]
pub struct Step {
    /// The operation.
    pub op: Op,
    /// Spin-loop iterations before the call.
    pub pause: u32,
}

/// What one history will do: how to fill the vector, and each thread's
/// script.
#[derive(Clone, Debug)]
pub struct Plan {
    /// The contents to start from.
    pub initial: Vec<u64>,
    /// How many more elements to push, and pop again, before the threads
    /// start. A vector's state may depend on how long it has been, not only
    /// on how long it is (secvec's floor does).
    pub detour: usize,
    /// One script per thread.
    pub scripts: Vec<Vec<Step>>,
}

// ANCHOR: plan
impl Plan {
    /// A random plan for `threads` threads: a tiny vector, and two to six
    /// operations per thread, aimed at the last index and bucket boundaries.
    pub fn random(rng: &mut Rng, threads: usize) -> Plan {
        let len = rng.pick(&LENGTHS);
        let initial = (0..len).map(|_| rng.below(VALUES)).collect();
        let detour = match rng.below(2) {
            0 => 0,
            _ => 1 + rng.below(16) as usize,
        };
        let scripts = (0..threads)
            .map(|_| {
                let steps = 2 + rng.below(5);
                (0..steps).map(|_| Step::random(rng, len)).collect()
            })
            .collect();
        Plan {
            initial,
            detour,
            scripts,
        }
    }
}

impl Step {
    /// A random operation on a vector that started with `len` elements.
    fn random(rng: &mut Rng, len: usize) -> Step {
        let op = match rng.below(13) {
            0..=2 => Op::Push(rng.below(VALUES)),
            3..=5 => Op::Pop,
            6..=8 => Op::Get(aim(rng, len)),
            9..=11 => Op::Set(aim(rng, len), rng.below(VALUES)),
            _ => Op::Len,
        };
        // Half the calls follow the previous one at once.
        let pause = match rng.below(2) {
            0 => 0,
            _ => rng.below(64) as u32,
        };
        Step { op, pause }
    }
}

/// An index to get or set: most often the last one or the one just past it
/// (where pushes and pops are), else a bucket boundary or any index near
/// the length.
fn aim(rng: &mut Rng, len: usize) -> usize {
    match rng.below(10) {
        0..=3 => (len + rng.below(2) as usize).saturating_sub(1),
        4..=6 => rng.pick(&BOUNDARIES),
        _ => rng.below(len as u64 + 2) as usize,
    }
}
// ANCHOR_END: plan

/// SplitMix64 (Steele, Lea and Flood, 2014): a tiny, fast generator with
/// good statistics from any seed.
#[derive(Clone, Debug)]
pub struct Rng(u64);

impl Rng {
    /// A generator started from `seed`.
    pub fn new(seed: u64) -> Rng {
        Rng(seed)
    }

    /// The next 64 random bits.
    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9e37_79b9_7f4a_7c15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xbf58_476d_1ce4_e5b9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94d0_49bb_1331_11eb);
        z ^ (z >> 31)
    }

    /// A number in `0..n` (`n > 0`).
    pub fn below(&mut self, n: u64) -> u64 {
        self.next_u64() % n
    }

    /// One of `items`, at random.
    pub fn pick<T: Copy>(&mut self, items: &[T]) -> T {
        items[self.below(items.len() as u64) as usize]
    }
}

// ---------------------------------------------------------------------------
// Recording: a crew of threads that lives for many histories.
// ---------------------------------------------------------------------------

/// One history being recorded: the vector, each thread's script, and the
/// ticket counter.
struct Race<V> {
    vector: V,
    scripts: Vec<Vec<Step>>,
    clock: AtomicU64,
}

/// Races that the same threads run back to back. Waking a blocked thread
/// takes tens of microseconds, far longer than a race; once the threads
/// run, they keep running from one race to the next.
struct Round<V> {
    races: Vec<Race<V>>,
    /// How many threads run each race.
    threads: usize,
    /// How many times a thread has arrived at a start line, over all races.
    arrived: AtomicUsize,
}

impl<V: Vector<u64>> Round<V> {
    /// Thread `me`'s part: every race in turn, each from a start line that
    /// it leaves together with the other threads.
    fn run(&self, me: usize) -> Vec<Result<Vec<Event>, String>> {
        let mut logs = Vec::with_capacity(self.races.len());
        for (number, race) in self.races.iter().enumerate() {
            self.start_line(number);
            // A panic inside the vector must not stop the thread: the others
            // would wait for it at the next start line for ever.
            let events = panic::catch_unwind(AssertUnwindSafe(|| {
                play(&race.vector, &race.scripts[me], &race.clock)
            }));
            logs.push(events.map_err(|panic| panic_message(&*panic)));
        }
        logs
    }

    // ANCHOR: start_line
    /// Waits until every thread has arrived at the start line of race
    /// `number`.
    fn start_line(&self, number: usize) {
        // The threads spin rather than block, and leave within nanoseconds
        // of each other. Three threads on two cores cannot all spin at once,
        // so after a while a spinner yields its core to let the last one
        // arrive.
        // SeqCst: the count carries no data, so any ordering would do; the
        // strongest one leaves nothing to argue about.
        self.arrived.fetch_add(1, Ordering::SeqCst);
        let everyone = self.threads * (number + 1);
        let mut since = Instant::now();
        // SeqCst: as for the increment above.
        while self.arrived.load(Ordering::SeqCst) < everyone {
            std::hint::spin_loop();
            if since.elapsed() > SPIN_BEFORE_YIELD {
                thread::yield_now();
                since = Instant::now();
            }
        }
    }
    // ANCHOR_END: start_line
}

/// What a thread sends back after a round: who it is, and for each race its
/// events or the message of the panic that stopped it.
type Logs = (usize, Vec<Result<Vec<Event>, String>>);

/// Records histories on [`MAX_THREADS`] threads that stay alive from one
/// round to the next: starting threads for every history would cost
/// several times more than recording and checking it.
pub struct Recorder<V> {
    /// One channel to each thread, for the rounds it runs.
    rounds: Vec<mpsc::Sender<Arc<Round<V>>>>,
    /// What the threads send back.
    logs: mpsc::Receiver<Logs>,
}

impl<V: Vector<u64> + Send> Recorder<V> {
    /// Runs `f` with a recorder whose threads live as long as the call.
    pub fn with<R>(f: impl FnOnce(&Recorder<V>) -> R) -> R {
        thread::scope(|s| {
            let (log, logs) = mpsc::channel::<Logs>();
            let rounds = (0..MAX_THREADS)
                .map(|me| {
                    let (round, rounds) = mpsc::channel::<Arc<Round<V>>>();
                    let log = log.clone();
                    s.spawn(move || {
                        // Until the recorder, and with it the sender, is
                        // dropped.
                        for round in rounds {
                            let events = round.run(me);
                            drop(round);
                            if log.send((me, events)).is_err() {
                                return;
                            }
                        }
                    });
                    round
                })
                .collect();
            let recorder = Recorder { rounds, logs };
            let result = f(&recorder);
            // Also dropped if `f` panics, which lets the threads finish, so
            // that the scope can join them.
            drop(recorder);
            result
        })
    }

    // ANCHOR: record
    /// Fills a fresh vector for each plan, runs the plans' scripts as races
    /// on the crew's threads, and returns what happened in each: the
    /// history, or the message of a panic in one of the threads. Every plan
    /// must have the same number of threads.
    pub fn record(&self, plans: &[Plan]) -> Vec<Result<History, String>> {
        let threads = plans.first().map_or(0, |plan| plan.scripts.len());
        assert!(plans.iter().all(|plan| plan.scripts.len() == threads));
        assert!(threads <= MAX_THREADS, "at most {MAX_THREADS} threads");
        let races = plans
            .iter()
            .map(|plan| Race {
                vector: plan.fill(),
                scripts: plan.scripts.clone(),
                clock: AtomicU64::new(0),
            })
            .collect();
        let round = Arc::new(Round {
            races,
            threads,
            arrived: AtomicUsize::new(0),
        });
        for sender in &self.rounds[..threads] {
            sender
                .send(Arc::clone(&round))
                .expect("the threads live as long as the recorder");
        }
        // For each race, each thread's log.
        let mut logs = vec![vec![Ok(Vec::new()); threads]; plans.len()];
        for _ in 0..threads {
            let (me, races) = self
                .logs
                .recv()
                .expect("the threads live as long as the recorder");
            for (race, events) in races.into_iter().enumerate() {
                logs[race][me] = events;
            }
        }
        plans
            .iter()
            .zip(logs)
            .map(|(plan, logs)| {
                Ok(History {
                    initial: plan.initial.clone(),
                    peak: plan.initial.len() + plan.detour,
                    threads: logs.into_iter().collect::<Result<_, _>>()?,
                })
            })
            .collect()
    }
    // ANCHOR_END: record
}

impl Plan {
    /// A vector filled as the plan says.
    fn fill<V: Vector<u64>>(&self) -> V {
        let vector = V::new();
        for &value in &self.initial {
            vector.push(value);
        }
        for value in 0..self.detour {
            vector.push(value as u64 % VALUES);
        }
        for _ in 0..self.detour {
            vector.pop();
        }
        vector
    }
}

/// The text of a panic's payload.
fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(text) = payload.downcast_ref::<&str>() {
        (*text).to_string()
    } else if let Some(text) = payload.downcast_ref::<String>() {
        text.clone()
    } else {
        "a panic without a message".to_string()
    }
}

// ---------------------------------------------------------------------------
// The search.
// ---------------------------------------------------------------------------

/// Why the search found no order: the longest order it did find, and why no
/// operation can follow it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stuck {
    /// The longest order of operations that respects real time and explains
    /// every result in it, as (thread, position in its script) pairs.
    pub order: Vec<(usize, usize)>,
    /// The `Vec` after that order.
    pub model: Vec<u64>,
    /// Each thread's next operation after that order, and why it cannot go
    /// next.
    pub blocked: Vec<(usize, Blocked)>,
}

/// Why an operation cannot come next.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Blocked {
    /// Its result is not what `Vec` returns at this point.
    Result {
        /// What `Vec` returns.
        expected: Outcome,
    },
    /// Another operation not yet placed returned before it was called.
    RealTime {
        /// That operation's thread and position.
        after: (usize, usize),
    },
}

/// The state of a search (see [`linearize`]).
struct Search<'h> {
    history: &'h History,
    /// For each thread, how many of its operations are placed.
    done: Vec<usize>,
    /// The order so far: the thread of each placed operation.
    order: Vec<usize>,
    /// Lowe's memo: every (operations placed, contents) the search entered.
    /// Entering one again could only repeat a dead end.
    seen: HashSet<(Vec<usize>, Vec<u64>)>,
    /// The deepest dead end, for the report.
    deepest: Option<Stuck>,
    /// How many states the search entered.
    states: u64,
}

// ANCHOR: search
impl Search<'_> {
    /// Each thread's next operation not yet placed, if any.
    fn next(&self, thread: usize) -> Option<&Event> {
        self.history.threads[thread].get(self.done[thread])
    }

    /// Tries to place every remaining operation, starting from `model`.
    /// Returns `true` with `self.order` complete, or `false` having changed
    /// nothing but the memo.
    fn explore(&mut self, model: &[u64]) -> bool {
        self.states += 1;
        let threads = self.history.threads.len();
        // Each thread calls its operations one after another, so whatever is
        // placed is a prefix of every thread's script, and `done` says which.
        if (0..threads).all(|t| self.next(t).is_none()) {
            return true;
        }
        // Two orders that place the same operations and leave the same
        // contents have the same future: if we were here before, it failed.
        if !self.seen.insert((self.done.clone(), model.to_vec())) {
            return false;
        }
        // The first return among the operations not yet placed. Whatever
        // goes next must have been called before it; an operation called
        // later started after that one ended, so it must come after it.
        let deadline = (0..threads)
            .filter_map(|t| self.next(t).map(|e| e.returned))
            .min()
            .expect("some operation is not placed yet");
        for t in 0..threads {
            let Some(&event) = self.next(t) else { continue };
            if event.called > deadline {
                continue;
            }
            // Replay it on a copy of the model: does it give the result the
            // thread saw?
            let mut after = model.to_vec();
            if event.op.apply(&mut after) != event.outcome {
                continue;
            }
            self.done[t] += 1;
            self.order.push(t);
            if self.explore(&after) {
                return true;
            }
            self.order.pop();
            self.done[t] -= 1;
        }
        self.note_dead_end(model, deadline);
        false
    }
}
// ANCHOR_END: search

impl Search<'_> {
    /// Keeps the first of the deepest dead ends: there every next operation
    /// fails at once (a deeper one would have been reached otherwise), so
    /// its reasons are the whole story.
    fn note_dead_end(&mut self, model: &[u64], deadline: u64) {
        if self
            .deepest
            .as_ref()
            .is_some_and(|stuck| stuck.order.len() >= self.order.len())
        {
            return;
        }
        let threads = self.history.threads.len();
        let earliest = (0..threads)
            .find(|&t| self.next(t).is_some_and(|e| e.returned == deadline))
            .expect("the deadline is some operation's return");
        let blocked = (0..threads)
            .filter_map(|t| {
                let event = self.next(t)?;
                let why = if event.called > deadline {
                    Blocked::RealTime {
                        after: (earliest, self.done[earliest]),
                    }
                } else {
                    Blocked::Result {
                        expected: event.op.apply(&mut model.to_vec()),
                    }
                };
                Some((t, why))
            })
            .collect();
        self.deepest = Some(Stuck {
            order: positions(&self.order, threads),
            model: model.to_vec(),
            blocked,
        });
    }
}

/// An order given as the thread of each step, turned into (thread, position
/// in its script) pairs.
fn positions(order: &[usize], threads: usize) -> Vec<(usize, usize)> {
    let mut next = vec![0; threads];
    order
        .iter()
        .map(|&t| {
            next[t] += 1;
            (t, next[t] - 1)
        })
        .collect()
}

/// What [`linearize`] found, beyond the verdict.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Searched {
    /// The order found, as (thread, position) pairs, or why there is none.
    pub verdict: Result<Vec<(usize, usize)>, Stuck>,
    /// How many states the search entered.
    pub states: u64,
}

// ANCHOR: linearize
/// Searches for a sequential order of `history`'s operations that respects
/// real time and gives every operation its recorded result, starting from
/// a `Vec` holding `history.initial`.
pub fn linearize(history: &History) -> Searched {
    let mut search = Search {
        history,
        done: vec![0; history.threads.len()],
        order: Vec::new(),
        seen: HashSet::new(),
        deepest: None,
        states: 0,
    };
    let verdict = if search.explore(&history.initial) {
        Ok(positions(&search.order, history.threads.len()))
    } else {
        Err(search
            .deepest
            .take()
            .expect("a failed search has a dead end"))
    };
    Searched {
        verdict,
        states: search.states,
    }
}
// ANCHOR_END: linearize

/// Whether operations of two different threads overlap in time somewhere in
/// `history`. Without overlap the check is trivial: the order is the order
/// of the tickets.
pub fn overlaps(history: &History) -> bool {
    let events: Vec<(usize, &Event)> = history
        .threads
        .iter()
        .enumerate()
        .flat_map(|(t, events)| events.iter().map(move |e| (t, e)))
        .collect();
    events.iter().any(|&(t, a)| {
        events
            .iter()
            .any(|&(u, b)| t != u && a.called < b.returned && b.called < a.returned)
    })
}

// ---------------------------------------------------------------------------
// Reports.
// ---------------------------------------------------------------------------

impl fmt::Display for Op {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Op::Push(value) => write!(f, "push({value})"),
            Op::Pop => write!(f, "pop()"),
            Op::Get(index) => write!(f, "get({index})"),
            Op::Set(index, value) => write!(f, "set({index}, {value})"),
            Op::Len => write!(f, "len()"),
        }
    }
}

impl fmt::Display for Outcome {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            Outcome::Unit => write!(f, "()"),
            Outcome::Element(Some(value)) => write!(f, "Some({value})"),
            Outcome::Element(None) => write!(f, "None"),
            Outcome::Length(len) => write!(f, "{len}"),
        }
    }
}

impl fmt::Display for Event {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.outcome {
            Outcome::Unit => write!(f, "{}", self.op),
            outcome => write!(f, "{} -> {outcome}", self.op),
        }
    }
}

impl fmt::Display for History {
    /// Per thread, one line per operation: its call and return tickets, the
    /// call, and what it returned.
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "starting from {:?}", self.initial)?;
        if self.peak > self.initial.len() {
            write!(
                f,
                " (filled up to {} elements, then popped back)",
                self.peak
            )?;
        }
        writeln!(f)?;
        for (t, events) in self.threads.iter().enumerate() {
            writeln!(f, "  thread {t}:")?;
            for event in events {
                writeln!(
                    f,
                    "    {:>3} .. {:<3} {event}",
                    event.called, event.returned
                )?;
            }
        }
        Ok(())
    }
}

/// A history that is not linearizable, or whose threads panicked.
#[derive(Clone, Debug)]
pub struct Violation {
    /// Which history of the run it was, counting from 0.
    pub number: u64,
    /// What happened.
    pub kind: ViolationKind,
}

/// The two ways a history can fail.
#[derive(Clone, Debug)]
pub enum ViolationKind {
    /// No order explains it.
    NotLinearizable {
        /// The history.
        history: History,
        /// Where the search got stuck.
        stuck: Stuck,
    },
    /// An operation panicked.
    Panicked {
        /// The plan being recorded.
        plan: Plan,
        /// The panic's message.
        message: String,
    },
}

impl fmt::Display for Violation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match &self.kind {
            ViolationKind::Panicked { plan, message } => {
                writeln!(
                    f,
                    "history {}: an operation panicked: {message}",
                    self.number
                )?;
                writeln!(f, "starting from {:?}", plan.initial)?;
                for (t, script) in plan.scripts.iter().enumerate() {
                    let ops: Vec<String> = script.iter().map(|s| s.op.to_string()).collect();
                    writeln!(f, "  thread {t}: {}", ops.join(", "))?;
                }
                Ok(())
            }
            ViolationKind::NotLinearizable { history, stuck } => {
                let event = |(t, i): (usize, usize)| history.threads[t][i];
                let placed = stuck.order.len();
                let total: usize = history.threads.iter().map(Vec::len).sum();
                writeln!(
                    f,
                    "history {} is not linearizable: {}",
                    self.number,
                    stuck.summary(history)
                )?;
                write!(f, "{history}")?;
                writeln!(
                    f,
                    "The longest order that respects real time and explains every \
                     result in it places {placed} of {total} operations:"
                )?;
                for &(t, i) in &stuck.order {
                    writeln!(f, "    thread {t}: {}", event((t, i)))?;
                }
                writeln!(f, "leaving {:?}. No operation can come next:", stuck.model)?;
                for (t, why) in &stuck.blocked {
                    let this = event((*t, stuck_position(stuck, *t)));
                    match why {
                        Blocked::Result { expected } => {
                            writeln!(f, "    thread {t}: {this}, but Vec returns {expected} here")?
                        }
                        Blocked::RealTime { after } => writeln!(
                            f,
                            "    thread {t}: {this} (called at {}) must wait for thread {}'s {} \
                             (returned at {})",
                            this.called,
                            after.0,
                            event(*after),
                            event(*after).returned
                        )?,
                    }
                }
                Ok(())
            }
        }
    }
}

/// The position of `thread`'s next operation after `stuck.order`.
fn stuck_position(stuck: &Stuck, thread: usize) -> usize {
    stuck.order.iter().filter(|&&(t, _)| t == thread).count()
}

impl Stuck {
    /// One line: the first operation whose result cannot be explained.
    pub fn summary(&self, history: &History) -> String {
        self.blocked
            .iter()
            .find_map(|(t, why)| match why {
                Blocked::Result { expected } => Some(format!(
                    "thread {t}'s {}, but Vec gives {expected} (after the longest order \
                     found, {} of {} operations)",
                    history.threads[*t][stuck_position(self, *t)],
                    self.order.len(),
                    history.threads.iter().map(Vec::len).sum::<usize>()
                )),
                Blocked::RealTime { .. } => None,
            })
            .unwrap_or_else(|| "no operation can come next".to_string())
    }
}

// ---------------------------------------------------------------------------
// Runs.
// ---------------------------------------------------------------------------

/// How many histories [`linearizable`] checks unless
/// `SECVEC_LINCHECK_HISTORIES` says otherwise: a few seconds per crate in a
/// debug build on two cores.
pub const DEFAULT_HISTORIES: u64 = 10_000;

/// How a run is sized and reported.
#[derive(Clone, Debug)]
pub struct Config {
    /// How many histories to record and check.
    pub histories: u64,
    /// Seeds the random plans (the thread schedules are not reproducible).
    pub seed: u64,
    /// Stop after this many violations.
    pub max_violations: u64,
    /// Print a progress line to stderr every second.
    pub progress: bool,
}

impl Config {
    /// The configuration from the environment:
    ///
    /// - `SECVEC_LINCHECK_HISTORIES`: how many histories
    ///   (default [`DEFAULT_HISTORIES`]);
    /// - `SECVEC_LINCHECK_SEED`: the seed of the plans (default: the clock);
    /// - `SECVEC_LINCHECK_MAX_VIOLATIONS`: stop after this many (default 1);
    /// - `SECVEC_LINCHECK_PROGRESS=1`: a progress line every second.
    ///
    /// # Panics
    ///
    /// If a variable is set to something other than a whole number.
    pub fn from_env() -> Config {
        let clock = SystemTime::now()
            .duration_since(SystemTime::UNIX_EPOCH)
            .map_or(0, |d| d.as_nanos() as u64);
        Config {
            histories: number_from_env("SECVEC_LINCHECK_HISTORIES").unwrap_or(DEFAULT_HISTORIES),
            seed: number_from_env("SECVEC_LINCHECK_SEED").unwrap_or(clock),
            max_violations: number_from_env("SECVEC_LINCHECK_MAX_VIOLATIONS").unwrap_or(1),
            progress: number_from_env("SECVEC_LINCHECK_PROGRESS").is_some_and(|p| p != 0),
        }
    }
}

fn number_from_env(var: &str) -> Option<u64> {
    let text = std::env::var(var).ok()?;
    let digits: String = text.chars().filter(|&c| c != '_').collect();
    Some(
        digits
            .parse()
            .unwrap_or_else(|_| panic!("{var} must be a whole number, not `{text}`")),
    )
}

/// What a run found.
#[derive(Clone, Debug, Default)]
pub struct Summary {
    /// Histories recorded and checked.
    pub histories: u64,
    /// Operations in them.
    pub operations: u64,
    /// Histories in which operations of two threads overlapped in time.
    pub overlapping: u64,
    /// Search states entered, over all histories.
    pub states: u64,
    /// The most states one history needed.
    pub most_states: u64,
    /// The violations found.
    pub violations: Vec<Violation>,
    /// How long the run took.
    pub elapsed: Duration,
}

impl fmt::Display for Summary {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let secs = self.elapsed.as_secs_f64();
        write!(
            f,
            "{} histories ({} operations) in {secs:.1} s, {:.0} per second; \
             {:.0}% with overlapping operations; {:.1} search states per history \
             (at most {}); {} violation{}",
            self.histories,
            self.operations,
            self.histories as f64 / secs.max(1e-9),
            100.0 * self.overlapping as f64 / self.histories.max(1) as f64,
            self.states as f64 / self.histories.max(1) as f64,
            self.most_states,
            self.violations.len(),
            if self.violations.len() == 1 { "" } else { "s" },
        )
    }
}

// ANCHOR: check
/// Records and checks `config.histories` histories on fresh `V`s.
pub fn check<V: Vector<u64> + Send>(config: &Config) -> Summary {
    let mut rng = Rng::new(config.seed);
    let mut summary = Summary::default();
    let started = Instant::now();
    let mut last_report = started;
    let mut stop = false;
    while !stop && summary.histories < config.histories {
        Recorder::<V>::with(|recorder| {
            let mut window = Window::new(&summary);
            while !stop && summary.histories < config.histories && window.good(&summary) {
                let threads = 2 + rng.below(2) as usize;
                let races = (config.histories - summary.histories).min(RACES);
                let plans: Vec<Plan> = (0..races)
                    .map(|_| Plan::random(&mut rng, threads))
                    .collect();
                let recorded = recorder.record(&plans);
                for (plan, recorded) in plans.into_iter().zip(recorded) {
                    stop = check_one(plan, recorded, &mut summary, config);
                    if stop {
                        break;
                    }
                }
                if config.progress && last_report.elapsed() >= Duration::from_secs(1) {
                    last_report = Instant::now();
                    summary.elapsed = started.elapsed();
                    eprintln!(
                        "lincheck: {} of {}: {summary}",
                        summary.histories, config.histories
                    );
                }
            }
        });
    }
    summary.elapsed = started.elapsed();
    summary
}
// ANCHOR_END: check

/// How many races the threads run back to back in one round.
const RACES: u64 = 16;

/// Watches what share of the histories overlap, over windows of at least
/// [`WINDOW`] histories.
///
/// Two threads that the scheduler keeps on the same core never run at the
/// same time: their histories stop overlapping, and the check becomes
/// trivial. On a busy machine that state can last for seconds, because a
/// woken thread tends to stay where it ran before. New threads are placed
/// afresh, so when fewer than a third of a window's histories overlap,
/// [`check`] replaces its threads.
struct Window {
    /// `summary.histories` when the window began.
    histories_before: u64,
    /// `summary.overlapping` when the window began.
    overlapping_before: u64,
}

/// The least number of histories a [`Window`] judges.
const WINDOW: u64 = 128;

impl Window {
    fn new(summary: &Summary) -> Window {
        Window {
            histories_before: summary.histories,
            overlapping_before: summary.overlapping,
        }
    }

    /// Whether the threads may go on: `false` at the end of a window in
    /// which fewer than a third of the histories overlapped.
    fn good(&mut self, summary: &Summary) -> bool {
        let recorded = summary.histories - self.histories_before;
        if recorded < WINDOW {
            return true;
        }
        let overlapping = summary.overlapping - self.overlapping_before;
        *self = Window::new(summary);
        overlapping * 3 >= recorded
    }
}

/// Checks one recorded history (or notes its panic); returns whether to
/// stop.
fn check_one(
    plan: Plan,
    recorded: Result<History, String>,
    summary: &mut Summary,
    config: &Config,
) -> bool {
    let number = summary.histories;
    summary.histories += 1;
    let kind = match recorded {
        Err(message) => ViolationKind::Panicked { plan, message },
        Ok(history) => {
            let searched = linearize(&history);
            summary.operations += history.threads.iter().map(|t| t.len() as u64).sum::<u64>();
            summary.overlapping += u64::from(overlaps(&history));
            summary.states += searched.states;
            summary.most_states = summary.most_states.max(searched.states);
            match searched.verdict {
                Ok(_) => return false,
                Err(stuck) => ViolationKind::NotLinearizable { history, stuck },
            }
        }
    };
    let violation = Violation { number, kind };
    if config.progress {
        eprintln!("\n{violation}");
    }
    summary.violations.push(violation);
    summary.violations.len() as u64 >= config.max_violations
}

// ANCHOR: linearizable
/// The suite's test: checks the histories [`Config::from_env`] asks for on
/// `V`, the vector of the crate called `name`, and panics with the first
/// violation (the history, and why no order explains it).
pub fn linearizable<V: Vector<u64> + Send>(name: &str) {
    let config = Config::from_env();
    let summary = check::<V>(&config);
    eprintln!("lincheck of {name} (seed {}): {summary}", config.seed);
    if let Some(first) = summary.violations.first() {
        panic!("{first}\n{name} (seed {}): {summary}", config.seed);
    }
}
// ANCHOR_END: linearizable

#[cfg(test)]
mod tests {
    use std::sync::Mutex;

    use super::*;

    /// A history from `(thread, op, outcome, called, returned)` rows.
    fn history(initial: &[u64], rows: &[(usize, Op, Outcome, u64, u64)]) -> History {
        let threads = rows.iter().map(|r| r.0 + 1).max().unwrap_or(0);
        let mut events = vec![Vec::new(); threads];
        for &(t, op, outcome, called, returned) in rows {
            events[t].push(Event {
                op,
                outcome,
                called,
                returned,
            });
        }
        History {
            initial: initial.to_vec(),
            peak: initial.len(),
            threads: events,
        }
    }

    const NONE: Outcome = Outcome::Element(None);

    fn some(value: u64) -> Outcome {
        Outcome::Element(Some(value))
    }

    #[test]
    fn real_time_decides_between_two_results() {
        // push(1) returned before the pop was called: the pop must see it.
        let strictly_later = history(
            &[],
            &[
                (0, Op::Push(1), Outcome::Unit, 0, 1),
                (1, Op::Pop, NONE, 2, 3),
            ],
        );
        let stuck = linearize(&strictly_later).verdict.unwrap_err();
        assert_eq!(stuck.order, [(0, 0)]);
        assert_eq!(stuck.model, [1]);
        assert_eq!(stuck.blocked, [(1, Blocked::Result { expected: some(1) })]);
        // Overlapping in time, the pop may come first.
        let overlapping = history(
            &[],
            &[
                (0, Op::Push(1), Outcome::Unit, 0, 2),
                (1, Op::Pop, NONE, 1, 3),
            ],
        );
        assert_eq!(linearize(&overlapping).verdict, Ok(vec![(1, 0), (0, 0)]));
    }

    #[test]
    fn an_element_popped_and_replaced_is_a_violation() {
        // The duplicate a set that ignores a pop's seal produces: both the
        // pop and the set got the 5, and the 7 vanished.
        let rows = [
            (0, Op::Pop, some(5), 0, 3),
            (1, Op::Set(0, 7), some(5), 1, 2),
        ];
        assert!(linearize(&history(&[5], &rows)).verdict.is_err());
        // Had the pop returned the 7, the set came first.
        let rows = [
            (0, Op::Pop, some(7), 0, 3),
            (1, Op::Set(0, 7), some(5), 1, 2),
        ];
        assert_eq!(
            linearize(&history(&[5], &rows)).verdict,
            Ok(vec![(1, 0), (0, 0)])
        );
    }

    #[test]
    fn the_report_names_the_operation_that_cannot_wait() {
        // Thread 1's len returned before thread 0's get was called, so the
        // get must see the empty vector.
        let rows = [
            (1, Op::Pop, some(3), 0, 2),
            (1, Op::Len, Outcome::Length(0), 3, 4),
            (0, Op::Get(0), some(3), 5, 6),
        ];
        let history = history(&[3], &rows);
        let stuck = linearize(&history).verdict.unwrap_err();
        let report = Violation {
            number: 7,
            kind: ViolationKind::NotLinearizable { history, stuck },
        }
        .to_string();
        assert!(
            report.starts_with(
                "history 7 is not linearizable: thread 0's get(0) -> Some(3), but Vec gives \
                 None (after the longest order found, 2 of 3 operations)"
            ),
            "{report}"
        );
        assert!(
            report.contains("      5 .. 6   get(0) -> Some(3)"),
            "{report}"
        );
    }

    #[test]
    fn the_memo_cuts_the_search() {
        // Three threads of six pushes of the same value, all overlapping,
        // and a length no order can give: the search must try everything.
        // There are 18!/(6!)^3 = 17,153,136 orders of the pushes, but only
        // 8 × 7 × 7 states (how many of each thread's operations are
        // placed; the contents follow from that), each entered at most once
        // from each of the three threads.
        let rows: Vec<_> = (0..18)
            .map(|k| (k % 3, Op::Push(1), Outcome::Unit, k as u64, 100 + k as u64))
            .chain([(0, Op::Len, Outcome::Length(17), 200, 201)])
            .collect();
        let searched = linearize(&history(&[], &rows));
        assert!(searched.verdict.is_err());
        assert!(
            searched.states <= 3 * 8 * 7 * 7,
            "{} states",
            searched.states
        );
    }

    /// A `Vec` behind a mutex. With `SPLIT_POP`, `pop` reads the last
    /// element and removes it under two separate locks, a classic race.
    struct Locked<const SPLIT_POP: bool>(Mutex<Vec<u64>>);

    impl<const SPLIT_POP: bool> Vector<u64> for Locked<SPLIT_POP> {
        fn new() -> Self {
            Locked(Mutex::new(Vec::new()))
        }
        fn push(&self, value: u64) {
            self.0.lock().unwrap().push(value);
        }
        fn pop(&self) -> Option<u64> {
            if !SPLIT_POP {
                return self.0.lock().unwrap().pop();
            }
            let last = self.0.lock().unwrap().last().copied();
            thread::yield_now();
            let mut v = self.0.lock().unwrap();
            v.pop();
            last
        }
        fn get(&self, index: usize) -> Option<u64> {
            self.0.lock().unwrap().get(index).copied()
        }
        fn set(&self, index: usize, value: u64) -> Option<u64> {
            let mut v = self.0.lock().unwrap();
            v.get_mut(index).map(|slot| std::mem::replace(slot, value))
        }
        fn len(&self) -> usize {
            self.0.lock().unwrap().len()
        }
        fn is_empty(&self) -> bool {
            self.len() == 0
        }
        fn reserve(&self, additional: usize) {
            self.0.lock().unwrap().reserve(additional);
        }
        fn capacity(&self) -> usize {
            self.0.lock().unwrap().capacity()
        }
    }

    fn config(histories: u64) -> Config {
        Config {
            histories,
            seed: 1,
            max_violations: 1,
            progress: false,
        }
    }

    #[test]
    fn a_vec_behind_a_mutex_passes() {
        let summary = check::<Locked<false>>(&config(500));
        assert_eq!(summary.histories, 500);
        // (No claim about overlap: on a busy machine the threads may never
        // run at the same time.)
        assert!(summary.violations.is_empty(), "{}", summary.violations[0]);
    }

    #[test]
    fn a_pop_split_in_two_is_caught() {
        let summary = check::<Locked<true>>(&config(20_000));
        assert_eq!(summary.violations.len(), 1, "{summary}");
    }
}
