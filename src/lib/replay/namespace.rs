//! Replay of the operations that change the tree: CREATE, SYMLINK, LINK, UNLINK, MOVE,
//! UNDEL, PURGE, SETPATH, EMPTYTRASH, EMPTYSUSTAINED (EMPTYRESERVED), FREEINODES and
//! RENUMERATEEDGES (`fs_mr_*` of 3.0.117; `replay-semantics.md` §2–§5).
//!
//! Checks run in the master's order and return its status codes; where the master
//! makes its change before comparing the line's result, so do we (the restore stops at
//! such a mismatch anyway).

use crate::format::changelog::{CreateType, Op};
use crate::format::metadata::nodes::NodeType;
use crate::model::edges::{FIRST_EDGE_ID, PATH_MAX, SUSTAINED_BUCKETS, TRASH_BUCKETS};
use crate::model::load_nodes::ROOT_INODE;
use crate::model::namespace::{eattr, NewNode, Purged};
use crate::model::nodes::{EdgeIdx, NodeData};

use super::{Applied, Replay, Status, DONE};

/// Longest file name.
const NAME_MAX: usize = 255;
/// Longest symlink target.
const SYMLINK_MAX: usize = 4096;
/// `FREEINODES()` without a delay.
const DEFAULT_REUSE_DELAY: u32 = 86400;

/// `fsnodes_namecheck`: 1..=255 bytes, not `.` or `..`, no NUL or `/`.
pub(super) fn name_ok(name: &[u8]) -> bool {
    !name.is_empty()
        && name.len() <= NAME_MAX
        && name != b"."
        && name != b".."
        && !name.iter().any(|&b| b == 0 || b == b'/')
}

/// Replays an operation of this family.
pub(super) fn apply<'a>(r: &mut Replay<'a, '_>, ts: u32, op: &Op<'a>) -> Applied {
    match *op {
        Op::Create {
            parent,
            ref name,
            node_type,
            mode,
            cumask,
            uid,
            gid,
            rdev,
            inode,
        } => {
            let name = r.bytes(name);
            create(
                r, ts, parent, name, node_type, mode, cumask, uid, gid, rdev, inode,
            )
        }
        Op::Symlink {
            parent,
            ref name,
            ref target,
            uid,
            gid,
            inode,
        } => {
            let (name, target) = (r.bytes(name), r.bytes(target));
            symlink(r, ts, parent, name, target, uid, gid, inode)
        }
        Op::Link {
            inode,
            parent,
            ref name,
        } => {
            let name = r.bytes(name);
            link(r, ts, inode, parent, name)
        }
        Op::Unlink {
            parent,
            ref name,
            inode,
        } => {
            let name = r.transient_bytes(name);
            unlink(r, ts, parent, name, inode)
        }
        Op::Move {
            parent_src,
            ref name_src,
            parent_dst,
            ref name_dst,
            inode,
        } => {
            let (src, dst) = (r.transient_bytes(name_src), r.bytes(name_dst));
            rename(r, ts, parent_src, src, parent_dst, dst, inode)
        }
        Op::Undel { inode } => undel(r, ts, inode),
        Op::Purge { inode } => purge(r, ts, inode),
        Op::SetPath { inode, ref path } => {
            let path = r.bytes(path);
            setpath(r, inode, path)
        }
        Op::EmptyTrash {
            bucket,
            freed,
            sustained,
            chksum,
        } => empty_trash(
            r,
            ts,
            bucket.unwrap_or(u32::MAX),
            freed,
            sustained,
            chksum.unwrap_or(0),
        ),
        Op::EmptySustained {
            bucket,
            freed,
            chksum,
        }
        | Op::EmptyReserved {
            bucket,
            freed,
            chksum,
        } => empty_sustained(
            r,
            ts,
            bucket.unwrap_or(u32::MAX),
            freed,
            chksum.unwrap_or(0),
        ),
        Op::FreeInodes {
            reuse_delay,
            freed,
            sustained,
            chksum,
        } => free_inodes(
            r,
            ts,
            reuse_delay.unwrap_or(DEFAULT_REUSE_DELAY),
            freed,
            sustained.unwrap_or(0),
            chksum.unwrap_or(0),
        ),
        Op::RenumerateEdges { next_edge_id } => renumerate_edges(r, next_edge_id),
        _ => Err(Status::EINVAL),
    }
}

/// The directory `parent`, or the master's status for its absence / wrong type.
fn directory(r: &Replay<'_, '_>, parent: u32) -> Result<(), Status> {
    match r.image.nodes.get(parent) {
        None => Err(Status::ENOENT),
        Some(p) if p.node_type != NodeType::Directory => Err(Status::ENOTDIR),
        Some(_) => Ok(()),
    }
}

/// The type a CREATE line asks for: numbers as they are, letters converted; only the
/// types CREATE may make.
fn create_type(t: CreateType) -> Option<NodeType> {
    let v = t.value();
    let node_type = if v > 15 {
        NodeType::from_letter(v)?
    } else {
        NodeType::from_u8(v)?
    };
    matches!(
        node_type,
        NodeType::File
            | NodeType::Directory
            | NodeType::Fifo
            | NodeType::BlockDev
            | NodeType::CharDev
            | NodeType::Socket
    )
    .then_some(node_type)
}

#[expect(clippy::too_many_arguments, reason = "one per field of the line")]
fn create<'a>(
    r: &mut Replay<'a, '_>,
    ts: u32,
    parent: u32,
    name: &'a [u8],
    node_type: CreateType,
    mode: u16,
    cumask: u16,
    uid: u32,
    gid: u32,
    rdev: u32,
    expected: u32,
) -> Applied {
    let node_type = create_type(node_type).ok_or(Status::EINVAL)?;
    directory(r, parent)?;
    if !name_ok(name) {
        return Err(Status::EINVAL);
    }
    if r.image.lookup(parent, name).is_some() {
        return Err(Status::EEXIST);
    }
    let what = match node_type {
        NodeType::File => NewNode::File,
        NodeType::Directory => NewNode::Directory,
        NodeType::BlockDev | NodeType::CharDev => NewNode::Device { node_type, rdev },
        other => NewNode::Other { node_type: other },
    };
    let inode = r
        .image
        .create_node(ts, parent, name, what, mode, cumask, uid, gid);
    if inode != expected {
        return Err(Status::MISMATCH);
    }
    DONE
}

#[expect(clippy::too_many_arguments, reason = "one per field of the line")]
fn symlink<'a>(
    r: &mut Replay<'a, '_>,
    ts: u32,
    parent: u32,
    name: &'a [u8],
    target: &'a [u8],
    uid: u32,
    gid: u32,
    expected: u32,
) -> Applied {
    if target.is_empty() || target.len() > SYMLINK_MAX || target.contains(&0) {
        return Err(Status::EINVAL);
    }
    directory(r, parent)?;
    if !name_ok(name) {
        return Err(Status::EINVAL);
    }
    if r.image.lookup(parent, name).is_some() {
        return Err(Status::EEXIST);
    }
    let what = NewNode::Symlink { path: target };
    let inode = r
        .image
        .create_node(ts, parent, name, what, 0o777, 0, uid, gid);
    if inode != expected {
        return Err(Status::MISMATCH);
    }
    DONE
}

fn link<'a>(r: &mut Replay<'a, '_>, ts: u32, inode: u32, parent: u32, name: &'a [u8]) -> Applied {
    let (Some(node), Some(dir)) = (r.image.nodes.get(inode), r.image.nodes.get(parent)) else {
        return Err(Status::ENOENT);
    };
    match node.node_type {
        NodeType::Trash | NodeType::Sustained => return Err(Status::ENOENT),
        NodeType::Directory => return Err(Status::EPERM),
        _ => {}
    }
    if dir.node_type != NodeType::Directory {
        return Err(Status::ENOTDIR);
    }
    if !name_ok(name) {
        return Err(Status::EINVAL);
    }
    if r.image.lookup(parent, name).is_some() {
        return Err(Status::EEXIST);
    }
    r.image.link(ts, parent, inode, name);
    DONE
}

/// The entry `name` of directory `parent` (after the checks every lookup shares).
fn entry(r: &Replay<'_, '_>, parent: u32, name: &[u8]) -> Result<EdgeIdx, Status> {
    if !name_ok(name) {
        return Err(Status::EINVAL);
    }
    r.image.lookup(parent, name).ok_or(Status::ENOENT)
}

/// Whether `inode` is a directory with children.
fn non_empty_directory(r: &Replay<'_, '_>, inode: u32) -> bool {
    matches!(
        r.image.nodes.get(inode).map(|n| &n.data),
        Some(NodeData::Directory { children }) if !children.is_empty()
    )
}

fn unlink<'a>(
    r: &mut Replay<'a, '_>,
    ts: u32,
    parent: u32,
    name: &'a [u8],
    expected: u32,
) -> Applied {
    directory(r, parent)?;
    let idx = entry(r, parent, name)?;
    let child = r.image.edges.get(idx).map_or(0, |e| e.child);
    if non_empty_directory(r, child) {
        return Err(Status::ENOTEMPTY);
    }
    r.image.unlink(ts, idx, r.arena);
    if child != expected {
        return Err(Status::MISMATCH);
    }
    DONE
}

fn rename<'a>(
    r: &mut Replay<'a, '_>,
    ts: u32,
    parent_src: u32,
    name_src: &'a [u8],
    parent_dst: u32,
    name_dst: &'a [u8],
    expected: u32,
) -> Applied {
    if !r.image.nodes.contains(parent_src) || !r.image.nodes.contains(parent_dst) {
        return Err(Status::ENOENT);
    }
    directory(r, parent_src)?;
    let src = entry(r, parent_src, name_src)?;
    let node = r.image.edges.get(src).map_or(0, |e| e.child);
    directory(r, parent_dst)?;
    let is_dir = r
        .image
        .nodes
        .get(node)
        .is_some_and(|n| n.node_type == NodeType::Directory);
    if is_dir && r.image.is_ancestor(node, parent_dst) {
        return Err(Status::EINVAL);
    }
    if !name_ok(name_dst) {
        return Err(Status::EINVAL);
    }
    if let Some(dst) = r.image.lookup(parent_dst, name_dst) {
        let dst_child = r.image.edges.get(dst).map_or(0, |e| e.child);
        if non_empty_directory(r, dst_child) {
            return Err(Status::ENOTEMPTY);
        }
        // Renaming an entry onto itself never reaches a master (the kernel answers it);
        // treat it as a rename to a new entry rather than unlinking the node first.
        if dst != src {
            r.image.unlink(ts, dst, r.arena);
        }
    }
    r.image.remove_edge(ts, src);
    r.image.link(ts, parent_dst, node, name_dst);
    if node != expected {
        return Err(Status::MISMATCH);
    }
    DONE
}

/// `fsnodes_undel`: checks the stored path, creates the missing directories, links the
/// file back and drops its trash entry.
fn undel<'a>(r: &mut Replay<'a, '_>, ts: u32, inode: u32) -> Applied {
    match r.image.nodes.get(inode) {
        Some(n) if n.node_type == NodeType::Trash => {}
        _ => return Err(Status::ENOENT),
    }
    let trash_edge = r.image.nodes.parents(inode).unwrap_or(u32::MAX);
    let full: &'a [u8] = r.image.edges.get(trash_edge).map_or(&[], |e| e.name);
    let start = full.iter().position(|&b| b != b'/').unwrap_or(full.len());
    let path = full.get(start..).unwrap_or_default();
    if path.is_empty() || path.contains(&0) {
        return Err(Status::CANTCREATEPATH);
    }
    let parts: Vec<&'a [u8]> = path.split(|&b| b == b'/').collect();
    for part in &parts {
        let dots_only = part.iter().all(|&b| b == b'.');
        if part.is_empty() || part.len() > NAME_MAX || (dots_only && part.len() <= 2) {
            return Err(Status::CANTCREATEPATH);
        }
    }
    let Some((&last, dirs)) = parts.split_last() else {
        return Err(Status::CANTCREATEPATH);
    };
    let mut at = ROOT_INODE;
    let mut creating = false;
    for step in dirs
        .iter()
        .copied()
        .chain(std::iter::once(last))
        .enumerate()
    {
        let (i, part) = step;
        let node = r.image.nodes.get(at);
        if r.image.quotas.get(at).is_some_and(|q| q.exceeded != 0) {
            return Err(Status::QUOTA);
        }
        if node.is_some_and(|n| n.eattr & eattr::IMMUTABLE != 0) {
            return Err(Status::EPERM);
        }
        if i == dirs.len() {
            if r.image.lookup(at, part).is_some() {
                return Err(Status::EEXIST);
            }
            if let Some(n) = r.image.nodes.get_mut(inode) {
                n.node_type = NodeType::File;
                n.ctime = ts;
            }
            r.image.link(ts, at, inode, part);
            r.image.remove_edge(ts, trash_edge);
            return DONE;
        }
        if !creating {
            match r.image.lookup(at, part) {
                None => creating = true,
                Some(e) => {
                    let child = r.image.edges.get(e).map_or(0, |e| e.child);
                    if r.image
                        .nodes
                        .get(child)
                        .is_none_or(|n| n.node_type != NodeType::Directory)
                    {
                        return Err(Status::CANTCREATEPATH);
                    }
                    at = child;
                }
            }
        }
        if creating {
            at = r
                .image
                .create_node(ts, at, part, NewNode::Directory, 0o755, 0, 0, 0);
        }
    }
    Err(Status::CANTCREATEPATH)
}

fn purge(r: &mut Replay<'_, '_>, ts: u32, inode: u32) -> Applied {
    match r.image.nodes.get(inode) {
        Some(n) if n.node_type == NodeType::Trash => {}
        _ => return Err(Status::ENOENT),
    }
    r.image.purge(ts, inode);
    DONE
}

fn setpath<'a>(r: &mut Replay<'a, '_>, inode: u32, path: &'a [u8]) -> Applied {
    if path.is_empty() || path.len() > PATH_MAX || path.contains(&0) {
        return Err(Status::EINVAL);
    }
    match r.image.nodes.get(inode) {
        Some(n) if n.node_type == NodeType::Trash => {}
        _ => return Err(Status::ENOENT),
    }
    r.image.set_trash_path(inode, path);
    DONE
}

/// Trash files of one bucket (or all, for a bucket number past the last) whose three
/// times are all older than their trash time: purged.
fn empty_trash(
    r: &mut Replay<'_, '_>,
    ts: u32,
    bucket: u32,
    freed: u32,
    sustained: u32,
    chksum: u32,
) -> Applied {
    let buckets = if (bucket as usize) < TRASH_BUCKETS {
        bucket..bucket + 1
    } else {
        0..TRASH_BUCKETS as u32
    };
    let (mut fi, mut si, mut ics) = (0u32, 0u32, 0u32);
    for b in buckets {
        let members: Vec<u32> = r
            .image
            .edges
            .iter_list(
                r.image
                    .edges
                    .trash
                    .get(b as usize)
                    .copied()
                    .unwrap_or_default(),
            )
            .map(|(_, e)| e.child)
            .collect();
        for inode in members {
            let Some(n) = r.image.nodes.get(inode) else {
                continue;
            };
            let keep = u64::from(n.trashtime) * 3600;
            let expired = |t: u32| u64::from(t) + keep < u64::from(ts);
            if expired(n.atime) && expired(n.mtime) && expired(n.ctime) {
                ics ^= inode;
                match r.image.purge(ts, inode) {
                    Some(Purged::Removed) => fi += 1,
                    Some(Purged::Sustained) => si += 1,
                    None => {}
                }
            }
        }
    }
    if fi != freed || si != sustained || (chksum != 0 && ics != chksum) {
        return Err(Status::MISMATCH);
    }
    DONE
}

/// Sustained files of one bucket (or all) that nobody has open any more: removed.
fn empty_sustained(
    r: &mut Replay<'_, '_>,
    ts: u32,
    bucket: u32,
    freed: u32,
    chksum: u32,
) -> Applied {
    let buckets = if (bucket as usize) < SUSTAINED_BUCKETS {
        bucket..bucket + 1
    } else {
        0..SUSTAINED_BUCKETS as u32
    };
    let (mut fi, mut ics) = (0u32, 0u32);
    for b in buckets {
        let members: Vec<(EdgeIdx, u32)> = r
            .image
            .edges
            .iter_list(
                r.image
                    .edges
                    .sustained
                    .get(b as usize)
                    .copied()
                    .unwrap_or_default(),
            )
            .map(|(idx, e)| (idx, e.child))
            .collect();
        for (idx, inode) in members {
            if !r.image.is_open(inode) {
                ics ^= inode;
                r.image.remove_edge(0, idx);
                r.image.remove_node(ts, inode);
                fi += 1;
            }
        }
    }
    if fi != freed || (chksum != 0 && ics != chksum) {
        return Err(Status::MISMATCH);
    }
    DONE
}

fn free_inodes(
    r: &mut Replay<'_, '_>,
    ts: u32,
    delay: u32,
    freed: u32,
    sustained: u32,
    chksum: u32,
) -> Applied {
    let image = &mut *r.image;
    let open = &image.open_files;
    let inodes = &mut image.inodes;
    let released = image.free.release(
        ts,
        delay,
        |inode| sustained > 0 && open.is_open(inode),
        |inode| inodes.release(inode),
    );
    if released.freed != freed
        || released.sustained != sustained
        || (chksum != 0 && released.checksum != chksum)
    {
        return Err(Status::MISMATCH);
    }
    DONE
}

/// Gives every directory's entries new ids, the root's first (`fs_renumerate_edges`).
fn renumerate_edges(r: &mut Replay<'_, '_>, expected: u64) -> Applied {
    let image = &mut *r.image;
    image.edges.next_edge_id = FIRST_EDGE_ID;
    let mut stack = vec![ROOT_INODE];
    // Directories are renumbered in the order of a depth-first walk where each
    // directory's list is numbered before its sub-directories are visited.
    while let Some(dir) = stack.pop() {
        let Some(NodeData::Directory { children }) = image.nodes.get(dir).map(|n| &n.data) else {
            continue;
        };
        let list = *children;
        let entries: Vec<(EdgeIdx, u32)> = image
            .edges
            .iter_list(list)
            .map(|(i, e)| (i, e.child))
            .collect();
        let first = image.edges.next_edge_id.wrapping_sub(entries.len() as u64);
        image.edges.next_edge_id = first;
        for (k, &(idx, _)) in entries.iter().enumerate() {
            if let Some(e) = image.edges.get_mut(idx) {
                e.id = first.wrapping_add(k as u64);
            }
        }
        // Visit sub-directories in list order: push them reversed.
        for &(_, child) in entries.iter().rev() {
            if image
                .nodes
                .get(child)
                .is_some_and(|n| n.node_type == NodeType::Directory)
            {
                stack.push(child);
            }
        }
    }
    image.edges_need_renumbering = false;
    if image.edges.next_edge_id != expected {
        return Err(Status::MISMATCH);
    }
    DONE
}

#[cfg(test)]
mod tests {
    use bumpalo::Bump;

    use crate::replay::testing::{last_status as status, replay_text as run};
    use crate::replay::Status;

    #[test]
    fn create_checks_in_master_order() {
        assert_eq!(
            status("1: 10|CREATE(9,a,1,420,18,0,0,0):2"),
            Err(Status::ENOENT)
        );
        assert_eq!(
            status("1: 10|CREATE(1,a,3,420,18,0,0,0):2"),
            Err(Status::EINVAL)
        );
        assert_eq!(
            status("1: 10|CREATE(1,a,8,420,18,0,0,0):2"),
            Err(Status::EINVAL)
        );
        assert_eq!(
            status("1: 10|CREATE(1,..,1,420,18,0,0,0):2"),
            Err(Status::EINVAL)
        );
        assert_eq!(
            status("1: 10|CREATE(1,a%2Fb,1,420,18,0,0,0):2"),
            Err(Status::EINVAL)
        );
        assert_eq!(
            status("1: 10|CREATE(1,a,1,420,18,0,0,0):2\n2: 11|CREATE(2,b,1,420,18,0,0,0):3"),
            Err(Status::ENOTDIR)
        );
        assert_eq!(
            status("1: 10|CREATE(1,a,1,420,18,0,0,0):2\n2: 11|CREATE(1,a,2,493,18,0,0,0):3"),
            Err(Status::EEXIST)
        );
        assert_eq!(
            status("1: 10|CREATE(1,a,1,420,18,0,0,0):7"),
            Err(Status::MISMATCH)
        );
    }

    #[test]
    fn create_sets_mode_owner_class_and_parent_times() {
        let arena = Bump::new();
        let (image, last) = run(
            &arena,
            "1: 10|CREATE(1,d,2,1533,18,5,6,0):2\n2: 20|CREATE(2,f,q,420,7,8,0):3",
        );
        assert_eq!(last, Ok(1));
        let d = image.nodes.get(2).unwrap();
        assert_eq!(
            (d.mode, d.uid, d.gid, d.sclass, d.trashtime),
            (1533 & !18, 5, 6, 2, 24)
        );
        let fifo = image.nodes.get(3).unwrap();
        assert_eq!((fifo.sclass, fifo.trashtime, fifo.atime), (0, 24, 20));
        assert_eq!((d.mtime, d.ctime), (20, 20));
    }

    #[test]
    fn symlink_link_and_unlink_checks() {
        assert_eq!(status("1: 10|SYMLINK(1,s,,0,0):2"), Err(Status::EINVAL));
        let long = format!("1: 10|SYMLINK(1,s,{},0,0):2", "x".repeat(4097));
        assert_eq!(status(&long), Err(Status::EINVAL));
        assert_eq!(
            status("1: 10|CREATE(1,d,2,493,18,0,0,0):2\n2: 11|LINK(2,1,d2)"),
            Err(Status::EPERM)
        );
        assert_eq!(status("1: 10|LINK(5,1,x)"), Err(Status::ENOENT));
        assert_eq!(
            status("1: 10|CREATE(1,d,2,493,18,0,0,0):2\n2: 11|CREATE(2,f,1,420,18,0,0,0):3\n3: 12|UNLINK(1,d):2"),
            Err(Status::ENOTEMPTY)
        );
        assert_eq!(status("1: 10|UNLINK(1,nothing):2"), Err(Status::ENOENT));
    }

    #[test]
    fn unlink_sends_files_to_trash_or_frees_them() {
        let arena = Bump::new();
        let (image, last) = run(
            &arena,
            "1: 10|CREATE(1,f,1,420,18,0,0,0):2\n\
             2: 11|CREATE(1,g,1,420,18,0,0,0):3\n\
             3: 12|SETTRASHTIME(3,0,0,0):1,0,0\n\
             4: 13|UNLINK(1,f):2\n\
             5: 14|UNLINK(1,g):3",
        );
        assert_eq!(last, Ok(1));
        let f = image.nodes.get(2).unwrap();
        assert_eq!(f.node_type, crate::format::metadata::nodes::NodeType::Trash);
        assert_eq!(
            image
                .edges
                .get(image.nodes.parents(2).unwrap())
                .unwrap()
                .name,
            b"f"
        );
        assert!(image.nodes.get(3).is_none());
        assert_eq!(
            image
                .free
                .iter()
                .map(|f| (f.inode, f.ftime))
                .collect::<Vec<_>>(),
            [(3, 14)]
        );
    }

    #[test]
    fn move_refuses_a_directory_into_itself() {
        assert_eq!(
            status("1: 10|CREATE(1,d,2,493,18,0,0,0):2\n2: 11|CREATE(2,e,2,493,18,0,0,0):3\n3: 12|MOVE(1,d,3,x):2"),
            Err(Status::EINVAL)
        );
    }

    #[test]
    fn undel_path_rules() {
        let base = "1: 10|CREATE(1,f,1,420,18,0,0,0):2\n2: 11|UNLINK(1,f):2\n";
        assert_eq!(
            status(&format!("{base}3: 12|SETPATH(2,a//b)\n4: 13|UNDEL(2)")),
            Err(Status::CANTCREATEPATH)
        );
        assert_eq!(
            status(&format!("{base}3: 12|SETPATH(2,a/../b)\n4: 13|UNDEL(2)")),
            Err(Status::CANTCREATEPATH)
        );
        assert_eq!(
            status(&format!("{base}3: 12|SETPATH(2,a/)\n4: 13|UNDEL(2)")),
            Err(Status::CANTCREATEPATH)
        );
        assert_eq!(
            status(&format!(
                "{base}3: 12|CREATE(1,f,1,420,18,0,0,0):3\n4: 13|UNDEL(2)"
            )),
            Err(Status::EEXIST)
        );
        assert_eq!(
            status(&format!(
                "{base}3: 12|CREATE(1,a,1,420,18,0,0,0):3\n4: 13|SETPATH(2,a/f)\n5: 14|UNDEL(2)"
            )),
            Err(Status::CANTCREATEPATH)
        );
        assert_eq!(
            status(&format!("{base}3: 12|SETPATH(2,///x/y)\n4: 13|UNDEL(2)")),
            Ok(1)
        );
        assert_eq!(status("1: 10|UNDEL(1)"), Err(Status::ENOENT));
        assert_eq!(status("1: 10|PURGE(1)"), Err(Status::ENOENT));
        assert_eq!(
            status(&format!("{base}3: 12|SETPATH(2,)")),
            Err(Status::EINVAL)
        );
    }

    #[test]
    fn counted_operations_check_their_counts() {
        let base = "1: 10|CREATE(1,f,1,420,18,0,0,0):2\n2: 11|UNLINK(1,f):2\n";
        assert_eq!(
            status(&format!("{base}3: 12|EMPTYTRASH():1,0")),
            Err(Status::MISMATCH)
        );
        assert_eq!(
            status(&format!("{base}3: 99999|EMPTYTRASH(2):1,0,2")),
            Ok(1)
        );
        assert_eq!(
            status(&format!("{base}3: 99999|EMPTYTRASH(2):1,0,3")),
            Err(Status::MISMATCH)
        );
        assert_eq!(status(&format!("{base}3: 99999|EMPTYTRASH(5):0,0")), Ok(1));
        assert_eq!(
            status(&format!(
                "{base}3: 99999|PURGE(2)\n4: 100000|FREEINODES(0):1,0,2"
            )),
            Ok(1)
        );
        assert_eq!(
            status(&format!(
                "{base}3: 99999|PURGE(2)\n4: 99999|FREEINODES():0,0"
            )),
            Ok(1)
        );
        assert_eq!(status("1: 10|EMPTYSUSTAINED():0"), Ok(1));
        assert_eq!(status("1: 10|EMPTYRESERVED():1"), Err(Status::MISMATCH));
        assert_eq!(status("1: 10|RENUMERATEEDGES():9223372036854775806"), Ok(1));
        assert_eq!(status("1: 10|RENUMERATEEDGES():5"), Err(Status::MISMATCH));
    }

    #[test]
    fn freed_inodes_are_reused_only_after_freeinodes() {
        let arena = Bump::new();
        let (image, last) = run(
            &arena,
            "1: 10|CREATE(1,a,2,493,18,0,0,0):2\n\
             2: 11|UNLINK(1,a):2\n\
             3: 12|CREATE(1,b,2,493,18,0,0,0):3\n\
             4: 500|FREEINODES(300):1,0,2\n\
             5: 501|CREATE(1,c,2,493,18,0,0,0):2",
        );
        assert_eq!(last, Ok(1));
        assert_eq!(image.nodes.max_node_id, 3);
    }
}
