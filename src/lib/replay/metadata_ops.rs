//! Replay of the operations on metadata outside the tree: chunk servers (CSDBOP, CSADD,
//! CSDEL), storage classes (SCSET, SCDUP, SCREN, SCDEL), quota definitions (QUOTA), the
//! metadata id (SETMETAID) and IDLE (`csdb_mr_op`, `sclass_mr_*`, `fs_mr_quota`,
//! `meta_mr_setmetaid` of 3.0.117; `replay-semantics.md` §12, §14, §15).
//!
//! Storage classes follow the master's order of checks: a new id taken from
//! `firstneverused` stays taken when the line's id or label counts are then refused,
//! classes 1..9 may be redefined (not renamed or deleted), and SCDEL refuses a class
//! that directories or files use (the model keeps those counts). A result id of 0 in
//! SCDUP, SCREN and SCDEL means "not logged" (the master then writes a new change of
//! its own, which advances the version just as the replay step would have).

use std::borrow::Cow;

use crate::format::changelog::Op;
use crate::format::metadata::nodes::NodeType;
use crate::format::metadata::quotas::Quota;
use crate::format::metadata::storage_classes::{Labels, OR_GROUPS};
use crate::model::chunkservers::op as csdb_op;
use crate::model::storage_classes::ClassParams;

use super::{Applied, Replay, Status, DONE};

/// Replays an operation of this family.
pub(super) fn apply<'a>(r: &mut Replay<'a, '_>, _ts: u32, op: &Op<'a>) -> Applied {
    match *op {
        Op::CsDbOp { op, ip, port, arg } => chunkserver_op(r, op, ip, port, arg),
        Op::CsAdd { ip, port } => chunkserver_op(r, csdb_op::ADD, ip, port, 0),
        Op::CsDel { ip, port } => chunkserver_op(r, csdb_op::DEL, ip, port, 0),
        Op::ScSet {
            ref name,
            new_flag,
            create_labels,
            keep_labels,
            arch_labels,
            create_mode,
            arch_delay,
            admin_only,
            masks,
            sclass_id,
        } => {
            let name = r.bytes(name);
            let mut masks = masks.iter();
            let params = ClassParams {
                admin_only,
                mode: create_mode,
                arch_delay,
                create: labels(create_labels, &mut masks),
                keep: labels(keep_labels, &mut masks),
                arch: labels(arch_labels, &mut masks),
            };
            r.image
                .storage_classes
                .set_entry(Cow::Borrowed(name), sclass_id, new_flag != 0, &params)
                .map_err(Status)?;
            DONE
        }
        Op::ScDup {
            ref src,
            ref dst,
            src_id,
            dst_id,
        } => {
            let (src, dst) = (r.bytes(src), r.bytes(dst));
            r.image
                .storage_classes
                .duplicate_entry(src, Cow::Borrowed(dst), src_id, dst_id)
                .map_err(Status)?;
            DONE
        }
        Op::ScRen {
            ref src,
            ref dst,
            sclass_id,
        } => {
            let (src, dst) = (r.bytes(src), r.bytes(dst));
            r.image
                .storage_classes
                .rename_entry(src, Cow::Borrowed(dst), sclass_id)
                .map_err(Status)?;
            DONE
        }
        Op::ScDel {
            ref name,
            sclass_id,
        } => {
            let name = r.bytes(name);
            r.image
                .storage_classes
                .delete_entry(name, sclass_id)
                .map_err(Status)?;
            DONE
        }
        Op::Quota {
            inode,
            exceeded,
            flags,
            stimestamp,
            sinodes,
            hinodes,
            slength,
            hlength,
            ssize,
            hsize,
            srealsize,
            hrealsize,
            grace_period,
        } => quota(
            r,
            inode,
            flags,
            Quota {
                inode,
                grace_period,
                exceeded,
                flags,
                stimestamp,
                soft_inodes: sinodes,
                hard_inodes: hinodes,
                soft_length: slength,
                hard_length: hlength,
                soft_size: ssize,
                hard_size: hsize,
                soft_realsize: srealsize,
                hard_realsize: hrealsize,
            },
        ),
        Op::SetMetaId { meta_id } => {
            let current = r.image.meta_id;
            if current != 0 && current != meta_id {
                return Err(Status::EINVAL);
            }
            r.image.meta_id = meta_id;
            DONE
        }
        Op::Idle => DONE,
        _ => Err(Status::EINVAL),
    }
}

/// CSDBOP and its legacy forms: every refusal is MISMATCH.
fn chunkserver_op(r: &mut Replay<'_, '_>, op: u8, ip: u32, port: u16, arg: u32) -> Applied {
    r.image
        .chunkservers
        .apply(op, ip, port, arg)
        .map_err(Status)?;
    DONE
}

/// The next `count` labels (of [`OR_GROUPS`] masks each) from an SCSET line's masks,
/// which come in order: create labels, keep labels, archive labels. Counts
/// are at most 9 (the parser refuses more); a count of 0 is refused by the model after
/// the id check, as in the master.
fn labels(count: u8, masks: &mut impl Iterator<Item = u32>) -> Labels {
    let mut labels = Labels {
        count,
        ..Labels::default()
    };
    for label in labels.labels.iter_mut().take(usize::from(count)) {
        for mask in label.iter_mut().take(OR_GROUPS) {
            *mask = masks.next().unwrap_or(0);
        }
    }
    labels
}

/// QUOTA (`fs_mr_quota`): flags 0 deletes the directory's quota; anything else creates
/// it (all zero, at the head of the list) if missing and overwrites every field but the
/// grace period, which only a non-zero value replaces.
fn quota(r: &mut Replay<'_, '_>, inode: u32, flags: u8, line: Quota) -> Applied {
    match r.image.nodes.get(inode) {
        None => return Err(Status::ENOENT),
        Some(node) if node.node_type != NodeType::Directory => return Err(Status::EPERM),
        Some(_) => {}
    }
    if flags == 0 {
        r.image.quotas.remove(inode);
        return DONE;
    }
    let (q, _) = r.image.quotas.get_or_create(inode);
    let grace_period = match line.grace_period {
        Some(g) if g != 0 => Some(g),
        _ => q.grace_period,
    };
    *q = Quota {
        grace_period,
        ..line
    };
    DONE
}

#[cfg(test)]
mod tests {
    use bumpalo::Bump;

    use super::*;
    use crate::model::namespace::NewNode;

    use crate::replay::testing::T0;

    use crate::replay::testing::{apply_line as run, empty_image as image};

    /// `SCSET(name,new,W1,K1,A1,…)` with one label per stage whose masks are `m,0,0,0`.
    fn scset(name: &str, new: u8, m: u32, id: u16) -> String {
        format!("1: 1|SCSET({name},{new},W1,K1,A1,2,3,1,{m},0,0,0,{m},0,0,0,{m},0,0,0):{id}")
    }

    fn leak(s: String) -> &'static str {
        Box::leak(s.into_boxed_str())
    }

    #[test]
    fn idle_and_setmetaid() {
        let arena = Bump::new();
        let mut img = image();
        assert_eq!(run(&mut img, &arena, "1: 1|IDLE()"), Ok(1));
        assert_eq!(run(&mut img, &arena, "2: 1|SETMETAID(77)"), Ok(1));
        assert_eq!(img.meta_id, 77);
        assert_eq!(run(&mut img, &arena, "3: 1|SETMETAID(77)"), Ok(1));
        assert_eq!(
            run(&mut img, &arena, "4: 1|SETMETAID(78)"),
            Err(Status::EINVAL)
        );
        assert_eq!(img.meta_id, 77);
    }

    #[test]
    fn quota_definitions() {
        let arena = Bump::new();
        let mut img = image();
        let file = img.create_node(T0, 1, b"f", NewNode::File, 0o644, 0, 0, 0);
        let q = |inode: u32, flags: u8, grace: &str| {
            leak(format!(
                "1: 1|QUOTA({inode},1,{flags},5,10,20,30,40,50,60,70,80{grace})"
            ))
        };
        assert_eq!(run(&mut img, &arena, q(99, 1, "")), Err(Status::ENOENT));
        assert_eq!(run(&mut img, &arena, q(file, 1, "")), Err(Status::EPERM));
        // Deleting a quota that does not exist is fine.
        assert_eq!(run(&mut img, &arena, q(1, 0, "")), Ok(1));
        // Created without a grace period: 0.
        assert_eq!(run(&mut img, &arena, q(1, 0x11, "")), Ok(1));
        let got = *img.quotas.get(1).unwrap();
        assert_eq!(
            got,
            Quota {
                inode: 1,
                grace_period: Some(0),
                exceeded: 1,
                flags: 0x11,
                stimestamp: 5,
                soft_inodes: 10,
                hard_inodes: 20,
                soft_length: 30,
                hard_length: 40,
                soft_size: 50,
                hard_size: 60,
                soft_realsize: 70,
                hard_realsize: 80,
            }
        );
        assert_eq!(run(&mut img, &arena, q(1, 0x22, ",3600")), Ok(1));
        assert_eq!(img.quotas.get(1).unwrap().grace_period, Some(3600));
        // A grace period of 0 leaves the stored one.
        assert_eq!(run(&mut img, &arena, q(1, 0x44, ",0")), Ok(1));
        let got = img.quotas.get(1).unwrap();
        assert_eq!((got.flags, got.grace_period), (0x44, Some(3600)));
        assert_eq!(img.quotas.len(), 1);
        assert_eq!(run(&mut img, &arena, q(1, 0, ",9")), Ok(1));
        assert!(img.quotas.is_empty());
    }

    #[test]
    fn chunk_server_database() {
        let arena = Bump::new();
        let mut img = image();
        assert_eq!(
            run(&mut img, &arena, "1: 1|CSDBOP(0,167772161,9422,3)"),
            Ok(1)
        );
        let cs = *img.chunkservers.get(167_772_161, 9422).unwrap();
        assert_eq!((cs.csid, cs.maintenance, cs.maintenance_timeout), (3, 0, 0));
        for refused in [
            "2: 1|CSDBOP(0,167772161,9422,0)",
            "2: 1|CSDBOP(0,167772162,9422,3)",
            "2: 1|CSDBOP(0,167772162,9422,65536)",
            "2: 1|CSDBOP(1,167772162,9422,0)",
            "2: 1|CSDBOP(2,167772162,9422,4)",
            "2: 1|CSDBOP(3,167772161,9422,3)",
            "2: 1|CSDBOP(3,167772161,9422,0)",
            "2: 1|CSDBOP(4,1,1,0)",
            "2: 1|CSDBOP(7,167772161,9422,0)",
            "2: 1|CSDEL(1,1)",
        ] {
            assert_eq!(
                run(&mut img, &arena, refused),
                Err(Status::MISMATCH),
                "{refused}"
            );
        }
        assert_eq!(
            run(&mut img, &arena, "2: 1|CSDBOP(4,167772161,9422,600)"),
            Ok(1)
        );
        let cs = *img.chunkservers.get(167_772_161, 9422).unwrap();
        assert_eq!((cs.maintenance, cs.maintenance_timeout), (1, 600));
        assert_eq!(
            run(&mut img, &arena, "3: 1|CSDBOP(6,167772161,9422,9)"),
            Ok(1)
        );
        assert_eq!(
            img.chunkservers.get(167_772_161, 9422).unwrap().maintenance,
            2
        );
        assert_eq!(
            run(&mut img, &arena, "4: 1|CSDBOP(5,167772161,9422,1)"),
            Ok(1)
        );
        assert_eq!(
            run(&mut img, &arena, "5: 1|CSDBOP(3,167772161,9422,8)"),
            Ok(1)
        );
        assert!(img.chunkservers.get_by_csid(3).is_none());
        assert_eq!(
            run(&mut img, &arena, "6: 1|CSDBOP(2,167772162,9500,8)"),
            Ok(1)
        );
        assert!(img.chunkservers.get(167_772_161, 9422).is_none());
        assert_eq!(img.chunkservers.get(167_772_162, 9500).unwrap().csid, 8);
        // Legacy forms: port truncated to 16 bits, csid 0.
        assert_eq!(run(&mut img, &arena, "7: 1|CSADD(5,65537)"), Ok(1));
        assert_eq!(img.chunkservers.get(5, 1).unwrap().csid, 0);
        assert_eq!(run(&mut img, &arena, "8: 1|CSDEL(5,1)"), Ok(1));
        assert_eq!(
            run(&mut img, &arena, "9: 1|CSDBOP(1,167772162,9500,0)"),
            Ok(1)
        );
        assert!(img.chunkservers.is_empty());
    }

    #[test]
    fn scset_creates_and_redefines() {
        let arena = Bump::new();
        let mut img = image();
        assert_eq!(run(&mut img, &arena, leak(scset("a", 1, 5, 10))), Ok(1));
        let c = img.storage_classes.get(10).unwrap();
        assert_eq!(&*c.name, b"a");
        assert_eq!((c.mode, c.arch_delay, c.admin_only), (2, 3, 1));
        assert_eq!(c.create.as_slice(), [[5, 0, 0, 0]]);
        assert_eq!(c.keep.as_slice(), [[5, 0, 0, 0]]);
        assert_eq!(c.arch.as_slice(), [[5, 0, 0, 0]]);
        assert_eq!(
            run(&mut img, &arena, leak(scset("a", 1, 5, 10))),
            Err(Status::CLASSEXISTS)
        );
        assert_eq!(
            run(&mut img, &arena, leak(scset("b", 0, 5, 11))),
            Err(Status::NOSUCHCLASS)
        );
        assert_eq!(run(&mut img, &arena, leak(scset("a", 0, 6, 10))), Ok(1));
        assert_eq!(
            img.storage_classes.get(10).unwrap().keep.as_slice(),
            [[6, 0, 0, 0]]
        );
        // Predefined classes may be redefined in replay.
        assert_eq!(run(&mut img, &arena, leak(scset("3", 0, 7, 3))), Ok(1));
        assert_eq!(img.storage_classes.get(3).unwrap().create.count, 1);
        // Labels of different counts come in order create, keep, archive.
        let mixed = "1: 1|SCSET(m,1,W2,K1,A3,1,0,0,1,2,3,4,5,6,7,8,9,10,11,12,\
                     13,14,15,16,17,18,19,20,21,22,23,24):11";
        assert_eq!(run(&mut img, &arena, mixed), Ok(1));
        let c = img.storage_classes.get(11).unwrap();
        assert_eq!(c.create.as_slice(), [[1, 2, 3, 4], [5, 6, 7, 8]]);
        assert_eq!(c.keep.as_slice(), [[9, 10, 11, 12]]);
        assert_eq!(
            c.arch.as_slice(),
            [[13, 14, 15, 16], [17, 18, 19, 20], [21, 22, 23, 24]]
        );
    }

    #[test]
    fn scset_refusals_keep_first_never_used_side_effects() {
        let arena = Bump::new();
        let mut img = image();
        // A wrong id: the new id 10 is taken from firstneverused all the same.
        assert_eq!(
            run(&mut img, &arena, leak(scset("a", 1, 0, 12))),
            Err(Status::MISMATCH)
        );
        assert_eq!(img.storage_classes.first_never_used(), 11);
        assert!(img.storage_classes.get(10).is_none());
        // The empty slot 10 is reused.
        assert_eq!(run(&mut img, &arena, leak(scset("a", 1, 0, 10))), Ok(1));
        // Zero counts are refused after the id check (which comes first).
        let zero = "1: 1|SCSET(z,1,W0,K0,A0,1,0,0,-):12";
        assert_eq!(run(&mut img, &arena, zero), Err(Status::MISMATCH));
        assert_eq!(img.storage_classes.first_never_used(), 12);
        let zero = "1: 1|SCSET(z,1,W0,K0,A0,1,0,0,-):11";
        assert_eq!(run(&mut img, &arena, zero), Err(Status::EINVAL));
        let partial = "1: 1|SCSET(z,1,W1,K0,A1,1,0,0,1,2,3,4,5,6,7,8):11";
        assert_eq!(run(&mut img, &arena, partial), Err(Status::EINVAL));
        assert!(img.storage_classes.get(11).is_none());
        assert_eq!(img.storage_classes.first_never_used(), 12);
        // An empty name is invalid.
        assert_eq!(
            run(&mut img, &arena, leak(scset("", 1, 0, 11))),
            Err(Status::EINVAL)
        );
    }

    #[test]
    fn scdup_scren_scdel() {
        let arena = Bump::new();
        let mut img = image();
        run(&mut img, &arena, leak(scset("a", 1, 5, 10))).unwrap();
        // One logged id without the other is invalid.
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCDUP(a,b):10,0"),
            Err(Status::EINVAL)
        );
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCDUP(a,b):0,11"),
            Err(Status::EINVAL)
        );
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCDUP(x,b):10,11"),
            Err(Status::NOSUCHCLASS)
        );
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCDUP(a,b):9,11"),
            Err(Status::MISMATCH)
        );
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCDUP(a,a):10,11"),
            Err(Status::CLASSEXISTS)
        );
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCDUP(a,b):10,12"),
            Err(Status::MISMATCH)
        );
        // That refusal took id 11 from firstneverused: the next duplicate reuses it.
        assert_eq!(img.storage_classes.first_never_used(), 12);
        assert_eq!(run(&mut img, &arena, "1: 1|SCDUP(a,b):10,11"), Ok(1));
        assert_eq!(
            img.storage_classes.get(11).unwrap().create.as_slice(),
            [[5, 0, 0, 0]]
        );
        // Not logged (0,0): no id checks; predefined classes can be copied.
        assert_eq!(run(&mut img, &arena, "1: 1|SCDUP(2,c):0,0"), Ok(1));
        assert_eq!(img.storage_classes.find_by_name(b"c"), Some(12));
        assert_eq!(img.storage_classes.get(12).unwrap().keep.count, 2);

        assert_eq!(
            run(&mut img, &arena, "1: 1|SCREN(x,y):10"),
            Err(Status::NOSUCHCLASS)
        );
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCREN(2,y):2"),
            Err(Status::EPERM)
        );
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCREN(a,y):11"),
            Err(Status::MISMATCH)
        );
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCREN(a,b):10"),
            Err(Status::CLASSEXISTS)
        );
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCREN(a,a):10"),
            Err(Status::CLASSEXISTS)
        );
        assert_eq!(run(&mut img, &arena, "1: 1|SCREN(a,y):10"), Ok(1));
        assert_eq!(run(&mut img, &arena, "1: 1|SCREN(y,z):0"), Ok(1));
        assert_eq!(&*img.storage_classes.get(10).unwrap().name, b"z");

        assert_eq!(
            run(&mut img, &arena, "1: 1|SCDEL(x):10"),
            Err(Status::NOSUCHCLASS)
        );
        assert_eq!(run(&mut img, &arena, "1: 1|SCDEL(1):1"), Err(Status::EPERM));
        img.storage_classes.add_use(10, true);
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCDEL(z):11"),
            Err(Status::CLASSINUSE)
        );
        img.storage_classes.remove_use(10, true);
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCDEL(z):11"),
            Err(Status::MISMATCH)
        );
        assert_eq!(run(&mut img, &arena, "1: 1|SCDEL(z):10"), Ok(1));
        assert!(img.storage_classes.get(10).is_none());
        assert_eq!(run(&mut img, &arena, "1: 1|SCDEL(b):0"), Ok(1));
        assert_eq!(img.storage_classes.first_never_used(), 13);
        // Freed ids are reused lowest first.
        assert_eq!(run(&mut img, &arena, leak(scset("n", 1, 0, 10))), Ok(1));
        assert_eq!(run(&mut img, &arena, "1: 1|SCDUP(n,o):10,11"), Ok(1));
    }

    #[test]
    fn class_limit() {
        let arena = Bump::new();
        let mut img = image();
        for id in 10..256u16 {
            let line = leak(scset(&format!("c{id}"), 1, 0, id));
            assert_eq!(run(&mut img, &arena, line), Ok(1));
        }
        assert_eq!(
            run(&mut img, &arena, leak(scset("full", 1, 0, 256))),
            Err(Status::CLASSLIMITREACH)
        );
        assert_eq!(
            run(&mut img, &arena, "1: 1|SCDUP(c10,full):10,256"),
            Err(Status::CLASSLIMITREACH)
        );
    }
}
