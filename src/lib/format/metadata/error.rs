//! Decoding errors: where (section, absolute byte offset) and what.

use std::fmt;

use super::section::Tag;

/// A metadata file could not be decoded.
///
/// `offset` is the absolute byte offset in the file where the bad or missing data starts;
/// `section` is the section being read, if any. The file name is added by the caller
/// (this module never opens files).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct DecodeError {
    pub section: Option<Tag>,
    pub offset: u64,
    pub kind: DecodeErrorKind,
}

/// What was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum DecodeErrorKind {
    /// The data ends before a field that must be there.
    Truncated { needed: u64, available: u64 },
    /// The first 8 bytes are not a MooseFS metadata signature.
    BadSignature { found: [u8; 8] },
    /// The file does not end with the end marker (or 16 zero bytes for old formats).
    WrongEnding,
    /// A section header names a tag this version does not know.
    UnknownSection,
    /// A section version this decoder cannot read (newer than 3.0.117, or removed).
    UnsupportedSectionVersion { version: u8 },
    /// A section's body is not as long as its header says.
    LengthMismatch { declared: u64, consumed: u64 },
    /// A field holds a value the format does not allow.
    BadValue { field: &'static str, value: u64 },
    /// Bytes after the end marker.
    TrailingData { len: u64 },
}

impl DecodeError {
    pub fn at(offset: u64, kind: DecodeErrorKind) -> Self {
        DecodeError {
            section: None,
            offset,
            kind,
        }
    }

    pub fn bad_value(offset: u64, field: &'static str, value: u64) -> Self {
        Self::at(offset, DecodeErrorKind::BadValue { field, value })
    }

    /// Attaches the section being read, unless one is already set.
    pub fn in_section(mut self, tag: Tag) -> Self {
        self.section.get_or_insert(tag);
        self
    }
}

impl fmt::Display for DecodeError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self.section {
            Some(tag) => write!(f, "section {tag}, byte {}: ", self.offset)?,
            None => write!(f, "byte {}: ", self.offset)?,
        }
        match &self.kind {
            DecodeErrorKind::Truncated { needed, available } => {
                write!(f, "truncated: need {needed} bytes, only {available} left")
            }
            DecodeErrorKind::BadSignature { found } => {
                write!(
                    f,
                    "not a MooseFS metadata file (signature {})",
                    found.escape_ascii()
                )
            }
            DecodeErrorKind::WrongEnding => write!(f, "file does not end with the end marker"),
            DecodeErrorKind::UnknownSection => write!(f, "unknown section"),
            DecodeErrorKind::UnsupportedSectionVersion { version } => {
                write!(
                    f,
                    "unsupported section version {}.{}",
                    version >> 4,
                    version & 15
                )
            }
            DecodeErrorKind::LengthMismatch { declared, consumed } => write!(
                f,
                "section length is {declared} bytes but its records take {consumed} bytes"
            ),
            DecodeErrorKind::BadValue { field, value } => {
                write!(f, "invalid {field} ({value})")
            }
            DecodeErrorKind::TrailingData { len } => {
                write!(f, "{len} bytes of data after the end marker")
            }
        }
    }
}

impl std::error::Error for DecodeError {}
