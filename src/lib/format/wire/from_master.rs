//! Messages from the master to the metalogger (spec §2, §4, §5.2), checked as
//! `masterconn_gotpacket` checks them.
//!
//! ```text
//! NOP               0   { }                            (any payload is ignored)
//! UNKNOWN_COMMAND   1   { raw }                        (ignored, never sent)
//! BAD_COMMAND_SIZE  2   { raw }                        (ignored, never sent)
//! VERSION          11   { [msgid:u32] | version:u32 | text }   (msgid iff GET_VERSION had one)
//! METACHANGES_LOG  51   { 0xFF | version:u64 | text | 0x00 }   LOG_DATA, len >= 10
//!                       { 0x55 }                               LOG_ROTATE, len 1
//! DOWNLOAD_INFO    61   { size:u64 }                   len 8
//!                       { status:u8 }                  len 1 (0xFF: cannot open the file)
//! DOWNLOAD_DATA    63   { offset:u64 | leng:u32 | crc:u32 | data[leng] }  len 16 + leng
//! CONFIG_VALUE     81   { msgid:u32 | vleng:u8 | value[vleng] }
//! ```
//!
//! The 3.0.117 metalogger acts on 0, 1, 2, 51, 61 and 63 only, and drops the connection
//! on any other type, VERSION and CONFIG_VALUE included: that choice is the daemon's.

use super::error::{ExpectedSize, WireError, WireErrorKind};
use super::frame::{encode_frame, Frame};
use super::ids::*;
use super::payload::{bad_value_at, check_field, check_size, unknown_type, Payload};

/// First byte of a LOG_DATA payload.
pub const LOG_DATA_MARKER: u8 = 0xFF;
/// The whole payload of a LOG_ROTATE.
pub const LOG_ROTATE_MARKER: u8 = 0x55;
/// Header of a LOG_DATA payload: marker and version.
pub const LOG_DATA_HEADER_LEN: u32 = 1 + 8;
/// Shortest LOG_DATA payload: header, at least one byte (the NUL).
pub const LOG_DATA_MIN_LEN: u32 = LOG_DATA_HEADER_LEN + 1;
/// Header of a DOWNLOAD_DATA payload: offset, leng, crc.
pub const DOWNLOAD_DATA_HEADER_LEN: u32 = 8 + 4 + 4;
/// The status the master sends in a 1-byte DOWNLOAD_INFO.
pub const DOWNLOAD_INFO_ERROR: u8 = 0xFF;

/// `MATOAN_DOWNLOAD_INFO`: the layout depends on the length only.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DownloadInfo {
    /// Length 8: the file has this many bytes (0 is valid).
    Size(u64),
    /// Length 1: the master could not open the file ([`DOWNLOAD_INFO_ERROR`]; the
    /// metalogger does not look at the value).
    Error(u8),
}

/// `MATOAN_DOWNLOAD_DATA`: one block. `leng` on the wire is `data.len()`.
///
/// A wrong CRC is not a decoding error: 3.0.117 writes the block, then compares, then
/// asks again (spec §5.4), so the caller checks [`DownloadData::crc_ok`].
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct DownloadData<'a> {
    pub offset: u64,
    /// Standard CRC-32 (zlib) of `data`, as sent.
    pub crc: u32,
    pub data: &'a [u8],
}

impl<'a> DownloadData<'a> {
    /// A block with the right CRC.
    pub fn new(offset: u64, data: &'a [u8]) -> Self {
        DownloadData {
            offset,
            crc: crc32fast::hash(data),
            data,
        }
    }

    /// The CRC-32 of `data` as computed here.
    pub fn computed_crc(&self) -> u32 {
        crc32fast::hash(self.data)
    }

    /// Whether the sent CRC matches the data.
    pub fn crc_ok(&self) -> bool {
        self.computed_crc() == self.crc
    }
}

/// One message the master sends, borrowing its variable parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum FromMaster<'a> {
    /// `ANTOAN_NOP`: keep-alive. A payload, if any, is dropped when decoding.
    Nop,
    /// `ANTOAN_UNKNOWN_COMMAND`, payload kept as is.
    UnknownCommand(&'a [u8]),
    /// `ANTOAN_BAD_COMMAND_SIZE`, payload kept as is.
    BadCommandSize(&'a [u8]),
    /// `ANTOAN_VERSION`, undecoded: whether it starts with a `msgid` depends on the
    /// GET_VERSION it answers, which the frame does not say. At least 4 bytes.
    Version(&'a [u8]),
    /// `MATOAN_METACHANGES_LOG` LOG_DATA: change `version` and its record `text` (no
    /// `"<version>: "` prefix, no newline, no NUL). Decoding stops `text` at the first
    /// NUL, as the metalogger's `%s` does.
    LogData { version: u64, text: &'a [u8] },
    /// `MATOAN_METACHANGES_LOG` LOG_ROTATE: the master rotated its changelog.
    LogRotate,
    /// `MATOAN_DOWNLOAD_INFO`.
    DownloadInfo(DownloadInfo),
    /// `MATOAN_DOWNLOAD_DATA`.
    DownloadData(DownloadData<'a>),
    /// `ANTOAN_CONFIG_VALUE`: `value` is at most 255 bytes (empty if not set).
    ConfigValue { msgid: u32, value: &'a [u8] },
}

impl<'a> FromMaster<'a> {
    /// The frame `type` of this message.
    pub fn msg_type(&self) -> u32 {
        match self {
            FromMaster::Nop => ANTOAN_NOP,
            FromMaster::UnknownCommand(_) => ANTOAN_UNKNOWN_COMMAND,
            FromMaster::BadCommandSize(_) => ANTOAN_BAD_COMMAND_SIZE,
            FromMaster::Version(_) => ANTOAN_VERSION,
            FromMaster::LogData { .. } | FromMaster::LogRotate => MATOAN_METACHANGES_LOG,
            FromMaster::DownloadInfo(_) => MATOAN_DOWNLOAD_INFO,
            FromMaster::DownloadData(_) => MATOAN_DOWNLOAD_DATA,
            FromMaster::ConfigValue { .. } => ANTOAN_CONFIG_VALUE,
        }
    }

    /// Appends the whole frame to `out`. Fails, leaving `out` as it was, for a payload
    /// over [`MAX_PAYLOAD`](super::MAX_PAYLOAD), a LOG_DATA `text` holding a NUL, a
    /// VERSION shorter than 4 bytes, or a config value over 255 bytes.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let msg_type = self.msg_type();
        encode_frame(out, msg_type, |out| {
            match *self {
                FromMaster::Nop => {}
                FromMaster::UnknownCommand(raw) | FromMaster::BadCommandSize(raw) => {
                    out.extend_from_slice(raw);
                }
                FromMaster::Version(raw) => {
                    if raw.len() < 4 {
                        return Err(WireError::at(
                            msg_type,
                            super::HEADER_LEN as u64,
                            WireErrorKind::Truncated {
                                needed: 4,
                                available: raw.len() as u64,
                            },
                        ));
                    }
                    out.extend_from_slice(raw);
                }
                FromMaster::LogData { version, text } => {
                    if let Some(at) = memchr::memchr(0, text) {
                        return Err(WireError::at(
                            msg_type,
                            (super::HEADER_LEN + LOG_DATA_HEADER_LEN as usize + at) as u64,
                            WireErrorKind::BadValue {
                                field: "text (NUL byte)",
                                value: 0,
                            },
                        ));
                    }
                    out.push(LOG_DATA_MARKER);
                    out.extend_from_slice(&version.to_be_bytes());
                    out.extend_from_slice(text);
                    out.push(0);
                }
                FromMaster::LogRotate => out.push(LOG_ROTATE_MARKER),
                FromMaster::DownloadInfo(DownloadInfo::Size(size)) => {
                    out.extend_from_slice(&size.to_be_bytes());
                }
                FromMaster::DownloadInfo(DownloadInfo::Error(status)) => out.push(status),
                FromMaster::DownloadData(block) => {
                    // Longer than MAX_PAYLOAD anyway; the length check then says so.
                    let leng = u32::try_from(block.data.len()).unwrap_or(u32::MAX);
                    out.extend_from_slice(&block.offset.to_be_bytes());
                    out.extend_from_slice(&leng.to_be_bytes());
                    out.extend_from_slice(&block.crc.to_be_bytes());
                    out.extend_from_slice(block.data);
                }
                FromMaster::ConfigValue { msgid, value } => {
                    check_field(msg_type, "config value", value.len(), u8::MAX.into())?;
                    out.extend_from_slice(&msgid.to_be_bytes());
                    out.push(value.len() as u8);
                    out.extend_from_slice(value);
                }
            }
            Ok(())
        })
    }

    /// Decodes a frame from the master. Types a master does not send to a metalogger
    /// give `UnknownType`; the checks are those of the 3.0.117 metalogger, in its order
    /// (spec §4.3, §5.2, §5.4), except the ones that need the download state.
    pub fn decode(frame: &Frame<'a>) -> Result<FromMaster<'a>, WireError> {
        let mut p = Payload::new(frame);
        let msg = match frame.msg_type {
            ANTOAN_NOP => FromMaster::Nop,
            ANTOAN_UNKNOWN_COMMAND => FromMaster::UnknownCommand(frame.payload),
            ANTOAN_BAD_COMMAND_SIZE => FromMaster::BadCommandSize(frame.payload),
            ANTOAN_VERSION => {
                check_size(frame, ExpectedSize::AtLeast(4))?;
                FromMaster::Version(frame.payload)
            }
            MATOAN_METACHANGES_LOG => {
                if frame.payload == [LOG_ROTATE_MARKER] {
                    return Ok(FromMaster::LogRotate);
                }
                check_size(frame, ExpectedSize::AtLeast(LOG_DATA_MIN_LEN))?;
                let at_marker = p.offset();
                let marker = p.u8()?;
                if marker != LOG_DATA_MARKER {
                    return Err(bad_value_at(frame, at_marker, "marker", marker.into()));
                }
                let version = p.u64()?;
                let at_text = p.offset();
                let record = p.rest();
                match record.split_last() {
                    Some((0, _)) => {}
                    Some((&last, body)) => {
                        return Err(WireError::at(
                            frame.msg_type,
                            at_text + body.len() as u64,
                            WireErrorKind::MissingNul { last },
                        ));
                    }
                    // Cannot happen after the size check; treat like a cut frame.
                    None => {
                        return Err(WireError::at(
                            frame.msg_type,
                            at_text,
                            WireErrorKind::Truncated {
                                needed: 1,
                                available: 0,
                            },
                        ))
                    }
                }
                let end = memchr::memchr(0, record).unwrap_or(record.len());
                FromMaster::LogData {
                    version,
                    text: record.get(..end).unwrap_or_default(),
                }
            }
            MATOAN_DOWNLOAD_INFO => {
                check_size(frame, ExpectedSize::OneOf(&[1, 8]))?;
                if frame.payload.len() == 1 {
                    FromMaster::DownloadInfo(DownloadInfo::Error(p.u8()?))
                } else {
                    FromMaster::DownloadInfo(DownloadInfo::Size(p.u64()?))
                }
            }
            MATOAN_DOWNLOAD_DATA => {
                check_size(frame, ExpectedSize::AtLeast(DOWNLOAD_DATA_HEADER_LEN))?;
                let offset = p.u64()?;
                let at_leng = p.offset();
                let leng = p.u32()?;
                let crc = p.u32()?;
                let data = p.rest();
                if u64::from(leng) != data.len() as u64 {
                    return Err(bad_value_at(frame, at_leng, "leng", leng.into()));
                }
                FromMaster::DownloadData(DownloadData { offset, crc, data })
            }
            ANTOAN_CONFIG_VALUE => {
                check_size(frame, ExpectedSize::AtLeast(5))?;
                let msgid = p.u32()?;
                let vleng = p.u8()?;
                check_size(frame, ExpectedSize::Exactly(5 + u32::from(vleng)))?;
                FromMaster::ConfigValue {
                    msgid,
                    value: p.rest(),
                }
            }
            _ => return Err(unknown_type(frame)),
        };
        Ok(msg)
    }
}
