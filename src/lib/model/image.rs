//! The whole metadata image: every table, and the file header's counters.

use super::acls::AclTable;
use super::chunks::ChunkTable;
use super::chunkservers::ChunkserverTable;
use super::edges::EdgeTable;
use super::free_inodes::FreeList;
use super::inodes::InodeAllocator;
use super::locks::{FlockTable, PosixLockTable};
use super::name_index::NameIndex;
use super::nodes::NodeTable;
use super::open_files::OpenFileTable;
use super::quotas::QuotaTable;
use super::sessions::SessionTable;
use super::storage_classes::StorageClassTable;
use super::xattrs::XattrTable;

/// A file system's metadata in memory: what `mfsmaster` holds between changes.
pub struct Image<'a> {
    /// Metadata version: the id of the next change.
    pub version: u64,
    /// Metadata id (0 = not assigned yet).
    pub meta_id: u64,
    pub sessions: SessionTable<'a>,
    pub storage_classes: StorageClassTable<'a>,
    pub nodes: NodeTable<'a>,
    pub edges: EdgeTable<'a>,
    pub free: FreeList,
    pub quotas: QuotaTable,
    pub xattrs: XattrTable<'a>,
    pub acls: AclTable<'a>,
    pub open_files: OpenFileTable,
    pub flocks: FlockTable,
    pub posix_locks: PosixLockTable,
    pub chunkservers: ChunkserverTable,
    pub chunks: ChunkTable,
    /// Bits of the master's node hash table (decides the NODE record order).
    pub node_hash_bits: u32,
    /// The loaded edge ids were out of order (a live master would renumber them at
    /// start-up; a restore leaves them).
    pub edges_need_renumbering: bool,
    /// Directory entries by `(parent, name)`; built by `prepare_replay`.
    pub names: NameIndex,
    /// Inode numbers in use; built by `prepare_replay`.
    pub inodes: InodeAllocator,
}

impl Image<'_> {
    /// An image with no nodes and every table empty (the predefined storage classes
    /// exist). Not a valid file system until a root is added.
    pub(crate) fn blank(dense_inode_limit: u32) -> Self {
        Image {
            version: 1,
            meta_id: 0,
            sessions: SessionTable::new(),
            storage_classes: StorageClassTable::new(),
            nodes: NodeTable::new(dense_inode_limit),
            edges: EdgeTable::default(),
            free: FreeList::new(),
            quotas: QuotaTable::new(),
            xattrs: XattrTable::new(),
            acls: AclTable::new(),
            open_files: OpenFileTable::new(),
            flocks: FlockTable::new(),
            posix_locks: PosixLockTable::new(),
            chunkservers: ChunkserverTable::new(),
            chunks: ChunkTable::new(),
            node_hash_bits: super::store_nodes::node_hash_bits(0),
            edges_need_renumbering: false,
            names: NameIndex::default(),
            inodes: InodeAllocator::default(),
        }
    }

    /// Frees the image's large tables on two threads, for a process about to exit; what
    /// their entries own themselves is left to the exit (see
    /// [`NodeTable::release_for_exit`]). A restore calls this while its output is being
    /// committed, a wait on the disk, so that the exit has less to free.
    pub fn release_for_exit(mut self) {
        let nodes = std::mem::take(&mut self.nodes);
        std::thread::scope(|scope| {
            scope.spawn(move || nodes.release_for_exit());
            // The other tables are dropped here, beside the nodes.
            drop(self);
        });
    }
}
