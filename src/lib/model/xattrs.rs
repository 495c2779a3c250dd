//! Extended attributes (`XATR`).
//!
//! The master (`xattr.c`) keeps one entry per inode in a hash on `inode & (size - 1)`
//! whose chains are prepended to, each entry holding a list of (name, value) pairs.
//! New pairs are prepended; loaded pairs are appended in file order (also when an
//! inode's records are not consecutive). The store walks buckets ascending, each chain
//! from its head, each entry's pairs in list order.
//!
//! The hash starts at 2^20 buckets and doubles (with incremental rehashing) once more
//! than that many inodes carry attributes. This table reproduces the order of the
//! 2^20-bucket table only: with more than 2^20 inodes with attributes the output is
//! still valid but its order is not byte-exact with the master's.
//!
//! Load (`xattr_load`, without `-i`): records of inodes that do not exist are skipped
//! silently (before any other check); an empty name or a value longer than 65536 bytes
//! is fatal. Repeated names are not looked for.

use std::borrow::Cow;

use super::hash::bucket_order_key;
use super::inode_map::InodeMap;
use super::LoadError;
use crate::format::metadata::xattrs::{self as codec, Xattr};
use crate::format::metadata::{Encoder, Tag};

/// MooseFS status numbers returned by [`XattrTable::set`].
mod status {
    pub const EEXIST: u8 = 5;
    pub const ENOATTR: u8 = 38;
    pub const ERANGE: u8 = 40;
}

/// Largest value (`MFS_XATTR_SIZE_MAX`).
pub const MAX_VALUE_LEN: usize = 65536;
/// Largest total of (name length + 1) over an inode's attributes (`MFS_XATTR_LIST_MAX`).
pub const MAX_LIST_LEN: usize = 65536;
/// Bits of the initial hash size (2^20 buckets).
const HASH_BITS: u32 = 20;
const BUCKET_MASK: u32 = (1 << HASH_BITS) - 1;
const XATTR_HEADER_LEN: u64 = 9;
/// The two prefetching steps of [`XattrTable::load`]: [`Ahead::Far`] for a record
/// `LOOKAHEAD` places ahead (e.g. the node's index entry), [`Ahead::Near`] for one half
/// as far (e.g. the node itself, which the first step located).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Ahead {
    Far,
    Near,
}

/// How many records ahead [`XattrTable::load`] asks for nodes.
const LOOKAHEAD: usize = 16;
/// End of a pair list; also marks a free inode slot.
const NIL: u32 = u32::MAX;

/// What `SETXATTR` asks for (`MFS_XATTR_*`).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum SetMode {
    CreateOrReplace = 0,
    CreateOnly = 1,
    ReplaceOnly = 2,
    Remove = 3,
}

impl SetMode {
    /// The mode of a changelog number, `None` if out of range.
    pub fn from_u32(mode: u32) -> Option<Self> {
        Some(match mode {
            0 => SetMode::CreateOrReplace,
            1 => SetMode::CreateOnly,
            2 => SetMode::ReplaceOnly,
            3 => SetMode::Remove,
            _ => return None,
        })
    }
}

/// An attribute's name and value.
type NameValue<'a> = (Cow<'a, [u8]>, Cow<'a, [u8]>);

#[derive(Clone, Debug)]
struct Pair<'a> {
    name: Cow<'a, [u8]>,
    value: Cow<'a, [u8]>,
    next: u32,
}

#[derive(Clone, Copy, Debug)]
struct Entry {
    inode: u32,
    seq: u32,
    head: u32,
    tail: u32,
}

/// The extended attributes of all inodes.
#[derive(Clone, Debug, Default)]
pub struct XattrTable<'a> {
    pairs: Vec<Pair<'a>>,
    free_pairs: Vec<u32>,
    entries: Vec<Option<Entry>>,
    free_entries: Vec<u32>,
    by_inode: InodeMap,
    next_seq: u32,
}

impl<'a> XattrTable<'a> {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a decoded `XATR` section. `node_exists` tells whether an inode exists;
    /// `body_offset` is the section body's absolute offset.
    pub fn load(
        &mut self,
        records: &[Xattr<'a>],
        node_exists: impl Fn(u32) -> bool,
        prefetch_node: impl Fn(u32, Ahead),
        body_offset: u64,
    ) -> Result<(), LoadError> {
        self.pairs.reserve(records.len());
        let mut at = body_offset;
        // Records come in hash order, so `node_exists` looks up nodes at random: the
        // node of the record LOOKAHEAD places ahead is asked for early, in two steps.
        let mut far = records.iter().skip(LOOKAHEAD).map(|x| x.inode);
        let mut near = records.iter().skip(LOOKAHEAD / 2).map(|x| x.inode);
        for x in records {
            if let Some(inode) = far.next() {
                prefetch_node(inode, Ahead::Far);
            }
            if let Some(inode) = near.next() {
                prefetch_node(inode, Ahead::Near);
            }
            let record_at = at;
            at += XATTR_HEADER_LEN + x.name.len() as u64 + x.value.len() as u64;
            if !node_exists(x.inode) {
                continue;
            }
            if x.name.is_empty() {
                return Err(LoadError::rule(
                    Tag::XATR,
                    record_at,
                    format!("extended attribute of inode {} has an empty name", x.inode),
                ));
            }
            if x.value.len() > MAX_VALUE_LEN {
                return Err(LoadError::rule(
                    Tag::XATR,
                    record_at,
                    format!(
                        "extended attribute \"{}\" of inode {} has a {}-byte value \
                         (at most {MAX_VALUE_LEN})",
                        x.name.escape_ascii(),
                        x.inode,
                        x.value.len()
                    ),
                ));
            }
            let e = self.entry_or_create(x.inode);
            self.append_pair(e, Cow::Borrowed(x.name), Cow::Borrowed(x.value));
        }
        Ok(())
    }

    /// Writes the `XATR` body.
    pub fn store(&self, e: &mut Encoder) {
        let mut order: Vec<(u64, u32)> = self
            .entries
            .iter()
            .enumerate()
            .filter_map(|(i, en)| {
                en.map(|en| (bucket_order_key(en.inode & BUCKET_MASK, en.seq), i as u32))
            })
            .collect();
        order.sort_unstable_by_key(|&(key, _)| key);
        for (_, i) in order {
            let Some(Some(entry)) = self.entries.get(i as usize) else {
                continue;
            };
            for pair in self.pair_list(entry.head) {
                codec::encode_xattr(
                    e,
                    &Xattr {
                        inode: entry.inode,
                        name: &pair.name,
                        value: &pair.value,
                    },
                );
            }
        }
        codec::encode_end(e);
    }

    /// Whether `inode` has an attribute entry (the node's "has xattr" flag). An entry can
    /// exist without pairs after a refused `SETXATTR`, as in the master.
    pub fn has(&self, inode: u32) -> bool {
        self.by_inode.contains_key(inode)
    }

    /// The attributes of `inode` as (name, value), in list order.
    pub fn get(&self, inode: u32) -> impl Iterator<Item = (&[u8], &[u8])> + '_ {
        let head = self.entry(inode).map_or(NIL, |e| e.head);
        self.pair_list(head)
            .map(|p| (p.name.as_ref(), p.value.as_ref()))
    }

    /// The value of attribute `name` of `inode`.
    pub fn value(&self, inode: u32, name: &[u8]) -> Option<&[u8]> {
        self.get(inode).find(|(n, _)| *n == name).map(|(_, v)| v)
    }

    /// `SETXATTR` replayed (`xattr_setattr`; the caller checks the node and the lengths
    /// first, as `fs_mr_setxattr` does). `Err` holds the MooseFS status. As in the master,
    /// a create refused for the list size leaves a new, empty entry behind.
    pub fn set(
        &mut self,
        inode: u32,
        name: Cow<'a, [u8]>,
        value: Cow<'a, [u8]>,
        mode: SetMode,
    ) -> Result<(), u8> {
        if name.len() + 1 > MAX_LIST_LEN {
            return Err(status::ERANGE);
        }
        let slot = match mode {
            SetMode::ReplaceOnly | SetMode::Remove => {
                self.by_inode.get(inode).ok_or(status::ENOATTR)?
            }
            SetMode::CreateOrReplace | SetMode::CreateOnly => self.entry_or_create(inode),
        };
        let Some(Some(entry)) = self.entries.get(slot as usize).copied() else {
            return Err(status::ENOATTR);
        };
        let mut list_len = 0usize;
        let (mut prev, mut cur) = (NIL, entry.head);
        while let Some(pair) = self.pairs.get(cur as usize) {
            if *pair.name == *name {
                return match mode {
                    SetMode::CreateOnly => Err(status::EEXIST),
                    SetMode::Remove => {
                        self.unlink_pair(slot, prev, cur);
                        Ok(())
                    }
                    SetMode::CreateOrReplace | SetMode::ReplaceOnly => {
                        if value.len() > MAX_VALUE_LEN {
                            return Err(status::ERANGE);
                        }
                        if let Some(p) = self.pairs.get_mut(cur as usize) {
                            p.value = value;
                        }
                        Ok(())
                    }
                };
            }
            list_len += pair.name.len() + 1;
            prev = cur;
            cur = pair.next;
        }
        match mode {
            SetMode::ReplaceOnly | SetMode::Remove => Err(status::ENOATTR),
            _ if list_len + name.len() + 1 > MAX_LIST_LEN => Err(status::ERANGE),
            _ => {
                self.prepend_pair(slot, name, value);
                Ok(())
            }
        }
    }

    /// Gives `dst` a copy of the attributes of `src` (`xattr_copy`, used by snapshots on
    /// a new node). Returns whether `src` had an entry (the new node's flag).
    pub fn copy(&mut self, src: u32, dst: u32) -> bool {
        let Some(src_entry) = self.entry(src).copied() else {
            return false;
        };
        self.remove_inode(dst);
        let copied: Vec<NameValue<'a>> = self
            .pair_list(src_entry.head)
            .map(|p| (p.name.clone(), p.value.clone()))
            .collect();
        let slot = self.entry_or_create(dst);
        for (name, value) in copied {
            self.append_pair(slot, name, value);
        }
        true
    }

    /// Hints that the attributes of `inode` will be looked up soon: its place in the
    /// index (see [`super::prefetch`]).
    #[inline]
    pub fn prefetch_index(&self, inode: u32) {
        self.by_inode.prefetch(inode);
    }

    /// The step after [`XattrTable::prefetch_index`]: fetches the entry of `inode`.
    #[inline]
    pub fn prefetch_entry(&self, inode: u32) {
        if let Some(e) = self
            .by_inode
            .get(inode)
            .and_then(|s| self.entries.get(s as usize))
        {
            super::prefetch::prefetch(e);
        }
    }

    /// Drops every attribute of `inode` (`xattr_removeinode`).
    pub fn remove_inode(&mut self, inode: u32) {
        let Some(slot) = self.by_inode.remove(inode) else {
            return;
        };
        let head = self
            .entries
            .get(slot as usize)
            .copied()
            .flatten()
            .map_or(NIL, |e| e.head);
        self.free_pair_list(head);
        if let Some(e) = self.entries.get_mut(slot as usize) {
            *e = None;
        }
        self.free_entries.push(slot);
    }

    fn entry(&self, inode: u32) -> Option<&Entry> {
        let slot = self.by_inode.get(inode)?;
        self.entries.get(slot as usize)?.as_ref()
    }

    fn entry_or_create(&mut self, inode: u32) -> u32 {
        if let Some(slot) = self.by_inode.get(inode) {
            return slot;
        }
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let entry = Some(Entry {
            inode,
            seq,
            head: NIL,
            tail: NIL,
        });
        let slot = match self.free_entries.pop() {
            Some(s) => {
                if let Some(e) = self.entries.get_mut(s as usize) {
                    *e = entry;
                }
                s
            }
            None => {
                self.entries.push(entry);
                (self.entries.len() - 1) as u32
            }
        };
        self.by_inode.insert(inode, slot);
        slot
    }

    fn new_pair(&mut self, name: Cow<'a, [u8]>, value: Cow<'a, [u8]>, next: u32) -> u32 {
        let pair = Pair { name, value, next };
        match self.free_pairs.pop() {
            Some(p) => {
                if let Some(slot) = self.pairs.get_mut(p as usize) {
                    *slot = pair;
                }
                p
            }
            None => {
                self.pairs.push(pair);
                (self.pairs.len() - 1) as u32
            }
        }
    }

    fn append_pair(&mut self, slot: u32, name: Cow<'a, [u8]>, value: Cow<'a, [u8]>) {
        let p = self.new_pair(name, value, NIL);
        let Some(Some(entry)) = self.entries.get_mut(slot as usize) else {
            return;
        };
        let old_tail = entry.tail;
        entry.tail = p;
        if old_tail == NIL {
            entry.head = p;
        } else if let Some(t) = self.pairs.get_mut(old_tail as usize) {
            t.next = p;
        }
    }

    fn prepend_pair(&mut self, slot: u32, name: Cow<'a, [u8]>, value: Cow<'a, [u8]>) {
        let head = match self.entries.get(slot as usize) {
            Some(Some(e)) => e.head,
            _ => return,
        };
        let p = self.new_pair(name, value, head);
        if let Some(Some(entry)) = self.entries.get_mut(slot as usize) {
            entry.head = p;
            if entry.tail == NIL {
                entry.tail = p;
            }
        }
    }

    /// Unlinks pair `cur` (after `prev`) from entry `slot`; drops the entry when empty.
    fn unlink_pair(&mut self, slot: u32, prev: u32, cur: u32) {
        let next = self.pairs.get(cur as usize).map_or(NIL, |p| p.next);
        if let Some(p) = self.pairs.get_mut(cur as usize) {
            p.name = Cow::Borrowed(&[]);
            p.value = Cow::Borrowed(&[]);
            p.next = NIL;
        }
        self.free_pairs.push(cur);
        if prev != NIL {
            if let Some(p) = self.pairs.get_mut(prev as usize) {
                p.next = next;
            }
        }
        let Some(Some(entry)) = self.entries.get_mut(slot as usize) else {
            return;
        };
        if prev == NIL {
            entry.head = next;
        }
        if entry.tail == cur {
            entry.tail = prev;
        }
        if entry.head == NIL {
            let inode = entry.inode;
            self.remove_inode(inode);
        }
    }

    fn free_pair_list(&mut self, mut cur: u32) {
        while let Some(p) = self.pairs.get_mut(cur as usize) {
            let next = p.next;
            p.name = Cow::Borrowed(&[]);
            p.value = Cow::Borrowed(&[]);
            p.next = NIL;
            self.free_pairs.push(cur);
            cur = next;
        }
    }

    fn pair_list(&self, head: u32) -> impl Iterator<Item = &Pair<'a>> + '_ {
        let mut cur = head;
        std::iter::from_fn(move || {
            let p = self.pairs.get(cur as usize)?;
            cur = p.next;
            Some(p)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::metadata::reader::Reader;

    fn x(inode: u32, name: &'static [u8], value: &'static [u8]) -> Xattr<'static> {
        Xattr { inode, name, value }
    }

    fn stored(t: &XattrTable<'_>) -> Vec<(u32, Vec<u8>, Vec<u8>)> {
        let mut e = Encoder::new(false);
        e.begin_section(Tag::XATR, codec::VERSION);
        t.store(&mut e);
        e.end_section();
        let bytes = e.finish().0;
        let mut r = Reader::new(bytes.get(16..).unwrap());
        codec::decode(&mut r, codec::VERSION)
            .unwrap()
            .into_iter()
            .map(|x| (x.inode, x.name.to_vec(), x.value.to_vec()))
            .collect()
    }

    fn triple(inode: u32, name: &[u8], value: &[u8]) -> (u32, Vec<u8>, Vec<u8>) {
        (inode, name.to_vec(), value.to_vec())
    }

    #[test]
    fn load_skips_missing_inodes_before_checking() {
        let mut t = XattrTable::new();
        t.load(
            &[x(9, b"", b""), x(2, b"user.a", b"1")],
            |i| i != 9,
            |_, _| {},
            0,
        )
        .unwrap();
        assert!(!t.has(9));
        assert!(t.has(2));
        assert_eq!(t.value(2, b"user.a"), Some(&b"1"[..]));
    }

    #[test]
    fn load_refuses_empty_names_and_huge_values() {
        let err = XattrTable::new()
            .load(
                &[x(2, b"ab", b"xyz"), x(3, b"", b"v")],
                |_| true,
                |_, _| {},
                100,
            )
            .unwrap_err();
        let LoadError::Rule { offset, reason, .. } = err else {
            panic!()
        };
        assert_eq!(offset, 100 + 9 + 2 + 3);
        assert!(reason.contains("inode 3"), "{reason}");
        let big: &'static [u8] = Box::leak(vec![0u8; MAX_VALUE_LEN + 1].into_boxed_slice());
        assert!(XattrTable::new()
            .load(&[x(2, b"a", big)], |_| true, |_, _| {}, 0)
            .is_err());
        let max: &'static [u8] = &big[1..];
        assert!(XattrTable::new()
            .load(&[x(2, b"a", max)], |_| true, |_, _| {}, 0)
            .is_ok());
    }

    #[test]
    fn store_is_inode_bucket_order_with_pairs_in_file_order() {
        let mut t = XattrTable::new();
        // Inode 3 and 3 + 2^20 share a bucket; the later one goes first.
        let far = 3 + (1 << 20);
        t.load(
            &[
                x(7, b"b", b"1"),
                x(3, b"a", b"2"),
                x(far, b"c", b"3"),
                x(7, b"a", b"4"),
                x(3, b"z", b""),
            ],
            |_| true,
            |_, _| {},
            0,
        )
        .unwrap();
        assert_eq!(
            stored(&t),
            vec![
                triple(far, b"c", b"3"),
                triple(3, b"a", b"2"),
                triple(3, b"z", b""),
                triple(7, b"b", b"1"),
                triple(7, b"a", b"4"),
            ]
        );
    }

    #[test]
    fn set_modes() {
        let mut t = XattrTable::new();
        let c = |s: &'static [u8]| Cow::Borrowed(s);
        assert_eq!(t.set(5, c(b"a"), c(b"1"), SetMode::ReplaceOnly), Err(38));
        t.set(5, c(b"a"), c(b"1"), SetMode::CreateOnly).unwrap();
        t.set(5, c(b"b"), c(b"2"), SetMode::CreateOrReplace)
            .unwrap();
        assert_eq!(t.set(5, c(b"a"), c(b"x"), SetMode::CreateOnly), Err(5));
        t.set(5, c(b"a"), c(b"3"), SetMode::ReplaceOnly).unwrap();
        // New pairs are prepended.
        assert_eq!(
            stored(&t),
            vec![triple(5, b"b", b"2"), triple(5, b"a", b"3")]
        );
        assert_eq!(t.set(5, c(b"q"), c(b""), SetMode::Remove), Err(38));
        t.set(5, c(b"a"), c(b""), SetMode::Remove).unwrap();
        t.set(5, c(b"c"), c(b"4"), SetMode::CreateOrReplace)
            .unwrap();
        assert_eq!(
            stored(&t),
            vec![triple(5, b"c", b"4"), triple(5, b"b", b"2")]
        );
        t.set(5, c(b"c"), c(b""), SetMode::Remove).unwrap();
        t.set(5, c(b"b"), c(b""), SetMode::Remove).unwrap();
        assert!(!t.has(5));
        assert_eq!(stored(&t), vec![]);
    }

    #[test]
    fn copy_and_remove() {
        let mut t = XattrTable::new();
        t.load(
            &[x(1, b"a", b"1"), x(1, b"b", b"2")],
            |_| true,
            |_, _| {},
            0,
        )
        .unwrap();
        assert!(t.copy(1, 8));
        assert!(!t.copy(2, 9));
        assert!(!t.has(9));
        let names: Vec<&[u8]> = t.get(8).map(|(n, _)| n).collect();
        assert_eq!(names, vec![&b"a"[..], b"b"]);
        t.remove_inode(1);
        assert!(!t.has(1));
        assert_eq!(
            stored(&t),
            vec![triple(8, b"a", b"1"), triple(8, b"b", b"2")]
        );
    }
}
