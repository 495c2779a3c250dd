//! `CSDB` — known chunk servers.
//!
//! Body (1.3): `{ count:u32 | { ip:u32 | port:u16 | csid:u16 | maintenance:u8 |
//! maintenance_timeout:u32 }[count] }`. 1.0 records are `{ ip | port }`, 1.1 add csid,
//! 1.2 add maintenance. No terminator.

use super::encoder::Encoder;
use super::error::DecodeError;
use super::reader::Reader;
use super::section::SectionVersion;

/// The version 3.0.117 writes.
pub const VERSION: SectionVersion = 0x13;

/// A chunk server.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunkserver {
    pub ip: u32,
    pub port: u16,
    /// 0 = none assigned.
    pub csid: u16,
    /// 0 off, 1 on, 2 temporary.
    pub maintenance: u8,
    pub maintenance_timeout: u32,
}

/// Decodes a `CSDB` body.
pub fn decode(
    r: &mut Reader<'_>,
    version: SectionVersion,
) -> Result<Vec<Chunkserver>, DecodeError> {
    let count = r.u32()?;
    let rec_len = match version {
        v if v <= 0x10 => 6,
        0x11 => 8,
        0x12 => 9,
        _ => 13,
    };
    let mut records = r.sub(u64::from(count) * rec_len)?;
    let mut out = Vec::with_capacity(count as usize);
    for _ in 0..count {
        let r = &mut records;
        out.push(Chunkserver {
            ip: r.u32()?,
            port: r.u16()?,
            csid: if version >= 0x11 { r.u16()? } else { 0 },
            maintenance: if version >= 0x12 { r.u8()? } else { 0 },
            maintenance_timeout: if version >= 0x13 { r.u32()? } else { 0 },
        });
    }
    Ok(out)
}

/// The count, the first call.
pub fn encode_header(e: &mut Encoder, count: u32) {
    e.put(&count.to_be_bytes());
}

/// One server, one call.
pub fn encode_chunkserver(e: &mut Encoder, c: &Chunkserver) {
    e.call(|out| {
        out.extend_from_slice(&c.ip.to_be_bytes());
        out.extend_from_slice(&c.port.to_be_bytes());
        out.extend_from_slice(&c.csid.to_be_bytes());
        out.push(c.maintenance);
        out.extend_from_slice(&c.maintenance_timeout.to_be_bytes());
    });
}

/// Writes a whole `CSDB` body.
pub fn encode(e: &mut Encoder, servers: &[Chunkserver]) {
    encode_header(e, servers.len() as u32);
    for c in servers {
        encode_chunkserver(e, c);
    }
}
