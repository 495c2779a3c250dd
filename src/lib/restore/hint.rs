//! What the replay fetches into the cache ahead of the line it applies.
//!
//! The tables a changelog line reaches (nodes, entries, chunks, attribute lists) are
//! far larger than the cache and are reached at random places, so each lookup would
//! wait for memory in turn. The replay calls [`hint`] for lines a few places ahead, in
//! steps: a step fetches what the previous one, some lines earlier, lets it find
//! without waiting (an index slot, then the node or edge it names, then what that
//! points to). A hint never changes anything, and a wrong one only costs a fetch.

use crate::format::changelog::{Line, Op, Subject};
use crate::model::image::Image;
use crate::model::nodes::{ChunkList, NodeData};

/// Which step of fetching what a line looks up into the cache.
#[derive(Clone, Copy)]
pub(super) enum Hint {
    /// The table slots that say where the node and the named entry are (the chunk
    /// itself for chunks).
    Index,
    /// The node, and the edge the name's slot points to.
    Entry,
    /// What the fetched nodes and edges point to (see [`hint_data`]).
    Data,
}

/// Prefetches, for the step `step`, what `line` will look up (see [`Subject`] and
/// [`Op::entry`]).
pub(super) fn hint(image: &Image<'_>, line: Option<&Line<'_>>, step: Hint) {
    let Some(line) = line else {
        return;
    };
    if let Hint::Data = step {
        hint_data(image, &line.op);
        return;
    }
    if let Some((parent, Some(name))) = line.op.entry().map(|(p, n)| (p, n.as_plain())) {
        match step {
            Hint::Index => image.names.prefetch_slot(parent, name),
            _ => image.names.prefetch_edge(&image.edges, parent, name),
        }
    }
    match (line.op.subject(), step) {
        (Some(Subject::Node(inode)), Hint::Index) => image.nodes.prefetch_index(inode),
        (Some(Subject::Node(inode)), Hint::Entry) => image.nodes.prefetch_node(inode),
        (Some(Subject::Chunk(id)), Hint::Index) => image.chunks.prefetch(id),
        _ => {}
    }
    match (&line.op, step) {
        // A deleted file may go to the trash under its path, which is read up from its
        // directory: the directory's own entry.
        (Op::Unlink { parent, .. }, Hint::Entry) => image.nodes.prefetch_parents(*parent),
        // An open or a close counts the inode's relations.
        (Op::Acquire { inode, .. } | Op::Release { inode, .. }, Hint::Index) => {
            image.open_files.prefetch(*inode)
        }
        // An attribute change looks its inode up in the attribute index, then the entry.
        (Op::SetXattr { inode, .. }, Hint::Index) => image.xattrs.prefetch_index(*inode),
        (Op::SetXattr { inode, .. }, Hint::Entry) => image.xattrs.prefetch_entry(*inode),
        // A move also reads its destination directory and looks the new name up there.
        (
            Op::Move {
                parent_dst,
                name_dst,
                ..
            },
            _,
        ) => {
            if let Some(name) = name_dst.as_plain() {
                match step {
                    Hint::Index => image.names.prefetch_slot(*parent_dst, name),
                    _ => image.names.prefetch_edge(&image.edges, *parent_dst, name),
                }
            }
            match step {
                Hint::Index => image.nodes.prefetch_index(*parent_dst),
                _ => image.nodes.prefetch_node(*parent_dst),
            }
        }
        _ => {}
    }
    // The node whose names change, and the head of its list of names (kept apart from
    // the node).
    if let Some(inode) = line.op.renamed_node() {
        match step {
            Hint::Index => image.nodes.prefetch_index(inode),
            _ => {
                image.nodes.prefetch_node(inode);
                image.nodes.prefetch_parents(inode);
            }
        }
    }
}

/// The [`Hint::Data`] step: reads what the earlier steps fetched and fetches what it
/// points to: the name of the entry found by name, the entry at the head of the
/// directory a new entry goes into, a file's chunk list kept out of line, or the chunk a
/// write or truncation changes when the list is in the node.
fn hint_data(image: &Image<'_>, op: &Op<'_>) {
    // An entry looked up by name: the name of the edge found, for the comparison.
    if let (Op::Unlink { .. } | Op::Move { .. }, Some((parent, Some(name)))) =
        (op, op.entry().map(|(p, n)| (p, n.as_plain())))
    {
        image.names.prefetch_name(&image.edges, parent, name);
    }
    // A new entry goes at the head of its directory's list: the entry there now.
    if let Op::Create { parent, .. }
    | Op::Symlink { parent, .. }
    | Op::Link { parent, .. }
    | Op::Move {
        parent_dst: parent, ..
    } = *op
    {
        if let Some(NodeData::Directory { children }) = image.nodes.get(parent).map(|n| &n.data) {
            image.edges.prefetch(children.head);
        }
    }
    let (inode, indx) = match *op {
        Op::Write { inode, indx, .. } | Op::Trunc { inode, indx, .. } => (inode, Some(indx)),
        Op::Length { inode, .. } => (inode, None),
        _ => return,
    };
    if let Some(NodeData::File { chunks, .. }) = image.nodes.get(inode).map(|n| &n.data) {
        match (chunks, indx) {
            (ChunkList::One(id), Some(0)) => image.chunks.prefetch(*id),
            (chunks, _) => chunks.prefetch(),
        }
    }
}
