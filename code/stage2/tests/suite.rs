//! The shared suite (see `code/suite`), run against stage 2.
suite::shared_tests!(stage2);
