//! Building an [`Image`] from a metadata file, with the 3.0.117 loader's rules.
//!
//! Differences from the master, on purpose: a section that appears twice is refused
//! (the master would merge or reset tables, and 3.0.117 never writes such a file), and
//! so is an inode that appears twice in `NODE`. Everything else follows the master,
//! including what it silently drops (open files of unknown sessions, xattrs and ACLs of
//! missing inodes). Files older than format 2.0 take their sessions from a separate
//! `sessions.mfs`, which is not read here.

use std::sync::mpsc::{channel, sync_channel, Receiver, Sender};

use crate::format::metadata::chunks::ChunkRecords;
use crate::format::metadata::file::{decode_body, for_each_section, Body, SectionInfo};
use crate::format::metadata::header::{FileHeader, Signature, FORMAT_SECTIONS};
use crate::format::metadata::nodes::{decode_header as decode_nodes_header, NodesHeader};
use crate::format::metadata::section::{SectionHeader, END_MARKER};
use crate::format::metadata::{DecodeError, Reader, Tag};

use super::chunk_list::BOXED_INLINE;
use super::chunks::ChunkTable;
use super::directory_set::{dense_inode_window, DirectorySet};
use super::error::LoadError;
use super::image::Image;
use super::load_nodes::{load_edges, load_nodes, MIN_NODE_RECORD, ROOT_INODE};
use super::nodes::{Node, NodeData, NodeType, NO_EDGE};
use super::prefault::{populate_behind, yield_to_critical_path, Region, ReleaseBehind};
use super::quotas::DEFAULT_GRACE_PERIOD;
use super::store::AheadSink;
use super::store_nodes::node_hash_bits;
use super::xattrs::Ahead;

/// Inode numbers below this bound are kept in the dense node table: a bound from the
/// input's size, so an absurd inode number in a small file cannot allocate much.
fn dense_inode_limit(input_len: usize) -> u32 {
    let by_size = input_len / 16 + (1 << 20);
    u32::try_from(by_size).unwrap_or(u32::MAX)
}

/// The version, body offset and body of section `tag`, found by walking the section
/// headers; `None` unless every section before it declares its length.
fn find_section<'a>(r: &Reader<'a>, file: &FileHeader, tag: Tag) -> Option<(u8, u64, Reader<'a>)> {
    if file.format < FORMAT_SECTIONS {
        return None;
    }
    let mut r = r.clone();
    loop {
        if r.remaining() < 16 || r.clone().array::<16>().ok()? == *END_MARKER {
            return None;
        }
        let header = SectionHeader::decode(&mut r).ok()?;
        let body = r.sub(header.length?).ok()?;
        if header.tag == tag {
            return Some((header.version(), body.offset(), body));
        }
    }
}

/// How many nodes ahead [`Image::connect_chunks`] prefetches chunks.
const CONNECT_AHEAD: usize = 12;

/// The shortest `EDGE` record of any version (ids, name length, a one-byte name).
const MIN_EDGE_RECORD: usize = 19;

/// Reserves the node and edge tables for what the file announces, and returns the
/// regions the loader will fill, to be faulted in ahead of it (see [`super::prefault`]).
/// Unless the store comes next (`store_next`), the node table gets room for half as
/// many nodes again, left unfaulted: growing it during the replay would copy it whole
/// (its slots are cache-line aligned, which `realloc` cannot move in place).
/// Counts come from the `NODE` header (bounded by its body's length) and, for edges,
/// one per node (bounded by the `EDGE` body's length): a directory tree has one edge
/// per node but the root, hard links add a few, and more than that just grows the table.
fn reserve_tables(
    image: &mut Image<'_>,
    r: &Reader<'_>,
    file: &FileHeader,
    store_next: bool,
) -> Vec<Region> {
    let Some((version, _, mut body)) = find_section(r, file, Tag::NODE) else {
        return Vec::new();
    };
    let Ok(header) = decode_nodes_header(&mut body, version) else {
        return Vec::new();
    };
    let nodes = (header.node_count as usize).min(body.remaining() / MIN_NODE_RECORD);
    let edges = find_section(r, file, Tag::EDGE).map_or(0, |(_, _, body)| {
        nodes.min(body.remaining() / MIN_EDGE_RECORD)
    });
    let headroom = if store_next { 0 } else { nodes / 2 };
    image.nodes.reserve(nodes.saturating_add(headroom));
    image.edges.reserve(edges);
    let [slots, parents] = image.nodes.spare_regions(nodes);
    vec![slots, image.edges.spare_region(edges), parents]
}

/// A `CHNK` body loaded into a table of its own (what [`Image::load`] makes of it in a
/// blank image), and the offset where its records end.
fn load_chunks(version: u8, body: Reader<'_>) -> Result<(ChunkTable, u64), DecodeError> {
    let (table, end, _) = load_chunk_records(version, body)?;
    Ok((table, end))
}

/// [`load_chunks`], also giving the records the table was loaded from.
fn load_chunk_records(
    version: u8,
    mut body: Reader<'_>,
) -> Result<(ChunkTable, u64, ChunkRecords<'_>), DecodeError> {
    let (next_chunk_id, records) = crate::format::metadata::chunks::scan(&mut body, version)?;
    let mut table = ChunkTable::new();
    table.load_records(next_chunk_id, records.clone());
    Ok((table, body.offset(), records))
}

/// Nodes of each storage class, `[files, directories]` by class id.
type ClassUse = Vec<[u32; 2]>;

/// Chunk ids per batch the loader hands the chunk thread.
const REF_BATCH: usize = 1 << 14;

/// What the end of a load needs counted over all nodes, counted as `NODE` loads instead
/// of in walks after it: the storage-class use, and each file's chunk references, sent
/// in batches to the chunk thread, which adds them to its table once `CHNK` is loaded.
struct NodeTally {
    class_use: ClassUse,
    batch: Vec<u64>,
    to_chunks: Option<Sender<Vec<u64>>>,
    /// Every file's references went to the chunk thread (`NODE` loaded before the
    /// chunk thread's table was taken).
    refs_sent: bool,
}

impl NodeTally {
    fn new(to_chunks: Sender<Vec<u64>>) -> Self {
        NodeTally {
            class_use: vec![[0; 2]; 256],
            batch: Vec::new(),
            to_chunks: Some(to_chunks),
            refs_sent: false,
        }
    }

    fn count(&mut self, node: &Node<'_>) {
        if node.node_type.has_storage_class() {
            let directory = node.node_type == NodeType::Directory;
            if let Some(n) = self
                .class_use
                .get_mut(usize::from(node.sclass))
                .and_then(|u| u.get_mut(usize::from(directory)))
            {
                *n = n.wrapping_add(1);
            }
        }
        let (Some(to), NodeData::File { chunks, .. }) = (&self.to_chunks, &node.data) else {
            return;
        };
        self.batch
            .extend(chunks.iter().copied().filter(|&id| id != 0));
        if self.batch.len() >= REF_BATCH {
            // A closed channel (no chunk thread) leaves the counting to the walk.
            let _ = to.send(std::mem::replace(
                &mut self.batch,
                Vec::with_capacity(REF_BATCH + BOXED_INLINE),
            ));
        }
    }

    /// The `NODE` section is loaded: the last batch goes, then an empty one that says
    /// the references are complete, and the feed ends.
    fn nodes_loaded(&mut self) {
        if let Some(to) = self.to_chunks.take() {
            if !self.batch.is_empty() {
                let _ = to.send(std::mem::take(&mut self.batch));
            }
            self.refs_sent = to.send(Vec::new()).is_ok();
        }
    }

    /// Ends the feed (before the chunk thread is joined); whether it carried every file's
    /// references.
    fn close(&mut self) -> bool {
        self.to_chunks = None;
        self.refs_sent
    }
}

/// The chunk thread's side of [`NodeTally`]: adds the file references of each batch
/// until the loader ends the feed (whether it was complete, the loader knows).
fn add_file_refs(table: &mut ChunkTable, batches: Receiver<Vec<u64>>) {
    for batch in batches {
        for (i, &id) in batch.iter().enumerate() {
            if let Some(&ahead) = batch.get(i + CONNECT_AHEAD) {
                table.prefetch(ahead);
            }
            table.add_file_ref(id);
        }
    }
}

/// The chunk thread of a load: where the `CHNK` section is, what its load gave (sent
/// as soon as it is known, so the loader reports errors in file order), and the thread,
/// which then adds the file references and may encode the section ahead.
struct ChunkJob<'scope, 'a> {
    version: u8,
    offset: u64,
    body: Reader<'a>,
    loaded: Receiver<Result<u64, DecodeError>>,
    thread: std::thread::ScopedJoinHandle<'scope, Option<ChunkTable>>,
}

impl<'a> Image<'a> {
    /// The image `mfsmaster` makes from `MFSM NEW`: a root directory whose times are
    /// `now`, the predefined storage classes, nothing else.
    pub fn new_empty(now: u32) -> Self {
        let mut image = Image::blank(dense_inode_limit(0));
        let root = Node {
            node_type: NodeType::Directory,
            sclass: 2,
            eattr: 0,
            winattr: 0,
            mode: 0o777,
            uid: 0,
            gid: 0,
            atime: now,
            mtime: now,
            ctime: now,
            trashtime: 24,
            data: NodeData::Directory {
                children: Default::default(),
            },
        };
        let _ = image.nodes.insert(ROOT_INODE, root);
        image.nodes.max_node_id = ROOT_INODE;
        image.count_class_usage();
        image
    }

    /// Loads a metadata file (any format 3.0.117 reads). `now` stands for the wall clock
    /// where the master would use it (sessions of very old files).
    pub fn load(bytes: &'a [u8], now: u32) -> Result<Self, LoadError> {
        Image::load_releasing(bytes, now, false, None, &|_| {})
    }

    /// [`Image::load`] of a mapped file, calling `release(end)` from time to time while
    /// reading the nodes and edges: the pages wholly before byte `end` will not be read
    /// again soon (see [`ReleaseBehind`]). With `store_next`, the image is expected to be
    /// stored at time `now` with no change in between: the chunk thread then encodes the
    /// `CHNK` section ahead, beside the rest of the load (any change drops it again).
    ///
    /// With `ahead` as well, the chunk thread writes that section into `ahead` at once,
    /// at the position it has in the input (see [`AheadSink`]).
    pub fn load_releasing(
        bytes: &'a [u8],
        now: u32,
        store_next: bool,
        ahead: Option<&dyn AheadSink>,
        release: &(dyn Fn(u64) + Sync),
    ) -> Result<Self, LoadError> {
        let mut behind = ReleaseBehind::new(release);
        let mut r = Reader::new(bytes);
        let format = match Signature::decode(&mut r)? {
            Signature::New => return Ok(Image::new_empty(now)),
            Signature::Format(f) => f,
        };
        let header = FileHeader::decode(&mut r, format)?;
        let mut image = Image::blank(dense_inode_limit(bytes.len()));
        // Without a SESS section the master's nextsessionid stays 0 (only `MFSM NEW` sets 1).
        image.sessions.set_next_session_id(0);
        image.version = header.version;
        image.meta_id = header.meta_id;
        if let Some(legacy) = header.legacy {
            image.sessions.set_next_session_id(legacy.next_session_id);
        }
        let mut seen: Vec<Tag> = Vec::new();
        let chunks_ahead = find_section(&r, &header, Tag::CHNK);
        let (to_chunks, refs) = channel();
        let mut tally = NodeTally::new(to_chunks);
        // Whether the chunk table came from the chunk thread with every file reference.
        let mut refs_counted = false;
        let fresh_memory = reserve_tables(&mut image, &r, &header, store_next);
        std::thread::scope(|scope| {
            populate_behind(scope, fresh_memory);
            // The chunks are independent of every other section: a second thread loads
            // them while this one reads the nodes and edges, then adds the file
            // references this one sends while loading the nodes (`NodeTally`). The loop
            // below takes the load's outcome where it would have loaded the chunks itself
            // (same section, same version), so errors come in file order as without it;
            // the table itself is taken after the last section.
            let mut early = chunks_ahead.map(|(version, offset, body)| {
                let (send_loaded, loaded) = sync_channel(1);
                let chunk_body = body.clone();
                let job = move || {
                    yield_to_critical_path();
                    let (mut table, end, records) = match load_chunk_records(version, chunk_body) {
                        Ok(loaded) => loaded,
                        Err(e) => {
                            let _ = send_loaded.send(Err(e));
                            return None;
                        }
                    };
                    let _ = send_loaded.send(Ok(end));
                    // File references are not stored: the section is encoded while the
                    // loader is still reading the nodes (their references wait).
                    if store_next {
                        table.encode_ahead_loaded(records, now);
                        if let (Some(sink), Some(start)) = (ahead, offset.checked_sub(16)) {
                            table.write_ahead(sink, start);
                        }
                    }
                    add_file_refs(&mut table, refs);
                    Some(table)
                };
                ChunkJob {
                    version,
                    offset,
                    body,
                    loaded,
                    thread: scope.spawn(job),
                }
            });
            let mut chunk_thread = None;
            let walked = for_each_section(&mut r, &header, |info, body| -> Result<(), LoadError> {
                let tag = if info.header.tag == Tag::LABS {
                    Tag::SCLA
                } else {
                    info.header.tag
                };
                if seen.contains(&tag) {
                    return Err(LoadError::rule(
                        tag,
                        info.header.offset,
                        "section appears twice",
                    ));
                }
                seen.push(tag);
                let in_section = |e| match e {
                    LoadError::Decode(d) => LoadError::Decode(d.in_section(tag)),
                    other => other,
                };
                if tag == Tag::CHNK {
                    let same = |job: &ChunkJob<'_, '_>| {
                        job.version == info.version && job.offset == body.offset()
                    };
                    if let Some(job) = early.take_if(|job| same(job)) {
                        let all_refs = tally.close();
                        match job.loaded.recv() {
                            Ok(Ok(end)) => {
                                chunk_thread = Some((job, all_refs));
                                return body
                                    .skip(end.saturating_sub(body.offset()))
                                    .map_err(|e| in_section(e.into()));
                            }
                            Ok(Err(e)) => {
                                let _ = job.thread.join();
                                return Err(in_section(e.into()));
                            }
                            // The thread is gone: the chunks are loaded here.
                            Err(_) => {
                                let _ = job.thread.join();
                            }
                        }
                    }
                }
                image
                    .load_section(info, &header, body, now, &mut behind, &mut tally)
                    .map_err(in_section)
            });
            tally.close();
            if let Some(job) = early {
                // Not used (an error came first): wait for it, so that nothing outlives
                // the scope unjoined.
                let _ = job.thread.join();
            }
            // The tree is checked while the chunk thread may still be at work.
            let checked = walked.and_then(|()| image.check_tree());
            if let Some((job, all_refs)) = chunk_thread {
                match job.thread.join() {
                    Ok(Some(table)) => {
                        image.chunks = table;
                        refs_counted = all_refs;
                    }
                    // (A thread that failed after loading the chunks: load them again.)
                    _ => {
                        image.chunks = load_chunks(job.version, job.body)
                            .map_err(|e| LoadError::Decode(e.in_section(Tag::CHNK)))?
                            .0;
                    }
                }
            }
            checked
        })?;
        image.add_class_usage(&tally.class_use);
        if !refs_counted {
            // `NODE` came after `CHNK`, or the chunks were loaded here: a walk counts.
            image.chunks.clear_file_refs();
            image.connect_chunks();
        }
        Ok(image)
    }

    fn load_section(
        &mut self,
        info: &SectionInfo,
        file: &FileHeader,
        r: &mut Reader<'a>,
        now: u32,
        behind: &mut ReleaseBehind<'_>,
        tally: &mut NodeTally,
    ) -> Result<(), LoadError> {
        let tag = info.header.tag;
        let at = r.offset();
        match tag {
            Tag::NODE => {
                let legacy = info.headerless_nodes.then(|| NodesHeader {
                    max_node_id: file.legacy.map_or(0, |l| l.max_node_id),
                    node_count: 0,
                });
                let open_files = &mut self.open_files;
                let mut added = 0u64;
                let header = load_nodes(
                    r,
                    info.version,
                    legacy,
                    &mut self.nodes,
                    behind,
                    |s, i| {
                        // Old formats list a file's sessions in its node; the master adds
                        // each new relation as a replayed change (bumping the version).
                        if open_files.acquire(s, i) {
                            added += 1;
                        }
                    },
                    |node| tally.count(node),
                )?;
                tally.nodes_loaded();
                self.version = self.version.wrapping_add(added);
                self.node_hash_bits = node_hash_bits(header.node_count);
                return Ok(());
            }
            Tag::EDGE => {
                self.edges_need_renumbering =
                    load_edges(r, info.version, &mut self.nodes, &mut self.edges, behind)?;
                return Ok(());
            }
            _ => {}
        }
        let nodes = &self.nodes;
        match decode_body(info, file, r)? {
            Body::Sessions(s) => self.sessions.load(&s, now),
            Body::StorageClasses(s) => self.storage_classes.load(&s, info.version, at)?,
            Body::Free(s) => self.free.load(&s),
            Body::Quotas(s) => self.quotas.load(
                &s,
                |i| nodes.get(i).map(|n| n.node_type == NodeType::Directory),
                DEFAULT_GRACE_PERIOD,
                at,
            )?,
            Body::Xattrs(s) => {
                let prefetch = |i, ahead| match ahead {
                    Ahead::Far => nodes.prefetch_index(i),
                    Ahead::Near => nodes.prefetch_node(i),
                };
                self.xattrs.load(&s, |i| nodes.contains(i), prefetch, at)?
            }
            Body::Acls(s) => {
                self.acls
                    .load(&s, info.version, |i| nodes.get(i).map(|n| n.mode), at)?
            }
            Body::OpenFiles(s) => self.open_files.load(&s, &self.sessions),
            Body::Flocks(s) => self.flocks.load(&s, &self.open_files, at)?,
            Body::PosixLocks(s) => self.posix_locks.load(&s, &self.open_files, at)?,
            Body::Chunkservers(s) => self.chunkservers.load(&s, info.version, at)?,
            Body::Chunks(s) => self.chunks.load(&s),
            Body::Nodes(_) | Body::Edges(_) => {
                return Err(DecodeError::at(
                    at,
                    crate::format::metadata::DecodeErrorKind::UnknownSection,
                )
                .into())
            }
        }
        Ok(())
    }

    /// The checks after all sections: the root exists and is a directory, every other
    /// node has a name, and the directories form a tree under the root. (The master
    /// crashes on a directory cycle while loading; we refuse it.)
    fn check_tree(&self) -> Result<(), LoadError> {
        let refuse = |reason: String| LoadError::Tree { reason };
        match self.nodes.get(ROOT_INODE) {
            Some(n) if n.node_type == NodeType::Directory => {}
            Some(_) => return Err(refuse("the root inode 1 is not a directory".into())),
            None => return Err(refuse("root node not found".into())),
        }
        // One pass over the nodes: the directory bitmap, the directories, and the
        // lowest orphan.
        let mut orphan: Option<u32> = None;
        let mut all_directories = Vec::new();
        let directories = DirectorySet::new_visiting(&self.nodes, |inode, parents, n| {
            if inode != ROOT_INODE && parents == NO_EDGE {
                orphan = Some(orphan.map_or(inode, |o| o.min(inode)));
            }
            if n.node_type == NodeType::Directory {
                all_directories.push(inode);
            }
        });
        if let Some(inode) = orphan {
            return Err(refuse(format!("found orphaned inode: {inode}")));
        }
        self.check_directories_form_a_tree(&directories, &all_directories)
            .map_err(refuse)
    }

    /// A depth-first walk over the directories from the root: reaching a directory that
    /// is still being walked is a cycle; a directory never reached hangs in a cycle of
    /// its own. (A directory with two parents is reached twice, which the master
    /// tolerates, so we do too.) `all_directories` lists every directory's inode.
    fn check_directories_form_a_tree(
        &self,
        directories: &DirectorySet,
        all_directories: &[u32],
    ) -> Result<(), String> {
        const IN_PROGRESS: u8 = 1;
        const DONE: u8 = 2;
        let mut state = InodeMarks::new(self.nodes.len());
        // Each frame: a directory and the next child edge to look at.
        let first_child = |inode: u32| match self.nodes.get(inode).map(|n| &n.data) {
            Some(NodeData::Directory { children }) => children.head,
            _ => NO_EDGE,
        };
        let mut stack = vec![(ROOT_INODE, first_child(ROOT_INODE))];
        state.set(ROOT_INODE, IN_PROGRESS);
        while let Some(top) = stack.last_mut() {
            let Some(edge) = self.edges.get(top.1) else {
                state.set(top.0, DONE);
                stack.pop();
                continue;
            };
            top.1 = edge.next;
            let child = edge.child;
            if !directories.contains(&self.nodes, child) {
                continue;
            }
            match state.get(child) {
                IN_PROGRESS => {
                    return Err(format!(
                        "directory {child} is inside itself (a directory cycle)"
                    ))
                }
                DONE => {}
                _ => {
                    state.set(child, IN_PROGRESS);
                    stack.push((child, first_child(child)));
                }
            }
        }
        let unreached = all_directories
            .iter()
            .copied()
            .filter(|&inode| state.get(inode) == 0)
            .min();
        match unreached {
            Some(inode) => Err(format!(
                "directory {inode} cannot be reached from the root (a directory cycle)"
            )),
            None => Ok(()),
        }
    }

    /// Counts each file's chunk references ("connecting files and chunks").
    ///
    /// The nodes are walked in memory order, and their chunks sit at random places of
    /// the chunk table: the chunks of the node [`CONNECT_AHEAD`] places ahead are
    /// prefetched.
    fn connect_chunks(&mut self) {
        let first_chunk = |node: &Node<'_>| match &node.data {
            NodeData::File { chunks, .. } => chunks.first().copied(),
            _ => None,
        };
        let mut ahead = self.nodes.iter().skip(CONNECT_AHEAD);
        for (_, node) in self.nodes.iter() {
            if let Some(id) = ahead.next().and_then(|(_, n)| first_chunk(n)) {
                self.chunks.prefetch(id);
            }
            if let NodeData::File { chunks, .. } = &node.data {
                for &id in chunks.iter().filter(|&&id| id != 0) {
                    self.chunks.add_file_ref(id);
                }
            }
        }
    }

    /// Adds the use counts of a [`NodeTally`].
    fn add_class_usage(&mut self, class_use: &ClassUse) {
        for (id, &[files, directories]) in class_use.iter().enumerate() {
            let id = id as u16;
            if files != 0 {
                self.storage_classes.add_uses(id, false, files);
            }
            if directories != 0 {
                self.storage_classes.add_uses(id, true, directories);
            }
        }
    }

    /// Counts the directories and files of each storage class.
    fn count_class_usage(&mut self) {
        for (_, node) in self.nodes.iter() {
            if node.node_type.has_storage_class() {
                self.storage_classes.add_use(
                    u16::from(node.sclass),
                    node.node_type == NodeType::Directory,
                );
            }
        }
    }
}

/// A small mark per inode (0 = none): a vector for inode numbers in the
/// [`dense_inode_window`], a map for any beyond.
struct InodeMarks {
    dense: Vec<u8>,
    sparse: rustc_hash::FxHashMap<u32, u8>,
}

impl InodeMarks {
    fn new(node_count: u32) -> Self {
        InodeMarks {
            dense: vec![0; dense_inode_window(node_count)],
            sparse: Default::default(),
        }
    }

    fn get(&self, inode: u32) -> u8 {
        match self.dense.get(inode as usize) {
            Some(&m) => m,
            None => self.sparse.get(&inode).copied().unwrap_or(0),
        }
    }

    fn set(&mut self, inode: u32, mark: u8) {
        match self.dense.get_mut(inode as usize) {
            Some(m) => *m = mark,
            None => {
                self.sparse.insert(inode, mark);
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::model::storage_classes::ClassUsage;

    fn usage_and_refs(image: &Image<'_>) -> (Vec<ClassUsage>, Vec<(u64, u32)>) {
        let usage = (0..=255)
            .map(|id| image.storage_classes.usage(id))
            .collect();
        let refs = image.chunks.iter().map(|(id, c)| (id, c.fcount)).collect();
        (usage, refs)
    }

    /// The counts made as the nodes load (`NodeTally`, references added on the chunk
    /// thread) are those a walk over the loaded nodes makes; also for old formats.
    #[test]
    fn tallies_match_a_walk_of_the_loaded_nodes() {
        for file in [
            "testdata/real/namespace-rich/master/metadata.mfs",
            "testdata/real/open-files-locks-sessions/master/metadata.mfs",
            "testdata/real/time-driven-trash-expiry-rotation/master/metadata.mfs",
            "testdata/handmade/restore-mfsm-1.6/metadata.mfs",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
            let bytes = std::fs::read(&path).unwrap();
            let mut image = Image::load(&bytes, 0).unwrap();
            let tallied = usage_and_refs(&image);
            assert!(
                tallied.1.iter().any(|&(_, n)| n > 0),
                "{file}: no file references"
            );
            assert!(
                tallied.0.iter().any(|u| u.files > 0),
                "{file}: no class use"
            );
            for id in 0..=255u16 {
                let u = image.storage_classes.usage(id);
                image
                    .storage_classes
                    .add_uses(id, false, u.files.wrapping_neg());
                image
                    .storage_classes
                    .add_uses(id, true, u.directories.wrapping_neg());
            }
            image.chunks.clear_file_refs();
            image.connect_chunks();
            image.count_class_usage();
            assert_eq!(usage_and_refs(&image), tallied, "{file}");
        }
    }

    /// A load told that the store comes next (the chunk thread encodes `CHNK` ahead)
    /// stores the same file as a plain load; at another store time too.
    #[test]
    fn a_load_for_the_store_stores_the_same_file() {
        for file in [
            "testdata/real/namespace-rich/master/metadata.mfs",
            "testdata/real/open-files-locks-sessions/master/metadata.mfs",
            "testdata/handmade/restore-mfsm-1.6/metadata.mfs",
        ] {
            let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join(file);
            let bytes = std::fs::read(&path).unwrap();
            let now = 1_800_000_000;
            let plain = Image::load(&bytes, now).unwrap();
            let ahead = Image::load_releasing(&bytes, now, true, None, &|_| {}).unwrap();
            assert!(!plain.chunks.is_empty(), "{file}");
            assert_eq!(ahead.store(now), plain.store(now), "{file}");
            assert_eq!(ahead.store(now + 1), plain.store(now + 1), "{file}");
        }
    }

    /// A real capture with extra directories (inodes from 900000 up, made from its root's
    /// record) and extra entries, re-encoded.
    fn with_extra(dirs: &[u32], entries: &[(u32, u32, &'static [u8])]) -> Vec<u8> {
        use crate::format::metadata::edges::Edge as EdgeRecord;
        use crate::format::metadata::{Body, MetadataFile};
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/real/namespace-rich/master/metadata.mfs");
        let bytes = std::fs::read(&path).unwrap();
        let mut file = MetadataFile::decode(&bytes).unwrap();
        let MetadataFile::Formatted { sections, .. } = &mut file else {
            panic!("not a formatted file");
        };
        for section in sections.iter_mut() {
            match &mut section.body {
                Body::Nodes(n) => {
                    let root = *n.nodes.iter().find(|r| r.inode == ROOT_INODE).unwrap();
                    for &inode in dirs {
                        n.nodes
                            .push(crate::format::metadata::nodes::Node { inode, ..root });
                    }
                    n.header.max_node_id = n.header.max_node_id.max(999_999);
                    n.header.node_count += dirs.len() as u32;
                }
                Body::Edges(e) => {
                    let next = e.next_edge_id.unwrap_or(1);
                    for (i, &(parent, child, name)) in entries.iter().enumerate() {
                        e.edges.push(EdgeRecord {
                            parent,
                            child,
                            edge_id: next + i as u64,
                            name,
                        });
                    }
                    e.next_edge_id = Some(next + entries.len() as u64);
                }
                _ => {}
            }
        }
        file.encode().0
    }

    fn tree_error(bytes: &[u8]) -> String {
        match Image::load(bytes, 0) {
            Err(LoadError::Tree { reason }) => reason,
            Err(other) => panic!("not a tree error: {other}"),
            Ok(_) => panic!("loaded"),
        }
    }

    /// The checks after the sections: orphans (the lowest named), directories in a
    /// cycle of their own (the lowest named), a directory inside itself.
    #[test]
    fn broken_trees_are_refused_with_the_master_s_reasons() {
        assert!(Image::load(&with_extra(&[900_001], &[(1, 900_001, b"new")]), 0).is_ok());
        assert_eq!(
            tree_error(&with_extra(&[900_003, 900_002], &[])),
            "found orphaned inode: 900002"
        );
        assert_eq!(
            tree_error(&with_extra(
                &[900_005, 900_004],
                &[(900_005, 900_004, b"a"), (900_004, 900_005, b"b")]
            )),
            "directory 900004 cannot be reached from the root (a directory cycle)"
        );
        assert_eq!(
            tree_error(&with_extra(
                &[900_006],
                &[(1, 900_006, b"d"), (900_006, 900_006, b"self")]
            )),
            "directory 900006 is inside itself (a directory cycle)"
        );
    }

    /// `bytes` (a sectioned file) with its `CHNK` section moved right after the header.
    fn chunks_first(bytes: &[u8]) -> Vec<u8> {
        let mut r = Reader::new(bytes);
        let Ok(Signature::Format(format)) = Signature::decode(&mut r) else {
            panic!("not a sectioned file");
        };
        FileHeader::decode(&mut r, format).unwrap();
        let head = r.offset() as usize;
        let mut sections = Vec::new();
        while r.remaining() >= 16 && r.clone().array::<16>().unwrap() != *END_MARKER {
            let header = SectionHeader::decode(&mut r).unwrap();
            r.sub(header.length.unwrap()).unwrap();
            let span = header.offset as usize..r.offset() as usize;
            sections.push((header.tag, bytes[span].to_vec()));
        }
        let tail = &bytes[r.offset() as usize..];
        sections.sort_by_key(|(tag, _)| *tag != Tag::CHNK);
        let mut out = bytes[..head].to_vec();
        for (_, section) in &sections {
            out.extend_from_slice(section);
        }
        out.extend_from_slice(tail);
        out
    }

    /// With `CHNK` before `NODE` the loader cannot feed the chunk thread the references
    /// in time: the walk after the load counts them, to the same result.
    #[test]
    fn chunks_before_nodes_count_the_same_references() {
        let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
            .join("testdata/real/namespace-rich/master/metadata.mfs");
        let bytes = std::fs::read(&path).unwrap();
        let reordered = chunks_first(&bytes);
        assert_ne!(reordered, bytes);
        let usual = usage_and_refs(&Image::load(&bytes, 0).unwrap());
        let early = usage_and_refs(&Image::load(&reordered, 0).unwrap());
        assert!(usual.1.iter().any(|&(_, n)| n > 0));
        assert_eq!(early, usual);
    }
}
