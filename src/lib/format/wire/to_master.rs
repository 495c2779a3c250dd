//! Messages from the metalogger to the master (spec §2, §3, §5.2), checked as
//! `matomlserv_gotpacket` checks them.
//!
//! ```text
//! NOP               0   { }                       (any payload is ignored)
//! UNKNOWN_COMMAND   1   { raw }                   (ignored, never sent)
//! BAD_COMMAND_SIZE  2   { raw }                   (ignored, never sent)
//! GET_VERSION      10   { } | { msgid:u32 }
//! REGISTER         50   { rver:u8 = 1 | version:u32 | timeout:u16 }                     len 7
//!                       { rver:u8 = 2 | version:u32 | timeout:u16 | first_wanted:u64 }  len 15
//! DOWNLOAD_START   60   { filenum:u8 }            filenum 1, 2, 11 or 12
//! DOWNLOAD_REQUEST 62   { offset:u64 | leng:u32 }
//! DOWNLOAD_END     64   { }
//! GET_CONFIG       80   { msgid:u32 | nleng:u8 | name[nleng] }
//! ```

use super::error::{ExpectedSize, WireError};
use super::frame::{encode_frame, Frame};
use super::ids::*;
use super::payload::{bad_value_at, check_field, check_size, unknown_type, Payload};
use super::version::Version;

/// `rver` of a first registration (no changes wanted from the past).
pub const RVER_FRESH: u8 = 1;
/// `rver` of a registration that asks for the changes from `first_wanted` on.
pub const RVER_RESUME: u8 = 2;
/// Payload length of an rver 1 REGISTER.
pub const REGISTER_FRESH_LEN: u32 = 1 + 4 + 2;
/// Payload length of an rver 2 REGISTER.
pub const REGISTER_RESUME_LEN: u32 = REGISTER_FRESH_LEN + 8;
/// Payload length of DOWNLOAD_REQUEST.
pub const DOWNLOAD_REQUEST_LEN: u32 = 8 + 4;
/// Largest block the 3.0.117 metalogger asks for (`META_DL_BLOCK`); the codec does not
/// enforce it.
pub const DOWNLOAD_BLOCK: u32 = 1_000_000;

/// `ANTOMA_REGISTER`: rver 1 if `first_wanted` is `None`, else rver 2.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Register {
    /// The metalogger's own version ([`Version::V3_0_117`]).
    pub version: Version,
    /// `MASTER_TIMEOUT` in seconds; the master uses it both ways.
    pub timeout: u16,
    /// `lastlogversion + 1`: the first change still needed (rver 2 only).
    pub first_wanted: Option<u64>,
}

impl Register {
    /// The `rver` byte this registration is sent with.
    pub fn rver(&self) -> u8 {
        match self.first_wanted {
            None => RVER_FRESH,
            Some(_) => RVER_RESUME,
        }
    }
}

/// Which master file a download is for (spec §5.1).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum FileNum {
    /// `metadata.mfs.back`.
    Metadata = 1,
    /// `sessions.mfs` (legacy; the 3.0.117 metalogger never asks for it).
    Sessions = 2,
    /// `changelog.0.mfs`, as opened by the last `START(1)`.
    Changelog0 = 11,
    /// `changelog.1.mfs`, as opened by the last `START(1)`.
    Changelog1 = 12,
}

impl FileNum {
    pub fn from_u8(value: u8) -> Option<FileNum> {
        match value {
            1 => Some(FileNum::Metadata),
            2 => Some(FileNum::Sessions),
            11 => Some(FileNum::Changelog0),
            12 => Some(FileNum::Changelog1),
            _ => None,
        }
    }
}

/// One message the metalogger sends, borrowing its variable parts.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum ToMaster<'a> {
    /// `ANTOAN_NOP`: keep-alive. A payload, if any, is dropped when decoding.
    Nop,
    /// `ANTOAN_UNKNOWN_COMMAND`, payload kept as is.
    UnknownCommand(&'a [u8]),
    /// `ANTOAN_BAD_COMMAND_SIZE`, payload kept as is.
    BadCommandSize(&'a [u8]),
    /// `ANTOAN_GET_VERSION`, with or without a `msgid` to echo.
    GetVersion { msgid: Option<u32> },
    /// `ANTOMA_REGISTER`.
    Register(Register),
    /// `ANTOMA_DOWNLOAD_START`.
    DownloadStart(FileNum),
    /// `ANTOMA_DOWNLOAD_REQUEST`: `leng` bytes from `offset` of the open file.
    DownloadRequest { offset: u64, leng: u32 },
    /// `ANTOMA_DOWNLOAD_END`.
    DownloadEnd,
    /// `ANTOAN_GET_CONFIG`: `name` is at most 255 bytes.
    GetConfig { msgid: u32, name: &'a [u8] },
}

impl<'a> ToMaster<'a> {
    /// The frame `type` of this message.
    pub fn msg_type(&self) -> u32 {
        match self {
            ToMaster::Nop => ANTOAN_NOP,
            ToMaster::UnknownCommand(_) => ANTOAN_UNKNOWN_COMMAND,
            ToMaster::BadCommandSize(_) => ANTOAN_BAD_COMMAND_SIZE,
            ToMaster::GetVersion { .. } => ANTOAN_GET_VERSION,
            ToMaster::Register(_) => ANTOMA_REGISTER,
            ToMaster::DownloadStart(_) => ANTOMA_DOWNLOAD_START,
            ToMaster::DownloadRequest { .. } => ANTOMA_DOWNLOAD_REQUEST,
            ToMaster::DownloadEnd => ANTOMA_DOWNLOAD_END,
            ToMaster::GetConfig { .. } => ANTOAN_GET_CONFIG,
        }
    }

    /// Appends the whole frame to `out`. Fails, leaving `out` as it was, only for a
    /// config name over 255 bytes or a raw payload over
    /// [`MAX_PAYLOAD`](super::MAX_PAYLOAD); the messages the metalogger sends in
    /// normal operation always encode.
    pub fn encode(&self, out: &mut Vec<u8>) -> Result<(), WireError> {
        let msg_type = self.msg_type();
        encode_frame(out, msg_type, |out| {
            match *self {
                ToMaster::Nop | ToMaster::DownloadEnd => {}
                ToMaster::UnknownCommand(raw) | ToMaster::BadCommandSize(raw) => {
                    out.extend_from_slice(raw);
                }
                ToMaster::GetVersion { msgid } => {
                    if let Some(msgid) = msgid {
                        out.extend_from_slice(&msgid.to_be_bytes());
                    }
                }
                ToMaster::Register(r) => {
                    out.push(r.rver());
                    out.extend_from_slice(&r.version.0.to_be_bytes());
                    out.extend_from_slice(&r.timeout.to_be_bytes());
                    if let Some(first) = r.first_wanted {
                        out.extend_from_slice(&first.to_be_bytes());
                    }
                }
                ToMaster::DownloadStart(filenum) => out.push(filenum as u8),
                ToMaster::DownloadRequest { offset, leng } => {
                    out.extend_from_slice(&offset.to_be_bytes());
                    out.extend_from_slice(&leng.to_be_bytes());
                }
                ToMaster::GetConfig { msgid, name } => {
                    check_field(msg_type, "config name", name.len(), u8::MAX.into())?;
                    out.extend_from_slice(&msgid.to_be_bytes());
                    out.push(name.len() as u8);
                    out.extend_from_slice(name);
                }
            }
            Ok(())
        })
    }

    /// Decodes a frame from the metalogger. Types the master does not take from a
    /// metalogger give `UnknownType`; the lengths and values are those the 3.0.117
    /// master accepts.
    pub fn decode(frame: &Frame<'a>) -> Result<ToMaster<'a>, WireError> {
        let mut p = Payload::new(frame);
        let msg = match frame.msg_type {
            ANTOAN_NOP => ToMaster::Nop,
            ANTOAN_UNKNOWN_COMMAND => ToMaster::UnknownCommand(frame.payload),
            ANTOAN_BAD_COMMAND_SIZE => ToMaster::BadCommandSize(frame.payload),
            ANTOAN_GET_VERSION => {
                check_size(frame, ExpectedSize::OneOf(&[0, 4]))?;
                let msgid = if frame.payload.is_empty() {
                    None
                } else {
                    Some(p.u32()?)
                };
                ToMaster::GetVersion { msgid }
            }
            ANTOMA_REGISTER => {
                check_size(frame, ExpectedSize::AtLeast(1))?;
                let at_rver = p.offset();
                let rver = p.u8()?;
                let resume = match rver {
                    RVER_FRESH => false,
                    RVER_RESUME => true,
                    other => return Err(bad_value_at(frame, at_rver, "rver", other.into())),
                };
                let len = if resume {
                    REGISTER_RESUME_LEN
                } else {
                    REGISTER_FRESH_LEN
                };
                check_size(frame, ExpectedSize::Exactly(len))?;
                let version = Version(p.u32()?);
                let timeout = p.u16()?;
                let first_wanted = if resume { Some(p.u64()?) } else { None };
                ToMaster::Register(Register {
                    version,
                    timeout,
                    first_wanted,
                })
            }
            ANTOMA_DOWNLOAD_START => {
                check_size(frame, ExpectedSize::Exactly(1))?;
                let at = p.offset();
                let value = p.u8()?;
                match FileNum::from_u8(value) {
                    Some(filenum) => ToMaster::DownloadStart(filenum),
                    None => return Err(bad_value_at(frame, at, "filenum", value.into())),
                }
            }
            ANTOMA_DOWNLOAD_REQUEST => {
                check_size(frame, ExpectedSize::Exactly(DOWNLOAD_REQUEST_LEN))?;
                ToMaster::DownloadRequest {
                    offset: p.u64()?,
                    leng: p.u32()?,
                }
            }
            ANTOMA_DOWNLOAD_END => {
                check_size(frame, ExpectedSize::Exactly(0))?;
                ToMaster::DownloadEnd
            }
            ANTOAN_GET_CONFIG => {
                check_size(frame, ExpectedSize::AtLeast(5))?;
                let msgid = p.u32()?;
                let nleng = p.u8()?;
                check_size(frame, ExpectedSize::Exactly(5 + u32::from(nleng)))?;
                ToMaster::GetConfig {
                    msgid,
                    name: p.rest(),
                }
            }
            _ => return Err(unknown_type(frame)),
        };
        Ok(msg)
    }
}
