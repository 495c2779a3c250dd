//! The master ⇄ metalogger messages of MooseFS 3.0.117 (spec `metalogger-protocol.md`),
//! as a pure codec: bytes in, typed messages out, and back. No sockets, no timers, no
//! state: what to do with a message (and which ones the stock metalogger refuses) is the
//! daemon's business.
//!
//! Every frame is
//!
//! ```text
//! frame = { type:u32 | length:u32 | payload:[u8; length] }   big-endian, length <= 1 500 000
//! ```
//!
//! Reading a stream: keep the bytes received so far in one buffer, call
//! [`decode_frame`] on it, and on [`FrameStatus::Complete`] decode the frame with
//! [`FromMaster::decode`] (metalogger side) or [`ToMaster::decode`] (master side), then
//! drop [`Frame::wire_len`] bytes from the buffer. On [`FrameStatus::NeedMore`] read more.
//! An error is final for the connection, as it is in MooseFS.
//!
//! Writing: [`ToMaster::encode`] / [`FromMaster::encode`] append one whole frame to a
//! `Vec<u8>`.

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

mod error;
mod frame;
mod from_master;
pub mod ids;
mod payload;
mod to_master;
mod version;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests;

pub use error::{ExpectedSize, WireError, WireErrorKind};
pub use frame::{
    decode_frame, Frame, FrameStatus, Frames, HEADER_LEN, LENGTH_OFFSET, MAX_PAYLOAD, TYPE_OFFSET,
};
pub use from_master::{
    DownloadData, DownloadInfo, FromMaster, DOWNLOAD_DATA_HEADER_LEN, DOWNLOAD_INFO_ERROR,
    LOG_DATA_HEADER_LEN, LOG_DATA_MARKER, LOG_DATA_MIN_LEN, LOG_ROTATE_MARKER,
};
pub use to_master::{
    FileNum, Register, ToMaster, DOWNLOAD_BLOCK, DOWNLOAD_REQUEST_LEN, REGISTER_FRESH_LEN,
    REGISTER_RESUME_LEN, RVER_FRESH, RVER_RESUME,
};
pub use version::Version;
