//! The in-memory image of a MooseFS 3.0.117 file system's metadata, and its invariants.
//!
//! Each table keeps what the master keeps, plus what it needs to write its records back
//! in the master's own order (for hash tables: the insertion sequence, since chains are
//! prepended to). Names, paths and attribute values borrow from the inputs (`'a`).

pub mod acls;
pub mod chunk_list;
pub mod chunks;
pub mod chunkservers;
pub mod directory_set;
pub mod edges;
pub mod error;
pub mod free_inodes;
pub mod hash;
pub mod image;
pub mod inode_map;
pub mod inodes;
pub mod load;
pub mod load_nodes;
pub mod locks;
pub mod name_index;
pub mod namespace;
pub mod nodes;
pub mod open_files;
pub mod prefault;
pub mod prefetch;
pub mod quotas;
pub mod radix;
pub mod sessions;
pub mod storage_classes;
pub mod store;
pub mod store_nodes;
pub mod xattrs;

pub use error::LoadError;
