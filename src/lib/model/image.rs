//! The whole metadata image: every table, and the file header's counters.

use super::edges::EdgeTable;
use super::nodes::NodeTable;

/// A file system's metadata in memory.
pub struct Image<'a> {
    /// Metadata version: the id of the next change.
    pub version: u64,
    /// Metadata id (0 = not assigned yet).
    pub meta_id: u64,
    pub nodes: NodeTable<'a>,
    pub edges: EdgeTable<'a>,
    /// Bits of the master's node hash table (decides the NODE record order).
    pub node_hash_bits: u32,
    /// The loaded edge ids were out of order (a live master would renumber them).
    pub edges_need_renumbering: bool,
    /// Sections not modelled yet, kept as decoded.
    pub others: Vec<crate::format::metadata::Body<'a>>,
}
