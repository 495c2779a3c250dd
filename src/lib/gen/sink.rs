//! Where the workload's changes go: changelog lines ([`super::writer::ChangelogWriter`])
//! or straight into a snapshot ([`super::snapshot::SnapshotBuilder`]).
//!
//! Each method is one change, that is one changelog line: it takes the id
//! [`Clock::next_id`] and the timestamp [`Clock::ts`], and moves `next_id` on by one.

use std::io;

/// The metadata version clock of the simulated master.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Clock {
    /// Id of the next change (the metadata version before it is applied).
    pub next_id: u64,
    /// Timestamp of the next change.
    pub ts: u32,
}

/// A name the generator made: `prefix` followed by the decimal `number` (only
/// characters the master does not escape, unique in the whole tree).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Name {
    pub prefix: u8,
    pub number: u64,
}

/// What a `CREATE` makes.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum CreateKind {
    /// A directory, mode 0755 after the client's umask.
    Directory,
    /// A regular file, mode 0644 after the client's umask.
    File,
}

/// How a `WRITE` gets its chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum ChunkWrite {
    /// A new chunk in an empty slot (`opflag` 1).
    New,
    /// A rewrite of the chunk already in the slot, same id and version (`opflag` 0).
    Rewrite,
}

/// The changes the workload makes; see the module doc for the clock.
pub trait Sink {
    /// The version clock (the workload advances `ts`).
    fn clock(&mut self) -> &mut Clock;
    /// `SESADD(...):id`: a mount from 127.0.0.1 gets session `id`.
    fn session(&mut self, id: u64) -> io::Result<()>;
    /// `CREATE(parent,name,type,mode,cumask,uid,gid,0):inode`.
    fn create(&mut self, parent: u32, name: Name, kind: CreateKind, inode: u32) -> io::Result<()>;
    /// `SYMLINK(parent,name,../data/f<target>,uid,gid):inode`.
    fn symlink(&mut self, parent: u32, name: Name, target: u64, inode: u32) -> io::Result<()>;
    /// `LINK(inode,parent,name)`: a hard link.
    fn link(&mut self, inode: u32, parent: u32, name: Name) -> io::Result<()>;
    /// `ACQUIRE(session,inode)`: the session opens the file.
    fn acquire(&mut self, session: u64, inode: u32) -> io::Result<()>;
    /// `RELEASE(session,inode)`: the session closes it.
    fn release(&mut self, session: u64, inode: u32) -> io::Result<()>;
    /// `WRITE(inode,index,opflag,0):chunk`: the chunk in slot `index` is written and
    /// locked (no time change: `canmodmtime` 0, as a client's sequential write logs it).
    fn write_chunk(
        &mut self,
        inode: u32,
        index: u32,
        how: ChunkWrite,
        chunk: u64,
    ) -> io::Result<()>;
    /// `LENGTH(inode,length,canmodmtime)`.
    fn length(&mut self, inode: u32, length: u64, canmodmtime: bool) -> io::Result<()>;
    /// `UNLOCK(chunk)`: the write ended.
    fn unlock(&mut self, chunk: u64) -> io::Result<()>;
    /// `SETXATTR(inode,user.k<key>,v<value>,0)`.
    fn setxattr(&mut self, inode: u32, key: u64, value: u64) -> io::Result<()>;
}
