//! The names of the files in DATA_PATH (spec `metalogger-files.md` §1), and the subfolders
//! this store adds. `mfsmaster -a` reads the top level only, and only names that start with
//! `metadata` or match `changelog*.<digits>.mfs`, so a subfolder named `gap-…` or `foreign-…`
//! is never read by a restore.

use crate::format::wire::FileNum;

/// The live changelog, `changelog_ml.0.mfs`.
pub const CHANGELOG_0: &str = "changelog_ml.0.mfs";
/// The metadata image being downloaded (file 1).
pub const METADATA_TMP: &str = "metadata_ml.tmp";
/// The last good metadata image.
pub const METADATA_BACK: &str = "metadata_ml.mfs.back";
/// A master changelog being downloaded (files 11 and 12).
pub const CHANGELOG_TMP: &str = "changelog_ml.tmp";
/// The copy of the master's `changelog.0.mfs` (file 11).
pub const CHANGELOG_BACK_0: &str = "changelog_ml_back.0.mfs";
/// The copy of the master's `changelog.1.mfs` (file 12).
pub const CHANGELOG_BACK_1: &str = "changelog_ml_back.1.mfs";
/// What the subfolders holding changelogs moved aside after a gap start with.
pub const GAP_PREFIX: &str = "gap-";
/// What the subfolders holding a foreign master's stream start with.
pub const FOREIGN_PREFIX: &str = "foreign-";

/// `changelog_ml.<n>.mfs`.
pub fn changelog(n: u32) -> String {
    format!("changelog_ml.{n}.mfs")
}

/// `metadata_ml.mfs.back.<n>`.
pub fn metadata_backup(n: u32) -> String {
    format!("metadata_ml.mfs.back.{n}")
}

/// The number `n` of a name `changelog_ml.<n>.mfs` (not `changelog_ml_back.…`).
pub fn changelog_number(name: &str) -> Option<u64> {
    let digits = name.strip_prefix("changelog_ml.")?.strip_suffix(".mfs")?;
    if digits.is_empty() || !digits.bytes().all(|b| b.is_ascii_digit()) {
        return None;
    }
    digits.parse().ok()
}

/// Whether `name` is `changelog_ml_back.<digits>.mfs`.
pub fn is_changelog_back(name: &str) -> bool {
    name.strip_prefix("changelog_ml_back.")
        .and_then(|r| r.strip_suffix(".mfs"))
        .is_some_and(|d| !d.is_empty() && d.bytes().all(|b| b.is_ascii_digit()))
}

/// The temp file of a download, and what it becomes, for the files 3.0.117 downloads.
pub fn download_names(file: FileNum) -> Option<(&'static str, &'static str)> {
    match file {
        FileNum::Metadata => Some((METADATA_TMP, METADATA_BACK)),
        FileNum::Changelog0 => Some((CHANGELOG_TMP, CHANGELOG_BACK_0)),
        FileNum::Changelog1 => Some((CHANGELOG_TMP, CHANGELOG_BACK_1)),
        FileNum::Sessions => None,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn changelog_numbers_are_read_only_from_exact_names() {
        assert_eq!(changelog_number("changelog_ml.0.mfs"), Some(0));
        assert_eq!(changelog_number("changelog_ml.17.mfs"), Some(17));
        assert_eq!(changelog_number("changelog_ml..mfs"), None);
        assert_eq!(changelog_number("changelog_ml.1a.mfs"), None);
        assert_eq!(changelog_number("changelog_ml_back.0.mfs"), None);
        assert_eq!(changelog_number("changelog.0.mfs"), None);
        assert!(is_changelog_back("changelog_ml_back.1.mfs"));
        assert!(!is_changelog_back("changelog_ml_back.mfs"));
        assert_eq!(changelog(3), "changelog_ml.3.mfs");
        assert_eq!(metadata_backup(2), "metadata_ml.mfs.back.2");
    }
}
