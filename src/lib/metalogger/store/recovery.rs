//! What [`Store::open`](super::Store::open) finds in DATA_PATH: torn last lines cut, the
//! metadata id of the files, and the version to resume after.
//!
//! mfsmetalogger 3.0.117 always starts afresh (its resume code opens a file that nothing
//! writes, spec `metalogger-files.md` §2.4), downloads everything and appends the new
//! stream to the old `changelog_ml.0.mfs`, after a torn line if it was killed. Here:
//!
//! 1. every `changelog_ml.<n>.mfs` that does not end in `\n` is cut just after its last
//!    `\n` (logged with the byte offset): `mfsmaster -a` ignores a file that does not end
//!    in `\n`, and a line glued onto a torn one is lost to it;
//! 2. the base is the metadata file `mfsmaster -a` would load (every valid `metadata*`
//!    file, highest version; `MFSM NEW` counts as version 1); none, or two different
//!    non-zero ids → no resume;
//! 3. the version to resume after is the last line of the newest changelog
//!    (`changelog_ml.0.mfs`, else the lowest-numbered non-empty `changelog_ml.<n>.mfs`);
//! 4. and only if the changelogs that `mfsmaster -a` would use (`changelog_ml.<n>.mfs` and
//!    `changelog_ml_back.<n>.mfs`, merged by version with its per-file rules) hold every
//!    version from the base's version up to it. This is what makes a resume safe after an
//!    rver-1 registration whose download never finished (the live stream then starts
//!    above the old `changelog_ml_back.0.mfs`, and only the new download fills the hole):
//!    there the chain has a hole, so the store starts afresh and the session downloads.

use std::fs::{self, OpenOptions};
use std::io::{self, Read, Seek, SeekFrom};
use std::os::unix::fs::FileExt;
use std::path::Path;

use memchr::memrchr;

use super::names;
use crate::metalogger::log::Level;
use crate::restore::changelog_file::{first_id, last_id};
use crate::restore::input::{map_file, InputBytes};
use crate::restore::merge::{Item, Merger};
use crate::restore::select::{check_metadata, is_changelog_name, MetadataCheck};

/// Block size of the backward search for the last `\n`.
const TAIL_BLOCK: u64 = 64 * 1024;

/// What the folder holds.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Recovered {
    /// The version to resume after (0: start afresh).
    pub last_version: u64,
    /// The metadata id of the files, if one is known.
    pub meta_id: Option<u64>,
}

/// Cuts a torn last line (bytes after the last `\n`) off `path`. Returns the offset of
/// the cut and how many bytes went, or `None` if the file ends in `\n`, is empty or is
/// missing.
pub fn cut_torn_tail(path: &Path) -> io::Result<Option<(u64, u64)>> {
    let mut file = match OpenOptions::new().read(true).write(true).open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(e),
    };
    let len = file.metadata()?.len();
    if len == 0 {
        return Ok(None);
    }
    let mut last = [0u8; 1];
    file.read_exact_at(&mut last, len - 1)?;
    if last == [b'\n'] {
        return Ok(None);
    }
    // Search backwards for the last '\n'.
    let mut end = len;
    let mut buf = Vec::new();
    let cut = loop {
        if end == 0 {
            break 0;
        }
        let start = end.saturating_sub(TAIL_BLOCK);
        buf.resize((end - start) as usize, 0);
        file.seek(SeekFrom::Start(start))?;
        file.read_exact(&mut buf)?;
        if let Some(at) = memrchr(b'\n', &buf) {
            break start + at as u64 + 1;
        }
        end = start;
    };
    file.set_len(cut)?;
    file.sync_all()?;
    Ok(Some((cut, len - cut)))
}

/// The metadata file `mfsmaster -a` would load, as (version, id); `Err` with a reason if
/// there is none or the ids differ.
fn choose_base(dir: &Path, entries: &[String]) -> Result<(u64, u64, String), String> {
    let mut best: Option<(u64, u64, String)> = None;
    let mut id_seen: Option<(u64, &str)> = None;
    for name in entries {
        if name.len() <= 8 || !name.starts_with("metadata") {
            continue;
        }
        let MetadataCheck::Valid { version, id } = check_metadata(&dir.join(name)) else {
            continue;
        };
        if id != 0 {
            match id_seen {
                Some((known, other)) if known != id => {
                    return Err(format!(
                        "{other} has metadata id 0x{known:016X} but {name} has 0x{id:016X}"
                    ));
                }
                _ => id_seen = Some((id, name)),
            }
        }
        if best.as_ref().is_none_or(|(v, _, _)| version > *v) {
            best = Some((version, id, name.clone()));
        }
    }
    best.ok_or_else(|| "no valid metadata file to restore from".to_string())
}

/// The last version of a changelog that ends in `\n` (0 if it has none).
fn last_version_of(path: &Path) -> io::Result<u64> {
    let bytes = match map_file(path) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return Ok(0),
        Err(e) => return Err(e),
    };
    Ok(last_id(&bytes))
}

/// How far the changelogs reach without a hole, starting at `base` (the metadata
/// version: the first change the restore applies), looking no further than `upto`.
/// Returns the last version covered (`base - 1` if none) and, if it stopped at a hole,
/// the first version after it.
fn covered_from(files: &[InputBytes], base: u64, upto: u64) -> (u64, Option<u64>) {
    // mfsmaster -a skips files whose first id is unreadable or whose last id is below the
    // metadata version.
    let used = files
        .iter()
        .map(|b| &b[..])
        .filter(|b| first_id(b) != 0 && last_id(b) >= base);
    let mut next = base;
    for item in Merger::new(used) {
        let Item::Line(e) = item else { continue };
        if next > upto {
            break;
        }
        if e.id < next {
            continue;
        }
        if e.id > next {
            return (next.saturating_sub(1), Some(e.id));
        }
        next += 1;
    }
    (next.saturating_sub(1), None)
}

/// The metadata id of `metadata_ml.mfs.back` (if valid and not 0).
fn back_meta_id(dir: &Path) -> Option<u64> {
    match check_metadata(&dir.join(names::METADATA_BACK)) {
        MetadataCheck::Valid { id, .. } if id != 0 => Some(id),
        _ => None,
    }
}

/// The metadata id of the files in `dir` as they are now: `metadata_ml.mfs.back`'s, else
/// that of any valid `metadata*` file (`None` if no file has one).
pub fn folder_meta_id(dir: &Path) -> Option<u64> {
    if let Some(id) = back_meta_id(dir) {
        return Some(id);
    }
    let mut names: Vec<String> = fs::read_dir(dir)
        .ok()?
        .flatten()
        .filter_map(|e| e.file_name().into_string().ok())
        .collect();
    names.sort();
    names
        .iter()
        .filter(|n| n.len() > 8 && n.starts_with("metadata"))
        .find_map(|n| match check_metadata(&dir.join(n)) {
            MetadataCheck::Valid { id, .. } if id != 0 => Some(id),
            _ => None,
        })
}

/// Looks at DATA_PATH (see the module documentation).
pub fn recover(dir: &Path) -> io::Result<Recovered> {
    // Regular files only: a folder or a socket of a changelog's name is nobody's changelog.
    let mut entries: Vec<String> = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        if let Ok(name) = entry.file_name().into_string() {
            entries.push(name);
        }
    }
    entries.sort();
    // 1. Torn tails. A file that cannot be read or cut is reported, and then there is no
    // resume (its end is unknown).
    let mut logs: Vec<(u64, String)> = entries
        .iter()
        .filter_map(|n| names::changelog_number(n).map(|k| (k, n.clone())))
        .collect();
    logs.sort();
    let mut unreadable = None;
    for (_, name) in &logs {
        match cut_torn_tail(&dir.join(name)) {
            Ok(Some((at, cut))) => crate::ml_log!(
                Level::Warning,
                "{name}: cut a torn last line at byte {at} ({cut} bytes, written by a process that was stopped mid-line)"
            ),
            Ok(None) => {}
            Err(e) => {
                crate::ml_log!(
                    Level::Warning,
                    "{name}: can't check its last line: {}",
                    crate::metalogger::errno::errno_text(&e)
                );
                unreadable.get_or_insert_with(|| name.clone());
            }
        }
    }
    let back_id = back_meta_id(dir);
    // 2. The base.
    let base = choose_base(dir, &entries);
    let meta_id = back_id.or(match &base {
        Ok((_, id, _)) if *id != 0 => Some(*id),
        _ => None,
    });
    // 3. The newest changelog with a line.
    let mut newest: Option<(String, u64)> = None;
    for (_, name) in &logs {
        let path = dir.join(name);
        if fs::metadata(&path).map(|m| m.len()).unwrap_or(0) == 0 {
            continue;
        }
        // An unreadable file counts as one without a version (no resume).
        newest = Some((name.clone(), last_version_of(&path).unwrap_or(0)));
        break;
    }
    let fresh = |why: String| {
        crate::ml_log!(
            Level::Notice,
            "not resuming from the files in {}: {why}; registering afresh (full download)",
            dir.display()
        );
        Ok(Recovered {
            last_version: 0,
            meta_id,
        })
    };
    let Some((newest_name, last)) = newest else {
        return Ok(Recovered {
            last_version: 0,
            meta_id,
        });
    };
    if let Some(name) = unreadable {
        return fresh(format!("{name} cannot be read"));
    }
    if last == 0 {
        return fresh(format!("the last line of {newest_name} has no version"));
    }
    let (base_version, _, base_name) = match base {
        Ok(b) => b,
        Err(why) => return fresh(why),
    };
    // 4. The chain.
    let mut files = Vec::new();
    for name in entries.iter().filter(|n| is_changelog_name(n.as_bytes())) {
        match map_file(&dir.join(name)) {
            Ok(b) => files.push(b),
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => {
                return fresh(format!(
                    "{name} cannot be read ({})",
                    crate::metalogger::errno::errno_text(&e)
                ))
            }
        }
    }
    let (covered, hole) = covered_from(&files, base_version, last);
    if covered < last {
        let missing = match hole {
            Some(after) => format!("[{}-{}]", covered.saturating_add(1), after - 1),
            None => format!("[{}-{last}]", covered.saturating_add(1)),
        };
        return fresh(format!(
            "changes {missing} are in no changelog there (metadata {base_name} has version {base_version}, {newest_name} ends at {last})"
        ));
    }
    crate::ml_log!(
        Level::Notice,
        "resuming after change {last} ({newest_name}; {base_name} has version {base_version})"
    );
    Ok(Recovered {
        last_version: last,
        meta_id,
    })
}

/// Whether `path` is a file holding at least one byte.
pub fn non_empty(path: &Path) -> bool {
    fs::metadata(path).is_ok_and(|m| m.is_file() && m.len() > 0)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metalogger::store::tests::{fake_metadata, TestDir};

    #[test]
    fn odd_bases_and_files_do_not_panic() {
        // Metadata version 0, a changelog starting at 5, a file with no digits.
        let d = TestDir::new("odd");
        d.write(names::METADATA_BACK, fake_metadata(0, 1));
        d.write(names::CHANGELOG_0, "5: a\n6: b\n");
        d.write("changelog_ml.1.mfs", "garbage\nmore\n");
        d.write("changelog_ml.2.mfs", "\n\n");
        let r = recover(d.path()).unwrap();
        assert_eq!(r.last_version, 0, "0..=4 are missing");
        assert_eq!(r.meta_id, Some(1));
    }

    #[test]
    fn two_metadata_ids_in_one_folder_mean_no_resume() {
        let d = TestDir::new("two-ids");
        d.write(names::METADATA_BACK, fake_metadata(1, 1));
        d.write("metadata_ml.mfs.back.1", fake_metadata(1, 2));
        d.write(names::CHANGELOG_0, "1: a\n");
        let r = recover(d.path()).unwrap();
        assert_eq!(r.last_version, 0);
        assert_eq!(
            r.meta_id,
            Some(1),
            "metadata_ml.mfs.back's id is the folder's"
        );
    }

    #[test]
    fn a_torn_line_without_any_newline_empties_the_file() {
        let d = TestDir::new("all-torn");
        d.write(names::CHANGELOG_0, "123: no end");
        assert_eq!(
            cut_torn_tail(&d.path().join(names::CHANGELOG_0)).unwrap(),
            Some((0, 11))
        );
        assert_eq!(d.read(names::CHANGELOG_0), "");
        // Longer than one search block.
        let long = format!("1: a\n{}", "x".repeat(200_000));
        d.write(names::CHANGELOG_0, &long);
        assert_eq!(
            cut_torn_tail(&d.path().join(names::CHANGELOG_0)).unwrap(),
            Some((5, 200_000))
        );
        assert_eq!(d.read(names::CHANGELOG_0), "1: a\n");
        assert_eq!(cut_torn_tail(&d.path().join("missing")).unwrap(), None);
    }
}
