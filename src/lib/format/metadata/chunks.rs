//! `CHNK` — chunks.
//!
//! Body (1.1): `{ nextchunkid:u64 | { chunkid:u64 | version:u32 | lockedto:u32 |
//! archflag:u8 }* | terminator:[0u8; 17] }`; 1.0 records have no archflag (16 bytes).
//! The list ends at the first record with chunkid 0, whose other fields must be 0.

use super::encoder::Encoder;
use super::error::DecodeError;
use super::reader::Reader;
use super::section::SectionVersion;

/// The version 3.0.117 writes.
pub const VERSION: SectionVersion = 0x11;

/// One chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Chunk {
    pub id: u64,
    pub version: u32,
    /// Unix time until which the chunk is locked; 0 = not locked.
    pub locked_to: u32,
    pub arch_flag: u8,
}

/// The decoded section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Chunks {
    pub next_chunk_id: u64,
    pub chunks: Vec<Chunk>,
}

/// A version 1.1 record: id, version, lock time, archive flag.
const RECORD_1_1: usize = 17;
/// The length of a record as written (version 1.1).
pub const RECORD_LEN: usize = RECORD_1_1;

/// Decodes one record, `None` at the terminator.
#[inline]
pub fn decode_chunk(
    r: &mut Reader<'_>,
    version: SectionVersion,
) -> Result<Option<Chunk>, DecodeError> {
    let at = r.offset();
    let c = match r.peek_array::<RECORD_1_1>() {
        // A whole version 1.1 record, read with one length check.
        Some(b) if version >= 0x11 => {
            r.advance(RECORD_1_1);
            Chunk {
                id: u64::from_be_bytes([b[0], b[1], b[2], b[3], b[4], b[5], b[6], b[7]]),
                version: u32::from_be_bytes([b[8], b[9], b[10], b[11]]),
                locked_to: u32::from_be_bytes([b[12], b[13], b[14], b[15]]),
                arch_flag: b[16],
            }
        }
        _ => read_fields(r, version)?,
    };
    check_record(c, at)
}

/// [`decode_chunk`] one field at a time (every version, any length left).
#[cfg(test)]
pub(super) fn decode_chunk_by_field(
    r: &mut Reader<'_>,
    version: SectionVersion,
) -> Result<Option<Chunk>, DecodeError> {
    let at = r.offset();
    check_record(read_fields(r, version)?, at)
}

/// The fields of a record, one read each (every version, any length left).
fn read_fields(r: &mut Reader<'_>, version: SectionVersion) -> Result<Chunk, DecodeError> {
    Ok(Chunk {
        id: r.u64()?,
        version: r.u32()?,
        locked_to: r.u32()?,
        arch_flag: if version >= 0x11 { r.u8()? } else { 0 },
    })
}

/// A record read at `at`: a chunk, or the terminator (all zero).
#[inline]
fn check_record(c: Chunk, at: u64) -> Result<Option<Chunk>, DecodeError> {
    if c.id != 0 {
        return Ok(Some(c));
    }
    if c.version != 0 || c.locked_to != 0 || c.arch_flag != 0 {
        return Err(DecodeError::bad_value(
            at,
            "end record (chunk 0 with non-zero fields)",
            0,
        ));
    }
    Ok(None)
}

/// The records of a `CHNK` body, decoded one by one without collecting them.
#[derive(Clone)]
pub struct ChunkRecords<'a> {
    r: Reader<'a>,
    version: SectionVersion,
}

/// Checks a whole `CHNK` body (every record and the terminator, with the errors of
/// [`decode`]) and returns `nextchunkid` and an iterator over the chunks (to go through
/// them again without a copy); `r` is left at the terminator's end.
pub fn scan<'a>(
    r: &mut Reader<'a>,
    version: SectionVersion,
) -> Result<(u64, ChunkRecords<'a>), DecodeError> {
    let next_chunk_id = r.u64()?;
    let records = ChunkRecords {
        r: r.clone(),
        version,
    };
    while decode_chunk(r, version)?.is_some() {}
    Ok((next_chunk_id, records))
}

impl Iterator for ChunkRecords<'_> {
    type Item = Chunk;

    /// The next chunk; `None` at the terminator (or at a record that does not decode,
    /// which [`scan`] has already reported).
    #[inline]
    fn next(&mut self) -> Option<Chunk> {
        decode_chunk(&mut self.r, self.version).ok().flatten()
    }
}

/// Decodes a whole `CHNK` body.
pub fn decode(r: &mut Reader<'_>, version: SectionVersion) -> Result<Chunks, DecodeError> {
    let next_chunk_id = r.u64()?;
    let mut chunks = Vec::new();
    while let Some(c) = decode_chunk(r, version)? {
        chunks.push(c);
    }
    Ok(Chunks {
        next_chunk_id,
        chunks,
    })
}

/// `nextchunkid`, the first call.
pub fn encode_header(e: &mut Encoder, next_chunk_id: u64) {
    e.put(&next_chunk_id.to_be_bytes());
}

/// One chunk, one call.
#[inline]
pub fn encode_chunk(e: &mut Encoder, c: &Chunk) {
    e.call(|out| {
        let mut record = [0u8; RECORD_1_1];
        record[0..8].copy_from_slice(&c.id.to_be_bytes());
        record[8..12].copy_from_slice(&c.version.to_be_bytes());
        record[12..16].copy_from_slice(&c.locked_to.to_be_bytes());
        record[16] = c.arch_flag;
        out.extend_from_slice(&record);
    });
}

/// The terminator.
pub fn encode_end(e: &mut Encoder) {
    e.put(&[0u8; 17]);
}

/// Writes a whole decoded section body in 1.1 form.
pub fn encode(e: &mut Encoder, s: &Chunks) {
    encode_header(e, s.next_chunk_id);
    for c in &s.chunks {
        encode_chunk(e, c);
    }
    encode_end(e);
}
