//! Files the harness captures from live MooseFS 3.0.117 clusters in this very run (not
//! only the ones kept in `testdata/`) pass the same checks: the codec round trip is
//! byte-identical, `metarestore -m/-o` agrees with `mfsmaster -a restore` on every
//! metadata file (the master's `metadata.mfs` and `metadata.mfs.back`, the metalogger's
//! `metadata_ml.mfs.back`), the real master loads our output, and every changelog line
//! (master's and metalogger's) formats back to its bytes.

mod harness;
mod support;

use harness::{recipes, TempDir};

#[test]
fn real_fresh_captures_pass_codec_and_restore_checks() {
    if !harness::require_real_mfs("real_fresh_captures_pass_codec_and_restore_checks") {
        return;
    }
    let root = TempDir::new("captures").expect("temp dir");
    recipes::capture(
        root.path(),
        &["namespace-rich", "open-files-locks-sessions"],
    )
    .expect("capture");
    let metadata = support::metadata_files(root.path());
    assert!(
        metadata.len() >= 4,
        "too few metadata files captured: {metadata:?}"
    );
    let changelogs = support::changelog_files(root.path());
    assert!(!changelogs.is_empty(), "no changelogs captured");
    let mut report = Vec::new();
    for result in [
        support::check_all(&metadata, support::check_codec_round_trip),
        support::check_all(&metadata, support::compare_snapshot_restore),
        support::check_all(&changelogs, support::check_changelog_round_trip),
    ] {
        if let Err(r) = result {
            report.push(r);
        }
    }
    assert!(report.is_empty(), "{}", report.join("\n\n"));
}
