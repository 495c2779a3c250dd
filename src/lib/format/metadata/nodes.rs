//! `NODE` — inodes.
//!
//! Body (1.4): `{ maxnodeid:u32 | nodecount:u32 | record* | 0:u8 }`; 1.0 has only
//! `maxnodeid:u32` before the records (and so do the node lists of files older than
//! format 2.0, whose maxnodeid is in the file header).
//!
//! Record (1.4): `{ type:u8 | inode:u32 | sclassid:u8 | eattr:u8 | winattr:u8 |
//! mode:u16 | uid:u32 | gid:u32 | atime:u32 | mtime:u32 | ctime:u32 | trashtime:u16 }`
//! then by type: directory/fifo/socket nothing; block/char device `rdev:u32`; symlink
//! `{ pleng:u32 | path:[u8; pleng] }`; file/trash/sustained
//! `{ length:u64 | chunkcount:u32 | chunkid:u64[chunkcount] }`.
//!
//! Older records: ≤ 1.2 the type is a letter (`f d l q b c s t r`); ≤ 1.1 there is no
//! eattr/winattr byte but a `flagsmode:u16` (eattr in the top 4 bits, mode in the low
//! 12); 1.2–1.3 have eattr but no winattr; ≤ 1.3 trashtime is `u32` seconds, and files
//! carry `sessioncount:u16` after chunkcount and `sessionid:u32[sessioncount]` after
//! the chunk ids (open-file relations).

use super::encoder::Encoder;
use super::error::DecodeError;
use super::reader::{BeList, Reader};
use super::section::SectionVersion;

/// The version 3.0.117 writes.
pub const VERSION: SectionVersion = 0x14;
/// Chunk ids per write call when storing a file's chunk table.
const CHUNK_IDS_PER_CALL: usize = 65536;

/// Node types, with their on-disk numbers.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
#[repr(u8)]
pub enum NodeType {
    File = 1,
    Directory = 2,
    Symlink = 3,
    Fifo = 4,
    BlockDev = 5,
    CharDev = 6,
    Socket = 7,
    /// A deleted file kept in the trash.
    Trash = 8,
    /// A deleted file still open by some session.
    Sustained = 9,
}

impl NodeType {
    /// From the on-disk number.
    pub fn from_u8(v: u8) -> Option<Self> {
        Some(match v {
            1 => NodeType::File,
            2 => NodeType::Directory,
            3 => NodeType::Symlink,
            4 => NodeType::Fifo,
            5 => NodeType::BlockDev,
            6 => NodeType::CharDev,
            7 => NodeType::Socket,
            8 => NodeType::Trash,
            9 => NodeType::Sustained,
            _ => return None,
        })
    }

    /// From the letter of old formats and old changelogs.
    pub fn from_letter(v: u8) -> Option<Self> {
        Some(match v {
            b'f' => NodeType::File,
            b'd' => NodeType::Directory,
            b'l' => NodeType::Symlink,
            b'q' => NodeType::Fifo,
            b'b' => NodeType::BlockDev,
            b'c' => NodeType::CharDev,
            b's' => NodeType::Socket,
            b't' => NodeType::Trash,
            b'r' => NodeType::Sustained,
            _ => return None,
        })
    }

    /// The letter `mfsmetadump` and old formats use.
    pub fn letter(self) -> char {
        match self {
            NodeType::File => 'f',
            NodeType::Directory => 'd',
            NodeType::Symlink => 'l',
            NodeType::Fifo => 'q',
            NodeType::BlockDev => 'b',
            NodeType::CharDev => 'c',
            NodeType::Socket => 's',
            NodeType::Trash => 't',
            NodeType::Sustained => 'r',
        }
    }

    /// Types that carry file data (length and chunks).
    pub fn is_file_like(self) -> bool {
        matches!(self, NodeType::File | NodeType::Trash | NodeType::Sustained)
    }

    /// Types that carry a storage class (others are forced to class 0 on load).
    pub fn has_storage_class(self) -> bool {
        self.is_file_like() || self == NodeType::Directory
    }
}

/// The type-specific part of a node.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum NodeData<'a> {
    /// Directory, fifo, socket.
    None,
    /// Block or character device.
    Device { rdev: u32 },
    /// Symlink target as stored (may be longer than MooseFS accepts: the loader decides).
    Symlink { path: &'a [u8] },
    /// File, trash or sustained file.
    File {
        length: u64,
        chunks: BeList<'a, 8>,
        /// Open-file relations stored in the node by formats before 1.4.
        legacy_sessions: BeList<'a, 4>,
    },
}

/// One node record.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Node<'a> {
    pub node_type: NodeType,
    pub inode: u32,
    pub sclass: u8,
    pub eattr: u8,
    pub winattr: u8,
    pub mode: u16,
    pub uid: u32,
    pub gid: u32,
    pub atime: u32,
    pub mtime: u32,
    pub ctime: u32,
    /// Hours.
    pub trashtime: u16,
    pub data: NodeData<'a>,
}

/// The section's header fields.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct NodesHeader {
    pub max_node_id: u32,
    /// Number of records (a hash-size hint; 0 when the section is version 1.0).
    pub node_count: u32,
}

/// The decoded section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Nodes<'a> {
    pub header: NodesHeader,
    pub nodes: Vec<Node<'a>>,
}

/// Reads the section header fields.
pub fn decode_header(
    r: &mut Reader<'_>,
    version: SectionVersion,
) -> Result<NodesHeader, DecodeError> {
    let max_node_id = r.u32()?;
    let node_count = if version >= 0x11 { r.u32()? } else { 0 };
    Ok(NodesHeader {
        max_node_id,
        node_count,
    })
}

/// Reads records until the terminator, without collecting them.
pub struct NodeIter<'a, 'r> {
    r: &'r mut Reader<'a>,
    version: SectionVersion,
    done: bool,
}

impl<'a, 'r> NodeIter<'a, 'r> {
    /// Iterates the records of a body whose header was already read.
    pub fn new(r: &'r mut Reader<'a>, version: SectionVersion) -> Self {
        NodeIter {
            r,
            version,
            done: false,
        }
    }
}

impl<'a> Iterator for NodeIter<'a, '_> {
    type Item = Result<Node<'a>, DecodeError>;

    fn next(&mut self) -> Option<Self::Item> {
        if self.done {
            return None;
        }
        match decode_node(self.r, self.version) {
            Ok(Some(node)) => Some(Ok(node)),
            Ok(None) => {
                self.done = true;
                None
            }
            Err(e) => {
                self.done = true;
                Some(Err(e))
            }
        }
    }
}

/// Decodes one record, `None` at the terminator.
pub fn decode_node<'a>(
    r: &mut Reader<'a>,
    version: SectionVersion,
) -> Result<Option<Node<'a>>, DecodeError> {
    if version >= 0x14 {
        if let Some(head) = r.peek_array::<HEAD_1_4>() {
            if head[0] != 0 {
                return decode_node_1_4(r, head);
            }
        }
    }
    decode_node_by_field(r, version)
}

/// [`decode_node`] one field at a time (every version, any length left).
pub(super) fn decode_node_by_field<'a>(
    r: &mut Reader<'a>,
    version: SectionVersion,
) -> Result<Option<Node<'a>>, DecodeError> {
    let at = r.offset();
    let type_byte = r.u8()?;
    if type_byte == 0 {
        return Ok(None);
    }
    let node_type = if version <= 0x12 {
        NodeType::from_letter(type_byte)
    } else {
        NodeType::from_u8(type_byte)
    }
    .ok_or_else(|| DecodeError::bad_value(at, "node type", type_byte.into()))?;
    let inode = r.u32()?;
    let sclass = r.u8()?;
    let (eattr, winattr, mode) = if version <= 0x11 {
        let flagsmode = r.u16()?;
        ((flagsmode >> 12) as u8, 0, flagsmode & 0xFFF)
    } else {
        let eattr = r.u8()?;
        let winattr = if version >= 0x14 { r.u8()? } else { 0 };
        (eattr, winattr, r.u16()?)
    };
    let uid = r.u32()?;
    let gid = r.u32()?;
    let atime = r.u32()?;
    let mtime = r.u32()?;
    let ctime = r.u32()?;
    let trashtime = if version <= 0x13 {
        let seconds = r.u32()?;
        // Rounded up in 32 bits, as the master does: wraps for values near 2^32.
        (seconds.wrapping_add(3599) / 3600) as u16
    } else {
        r.u16()?
    };
    let data = decode_data(r, node_type, version)?;
    Ok(Some(Node {
        node_type,
        inode,
        sclass,
        eattr,
        winattr,
        mode,
        uid,
        gid,
        atime,
        mtime,
        ctime,
        trashtime,
        data,
    }))
}

/// The type-specific part of a record of `version`, after the common fields.
#[inline]
fn decode_data<'a>(
    r: &mut Reader<'a>,
    node_type: NodeType,
    version: SectionVersion,
) -> Result<NodeData<'a>, DecodeError> {
    Ok(match node_type {
        NodeType::Directory | NodeType::Fifo | NodeType::Socket => NodeData::None,
        NodeType::BlockDev | NodeType::CharDev => NodeData::Device { rdev: r.u32()? },
        NodeType::Symlink => {
            let pleng = r.u32()?;
            NodeData::Symlink {
                path: r.bytes(pleng.into())?,
            }
        }
        NodeType::File | NodeType::Trash | NodeType::Sustained => {
            let length = r.u64()?;
            let chunk_count = r.u32()?;
            let session_count = if version <= 0x13 { r.u16()? } else { 0 };
            let chunks = BeList::from_raw(r.bytes(u64::from(chunk_count) * 8)?);
            let legacy_sessions = BeList::from_raw(r.bytes(u64::from(session_count) * 4)?);
            NodeData::File {
                length,
                chunks,
                legacy_sessions,
            }
        }
    })
}

/// The fixed part of a version 1.4 record: type, inode, class, eattr, winattr, mode,
/// uid, gid, three times and the trash time.
const HEAD_1_4: usize = 32;

/// [`decode_node`] of a version 1.4 record (not the terminator) whose fixed part is all
/// there (`head`): the same fields and errors, read with one length check.
#[inline]
fn decode_node_1_4<'a>(
    r: &mut Reader<'a>,
    head: [u8; HEAD_1_4],
) -> Result<Option<Node<'a>>, DecodeError> {
    let be32 = |at: usize| {
        head.get(at..at + 4)
            .and_then(|b| <[u8; 4]>::try_from(b).ok())
            .map_or(0, u32::from_be_bytes)
    };
    let be16 = |at: usize| {
        head.get(at..at + 2)
            .and_then(|b| <[u8; 2]>::try_from(b).ok())
            .map_or(0, u16::from_be_bytes)
    };
    let type_byte = head[0];
    let node_type = NodeType::from_u8(type_byte)
        .ok_or_else(|| DecodeError::bad_value(r.offset(), "node type", type_byte.into()))?;
    r.advance(HEAD_1_4);
    let data = decode_data(r, node_type, 0x14)?;
    Ok(Some(Node {
        node_type,
        inode: be32(1),
        sclass: head[5],
        eattr: head[6],
        winattr: head[7],
        mode: be16(8),
        uid: be32(10),
        gid: be32(14),
        atime: be32(18),
        mtime: be32(22),
        ctime: be32(26),
        trashtime: be16(30),
        data,
    }))
}

/// Decodes a whole `NODE` body.
pub fn decode<'a>(r: &mut Reader<'a>, version: SectionVersion) -> Result<Nodes<'a>, DecodeError> {
    let header = decode_header(r, version)?;
    let nodes = NodeIter::new(r, version).collect::<Result<Vec<_>, _>>()?;
    Ok(Nodes { header, nodes })
}

/// The first call of the body.
pub fn encode_header(e: &mut Encoder, h: NodesHeader) {
    e.call(|out| {
        out.extend_from_slice(&h.max_node_id.to_be_bytes());
        out.extend_from_slice(&h.node_count.to_be_bytes());
    });
}

/// The fixed 32-byte part shared by all types.
#[inline]
fn put_common(out: &mut Vec<u8>, n: &Node<'_>) {
    // Built in place, then appended with one capacity check.
    let mut head = [0u8; HEAD_1_4];
    head[0] = n.node_type as u8;
    head[1..5].copy_from_slice(&n.inode.to_be_bytes());
    head[5] = n.sclass;
    head[6] = n.eattr;
    head[7] = n.winattr;
    head[8..10].copy_from_slice(&n.mode.to_be_bytes());
    for (i, v) in [n.uid, n.gid, n.atime, n.mtime, n.ctime]
        .into_iter()
        .enumerate()
    {
        head[10 + 4 * i..14 + 4 * i].copy_from_slice(&v.to_be_bytes());
    }
    head[30..32].copy_from_slice(&n.trashtime.to_be_bytes());
    out.extend_from_slice(&head);
}

/// One node in 1.4 form, split into write calls as the master does. `chunks` are the
/// chunk ids to store (the caller drops trailing zero entries, as the master does).
pub fn encode_node_with_chunks(
    e: &mut Encoder,
    n: &Node<'_>,
    chunks: impl ExactSizeIterator<Item = u64>,
) {
    match n.data {
        NodeData::None => e.call(|out| put_common(out, n)),
        NodeData::Device { rdev } => e.call(|out| {
            put_common(out, n);
            out.extend_from_slice(&rdev.to_be_bytes());
        }),
        NodeData::Symlink { path } => {
            e.call(|out| {
                put_common(out, n);
                out.extend_from_slice(&(path.len() as u32).to_be_bytes());
            });
            if !path.is_empty() {
                e.put(path);
            }
        }
        NodeData::File { length, .. } => {
            let count = chunks.len();
            e.call(|out| {
                put_common(out, n);
                out.extend_from_slice(&length.to_be_bytes());
                out.extend_from_slice(&(count as u32).to_be_bytes());
            });
            let mut chunks = chunks;
            let mut left = count;
            while left > 0 {
                let this_call = if left > CHUNK_IDS_PER_CALL {
                    CHUNK_IDS_PER_CALL
                } else {
                    left
                };
                e.call(|out| {
                    for id in chunks.by_ref().take(this_call) {
                        out.extend_from_slice(&id.to_be_bytes());
                    }
                });
                left -= this_call;
            }
        }
    }
}

/// One decoded node, with its chunk list as stored.
pub fn encode_node(e: &mut Encoder, n: &Node<'_>) {
    match n.data {
        NodeData::File { chunks, .. } => encode_node_with_chunks(e, n, chunks.iter()),
        _ => encode_node_with_chunks(e, n, std::iter::empty()),
    }
}

/// The terminator.
pub fn encode_end(e: &mut Encoder) {
    e.put(&[0]);
}

/// Writes a whole decoded section body in 1.4 form.
pub fn encode(e: &mut Encoder, s: &Nodes<'_>) {
    encode_header(e, s.header);
    for node in &s.nodes {
        encode_node(e, node);
    }
    encode_end(e);
}
