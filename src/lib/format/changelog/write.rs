//! Writing an operation back as text, in the exact shapes 3.0.117 writes
//! (spec §5 "Exact shapes"): unsigned decimal numbers, session umask as `0`
//! and three octal digits, disables as `0x` and eight uppercase hex digits,
//! escaped fields and lists copied as they were read. Optional and legacy
//! parts are written in the form recorded by the parser.

use super::escape::Escaped;
use super::lists::SnapshotGids;
use super::number::{push_decimal, push_hex8};
use super::op::{CreateType, Op, SessionParams};

/// Appends text to a line under construction.
struct Out<'o>(&'o mut Vec<u8>);

impl Out<'_> {
    fn text(&mut self, text: &[u8]) -> &mut Self {
        self.0.extend_from_slice(text);
        self
    }

    fn byte(&mut self, b: u8) -> &mut Self {
        self.0.push(b);
        self
    }

    fn num(&mut self, value: impl Into<u64>) -> &mut Self {
        push_decimal(self.0, value.into());
        self
    }

    /// `,value`
    fn and(&mut self, value: impl Into<u64>) -> &mut Self {
        self.byte(b',').num(value)
    }

    /// `,value` when present.
    fn and_opt(&mut self, value: Option<impl Into<u64>>) -> &mut Self {
        if let Some(v) = value {
            self.and(v);
        }
        self
    }

    fn field(&mut self, field: &Escaped<'_>) -> &mut Self {
        self.text(field.as_escaped())
    }

    /// `,field`
    fn and_field(&mut self, field: &Escaped<'_>) -> &mut Self {
        self.byte(b',').field(field)
    }

    /// `NAME(`
    fn open(&mut self, op: &Op<'_>) -> &mut Self {
        self.text(op.name().as_bytes()).byte(b'(')
    }

    /// `):a,b,c`
    fn counts(&mut self, a: u32, b: u32, c: u32) -> &mut Self {
        self.text(b"):").num(a).and(b).and(c)
    }

    fn session_params(&mut self, p: &SessionParams<'_>) -> &mut Self {
        if let Some(csum) = p.exports_checksum {
            self.byte(b'#').num(csum).byte(b',');
        }
        self.num(p.root_inode).and(p.ses_flags).byte(b',');
        if let Some(umask) = p.umask {
            // `0%03o`; a parsed umask has exactly three octal digits.
            self.byte(b'0');
            for shift in [6, 3, 0] {
                self.byte(b'0' + ((umask >> shift) & 7) as u8);
            }
            self.byte(b',');
        }
        if p.umask.is_none() && p.root_uid == 0 {
            // MooseFS takes a field that starts with `0` here for the umask;
            // a root uid of 0 without umask can only have been read from
            // something like "+0" or "", so write it as "+0".
            self.byte(b'+');
        }
        self.num(p.root_uid)
            .and(p.root_gid)
            .and(p.map_all_uid)
            .and(p.map_all_gid)
            .and(p.min_goal)
            .and(p.max_goal)
            .and(p.min_trash_time)
            .and(p.max_trash_time)
            .byte(b',');
        if let Some(disables) = p.disables {
            self.text(b"0x");
            push_hex8(self.0, disables);
            self.byte(b',');
        }
        self.num(p.peer_ip).and_field(&p.info)
    }
}

impl Op<'_> {
    /// Appends `NAME(args)[:result]` to `out`, as 3.0.117 writes it.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        let mut w = Out(out);
        let w = w.open(self);
        match *self {
            Op::Access { inode }
            | Op::Purge { inode }
            | Op::Undel { inode }
            | Op::SesDel { session_id: inode }
            | Op::SesDisconnected { session_id: inode } => {
                w.num(inode).byte(b')');
            }
            Op::Acquire { session_id, inode }
            | Op::Aquire { session_id, inode }
            | Op::Release { session_id, inode } => {
                w.num(session_id).and(inode).byte(b')');
            }
            Op::Amtime {
                inode,
                atime,
                mtime,
                ctime,
            } => {
                w.num(inode).and(atime).and(mtime).and(ctime).byte(b')');
            }
            Op::Append {
                inode,
                src_inode,
                slice,
            } => {
                w.num(inode).and(src_inode);
                if let Some(s) = slice {
                    w.and(s.from).and(s.to);
                }
                w.byte(b')');
            }
            Op::ArchChg {
                inode,
                uid,
                cmd,
                changed,
                not_changed,
                not_permitted,
            } => {
                w.num(inode).and(uid).and(cmd).text(b"):");
                w.num(changed).and(not_changed).and(not_permitted);
            }
            Op::Attr {
                inode,
                mode,
                uid,
                gid,
                atime,
                mtime,
                winattr,
                aclmode,
            } => {
                w.num(inode)
                    .and(mode)
                    .and(uid)
                    .and(gid)
                    .and(atime)
                    .and(mtime);
                match (winattr, aclmode) {
                    (None, None) => {}
                    (None, Some(aclmode)) => {
                        w.and(aclmode);
                    }
                    (Some(winattr), aclmode) => {
                        w.and(winattr).and(aclmode.unwrap_or(mode));
                    }
                }
                w.byte(b')');
            }
            Op::ChunkAdd {
                chunk_id,
                version,
                locked_to,
            } => {
                w.num(chunk_id).and(version).and(locked_to).byte(b')');
            }
            Op::ChunkDel { chunk_id, version } => {
                w.num(chunk_id).and(version).byte(b')');
            }
            Op::Create {
                parent,
                ref name,
                node_type,
                mode,
                cumask,
                uid,
                gid,
                rdev,
                inode,
            } => {
                w.num(parent).and_field(name).byte(b',');
                match node_type {
                    CreateType::Number(t) => w.num(t),
                    CreateType::Letter(t) => w.byte(t),
                };
                w.and(mode);
                if node_type.has_cumask() {
                    w.and(cumask);
                }
                w.and(uid).and(gid).and(rdev).text(b"):").num(inode);
            }
            Op::CsAdd { ip, port } | Op::CsDel { ip, port } => {
                w.num(ip).and(port).byte(b')');
            }
            Op::CsDbOp { op, ip, port, arg } => {
                w.num(op).and(ip).and(port).and(arg).byte(b')');
            }
            Op::Customer { session_id } | Op::Session { session_id } => {
                w.text(b"):").num(session_id);
            }
            Op::EmptyReserved {
                bucket,
                freed,
                chksum,
            }
            | Op::EmptySustained {
                bucket,
                freed,
                chksum,
            } => {
                if let Some(b) = bucket {
                    w.num(b);
                }
                w.text(b"):").num(freed).and_opt(chksum);
            }
            Op::EmptyTrash {
                bucket,
                freed,
                sustained,
                chksum,
            } => {
                if let Some(b) = bucket {
                    w.num(b);
                }
                w.text(b"):").num(freed).and(sustained).and_opt(chksum);
            }
            Op::Flock {
                inode,
                session_id,
                owner,
                cmd,
            } => {
                w.num(inode).and(session_id).and(owner).byte(b',');
                w.byte(cmd).byte(b')');
            }
            Op::FreeInodes {
                reuse_delay,
                freed,
                sustained,
                chksum,
            } => {
                if let Some(d) = reuse_delay {
                    w.num(d);
                }
                w.text(b"):").num(freed);
                if sustained.is_some() || chksum.is_some() {
                    w.and(sustained.unwrap_or(0));
                }
                w.and_opt(chksum);
            }
            Op::Idle => {
                w.byte(b')');
            }
            Op::IncVersion { chunk_id }
            | Op::NextChunkId { chunk_id }
            | Op::Unlock { chunk_id }
            | Op::SetMetaId { meta_id: chunk_id } => {
                w.num(chunk_id).byte(b')');
            }
            Op::Length {
                inode,
                length,
                canmodmtime,
            } => {
                w.num(inode).and(length).and_opt(canmodmtime).byte(b')');
            }
            Op::Link {
                inode,
                parent,
                ref name,
            } => {
                w.num(inode).and(parent).and_field(name).byte(b')');
            }
            Op::Move {
                parent_src,
                ref name_src,
                parent_dst,
                ref name_dst,
                inode,
            } => {
                w.num(parent_src).and_field(name_src);
                w.and(parent_dst).and_field(name_dst).text(b"):").num(inode);
            }
            Op::PosixLock {
                inode,
                session_id,
                owner,
                cmd,
                start,
                end,
                pid,
            } => {
                w.num(inode).and(session_id).and(owner).byte(b',').byte(cmd);
                w.and(start).and(end).and(pid).byte(b')');
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
            } => {
                w.num(inode).and(exceeded).and(flags).and(stimestamp);
                w.and(sinodes).and(hinodes).and(slength).and(hlength);
                w.and(ssize).and(hsize).and(srealsize).and(hrealsize);
                w.and_opt(grace_period).byte(b')');
            }
            Op::RenumerateEdges { next_edge_id } => {
                w.text(b"):").num(next_edge_id);
            }
            Op::Repair {
                inode,
                indx,
                version,
            } => {
                w.num(inode).and(indx).text(b"):").num(version);
            }
            Op::Rollback {
                inode,
                indx,
                prev_chunk_id,
                chunk_id,
            } => {
                w.num(inode).and(indx).and(prev_chunk_id).and(chunk_id);
                w.byte(b')');
            }
            Op::ScDel {
                ref name,
                sclass_id,
            } => {
                w.field(name).text(b"):").num(sclass_id);
            }
            Op::ScDup {
                ref src,
                ref dst,
                src_id,
                dst_id,
            } => {
                w.field(src)
                    .and_field(dst)
                    .text(b"):")
                    .num(src_id)
                    .and(dst_id);
            }
            Op::ScRen {
                ref src,
                ref dst,
                sclass_id,
            } => {
                w.field(src).and_field(dst).text(b"):").num(sclass_id);
            }
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
                w.field(name).and(new_flag);
                w.text(b",W").num(create_labels);
                w.text(b",K").num(keep_labels);
                w.text(b",A").num(arch_labels);
                w.and(create_mode).and(arch_delay).and(admin_only);
                w.byte(b',')
                    .text(masks.as_text())
                    .text(b"):")
                    .num(sclass_id);
            }
            Op::SesAdd {
                ref params,
                session_id,
            } => {
                w.session_params(params).text(b"):").num(session_id);
            }
            Op::SesChanged {
                session_id,
                ref params,
            } => {
                w.num(session_id)
                    .byte(b',')
                    .session_params(params)
                    .byte(b')');
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
                w.num(inode).and(mode).and(change_ctime).and(acl_type);
                w.and(user_perm).and(group_perm).and(other_perm).and(mask);
                w.and(named_users)
                    .and(named_groups)
                    .and_field(blob)
                    .byte(b')');
            }
            Op::SetEattr {
                inode,
                uid,
                eattr,
                smode,
                changed,
                not_changed,
                not_permitted,
            } => {
                w.num(inode).and(uid).and(eattr).and(smode);
                w.counts(changed, not_changed, not_permitted);
            }
            Op::SetGoal {
                inode,
                uid,
                goal,
                smode,
                changed,
                not_changed,
                not_permitted,
            } => {
                w.num(inode).and(uid).and(goal).and(smode);
                w.counts(changed, not_changed, not_permitted);
            }
            Op::SetSclass {
                inode,
                uid,
                src_sclass,
                dst_sclass,
                smode,
                changed,
                not_changed,
                not_permitted,
            } => {
                w.num(inode)
                    .and(uid)
                    .and(src_sclass)
                    .and(dst_sclass)
                    .and(smode);
                w.counts(changed, not_changed, not_permitted);
            }
            Op::SetTrashTime {
                inode,
                uid,
                trash_time,
                smode,
                changed,
                not_changed,
                not_permitted,
            } => {
                w.num(inode).and(uid).and(trash_time).and(smode);
                w.counts(changed, not_changed, not_permitted);
            }
            Op::SetFileChunk {
                inode,
                indx,
                chunk_id,
            } => {
                w.num(inode).and(indx).and(chunk_id).byte(b')');
            }
            Op::SetPath { inode, ref path } => {
                w.num(inode).and_field(path).byte(b')');
            }
            Op::SetVersion { chunk_id, version } => {
                w.num(chunk_id).and(version).byte(b')');
            }
            Op::SetXattr {
                inode,
                ref name,
                ref value,
                mode,
            } => {
                w.num(inode).and_field(name).and_field(value).and(mode);
                w.byte(b')');
            }
            Op::Snapshot {
                src_inode,
                dst_parent,
                ref name,
                smode,
                sesflags,
                uid,
                gids,
                cumask,
                result,
            } => {
                w.num(src_inode).and(dst_parent).and_field(name);
                w.and(smode).and(sesflags).and(uid).byte(b',');
                match gids {
                    SnapshotGids::List(list) => {
                        w.byte(b'[').text(list.as_text()).byte(b']');
                    }
                    SnapshotGids::Data { count, ref bytes } => {
                        w.num(count).and_field(bytes);
                    }
                    SnapshotGids::Single(gid) => {
                        w.num(gid);
                    }
                }
                w.and(cumask).byte(b')');
                if let Some(r) = result {
                    w.byte(b':').num(r.chksum).and(r.removed).and(r.same);
                    w.and(r.existing).and(r.hardlinks).and(r.new);
                }
            }
            Op::Symlink {
                parent,
                ref name,
                ref target,
                uid,
                gid,
                inode,
            } => {
                w.num(parent).and_field(name).and_field(target);
                w.and(uid).and(gid).text(b"):").num(inode);
            }
            Op::Trunc {
                inode,
                indx,
                chunk_id,
            } => {
                w.num(inode).and(indx).text(b"):").num(chunk_id);
            }
            Op::Unlink {
                parent,
                ref name,
                inode,
            } => {
                w.num(parent).and_field(name).text(b"):").num(inode);
            }
            Op::Write {
                inode,
                indx,
                opflag,
                canmodmtime,
                chunk_id,
            } => {
                w.num(inode).and(indx);
                match (opflag, canmodmtime) {
                    (None, None) => {}
                    (Some(opflag), None) => {
                        w.and(opflag);
                    }
                    (opflag, Some(canmodmtime)) => {
                        w.and(opflag.unwrap_or(1)).and(canmodmtime);
                    }
                }
                w.text(b"):").num(chunk_id);
            }
        }
    }
}
