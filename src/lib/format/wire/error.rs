//! Errors of the wire codec: which message, where in its frame, and what.

use std::fmt;

/// A frame or message that cannot be decoded, or a message that cannot be encoded.
///
/// `offset` counts from the first byte of the frame header, so the payload starts at
/// [`HEADER_LEN`](super::HEADER_LEN). The position of the frame in the TCP stream is the
/// caller's to add (this module never sees a socket).
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct WireError {
    /// The frame's `type` field.
    pub msg_type: u32,
    /// Byte offset in the frame (header included) where the bad data starts.
    pub offset: u64,
    pub kind: WireErrorKind,
}

/// The payload lengths a message type allows.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ExpectedSize {
    /// Exactly this many bytes.
    Exactly(u32),
    /// One of these lengths (`MATOAN_DOWNLOAD_INFO`: 1 or 8).
    OneOf(&'static [u32]),
    /// At least this many bytes.
    AtLeast(u32),
}

/// What was wrong.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum WireErrorKind {
    /// The header's `length` is over the limit both MooseFS ends apply
    /// ([`MAX_PAYLOAD`](super::MAX_PAYLOAD)); the connection cannot go on, because the
    /// frame is not skipped. Also returned when encoding a message that long.
    PacketTooLong { length: u64, max: u32 },
    /// A `type` that this direction of the connection does not carry.
    UnknownType,
    /// The payload length does not fit the message type.
    WrongSize { length: u32, expected: ExpectedSize },
    /// A field holds a value the protocol does not allow.
    BadValue { field: &'static str, value: u64 },
    /// A `MATOAN_METACHANGES_LOG` change record whose last byte is not the NUL.
    MissingNul { last: u8 },
    /// The payload ends before a field (only after a length check that should have caught it).
    Truncated { needed: u64, available: u64 },
    /// Encoding: a field is longer than its length prefix can say.
    FieldTooLong {
        field: &'static str,
        len: u64,
        max: u64,
    },
}

impl WireError {
    pub fn at(msg_type: u32, offset: u64, kind: WireErrorKind) -> Self {
        WireError {
            msg_type,
            offset,
            kind,
        }
    }
}

impl fmt::Display for ExpectedSize {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            ExpectedSize::Exactly(n) => write!(f, "{n}"),
            ExpectedSize::AtLeast(n) => write!(f, "at least {n}"),
            ExpectedSize::OneOf(list) => {
                for (i, n) in list.iter().enumerate() {
                    if i > 0 {
                        f.write_str("|")?;
                    }
                    write!(f, "{n}")?;
                }
                Ok(())
            }
        }
    }
}

impl fmt::Display for WireError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "message type {}, byte {}: ", self.msg_type, self.offset)?;
        match &self.kind {
            WireErrorKind::PacketTooLong { length, max } => {
                write!(f, "packet too long ({length}/{max})")
            }
            WireErrorKind::UnknownType => write!(f, "unknown message type"),
            WireErrorKind::WrongSize { length, expected } => {
                write!(f, "wrong size ({length} bytes, expected {expected})")
            }
            WireErrorKind::BadValue { field, value } => write!(f, "invalid {field} ({value})"),
            WireErrorKind::MissingNul { last } => {
                write!(
                    f,
                    "change record does not end with NUL (last byte 0x{last:02X})"
                )
            }
            WireErrorKind::Truncated { needed, available } => {
                write!(f, "truncated: need {needed} bytes, only {available} left")
            }
            WireErrorKind::FieldTooLong { field, len, max } => {
                write!(f, "{field} is {len} bytes, at most {max} fit")
            }
        }
    }
}

impl std::error::Error for WireError {}
