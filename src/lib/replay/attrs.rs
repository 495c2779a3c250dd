//! Replay of one family of operations (not written yet).

use crate::format::changelog::Op;

use super::{Applied, Replay, Status};

/// Replays an operation of this family.
pub(super) fn apply<'a>(_r: &mut Replay<'a, '_>, _ts: u32, _op: &Op<'a>) -> Applied {
    Err(Status::EINVAL)
}
