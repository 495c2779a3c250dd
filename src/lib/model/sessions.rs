//! Client sessions (`SESS`).
//!
//! The master keeps sessions in a 256-bucket hash on `id % 256` whose chains are
//! prepended to; loading inserts in file order (`sessions_load`, `sessions.c`). So the
//! store order is "bucket ascending, newest first", and a load+store reverses the file
//! order within a bucket. The loader has no refusal rules: a repeated id is loaded twice
//! (both are written back; lookups find the newer one), and a pre-1.1 record, which has
//! no disconnection time, gets the load time.

use std::borrow::Cow;
use std::collections::HashMap;

use super::hash::bucket_order_key;
use crate::format::metadata::sessions::{self as codec, Session, Sessions, STATS_COUNT};
use crate::format::metadata::Encoder;

/// Buckets of the master's session hash (`SESSION_HASHSIZE`).
const BUCKETS: u32 = 256;

/// One session as the master keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct SessionEntry<'a> {
    pub id: u32,
    pub exports_checksum: u64,
    pub peer_ip: u32,
    pub root_inode: u32,
    pub flags: u8,
    pub umask: u16,
    pub min_goal: u8,
    pub max_goal: u8,
    pub min_trashtime: u32,
    pub max_trashtime: u32,
    pub root_uid: u32,
    pub root_gid: u32,
    pub map_all_uid: u32,
    pub map_all_gid: u32,
    pub disables: u32,
    /// 0 = connected, else the disconnection time.
    pub disconnected: u32,
    pub current_stats: [u32; STATS_COUNT],
    pub last_hour_stats: [u32; STATS_COUNT],
    pub info: Cow<'a, [u8]>,
}

impl<'a> SessionEntry<'a> {
    /// A loaded record; `now` replaces a missing disconnection time.
    pub fn from_record(s: &Session<'a>, now: u32) -> Self {
        SessionEntry {
            id: s.id,
            exports_checksum: s.exports_checksum,
            peer_ip: s.peer_ip,
            root_inode: s.root_inode,
            flags: s.flags,
            umask: s.umask,
            min_goal: s.min_goal,
            max_goal: s.max_goal,
            min_trashtime: s.min_trashtime,
            max_trashtime: s.max_trashtime,
            root_uid: s.root_uid,
            root_gid: s.root_gid,
            map_all_uid: s.map_all_uid,
            map_all_gid: s.map_all_gid,
            disables: s.disables,
            disconnected: s.disconnected.unwrap_or(now),
            current_stats: s.current_stats,
            last_hour_stats: s.last_hour_stats,
            info: Cow::Borrowed(s.info),
        }
    }

    /// The record to write.
    pub fn to_record(&self) -> Session<'_> {
        Session {
            id: self.id,
            exports_checksum: self.exports_checksum,
            peer_ip: self.peer_ip,
            root_inode: self.root_inode,
            flags: self.flags,
            umask: self.umask,
            min_goal: self.min_goal,
            max_goal: self.max_goal,
            min_trashtime: self.min_trashtime,
            max_trashtime: self.max_trashtime,
            root_uid: self.root_uid,
            root_gid: self.root_gid,
            map_all_uid: self.map_all_uid,
            map_all_gid: self.map_all_gid,
            disables: self.disables,
            disconnected: Some(self.disconnected),
            current_stats: self.current_stats,
            last_hour_stats: self.last_hour_stats,
            info: &self.info,
        }
    }
}

#[derive(Clone, Debug)]
struct Slot<'a> {
    /// Insertion sequence: orders a bucket's chain (higher = nearer the head).
    seq: u32,
    session: SessionEntry<'a>,
}

/// The sessions and the next session id.
#[derive(Clone, Debug)]
pub struct SessionTable<'a> {
    next_session_id: u32,
    /// In no particular order (removal swaps).
    slots: Vec<Slot<'a>>,
    /// Session id → position in `slots` of the newest session with that id.
    by_id: HashMap<u32, usize>,
    next_seq: u32,
}

impl Default for SessionTable<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> SessionTable<'a> {
    /// No sessions; the next id is 1 (a new file system).
    pub fn new() -> Self {
        SessionTable {
            next_session_id: 1,
            slots: Vec::new(),
            by_id: HashMap::new(),
            next_seq: 0,
        }
    }

    /// Applies a decoded `SESS` section: sets the next id and adds every session, in file
    /// order. `now` is the load time (for pre-1.1 records).
    pub fn load(&mut self, section: &Sessions<'a>, now: u32) {
        self.next_session_id = section.next_session_id;
        self.slots.reserve(section.sessions.len());
        for s in &section.sessions {
            self.insert(SessionEntry::from_record(s, now));
        }
    }

    /// Writes the `SESS` body.
    pub fn store(&self, e: &mut Encoder) {
        codec::encode_header(e, self.next_session_id);
        for slot in self.store_order() {
            codec::encode_session(e, &slot.session.to_record());
        }
        codec::encode_end(e);
    }

    fn store_order(&self) -> impl Iterator<Item = &Slot<'a>> + '_ {
        let mut order: Vec<(u64, usize)> = self
            .slots
            .iter()
            .enumerate()
            .map(|(i, s)| (bucket_order_key(s.session.id % BUCKETS, s.seq), i))
            .collect();
        order.sort_unstable_by_key(|&(key, _)| key);
        order.into_iter().filter_map(|(_, i)| self.slots.get(i))
    }

    /// The id the next new session gets.
    pub fn next_session_id(&self) -> u32 {
        self.next_session_id
    }

    /// Sets the next id (legacy file headers carry it).
    pub fn set_next_session_id(&mut self, id: u32) {
        self.next_session_id = id;
    }

    /// Hands out the next session id (`SESADD`, `SESSION`), advancing the counter.
    pub fn take_session_id(&mut self) -> u32 {
        let id = self.next_session_id;
        self.next_session_id = id.wrapping_add(1);
        id
    }

    /// Adds a session at the head of its bucket. A session with the same id is kept
    /// (and shadowed), as in the master.
    pub fn insert(&mut self, session: SessionEntry<'a>) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        self.by_id.insert(session.id, self.slots.len());
        self.slots.push(Slot { seq, session });
    }

    /// The (newest) session with this id.
    pub fn get(&self, id: u32) -> Option<&SessionEntry<'a>> {
        let i = *self.by_id.get(&id)?;
        self.slots.get(i).map(|s| &s.session)
    }

    /// The (newest) session with this id, to change it. Its id must not be changed.
    pub fn get_mut(&mut self, id: u32) -> Option<&mut SessionEntry<'a>> {
        let i = *self.by_id.get(&id)?;
        self.slots.get_mut(i).map(|s| &mut s.session)
    }

    pub fn contains(&self, id: u32) -> bool {
        self.by_id.contains_key(&id)
    }

    /// Removes the (newest) session with this id; an older one with the same id, if any,
    /// becomes visible.
    pub fn remove(&mut self, id: u32) -> Option<SessionEntry<'a>> {
        let i = self.by_id.remove(&id)?;
        if i >= self.slots.len() {
            return None;
        }
        let removed = self.slots.swap_remove(i);
        if let Some(moved) = self.slots.get(i) {
            // The last slot moved into `i`; fix its index if it was the indexed one.
            let moved_id = moved.session.id;
            if self.by_id.get(&moved_id) == Some(&self.slots.len()) {
                self.by_id.insert(moved_id, i);
            }
        }
        let shadowed = self
            .slots
            .iter()
            .enumerate()
            .filter(|(_, s)| s.session.id == id)
            .max_by_key(|(_, s)| s.seq)
            .map(|(j, _)| j);
        if let Some(j) = shadowed {
            self.by_id.insert(id, j);
        }
        Some(removed.session)
    }

    /// Number of sessions (repeated ids counted each time).
    pub fn len(&self) -> usize {
        self.slots.len()
    }

    pub fn is_empty(&self) -> bool {
        self.slots.is_empty()
    }

    /// All sessions, in no particular order.
    pub fn iter(&self) -> impl Iterator<Item = &SessionEntry<'a>> + '_ {
        self.slots.iter().map(|s| &s.session)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::metadata::reader::Reader;
    use crate::format::metadata::Tag;

    fn record(id: u32, info: &'static [u8], disconnected: Option<u32>) -> Session<'static> {
        Session {
            id,
            exports_checksum: 7,
            peer_ip: 0x0A00_0001,
            root_inode: 1,
            flags: 2,
            umask: 0o22,
            min_goal: 1,
            max_goal: 9,
            min_trashtime: 0,
            max_trashtime: 100,
            root_uid: 0,
            root_gid: 0,
            map_all_uid: 999,
            map_all_gid: 999,
            disables: 0,
            disconnected,
            current_stats: [id; STATS_COUNT],
            last_hour_stats: [0; STATS_COUNT],
            info,
        }
    }

    fn stored(t: &SessionTable<'_>) -> Vec<u8> {
        let mut e = Encoder::new(false);
        e.begin_section(Tag::SESS, codec::VERSION);
        t.store(&mut e);
        e.end_section();
        e.finish().0
    }

    fn decode(bytes: &[u8]) -> Sessions<'_> {
        let mut r = Reader::new(bytes.get(16..).unwrap());
        codec::decode(&mut r, codec::VERSION).unwrap()
    }

    #[test]
    fn empty_table_is_header_and_terminator() {
        let bytes = stored(&SessionTable::new());
        assert_eq!(bytes.len(), 16 + 6 + 189);
        let s = decode(&bytes);
        assert_eq!(s.next_session_id, 1);
        assert!(s.sessions.is_empty());
    }

    #[test]
    fn store_is_bucket_ascending_newest_first() {
        let section = Sessions {
            next_session_id: 600,
            sessions: vec![
                record(257, b"a", Some(0)),
                record(2, b"", Some(5)),
                record(1, b"bb", Some(0)),
                record(513, b"c", Some(0)),
                record(258, b"", Some(0)),
            ],
        };
        let mut t = SessionTable::new();
        t.load(&section, 1234);
        let bytes = stored(&t);
        let back = decode(&bytes);
        assert_eq!(back.next_session_id, 600);
        let ids: Vec<u32> = back.sessions.iter().map(|s| s.id).collect();
        // bucket 1: 257, 1, 513 loaded in that order → 513, 1, 257; bucket 2: 2, 258 → 258, 2.
        assert_eq!(ids, vec![513, 1, 257, 258, 2]);
        assert_eq!(back.sessions[1], record(1, b"bb", Some(0)));
    }

    #[test]
    fn missing_disconnection_time_becomes_load_time() {
        let section = Sessions {
            next_session_id: 5,
            sessions: vec![record(3, b"", None)],
        };
        let mut t = SessionTable::new();
        t.load(&section, 1234);
        assert_eq!(t.get(3).unwrap().disconnected, 1234);
        let bytes = stored(&t);
        assert_eq!(decode(&bytes).sessions[0].disconnected, Some(1234));
    }

    #[test]
    fn repeated_ids_are_kept_and_the_newest_is_found() {
        let section = Sessions {
            next_session_id: 5,
            sessions: vec![record(3, b"old", Some(0)), record(3, b"new", Some(0))],
        };
        let mut t = SessionTable::new();
        t.load(&section, 0);
        assert_eq!(t.len(), 2);
        assert_eq!(&*t.get(3).unwrap().info, b"new");
        let bytes = stored(&t);
        let infos: Vec<&[u8]> = decode(&bytes).sessions.iter().map(|s| s.info).collect();
        assert_eq!(infos, vec![&b"new"[..], b"old"]);
        assert_eq!(&*t.remove(3).unwrap().info, b"new");
        assert_eq!(&*t.get(3).unwrap().info, b"old");
        assert!(t.remove(3).is_some());
        assert!(!t.contains(3));
    }

    #[test]
    fn removal_keeps_other_lookups() {
        let mut t = SessionTable::new();
        for _ in 1..=5 {
            let id = t.take_session_id();
            t.insert(SessionEntry::from_record(&record(id, b"", Some(0)), 0));
        }
        assert_eq!(t.next_session_id(), 6);
        t.remove(2).unwrap();
        for id in [1, 3, 4, 5] {
            assert_eq!(t.get(id).unwrap().id, id);
        }
        assert!(t.get(2).is_none());
    }
}
