//! Renaming chains, as mfsmetalogger 3.0.117 does them (spec `metalogger-files.md` §2.3,
//! §3.2). Rename errors are ignored there, so a missing file leaves a hole in the
//! numbering, and files numbered above the current limit are never touched.

use std::fs;
use std::path::Path;

use super::names;

/// LOG_ROTATE: for `k = back_logs` down to 1, `changelog_ml.<k-1>.mfs` →
/// `changelog_ml.<k>.mfs` (errors ignored). No new `.0` is created. With `back_logs` 0
/// (which the config never allows) `.0` is removed, as in 3.0.117.
pub fn shift_changelogs(dir: &Path, back_logs: u32) {
    if back_logs == 0 {
        let _ = fs::remove_file(dir.join(names::CHANGELOG_0));
        return;
    }
    for k in (1..=back_logs).rev() {
        let _ = fs::rename(
            dir.join(names::changelog(k - 1)),
            dir.join(names::changelog(k)),
        );
    }
}

/// Before a valid new image is renamed into place: for `i = keep-1` down to 1,
/// `metadata_ml.mfs.back.<i>` → `.<i+1>`, then `metadata_ml.mfs.back` → `.back.1`
/// (errors ignored). With `keep` 0 nothing moves: the new image replaces the old one.
pub fn shift_metadata_backups(dir: &Path, keep: u32) {
    if keep == 0 {
        return;
    }
    for i in (1..keep).rev() {
        let _ = fs::rename(
            dir.join(names::metadata_backup(i)),
            dir.join(names::metadata_backup(i + 1)),
        );
    }
    let _ = fs::rename(
        dir.join(names::METADATA_BACK),
        dir.join(names::metadata_backup(1)),
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metalogger::store::tests::TestDir;

    #[test]
    fn rotation_keeps_holes_and_drops_the_last() {
        let d = TestDir::new("rotate-holes");
        for (n, text) in [(0, "a"), (1, "b"), (3, "d"), (5, "f")] {
            d.write(&names::changelog(n), text);
        }
        shift_changelogs(d.path(), 5);
        // .0→.1, .1→.2, (no .2), .3→.4, (no .4), .5 overwritten by nothing: .4 missing.
        assert_eq!(
            d.listing(),
            vec![
                ("changelog_ml.1.mfs".into(), "a".into()),
                ("changelog_ml.2.mfs".into(), "b".into()),
                ("changelog_ml.4.mfs".into(), "d".into()),
                ("changelog_ml.5.mfs".into(), "f".into()),
            ]
        );
        shift_changelogs(d.path(), 5);
        assert_eq!(
            d.listing(),
            vec![
                ("changelog_ml.2.mfs".into(), "a".into()),
                ("changelog_ml.3.mfs".into(), "b".into()),
                ("changelog_ml.5.mfs".into(), "d".into()),
            ],
            "the old .5 was overwritten by .4"
        );
    }

    #[test]
    fn a_smaller_back_logs_leaves_higher_numbers_alone() {
        let d = TestDir::new("rotate-shrink");
        for n in [0, 5, 6, 9] {
            d.write(&names::changelog(n), n.to_string());
        }
        shift_changelogs(d.path(), 5);
        assert_eq!(
            d.listing(),
            vec![
                ("changelog_ml.1.mfs".into(), "0".into()),
                ("changelog_ml.5.mfs".into(), "5".into()),
                ("changelog_ml.6.mfs".into(), "6".into()),
                ("changelog_ml.9.mfs".into(), "9".into()),
            ],
            "only .0 moves; .5 stays (no .4 to replace it), .6 and .9 are above BACK_LOGS"
        );
    }

    #[test]
    fn metadata_backups_keep_previous_2_and_0() {
        let d = TestDir::new("backups-2");
        d.write(names::METADATA_BACK, "v3");
        d.write(&names::metadata_backup(1), "v2");
        d.write(&names::metadata_backup(2), "v1");
        d.write(&names::metadata_backup(3), "v0");
        shift_metadata_backups(d.path(), 2);
        assert_eq!(
            d.listing(),
            vec![
                ("metadata_ml.mfs.back.1".into(), "v3".into()),
                ("metadata_ml.mfs.back.2".into(), "v2".into()),
                ("metadata_ml.mfs.back.3".into(), "v0".into()),
            ],
            "v1 dropped, .3 from a larger earlier setting untouched"
        );
        let d = TestDir::new("backups-0");
        d.write(names::METADATA_BACK, "v3");
        shift_metadata_backups(d.path(), 0);
        assert_eq!(
            d.listing(),
            vec![("metadata_ml.mfs.back".into(), "v3".into())]
        );
    }
}
