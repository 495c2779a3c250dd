//! `QUOT` — quota definitions.
//!
//! Body (1.1): `{ count:u32 | record[count] }`, record (70 bytes) =
//! `{ inode:u32 | graceperiod:u32 | exceeded:u8 | flags:u8 | stimestamp:u32 |
//!    sinodes:u32 | hinodes:u32 | slength:u64 | hlength:u64 | ssize:u64 | hsize:u64 |
//!    srealsize:u64 | hrealsize:u64 }`. 1.0 records (66 bytes) have no graceperiod.

use super::encoder::Encoder;
use super::error::DecodeError;
use super::reader::Reader;
use super::section::SectionVersion;

/// The version 3.0.117 writes.
pub const VERSION: SectionVersion = 0x11;

/// A quota on a directory.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Quota {
    pub inode: u32,
    /// Seconds; `None` in 1.0 files (the master then uses its configured default).
    pub grace_period: Option<u32>,
    pub exceeded: u8,
    /// Which limits are set: 0x01 soft inodes, 0x02 soft length, 0x04 soft size,
    /// 0x08 soft realsize, 0x10..0x80 the same hard limits.
    pub flags: u8,
    pub stimestamp: u32,
    pub soft_inodes: u32,
    pub hard_inodes: u32,
    pub soft_length: u64,
    pub hard_length: u64,
    pub soft_size: u64,
    pub hard_size: u64,
    pub soft_realsize: u64,
    pub hard_realsize: u64,
}

/// Decodes a `QUOT` body.
pub fn decode(r: &mut Reader<'_>, version: SectionVersion) -> Result<Vec<Quota>, DecodeError> {
    let count = r.u32()?;
    let rec_len = if version >= 0x11 { 70 } else { 66 };
    let mut records = r.sub(u64::from(count) * rec_len)?;
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let r = &mut records;
        out.push(Quota {
            inode: r.u32()?,
            grace_period: if version >= 0x11 {
                Some(r.u32()?)
            } else {
                None
            },
            exceeded: r.u8()?,
            flags: r.u8()?,
            stimestamp: r.u32()?,
            soft_inodes: r.u32()?,
            hard_inodes: r.u32()?,
            soft_length: r.u64()?,
            hard_length: r.u64()?,
            soft_size: r.u64()?,
            hard_size: r.u64()?,
            soft_realsize: r.u64()?,
            hard_realsize: r.u64()?,
        });
    }
    Ok(out)
}

/// The count, the first call of the body.
pub fn encode_header(e: &mut Encoder, count: u32) {
    e.put(&count.to_be_bytes());
}

/// One quota, one call.
pub fn encode_quota(e: &mut Encoder, q: &Quota) {
    e.call(|out| {
        out.extend_from_slice(&q.inode.to_be_bytes());
        out.extend_from_slice(&q.grace_period.unwrap_or(0).to_be_bytes());
        out.push(q.exceeded);
        out.push(q.flags);
        for v in [q.stimestamp, q.soft_inodes, q.hard_inodes] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        for v in [
            q.soft_length,
            q.hard_length,
            q.soft_size,
            q.hard_size,
            q.soft_realsize,
            q.hard_realsize,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    });
}

/// Writes a whole `QUOT` body.
pub fn encode(e: &mut Encoder, quotas: &[Quota]) {
    encode_header(e, quotas.len() as u32);
    for q in quotas {
        encode_quota(e, q);
    }
}
