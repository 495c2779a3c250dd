//! Writing the `NODE` and `EDGE` sections in the master's order.

use crate::format::metadata::edges as edge_format;
use crate::format::metadata::nodes::{self as node_format, NodeData as RecordData, NodesHeader};
use crate::format::metadata::reader::BeList;
use crate::format::metadata::Encoder;

use super::directory_set::DirectorySet;
use super::edges::{Edge, EdgeTable};
use super::hash::{for_each_in_chain_order, hash32};
use super::load_nodes::ROOT_INODE;
use super::nodes::{EdgeIdx, Node, NodeData, NodeTable};
use super::radix;

/// Bits of the master's node hash table: it starts with the smallest power of two above
/// the loaded node count, at least 2^24. (Growth past that while replaying is not
/// modelled: the order of more than 2^24 nodes may differ from the master's.)
pub fn node_hash_bits(count_hint: u32) -> u32 {
    (32 - count_hint.leading_zeros()).max(24)
}

/// The mask of a node hash of `bits` bits: `hash32(inode) & mask` is the bucket.
pub fn node_hash_mask(bits: u32) -> u32 {
    if bits >= 32 {
        u32::MAX
    } else {
        (1u32 << bits) - 1
    }
}

/// The record form of a node.
fn record<'n>(inode: u32, n: &'n Node<'_>) -> node_format::Node<'n> {
    let data = match &n.data {
        NodeData::Directory { .. } | NodeData::Other => RecordData::None,
        NodeData::Device { rdev } => RecordData::Device { rdev: *rdev },
        NodeData::Symlink { path } => RecordData::Symlink { path },
        NodeData::File { length, .. } => RecordData::File {
            length: *length,
            chunks: BeList::default(),
            legacy_sessions: BeList::default(),
        },
    };
    node_format::Node {
        node_type: n.node_type,
        inode,
        sclass: n.sclass,
        eattr: n.eattr,
        winattr: n.winattr,
        mode: n.mode,
        uid: n.uid,
        gid: n.gid,
        atime: n.atime,
        mtime: n.mtime,
        ctime: n.ctime,
        trashtime: n.trashtime,
        data,
    }
}

/// A `store_nodes` sort key: the bucket in the high half, the slot in the low half.
fn node_key(bucket: u32, slot: u32) -> u64 {
    (u64::from(bucket) << 32) | u64::from(slot)
}

/// The slot a [`node_key`] was made from.
fn slot_of_key(key: u64) -> u32 {
    key as u32
}

/// How far ahead [`store_nodes`] fetches the nodes it reads at random.
const LOOKAHEAD: usize = 16;

/// How many records [`store_nodes`] and [`store_edges`] write between two calls of
/// their `release`.
const RELEASE_EVERY_RECORDS: usize = 1 << 18;

/// Writes the `NODE` body: header, nodes in hash order, terminator. `release` is called
/// every `RELEASE_EVERY_RECORDS` (2^18) nodes: the pages of the inputs that symlink paths
/// borrow from (read back as they are written) may then leave the resident set.
pub fn store_nodes(e: &mut Encoder, nodes: &NodeTable<'_>, hash_bits: u32, release: &dyn Fn()) {
    node_format::encode_header(
        e,
        NodesHeader {
            max_node_id: nodes.max_node_id,
            node_count: nodes.len(),
        },
    );
    let mask = node_hash_mask(hash_bits);
    let mut written = 0usize;
    let mut put = |e: &mut Encoder, inode: u32, n: &Node<'_>| {
        if written % RELEASE_EVERY_RECORDS == RELEASE_EVERY_RECORDS - 1 {
            release();
        }
        written += 1;
        let chunks = n.stored_chunks();
        node_format::encode_node_with_chunks(e, &record(inode, n), chunks.iter().copied());
    };
    // The master's order: buckets ascending, the newest node first within a bucket.
    // The slots marked as in bucket order (a table as loaded from the master's file) are
    // read straight along, each bucket's run reversed; the slots after them (nodes added
    // since, all newer) are sorted by bucket and each goes before the older nodes of its
    // bucket.
    let ordered = nodes.bucket_ordered_slots(hash_bits);
    let bucket_of = |inode: u32| hash32(inode) & mask;
    // Slots are in insertion order (removals keep the order of the rest), so keys listed
    // by slot need a stable sort by bucket, then each bucket's run reversed.
    let mut newer: Vec<u64> = nodes
        .iter_slots_in(ordered..usize::MAX)
        .map(|(slot, inode, _)| node_key(bucket_of(inode), slot))
        .collect();
    if !newer.is_sorted_by_key(|k| k >> 32) {
        radix::sort_by_field(&mut newer, 32, hash_bits);
    }
    for bucket in newer.chunk_by_mut(|a, b| a >> 32 == b >> 32) {
        bucket.reverse();
    }
    // The newer nodes are read in hash order, that is at random: each is fetched a few
    // steps ahead so that the memory loads overlap, then its chunk list if kept out of
    // line (also for the older nodes, read in order).
    let mut next = 0;
    // Writes the newer nodes of the buckets up to `bucket`, then `older` (of `bucket`).
    let mut merge = |e: &mut Encoder, bucket: u32, older: Option<(u32, &Node<'_>)>| {
        while let Some(&key) = newer.get(next).filter(|k| *k >> 32 <= u64::from(bucket)) {
            if let Some(&ahead) = newer.get(next + LOOKAHEAD) {
                nodes.prefetch_slot(slot_of_key(ahead));
            }
            if let Some(&ahead) = newer.get(next + LOOKAHEAD / 2) {
                nodes.prefetch_chunk_list(slot_of_key(ahead));
            }
            next += 1;
            if let Some((inode, n)) = nodes.at_slot(slot_of_key(key)) {
                put(e, inode, n);
            }
        }
        if let Some((inode, n)) = older {
            put(e, inode, n);
        }
    };
    for_each_in_chain_order(
        nodes.iter_slots_in(0..ordered).map(|(slot, inode, n)| {
            nodes.prefetch_chunk_list(slot.saturating_add(LOOKAHEAD as u32));
            (inode, n)
        }),
        |&(inode, _)| bucket_of(inode),
        |(inode, n)| merge(e, bucket_of(inode), Some((inode, n))),
    );
    merge(e, u32::MAX, None);
    node_format::encode_end(e);
}

fn put_edge(e: &mut Encoder, edge: &Edge<'_>) {
    edge_format::encode_edge(
        e,
        &edge_format::Edge {
            parent: edge.parent,
            child: edge.child,
            edge_id: edge.id,
            name: edge.name,
        },
    );
}

/// Writes the `EDGE` body: the tree from the root (each directory's whole child list,
/// then its sub-directories in list order), the trash buckets, the sustained buckets.
/// `release` is called every `RELEASE_EVERY_RECORDS` (2^18) edges or so, as in
/// [`store_nodes`] (names are read back from the inputs).
pub fn store_edges(
    e: &mut Encoder,
    nodes: &NodeTable<'_>,
    edges: &EdgeTable<'_>,
    release: &dyn Fn(),
) {
    edge_format::encode_header(e, edges.next_edge_id);
    let written = std::cell::Cell::new(0usize);
    let put_edge = |e: &mut Encoder, edge: &Edge<'_>| {
        written.set(written.get() + 1);
        if written.get() % RELEASE_EVERY_RECORDS == 0 {
            release();
        }
        put_edge(e, edge);
    };
    let children_of = |inode: u32| match nodes.get(inode).map(|n| &n.data) {
        Some(NodeData::Directory { children }) => Some(*children),
        _ => None,
    };
    let directories = DirectorySet::new(nodes);
    // Depth-first without recursion: each stack entry is the next child edge of a
    // directory whose list was written and whose sub-directories are being visited.
    let mut stack: Vec<EdgeIdx> = Vec::new();
    if let Some(list) = children_of(ROOT_INODE) {
        for (_, edge) in edges.iter_list(list) {
            put_edge(e, edge);
        }
        stack.push(list.head);
    }
    while let Some(top) = stack.last_mut() {
        let Some(edge) = edges.get(*top) else {
            stack.pop();
            continue;
        };
        *top = edge.next;
        // Only a directory's node is read: a read per entry would miss the cache.
        if !directories.contains(nodes, edge.child) {
            continue;
        }
        if let Some(list) = children_of(edge.child) {
            for (_, child_edge) in edges.iter_list(list) {
                put_edge(e, child_edge);
            }
            stack.push(list.head);
        }
    }
    for list in edges.trash.iter().chain(edges.sustained.iter()) {
        for (_, edge) in edges.iter_list(*list) {
            put_edge(e, edge);
        }
    }
    edge_format::encode_end(e);
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::metadata::nodes::NodeType;
    use crate::model::chunk_list::ChunkList;
    use crate::model::nodes::EdgeList;

    fn node(inode: u32) -> Node<'static> {
        let data = if inode % 3 == 0 {
            NodeData::Directory {
                children: EdgeList::default(),
            }
        } else {
            NodeData::File {
                length: u64::from(inode),
                chunks: [u64::from(inode), 0, 7].into_iter().collect::<ChunkList>(),
            }
        };
        Node {
            node_type: if inode % 3 == 0 {
                NodeType::Directory
            } else {
                NodeType::File
            },
            sclass: 1,
            eattr: 0,
            winattr: 0,
            mode: 0o644,
            uid: inode,
            gid: 0,
            atime: 0,
            mtime: 0,
            ctime: 0,
            trashtime: 24,
            data,
        }
    }

    fn stored(t: &NodeTable<'_>, bits: u32) -> Vec<u8> {
        let mut e = Encoder::new(true);
        store_nodes(&mut e, t, bits, &|| {});
        let (mut bytes, records) = e.finish();
        bytes.extend(records.iter().flat_map(|(_, crc)| crc.to_be_bytes()));
        bytes
    }

    /// A table whose slots are marked as in bucket order (as a load of the master's file
    /// marks it) is stored as the sorting store would: buckets holding several nodes
    /// are reversed, removed nodes are left out, nodes inserted after the mark go first
    /// in their buckets, also after a compaction.
    #[test]
    fn slots_in_bucket_order_are_stored_as_sorted_ones() {
        // Few bits, so that most buckets hold several nodes.
        let bits = 6;
        let sorted = |range: std::ops::Range<u32>| {
            let mut inodes: Vec<u32> = range.collect();
            inodes.sort_by_key(|&i| hash32(i) & ((1 << bits) - 1));
            inodes
        };
        let table = |inodes: &[u32], mark: bool| {
            let mut t = NodeTable::new(1 << 20);
            for &i in inodes {
                t.insert(i, node(i)).unwrap();
            }
            if mark {
                t.mark_in_bucket_order(bits);
            }
            t
        };
        let inodes = sorted(1..300);
        let (mut marked, mut plain) = (table(&inodes, true), table(&inodes, false));
        assert_eq!(marked.bucket_ordered_slots(bits), inodes.len());
        assert_eq!(plain.bucket_ordered_slots(bits), 0);
        assert_eq!(marked.bucket_ordered_slots(bits + 1), 0);
        assert_eq!(stored(&marked, bits), stored(&plain, bits));
        for t in [&mut marked, &mut plain] {
            t.remove(inodes[10]).unwrap();
            t.remove(*inodes.last().unwrap()).unwrap();
            for i in [1000, 700, 1001, 1002, 5000] {
                t.insert(i, node(i)).unwrap();
            }
            t.remove(1001).unwrap();
        }
        assert_eq!(marked.bucket_ordered_slots(bits), inodes.len() - 1);
        assert_eq!(stored(&marked, bits), stored(&plain, bits));

        // More holes than nodes: the next insert compacts the slots.
        let many = sorted(1..(3 << 16));
        let (mut marked, mut plain) = (table(&many, true), table(&many, false));
        for t in [&mut marked, &mut plain] {
            for &i in many.iter().filter(|&&i| i % 5 != 0) {
                t.remove(i).unwrap();
            }
            t.insert(1 << 19, node(1 << 19)).unwrap();
            t.insert(3, node(3)).unwrap();
        }
        assert_eq!(marked.bucket_ordered_slots(bits), many.len() / 5);
        assert_eq!(stored(&marked, bits), stored(&plain, bits));
    }
}
