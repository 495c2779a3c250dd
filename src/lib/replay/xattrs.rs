//! Replay of SETXATTR and SETACL (`replay-semantics.md` §10.1–§10.2; in 3.0.117
//! `fs_mr_setxattr` with `xattr_setattr`, and `do_setacl` / `fs_mr_setacl` with
//! `posix_acl_set`).
//!
//! A node's "has xattr" and "has ACL" flags are not stored with the node: they are
//! whether the xattr / ACL tables hold an entry for it, which the table methods keep
//! up to date.

use std::borrow::Cow;

use crate::format::changelog::Op;
use crate::format::metadata::acls::{ACCESS, DEFAULT};
use crate::model::acls::AclState;
use crate::model::xattrs::{SetMode, MAX_VALUE_LEN};

use super::{Applied, Replay, Status, DONE};

/// Longest attribute name (`MFS_XATTR_NAME_MAX`).
const MAX_NAME_LEN: usize = 255;
/// Bytes per named ACL entry in a SETACL blob: `{ id:u32 | perm:u16 }`.
const ACL_ENTRY_LEN: usize = 6;
/// The permission value that, in all four of user, group, other and mask, asks for
/// the removal of the ACL.
const REMOVE_ACL: u16 = 0xFFFF;
/// The node's `mode` is a 12-bit field in the master: SETACL keeps only these bits.
const MODE_BITS: u16 = 0o7777;

/// Replays an operation of this family.
pub(super) fn apply<'a>(r: &mut Replay<'a, '_>, ts: u32, op: &Op<'a>) -> Applied {
    match *op {
        Op::SetXattr {
            inode,
            ref name,
            ref value,
            mode,
        } => {
            let (name, value) = (r.bytes(name), r.bytes(value));
            set_xattr(r, ts, inode, name, value, mode)
        }
        Op::SetAcl {
            inode,
            mode,
            change_ctime,
            acl_type,
            user_perm,
            group_perm,
            other_perm,
            mask,
            named_users,
            named_groups,
            ref blob,
        } => {
            let entries = r.bytes(blob);
            let acl = AclState {
                user_perm,
                group_perm,
                other_perm,
                mask,
                named_users,
                named_groups,
                entries: Cow::Borrowed(entries),
            };
            set_acl(r, ts, inode, mode, change_ctime != 0, acl_type, acl)
        }
        _ => Err(Status::EINVAL),
    }
}

/// `SETXATTR(inode, name, value, mode)` (§10.1). The argument checks come before the
/// node lookup; the table does the mode's own checks (5, 38, 40).
fn set_xattr<'a>(
    r: &mut Replay<'a, '_>,
    ts: u32,
    inode: u32,
    name: &'a [u8],
    value: &'a [u8],
    mode: u32,
) -> Applied {
    if name.is_empty() || name.len() > MAX_NAME_LEN || value.len() > MAX_VALUE_LEN {
        return Err(Status::EINVAL);
    }
    let mode = SetMode::from_u32(mode).ok_or(Status::EINVAL)?;
    let node = r.image.nodes.get_mut(inode).ok_or(Status::ENOENT)?;
    r.image
        .xattrs
        .set(inode, Cow::Borrowed(name), Cow::Borrowed(value), mode)
        .map_err(Status)?;
    node.ctime = ts;
    DONE
}

/// `SETACL(inode, mode, changectime, type, u, g, o, mask, nu, ng, blob)` (§10.2).
///
/// The blob must hold `nu + ng` entries: the restore checks that right after parsing,
/// before anything else, with status 32 (the line parser here already refuses such a
/// line with that status; checked again so that this holds for any caller).
///
/// All four permissions 0xFFFF and no named entries: the ACL of that type is removed,
/// mode and ctime untouched. Otherwise the ACL is set (which for a "simple" ACCESS ACL,
/// one the mode says all of, means removed), the node's mode := `mode` (its low 12
/// bits), and ctime := `ts` if the line says so.
fn set_acl<'a>(
    r: &mut Replay<'a, '_>,
    ts: u32,
    inode: u32,
    mode: u16,
    change_ctime: bool,
    acl_type: u8,
    acl: AclState<'a>,
) -> Applied {
    let named = usize::from(acl.named_users) + usize::from(acl.named_groups);
    if acl.entries.len() != ACL_ENTRY_LEN * named {
        return Err(Status::MISMATCH);
    }
    let node = r.image.nodes.get_mut(inode).ok_or(Status::ENOENT)?;
    if acl_type != ACCESS && acl_type != DEFAULT {
        return Err(Status::EINVAL);
    }
    let all_perms = acl.user_perm & acl.group_perm & acl.other_perm & acl.mask;
    if all_perms == REMOVE_ACL && named == 0 {
        r.image.acls.remove(inode, acl_type);
        return DONE;
    }
    r.image.acls.set(inode, acl_type, acl);
    node.mode = mode & MODE_BITS;
    if change_ctime {
        node.ctime = ts;
    }
    DONE
}

#[cfg(test)]
mod tests {
    use bumpalo::Bump;

    use super::*;
    use crate::format::changelog::parse_line;
    use crate::model::image::Image;
    use crate::model::namespace::NewNode;
    use crate::replay::apply as replay;

    const T0: u32 = 1_000;

    /// The root (1), file `f` (2) and directory `d` (3).
    fn image<'a>() -> Image<'a> {
        let mut image = Image::new_empty(T0);
        image.prepare_replay();
        image.create_node(T0, 1, b"f", NewNode::File, 0o644, 0, 0, 0);
        image.create_node(T0, 1, b"d", NewNode::Directory, 0o755, 0, 0, 0);
        image
    }

    fn run<'a>(image: &mut Image<'a>, arena: &'a Bump, body: &str) -> Applied {
        let text = arena.alloc_str(&format!("1: {body}"));
        let line = parse_line(text.as_bytes()).unwrap();
        let mut r = Replay { image, arena };
        replay(&mut r, line.ts, &line.op)
    }

    fn ok<'a>(image: &mut Image<'a>, arena: &'a Bump, body: &str) {
        assert_eq!(run(image, arena, body), Ok(1), "{body}");
    }

    fn ctime(image: &Image<'_>, inode: u32) -> u32 {
        image.nodes.get(inode).unwrap().ctime
    }

    fn names<'i>(image: &'i Image<'_>, inode: u32) -> Vec<(&'i [u8], &'i [u8])> {
        image.xattrs.get(inode).collect()
    }

    #[test]
    fn setxattr_modes() {
        let arena = Bump::new();
        let mut image = image();
        ok(&mut image, &arena, "10|SETXATTR(2,user.a,1,0)");
        assert!(image.xattrs.has(2));
        assert_eq!(ctime(&image, 2), 10);
        // New names are prepended; values are data (NUL kept), names stop at %00.
        ok(&mut image, &arena, "11|SETXATTR(2,user.b%00x,%00%FF,1)");
        assert_eq!(
            names(&image, 2),
            [(&b"user.b"[..], &b"\0\xFF"[..]), (b"user.a", b"1")]
        );
        ok(&mut image, &arena, "12|SETXATTR(2,user.a,22,0)");
        ok(&mut image, &arena, "13|SETXATTR(2,user.a,,2)");
        assert_eq!(image.xattrs.value(2, b"user.a"), Some(&b""[..]));
        ok(&mut image, &arena, "14|SETXATTR(2,user.b,,3)");
        ok(&mut image, &arena, "15|SETXATTR(2,user.a,,3)");
        assert!(!image.xattrs.has(2));
        assert_eq!(ctime(&image, 2), 15);
        assert_eq!(
            run(&mut image, &arena, "16|SETXATTR(2,user.a,,2)"),
            Err(Status::ENOATTR)
        );
        assert_eq!(
            run(&mut image, &arena, "16|SETXATTR(2,user.a,,3)"),
            Err(Status::ENOATTR)
        );
        assert!(!image.xattrs.has(2));
        ok(&mut image, &arena, "17|SETXATTR(2,user.a,1,1)");
        assert_eq!(
            run(&mut image, &arena, "18|SETXATTR(2,user.a,2,1)"),
            Err(Status::EEXIST)
        );
        assert_eq!(
            run(&mut image, &arena, "18|SETXATTR(2,user.b,2,2)"),
            Err(Status::ENOATTR)
        );
        assert_eq!(
            run(&mut image, &arena, "18|SETXATTR(2,user.b,,3)"),
            Err(Status::ENOATTR)
        );
        assert_eq!(ctime(&image, 2), 17);
        // Argument checks come before the node's.
        assert_eq!(
            run(&mut image, &arena, "18|SETXATTR(9,user.b,,4)"),
            Err(Status::EINVAL)
        );
        assert_eq!(
            run(&mut image, &arena, "18|SETXATTR(9,%00,,0)"),
            Err(Status::EINVAL)
        );
        assert_eq!(
            run(&mut image, &arena, "18|SETXATTR(9,user.b,,0)"),
            Err(Status::ENOENT)
        );
    }

    #[test]
    fn setxattr_sizes() {
        let arena = Bump::new();
        let mut image = image();
        let mut r = Replay {
            image: &mut image,
            arena: &arena,
        };
        let long = [b'n'; 256];
        let value = vec![b'v'; MAX_VALUE_LEN + 1];
        let value: &[u8] = arena.alloc_slice_copy(&value);
        assert_eq!(
            set_xattr(&mut r, 10, 2, &long[..255], &value[..MAX_VALUE_LEN], 0),
            Ok(1)
        );
        assert_eq!(
            set_xattr(&mut r, 10, 2, arena.alloc_slice_copy(&long), b"", 0),
            Err(Status::EINVAL)
        );
        assert_eq!(
            set_xattr(&mut r, 10, 2, b"x", value, 0),
            Err(Status::EINVAL)
        );
        // Names count (length + 1) up to 65536 bytes in all; values do not count.
        let names: Vec<&[u8]> = (1..256u32)
            .map(|k| &*arena.alloc_slice_copy(format!("{k:0>255}").as_bytes()))
            .collect();
        for name in &names {
            assert_eq!(
                set_xattr(&mut r, 11, 2, name, value, 1),
                Err(Status::EINVAL)
            );
            assert_eq!(set_xattr(&mut r, 11, 2, name, b"x", 1), Ok(1));
        }
        assert_eq!(set_xattr(&mut r, 12, 2, b"y", b"", 1), Err(Status::ERANGE));
        // Replacing is no growth.
        assert_eq!(set_xattr(&mut r, 12, 2, names[0], b"yy", 0), Ok(1));
        assert_eq!(set_xattr(&mut r, 12, 2, names[0], b"", 3), Ok(1));
        assert_eq!(set_xattr(&mut r, 13, 2, b"y", b"", 1), Ok(1));
        assert_eq!(ctime(r.image, 2), 13);
    }

    #[test]
    fn setacl_sets_and_removes() {
        let arena = Bump::new();
        let mut image = image();
        // Named user 1000 rw-, named group 5 r--.
        ok(
            &mut image,
            &arena,
            "10|SETACL(2,436,1,1,6,4,4,6,1,1,%00%00%03%E8%00%06%00%00%00%05%00%04)",
        );
        let acl = image.acls.get(2, ACCESS).unwrap();
        assert_eq!(
            (acl.user_perm, acl.group_perm, acl.other_perm, acl.mask),
            (6, 4, 4, 6)
        );
        assert_eq!(acl.entries().collect::<Vec<_>>(), [(1000, 6), (5, 4)]);
        let f = image.nodes.get(2).unwrap();
        assert_eq!((f.mode, f.ctime), (0o664, 10));
        // Overwritten in place; the mode keeps its 12 bits; no ctime when not asked.
        ok(&mut image, &arena, "11|SETACL(2,65535,0,1,7,7,7,7,0,0,)");
        assert_eq!(image.acls.get(2, ACCESS).unwrap().named_users, 0);
        let f = image.nodes.get(2).unwrap();
        assert_eq!((f.mode, f.ctime), (0o7777, 10));
        // A simple access ACL is removed, and the mode still set.
        ok(&mut image, &arena, "12|SETACL(2,420,1,1,6,4,4,65535,0,0,)");
        assert!(!image.acls.has(2, ACCESS));
        let f = image.nodes.get(2).unwrap();
        assert_eq!((f.mode, f.ctime), (0o644, 12));
        // A simple default ACL is kept.
        ok(&mut image, &arena, "13|SETACL(3,493,1,2,7,5,5,65535,0,0,)");
        assert!(image.acls.has(3, DEFAULT));
        // All 0xFFFF: removed, mode and ctime untouched.
        ok(
            &mut image,
            &arena,
            "14|SETACL(3,0,1,2,65535,65535,65535,65535,0,0,)",
        );
        assert!(!image.acls.has(3, DEFAULT));
        let d = image.nodes.get(3).unwrap();
        assert_eq!((d.mode, d.ctime), (0o755, 13));
        ok(
            &mut image,
            &arena,
            "15|SETACL(3,0,1,1,65535,65535,65535,65535,0,0,)",
        );
        // ... but with named entries it is an ACL like any other.
        ok(
            &mut image,
            &arena,
            "16|SETACL(3,511,1,2,65535,65535,65535,65535,1,0,%00%00%00%01%00%07)",
        );
        assert_eq!(image.acls.get(3, DEFAULT).unwrap().user_perm, 0xFFFF);
        assert_eq!(
            run(&mut image, &arena, "17|SETACL(9,420,1,1,7,5,5,7,0,0,)"),
            Err(Status::ENOENT)
        );
        assert_eq!(
            run(&mut image, &arena, "17|SETACL(2,420,1,0,7,5,5,7,0,0,)"),
            Err(Status::EINVAL)
        );
        assert_eq!(
            run(&mut image, &arena, "17|SETACL(2,420,1,3,7,5,5,7,0,0,)"),
            Err(Status::EINVAL)
        );
        assert_eq!(image.nodes.get(2).unwrap().ctime, 12);
    }

    #[test]
    fn setacl_blob_length_is_checked_first() {
        let arena = Bump::new();
        let mut image = image();
        let mut r = Replay {
            image: &mut image,
            arena: &arena,
        };
        let acl = AclState {
            user_perm: 7,
            group_perm: 5,
            other_perm: 5,
            mask: 7,
            named_users: 1,
            named_groups: 0,
            entries: Cow::Borrowed(&[0, 0, 0, 1, 0]),
        };
        assert_eq!(
            set_acl(&mut r, 10, 9, 0o644, true, 7, acl),
            Err(Status::MISMATCH)
        );
        assert!(r.image.acls.is_empty());
    }
}
