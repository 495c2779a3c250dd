//! `FREE` — freed inodes waiting for reuse.
//!
//! Body (1.0): `{ count:u32 | { inode:u32 | ftime:u32 }[count] }`, oldest first; no
//! terminator. The master writes the records in calls of 1024.

use super::encoder::Encoder;
use super::error::DecodeError;
use super::reader::Reader;
use super::section::SectionVersion;

/// The version 3.0.117 writes.
pub const VERSION: SectionVersion = 0x10;
const RECORDS_PER_CALL: usize = 1024;

/// A freed inode and the time it was freed.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FreeInode {
    pub inode: u32,
    pub ftime: u32,
}

/// Decodes a `FREE` body.
pub fn decode(r: &mut Reader<'_>, _version: SectionVersion) -> Result<Vec<FreeInode>, DecodeError> {
    let count = r.u32()?;
    // Never trust a count for an allocation: the records must be there first.
    let mut records = r.sub(u64::from(count) * 8)?;
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        out.push(FreeInode {
            inode: records.u32()?,
            ftime: records.u32()?,
        });
    }
    Ok(out)
}

/// Writes a `FREE` body with the master's call sizes.
pub fn encode<'a>(e: &mut Encoder, free: impl ExactSizeIterator<Item = &'a FreeInode>) {
    e.put(&(free.len() as u32).to_be_bytes());
    let mut free = free.peekable();
    while free.peek().is_some() {
        e.call(|out| {
            for f in free.by_ref().take(RECORDS_PER_CALL) {
                out.extend_from_slice(&f.inode.to_be_bytes());
                out.extend_from_slice(&f.ftime.to_be_bytes());
            }
        });
    }
}
