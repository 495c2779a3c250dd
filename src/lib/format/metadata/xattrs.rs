//! `XATR` — extended attributes.
//!
//! Body (1.0): `{ record* | terminator:[0u8; 9] }`, record =
//! `{ inode:u32 | nameleng:u8 | valueleng:u32 | name:[u8; nameleng] |
//!    value:[u8; valueleng] }`. The list ends at the first record with inode 0.
//! The master writes each record in three calls (header, name, value).

use super::encoder::Encoder;
use super::error::DecodeError;
use super::reader::Reader;
use super::section::SectionVersion;

/// The version 3.0.117 writes.
pub const VERSION: SectionVersion = 0x10;

/// One attribute of one inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Xattr<'a> {
    pub inode: u32,
    pub name: &'a [u8],
    pub value: &'a [u8],
}

/// Decodes one record, `None` at the terminator.
pub fn decode_xattr<'a>(r: &mut Reader<'a>) -> Result<Option<Xattr<'a>>, DecodeError> {
    let inode = r.u32()?;
    let nleng = r.u8()?;
    let vleng = r.u32()?;
    if inode == 0 {
        return Ok(None);
    }
    let name = r.bytes(nleng.into())?;
    let value = r.bytes(vleng.into())?;
    Ok(Some(Xattr { inode, name, value }))
}

/// Decodes an `XATR` body.
pub fn decode<'a>(
    r: &mut Reader<'a>,
    _version: SectionVersion,
) -> Result<Vec<Xattr<'a>>, DecodeError> {
    let mut out = Vec::new();
    while let Some(x) = decode_xattr(r)? {
        out.push(x);
    }
    Ok(out)
}

/// One attribute: three calls.
pub fn encode_xattr(e: &mut Encoder, x: &Xattr<'_>) {
    e.call(|out| {
        out.extend_from_slice(&x.inode.to_be_bytes());
        out.push(x.name.len() as u8);
        out.extend_from_slice(&(x.value.len() as u32).to_be_bytes());
    });
    e.put(x.name);
    e.put(x.value);
}

/// The terminator.
pub fn encode_end(e: &mut Encoder) {
    e.put(&[0u8; 9]);
}

/// Writes a whole `XATR` body.
pub fn encode(e: &mut Encoder, xattrs: &[Xattr<'_>]) {
    for x in xattrs {
        encode_xattr(e, x);
    }
    encode_end(e);
}
