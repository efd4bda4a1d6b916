//! The shared suite (see `code/suite`), run against stage 1.
suite::shared_tests!(
    stage1,
    known_aba = "stage 1 has the ABA problem, which this test sees now and then (chapter 12)"
);
