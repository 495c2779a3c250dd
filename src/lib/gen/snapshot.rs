//! Writes `metadata.mfs` straight from the workload's changes, without changelog
//! lines or a replay: [`SnapshotBuilder`] keeps a compact table per section and
//! encodes them with [`crate::format::metadata`] in the master's record order, so the
//! file is byte for byte the one `mfsmaster -a restore` stores after replaying the same
//! changes (checked by `tests/gen_accepted_by_mfsmaster.rs`).
//!
//! It knows only what tree building does: creates, symlinks, hard links, sessions,
//! open files, new chunks written and unlocked, lengths that do not drop chunks, one
//! xattr per inode. Anything else is refused with [`io::ErrorKind::Unsupported`]
//! rather than written wrong.
//!
//! Sections it does not build (sessions, storage classes, the empty tables) are copied
//! from a tiny image: an empty file system with only the `SESADD` changes replayed.

use std::fs::File;
use std::io::{self, BufWriter, Seek, SeekFrom, Write};
use std::path::{Path, PathBuf};

use bumpalo::Bump;

use crate::format::metadata::chunks::{self as chunk_format, Chunk};
use crate::format::metadata::edges::{self as edge_format, Edge, EDGE_ID_MAX};
use crate::format::metadata::header::{FileHeader, HEADER_LEN, SIGNATURE_CURRENT};
use crate::format::metadata::nodes::{self as node_format, NodeData, NodeType, NodesHeader};
use crate::format::metadata::open_files::{self as open_format, OpenFile};
use crate::format::metadata::section::{
    version_field, END_MARKER, SECTION_HEADER_LEN, UNKNOWN_LENGTH,
};
use crate::format::metadata::xattrs::{self as xattr_format, Xattr};
use crate::format::metadata::{Encoder, Tag};
use crate::model::hash::{bucket_order_key, hash32};
use crate::model::image::Image;
use crate::model::store_nodes::node_hash_bits;
use crate::restore::changelog_file::{ChangelogFile, Tail};
use crate::restore::input::InputBytes;
use crate::restore::run::{self, RunEnd};
use crate::restore::{Limit, Silent};

use super::sink::{ChunkWrite, Clock, CreateKind, Name, Sink};
use super::writer::{ChangelogWriter, CUMASK, GID, UID};

/// Inode of the root directory.
const ROOT: u32 = 1;
/// Id of the first edge of a new file system (metadata-format §11: `nextedgeid`).
const FIRST_EDGE_ID: u64 = EDGE_ID_MAX - 1;
/// The master's chunk hash has 2^24 buckets (metadata-format §13).
const CHUNK_BUCKET_MASK: u32 = (1 << 24) - 1;
/// The master's xattr hash has 2^20 buckets, by inode (metadata-format §13).
const XATTR_BUCKET_MASK: u32 = (1 << 20) - 1;
/// Open files are hashed by session id into 4096 buckets.
const OPEN_BUCKETS: u32 = 4096;
/// A chunk written is locked for 120 s (until its `UNLOCK`).
const LOCK_TIMEOUT: u32 = 120;
/// Attributes of the root of a new file system (metadata-format §11).
const ROOT_SCLASS: u8 = 2;
const ROOT_MODE: u16 = 0o777;
const TRASH_HOURS: u16 = 24;
/// How many records ahead of the one being written to prefetch.
const LOOKAHEAD: usize = 16;
/// End of a list of edges.
const NO_EDGE: u32 = u32::MAX;

/// The type-specific part of a node.
#[derive(Clone, Copy)]
enum Data {
    Directory {
        /// Newest entry first (the master prepends).
        head: u32,
    },
    File {
        length: u64,
        /// Chunks `first..first + count`: a file's chunks are written in a row.
        first_chunk: u64,
        count: u32,
    },
    /// Target `../data/f<target>`.
    Symlink { target: u64 },
}

#[derive(Clone, Copy)]
struct NodeRec {
    mode: u16,
    uid: u32,
    gid: u32,
    atime: u32,
    mtime: u32,
    ctime: u32,
    data: Data,
}

#[derive(Clone, Copy)]
struct EdgeRec {
    parent: u32,
    child: u32,
    name: Name,
    /// Next entry of the same directory.
    next: u32,
}

/// Collects the tree-building changes; [`SnapshotBuilder::write`] stores them.
pub struct SnapshotBuilder {
    clock: Clock,
    /// When the file system was made (and the wall clock of the store: locks that end
    /// before it are stored as 0).
    start: u32,
    /// Indexed by inode; `nodes[0]` is unused.
    nodes: Vec<NodeRec>,
    /// Indexed by creation order: edge `i` has id `FIRST_EDGE_ID - i`.
    edges: Vec<EdgeRec>,
    /// Lock end time of chunk `i + 1`.
    chunk_locks: Vec<u32>,
    /// `(inode, key, value)` in the order they were set.
    xattrs: Vec<(u32, u64, u64)>,
    /// `(session, inode, seq)` of the open files.
    open: Vec<(u32, u32, u32)>,
    next_open_seq: u32,
    /// The `SESADD` lines, numbered from 1 for the tiny image.
    sessions: ChangelogWriter,
}

fn unsupported(what: &str) -> io::Error {
    io::Error::new(
        io::ErrorKind::Unsupported,
        format!("snapshot builder: {what}"),
    )
}

/// `prefix` + decimal `n` into `buf`.
fn put_name(buf: &mut Vec<u8>, prefix: &[u8], n: u64) {
    buf.clear();
    buf.extend_from_slice(prefix);
    let mut digits = [0u8; 20];
    let mut i = digits.len();
    let mut v = n;
    loop {
        i -= 1;
        if let Some(d) = digits.get_mut(i) {
            *d = b'0' + (v % 10) as u8;
        }
        v /= 10;
        if v == 0 || i == 0 {
            break;
        }
    }
    buf.extend_from_slice(digits.get(i..).unwrap_or_default());
}

impl SnapshotBuilder {
    /// An empty file system at version 1 whose root was made at `ts`.
    pub fn new(ts: u32) -> Self {
        let root = NodeRec {
            mode: ROOT_MODE,
            uid: 0,
            gid: 0,
            atime: ts,
            mtime: ts,
            ctime: ts,
            data: Data::Directory { head: NO_EDGE },
        };
        SnapshotBuilder {
            clock: Clock { next_id: 1, ts },
            start: ts,
            nodes: vec![root, root],
            edges: Vec::new(),
            chunk_locks: Vec::new(),
            xattrs: Vec::new(),
            open: Vec::new(),
            next_open_seq: 0,
            sessions: ChangelogWriter::in_memory(1, ts),
        }
    }

    /// Metadata version after the changes so far.
    pub fn version(&self) -> u64 {
        self.clock.next_id
    }

    /// Timestamp of the last change.
    pub fn ts(&self) -> u32 {
        self.clock.ts
    }

    fn change(&mut self) -> u32 {
        self.clock.next_id += 1;
        self.clock.ts
    }

    fn node_mut(&mut self, inode: u32) -> io::Result<&mut NodeRec> {
        self.nodes
            .get_mut(inode as usize)
            .ok_or_else(|| unsupported("a change names an inode that was never made"))
    }

    /// A new entry `parent/name -> child` (the parent's m/c times and the child's
    /// ctime become `ts`).
    fn add_edge(&mut self, ts: u32, parent: u32, child: u32, name: Name) -> io::Result<()> {
        let idx = u32::try_from(self.edges.len())
            .ok()
            .filter(|&i| i != NO_EDGE)
            .ok_or_else(|| unsupported("too many entries"))?;
        let p = self.node_mut(parent)?;
        let Data::Directory { head } = &mut p.data else {
            return Err(unsupported("an entry in something not a directory"));
        };
        let next = *head;
        *head = idx;
        p.mtime = ts;
        p.ctime = ts;
        self.node_mut(child)?.ctime = ts;
        self.edges.push(EdgeRec {
            parent,
            child,
            name,
            next,
        });
        Ok(())
    }

    /// Refuses a `parent` that is not a directory (before anything changes).
    fn check_directory(&self, parent: u32) -> io::Result<()> {
        match self.nodes.get(parent as usize).map(|n| n.data) {
            Some(Data::Directory { .. }) => Ok(()),
            _ => Err(unsupported("an entry in something not a directory")),
        }
    }

    /// A new node, which must be the next inode (inodes are never reused here).
    fn add_node(&mut self, inode: u32, mode: u16, ts: u32, data: Data) -> io::Result<()> {
        if inode as usize != self.nodes.len() {
            return Err(unsupported("inodes out of order"));
        }
        self.nodes.push(NodeRec {
            mode,
            uid: UID as u32,
            gid: GID as u32,
            atime: ts,
            mtime: ts,
            ctime: ts,
            data,
        });
        Ok(())
    }

    /// Writes `path` (a new file; a benchmark input, so no fsync).
    pub fn write(self, path: &Path) -> io::Result<()> {
        let tiny = self.tiny_image_sections()?;
        let file = File::create(path)?;
        let mut out = BufWriter::with_capacity(SPILL_AT * 2, file);
        out.write_all(SIGNATURE_CURRENT)?;
        out.write_all(&FileHeader::encode_current(self.version(), 0))?;
        for (tag, version, bytes) in &tiny {
            match *tag {
                Tag::NODE | Tag::EDGE | Tag::XATR | Tag::OPEN | Tag::CHNK => {
                    let mut s = SectionOut::begin(&mut out, *tag, *version)?;
                    match *tag {
                        Tag::NODE => self.encode_nodes(&mut s)?,
                        Tag::EDGE => self.encode_edges(&mut s)?,
                        Tag::XATR => self.encode_xattrs(&mut s.e),
                        Tag::OPEN => self.encode_open(&mut s.e),
                        _ => self.encode_chunks(&mut s)?,
                    }
                    s.end()?;
                }
                _ => out.write_all(bytes)?,
            }
        }
        out.write_all(END_MARKER)?;
        out.flush()
    }

    /// The sections of an empty file system with the sessions added, in file order:
    /// `(tag, version, header and body)`.
    fn tiny_image_sections(&self) -> io::Result<Vec<(Tag, u8, Vec<u8>)>> {
        let lines = self.sessions.buffered().to_vec();
        let files = [ChangelogFile::new(
            "sessions".to_string(),
            PathBuf::new(),
            InputBytes::Read(lines),
            Tail::Whole,
        )];
        let arena = Bump::new();
        let mut image = Image::new_empty(self.start);
        if let RunEnd::Stopped { reason, .. } =
            run::replay(&mut image, &arena, &files, Limit::default(), &mut Silent)
        {
            return Err(unsupported(&format!("replaying the sessions: {reason:?}")));
        }
        let (bytes, _) = image.store(self.start);
        split_sections(&bytes).ok_or_else(|| unsupported("the tiny image does not parse"))
    }

    fn encode_nodes(&self, s: &mut SectionOut<'_>) -> io::Result<()> {
        let count = self.nodes.len().saturating_sub(1) as u32;
        node_format::encode_header(
            &mut s.e,
            NodesHeader {
                max_node_id: count,
                node_count: count,
            },
        );
        // Hash order, newest first within a bucket; inode i was the (i-1)th inserted,
        // so the inode can be read back from the key.
        let bits = node_hash_bits(0);
        let mask = if bits >= 32 {
            u32::MAX
        } else {
            (1u32 << bits) - 1
        };
        let mut order: Vec<u64> = (ROOT..=count)
            .map(|inode| bucket_order_key(hash32(inode) & mask, inode - 1))
            .collect();
        order.sort_unstable();
        let inode_of = |key: u64| (u32::MAX - key as u32) + 1;
        let mut path = Vec::new();
        for (j, &key) in order.iter().enumerate() {
            // Hash order is random order: loading the node a few steps ahead lets the
            // memory loads overlap (three times faster at 2M nodes).
            if let Some(ahead) = order.get(j + LOOKAHEAD) {
                if let Some(n) = self.nodes.get(inode_of(*ahead) as usize) {
                    prefetch(n);
                }
            }
            let inode = inode_of(key);
            let Some(n) = self.nodes.get(inode as usize) else {
                continue;
            };
            let (node_type, sclass, data) = match n.data {
                Data::Directory { .. } => (NodeType::Directory, ROOT_SCLASS, NodeData::None),
                Data::File { length, .. } => (
                    NodeType::File,
                    ROOT_SCLASS,
                    NodeData::File {
                        length,
                        chunks: Default::default(),
                        legacy_sessions: Default::default(),
                    },
                ),
                Data::Symlink { target } => {
                    put_name(&mut path, b"../data/f", target);
                    (NodeType::Symlink, 0, NodeData::Symlink { path: &path })
                }
            };
            let record = node_format::Node {
                node_type,
                inode,
                sclass,
                eattr: 0,
                winattr: 0,
                mode: n.mode,
                uid: n.uid,
                gid: n.gid,
                atime: n.atime,
                mtime: n.mtime,
                ctime: n.ctime,
                trashtime: TRASH_HOURS,
                data,
            };
            let (first, count) = match n.data {
                Data::File {
                    first_chunk, count, ..
                } => (first_chunk, count),
                _ => (0, 0),
            };
            let chunks = (0..count).map(|i| first + u64::from(i));
            node_format::encode_node_with_chunks(&mut s.e, &record, chunks);
            s.spill()?;
        }
        node_format::encode_end(&mut s.e);
        Ok(())
    }

    /// The tree depth first from the root: each directory's whole entry list, then its
    /// sub-directories in list order (as the master stores it).
    fn encode_edges(&self, s: &mut SectionOut<'_>) -> io::Result<()> {
        edge_format::encode_header(&mut s.e, FIRST_EDGE_ID - self.edges.len() as u64);
        let head_of = |inode: u32| match self.nodes.get(inode as usize).map(|n| n.data) {
            Some(Data::Directory { head }) => Some(head),
            _ => None,
        };
        let mut name = Vec::new();
        let mut put_list = |s: &mut SectionOut<'_>, head: u32| {
            let mut at = head;
            while let Some(edge) = self.edges.get(at as usize) {
                put_name(&mut name, &[edge.name.prefix], edge.name.number);
                edge_format::encode_edge(
                    &mut s.e,
                    &Edge {
                        parent: edge.parent,
                        child: edge.child,
                        edge_id: FIRST_EDGE_ID - u64::from(at),
                        name: &name,
                    },
                );
                at = edge.next;
            }
            s.spill()
        };
        let mut stack: Vec<u32> = Vec::new();
        if let Some(head) = head_of(ROOT) {
            put_list(s, head)?;
            stack.push(head);
        }
        while let Some(top) = stack.last_mut() {
            let Some(edge) = self.edges.get(*top as usize) else {
                stack.pop();
                continue;
            };
            *top = edge.next;
            if let Some(head) = head_of(edge.child) {
                put_list(s, head)?;
                stack.push(head);
            }
        }
        edge_format::encode_end(&mut s.e);
        Ok(())
    }

    fn encode_xattrs(&self, e: &mut Encoder) {
        let mut order: Vec<(u64, usize)> = self
            .xattrs
            .iter()
            .enumerate()
            .map(|(seq, &(inode, _, _))| {
                (bucket_order_key(inode & XATTR_BUCKET_MASK, seq as u32), seq)
            })
            .collect();
        order.sort_unstable();
        let (mut name, mut value) = (Vec::new(), Vec::new());
        for (_, i) in order {
            let Some(&(inode, key, v)) = self.xattrs.get(i) else {
                continue;
            };
            put_name(&mut name, b"user.k", key);
            put_name(&mut value, b"v", v);
            xattr_format::encode_xattr(
                e,
                &Xattr {
                    inode,
                    name: &name,
                    value: &value,
                },
            );
        }
        xattr_format::encode_end(e);
    }

    fn encode_open(&self, e: &mut Encoder) {
        let mut open = self.open.clone();
        open.sort_unstable_by_key(|&(session, _, seq)| {
            bucket_order_key(session % OPEN_BUCKETS, seq)
        });
        for (session, inode, _) in open {
            open_format::encode_open_file(e, &OpenFile { session, inode });
        }
        open_format::encode_end(e);
    }

    /// Hash order of the low 32 bits of the id, newest first within a bucket.
    fn encode_chunks(&self, s: &mut SectionOut<'_>) -> io::Result<()> {
        let count = self.chunk_locks.len() as u64;
        chunk_format::encode_header(&mut s.e, count + 1);
        let mut order: Vec<u64> = (1..=count)
            .map(|id| bucket_order_key(hash32(id as u32) & CHUNK_BUCKET_MASK, (id - 1) as u32))
            .collect();
        order.sort_unstable();
        let now = self.start;
        for key in order {
            let id = u64::from(u32::MAX - key as u32) + 1;
            let locked = self
                .chunk_locks
                .get((id - 1) as usize)
                .copied()
                .unwrap_or(0);
            chunk_format::encode_chunk(
                &mut s.e,
                &Chunk {
                    id,
                    version: 1,
                    locked_to: if locked < now { 0 } else { locked },
                    arch_flag: 0,
                },
            );
            s.spill()?;
        }
        chunk_format::encode_end(&mut s.e);
        Ok(())
    }
}

/// Bytes of encoded records kept before they go to the file.
const SPILL_AT: usize = 1 << 20;

/// One section streamed to the file: the header goes out with an unknown length, the
/// body in pieces of about [`SPILL_AT`] bytes, and at the end the length is patched by
/// seeking back (as the master does), so no section is ever held whole in memory.
struct SectionOut<'f> {
    out: &'f mut BufWriter<File>,
    /// Encodes the records; drained into `out` by [`Self::spill`].
    e: Encoder,
    /// Offset of the section header in the file.
    start: u64,
    /// `e.position()` at the last drain.
    drained: u64,
}

impl<'f> SectionOut<'f> {
    fn begin(out: &'f mut BufWriter<File>, tag: Tag, version: u8) -> io::Result<Self> {
        let start = out.stream_position()?;
        out.write_all(&tag.0)?;
        out.write_all(&version_field(version))?;
        out.write_all(&UNKNOWN_LENGTH.to_be_bytes())?;
        Ok(SectionOut {
            out,
            e: Encoder::new(false),
            start,
            drained: 0,
        })
    }

    /// Writes the encoded records out once there are enough of them.
    #[inline]
    fn spill(&mut self) -> io::Result<()> {
        if self.e.position() - self.drained >= SPILL_AT as u64 {
            self.drained = self.e.position();
            self.out.write_all(&self.e.take_output())?;
        }
        Ok(())
    }

    /// Writes the rest and patches the length.
    fn end(mut self) -> io::Result<()> {
        self.out.write_all(&self.e.take_output())?;
        let end = self.out.stream_position()?;
        let length = end - self.start - SECTION_HEADER_LEN;
        self.out.seek(SeekFrom::Start(self.start + 8))?;
        self.out.write_all(&length.to_be_bytes())?;
        self.out.seek(SeekFrom::Start(end))?;
        Ok(())
    }
}

/// The sections of a file this crate stored: `(tag, version, header and body)`.
fn split_sections(bytes: &[u8]) -> Option<Vec<(Tag, u8, Vec<u8>)>> {
    let mut at = HEADER_LEN as usize;
    let mut out = Vec::new();
    loop {
        let rest = bytes.get(at..)?;
        if rest.starts_with(END_MARKER) {
            return Some(out);
        }
        let header = rest.get(..SECTION_HEADER_LEN as usize)?;
        let tag = Tag(header.get(..4)?.try_into().ok()?);
        let [_, major, _, minor]: [u8; 4] = header.get(4..8)?.try_into().ok()?;
        let version = ((major.wrapping_sub(b'0') & 0xF) << 4) | (minor.wrapping_sub(b'0') & 0xF);
        let len = u64::from_be_bytes(header.get(8..16)?.try_into().ok()?);
        let end = (SECTION_HEADER_LEN as usize).checked_add(usize::try_from(len).ok()?)?;
        out.push((tag, version, rest.get(..end)?.to_vec()));
        at += end;
    }
}

impl Sink for SnapshotBuilder {
    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn session(&mut self, id: u64) -> io::Result<()> {
        self.change();
        self.sessions.session(id)
    }

    fn create(&mut self, parent: u32, name: Name, kind: CreateKind, inode: u32) -> io::Result<()> {
        let ts = self.change();
        let (mode, data) = match kind {
            CreateKind::Directory => (0o755, Data::Directory { head: NO_EDGE }),
            CreateKind::File => (
                0o644,
                Data::File {
                    length: 0,
                    first_chunk: 0,
                    count: 0,
                },
            ),
        };
        // The modes the changelog lines ask for, less the client's umask.
        debug_assert_eq!(mode & CUMASK as u16, 0);
        self.check_directory(parent)?;
        self.add_node(inode, mode, ts, data)?;
        self.add_edge(ts, parent, inode, name)
    }

    fn symlink(&mut self, parent: u32, name: Name, target: u64, inode: u32) -> io::Result<()> {
        let ts = self.change();
        self.check_directory(parent)?;
        self.add_node(inode, 0o777, ts, Data::Symlink { target })?;
        self.add_edge(ts, parent, inode, name)
    }

    fn link(&mut self, inode: u32, parent: u32, name: Name) -> io::Result<()> {
        let ts = self.change();
        self.add_edge(ts, parent, inode, name)
    }

    fn acquire(&mut self, session: u64, inode: u32) -> io::Result<()> {
        self.change();
        let session = u32::try_from(session).map_err(|_| unsupported("session id"))?;
        if self
            .open
            .iter()
            .any(|&(s, i, _)| s == session && i == inode)
        {
            return Err(unsupported("a file opened twice by one session"));
        }
        self.open.push((session, inode, self.next_open_seq));
        self.next_open_seq = self.next_open_seq.wrapping_add(1);
        Ok(())
    }

    fn release(&mut self, session: u64, inode: u32) -> io::Result<()> {
        self.change();
        let session = u32::try_from(session).map_err(|_| unsupported("session id"))?;
        let at = self
            .open
            .iter()
            .position(|&(s, i, _)| s == session && i == inode)
            .ok_or_else(|| unsupported("a release of a file that is not open"))?;
        self.open.remove(at);
        Ok(())
    }

    fn write_chunk(
        &mut self,
        inode: u32,
        index: u32,
        how: ChunkWrite,
        chunk: u64,
    ) -> io::Result<()> {
        let ts = self.change();
        let next_chunk = self.chunk_locks.len() as u64 + 1;
        let n = self.node_mut(inode)?;
        let Data::File {
            length,
            first_chunk,
            count,
        } = &mut n.data
        else {
            return Err(unsupported("a write to something not a file"));
        };
        match how {
            ChunkWrite::New => {
                let in_a_row = if *count == 0 {
                    *first_chunk = chunk;
                    true
                } else {
                    *first_chunk + u64::from(*count) == chunk
                };
                if !in_a_row || index != *count || chunk != next_chunk {
                    return Err(unsupported("a new chunk out of order"));
                }
                *count += 1;
                *length = (*length).max(u64::from(index) << 26);
                self.chunk_locks.push(ts.wrapping_add(LOCK_TIMEOUT));
            }
            ChunkWrite::Rewrite => {
                if index >= *count || *first_chunk + u64::from(index) != chunk {
                    return Err(unsupported("a rewrite of a chunk the file does not have"));
                }
                if let Some(lock) = self.chunk_locks.get_mut((chunk - 1) as usize) {
                    *lock = ts.wrapping_add(LOCK_TIMEOUT);
                }
            }
        }
        Ok(())
    }

    fn length(&mut self, inode: u32, new_length: u64, canmodmtime: bool) -> io::Result<()> {
        let ts = self.change();
        let n = self.node_mut(inode)?;
        let Data::File { length, count, .. } = &mut n.data else {
            return Err(unsupported("a length of something not a file"));
        };
        if new_length.div_ceil(1 << 26) < u64::from(*count) {
            return Err(unsupported("a length that drops chunks"));
        }
        *length = new_length;
        if canmodmtime {
            n.mtime = ts;
            n.ctime = ts;
        }
        Ok(())
    }

    fn unlock(&mut self, chunk: u64) -> io::Result<()> {
        self.change();
        let lock = chunk
            .checked_sub(1)
            .and_then(|i| self.chunk_locks.get_mut(i as usize))
            .ok_or_else(|| unsupported("an unlock of a chunk that was never made"))?;
        *lock = 0;
        Ok(())
    }

    fn setxattr(&mut self, inode: u32, key: u64, value: u64) -> io::Result<()> {
        let ts = self.change();
        if self.xattrs.last().is_some_and(|&(i, _, _)| i >= inode) {
            return Err(unsupported(
                "xattrs set out of inode order, or twice on one inode",
            ));
        }
        self.node_mut(inode)?.ctime = ts;
        self.xattrs.push((inode, key, value));
        Ok(())
    }
}

/// Asks the CPU to start loading `value`'s cache line.
#[inline(always)]
fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` is only a hint to the cache: it never faults and changes
    // nothing observable, and the pointer comes from a live reference.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn name(number: u64) -> Name {
        Name {
            prefix: b'f',
            number,
        }
    }

    #[test]
    fn names_are_prefix_and_decimal() {
        let mut buf = Vec::new();
        put_name(&mut buf, b"user.k", 0);
        assert_eq!(buf, b"user.k0");
        put_name(&mut buf, b"../data/f", u64::MAX);
        assert_eq!(buf, b"../data/f18446744073709551615");
    }

    #[test]
    fn changes_it_cannot_store_exactly_are_refused() {
        let mut b = SnapshotBuilder::new(100);
        b.create(1, name(1), CreateKind::File, 2).unwrap();
        let unsupported = |r: io::Result<()>| {
            assert!(matches!(r, Err(e) if e.kind() == io::ErrorKind::Unsupported));
        };
        // Inodes must come in order, parents must be directories.
        unsupported(b.create(1, name(2), CreateKind::File, 5));
        unsupported(b.create(2, name(3), CreateKind::File, 3));
        assert_eq!(b.nodes.len(), 3, "a refused create adds nothing");
        unsupported(b.release(1, 2));
        unsupported(b.unlock(7));
        // A new chunk must be the next id, in the next slot.
        unsupported(b.write_chunk(2, 0, ChunkWrite::New, 5));
        b.write_chunk(2, 0, ChunkWrite::New, 1).unwrap();
        unsupported(b.write_chunk(2, 2, ChunkWrite::New, 2));
        unsupported(b.length(2, 0, true));
        b.setxattr(2, 1, 1).unwrap();
        unsupported(b.setxattr(2, 2, 2));
        b.acquire(1, 2).unwrap();
        unsupported(b.acquire(1, 2));
    }

    #[test]
    fn every_change_takes_one_version() {
        let mut b = SnapshotBuilder::new(100);
        b.session(1).unwrap();
        b.create(1, name(1), CreateKind::Directory, 2).unwrap();
        b.symlink(2, name(2), 1, 3).unwrap();
        assert_eq!(b.version(), 4);
        assert_eq!(b.nodes.len(), 4);
        assert_eq!(b.edges.len(), 2);
    }
}
