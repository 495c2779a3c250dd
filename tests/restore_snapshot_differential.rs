//! `metarestore -m IN -o OUT` makes what the real `mfsmaster -a restore` makes from IN
//! alone: for every metadata file in `testdata/`, both run on the same input and the
//! results are compared (sorted `mfsmetadump` with session counters blanked, then byte
//! for byte); then a real master must load our output.

mod harness;
mod support;

#[test]
fn real_snapshot_restore_matches_mfsmaster() {
    if !harness::require_real_mfs("real_snapshot_restore_matches_mfsmaster") {
        return;
    }
    let files = support::metadata_files(&support::testdata());
    assert!(!files.is_empty(), "no metadata files in testdata/");
    if let Err(report) = support::check_all(&files, support::compare_snapshot_restore) {
        panic!("{report}");
    }
}
