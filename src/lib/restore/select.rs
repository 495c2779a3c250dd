//! `-a`: choosing the files of a data folder the way `mfsmaster -a` does (spec
//! `metadata-format.md` §10, `changelog-format.md` §9 steps 1–2).
//!
//! * Metadata: every entry whose name is longer than 8 bytes and starts with
//!   `metadata` is checked ([`check_metadata`]: signature, header, end marker). Among
//!   the valid ones the highest version wins; on a tie the first in directory order.
//!   Valid files with different non-zero ids are refused. Only when a non-zero id was
//!   seen are the master's emergency locations also tried ([`EMERGENCY_LOCATIONS`] and
//!   `$HOME/metadata.mfs.emergency`), for a file with that id and a higher version.
//! * Changelogs: names `changelog.N.mfs`, `changelog_ml.N.mfs` and
//!   `changelog_ml_back.N.mfs` ([`is_changelog_name`]); a file is used unless its last
//!   id is below the loaded version or its first id is 0
//!   ([`super::changelog_file`]).
//!
//! Beyond the master: a name ending in `.zst` is read decompressed and judged by the
//! name without that suffix.

use std::ffi::OsString;
use std::fmt;
use std::fs::File;
use std::io::{self, Read, Seek, SeekFrom};
use std::path::{Path, PathBuf};

use super::input::{decompress, map_file, strip_zstd_suffix, InputBytes, ZSTD_SUFFIX};
use super::report::{Event, Report};
use super::Error;

/// What a metadata file name starts with.
const METADATA_PREFIX: &[u8] = b"metadata";
/// The placeholder of an empty file system.
const SIGNATURE_NEW: &[u8; 8] = b"MFSM NEW";
/// Signature (8) + the 16 bytes that hold version and id.
const HEADER_LEN: usize = 24;
/// Length of the end marker (or of the zeros that end files older than 1.6).
const END_LEN: usize = 16;
const END_MARKER: &[u8; END_LEN] = b"[MFS EOF MARKER]";
/// First format version (`0x16` = "1.6") whose files end with [`END_MARKER`].
const FIRST_MARKED_FORMAT: u8 = 0x16;
/// First format version (`0x20` = "2.0") with the `version:u64, id:u64` header.
const FIRST_ID_FORMAT: u8 = 0x20;

/// The fixed places where a master that cannot write its data folder leaves an
/// emergency dump (`meta_emergency_locations`), tried after `$HOME`.
pub const EMERGENCY_LOCATIONS: &[&str] = &[
    "/metadata.mfs.emergency",
    "/tmp/metadata.mfs.emergency",
    "/var/metadata.mfs.emergency",
    "/usr/metadata.mfs.emergency",
    "/usr/share/metadata.mfs.emergency",
    "/usr/local/metadata.mfs.emergency",
    "/usr/local/var/metadata.mfs.emergency",
    "/usr/local/share/metadata.mfs.emergency",
];

/// The name of the emergency dump in the home folder.
const EMERGENCY_NAME: &str = "metadata.mfs.emergency";

/// The verdict on a metadata file (`meta_check_metadatafile`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum MetadataCheck {
    /// Usable: `version` and `id` (0 = none) from its header.
    Valid { version: u64, id: u64 },
    /// Not there.
    Missing,
    /// Cannot be read, or shorter than its header.
    Unreadable,
    /// Not a metadata signature.
    BadHeader,
    /// The last 16 bytes are not the end marker: a file cut short.
    BadEnding { version: u64, id: u64 },
}

impl fmt::Display for MetadataCheck {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            MetadataCheck::Valid { version, id: 0 } => {
                write!(f, "valid metadata file (version {version})")
            }
            MetadataCheck::Valid { version, id } => {
                write!(f, "valid metadata file (version {version}, id {id:X})")
            }
            MetadataCheck::Missing => f.write_str("no such file"),
            MetadataCheck::Unreadable => f.write_str("cannot be read (or too short)"),
            MetadataCheck::BadHeader => f.write_str("invalid metadata file (wrong header)"),
            MetadataCheck::BadEnding { version, .. } => {
                write!(f, "invalid metadata file (wrong ending; version {version})")
            }
        }
    }
}

fn u64_at(bytes: &[u8], at: usize) -> u64 {
    bytes
        .get(at..at + 8)
        .and_then(|b| <[u8; 8]>::try_from(b).ok())
        .map_or(0, u64::from_be_bytes)
}

/// Checks a metadata file from its first 24 and last 16 bytes.
pub fn check_metadata_bytes(head: &[u8], tail: &[u8]) -> MetadataCheck {
    let Some(signature) = head.get(..8) else {
        return MetadataCheck::Unreadable;
    };
    if signature == SIGNATURE_NEW {
        return MetadataCheck::Valid { version: 1, id: 0 };
    }
    let format = match signature {
        [b'M', b'F', b'S', b'M', b' ', major @ b'1'..=b'9', b'.', minor @ b'0'..=b'9'] => {
            ((major - b'0') << 4) | (minor - b'0')
        }
        _ => return MetadataCheck::BadHeader,
    };
    if head.len() < HEADER_LEN {
        return MetadataCheck::Unreadable;
    }
    let (version, id) = if format < FIRST_ID_FORMAT {
        // maxnodeid:u32, version:u64, ...
        (u64_at(head, 12), 0)
    } else {
        (u64_at(head, 8), u64_at(head, 16))
    };
    let expected: &[u8] = if format < FIRST_MARKED_FORMAT {
        &[0; END_LEN]
    } else {
        END_MARKER
    };
    if tail.len() < END_LEN {
        return MetadataCheck::Unreadable;
    }
    if tail != expected {
        return MetadataCheck::BadEnding { version, id };
    }
    MetadataCheck::Valid { version, id }
}

/// Checks an uncompressed metadata file without reading all of it.
pub fn check_metadata(path: &Path) -> MetadataCheck {
    let mut file = match File::open(path) {
        Ok(f) => f,
        Err(e) if e.kind() == io::ErrorKind::NotFound => return MetadataCheck::Missing,
        Err(_) => return MetadataCheck::Unreadable,
    };
    let read = |file: &mut File| -> io::Result<(Vec<u8>, Vec<u8>)> {
        let mut head = Vec::with_capacity(HEADER_LEN);
        file.by_ref()
            .take(HEADER_LEN as u64)
            .read_to_end(&mut head)?;
        let mut tail = Vec::with_capacity(END_LEN);
        if head.len() == HEADER_LEN {
            file.seek(SeekFrom::End(-(END_LEN as i64)))?;
            file.read_to_end(&mut tail)?;
        }
        Ok((head, tail))
    };
    match read(&mut file) {
        Ok((head, tail)) => check_metadata_bytes(&head, &tail),
        Err(_) => MetadataCheck::Unreadable,
    }
}

/// A metadata file checked while choosing.
struct Probe {
    check: MetadataCheck,
    /// The decompressed bytes, for a `.zst` file.
    bytes: Option<Vec<u8>>,
}

fn probe(path: &Path, compressed: bool) -> Probe {
    if !compressed {
        return Probe {
            check: check_metadata(path),
            bytes: None,
        };
    }
    let bytes = match map_file(path).and_then(|raw| decompress(&raw)) {
        Ok(b) => b,
        Err(e) if e.kind() == io::ErrorKind::NotFound => {
            return Probe {
                check: MetadataCheck::Missing,
                bytes: None,
            }
        }
        Err(_) => {
            return Probe {
                check: MetadataCheck::Unreadable,
                bytes: None,
            }
        }
    };
    let head = bytes.get(..HEADER_LEN).unwrap_or(&bytes);
    let tail = bytes
        .get(bytes.len().saturating_sub(END_LEN)..)
        .unwrap_or_default();
    Probe {
        check: check_metadata_bytes(head, tail),
        bytes: Some(bytes),
    }
}

/// The metadata file a restore starts from.
pub struct ChosenMetadata {
    pub path: PathBuf,
    pub version: u64,
    pub id: u64,
    /// The decompressed bytes if the file is zstd-compressed (else it is mapped later).
    pub bytes: Option<Vec<u8>>,
}

impl ChosenMetadata {
    /// The file's bytes, mapped (or the decompressed copy).
    pub fn into_bytes(self) -> Result<(PathBuf, InputBytes), Error> {
        match self.bytes {
            Some(b) => Ok((self.path, InputBytes::Read(b))),
            None => {
                let bytes = map_file(&self.path).map_err(|e| Error::io(&self.path, "read", e))?;
                Ok((self.path, bytes))
            }
        }
    }
}

/// The entries of `dir` in directory order (the order `readdir` gives, as the master
/// sees them), as names.
fn entries(dir: &Path) -> Result<Vec<OsString>, Error> {
    let list = std::fs::read_dir(dir).map_err(|e| Error::io(dir, "list the folder", e))?;
    let mut names = Vec::new();
    for entry in list {
        let entry = entry.map_err(|e| Error::io(dir, "list the folder", e))?;
        names.push(entry.file_name());
    }
    Ok(names)
}

fn name_bytes(name: &OsString) -> &[u8] {
    use std::os::unix::ffi::OsStrExt;
    name.as_bytes()
}

/// The state of the choice: the best file so far and the id that files must share.
struct Chooser<'d> {
    dir: &'d Path,
    max_version: Option<u64>,
    best: Option<ChosenMetadata>,
    best_version: u64,
    /// The id of the last file that became the best while having one, and its name
    /// (the master compares every later valid file with it).
    best_id: Option<(u64, String)>,
}

impl Chooser<'_> {
    /// Looks at one file. With `require_id` (emergency locations), only a file of that
    /// id is taken, and other ids are no error.
    fn consider(
        &mut self,
        path: PathBuf,
        name: String,
        compressed: bool,
        require_id: Option<u64>,
        report: &mut dyn Report,
    ) -> Result<(), Error> {
        let p = probe(&path, compressed);
        if require_id.is_none() || p.check != MetadataCheck::Missing {
            report.event(Event::MetadataCandidate {
                path: &path,
                check: &p.check,
            });
        }
        let MetadataCheck::Valid { version, id } = p.check else {
            return Ok(());
        };
        match (require_id, &self.best_id) {
            (Some(required), _) if id != required => return Ok(()),
            (None, Some((known, known_name))) if id != 0 && id != *known => {
                return Err(Error::DifferentMetadataIds {
                    dir: self.dir.to_path_buf(),
                    first: (known_name.clone(), *known),
                    second: (name, id),
                });
            }
            _ => {}
        }
        if self.max_version.is_some_and(|max| version > max) || version <= self.best_version {
            return Ok(());
        }
        self.best_version = version;
        if id != 0 {
            self.best_id = Some((id, name));
        }
        self.best = Some(ChosenMetadata {
            path,
            version,
            id,
            bytes: p.bytes,
        });
        Ok(())
    }
}

/// Chooses the metadata file of `dir` as `mfsmaster -a` does. With `max_version`
/// (`--to-version`), files with a higher version are not candidates.
pub fn choose_metadata(
    dir: &Path,
    max_version: Option<u64>,
    report: &mut dyn Report,
) -> Result<ChosenMetadata, Error> {
    let mut chooser = Chooser {
        dir,
        max_version,
        best: None,
        best_version: 0,
        best_id: None,
    };
    for name in entries(dir)? {
        let raw = name_bytes(&name);
        if raw.len() <= METADATA_PREFIX.len() || !raw.starts_with(METADATA_PREFIX) {
            continue;
        }
        let shown = name.to_string_lossy().into_owned();
        let compressed = strip_zstd_suffix(&shown).is_some();
        chooser.consider(dir.join(&name), shown, compressed, None, report)?;
    }
    if let Some((id, _)) = chooser.best_id.clone() {
        let home = std::env::var_os("HOME").map(|h| Path::new(&h).join(EMERGENCY_NAME));
        let fixed = EMERGENCY_LOCATIONS.iter().map(PathBuf::from);
        for path in home.into_iter().chain(fixed) {
            let shown = path.display().to_string();
            chooser.consider(path, shown, false, Some(id), report)?;
        }
    }
    let chosen = chooser.best.ok_or_else(|| Error::NoMetadata {
        dir: dir.to_path_buf(),
    })?;
    report.event(Event::MetadataChosen {
        path: &chosen.path,
        version: chosen.version,
        id: chosen.id,
    });
    Ok(chosen)
}

/// Whether `name` is a changelog name that `mfsmaster -a` uses
/// (`changelog_checkname`): `changelog.N.mfs`, `changelog_ml.N.mfs` or
/// `changelog_ml_back.N.mfs`, with N one or more decimal digits.
pub fn is_changelog_name(name: &[u8]) -> bool {
    let number = ["changelog.", "changelog_ml.", "changelog_ml_back."]
        .iter()
        .find_map(|prefix| name.strip_prefix(prefix.as_bytes()));
    let Some(rest) = number.and_then(|r| r.strip_suffix(b".mfs")) else {
        return false;
    };
    !rest.is_empty() && rest.iter().all(u8::is_ascii_digit)
}

/// A changelog file found in a data folder.
pub struct FoundChangelog {
    /// The name as it is in the folder.
    pub name: String,
    pub path: PathBuf,
}

/// The changelog files of `dir` in directory order (names as [`is_changelog_name`], also
/// with a `.zst` suffix).
pub fn list_changelogs(dir: &Path) -> Result<Vec<FoundChangelog>, Error> {
    let mut found = Vec::new();
    for name in entries(dir)? {
        let raw = name_bytes(&name);
        let plain = raw.strip_suffix(ZSTD_SUFFIX.as_bytes()).unwrap_or(raw);
        if is_changelog_name(plain) {
            found.push(FoundChangelog {
                path: dir.join(&name),
                name: name.to_string_lossy().into_owned(),
            });
        }
    }
    Ok(found)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn header(sig: &[u8; 8], version: u64, id: u64) -> Vec<u8> {
        let mut h = sig.to_vec();
        h.extend(version.to_be_bytes());
        h.extend(id.to_be_bytes());
        h
    }

    #[test]
    fn checks_follow_the_master() {
        let h = header(b"MFSM 2.0", 7, 9);
        assert_eq!(
            check_metadata_bytes(&h, END_MARKER),
            MetadataCheck::Valid { version: 7, id: 9 }
        );
        assert_eq!(
            check_metadata_bytes(&h, b"[MFS EOF MARKER "),
            MetadataCheck::BadEnding { version: 7, id: 9 }
        );
        assert_eq!(
            check_metadata_bytes(b"MFSM NEW", b""),
            MetadataCheck::Valid { version: 1, id: 0 }
        );
        assert_eq!(
            check_metadata_bytes(b"MFSM 2.", b""),
            MetadataCheck::Unreadable
        );
        assert_eq!(
            check_metadata_bytes(&header(b"MFSX 2.0", 1, 1), END_MARKER),
            MetadataCheck::BadHeader
        );
        assert_eq!(
            check_metadata_bytes(&header(b"MFSM 2.0", 1, 1)[..20], END_MARKER),
            MetadataCheck::Unreadable
        );
        // 1.6: version after maxnodeid, no id, end marker.
        let mut h = b"MFSM 1.6".to_vec();
        h.extend(5u32.to_be_bytes());
        h.extend(42u64.to_be_bytes());
        h.extend(1u32.to_be_bytes());
        assert_eq!(
            check_metadata_bytes(&h, END_MARKER),
            MetadataCheck::Valid { version: 42, id: 0 }
        );
        // 1.5: ends with zeros.
        h[5..8].copy_from_slice(b"1.5");
        assert_eq!(
            check_metadata_bytes(&h, &[0; 16]),
            MetadataCheck::Valid { version: 42, id: 0 }
        );
    }

    #[test]
    fn changelog_names_are_exact() {
        for good in [
            "changelog.0.mfs",
            "changelog.12.mfs",
            "changelog_ml.3.mfs",
            "changelog_ml_back.0.mfs",
        ] {
            assert!(is_changelog_name(good.as_bytes()), "{good}");
        }
        for bad in [
            "changelog.mfs",
            "changelog.0.mfs.bak",
            "changelog.x.mfs",
            "changelog_ml.0.mfs.tmp",
            "changelog_ml.tmp",
            "changelog.-1.mfs",
            "changelog_back.0.mfs",
            "xchangelog.0.mfs",
        ] {
            assert!(!is_changelog_name(bad.as_bytes()), "{bad}");
        }
    }
}
