//! The typed operations of a changelog line.
//!
//! Notation of the grammars below (spec §5): `u32` = strtoul truncated to 32
//! bits; `u8*` / `u16*` = range-checked (a larger value is a parse error);
//! `u8~` / `u16~` = read as u32 and silently truncated; `u64` = strtoull;
//! NAME / PATH / DATA = escaped fields (spec §3); `[...]` = optional part.
//! Optional parts are kept as `Option`s (or enums) so that formatting gives
//! back the form that was read.

use super::escape::Escaped;
use super::lists::{LabelMasks, SnapshotGids};

/// One changelog operation with its arguments and result, borrowed from the
/// line it was read from.
///
/// There is one variant per name that 3.0.117's restore accepts, legacy
/// aliases included (`AQUIRE` is [`Op::Aquire`], not [`Op::Acquire`]).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum Op<'a> {
    /// `ACCESS(inode:u32)`
    Access { inode: u32 },
    /// `ACQUIRE(sessionid:u32,inode:u32)`
    Acquire { session_id: u32, inode: u32 },
    /// `AMTIME(inode:u32,atime:u32,mtime:u32,ctime:u32)`
    Amtime {
        inode: u32,
        atime: u32,
        mtime: u32,
        ctime: u32,
    },
    /// `APPEND(inode:u32,srcinode:u32[,slice_from:u32,slice_to:u32])`; without
    /// the slice the whole source file is appended (MooseFS passes from =
    /// 0xFFFFFFFF, to = 0).
    Append {
        inode: u32,
        src_inode: u32,
        slice: Option<AppendSlice>,
    },
    /// `AQUIRE(sessionid:u32,inode:u32)`, legacy spelling of `ACQUIRE`.
    Aquire { session_id: u32, inode: u32 },
    /// `ARCHCHG(inode:u32,uid:u32,cmd:u8*):changed:u64,notchanged:u64,notpermitted:u32`
    ArchChg {
        inode: u32,
        uid: u32,
        cmd: u8,
        changed: u64,
        not_changed: u64,
        not_permitted: u32,
    },
    /// `ATTR(inode:u32,mode:u16~,uid:u32,gid:u32,atime:u32,mtime:u32[,winattr:u8~],aclmode:u16~)`;
    /// legacy: 6 arguments (no winattr, no aclmode) or 7 (aclmode, no
    /// winattr). See [`Op::attr_winattr`] and [`Op::attr_aclmode`] for the
    /// values MooseFS uses then.
    Attr {
        inode: u32,
        mode: u16,
        uid: u32,
        gid: u32,
        atime: u32,
        mtime: u32,
        /// Present only in the 8-argument form.
        winattr: Option<u8>,
        /// Present in the 7- and 8-argument forms.
        aclmode: Option<u16>,
    },
    /// `CHUNKADD(chunkid:u64,version:u32,lockedto:u32)`
    ChunkAdd {
        chunk_id: u64,
        version: u32,
        locked_to: u32,
    },
    /// `CHUNKDEL(chunkid:u64,version:u32)`
    ChunkDel { chunk_id: u64, version: u32 },
    /// `CREATE(parent:u32,name:NAME,type:u8*,mode:u16*,cumask:u16*,uid:u32,gid:u32,rdev:u32):inode:u32`;
    /// legacy: the type as one letter (`f d l q b c s t r`). The cumask
    /// field is present exactly when the type value is below 16, so a letter
    /// type has none (see [`CreateType`]).
    Create {
        parent: u32,
        name: Escaped<'a>,
        node_type: CreateType,
        mode: u16,
        /// 0 and not written when [`CreateType::has_cumask`] is false.
        cumask: u16,
        uid: u32,
        gid: u32,
        rdev: u32,
        inode: u32,
    },
    /// `CSADD(ip:u32,port:u16~)`, legacy for `CSDBOP(0,ip,port,0)`.
    CsAdd { ip: u32, port: u16 },
    /// `CSDBOP(op:u8*,ip:u32,port:u16*,arg:u32)`
    CsDbOp {
        op: u8,
        ip: u32,
        port: u16,
        arg: u32,
    },
    /// `CSDEL(ip:u32,port:u16~)`, legacy for `CSDBOP(1,ip,port,0)`.
    CsDel { ip: u32, port: u16 },
    /// `CUSTOMER():sessionid:u32`, legacy spelling of `SESSION`.
    Customer { session_id: u32 },
    /// `EMPTYRESERVED([bid:u32]):freed:u32[,chksum:u32]`, legacy spelling of
    /// `EMPTYSUSTAINED`; `()` means all buckets (bid 0xFFFFFFFF), a missing
    /// chksum is 0.
    EmptyReserved {
        bucket: Option<u32>,
        freed: u32,
        chksum: Option<u32>,
    },
    /// `EMPTYSUSTAINED([bid:u32]):freed:u32[,chksum:u32]`; `()` means all
    /// buckets (bid 0xFFFFFFFF), a missing chksum is 0.
    EmptySustained {
        bucket: Option<u32>,
        freed: u32,
        chksum: Option<u32>,
    },
    /// `EMPTYTRASH([bid:u32]):freed:u32,sustained:u32[,chksum:u32]`; `()` means
    /// all buckets (bid 0xFFFFFFFF), a missing chksum is 0.
    EmptyTrash {
        bucket: Option<u32>,
        freed: u32,
        sustained: u32,
        chksum: Option<u32>,
    },
    /// `FLOCK(inode:u32,sessionid:u32,owner:u64,cmd:char)`; cmd is any one
    /// byte (`R`/`r`/`S`/`s` shared, `W`/`w`/`E`/`e` exclusive, `U`/`u` unlock,
    /// anything else is EINVAL at replay).
    Flock {
        inode: u32,
        session_id: u32,
        owner: u64,
        cmd: u8,
    },
    /// `FREEINODES([reusedelay:u32]):freed:u32[,sustained:u32[,chksum:u32]]`;
    /// `()` means a delay of 86400 s, missing counts are 0. A `chksum` is only
    /// read after a `sustained` (formatting writes `sustained` as 0 if only
    /// `chksum` is set).
    FreeInodes {
        reuse_delay: Option<u32>,
        freed: u32,
        sustained: Option<u32>,
        chksum: Option<u32>,
    },
    /// `IDLE()`
    Idle,
    /// `INCVERSION(chunkid:u64)`, superseded by `SETVERSION`.
    IncVersion { chunk_id: u64 },
    /// `LENGTH(inode:u32,length:u64[,canmodmtime:u8*])`; legacy without
    /// canmodmtime = 1.
    Length {
        inode: u32,
        length: u64,
        canmodmtime: Option<u8>,
    },
    /// `LINK(inode:u32,parent:u32,name:NAME)`
    Link {
        inode: u32,
        parent: u32,
        name: Escaped<'a>,
    },
    /// `MOVE(parent_src:u32,name_src:NAME,parent_dst:u32,name_dst:NAME):inode:u32`
    Move {
        parent_src: u32,
        name_src: Escaped<'a>,
        parent_dst: u32,
        name_dst: Escaped<'a>,
        inode: u32,
    },
    /// `NEXTCHUNKID(chunkid:u64)`, not written by 3.0.117.
    NextChunkId { chunk_id: u64 },
    /// `POSIXLOCK(inode:u32,sessionid:u32,owner:u64,cmd:char,start:u64,end:u64,pid:u32)`;
    /// cmd as for `FLOCK`.
    PosixLock {
        inode: u32,
        session_id: u32,
        owner: u64,
        cmd: u8,
        start: u64,
        end: u64,
        pid: u32,
    },
    /// `PURGE(inode:u32)`
    Purge { inode: u32 },
    /// `QUOTA(inode:u32,exceeded:u8~,flags:u8~,stimestamp:u32,sinodes:u32,hinodes:u32,slength:u64,hlength:u64,ssize:u64,hsize:u64,srealsize:u64,hrealsize:u64[,graceperiod:u32])`
    Quota {
        inode: u32,
        exceeded: u8,
        flags: u8,
        stimestamp: u32,
        sinodes: u32,
        hinodes: u32,
        slength: u64,
        hlength: u64,
        ssize: u64,
        hsize: u64,
        srealsize: u64,
        hrealsize: u64,
        /// Absent in the legacy form (MooseFS then uses 0).
        grace_period: Option<u32>,
    },
    /// `RELEASE(sessionid:u32,inode:u32)`
    Release { session_id: u32, inode: u32 },
    /// `RENUMERATEEDGES():nextedgeid:u64`
    RenumerateEdges { next_edge_id: u64 },
    /// `REPAIR(inode:u32,indx:u32):version:u32`
    Repair { inode: u32, indx: u32, version: u32 },
    /// `ROLLBACK(inode:u32,indx:u32,prevchunkid:u64,chunkid:u64)`
    Rollback {
        inode: u32,
        indx: u32,
        prev_chunk_id: u64,
        chunk_id: u64,
    },
    /// `SCDEL(name:NAME):sclassid:u16*`
    ScDel { name: Escaped<'a>, sclass_id: u16 },
    /// `SCDUP(src:NAME,dst:NAME):srcid:u16*,dstid:u16*`
    ScDup {
        src: Escaped<'a>,
        dst: Escaped<'a>,
        src_id: u16,
        dst_id: u16,
    },
    /// `SCREN(src:NAME,dst:NAME):sclassid:u16*`
    ScRen {
        src: Escaped<'a>,
        dst: Escaped<'a>,
        sclass_id: u16,
    },
    /// `SCSET(name:NAME,new:u8*,W<c>:u8*,K<k>:u8*,A<a>:u8*,create_mode:u8*,arch_delay:u16*,admin_only:u8*,masks):sclassid:u16*`
    /// with masks = `-` if c + k + a = 0, else (c + k + a) × 4 comma-separated
    /// u32. A count above 9 is refused while parsing
    /// ([`TooManyLabels`](super::LineErrorKind::TooManyLabels), status 6).
    ScSet {
        name: Escaped<'a>,
        new_flag: u8,
        create_labels: u8,
        keep_labels: u8,
        arch_labels: u8,
        create_mode: u8,
        arch_delay: u16,
        admin_only: u8,
        masks: LabelMasks<'a>,
        sclass_id: u16,
    },
    /// `SESADD([#exportscsum:u64,]rootinode:u32,sesflags:u8~,[0ooo,]rootuid:u32,rootgid:u32,mapalluid:u32,mapallgid:u32,mingoal:u8~,maxgoal:u8~,mintrashtime:u32,maxtrashtime:u32,[0xdisables,]peerip:u32,info:DATA):sessionid:u32`
    SesAdd {
        params: SessionParams<'a>,
        session_id: u32,
    },
    /// `SESCHANGED(sessionid:u32,` then the arguments of `SESADD` `)`, no result.
    SesChanged {
        session_id: u32,
        params: SessionParams<'a>,
    },
    /// `SESDEL(sessionid:u32)`
    SesDel { session_id: u32 },
    /// `SESDISCONNECTED(sessionid:u32)`
    SesDisconnected { session_id: u32 },
    /// `SESSION():sessionid:u32` (legacy).
    Session { session_id: u32 },
    /// `SETACL(inode:u32,mode:u16*,changectime:u8*,acltype:u8*,userperm:u16*,groupperm:u16*,otherperm:u16*,mask:u16*,namedusers:u16*,namedgroups:u16*,blob:DATA)`;
    /// the blob is (namedusers + namedgroups) × {id:u32, perm:u16} big-endian,
    /// checked while parsing ([`AclBlobLength`](super::LineErrorKind::AclBlobLength)).
    SetAcl {
        inode: u32,
        mode: u16,
        change_ctime: u8,
        acl_type: u8,
        user_perm: u16,
        group_perm: u16,
        other_perm: u16,
        mask: u16,
        named_users: u16,
        named_groups: u16,
        blob: Escaped<'a>,
    },
    /// `SETEATTR(inode:u32,uid:u32,eattr:u8~,smode:u8~):changed:u32,notchanged:u32,notpermitted:u32`
    SetEattr {
        inode: u32,
        uid: u32,
        eattr: u8,
        smode: u8,
        changed: u32,
        not_changed: u32,
        not_permitted: u32,
    },
    /// `SETFILECHUNK(inode:u32,indx:u32,chunkid:u64)`
    SetFileChunk {
        inode: u32,
        indx: u32,
        chunk_id: u64,
    },
    /// `SETGOAL(inode:u32,uid:u32,goal:u8~,smode:u8~):changed:u32,notchanged:u32,notpermitted:u32`,
    /// legacy for `SETSCLASS` with src = dst = goal.
    SetGoal {
        inode: u32,
        uid: u32,
        goal: u8,
        smode: u8,
        changed: u32,
        not_changed: u32,
        not_permitted: u32,
    },
    /// `SETMETAID(metaid:u64)`
    SetMetaId { meta_id: u64 },
    /// `SETPATH(inode:u32,path:PATH)`
    SetPath { inode: u32, path: Escaped<'a> },
    /// `SETSCLASS(inode:u32,uid:u32,src_sclass:u8~,dst_sclass:u8~,smode:u8~):changed:u32,notchanged:u32,notpermitted:u32`
    SetSclass {
        inode: u32,
        uid: u32,
        src_sclass: u8,
        dst_sclass: u8,
        smode: u8,
        changed: u32,
        not_changed: u32,
        not_permitted: u32,
    },
    /// `SETTRASHTIME(inode:u32,uid:u32,trashtime_seconds:u32,smode:u8~):changed:u32,notchanged:u32,notpermitted:u32`
    SetTrashTime {
        inode: u32,
        uid: u32,
        trash_time: u32,
        smode: u8,
        changed: u32,
        not_changed: u32,
        not_permitted: u32,
    },
    /// `SETVERSION(chunkid:u64,version:u32)`
    SetVersion { chunk_id: u64, version: u32 },
    /// `SETXATTR(inode:u32,name:NAME,value:DATA,mode:u32)`
    SetXattr {
        inode: u32,
        name: Escaped<'a>,
        value: Escaped<'a>,
        mode: u32,
    },
    /// `SNAPSHOT(srcinode:u32,dstparent:u32,name:NAME,smode:u8~,sesflags:u8~,uid:u32,[g1,g2,…],cumask:u16~)[:chksum:u32,removed:u32,same:u32,existing:u32,hardlinks:u32,new:u32]`;
    /// legacy: `…,uid,gidcount:u32,gids:DATA,cumask)[:result]` and
    /// `…,uid,gid:u32,cumask)` (no result read after that form). 3.0.117 reads
    /// the `[…]` list with a quirk, see [`GidList`](super::GidList).
    Snapshot {
        src_inode: u32,
        dst_parent: u32,
        name: Escaped<'a>,
        smode: u8,
        sesflags: u8,
        uid: u32,
        gids: SnapshotGids<'a>,
        cumask: u16,
        /// Always `None` for [`SnapshotGids::Single`].
        result: Option<SnapshotResult>,
    },
    /// `SYMLINK(parent:u32,name:NAME,target:PATH,uid:u32,gid:u32):inode:u32`
    Symlink {
        parent: u32,
        name: Escaped<'a>,
        target: Escaped<'a>,
        uid: u32,
        gid: u32,
        inode: u32,
    },
    /// `TRUNC(inode:u32,indx:u32):chunkid:u64`
    Trunc {
        inode: u32,
        indx: u32,
        chunk_id: u64,
    },
    /// `UNDEL(inode:u32)`
    Undel { inode: u32 },
    /// `UNLINK(parent:u32,name:NAME):inode:u32`
    Unlink {
        parent: u32,
        name: Escaped<'a>,
        inode: u32,
    },
    /// `UNLOCK(chunkid:u64)`
    Unlock { chunk_id: u64 },
    /// `WRITE(inode:u32,indx:u32[,opflag:u8~[,canmodmtime:u8*]]):chunkid:u64`;
    /// legacy: 2 arguments (opflag 1, canmodmtime 1) or 3 (canmodmtime 1).
    /// Formatting writes opflag as 1 if only canmodmtime is set.
    Write {
        inode: u32,
        indx: u32,
        opflag: Option<u8>,
        canmodmtime: Option<u8>,
        chunk_id: u64,
    },
}

/// The chunk range of a 4-argument `APPEND` (inclusive chunk indexes).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct AppendSlice {
    pub from: u32,
    pub to: u32,
}

/// The type field of `CREATE`.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum CreateType {
    /// Written as a decimal number (`u8*`): 1 file, 2 dir, 4 fifo, 5 block
    /// device, 6 char device, 7 socket.
    Number(u8),
    /// Legacy: one non-digit byte, used as the type value itself (`f`, `d`,
    /// …). Any byte is read; the replay refuses unknown types.
    Letter(u8),
}

impl CreateType {
    /// The type value MooseFS passes on.
    pub fn value(self) -> u8 {
        match self {
            CreateType::Number(v) | CreateType::Letter(v) => v,
        }
    }

    /// Whether a cumask field follows the mode (type value below 16).
    pub fn has_cumask(self) -> bool {
        self.value() < 16
    }
}

/// The counters a `SNAPSHOT` line may end with. All zero means "no check".
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, Hash)]
pub struct SnapshotResult {
    pub chksum: u32,
    pub removed: u32,
    pub same: u32,
    pub existing: u32,
    pub hardlinks: u32,
    pub new: u32,
}

/// The session parameters shared by `SESADD` and `SESCHANGED`.
///
/// The three optional parts are absent in older changelogs; MooseFS then uses
/// 0. The writer of 3.0.117 always writes them (umask as `0` and three octal
/// digits, disables as `0x` and eight uppercase hex digits).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct SessionParams<'a> {
    /// `#<u64>`
    pub exports_checksum: Option<u64>,
    pub root_inode: u32,
    /// `u8~`
    pub ses_flags: u8,
    /// `0ooo`: at most 0o777.
    pub umask: Option<u16>,
    pub root_uid: u32,
    pub root_gid: u32,
    pub map_all_uid: u32,
    pub map_all_gid: u32,
    /// `u8~`
    pub min_goal: u8,
    /// `u8~`
    pub max_goal: u8,
    pub min_trash_time: u32,
    pub max_trash_time: u32,
    /// `0x<hex>`, read base 16, either case.
    pub disables: Option<u32>,
    pub peer_ip: u32,
    pub info: Escaped<'a>,
}

/// What a change reads first in the metadata: the node or the chunk its arguments name
/// (a hint for prefetching; the change itself decides what it really touches).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Subject {
    Node(u32),
    Chunk(u64),
}

impl Op<'_> {
    /// The node (for a directory-entry change, the parent directory) or chunk this
    /// change looks up first, when it names one.
    pub fn subject(&self) -> Option<Subject> {
        let node = |inode: &u32| Some(Subject::Node(*inode));
        match self {
            Op::Access { inode }
            | Op::Acquire { inode, .. }
            | Op::Aquire { inode, .. }
            | Op::Amtime { inode, .. }
            | Op::Append { inode, .. }
            | Op::ArchChg { inode, .. }
            | Op::Attr { inode, .. }
            | Op::Flock { inode, .. }
            | Op::Length { inode, .. }
            | Op::Link { inode, .. }
            | Op::PosixLock { inode, .. }
            | Op::Purge { inode }
            | Op::Release { inode, .. }
            | Op::Repair { inode, .. }
            | Op::SetAcl { inode, .. }
            | Op::SetEattr { inode, .. }
            | Op::SetFileChunk { inode, .. }
            | Op::SetGoal { inode, .. }
            | Op::SetPath { inode, .. }
            | Op::SetSclass { inode, .. }
            | Op::SetTrashTime { inode, .. }
            | Op::SetXattr { inode, .. }
            | Op::Trunc { inode, .. }
            | Op::Undel { inode }
            | Op::Write { inode, .. } => node(inode),
            Op::Create { parent, .. } | Op::Symlink { parent, .. } | Op::Unlink { parent, .. } => {
                node(parent)
            }
            Op::Move { parent_src, .. } => node(parent_src),
            Op::Snapshot { src_inode, .. } => node(src_inode),
            Op::Unlock { chunk_id }
            | Op::IncVersion { chunk_id }
            | Op::SetVersion { chunk_id, .. }
            | Op::ChunkDel { chunk_id, .. } => Some(Subject::Chunk(*chunk_id)),
            _ => None,
        }
    }
}

impl Op<'_> {
    /// The node whose list of names this change edits, when the line says which: the
    /// node an entry is removed from, moved, or added to as a hard link.
    pub fn renamed_node(&self) -> Option<u32> {
        match self {
            Op::Unlink { inode, .. } | Op::Move { inode, .. } | Op::Link { inode, .. } => {
                Some(*inode)
            }
            _ => None,
        }
    }
}

impl<'a> Op<'a> {
    /// The directory entry this change looks up by name first, as (parent, name).
    pub fn entry(&self) -> Option<(u32, &Escaped<'a>)> {
        match self {
            Op::Create { parent, name, .. }
            | Op::Symlink { parent, name, .. }
            | Op::Unlink { parent, name, .. }
            | Op::Link { parent, name, .. } => Some((*parent, name)),
            Op::Move {
                parent_src,
                name_src,
                ..
            } => Some((*parent_src, name_src)),
            _ => None,
        }
    }
}

impl Op<'_> {
    /// The operation name as written in the line (`AQUIRE` for
    /// [`Op::Aquire`], ...).
    pub fn name(&self) -> &'static str {
        match self {
            Op::Access { .. } => "ACCESS",
            Op::Acquire { .. } => "ACQUIRE",
            Op::Amtime { .. } => "AMTIME",
            Op::Append { .. } => "APPEND",
            Op::Aquire { .. } => "AQUIRE",
            Op::ArchChg { .. } => "ARCHCHG",
            Op::Attr { .. } => "ATTR",
            Op::ChunkAdd { .. } => "CHUNKADD",
            Op::ChunkDel { .. } => "CHUNKDEL",
            Op::Create { .. } => "CREATE",
            Op::CsAdd { .. } => "CSADD",
            Op::CsDbOp { .. } => "CSDBOP",
            Op::CsDel { .. } => "CSDEL",
            Op::Customer { .. } => "CUSTOMER",
            Op::EmptyReserved { .. } => "EMPTYRESERVED",
            Op::EmptySustained { .. } => "EMPTYSUSTAINED",
            Op::EmptyTrash { .. } => "EMPTYTRASH",
            Op::Flock { .. } => "FLOCK",
            Op::FreeInodes { .. } => "FREEINODES",
            Op::Idle => "IDLE",
            Op::IncVersion { .. } => "INCVERSION",
            Op::Length { .. } => "LENGTH",
            Op::Link { .. } => "LINK",
            Op::Move { .. } => "MOVE",
            Op::NextChunkId { .. } => "NEXTCHUNKID",
            Op::PosixLock { .. } => "POSIXLOCK",
            Op::Purge { .. } => "PURGE",
            Op::Quota { .. } => "QUOTA",
            Op::Release { .. } => "RELEASE",
            Op::RenumerateEdges { .. } => "RENUMERATEEDGES",
            Op::Repair { .. } => "REPAIR",
            Op::Rollback { .. } => "ROLLBACK",
            Op::ScDel { .. } => "SCDEL",
            Op::ScDup { .. } => "SCDUP",
            Op::ScRen { .. } => "SCREN",
            Op::ScSet { .. } => "SCSET",
            Op::SesAdd { .. } => "SESADD",
            Op::SesChanged { .. } => "SESCHANGED",
            Op::SesDel { .. } => "SESDEL",
            Op::SesDisconnected { .. } => "SESDISCONNECTED",
            Op::Session { .. } => "SESSION",
            Op::SetAcl { .. } => "SETACL",
            Op::SetEattr { .. } => "SETEATTR",
            Op::SetFileChunk { .. } => "SETFILECHUNK",
            Op::SetGoal { .. } => "SETGOAL",
            Op::SetMetaId { .. } => "SETMETAID",
            Op::SetPath { .. } => "SETPATH",
            Op::SetSclass { .. } => "SETSCLASS",
            Op::SetTrashTime { .. } => "SETTRASHTIME",
            Op::SetVersion { .. } => "SETVERSION",
            Op::SetXattr { .. } => "SETXATTR",
            Op::Snapshot { .. } => "SNAPSHOT",
            Op::Symlink { .. } => "SYMLINK",
            Op::Trunc { .. } => "TRUNC",
            Op::Undel { .. } => "UNDEL",
            Op::Unlink { .. } => "UNLINK",
            Op::Unlock { .. } => "UNLOCK",
            Op::Write { .. } => "WRITE",
        }
    }

    /// For [`Op::Attr`]: the winattr MooseFS uses (0 unless given).
    pub fn attr_winattr(&self) -> Option<u8> {
        match *self {
            Op::Attr { winattr, .. } => Some(winattr.unwrap_or(0)),
            _ => None,
        }
    }

    /// For [`Op::Attr`]: the aclmode MooseFS uses (the mode unless given).
    pub fn attr_aclmode(&self) -> Option<u16> {
        match *self {
            Op::Attr { mode, aclmode, .. } => Some(aclmode.unwrap_or(mode)),
            _ => None,
        }
    }
}

/// All 58 operation names 3.0.117's restore accepts, in alphabetical order.
pub const OP_NAMES: [&str; 58] = [
    "ACCESS",
    "ACQUIRE",
    "AMTIME",
    "APPEND",
    "AQUIRE",
    "ARCHCHG",
    "ATTR",
    "CHUNKADD",
    "CHUNKDEL",
    "CREATE",
    "CSADD",
    "CSDBOP",
    "CSDEL",
    "CUSTOMER",
    "EMPTYRESERVED",
    "EMPTYSUSTAINED",
    "EMPTYTRASH",
    "FLOCK",
    "FREEINODES",
    "IDLE",
    "INCVERSION",
    "LENGTH",
    "LINK",
    "MOVE",
    "NEXTCHUNKID",
    "POSIXLOCK",
    "PURGE",
    "QUOTA",
    "RELEASE",
    "RENUMERATEEDGES",
    "REPAIR",
    "ROLLBACK",
    "SCDEL",
    "SCDUP",
    "SCREN",
    "SCSET",
    "SESADD",
    "SESCHANGED",
    "SESDEL",
    "SESDISCONNECTED",
    "SESSION",
    "SETACL",
    "SETEATTR",
    "SETFILECHUNK",
    "SETGOAL",
    "SETMETAID",
    "SETPATH",
    "SETSCLASS",
    "SETTRASHTIME",
    "SETVERSION",
    "SETXATTR",
    "SNAPSHOT",
    "SYMLINK",
    "TRUNC",
    "UNDEL",
    "UNLINK",
    "UNLOCK",
    "WRITE",
];
