//! Nodes (inodes), in a table indexed by inode number.
//!
//! MooseFS hands out the lowest free inode number, so inode numbers are dense: the
//! table is a `Vec` indexed by inode up to a bound set from the input size, with a
//! hash map only for numbers beyond it (never allocate from an untrusted number).

use std::collections::HashMap;

use smallvec::SmallVec;

pub use crate::format::metadata::nodes::NodeType;

/// An index into the edge table; [`NO_EDGE`] = none.
pub type EdgeIdx = u32;
/// No edge.
pub const NO_EDGE: EdgeIdx = u32::MAX;

/// The symlink target the master substitutes for one longer than it accepts.
pub const SYMLINK_TOO_LONG: &[u8] = b"... path too long ...\0";
/// Longest symlink target the master accepts.
pub const SYMLINK_MAX: usize = 4096;

/// The chunk table of a file: chunk id per 64 MiB index, 0 = hole.
pub type ChunkList = SmallVec<[u64; 1]>;

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
    /// Insertion order into the master's node hash (decides the output order).
    pub seq: u32,
    /// Edges pointing to this node (linked through `Edge::next_parent`), newest first.
    pub parents: EdgeIdx,
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

/// All nodes, by inode number.
#[derive(Debug, Default)]
pub struct NodeTable<'a> {
    dense: Vec<Option<Node<'a>>>,
    /// Inodes at or above `dense_limit`.
    sparse: HashMap<u32, Node<'a>>,
    dense_limit: u32,
    count: u32,
    next_seq: u32,
    /// Highest inode number ever allocated (stored in the file).
    pub max_node_id: u32,
}

impl<'a> NodeTable<'a> {
    /// A table that stores inodes below `dense_limit` in a vector (grown on demand).
    pub fn new(dense_limit: u32) -> Self {
        NodeTable {
            dense_limit,
            ..Default::default()
        }
    }

    /// Raises the bound below which inodes are kept in the vector (e.g. before replaying
    /// changelogs that will create many nodes); nodes already kept in the map below the
    /// new bound move to the vector. A lower bound than the current one changes nothing.
    pub fn grow_dense_limit(&mut self, limit: u32) {
        if limit <= self.dense_limit {
            return;
        }
        self.dense_limit = limit;
        let moving: Vec<u32> = self.sparse.keys().copied().filter(|&i| i < limit).collect();
        for inode in moving {
            if let Some(node) = self.sparse.remove(&inode) {
                let i = inode as usize;
                if self.dense.len() <= i {
                    self.dense.resize_with(i + 1, || None);
                }
                if let Some(slot) = self.dense.get_mut(i) {
                    *slot = Some(node);
                }
            }
        }
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
        if inode < self.dense_limit {
            self.dense.get(inode as usize).and_then(Option::as_ref)
        } else {
            self.sparse.get(&inode)
        }
    }

    #[inline]
    pub fn get_mut(&mut self, inode: u32) -> Option<&mut Node<'a>> {
        if inode < self.dense_limit {
            self.dense.get_mut(inode as usize).and_then(Option::as_mut)
        } else {
            self.sparse.get_mut(&inode)
        }
    }

    pub fn contains(&self, inode: u32) -> bool {
        self.get(inode).is_some()
    }

    /// Adds a node, giving it the next insertion sequence number. Returns it back if
    /// the inode is taken.
    pub fn insert(&mut self, inode: u32, mut node: Node<'a>) -> Result<(), Node<'a>> {
        if self.contains(inode) {
            return Err(node);
        }
        node.seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        if inode < self.dense_limit {
            let i = inode as usize;
            if self.dense.len() <= i {
                self.dense.resize_with(i + 1, || None);
            }
            if let Some(slot) = self.dense.get_mut(i) {
                *slot = Some(node);
            }
        } else {
            self.sparse.insert(inode, node);
        }
        self.count += 1;
        Ok(())
    }

    /// Removes a node.
    pub fn remove(&mut self, inode: u32) -> Option<Node<'a>> {
        let removed = if inode < self.dense_limit {
            self.dense.get_mut(inode as usize).and_then(Option::take)
        } else {
            self.sparse.remove(&inode)
        };
        if removed.is_some() {
            self.count -= 1;
        }
        removed
    }

    /// All nodes, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u32, &Node<'a>)> {
        let dense = self
            .dense
            .iter()
            .enumerate()
            .filter_map(|(i, n)| n.as_ref().map(|n| (i as u32, n)));
        dense.chain(self.sparse.iter().map(|(&i, n)| (i, n)))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

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
            seq: 0,
            parents: NO_EDGE,
            data: NodeData::Directory {
                children: EdgeList::default(),
            },
        }
    }

    #[test]
    fn dense_and_sparse_inodes_behave_alike() {
        let mut t = NodeTable::new(100);
        t.insert(5, dir()).unwrap();
        t.insert(4_000_000_000, dir()).unwrap();
        assert!(t.insert(5, dir()).is_err());
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(5).unwrap().seq, 0);
        assert_eq!(t.get(4_000_000_000).unwrap().seq, 1);
        assert!(t.remove(4_000_000_000).is_some());
        assert!(t.get(4_000_000_000).is_none());
        assert_eq!(t.iter().count(), 1);
    }

    #[test]
    fn growing_the_dense_limit_keeps_every_node() {
        let mut t = NodeTable::new(10);
        t.insert(5, dir()).unwrap();
        t.insert(50, dir()).unwrap();
        t.insert(5000, dir()).unwrap();
        t.grow_dense_limit(100);
        assert_eq!(t.len(), 3);
        assert_eq!(t.get(50).unwrap().seq, 1);
        assert_eq!(t.get(5000).unwrap().seq, 2);
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
