//! Reading an operation: name dispatch (spec §4) and one reader per
//! operation, following the order of reads and checks of 3.0.117's
//! `restore.c`, so that the same lines are accepted and refused.
//!
//! Each reader starts right after the operation name and stops after the last
//! field it expects; whatever follows is the line's `rest`.

use super::cursor::Cursor;
use super::error::{LineError, LineErrorKind, OpNamePrefix};
use super::escape::FieldKind;
use super::lists::{GidList, LabelMasks, SnapshotGids};
use super::op::{AppendSlice, CreateType, Op, SessionParams, SnapshotResult};

/// Most labels of one kind a storage class may have (MAXLABELSCNT).
const MAX_LABELS: u8 = 9;
/// Masks written per label (MASKORGROUP).
const MASKS_PER_LABEL: u8 = 4;
/// Bytes per named ACL entry in a SETACL blob: {id:u32, perm:u16}.
const ACL_ENTRY_SIZE: u32 = 6;

/// Reads the operation at the cursor: the name, then its arguments.
///
/// The first four bytes select the candidates, then the full name must start
/// there (MooseFS's `strncmp`); `IDLE`, `ATTR`, `LINK` and `MOVE` are taken on
/// four bytes alone. A name that matches is a known operation even if what
/// follows is not `(` (`ACCESSX(1)` is a parse error, not an unknown name).
pub(crate) fn parse_op<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let tail = cur.tail();
    let head = [
        cur.peek_at(0),
        cur.peek_at(1),
        cur.peek_at(2),
        cur.peek_at(3),
    ];
    let is = |name: &[u8]| tail.starts_with(name);
    // Skips the name just matched, then reads the arguments.
    macro_rules! read {
        ($name:literal, $reader:ident) => {{
            cur.skip($name.len());
            $reader(cur)
        }};
    }
    match &head {
        b"IDLE" => read!(b"IDLE", idle),
        b"ACCE" if is(b"ACCESS") => read!(b"ACCESS", access),
        b"ATTR" => read!(b"ATTR", attr),
        b"APPE" if is(b"APPEND") => read!(b"APPEND", append),
        b"ACQU" if is(b"ACQUIRE") => read!(b"ACQUIRE", acquire),
        b"AQUI" if is(b"AQUIRE") => read!(b"AQUIRE", aquire),
        b"ARCH" if is(b"ARCHCHG") => read!(b"ARCHCHG", archchg),
        b"AMTI" if is(b"AMTIME") => read!(b"AMTIME", amtime),
        b"CREA" if is(b"CREATE") => read!(b"CREATE", create),
        b"CHUN" if is(b"CHUNKADD") => read!(b"CHUNKADD", chunkadd),
        b"CHUN" if is(b"CHUNKDEL") => read!(b"CHUNKDEL", chunkdel),
        b"CSAD" if is(b"CSADD") => read!(b"CSADD", csadd),
        b"CSDB" if is(b"CSDBOP") => read!(b"CSDBOP", csdbop),
        b"CSDE" if is(b"CSDEL") => read!(b"CSDEL", csdel),
        b"CUST" if is(b"CUSTOMER") => read!(b"CUSTOMER", customer),
        b"EMPT" if is(b"EMPTYTRASH") => read!(b"EMPTYTRASH", emptytrash),
        b"EMPT" if is(b"EMPTYSUSTAINED") => read!(b"EMPTYSUSTAINED", emptysustained),
        b"EMPT" if is(b"EMPTYRESERVED") => read!(b"EMPTYRESERVED", emptyreserved),
        b"FLOC" if is(b"FLOCK") => read!(b"FLOCK", flock),
        b"FREE" if is(b"FREEINODES") => read!(b"FREEINODES", freeinodes),
        b"INCV" if is(b"INCVERSION") => read!(b"INCVERSION", incversion),
        b"LENG" if is(b"LENGTH") => read!(b"LENGTH", length),
        b"LINK" => read!(b"LINK", link),
        b"MOVE" => read!(b"MOVE", mv),
        b"NEXT" if is(b"NEXTCHUNKID") => read!(b"NEXTCHUNKID", nextchunkid),
        b"POSI" if is(b"POSIXLOCK") => read!(b"POSIXLOCK", posixlock),
        b"PURG" if is(b"PURGE") => read!(b"PURGE", purge),
        b"QUOT" if is(b"QUOTA") => read!(b"QUOTA", quota),
        b"RELE" if is(b"RELEASE") => read!(b"RELEASE", release),
        b"RENU" if is(b"RENUMERATEEDGES") => read!(b"RENUMERATEEDGES", renumerateedges),
        b"REPA" if is(b"REPAIR") => read!(b"REPAIR", repair),
        b"ROLL" if is(b"ROLLBACK") => read!(b"ROLLBACK", rollback),
        b"SCDE" if is(b"SCDEL") => read!(b"SCDEL", scdel),
        b"SCDU" if is(b"SCDUP") => read!(b"SCDUP", scdup),
        b"SCRE" if is(b"SCREN") => read!(b"SCREN", scren),
        b"SCSE" if is(b"SCSET") => read!(b"SCSET", scset),
        b"SESA" if is(b"SESADD") => read!(b"SESADD", sesadd),
        b"SESC" if is(b"SESCHANGED") => read!(b"SESCHANGED", seschanged),
        b"SESD" if is(b"SESDEL") => read!(b"SESDEL", sesdel),
        b"SESD" if is(b"SESDISCONNECTED") => read!(b"SESDISCONNECTED", sesdisconnected),
        b"SESS" if is(b"SESSION") => read!(b"SESSION", session),
        b"SETA" if is(b"SETACL") => read!(b"SETACL", setacl),
        b"SETE" if is(b"SETEATTR") => read!(b"SETEATTR", seteattr),
        b"SETF" if is(b"SETFILECHUNK") => read!(b"SETFILECHUNK", setfilechunk),
        b"SETG" if is(b"SETGOAL") => read!(b"SETGOAL", setgoal),
        b"SETM" if is(b"SETMETAID") => read!(b"SETMETAID", setmetaid),
        b"SETP" if is(b"SETPATH") => read!(b"SETPATH", setpath),
        b"SETS" if is(b"SETSCLASS") => read!(b"SETSCLASS", setsclass),
        b"SETT" if is(b"SETTRASHTIME") => read!(b"SETTRASHTIME", settrashtime),
        b"SETV" if is(b"SETVERSION") => read!(b"SETVERSION", setversion),
        b"SETX" if is(b"SETXATTR") => read!(b"SETXATTR", setxattr),
        b"SNAP" if is(b"SNAPSHOT") => read!(b"SNAPSHOT", snapshot),
        b"SYML" if is(b"SYMLINK") => read!(b"SYMLINK", symlink),
        b"TRUN" if is(b"TRUNC") => read!(b"TRUNC", trunc),
        b"UNDE" if is(b"UNDEL") => read!(b"UNDEL", undel),
        b"UNLI" if is(b"UNLINK") => read!(b"UNLINK", unlink),
        b"UNLO" if is(b"UNLOCK") => read!(b"UNLOCK", unlock),
        b"WRIT" if is(b"WRITE") => read!(b"WRITE", write),
        _ => Err(cur.error(LineErrorKind::UnknownOperation {
            name: OpNamePrefix::from_text(tail),
        })),
    }
}

fn idle<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    cur.eat(b')')?;
    Ok(Op::Idle)
}

/// `(u32)`
fn one_u32(cur: &mut Cursor<'_>) -> Result<u32, LineError> {
    cur.eat(b'(')?;
    let v = cur.u32();
    cur.eat(b')')?;
    Ok(v)
}

/// `(u64)`
fn one_u64(cur: &mut Cursor<'_>) -> Result<u64, LineError> {
    cur.eat(b'(')?;
    let v = cur.u64();
    cur.eat(b')')?;
    Ok(v)
}

/// `(u32,u32)`
fn two_u32(cur: &mut Cursor<'_>) -> Result<(u32, u32), LineError> {
    cur.eat(b'(')?;
    let a = cur.u32();
    cur.eat(b',')?;
    let b = cur.u32();
    cur.eat(b')')?;
    Ok((a, b))
}

/// `():u32` or `():u64` prefix: reads `():`.
fn empty_args_then_result(cur: &mut Cursor<'_>) -> Result<(), LineError> {
    cur.eat(b'(')?;
    cur.eat(b')')?;
    cur.eat(b':')
}

/// `:u32,u32,u32` (changed, notchanged, notpermitted).
fn three_counts(cur: &mut Cursor<'_>) -> Result<(u32, u32, u32), LineError> {
    cur.eat(b':')?;
    let a = cur.u32();
    cur.eat(b',')?;
    let b = cur.u32();
    cur.eat(b',')?;
    let c = cur.u32();
    Ok((a, b, c))
}

/// `[u32]` before a `)`: absent when the next byte is `)`.
fn optional_bucket(cur: &mut Cursor<'_>) -> Option<u32> {
    (cur.peek() != b')').then(|| cur.u32())
}

/// `[,u32]`: present when the next byte is `,`.
fn optional_comma_u32(cur: &mut Cursor<'_>) -> Option<u32> {
    cur.eat_if(b',').then(|| cur.u32())
}

fn access<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    Ok(Op::Access {
        inode: one_u32(cur)?,
    })
}

fn acquire<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (session_id, inode) = two_u32(cur)?;
    Ok(Op::Acquire { session_id, inode })
}

fn aquire<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (session_id, inode) = two_u32(cur)?;
    Ok(Op::Aquire { session_id, inode })
}

fn release<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (session_id, inode) = two_u32(cur)?;
    Ok(Op::Release { session_id, inode })
}

fn amtime<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let atime = cur.u32();
    cur.eat(b',')?;
    let mtime = cur.u32();
    cur.eat(b',')?;
    let ctime = cur.u32();
    cur.eat(b')')?;
    Ok(Op::Amtime {
        inode,
        atime,
        mtime,
        ctime,
    })
}

fn append<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let src_inode = cur.u32();
    let slice = if cur.peek() == b')' {
        None
    } else {
        cur.eat(b',')?;
        let from = cur.u32();
        cur.eat(b',')?;
        let to = cur.u32();
        Some(AppendSlice { from, to })
    };
    cur.eat(b')')?;
    Ok(Op::Append {
        inode,
        src_inode,
        slice,
    })
}

fn archchg<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let uid = cur.u32();
    cur.eat(b',')?;
    let cmd = cur.u8_checked("cmd")?;
    cur.eat(b')')?;
    cur.eat(b':')?;
    let changed = cur.u64();
    cur.eat(b',')?;
    let not_changed = cur.u64();
    cur.eat(b',')?;
    let not_permitted = cur.u32();
    Ok(Op::ArchChg {
        inode,
        uid,
        cmd,
        changed,
        not_changed,
        not_permitted,
    })
}

fn attr<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let mode = cur.u16_wrapping();
    cur.eat(b',')?;
    let uid = cur.u32();
    cur.eat(b',')?;
    let gid = cur.u32();
    cur.eat(b',')?;
    let atime = cur.u32();
    cur.eat(b',')?;
    let mtime = cur.u32();
    let (winattr, aclmode) = if cur.eat_if(b',') {
        // The 7th value is aclmode, unless an 8th follows: then it was
        // winattr.
        let seventh = cur.u32();
        if cur.eat_if(b',') {
            (Some(seventh as u8), Some(cur.u16_wrapping()))
        } else {
            (None, Some(seventh as u16))
        }
    } else {
        (None, None)
    };
    cur.eat(b')')?;
    Ok(Op::Attr {
        inode,
        mode,
        uid,
        gid,
        atime,
        mtime,
        winattr,
        aclmode,
    })
}

fn chunkadd<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let chunk_id = cur.u64();
    cur.eat(b',')?;
    let version = cur.u32();
    cur.eat(b',')?;
    let locked_to = cur.u32();
    cur.eat(b')')?;
    Ok(Op::ChunkAdd {
        chunk_id,
        version,
        locked_to,
    })
}

fn chunkdel<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let chunk_id = cur.u64();
    cur.eat(b',')?;
    let version = cur.u32();
    cur.eat(b')')?;
    Ok(Op::ChunkDel { chunk_id, version })
}

fn create<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let parent = cur.u32();
    cur.eat(b',')?;
    let name = cur.escaped(FieldKind::Name, b',')?;
    cur.eat(b',')?;
    let node_type = if cur.peek().is_ascii_digit() {
        CreateType::Number(cur.u8_checked("type")?)
    } else {
        CreateType::Letter(cur.any_byte(b',')?)
    };
    cur.eat(b',')?;
    let mode = cur.u16_checked("mode")?;
    cur.eat(b',')?;
    let cumask = if node_type.has_cumask() {
        let cumask = cur.u16_checked("cumask")?;
        cur.eat(b',')?;
        cumask
    } else {
        0
    };
    let uid = cur.u32();
    cur.eat(b',')?;
    let gid = cur.u32();
    cur.eat(b',')?;
    let rdev = cur.u32();
    cur.eat(b')')?;
    cur.eat(b':')?;
    let inode = cur.u32();
    Ok(Op::Create {
        parent,
        name,
        node_type,
        mode,
        cumask,
        uid,
        gid,
        rdev,
        inode,
    })
}

fn csdbop<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let op = cur.u8_checked("op")?;
    cur.eat(b',')?;
    let ip = cur.u32();
    cur.eat(b',')?;
    let port = cur.u16_checked("port")?;
    cur.eat(b',')?;
    let arg = cur.u32();
    cur.eat(b')')?;
    Ok(Op::CsDbOp { op, ip, port, arg })
}

/// `(ip:u32,port:u16~)` of CSADD / CSDEL.
fn ip_port(cur: &mut Cursor<'_>) -> Result<(u32, u16), LineError> {
    let (ip, port) = two_u32(cur)?;
    Ok((ip, port as u16))
}

fn csadd<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (ip, port) = ip_port(cur)?;
    Ok(Op::CsAdd { ip, port })
}

fn csdel<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (ip, port) = ip_port(cur)?;
    Ok(Op::CsDel { ip, port })
}

fn customer<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    empty_args_then_result(cur)?;
    Ok(Op::Customer {
        session_id: cur.u32(),
    })
}

fn session<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    empty_args_then_result(cur)?;
    Ok(Op::Session {
        session_id: cur.u32(),
    })
}

fn emptytrash<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let bucket = optional_bucket(cur);
    cur.eat(b')')?;
    cur.eat(b':')?;
    let freed = cur.u32();
    cur.eat(b',')?;
    let sustained = cur.u32();
    let chksum = optional_comma_u32(cur);
    Ok(Op::EmptyTrash {
        bucket,
        freed,
        sustained,
        chksum,
    })
}

/// `([bid]):freed[,chksum]` of EMPTYSUSTAINED / EMPTYRESERVED.
fn sustained_args(cur: &mut Cursor<'_>) -> Result<(Option<u32>, u32, Option<u32>), LineError> {
    cur.eat(b'(')?;
    let bucket = optional_bucket(cur);
    cur.eat(b')')?;
    cur.eat(b':')?;
    let freed = cur.u32();
    let chksum = optional_comma_u32(cur);
    Ok((bucket, freed, chksum))
}

fn emptysustained<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (bucket, freed, chksum) = sustained_args(cur)?;
    Ok(Op::EmptySustained {
        bucket,
        freed,
        chksum,
    })
}

fn emptyreserved<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (bucket, freed, chksum) = sustained_args(cur)?;
    Ok(Op::EmptyReserved {
        bucket,
        freed,
        chksum,
    })
}

fn flock<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let session_id = cur.u32();
    cur.eat(b',')?;
    let owner = cur.u64();
    cur.eat(b',')?;
    let cmd = cur.any_byte(b')')?;
    cur.eat(b')')?;
    Ok(Op::Flock {
        inode,
        session_id,
        owner,
        cmd,
    })
}

fn freeinodes<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let reuse_delay = optional_bucket(cur);
    cur.eat(b')')?;
    cur.eat(b':')?;
    let freed = cur.u32();
    let sustained = optional_comma_u32(cur);
    // MooseFS looks for the checksum's comma right after; without a
    // sustained count there is no comma there either, so a checksum always
    // comes with a sustained count.
    let chksum = optional_comma_u32(cur);
    Ok(Op::FreeInodes {
        reuse_delay,
        freed,
        sustained,
        chksum,
    })
}

fn incversion<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    Ok(Op::IncVersion {
        chunk_id: one_u64(cur)?,
    })
}

fn length<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let length = cur.u64();
    let canmodmtime = if cur.eat_if(b',') {
        Some(cur.u8_checked("canmodmtime")?)
    } else {
        None
    };
    cur.eat(b')')?;
    Ok(Op::Length {
        inode,
        length,
        canmodmtime,
    })
}

fn link<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let parent = cur.u32();
    cur.eat(b',')?;
    let name = cur.escaped(FieldKind::Name, b')')?;
    cur.eat(b')')?;
    Ok(Op::Link {
        inode,
        parent,
        name,
    })
}

fn mv<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let parent_src = cur.u32();
    cur.eat(b',')?;
    let name_src = cur.escaped(FieldKind::Name, b',')?;
    cur.eat(b',')?;
    let parent_dst = cur.u32();
    cur.eat(b',')?;
    let name_dst = cur.escaped(FieldKind::Name, b')')?;
    cur.eat(b')')?;
    cur.eat(b':')?;
    let inode = cur.u32();
    Ok(Op::Move {
        parent_src,
        name_src,
        parent_dst,
        name_dst,
        inode,
    })
}

fn nextchunkid<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    Ok(Op::NextChunkId {
        chunk_id: one_u64(cur)?,
    })
}

fn posixlock<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let session_id = cur.u32();
    cur.eat(b',')?;
    let owner = cur.u64();
    cur.eat(b',')?;
    let cmd = cur.any_byte(b',')?;
    cur.eat(b',')?;
    let start = cur.u64();
    cur.eat(b',')?;
    let end = cur.u64();
    cur.eat(b',')?;
    let pid = cur.u32();
    cur.eat(b')')?;
    Ok(Op::PosixLock {
        inode,
        session_id,
        owner,
        cmd,
        start,
        end,
        pid,
    })
}

fn purge<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    Ok(Op::Purge {
        inode: one_u32(cur)?,
    })
}

fn quota<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let exceeded = cur.u8_wrapping();
    cur.eat(b',')?;
    let flags = cur.u8_wrapping();
    cur.eat(b',')?;
    let stimestamp = cur.u32();
    cur.eat(b',')?;
    let sinodes = cur.u32();
    cur.eat(b',')?;
    let hinodes = cur.u32();
    cur.eat(b',')?;
    let slength = cur.u64();
    cur.eat(b',')?;
    let hlength = cur.u64();
    cur.eat(b',')?;
    let ssize = cur.u64();
    cur.eat(b',')?;
    let hsize = cur.u64();
    cur.eat(b',')?;
    let srealsize = cur.u64();
    cur.eat(b',')?;
    let hrealsize = cur.u64();
    let grace_period = optional_comma_u32(cur);
    cur.eat(b')')?;
    Ok(Op::Quota {
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
    })
}

fn renumerateedges<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    empty_args_then_result(cur)?;
    Ok(Op::RenumerateEdges {
        next_edge_id: cur.u64(),
    })
}

fn repair<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (inode, indx) = two_u32(cur)?;
    cur.eat(b':')?;
    let version = cur.u32();
    Ok(Op::Repair {
        inode,
        indx,
        version,
    })
}

fn rollback<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let indx = cur.u32();
    cur.eat(b',')?;
    let prev_chunk_id = cur.u64();
    cur.eat(b',')?;
    let chunk_id = cur.u64();
    cur.eat(b')')?;
    Ok(Op::Rollback {
        inode,
        indx,
        prev_chunk_id,
        chunk_id,
    })
}

fn scdel<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let name = cur.escaped(FieldKind::Name, b')')?;
    cur.eat(b')')?;
    cur.eat(b':')?;
    let sclass_id = cur.u16_checked("sclassid")?;
    Ok(Op::ScDel { name, sclass_id })
}

fn scdup<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let src = cur.escaped(FieldKind::Name, b',')?;
    cur.eat(b',')?;
    let dst = cur.escaped(FieldKind::Name, b')')?;
    cur.eat(b')')?;
    cur.eat(b':')?;
    let src_id = cur.u16_checked("srcid")?;
    cur.eat(b',')?;
    let dst_id = cur.u16_checked("dstid")?;
    Ok(Op::ScDup {
        src,
        dst,
        src_id,
        dst_id,
    })
}

fn scren<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let src = cur.escaped(FieldKind::Name, b',')?;
    cur.eat(b',')?;
    let dst = cur.escaped(FieldKind::Name, b')')?;
    cur.eat(b')')?;
    cur.eat(b':')?;
    let sclass_id = cur.u16_checked("sclassid")?;
    Ok(Op::ScRen {
        src,
        dst,
        sclass_id,
    })
}

fn scset<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let name = cur.escaped(FieldKind::Name, b',')?;
    cur.eat(b',')?;
    let new_flag = cur.u8_checked("new")?;
    cur.eat(b',')?;
    cur.eat(b'W')?;
    let create_labels = cur.u8_checked("create_labelscnt")?;
    cur.eat(b',')?;
    cur.eat(b'K')?;
    let keep_labels = cur.u8_checked("keep_labelscnt")?;
    cur.eat(b',')?;
    cur.eat(b'A')?;
    let arch_labels = cur.u8_checked("arch_labelscnt")?;
    cur.eat(b',')?;
    let create_mode = cur.u8_checked("create_mode")?;
    cur.eat(b',')?;
    let arch_delay = cur.u16_checked("arch_delay")?;
    cur.eat(b',')?;
    let admin_only = cur.u8_checked("admin_only")?;
    let most = create_labels.max(keep_labels).max(arch_labels);
    if most > MAX_LABELS {
        return Err(cur.error(LineErrorKind::TooManyLabels { count: most }));
    }
    // At most 3 × 9 × 4 = 108 masks: fits in a u8.
    let count = (create_labels + keep_labels + arch_labels) * MASKS_PER_LABEL;
    let masks = LabelMasks::parse(cur, count)?;
    cur.eat(b')')?;
    cur.eat(b':')?;
    let sclass_id = cur.u16_checked("sclassid")?;
    Ok(Op::ScSet {
        name,
        new_flag,
        create_labels,
        keep_labels,
        arch_labels,
        create_mode,
        arch_delay,
        admin_only,
        masks,
        sclass_id,
    })
}

/// The session parameters of SESADD / SESCHANGED, from the optional
/// `#exportscsum,` to the info field (left before its `)`).
fn session_params<'a>(cur: &mut Cursor<'a>) -> Result<SessionParams<'a>, LineError> {
    let exports_checksum = if cur.eat_if(b'#') {
        let csum = cur.u64();
        cur.eat(b',')?;
        Some(csum)
    } else {
        None
    };
    let root_inode = cur.u32();
    cur.eat(b',')?;
    let ses_flags = cur.u8_wrapping();
    cur.eat(b',')?;
    let umask = if cur.peek() == b'0' {
        let mut value: u16 = 0;
        for ahead in 1..=3 {
            let digit = cur.peek_at(ahead);
            if !(b'0'..=b'7').contains(&digit) {
                return Err(cur.error(LineErrorKind::BadUmask));
            }
            value = value * 8 + u16::from(digit - b'0');
        }
        cur.skip(4);
        cur.eat(b',')?;
        Some(value)
    } else {
        None
    };
    let root_uid = cur.u32();
    cur.eat(b',')?;
    let root_gid = cur.u32();
    cur.eat(b',')?;
    let map_all_uid = cur.u32();
    cur.eat(b',')?;
    let map_all_gid = cur.u32();
    cur.eat(b',')?;
    let min_goal = cur.u8_wrapping();
    cur.eat(b',')?;
    let max_goal = cur.u8_wrapping();
    cur.eat(b',')?;
    let min_trash_time = cur.u32();
    cur.eat(b',')?;
    let max_trash_time = cur.u32();
    cur.eat(b',')?;
    let disables = if cur.peek() == b'0' && cur.peek_at(1) == b'x' {
        cur.skip(2);
        let disables = cur.x32();
        cur.eat(b',')?;
        Some(disables)
    } else {
        None
    };
    let peer_ip = cur.u32();
    cur.eat(b',')?;
    let info = cur.escaped(FieldKind::Data, b')')?;
    Ok(SessionParams {
        exports_checksum,
        root_inode,
        ses_flags,
        umask,
        root_uid,
        root_gid,
        map_all_uid,
        map_all_gid,
        min_goal,
        max_goal,
        min_trash_time,
        max_trash_time,
        disables,
        peer_ip,
        info,
    })
}

fn sesadd<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let params = session_params(cur)?;
    cur.eat(b')')?;
    cur.eat(b':')?;
    let session_id = cur.u32();
    Ok(Op::SesAdd { params, session_id })
}

fn seschanged<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let session_id = cur.u32();
    cur.eat(b',')?;
    let params = session_params(cur)?;
    cur.eat(b')')?;
    Ok(Op::SesChanged { session_id, params })
}

fn sesdel<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    Ok(Op::SesDel {
        session_id: one_u32(cur)?,
    })
}

fn sesdisconnected<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    Ok(Op::SesDisconnected {
        session_id: one_u32(cur)?,
    })
}

fn setacl<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let mode = cur.u16_checked("mode")?;
    cur.eat(b',')?;
    let change_ctime = cur.u8_checked("changectime")?;
    cur.eat(b',')?;
    let acl_type = cur.u8_checked("acltype")?;
    cur.eat(b',')?;
    let user_perm = cur.u16_checked("userperm")?;
    cur.eat(b',')?;
    let group_perm = cur.u16_checked("groupperm")?;
    cur.eat(b',')?;
    let other_perm = cur.u16_checked("otherperm")?;
    cur.eat(b',')?;
    let mask = cur.u16_checked("mask")?;
    cur.eat(b',')?;
    let named_users = cur.u16_checked("namedusers")?;
    cur.eat(b',')?;
    let named_groups = cur.u16_checked("namedgroups")?;
    cur.eat(b',')?;
    let blob_at = cur.pos();
    let blob = cur.escaped(FieldKind::Data, b')')?;
    cur.eat(b')')?;
    let expected = ACL_ENTRY_SIZE * (u32::from(named_users) + u32::from(named_groups));
    let len = u32::try_from(blob.len()).unwrap_or(u32::MAX);
    if len != expected {
        return Err(LineError::new(
            LineErrorKind::AclBlobLength { expected, len },
            blob_at,
        ));
    }
    Ok(Op::SetAcl {
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
        blob,
    })
}

/// `(inode,uid,` of the recursive attribute operations.
fn inode_uid(cur: &mut Cursor<'_>) -> Result<(u32, u32), LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let uid = cur.u32();
    cur.eat(b',')?;
    Ok((inode, uid))
}

fn seteattr<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (inode, uid) = inode_uid(cur)?;
    let eattr = cur.u8_wrapping();
    cur.eat(b',')?;
    let smode = cur.u8_wrapping();
    cur.eat(b')')?;
    let (changed, not_changed, not_permitted) = three_counts(cur)?;
    Ok(Op::SetEattr {
        inode,
        uid,
        eattr,
        smode,
        changed,
        not_changed,
        not_permitted,
    })
}

fn setgoal<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (inode, uid) = inode_uid(cur)?;
    let goal = cur.u8_wrapping();
    cur.eat(b',')?;
    let smode = cur.u8_wrapping();
    cur.eat(b')')?;
    let (changed, not_changed, not_permitted) = three_counts(cur)?;
    Ok(Op::SetGoal {
        inode,
        uid,
        goal,
        smode,
        changed,
        not_changed,
        not_permitted,
    })
}

fn setsclass<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (inode, uid) = inode_uid(cur)?;
    let src_sclass = cur.u8_wrapping();
    cur.eat(b',')?;
    let dst_sclass = cur.u8_wrapping();
    cur.eat(b',')?;
    let smode = cur.u8_wrapping();
    cur.eat(b')')?;
    let (changed, not_changed, not_permitted) = three_counts(cur)?;
    Ok(Op::SetSclass {
        inode,
        uid,
        src_sclass,
        dst_sclass,
        smode,
        changed,
        not_changed,
        not_permitted,
    })
}

fn settrashtime<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (inode, uid) = inode_uid(cur)?;
    let trash_time = cur.u32();
    cur.eat(b',')?;
    let smode = cur.u8_wrapping();
    cur.eat(b')')?;
    let (changed, not_changed, not_permitted) = three_counts(cur)?;
    Ok(Op::SetTrashTime {
        inode,
        uid,
        trash_time,
        smode,
        changed,
        not_changed,
        not_permitted,
    })
}

fn setfilechunk<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let indx = cur.u32();
    cur.eat(b',')?;
    let chunk_id = cur.u64();
    cur.eat(b')')?;
    Ok(Op::SetFileChunk {
        inode,
        indx,
        chunk_id,
    })
}

fn setmetaid<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    Ok(Op::SetMetaId {
        meta_id: one_u64(cur)?,
    })
}

fn setpath<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let path = cur.escaped(FieldKind::Path, b')')?;
    cur.eat(b')')?;
    Ok(Op::SetPath { inode, path })
}

fn setversion<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let chunk_id = cur.u64();
    cur.eat(b',')?;
    let version = cur.u32();
    cur.eat(b')')?;
    Ok(Op::SetVersion { chunk_id, version })
}

fn setxattr<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let name = cur.escaped(FieldKind::Name, b',')?;
    cur.eat(b',')?;
    let value = cur.escaped(FieldKind::Data, b',')?;
    cur.eat(b',')?;
    let mode = cur.u32();
    cur.eat(b')')?;
    Ok(Op::SetXattr {
        inode,
        name,
        value,
        mode,
    })
}

/// Whether the legacy SNAPSHOT text after `gidcount,` is raw gid data rather
/// than a single gid: some byte before the first `)` (or NUL, or the end) is
/// not a digit.
fn looks_like_gid_data(text: &[u8]) -> bool {
    text.iter()
        .take_while(|&&b| b != 0 && b != b')')
        .any(|b| !b.is_ascii_digit())
}

fn snapshot<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let src_inode = cur.u32();
    cur.eat(b',')?;
    let dst_parent = cur.u32();
    cur.eat(b',')?;
    let name = cur.escaped(FieldKind::Name, b',')?;
    cur.eat(b',')?;
    let smode = cur.u8_wrapping();
    cur.eat(b',')?;
    let sesflags = cur.u8_wrapping();
    cur.eat(b',')?;
    let uid = cur.u32();
    cur.eat(b',')?;
    let gids = if cur.peek() == b'[' {
        SnapshotGids::List(GidList::parse(cur)?)
    } else {
        let count = cur.u32();
        cur.eat(b',')?;
        if looks_like_gid_data(cur.tail()) {
            let bytes = cur.escaped(FieldKind::Data, b',')?;
            let len = u32::try_from(bytes.len()).unwrap_or(u32::MAX);
            // MooseFS compares in 32-bit arithmetic.
            if count.wrapping_mul(4) != len {
                return Err(cur.error(LineErrorKind::GidDataLength { count, len }));
            }
            SnapshotGids::Data { count, bytes }
        } else {
            // `uid,gid,cumask)`: the number read was the gid itself.
            let cumask = cur.u16_wrapping();
            cur.eat(b')')?;
            return Ok(Op::Snapshot {
                src_inode,
                dst_parent,
                name,
                smode,
                sesflags,
                uid,
                gids: SnapshotGids::Single(count),
                cumask,
                result: None,
            });
        }
    };
    cur.eat(b',')?;
    let cumask = cur.u16_wrapping();
    cur.eat(b')')?;
    let result = if cur.eat_if(b':') {
        let chksum = cur.u32();
        cur.eat(b',')?;
        let removed = cur.u32();
        cur.eat(b',')?;
        let same = cur.u32();
        cur.eat(b',')?;
        let existing = cur.u32();
        cur.eat(b',')?;
        let hardlinks = cur.u32();
        cur.eat(b',')?;
        let new = cur.u32();
        Some(SnapshotResult {
            chksum,
            removed,
            same,
            existing,
            hardlinks,
            new,
        })
    } else {
        None
    };
    Ok(Op::Snapshot {
        src_inode,
        dst_parent,
        name,
        smode,
        sesflags,
        uid,
        gids,
        cumask,
        result,
    })
}

fn symlink<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let parent = cur.u32();
    cur.eat(b',')?;
    let name = cur.escaped(FieldKind::Name, b',')?;
    cur.eat(b',')?;
    let target = cur.escaped(FieldKind::Path, b',')?;
    cur.eat(b',')?;
    let uid = cur.u32();
    cur.eat(b',')?;
    let gid = cur.u32();
    cur.eat(b')')?;
    cur.eat(b':')?;
    let inode = cur.u32();
    Ok(Op::Symlink {
        parent,
        name,
        target,
        uid,
        gid,
        inode,
    })
}

fn trunc<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    let (inode, indx) = two_u32(cur)?;
    cur.eat(b':')?;
    let chunk_id = cur.u64();
    Ok(Op::Trunc {
        inode,
        indx,
        chunk_id,
    })
}

fn undel<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    Ok(Op::Undel {
        inode: one_u32(cur)?,
    })
}

fn unlink<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let parent = cur.u32();
    cur.eat(b',')?;
    let name = cur.escaped(FieldKind::Name, b')')?;
    cur.eat(b')')?;
    cur.eat(b':')?;
    let inode = cur.u32();
    Ok(Op::Unlink {
        parent,
        name,
        inode,
    })
}

fn unlock<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    Ok(Op::Unlock {
        chunk_id: one_u64(cur)?,
    })
}

fn write<'a>(cur: &mut Cursor<'a>) -> Result<Op<'a>, LineError> {
    cur.eat(b'(')?;
    let inode = cur.u32();
    cur.eat(b',')?;
    let indx = cur.u32();
    let opflag = cur.eat_if(b',').then(|| cur.u8_wrapping());
    let canmodmtime = if cur.eat_if(b',') {
        Some(cur.u8_checked("canmodmtime")?)
    } else {
        None
    };
    cur.eat(b')')?;
    cur.eat(b':')?;
    let chunk_id = cur.u64();
    Ok(Op::Write {
        inode,
        indx,
        opflag,
        canmodmtime,
        chunk_id,
    })
}
