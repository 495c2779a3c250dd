//! Replay of the attribute operations: ATTR, AMTIME, ACCESS, SETEATTR, SETSCLASS,
//! SETGOAL and SETTRASHTIME (`fs_mr_*` of 3.0.117; `replay-semantics.md` §9, §10.4).

use crate::format::changelog::Op;
use crate::format::metadata::acls::ACCESS;
use crate::format::metadata::nodes::NodeType;
use crate::model::namespace::eattr;
use crate::model::nodes::NodeData;

use super::{Applied, Replay, Status, DONE};

/// `smode` bits: the low two select SET / INCREASE / DECREASE / EXCHANGE.
const SMODE_TYPE: u8 = 3;
const SMODE_SET: u8 = 0;
const SMODE_INCREASE: u8 = 1;
const SMODE_DECREASE: u8 = 2;
const SMODE_EXCHANGE: u8 = 3;
/// `smode` bit: recursive.
const SMODE_RECURSIVE: u8 = 4;

/// Counts of a recursive attribute change, compared with the line's result.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
struct Counts {
    changed: u32,
    not_changed: u32,
    not_permitted: u32,
}

/// Replays an operation of this family.
pub(super) fn apply<'a>(r: &mut Replay<'a, '_>, ts: u32, op: &Op<'a>) -> Applied {
    match *op {
        Op::Attr {
            inode,
            mode,
            uid,
            gid,
            atime,
            mtime,
            ..
        } => {
            let winattr = op.attr_winattr().unwrap_or(0);
            let aclmode = op.attr_aclmode().unwrap_or(mode);
            attr(r, ts, inode, mode, uid, gid, atime, mtime, winattr, aclmode)
        }
        Op::Amtime {
            inode,
            atime,
            mtime,
            ctime,
        } => {
            let n = r.image.nodes.get_mut(inode).ok_or(Status::ENOENT)?;
            n.atime = atime;
            n.mtime = mtime;
            n.ctime = ctime;
            DONE
        }
        Op::Access { inode } => {
            r.image.nodes.get_mut(inode).ok_or(Status::ENOENT)?.atime = ts;
            DONE
        }
        Op::SetEattr {
            inode,
            uid,
            eattr,
            smode,
            changed,
            not_changed,
            not_permitted,
        } => {
            let expected = Counts {
                changed,
                not_changed,
                not_permitted,
            };
            set_eattr(r, ts, inode, uid, eattr, smode, expected)
        }
        Op::SetSclass {
            inode,
            uid,
            src_sclass,
            dst_sclass,
            smode,
            changed,
            not_changed,
            not_permitted,
        } => {
            let expected = Counts {
                changed,
                not_changed,
                not_permitted,
            };
            set_sclass(r, ts, inode, uid, src_sclass, dst_sclass, smode, expected)
        }
        Op::SetGoal {
            inode,
            uid,
            goal,
            smode,
            changed,
            not_changed,
            not_permitted,
        } => {
            let expected = Counts {
                changed,
                not_changed,
                not_permitted,
            };
            set_sclass(r, ts, inode, uid, goal, goal, smode, expected)
        }
        Op::SetTrashTime {
            inode,
            uid,
            trash_time,
            smode,
            changed,
            not_changed,
            not_permitted,
        } => {
            let expected = Counts {
                changed,
                not_changed,
                not_permitted,
            };
            set_trashtime(r, ts, inode, uid, trash_time, smode, expected)
        }
        _ => Err(Status::EINVAL),
    }
}

#[expect(clippy::too_many_arguments, reason = "one per field of the line")]
fn attr(
    r: &mut Replay<'_, '_>,
    ts: u32,
    inode: u32,
    mode: u16,
    uid: u32,
    gid: u32,
    atime: u32,
    mtime: u32,
    winattr: u8,
    aclmode: u16,
) -> Applied {
    if !r.image.nodes.contains(inode) {
        return Err(Status::ENOENT);
    }
    if mode > 0o7777 {
        return Err(Status::EINVAL);
    }
    if let Some(acl) = r.image.acls.get_mut(inode, ACCESS) {
        // Masters before 3.0.98 logged 0 here; the master then derives it from the mode.
        let aclmode = if aclmode & (1 << 12) == 0 {
            (mode & 0o707) | 0o070
        } else {
            aclmode
        };
        acl.user_perm = (acl.user_perm & 0xFFF8) | ((aclmode >> 6) & 7);
        acl.mask = (acl.mask & 0xFFF8) | ((aclmode >> 3) & 7);
        acl.other_perm = (acl.other_perm & 0xFFF8) | (aclmode & 7);
    }
    let Some(n) = r.image.nodes.get_mut(inode) else {
        return Err(Status::ENOENT);
    };
    n.mode = mode;
    n.uid = uid;
    n.gid = gid;
    n.atime = atime;
    n.mtime = mtime;
    n.ctime = ts;
    n.winattr = winattr;
    DONE
}

/// Whether `uid` may change a node it does not own (the NOOWNER rule).
fn owner_ok(node_eattr: u8, node_uid: u32, uid: u32) -> bool {
    node_eattr & eattr::NOOWNER != 0 || uid == 0 || node_uid == uid
}

/// The nodes a recursive operation visits from `inode`, in the master's order (the
/// node, then each child's walk in list order), filtered by `visit_types` for both
/// visiting and descending.
fn walk(
    r: &Replay<'_, '_>,
    inode: u32,
    recursive: bool,
    visit: impl Fn(NodeType) -> bool,
) -> Vec<u32> {
    let mut out = Vec::new();
    let mut stack = vec![inode];
    while let Some(at) = stack.pop() {
        let Some(n) = r.image.nodes.get(at) else {
            continue;
        };
        if !visit(n.node_type) {
            continue;
        }
        out.push(at);
        if let (true, NodeData::Directory { children }) = (recursive, &n.data) {
            let kids: Vec<u32> = r
                .image
                .edges
                .iter_list(*children)
                .map(|(_, e)| e.child)
                .collect();
            stack.extend(kids.into_iter().rev());
        }
    }
    out
}

fn finish(smode: u8, counts: Counts, expected: Counts) -> Applied {
    if smode & SMODE_RECURSIVE == 0
        && counts.not_permitted > 0
        && counts.changed == 0
        && counts.not_changed == 0
    {
        return Err(Status::EPERM);
    }
    if counts != expected {
        return Err(Status::MISMATCH);
    }
    DONE
}

fn set_eattr(
    r: &mut Replay<'_, '_>,
    ts: u32,
    inode: u32,
    uid: u32,
    value: u8,
    smode: u8,
    expected: Counts,
) -> Applied {
    if smode > 7 {
        return Err(Status::EINVAL);
    }
    if !r.image.nodes.contains(inode) {
        return Err(Status::ENOENT);
    }
    let mut counts = Counts::default();
    for at in walk(r, inode, smode & SMODE_RECURSIVE != 0, |_| true) {
        let Some(n) = r.image.nodes.get_mut(at) else {
            continue;
        };
        if !owner_ok(n.eattr, n.uid, uid)
            || (n.eattr & eattr::IMMUTABLE != 0 && value & eattr::NOOWNER != 0)
        {
            counts.not_permitted += 1;
            continue;
        }
        let mut value = value;
        if n.node_type != NodeType::Directory {
            n.eattr &= !eattr::NOECACHE;
            value &= !eattr::NOECACHE;
        }
        let new = match smode & SMODE_TYPE {
            SMODE_SET => value,
            SMODE_INCREASE => n.eattr | value,
            SMODE_DECREASE => n.eattr & !value,
            _ => n.eattr,
        };
        if new != n.eattr {
            n.eattr = new;
            n.ctime = ts;
            counts.changed += 1;
        } else {
            counts.not_changed += 1;
        }
    }
    finish(smode, counts, expected)
}

/// Types a storage class or trash time applies to (the only ones those walks visit).
fn classful(t: NodeType) -> bool {
    t.has_storage_class()
}

#[expect(clippy::too_many_arguments, reason = "one per field of the line")]
fn set_sclass(
    r: &mut Replay<'_, '_>,
    ts: u32,
    inode: u32,
    uid: u32,
    src: u8,
    dst: u8,
    smode: u8,
    expected: Counts,
) -> Applied {
    if smode > 7 || src == 0 || dst == 0 {
        return Err(Status::EINVAL);
    }
    if matches!(smode & SMODE_TYPE, SMODE_INCREASE | SMODE_DECREASE) && dst > 9 {
        return Err(Status::EINVAL);
    }
    let start = r.image.nodes.get(inode).ok_or(Status::ENOENT)?;
    if !classful(start.node_type) {
        return Err(Status::EPERM);
    }
    let mut counts = Counts::default();
    for at in walk(r, inode, smode & SMODE_RECURSIVE != 0, classful) {
        let image = &mut *r.image;
        let Some(n) = image.nodes.get_mut(at) else {
            continue;
        };
        if !owner_ok(n.eattr, n.uid, uid) || n.eattr & eattr::IMMUTABLE != 0 {
            counts.not_permitted += 1;
            continue;
        }
        let change = match smode & SMODE_TYPE {
            SMODE_SET => n.sclass != dst,
            SMODE_INCREASE => n.sclass < dst,
            SMODE_DECREASE => n.sclass > dst,
            SMODE_EXCHANGE => n.sclass == src,
            _ => false,
        };
        if change {
            let is_dir = n.node_type == NodeType::Directory;
            let old = n.sclass;
            n.sclass = dst;
            n.ctime = ts;
            image.storage_classes.remove_use(u16::from(old), is_dir);
            image.storage_classes.add_use(u16::from(dst), is_dir);
            counts.changed += 1;
        } else {
            counts.not_changed += 1;
        }
    }
    finish(smode, counts, expected)
}

fn set_trashtime(
    r: &mut Replay<'_, '_>,
    ts: u32,
    inode: u32,
    uid: u32,
    seconds: u32,
    smode: u8,
    expected: Counts,
) -> Applied {
    if smode > 7 {
        return Err(Status::EINVAL);
    }
    let start = r.image.nodes.get(inode).ok_or(Status::ENOENT)?;
    if !classful(start.node_type) {
        return Err(Status::EPERM);
    }
    // Hours rounded up, in 32 bits, then cut to 16 bits, as the master computes it.
    let hours = (seconds.wrapping_add(3599) / 3600) as u16;
    let mut counts = Counts::default();
    for at in walk(r, inode, smode & SMODE_RECURSIVE != 0, classful) {
        let Some(n) = r.image.nodes.get_mut(at) else {
            continue;
        };
        if !owner_ok(n.eattr, n.uid, uid) || n.eattr & eattr::IMMUTABLE != 0 {
            counts.not_permitted += 1;
            continue;
        }
        let change = match smode & SMODE_TYPE {
            SMODE_SET => n.trashtime != hours,
            SMODE_INCREASE => n.trashtime < hours,
            SMODE_DECREASE => n.trashtime > hours,
            _ => false,
        };
        if change {
            n.trashtime = hours;
            n.ctime = ts;
            counts.changed += 1;
        } else {
            counts.not_changed += 1;
        }
    }
    finish(smode, counts, expected)
}

#[cfg(test)]
mod tests {
    use bumpalo::Bump;

    use crate::replay::testing::{last_status as status, replay_text as run};
    use crate::replay::Status;

    #[test]
    fn attr_forms_and_checks() {
        assert_eq!(status("1: 10|ATTR(5,420,0,0,1,2,0,0)"), Err(Status::ENOENT));
        assert_eq!(
            status("1: 10|ATTR(1,4096,0,0,1,2,0,0)"),
            Err(Status::EINVAL)
        );
        let arena = Bump::new();
        let (image, last) = run(&arena, "1: 10|ATTR(1,493,3,4,5,6)");
        assert_eq!(last, Ok(1));
        let root = image.nodes.get(1).unwrap();
        assert_eq!(
            (
                root.mode,
                root.uid,
                root.gid,
                root.atime,
                root.mtime,
                root.ctime,
                root.winattr
            ),
            (0o755, 3, 4, 5, 6, 10, 0)
        );
    }

    #[test]
    fn recursive_operations_count_like_the_master() {
        let tree = "1: 10|CREATE(1,d,2,493,18,5,5,0):2\n2: 11|CREATE(2,f,1,420,18,6,6,0):3\n3: 12|SYMLINK(2,s,x,6,6):4\n";
        // SETEATTR visits every type; uid 5 owns only d.
        assert_eq!(
            status(&format!("{tree}4: 13|SETEATTR(2,5,2,4):1,0,2")),
            Ok(1)
        );
        // Non-recursive and only not permitted: EPERM.
        assert_eq!(
            status(&format!("{tree}4: 13|SETEATTR(3,5,2,0):0,0,1")),
            Err(Status::EPERM)
        );
        // SETTRASHTIME visits directories and files only.
        assert_eq!(
            status(&format!("{tree}4: 13|SETTRASHTIME(2,0,7200,4):2,0,0")),
            Ok(1)
        );
        assert_eq!(
            status(&format!("{tree}4: 13|SETTRASHTIME(2,0,86400,5):0,2,0")),
            Ok(1)
        );
        assert_eq!(
            status(&format!("{tree}4: 13|SETTRASHTIME(4,0,7200,0):0,0,0")),
            Err(Status::EPERM)
        );
        assert_eq!(
            status(&format!("{tree}4: 13|SETTRASHTIME(2,0,7200,8):0,0,0")),
            Err(Status::EINVAL)
        );
        // SETSCLASS: INCREASE and DECREASE only to classes 1..9; EXCHANGE by source class.
        assert_eq!(
            status(&format!("{tree}4: 13|SETSCLASS(2,0,1,10,1):0,0,0")),
            Err(Status::EINVAL)
        );
        assert_eq!(
            status(&format!("{tree}4: 13|SETSCLASS(2,0,2,5,7):2,0,0")),
            Ok(1)
        );
        assert_eq!(
            status(&format!("{tree}4: 13|SETGOAL(2,0,2,4):0,2,0")),
            Ok(1)
        );
        assert_eq!(
            status(&format!("{tree}4: 13|SETGOAL(2,0,0,4):0,0,0")),
            Err(Status::EINVAL)
        );
    }

    #[test]
    fn seteattr_drops_noecache_from_non_directories() {
        let arena = Bump::new();
        let (image, last) = run(
            &arena,
            "1: 10|CREATE(1,f,1,420,18,0,0,0):2\n2: 11|SETEATTR(2,0,5,0):1,0,0",
        );
        assert_eq!(last, Ok(1));
        assert_eq!(image.nodes.get(2).unwrap().eattr, 1);
    }
}
