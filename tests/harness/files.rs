//! Small readers for the files MooseFS daemons leave in their data folders, and copying of
//! those files. Deliberately independent of the crate's own parsers: the harness checks them.

use std::path::{Path, PathBuf};

use super::error::{io, Error, Result};

/// Signature of a version-2 metadata file (`MFSM 2.0`), followed by the u64 big-endian version.
pub const METADATA_SIGNATURE: &[u8; 8] = b"MFSM 2.0";
/// The 8-byte placeholder shipped by the package as `metadata.mfs.empty`.
pub const METADATA_NEW: &[u8; 8] = b"MFSM NEW";
/// Where the Debian package keeps that placeholder.
pub const METADATA_EMPTY_PATH: &str = "/var/lib/mfs/metadata.mfs.empty";

/// The version in a metadata file's header: `Some(v)` for `MFSM 2.0`, `None` for the
/// `MFSM NEW` placeholder; other content is an error.
pub fn metadata_version(path: &Path) -> Result<Option<u64>> {
    let bytes = std::fs::read(path).map_err(io("read", path))?;
    if bytes.starts_with(METADATA_NEW) && bytes.len() == METADATA_NEW.len() {
        return Ok(None);
    }
    let version = bytes
        .strip_prefix(METADATA_SIGNATURE.as_slice())
        .and_then(|rest| rest.get(..8))
        .and_then(|v| <[u8; 8]>::try_from(v).ok())
        .map(u64::from_be_bytes);
    match version {
        Some(v) => Ok(Some(v)),
        None => Err(Error::Unexpected {
            what: format!("metadata header of {}", path.display()),
            detail: "neither `MFSM 2.0` + version nor `MFSM NEW`".into(),
        }),
    }
}

/// The id of the last complete line (`<id>: …\n`) of a changelog; `None` if the file is
/// missing or has no complete line. A trailing partial line is ignored.
pub fn changelog_last_id(path: &Path) -> Result<Option<u64>> {
    let bytes = match std::fs::read(path) {
        Ok(b) => b,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return Ok(None),
        Err(e) => return Err(io("read", path)(e)),
    };
    let Some(end) = bytes.iter().rposition(|&b| b == b'\n') else {
        return Ok(None);
    };
    let complete = &bytes[..end];
    let start = complete
        .iter()
        .rposition(|&b| b == b'\n')
        .map_or(0, |p| p + 1);
    Ok(line_id(&complete[start..]))
}

/// The id of the first line of a changelog; `None` if missing or empty.
pub fn changelog_first_id(path: &Path) -> Result<Option<u64>> {
    match std::fs::read(path) {
        Ok(b) => Ok(line_id(&b)),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(io("read", path)(e)),
    }
}

pub fn line_id(line: &[u8]) -> Option<u64> {
    let digits = line.iter().take_while(|b| b.is_ascii_digit()).count();
    if line.get(digits) != Some(&b':') {
        return None;
    }
    std::str::from_utf8(&line[..digits]).ok()?.parse().ok()
}

/// The highest change id a metalogger folder holds, from `changelog_ml.0.mfs`, the
/// downloaded `changelog_ml_back.*.mfs` and `metadata_ml.mfs.back` (version − 1).
pub fn metalogger_last_id(dir: &Path) -> Result<Option<u64>> {
    let mut best = None;
    for name in [
        "changelog_ml.0.mfs",
        "changelog_ml_back.0.mfs",
        "changelog_ml_back.1.mfs",
    ] {
        best = best.max(changelog_last_id(&dir.join(name))?);
    }
    let meta = dir.join("metadata_ml.mfs.back");
    if meta.exists() {
        if let Some(v) = metadata_version(&meta)? {
            best = best.max(v.checked_sub(1));
        }
    }
    Ok(best)
}

/// Whether a restore (`mfsmaster -a`) would look at this file name, or it is the
/// `metadata.crc` that belongs to a `metadata.mfs`.
pub fn is_mfs_data_file(name: &str) -> bool {
    (name.starts_with("metadata") && !name.ends_with(".tmp")) || name.starts_with("changelog")
}

/// Copies the metadata and changelog files (see [`is_mfs_data_file`]) of `src` into `dest`
/// (created if needed), keeping names. Lock files, `stats.mfs` and temp files are left out.
/// Returns the copied names, sorted.
pub fn copy_mfs_files(src: &Path, dest: &Path) -> Result<Vec<String>> {
    std::fs::create_dir_all(dest).map_err(io("create folder", dest))?;
    let mut names = Vec::new();
    for entry in std::fs::read_dir(src).map_err(io("list", src))? {
        let entry = entry.map_err(io("list", src))?;
        let name = entry.file_name().to_string_lossy().into_owned();
        if is_mfs_data_file(&name) && entry.path().is_file() {
            std::fs::copy(entry.path(), dest.join(&name)).map_err(io("copy", &entry.path()))?;
            names.push(name);
        }
    }
    names.sort();
    Ok(names)
}

/// Files of a folder, sorted, as full paths.
pub fn list_files(dir: &Path) -> Result<Vec<PathBuf>> {
    let mut out = Vec::new();
    for entry in std::fs::read_dir(dir).map_err(io("list", dir))? {
        let entry = entry.map_err(io("list", dir))?;
        if entry.path().is_file() {
            out.push(entry.path());
        }
    }
    out.sort();
    Ok(out)
}
