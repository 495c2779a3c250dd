//! Loading the `NODE` and `EDGE` sections with the 3.0.117 loader's rules.

use crate::format::metadata::edges::{decode_edge, decode_header as decode_edges_header};
use crate::format::metadata::nodes::{
    decode_header as decode_nodes_header, decode_node, NodeData as RecordData, NodesHeader,
};
use crate::format::metadata::{DecodeError, Reader, Tag};

use super::edges::{Bucket, Edge, EdgeTable, NAME_MAX, PATH_MAX};
use super::error::LoadError;
use super::nodes::{
    ChunkList, Node, NodeData, NodeTable, NodeType, NO_EDGE, SYMLINK_MAX, SYMLINK_TOO_LONG,
};
use super::prefault::ReleaseBehind;

/// The shortest `NODE` record of any version.
pub const MIN_NODE_RECORD: usize = 32;

/// The root directory's inode.
pub const ROOT_INODE: u32 = 1;

/// How many records ahead of the loader its prefetching cursor runs.
const LOOKAHEAD: usize = 24;

/// A second cursor over a section, running ahead of the loader to prefetch what the
/// loader will look up for each record. It only reads: a record it cannot decode stops
/// it (the loader reports that record itself when it gets there).
struct Ahead<'a, T> {
    r: Option<Reader<'a>>,
    version: u8,
    decode: fn(&mut Reader<'a>, u8) -> Result<Option<T>, DecodeError>,
}

impl<'a, T> Ahead<'a, T> {
    fn new(
        r: &Reader<'a>,
        version: u8,
        decode: fn(&mut Reader<'a>, u8) -> Result<Option<T>, DecodeError>,
    ) -> Self {
        Ahead {
            r: Some(r.clone()),
            version,
            decode,
        }
    }

    /// The next record, if it decodes.
    fn next(&mut self) -> Option<T> {
        let r = self.r.as_mut()?;
        match (self.decode)(r, self.version) {
            Ok(Some(record)) => Some(record),
            _ => {
                self.r = None;
                None
            }
        }
    }
}

/// Reads a `NODE` body into `nodes`. `legacy_header` is set for files before format 2.0,
/// whose node list has no header. Returns the node count the header announced (a hash
/// size hint) and, per node, the session ids of old formats' open-file lists.
pub fn load_nodes<'a>(
    r: &mut Reader<'a>,
    version: u8,
    legacy_header: Option<NodesHeader>,
    nodes: &mut NodeTable<'a>,
    behind: &mut ReleaseBehind<'_>,
    mut legacy_open: impl FnMut(u32, u32),
) -> Result<NodesHeader, LoadError> {
    let header = match legacy_header {
        Some(h) => h,
        None => decode_nodes_header(r, version)?,
    };
    nodes.max_node_id = header.max_node_id;
    // The announced count, bounded by what the body can hold, so a lying header cannot
    // allocate much (a no-op when `Image::load` reserved already).
    nodes.reserve((header.node_count as usize).min(r.remaining() / MIN_NODE_RECORD));
    // Nodes come in hash order, so the duplicate check reads the inode index at random.
    let mut ahead = Ahead::new(r, version, decode_node);
    for _ in 0..LOOKAHEAD {
        if let Some(n) = ahead.next() {
            nodes.prefetch_index(n.inode);
        }
    }
    loop {
        if let Some(n) = ahead.next() {
            nodes.prefetch_index(n.inode);
        }
        let at = r.offset();
        behind.reached(at);
        let Some(record) = decode_node(r, version)? else {
            break;
        };
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
            parents: NO_EDGE,
            data,
        };
        if nodes.insert(record.inode, node).is_err() {
            return Err(LoadError::rule(
                Tag::NODE,
                at,
                format!("inode {} appears twice", record.inode),
            ));
        }
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
    // Children are looked up at random (nodes are kept in hash order): one cursor ahead
    // prefetches their index entries, a nearer one their nodes.
    let mut far = Ahead::new(r, version, decode_edge);
    let mut near = Ahead::new(r, version, decode_edge);
    for i in 0..LOOKAHEAD {
        if let Some(e) = far.next() {
            nodes.prefetch_index(e.child);
        }
        if i >= LOOKAHEAD / 2 {
            if let Some(e) = near.next() {
                nodes.prefetch_node(e.child);
            }
        }
    }
    loop {
        if let Some(e) = far.next() {
            nodes.prefetch_index(e.child);
        }
        if let Some(e) = near.next() {
            nodes.prefetch_node(e.child);
        }
        let at = r.offset();
        behind.reached(at);
        let Some(record) = decode_edge(r, version)? else {
            break;
        };
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
        let Some(child) = nodes.get(record.child) else {
            return Err(refuse("child not found"));
        };
        let child_type = child.node_type;
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
        if let Some(child) = nodes.get_mut(record.child) {
            let old = child.parents;
            child.parents = idx;
            if let Some(e) = edges.get_mut(idx) {
                e.next_parent = old;
            }
        }
    }
    Ok(needs_renumbering)
}
