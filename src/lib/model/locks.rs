//! flock() locks (`FLCK`) and POSIX byte-range locks (`PLCK`).
//!
//! Both tables of the master (`flocklocks.c`, `posixlocks.c`) hang per-inode records
//! in 1024 buckets, `bucket = (inode × 0x738A2379 mod 2^32) mod 1024`, chains prepended
//! to; a record is created at the first lock on its inode and keeps its place while it
//! exists. A restore never has waiting locks, so only active locks are modelled.
//!
//! * flock: an inode's active list is prepended to (newest lock first), and a load
//!   attaches each lock the same way, so load+store reverses an inode's locks.
//! * POSIX: an inode's owners are appended to (list order), each owner's ranges kept
//!   sorted by start, merged as the master merges them.
//!
//! Load rules (`flock_load` / `posix_lock_load`, without `-i`): a lock on a (session,
//! inode) pair that is not open is fatal; a flock that conflicts with the active locks
//! (the newest one or the new one exclusive) is fatal. POSIX records are read as
//! runs: a new inode starts a new owner list — if the inode was already seen, its
//! earlier owners are dropped (the master overwrites the list head) — and a new
//! (session, owner) starts a new owner, even if that owner was seen before on the inode.
//! Within an owner, a range starting before the previous range's end is fatal ("not in
//! order"), and so is a range of the same type starting exactly at that end ("not
//! connected"); neither check applies after a range of type 0.

use std::collections::HashMap;
use std::ops::Range;

use super::hash::bucket_order_key;
use super::open_files::OpenFileTable;
use super::LoadError;
use crate::format::metadata::locks::{self as codec, Flock, PosixLock};
use crate::format::metadata::{Encoder, Tag};

/// MooseFS status numbers returned by the replay operations.
mod status {
    pub const EINVAL: u8 = 6;
    pub const MISMATCH: u8 = 32;
}

/// Buckets of both per-inode hashes.
const INODE_BUCKETS: u32 = 1024;
/// flock `ltype` of an exclusive lock.
pub const FLOCK_EXCLUSIVE: u8 = 1;
/// POSIX lock types.
pub const POSIX_UNLOCK: u8 = 0;
pub const POSIX_READ: u8 = 1;
pub const POSIX_WRITE: u8 = 2;

const FLOCK_RECORD_LEN: u64 = 17;
const POSIX_RECORD_LEN: u64 = 37;

fn inode_bucket(inode: u32) -> u32 {
    inode.wrapping_mul(0x738A_2379) % INODE_BUCKETS
}

/// Per-inode records in a slab, found by inode, ordered for writing by (bucket, seq).
#[derive(Clone, Debug)]
struct InodeRecords<T> {
    slots: Vec<Option<(u32, u32, T)>>,
    free: Vec<u32>,
    by_inode: HashMap<u32, u32>,
    next_seq: u32,
}

impl<T> Default for InodeRecords<T> {
    fn default() -> Self {
        InodeRecords {
            slots: Vec::new(),
            free: Vec::new(),
            by_inode: HashMap::new(),
            next_seq: 0,
        }
    }
}

impl<T: Default> InodeRecords<T> {
    fn get(&self, inode: u32) -> Option<&T> {
        let slot = *self.by_inode.get(&inode)?;
        self.slots.get(slot as usize)?.as_ref().map(|(_, _, t)| t)
    }

    fn get_mut(&mut self, inode: u32) -> Option<&mut T> {
        let slot = *self.by_inode.get(&inode)?;
        self.slots
            .get_mut(slot as usize)?
            .as_mut()
            .map(|(_, _, t)| t)
    }

    /// The record of `inode`, created at the head of its bucket if missing.
    fn get_or_create(&mut self, inode: u32) -> &mut T {
        let slot = match self.by_inode.get(&inode) {
            Some(&s) => s,
            None => {
                let seq = self.next_seq;
                self.next_seq = self.next_seq.wrapping_add(1);
                let rec = Some((inode, seq, T::default()));
                let s = match self.free.pop() {
                    Some(s) => {
                        if let Some(slot) = self.slots.get_mut(s as usize) {
                            *slot = rec;
                        }
                        s
                    }
                    None => {
                        self.slots.push(rec);
                        (self.slots.len() - 1) as u32
                    }
                };
                self.by_inode.insert(inode, s);
                s
            }
        };
        match self.slots.get_mut(slot as usize) {
            Some(Some((_, _, t))) => t,
            // The index only names live slots.
            _ => unreachable!("lock record index out of sync"),
        }
    }

    fn remove(&mut self, inode: u32) {
        if let Some(slot) = self.by_inode.remove(&inode) {
            if let Some(s) = self.slots.get_mut(slot as usize) {
                *s = None;
            }
            self.free.push(slot);
        }
    }

    /// The records in the master's store order.
    fn in_store_order(&self) -> impl Iterator<Item = (u32, &T)> + '_ {
        let mut order: Vec<(u64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.as_ref()
                    .map(|(inode, seq, _)| (bucket_order_key(inode_bucket(*inode), *seq), i as u32))
            })
            .collect();
        order.sort_unstable_by_key(|&(key, _)| key);
        order.into_iter().filter_map(|(_, i)| {
            self.slots
                .get(i as usize)?
                .as_ref()
                .map(|(inode, _, t)| (*inode, t))
        })
    }
}

/// One active flock() lock.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct FlockEntry {
    pub owner: u64,
    pub session: u32,
    /// 0 shared, 1 exclusive (other values are kept as loaded, and count as shared).
    pub lock_type: u8,
}

/// The active locks of one inode; the last element is the head of the master's list.
#[derive(Clone, Debug, Default)]
struct InodeFlocks {
    locks: Vec<FlockEntry>,
}

impl InodeFlocks {
    fn conflicts(&self, lock_type: u8) -> bool {
        self.locks
            .last()
            .is_some_and(|head| head.lock_type == FLOCK_EXCLUSIVE || lock_type == FLOCK_EXCLUSIVE)
    }
}

/// The flock() locks.
#[derive(Clone, Debug, Default)]
pub struct FlockTable {
    inodes: InodeRecords<InodeFlocks>,
}

impl FlockTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a decoded `FLCK` section; `body_offset` is the section body's absolute
    /// offset.
    pub fn load(
        &mut self,
        records: &[Flock],
        open: &OpenFileTable,
        body_offset: u64,
    ) -> Result<(), LoadError> {
        for (i, l) in records.iter().enumerate() {
            let at = body_offset + FLOCK_RECORD_LEN * i as u64;
            if !open.contains(l.session, l.inode) {
                return Err(LoadError::rule(
                    Tag::FLCK,
                    at,
                    format!(
                        "flock on inode {} by session {} which does not have it open",
                        l.inode, l.session
                    ),
                ));
            }
            let rec = self.inodes.get_or_create(l.inode);
            if rec.conflicts(l.lock_type) {
                return Err(LoadError::rule(
                    Tag::FLCK,
                    at,
                    format!(
                        "flock on inode {} by session {} (owner {:#x}, type {}) conflicts \
                         with the locks before it",
                        l.inode, l.session, l.owner, l.lock_type
                    ),
                ));
            }
            rec.locks.push(FlockEntry {
                owner: l.owner,
                session: l.session,
                lock_type: l.lock_type,
            });
        }
        Ok(())
    }

    /// Writes the `FLCK` body.
    pub fn store(&self, e: &mut Encoder) {
        for (inode, rec) in self.inodes.in_store_order() {
            for l in rec.locks.iter().rev() {
                codec::encode_flock(
                    e,
                    &Flock {
                        inode,
                        owner: l.owner,
                        session: l.session,
                        lock_type: l.lock_type,
                    },
                );
            }
        }
        codec::encode_flocks_end(e);
    }

    /// The active locks of `inode`, newest first.
    pub fn locks(&self, inode: u32) -> impl Iterator<Item = &FlockEntry> + '_ {
        self.inodes
            .get(inode)
            .into_iter()
            .flat_map(|r| r.locks.iter().rev())
    }

    /// Whether the master has a lock record for `inode` (possibly without locks).
    pub fn has_record(&self, inode: u32) -> bool {
        self.inodes.get(inode).is_some()
    }

    /// `FLOCK` replayed (`flock_mr_change`). `Ok(n)`: the change succeeded and advanced
    /// the metadata version `n` times (1 for a lock; one per removed lock for an unlock,
    /// possibly 0). `Err` holds the MooseFS status. As in the master, a refused lock
    /// still leaves an (empty) record for the inode, which keeps its place in the order.
    pub fn change(&mut self, inode: u32, session: u32, owner: u64, cmd: u8) -> Result<u32, u8> {
        let lock_type = match cmd {
            b'U' | b'u' => {
                let rec = self.inodes.get_mut(inode).ok_or(status::MISMATCH)?;
                let before = rec.locks.len();
                rec.locks
                    .retain(|l| !(l.session == session && l.owner == owner));
                let removed = (before - rec.locks.len()) as u32;
                if rec.locks.is_empty() {
                    self.inodes.remove(inode);
                }
                return Ok(removed);
            }
            b'R' | b'r' | b'S' | b's' => 0,
            b'W' | b'w' | b'E' | b'e' => FLOCK_EXCLUSIVE,
            _ => return Err(status::EINVAL),
        };
        let rec = self.inodes.get_or_create(inode);
        if rec.conflicts(lock_type) {
            return Err(status::MISMATCH);
        }
        rec.locks.push(FlockEntry {
            owner,
            session,
            lock_type,
        });
        Ok(1)
    }

    /// The session closed the file (`flock_file_closed`): its locks on the inode go.
    /// Returns how many active locks were removed (the live master logs an unlock for
    /// each, which a replay cannot reproduce).
    pub fn file_closed(&mut self, session: u32, inode: u32) -> u32 {
        let Some(rec) = self.inodes.get_mut(inode) else {
            return 0;
        };
        let before = rec.locks.len();
        rec.locks.retain(|l| l.session != session);
        let removed = (before - rec.locks.len()) as u32;
        if rec.locks.is_empty() {
            self.inodes.remove(inode);
        }
        removed
    }
}

/// One range of a POSIX lock, `[start, end)`.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct PosixRange {
    pub start: u64,
    pub end: u64,
    /// 1 read, 2 write (loaded values are kept as they are).
    pub lock_type: u8,
}

/// The ranges one (session, owner) holds on an inode.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct PosixOwner {
    pub session: u32,
    pub owner: u64,
    pub pid: u32,
    /// In list order (sorted by start when built by merges).
    pub ranges: Vec<PosixRange>,
}

#[derive(Clone, Debug, Default)]
struct InodePosixLocks {
    owners: Vec<PosixOwner>,
}

impl InodePosixLocks {
    /// Whether another (session, owner) holds a range that clashes with `[start, end)`
    /// (`posix_lock_find_offensive_lock`).
    fn clashes(&self, session: u32, owner: u64, lock_type: u8, start: u64, end: u64) -> bool {
        self.owners
            .iter()
            .filter(|o| o.owner != owner || o.session != session)
            .flat_map(|o| o.ranges.iter())
            .any(|r| {
                (lock_type == POSIX_WRITE || r.lock_type == POSIX_WRITE)
                    && end > r.start
                    && start < r.end
            })
    }
}

/// Applies `lock_type` (or [`POSIX_UNLOCK`]) on `[start, end)` to a range list sorted by
/// start, merging touching ranges of the same type (`posix_lock_apply_range`).
pub fn apply_range(ranges: &mut Vec<PosixRange>, lock_type: u8, start: u64, end: u64) {
    let new = |start, end| PosixRange {
        start,
        end,
        lock_type,
    };
    let mut start = start;
    let mut i = 0;
    while let Some(&r) = ranges.get(i) {
        if r.end < start {
            i += 1;
        } else if r.start > end {
            if lock_type != POSIX_UNLOCK {
                ranges.insert(i, new(start, end));
            }
            return;
        } else if start <= r.start && end >= r.end {
            ranges.remove(i);
        } else if r.start < start && r.end <= end {
            if r.lock_type == lock_type {
                start = r.start;
                ranges.remove(i);
            } else {
                if let Some(r) = ranges.get_mut(i) {
                    r.end = start;
                }
                i += 1;
            }
        } else if r.start >= start && r.end > end {
            if r.lock_type == lock_type {
                if let Some(r) = ranges.get_mut(i) {
                    r.start = start;
                }
            } else {
                if let Some(r) = ranges.get_mut(i) {
                    r.start = end;
                }
                if lock_type != POSIX_UNLOCK {
                    ranges.insert(i, new(start, end));
                }
            }
            return;
        } else {
            // r strictly contains [start, end).
            if r.lock_type != lock_type {
                if let Some(r) = ranges.get_mut(i) {
                    r.end = start;
                }
                ranges.insert(
                    i + 1,
                    PosixRange {
                        start: end,
                        end: r.end,
                        lock_type: r.lock_type,
                    },
                );
                if lock_type != POSIX_UNLOCK {
                    ranges.insert(i + 1, new(start, end));
                }
            }
            return;
        }
    }
    if lock_type != POSIX_UNLOCK {
        ranges.push(new(start, end));
    }
}

/// The POSIX locks.
#[derive(Clone, Debug, Default)]
pub struct PosixLockTable {
    inodes: InodeRecords<InodePosixLocks>,
}

impl PosixLockTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a decoded `PLCK` section; `body_offset` is the section body's absolute
    /// offset.
    pub fn load(
        &mut self,
        records: &[PosixLock],
        open: &OpenFileTable,
        body_offset: u64,
    ) -> Result<(), LoadError> {
        // The master's reader state, field for field.
        let mut first_of_inode = true;
        let mut first_of_owner = true;
        let (mut last_inode, mut last_session, mut last_owner) = (0u32, 0u32, 0u64);
        let (mut last_type, mut last_end) = (POSIX_UNLOCK, 0u64);
        let mut current: Option<&mut InodePosixLocks> = None;
        for (i, l) in records.iter().enumerate() {
            let at = body_offset + POSIX_RECORD_LEN * i as u64;
            if (l.inode != last_inode
                || l.session != last_session
                || first_of_inode
                || first_of_owner)
                && !open.contains(l.session, l.inode)
            {
                return Err(LoadError::rule(
                    Tag::PLCK,
                    at,
                    format!(
                        "POSIX lock on inode {} by session {} which does not have it open",
                        l.inode, l.session
                    ),
                ));
            }
            if l.inode != last_inode || first_of_inode {
                last_inode = l.inode;
                last_session = 0;
                last_owner = 0;
                first_of_owner = true;
                first_of_inode = false;
                let rec = self.inodes.get_or_create(l.inode);
                // A new owner follows at once and becomes the whole list.
                rec.owners.clear();
                current = Some(rec);
            }
            let Some(rec) = current.as_deref_mut() else {
                unreachable!("an inode record is set on the first record");
            };
            if l.session != last_session || l.owner != last_owner || first_of_owner {
                last_session = l.session;
                last_owner = l.owner;
                last_end = 0;
                last_type = POSIX_UNLOCK;
                first_of_owner = false;
                rec.owners.push(PosixOwner {
                    session: l.session,
                    owner: l.owner,
                    pid: l.pid,
                    ranges: Vec::new(),
                });
            }
            if last_type != POSIX_UNLOCK {
                if l.start < last_end {
                    return Err(LoadError::rule(
                        Tag::PLCK,
                        at,
                        format!(
                            "POSIX lock range [{}, {}) on inode {} (session {}, owner {:#x}) \
                             starts before the end ({}) of the previous range",
                            l.start, l.end, l.inode, l.session, l.owner, last_end
                        ),
                    ));
                }
                if l.lock_type == last_type && l.start == last_end {
                    return Err(LoadError::rule(
                        Tag::PLCK,
                        at,
                        format!(
                            "POSIX lock range [{}, {}) on inode {} (session {}, owner {:#x}) \
                             continues the previous range of the same type (not connected)",
                            l.start, l.end, l.inode, l.session, l.owner
                        ),
                    ));
                }
            }
            if let Some(owner) = rec.owners.last_mut() {
                owner.ranges.push(PosixRange {
                    start: l.start,
                    end: l.end,
                    lock_type: l.lock_type,
                });
            }
            last_end = l.end;
            last_type = l.lock_type;
        }
        Ok(())
    }

    /// Writes the `PLCK` body.
    pub fn store(&self, e: &mut Encoder) {
        for (inode, rec) in self.inodes.in_store_order() {
            for o in &rec.owners {
                for r in &o.ranges {
                    codec::encode_posix_lock(
                        e,
                        &PosixLock {
                            inode,
                            owner: o.owner,
                            session: o.session,
                            pid: o.pid,
                            start: r.start,
                            end: r.end,
                            lock_type: r.lock_type,
                        },
                    );
                }
            }
        }
        codec::encode_posix_locks_end(e);
    }

    /// The lock owners of `inode`, in list order.
    pub fn owners(&self, inode: u32) -> &[PosixOwner] {
        self.inodes
            .get(inode)
            .map_or(&[][..], |r| r.owners.as_slice())
    }

    /// Whether the master has a lock record for `inode` (possibly without owners).
    pub fn has_record(&self, inode: u32) -> bool {
        self.inodes.get(inode).is_some()
    }

    /// `POSIXLOCK` replayed (`posix_lock_mr_change`) on `[range.start, range.end)`.
    /// `Err` holds the MooseFS status.
    /// As in the master, a read or write lock creates the inode's record before the
    /// clash check (a refused lock leaves it, empty), and records emptied by unlocks
    /// stay until the file is closed.
    pub fn change(
        &mut self,
        inode: u32,
        session: u32,
        owner: u64,
        cmd: u8,
        range: Range<u64>,
        pid: u32,
    ) -> Result<(), u8> {
        let Range { start, end } = range;
        let lock_type = match cmd {
            b'U' | b'u' => POSIX_UNLOCK,
            b'R' | b'r' | b'S' | b's' => POSIX_READ,
            b'W' | b'w' | b'E' | b'e' => POSIX_WRITE,
            _ => return Err(status::EINVAL),
        };
        let rec = if lock_type == POSIX_UNLOCK {
            self.inodes.get_mut(inode).ok_or(status::MISMATCH)?
        } else {
            let rec = self.inodes.get_or_create(inode);
            if rec.clashes(session, owner, lock_type, start, end) {
                return Err(status::MISMATCH);
            }
            rec
        };
        match rec
            .owners
            .iter()
            .position(|o| o.owner == owner && o.session == session)
        {
            Some(i) => {
                if let Some(o) = rec.owners.get_mut(i) {
                    apply_range(&mut o.ranges, lock_type, start, end);
                    if o.ranges.is_empty() {
                        rec.owners.remove(i);
                    }
                }
            }
            None if lock_type == POSIX_UNLOCK => {}
            None => {
                let mut o = PosixOwner {
                    session,
                    owner,
                    pid,
                    ranges: Vec::new(),
                };
                apply_range(&mut o.ranges, lock_type, start, end);
                rec.owners.push(o);
            }
        }
        Ok(())
    }

    /// The session closed the file (`posix_lock_file_closed`): its owners on the inode
    /// go, and the inode's record too once it has no owners.
    pub fn file_closed(&mut self, session: u32, inode: u32) {
        let Some(rec) = self.inodes.get_mut(inode) else {
            return;
        };
        rec.owners.retain(|o| o.session != session);
        if rec.owners.is_empty() {
            self.inodes.remove(inode);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::metadata::reader::Reader;

    fn open(pairs: &[(u32, u32)]) -> OpenFileTable {
        let mut t = OpenFileTable::new();
        for &(s, i) in pairs {
            t.add(s, i);
        }
        t
    }

    fn fl(inode: u32, session: u32, owner: u64, lock_type: u8) -> Flock {
        Flock {
            inode,
            owner,
            session,
            lock_type,
        }
    }

    fn pl(inode: u32, session: u32, owner: u64, start: u64, end: u64, t: u8) -> PosixLock {
        PosixLock {
            inode,
            owner,
            session,
            pid: 77,
            start,
            end,
            lock_type: t,
        }
    }

    fn stored_flocks(t: &FlockTable) -> Vec<Flock> {
        let mut e = Encoder::new(false);
        e.begin_section(Tag::FLCK, codec::VERSION);
        t.store(&mut e);
        e.end_section();
        let bytes = e.finish().0;
        let mut r = Reader::new(bytes.get(16..).unwrap());
        codec::decode_flocks(&mut r, codec::VERSION).unwrap()
    }

    fn stored_posix(t: &PosixLockTable) -> Vec<PosixLock> {
        let mut e = Encoder::new(false);
        e.begin_section(Tag::PLCK, codec::VERSION);
        t.store(&mut e);
        e.end_section();
        let bytes = e.finish().0;
        let mut r = Reader::new(bytes.get(16..).unwrap());
        codec::decode_posix_locks(&mut r, codec::VERSION).unwrap()
    }

    fn rule_offset(err: LoadError) -> (Tag, u64, String) {
        match err {
            LoadError::Rule {
                section,
                offset,
                reason,
            } => (section, offset, reason),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn bucket_function() {
        assert_eq!(inode_bucket(0), 0);
        assert_eq!(inode_bucket(1), 0x738A_2379 % 1024);
        assert_eq!(inode_bucket(2), 0xE714_46F2 % 1024);
        assert_eq!(inode_bucket(3), 0x5A9E_6A6B % 1024);
    }

    #[test]
    fn flock_on_a_file_not_open_is_fatal() {
        let mut t = FlockTable::new();
        let err = t
            .load(
                &[fl(5, 1, 9, 0), fl(12, 3, 9, 0)],
                &open(&[(1, 5), (3, 11)]),
                1000,
            )
            .unwrap_err();
        let (tag, offset, reason) = rule_offset(err);
        assert_eq!((tag, offset), (Tag::FLCK, 1017));
        assert!(reason.contains("inode 12 by session 3"), "{reason}");
    }

    #[test]
    fn conflicting_flocks_are_fatal() {
        let o = open(&[(1, 5), (2, 5)]);
        // Two shared locks are fine, also with an unknown type (counts as shared).
        FlockTable::new()
            .load(&[fl(5, 1, 1, 0), fl(5, 2, 2, 0), fl(5, 2, 3, 7)], &o, 0)
            .unwrap();
        for records in [
            [fl(5, 1, 1, 1), fl(5, 2, 2, 0)],
            [fl(5, 1, 1, 0), fl(5, 2, 2, 1)],
            [fl(5, 1, 1, 1), fl(5, 1, 1, 1)],
        ] {
            let err = FlockTable::new().load(&records, &o, 0).unwrap_err();
            assert_eq!(rule_offset(err).1, 17);
        }
    }

    #[test]
    fn flock_store_order() {
        // Inodes 1 and 1025 share a bucket (bucket(1025) = bucket(1) since
        // 1024 × 0x738A2379 ≡ 0 mod 1024); inode 2 is elsewhere.
        assert_eq!(inode_bucket(1025), inode_bucket(1));
        let o = open(&[(1, 1), (2, 1), (1, 1025), (1, 2)]);
        let mut t = FlockTable::new();
        let file = [
            fl(1, 1, 10, 0),
            fl(1025, 1, 11, 1),
            fl(1, 2, 12, 0),
            fl(2, 1, 13, 0),
        ];
        t.load(&file, &o, 0).unwrap();
        let mut expected = vec![
            // newest inode first within the bucket, newest lock first within the inode
            fl(1025, 1, 11, 1),
            fl(1, 2, 12, 0),
            fl(1, 1, 10, 0),
        ];
        if inode_bucket(2) < inode_bucket(1) {
            expected.insert(0, fl(2, 1, 13, 0));
        } else {
            expected.push(fl(2, 1, 13, 0));
        }
        assert_eq!(stored_flocks(&t), expected);
    }

    #[test]
    fn flock_replay_changes() {
        let mut t = FlockTable::new();
        assert_eq!(t.change(3, 1, 1, b'U'), Err(32));
        assert_eq!(t.change(3, 1, 1, b'x'), Err(6));
        assert_eq!(t.change(3, 1, 1, b'R'), Ok(1));
        assert_eq!(t.change(3, 2, 2, b's'), Ok(1));
        assert_eq!(t.change(3, 2, 2, b'W'), Err(32));
        assert_eq!(t.change(3, 1, 9, b'U'), Ok(0));
        assert_eq!(t.change(3, 1, 1, b'u'), Ok(1));
        assert_eq!(t.file_closed(2, 3), 1);
        assert!(!t.has_record(3));
        assert_eq!(t.change(4, 1, 1, b'E'), Ok(1));
        assert_eq!(t.locks(4).count(), 1);
        assert_eq!(stored_flocks(&t), vec![fl(4, 1, 1, 1)]);
    }

    #[test]
    fn posix_lock_on_a_file_not_open_is_fatal() {
        let o = open(&[(1, 5)]);
        let err = PosixLockTable::new()
            .load(&[pl(5, 1, 1, 0, 10, 1), pl(5, 2, 1, 20, 30, 1)], &o, 100)
            .unwrap_err();
        let (tag, offset, reason) = rule_offset(err);
        assert_eq!((tag, offset), (Tag::PLCK, 137));
        assert!(reason.contains("inode 5 by session 2"), "{reason}");
    }

    #[test]
    fn posix_ranges_must_be_ordered_and_not_touch_with_the_same_type() {
        let o = open(&[(1, 5)]);
        let ok = [
            pl(5, 1, 1, 0, 10, 1),
            pl(5, 1, 1, 10, 20, 2),
            pl(5, 1, 1, 30, 40, 2),
        ];
        PosixLockTable::new().load(&ok, &o, 0).unwrap();
        let overlap = [pl(5, 1, 1, 0, 10, 1), pl(5, 1, 1, 5, 20, 2)];
        let (_, at, reason) = rule_offset(PosixLockTable::new().load(&overlap, &o, 0).unwrap_err());
        assert_eq!(at, 37);
        assert!(reason.contains("before the end"), "{reason}");
        let touching = [pl(5, 1, 1, 0, 10, 1), pl(5, 1, 1, 10, 20, 1)];
        let (_, _, reason) = rule_offset(PosixLockTable::new().load(&touching, &o, 0).unwrap_err());
        assert!(reason.contains("not connected"), "{reason}");
        // After a type-0 range nothing is checked; a new owner starts afresh.
        let lax = [
            pl(5, 1, 1, 10, 20, 0),
            pl(5, 1, 1, 0, 5, 1),
            pl(5, 1, 2, 0, 5, 1),
        ];
        PosixLockTable::new().load(&lax, &o, 0).unwrap();
    }

    #[test]
    fn posix_store_keeps_owner_and_range_order() {
        let o = open(&[(1, 5), (2, 5), (1, 1029)]);
        let file = [
            pl(5, 2, 7, 0, 10, 2),
            pl(5, 2, 7, 20, 30, 1),
            pl(5, 1, 8, 40, 50, 1),
            pl(1029, 1, 9, 0, 1, 2),
        ];
        let mut t = PosixLockTable::new();
        t.load(&file, &o, 0).unwrap();
        assert_eq!(inode_bucket(1029), inode_bucket(5));
        // Inode 1029 is newer in the same bucket, so it comes first.
        let mut expected = vec![file[3]];
        expected.extend_from_slice(&file[..3]);
        assert_eq!(stored_posix(&t), expected);
    }

    #[test]
    fn posix_revisited_inode_drops_earlier_owners_and_repeated_owner_is_kept_twice() {
        let o = open(&[(1, 5), (1, 6), (2, 5)]);
        let file = [
            pl(5, 1, 1, 0, 10, 1),
            pl(6, 1, 1, 0, 10, 1),
            pl(5, 2, 2, 0, 10, 1),
            pl(5, 1, 3, 0, 1, 1),
            pl(5, 2, 2, 20, 30, 1),
        ];
        let mut t = PosixLockTable::new();
        t.load(&file, &o, 0).unwrap();
        let owners: Vec<(u32, u64)> = t.owners(5).iter().map(|o| (o.session, o.owner)).collect();
        assert_eq!(owners, vec![(2, 2), (1, 3), (2, 2)]);
        let stored = stored_posix(&t);
        assert_eq!(stored.iter().filter(|l| l.inode == 5).count(), 3);
        assert!(!stored.contains(&file[0]));
    }

    fn rs(list: &[(u64, u64, u8)]) -> Vec<PosixRange> {
        list.iter()
            .map(|&(start, end, lock_type)| PosixRange {
                start,
                end,
                lock_type,
            })
            .collect()
    }

    #[test]
    fn range_merge_cases() {
        // The spec's verified example: W[0,10) + R[20,30) + W[10,20).
        let mut r = Vec::new();
        apply_range(&mut r, 2, 0, 10);
        apply_range(&mut r, 1, 20, 30);
        apply_range(&mut r, 2, 10, 20);
        assert_eq!(r, rs(&[(0, 20, 2), (20, 30, 1)]));
        // Split a range of another type, and unlock a hole.
        let mut r = rs(&[(0, 100, 1)]);
        apply_range(&mut r, 2, 10, 20);
        assert_eq!(r, rs(&[(0, 10, 1), (10, 20, 2), (20, 100, 1)]));
        apply_range(&mut r, 0, 50, 60);
        assert_eq!(r, rs(&[(0, 10, 1), (10, 20, 2), (20, 50, 1), (60, 100, 1)]));
        // Same type inside: nothing changes.
        apply_range(&mut r, 1, 70, 80);
        assert_eq!(r.len(), 4);
        // Covering everything.
        apply_range(&mut r, 0, 0, u64::MAX);
        assert!(r.is_empty());
        // Insert before, extend a same-type right neighbour.
        let mut r = rs(&[(10, 20, 1)]);
        apply_range(&mut r, 2, 0, 5);
        apply_range(&mut r, 1, 7, 15);
        assert_eq!(r, rs(&[(0, 5, 2), (7, 20, 1)]));
    }

    #[test]
    fn posix_replay_changes() {
        let mut t = PosixLockTable::new();
        assert_eq!(t.change(5, 1, 1, b'U', 0..10, 9), Err(32));
        assert_eq!(t.change(5, 1, 1, b'?', 0..10, 9), Err(6));
        t.change(5, 1, 1, b'W', 0..10, 9).unwrap();
        t.change(5, 2, 2, b'R', 10..20, 8).unwrap();
        assert_eq!(t.change(5, 2, 2, b'R', 5..12, 8), Err(32));
        // Read locks of others may overlap read locks.
        t.change(5, 3, 3, b'r', 15..25, 7).unwrap();
        t.change(5, 1, 1, b'U', 0..10, 9).unwrap();
        let owners: Vec<u64> = t.owners(5).iter().map(|o| o.owner).collect();
        assert_eq!(owners, vec![2, 3]);
        t.change(5, 2, 2, b'U', 0..100, 8).unwrap();
        t.change(5, 3, 3, b'U', 0..100, 7).unwrap();
        // Emptied by unlocks: the record stays until the file is closed.
        assert!(t.has_record(5));
        t.file_closed(3, 5);
        assert!(!t.has_record(5));
        assert_eq!(stored_posix(&t), vec![]);
    }
}
