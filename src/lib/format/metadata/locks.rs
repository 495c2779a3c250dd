//! `FLCK` and `PLCK` — flock() locks and POSIX byte-range locks.
//!
//! `FLCK` body (1.0 only): `{ { inode:u32 | owner:u64 | sessionid:u32 | ltype:u8 }* |
//! terminator:[0u8; 17] }` (note: owner before session). `ltype` 0 shared, 1 exclusive.
//!
//! `PLCK` body (1.0 only): `{ { inode:u32 | owner:u64 | sessionid:u32 | pid:u32 |
//! start:u64 | end:u64 | type:u8 }* | terminator:[0u8; 37] }`; ranges are `[start, end)`,
//! type 1 read, 2 write.
//!
//! Both lists end at the first record whose inode, owner and session are all 0.

use super::encoder::Encoder;
use super::error::{DecodeError, DecodeErrorKind};
use super::reader::Reader;
use super::section::SectionVersion;

/// The only version of both sections.
pub const VERSION: SectionVersion = 0x10;

/// An active flock() lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Flock {
    pub inode: u32,
    pub owner: u64,
    pub session: u32,
    /// 0 shared, 1 exclusive.
    pub lock_type: u8,
}

/// One range of a POSIX lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PosixLock {
    pub inode: u32,
    pub owner: u64,
    pub session: u32,
    pub pid: u32,
    pub start: u64,
    /// Exclusive.
    pub end: u64,
    /// 1 read, 2 write.
    pub lock_type: u8,
}

fn check_version(r: &Reader<'_>, version: SectionVersion) -> Result<(), DecodeError> {
    if version == VERSION {
        Ok(())
    } else {
        Err(DecodeError::at(
            r.offset(),
            DecodeErrorKind::UnsupportedSectionVersion { version },
        ))
    }
}

/// Decodes a `FLCK` body.
pub fn decode_flocks(
    r: &mut Reader<'_>,
    version: SectionVersion,
) -> Result<Vec<Flock>, DecodeError> {
    check_version(r, version)?;
    let mut out = Vec::new();
    loop {
        let l = Flock {
            inode: r.u32()?,
            owner: r.u64()?,
            session: r.u32()?,
            lock_type: r.u8()?,
        };
        if l.inode == 0 && l.owner == 0 && l.session == 0 {
            return Ok(out);
        }
        out.push(l);
    }
}

/// Decodes a `PLCK` body.
pub fn decode_posix_locks(
    r: &mut Reader<'_>,
    version: SectionVersion,
) -> Result<Vec<PosixLock>, DecodeError> {
    check_version(r, version)?;
    let mut out = Vec::new();
    loop {
        let l = PosixLock {
            inode: r.u32()?,
            owner: r.u64()?,
            session: r.u32()?,
            pid: r.u32()?,
            start: r.u64()?,
            end: r.u64()?,
            lock_type: r.u8()?,
        };
        if l.inode == 0 && l.owner == 0 && l.session == 0 {
            return Ok(out);
        }
        out.push(l);
    }
}

/// One flock, one call.
pub fn encode_flock(e: &mut Encoder, l: &Flock) {
    e.call(|out| {
        out.extend_from_slice(&l.inode.to_be_bytes());
        out.extend_from_slice(&l.owner.to_be_bytes());
        out.extend_from_slice(&l.session.to_be_bytes());
        out.push(l.lock_type);
    });
}

/// The `FLCK` terminator.
pub fn encode_flocks_end(e: &mut Encoder) {
    e.put(&[0u8; 17]);
}

/// One POSIX lock range, one call.
pub fn encode_posix_lock(e: &mut Encoder, l: &PosixLock) {
    e.call(|out| {
        out.extend_from_slice(&l.inode.to_be_bytes());
        out.extend_from_slice(&l.owner.to_be_bytes());
        out.extend_from_slice(&l.session.to_be_bytes());
        out.extend_from_slice(&l.pid.to_be_bytes());
        out.extend_from_slice(&l.start.to_be_bytes());
        out.extend_from_slice(&l.end.to_be_bytes());
        out.push(l.lock_type);
    });
}

/// The `PLCK` terminator.
pub fn encode_posix_locks_end(e: &mut Encoder) {
    e.put(&[0u8; 37]);
}

/// Writes a whole `FLCK` body.
pub fn encode_flocks(e: &mut Encoder, locks: &[Flock]) {
    for l in locks {
        encode_flock(e, l);
    }
    encode_flocks_end(e);
}

/// Writes a whole `PLCK` body.
pub fn encode_posix_locks(e: &mut Encoder, locks: &[PosixLock]) {
    for l in locks {
        encode_posix_lock(e, l);
    }
    encode_posix_locks_end(e);
}
