//! The file header: `{ signature:[u8; 8] | … }`.
//!
//! * `MFSM NEW` (the whole file may be these 8 bytes): an empty file system.
//! * `MFSM X.Y` with X in 1..=9, Y in 0..=9: file format `0xXY`.
//!   - format ≥ 2.0: `{ version:u64 | metaid:u64 }`;
//!   - older: `{ maxnodeid:u32 | version:u64 | nextsessionid:u32 }` (metaid 0).

use super::error::{DecodeError, DecodeErrorKind};
use super::reader::Reader;

/// Signature of an empty file system placeholder.
pub const SIGNATURE_NEW: &[u8; 8] = b"MFSM NEW";
/// Signature written by 3.0.117.
pub const SIGNATURE_CURRENT: &[u8; 8] = b"MFSM 2.0";
/// File format written by 3.0.117.
pub const FORMAT_CURRENT: u8 = 0x20;
/// First file format with sections and an end marker.
pub const FORMAT_SECTIONS: u8 = 0x16;
/// First format whose node list starts with its `maxnodeid`/`nodecount` header (2.0);
/// before it the list is read in its old form whatever its section version says.
pub const FORMAT_NODE_HEADER: u8 = 0x20;
/// Length of signature plus header.
pub const HEADER_LEN: u64 = 24;

/// What the first 8 bytes say.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Signature {
    /// `MFSM NEW`.
    New,
    /// `MFSM X.Y`, as `0xXY`.
    Format(u8),
}

impl Signature {
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let at = r.offset();
        let sig: [u8; 8] = r.array()?;
        if &sig == SIGNATURE_NEW {
            return Ok(Signature::New);
        }
        match sig {
            [b'M', b'F', b'S', b'M', b' ', x @ b'1'..=b'9', b'.', y @ b'0'..=b'9'] => {
                Ok(Signature::Format(((x - b'0') << 4) | (y - b'0')))
            }
            found => Err(DecodeError::at(at, DecodeErrorKind::BadSignature { found })),
        }
    }
}

/// Header fields of a formatted file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FileHeader {
    /// File format (`0x20` for `MFSM 2.0`).
    pub format: u8,
    /// Metadata version: the id of the next change.
    pub version: u64,
    /// Metadata id (0 = not assigned; always 0 before format 2.0).
    pub meta_id: u64,
    /// Fields only formats before 2.0 keep in the header.
    pub legacy: Option<LegacyHeader>,
}

/// Header fields of formats before 2.0.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LegacyHeader {
    pub max_node_id: u32,
    pub next_session_id: u32,
}

impl FileHeader {
    /// Reads the 16 bytes after the signature.
    pub fn decode(r: &mut Reader<'_>, format: u8) -> Result<Self, DecodeError> {
        if format >= FORMAT_CURRENT {
            Ok(FileHeader {
                format,
                version: r.u64()?,
                meta_id: r.u64()?,
                legacy: None,
            })
        } else {
            let max_node_id = r.u32()?;
            let version = r.u64()?;
            let next_session_id = r.u32()?;
            Ok(FileHeader {
                format,
                version,
                meta_id: 0,
                legacy: Some(LegacyHeader {
                    max_node_id,
                    next_session_id,
                }),
            })
        }
    }

    /// The 16 bytes after `MFSM 2.0`.
    pub fn encode_current(version: u64, meta_id: u64) -> [u8; 16] {
        let mut out = [0u8; 16];
        let (v, id) = out.split_at_mut(8);
        v.copy_from_slice(&version.to_be_bytes());
        id.copy_from_slice(&meta_id.to_be_bytes());
        out
    }
}
