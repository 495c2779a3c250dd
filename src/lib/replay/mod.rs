//! Applying changelog operations to an [`Image`], with the effects and the checks of
//! MooseFS 3.0.117's replay (`fs_mr_*` and friends; see `replay-semantics.md`).
//!
//! [`apply`] takes one parsed operation and its timestamp and returns how many times
//! the master's replay would have advanced the metadata version (normally 1; the
//! caller checks that the version then equals the line's id + 1), or the MooseFS
//! status the master would have failed with. Operations are grouped by family, one
//! file each.
//!
//! Calling order: [`Image::prepare_replay`] once after loading, then [`apply`] for
//! each line in version order.

mod attrs;
mod chunks;
mod metadata_ops;
mod namespace;
mod sessions;
mod snapshot;
pub mod status;
#[cfg(test)]
mod testing;
mod xattrs;

use bumpalo::Bump;

use crate::format::changelog::{Escaped, Op};
use crate::model::image::Image;
pub use status::Status;

/// What replaying one operation gave: the number of version increments, or the status
/// the master fails the operation with.
pub type Applied = Result<u64, Status>;

/// The common success: one version increment.
pub const DONE: Applied = Ok(1);

/// An image being replayed, with the arena that owns the names and values the
/// changelog had to unescape.
pub struct Replay<'a, 'i> {
    pub image: &'i mut Image<'a>,
    pub arena: &'a Bump,
}

impl<'a> Replay<'a, '_> {
    /// The decoded bytes of an escaped field the image keeps (a name, a path, a value),
    /// in the arena: the image then holds no borrow on the changelog's pages, which are
    /// let go as the replay moves on (a few bytes copied per change, where a borrow
    /// would keep a whole page of a changelog in memory or read it back when stored).
    pub fn bytes(&self, field: &Escaped<'a>) -> &'a [u8] {
        match field.as_plain() {
            Some(plain) => self.arena.alloc_slice_copy(plain),
            None => self.unescaped(field),
        }
    }

    /// The decoded bytes of an escaped field that is only looked at while the change is
    /// applied (e.g. the name to look up): borrowed from the changelog when it has no
    /// escapes.
    pub fn transient_bytes(&self, field: &Escaped<'a>) -> &'a [u8] {
        match field.as_plain() {
            Some(plain) => plain,
            None => self.unescaped(field),
        }
    }

    /// A field with escapes, decoded straight into the arena (one copy, no temporary
    /// buffer).
    fn unescaped(&self, field: &Escaped<'a>) -> &'a [u8] {
        let buf = self.arena.alloc_slice_fill_copy(field.len(), 0u8);
        let len = field.unescape_to(buf).unwrap_or(0);
        &buf[..len]
    }
}

/// Replays one operation at time `ts`.
pub fn apply<'a>(r: &mut Replay<'a, '_>, ts: u32, op: &Op<'a>) -> Applied {
    match op {
        Op::Create { .. }
        | Op::Symlink { .. }
        | Op::Link { .. }
        | Op::Unlink { .. }
        | Op::Move { .. }
        | Op::Undel { .. }
        | Op::Purge { .. }
        | Op::SetPath { .. }
        | Op::EmptyTrash { .. }
        | Op::EmptySustained { .. }
        | Op::EmptyReserved { .. }
        | Op::FreeInodes { .. }
        | Op::RenumerateEdges { .. } => namespace::apply(r, ts, op),
        Op::Attr { .. }
        | Op::Amtime { .. }
        | Op::Access { .. }
        | Op::SetEattr { .. }
        | Op::SetSclass { .. }
        | Op::SetGoal { .. }
        | Op::SetTrashTime { .. } => attrs::apply(r, ts, op),
        Op::Snapshot { .. } => snapshot::apply(r, ts, op),
        Op::Write { .. }
        | Op::Length { .. }
        | Op::Trunc { .. }
        | Op::Unlock { .. }
        | Op::Append { .. }
        | Op::Rollback { .. }
        | Op::Repair { .. }
        | Op::SetFileChunk { .. }
        | Op::ChunkAdd { .. }
        | Op::ChunkDel { .. }
        | Op::SetVersion { .. }
        | Op::IncVersion { .. }
        | Op::NextChunkId { .. }
        | Op::ArchChg { .. } => chunks::apply(r, ts, op),
        Op::SesAdd { .. }
        | Op::SesChanged { .. }
        | Op::SesDel { .. }
        | Op::SesDisconnected { .. }
        | Op::Session { .. }
        | Op::Customer { .. }
        | Op::Acquire { .. }
        | Op::Aquire { .. }
        | Op::Release { .. }
        | Op::Flock { .. }
        | Op::PosixLock { .. } => sessions::apply(r, ts, op),
        Op::SetXattr { .. } | Op::SetAcl { .. } => xattrs::apply(r, ts, op),
        Op::CsDbOp { .. }
        | Op::CsAdd { .. }
        | Op::CsDel { .. }
        | Op::ScSet { .. }
        | Op::ScDup { .. }
        | Op::ScRen { .. }
        | Op::ScDel { .. }
        | Op::Quota { .. }
        | Op::SetMetaId { .. }
        | Op::Idle => metadata_ops::apply(r, ts, op),
    }
}
