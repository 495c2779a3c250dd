//! The file system the generator builds, change by change, and the changelog lines
//! the master would log for each change.
//!
//! Invariants that keep every line acceptable to `mfsmaster -a restore`:
//! * inodes are never reused (no `FREEINODES`), so a new node gets `max_inode + 1`;
//! * chunks are never shared (no `SNAPSHOT`/`APPEND`), so `WRITE` to an existing
//!   chunk keeps its id, `TRUNC` returns it, and a new chunk gets `next_chunk_id`;
//! * a file's chunk slots `0..chunks` are all used, later slots are empty;
//! * every `WRITE`/`TRUNC` is followed by `UNLOCK` of its chunk;
//! * names are unique in the whole tree (a global counter), so no `EEXIST`.

use std::io;

use super::rng::Rng;
use super::sink::{ChunkWrite, CreateKind, Name, Sink};
use super::writer::{ChangelogWriter, GID, UID};

/// MooseFS chunk size (64 MiB).
const CHUNK_SIZE: u64 = 1 << 26;
const ROOT: u32 = 1;
/// Mean lines per second of the simulated master.
const LINES_PER_TICK: u32 = 200;

#[derive(Clone, Copy, Default)]
struct FileState {
    /// Id of the chunk in slot 0 (0 = none).
    chunk0: u64,
    length: u64,
    /// Used chunk slots: `0..chunks`.
    chunks: u32,
    nlink: u32,
}

/// One directory entry the workload may act on (files and symlinks).
#[derive(Clone, Copy)]
struct Entry {
    parent: u32,
    inode: u32,
    /// Name = prefix letter + number.
    prefix: u8,
    number: u64,
    symlink: bool,
}

/// The simulated namespace and counters.
pub struct Workload {
    rng: Rng,
    max_inode: u32,
    next_chunk_id: u64,
    next_session: u64,
    names: u64,
    dirs: Vec<u32>,
    entries: Vec<Entry>,
    files: Vec<FileState>,
    /// Open files `(session, inode)`, oldest first.
    open: std::collections::VecDeque<(u64, u32)>,
    lines_in_tick: u32,
}

impl Workload {
    pub fn new(seed: u64) -> Self {
        Workload {
            rng: Rng::new(seed),
            max_inode: ROOT,
            next_chunk_id: 1,
            next_session: 1,
            names: 0,
            dirs: vec![ROOT],
            entries: Vec::new(),
            files: vec![FileState::default(); 2],
            open: std::collections::VecDeque::new(),
            lines_in_tick: 0,
        }
    }

    /// Advances the clock for the next change: one second every [`LINES_PER_TICK`].
    fn tick<'s, S: Sink>(&mut self, s: &'s mut S) -> &'s mut S {
        self.lines_in_tick += 1;
        if self.lines_in_tick >= LINES_PER_TICK {
            self.lines_in_tick = 0;
            s.clock().ts += 1;
        }
        s
    }

    /// Starts a line of an operation only the changelog carries (see [`Self::tick`]).
    fn begin<'w>(
        &mut self,
        w: &'w mut ChangelogWriter,
        op: &str,
    ) -> io::Result<&'w mut ChangelogWriter> {
        self.tick(w).begin(op)
    }

    fn new_inode(&mut self) -> u32 {
        self.max_inode += 1;
        self.files.push(FileState::default());
        self.max_inode
    }

    fn fresh_name(&mut self) -> u64 {
        self.names += 1;
        self.names
    }

    /// A new session (a mount from 127.0.0.1).
    fn session<S: Sink>(&mut self, s: &mut S) -> io::Result<()> {
        let id = self.next_session;
        self.next_session += 1;
        self.tick(s).session(id)
    }

    fn mkdir<S: Sink>(&mut self, s: &mut S, parent: u32) -> io::Result<u32> {
        let inode = self.new_inode();
        let number = self.fresh_name();
        let name = Name {
            prefix: b'd',
            number,
        };
        self.tick(s)
            .create(parent, name, CreateKind::Directory, inode)?;
        self.dirs.push(inode);
        Ok(inode)
    }

    /// `CREATE` of a regular file, `ACQUIRE` by a session if `open`, data in `chunks`
    /// chunks.
    fn create_file<S: Sink>(
        &mut self,
        s: &mut S,
        parent: u32,
        chunks: u32,
        open: bool,
    ) -> io::Result<()> {
        let inode = self.new_inode();
        let number = self.fresh_name();
        let name = Name {
            prefix: b'f',
            number,
        };
        self.tick(s).create(parent, name, CreateKind::File, inode)?;
        self.files[inode as usize].nlink = 1;
        self.entries.push(Entry {
            parent,
            inode,
            prefix: b'f',
            number,
            symlink: false,
        });
        if open {
            self.acquire(s, inode)?;
        }
        let mut index = 0;
        while index < chunks {
            index += 1;
            self.append_chunk(s, inode, index == chunks)?;
        }
        Ok(())
    }

    /// `ACQUIRE` by a random session; past 64 open files the oldest is `RELEASE`d.
    fn acquire<S: Sink>(&mut self, s: &mut S, inode: u32) -> io::Result<()> {
        let session = 1 + self.rng.below(self.next_session - 1);
        self.tick(s).acquire(session, inode)?;
        self.open.push_back((session, inode));
        if self.open.len() > 64 {
            if let Some((session, inode)) = self.open.pop_front() {
                self.tick(s).release(session, inode)?;
            }
        }
        Ok(())
    }

    /// `WRITE` of a new chunk after the file's last one, `LENGTH` (when `last`: a
    /// sequential writer reports the length once, at the end), `UNLOCK`.
    fn append_chunk<S: Sink>(&mut self, s: &mut S, inode: u32, last: bool) -> io::Result<()> {
        let f = self.files[inode as usize];
        let index = f.chunks;
        let id = self.next_chunk_id;
        self.next_chunk_id += 1;
        self.tick(s)
            .write_chunk(inode, index, ChunkWrite::New, id)?;
        let base = u64::from(index) * CHUNK_SIZE;
        let mut length = f.length.max(base);
        if last {
            length = length.max(base + self.tail_size());
            self.tick(s).length(inode, length, false)?;
        }
        self.tick(s).unlock(id)?;
        let f = &mut self.files[inode as usize];
        if index == 0 {
            f.chunk0 = id;
        }
        f.chunks = index + 1;
        f.length = length;
        Ok(())
    }

    /// Bytes in a file's last chunk: mostly small.
    fn tail_size(&mut self) -> u64 {
        match self.rng.below(10) {
            0..=5 => self.rng.between(1, 65536),
            6..=8 => self.rng.between(65537, 4 << 20),
            _ => self.rng.between(4 << 20, CHUNK_SIZE),
        }
    }

    fn file_chunks(&mut self) -> u32 {
        match self.rng.below(100) {
            0..=4 => 0,
            5..=74 => 1,
            75..=92 => 2,
            _ => 3,
        }
    }

    fn symlink<S: Sink>(&mut self, s: &mut S, parent: u32) -> io::Result<()> {
        let inode = self.new_inode();
        let number = self.fresh_name();
        let target = self.rng.below(self.names.max(1)) + 1;
        let name = Name {
            prefix: b's',
            number,
        };
        self.tick(s).symlink(parent, name, target, inode)?;
        self.entries.push(Entry {
            parent,
            inode,
            prefix: b's',
            number,
            symlink: true,
        });
        Ok(())
    }

    /// A random regular file's entry, if any.
    fn pick_file(&mut self) -> Option<usize> {
        if self.entries.is_empty() {
            return None;
        }
        let i = self.rng.index(self.entries.len());
        (!self.entries[i].symlink).then_some(i)
    }

    fn link<S: Sink>(&mut self, s: &mut S, parent: u32) -> io::Result<bool> {
        let Some(i) = self.pick_file() else {
            return Ok(false);
        };
        let inode = self.entries[i].inode;
        let number = self.fresh_name();
        let name = Name {
            prefix: b'h',
            number,
        };
        self.tick(s).link(inode, parent, name)?;
        self.files[inode as usize].nlink += 1;
        self.entries.push(Entry {
            parent,
            inode,
            prefix: b'h',
            number,
            symlink: false,
        });
        Ok(true)
    }

    fn setxattr<S: Sink>(&mut self, s: &mut S, inode: u32) -> io::Result<()> {
        let key = self.rng.below(4);
        let value = self.rng.next_u64() >> 16;
        self.tick(s).setxattr(inode, key, value)
    }

    fn random_dir(&mut self) -> u32 {
        self.dirs[self.rng.index(self.dirs.len())]
    }

    /// Builds a tree of about `files` entries: directories of 100–1000 entries, with
    /// symlinks (2%), hard links (2%), xattrs (5% of files) and two sessions.
    pub fn populate<S: Sink>(&mut self, w: &mut S, files: u64) -> io::Result<()> {
        self.session(w)?;
        self.session(w)?;
        let mut made = 0u64;
        while made < files {
            // Directory j hangs under directory j / 200: a wide, shallow tree.
            let parent = self.dirs[(self.dirs.len() - 1) / 200];
            let dir = self.mkdir(w, parent)?;
            let count = self.rng.between(100, 1000).min(files - made);
            for _ in 0..count {
                match self.rng.below(100) {
                    0..=1 => self.symlink(w, dir)?,
                    2..=3 if self.link(w, dir)? => {}
                    _ => {
                        let chunks = self.file_chunks();
                        let open = self.rng.below(50) == 0;
                        self.create_file(w, dir, chunks, open)?;
                        if self.rng.below(20) == 0 {
                            self.setxattr(w, self.max_inode)?;
                        }
                    }
                }
            }
            made += count;
        }
        Ok(())
    }

    /// About `ops` changes (changelog lines) of a mixed workload on the tree.
    pub fn churn(&mut self, w: &mut ChangelogWriter, ops: u64) -> io::Result<()> {
        if self.next_session == 1 {
            self.session(w)?;
        }
        if self.dirs.len() == 1 {
            self.mkdir(w, ROOT)?;
        }
        let end = w.clock.next_id.saturating_add(ops);
        while w.clock.next_id < end {
            let roll = self.rng.below(1000);
            if roll < 150 || self.entries.is_empty() {
                let dir = self.random_dir();
                let chunks = self.file_chunks();
                self.create_file(w, dir, chunks, true)?;
                continue;
            }
            if roll < 152 {
                let parent = self.random_dir();
                self.mkdir(w, parent)?;
                continue;
            }
            if roll < 153 {
                self.session(w)?;
                continue;
            }
            if roll < 170 {
                let dir = self.random_dir();
                self.symlink(w, dir)?;
                continue;
            }
            if roll < 270 {
                self.rename(w)?;
                continue;
            }
            if roll < 340 {
                self.unlink(w)?;
                continue;
            }
            let Some(i) = self.pick_file() else {
                let dir = self.random_dir();
                self.create_file(w, dir, 1, true)?;
                continue;
            };
            let inode = self.entries[i].inode;
            match roll {
                340..=369 => {
                    let dir = self.random_dir();
                    self.link(w, dir)?;
                }
                370..=519 => self.attr(w, inode)?,
                520..=589 => self.setxattr(w, inode)?,
                590..=789 => self.write(w, inode)?,
                790..=889 => self.truncate(w, inode)?,
                _ => self.grow(w, inode)?,
            }
        }
        Ok(())
    }

    fn attr(&mut self, w: &mut ChangelogWriter, inode: u32) -> io::Result<()> {
        let mode = [420u64, 384, 436, 493][self.rng.index(4)];
        let t = u64::from(w.clock.ts);
        self.begin(w, "ATTR")?
            .num(u64::from(inode))
            .and(mode)
            .and(UID)
            .and(GID)
            .and(t)
            .and(t)
            .text(b",0,0")
            .end(None)
    }

    fn rename(&mut self, w: &mut ChangelogWriter) -> io::Result<()> {
        let i = self.rng.index(self.entries.len());
        let e = self.entries[i];
        let dst = self.random_dir();
        let name = self.fresh_name();
        self.begin(w, "MOVE")?
            .num(u64::from(e.parent))
            .text(b",")
            .name(&[e.prefix], e.number)
            .and(u64::from(dst))
            .text(b",")
            .name(b"m", name)
            .end(Some(u64::from(e.inode)))?;
        self.entries[i] = Entry {
            parent: dst,
            prefix: b'm',
            number: name,
            ..e
        };
        Ok(())
    }

    /// `UNLINK`; a file's last name sends it to the trash (trash time 24 h).
    fn unlink(&mut self, w: &mut ChangelogWriter) -> io::Result<()> {
        let i = self.rng.index(self.entries.len());
        let e = self.entries.swap_remove(i);
        self.begin(w, "UNLINK")?
            .num(u64::from(e.parent))
            .text(b",")
            .name(&[e.prefix], e.number)
            .end(Some(u64::from(e.inode)))?;
        if !e.symlink {
            self.files[e.inode as usize].nlink -= 1;
        }
        Ok(())
    }

    /// Rewrites the first chunk (same id, no version change) or adds a chunk.
    fn write(&mut self, w: &mut ChangelogWriter, inode: u32) -> io::Result<()> {
        let f = self.files[inode as usize];
        // Files of up to 8 chunks grow by one; otherwise the first chunk is rewritten.
        if f.chunks == 0 || (f.chunks < 8 && self.rng.below(2) == 0) {
            return self.append_chunk(w, inode, true);
        }
        let id = f.chunk0;
        self.tick(w)
            .write_chunk(inode, 0, ChunkWrite::Rewrite, id)?;
        if f.length < CHUNK_SIZE {
            let length = f.length.max(self.tail_size());
            self.tick(w).length(inode, length, false)?;
            self.files[inode as usize].length = length;
        }
        self.tick(w).unlock(id)
    }

    /// `truncate(2)` to a length inside the first chunk (or to 0).
    fn truncate(&mut self, w: &mut ChangelogWriter, inode: u32) -> io::Result<()> {
        let f = self.files[inode as usize];
        if f.chunks == 0 || f.length == 0 {
            self.tick(w).length(inode, 0, true)?;
            let f = &mut self.files[inode as usize];
            f.length = 0;
            f.chunks = 0;
            f.chunk0 = 0;
            return Ok(());
        }
        let length = self.rng.between(1, f.length.min(CHUNK_SIZE));
        let id = f.chunk0;
        self.begin(w, "TRUNC")?
            .num(u64::from(inode))
            .text(b",0")
            .end(Some(id))?;
        self.tick(w).unlock(id)?;
        self.tick(w).length(inode, length, true)?;
        let f = &mut self.files[inode as usize];
        f.length = length;
        f.chunks = 1;
        Ok(())
    }

    /// `ftruncate(2)` that makes a file longer (a hole at the end).
    fn grow(&mut self, w: &mut ChangelogWriter, inode: u32) -> io::Result<()> {
        let f = self.files[inode as usize];
        let length = f.length + self.rng.between(1, 1 << 20);
        self.tick(w).length(inode, length, true)?;
        self.files[inode as usize].length = length;
        Ok(())
    }
}
