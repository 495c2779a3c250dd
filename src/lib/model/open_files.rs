//! Open-file relations (`OPEN`): session S has inode I open.
//!
//! The master (`openfiles.c`) links each relation into a 4096-bucket hash on
//! `session % 4096` (written in bucket order, chains prepended to) and a 65536-bucket
//! hash on the inode (for lookups). Loading (`of_load`) drops relations whose session is
//! unknown, silently, and does not look for duplicates: a repeated relation is kept
//! twice, written twice, and released one at a time (newest first).
//! Legacy node records (NODE ≤ 1.3) carry session ids that become relations through
//! [`OpenFileTable::acquire`], which does refuse duplicates.

use std::collections::HashMap;

use super::hash::bucket_order_key;
use super::inode_map::InodeMap;
use super::sessions::SessionTable;
use crate::format::metadata::open_files::{self as codec, OpenFile};
use crate::format::metadata::Encoder;

/// Buckets of the master's per-session hash (`OF_SESSION_HASHSIZE`).
const SESSION_BUCKETS: u32 = 4096;
/// Marks a free slot.
const FREE: u32 = u32::MAX;
/// Inodes below this have their "open" bit in [`OpenFileTable::open_bits`] (16 MiB at
/// most); the others are looked up in the count map.
const BITS_LIMIT: u32 = 1 << 27;

#[derive(Clone, Copy, Debug)]
struct Relation {
    session: u32,
    inode: u32,
    /// Insertion sequence; `FREE` for a free slot.
    seq: u32,
}

fn pair_key(session: u32, inode: u32) -> u64 {
    (u64::from(session) << 32) | u64::from(inode)
}

/// The open-file relations.
#[derive(Clone, Debug, Default)]
pub struct OpenFileTable {
    /// Slots, reused through `free`; positions are stable.
    slots: Vec<Relation>,
    free: Vec<u32>,
    /// (session, inode) → slot of the newest such relation.
    by_pair: HashMap<u64, u32>,
    /// (session, inode) → slots of older duplicates, oldest first (loaded files only).
    shadowed: HashMap<u64, Vec<u32>>,
    /// Inode → number of relations.
    per_inode: InodeMap,
    /// Bit `i` set: inode `i` (below `BITS_LIMIT`) has a relation. A file being deleted
    /// is looked up here: a few hundred kilobytes stay in the cache where the count
    /// map's entries would each be a miss.
    open_bits: Vec<u64>,
    live: usize,
    next_seq: u32,
}

impl OpenFileTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a decoded `OPEN` section: relations of known sessions are added in file
    /// order, the others dropped.
    pub fn load(&mut self, records: &[OpenFile], sessions: &SessionTable<'_>) {
        self.slots.reserve(records.len());
        for r in records {
            if sessions.contains(r.session) {
                self.add(r.session, r.inode);
            }
        }
    }

    /// Writes the `OPEN` body.
    pub fn store(&self, e: &mut Encoder) {
        let mut order: Vec<(u64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, r)| r.seq != FREE)
            .map(|(i, r)| {
                (
                    bucket_order_key(r.session % SESSION_BUCKETS, r.seq),
                    i as u32,
                )
            })
            .collect();
        order.sort_unstable_by_key(|&(key, _)| key);
        for (_, i) in order {
            if let Some(r) = self.slots.get(i as usize) {
                codec::encode_open_file(
                    e,
                    &OpenFile {
                        session: r.session,
                        inode: r.inode,
                    },
                );
            }
        }
        codec::encode_end(e);
    }

    /// Adds a relation without looking for an existing one (`of_newnode`).
    pub fn add(&mut self, session: u32, inode: u32) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let rel = Relation {
            session,
            inode,
            seq,
        };
        let slot = match self.free.pop() {
            Some(s) => {
                if let Some(r) = self.slots.get_mut(s as usize) {
                    *r = rel;
                }
                s
            }
            None => {
                self.slots.push(rel);
                (self.slots.len() - 1) as u32
            }
        };
        let key = pair_key(session, inode);
        if let Some(older) = self.by_pair.insert(key, slot) {
            self.shadowed.entry(key).or_default().push(older);
        }
        let count = self.per_inode.get(inode).unwrap_or(0) + 1;
        self.per_inode.insert(inode, count);
        if count == 1 {
            self.set_open_bit(inode, true);
        }
        self.live += 1;
    }

    /// `ACQUIRE` (`of_mr_acquire`): adds the relation unless it exists; `false` if it did.
    pub fn acquire(&mut self, session: u32, inode: u32) -> bool {
        if self.contains(session, inode) {
            return false;
        }
        self.add(session, inode);
        true
    }

    /// `RELEASE` (`of_mr_release`): removes the newest such relation; `false` if none.
    /// The caller then drops that session's locks on the inode.
    pub fn release(&mut self, session: u32, inode: u32) -> bool {
        let key = pair_key(session, inode);
        let Some(slot) = self.by_pair.remove(&key) else {
            return false;
        };
        if let Some(older) = self.shadowed.get_mut(&key) {
            if let Some(next) = older.pop() {
                self.by_pair.insert(key, next);
            }
            if older.is_empty() {
                self.shadowed.remove(&key);
            }
        }
        if let Some(r) = self.slots.get_mut(slot as usize) {
            r.seq = FREE;
        }
        self.free.push(slot);
        match self.per_inode.get(inode) {
            Some(1) => {
                self.per_inode.remove(inode);
                self.set_open_bit(inode, false);
            }
            Some(n) => {
                self.per_inode.insert(inode, n - 1);
            }
            None => {}
        }
        self.live -= 1;
        true
    }

    /// Removes every relation of a session (`of_session_removed`), returning the inodes
    /// of the removed relations (once per relation) so that the caller can drop the
    /// session's locks on them.
    pub fn remove_session(&mut self, session: u32) -> Vec<u32> {
        let inodes: Vec<u32> = self
            .slots
            .iter()
            .filter(|r| r.seq != FREE && r.session == session)
            .map(|r| r.inode)
            .collect();
        for &inode in &inodes {
            self.release(session, inode);
        }
        inodes
    }

    /// Whether session `session` has `inode` open.
    pub fn contains(&self, session: u32, inode: u32) -> bool {
        self.by_pair.contains_key(&pair_key(session, inode))
    }

    /// Hints that the relations of `inode` will be counted soon (see
    /// [`super::prefetch`]).
    #[inline]
    pub fn prefetch(&self, inode: u32) {
        self.per_inode.prefetch(inode);
    }

    /// Whether any session has `inode` open.
    pub fn is_open(&self, inode: u32) -> bool {
        if inode < BITS_LIMIT {
            let (word, bit) = ((inode / 64) as usize, inode % 64);
            self.open_bits.get(word).is_some_and(|w| w >> bit & 1 == 1)
        } else {
            self.per_inode.contains_key(inode)
        }
    }

    /// Records in [`OpenFileTable::open_bits`] whether `inode` has relations.
    fn set_open_bit(&mut self, inode: u32, open: bool) {
        if inode >= BITS_LIMIT {
            return;
        }
        let (word, bit) = ((inode / 64) as usize, inode % 64);
        if open && self.open_bits.len() <= word {
            let words = (word + 1)
                .max(self.open_bits.len() * 2)
                .min((BITS_LIMIT / 64) as usize);
            self.open_bits.resize(words, 0);
        }
        if let Some(w) = self.open_bits.get_mut(word) {
            if open {
                *w |= 1 << bit;
            } else {
                *w &= !(1 << bit);
            }
        }
    }

    /// Number of relations.
    pub fn len(&self) -> usize {
        self.live
    }

    pub fn is_empty(&self) -> bool {
        self.live == 0
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::metadata::reader::Reader;
    use crate::format::metadata::sessions::{Session, Sessions, STATS_COUNT};
    use crate::format::metadata::Tag;

    fn sessions(ids: &[u32]) -> SessionTable<'static> {
        let mut t = SessionTable::new();
        let section = Sessions {
            next_session_id: 100,
            sessions: ids
                .iter()
                .map(|&id| Session {
                    id,
                    exports_checksum: 0,
                    peer_ip: 0,
                    root_inode: 1,
                    flags: 0,
                    umask: 0,
                    min_goal: 1,
                    max_goal: 9,
                    min_trashtime: 0,
                    max_trashtime: 0,
                    root_uid: 0,
                    root_gid: 0,
                    map_all_uid: 0,
                    map_all_gid: 0,
                    disables: 0,
                    disconnected: Some(0),
                    current_stats: [0; STATS_COUNT],
                    last_hour_stats: [0; STATS_COUNT],
                    info: b"",
                })
                .collect(),
        };
        t.load(&section, 0);
        t
    }

    fn of(session: u32, inode: u32) -> OpenFile {
        OpenFile { session, inode }
    }

    fn stored(t: &OpenFileTable) -> Vec<OpenFile> {
        let mut e = Encoder::new(false);
        e.begin_section(Tag::OPEN, codec::VERSION);
        t.store(&mut e);
        e.end_section();
        let bytes = e.finish().0;
        let mut r = Reader::new(bytes.get(16..).unwrap());
        codec::decode(&mut r, codec::VERSION).unwrap()
    }

    /// `is_open` follows the relations: duplicates, a release of one of two sessions,
    /// word boundaries of the bit set, and inodes past it (kept in the count map).
    #[test]
    fn is_open_follows_acquire_and_release() {
        let mut t = OpenFileTable::new();
        let inodes = [
            0,
            1,
            63,
            64,
            65,
            1 << 20,
            BITS_LIMIT - 1,
            BITS_LIMIT,
            u32::MAX,
        ];
        for &i in &inodes {
            assert!(!t.is_open(i));
            t.add(1, i);
            t.add(1, i);
            assert!(t.acquire(2, i));
            assert!(t.is_open(i));
        }
        assert!(!t.is_open(2) && !t.is_open(62) && !t.is_open(66));
        for &i in &inodes {
            assert!(t.release(1, i));
            assert!(t.release(2, i));
            assert!(t.is_open(i), "one duplicate is left");
            assert!(t.release(1, i));
            assert!(!t.is_open(i));
            assert!(!t.release(1, i));
        }
        assert!(t.is_empty());
        t.add(3, 64);
        assert_eq!(t.remove_session(3), [64]);
        assert!(!t.is_open(64));
    }

    #[test]
    fn load_drops_unknown_sessions_silently() {
        let mut t = OpenFileTable::new();
        t.load(&[of(1, 10), of(2, 11), of(1, 12)], &sessions(&[1]));
        assert_eq!(t.len(), 2);
        assert!(t.contains(1, 10) && t.contains(1, 12));
        assert!(!t.contains(2, 11));
        assert!(!t.is_open(11));
        assert!(t.is_open(12));
    }

    #[test]
    fn store_is_bucket_ascending_newest_first() {
        let mut t = OpenFileTable::new();
        t.load(
            &[of(4097, 1), of(2, 2), of(1, 3), of(4097, 4), of(1, 5)],
            &sessions(&[1, 2, 4097]),
        );
        assert_eq!(
            stored(&t),
            vec![of(1, 5), of(4097, 4), of(1, 3), of(4097, 1), of(2, 2)]
        );
    }

    #[test]
    fn duplicates_are_kept_and_released_one_at_a_time() {
        let mut t = OpenFileTable::new();
        t.load(&[of(1, 7), of(1, 8), of(1, 7)], &sessions(&[1]));
        assert_eq!(stored(&t), vec![of(1, 7), of(1, 8), of(1, 7)]);
        assert!(!t.acquire(1, 7));
        assert!(t.release(1, 7));
        // The newest copy went: the older one is now after inode 8.
        assert_eq!(stored(&t), vec![of(1, 8), of(1, 7)]);
        assert!(t.contains(1, 7));
        assert!(t.release(1, 7));
        assert!(!t.release(1, 7));
        assert!(!t.is_open(7));
    }

    #[test]
    fn acquire_release_and_session_removal() {
        let mut t = OpenFileTable::new();
        assert!(t.acquire(5, 1));
        assert!(t.acquire(6, 1));
        assert!(t.acquire(5, 2));
        assert!(!t.acquire(5, 1));
        assert_eq!(stored(&t), vec![of(5, 2), of(5, 1), of(6, 1)]);
        let mut gone = t.remove_session(5);
        gone.sort_unstable();
        assert_eq!(gone, vec![1, 2]);
        assert!(t.is_open(1));
        assert!(!t.is_open(2));
        assert!(t.acquire(5, 3));
        assert_eq!(stored(&t), vec![of(5, 3), of(6, 1)]);
        assert_eq!(t.len(), 2);
    }
}
