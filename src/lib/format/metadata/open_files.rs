//! `OPEN` — open-file relations.
//!
//! Body (1.0 only): `{ { sessionid:u32 | inode:u32 }* | terminator:[0u8; 8] }`.
//! A record with exactly one of the two fields 0 is invalid.

use super::encoder::Encoder;
use super::error::{DecodeError, DecodeErrorKind};
use super::reader::Reader;
use super::section::SectionVersion;

/// The only version.
pub const VERSION: SectionVersion = 0x10;

/// Session `session` has inode `inode` open.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct OpenFile {
    pub session: u32,
    pub inode: u32,
}

/// Decodes an `OPEN` body.
pub fn decode(r: &mut Reader<'_>, version: SectionVersion) -> Result<Vec<OpenFile>, DecodeError> {
    if version != VERSION {
        return Err(DecodeError::at(
            r.offset(),
            DecodeErrorKind::UnsupportedSectionVersion { version },
        ));
    }
    let mut out = Vec::new();
    loop {
        let at = r.offset();
        let session = r.u32()?;
        let inode = r.u32()?;
        match (session, inode) {
            (0, 0) => return Ok(out),
            (0, _) => return Err(DecodeError::bad_value(at, "open file session id", 0)),
            (_, 0) => return Err(DecodeError::bad_value(at + 4, "open file inode", 0)),
            _ => out.push(OpenFile { session, inode }),
        }
    }
}

/// One relation, one call.
pub fn encode_open_file(e: &mut Encoder, o: &OpenFile) {
    e.call(|out| {
        out.extend_from_slice(&o.session.to_be_bytes());
        out.extend_from_slice(&o.inode.to_be_bytes());
    });
}

/// The terminator.
pub fn encode_end(e: &mut Encoder) {
    e.put(&[0u8; 8]);
}

/// Writes a whole `OPEN` body.
pub fn encode(e: &mut Encoder, open: &[OpenFile]) {
    for o in open {
        encode_open_file(e, o);
    }
    encode_end(e);
}
