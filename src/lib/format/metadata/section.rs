//! Section framing: `{ tag:[u8;4] | " M.m":[u8;4] | length:u64 | body:[u8; length] }`.
//!
//! A length of all-ones means "unknown" (the writer could not seek back to patch it);
//! the body then ends wherever its records end.

use std::fmt;

use super::error::DecodeError;
use super::reader::Reader;

/// Size of a section header.
pub const SECTION_HEADER_LEN: u64 = 16;
/// The length value of a section whose length was never patched.
pub const UNKNOWN_LENGTH: u64 = u64::MAX;
/// The 16 bytes that end a metadata file in format 1.6 and later.
pub const END_MARKER: &[u8; 16] = b"[MFS EOF MARKER]";

/// A 4-byte ASCII section tag.
#[derive(Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct Tag(pub [u8; 4]);

impl Tag {
    pub const SESS: Tag = Tag(*b"SESS");
    pub const SCLA: Tag = Tag(*b"SCLA");
    /// Old name of `SCLA`, still accepted.
    pub const LABS: Tag = Tag(*b"LABS");
    pub const NODE: Tag = Tag(*b"NODE");
    pub const EDGE: Tag = Tag(*b"EDGE");
    pub const FREE: Tag = Tag(*b"FREE");
    pub const QUOT: Tag = Tag(*b"QUOT");
    pub const XATR: Tag = Tag(*b"XATR");
    pub const PACL: Tag = Tag(*b"PACL");
    pub const OPEN: Tag = Tag(*b"OPEN");
    pub const FLCK: Tag = Tag(*b"FLCK");
    pub const PLCK: Tag = Tag(*b"PLCK");
    pub const CSDB: Tag = Tag(*b"CSDB");
    pub const CHNK: Tag = Tag(*b"CHNK");
}

impl fmt::Display for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}", self.0.escape_ascii())
    }
}

impl fmt::Debug for Tag {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "Tag({self})")
    }
}

/// A section version `M.m` as one byte `0xMm` (e.g. `" 1.4"` is `0x14`).
pub type SectionVersion = u8;

/// The version field text for a version byte, as the writer emits it.
pub fn version_field(version: SectionVersion) -> [u8; 4] {
    [b' ', b'0' + (version >> 4), b'.', b'0' + (version & 0xF)]
}

/// A decoded section header.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionHeader {
    pub tag: Tag,
    /// The 4 version bytes as stored (`" 1.4"`).
    pub version_field: [u8; 4],
    /// Body length, `None` when stored as all-ones (unknown).
    pub length: Option<u64>,
    /// Absolute offset of the header.
    pub offset: u64,
}

impl SectionHeader {
    /// The version byte. Like MooseFS, each digit is taken as `(byte - '0') & 0xF` and the
    /// space and the dot are not looked at.
    pub fn version(&self) -> SectionVersion {
        let [_, major, _, minor] = self.version_field;
        ((major.wrapping_sub(b'0') & 0xF) << 4) | (minor.wrapping_sub(b'0') & 0xF)
    }

    /// Reads a header (after the caller has checked it is not the end marker).
    pub fn decode(r: &mut Reader<'_>) -> Result<Self, DecodeError> {
        let offset = r.offset();
        let tag = Tag(r.array()?);
        let version_field: [u8; 4] = r.array()?;
        let raw_len = r.u64()?;
        let length = (raw_len != UNKNOWN_LENGTH).then_some(raw_len);
        Ok(SectionHeader {
            tag,
            version_field,
            length,
            offset,
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn version_digits() {
        let h = SectionHeader {
            tag: Tag::NODE,
            version_field: *b" 1.4",
            length: Some(0),
            offset: 0,
        };
        assert_eq!(h.version(), 0x14);
        assert_eq!(version_field(0x14), *b" 1.4");
    }
}
