//! `PACL` — POSIX ACLs.
//!
//! Body (1.1 and 1.0 alike): `{ record* | terminator:[0u8; 17] }`, record =
//! `{ inode:u32 | acltype:u8 | userperm:u16 | groupperm:u16 | otherperm:u16 |
//!    mask:u16 | namedusers:u16 | namedgroups:u16 |
//!    { id:u32 | perm:u16 }[namedusers + namedgroups] }`. The list ends at the first
//! record with inode 0. The master writes the 17-byte header in one call and the
//! entries in calls of at most 100.

use super::encoder::Encoder;
use super::error::DecodeError;
use super::reader::Reader;
use super::section::SectionVersion;

/// The version 3.0.117 writes.
pub const VERSION: SectionVersion = 0x11;
/// `acltype` of an access ACL.
pub const ACCESS: u8 = 1;
/// `acltype` of a default ACL.
pub const DEFAULT: u8 = 2;
/// `mask` value meaning "no mask entry".
pub const NO_MASK: u16 = 0xFFFF;
const ENTRY_LEN: usize = 6;
const ENTRIES_PER_CALL: usize = 100;

/// One ACL of one inode.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Acl<'a> {
    pub inode: u32,
    pub acl_type: u8,
    pub user_perm: u16,
    pub group_perm: u16,
    pub other_perm: u16,
    pub mask: u16,
    pub named_users: u16,
    pub named_groups: u16,
    /// `(named_users + named_groups) × { id:u32 | perm:u16 }`, users first.
    pub entries: &'a [u8],
}

impl Acl<'_> {
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
}

/// Decodes one record, `None` at the terminator.
pub fn decode_acl<'a>(r: &mut Reader<'a>) -> Result<Option<Acl<'a>>, DecodeError> {
    let inode = r.u32()?;
    let acl_type = r.u8()?;
    let user_perm = r.u16()?;
    let group_perm = r.u16()?;
    let other_perm = r.u16()?;
    let mask = r.u16()?;
    let named_users = r.u16()?;
    let named_groups = r.u16()?;
    if inode == 0 {
        return Ok(None);
    }
    let n = u64::from(named_users) + u64::from(named_groups);
    let entries = r.bytes(n * ENTRY_LEN as u64)?;
    Ok(Some(Acl {
        inode,
        acl_type,
        user_perm,
        group_perm,
        other_perm,
        mask,
        named_users,
        named_groups,
        entries,
    }))
}

/// Decodes a `PACL` body.
pub fn decode<'a>(
    r: &mut Reader<'a>,
    _version: SectionVersion,
) -> Result<Vec<Acl<'a>>, DecodeError> {
    let mut out = Vec::new();
    while let Some(a) = decode_acl(r)? {
        out.push(a);
    }
    Ok(out)
}

/// One ACL: the header call, then the entries in calls of at most 100.
pub fn encode_acl(e: &mut Encoder, a: &Acl<'_>) {
    e.call(|out| {
        out.extend_from_slice(&a.inode.to_be_bytes());
        out.push(a.acl_type);
        for v in [
            a.user_perm,
            a.group_perm,
            a.other_perm,
            a.mask,
            a.named_users,
            a.named_groups,
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
    });
    for chunk in a.entries.chunks(ENTRY_LEN * ENTRIES_PER_CALL) {
        e.put(chunk);
    }
}

/// The terminator.
pub fn encode_end(e: &mut Encoder) {
    e.put(&[0u8; 17]);
}

/// Writes a whole `PACL` body.
pub fn encode(e: &mut Encoder, acls: &[Acl<'_>]) {
    for a in acls {
        encode_acl(e, a);
    }
    encode_end(e);
}
