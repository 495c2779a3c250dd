//! Downloads of the master's files (spec `metalogger-protocol.md` §5.4–§5.7): the temp
//! file, block writes, and the check of a downloaded metadata image.
//!
//! The check does what mfsmetalogger's `masterconn_metadata_check` does (signature,
//! header, trailer, with its log lines), and then decodes every section with our reader
//! ([`crate::format::metadata`]) through a memory map, so a damaged body is refused too:
//! mfsmetalogger would keep such a file, and `mfsmaster -a` would fail on it later.

use std::fs::{File, OpenOptions};
use std::io;
use std::os::unix::fs::FileExt;
use std::path::{Path, PathBuf};

use crate::format::metadata::file::{decode_body, for_each_section};
use crate::format::metadata::header::{FileHeader, Signature, FORMAT_CURRENT, SIGNATURE_NEW};
use crate::format::metadata::section::END_MARKER;
use crate::format::metadata::{DecodeError, Reader};
use crate::format::wire::FileNum;
use crate::restore::input::map_file;

/// Signature (8 bytes) plus the 16 bytes of version and id.
const HEADER_LEN: usize = 24;
/// Length of the trailer.
const TRAILER_LEN: usize = 16;
/// First format (`1.7`) whose files end with the end marker rather than 16 zero bytes
/// (mfsmetalogger's check; the master's own loader uses 1.6).
const FIRST_MARKED_FORMAT: u8 = 0x17;

/// A download under way.
#[derive(Debug)]
pub struct Download {
    pub file: FileNum,
    /// The temp file's path.
    pub tmp: PathBuf,
    /// The name it gets when it is complete and valid.
    pub target: &'static str,
    pub handle: File,
    /// The size the master announced.
    pub size: u64,
}

impl Download {
    /// Creates the temp file anew, mode 0666 minus the umask. An old one is unlinked first
    /// rather than truncated in place, so a hard link to it (a gap folder links the
    /// `MFSM NEW` placeholder) keeps its content.
    pub fn start(
        file: FileNum,
        tmp: PathBuf,
        target: &'static str,
        size: u64,
    ) -> io::Result<Download> {
        match std::fs::remove_file(&tmp) {
            Ok(()) => {}
            Err(e) if e.kind() == io::ErrorKind::NotFound => {}
            Err(e) => return Err(e),
        }
        let handle = OpenOptions::new()
            .read(true)
            .write(true)
            .create(true)
            .truncate(true)
            .open(&tmp)?;
        Ok(Download {
            file,
            tmp,
            target,
            handle,
            size,
        })
    }

    /// Writes `data` at `offset`, then fsyncs the temp file (as mfsmetalogger).
    pub fn write_block(&mut self, offset: u64, data: &[u8]) -> io::Result<()> {
        if offset
            .checked_add(data.len() as u64)
            .is_none_or(|end| end > self.size)
        {
            return Err(io::Error::new(
                io::ErrorKind::InvalidInput,
                format!(
                    "block at {offset} of {} bytes passes the announced size {}",
                    data.len(),
                    self.size
                ),
            ));
        }
        self.handle.write_all_at(data, offset)?;
        self.handle.sync_all()
    }
}

/// What a downloaded metadata image is.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum MetadataVerdict {
    /// The 8-byte `MFSM NEW` placeholder of a fresh file system (not logged).
    New,
    /// Header, trailer and every section decode.
    Valid { version: u64, meta_id: u64 },
    /// Refused; `reason` is mfsmetalogger's message for it where it has one (`bad metadata
    /// file format`, `truncated metadata file !!!`, `can't read downloaded metadata`, `can't
    /// open downloaded metadata`), else `damaged metadata: <where and what>`.
    Invalid { reason: String },
}

/// Checks a downloaded image (see the module documentation). Logs nothing: the session
/// logs the verdict.
pub fn check_metadata_image(path: &Path) -> MetadataVerdict {
    let bytes = match map_file(path) {
        Ok(b) => b,
        Err(e) => {
            let reason = if e.kind() == io::ErrorKind::NotFound {
                "can't open downloaded metadata"
            } else {
                "can't read downloaded metadata"
            };
            return MetadataVerdict::Invalid {
                reason: reason.to_string(),
            };
        }
    };
    check_metadata_bytes(&bytes)
}

/// [`check_metadata_image`] on the bytes of the image.
pub fn check_metadata_bytes(bytes: &[u8]) -> MetadataVerdict {
    let refuse = |reason: &str| MetadataVerdict::Invalid {
        reason: reason.to_string(),
    };
    let Some(signature) = bytes.get(..8) else {
        return refuse("can't read downloaded metadata");
    };
    if signature == SIGNATURE_NEW {
        return MetadataVerdict::New;
    }
    let format = match signature {
        [b'M', b'F', b'S', b'M', b' ', x @ b'1'..=b'9', b'.', y @ b'0'..=b'9'] => {
            ((x - b'0') << 4) | (y - b'0')
        }
        _ => return refuse("bad metadata file format"),
    };
    if bytes.len() < HEADER_LEN + TRAILER_LEN {
        return refuse("can't read downloaded metadata");
    }
    let expected: &[u8; TRAILER_LEN] = if format < FIRST_MARKED_FORMAT {
        &[0; TRAILER_LEN]
    } else {
        END_MARKER
    };
    if bytes.get(bytes.len() - TRAILER_LEN..) != Some(expected.as_slice()) {
        return refuse("truncated metadata file !!!");
    }
    match decode_all(bytes) {
        Ok(header) => MetadataVerdict::Valid {
            version: header.version,
            meta_id: if format >= FORMAT_CURRENT {
                header.meta_id
            } else {
                0
            },
        },
        Err(e) => MetadataVerdict::Invalid {
            reason: format!("damaged metadata: {e}"),
        },
    }
}

/// Decodes every section (and drops it at once), returning the header.
fn decode_all(bytes: &[u8]) -> Result<FileHeader, DecodeError> {
    let mut r = Reader::new(bytes);
    let format = match Signature::decode(&mut r)? {
        Signature::Format(f) => f,
        Signature::New => {
            return Err(DecodeError::at(
                0,
                crate::format::metadata::DecodeErrorKind::BadSignature {
                    found: *SIGNATURE_NEW,
                },
            ))
        }
    };
    let header = FileHeader::decode(&mut r, format)?;
    for_each_section(&mut r, &header, |info, body| -> Result<(), DecodeError> {
        decode_body(info, &header, body)
            .map(drop)
            .map_err(|e| e.in_section(info.header.tag))
    })?;
    Ok(header)
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metalogger::store::tests::real_metadata;

    #[test]
    fn the_real_image_is_valid_and_the_placeholder_is_new() {
        let image = real_metadata();
        assert!(matches!(
            check_metadata_bytes(&image),
            MetadataVerdict::Valid { version: 2, .. }
        ));
        assert_eq!(check_metadata_bytes(b"MFSM NEW"), MetadataVerdict::New);
    }

    #[test]
    fn every_truncation_is_refused() {
        let image = real_metadata();
        for len in 0..image.len() {
            let v = check_metadata_bytes(&image[..len]);
            assert!(
                matches!(v, MetadataVerdict::Invalid { .. }),
                "len {len}: {v:?}"
            );
        }
    }

    #[test]
    fn flipped_bytes_never_panic_and_body_damage_is_caught() {
        let image = real_metadata();
        let mut caught_in_body = 0;
        for at in 0..image.len() {
            let mut bad = image.clone();
            bad[at] ^= 0xFF;
            match check_metadata_bytes(&bad) {
                MetadataVerdict::Invalid { reason } if reason.starts_with("damaged") => {
                    caught_in_body += 1
                }
                _ => {}
            }
        }
        // mfsmetalogger's own check looks at 40 of these bytes; ours catches many more.
        assert!(caught_in_body > 100, "only {caught_in_body} flips caught");
    }
}
