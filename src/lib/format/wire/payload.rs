//! A bounds-checked big-endian cursor over one frame's payload, and the size checks
//! every message decoder starts with.

use super::error::{ExpectedSize, WireError, WireErrorKind};
use super::frame::{Frame, HEADER_LEN};

/// A cursor over a payload. Offsets in its errors count from the start of the frame.
pub(super) struct Payload<'a> {
    msg_type: u32,
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Payload<'a> {
    pub(super) fn new(frame: &Frame<'a>) -> Self {
        Payload {
            msg_type: frame.msg_type,
            buf: frame.payload,
            pos: 0,
        }
    }

    /// Frame offset of the next byte.
    pub(super) fn offset(&self) -> u64 {
        (HEADER_LEN + self.pos) as u64
    }

    pub(super) fn error(&self, kind: WireErrorKind) -> WireError {
        WireError::at(self.msg_type, self.offset(), kind)
    }

    /// The next `len` bytes.
    pub(super) fn bytes(&mut self, len: usize) -> Result<&'a [u8], WireError> {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        match rest.get(..len) {
            Some(out) => {
                self.pos += len;
                Ok(out)
            }
            None => Err(self.error(WireErrorKind::Truncated {
                needed: len as u64,
                available: rest.len() as u64,
            })),
        }
    }

    /// Everything left.
    pub(super) fn rest(&mut self) -> &'a [u8] {
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        self.pos = self.buf.len();
        rest
    }

    fn array<const N: usize>(&mut self) -> Result<[u8; N], WireError> {
        let bytes = self.bytes(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    pub(super) fn u8(&mut self) -> Result<u8, WireError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    pub(super) fn u16(&mut self) -> Result<u16, WireError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    pub(super) fn u32(&mut self) -> Result<u32, WireError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    pub(super) fn u64(&mut self) -> Result<u64, WireError> {
        Ok(u64::from_be_bytes(self.array()?))
    }
}

/// The payload length as a header `length`. Frames from [`decode_frame`](super::decode_frame)
/// are at most [`MAX_PAYLOAD`](super::MAX_PAYLOAD) long; a hand-made [`Frame`] may not be.
fn length(frame: &Frame<'_>) -> u32 {
    u32::try_from(frame.payload.len()).unwrap_or(u32::MAX)
}

/// Fails with `WrongSize` unless `ok(length)`.
pub(super) fn check_size(frame: &Frame<'_>, expected: ExpectedSize) -> Result<(), WireError> {
    let length = length(frame);
    let ok = match expected {
        ExpectedSize::Exactly(n) => length == n,
        ExpectedSize::AtLeast(n) => length >= n,
        ExpectedSize::OneOf(list) => list.contains(&length),
    };
    if ok {
        Ok(())
    } else {
        Err(WireError::at(
            frame.msg_type,
            super::frame::LENGTH_OFFSET as u64,
            WireErrorKind::WrongSize { length, expected },
        ))
    }
}

/// Fails with `FieldTooLong` if `len > max`; otherwise `len` fits the prefix type.
pub(super) fn check_field(
    msg_type: u32,
    field: &'static str,
    len: usize,
    max: u64,
) -> Result<(), WireError> {
    if len as u64 > max {
        Err(WireError::at(
            msg_type,
            HEADER_LEN as u64,
            WireErrorKind::FieldTooLong {
                field,
                len: len as u64,
                max,
            },
        ))
    } else {
        Ok(())
    }
}

/// `BadValue` for the field at frame offset `offset`.
pub(super) fn bad_value_at(
    frame: &Frame<'_>,
    offset: u64,
    field: &'static str,
    value: u64,
) -> WireError {
    WireError::at(
        frame.msg_type,
        offset,
        WireErrorKind::BadValue { field, value },
    )
}

/// `UnknownType`, pointing at the `type` field.
pub(super) fn unknown_type(frame: &Frame<'_>) -> WireError {
    WireError::at(
        frame.msg_type,
        super::frame::TYPE_OFFSET as u64,
        WireErrorKind::UnknownType,
    )
}
