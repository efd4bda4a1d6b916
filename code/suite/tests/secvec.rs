//! The shared suite, run against the finished crate.
suite::shared_tests!(secvec);
