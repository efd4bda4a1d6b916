//! The shared suite (see `code/suite`), run against stage 2.
suite::shared_tests!(
    stage2,
    known_aba = "stage 2 has the ABA problem, which this test sees now and then (chapter 12)"
);
