//! Freed inodes waiting for reuse (`FREE`): a FIFO of (inode, time freed).
//!
//! The master (`filesystem.c`) appends freed inodes at the tail and releases them from
//! the head (`FREEINODES`); loading (`fs_loadfree`) replaces the list with the records in
//! file order and remembers the last record's time. The store writes the list from its
//! head, in calls of 1024 records. Every listed inode stays marked as used in the inode
//! allocator; that bitmap belongs to the node table.

use std::collections::VecDeque;

use crate::format::metadata::free_inodes::{self as codec, FreeInode};
use crate::format::metadata::Encoder;

/// What a `FREEINODES` release did, to compare with the logged counts.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Released {
    /// Inodes made reusable.
    pub freed: u32,
    /// Inodes still open, moved to the tail with the new time.
    pub sustained: u32,
    /// XOR of every inode taken from the head (both kinds).
    pub checksum: u32,
}

/// The free-inode list.
#[derive(Clone, Debug, Default)]
pub struct FreeList {
    list: VecDeque<FreeInode>,
    /// Time of the last append (`freelastts`); 0 when the list was emptied.
    last_ts: u32,
}

impl FreeList {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a decoded `FREE` section, replacing the list.
    pub fn load(&mut self, records: &[FreeInode]) {
        self.list.clear();
        self.list.extend(records.iter().copied());
        self.last_ts = records.last().map_or(0, |f| f.ftime);
    }

    /// Writes the `FREE` body.
    pub fn store(&self, e: &mut Encoder) {
        codec::encode(e, self.list.iter());
    }

    /// The list from its head (oldest first).
    pub fn iter(&self) -> impl ExactSizeIterator<Item = &FreeInode> + '_ {
        self.list.iter()
    }

    pub fn len(&self) -> usize {
        self.list.len()
    }

    pub fn is_empty(&self) -> bool {
        self.list.is_empty()
    }

    /// The time of the last append.
    pub fn last_ts(&self) -> u32 {
        self.last_ts
    }

    /// Appends a freed inode (`fsnodes_free_id`). A time before the last append first
    /// lowers every later time in the list to `ts`, as the master does.
    pub fn push(&mut self, inode: u32, ts: u32) {
        if ts < self.last_ts {
            self.fix_timestamps(ts);
        }
        self.list.push_back(FreeInode { inode, ftime: ts });
        self.last_ts = ts;
    }

    /// `fsnodes_free_fixts`: no time in the list may exceed `ts`.
    fn fix_timestamps(&mut self, ts: u32) {
        for f in &mut self.list {
            if f.ftime > ts {
                f.ftime = ts;
            }
        }
        self.last_ts = ts;
    }

    /// `FREEINODES(delay)` at time `ts` (`fs_univ_freeinodes` in restore mode): takes
    /// from the head every inode freed more than `delay` seconds before `ts`. Those for
    /// which `keep` is true (the caller passes "the logged sustained count is > 0 and the
    /// inode is open") go back to the tail with time `ts`; the others are handed to
    /// `on_free` (to clear them in the inode allocator).
    pub fn release(
        &mut self,
        ts: u32,
        delay: u32,
        keep: impl Fn(u32) -> bool,
        mut on_free: impl FnMut(u32),
    ) -> Released {
        if ts < self.last_ts {
            self.fix_timestamps(ts);
        }
        let mut r = Released::default();
        let mut kept = Vec::new();
        while let Some(f) = self.list.front().copied() {
            // The master adds in 32 bits.
            if f.ftime.wrapping_add(delay) >= ts {
                break;
            }
            self.list.pop_front();
            r.checksum ^= f.inode;
            if keep(f.inode) {
                r.sustained += 1;
                kept.push(FreeInode {
                    inode: f.inode,
                    ftime: ts,
                });
            } else {
                r.freed += 1;
                on_free(f.inode);
            }
        }
        if self.list.is_empty() {
            self.last_ts = 0;
        }
        if !kept.is_empty() {
            self.list.extend(kept);
            self.last_ts = ts;
        }
        r
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::metadata::reader::Reader;
    use crate::format::metadata::Tag;

    fn f(inode: u32, ftime: u32) -> FreeInode {
        FreeInode { inode, ftime }
    }

    fn stored(t: &FreeList) -> (Vec<FreeInode>, Vec<u8>) {
        let mut e = Encoder::new(false);
        e.begin_section(Tag::FREE, codec::VERSION);
        t.store(&mut e);
        e.end_section();
        let bytes = e.finish().0;
        let mut r = Reader::new(bytes.get(16..).unwrap());
        (codec::decode(&mut r, codec::VERSION).unwrap(), bytes)
    }

    #[test]
    fn load_and_store_keep_file_order() {
        let records: Vec<FreeInode> = (0..3000).map(|i| f(3000 - i, i)).collect();
        let mut t = FreeList::new();
        t.load(&records);
        assert_eq!(t.last_ts(), 2999);
        let (back, bytes) = stored(&t);
        assert_eq!(back, records);
        assert_eq!(bytes.len(), 16 + 4 + 8 * 3000);
    }

    #[test]
    fn store_uses_1024_record_calls() {
        let records: Vec<FreeInode> = (0..2100).map(|i| f(i, i)).collect();
        let mut t = FreeList::new();
        t.load(&records);
        let mut e = Encoder::new(true);
        e.begin_section(Tag::FREE, codec::VERSION);
        t.store(&mut e);
        e.end_section();
        let (bytes, crcs) = e.finish();
        let body = &bytes[16..];
        let mut acc = crc32fast::hash(b"FREE 1.0\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF");
        acc ^= crc32fast::hash(&body[..4]);
        for call in body[4..].chunks(8 * 1024) {
            acc ^= crc32fast::hash(call);
        }
        acc ^= crc32fast::hash(&(body.len() as u64).to_be_bytes());
        assert_eq!(crcs, vec![(Tag::FREE, acc)]);
    }

    #[test]
    fn push_lowers_later_times_when_time_goes_back() {
        let mut t = FreeList::new();
        t.load(&[f(1, 10), f(2, 20)]);
        t.push(3, 15);
        let (back, _) = stored(&t);
        assert_eq!(back, vec![f(1, 10), f(2, 15), f(3, 15)]);
    }

    #[test]
    fn release_frees_and_sustains() {
        let mut t = FreeList::new();
        t.load(&[f(1, 10), f(2, 20), f(3, 30), f(4, 100)]);
        let mut freed = Vec::new();
        let r = t.release(90, 60, |i| i == 2, |i| freed.push(i));
        // 10+60 < 90 and 20+60 < 90 are released; 30+60 = 90 is not.
        assert_eq!(freed, vec![1]);
        assert_eq!(
            r,
            Released {
                freed: 1,
                sustained: 1,
                checksum: 1 ^ 2
            }
        );
        // The release time (90) was before the last append (100): times were lowered.
        assert_eq!(stored(&t).0, vec![f(3, 30), f(4, 90), f(2, 90)]);
        assert_eq!(t.last_ts(), 90);
        let r = t.release(1000, 0, |_| false, |_| {});
        assert_eq!(r.freed, 3);
        assert!(t.is_empty());
        assert_eq!(t.last_ts(), 0);
    }
}
