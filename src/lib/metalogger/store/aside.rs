//! Moving files aside into a dated subfolder that `mfsmaster -a` never reads (it lists
//! the top level of its folder only): the metalogger's own changelogs after a gap, or a
//! foreign master's stream.
//!
//! After a gap mfsmetalogger 3.0.117 deletes `changelog_ml.0…BACK_LOGS.mfs` (spec
//! `metalogger-files.md` §2.5). Here they are moved into `gap-<YYYYmmdd-HHMMSS>/`, and the
//! files they build on (`metadata_ml.mfs.back`, `changelog_ml_back.*.mfs`) are hard-linked
//! there too (they stay in place as well), so the subfolder alone restores the file system
//! as it was up to the last change before the gap: `mfsmaster -a` run inside it works.

use std::fs;
use std::io;
use std::path::{Path, PathBuf};

use super::names;

/// The local time as `YYYYmmdd-HHMMSS`.
pub fn timestamp() -> String {
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    let t = libc::time_t::try_from(now).unwrap_or(0);
    // SAFETY: `tm` is plain data that localtime_r fills in; both pointers are valid for
    // the call.
    let mut tm: libc::tm = unsafe { std::mem::zeroed() };
    // SAFETY: see above.
    let ok = unsafe { !libc::localtime_r(&t, &mut tm).is_null() };
    if !ok {
        return format!("{now}");
    }
    format!(
        "{:04}{:02}{:02}-{:02}{:02}{:02}",
        tm.tm_year + 1900,
        tm.tm_mon + 1,
        tm.tm_mday,
        tm.tm_hour,
        tm.tm_min,
        tm.tm_sec
    )
}

/// A new subfolder `<prefix><timestamp>` (with `.1`, `.2`… if that exists already).
fn new_subfolder(dir: &Path, prefix: &str) -> io::Result<PathBuf> {
    let base = format!("{prefix}{}", timestamp());
    for n in 0u32..1000 {
        let name = if n == 0 {
            base.clone()
        } else {
            format!("{base}.{n}")
        };
        let path = dir.join(name);
        match fs::create_dir(&path) {
            Ok(()) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        format!("{base}: too many folders of that name"),
    ))
}

/// What [`move_aside`] did.
#[derive(Debug, Default)]
pub struct MovedAside {
    /// The subfolder (`None` if there was nothing to move).
    pub folder: Option<PathBuf>,
    /// Names moved.
    pub moved: Vec<String>,
    /// Names linked (or copied) in as well.
    pub linked: Vec<String>,
}

/// Moves the files of `dir` whose names `take` accepts into a new subfolder
/// `<prefix><timestamp>`, and hard-links (or, failing that, copies) those `link` accepts.
/// Nothing is created when `take` accepts no file. On an error the files already moved
/// stay moved.
pub fn move_aside(
    dir: &Path,
    prefix: &str,
    take: impl Fn(&str) -> bool,
    link: impl Fn(&str) -> bool,
) -> io::Result<MovedAside> {
    let mut to_move = Vec::new();
    let mut to_link = Vec::new();
    for entry in fs::read_dir(dir)? {
        let entry = entry?;
        let Ok(name) = entry.file_name().into_string() else {
            continue;
        };
        if !entry.file_type().is_ok_and(|t| t.is_file()) {
            continue;
        }
        if take(&name) {
            to_move.push(name);
        } else if link(&name) {
            to_link.push(name);
        }
    }
    if to_move.is_empty() {
        return Ok(MovedAside::default());
    }
    to_move.sort();
    to_link.sort();
    let folder = new_subfolder(dir, prefix)?;
    let mut done = MovedAside {
        folder: Some(folder.clone()),
        ..MovedAside::default()
    };
    for name in to_move {
        fs::rename(dir.join(&name), folder.join(&name))?;
        done.moved.push(name);
    }
    for name in to_link {
        let (from, to) = (dir.join(&name), folder.join(&name));
        if fs::hard_link(&from, &to).is_ok() || fs::copy(&from, &to).is_ok() {
            done.linked.push(name);
        }
    }
    super::sync_dir(&folder)?;
    super::sync_dir(dir)?;
    Ok(done)
}

/// How many `gap-*` folders are kept: each holds a few hours of changelogs and pins an old
/// metadata image, so a master that keeps losing changes must not fill the disk.
pub const GAP_FOLDERS_KEPT: usize = 3;

/// Removes the oldest `<prefix>*` subfolders of `dir` beyond the newest `keep` (names sort
/// by time). Returns the names removed.
pub fn prune_subfolders(dir: &Path, prefix: &str, keep: usize) -> Vec<String> {
    let Ok(list) = fs::read_dir(dir) else {
        return Vec::new();
    };
    let mut found: Vec<String> = list
        .flatten()
        .filter(|e| e.file_type().is_ok_and(|t| t.is_dir()))
        .filter_map(|e| e.file_name().into_string().ok())
        .filter(|n| n.starts_with(prefix))
        .collect();
    found.sort();
    let excess = found.len().saturating_sub(keep);
    found
        .into_iter()
        .take(excess)
        .filter(|n| fs::remove_dir_all(dir.join(n)).is_ok())
        .collect()
}

/// The files a gap moves: every `changelog_ml.<n>.mfs`.
pub fn is_own_changelog(name: &str) -> bool {
    names::changelog_number(name).is_some()
}

/// The files a gap links: what the moved changelogs build on (the metadata copies and the
/// master's changelog copies).
pub fn is_gap_base(name: &str) -> bool {
    name == names::METADATA_BACK
        || name.starts_with("metadata_ml.mfs.back.")
        || names::is_changelog_back(name)
}

/// Whether `dir` holds the `MFSM NEW` placeholder as `metadata_ml.tmp` (the base of a
/// fresh file system's changelogs, which `mfsmaster -a` accepts).
pub fn has_new_placeholder(dir: &Path) -> bool {
    fs::read(dir.join(names::METADATA_TMP))
        .is_ok_and(|b| b == crate::format::metadata::header::SIGNATURE_NEW)
}
