//! POSIX ACLs (`PACL`).
//!
//! The master (`posixacl.c`) keeps one node per (inode, type) in a hash on
//! `inode × 0x56BF7623 + type (mod 2^32)`, bucket = hash & (size - 1), chains prepended
//! to; the store walks buckets ascending, each chain from its head. The hash starts at
//! 2^20 buckets and doubles (rehashing incrementally) once it holds more ACLs than
//! buckets: this table reproduces the 2^20-bucket order only, so past 2^20 ACLs the
//! output is valid but its order is not byte-exact with the master's.
//!
//! Load (`posix_acl_load`, without `-i`): ACLs of inodes that do not exist are skipped
//! silently (before any other check); a type other than 1 (access) or 2 (default), or a
//! second ACL of the same (inode, type), is fatal. In 1.0 sections an ACL with mask 0
//! (written by masters before 3.0.98) is repaired from the node's mode: mask := 7 and the
//! low 3 bits of the user and other permissions := the mode's user and other bits.

use std::borrow::Cow;
use std::collections::HashMap;

use super::hash::bucket_order_key;
use super::LoadError;
use crate::format::metadata::acls::{self as codec, Acl, ACCESS, DEFAULT, NO_MASK};
use crate::format::metadata::section::SectionVersion;
use crate::format::metadata::{Encoder, Tag};

const HASH_BITS: u32 = 20;
const BUCKET_MASK: u32 = (1 << HASH_BITS) - 1;
const ACL_HEADER_LEN: u64 = 17;
const ENTRY_LEN: usize = 6;

/// One ACL as the master keeps it.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct AclState<'a> {
    pub user_perm: u16,
    pub group_perm: u16,
    pub other_perm: u16,
    /// [`NO_MASK`] = no mask entry.
    pub mask: u16,
    pub named_users: u16,
    pub named_groups: u16,
    /// `(named_users + named_groups) × { id:u32 | perm:u16 }`, big-endian, users first.
    pub entries: Cow<'a, [u8]>,
}

impl AclState<'_> {
    /// The named entries as `(id, perm)`, users first.
    pub fn entries(&self) -> impl Iterator<Item = (u32, u16)> + '_ {
        self.entries.chunks_exact(ENTRY_LEN).map(|c| {
            let mut id = [0u8; 4];
            let mut perm = [0u8; 2];
            id.copy_from_slice(c.get(..4).unwrap_or_default());
            perm.copy_from_slice(c.get(4..).unwrap_or_default());
            (u32::from_be_bytes(id), u16::from_be_bytes(perm))
        })
    }

    /// A new node's ACL (`posix_acl_create`): everything 0, no entries.
    pub fn empty() -> Self {
        AclState {
            user_perm: 0,
            group_perm: 0,
            other_perm: 0,
            mask: 0,
            named_users: 0,
            named_groups: 0,
            entries: Cow::Borrowed(&[]),
        }
    }
}

fn key(inode: u32, acl_type: u8) -> u64 {
    (u64::from(inode) << 8) | u64::from(acl_type)
}

fn bucket(inode: u32, acl_type: u8) -> u32 {
    inode
        .wrapping_mul(0x56BF_7623)
        .wrapping_add(u32::from(acl_type))
        & BUCKET_MASK
}

#[derive(Clone, Debug)]
struct Slot<'a> {
    inode: u32,
    acl_type: u8,
    seq: u32,
    acl: AclState<'a>,
}

/// The ACLs of all inodes.
#[derive(Clone, Debug, Default)]
pub struct AclTable<'a> {
    slots: Vec<Option<Slot<'a>>>,
    free: Vec<u32>,
    by_key: HashMap<u64, u32>,
    next_seq: u32,
}

impl<'a> AclTable<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a decoded `PACL` section of the given version. `node_mode` gives an
    /// inode's mode, `None` if it does not exist; `body_offset` is the section body's
    /// absolute offset.
    pub fn load(
        &mut self,
        records: &[Acl<'a>],
        version: SectionVersion,
        node_mode: impl Fn(u32) -> Option<u16>,
        body_offset: u64,
    ) -> Result<(), LoadError> {
        self.slots.reserve(records.len());
        let mut at = body_offset;
        for a in records {
            let record_at = at;
            at += ACL_HEADER_LEN + a.entries.len() as u64;
            let Some(mode) = node_mode(a.inode) else {
                continue;
            };
            if a.acl_type != ACCESS && a.acl_type != DEFAULT {
                return Err(LoadError::rule(
                    Tag::PACL,
                    record_at,
                    format!(
                        "ACL of inode {} has type {} (neither 1, access, nor 2, default)",
                        a.inode, a.acl_type
                    ),
                ));
            }
            if self.by_key.contains_key(&key(a.inode, a.acl_type)) {
                return Err(LoadError::rule(
                    Tag::PACL,
                    record_at,
                    format!(
                        "inode {} has a second {} ACL",
                        a.inode,
                        if a.acl_type == ACCESS {
                            "access"
                        } else {
                            "default"
                        }
                    ),
                ));
            }
            let mut acl = AclState {
                user_perm: a.user_perm,
                group_perm: a.group_perm,
                other_perm: a.other_perm,
                mask: a.mask,
                named_users: a.named_users,
                named_groups: a.named_groups,
                entries: Cow::Borrowed(a.entries),
            };
            if version == 0x10 && acl.mask == 0 {
                acl.user_perm = (acl.user_perm & 0xFFF8) | ((mode >> 6) & 7);
                acl.mask = 7;
                acl.other_perm = (acl.other_perm & 0xFFF8) | (mode & 7);
            }
            self.insert_new(a.inode, a.acl_type, acl);
        }
        Ok(())
    }

    /// Writes the `PACL` body.
    pub fn store(&self, e: &mut Encoder) {
        let mut order: Vec<(u64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.as_ref().map(|s| {
                    (
                        bucket_order_key(bucket(s.inode, s.acl_type), s.seq),
                        i as u32,
                    )
                })
            })
            .collect();
        order.sort_unstable_by_key(|&(key, _)| key);
        for (_, i) in order {
            let Some(Some(s)) = self.slots.get(i as usize) else {
                continue;
            };
            codec::encode_acl(
                e,
                &Acl {
                    inode: s.inode,
                    acl_type: s.acl_type,
                    user_perm: s.acl.user_perm,
                    group_perm: s.acl.group_perm,
                    other_perm: s.acl.other_perm,
                    mask: s.acl.mask,
                    named_users: s.acl.named_users,
                    named_groups: s.acl.named_groups,
                    entries: &s.acl.entries,
                },
            );
        }
        codec::encode_end(e);
    }

    /// The ACL of this type (1 access, 2 default) of `inode`.
    pub fn get(&self, inode: u32, acl_type: u8) -> Option<&AclState<'a>> {
        let slot = *self.by_key.get(&key(inode, acl_type))?;
        self.slots.get(slot as usize)?.as_ref().map(|s| &s.acl)
    }

    /// The ACL of this type of `inode`, to change it in place (its place in the order
    /// does not change).
    pub fn get_mut(&mut self, inode: u32, acl_type: u8) -> Option<&mut AclState<'a>> {
        let slot = *self.by_key.get(&key(inode, acl_type))?;
        self.slots
            .get_mut(slot as usize)?
            .as_mut()
            .map(|s| &mut s.acl)
    }

    /// Whether `inode` has an ACL of this type (the node's ACL flags).
    pub fn has(&self, inode: u32, acl_type: u8) -> bool {
        self.by_key.contains_key(&key(inode, acl_type))
    }

    /// The ACL of this type, created empty at the head of its bucket if missing
    /// (`_find` + `posix_acl_create`); `true` if it was created.
    pub fn get_or_create(&mut self, inode: u32, acl_type: u8) -> (&mut AclState<'a>, bool) {
        let created = !self.has(inode, acl_type);
        if created {
            self.insert_new(inode, acl_type, AclState::empty());
        }
        let slot = self
            .by_key
            .get(&key(inode, acl_type))
            .copied()
            .unwrap_or(u32::MAX);
        match self.slots.get_mut(slot as usize) {
            Some(Some(s)) => (&mut s.acl, created),
            _ => unreachable!("ACL index out of sync"),
        }
    }

    /// `SETACL` replayed (`posix_acl_set`): a minimal access ACL (no named entries,
    /// permissions ≤ 7, no mask) removes the access ACL; otherwise the ACL is created
    /// if missing and overwritten. The node's flag is `has(inode, acl_type)` afterwards.
    pub fn set(&mut self, inode: u32, acl_type: u8, acl: AclState<'a>) {
        if acl_type == ACCESS
            && (acl.named_users | acl.named_groups) == 0
            && acl.user_perm <= 7
            && acl.group_perm <= 7
            && acl.other_perm <= 7
            && acl.mask == NO_MASK
        {
            self.remove(inode, acl_type);
            return;
        }
        *self.get_or_create(inode, acl_type).0 = acl;
    }

    /// Copies the ACL of this type from `src` to `dst` (`posix_acl_copy`), overwriting
    /// `dst`'s in place or creating it. Returns whether `src` had one.
    pub fn copy(&mut self, src: u32, dst: u32, acl_type: u8) -> bool {
        let Some(acl) = self.get(src, acl_type).cloned() else {
            return false;
        };
        *self.get_or_create(dst, acl_type).0 = acl;
        true
    }

    /// Removes the ACL of this type of `inode` (`posix_acl_remove`); `true` if it existed.
    pub fn remove(&mut self, inode: u32, acl_type: u8) -> bool {
        let Some(slot) = self.by_key.remove(&key(inode, acl_type)) else {
            return false;
        };
        if let Some(s) = self.slots.get_mut(slot as usize) {
            *s = None;
        }
        self.free.push(slot);
        true
    }

    /// Removes both ACLs of `inode`.
    pub fn remove_inode(&mut self, inode: u32) {
        self.remove(inode, ACCESS);
        self.remove(inode, DEFAULT);
    }

    /// Number of ACLs.
    pub fn len(&self) -> usize {
        self.by_key.len()
    }

    pub fn is_empty(&self) -> bool {
        self.by_key.is_empty()
    }

    fn insert_new(&mut self, inode: u32, acl_type: u8, acl: AclState<'a>) {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let s = Some(Slot {
            inode,
            acl_type,
            seq,
            acl,
        });
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
        self.by_key.insert(key(inode, acl_type), slot);
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::metadata::reader::Reader;

    fn acl(inode: u32, acl_type: u8, mask: u16, entries: &'static [u8]) -> Acl<'static> {
        let n = (entries.len() / ENTRY_LEN) as u16;
        Acl {
            inode,
            acl_type,
            user_perm: 0x16,
            group_perm: 5,
            other_perm: 0x11,
            mask,
            named_users: n,
            named_groups: 0,
            entries,
        }
    }

    fn stored(t: &AclTable<'_>) -> Vec<Acl<'static>> {
        let mut e = Encoder::new(false);
        e.begin_section(Tag::PACL, codec::VERSION);
        t.store(&mut e);
        e.end_section();
        let bytes: &'static [u8] = Box::leak(e.finish().0.into_boxed_slice());
        let mut r = Reader::new(bytes.get(16..).unwrap());
        codec::decode(&mut r, codec::VERSION).unwrap()
    }

    fn rule(err: LoadError) -> (u64, String) {
        match err {
            LoadError::Rule { offset, reason, .. } => (offset, reason),
            other => panic!("{other:?}"),
        }
    }

    #[test]
    fn load_skips_missing_inodes_and_refuses_bad_types_and_repeats() {
        let mut t = AclTable::new();
        t.load(
            &[acl(9, 7, 7, b""), acl(2, ACCESS, 7, b"")],
            codec::VERSION,
            |i| (i != 9).then_some(0o755),
            0,
        )
        .unwrap();
        assert!(t.has(2, ACCESS) && !t.has(9, 7));
        let entry: &'static [u8] = &[0, 0, 0, 5, 0, 7];
        let (at, reason) = rule(
            AclTable::new()
                .load(
                    &[acl(2, ACCESS, 7, entry), acl(2, 3, 7, b"")],
                    codec::VERSION,
                    |_| Some(0),
                    50,
                )
                .unwrap_err(),
        );
        assert_eq!(at, 50 + 17 + 6);
        assert!(reason.contains("type 3"), "{reason}");
        let (at, reason) = rule(
            AclTable::new()
                .load(
                    &[acl(2, DEFAULT, 7, b""), acl(2, DEFAULT, 1, b"")],
                    codec::VERSION,
                    |_| Some(0),
                    0,
                )
                .unwrap_err(),
        );
        assert_eq!(at, 17);
        assert!(reason.contains("second default"), "{reason}");
    }

    #[test]
    fn version_1_0_mask_repair() {
        let mut t = AclTable::new();
        t.load(
            &[acl(2, ACCESS, 0, b""), acl(3, DEFAULT, 0, b"")],
            0x10,
            |_| Some(0o754),
            0,
        )
        .unwrap();
        for (inode, acl_type) in [(2, ACCESS), (3, DEFAULT)] {
            let a = t.get(inode, acl_type).unwrap();
            assert_eq!(a.mask, 7);
            assert_eq!(a.user_perm, 0x17);
            assert_eq!(a.other_perm, 0x14);
            assert_eq!(a.group_perm, 5);
        }
        // 1.1 sections are taken as they are.
        let mut t = AclTable::new();
        t.load(&[acl(2, ACCESS, 0, b"")], 0x11, |_| Some(0o754), 0)
            .unwrap();
        assert_eq!(t.get(2, ACCESS).unwrap().mask, 0);
    }

    #[test]
    fn store_is_hash_order_newest_first() {
        // Find two keys in one bucket.
        let b = bucket(1, ACCESS);
        let other = (2..u32::MAX).find(|&i| bucket(i, DEFAULT) == b).unwrap();
        let entries: &'static [u8] = Box::leak(vec![1u8; 6 * 150].into_boxed_slice());
        let file = vec![
            acl(1, ACCESS, 7, entries),
            acl(5, DEFAULT, NO_MASK, b""),
            acl(other, DEFAULT, 7, b""),
        ];
        let mut t = AclTable::new();
        t.load(&file, codec::VERSION, |_| Some(0), 0).unwrap();
        let mut expected = vec![file[2], file[0]];
        if bucket(5, DEFAULT) < b {
            expected.insert(0, file[1]);
        } else {
            expected.push(file[1]);
        }
        assert_eq!(stored(&t), expected);
    }

    #[test]
    fn set_copy_remove() {
        let mut t = AclTable::new();
        let minimal = AclState {
            mask: NO_MASK,
            user_perm: 7,
            ..AclState::empty()
        };
        t.set(
            4,
            ACCESS,
            AclState {
                mask: 5,
                ..minimal.clone()
            },
        );
        assert!(t.has(4, ACCESS));
        t.set(4, DEFAULT, minimal.clone());
        assert!(t.has(4, DEFAULT));
        assert!(t.copy(4, 6, DEFAULT));
        assert!(!t.copy(5, 6, ACCESS));
        t.set(4, ACCESS, minimal);
        assert!(!t.has(4, ACCESS));
        assert_eq!(t.len(), 2);
        t.remove_inode(4);
        assert_eq!(t.len(), 1);
        assert_eq!(t.get(6, DEFAULT).unwrap().user_perm, 7);
    }
}
