//! mfsmeta: metadata tools for MooseFS 3.0.117.
//!
//! Data flows one way: bytes -> [`format`](mod@format) -> [`model`] (via `replay`) -> [`format`](mod@format) -> bytes.

pub mod format;
pub mod gen;
pub mod metalogger;
pub mod model;
pub mod replay;
pub mod restore;
