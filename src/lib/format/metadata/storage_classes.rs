//! `SCLA` (old name `LABS`) — storage classes.
//!
//! Body (1.6): `{ orgroups:u8 | record* | terminator:[0u8; 10] }`, record =
//! `{ sclassid:u16 | nleng:u8 | admin_only:u8 | mode:u8 | arch_delay:u16 |
//!    create_cnt:u8 | keep_cnt:u8 | arch_cnt:u8 | name:[u8; nleng] |
//!    masks:u32[(create_cnt + keep_cnt + arch_cnt) × orgroups] }`.
//!
//! Older versions: before 1.6 the body starts with 26 label descriptions
//! (`{ len:u8 (≤ 128) | bytes }`, skipped) and classes have no name (the master names
//! them `sclass_<id-9>`); 1.0 has no or-group byte (one group). Record headers:
//! 1.0/1.1/1.3 `{ id:u16 | create:u8 }` (keep = arch = create, mode STD, masks for
//! create only); 1.2 `{ id:u16 | create:u8 | chunkcount:u32 | u32 }` (then
//! `chunkcount × 8` bytes after the masks, ignored); 1.4 `{ id | mode:u8 | create:u8 |
//! keep:u8 }` (arch = keep, masks create + keep); 1.5 `{ id | mode | arch_delay:u16 |
//! create | keep | arch }`.

use std::borrow::Cow;

use super::encoder::Encoder;
use super::error::DecodeError;
use super::reader::Reader;
use super::section::SectionVersion;

/// The version 3.0.117 writes.
pub const VERSION: SectionVersion = 0x16;
/// Or-groups per label (`MASKORGROUP`).
pub const OR_GROUPS: usize = 4;
/// Labels per class at most.
pub const MAX_LABELS: usize = 9;
/// Storage class ids are below this.
pub const MAX_CLASSES: u16 = 256;
/// The first id of a user-defined class.
pub const FIRST_USER_CLASS: u16 = 10;
/// `mode` value of a class created by old versions.
pub const MODE_STD: u8 = 1;

/// One label expression: `OR_GROUPS` masks; bit k means label letter `'A' + k`.
pub type Label = [u32; OR_GROUPS];

/// The labels of one of a class's three stages (create, keep, archive).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct Labels {
    pub count: u8,
    pub labels: [Label; MAX_LABELS],
}

impl Labels {
    /// The used labels.
    pub fn as_slice(&self) -> &[Label] {
        self.labels
            .get(..usize::from(self.count))
            .unwrap_or_default()
    }
}

/// A storage class definition.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageClass<'a> {
    pub id: u16,
    pub name: Cow<'a, [u8]>,
    pub admin_only: u8,
    /// 0 LOOSE, 1 STD, 2 STRICT.
    pub mode: u8,
    /// Hours.
    pub arch_delay: u16,
    pub create: Labels,
    pub keep: Labels,
    pub arch: Labels,
}

/// The decoded section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct StorageClasses<'a> {
    /// Or-groups per label in the file (1..=4).
    pub or_groups: u8,
    pub classes: Vec<StorageClass<'a>>,
}

fn check_count(at: u64, field: &'static str, n: u8) -> Result<u8, DecodeError> {
    if n == 0 || usize::from(n) > MAX_LABELS {
        Err(DecodeError::bad_value(at, field, n.into()))
    } else {
        Ok(n)
    }
}

fn read_labels(r: &mut Reader<'_>, count: u8, or_groups: u8) -> Result<Labels, DecodeError> {
    let mut labels = Labels {
        count,
        ..Labels::default()
    };
    for label in labels.labels.iter_mut().take(count.into()) {
        for (g, mask) in label.iter_mut().enumerate() {
            if g < usize::from(or_groups) {
                *mask = r.u32()?;
            }
        }
    }
    Ok(labels)
}

/// Decodes a `SCLA`/`LABS` body.
pub fn decode<'a>(
    r: &mut Reader<'a>,
    version: SectionVersion,
) -> Result<StorageClasses<'a>, DecodeError> {
    if version < 0x16 {
        for _ in 0..26 {
            let at = r.offset();
            let len = r.u8()?;
            if len > 128 {
                return Err(DecodeError::bad_value(
                    at,
                    "label description length",
                    len.into(),
                ));
            }
            r.skip(len.into())?;
        }
    }
    let or_groups = if version == 0x10 {
        1
    } else {
        let at = r.offset();
        let n = r.u8()?;
        if n == 0 || usize::from(n) > OR_GROUPS {
            return Err(DecodeError::bad_value(at, "or-group count", n.into()));
        }
        n
    };
    let mut classes = Vec::new();
    loop {
        let at = r.offset();
        let id = r.u16()?;
        let (mut nleng, mut admin_only, mut mode, mut arch_delay) = (0u8, 0u8, MODE_STD, 0u16);
        let (create, keep, arch);
        let mut chunkcount = 0u32;
        match version {
            v if v > 0x15 => {
                nleng = r.u8()?;
                admin_only = r.u8()?;
                mode = r.u8()?;
                arch_delay = r.u16()?;
                create = r.u8()?;
                keep = r.u8()?;
                arch = r.u8()?;
            }
            0x15 => {
                mode = r.u8()?;
                arch_delay = r.u16()?;
                create = r.u8()?;
                keep = r.u8()?;
                arch = r.u8()?;
            }
            0x14 => {
                mode = r.u8()?;
                create = r.u8()?;
                keep = r.u8()?;
                arch = keep;
            }
            _ => {
                create = r.u8()?;
                keep = create;
                arch = create;
                if version == 0x12 {
                    chunkcount = r.u32()?;
                    r.skip(4)?;
                }
            }
        }
        let name: Cow<'a, [u8]> = if nleng > 0 {
            Cow::Borrowed(r.bytes(nleng.into())?)
        } else if id >= FIRST_USER_CLASS {
            // Unnamed (any version): the master names it as it names pre-1.6 classes.
            Cow::Owned(
                format!("sclass_{}", u32::from(id) + 1 - u32::from(FIRST_USER_CLASS)).into_bytes(),
            )
        } else {
            Cow::Borrowed(&[])
        };
        if id == 0 && create == 0 && keep == 0 && arch == 0 && chunkcount == 0 && arch_delay == 0 {
            return Ok(StorageClasses { or_groups, classes });
        }
        check_count(at, "create label count", create)?;
        check_count(at, "keep label count", keep)?;
        check_count(at, "archive label count", arch)?;
        if id == 0 || id >= MAX_CLASSES || name.is_empty() {
            return Err(DecodeError::bad_value(at, "storage class id", id.into()));
        }
        let create_labels = read_labels(r, create, or_groups)?;
        let keep_labels = if version > 0x13 {
            read_labels(r, keep, or_groups)?
        } else {
            create_labels
        };
        let arch_labels = if version > 0x14 {
            read_labels(r, arch, or_groups)?
        } else {
            let mut l = keep_labels;
            l.count = arch;
            l
        };
        if chunkcount > 0 {
            r.skip(u64::from(chunkcount) * 8)?;
        }
        classes.push(StorageClass {
            id,
            name,
            admin_only,
            mode,
            arch_delay,
            create: create_labels,
            keep: keep_labels,
            arch: arch_labels,
        });
    }
}

/// The first call of the body: the or-group count.
pub fn encode_header(e: &mut Encoder) {
    e.put(&[OR_GROUPS as u8]);
}

/// One class, one call.
pub fn encode_class(e: &mut Encoder, c: &StorageClass<'_>) {
    e.call(|out| {
        out.extend_from_slice(&c.id.to_be_bytes());
        out.push(c.name.len() as u8);
        out.push(c.admin_only);
        out.push(c.mode);
        out.extend_from_slice(&c.arch_delay.to_be_bytes());
        out.push(c.create.count);
        out.push(c.keep.count);
        out.push(c.arch.count);
        out.extend_from_slice(&c.name);
        for label in [&c.create, &c.keep, &c.arch]
            .into_iter()
            .flat_map(Labels::as_slice)
        {
            for mask in label {
                out.extend_from_slice(&mask.to_be_bytes());
            }
        }
    });
}

/// The terminator (10 zero bytes).
pub fn encode_end(e: &mut Encoder) {
    e.put(&[0u8; 10]);
}

/// Writes a whole decoded section body (always with 4 or-groups, as 3.0.117 does).
pub fn encode(e: &mut Encoder, s: &StorageClasses<'_>) {
    encode_header(e);
    for class in &s.classes {
        encode_class(e, class);
    }
    encode_end(e);
}
