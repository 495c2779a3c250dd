//! Nodes (inodes), in a table indexed by inode number.
//!
//! MooseFS hands out the lowest free inode number, so inode numbers are dense: the
//! table is a `Vec` indexed by inode up to a bound set from the input size, with a
//! hash map only for numbers beyond it (never allocate from an untrusted number).

use std::collections::HashMap;

use super::prefault::Region;
use super::prefetch::{prefetch, prefetch_all};

pub use crate::format::metadata::nodes::NodeType;

/// An index into the edge table; [`NO_EDGE`] = none.
pub type EdgeIdx = u32;
/// No edge.
pub const NO_EDGE: EdgeIdx = u32::MAX;

/// The symlink target the master substitutes for one longer than it accepts.
pub const SYMLINK_TOO_LONG: &[u8] = b"... path too long ...\0";
/// Longest symlink target the master accepts.
pub const SYMLINK_MAX: usize = 4096;

pub use super::chunk_list::ChunkList;

/// A doubly linked list of edges (a directory's children, or a trash bucket).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct EdgeList {
    pub head: EdgeIdx,
    pub tail: EdgeIdx,
}

impl Default for EdgeList {
    fn default() -> Self {
        EdgeList {
            head: NO_EDGE,
            tail: NO_EDGE,
        }
    }
}

impl EdgeList {
    pub fn is_empty(&self) -> bool {
        self.head == NO_EDGE
    }
}

/// The type-specific part of a node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum NodeData<'a> {
    Directory {
        children: EdgeList,
    },
    /// Fifo or socket.
    Other,
    Device {
        rdev: u32,
    },
    Symlink {
        path: &'a [u8],
    },
    /// File, trash or sustained file.
    File {
        length: u64,
        chunks: ChunkList,
    },
}

/// One node.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Node<'a> {
    pub node_type: NodeType,
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

impl Node<'_> {
    /// The chunk ids as the master stores them: trailing holes dropped.
    pub fn stored_chunks(&self) -> &[u64] {
        match &self.data {
            NodeData::File { chunks, .. } => {
                let used = chunks.iter().rposition(|&c| c != 0).map_or(0, |i| i + 1);
                chunks.get(..used).unwrap_or_default()
            }
            _ => &[],
        }
    }
}

/// Holes in `slots` below this many are never compacted away.
const COMPACT_MIN_HOLES: usize = 1 << 16;

/// One place of [`NodeTable::slots`]: a node and its inode, or a hole left by a removal.
/// One cache line exactly: nodes are looked up at random.
#[derive(Debug)]
#[repr(align(64))]
struct Slot<'a> {
    inode: u32,
    node: Option<Node<'a>>,
}

/// All nodes, by inode number.
///
/// The nodes themselves sit in a vector in insertion order, and an index maps an inode to
/// its place. A metadata file lists nodes in the master's hash order (random in inode
/// terms) and is written back in that order, so both loading and storing walk the node
/// vector front to back; only the small index (4 bytes an inode) is touched at random.
#[derive(Debug, Default)]
pub struct NodeTable<'a> {
    slots: Vec<Slot<'a>>,
    /// Per slot, the head of the node's parent list: the edges pointing to it, linked
    /// through `Edge::next_parent`, newest first. Kept apart from the nodes, in a
    /// small array, so that linking the loaded edges to their children (at random
    /// places) touches it instead of the nodes.
    parents: Vec<EdgeIdx>,
    /// `slot + 1` of each inode below `dense_limit` (0 = no node).
    index: Vec<u32>,
    /// Slots of inodes at or above `dense_limit`.
    sparse: HashMap<u32, u32>,
    dense_limit: u32,
    count: u32,
    /// Removed nodes still taking a slot.
    holes: usize,
    /// Highest inode number ever allocated (stored in the file).
    pub max_node_id: u32,
    /// `(bits, n)`: the first `n` slots are in ascending bucket order of the master's
    /// node hash of `bits` bits (see [`NodeTable::mark_in_bucket_order`]); inserts go
    /// after them, removals and compaction keep their order.
    bucket_order: Option<(u32, usize)>,
}

impl<'a> NodeTable<'a> {
    /// A table that indexes inodes below `dense_limit` in a vector (grown on demand).
    pub fn new(dense_limit: u32) -> Self {
        NodeTable {
            dense_limit,
            ..Default::default()
        }
    }

    /// Makes room for `nodes` more nodes (a size hint, e.g. from a section header; the
    /// caller bounds it by the input size).
    pub fn reserve(&mut self, nodes: usize) {
        self.slots.reserve(nodes);
        self.parents.reserve(nodes);
    }

    /// Where the next `nodes` insertions will be stored, if the capacity holds them (see
    /// [`super::prefault`]).
    pub fn spare_regions(&self, nodes: usize) -> [Region; 2] {
        [
            Region::spare(&self.slots, nodes),
            Region::spare(&self.parents, nodes),
        ]
    }

    /// Raises the bound below which inodes are indexed by a vector (e.g. before replaying
    /// changelogs that will create many nodes); inodes already in the map below the new
    /// bound move to the vector. A lower bound than the current one changes nothing.
    pub fn grow_dense_limit(&mut self, limit: u32) {
        if limit <= self.dense_limit {
            return;
        }
        self.dense_limit = limit;
        let moving: Vec<(u32, u32)> = self
            .sparse
            .iter()
            .filter(|&(&i, _)| i < limit)
            .map(|(&i, &s)| (i, s))
            .collect();
        for (inode, slot) in moving {
            self.sparse.remove(&inode);
            self.set_index(inode, slot);
        }
    }

    /// Records that `inode` (below the dense limit) is at `slot`.
    fn set_index(&mut self, inode: u32, slot: u32) {
        let i = inode as usize;
        if self.index.len() <= i {
            let want = (i + 1).max(self.index.len().saturating_mul(2));
            self.index
                .resize(want.min(self.dense_limit as usize).max(i + 1), 0);
        }
        if let Some(at) = self.index.get_mut(i) {
            *at = slot.wrapping_add(1);
        }
    }

    /// The slot of `inode`.
    #[inline]
    fn slot_of(&self, inode: u32) -> Option<usize> {
        if inode < self.dense_limit {
            match self.index.get(inode as usize) {
                Some(&s) if s != 0 => Some((s - 1) as usize),
                _ => None,
            }
        } else {
            self.sparse.get(&inode).map(|&s| s as usize)
        }
    }

    /// Frees the table's blocks without visiting the nodes, for a process about to exit:
    /// what the nodes own themselves (long chunk lists) is left to the exit. Dropping
    /// the table instead would read every node (over 100 MB at 2 million files).
    pub fn release_for_exit(mut self) {
        // SAFETY: a length of 0 is within the capacity and leaves no element to be read;
        // the nodes are leaked, never dropped twice or used again.
        unsafe { self.slots.set_len(0) };
    }

    /// Number of nodes.
    pub fn len(&self) -> u32 {
        self.count
    }

    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    #[inline]
    pub fn get(&self, inode: u32) -> Option<&Node<'a>> {
        let slot = self.slot_of(inode)?;
        self.slots.get(slot).and_then(|s| s.node.as_ref())
    }

    #[inline]
    pub fn get_mut(&mut self, inode: u32) -> Option<&mut Node<'a>> {
        let slot = self.slot_of(inode)?;
        self.slots.get_mut(slot).and_then(|s| s.node.as_mut())
    }

    /// The head of `inode`'s parent list (`None`: no such node).
    #[inline]
    pub fn parents(&self, inode: u32) -> Option<EdgeIdx> {
        self.parents.get(self.slot_of(inode)?).copied()
    }

    /// Sets the head of `inode`'s parent list (nothing if there is no such node).
    #[inline]
    pub fn set_parents(&mut self, inode: u32, head: EdgeIdx) {
        self.replace_parents(inode, head);
    }

    /// [`NodeTable::set_parents`], giving back the head it replaced.
    #[inline]
    pub fn replace_parents(&mut self, inode: u32, head: EdgeIdx) -> Option<EdgeIdx> {
        let at = self
            .slot_of(inode)
            .and_then(|slot| self.parents.get_mut(slot))?;
        Some(std::mem::replace(at, head))
    }

    /// The head of the parent list of the node at a place given by
    /// [`NodeTable::iter_slots`].
    #[inline]
    pub fn parents_at_slot(&self, slot: u32) -> EdgeIdx {
        self.parents.get(slot as usize).copied().unwrap_or(NO_EDGE)
    }

    /// Hints that `inode`'s parent list head will be needed soon; best after
    /// [`NodeTable::prefetch_index`] had time to work.
    #[inline]
    pub fn prefetch_parents(&self, inode: u32) {
        if let Some(at) = self.slot_of(inode).and_then(|slot| self.parents.get(slot)) {
            prefetch(at);
        }
    }

    /// Hints that `inode`'s index entry will be needed soon (see [`super::prefetch`]).
    #[inline]
    pub fn prefetch_index(&self, inode: u32) {
        if inode < self.dense_limit {
            if let Some(at) = self.index.get(inode as usize) {
                prefetch(at);
            }
        }
    }

    /// Hints that `inode`'s node will be needed soon; best after
    /// [`NodeTable::prefetch_index`] had time to work.
    #[inline]
    pub fn prefetch_node(&self, inode: u32) {
        if let Some(s) = self.slot_of(inode).and_then(|slot| self.slots.get(slot)) {
            prefetch_all(s);
        }
    }

    /// Hints that the node at `slot` (see [`NodeTable::at_slot`]) will be read soon.
    #[inline]
    pub fn prefetch_slot(&self, slot: u32) {
        if let Some(s) = self.slots.get(slot as usize) {
            prefetch_all(s);
        }
    }

    /// Hints that the chunk list of the node at `slot` will be read soon, when it is
    /// kept out of line; best after the node itself is in the cache.
    #[inline]
    pub fn prefetch_chunk_list(&self, slot: u32) {
        if let Some(Some(Node {
            data: NodeData::File { chunks, .. },
            ..
        })) = self.slots.get(slot as usize).map(|s| &s.node)
        {
            chunks.prefetch();
        }
    }

    /// Whether there is a node `inode` (the index alone says so).
    #[inline]
    pub fn contains(&self, inode: u32) -> bool {
        self.slot_of(inode).is_some()
    }

    /// Adds a node, last in insertion order (which decides the order of nodes sharing
    /// a bucket of the master's node hash). Returns it back if the inode is taken.
    pub fn insert(&mut self, inode: u32, node: Node<'a>) -> Result<(), Node<'a>> {
        if self.contains(inode) {
            return Err(node);
        }
        if self.holes >= COMPACT_MIN_HOLES && self.holes > self.count as usize {
            self.compact();
        }
        // Slot numbers are u32 (stored + 1 in the index); with no holes left that
        // allows more nodes than there are inode numbers.
        let Ok(slot) = u32::try_from(self.slots.len()) else {
            return Err(node);
        };
        if slot == u32::MAX {
            return Err(node);
        }
        self.slots.push(Slot {
            inode,
            node: Some(node),
        });
        self.parents.push(NO_EDGE);
        if inode < self.dense_limit {
            self.set_index(inode, slot);
        } else {
            self.sparse.insert(inode, slot);
        }
        self.count += 1;
        Ok(())
    }

    /// Records that the slots, as they are now, come in ascending bucket order of the
    /// master's node hash of `bits` bits (checked by the caller, e.g. while loading a
    /// file the master wrote). Removals keep that order, and later inserts come after
    /// those slots (see [`NodeTable::bucket_ordered_slots`]).
    pub fn mark_in_bucket_order(&mut self, bits: u32) {
        self.bucket_order = Some((bits, self.slots.len()));
    }

    /// How many of the first slots are known to be in ascending bucket order for
    /// `bits` (0 when none are).
    pub fn bucket_ordered_slots(&self, bits: u32) -> usize {
        match self.bucket_order {
            Some((marked, n)) if marked == bits => n,
            _ => 0,
        }
    }

    /// Removes a node.
    pub fn remove(&mut self, inode: u32) -> Option<Node<'a>> {
        let slot = self.slot_of(inode)?;
        let removed = self.slots.get_mut(slot).and_then(|s| s.node.take())?;
        if inode < self.dense_limit {
            if let Some(at) = self.index.get_mut(inode as usize) {
                *at = 0;
            }
        } else {
            self.sparse.remove(&inode);
        }
        self.count -= 1;
        self.holes += 1;
        if let Some(at) = self.parents.get_mut(slot) {
            *at = NO_EDGE;
        }
        // Holes at the end are simply dropped.
        while self.slots.last().is_some_and(|s| s.node.is_none()) {
            self.slots.pop();
            self.parents.pop();
            self.holes -= 1;
        }
        if let Some((_, ordered)) = &mut self.bucket_order {
            *ordered = (*ordered).min(self.slots.len());
        }
        Some(removed)
    }

    /// Closes the holes left by removals (keeping the insertion order) and re-indexes.
    fn compact(&mut self) {
        if let Some((_, ordered)) = &mut self.bucket_order {
            let end = (*ordered).min(self.slots.len());
            *ordered = self
                .slots
                .get(..end)
                .map_or(0, |s| s.iter().filter(|s| s.node.is_some()).count());
        }
        let mut kept = self.slots.iter().map(|s| s.node.is_some());
        self.parents.retain(|_| kept.next().unwrap_or(false));
        self.slots.retain(|s| s.node.is_some());
        self.holes = 0;
        for (slot, s) in self.slots.iter().enumerate() {
            let slot = slot as u32;
            if s.inode < self.dense_limit {
                if let Some(at) = self.index.get_mut(s.inode as usize) {
                    *at = slot + 1;
                }
            } else if let Some(at) = self.sparse.get_mut(&s.inode) {
                *at = slot;
            }
        }
    }

    /// All nodes with their place (for [`NodeTable::at_slot`]), in insertion order.
    pub fn iter_slots(&self) -> impl Iterator<Item = (u32, u32, &Node<'a>)> {
        self.iter_slots_in(0..self.slots.len())
    }

    /// [`NodeTable::iter_slots`] for the slots in `range` (clamped to the slots there
    /// are).
    pub fn iter_slots_in(
        &self,
        range: std::ops::Range<usize>,
    ) -> impl Iterator<Item = (u32, u32, &Node<'a>)> {
        let end = range.end.min(self.slots.len());
        let start = range.start.min(end);
        self.slots
            .get(start..end)
            .unwrap_or_default()
            .iter()
            .enumerate()
            .filter_map(move |(i, s)| s.node.as_ref().map(|n| ((start + i) as u32, s.inode, n)))
    }

    /// The inode and node at a place given by [`NodeTable::iter_slots`].
    #[inline]
    pub fn at_slot(&self, slot: u32) -> Option<(u32, &Node<'a>)> {
        let s = self.slots.get(slot as usize)?;
        s.node.as_ref().map(|n| (s.inode, n))
    }

    /// Every inode that has a node (from the index: no node is read).
    pub fn inodes(&self) -> impl Iterator<Item = u32> + '_ {
        let dense = self
            .index
            .iter()
            .enumerate()
            .filter(|(_, &slot)| slot != 0)
            .map(|(inode, _)| inode as u32);
        dense.chain(self.sparse.keys().copied())
    }

    /// All nodes, in insertion order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Node<'a>)> {
        self.slots
            .iter()
            .filter_map(|s| s.node.as_ref().map(|n| (s.inode, n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_slot_is_one_cache_line() {
        assert_eq!(std::mem::size_of::<Slot<'_>>(), 64);
        assert_eq!(std::mem::align_of::<Slot<'_>>(), 64);
    }

    fn dir() -> Node<'static> {
        Node {
            node_type: NodeType::Directory,
            sclass: 2,
            eattr: 0,
            winattr: 0,
            mode: 0o755,
            uid: 0,
            gid: 0,
            atime: 0,
            mtime: 0,
            ctime: 0,
            trashtime: 24,
            data: NodeData::Directory {
                children: EdgeList::default(),
            },
        }
    }

    fn insertion_order(t: &NodeTable<'_>) -> Vec<u32> {
        t.iter_slots().map(|(_, inode, _)| inode).collect()
    }

    #[test]
    fn compaction_keeps_the_insertion_order() {
        let mut t = NodeTable::new(1 << 20);
        let n = COMPACT_MIN_HOLES as u32 + 1000;
        for inode in 1..=n {
            t.insert(inode, dir()).unwrap();
            t.set_parents(inode, inode * 2);
        }
        // Remove all but every 100th node: more holes than nodes, so the next insert
        // compacts the slots.
        for inode in (1..=n).filter(|i| i % 100 != 0) {
            assert!(t.remove(inode).is_some());
        }
        t.insert(n + 1, dir()).unwrap();
        // Each node keeps its parent list; a new node has none.
        for inode in (1..=n).filter(|i| i % 100 == 0) {
            assert_eq!(t.parents(inode), Some(inode * 2));
        }
        assert_eq!(t.parents(n + 1), Some(NO_EDGE));
        assert_eq!(t.parents(1), None);
        let mut expected: Vec<u32> = (1..=n).filter(|i| i % 100 == 0).collect();
        expected.push(n + 1);
        assert_eq!(insertion_order(&t), expected);
        let slots: Vec<u32> = t.iter_slots().map(|(slot, _, _)| slot).collect();
        assert_eq!(slots, (0..expected.len() as u32).collect::<Vec<_>>());
    }

    #[test]
    fn dense_and_sparse_inodes_behave_alike() {
        let mut t = NodeTable::new(100);
        t.insert(5, dir()).unwrap();
        t.insert(4_000_000_000, dir()).unwrap();
        assert!(t.insert(5, dir()).is_err());
        assert_eq!(t.len(), 2);
        assert_eq!(insertion_order(&t), [5, 4_000_000_000]);
        t.insert(7, dir()).unwrap();
        t.insert(4_000_000_001, dir()).unwrap();
        assert!(t.remove(4_000_000_000).is_some());
        assert!(t.get(4_000_000_000).is_none());
        assert_eq!(t.iter().count(), 3);
        assert!(t.remove(7).is_some());
        let mut inodes: Vec<u32> = t.inodes().collect();
        inodes.sort_unstable();
        assert_eq!(inodes, [5, 4_000_000_001]);
    }

    #[test]
    fn growing_the_dense_limit_keeps_every_node() {
        let mut t = NodeTable::new(10);
        t.insert(5, dir()).unwrap();
        t.insert(50, dir()).unwrap();
        t.insert(5000, dir()).unwrap();
        t.grow_dense_limit(100);
        assert_eq!(t.len(), 3);
        assert_eq!(insertion_order(&t), [5, 50, 5000]);
        assert!(t.insert(50, dir()).is_err());
        assert_eq!(t.iter().count(), 3);
    }

    #[test]
    fn stored_chunks_drop_trailing_holes_only() {
        let mut n = dir();
        n.node_type = NodeType::File;
        n.data = NodeData::File {
            length: 0,
            chunks: ChunkList::from_slice(&[0, 7, 0, 9, 0, 0]),
        };
        assert_eq!(n.stored_chunks(), &[0, 7, 0, 9]);
    }
}
