//! Why a changelog line was rejected, where, and what MooseFS 3.0.117 would
//! do with it.

use std::fmt;

/// How many bytes of an unknown operation name an error keeps for its message.
const OP_NAME_KEPT: usize = 16;

/// A changelog line that does not parse: what went wrong and at which byte.
///
/// The offset counts from the first byte of the slice given to
/// [`parse_line`](super::parse_line) (or to [`parse_body`](super::parse_body)
/// and [`split_id`](super::split_id)). The value is small and `Copy`: building
/// one on the replay hot path costs nothing.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct LineError {
    kind: LineErrorKind,
    offset: usize,
}

/// What exactly is wrong with a line. See [`LineError::restore_effect`] for
/// what `mfsmaster -a restore` does with each kind.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum LineErrorKind {
    /// A literal character was required (`(`, `,`, `)`, `:`, `|`, `#` ...).
    /// `found` is `None` at the end of the line.
    Expected {
        /// The byte that the grammar requires here.
        byte: u8,
        /// The byte found instead, `None` at the end of the line.
        found: Option<u8>,
    },
    /// A raw NUL, CR or LF inside a name, path or data field (MooseFS reports
    /// it as the field's terminator being expected). [`Escaped::new`] also
    /// refuses a raw `,` or `)` this way.
    ///
    /// [`Escaped::new`]: super::Escaped::new
    ForbiddenByte {
        /// The raw byte.
        byte: u8,
    },
    /// `%` not followed by two hex digits `0-9` / `A-F` (lowercase is an
    /// error).
    BadHexEscape,
    /// A NAME field decodes to more than 255 bytes.
    NameTooLong,
    /// A `u8*` / `u16*` field holds a value above its maximum.
    OutOfRange {
        /// MooseFS's name for the field.
        field: &'static str,
        /// The value after truncation to 32 bits.
        value: u32,
        /// 255 or 65535.
        max: u32,
    },
    /// The operation name is not one of the 58 that 3.0.117 accepts.
    UnknownOperation {
        /// Start of the name (up to 16 bytes, up to the first `(`).
        name: OpNamePrefix,
    },
    /// `SESADD` / `SESCHANGED`: a field starting with `0` (the session umask)
    /// is not `0` followed by three octal digits.
    BadUmask,
    /// `SNAPSHOT` gid list: a byte that is neither a digit nor `,`.
    BadGidList {
        /// The offending byte.
        byte: u8,
    },
    /// Legacy `SNAPSHOT`: the raw gid bytes are not `4 × gidcount` long
    /// (compared in 32-bit arithmetic, like MooseFS).
    GidDataLength {
        /// The gid count from the line.
        count: u32,
        /// Decoded length of the gid bytes.
        len: u32,
    },
    /// `SETACL`: the blob is not `6 × (namedusers + namedgroups)` bytes long.
    AclBlobLength {
        /// `6 × (namedusers + namedgroups)`.
        expected: u32,
        /// Decoded length of the blob.
        len: u32,
    },
    /// `SCSET`: a label count above 9 (MooseFS stops before reading the
    /// masks).
    TooManyLabels {
        /// The largest of the three counts.
        count: u8,
    },
    /// The change id is negative: the MooseFS merger treats that as the end
    /// of the file.
    NegativeId,
}

/// The first bytes of an unknown operation name, kept inline so that an error
/// never allocates.
#[derive(Clone, Copy, PartialEq, Eq)]
pub struct OpNamePrefix {
    bytes: [u8; OP_NAME_KEPT],
    len: u8,
}

/// What `mfsmaster -a restore` (3.0.117) does with a line that fails to parse.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum RestoreEffect {
    /// A parse error: the line is ignored without advancing the metadata
    /// version (the next line then normally reports a hole).
    SkipLine,
    /// The line is rejected with this MooseFS status, which is fatal for the
    /// restore (32 = MISMATCH, 6 = EINVAL). Nothing was changed.
    Fail {
        /// MooseFS status number.
        status: u8,
    },
    /// The merger stops reading this file here (negative id).
    EndOfFile,
}

impl LineError {
    pub(crate) fn new(kind: LineErrorKind, offset: usize) -> Self {
        LineError { kind, offset }
    }

    /// What went wrong.
    pub fn kind(&self) -> LineErrorKind {
        self.kind
    }

    /// Byte offset in the parsed slice where the problem was found.
    pub fn offset(&self) -> usize {
        self.offset
    }

    /// The same error with its offset moved by `by` bytes (used when a body
    /// error is reported relative to the whole line).
    #[must_use]
    pub fn shifted(self, by: usize) -> Self {
        LineError {
            kind: self.kind,
            offset: self.offset.saturating_add(by),
        }
    }

    /// What MooseFS 3.0.117 does with this line (spec §6): an unknown
    /// operation and the length checks done inside the parser are fatal
    /// statuses, a negative id ends the file, everything else skips the line.
    pub fn restore_effect(&self) -> RestoreEffect {
        match self.kind {
            LineErrorKind::UnknownOperation { .. }
            | LineErrorKind::GidDataLength { .. }
            | LineErrorKind::AclBlobLength { .. } => RestoreEffect::Fail { status: 32 },
            LineErrorKind::TooManyLabels { .. } => RestoreEffect::Fail { status: 6 },
            LineErrorKind::NegativeId => RestoreEffect::EndOfFile,
            _ => RestoreEffect::SkipLine,
        }
    }
}

impl OpNamePrefix {
    /// Keeps the operation name that starts `text`: up to the first `(` and at
    /// most 16 bytes.
    pub(crate) fn from_text(text: &[u8]) -> Self {
        let mut bytes = [0u8; OP_NAME_KEPT];
        let mut len = 0u8;
        for (slot, &b) in bytes
            .iter_mut()
            .zip(text.iter().take_while(|&&b| b != b'('))
        {
            *slot = b;
            len += 1;
        }
        OpNamePrefix { bytes, len }
    }

    /// The kept bytes.
    pub fn as_bytes(&self) -> &[u8] {
        self.bytes.get(..usize::from(self.len)).unwrap_or_default()
    }
}

impl fmt::Debug for OpNamePrefix {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "\"{}\"", self.as_bytes().escape_ascii())
    }
}

/// Writes one byte for a message: printable ASCII as is, others escaped.
struct ShownByte(u8);

impl fmt::Display for ShownByte {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "'{}'", std::ascii::escape_default(self.0))
    }
}

impl fmt::Display for LineErrorKind {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match *self {
            LineErrorKind::Expected { byte, found } => {
                write!(f, "expected {}", ShownByte(byte))?;
                match found {
                    Some(b) => write!(f, ", found {}", ShownByte(b)),
                    None => f.write_str(", found end of line"),
                }
            }
            LineErrorKind::ForbiddenByte { byte } => {
                write!(f, "raw byte {} inside an escaped field", ShownByte(byte))
            }
            LineErrorKind::BadHexEscape => {
                f.write_str("bad escape: '%' must be followed by two hex digits 0-9 A-F")
            }
            LineErrorKind::NameTooLong => f.write_str("name longer than 255 bytes"),
            LineErrorKind::OutOfRange { field, value, max } => {
                let width = if max == u32::from(u8::MAX) {
                    "u8"
                } else {
                    "u16"
                };
                write!(f, "value {value} out of range for {width} field '{field}'")
            }
            LineErrorKind::UnknownOperation { name } => {
                write!(f, "unknown operation '{}'", name.as_bytes().escape_ascii())
            }
            LineErrorKind::BadUmask => {
                f.write_str("bad session umask ('0' and three octal digits expected)")
            }
            LineErrorKind::BadGidList { byte } => {
                write!(
                    f,
                    "number or ',' expected in gid list, found {}",
                    ShownByte(byte)
                )
            }
            LineErrorKind::GidDataLength { count, len } => write!(
                f,
                "snapshot gid data is {len} bytes, 4 x {count} expected (status 32)"
            ),
            LineErrorKind::AclBlobLength { expected, len } => {
                write!(
                    f,
                    "ACL blob is {len} bytes, {expected} expected (status 32)"
                )
            }
            LineErrorKind::TooManyLabels { count } => {
                write!(f, "{count} labels in a storage class, at most 9 (status 6)")
            }
            LineErrorKind::NegativeId => f.write_str("negative change id"),
        }
    }
}

impl fmt::Display for LineError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} at byte {}", self.kind, self.offset)
    }
}

impl std::error::Error for LineError {}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn messages_name_the_problem_and_the_offset() {
        let e = LineError::new(
            LineErrorKind::Expected {
                byte: b',',
                found: Some(b'x'),
            },
            17,
        );
        assert_eq!(e.to_string(), "expected ',', found 'x' at byte 17");
        let e = LineError::new(
            LineErrorKind::OutOfRange {
                field: "type",
                value: 300,
                max: 255,
            },
            9,
        );
        assert_eq!(
            e.to_string(),
            "value 300 out of range for u8 field 'type' at byte 9"
        );
        let e = LineError::new(
            LineErrorKind::UnknownOperation {
                name: OpNamePrefix::from_text(b"FOO(1)"),
            },
            11,
        );
        assert_eq!(e.to_string(), "unknown operation 'FOO' at byte 11");
        assert_eq!(e.restore_effect(), RestoreEffect::Fail { status: 32 });
    }

    #[test]
    fn long_unknown_names_are_cut() {
        let p = OpNamePrefix::from_text(b"ABCDEFGHIJKLMNOPQRSTUVWXYZ(");
        assert_eq!(p.as_bytes(), b"ABCDEFGHIJKLMNOP");
    }
}
