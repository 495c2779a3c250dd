//! Replay of the operations on file data and chunks: WRITE, LENGTH, TRUNC, UNLOCK,
//! APPEND, ROLLBACK, REPAIR, SETFILECHUNK, CHUNKADD, CHUNKDEL, SETVERSION, INCVERSION,
//! NEXTCHUNKID and ARCHCHG (`replay-semantics.md` §7; in 3.0.117 `fs_mr_write`,
//! `fs_mr_length`, `fs_mr_trunc`, `fs_mr_append_slice`, `fs_mr_rollback`,
//! `fs_mr_repair`, `fs_mr_set_file_chunk`, `fs_mr_archchg` and the `chunk_mr_*`
//! functions of `chunks.c`).
//!
//! Invariant kept by every operation here: a chunk's `fcount` is the number of
//! non-zero chunk-table entries naming it over all FILE/TRASH/SUSTAINED nodes (an id
//! twice in one file counts twice). It decides copy-on-write (WRITE, TRUNC) and
//! whether CHUNKDEL may delete the chunk. Entries naming a chunk that does not exist
//! are kept without a reference, as the master does (`chunk_add_file` fails quietly),
//! and so are reference drops on a chunk without references.
//!
//! Checks run in the master's order with its status codes. Where the master changes
//! something before a check fails, so does this replay (the restore stops there, but a
//! `-i` restore stores that state): a WRITE whose chunk step fails keeps its grown
//! chunk table, a CHUNKADD refused for its lock time has already moved `nextchunkid`,
//! an ARCHCHG whose counts differ has already changed the flags, and REPAIR sets the
//! file's times whatever its chunk step gives.

use smallvec::SmallVec;

use crate::format::changelog::{AppendSlice, Op};
use crate::format::metadata::nodes::NodeType;
use crate::model::chunks::{ChunkEntry, ChunkTable, FileRefError};
use crate::model::namespace::eattr;
use crate::model::nodes::{ChunkList, Node, NodeData, NodeTable};

use super::{Applied, Replay, Status, DONE};

/// log2 of the chunk size (64 MiB): chunk index `i` covers bytes `[i << 26, (i + 1) << 26)`.
const CHUNK_BITS: u32 = 26;
/// Highest chunk index of a file (`MAX_INDEX`).
const MAX_INDEX: u32 = 0x7FFF_FFFF;
/// Seconds a chunk stays locked after WRITE or TRUNC (`LOCKTIMEOUT`).
const LOCK_TIMEOUT: u32 = 120;
/// How far beyond `nextchunkid` a CHUNKADD id may be.
const CHUNKADD_MAX_AHEAD: u64 = 1_000_000_000;
/// The slice the 2-argument (legacy) APPEND stands for: the whole source file.
const WHOLE_FILE: AppendSlice = AppendSlice {
    from: 0xFFFF_FFFF,
    to: 0,
};
/// `ARCHCHG` command that sets the archive flag (`ARCHCTL_SET`); 0 clears it.
const ARCHCTL_SET: u8 = 1;
/// `ARCHCHG` command that clears the flag and sets the files' ctime (`ARCHCTL_CLR`).
const ARCHCTL_CLR: u8 = 0;
/// Status for a chunk table that cannot be allocated (`MFS_ERROR_OUTOFMEMORY`; the
/// master would abort instead).
const OUT_OF_MEMORY: Status = Status(9);

/// Replays an operation of this family.
pub(super) fn apply<'a>(r: &mut Replay<'a, '_>, ts: u32, op: &Op<'a>) -> Applied {
    match *op {
        Op::Write {
            inode,
            indx,
            opflag,
            canmodmtime,
            chunk_id,
        } => write(
            r,
            ts,
            inode,
            indx,
            opflag.unwrap_or(1) != 0,
            canmodmtime.unwrap_or(1) != 0,
            chunk_id,
        ),
        Op::Length {
            inode,
            length,
            canmodmtime,
        } => set_length(r, ts, inode, length, canmodmtime.unwrap_or(1) != 0),
        Op::Trunc {
            inode,
            indx,
            chunk_id,
        } => trunc(r, ts, inode, indx, chunk_id),
        Op::Unlock { chunk_id } => {
            chunk_mut(&mut r.image.chunks, chunk_id)?.locked_to = 0;
            DONE
        }
        Op::Append {
            inode,
            src_inode,
            slice,
        } => append(r, ts, inode, src_inode, slice.unwrap_or(WHOLE_FILE)),
        Op::Rollback {
            inode,
            indx,
            prev_chunk_id,
            chunk_id,
        } => rollback(r, inode, indx, prev_chunk_id, chunk_id),
        Op::Repair {
            inode,
            indx,
            version,
        } => repair(r, ts, inode, indx, version),
        Op::SetFileChunk {
            inode,
            indx,
            chunk_id,
        } => set_file_chunk(r, inode, indx, chunk_id),
        Op::ChunkAdd {
            chunk_id,
            version,
            locked_to,
        } => chunk_add(&mut r.image.chunks, ts, chunk_id, version, locked_to),
        Op::ChunkDel { chunk_id, version } => chunk_del(&mut r.image.chunks, ts, chunk_id, version),
        Op::SetVersion { chunk_id, version } => {
            chunk_mut(&mut r.image.chunks, chunk_id)?.version = version;
            DONE
        }
        Op::IncVersion { chunk_id } => {
            let c = chunk_mut(&mut r.image.chunks, chunk_id)?;
            c.version = c.version.wrapping_add(1);
            DONE
        }
        Op::NextChunkId { chunk_id } => {
            let chunks = &mut r.image.chunks;
            if chunk_id <= chunks.next_chunk_id() {
                return Err(Status::MISMATCH);
            }
            chunks.set_next_chunk_id(chunk_id);
            DONE
        }
        Op::ArchChg {
            inode,
            uid,
            cmd,
            changed,
            not_changed,
            not_permitted,
        } => arch_change(
            r,
            ts,
            inode,
            uid,
            cmd,
            (changed, not_changed, not_permitted),
        ),
        _ => Err(Status::EINVAL),
    }
}

/// The chunk `id`, or NOCHUNK.
fn chunk_mut(chunks: &mut ChunkTable, id: u64) -> Result<&mut ChunkEntry, Status> {
    chunks.get_mut(id).ok_or(Status::NOCHUNK)
}

/// The file (FILE, TRASH or SUSTAINED node) `inode`: ENOENT if there is no such node,
/// `wrong_type` if it is something else (each operation has its own code for that).
fn file_node<'n, 'a>(
    nodes: &'n mut NodeTable<'a>,
    inode: u32,
    wrong_type: Status,
) -> Result<&'n mut Node<'a>, Status> {
    let node = nodes.get_mut(inode).ok_or(Status::ENOENT)?;
    if node.node_type.is_file_like() && matches!(node.data, NodeData::File { .. }) {
        Ok(node)
    } else {
        Err(wrong_type)
    }
}

/// The length and chunk table of a node that [`file_node`] accepted.
fn file_data<'n>(node: &'n mut Node<'_>) -> Option<(&'n mut u64, &'n mut ChunkList)> {
    match &mut node.data {
        NodeData::File { length, chunks } => Some((length, chunks)),
        _ => None,
    }
}

/// Number of chunks a length covers, `ceil(length / 64 MiB)`, in the master's 32-bit
/// variable (so lengths of 2^58 and more wrap).
fn chunks_covering(length: u64) -> u32 {
    if length == 0 {
        0
    } else {
        (((length - 1) >> CHUNK_BITS) + 1) as u32
    }
}

/// Grows `table` to `len` entries with holes (never shrinks it).
fn grow(table: &mut ChunkList, len: usize) -> Result<(), Status> {
    if let Some(more) = len.checked_sub(table.len()).filter(|&n| n > 0) {
        table.try_reserve_exact(more).map_err(|_| OUT_OF_MEMORY)?;
        table.resize(len, 0);
    }
    Ok(())
}

/// Drops the references of the entries at `from..` and makes them holes (the table
/// keeps its size).
fn drop_refs_from(chunks: &mut ChunkTable, table: &mut ChunkList, from: usize) {
    for id in table.iter_mut().skip(from) {
        if *id != 0 {
            // A missing chunk or one without references is only logged by the master.
            let _ = chunks.remove_file_ref(*id);
        }
        *id = 0;
    }
}

/// A new chunk (version 1, one file reference) with the id the line expects, which must
/// be `nextchunkid`.
fn new_chunk(chunks: &mut ChunkTable, expected: u64) -> Result<u64, Status> {
    if expected != chunks.next_chunk_id() {
        return Err(Status::MISMATCH);
    }
    let id = chunks.take_chunk_id();
    chunks.insert(id, 1, 0, 0);
    chunks.add_file_ref(id);
    Ok(id)
}

/// What the chunk step of WRITE / TRUNC does to a chunk that only this entry uses.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OnlyUser {
    /// WRITE: the version goes up only when the line's opflag asks for it.
    Write { bump_version: bool },
    /// TRUNC: the version always goes up.
    Truncate,
}

/// The chunk that takes the place of `old` in one file entry for a WRITE or TRUNC
/// (`chunk_mr_multi_modify` / `chunk_mr_multi_truncate`), checked against the line's
/// `expected` id; the result is locked until `ts + 120`.
///
/// * `old` = 0 (WRITE only; TRUNC finds no chunk 0): a new chunk.
/// * `old` used by this entry only: `old` itself, its version maybe raised.
/// * `old` shared (copy-on-write): a new chunk; `old` loses this entry's reference.
fn modify_chunk(
    chunks: &mut ChunkTable,
    ts: u32,
    old: u64,
    expected: u64,
    how: OnlyUser,
) -> Result<u64, Status> {
    let id = if old == 0 && how != OnlyUser::Truncate {
        new_chunk(chunks, expected)?
    } else {
        let c = chunks.get_mut(old).ok_or(Status::NOCHUNK)?;
        match c.fcount {
            1 => {
                if expected != old {
                    return Err(Status::MISMATCH);
                }
                if !matches!(
                    how,
                    OnlyUser::Write {
                        bump_version: false
                    }
                ) {
                    c.version = c.version.wrapping_add(1);
                }
                old
            }
            // "Serious structure inconsistency" in the master.
            0 => return Err(Status::CHUNKLOST),
            _ => {
                let id = new_chunk(chunks, expected)?;
                let _ = chunks.remove_file_ref(old);
                id
            }
        }
    };
    if let Some(c) = chunks.get_mut(id) {
        c.locked_to = ts.wrapping_add(LOCK_TIMEOUT);
    }
    Ok(id)
}

/// `WRITE(inode, indx, opflag, canmodmtime):chunkid` (§7.1).
fn write(
    r: &mut Replay<'_, '_>,
    ts: u32,
    inode: u32,
    indx: u32,
    bump_version: bool,
    canmodmtime: bool,
    expected: u64,
) -> Applied {
    let node = file_node(&mut r.image.nodes, inode, Status::EPERM)?;
    if indx > MAX_INDEX {
        return Err(Status::INDEXTOOBIG);
    }
    let (length, table) = file_data(node).ok_or(Status::EPERM)?;
    // The table grows before the chunk step, and stays grown if that fails.
    grow(table, indx as usize + 1)?;
    let slot = table.get_mut(indx as usize).ok_or(Status::EINVAL)?;
    let id = modify_chunk(
        &mut r.image.chunks,
        ts,
        *slot,
        expected,
        OnlyUser::Write { bump_version },
    )?;
    *slot = id;
    // Only up to the start of the written chunk: the LENGTH that follows sets the rest.
    *length = (*length).max(u64::from(indx) << CHUNK_BITS);
    node.eattr &= !eattr::SNAPSHOT;
    if canmodmtime {
        node.mtime = ts;
        node.ctime = ts;
    }
    DONE
}

/// `LENGTH(inode, length, canmodmtime)` (§7.2).
fn set_length(
    r: &mut Replay<'_, '_>,
    ts: u32,
    inode: u32,
    new_length: u64,
    canmodmtime: bool,
) -> Applied {
    let node = file_node(&mut r.image.nodes, inode, Status::EINVAL)?;
    let (length, table) = file_data(node).ok_or(Status::EINVAL)?;
    *length = new_length;
    let keep = chunks_covering(new_length) as usize;
    drop_refs_from(&mut r.image.chunks, table, keep);
    if keep == 0 {
        *table = ChunkList::new();
    } else if keep < table.len() {
        table.truncate(keep);
    }
    node.eattr &= !eattr::SNAPSHOT;
    if canmodmtime {
        node.mtime = ts;
        node.ctime = ts;
    }
    DONE
}

/// `TRUNC(inode, indx):chunkid` (§7.3): the chunk step of a truncation inside a chunk;
/// no length or time change (a LENGTH follows).
fn trunc(r: &mut Replay<'_, '_>, ts: u32, inode: u32, indx: u32, expected: u64) -> Applied {
    let node = file_node(&mut r.image.nodes, inode, Status::EINVAL)?;
    if indx > MAX_INDEX {
        return Err(Status::INDEXTOOBIG);
    }
    let (_, table) = file_data(node).ok_or(Status::EINVAL)?;
    let slot = table.get_mut(indx as usize).ok_or(Status::EINVAL)?;
    *slot = modify_chunk(&mut r.image.chunks, ts, *slot, expected, OnlyUser::Truncate)?;
    DONE
}

/// `APPEND(inode, src, from, to)` (§7.6): appends chunks `from..=to` of `src` to the
/// file `inode`, after the chunks its length covers.
fn append(r: &mut Replay<'_, '_>, ts: u32, inode: u32, src: u32, slice: AppendSlice) -> Applied {
    if inode == src {
        return Err(Status::EINVAL);
    }
    let nodes = &mut r.image.nodes;
    let (Some(src_node), true) = (nodes.get(src), nodes.contains(inode)) else {
        return Err(Status::ENOENT);
    };
    let NodeData::File {
        length: src_length,
        chunks: ref src_table,
    } = src_node.data
    else {
        return Err(Status::EPERM);
    };
    if !src_node.node_type.is_file_like() {
        return Err(Status::EPERM);
    }
    if !nodes
        .get(inode)
        .is_some_and(|n| n.node_type.is_file_like() && matches!(n.data, NodeData::File { .. }))
    {
        return Err(Status::EPERM);
    }
    if src_length == 0 {
        return DONE;
    }
    let last_src = ((src_length - 1) >> CHUNK_BITS) as u32;
    let (from, to) = if slice == WHOLE_FILE {
        (0, last_src)
    } else {
        (slice.from, slice.to)
    };
    if to > last_src || from > last_src || from > to {
        return Err(Status::EINVAL);
    }
    let count = to - from + 1;
    // The source's entries `from..=to` (holes past its table).
    let appended: SmallVec<[u64; 8]> = src_table
        .iter()
        .skip(from as usize)
        .take(count as usize)
        .copied()
        .collect();

    let node = file_node(nodes, inode, Status::EPERM)?;
    let (length, table) = file_data(node).ok_or(Status::EPERM)?;
    let covered = chunks_covering(*length);
    let total = count.wrapping_add(covered);
    if total < covered || total.wrapping_sub(1) > MAX_INDEX {
        return Err(Status::INDEXTOOBIG);
    }
    grow(table, total as usize)?;
    let chunks = &mut r.image.chunks;
    drop_refs_from(chunks, table, covered as usize);
    for (slot, &id) in table.iter_mut().skip(covered as usize).zip(&appended) {
        *slot = id;
        if id != 0 {
            chunks.add_file_ref(id);
        }
    }
    *length = if to >= last_src {
        (u64::from(covered) << CHUNK_BITS)
            .wrapping_add(src_length)
            .wrapping_sub(u64::from(from) << CHUNK_BITS)
    } else {
        u64::from(total) << CHUNK_BITS
    };
    node.mtime = ts;
    node.atime = ts;
    if let Some(s) = nodes.get_mut(src) {
        s.atime = ts;
    }
    DONE
}

/// `ROLLBACK(inode, indx, prev, id)` (§7.5): a failed write puts the previous chunk
/// back; `id` is unlocked in any case.
fn rollback(r: &mut Replay<'_, '_>, inode: u32, indx: u32, prev: u64, id: u64) -> Applied {
    let node = file_node(&mut r.image.nodes, inode, Status::EPERM)?;
    if indx > MAX_INDEX {
        return Err(Status::INDEXTOOBIG);
    }
    let (_, table) = file_data(node).ok_or(Status::EPERM)?;
    let slot = table.get_mut(indx as usize).ok_or(Status::EINVAL)?;
    let chunks = &mut r.image.chunks;
    if prev != id {
        if prev != 0 {
            chunks.add_file_ref(prev);
        }
        let _ = chunks.remove_file_ref(id);
        *slot = prev;
    }
    if let Some(c) = chunks.get_mut(id) {
        c.locked_to = 0;
    }
    DONE
}

/// The status `chunk_delete_file` gives for a reference it cannot drop.
fn ref_status(e: FileRefError) -> Status {
    match e {
        FileRefError::NoChunk => Status::NOCHUNK,
        FileRefError::NoReference => Status::CHUNKLOST,
    }
}

/// `REPAIR(inode, indx):version` (§7.5). Version 0 erases the entry; another version is
/// given to the chunk, and then the master advances the metadata version twice (once
/// in `chunk_mr_set_version`, once in `fs_mr_repair`): hence `Ok(2)`, which fails the
/// caller's version check as it fails the master's.
fn repair(r: &mut Replay<'_, '_>, ts: u32, inode: u32, indx: u32, version: u32) -> Applied {
    let node = file_node(&mut r.image.nodes, inode, Status::EPERM)?;
    if indx > MAX_INDEX {
        return Err(Status::INDEXTOOBIG);
    }
    let (_, table) = file_data(node).ok_or(Status::EPERM)?;
    let slot = table.get_mut(indx as usize).ok_or(Status::NOCHUNK)?;
    if *slot == 0 {
        return Err(Status::NOCHUNK);
    }
    let chunks = &mut r.image.chunks;
    let result = if version == 0 {
        let dropped = chunks.remove_file_ref(*slot);
        *slot = 0;
        dropped.map(|_| 1).map_err(ref_status)
    } else {
        match chunks.get_mut(*slot) {
            Some(c) => {
                c.version = version;
                Ok(2)
            }
            None => Err(Status::NOCHUNK),
        }
    };
    node.mtime = ts;
    node.ctime = ts;
    result
}

/// `SETFILECHUNK(inode, indx, id)` (§7.5): no type check in the master, which reads the
/// chunk table of whatever node it is given. For a node that has none (not a file) the
/// master reads unrelated memory; here such a node counts as having an empty table.
fn set_file_chunk(r: &mut Replay<'_, '_>, inode: u32, indx: u32, id: u64) -> Applied {
    let node = r.image.nodes.get_mut(inode).ok_or(Status::ENOENT)?;
    let NodeData::File { chunks: table, .. } = &mut node.data else {
        return Err(Status::MISMATCH);
    };
    let slot = table.get_mut(indx as usize).ok_or(Status::MISMATCH)?;
    let chunks = &mut r.image.chunks;
    if *slot != 0 {
        let _ = chunks.remove_file_ref(*slot);
    }
    *slot = id;
    if id != 0 {
        chunks.add_file_ref(id);
    }
    DONE
}

/// `CHUNKADD(id, version, lockedto)` (§7.4): a chunk record without file references.
fn chunk_add(chunks: &mut ChunkTable, ts: u32, id: u64, version: u32, locked_to: u32) -> Applied {
    if chunks.contains(id) {
        return Err(Status::CHUNKEXIST);
    }
    let next = chunks.next_chunk_id();
    if id > next.wrapping_add(CHUNKADD_MAX_AHEAD) {
        return Err(Status::MISMATCH);
    }
    if id >= next {
        chunks.set_next_chunk_id(id.wrapping_add(1));
    }
    // Checked after the counter moved: a refused line leaves it moved.
    if locked_to != 0 && locked_to < ts {
        return Err(Status::MISMATCH);
    }
    chunks.insert(id, version, locked_to, 0);
    DONE
}

/// `CHUNKDEL(id, version)` (§7.4). (The master also refuses a chunk that has copies on
/// chunk servers; a restore knows of none.)
fn chunk_del(chunks: &mut ChunkTable, ts: u32, id: u64, version: u32) -> Applied {
    let c = chunks.get(id).ok_or(Status::NOCHUNK)?;
    if c.version != version {
        return Err(Status::WRONGVERSION);
    }
    if c.fcount != 0 {
        return Err(Status::ACTIVE);
    }
    if c.locked_to >= ts {
        return Err(Status::LOCKED);
    }
    chunks.remove(id);
    DONE
}

/// `ARCHCHG(inode, uid, cmd):changed,notchanged,notpermitted` (§7.7): sets (cmd 1) or
/// clears (any other cmd) the archive flag of every chunk of the files at or under
/// `inode`. Directories are always descended into; a file with several names is
/// visited once per name. The counts do not depend on the visiting order (a chunk
/// changes at most once), so the walk uses a plain stack.
fn arch_change(
    r: &mut Replay<'_, '_>,
    ts: u32,
    inode: u32,
    uid: u32,
    cmd: u8,
    expected: (u64, u64, u32),
) -> Applied {
    let start = r.image.nodes.get(inode).ok_or(Status::ENOENT)?;
    let start_type = start.node_type;
    if !start_type.has_storage_class() {
        return Err(Status::EPERM);
    }
    let flag = u8::from(cmd == ARCHCTL_SET);
    let (mut changed, mut not_changed, mut not_permitted) = (0u64, 0u64, 0u32);
    let image = &mut *r.image;
    let mut stack = vec![inode];
    while let Some(at) = stack.pop() {
        let Some(node) = image.nodes.get_mut(at) else {
            continue;
        };
        match &node.data {
            NodeData::Directory { children } if node.node_type == NodeType::Directory => {
                stack.extend(image.edges.iter_list(*children).map(|(_, e)| e.child));
            }
            NodeData::File { chunks: table, .. } if node.node_type.is_file_like() => {
                let owner_ok = node.eattr & eattr::NOOWNER != 0 || uid == 0 || uid == node.uid;
                if !owner_ok || node.eattr & eattr::IMMUTABLE != 0 {
                    not_permitted = not_permitted.wrapping_add(1);
                    continue;
                }
                // Per file in 32 bits, as the master counts.
                let (mut all, mut flipped) = (0u32, 0u32);
                for &id in table.iter().filter(|&&id| id != 0) {
                    all = all.wrapping_add(1);
                    if let Some(c) = image.chunks.get_mut(id) {
                        if c.arch_flag != flag {
                            c.arch_flag = flag;
                            flipped = flipped.wrapping_add(1);
                        }
                    }
                }
                changed = changed.wrapping_add(u64::from(flipped));
                not_changed = not_changed.wrapping_add(u64::from(all.wrapping_sub(flipped)));
                if cmd == ARCHCTL_CLR {
                    node.ctime = ts;
                }
            }
            _ => {}
        }
    }
    if start_type != NodeType::Directory && not_permitted > 0 && changed == 0 && not_changed == 0 {
        return Err(Status::EPERM);
    }
    if (changed, not_changed, not_permitted) != expected {
        return Err(Status::MISMATCH);
    }
    DONE
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use bumpalo::Bump;

    use super::*;
    use crate::format::changelog::parse_line;
    use crate::model::image::Image;
    use crate::model::namespace::NewNode;
    use crate::replay::apply as replay;

    /// Time of the start image and of the nodes the tests make.
    const T0: u32 = 1_000;
    const MIB64: u64 = 1 << CHUNK_BITS;

    /// An image with files to work on, and the arena of the lines applied to it.
    struct Fs<'a> {
        image: Image<'a>,
        arena: &'a Bump,
        /// Whether every chunk-table entry holds a reference. A test clears it once an
        /// entry names a chunk that did not exist when it was set (the master keeps
        /// such an entry without a reference, and the counts are then lower).
        exact_refs: bool,
    }

    impl<'a> Fs<'a> {
        /// The root (1), and as many files (2, 3, …; uid 1000 + k) as `files` names.
        fn new(arena: &'a Bump, files: &[&'static str]) -> Self {
            let mut image = Image::new_empty(T0);
            image.prepare_replay();
            for (k, name) in files.iter().enumerate() {
                let uid = 1000 + k as u32;
                image.create_node(T0, 1, name.as_bytes(), NewNode::File, 0o644, 0, uid, uid);
            }
            Fs {
                image,
                arena,
                exact_refs: true,
            }
        }

        /// Applies `body` (`ts|OP(...)...`) and checks the chunk references.
        fn run(&mut self, body: &str) -> Applied {
            let text = self.arena.alloc_str(&format!("1: {body}"));
            let line = parse_line(text.as_bytes()).unwrap();
            let mut r = Replay {
                image: &mut self.image,
                arena: self.arena,
            };
            let result = replay(&mut r, line.ts, &line.op);
            self.check_refs();
            result
        }

        /// [`Fs::run`] that must succeed with one version increment.
        fn ok(&mut self, body: &str) {
            assert_eq!(self.run(body), Ok(1), "{body}");
        }

        fn node(&self, inode: u32) -> &Node<'a> {
            self.image.nodes.get(inode).unwrap()
        }

        fn table(&self, inode: u32) -> Vec<u64> {
            match &self.node(inode).data {
                NodeData::File { chunks, .. } => chunks.to_vec(),
                _ => panic!("not a file"),
            }
        }

        fn length(&self, inode: u32) -> u64 {
            match self.node(inode).data {
                NodeData::File { length, .. } => length,
                _ => panic!("not a file"),
            }
        }

        fn chunk(&self, id: u64) -> ChunkEntry {
            *self.image.chunks.get(id).unwrap()
        }

        fn times(&self, inode: u32) -> (u32, u32, u32) {
            let n = self.node(inode);
            (n.atime, n.mtime, n.ctime)
        }

        /// Every chunk's `fcount` is its number of entries in file chunk tables (at most
        /// that when `exact_refs` is off).
        fn check_refs(&self) {
            let mut uses: HashMap<u64, u32> = HashMap::new();
            for (_, node) in self.image.nodes.iter() {
                if let NodeData::File { chunks, .. } = &node.data {
                    for &id in chunks.iter().filter(|&&id| id != 0) {
                        *uses.entry(id).or_default() += 1;
                    }
                }
            }
            for (id, c) in self.image.chunks.iter() {
                let uses = uses.get(&id).copied().unwrap_or(0);
                if self.exact_refs {
                    assert_eq!(c.fcount, uses, "fcount of chunk {id}");
                } else {
                    assert!(c.fcount <= uses, "fcount of chunk {id}");
                }
            }
        }
    }

    #[test]
    fn write_makes_a_chunk_then_reuses_it() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &["a"]);
        fs.ok("10|WRITE(2,0,1,1):1");
        assert_eq!(fs.table(2), [1]);
        assert_eq!(fs.length(2), 0);
        assert_eq!(fs.chunk(1).version, 1);
        assert_eq!(fs.chunk(1).locked_to, 130);
        assert_eq!(fs.image.chunks.next_chunk_id(), 2);
        assert_eq!(fs.times(2), (T0, 10, 10));
        // Only user: same chunk; opflag 1 raises the version, opflag 0 does not.
        fs.ok("20|WRITE(2,0,1,0):1");
        assert_eq!((fs.chunk(1).version, fs.chunk(1).locked_to), (2, 140));
        assert_eq!(fs.times(2), (T0, 10, 10));
        fs.ok("30|WRITE(2,0,0,1):1");
        assert_eq!(fs.chunk(1).version, 2);
        assert_eq!(fs.times(2), (T0, 30, 30));
        // Legacy forms: opflag and canmodmtime 1.
        fs.ok("40|WRITE(2,0):1");
        fs.ok("50|WRITE(2,0,1):1");
        assert_eq!(fs.chunk(1).version, 4);
        assert_eq!(fs.times(2), (T0, 50, 50));
        assert_eq!(fs.image.chunks.next_chunk_id(), 2);
    }

    #[test]
    fn write_grows_the_table_and_the_length_to_the_chunk_start() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &["a"]);
        fs.image.nodes.get_mut(2).unwrap().eattr = eattr::SNAPSHOT | eattr::NOOWNER;
        fs.ok("10|WRITE(2,3,1,1):1");
        assert_eq!(fs.table(2), [0, 0, 0, 1]);
        assert_eq!(fs.length(2), 3 * MIB64);
        assert_eq!(fs.node(2).eattr, eattr::NOOWNER);
        fs.ok("11|LENGTH(2,1000000000,1)");
        fs.ok("12|WRITE(2,1,1,1):2");
        assert_eq!(fs.table(2), [0, 2, 0, 1]);
        assert_eq!(fs.length(2), 1_000_000_000);
    }

    #[test]
    fn write_checks_in_the_masters_order() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &["a", "b", "c"]);
        fs.image
            .create_node(T0, 1, b"d", NewNode::Directory, 0o755, 0, 0, 0);
        assert_eq!(fs.run("10|WRITE(9,0,1,1):1"), Err(Status::ENOENT));
        assert_eq!(fs.run("10|WRITE(5,0,1,1):1"), Err(Status::EPERM));
        assert_eq!(fs.run("10|WRITE(5,2147483648,1,1):1"), Err(Status::EPERM));
        assert_eq!(
            fs.run("10|WRITE(2,2147483648,1,1):1"),
            Err(Status::INDEXTOOBIG)
        );
        // A new chunk must have the next id; the table has grown all the same.
        assert_eq!(fs.run("10|WRITE(2,2,1,1):5"), Err(Status::MISMATCH));
        assert_eq!(fs.table(2), [0, 0, 0]);
        assert_eq!(fs.length(2), 0);
        assert_eq!(fs.times(2), (T0, T0, T0));
        assert_eq!(fs.image.chunks.next_chunk_id(), 1);
        // Only user: the line must name it.
        fs.ok("11|WRITE(2,0,1,1):1");
        assert_eq!(fs.run("12|WRITE(2,0,1,1):2"), Err(Status::MISMATCH));
        assert_eq!(fs.chunk(1).version, 1);
        // Shared: the line must name the next id.
        fs.ok("13|APPEND(3,2)");
        fs.ok("13|LENGTH(2,10,1)");
        fs.ok("13|APPEND(3,2)");
        assert_eq!(fs.chunk(1).fcount, 2);
        assert_eq!(fs.run("14|WRITE(3,0,1,1):1"), Err(Status::MISMATCH));
        assert_eq!(fs.chunk(1).fcount, 2);
        assert_eq!(fs.image.chunks.next_chunk_id(), 2);
        // A missing chunk, and one without references (an entry naming a chunk that
        // did not exist has no reference).
        fs.ok("16|WRITE(4,1,1,1):2");
        fs.ok("17|SETFILECHUNK(4,0,50)");
        fs.exact_refs = false;
        assert_eq!(fs.run("18|WRITE(4,0,1,1):50"), Err(Status::NOCHUNK));
        fs.ok("19|CHUNKADD(50,1,0)");
        assert_eq!(fs.run("20|WRITE(4,0,1,1):50"), Err(Status::CHUNKLOST));
    }

    #[test]
    fn write_copies_a_shared_chunk() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &["a", "b"]);
        fs.ok("10|WRITE(2,0,1,1):1");
        fs.ok("11|LENGTH(2,100,1)");
        fs.ok("12|UNLOCK(1)");
        fs.ok("13|APPEND(3,2,0,0)");
        assert_eq!(fs.table(3), [1]);
        assert_eq!(fs.chunk(1).fcount, 2);
        fs.ok("14|WRITE(3,0,0,1):2");
        assert_eq!(fs.table(3), [2]);
        assert_eq!(fs.table(2), [1]);
        assert_eq!((fs.chunk(1).fcount, fs.chunk(1).locked_to), (1, 0));
        assert_eq!((fs.chunk(2).version, fs.chunk(2).locked_to), (1, 134));
        assert_eq!(fs.image.chunks.next_chunk_id(), 3);
        // The same chunk twice in one file is shared too.
        fs.ok("15|WRITE(3,1,1,1):3");
        fs.ok("16|SETFILECHUNK(3,1,2)");
        assert_eq!(fs.table(3), [2, 2]);
        assert_eq!(fs.chunk(2).fcount, 2);
        fs.ok("17|WRITE(3,1,1,1):4");
        assert_eq!(fs.table(3), [2, 4]);
    }

    #[test]
    fn length_drops_chunks_past_the_end() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &["a"]);
        for (k, id) in (0..4).zip(1..) {
            fs.ok(&format!("10|WRITE(2,{k},1,1):{id}"));
        }
        fs.image.nodes.get_mut(2).unwrap().eattr = eattr::SNAPSHOT;
        fs.ok("20|LENGTH(2,134217729,0)");
        assert_eq!(fs.table(2), [1, 2, 3]);
        assert_eq!(fs.chunk(4).fcount, 0);
        assert_eq!(fs.length(2), 134_217_729);
        assert_eq!(fs.node(2).eattr, 0);
        assert_eq!(fs.times(2), (T0, 10, 10));
        // Exactly two chunks.
        fs.ok("21|LENGTH(2,134217728)");
        assert_eq!(fs.table(2), [1, 2]);
        assert_eq!(fs.times(2), (T0, 21, 21));
        // A longer length does not grow the table.
        fs.ok("22|LENGTH(2,1000000000000,1)");
        assert_eq!(fs.table(2), [1, 2]);
        fs.ok("23|LENGTH(2,0,1)");
        assert!(fs.table(2).is_empty());
        assert_eq!(fs.chunk(1).fcount, 0);
        // The chunk count is a 32-bit number in the master: 2^58 bytes make 2^32
        // chunks, that is 0.
        fs.ok("24|WRITE(2,0,1,1):5");
        fs.ok("25|LENGTH(2,288230376151711744,1)");
        assert!(fs.table(2).is_empty());
        assert_eq!(fs.length(2), 1 << 58);
        // Checks.
        assert_eq!(fs.run("26|LENGTH(7,0,1)"), Err(Status::ENOENT));
        assert_eq!(fs.run("26|LENGTH(1,0,1)"), Err(Status::EINVAL));
    }

    #[test]
    fn trunc_bumps_a_private_chunk_and_copies_a_shared_one() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &["a", "b"]);
        fs.ok("10|WRITE(2,0,1,1):1");
        fs.ok("11|WRITE(2,2,1,1):2");
        fs.ok("12|UNLOCK(1)");
        fs.ok("13|TRUNC(2,0):1");
        assert_eq!((fs.chunk(1).version, fs.chunk(1).locked_to), (2, 133));
        assert_eq!(fs.times(2), (T0, 11, 11));
        fs.ok("14|LENGTH(2,200000000,0)");
        fs.ok("15|APPEND(3,2)");
        fs.ok("16|TRUNC(3,2):3");
        assert_eq!(fs.table(3), [1, 0, 3]);
        assert_eq!(fs.chunk(2).fcount, 1);
        assert_eq!((fs.chunk(3).version, fs.chunk(3).locked_to), (1, 136));
        // Checks, in order.
        assert_eq!(fs.run("20|TRUNC(9,0):1"), Err(Status::ENOENT));
        assert_eq!(fs.run("20|TRUNC(1,0):1"), Err(Status::EINVAL));
        assert_eq!(fs.run("20|TRUNC(2,2147483648):1"), Err(Status::INDEXTOOBIG));
        assert_eq!(fs.run("20|TRUNC(2,3):1"), Err(Status::EINVAL));
        assert_eq!(fs.run("20|TRUNC(2,1):1"), Err(Status::NOCHUNK));
        assert_eq!(fs.run("20|TRUNC(2,2):4"), Err(Status::MISMATCH));
        assert_eq!(fs.run("20|TRUNC(2,0):5"), Err(Status::MISMATCH));
        fs.ok("21|SETFILECHUNK(2,1,9)");
        fs.exact_refs = false;
        assert_eq!(fs.run("22|TRUNC(2,1):9"), Err(Status::NOCHUNK));
        fs.ok("23|CHUNKADD(9,1,0)");
        assert_eq!(fs.run("24|TRUNC(2,1):9"), Err(Status::CHUNKLOST));
        assert_eq!(fs.chunk(1).version, 2);
        assert_eq!(fs.image.chunks.next_chunk_id(), 10);
    }

    #[test]
    fn chunk_records() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &["a"]);
        assert_eq!(fs.run("10|UNLOCK(1)"), Err(Status::NOCHUNK));
        assert_eq!(fs.run("10|SETVERSION(1,5)"), Err(Status::NOCHUNK));
        assert_eq!(fs.run("10|INCVERSION(1)"), Err(Status::NOCHUNK));
        fs.ok("10|CHUNKADD(5,7,0)");
        assert_eq!(fs.image.chunks.next_chunk_id(), 6);
        fs.ok("10|CHUNKADD(3,1,10)");
        assert_eq!(fs.image.chunks.next_chunk_id(), 6);
        assert_eq!(fs.chunk(3).locked_to, 10);
        assert_eq!(fs.run("11|CHUNKADD(3,1,0)"), Err(Status::CHUNKEXIST));
        // At most 10^9 ahead.
        assert_eq!(fs.run("11|CHUNKADD(1000000007,1,0)"), Err(Status::MISMATCH));
        fs.ok("11|CHUNKADD(1000000006,1,0)");
        assert_eq!(fs.image.chunks.next_chunk_id(), 1_000_000_007);
        // A lock time in the past fails after the counter moved.
        assert_eq!(
            fs.run("11|CHUNKADD(1000000100,1,10)"),
            Err(Status::MISMATCH)
        );
        assert!(!fs.image.chunks.contains(1_000_000_100));
        assert_eq!(fs.image.chunks.next_chunk_id(), 1_000_000_101);
        fs.ok("11|SETVERSION(5,4294967295)");
        fs.ok("11|INCVERSION(5)");
        assert_eq!(fs.chunk(5).version, 0);
        fs.ok("11|UNLOCK(3)");
        assert_eq!(fs.chunk(3).locked_to, 0);
        // NEXTCHUNKID only moves forward.
        assert_eq!(fs.run("12|NEXTCHUNKID(1000000101)"), Err(Status::MISMATCH));
        fs.ok("12|NEXTCHUNKID(1000000102)");
        // CHUNKDEL: exists, version, no references, not locked.
        assert_eq!(fs.run("20|CHUNKDEL(4,1)"), Err(Status::NOCHUNK));
        assert_eq!(fs.run("20|CHUNKDEL(5,1)"), Err(Status::WRONGVERSION));
        fs.ok("20|WRITE(2,0,1,1):1000000102");
        fs.ok("20|UNLOCK(1000000102)");
        assert_eq!(fs.run("20|CHUNKDEL(1000000102,1)"), Err(Status::ACTIVE));
        fs.ok("20|CHUNKADD(7,1,30)");
        assert_eq!(fs.run("30|CHUNKDEL(7,1)"), Err(Status::LOCKED));
        fs.ok("31|CHUNKDEL(7,1)");
        fs.ok("31|CHUNKDEL(5,0)");
        assert!(!fs.image.chunks.contains(5));
    }

    #[test]
    fn chunkadd_limit_wraps_like_the_master() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &[]);
        fs.ok("10|NEXTCHUNKID(18446744073709551610)");
        // next + 10^9 wraps around: small ids pass the check again.
        fs.ok("10|CHUNKADD(3,1,0)");
        assert_eq!(fs.image.chunks.next_chunk_id(), u64::MAX - 5);
        // ... and ids just above the counter fail it.
        assert_eq!(
            fs.run("10|CHUNKADD(18446744073709551615,1,0)"),
            Err(Status::MISMATCH)
        );
    }

    #[test]
    fn append_places_the_slice_after_the_covered_chunks() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &["src", "dst"]);
        for k in 0..4 {
            fs.ok(&format!("10|WRITE(2,{k},1,1):{}", k + 1));
        }
        fs.ok("11|LENGTH(2,201326693,1)");
        // Whole file (legacy form) onto an empty file.
        fs.ok("20|APPEND(3,2)");
        assert_eq!(fs.table(3), [1, 2, 3, 4]);
        assert_eq!(fs.length(3), 201_326_693);
        assert_eq!(fs.times(3), (20, 20, T0));
        assert_eq!(fs.times(2), (20, 11, 11));
        // The tail slice: length = covered chunks + the source's rest.
        fs.ok("21|LENGTH(3,100,1)");
        fs.ok("22|APPEND(3,2,2,3)");
        assert_eq!(fs.table(3), [1, 3, 4]);
        assert_eq!(fs.length(3), MIB64 + 201_326_693 - 2 * MIB64);
        // An inner slice: whole chunks.
        fs.ok("23|APPEND(3,2,1,1)");
        assert_eq!(fs.table(3), [1, 3, 4, 2]);
        assert_eq!(fs.length(3), 4 * MIB64);
        // Entries past the covered chunks are dropped first.
        fs.ok("24|WRITE(3,6,1,1):5");
        fs.ok("25|APPEND(3,2,0,0)");
        assert_eq!(fs.table(3), [1, 3, 4, 2, 0, 0, 1]);
        assert_eq!(fs.chunk(5).fcount, 0);
        assert_eq!(fs.length(3), 7 * MIB64);
        // Holes of the source are copied as holes, also past its table.
        fs.ok("26|SETFILECHUNK(2,1,0)");
        fs.ok("27|LENGTH(2,600000000,1)");
        fs.ok("28|LENGTH(3,0,1)");
        fs.ok("29|APPEND(3,2,1,8)");
        assert_eq!(fs.table(3), [0, 3, 4, 0, 0, 0, 0, 0]);
        assert_eq!(fs.length(3), 600_000_000 - MIB64);
        // An empty source: nothing happens, not even times.
        fs.image
            .create_node(T0, 1, b"empty", NewNode::File, 0o644, 0, 0, 0);
        fs.ok("30|APPEND(3,4,5,9)");
        assert_eq!(fs.times(3), (29, 29, 28));
        // Checks.
        fs.image
            .create_node(T0, 1, b"d", NewNode::Directory, 0o755, 0, 0, 0);
        assert_eq!(fs.run("40|APPEND(3,3,0,0)"), Err(Status::EINVAL));
        assert_eq!(fs.run("40|APPEND(3,9,0,0)"), Err(Status::ENOENT));
        assert_eq!(fs.run("40|APPEND(9,2,0,0)"), Err(Status::ENOENT));
        assert_eq!(fs.run("40|APPEND(3,5,0,0)"), Err(Status::EPERM));
        assert_eq!(fs.run("40|APPEND(5,2,0,0)"), Err(Status::EPERM));
        assert_eq!(fs.run("40|APPEND(3,2,0,9)"), Err(Status::EINVAL));
        assert_eq!(fs.run("40|APPEND(3,2,9,9)"), Err(Status::EINVAL));
        assert_eq!(fs.run("40|APPEND(3,2,3,2)"), Err(Status::EINVAL));
        fs.ok("41|LENGTH(3,144115188075855872,1)");
        assert_eq!(fs.run("42|APPEND(3,2,0,0)"), Err(Status::INDEXTOOBIG));
    }

    #[test]
    fn rollback_puts_the_previous_chunk_back() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &["a", "b"]);
        fs.ok("10|WRITE(2,0,1,1):1");
        fs.ok("11|LENGTH(2,10,1)");
        fs.ok("12|APPEND(3,2)");
        fs.ok("13|WRITE(3,0,1,1):2");
        fs.ok("14|ROLLBACK(3,0,1,2)");
        assert_eq!(fs.table(3), [1]);
        assert_eq!((fs.chunk(1).fcount, fs.chunk(2).fcount), (2, 0));
        assert_eq!(fs.chunk(2).locked_to, 0);
        assert_eq!(fs.times(3), (12, 13, 13));
        // Same chunk: only unlocked.
        assert_eq!(fs.chunk(1).locked_to, 130);
        fs.ok("15|ROLLBACK(2,0,1,1)");
        assert_eq!(fs.chunk(1).locked_to, 0);
        // Back to a hole.
        fs.ok("16|ROLLBACK(2,0,0,1)");
        assert_eq!(fs.table(2), [0]);
        assert_eq!(fs.chunk(1).fcount, 1);
        assert_eq!(fs.run("17|ROLLBACK(9,0,0,1)"), Err(Status::ENOENT));
        assert_eq!(fs.run("17|ROLLBACK(1,0,0,1)"), Err(Status::EPERM));
        assert_eq!(
            fs.run("17|ROLLBACK(2,2147483648,0,1)"),
            Err(Status::INDEXTOOBIG)
        );
        assert_eq!(fs.run("17|ROLLBACK(2,1,0,1)"), Err(Status::EINVAL));
    }

    #[test]
    fn repair_erases_or_sets_the_version() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &["a"]);
        fs.ok("10|WRITE(2,0,1,1):1");
        fs.ok("10|WRITE(2,1,1,1):2");
        fs.ok("10|WRITE(2,3,1,1):3");
        fs.ok("20|REPAIR(2,0):0");
        assert_eq!(fs.table(2), [0, 2, 0, 3]);
        assert_eq!(fs.chunk(1).fcount, 0);
        assert_eq!(fs.times(2), (T0, 20, 20));
        // A version: set, and the master's version counter moves twice.
        assert_eq!(fs.run("21|REPAIR(2,1):7"), Ok(2));
        assert_eq!(fs.chunk(2).version, 7);
        assert_eq!(fs.times(2), (T0, 21, 21));
        // Chunk step failures come after the entry and the times changed.
        fs.ok("22|SETFILECHUNK(2,1,50)");
        fs.exact_refs = false;
        assert_eq!(fs.run("23|REPAIR(2,1):7"), Err(Status::NOCHUNK));
        assert_eq!(fs.times(2), (T0, 23, 23));
        assert_eq!(fs.run("24|REPAIR(2,1):0"), Err(Status::NOCHUNK));
        assert_eq!(fs.table(2), [0, 0, 0, 3]);
        assert_eq!(fs.times(2), (T0, 24, 24));
        fs.ok("25|SETFILECHUNK(2,1,50)");
        fs.ok("25|CHUNKADD(50,1,0)");
        assert_eq!(fs.run("26|REPAIR(2,1):0"), Err(Status::CHUNKLOST));
        assert_eq!(fs.table(2), [0, 0, 0, 3]);
        // Checks before that.
        assert_eq!(fs.run("30|REPAIR(9,0):0"), Err(Status::ENOENT));
        assert_eq!(fs.run("30|REPAIR(1,0):0"), Err(Status::EPERM));
        assert_eq!(
            fs.run("30|REPAIR(2,2147483648):0"),
            Err(Status::INDEXTOOBIG)
        );
        assert_eq!(fs.run("30|REPAIR(2,4):0"), Err(Status::NOCHUNK));
        assert_eq!(fs.run("30|REPAIR(2,2):0"), Err(Status::NOCHUNK));
        assert_eq!(fs.times(2), (T0, 26, 26));
    }

    #[test]
    fn set_file_chunk_moves_references() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &["a"]);
        fs.image
            .create_node(T0, 1, b"d", NewNode::Directory, 0o755, 0, 0, 0);
        fs.ok("10|WRITE(2,1,1,1):1");
        fs.ok("10|CHUNKADD(7,1,0)");
        fs.ok("11|SETFILECHUNK(2,0,7)");
        fs.ok("11|SETFILECHUNK(2,1,7)");
        assert_eq!(fs.table(2), [7, 7]);
        assert_eq!((fs.chunk(1).fcount, fs.chunk(7).fcount), (0, 2));
        // A missing chunk is named without a reference.
        fs.ok("11|SETFILECHUNK(2,1,8)");
        assert_eq!(fs.table(2), [7, 8]);
        fs.ok("11|SETFILECHUNK(2,1,0)");
        assert_eq!(fs.times(2), (T0, 10, 10));
        assert_eq!(fs.run("12|SETFILECHUNK(9,0,0)"), Err(Status::ENOENT));
        assert_eq!(fs.run("12|SETFILECHUNK(2,2,0)"), Err(Status::MISMATCH));
        assert_eq!(fs.run("12|SETFILECHUNK(3,0,0)"), Err(Status::MISMATCH));
    }

    #[test]
    fn archive_flags_count_each_change_once() {
        let arena = Bump::new();
        let mut fs = Fs::new(&arena, &["a", "b"]);
        let d = fs
            .image
            .create_node(T0, 1, b"d", NewNode::Directory, 0o755, 0, 0, 0);
        let c = fs
            .image
            .create_node(T0, d, b"c", NewNode::File, 0o644, 0, 1000, 0);
        // a also in d: visited twice.
        fs.image.link(T0, d, 2, b"a2");
        // a (uid 1000) = [1, hole, 2], b (uid 1001) = [1], c (uid 1000) = [3].
        fs.ok("10|WRITE(2,0,1,1):1");
        fs.ok("10|WRITE(2,2,1,1):2");
        fs.ok("10|LENGTH(3,1,1)");
        fs.ok("10|APPEND(3,2,0,0)");
        fs.ok("10|WRITE(5,0,1,1):3");
        fs.ok("20|ARCHCHG(1,1000,1):3,2,1");
        assert_eq!(fs.chunk(1).arch_flag, 1);
        assert_eq!(fs.chunk(3).arch_flag, 1);
        assert_eq!(fs.times(2).2, 10);
        // Clearing sets ctime of the permitted files.
        fs.ok("21|ARCHCHG(3,0,0):1,0,0");
        assert_eq!(fs.chunk(1).arch_flag, 0);
        assert_eq!(fs.times(3).2, 21);
        assert_eq!(fs.run("22|ARCHCHG(3,1000,0):0,0,1"), Err(Status::EPERM));
        fs.image.nodes.get_mut(3).unwrap().eattr = eattr::NOOWNER;
        fs.ok("23|ARCHCHG(3,1000,7):0,1,0");
        assert_eq!(fs.times(3).2, 21);
        fs.image.nodes.get_mut(c).unwrap().eattr = eattr::IMMUTABLE;
        // d holds c (immutable now) and a (its chunk 1 is clear already).
        fs.ok("24|ARCHCHG(4,0,0):1,1,1");
        assert_eq!(fs.times(c).2, 10);
        assert_eq!(fs.times(2).2, 24);
        // A directory with only not permitted files is no error.
        fs.ok("25|ARCHCHG(4,5,0):0,0,2");
        // Counts that differ: the flags have changed anyway.
        assert_eq!(fs.run("26|ARCHCHG(1,0,1):0,0,0"), Err(Status::MISMATCH));
        assert_eq!(fs.chunk(1).arch_flag, 1);
        assert_eq!(fs.run("27|ARCHCHG(9,0,1):0,0,0"), Err(Status::ENOENT));
        let s = fs
            .image
            .create_node(T0, 1, b"s", NewNode::Symlink { path: b"x" }, 0o777, 0, 0, 0);
        assert_eq!(
            fs.run(&format!("27|ARCHCHG({s},0,1):0,0,0")),
            Err(Status::EPERM)
        );
    }
}
