//! The shared suite (see `code/suite`), run against stage 1.
suite::shared_tests!(stage1);
