//! Bytes to types and back, with no policy: the metadata file, changelog lines.
//!
//! Nothing here opens a file: every function works on byte slices.

pub mod changelog;
pub mod metadata;
pub mod wire;
