//! Storage classes (`SCLA`): the master's fixed table of 256 class slots.
//!
//! Slot `id` holds class `id`; a slot whose name is empty is free. Classes 1..=9 exist
//! from the start (named `"1"`..`"9"`, class N keeping N copies on any server). User
//! classes get ids from 10 on: the lowest free id below `first_never_used`, else
//! `first_never_used` itself, which then grows (it never shrinks; 255 is the last id).
//!
//! Load (`sclass_load` in `storageclass.c`, without `-i`): the decoder already refuses
//! bad label counts, ids 0 or ≥ 256 and nameless classes; here a record for ids 1..=9
//! silently replaces the predefined class, and a second definition of an id ≥ 10 is
//! fatal. Every loaded id raises `first_never_used` to `id + 1` (never below 10). Loading
//! also resets the usage counters of the loaded ids to 0, as the master does.
//!
//! Store (`sclass_store`): the or-group byte (always 4), then every named class in
//! ascending id, then the 10-byte terminator.

use std::borrow::Cow;

use super::LoadError;
use crate::format::metadata::section::SectionVersion;
use crate::format::metadata::storage_classes::{
    self as codec, Labels, StorageClass, StorageClasses, FIRST_USER_CLASS, MAX_CLASSES, MAX_LABELS,
    MODE_STD,
};
use crate::format::metadata::{Encoder, Tag};

/// MooseFS status numbers returned by the replay operations.
mod status {
    pub const EPERM: u8 = 1;
    pub const EINVAL: u8 = 6;
    pub const MISMATCH: u8 = 32;
    pub const CLASS_EXISTS: u8 = 50;
    pub const CLASS_LIMIT_REACHED: u8 = 51;
    pub const NO_SUCH_CLASS: u8 = 52;
    pub const CLASS_IN_USE: u8 = 53;
}

/// The decimal digits, for the names of the predefined classes.
const DIGITS: &[u8; 10] = b"0123456789";

/// How many nodes use a class: decides whether `SCDEL` may delete it.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct ClassUsage {
    /// FILE, TRASH and SUSTAINED nodes.
    pub files: u32,
    pub directories: u32,
}

/// The settable parameters of a class (everything but its id and name).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ClassParams {
    pub admin_only: u8,
    pub mode: u8,
    pub arch_delay: u16,
    pub create: Labels,
    pub keep: Labels,
    pub arch: Labels,
}

/// The storage classes of a file system.
#[derive(Clone, Debug)]
pub struct StorageClassTable<'a> {
    /// `MAX_CLASSES` slots; `classes[id].id == id`; an empty name marks a free slot.
    classes: Vec<StorageClass<'a>>,
    usage: Vec<ClassUsage>,
    first_never_used: u16,
}

fn empty_class<'a>(id: u16) -> StorageClass<'a> {
    StorageClass {
        id,
        name: Cow::Borrowed(&[]),
        admin_only: 0,
        mode: MODE_STD,
        arch_delay: 0,
        create: Labels::default(),
        keep: Labels::default(),
        arch: Labels::default(),
    }
}

fn predefined_class<'a>(id: u16) -> StorageClass<'a> {
    let digit = usize::from(id);
    let labels = Labels {
        count: id as u8,
        labels: [[0; 4]; MAX_LABELS],
    };
    StorageClass {
        name: Cow::Borrowed(DIGITS.get(digit..=digit).unwrap_or_default()),
        create: labels,
        keep: labels,
        arch: labels,
        ..empty_class(id)
    }
}

/// The length of a 1.6 class record with `or_groups` masks per label.
fn record_len_1_6(c: &StorageClass<'_>, or_groups: u8) -> u64 {
    let labels = u64::from(c.create.count) + u64::from(c.keep.count) + u64::from(c.arch.count);
    10 + c.name.len() as u64 + 4 * u64::from(or_groups) * labels
}

fn counts_valid(p: &ClassParams) -> bool {
    [p.create.count, p.keep.count, p.arch.count]
        .iter()
        .all(|&n| n >= 1 && usize::from(n) <= MAX_LABELS)
}

fn name_valid(name: &[u8]) -> bool {
    !name.is_empty() && name.len() <= 255 && !name.contains(&0)
}

impl Default for StorageClassTable<'_> {
    fn default() -> Self {
        Self::new()
    }
}

impl<'a> StorageClassTable<'a> {
    /// The table of a new file system: classes 1..=9 predefined.
    pub fn new() -> Self {
        let classes = (0..MAX_CLASSES)
            .map(|id| {
                if (1..FIRST_USER_CLASS).contains(&id) {
                    predefined_class(id)
                } else {
                    empty_class(id)
                }
            })
            .collect();
        StorageClassTable {
            classes,
            usage: vec![ClassUsage::default(); usize::from(MAX_CLASSES)],
            first_never_used: FIRST_USER_CLASS,
        }
    }

    /// Applies a decoded `SCLA`/`LABS` section. `body_offset` is the absolute offset of the
    /// section body; error offsets are exact for version 1.6 and the body offset for older
    /// versions (whose record lengths the decoded data does not fully give).
    pub fn load(
        &mut self,
        section: &StorageClasses<'a>,
        version: SectionVersion,
        body_offset: u64,
    ) -> Result<(), LoadError> {
        let exact = version == codec::VERSION;
        let mut at = body_offset + 1;
        for class in &section.classes {
            let id = class.id;
            let record_at = if exact { at } else { body_offset };
            let (Some(slot), Some(usage)) = (
                self.classes.get_mut(usize::from(id)),
                self.usage.get_mut(usize::from(id)),
            ) else {
                return Err(LoadError::rule(
                    Tag::SCLA,
                    record_at,
                    format!("storage class id {id} is out of range"),
                ));
            };
            if id == 0 || class.name.is_empty() {
                return Err(LoadError::rule(
                    Tag::SCLA,
                    record_at,
                    format!("storage class id {id} is invalid or has no name"),
                ));
            }
            if id >= FIRST_USER_CLASS && !slot.name.is_empty() {
                return Err(LoadError::rule(
                    Tag::SCLA,
                    record_at,
                    format!("storage class {id} is defined twice"),
                ));
            }
            *slot = class.clone();
            *usage = ClassUsage::default();
            if id >= self.first_never_used {
                self.first_never_used = id + 1;
            }
            at += record_len_1_6(class, section.or_groups);
        }
        Ok(())
    }

    /// Writes the `SCLA` body.
    pub fn store(&self, e: &mut Encoder) {
        codec::encode_header(e);
        for class in self.defined() {
            codec::encode_class(e, class);
        }
        codec::encode_end(e);
    }

    /// The defined classes, ascending id.
    pub fn defined(&self) -> impl Iterator<Item = &StorageClass<'a>> + '_ {
        self.classes
            .iter()
            .take(usize::from(self.first_never_used))
            .skip(1)
            .filter(|c| !c.name.is_empty())
    }

    /// Class `id`, if defined.
    pub fn get(&self, id: u16) -> Option<&StorageClass<'a>> {
        self.classes
            .get(usize::from(id))
            .filter(|c| !c.name.is_empty())
    }

    /// 1 + the highest id ever used, at least 10.
    pub fn first_never_used(&self) -> u16 {
        self.first_never_used
    }

    /// The id of the class named `name` (`sclass_find_by_name`).
    pub fn find_by_name(&self, name: &[u8]) -> Option<u16> {
        self.classes
            .iter()
            .take(usize::from(self.first_never_used))
            .skip(1)
            .find(|c| *c.name == *name)
            .map(|c| c.id)
    }

    /// How many nodes use class `id`.
    pub fn usage(&self, id: u16) -> ClassUsage {
        self.usage.get(usize::from(id)).copied().unwrap_or_default()
    }

    /// Counts one more node of class `id` (`sclass_incref`); `directory` tells which
    /// counter (callers pass only directories and FILE/TRASH/SUSTAINED nodes).
    pub fn add_use(&mut self, id: u16, directory: bool) {
        if let Some(u) = self.usage.get_mut(usize::from(id)) {
            if directory {
                u.directories = u.directories.wrapping_add(1);
            } else {
                u.files = u.files.wrapping_add(1);
            }
        }
    }

    /// Counts `n` more nodes of class `id` ([`StorageClassTable::add_use`] `n` times).
    pub fn add_uses(&mut self, id: u16, directory: bool, n: u32) {
        if let Some(u) = self.usage.get_mut(usize::from(id)) {
            if directory {
                u.directories = u.directories.wrapping_add(n);
            } else {
                u.files = u.files.wrapping_add(n);
            }
        }
    }

    /// Counts one node less of class `id` (`sclass_decref`).
    pub fn remove_use(&mut self, id: u16, directory: bool) {
        if let Some(u) = self.usage.get_mut(usize::from(id)) {
            if directory {
                u.directories = u.directories.wrapping_sub(1);
            } else {
                u.files = u.files.wrapping_sub(1);
            }
        }
    }

    /// Allocation as the master does it: the first free id below `first_never_used`
    /// (found while scanning for `name`), else `first_never_used`, which then grows even
    /// if the caller later fails.
    fn scan_for(&self, name: &[u8]) -> (Option<u16>, Option<u16>) {
        let mut free = None;
        for c in self
            .classes
            .iter()
            .take(usize::from(self.first_never_used))
            .skip(1)
        {
            if *c.name == *name {
                return (Some(c.id), free);
            }
            if c.name.is_empty() && free.is_none() {
                free = Some(c.id);
            }
        }
        (None, free)
    }

    fn take_never_used(&mut self) -> Result<u16, u8> {
        if self.first_never_used >= MAX_CLASSES {
            return Err(status::CLASS_LIMIT_REACHED);
        }
        let id = self.first_never_used;
        self.first_never_used += 1;
        Ok(id)
    }

    /// `SCSET` replayed (`sclass_mr_set_entry`): creates (`new`) or changes the class
    /// `name`, which must get or have the id `expected`. `Err` holds the MooseFS status.
    /// As in the master, a new id taken from `first_never_used` stays taken even when
    /// the id or the label counts are then refused.
    pub fn set_entry(
        &mut self,
        name: Cow<'a, [u8]>,
        expected: u16,
        new: bool,
        params: &ClassParams,
    ) -> Result<(), u8> {
        if !name_valid(&name) {
            return Err(status::EINVAL);
        }
        let id = match self.scan_for(&name) {
            (Some(_), _) if new => return Err(status::CLASS_EXISTS),
            (Some(id), _) => id,
            (None, _) if !new => return Err(status::NO_SUCH_CLASS),
            (None, Some(free)) => free,
            (None, None) => self.take_never_used()?,
        };
        if id != expected {
            return Err(status::MISMATCH);
        }
        if !counts_valid(params) {
            return Err(status::EINVAL);
        }
        let Some(slot) = self.classes.get_mut(usize::from(id)) else {
            return Err(status::MISMATCH);
        };
        if new {
            slot.name = name;
        }
        slot.admin_only = params.admin_only;
        slot.mode = params.mode;
        slot.arch_delay = params.arch_delay;
        copy_labels(&mut slot.create, &params.create);
        copy_labels(&mut slot.keep, &params.keep);
        copy_labels(&mut slot.arch, &params.arch);
        Ok(())
    }

    /// `SCDUP` replayed (`sclass_univ_duplicate_entry` with the logged ids): copies class
    /// `src` (id `expected_src`) to a new class `dst` (id `expected_dst`). Ids of 0 mean
    /// "not logged" and must then both be 0.
    pub fn duplicate_entry(
        &mut self,
        src: &[u8],
        dst: Cow<'a, [u8]>,
        expected_src: u16,
        expected_dst: u16,
    ) -> Result<(), u8> {
        if !name_valid(src) || !name_valid(&dst) || ((expected_src == 0) != (expected_dst == 0)) {
            return Err(status::EINVAL);
        }
        let src_id = self.find_by_name(src).ok_or(status::NO_SUCH_CLASS)?;
        if expected_src != 0 && src_id != expected_src {
            return Err(status::MISMATCH);
        }
        let dst_id = match self.scan_for(&dst) {
            (Some(_), _) => return Err(status::CLASS_EXISTS),
            (None, Some(free)) => free,
            (None, None) => self.take_never_used()?,
        };
        if expected_dst != 0 && dst_id != expected_dst {
            return Err(status::MISMATCH);
        }
        let Some(source) = self.classes.get(usize::from(src_id)).cloned() else {
            return Err(status::MISMATCH);
        };
        let Some(slot) = self.classes.get_mut(usize::from(dst_id)) else {
            return Err(status::MISMATCH);
        };
        slot.name = dst;
        slot.admin_only = source.admin_only;
        slot.mode = source.mode;
        slot.arch_delay = source.arch_delay;
        copy_labels(&mut slot.create, &source.create);
        copy_labels(&mut slot.keep, &source.keep);
        copy_labels(&mut slot.arch, &source.arch);
        Ok(())
    }

    /// `SCREN` replayed (`sclass_univ_rename_entry`); `expected` 0 = not logged.
    pub fn rename_entry(
        &mut self,
        old: &[u8],
        new: Cow<'a, [u8]>,
        expected: u16,
    ) -> Result<(), u8> {
        if !name_valid(old) || !name_valid(&new) {
            return Err(status::EINVAL);
        }
        let id = self.find_by_name(old).ok_or(status::NO_SUCH_CLASS)?;
        if id < FIRST_USER_CLASS {
            return Err(status::EPERM);
        }
        if expected != 0 && id != expected {
            return Err(status::MISMATCH);
        }
        if self.find_by_name(&new).is_some() {
            return Err(status::CLASS_EXISTS);
        }
        if let Some(slot) = self.classes.get_mut(usize::from(id)) {
            slot.name = new;
        }
        Ok(())
    }

    /// `SCDEL` replayed (`sclass_univ_delete_entry`); `expected` 0 = not logged. The id
    /// becomes free; `first_never_used` does not shrink.
    pub fn delete_entry(&mut self, name: &[u8], expected: u16) -> Result<(), u8> {
        if !name_valid(name) {
            return Err(status::EINVAL);
        }
        let id = self.find_by_name(name).ok_or(status::NO_SUCH_CLASS)?;
        if id < FIRST_USER_CLASS {
            return Err(status::EPERM);
        }
        let usage = self.usage(id);
        if usage.files > 0 || usage.directories > 0 {
            return Err(status::CLASS_IN_USE);
        }
        if expected != 0 && id != expected {
            return Err(status::MISMATCH);
        }
        if let Some(slot) = self.classes.get_mut(usize::from(id)) {
            slot.name = Cow::Borrowed(&[]);
        }
        Ok(())
    }
}

/// Copies the count and the used labels; labels past the count keep their old masks,
/// as in the master (they are never written).
fn copy_labels(to: &mut Labels, from: &Labels) {
    to.count = from.count;
    for (t, f) in to.labels.iter_mut().zip(from.as_slice()) {
        *t = *f;
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::metadata::reader::Reader;

    fn class(id: u16, name: &'static [u8], n: u8) -> StorageClass<'static> {
        let mut labels = Labels {
            count: n,
            ..Labels::default()
        };
        labels.labels[0] = [1, 0, 0, 0];
        StorageClass {
            id,
            name: Cow::Borrowed(name),
            admin_only: 1,
            mode: 2,
            arch_delay: 5,
            create: labels,
            keep: labels,
            arch: labels,
        }
    }

    fn section(classes: Vec<StorageClass<'static>>) -> StorageClasses<'static> {
        StorageClasses {
            or_groups: 4,
            classes,
        }
    }

    fn stored(t: &StorageClassTable<'_>) -> Vec<u8> {
        let mut e = Encoder::new(false);
        e.begin_section(Tag::SCLA, codec::VERSION);
        t.store(&mut e);
        e.end_section();
        e.finish().0
    }

    fn decode_stored(bytes: &[u8]) -> StorageClasses<'_> {
        let mut r = Reader::new(bytes.get(16..).unwrap());
        codec::decode(&mut r, codec::VERSION).unwrap()
    }

    #[test]
    fn new_table_stores_the_empty_file_system_body() {
        let t = StorageClassTable::new();
        let bytes = stored(&t);
        // metadata-format §3.2: 2270 bytes of body for classes 1..=9.
        assert_eq!(bytes.len(), 16 + 2270);
        let s = decode_stored(&bytes);
        assert_eq!(s.classes.len(), 9);
        for (i, c) in s.classes.iter().enumerate() {
            let n = i as u16 + 1;
            assert_eq!(c.id, n);
            assert_eq!(&*c.name, n.to_string().as_bytes());
            assert_eq!(c.mode, MODE_STD);
            assert_eq!(c.create.count as u16, n);
            assert_eq!(c.arch.count as u16, n);
        }
        assert_eq!(t.first_never_used(), 10);
    }

    #[test]
    fn load_overwrites_predefined_and_raises_first_never_used() {
        let mut t = StorageClassTable::new();
        t.load(
            &section(vec![
                class(3, b"three", 2),
                class(40, b"x", 1),
                class(12, b"y", 1),
            ]),
            codec::VERSION,
            100,
        )
        .unwrap();
        assert_eq!(&*t.get(3).unwrap().name, b"three");
        assert_eq!(t.first_never_used(), 41);
        assert_eq!(t.find_by_name(b"y"), Some(12));
        let bytes = stored(&t);
        let s = decode_stored(&bytes);
        let ids: Vec<u16> = s.classes.iter().map(|c| c.id).collect();
        assert_eq!(ids, vec![1, 2, 3, 4, 5, 6, 7, 8, 9, 12, 40]);
        assert_eq!(s.classes[2], class(3, b"three", 2));
    }

    #[test]
    fn load_accepts_repeated_predefined_id() {
        let mut t = StorageClassTable::new();
        t.load(
            &section(vec![class(2, b"a", 1), class(2, b"b", 1)]),
            codec::VERSION,
            0,
        )
        .unwrap();
        assert_eq!(&*t.get(2).unwrap().name, b"b");
        assert_eq!(t.first_never_used(), 10);
    }

    #[test]
    fn load_refuses_repeated_user_id_at_its_offset() {
        let mut t = StorageClassTable::new();
        let err = t
            .load(
                &section(vec![class(10, b"ab", 1), class(10, b"cd", 1)]),
                codec::VERSION,
                100,
            )
            .unwrap_err();
        let LoadError::Rule {
            section, offset, ..
        } = err
        else {
            panic!("{err:?}")
        };
        assert_eq!(section, Tag::SCLA);
        // body + or-group byte + first record (10 + 2 + 3 labels × 16).
        assert_eq!(offset, 100 + 1 + 10 + 2 + 48);
    }

    #[test]
    fn replay_allocation_reuses_free_ids_and_never_shrinks() {
        let mut t = StorageClassTable::new();
        let p = ClassParams {
            admin_only: 0,
            mode: 1,
            arch_delay: 0,
            create: Labels {
                count: 1,
                ..Labels::default()
            },
            keep: Labels {
                count: 1,
                ..Labels::default()
            },
            arch: Labels {
                count: 1,
                ..Labels::default()
            },
        };
        t.set_entry(Cow::Borrowed(b"a"), 10, true, &p).unwrap();
        t.set_entry(Cow::Borrowed(b"b"), 11, true, &p).unwrap();
        assert_eq!(t.set_entry(Cow::Borrowed(b"a"), 10, true, &p), Err(50));
        t.delete_entry(b"a", 10).unwrap();
        assert_eq!(t.first_never_used(), 12);
        // A wrong expected id still consumes nothing here (id 10 is free and reused).
        assert_eq!(t.set_entry(Cow::Borrowed(b"c"), 11, true, &p), Err(32));
        t.set_entry(Cow::Borrowed(b"c"), 10, true, &p).unwrap();
        // No free id: first_never_used is consumed even though the id is refused.
        assert_eq!(t.set_entry(Cow::Borrowed(b"d"), 99, true, &p), Err(32));
        assert_eq!(t.first_never_used(), 13);
        t.add_use(11, false);
        assert_eq!(t.delete_entry(b"b", 11), Err(53));
        assert_eq!(t.delete_entry(b"1", 1), Err(1));
        t.rename_entry(b"b", Cow::Borrowed(b"bb"), 11).unwrap();
        t.duplicate_entry(b"bb", Cow::Borrowed(b"e"), 11, 12)
            .unwrap();
        assert_eq!(t.get(12).unwrap().mode, 1);
    }
}
