//! The shared suite, run against the finished crate.
suite::shared_tests!(secvec);

/// The same suite with elimination on, where a push and a pop that keep
/// losing can meet and cancel out (`SecVec::with_elimination`): the results
/// must be just as linearizable.
mod with_elimination {
    suite::shared_tests!(secvec, new = secvec::SecVec::new().with_elimination());
}
