//! Loading the `NODE` and `EDGE` sections with the 3.0.117 loader's rules.

use std::collections::VecDeque;

use crate::format::metadata::edges::{decode_edge, decode_header as decode_edges_header};
use crate::format::metadata::nodes::{
    decode_header as decode_nodes_header, decode_node, NodeData as RecordData, NodesHeader,
};
use crate::format::metadata::{DecodeError, Reader, Tag};

use super::edges::{Bucket, Edge, EdgeTable, NAME_MAX, PATH_MAX};
use super::error::LoadError;
use super::hash::hash32;
use super::nodes::{
    ChunkList, Node, NodeData, NodeTable, NodeType, NO_EDGE, SYMLINK_MAX, SYMLINK_TOO_LONG,
};
use super::prefault::ReleaseBehind;
use super::store_nodes::{node_hash_bits, node_hash_mask};

/// The shortest `NODE` record of any version.
pub const MIN_NODE_RECORD: usize = 32;

/// The root directory's inode.
pub const ROOT_INODE: u32 = 1;

/// How many records ahead of the loader its prefetching cursor runs.
const LOOKAHEAD: usize = 24;

/// A section's records, each decoded once, a window ahead of the loader that takes them
/// in order: the loader prefetches what it will look up for a record when the record
/// enters the window, and uses it when the record leaves. The end of the records (the
/// terminator, or a record that does not decode) is handed out in its place, so errors
/// come where a plain loop would meet them, and the reader stops right after the
/// terminator.
pub(crate) struct Window<'r, 'a, T> {
    r: &'r mut Reader<'a>,
    version: u8,
    decode: fn(&mut Reader<'a>, u8) -> Result<Option<T>, DecodeError>,
    /// Decoded records with their offsets; the last entry may be the end.
    pending: VecDeque<(u64, Result<Option<T>, DecodeError>)>,
    /// The end was decoded: nothing more is read.
    ended: bool,
}

impl<'r, 'a, T> Window<'r, 'a, T> {
    pub(crate) fn new(
        r: &'r mut Reader<'a>,
        version: u8,
        decode: fn(&mut Reader<'a>, u8) -> Result<Option<T>, DecodeError>,
    ) -> Self {
        Window {
            r,
            version,
            decode,
            pending: VecDeque::with_capacity(LOOKAHEAD + 1),
            ended: false,
        }
    }

    /// Decodes one more record into the window; returns it, or `None` at the end.
    pub(crate) fn advance(&mut self) -> Option<&T> {
        if self.ended {
            return None;
        }
        let at = self.r.offset();
        let decoded = (self.decode)(self.r, self.version);
        self.ended = !matches!(decoded, Ok(Some(_)));
        self.pending.push_back((at, decoded));
        match self.pending.back() {
            Some((_, Ok(Some(record)))) => Some(record),
            _ => None,
        }
    }

    /// The record `i` places from the front of the window, if decoded.
    pub(crate) fn peek(&self, i: usize) -> Option<&T> {
        match self.pending.get(i) {
            Some((_, Ok(Some(record)))) => Some(record),
            _ => None,
        }
    }

    /// The next record and its offset; `None` after the last one.
    pub(crate) fn next(&mut self) -> Result<Option<(u64, T)>, DecodeError> {
        if self.pending.is_empty() {
            self.advance();
        }
        match self.pending.pop_front() {
            Some((at, Ok(Some(record)))) => Ok(Some((at, record))),
            Some((_, Err(e))) => Err(e),
            Some((_, Ok(None))) | None => Ok(None),
        }
    }
}

/// Reads a `NODE` body into `nodes`. `legacy_header` is set for files before format 2.0,
/// whose node list has no header. Returns the node count the header announced (a hash
/// size hint); hands out, per node, the session ids of old formats' open-file lists
/// (`legacy_open`) and the node itself as it is inserted (`loaded`).
pub fn load_nodes<'a>(
    r: &mut Reader<'a>,
    version: u8,
    legacy_header: Option<NodesHeader>,
    nodes: &mut NodeTable<'a>,
    behind: &mut ReleaseBehind<'_>,
    mut legacy_open: impl FnMut(u32, u32),
    mut loaded: impl FnMut(&Node<'a>),
) -> Result<NodesHeader, LoadError> {
    let header = match legacy_header {
        Some(h) => h,
        None => decode_nodes_header(r, version)?,
    };
    nodes.max_node_id = header.max_node_id;
    // The announced count, bounded by what the body can hold, so a lying header cannot
    // allocate much (a no-op when `Image::load` reserved already).
    nodes.reserve((header.node_count as usize).min(r.remaining() / MIN_NODE_RECORD));
    // Whether the records come in the order the master writes them (its hash buckets
    // ascending), which lets the store read the nodes straight along.
    let bits = node_hash_bits(header.node_count);
    let mask = node_hash_mask(bits);
    let mut last_bucket = 0;
    let mut in_bucket_order = nodes.is_empty();
    // Nodes come in hash order, so the duplicate check reads the inode index at random.
    let mut window = Window::new(r, version, decode_node);
    for _ in 0..LOOKAHEAD {
        if let Some(n) = window.advance() {
            nodes.prefetch_index(n.inode);
        }
    }
    loop {
        if let Some(n) = window.advance() {
            nodes.prefetch_index(n.inode);
        }
        let Some((at, record)) = window.next()? else {
            break;
        };
        behind.reached(at);
        let bucket = hash32(record.inode) & mask;
        in_bucket_order &= bucket >= last_bucket;
        last_bucket = bucket;
        let sclass = if record.node_type.has_storage_class() {
            record.sclass
        } else {
            0
        };
        let data = match record.data {
            RecordData::None if record.node_type == NodeType::Directory => NodeData::Directory {
                children: Default::default(),
            },
            RecordData::None => NodeData::Other,
            RecordData::Device { rdev } => NodeData::Device { rdev },
            RecordData::Symlink { path } => {
                let path = if path.len() > SYMLINK_MAX {
                    SYMLINK_TOO_LONG
                } else {
                    path
                };
                NodeData::Symlink { path }
            }
            RecordData::File {
                length,
                chunks,
                legacy_sessions,
            } => {
                for session in legacy_sessions.iter() {
                    legacy_open(session, record.inode);
                }
                NodeData::File {
                    length,
                    chunks: chunks.iter().collect::<ChunkList>(),
                }
            }
        };
        let node = Node {
            node_type: record.node_type,
            sclass,
            eattr: record.eattr,
            winattr: record.winattr,
            // The master keeps the mode in a 12-bit field.
            mode: record.mode & 0o7777,
            uid: record.uid,
            gid: record.gid,
            atime: record.atime,
            mtime: record.mtime,
            ctime: record.ctime,
            trashtime: record.trashtime,
            data,
        };
        loaded(&node);
        if nodes.insert(record.inode, node).is_err() {
            return Err(LoadError::rule(
                Tag::NODE,
                at,
                format!("inode {} appears twice", record.inode),
            ));
        }
    }
    if in_bucket_order {
        nodes.mark_in_bucket_order(bits);
    }
    Ok(header)
}

/// Reads an `EDGE` body. Returns whether the ids were out of order (the live master
/// would then renumber them at start-up; a restore leaves them as they are).
pub fn load_edges<'a>(
    r: &mut Reader<'a>,
    version: u8,
    nodes: &mut NodeTable<'a>,
    edges: &mut EdgeTable<'a>,
    behind: &mut ReleaseBehind<'_>,
) -> Result<bool, LoadError> {
    let mut needs_renumbering = match decode_edges_header(r, version)? {
        Some(next) => {
            edges.next_edge_id = next;
            false
        }
        None => {
            edges.next_edge_id = crate::format::metadata::edges::EDGE_ID_MAX;
            true
        }
    };
    // The parent whose run of edges is being read; root edges do not end a run.
    let mut current_parent = 0u32;
    let mut current_last_id = 0u64;
    let mut root_last_id = 0u64;
    // Children are looked up at random (nodes are kept in hash order): their index
    // entries are prefetched as edges enter the window, their nodes halfway through it.
    let mut window = Window::new(r, version, decode_edge);
    for _ in 0..LOOKAHEAD {
        if let Some(e) = window.advance() {
            nodes.prefetch_index(e.child);
        }
    }
    loop {
        if let Some(e) = window.advance() {
            nodes.prefetch_index(e.child);
        }
        if let Some(e) = window.peek(LOOKAHEAD / 2) {
            nodes.prefetch_parents(e.child);
        }
        let Some((at, record)) = window.next()? else {
            break;
        };
        behind.reached(at);
        let refuse = |why: &str| {
            LoadError::rule(
                Tag::EDGE,
                at,
                format!(
                    "edge {} -> {} (\"{}\"): {why}",
                    record.parent,
                    record.child,
                    record.name.escape_ascii()
                ),
            )
        };
        if record.name.is_empty() {
            return Err(refuse("empty name"));
        }
        let limit = if record.parent == 0 {
            PATH_MAX
        } else {
            NAME_MAX
        };
        // An over-long name keeps its last `limit` bytes, as the master does.
        let name = record
            .name
            .get(record.name.len().saturating_sub(limit)..)
            .unwrap_or_default();
        if !nodes.contains(record.child) {
            return Err(refuse("child not found"));
        }
        let idx = edges.alloc(Edge {
            parent: record.parent,
            child: record.child,
            id: record.edge_id,
            name,
            prev: NO_EDGE,
            next: NO_EDGE,
            next_parent: NO_EDGE,
        });
        if record.parent == 0 {
            // Only here is the child's node read: other entries need its index alone.
            let Some(child_type) = nodes.get(record.child).map(|n| n.node_type) else {
                return Err(refuse("child not found"));
            };
            let bucket = match child_type {
                NodeType::Trash => Bucket::Trash,
                NodeType::Sustained => Bucket::Sustained,
                other => {
                    return Err(refuse(&format!(
                        "bad child type {} for a parent-0 entry",
                        other as u8
                    )))
                }
            };
            let mut list = *edges.bucket_mut(bucket, record.child);
            edges.push_front(&mut list, idx);
            *edges.bucket_mut(bucket, record.child) = list;
        } else {
            let Some(parent) = nodes.get_mut(record.parent) else {
                return Err(refuse("parent not found"));
            };
            let NodeData::Directory { children } = &mut parent.data else {
                return Err(refuse(&format!(
                    "bad parent type {}",
                    parent.node_type as u8
                )));
            };
            let last_id = if record.parent == ROOT_INODE {
                &mut root_last_id
            } else {
                if current_parent != record.parent {
                    if !children.is_empty() {
                        return Err(refuse("parent node sequence error"));
                    }
                    current_parent = record.parent;
                    current_last_id = 0;
                }
                &mut current_last_id
            };
            if record.edge_id <= *last_id {
                needs_renumbering = true;
            }
            *last_id = record.edge_id;
            let mut list = *children;
            edges.push_back(&mut list, idx);
            *children = list;
        }
        // Prepend to the child's parent list.
        if let Some(old) = nodes.replace_parents(record.child, idx) {
            if let Some(e) = edges.get_mut(idx) {
                e.next_parent = old;
            }
        }
    }
    Ok(needs_renumbering)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// One-byte records: 0 ends the list, 0xFF does not decode.
    fn decode_byte(r: &mut Reader<'_>, _version: u8) -> Result<Option<u8>, DecodeError> {
        let at = r.offset();
        match r.u8()? {
            0 => Ok(None),
            0xFF => Err(DecodeError::bad_value(at, "test byte", 0xFF)),
            b => Ok(Some(b)),
        }
    }

    /// The records with their offsets, whether the list ended without an error, and
    /// where the reader stopped.
    type Run = (Vec<(u64, u8)>, bool, u64);

    /// A plain loop over the records.
    fn plain(bytes: &[u8]) -> Run {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        loop {
            let at = r.offset();
            match decode_byte(&mut r, 0) {
                Ok(Some(b)) => out.push((at, b)),
                end => return (out, end.is_ok(), r.offset()),
            }
        }
    }

    /// The same through a window kept `ahead` records ahead; every record is also
    /// checked to be what `peek` showed one step earlier.
    fn windowed(bytes: &[u8], ahead: usize) -> Run {
        let mut r = Reader::new(bytes);
        let mut out = Vec::new();
        let mut window = Window::new(&mut r, 0, decode_byte);
        for _ in 0..ahead {
            window.advance();
        }
        let ok = loop {
            window.advance();
            let peeked = window.peek(1).copied();
            match window.next() {
                Ok(Some(record)) => out.push(record),
                end => break end.is_ok(),
            }
            if let Some(p) = peeked {
                assert_eq!(window.peek(0), Some(&p));
            }
        };
        (out, ok, r.offset())
    }

    #[test]
    fn hands_out_what_a_plain_loop_reads_and_stops_where_it_stops() {
        for bytes in [
            &b"\x01\x02\x03\x00rest"[..],
            b"\x00",
            b"\x05\x06",
            b"\x05\xFF\x07\x00",
            b"\xFF",
            b"\x01\x02\x03\x04\x05\x06\x07\x08\x09\x0A\x00\x0B",
        ] {
            let (records, ok, stop) = plain(bytes);
            for ahead in [0, 1, 3, 24] {
                let (w_records, w_ok, w_stop) = windowed(bytes, ahead);
                assert_eq!(w_records, records, "{bytes:?} ahead {ahead}");
                assert_eq!(w_ok, ok, "{bytes:?} ahead {ahead}");
                if ok {
                    assert_eq!(w_stop, stop, "{bytes:?} ahead {ahead}");
                }
            }
        }
    }
}
