//! Frames: `{ type:u32 | length:u32 | payload:[u8; length] }`, all big-endian
//! (spec `metalogger-protocol.md` §1.1).
//!
//! [`decode_frame`] is the streaming half: give it whatever bytes have come from the
//! socket so far, from the start of a frame, and it answers with one whole frame
//! (borrowed), with how many more bytes it needs at least, or with an error for a
//! `length` over [`MAX_PAYLOAD`]. It never consumes anything itself: the caller drops
//! [`Frame::wire_len`] bytes from its buffer after using the frame, so any split of the
//! stream into reads gives the same frames.

use super::error::{WireError, WireErrorKind};

/// Offset of `type` in the header.
pub const TYPE_OFFSET: usize = 0;
/// Offset of `length` in the header.
pub const LENGTH_OFFSET: usize = TYPE_OFFSET + 4;
/// Size of the header; the payload starts here.
pub const HEADER_LEN: usize = LENGTH_OFFSET + 4;
/// Largest payload either end accepts: `ANTOMA_MAXPACKETSIZE` = `MATOAN_MAXPACKETSIZE`
/// = 1 500 000 (`mfscommon/MFSCommunication.h`). A longer `length` makes the 3.0.117
/// metalogger log `Master packet too long` and drop the connection, and the master does
/// the same to a metalogger.
pub const MAX_PAYLOAD: u32 = 1_500_000;

/// One frame, its payload borrowed from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Frame<'a> {
    pub msg_type: u32,
    pub payload: &'a [u8],
}

/// What [`decode_frame`] found at the start of the buffer.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FrameStatus<'a> {
    /// A whole frame; it takes [`Frame::wire_len`] bytes of the buffer.
    Complete(Frame<'a>),
    /// The buffer holds a frame's beginning only: at least this many more bytes (never 0)
    /// are needed. Before the header is whole this counts up to the end of the header.
    NeedMore(usize),
}

impl<'a> Frame<'a> {
    pub fn new(msg_type: u32, payload: &'a [u8]) -> Self {
        Frame { msg_type, payload }
    }

    /// Bytes this frame takes on the wire: header and payload.
    pub fn wire_len(&self) -> usize {
        HEADER_LEN + self.payload.len()
    }

    /// Appends header and payload to `out`. Fails, leaving `out` as it was, if the
    /// payload is longer than [`MAX_PAYLOAD`].
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let length = check_payload_len(self.msg_type, self.payload.len())?;
        out.reserve(self.wire_len());
        put_header(out, self.msg_type, length);
        out.extend_from_slice(self.payload);
        Ok(())
    }
}

/// `len` as a header `length`, if it is within [`MAX_PAYLOAD`].
pub(super) fn check_payload_len(msg_type: u32, len: usize) -> Result<u32, WireError> {
    match u32::try_from(len) {
        Ok(n) if n <= MAX_PAYLOAD => Ok(n),
        _ => Err(WireError::at(
            msg_type,
            LENGTH_OFFSET as u64,
            WireErrorKind::PacketTooLong {
                length: len as u64,
                max: MAX_PAYLOAD,
            },
        )),
    }
}

/// Appends a header; the payload must follow.
pub(super) fn put_header(out: &mut Vec<u8>, msg_type: u32, length: u32) {
    out.extend_from_slice(&msg_type.to_be_bytes());
    out.extend_from_slice(&length.to_be_bytes());
}

/// Reads one frame from the start of `buf` (see the module docs). Only the header's
/// `length` is checked; the payload is checked by the message decoders.
pub fn decode_frame(buf: &[u8]) -> Result<FrameStatus<'_>, WireError> {
    let Some((header, rest)) = buf.split_first_chunk::<HEADER_LEN>() else {
        return Ok(FrameStatus::NeedMore(HEADER_LEN - buf.len()));
    };
    let (type_bytes, length_bytes) = header.split_at(LENGTH_OFFSET);
    let msg_type = u32::from_be_bytes(be4(type_bytes));
    let length = u32::from_be_bytes(be4(length_bytes));
    if length > MAX_PAYLOAD {
        return Err(WireError::at(
            msg_type,
            LENGTH_OFFSET as u64,
            WireErrorKind::PacketTooLong {
                length: u64::from(length),
                max: MAX_PAYLOAD,
            },
        ));
    }
    // length <= MAX_PAYLOAD, so it fits in usize.
    let length = length as usize;
    match rest.get(..length) {
        Some(payload) => Ok(FrameStatus::Complete(Frame { msg_type, payload })),
        None => Ok(FrameStatus::NeedMore(length - rest.len())),
    }
}

fn be4(bytes: &[u8]) -> [u8; 4] {
    let mut out = [0u8; 4];
    out.copy_from_slice(bytes);
    out
}

/// The frames of a buffer that holds a stream from a frame boundary on, in order.
///
/// Stops at the first incomplete frame (see [`Frames::consumed`] for where the rest
/// starts) or after the first error (which it yields once).
#[derive(Clone, Debug)]
pub struct Frames<'a> {
    buf: &'a [u8],
    pos: usize,
    done: bool,
}

impl<'a> Frames<'a> {
    pub fn new(buf: &'a [u8]) -> Self {
        Frames {
            buf,
            pos: 0,
            done: false,
        }
    }

    /// Bytes taken by the frames yielded so far: the caller keeps `buf[consumed..]`.
    pub fn consumed(&self) -> usize {
        self.pos
    }
}

impl<'a> Iterator for Frames<'a> {
    type Item = Result<Frame<'a>, WireError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        let rest = self.buf.get(self.pos..).unwrap_or_default();
        match decode_frame(rest) {
            Ok(FrameStatus::Complete(frame)) => {
                self.pos += frame.wire_len();
                Some(Ok(frame))
            }
            Ok(FrameStatus::NeedMore(_)) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Appends one frame whose payload `write_payload` appends, then sets its `length`.
/// On any error (from `write_payload`, or a payload over [`MAX_PAYLOAD`]) `out` is left
/// as it was.
pub(super) fn encode_frame(
    out: &mut Vec<u8>,
    msg_type: u32,
    write_payload: impl FnOnce(&mut Vec<u8>) -> Result<(), WireError>,
) -> Result<(), WireError> {
    let start = out.len();
    put_header(out, msg_type, 0);
    let result = write_payload(out).and_then(|()| {
        let len = out.len() - start - HEADER_LEN;
        check_payload_len(msg_type, len)
    });
    match result {
        Ok(length) => {
            let at = start + LENGTH_OFFSET;
            if let Some(field) = out.get_mut(at..at + 4) {
                field.copy_from_slice(&length.to_be_bytes());
            }
            Ok(())
        }
        Err(e) => {
            out.truncate(start);
            Err(e)
        }
    }
}
