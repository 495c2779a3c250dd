//! The `metadata.mfs` file of MooseFS 3.0.117 (see `metadata-format.md`): the header,
//! the sections in every version the 3.0.117 loader accepts, the end marker, and the
//! `metadata.crc` side file.
//!
//! Decoding borrows names and lists from the input (normally a memory map); encoding
//! follows the master's byte layout *and* its split into write calls, which the
//! `metadata.crc` values depend on.

pub mod acls;
pub mod chunks;
pub mod chunkservers;
pub mod dump;
pub mod edges;
pub mod encoder;
pub mod error;
#[cfg(test)]
mod fast_path_tests;
pub mod file;
pub mod free_inodes;
pub mod header;
pub mod locks;
pub mod nodes;
pub mod open_files;
pub mod quotas;
pub mod reader;
pub mod section;
pub mod sessions;
pub mod storage_classes;
pub mod xattrs;

pub use encoder::Encoder;
pub use error::{DecodeError, DecodeErrorKind};
pub use file::{Body, MetadataFile, Section};
pub use reader::Reader;
pub use section::Tag;
