//! Quota definitions (`QUOT`).
//!
//! The master (`filesystem.c`) keeps quotas in one list, each linked from its directory;
//! new definitions are prepended, and so is every loaded record (`fs_loadquota`), so a
//! load+store reverses the record order. Loading starts a new list.
//!
//! Load rules (without `-i`): a quota on an inode that does not exist, or that is not a
//! directory, is fatal. A second quota on the same directory is not looked for: both
//! stay in the list (and are written), and the directory's quota is the newer one.
//! 1.0 records have no grace period; the master uses its `QUOTA_DEFAULT_GRACE_PERIOD`,
//! whose default is [`DEFAULT_GRACE_PERIOD`].

use std::collections::HashMap;

use super::LoadError;
use crate::format::metadata::quotas::{self as codec, Quota};
use crate::format::metadata::{Encoder, Tag};

/// `QUOTA_DEFAULT_GRACE_PERIOD` of a default master configuration: 7 days.
pub const DEFAULT_GRACE_PERIOD: u32 = 604_800;
const RECORD_LEN_1_0: u64 = 66;
const RECORD_LEN_1_1: u64 = 70;

/// The quota definitions.
#[derive(Clone, Debug, Default)]
pub struct QuotaTable {
    /// `(seq, quota)`, in no particular order; `None` = free slot. The list order is
    /// descending `seq`.
    slots: Vec<Option<(u32, Quota)>>,
    free: Vec<u32>,
    /// Directory inode → slot of its (newest) quota.
    by_inode: HashMap<u32, u32>,
    next_seq: u32,
}

impl QuotaTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a decoded `QUOT` section, replacing the list. `is_directory` tells whether
    /// an inode is a directory, `None` if it does not exist; `grace_period` replaces the
    /// missing grace period of 1.0 records (normally [`DEFAULT_GRACE_PERIOD`]);
    /// `body_offset` is the section body's absolute offset.
    pub fn load(
        &mut self,
        records: &[Quota],
        is_directory: impl Fn(u32) -> Option<bool>,
        grace_period: u32,
        body_offset: u64,
    ) -> Result<(), LoadError> {
        *self = QuotaTable {
            next_seq: self.next_seq,
            ..QuotaTable::default()
        };
        self.slots.reserve(records.len());
        let mut at = body_offset + 4;
        for q in records {
            let record_at = at;
            at += if q.grace_period.is_some() {
                RECORD_LEN_1_1
            } else {
                RECORD_LEN_1_0
            };
            match is_directory(q.inode) {
                Some(true) => {}
                found => {
                    let what = if found.is_none() {
                        "does not exist"
                    } else {
                        "is not a directory"
                    };
                    return Err(LoadError::rule(
                        Tag::QUOT,
                        record_at,
                        format!("quota defined for inode {} which {what}", q.inode),
                    ));
                }
            }
            let mut quota = *q;
            quota.grace_period = Some(q.grace_period.unwrap_or(grace_period));
            self.insert(quota);
        }
        Ok(())
    }

    /// Writes the `QUOT` body.
    pub fn store(&self, e: &mut Encoder) {
        let mut order: Vec<(u32, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|(seq, _)| (*seq, i as u32)))
            .collect();
        order.sort_unstable_by_key(|&(seq, _)| std::cmp::Reverse(seq));
        codec::encode_header(e, order.len() as u32);
        for (_, i) in order {
            if let Some(Some((_, q))) = self.slots.get(i as usize) {
                codec::encode_quota(e, q);
            }
        }
    }

    /// The (newest) quota of directory `inode`.
    pub fn get(&self, inode: u32) -> Option<&Quota> {
        let slot = *self.by_inode.get(&inode)?;
        self.slots.get(slot as usize)?.as_ref().map(|(_, q)| q)
    }

    /// The quota of directory `inode`, to change it (not its inode).
    pub fn get_mut(&mut self, inode: u32) -> Option<&mut Quota> {
        let slot = *self.by_inode.get(&inode)?;
        self.slots.get_mut(slot as usize)?.as_mut().map(|(_, q)| q)
    }

    /// The quota of directory `inode`, created at the head of the list with every field
    /// 0 (grace period included) if missing; `true` if it was created.
    pub fn get_or_create(&mut self, inode: u32) -> (&mut Quota, bool) {
        let created = !self.by_inode.contains_key(&inode);
        if created {
            self.insert(Quota {
                inode,
                grace_period: Some(0),
                ..Quota::default()
            });
        }
        let slot = self.by_inode.get(&inode).copied().unwrap_or(u32::MAX);
        match self.slots.get_mut(slot as usize) {
            Some(Some((_, q))) => (q, created),
            _ => unreachable!("quota index out of sync"),
        }
    }

    /// Deletes the quota of directory `inode` (`fsnodes_delete_quotanode`); `true` if it
    /// had one. Another quota on the same directory (from a loaded file) stays in the
    /// list but is no longer the directory's.
    pub fn remove(&mut self, inode: u32) -> bool {
        let Some(slot) = self.by_inode.remove(&inode) else {
            return false;
        };
        if let Some(s) = self.slots.get_mut(slot as usize) {
            *s = None;
        }
        self.free.push(slot);
        true
    }

    /// Number of quota records (as written).
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    fn insert(&mut self, quota: Quota) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let inode = quota.inode;
        let s = Some((seq, quota));
        let slot = match self.free.pop() {
            Some(i) => {
                if let Some(x) = self.slots.get_mut(i as usize) {
                    *x = s;
                }
                i
            }
            None => {
                self.slots.push(s);
                (self.slots.len() - 1) as u32
            }
        };
        self.by_inode.insert(inode, slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::metadata::reader::Reader;

    fn q(inode: u32, grace: Option<u32>) -> Quota {
        Quota {
            inode,
            grace_period: grace,
            flags: 0x11,
            soft_inodes: 10,
            hard_inodes: 20,
            ..Quota::default()
        }
    }

    fn stored(t: &QuotaTable) -> Vec<Quota> {
        let mut e = Encoder::new(false);
        e.begin_section(Tag::QUOT, codec::VERSION);
        t.store(&mut e);
        e.end_section();
        let bytes = e.finish().0;
        let mut r = Reader::new(bytes.get(16..).unwrap());
        codec::decode(&mut r, codec::VERSION).unwrap()
    }

    fn dirs(i: u32) -> Option<bool> {
        match i {
            1..=9 => Some(true),
            10..=19 => Some(false),
            _ => None,
        }
    }

    #[test]
    fn load_reverses_and_store_writes_all() {
        let mut t = QuotaTable::new();
        t.load(
            &[q(1, Some(5)), q(2, Some(6)), q(3, Some(7))],
            dirs,
            604_800,
            0,
        )
        .unwrap();
        assert_eq!(
            stored(&t),
            vec![q(3, Some(7)), q(2, Some(6)), q(1, Some(5))]
        );
    }

    #[test]
    fn version_1_0_records_get_the_default_grace_period() {
        let mut t = QuotaTable::new();
        t.load(&[q(1, None)], dirs, DEFAULT_GRACE_PERIOD, 0)
            .unwrap();
        assert_eq!(stored(&t), vec![q(1, Some(604_800))]);
    }

    #[test]
    fn quota_on_missing_or_non_directory_is_fatal() {
        for (inode, word) in [(12, "not a directory"), (99, "does not exist")] {
            let err = QuotaTable::new()
                .load(&[q(1, None), q(inode, None)], dirs, 0, 100)
                .unwrap_err();
            let LoadError::Rule { offset, reason, .. } = err else {
                panic!()
            };
            assert_eq!(offset, 100 + 4 + 66);
            assert!(reason.contains(word), "{reason}");
        }
    }

    #[test]
    fn repeated_directory_keeps_both_records() {
        let mut t = QuotaTable::new();
        t.load(&[q(1, Some(1)), q(1, Some(2))], dirs, 0, 0).unwrap();
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(1).unwrap().grace_period, Some(2));
        assert!(t.remove(1));
        assert!(t.get(1).is_none());
        assert_eq!(stored(&t), vec![q(1, Some(1))]);
    }

    #[test]
    fn new_quotas_are_prepended() {
        let mut t = QuotaTable::new();
        t.load(&[q(1, Some(1))], dirs, 0, 0).unwrap();
        let (quota, created) = t.get_or_create(2);
        assert!(created);
        quota.flags = 1;
        assert!(!t.get_or_create(2).1);
        let inodes: Vec<u32> = stored(&t).iter().map(|q| q.inode).collect();
        assert_eq!(inodes, vec![2, 1]);
        assert_eq!(stored(&t)[0].grace_period, Some(0));
    }
}
