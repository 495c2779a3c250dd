//! Which inodes are directories, for walks over the directory tree.

use super::nodes::{EdgeIdx, Node, NodeTable, NodeType};

/// Inode numbers below this bound get a place in per-inode vectors made for one walk
/// (inodes are dense in practice): a few times the node count, so that an absurd inode
/// number in a damaged file cannot make a large vector.
pub fn dense_inode_window(node_count: u32) -> usize {
    (node_count as usize)
        .saturating_add(1 << 16)
        .saturating_mul(4)
}

/// Which inodes are directories, as a bitmap made in one pass over the node table (in
/// its memory order). Walks over the directory tree ask it for every edge, in an order
/// unrelated to where the nodes sit: a bitmap of a few megabytes stays in the cache
/// where the nodes themselves do not.
pub struct DirectorySet {
    bits: Vec<u64>,
}

impl DirectorySet {
    pub fn new(nodes: &NodeTable<'_>) -> Self {
        DirectorySet::new_visiting(nodes, |_, _, _| {})
    }

    /// [`DirectorySet::new`], handing every node to `visit` on the way, with the head of
    /// its parent list (so that a caller with its own question about all nodes makes
    /// one pass over them, not two).
    pub fn new_visiting<'a>(
        nodes: &NodeTable<'a>,
        mut visit: impl FnMut(u32, EdgeIdx, &Node<'a>),
    ) -> Self {
        // Inodes beyond the window are looked up in the table.
        let limit = dense_inode_window(nodes.len());
        let mut bits = vec![0u64; limit.div_ceil(64)];
        for (slot, inode, n) in nodes.iter_slots() {
            visit(inode, nodes.parents_at_slot(slot), n);
            if n.node_type == NodeType::Directory {
                if let Some(word) = bits.get_mut(inode as usize / 64) {
                    *word |= 1 << (inode % 64);
                }
            }
        }
        DirectorySet { bits }
    }

    #[inline]
    pub fn contains(&self, nodes: &NodeTable<'_>, inode: u32) -> bool {
        match self.bits.get(inode as usize / 64) {
            Some(word) => word & (1 << (inode % 64)) != 0,
            None => nodes
                .get(inode)
                .is_some_and(|n| n.node_type == NodeType::Directory),
        }
    }
}
