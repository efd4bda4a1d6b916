//! The shared suite (see `code/suite`), run against stage 3.
suite::shared_tests!(stage3);
