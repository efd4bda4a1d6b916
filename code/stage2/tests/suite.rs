//! The shared suite (see `code/suite`), run against stage 2.
suite::shared_tests!(
    stage2,
    known_aba = "stage 2 has the ABA problem, and this test sees it now and then (chapter 12)"
);
