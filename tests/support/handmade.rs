//! A byte-by-byte writer of MooseFS metadata files, for handmade test inputs.
//!
//! It does not use the crate's codec, so that a bug there cannot hide itself: every
//! layout here is written from `metadata-format.md` (§2–§7), including the older file
//! formats (`MFSM 1.5`–`1.9`) and section versions that the 3.0.117 loader still
//! accepts, and it writes invalid things on request (wrong lengths, all-ones lengths,
//! unknown tags, bad type bytes, …).
//!
//! Calling order: build the records (`Node`, `Edge`, …), turn each list into a
//! [`Section`] with the function for its tag and version (`sess`, `scla`, `node`, …),
//! put the sections in a [`MetaFile`] and take its [`MetaFile::bytes`].

#![allow(dead_code)]

/// A growing big-endian buffer.
#[derive(Clone, Debug, Default)]
pub struct Out(pub Vec<u8>);

impl Out {
    pub fn u8(&mut self, v: u8) -> &mut Self {
        self.0.push(v);
        self
    }
    pub fn u16(&mut self, v: u16) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u32(&mut self, v: u32) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn u64(&mut self, v: u64) -> &mut Self {
        self.0.extend_from_slice(&v.to_be_bytes());
        self
    }
    pub fn bytes(&mut self, v: &[u8]) -> &mut Self {
        self.0.extend_from_slice(v);
        self
    }
    pub fn zeros(&mut self, n: usize) -> &mut Self {
        self.0.resize(self.0.len() + n, 0);
        self
    }
}

/// The 16 bytes after the last section of format 1.6 and later.
pub const END_MARKER: &[u8; 16] = b"[MFS EOF MARKER]";

/// What a section header's length field holds.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Length {
    /// The body's real length.
    Exact,
    /// All-ones: "unknown" (a writer that could not seek back).
    Unknown,
    /// This value, whatever the body is.
    Declared(u64),
}

/// One section: `{ tag:[u8;4] | " M.m":[u8;4] | length:u64 | body }`.
#[derive(Clone, Debug)]
pub struct Section {
    pub tag: [u8; 4],
    pub version: [u8; 4],
    pub length: Length,
    pub body: Vec<u8>,
}

/// The version field text `" M.m"` of a version byte `0xMm`.
pub fn version_field(v: u8) -> [u8; 4] {
    [b' ', b'0' + (v >> 4), b'.', b'0' + (v & 0xF)]
}

impl Section {
    pub fn new(tag: &[u8; 4], version: u8, body: Vec<u8>) -> Self {
        Section {
            tag: *tag,
            version: version_field(version),
            length: Length::Exact,
            body,
        }
    }

    /// The same section with another length field.
    pub fn length(mut self, length: Length) -> Self {
        self.length = length;
        self
    }

    /// The same section under another tag (e.g. `LABS` for `SCLA`).
    pub fn tag(mut self, tag: &[u8; 4]) -> Self {
        self.tag = *tag;
        self
    }

    fn write(&self, out: &mut Out) {
        out.bytes(&self.tag).bytes(&self.version);
        out.u64(match self.length {
            Length::Exact => self.body.len() as u64,
            Length::Unknown => u64::MAX,
            Length::Declared(n) => n,
        });
        out.bytes(&self.body);
    }
}

/// A whole file: signature, header, then either sections and an ending, or (format
/// 1.5) the raw lists.
#[derive(Clone, Debug)]
pub struct MetaFile {
    pub signature: [u8; 8],
    /// The 16 bytes after the signature.
    pub header: Vec<u8>,
    pub sections: Vec<Section>,
    /// Bytes after the sections: the end marker (or anything else).
    pub ending: Vec<u8>,
}

impl MetaFile {
    /// `MFSM 2.0`: `{ version:u64 | metaid:u64 }`.
    pub fn v2(version: u64, meta_id: u64) -> Self {
        let mut h = Out::default();
        h.u64(version).u64(meta_id);
        MetaFile {
            signature: *b"MFSM 2.0",
            header: h.0,
            sections: Vec::new(),
            ending: END_MARKER.to_vec(),
        }
    }

    /// `MFSM X.Y` before 2.0: `{ maxnodeid:u32 | version:u64 | nextsessionid:u32 }`.
    /// Formats before 1.6 end with nothing (their last list's terminator is the 16 zero
    /// bytes the master looks for), later ones with the end marker.
    pub fn legacy(format: &str, max_node_id: u32, version: u64, next_session_id: u32) -> Self {
        let mut h = Out::default();
        h.u32(max_node_id).u64(version).u32(next_session_id);
        let mut signature = [0u8; 8];
        signature.copy_from_slice(format!("MFSM {format}").as_bytes());
        let sections_era = format.as_bytes() >= b"1.6".as_slice();
        MetaFile {
            signature,
            header: h.0,
            sections: Vec::new(),
            ending: if sections_era {
                END_MARKER.to_vec()
            } else {
                Vec::new()
            },
        }
    }

    pub fn with(mut self, s: Section) -> Self {
        self.sections.push(s);
        self
    }

    /// The section with this tag (panics if absent: a test-writing error).
    pub fn section_mut(&mut self, tag: &[u8; 4]) -> &mut Section {
        self.sections
            .iter_mut()
            .find(|s| &s.tag == tag)
            .unwrap_or_else(|| panic!("no {} section", String::from_utf8_lossy(tag)))
    }

    /// Replaces the section with the same tag, keeping its place.
    pub fn replace(mut self, s: Section) -> Self {
        let tag = s.tag;
        *self.section_mut(&tag) = s;
        self
    }

    pub fn without(mut self, tag: &[u8; 4]) -> Self {
        self.sections.retain(|s| &s.tag != tag);
        self
    }

    /// Puts the sections in the order of `tags` (those not named keep their relative
    /// order, after the named ones).
    pub fn reorder(mut self, tags: &[&[u8; 4]]) -> Self {
        let rank = |s: &Section| tags.iter().position(|t| **t == s.tag).unwrap_or(tags.len());
        self.sections.sort_by_key(rank);
        self
    }

    pub fn bytes(&self) -> Vec<u8> {
        let mut out = Out::default();
        out.bytes(&self.signature).bytes(&self.header);
        for s in &self.sections {
            s.write(&mut out);
        }
        out.bytes(&self.ending);
        out.0
    }
}

// ---------------------------------------------------------------------------------------
// SESS

/// One session record (every field of every version; each version writes its own).
#[derive(Clone, Debug)]
pub struct Sess {
    pub id: u32,
    pub exports_checksum: u64,
    pub peer_ip: u32,
    pub root_inode: u32,
    pub flags: u8,
    pub umask: u16,
    pub min_goal: u8,
    pub max_goal: u8,
    pub min_trashtime: u32,
    pub max_trashtime: u32,
    pub root_uid: u32,
    pub root_gid: u32,
    pub map_all_uid: u32,
    pub map_all_gid: u32,
    pub disables: u32,
    pub disconnected: u32,
    /// Counter values; `stats[i]` is written for current and `stats[i] + 1000` for
    /// last-hour counters.
    pub stats_seed: u32,
    pub info: Vec<u8>,
}

impl Default for Sess {
    fn default() -> Self {
        Sess {
            id: 1,
            exports_checksum: 0x0123_4567_89AB_CDEF,
            peer_ip: 0x7F00_0001,
            root_inode: 1,
            flags: 0x01,
            umask: 0o022,
            min_goal: 1,
            max_goal: 9,
            min_trashtime: 0,
            max_trashtime: 0xFFFF_FFFF,
            root_uid: 0,
            root_gid: 0,
            map_all_uid: 999,
            map_all_gid: 999,
            disables: 0,
            disconnected: 1_700_000_000,
            stats_seed: 5,
            info: b"/mnt/mfs".to_vec(),
        }
    }
}

/// A `SESS` section of version `ver` (0x10..=0x15) with `stats` counters per record.
/// Before 1.2 the body starts with `dver:u16` (1 for 1.0, 2 for 1.1).
pub fn sess(ver: u8, next_session_id: u32, stats: u16, sessions: &[Sess]) -> Section {
    let mut o = Out::default();
    if ver < 0x12 {
        o.u16(if ver < 0x11 { 1 } else { 2 });
    }
    o.u32(next_session_id).u16(stats);
    let fixed = match ver {
        v if v < 0x11 => 43,
        v if v < 0x13 => 47,
        0x13 => 55,
        0x14 => 57,
        _ => 61,
    } + 8 * usize::from(stats);
    for s in sessions {
        let start = o.0.len();
        o.u32(s.id);
        if ver >= 0x13 {
            o.u64(s.exports_checksum);
        }
        o.u32(s.info.len() as u32)
            .u32(s.peer_ip)
            .u32(s.root_inode)
            .u8(s.flags);
        if ver >= 0x14 {
            o.u16(s.umask);
        }
        o.u8(s.min_goal)
            .u8(s.max_goal)
            .u32(s.min_trashtime)
            .u32(s.max_trashtime)
            .u32(s.root_uid)
            .u32(s.root_gid)
            .u32(s.map_all_uid)
            .u32(s.map_all_gid);
        if ver >= 0x15 {
            o.u32(s.disables);
        }
        if ver >= 0x11 {
            o.u32(s.disconnected);
        }
        for i in 0..u32::from(stats) {
            o.u32(s.stats_seed + i);
        }
        for i in 0..u32::from(stats) {
            o.u32(s.stats_seed + 1000 + i);
        }
        assert_eq!(o.0.len() - start, fixed, "session record size");
        o.bytes(&s.info);
    }
    o.zeros(fixed);
    Section::new(b"SESS", ver, o.0)
}

// ---------------------------------------------------------------------------------------
// SCLA / LABS

/// One label: up to 4 or-group masks (only the first `orgroups` are written).
pub type Label = [u32; 4];

/// A storage class definition.
#[derive(Clone, Debug)]
pub struct Class {
    pub id: u16,
    /// Written from 1.6 on only (older classes are named `sclass_<id-9>` on load).
    pub name: Vec<u8>,
    pub admin_only: u8,
    pub mode: u8,
    pub arch_delay: u16,
    pub create: Vec<Label>,
    pub keep: Vec<Label>,
    pub arch: Vec<Label>,
    /// Version 1.2 only: `chunkcount × 8` bytes after the masks, which the loader skips.
    pub chunkcount: u32,
}

impl Class {
    /// A class with `n` labels in each stage, label i requiring server label `'A'+i`.
    pub fn new(id: u16, name: &[u8], n: usize) -> Self {
        let labels: Vec<Label> = (0..n).map(|i| [1 << i, 0, 0, 0]).collect();
        Class {
            id,
            name: name.to_vec(),
            admin_only: 0,
            mode: 1,
            arch_delay: 0,
            create: labels.clone(),
            keep: labels.clone(),
            arch: labels,
            chunkcount: 0,
        }
    }
}

/// A `SCLA` section of version `ver` (0x10..=0x16). `orgroups` is written from 1.1 on;
/// before 1.6 the 26 label descriptions come first.
pub fn scla(ver: u8, orgroups: u8, classes: &[Class]) -> Section {
    let descriptions: Vec<Vec<u8>> = (0..26u8)
        .map(|i| vec![b'a' + i; usize::from(i % 4)])
        .collect();
    scla_with_descriptions(ver, orgroups, &descriptions, classes)
}

/// [`scla`] with the given label descriptions (for versions before 1.6).
pub fn scla_with_descriptions(
    ver: u8,
    orgroups: u8,
    descriptions: &[Vec<u8>],
    classes: &[Class],
) -> Section {
    let mut o = Out::default();
    if ver < 0x16 {
        for d in descriptions {
            o.u8(d.len() as u8).bytes(d);
        }
    }
    if ver > 0x10 {
        o.u8(orgroups);
    }
    let groups = if ver == 0x10 {
        1
    } else {
        usize::from(orgroups)
    };
    let masks = |o: &mut Out, labels: &[Label]| {
        for l in labels {
            for m in l.iter().take(groups) {
                o.u32(*m);
            }
        }
    };
    for c in classes {
        o.u16(c.id);
        let (n_create, n_keep, n_arch) =
            (c.create.len() as u8, c.keep.len() as u8, c.arch.len() as u8);
        match ver {
            0x16.. => {
                o.u8(c.name.len() as u8)
                    .u8(c.admin_only)
                    .u8(c.mode)
                    .u16(c.arch_delay)
                    .u8(n_create)
                    .u8(n_keep)
                    .u8(n_arch)
                    .bytes(&c.name);
            }
            0x15 => {
                o.u8(c.mode)
                    .u16(c.arch_delay)
                    .u8(n_create)
                    .u8(n_keep)
                    .u8(n_arch);
            }
            0x14 => {
                o.u8(c.mode).u8(n_create).u8(n_keep);
            }
            0x12 => {
                o.u8(n_create).u32(c.chunkcount).u32(0xDEAD_BEEF);
            }
            _ => {
                o.u8(n_create);
            }
        }
        masks(&mut o, &c.create);
        if ver >= 0x14 {
            masks(&mut o, &c.keep);
        }
        if ver >= 0x15 {
            masks(&mut o, &c.arch);
        }
        if ver == 0x12 {
            o.zeros(8 * c.chunkcount as usize);
        }
    }
    // The terminator: a zero record header of this version.
    o.zeros(match ver {
        0x16.. => 10,
        0x15 => 8,
        0x14 => 5,
        0x12 => 11,
        _ => 3,
    });
    Section::new(b"SCLA", ver, o.0)
}

// ---------------------------------------------------------------------------------------
// NODE

/// File data of a file, trash or sustained node.
#[derive(Clone, Debug, Default)]
pub struct FileData {
    pub length: u64,
    pub chunks: Vec<u64>,
    /// Open-file session ids, stored in the node before NODE 1.4.
    pub sessions: Vec<u32>,
}

#[derive(Clone, Debug)]
pub enum Kind {
    File(FileData),
    Dir,
    Symlink(Vec<u8>),
    Fifo,
    BlockDev(u32),
    CharDev(u32),
    Socket,
    Trash(FileData),
    Sustained(FileData),
}

impl Kind {
    fn number(&self) -> u8 {
        match self {
            Kind::File(_) => 1,
            Kind::Dir => 2,
            Kind::Symlink(_) => 3,
            Kind::Fifo => 4,
            Kind::BlockDev(_) => 5,
            Kind::CharDev(_) => 6,
            Kind::Socket => 7,
            Kind::Trash(_) => 8,
            Kind::Sustained(_) => 9,
        }
    }

    fn letter(&self) -> u8 {
        b"fdlqbcstr"[usize::from(self.number() - 1)]
    }
}

/// One node record.
#[derive(Clone, Debug)]
pub struct Node {
    pub kind: Kind,
    pub inode: u32,
    pub sclass: u8,
    pub eattr: u8,
    pub winattr: u8,
    pub mode: u16,
    pub uid: u32,
    pub gid: u32,
    pub atime: u32,
    pub mtime: u32,
    pub ctime: u32,
    /// Hours in NODE 1.4, seconds before.
    pub trashtime: u32,
    /// Written instead of the type byte when set (for invalid types).
    pub type_byte: Option<u8>,
}

impl Node {
    pub fn new(inode: u32, kind: Kind) -> Self {
        Node {
            kind,
            inode,
            sclass: 2,
            eattr: 0,
            winattr: 0,
            mode: 0o644,
            uid: 1000,
            gid: 100,
            atime: 1_600_000_000 + inode,
            mtime: 1_600_000_100 + inode,
            ctime: 1_600_000_200 + inode,
            trashtime: 24,
            type_byte: None,
        }
    }

    pub fn dir(inode: u32) -> Self {
        Node {
            mode: 0o755,
            ..Node::new(inode, Kind::Dir)
        }
    }

    pub fn file(inode: u32, length: u64, chunks: &[u64]) -> Self {
        Node::new(
            inode,
            Kind::File(FileData {
                length,
                chunks: chunks.to_vec(),
                sessions: Vec::new(),
            }),
        )
    }
}

/// The records of a node list of version `ver` (0x10..=0x14) and its `00` terminator,
/// without the section header fields.
pub fn node_records(ver: u8, nodes: &[Node]) -> Vec<u8> {
    let mut o = Out::default();
    for n in nodes {
        let type_byte = n.type_byte.unwrap_or(if ver <= 0x12 {
            n.kind.letter()
        } else {
            n.kind.number()
        });
        o.u8(type_byte).u32(n.inode).u8(n.sclass);
        if ver <= 0x11 {
            o.u16((u16::from(n.eattr) << 12) | (n.mode & 0xFFF));
        } else {
            o.u8(n.eattr);
            if ver >= 0x14 {
                o.u8(n.winattr);
            }
            o.u16(n.mode);
        }
        o.u32(n.uid)
            .u32(n.gid)
            .u32(n.atime)
            .u32(n.mtime)
            .u32(n.ctime);
        if ver >= 0x14 {
            o.u16(n.trashtime as u16);
        } else {
            o.u32(n.trashtime);
        }
        match &n.kind {
            Kind::Dir | Kind::Fifo | Kind::Socket => {}
            Kind::BlockDev(rdev) | Kind::CharDev(rdev) => {
                o.u32(*rdev);
            }
            Kind::Symlink(path) => {
                o.u32(path.len() as u32).bytes(path);
            }
            Kind::File(f) | Kind::Trash(f) | Kind::Sustained(f) => {
                o.u64(f.length).u32(f.chunks.len() as u32);
                if ver <= 0x13 {
                    o.u16(f.sessions.len() as u16);
                }
                for c in &f.chunks {
                    o.u64(*c);
                }
                if ver <= 0x13 {
                    for s in &f.sessions {
                        o.u32(*s);
                    }
                }
            }
        }
    }
    o.u8(0);
    o.0
}

/// A `NODE` section of version `ver`: `{ maxnodeid:u32 | nodecount:u32 (from 1.1) |
/// records | 0 }`. `nodecount` defaults to the number of records.
pub fn node(ver: u8, max_node_id: u32, node_count: Option<u32>, nodes: &[Node]) -> Section {
    let mut o = Out::default();
    o.u32(max_node_id);
    if ver >= 0x11 {
        o.u32(node_count.unwrap_or(nodes.len() as u32));
    }
    o.bytes(&node_records(ver, nodes));
    Section::new(b"NODE", ver, o.0)
}

/// The `NODE` section of a file before format 2.0: records in 1.0 form, no header (the
/// section's version field is not looked at by the master).
pub fn legacy_node(version_field: u8, nodes: &[Node]) -> Section {
    Section::new(b"NODE", version_field, node_records(0x10, nodes))
}

// ---------------------------------------------------------------------------------------
// EDGE

#[derive(Clone, Debug)]
pub struct Edge {
    pub parent: u32,
    pub child: u32,
    pub id: u64,
    pub name: Vec<u8>,
}

pub fn edge(parent: u32, child: u32, id: u64, name: &[u8]) -> Edge {
    Edge {
        parent,
        child,
        id,
        name: name.to_vec(),
    }
}

/// The edge records of version `ver` and the terminator (a zero fixed part).
pub fn edge_records(ver: u8, edges: &[Edge]) -> Vec<u8> {
    let mut o = Out::default();
    for e in edges {
        o.u32(e.parent).u32(e.child);
        if ver >= 0x11 {
            o.u64(e.id);
        }
        o.u16(e.name.len() as u16).bytes(&e.name);
    }
    o.zeros(if ver >= 0x11 { 18 } else { 10 });
    o.0
}

/// An `EDGE` section: `{ nextedgeid:u64 (from 1.1) | records | terminator }`.
pub fn edges(ver: u8, next_edge_id: u64, list: &[Edge]) -> Section {
    let mut o = Out::default();
    if ver >= 0x11 {
        o.u64(next_edge_id);
    }
    o.bytes(&edge_records(ver, list));
    Section::new(b"EDGE", ver, o.0)
}

// ---------------------------------------------------------------------------------------
// FREE, QUOT, XATR, PACL

/// `{ count:u32 | (inode:u32, ftime:u32)* }`.
pub fn free_records(list: &[(u32, u32)]) -> Vec<u8> {
    let mut o = Out::default();
    o.u32(list.len() as u32);
    for (inode, ftime) in list {
        o.u32(*inode).u32(*ftime);
    }
    o.0
}

pub fn free(list: &[(u32, u32)]) -> Section {
    Section::new(b"FREE", 0x10, free_records(list))
}

#[derive(Clone, Debug, Default)]
pub struct Quota {
    pub inode: u32,
    /// Not written in QUOT 1.0.
    pub grace_period: u32,
    pub exceeded: u8,
    pub flags: u8,
    pub stimestamp: u32,
    pub sinodes: u32,
    pub hinodes: u32,
    pub slength: u64,
    pub hlength: u64,
    pub ssize: u64,
    pub hsize: u64,
    pub srealsize: u64,
    pub hrealsize: u64,
}

/// `{ count:u32 | record* }`, 66-byte records in 1.0, 70 from 1.1.
pub fn quot(ver: u8, list: &[Quota]) -> Section {
    let mut o = Out::default();
    o.u32(list.len() as u32);
    for q in list {
        o.u32(q.inode);
        if ver >= 0x11 {
            o.u32(q.grace_period);
        }
        o.u8(q.exceeded)
            .u8(q.flags)
            .u32(q.stimestamp)
            .u32(q.sinodes)
            .u32(q.hinodes)
            .u64(q.slength)
            .u64(q.hlength)
            .u64(q.ssize)
            .u64(q.hsize)
            .u64(q.srealsize)
            .u64(q.hrealsize);
    }
    Section::new(b"QUOT", ver, o.0)
}

/// `{ inode:u32 | nleng:u8 | vleng:u32 | name | value }*` and a 9-byte zero terminator.
pub fn xatr(list: &[(u32, &[u8], &[u8])]) -> Section {
    let mut o = Out::default();
    for (inode, name, value) in list {
        o.u32(*inode)
            .u8(name.len() as u8)
            .u32(value.len() as u32)
            .bytes(name)
            .bytes(value);
    }
    o.zeros(9);
    Section::new(b"XATR", 0x10, o.0)
}

#[derive(Clone, Debug)]
pub struct Acl {
    pub inode: u32,
    pub acl_type: u8,
    pub user_perm: u16,
    pub group_perm: u16,
    pub other_perm: u16,
    pub mask: u16,
    pub users: Vec<(u32, u16)>,
    pub groups: Vec<(u32, u16)>,
}

impl Acl {
    pub fn new(inode: u32, acl_type: u8) -> Self {
        Acl {
            inode,
            acl_type,
            user_perm: 7,
            group_perm: 5,
            other_perm: 4,
            mask: 7,
            users: vec![(1001, 6)],
            groups: vec![(2001, 4), (2002, 5)],
        }
    }
}

/// `{ 17-byte header | (id:u32, perm:u16)* }*` and a 17-byte zero terminator.
pub fn pacl(ver: u8, list: &[Acl]) -> Section {
    let mut o = Out::default();
    for a in list {
        o.u32(a.inode)
            .u8(a.acl_type)
            .u16(a.user_perm)
            .u16(a.group_perm)
            .u16(a.other_perm)
            .u16(a.mask)
            .u16(a.users.len() as u16)
            .u16(a.groups.len() as u16);
        for (id, perm) in a.users.iter().chain(&a.groups) {
            o.u32(*id).u16(*perm);
        }
    }
    o.zeros(17);
    Section::new(b"PACL", ver, o.0)
}

// ---------------------------------------------------------------------------------------
// OPEN, FLCK, PLCK

/// `{ sessionid:u32 | inode:u32 }*` and 8 zero bytes.
pub fn open(ver: u8, list: &[(u32, u32)]) -> Section {
    let mut o = Out::default();
    for (s, i) in list {
        o.u32(*s).u32(*i);
    }
    o.zeros(8);
    Section::new(b"OPEN", ver, o.0)
}

/// `{ inode:u32 | owner:u64 | sessionid:u32 | type:u8 }*` and 17 zero bytes.
pub fn flck(ver: u8, list: &[(u32, u64, u32, u8)]) -> Section {
    let mut o = Out::default();
    for (inode, owner, session, t) in list {
        o.u32(*inode).u64(*owner).u32(*session).u8(*t);
    }
    o.zeros(17);
    Section::new(b"FLCK", ver, o.0)
}

#[derive(Clone, Copy, Debug)]
pub struct Plock {
    pub inode: u32,
    pub owner: u64,
    pub session: u32,
    pub pid: u32,
    pub start: u64,
    pub end: u64,
    pub lock_type: u8,
}

pub fn plock(inode: u32, session: u32, owner: u64, start: u64, end: u64, t: u8) -> Plock {
    Plock {
        inode,
        owner,
        session,
        pid: 4242,
        start,
        end,
        lock_type: t,
    }
}

/// 37-byte records and 37 zero bytes.
pub fn plck(ver: u8, list: &[Plock]) -> Section {
    let mut o = Out::default();
    for l in list {
        o.u32(l.inode)
            .u64(l.owner)
            .u32(l.session)
            .u32(l.pid)
            .u64(l.start)
            .u64(l.end)
            .u8(l.lock_type);
    }
    o.zeros(37);
    Section::new(b"PLCK", ver, o.0)
}

// ---------------------------------------------------------------------------------------
// CSDB, CHNK

#[derive(Clone, Copy, Debug)]
pub struct Cs {
    pub ip: u32,
    pub port: u16,
    pub csid: u16,
    pub maintenance: u8,
    pub maintenance_timeout: u32,
}

/// `{ count:u32 | record* }`: 6-byte records in 1.0, 8 in 1.1, 9 in 1.2, 13 in 1.3.
pub fn csdb(ver: u8, list: &[Cs]) -> Section {
    let mut o = Out::default();
    o.u32(list.len() as u32);
    for c in list {
        o.u32(c.ip).u16(c.port);
        if ver >= 0x11 {
            o.u16(c.csid);
        }
        if ver >= 0x12 {
            o.u8(c.maintenance);
        }
        if ver >= 0x13 {
            o.u32(c.maintenance_timeout);
        }
    }
    Section::new(b"CSDB", ver, o.0)
}

#[derive(Clone, Copy, Debug)]
pub struct Chunk {
    pub id: u64,
    pub version: u32,
    pub locked_to: u32,
    pub arch_flag: u8,
}

pub fn chunk(id: u64, version: u32) -> Chunk {
    Chunk {
        id,
        version,
        locked_to: 0,
        arch_flag: 0,
    }
}

/// `{ nextchunkid:u64 | record* | zero record }`: 16-byte records in 1.0, 17 from 1.1.
pub fn chunk_records(ver: u8, next_chunk_id: u64, list: &[Chunk]) -> Vec<u8> {
    let mut o = Out::default();
    o.u64(next_chunk_id);
    for c in list {
        o.u64(c.id).u32(c.version).u32(c.locked_to);
        if ver >= 0x11 {
            o.u8(c.arch_flag);
        }
    }
    o.zeros(if ver >= 0x11 { 17 } else { 16 });
    o.0
}

pub fn chnk(ver: u8, next_chunk_id: u64, list: &[Chunk]) -> Section {
    Section::new(b"CHNK", ver, chunk_records(ver, next_chunk_id, list))
}

// ---------------------------------------------------------------------------------------
// Hashes (metadata-format §13), to build bucket collisions.

/// Thomas Wang's 32-bit integer hash.
pub fn hash32(k: u32) -> u32 {
    let mut k = (!k).wrapping_add(k << 15);
    k ^= k >> 12;
    k = k.wrapping_add(k << 2);
    k ^= k >> 4;
    k = k.wrapping_mul(2057);
    k ^ (k >> 16)
}

/// The first two values in `range` for which `bucket` is equal.
pub fn first_collision(range: std::ops::Range<u32>, bucket: impl Fn(u32) -> u32) -> (u32, u32) {
    let mut seen = std::collections::HashMap::new();
    for v in range {
        if let Some(&first) = seen.get(&bucket(v)) {
            return (first, v);
        }
        seen.insert(bucket(v), v);
    }
    panic!("no collision in range");
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hash_matches_the_spec() {
        assert_eq!(hash32(1), 0x12D6_0BF6);
        assert_eq!(hash32(6), 0x7105_06B9);
    }
}
