//! Replay of SNAPSHOT (`fs_mr_snapshot` → `fs_univ_snapshot` of 3.0.117;
//! `replay-semantics.md` §6, access rules §13).
//!
//! One line either copies a tree (`smode` without [`DELETE`]) or removes a snapshot tree
//! (`smode` with [`DELETE`]). Unlike the other namespace operations, a replayed SNAPSHOT
//! still checks access, with the uid, gids and session flags written in the line: a
//! directory the caller cannot read and search is copied without its children, a file
//! it cannot read is not copied at all, and removal only descends into directories the
//! caller can write and search.
//!
//! Calling order inside one operation (it decides inode numbers and edge ids):
//!
//! 1. the master's pre-checks, in its order, each with its status;
//! 2. create mode only: the recursive test over the target, which changes nothing;
//! 3. the copy (or the removal), depth first: a node is handled before its children,
//!    children in their directory's list order (newest entry first), and a directory's
//!    final attributes are set after its children;
//! 4. the six counters compared with the line's result (if present and not all zero):
//!    a difference is [`Status::MISMATCH`] with every change already made.
//!
//! Both walks use explicit stacks rather than recursion, so a deep tree cannot
//! overflow the stack; they visit nodes in exactly the master's recursive order.

use rustc_hash::FxHashMap;
use smallvec::SmallVec;

use crate::format::changelog::{Op, SnapshotGids, SnapshotResult};
use crate::format::metadata::acls::{ACCESS, DEFAULT};
use crate::format::metadata::nodes::NodeType;
use crate::model::image::Image;
use crate::model::namespace::{eattr, NewNode};
use crate::model::nodes::{EdgeIdx, NodeData, NO_EDGE};

use super::namespace::name_ok;
use super::{Applied, Replay, Status, DONE};

// `smode` bits (`SNAPSHOT_MODE_*`). The fifth, FORCE_REMOVAL (0x04), only skips a
// permission test of removal that replay never makes.

/// Existing target files that differ from their source are replaced (else EEXIST).
const CAN_OVERWRITE: u8 = 0x01;
/// New nodes get the caller as owner and `mode & !cumask`, like `cp` (not `cp -p`).
const CPLIKE_ATTR: u8 = 0x02;
/// Files linked more than once are copied once and hard-linked for their other names.
const PRESERVE_HARDLINKS: u8 = 0x08;
/// Remove a snapshot tree instead of making one.
const DELETE: u8 = 0x80;

/// `SESFLAG_IGNOREGID`: a caller that is not the owner gets the group and other bits
/// together, whatever its groups.
const SESFLAG_IGNOREGID: u8 = 0x04;

/// Wanted access bits (`MODE_MASK_*`).
const R: u8 = 4;
const W: u8 = 2;
const X: u8 = 1;

/// `MODE_TO_ACCMODE`: for permission bits `rwx`, the set of requests it grants, bit `w`
/// set iff every bit of `w` is in `rwx`. The master combines several matching ACL
/// groups by OR-ing these sets, not the permission bits: a request is granted when one
/// single entry grants all of it.
const ACCMODE: [u8; 8] = [0x01, 0x03, 0x05, 0x0F, 0x11, 0x33, 0x55, 0xFF];

/// Eattr bits that protect a node from being replaced or removed by a snapshot.
const PROTECTED: u8 = eattr::UNDELETABLE | eattr::IMMUTABLE | eattr::APPENDONLY;

/// Replays SNAPSHOT.
pub(super) fn apply<'a>(r: &mut Replay<'a, '_>, ts: u32, op: &Op<'a>) -> Applied {
    let Op::Snapshot {
        src_inode,
        dst_parent,
        ref name,
        smode,
        sesflags,
        uid,
        gids,
        cumask,
        result,
    } = *op
    else {
        return Err(Status::EINVAL);
    };
    // The legacy `gidcount,DATA` form must hold exactly 4 bytes per gid; the count is
    // multiplied in 32 bits, as the master's reader does.
    if let SnapshotGids::Data { count, bytes } = gids {
        if u64::from(count.wrapping_mul(4)) != bytes.len() as u64 {
            return Err(Status::MISMATCH);
        }
    }
    let gids: SmallVec<[u32; 8]> = gids.restored().collect();
    let name = r.bytes(name);
    let mut snap = Snapshot {
        image: &mut *r.image,
        arena: r.arena,
        ts,
        smode,
        caller: Caller {
            uid,
            gids: &gids,
            sesflags,
        },
        cumask,
        counts: SnapshotResult::default(),
        copies: FxHashMap::default(),
    };
    if smode & DELETE != 0 {
        snap.remove_mode(src_inode, dst_parent, name)?;
    } else {
        snap.create_mode(src_inode, dst_parent, name)?;
    }
    match result {
        Some(expected) if expected != SnapshotResult::default() && expected != snap.counts => {
            Err(Status::MISMATCH)
        }
        _ => DONE,
    }
}

/// Who asks: the uid, gids and session flags written in the line.
struct Caller<'g> {
    uid: u32,
    /// As 3.0.117's restore read them (see [`crate::format::changelog::GidList`]).
    gids: &'g [u32],
    sesflags: u8,
}

impl Caller<'_> {
    /// `gid[0]`, the group of nodes the caller creates. An empty list (which 3.0.117
    /// never writes: it logs a lone `[` its reader refuses) leaves the master reading a
    /// stale or missing buffer; 0 stands in for it.
    fn first_gid(&self) -> u32 {
        self.gids.first().copied().unwrap_or(0)
    }

    /// Whether the caller owns `uid`'s nodes in the sense of the snapshot rules: root,
    /// or the same uid. Such a caller keeps the source's owner and set-id bits.
    fn keeps_owner(&self, uid: u32) -> bool {
        self.uid == 0 || self.uid == uid
    }
}

/// The requests that permission bits grant.
fn accmode(perm: u16) -> u8 {
    ACCMODE[usize::from(perm & 7)]
}

/// `fsnodes_access_ext`: whether `caller` may do everything in `want` (R/W/X bits) on
/// `inode` (§13).
fn access(image: &Image<'_>, inode: u32, want: u8, caller: &Caller<'_>) -> bool {
    access_mode(image, inode, caller) & (1 << (want & 7)) != 0
}

/// `fsnodes_accessmode` / `posix_acl_accmode`: the set of requests `caller` is granted.
fn access_mode(image: &Image<'_>, inode: u32, caller: &Caller<'_>) -> u8 {
    if caller.uid == 0 {
        return accmode(7);
    }
    let Some(node) = image.nodes.get(inode) else {
        return accmode(0);
    };
    if let Some(acl) = image.acls.get(inode, ACCESS) {
        if caller.uid == node.uid {
            return accmode(acl.user_perm);
        }
        let named_users = usize::from(acl.named_users);
        let named_groups = usize::from(acl.named_groups);
        if let Some((_, perm)) = acl
            .entries()
            .take(named_users)
            .find(|&(id, _)| id == caller.uid)
        {
            return accmode(perm & acl.mask);
        }
        let mut granted = 0;
        let mut matched = false;
        for &gid in caller.gids {
            if gid == node.gid {
                granted |= accmode(acl.group_perm & acl.mask);
                matched = true;
            }
        }
        for (id, perm) in acl.entries().skip(named_users).take(named_groups) {
            for &gid in caller.gids {
                if gid == id {
                    granted |= accmode(perm & acl.mask);
                    matched = true;
                }
            }
        }
        return if matched {
            granted
        } else {
            accmode(acl.other_perm)
        };
    }
    if caller.uid == node.uid || node.eattr & eattr::NOOWNER != 0 {
        accmode(node.mode >> 6)
    } else if caller.sesflags & SESFLAG_IGNOREGID != 0 {
        accmode((node.mode >> 3) | node.mode)
    } else if caller.gids.contains(&node.gid) {
        accmode(node.mode >> 3)
    } else {
        accmode(node.mode)
    }
}

/// A step of the copy walk.
#[derive(Clone, Copy, Debug)]
enum CopyStep<'a> {
    /// Copy `src` as `parent/name`; `fresh` = `parent` was created by this snapshot, so
    /// nothing is looked up there (the master's `newflag`).
    Copy {
        src: u32,
        parent: u32,
        name: &'a [u8],
        fresh: bool,
    },
    /// Copy the children of a source directory into `dst`: the entry `at` next, or
    /// (`started`) the one after it, read only once `at` is done, as the master reads
    /// `nextchild` after each recursive call.
    Children {
        dst: u32,
        at: EdgeIdx,
        started: bool,
        fresh: bool,
    },
    /// After the children of an existing target directory: its attributes.
    FinishExisting { src: u32, dst: u32 },
    /// After the children of a new directory: its times and flag.
    FinishNew { src: u32, dst: u32 },
}

/// A step of the removal walk.
#[derive(Clone, Copy, Debug)]
enum RemoveStep {
    /// Remove the entry `edge` (if allowed and a snapshot node).
    Visit { edge: EdgeIdx, allowed: bool },
    /// Remove the children of a directory, `next` first (read before its predecessor
    /// was handled, as the master does).
    Children { next: EdgeIdx, allowed: bool },
    /// After the children of the directory of entry `edge`: remove it if it is empty.
    DirDone {
        edge: EdgeIdx,
        dir: u32,
        eattr: u8,
        allowed: bool,
    },
}

/// One SNAPSHOT operation in progress (`fsnodes_snapshot_params`).
struct Snapshot<'r, 'a, 'g> {
    image: &'r mut Image<'a>,
    arena: &'a bumpalo::Bump,
    ts: u32,
    smode: u8,
    caller: Caller<'g>,
    cumask: u16,
    counts: SnapshotResult,
    /// With [`PRESERVE_HARDLINKS`]: source inode → its copy, for multi-linked sources.
    copies: FxHashMap<u32, u32>,
}

impl<'a> Snapshot<'_, 'a, '_> {
    fn cplike(&self) -> bool {
        self.smode & CPLIKE_ATTR != 0
    }

    fn access(&self, inode: u32, want: u8) -> bool {
        access(self.image, inode, want, &self.caller)
    }

    fn node_type(&self, inode: u32) -> Option<NodeType> {
        self.image.nodes.get(inode).map(|n| n.node_type)
    }

    fn child_of(&self, edge: EdgeIdx) -> u32 {
        self.image.edges.get(edge).map_or(0, |e| e.child)
    }

    /// The first entry of a directory ([`NO_EDGE`] if none or not a directory).
    fn first_child(&self, dir: u32) -> EdgeIdx {
        match self.image.nodes.get(dir).map(|n| &n.data) {
            Some(NodeData::Directory { children }) => children.head,
            _ => NO_EDGE,
        }
    }

    /// Create mode: checks, test, copy.
    fn create_mode(&mut self, src: u32, parent: u32, name: &'a [u8]) -> Result<(), Status> {
        if src == 0 {
            return Err(Status::EINVAL);
        }
        let (Some(src_type), Some(parent_type)) = (self.node_type(src), self.node_type(parent))
        else {
            return Err(Status::ENOENT);
        };
        if parent_type != NodeType::Directory {
            return Err(Status::EPERM);
        }
        if src_type == NodeType::Directory && (src == parent || self.image.is_ancestor(src, parent))
        {
            return Err(Status::EINVAL);
        }
        if !name_ok(name) {
            return Err(Status::EINVAL);
        }
        self.test(src, parent, name)?;
        self.copy(src, parent, name);
        Ok(())
    }

    /// `fsnodes_snapshot_test`: walks the target where it already exists; fails before
    /// anything is changed.
    fn test(&self, orig: u32, parent: u32, name: &'a [u8]) -> Result<(), Status> {
        let can_overwrite = self.smode & CAN_OVERWRITE != 0;
        let mut stack: Vec<(u32, u32, &[u8])> = vec![(orig, parent, name)];
        while let Some((src, parent, name)) = stack.pop() {
            let Some(edge) = self.image.lookup(parent, name) else {
                continue;
            };
            let dst = self.child_of(edge);
            if dst == orig {
                return Err(Status::EINVAL);
            }
            let (Some(s), Some(d)) = (self.image.nodes.get(src), self.image.nodes.get(dst)) else {
                continue;
            };
            if d.eattr & PROTECTED != 0 || d.node_type != s.node_type {
                return Err(Status::EPERM);
            }
            if matches!(s.node_type, NodeType::Trash | NodeType::Sustained) {
                return Err(Status::EPERM);
            }
            if let NodeData::Directory { children } = s.data {
                // Pushed in reverse so that they are popped in list order.
                let first = stack.len();
                stack.extend(
                    self.image
                        .edges
                        .iter_list(children)
                        .map(|(_, e)| (e.child, dst, e.name)),
                );
                if let Some(pushed) = stack.get_mut(first..) {
                    pushed.reverse();
                }
            } else if !can_overwrite {
                return Err(Status::EEXIST);
            }
        }
        Ok(())
    }

    /// `fsnodes_snapshot` from the top: copies `src` as `parent/name`.
    fn copy(&mut self, src: u32, parent: u32, name: &'a [u8]) {
        let mut stack = vec![CopyStep::Copy {
            src,
            parent,
            name,
            fresh: false,
        }];
        while let Some(step) = stack.pop() {
            match step {
                CopyStep::Copy {
                    src,
                    parent,
                    name,
                    fresh,
                } => self.copy_one(src, parent, name, fresh, &mut stack),
                CopyStep::Children {
                    dst,
                    at,
                    started,
                    fresh,
                } => {
                    let edge = if started {
                        self.image.edges.get(at).map_or(NO_EDGE, |e| e.next)
                    } else {
                        at
                    };
                    let Some(e) = self.image.edges.get(edge) else {
                        continue;
                    };
                    let (src, name) = (e.child, e.name);
                    stack.push(CopyStep::Children {
                        dst,
                        at: edge,
                        started: true,
                        fresh,
                    });
                    stack.push(CopyStep::Copy {
                        src,
                        parent: dst,
                        name,
                        fresh,
                    });
                }
                CopyStep::FinishExisting { src, dst } => self.set_existing_attrs(src, dst),
                CopyStep::FinishNew { src, dst } => self.finish_new(src, dst),
            }
        }
    }

    /// One node of the copy; a directory whose children are to be copied pushes them
    /// and its final step instead of finishing here.
    fn copy_one(
        &mut self,
        src: u32,
        parent: u32,
        name: &'a [u8],
        fresh: bool,
        stack: &mut Vec<CopyStep<'a>>,
    ) {
        let Some(src_type) = self.node_type(src) else {
            return;
        };
        let (rec, readable) = match src_type {
            NodeType::Directory => (self.access(src, R | X), true),
            NodeType::File => (false, self.access(src, R)),
            _ => (false, true),
        };
        if !readable {
            return;
        }
        if !fresh {
            if let Some(edge) = self.image.lookup(parent, name) {
                self.update_existing(src, src_type, parent, name, edge, rec, stack);
                return;
            }
        }
        self.create_copy(src, src_type, parent, name, rec, stack);
    }

    /// The target exists: bring it up to date with the source.
    #[expect(clippy::too_many_arguments, reason = "one step of the walk, unpacked")]
    fn update_existing(
        &mut self,
        src: u32,
        src_type: NodeType,
        parent: u32,
        name: &'a [u8],
        edge: EdgeIdx,
        rec: bool,
        stack: &mut Vec<CopyStep<'a>>,
    ) {
        let mut dst = self.child_of(edge);
        let count = |n: &mut u32| *n = n.wrapping_add(1);
        match src_type {
            NodeType::Directory => {
                count(&mut self.counts.existing);
                if rec {
                    stack.push(CopyStep::FinishExisting { src, dst });
                    stack.push(CopyStep::Children {
                        dst,
                        at: self.first_child(src),
                        started: false,
                        fresh: false,
                    });
                    return;
                }
            }
            NodeType::File => {
                if self.same_file(src, dst) {
                    count(&mut self.counts.same);
                } else {
                    count(&mut self.counts.existing);
                    dst = self.replace_file(src, parent, name, edge, dst);
                }
            }
            NodeType::Symlink => {
                count(&mut self.counts.existing);
                let path = match self.image.nodes.get(src).map(|n| &n.data) {
                    Some(NodeData::Symlink { path }) => Some(*path),
                    _ => None,
                };
                if let (Some(path), Some(d)) = (path, self.image.nodes.get_mut(dst)) {
                    if let NodeData::Symlink { path: target } = &mut d.data {
                        *target = path;
                    }
                }
            }
            NodeType::BlockDev | NodeType::CharDev => {
                count(&mut self.counts.existing);
                let rdev = match self.image.nodes.get(src).map(|n| &n.data) {
                    Some(NodeData::Device { rdev }) => Some(*rdev),
                    _ => None,
                };
                if let (Some(rdev), Some(d)) = (rdev, self.image.nodes.get_mut(dst)) {
                    if let NodeData::Device { rdev: target } = &mut d.data {
                        *target = rdev;
                    }
                }
            }
            _ => count(&mut self.counts.existing),
        }
        self.set_existing_attrs(src, dst);
    }

    /// Same length, same chunk table size and the same chunk ids.
    fn same_file(&self, src: u32, dst: u32) -> bool {
        let data = |inode| self.image.nodes.get(inode).map(|n| &n.data);
        match (data(src), data(dst)) {
            (
                Some(NodeData::File {
                    length: sl,
                    chunks: sc,
                }),
                Some(NodeData::File {
                    length: dl,
                    chunks: dc,
                }),
            ) => sl == dl && sc == dc,
            _ => false,
        }
    }

    /// An existing target file that differs: unlinked (so it may go to the trash) and
    /// replaced by a new file with the source's class, trash time, chunks and length.
    /// Returns the new file.
    fn replace_file(
        &mut self,
        src: u32,
        parent: u32,
        name: &'a [u8],
        edge: EdgeIdx,
        old: u32,
    ) -> u32 {
        self.counts.chksum ^= old;
        self.image.unlink(self.ts, edge, self.arena);
        let Some(s) = self.image.nodes.get(src) else {
            return old;
        };
        let (s_mode, s_uid, s_gid) = (s.mode, s.uid, s.gid);
        let (mode, cumask, uid, gid) = if self.cplike() {
            (
                s_mode,
                self.cumask,
                self.caller.uid,
                self.caller.first_gid(),
            )
        } else if self.caller.keeps_owner(s_uid) {
            (s_mode & 0o7777, 0, s_uid, s_gid)
        } else {
            (s_mode & 0o1777, 0, self.caller.uid, self.caller.first_gid())
        };
        let dst =
            self.image
                .create_node(self.ts, parent, name, NewNode::File, mode, cumask, uid, gid);
        self.counts.chksum ^= dst;
        self.copy_class_and_trashtime(src, dst);
        self.copy_file_data(src, dst);
        dst
    }

    /// The attributes of an existing target (or of the file that replaced it), after
    /// its children.
    fn set_existing_attrs(&mut self, src: u32, dst: u32) {
        let Some(s) = self.image.nodes.get(src) else {
            return;
        };
        let (s_mode, s_uid, s_gid, s_atime, s_mtime, s_ctime) =
            (s.mode, s.uid, s.gid, s.atime, s.mtime, s.ctime);
        let (cplike, ts, cumask) = (self.cplike(), self.ts, self.cumask);
        let keeps_owner = self.caller.keeps_owner(s_uid);
        let (uid, gid) = (self.caller.uid, self.caller.first_gid());
        let Some(d) = self.image.nodes.get_mut(dst) else {
            return;
        };
        if cplike {
            d.uid = uid;
            d.gid = gid;
            d.mode = s_mode & !cumask;
            d.ctime = ts;
        } else {
            if keeps_owner {
                d.mode = s_mode;
                d.uid = s_uid;
                d.gid = s_gid;
                d.ctime = s_ctime;
            } else {
                d.mode = s_mode & 0o1777;
                d.uid = uid;
                d.gid = gid;
                d.ctime = ts;
            }
            d.atime = s_atime;
            d.mtime = s_mtime;
        }
        d.eattr |= eattr::SNAPSHOT;
    }

    /// The target does not exist: a new node (or, for another name of an already copied
    /// file, a hard link to its copy).
    fn create_copy(
        &mut self,
        src: u32,
        src_type: NodeType,
        parent: u32,
        name: &'a [u8],
        rec: bool,
        stack: &mut Vec<CopyStep<'a>>,
    ) {
        let Some(s) = self.image.nodes.get(src) else {
            return;
        };
        let what = match (&s.data, src_type) {
            (_, NodeType::Directory) => NewNode::Directory,
            (_, NodeType::File) => NewNode::File,
            (NodeData::Symlink { path }, NodeType::Symlink) => NewNode::Symlink { path },
            (NodeData::Device { rdev }, NodeType::BlockDev | NodeType::CharDev) => {
                NewNode::Device {
                    node_type: src_type,
                    rdev: *rdev,
                }
            }
            (_, NodeType::Fifo | NodeType::Socket) => NewNode::Other {
                node_type: src_type,
            },
            // Trash and sustained sources produce nothing.
            _ => return,
        };
        let multi_linked = src_type != NodeType::Directory
            && self
                .image
                .edges
                .get(self.image.nodes.parents(src).unwrap_or(NO_EDGE))
                .is_some_and(|e| e.next_parent != NO_EDGE);
        let track_links = self.smode & PRESERVE_HARDLINKS != 0 && multi_linked;
        if track_links {
            if let Some(&copy) = self.copies.get(&src) {
                self.counts.hardlinks = self.counts.hardlinks.wrapping_add(1);
                self.image.link(self.ts, parent, copy, name);
                return;
            }
        }
        let (s_mode, s_uid, s_gid) = (s.mode, s.uid, s.gid);
        let keeps_owner = self.caller.keeps_owner(s_uid);
        let (mode, cumask, uid, gid) = if self.cplike() {
            (
                s_mode,
                self.cumask,
                self.caller.uid,
                self.caller.first_gid(),
            )
        } else if keeps_owner {
            (s_mode, 0, s_uid, s_gid)
        } else {
            (s_mode & 0o1777, 0, self.caller.uid, self.caller.first_gid())
        };
        let dst = self
            .image
            .create_node(self.ts, parent, name, what, mode, cumask, uid, gid);
        self.counts.chksum ^= dst;
        self.counts.new = self.counts.new.wrapping_add(1);
        if track_links {
            self.copies.insert(src, dst);
        }
        if !self.cplike() {
            self.copy_class_and_trashtime(src, dst);
            let Some(s) = self.image.nodes.get(src) else {
                return;
            };
            let (s_eattr, s_winattr) = (s.eattr, s.winattr);
            if let Some(d) = self.image.nodes.get_mut(dst) {
                d.eattr = s_eattr;
                d.winattr = s_winattr;
                d.mode = if keeps_owner { s_mode } else { s_mode & 0o1777 };
            }
            if self.image.xattrs.has(src) {
                self.image.xattrs.copy(src, dst);
            }
            // Only ACLs the source has replace what the parent's default ACL gave.
            for acl_type in [ACCESS, DEFAULT] {
                if self.image.acls.has(src, acl_type) {
                    self.image.acls.copy(src, dst, acl_type);
                }
            }
        }
        match src_type {
            NodeType::Directory if rec => {
                stack.push(CopyStep::FinishNew { src, dst });
                stack.push(CopyStep::Children {
                    dst,
                    at: self.first_child(src),
                    started: false,
                    fresh: true,
                });
                return;
            }
            NodeType::File => self.copy_file_data(src, dst),
            _ => {}
        }
        self.finish_new(src, dst);
    }

    /// The last step of a new copy: the source's times (unless cp-like) and the
    /// SNAPSHOT flag.
    fn finish_new(&mut self, src: u32, dst: u32) {
        let times = self
            .image
            .nodes
            .get(src)
            .map(|s| (s.atime, s.mtime, s.ctime));
        let cplike = self.cplike();
        let Some(d) = self.image.nodes.get_mut(dst) else {
            return;
        };
        if let (false, Some((atime, mtime, ctime))) = (cplike, times) {
            d.atime = atime;
            d.mtime = mtime;
            d.ctime = ctime;
        }
        d.eattr |= eattr::SNAPSHOT;
    }

    /// `dst` takes the storage class (usage counts follow) and trash time of `src`.
    fn copy_class_and_trashtime(&mut self, src: u32, dst: u32) {
        let Some((sclass, trashtime)) = self.image.nodes.get(src).map(|s| (s.sclass, s.trashtime))
        else {
            return;
        };
        let Some(d) = self.image.nodes.get_mut(dst) else {
            return;
        };
        let (old, node_type) = (d.sclass, d.node_type);
        d.sclass = sclass;
        d.trashtime = trashtime;
        if node_type.has_storage_class() {
            let directory = node_type == NodeType::Directory;
            self.image
                .storage_classes
                .remove_use(u16::from(old), directory);
            self.image
                .storage_classes
                .add_use(u16::from(sclass), directory);
        }
    }

    /// `dst` (a new, empty file) takes the chunk table and length of `src`; every
    /// chunk gains a file reference (missing chunks are ignored, as the master logs and
    /// goes on).
    fn copy_file_data(&mut self, src: u32, dst: u32) {
        let Some(NodeData::File { length, chunks }) =
            self.image.nodes.get(src).map(|s| s.data.clone())
        else {
            return;
        };
        for &id in chunks.iter().filter(|&&id| id != 0) {
            self.image.chunks.add_file_ref(id);
        }
        if let Some(d) = self.image.nodes.get_mut(dst) {
            d.data = NodeData::File { length, chunks };
        }
    }

    /// Remove mode: checks, then the removal walk.
    fn remove_mode(&mut self, src: u32, parent: u32, name: &'a [u8]) -> Result<(), Status> {
        if src != 0 {
            return Err(Status::EINVAL);
        }
        let Some(p) = self.image.nodes.get(parent) else {
            return Err(Status::ENOENT);
        };
        if p.node_type != NodeType::Directory {
            return Err(Status::EPERM);
        }
        let allowed = p.eattr & (eattr::APPENDONLY | eattr::IMMUTABLE) == 0;
        if !name_ok(name) {
            return Err(Status::EINVAL);
        }
        let Some(edge) = self.image.lookup(parent, name) else {
            return Err(Status::ENOENT);
        };
        // The live master tests permissions first unless FORCE_REMOVAL; replay never does.
        self.remove(edge, allowed);
        Ok(())
    }

    /// `fsnodes_remove_snapshot`: removes the snapshot nodes under entry `edge`,
    /// depth first; a directory goes only if it ends up empty.
    fn remove(&mut self, edge: EdgeIdx, allowed: bool) {
        let mut stack = vec![RemoveStep::Visit { edge, allowed }];
        while let Some(step) = stack.pop() {
            match step {
                RemoveStep::Visit { edge, allowed } => {
                    let node = self.child_of(edge);
                    let Some(n) = self.image.nodes.get(node) else {
                        continue;
                    };
                    if n.node_type != NodeType::Directory {
                        self.remove_entry(edge, allowed);
                        continue;
                    }
                    let done = RemoveStep::DirDone {
                        edge,
                        dir: node,
                        eattr: n.eattr,
                        allowed,
                    };
                    stack.push(done);
                    if self.access(node, W | X) {
                        let children_allowed =
                            n.eattr & (eattr::APPENDONLY | eattr::IMMUTABLE) == 0;
                        stack.push(RemoveStep::Children {
                            next: self.first_child(node),
                            allowed: children_allowed,
                        });
                    }
                }
                RemoveStep::Children { next, allowed } => {
                    let Some(e) = self.image.edges.get(next) else {
                        continue;
                    };
                    stack.push(RemoveStep::Children {
                        next: e.next,
                        allowed,
                    });
                    stack.push(RemoveStep::Visit {
                        edge: next,
                        allowed,
                    });
                }
                RemoveStep::DirDone {
                    edge,
                    dir,
                    eattr,
                    allowed,
                } => {
                    if self.first_child(dir) != NO_EDGE {
                        continue;
                    }
                    // Unlinking the children cleared its SNAPSHOT flag; it counts as
                    // it was.
                    if let Some(d) = self.image.nodes.get_mut(dir) {
                        d.eattr = eattr;
                    }
                    self.remove_entry(edge, allowed);
                }
            }
        }
    }

    /// Unlinks entry `edge` if its node is a snapshot node that nothing protects, with
    /// trash time 0 first (so a file is freed, or kept as sustained if open).
    fn remove_entry(&mut self, edge: EdgeIdx, allowed: bool) {
        let node = self.child_of(edge);
        let Some(n) = self.image.nodes.get_mut(node) else {
            return;
        };
        if n.eattr & eattr::SNAPSHOT == 0 || n.eattr & PROTECTED != 0 || !allowed {
            return;
        }
        n.trashtime = 0;
        self.counts.chksum ^= node;
        self.counts.removed = self.counts.removed.wrapping_add(1);
        self.image.unlink(self.ts, edge, self.arena);
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use std::borrow::Cow;

    use bumpalo::Bump;

    use super::*;
    use crate::format::changelog::parse_line;
    use crate::model::acls::AclState;
    use crate::model::edges::FIRST_EDGE_ID;
    use crate::model::load_nodes::ROOT_INODE;
    use crate::model::nodes::ChunkList;
    use crate::model::xattrs::SetMode;

    /// Time of the tree set-up.
    const T0: u32 = 1_000;
    /// Time of the snapshots.
    const T1: u32 = 2_000;

    /// A file system in memory and the arena its replayed lines live in.
    struct Fs {
        image: Image<'static>,
        arena: &'static Bump,
    }

    impl Fs {
        fn new() -> Self {
            let mut image = Image::new_empty(T0);
            image.prepare_replay();
            Fs {
                image,
                arena: Box::leak(Box::new(Bump::new())),
            }
        }

        fn create(&mut self, parent: u32, name: &'static str, what: NewNode<'static>) -> u32 {
            let mode = match what {
                NewNode::Directory => 0o755,
                _ => 0o644,
            };
            self.image
                .create_node(T0, parent, name.as_bytes(), what, mode, 0, 0, 0)
        }

        fn mkdir(&mut self, parent: u32, name: &'static str) -> u32 {
            self.create(parent, name, NewNode::Directory)
        }

        /// A file with the given chunks (created in the chunk table if missing).
        fn file(&mut self, parent: u32, name: &'static str, chunks: &[u64]) -> u32 {
            let inode = self.create(parent, name, NewNode::File);
            self.set_chunks(inode, chunks);
            inode
        }

        fn set_chunks(&mut self, inode: u32, chunks: &[u64]) {
            for &id in chunks.iter().filter(|&&id| id != 0) {
                if self.image.chunks.get(id).is_none() {
                    self.image.chunks.insert(id, 1, 0, 0);
                }
                self.image.chunks.add_file_ref(id);
            }
            let node = self.image.nodes.get_mut(inode).unwrap();
            node.data = NodeData::File {
                length: chunks.len() as u64 * 1000,
                chunks: ChunkList::from_slice(chunks),
            };
        }

        fn link(&mut self, inode: u32, parent: u32, name: &'static str) {
            self.image.link(T0, parent, inode, name.as_bytes());
        }

        fn node(&self, inode: u32) -> &crate::model::nodes::Node<'static> {
            self.image.nodes.get(inode).unwrap()
        }

        fn node_mut(&mut self, inode: u32) -> &mut crate::model::nodes::Node<'static> {
            self.image.nodes.get_mut(inode).unwrap()
        }

        fn lookup(&self, parent: u32, name: &str) -> Option<u32> {
            let idx = self.image.lookup(parent, name.as_bytes())?;
            Some(self.image.edges.get(idx).unwrap().child)
        }

        /// `dir`'s entries in list order, as (name, inode, edge id).
        fn entries(&self, dir: u32) -> Vec<(String, u32, u64)> {
            let NodeData::Directory { children } = self.node(dir).data else {
                panic!("{dir} is not a directory");
            };
            self.image
                .edges
                .iter_list(children)
                .map(|(_, e)| (String::from_utf8_lossy(e.name).into_owned(), e.child, e.id))
                .collect()
        }

        /// Replays `SNAPSHOT(args)[:result]` at `T1`, from `args[:result]`.
        fn snapshot(&mut self, args_and_result: &str) -> Applied {
            let line = match args_and_result.split_once(':') {
                Some((args, result)) => format!("1: {T1}|SNAPSHOT({args}):{result}"),
                None => format!("1: {T1}|SNAPSHOT({args_and_result})"),
            };
            let line: &'static str = self.arena.alloc_str(&line);
            let parsed = parse_line(line.as_bytes()).unwrap();
            let mut r = Replay {
                image: &mut self.image,
                arena: self.arena,
            };
            crate::replay::apply(&mut r, parsed.ts, &parsed.op)
        }

        fn fcount(&self, chunk: u64) -> u32 {
            self.image.chunks.get(chunk).unwrap().fcount
        }
    }

    /// `src{a, sub{b, a_hl}}` with `a_hl` a second name of `a`; returns (src, a, sub, b).
    fn sample(fs: &mut Fs) -> (u32, u32, u32, u32) {
        let src = fs.mkdir(ROOT_INODE, "src");
        let a = fs.file(src, "a", &[1]);
        let sub = fs.mkdir(src, "sub");
        let b = fs.file(sub, "b", &[2]);
        fs.link(a, sub, "a_hl");
        (src, a, sub, b)
    }

    #[test]
    fn spec_example_order_of_inodes_edges_and_counters() {
        let mut fs = Fs::new();
        let (src, a, sub, b) = sample(&mut fs);
        assert_eq!((src, a, sub, b), (2, 3, 4, 5));
        let next_edge = fs.image.edges.next_edge_id;
        // Depth first, newest entry first: dst, dst/sub, dst/sub/a_hl, dst/sub/b, then
        // dst/a as a hard link of the copy of a_hl. 6 ^ 7 ^ 8 ^ 9 = 0.
        assert_eq!(fs.snapshot("2,1,dst,8,0,0,[0],0:0,0,0,0,1,4"), DONE);
        let dst = fs.lookup(ROOT_INODE, "dst").unwrap();
        assert_eq!(dst, 6);
        let copy_sub = fs.lookup(dst, "sub").unwrap();
        assert_eq!(copy_sub, 7);
        // Copied in the source's list order, so the copy's list is reversed.
        assert_eq!(
            fs.entries(sub),
            [
                ("a_hl".to_string(), a, next_edge + 1),
                ("b".to_string(), b, next_edge + 2)
            ]
        );
        assert_eq!(
            fs.entries(copy_sub),
            [
                ("b".to_string(), 9, next_edge - 3),
                ("a_hl".to_string(), 8, next_edge - 2),
            ]
        );
        assert_eq!(
            fs.entries(dst),
            [
                ("a".to_string(), 8, next_edge - 4),
                ("sub".to_string(), 7, next_edge - 1),
            ]
        );
        assert_eq!(fs.image.edges.next_edge_id, next_edge - 5);
        // Copies keep the source's times; the target's parent gets the snapshot time.
        assert_eq!(fs.node(dst).mtime, T0);
        assert_eq!(fs.node(copy_sub).mtime, T0);
        assert_eq!(fs.node(ROOT_INODE).mtime, T1);
        // The hard link set the copy's ctime.
        assert_eq!(fs.node(8).ctime, T1);
        assert_eq!(fs.node(9).ctime, T0);
        for inode in [6, 7, 8, 9] {
            assert_ne!(fs.node(inode).eattr & eattr::SNAPSHOT, 0, "inode {inode}");
        }
        assert_eq!(fs.fcount(1), 2);
        assert_eq!(fs.fcount(2), 2);
        assert_eq!(fs.image.nodes.max_node_id, 9);

        // b changes: its copy 9 is replaced by inode 10, the rest is the same (a_hl,
        // a) or exists (dst, sub, b): 9 ^ 10 = 3.
        fs.set_chunks(b, &[5]);
        assert_eq!(fs.snapshot("2,1,dst,9,0,0,[0],0:3,0,2,3,0,0"), DONE);
        assert_eq!(fs.lookup(copy_sub, "b"), Some(10));
        // The replaced copy went to the trash (trash time 24 h) with its path.
        assert_eq!(fs.node(9).node_type, NodeType::Trash);
        let trash = fs
            .image
            .edges
            .get(fs.image.nodes.parents(9).unwrap())
            .unwrap();
        assert_eq!(trash.name, b"dst/sub/b");
        assert_eq!(fs.fcount(5), 2);
        assert_eq!(fs.fcount(2), 2, "the trash file keeps its reference");
    }

    #[test]
    fn counters_are_checked_after_the_changes() {
        let mut fs = Fs::new();
        sample(&mut fs);
        assert_eq!(
            fs.snapshot("2,1,dst,8,0,0,[0],0:0,0,0,0,0,4"),
            Err(Status::MISMATCH)
        );
        assert!(fs.lookup(ROOT_INODE, "dst").is_some());
        // All zero: no check.
        assert_eq!(fs.snapshot("2,1,dst2,8,0,0,[0],0:0,0,0,0,0,0"), DONE);
        // No result at all.
        assert_eq!(fs.snapshot("2,1,dst3,8,0,0,[0],0"), DONE);
    }

    #[test]
    fn without_preserve_hardlinks_every_name_is_a_copy() {
        let mut fs = Fs::new();
        sample(&mut fs);
        // 6 ^ 7 ^ 8 ^ 9 ^ 10 = 10
        assert_eq!(fs.snapshot("2,1,dst,0,0,0,[0],0:10,0,0,0,0,5"), DONE);
        assert_eq!(fs.fcount(1), 3);
    }

    #[test]
    fn pre_checks_in_the_masters_order() {
        let mut fs = Fs::new();
        let (src, a, sub, _) = sample(&mut fs);
        let before = (fs.image.nodes.len(), fs.image.edges.next_edge_id);
        let cases: &[(String, Status)] = &[
            ("0,1,x,0,0,0,[0],0".into(), Status::EINVAL),
            ("99,1,x,0,0,0,[0],0".into(), Status::ENOENT),
            ("2,99,x,0,0,0,[0],0".into(), Status::ENOENT),
            (format!("2,{a},x,0,0,0,[0],0"), Status::EPERM),
            (format!("{src},{src},x,0,0,0,[0],0"), Status::EINVAL),
            (format!("{src},{sub},x,0,0,0,[0],0"), Status::EINVAL),
            ("2,1,..,0,0,0,[0],0".into(), Status::EINVAL),
            ("2,1,%00x,0,0,0,[0],0".into(), Status::EINVAL),
            // The target is the source itself.
            ("2,1,src,1,0,0,[0],0".into(), Status::EINVAL),
            // Existing file without CAN_OVERWRITE, found by the recursive test.
            (format!("{a},{sub},b,0,0,0,[0],0"), Status::EEXIST),
            // Type differs.
            (format!("{a},1,src,1,0,0,[0],0"), Status::EPERM),
        ];
        for (args, status) in cases {
            assert_eq!(fs.snapshot(args), Err(*status), "{args}");
        }
        // A protected target.
        fs.file(ROOT_INODE, "a", &[]);
        let existing = fs.lookup(ROOT_INODE, "a").unwrap();
        fs.node_mut(existing).eattr |= eattr::UNDELETABLE;
        assert_eq!(
            fs.snapshot(&format!("{a},1,a,1,0,0,[0],0")),
            Err(Status::EPERM)
        );
        // A test failure deep inside: dst{sub{b}} exists with b differing, no
        // overwrite; nothing may change.
        assert_eq!(fs.snapshot("2,1,dst,0,0,0,[0],0"), DONE);
        let after_first = (fs.image.nodes.len(), fs.image.edges.next_edge_id);
        assert_ne!(after_first, before);
        assert_eq!(fs.snapshot("2,1,dst,0,0,0,[0],0"), Err(Status::EEXIST));
        assert_eq!(
            (fs.image.nodes.len(), fs.image.edges.next_edge_id),
            after_first
        );
    }

    #[test]
    fn overwrite_of_the_same_tree_counts_same_files() {
        let mut fs = Fs::new();
        sample(&mut fs);
        assert_eq!(fs.snapshot("2,1,dst,8,0,0,[0],0"), DONE);
        let ctime_before = fs.node(7).ctime;
        // dst and sub exist; a_hl, b, a are the same.
        assert_eq!(fs.snapshot("2,1,dst,9,0,0,[0],0:0,0,3,2,0,0"), DONE);
        assert_eq!(fs.node(7).ctime, ctime_before);
    }

    #[test]
    fn existing_symlinks_devices_and_attributes_follow_the_source() {
        let mut fs = Fs::new();
        let src = fs.mkdir(ROOT_INODE, "src");
        let sl = fs.create(src, "sl", NewNode::Symlink { path: b"new" });
        let dev = fs.create(
            src,
            "dev",
            NewNode::Device {
                node_type: NodeType::CharDev,
                rdev: 77,
            },
        );
        let dst = fs.mkdir(ROOT_INODE, "dst");
        let old_sl = fs.create(dst, "sl", NewNode::Symlink { path: b"old" });
        let old_dev = fs.create(
            dst,
            "dev",
            NewNode::Device {
                node_type: NodeType::CharDev,
                rdev: 1,
            },
        );
        fs.node_mut(sl).uid = 5;
        fs.node_mut(sl).atime = 111;
        fs.node_mut(sl).ctime = 222;
        // Caller uid 7 owns nothing: mode loses set-id bits, owner is the caller.
        fs.node_mut(dev).mode = 0o6755;
        fs.node_mut(dev).uid = 8;
        assert_eq!(fs.snapshot(&format!("{src},1,dst,1,0,0,[9],0")), DONE);
        let sl_node = fs.node(old_sl);
        assert!(matches!(sl_node.data, NodeData::Symlink { path: b"new" }));
        // uid 0 keeps the source's owner and ctime.
        assert_eq!((sl_node.uid, sl_node.atime, sl_node.ctime), (5, 111, 222));
        assert!(matches!(
            fs.node(old_dev).data,
            NodeData::Device { rdev: 77 }
        ));

        assert_eq!(fs.snapshot(&format!("{src},1,dst,1,0,7,[1000],0")), DONE);
        let d = fs.node(old_dev);
        // `[1000]` is read by 3.0.117 as gid 0 (first digit skipped).
        assert_eq!((d.mode, d.uid, d.gid, d.ctime), (0o0755, 7, 0, T1));
        assert_ne!(d.eattr & eattr::SNAPSHOT, 0);
    }

    #[test]
    fn cplike_copies_get_the_caller_and_the_umask() {
        let mut fs = Fs::new();
        let src = fs.mkdir(ROOT_INODE, "src");
        let f = fs.file(src, "f", &[3]);
        fs.node_mut(f).mode = 0o4755;
        fs.node_mut(f).uid = 7;
        fs.node_mut(f).mtime = 5;
        fs.node_mut(f).sclass = 2;
        fs.image
            .xattrs
            .set(
                f,
                Cow::Borrowed(b"user.x"),
                Cow::Borrowed(b"1"),
                SetMode::CreateOnly,
            )
            .unwrap();
        assert_eq!(fs.snapshot(&format!("{src},1,dst,2,0,7,[05],18")), DONE);
        let copy = fs
            .lookup(fs.lookup(ROOT_INODE, "dst").unwrap(), "f")
            .unwrap();
        let n = fs.node(copy);
        assert_eq!((n.mode, n.uid, n.gid), (0o4755 & !18, 7, 5));
        assert_eq!((n.atime, n.mtime, n.ctime), (T1, T1, T1));
        assert!(!fs.image.xattrs.has(copy), "cp-like copies take no xattrs");
        assert_eq!(fs.fcount(3), 2);
    }

    #[test]
    fn new_copies_take_class_eattr_xattrs_and_acls() {
        let mut fs = Fs::new();
        let src = fs.mkdir(ROOT_INODE, "src");
        let f = fs.file(src, "f", &[3, 0, 3]);
        fs.image.storage_classes.remove_use(2, false);
        fs.image.storage_classes.add_use(5, false);
        let n = fs.node_mut(f);
        n.sclass = 5;
        n.trashtime = 7;
        n.eattr = eattr::NOOWNER;
        n.winattr = 3;
        n.mode = 0o6640;
        n.uid = 3;
        fs.image
            .xattrs
            .set(
                f,
                Cow::Borrowed(b"user.x"),
                Cow::Borrowed(b"1"),
                SetMode::CreateOnly,
            )
            .unwrap();
        let acl = AclState {
            user_perm: 6,
            group_perm: 4,
            other_perm: 0,
            mask: 4,
            named_users: 1,
            named_groups: 0,
            entries: Cow::Borrowed(&[0, 0, 0, 9, 0, 6]),
        };
        fs.image.acls.set(f, ACCESS, acl.clone());
        let files_before = fs.image.storage_classes.usage(5).files;
        // uid 9 is a named user with rw (masked to r): the file is copied.
        assert_eq!(fs.snapshot(&format!("{src},1,dst,0,0,9,[14],0")), DONE);
        let copy = fs
            .lookup(fs.lookup(ROOT_INODE, "dst").unwrap(), "f")
            .unwrap();
        let c = fs.node(copy);
        assert_eq!((c.sclass, c.trashtime, c.winattr), (5, 7, 3));
        assert_eq!(c.eattr, eattr::NOOWNER | eattr::SNAPSHOT);
        assert_eq!((c.mode, c.uid, c.gid), (0o0640, 9, 4));
        assert_eq!(fs.image.storage_classes.usage(5).files, files_before + 1);
        assert_eq!(fs.image.xattrs.value(copy, b"user.x"), Some(&b"1"[..]));
        assert_eq!(fs.image.acls.get(copy, ACCESS), Some(&acl));
        assert_eq!(fs.fcount(3), 4);
        let NodeData::File { length, chunks } = &c.data else {
            panic!()
        };
        assert_eq!((*length, chunks.as_slice()), (3000, &[3, 0, 3][..]));
    }

    #[test]
    fn access_decides_what_is_copied() {
        let mut fs = Fs::new();
        let src = fs.mkdir(ROOT_INODE, "src");
        let secret = fs.file(src, "secret", &[]);
        fs.node_mut(secret).mode = 0o600;
        let closed = fs.mkdir(src, "closed");
        fs.node_mut(closed).mode = 0o711;
        fs.file(closed, "inside", &[]);
        let group = fs.file(src, "group", &[]);
        fs.node_mut(group).mode = 0o640;
        fs.node_mut(group).gid = 6;
        // uid 5, gids 0 and 6 (`[10,16]` as 3.0.117 reads it): group is readable, the
        // secret file is skipped, closed is created without its child.
        assert_eq!(
            fs.snapshot(&format!("{src},1,dst,0,0,5,[10,16],0:0,0,0,0,0,3")),
            Err(Status::MISMATCH)
        );
        let dst = fs.lookup(ROOT_INODE, "dst").unwrap();
        let names: Vec<String> = fs.entries(dst).into_iter().map(|e| e.0).collect();
        assert_eq!(names, ["closed", "group"]);
        let copy_closed = fs.lookup(dst, "closed").unwrap();
        assert!(fs.entries(copy_closed).is_empty());
        // IGNOREGID: group|other bits; other has nothing, group has r.
        assert_eq!(fs.snapshot(&format!("{group},1,g2,0,4,5,[17],0")), DONE);
        assert!(fs.lookup(ROOT_INODE, "g2").is_some());
        assert_eq!(fs.snapshot(&format!("{group},1,g3,0,0,5,[17],0")), DONE);
        assert!(fs.lookup(ROOT_INODE, "g3").is_none());
    }

    #[test]
    fn acl_groups_grant_one_entry_at_a_time() {
        let mut fs = Fs::new();
        let dir = fs.mkdir(ROOT_INODE, "d");
        fs.file(dir, "f", &[]);
        fs.node_mut(dir).gid = 1;
        // Owning group r--, named group 2 --x: together r-x, but no single entry
        // grants both, so the directory is copied without children.
        let acl = AclState {
            user_perm: 7,
            group_perm: 4,
            other_perm: 0,
            mask: 7,
            named_users: 0,
            named_groups: 1,
            entries: Cow::Borrowed(&[0, 0, 0, 2, 0, 1]),
        };
        fs.image.acls.set(dir, ACCESS, acl);
        assert_eq!(fs.snapshot(&format!("{dir},1,c,0,0,5,[11,12],0")), DONE);
        let copy = fs.lookup(ROOT_INODE, "c").unwrap();
        assert!(fs.entries(copy).is_empty());
        // Named group 2 alone with r-x is enough.
        fs.image.acls.get_mut(dir, ACCESS).unwrap().entries = Cow::Borrowed(&[0, 0, 0, 2, 0, 5]);
        assert_eq!(fs.snapshot(&format!("{dir},1,c2,0,0,5,[12],0")), DONE);
        let copy = fs.lookup(ROOT_INODE, "c2").unwrap();
        assert_eq!(fs.entries(copy).len(), 1);
    }

    #[test]
    fn remove_mode_removes_snapshot_nodes_only() {
        let mut fs = Fs::new();
        sample(&mut fs);
        assert_eq!(fs.snapshot("2,1,dst,8,0,0,[0],0"), DONE);
        let dst = fs.lookup(ROOT_INODE, "dst").unwrap();
        let sub = fs.lookup(dst, "sub").unwrap();
        // A file made after the snapshot (no SNAPSHOT flag) keeps dst and dst/sub.
        let kept = fs.file(sub, "kept", &[]);
        // dst/a and dst/sub/a_hl (8, removed twice), dst/sub/b (9): 8 ^ 9 ^ 8 = 9.
        assert_eq!(fs.snapshot("0,1,dst,128,0,0,[0],0:9,3,0,0,0,0"), DONE);
        assert_eq!(fs.lookup(sub, "kept"), Some(kept));
        assert_eq!(fs.lookup(sub, "b"), None);
        assert_eq!(fs.lookup(sub, "a_hl"), None);
        assert_eq!(fs.lookup(dst, "a"), None);
        // Directories that stay do not get their flags back: unlinking their
        // children cleared SNAPSHOT.
        assert_eq!(fs.node(sub).eattr & eattr::SNAPSHOT, 0);
        assert_eq!(fs.node(dst).eattr & eattr::SNAPSHOT, 0);
        let freed: Vec<u32> = fs.image.free.iter().map(|f| f.inode).collect();
        assert_eq!(freed, [9, 8]);
        assert_eq!(fs.fcount(1), 1);
        assert_eq!(fs.fcount(2), 1);

        // Once empty, a directory is judged by its flags from before its children
        // went: sub (given its flag back here) goes, dst (without) stays.
        let kept_edge = fs.image.lookup(sub, b"kept").unwrap();
        fs.image.unlink(T1, kept_edge, fs.arena);
        fs.node_mut(sub).eattr |= eattr::SNAPSHOT;
        assert_eq!(fs.snapshot("0,1,dst,128,0,0,[0],0:7,1,0,0,0,0"), DONE);
        assert_eq!(fs.lookup(ROOT_INODE, "dst"), Some(dst));
        assert!(fs.entries(dst).is_empty());
    }

    #[test]
    fn remove_mode_checks() {
        let mut fs = Fs::new();
        let (src, a, _, _) = sample(&mut fs);
        assert_eq!(fs.snapshot("2,1,src,128,0,0,[0],0"), Err(Status::EINVAL));
        assert_eq!(fs.snapshot("0,99,src,128,0,0,[0],0"), Err(Status::ENOENT));
        assert_eq!(
            fs.snapshot(&format!("0,{a},src,128,0,0,[0],0")),
            Err(Status::EPERM)
        );
        assert_eq!(fs.snapshot("0,1,.,128,0,0,[0],0"), Err(Status::EINVAL));
        assert_eq!(
            fs.snapshot("0,1,nothing,128,0,0,[0],0"),
            Err(Status::ENOENT)
        );
        // Not a snapshot: nothing happens, no error.
        assert_eq!(fs.snapshot("0,1,src,128,0,0,[0],0"), DONE);
        assert_eq!(fs.lookup(ROOT_INODE, "src"), Some(src));
    }

    #[test]
    fn remove_mode_respects_protection_and_access() {
        let mut fs = Fs::new();
        sample(&mut fs);
        assert_eq!(fs.snapshot("2,1,dst,0,0,0,[0],0"), DONE);
        let dst = fs.lookup(ROOT_INODE, "dst").unwrap();
        let sub = fs.lookup(dst, "sub").unwrap();
        // uid 5 may not write into sub: its children stay, so sub and dst stay; the
        // appendonly flag of dst keeps its own child a.
        fs.node_mut(dst).mode = 0o777;
        fs.node_mut(dst).eattr |= eattr::APPENDONLY;
        fs.node_mut(sub).mode = 0o755;
        assert_eq!(fs.snapshot("0,1,dst,128,0,5,[0],0:0,0,0,0,0,0"), DONE);
        assert_eq!(fs.entries(sub).len(), 2);
        assert!(fs.lookup(dst, "a").is_some());
        // Open files stay as sustained files.
        let b = fs.lookup(sub, "b").unwrap();
        fs.image.open_files.acquire(1, b);
        fs.node_mut(dst).eattr &= !eattr::APPENDONLY;
        assert_eq!(fs.snapshot("0,1,dst,128,0,0,[0],0"), DONE);
        assert_eq!(fs.lookup(ROOT_INODE, "dst"), None);
        assert_eq!(fs.node(b).node_type, NodeType::Sustained);
        assert_eq!(fs.node(b).trashtime, 0);
    }

    #[test]
    fn legacy_gid_forms() {
        let mut fs = Fs::new();
        let (src, _, _, _) = sample(&mut fs);
        // gidcount,DATA: gids as little-endian bytes.
        assert_eq!(
            fs.snapshot(&format!("{src},1,d1,2,0,7,1,%05%01%00%00,0:0,0,0,0,0,4")),
            Err(Status::MISMATCH)
        );
        let d1 = fs.lookup(ROOT_INODE, "d1").unwrap();
        assert_eq!((fs.node(d1).uid, fs.node(d1).gid), (7, 0x105));
        // 4 bytes per gid, else MISMATCH before anything (the parser says so too).
        let line = format!("1: {T1}|SNAPSHOT({src},1,d0,0,0,0,2,%01%00%00%00,0)");
        let e = parse_line(line.as_bytes()).unwrap_err();
        assert_eq!(
            e.restore_effect(),
            crate::format::changelog::RestoreEffect::Fail { status: 32 }
        );
        let op = Op::Snapshot {
            src_inode: src,
            dst_parent: ROOT_INODE,
            name: crate::format::changelog::Escaped::new(
                crate::format::changelog::FieldKind::Name,
                b"d0",
            )
            .unwrap(),
            smode: 0,
            sesflags: 0,
            uid: 0,
            gids: SnapshotGids::Data {
                count: 2,
                bytes: crate::format::changelog::Escaped::new(
                    crate::format::changelog::FieldKind::Data,
                    b"%01%00%00%00",
                )
                .unwrap(),
            },
            cumask: 0,
            result: None,
        };
        let mut r = Replay {
            image: &mut fs.image,
            arena: fs.arena,
        };
        assert_eq!(apply(&mut r, T1, &op), Err(Status::MISMATCH));
        assert_eq!(fs.lookup(ROOT_INODE, "d0"), None);
        // uid,gid,cumask: a single gid; nothing after it is read as a result.
        assert_eq!(fs.snapshot(&format!("{src},1,d2,2,0,7,1234,0")), DONE);
        let d2 = fs.lookup(ROOT_INODE, "d2").unwrap();
        assert_eq!(fs.node(d2).gid, 1234);
    }

    #[test]
    fn a_new_file_system_counts_edges_from_the_top() {
        let mut fs = Fs::new();
        let src = fs.mkdir(ROOT_INODE, "src");
        assert_eq!(fs.image.edges.next_edge_id, FIRST_EDGE_ID - 1);
        assert_eq!(
            fs.snapshot(&format!("{src},1,dst,0,0,0,[0],0:3,0,0,0,0,1")),
            DONE
        );
        assert_eq!(
            fs.entries(ROOT_INODE)[0],
            ("dst".into(), 3, FIRST_EDGE_ID - 1)
        );
    }

    #[test]
    fn deep_trees_do_not_exhaust_the_stack() {
        const DEPTH: u32 = 100_000;
        let mut fs = Fs::new();
        let top = fs.mkdir(ROOT_INODE, "top");
        let mut at = top;
        for _ in 1..DEPTH {
            at = fs.mkdir(at, "d");
        }
        // The copies are inodes DEPTH + 2 ..= 2 * DEPTH + 1: an even number of
        // consecutive inodes from an even one, whose XOR is 0.
        let copied = format!("{top},1,copy,0,0,0,[0],0:0,0,0,0,0,{DEPTH}");
        assert_eq!(fs.snapshot(&copied), DONE);
        assert_eq!(fs.image.nodes.len(), 1 + 2 * DEPTH);
        assert_eq!(fs.snapshot(&format!("{top},1,copy,0,0,0,[0],0")), DONE);
        let removed = format!("0,1,copy,128,0,0,[0],0:0,{DEPTH},0,0,0,0");
        assert_eq!(fs.snapshot(&removed), DONE);
        assert_eq!(fs.image.nodes.len(), 1 + DEPTH);
    }
}
