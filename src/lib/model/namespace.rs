//! Changing the tree: the primitives every namespace operation of the replay is built
//! from, each doing what the master's own helper does (`fsnodes_link`,
//! `fsnodes_remove_edge`, `fsnodes_unlink`, `fsnodes_remove_node`, `fsnodes_purge`,
//! `fsnodes_create_node`), including its timestamp and bookkeeping side effects.
//!
//! Calling order: [`Image::prepare_replay`] once after loading (it builds the name
//! index and the inode allocator, which a plain load-and-store does not need), then any
//! of these.

use bumpalo::Bump;
use smallvec::SmallVec;

use crate::format::metadata::acls::{ACCESS, DEFAULT, NO_MASK};

use super::acls::AclState;
use super::edges::{Bucket, Edge, PATH_MAX};
use super::image::Image;
use super::inodes::InodeAllocator;
use super::name_index::NameIndex;
use super::nodes::{ChunkList, EdgeIdx, Node, NodeData, NodeType, NO_EDGE};

/// `eattr` bits.
pub mod eattr {
    pub const NOOWNER: u8 = 0x01;
    pub const NOACACHE: u8 = 0x02;
    pub const NOECACHE: u8 = 0x04;
    pub const NODATACACHE: u8 = 0x08;
    pub const SNAPSHOT: u8 = 0x10;
    pub const UNDELETABLE: u8 = 0x20;
    pub const APPENDONLY: u8 = 0x40;
    pub const IMMUTABLE: u8 = 0x80;
}

/// Trash time of nodes that have no storage class (symlinks, devices, ...).
pub const DEFAULT_TRASHTIME: u16 = 24;

/// What to create (the type-specific part of a new node).
#[derive(Clone, Copy, Debug)]
pub enum NewNode<'a> {
    File,
    Directory,
    Symlink {
        path: &'a [u8],
    },
    Device {
        node_type: NodeType,
        rdev: u32,
    },
    /// Fifo or socket.
    Other {
        node_type: NodeType,
    },
}

impl NewNode<'_> {
    fn node_type(&self) -> NodeType {
        match *self {
            NewNode::File => NodeType::File,
            NewNode::Directory => NodeType::Directory,
            NewNode::Symlink { .. } => NodeType::Symlink,
            NewNode::Device { node_type, .. } | NewNode::Other { node_type } => node_type,
        }
    }
}

/// What [`Image::purge`] did with a trash file.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Purged {
    /// Removed and its inode freed.
    Removed,
    /// Still open: moved to the sustained files.
    Sustained,
}

/// Edges from which the name index is built on two threads (fewer: one).
const PARALLEL_BUILD_MIN: usize = 1 << 16;

impl<'a> Image<'a> {
    /// Builds what replay needs beyond the loaded tables: the name index and the inode
    /// allocator (live nodes and not-yet-released free inodes are taken).
    pub fn prepare_replay(&mut self) {
        let mut inodes = InodeAllocator::default();
        for inode in self.nodes.inodes() {
            inodes.mark_used(inode);
        }
        for f in self.free.iter() {
            inodes.mark_used(f.inode);
        }
        self.inodes = inodes;
        let edges = &self.edges;
        // The entries are the edges of the directories' lists: in slot order when that
        // is each list's order (which decides between repeated names), else list by
        // list. Sized once: every edge slot (trash entries and released slots
        // included) is an upper bound on them.
        self.names = NameIndex::build_from_slots(edges, edges.len(), PARALLEL_BUILD_MIN)
            .unwrap_or_else(|| {
                let lists = self
                    .nodes
                    .iter()
                    .filter_map(|(inode, node)| match node.data {
                        NodeData::Directory { children } => Some((inode, children)),
                        _ => None,
                    });
                let entries = lists.flat_map(|(inode, children)| {
                    edges.iter_list(children).map(move |(idx, _)| (inode, idx))
                });
                NameIndex::build(edges, edges.len(), entries)
            });
    }

    /// The entry `name` in directory `parent`.
    pub fn lookup(&self, parent: u32, name: &[u8]) -> Option<EdgeIdx> {
        self.names.get(&self.edges, parent, name)
    }

    /// Whether `ancestor` is `inode` or one of its parent directories (following each
    /// directory's first parent, as the master does).
    pub fn is_ancestor(&self, ancestor: u32, inode: u32) -> bool {
        let mut at = inode;
        loop {
            if at == ancestor {
                return true;
            }
            let Some(parents) = self.nodes.parents(at) else {
                return false;
            };
            match self.edges.get(parents) {
                Some(e) if e.parent != 0 && e.parent != at => at = e.parent,
                _ => return false,
            }
        }
    }

    /// Adds the entry `parent/name → child` (new edge id, head of the child list),
    /// with the times a link sets: parent m/c and child c := `ts` (when `ts > 0`); the
    /// parent loses its SNAPSHOT flag.
    pub fn link(&mut self, ts: u32, parent: u32, child: u32, name: &'a [u8]) -> EdgeIdx {
        let id = self.edges.take_edge_id();
        let idx = self.edges.alloc(Edge {
            parent,
            child,
            id,
            name,
            prev: NO_EDGE,
            next: NO_EDGE,
            next_parent: NO_EDGE,
        });
        if let Some(p) = self.nodes.get_mut(parent) {
            if let NodeData::Directory { children } = &mut p.data {
                let mut list = *children;
                self.edges.push_front(&mut list, idx);
                *children = list;
            }
            p.eattr &= !eattr::SNAPSHOT;
            if ts > 0 {
                p.mtime = ts;
                p.ctime = ts;
            }
        }
        self.attach_parent(child, idx);
        if let Some(c) = self.nodes.get_mut(child) {
            if ts > 0 {
                c.ctime = ts;
            }
        }
        self.names.insert(&self.edges, parent, name, idx);
        idx
    }

    /// Puts `idx` at the head of `child`'s parent list.
    fn attach_parent(&mut self, child: u32, idx: EdgeIdx) {
        if let Some(old) = self.nodes.replace_parents(child, idx) {
            if let Some(e) = self.edges.get_mut(idx) {
                e.next_parent = old;
            }
        }
    }

    /// Takes `idx` out of `child`'s parent list.
    fn detach_parent(&mut self, child: u32, idx: EdgeIdx) {
        let next = self.edges.get(idx).map_or(NO_EDGE, |e| e.next_parent);
        let Some(head) = self.nodes.parents(child) else {
            return;
        };
        if head == idx {
            self.nodes.set_parents(child, next);
            return;
        }
        let mut at = head;
        while let Some(e) = self.edges.get(at) {
            if e.next_parent == idx {
                if let Some(e) = self.edges.get_mut(at) {
                    e.next_parent = next;
                }
                return;
            }
            at = e.next_parent;
        }
    }

    /// Removes an entry (`fsnodes_remove_edge`): a named entry sets the parent's m/c
    /// times and clears its SNAPSHOT flag; the child's ctime := `ts` (when `ts > 0`). A
    /// trash/sustained entry is taken out of its bucket. The edge slot is released.
    pub fn remove_edge(&mut self, ts: u32, idx: EdgeIdx) {
        let Some(&edge) = self.edges.get(idx) else {
            return;
        };
        if edge.parent != 0 {
            if let Some(p) = self.nodes.get_mut(edge.parent) {
                p.mtime = ts;
                p.ctime = ts;
                p.eattr &= !eattr::SNAPSHOT;
                if let NodeData::Directory { children } = &mut p.data {
                    let mut list = *children;
                    self.edges.unlink(&mut list, idx);
                    *children = list;
                }
            }
            self.names
                .remove_if(&self.edges, edge.parent, edge.name, idx);
        } else {
            let bucket = match self.nodes.get(edge.child).map(|n| n.node_type) {
                Some(NodeType::Sustained) => Bucket::Sustained,
                _ => Bucket::Trash,
            };
            let mut list = *self.edges.bucket_mut(bucket, edge.child);
            self.edges.unlink(&mut list, idx);
            *self.edges.bucket_mut(bucket, edge.child) = list;
        }
        if ts > 0 {
            if let Some(c) = self.nodes.get_mut(edge.child) {
                c.ctime = ts;
            }
        }
        self.detach_parent(edge.child, idx);
        self.edges.release(idx);
    }

    /// The path of entry `idx` from the root, without a leading `/`, keeping the last
    /// 1024 bytes (`fsnodes_getpath`); allocated in `arena` unless it is the name alone.
    pub fn path_of(&self, idx: EdgeIdx, arena: &'a Bump) -> &'a [u8] {
        let Some(edge) = self.edges.get(idx) else {
            return &[];
        };
        // Kept on the stack for the usual depths (a path is made for each deleted file).
        let mut parts: SmallVec<[&'a [u8]; 16]> = SmallVec::new();
        parts.push(edge.name);
        let mut at = edge.parent;
        let mut guard = 0u32;
        while at != super::load_nodes::ROOT_INODE && guard <= self.nodes.len() {
            guard += 1;
            let Some(e) = self.nodes.parents(at).and_then(|p| self.edges.get(p)) else {
                break;
            };
            parts.push(e.name);
            at = e.parent;
        }
        if parts.len() == 1 && edge.name.len() <= PATH_MAX {
            return edge.name;
        }
        let mut path: SmallVec<[u8; 256]> = SmallVec::new();
        for (i, part) in parts.iter().rev().enumerate() {
            if i > 0 {
                path.push(b'/');
            }
            path.extend_from_slice(part);
        }
        let keep = path.len().saturating_sub(PATH_MAX);
        arena.alloc_slice_copy(path.get(keep..).unwrap_or_default())
    }

    /// Puts a parent-0 entry for `child` with `path` at the head of its bucket.
    fn push_bucket_entry(&mut self, bucket: Bucket, child: u32, path: &'a [u8]) -> EdgeIdx {
        let id = self.edges.take_edge_id();
        let idx = self.edges.alloc(Edge {
            parent: 0,
            child,
            id,
            name: path,
            prev: NO_EDGE,
            next: NO_EDGE,
            next_parent: NO_EDGE,
        });
        let mut list = *self.edges.bucket_mut(bucket, child);
        self.edges.push_front(&mut list, idx);
        *self.edges.bucket_mut(bucket, child) = list;
        self.attach_parent(child, idx);
        idx
    }

    /// Whether some session has `inode` open.
    pub fn is_open(&self, inode: u32) -> bool {
        self.open_files.is_open(inode)
    }

    /// Unlinks entry `idx` (`fsnodes_unlink`): when it was a file's last name, the file
    /// goes to the trash (trash time > 0), to the sustained files (open), or away; any
    /// other node losing its last name goes away.
    pub fn unlink(&mut self, ts: u32, idx: EdgeIdx, arena: &'a Bump) {
        let Some(&edge) = self.edges.get(idx) else {
            return;
        };
        let child = edge.child;
        let (node_type, trashtime, last_link) = match self.nodes.get(child) {
            Some(n) => (
                n.node_type,
                n.trashtime,
                self.nodes.parents(child) == Some(idx) && edge.next_parent == NO_EDGE,
            ),
            None => return,
        };
        let open = self.is_open(child);
        let path = (last_link && node_type == NodeType::File && (trashtime > 0 || open))
            .then(|| self.path_of(idx, arena));
        self.remove_edge(ts, idx);
        let still_linked = self.nodes.parents(child).is_some_and(|p| p != NO_EDGE);
        if still_linked {
            return;
        }
        match (node_type, path) {
            (NodeType::File, Some(path)) if trashtime > 0 => {
                if let Some(n) = self.nodes.get_mut(child) {
                    n.node_type = NodeType::Trash;
                    n.ctime = ts;
                }
                self.push_bucket_entry(Bucket::Trash, child, path);
            }
            (NodeType::File, Some(path)) if open => {
                if let Some(n) = self.nodes.get_mut(child) {
                    n.node_type = NodeType::Sustained;
                }
                self.push_bucket_entry(Bucket::Sustained, child, path);
            }
            _ => self.remove_node(ts, child),
        }
    }

    /// Destroys a node that has no names left (`fsnodes_remove_node`): its chunk
    /// references, storage-class use, quota, xattrs and ACLs go, and the inode joins
    /// the free list with time `ts`.
    pub fn remove_node(&mut self, ts: u32, inode: u32) {
        if self.nodes.parents(inode).is_none_or(|p| p != NO_EDGE) {
            return;
        }
        let Some(node) = self.nodes.remove(inode) else {
            return;
        };
        if node.node_type == NodeType::Directory {
            self.quotas.remove(inode);
        }
        if let NodeData::File { chunks, .. } = &node.data {
            for &id in chunks.iter().filter(|&&id| id != 0) {
                let _ = self.chunks.remove_file_ref(id);
            }
        }
        if node.node_type.has_storage_class() {
            self.storage_classes.remove_use(
                u16::from(node.sclass),
                node.node_type == NodeType::Directory,
            );
        }
        self.free.push(inode, ts);
        self.xattrs.remove_inode(inode);
        self.acls.remove_inode(inode);
    }

    /// Purges a trash file (`fsnodes_purge`): if it is open it becomes sustained (its
    /// entry moves to the head of its sustained bucket, same id and name, no time
    /// change); otherwise it is removed and its inode freed.
    pub fn purge(&mut self, ts: u32, inode: u32) -> Option<Purged> {
        let node = self.nodes.get(inode)?;
        if node.node_type != NodeType::Trash {
            return None;
        }
        let idx = self.nodes.parents(inode).unwrap_or(NO_EDGE);
        if self.is_open(inode) {
            let mut list = *self.edges.bucket_mut(Bucket::Trash, inode);
            self.edges.unlink(&mut list, idx);
            *self.edges.bucket_mut(Bucket::Trash, inode) = list;
            if let Some(n) = self.nodes.get_mut(inode) {
                n.node_type = NodeType::Sustained;
            }
            let mut list = *self.edges.bucket_mut(Bucket::Sustained, inode);
            self.edges.push_front(&mut list, idx);
            *self.edges.bucket_mut(Bucket::Sustained, inode) = list;
            Some(Purged::Sustained)
        } else {
            self.remove_edge(0, idx);
            self.remove_node(ts, inode);
            Some(Purged::Removed)
        }
    }

    /// Replaces a trash file's entry by one with a new id and `path`, at the head of its
    /// trash bucket; no time changes (`SETPATH`).
    pub fn set_trash_path(&mut self, inode: u32, path: &'a [u8]) {
        let Some(old) = self.nodes.parents(inode) else {
            return;
        };
        self.remove_edge(0, old);
        self.push_bucket_entry(Bucket::Trash, inode, path);
    }

    /// Creates a node in directory `parent` (`fsnodes_create_node`): the lowest free
    /// inode, times `ts`, class and trash time from the parent (files and directories),
    /// inherited eattr, mode from the parent's default ACL if it has one (else `mode &
    /// !cumask`), gid from the parent when it has the set-gid bit; then the entry.
    #[expect(clippy::too_many_arguments, reason = "the master's own parameter list")]
    pub fn create_node(
        &mut self,
        ts: u32,
        parent: u32,
        name: &'a [u8],
        what: NewNode<'a>,
        mode: u16,
        cumask: u16,
        uid: u32,
        gid: u32,
    ) -> u32 {
        let node_type = what.node_type();
        let Some(p) = self.nodes.get(parent) else {
            return 0;
        };
        let (p_sclass, p_trashtime, p_eattr, p_mode, p_gid) =
            (p.sclass, p.trashtime, p.eattr, p.mode, p.gid);
        let inode = self.inodes.allocate();
        self.nodes.max_node_id = self.nodes.max_node_id.max(inode);
        let (sclass, trashtime) = if node_type.has_storage_class() {
            (p_sclass, p_trashtime)
        } else {
            (0, DEFAULT_TRASHTIME)
        };
        let mut drop_bits =
            eattr::SNAPSHOT | eattr::UNDELETABLE | eattr::APPENDONLY | eattr::IMMUTABLE;
        if node_type != NodeType::Directory {
            drop_bits |= eattr::NOECACHE;
        }
        let mode = match self.acls.get(parent, DEFAULT).cloned() {
            Some(default) => {
                self.inherit_acls(inode, &default, node_type == NodeType::Directory, mode)
            }
            None => mode & !cumask,
        };
        let gid = if p_mode & 0o2000 != 0 { p_gid } else { gid };
        let data = match what {
            NewNode::File => NodeData::File {
                length: 0,
                chunks: ChunkList::new(),
            },
            NewNode::Directory => NodeData::Directory {
                children: Default::default(),
            },
            NewNode::Symlink { path } => NodeData::Symlink { path },
            NewNode::Device { rdev, .. } => NodeData::Device { rdev },
            NewNode::Other { .. } => NodeData::Other,
        };
        let node = Node {
            node_type,
            sclass,
            eattr: p_eattr & !drop_bits,
            winattr: 0,
            mode,
            uid,
            gid,
            atime: ts,
            mtime: ts,
            ctime: ts,
            trashtime,
            data,
        };
        let _ = self.nodes.insert(inode, node);
        if node_type.has_storage_class() {
            self.storage_classes
                .add_use(u16::from(sclass), node_type == NodeType::Directory);
        }
        self.link(ts, parent, inode, name);
        inode
    }

    /// The parent's default ACL applied to a new node (`posix_acl_copydefaults`);
    /// returns the new node's mode.
    fn inherit_acls(
        &mut self,
        inode: u32,
        default: &AclState<'a>,
        directory: bool,
        mode: u16,
    ) -> u16 {
        let simple = default.named_users == 0
            && default.named_groups == 0
            && default.user_perm <= 7
            && default.group_perm <= 7
            && default.other_perm <= 7
            && default.mask == NO_MASK;
        let mode = if simple {
            mode & (0xFE00 | default.user_perm << 6 | default.group_perm << 3 | default.other_perm)
        } else {
            let (acl, _) = self.acls.get_or_create(inode, ACCESS);
            acl.user_perm = ((acl.user_perm & 0xFFF8) | ((mode >> 6) & 7)) & default.user_perm;
            acl.group_perm = default.group_perm;
            acl.other_perm = ((acl.other_perm & 0xFFF8) | (mode & 7)) & default.other_perm;
            acl.mask = ((acl.mask & 0xFFF8) | ((mode >> 3) & 7)) & default.mask;
            acl.named_users = default.named_users;
            acl.named_groups = default.named_groups;
            acl.entries = default.entries.clone();
            // The group bits come from the group entry, not the mask (as the master).
            (mode & 0xFE00)
                | ((acl.user_perm & 7) << 6)
                | ((acl.group_perm & 7) << 3)
                | (acl.other_perm & 7)
        };
        if directory {
            let (acl, _) = self.acls.get_or_create(inode, DEFAULT);
            *acl = default.clone();
        }
        mode
    }
}
