//! `EDGE` — directory entries, and the trash/sustained entries (parent 0).
//!
//! Body (1.1): `{ nextedgeid:u64 | record* | terminator:[0u8; 18] }`, record =
//! `{ parent:u32 | child:u32 | edgeid:u64 | nleng:u16 | name:[u8; nleng] }`.
//! 1.0 has no `nextedgeid` and no `edgeid` (10-byte fixed part). The list ends at the
//! first record with parent = 0 and child = 0; its whole fixed part is read and its name
//! length is not looked at.

use super::encoder::Encoder;
use super::error::DecodeError;
use super::reader::Reader;
use super::section::SectionVersion;

/// The version 3.0.117 writes.
pub const VERSION: SectionVersion = 0x11;
/// `nextedgeid` after loading a 1.0 section (which has no ids): "needs renumbering".
pub const EDGE_ID_MAX: u64 = 0x7FFF_FFFF_FFFF_FFFF;

/// One directory entry. `parent == 0` marks a trash or sustained entry, whose name is
/// the file's former path.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge<'a> {
    pub parent: u32,
    pub child: u32,
    /// 0 in version 1.0 files.
    pub edge_id: u64,
    pub name: &'a [u8],
}

/// The decoded section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Edges<'a> {
    /// `None` for a 1.0 section.
    pub next_edge_id: Option<u64>,
    pub edges: Vec<Edge<'a>>,
}

/// Reads the section header (`nextedgeid`, absent before 1.1).
pub fn decode_header(
    r: &mut Reader<'_>,
    version: SectionVersion,
) -> Result<Option<u64>, DecodeError> {
    if version >= 0x11 {
        Ok(Some(r.u64()?))
    } else {
        Ok(None)
    }
}

/// Decodes one record, `None` at the terminator.
#[inline]
pub fn decode_edge<'a>(
    r: &mut Reader<'a>,
    version: SectionVersion,
) -> Result<Option<Edge<'a>>, DecodeError> {
    if version >= 0x11 {
        if let Some(head) = r.peek_array::<HEAD_1_1>() {
            // The fixed part with one length check: parent, child, id, name length.
            let parent = u32::from_be_bytes([head[0], head[1], head[2], head[3]]);
            let child = u32::from_be_bytes([head[4], head[5], head[6], head[7]]);
            let edge_id = u64::from_be_bytes([
                head[8], head[9], head[10], head[11], head[12], head[13], head[14], head[15],
            ]);
            let nleng = u16::from_be_bytes([head[16], head[17]]);
            r.advance(HEAD_1_1);
            if parent == 0 && child == 0 {
                return Ok(None);
            }
            let name = r.bytes(nleng.into())?;
            return Ok(Some(Edge {
                parent,
                child,
                edge_id,
                name,
            }));
        }
    }
    decode_edge_by_field(r, version)
}

/// The fixed part of a version 1.1 record.
const HEAD_1_1: usize = 18;

/// [`decode_edge`] one field at a time (every version, any length left).
pub(super) fn decode_edge_by_field<'a>(
    r: &mut Reader<'a>,
    version: SectionVersion,
) -> Result<Option<Edge<'a>>, DecodeError> {
    let parent = r.u32()?;
    let child = r.u32()?;
    let edge_id = if version >= 0x11 { r.u64()? } else { 0 };
    let nleng = r.u16()?;
    if parent == 0 && child == 0 {
        return Ok(None);
    }
    let name = r.bytes(nleng.into())?;
    Ok(Some(Edge {
        parent,
        child,
        edge_id,
        name,
    }))
}

/// Decodes a whole `EDGE` body.
pub fn decode<'a>(r: &mut Reader<'a>, version: SectionVersion) -> Result<Edges<'a>, DecodeError> {
    let next_edge_id = decode_header(r, version)?;
    let mut edges = Vec::new();
    while let Some(edge) = decode_edge(r, version)? {
        edges.push(edge);
    }
    Ok(Edges {
        next_edge_id,
        edges,
    })
}

/// The first call of the body.
pub fn encode_header(e: &mut Encoder, next_edge_id: u64) {
    e.put(&next_edge_id.to_be_bytes());
}

/// One entry, one call.
#[inline]
pub fn encode_edge(e: &mut Encoder, edge: &Edge<'_>) {
    e.call(|out| {
        let mut head = [0u8; HEAD_1_1];
        head[0..4].copy_from_slice(&edge.parent.to_be_bytes());
        head[4..8].copy_from_slice(&edge.child.to_be_bytes());
        head[8..16].copy_from_slice(&edge.edge_id.to_be_bytes());
        head[16..18].copy_from_slice(&(edge.name.len() as u16).to_be_bytes());
        out.reserve(HEAD_1_1 + edge.name.len());
        out.extend_from_slice(&head);
        out.extend_from_slice(edge.name);
    });
}

/// The terminator.
pub fn encode_end(e: &mut Encoder) {
    e.put(&[0u8; 18]);
}

/// Writes a whole decoded section body in 1.1 form.
pub fn encode(e: &mut Encoder, s: &Edges<'_>) {
    encode_header(e, s.next_edge_id.unwrap_or(EDGE_ID_MAX));
    for edge in &s.edges {
        encode_edge(e, edge);
    }
    encode_end(e);
}
