//! Replaying the changelogs of the real captures in `testdata/real/` over their metadata
//! gives what the real `mfsmaster -a restore` gave (`expected/metadata.mfs`), byte for
//! byte. This drives the replay directly (the metalogger folder's metadata and all its
//! changelog lines, merged by id), independently of the restore command's file choice.

mod harness;
mod support;

#[test]
fn real_captures_replay_like_mfsmaster() {
    let root = support::testdata().join("real");
    let mut failures = Vec::new();
    let mut checked = 0;
    for case in std::fs::read_dir(&root).unwrap().flatten() {
        let ml = case.path().join("metalogger");
        let expected = case.path().join("expected/metadata.mfs");
        let meta = ml.join("metadata_ml.mfs.back");
        if !meta.exists() || !expected.exists() {
            continue;
        }
        let logs = support::changelog_files(&ml);
        // Expired chunk locks are written as 0 by both sides when `now` is far ahead.
        let now = u32::MAX;
        match support::replay_files(&meta, &logs, now) {
            Ok(ours) => {
                let theirs = std::fs::read(&expected).unwrap();
                if ours != theirs {
                    let at = ours.iter().zip(&theirs).position(|(a, b)| a != b);
                    failures.push(format!(
                        "{}: output differs (first byte {at:?})",
                        case.path().display()
                    ));
                }
            }
            Err(e) => failures.push(format!("{}: {e}", case.path().display())),
        }
        checked += 1;
    }
    assert!(checked > 0, "no captures found");
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}
