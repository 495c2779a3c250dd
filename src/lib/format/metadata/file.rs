//! A whole metadata file: signature, header, sections, end marker.
//!
//! [`for_each_section`] walks the sections of a mapped file and hands each body to a
//! visitor, checking the declared lengths; [`MetadataFile`] is the pure codec built on
//! it: every record decoded in file order, and encoded back in the 3.0.117 form, with
//! no loader rules applied.

use super::acls::{self, Acl};
use super::chunks::{self, Chunks};
use super::chunkservers::{self, Chunkserver};
use super::edges::{self, Edges};
use super::encoder::{CrcRecord, Encoder};
use super::error::{DecodeError, DecodeErrorKind};
use super::free_inodes::{self, FreeInode};
use super::header::{
    FileHeader, Signature, FORMAT_NODE_HEADER, FORMAT_SECTIONS, SIGNATURE_CURRENT,
};
use super::locks::{self, Flock, PosixLock};
use super::nodes::{self, Nodes, NodesHeader};
use super::open_files::{self, OpenFile};
use super::quotas::{self, Quota};
use super::reader::Reader;
use super::section::{SectionHeader, SectionVersion, Tag, END_MARKER};
use super::sessions::{self, Sessions};
use super::storage_classes::{self, StorageClasses};
use super::xattrs::{self, Xattr};

/// The newest version of each section that 3.0.117 reads (and writes), `None` for an
/// unknown tag.
pub fn current_version(tag: Tag) -> Option<SectionVersion> {
    Some(match tag {
        Tag::SESS => sessions::VERSION,
        Tag::SCLA | Tag::LABS => storage_classes::VERSION,
        Tag::NODE => nodes::VERSION,
        Tag::EDGE => edges::VERSION,
        Tag::FREE => free_inodes::VERSION,
        Tag::QUOT => quotas::VERSION,
        Tag::XATR => xattrs::VERSION,
        Tag::PACL => acls::VERSION,
        Tag::OPEN => open_files::VERSION,
        Tag::FLCK | Tag::PLCK => locks::VERSION,
        Tag::CSDB => chunkservers::VERSION,
        Tag::CHNK => chunks::VERSION,
        _ => return None,
    })
}

/// How a section body is to be read.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct SectionInfo {
    pub header: SectionHeader,
    /// The version to decode with. For the node list of formats before 2.0 this is 1.0
    /// whatever the section header says.
    pub version: SectionVersion,
    /// The node list has no `maxnodeid`/`nodecount` header (formats before 2.0); the
    /// values come from the file header.
    pub headerless_nodes: bool,
}

/// Walks the sections of a file whose signature was [`Signature::Format`] and whose
/// 16-byte header has been read by `r`. For each section, `visit` reads its body from
/// the given reader; afterwards the consumed length is checked against the declared one.
/// Files older than format 1.6 have no sections: their four lists are presented as
/// synthetic NODE 1.0 (headerless), EDGE 1.0, FREE 1.0 and CHNK 1.0 sections.
///
/// Like the master, reading stops at the end of the data (the chunk list's end record,
/// or the first end marker), and the file's *last* 16 bytes must be the ending (16 zero
/// bytes, or the end marker): bytes in between are ignored.
pub fn for_each_section<'a, E: From<DecodeError>>(
    r: &mut Reader<'a>,
    file: &FileHeader,
    mut visit: impl FnMut(&SectionInfo, &mut Reader<'a>) -> Result<(), E>,
) -> Result<(), E> {
    if file.format < FORMAT_SECTIONS {
        for (tag, headerless_nodes) in [
            (Tag::NODE, true),
            (Tag::EDGE, false),
            (Tag::FREE, false),
            (Tag::CHNK, false),
        ] {
            let header = SectionHeader {
                tag,
                version_field: *b" 1.0",
                length: None,
                offset: r.offset(),
            };
            let info = SectionInfo {
                header,
                version: 0x10,
                headerless_nodes,
            };
            visit(&info, r)?;
        }
        return check_ending(r, &[0u8; 16]).map_err(E::from);
    }
    loop {
        let at = r.offset();
        if r.remaining() >= 16 && r.clone().array::<16>()? == *END_MARKER {
            r.skip(16)?;
            return check_ending(r, END_MARKER).map_err(E::from);
        }
        let header = SectionHeader::decode(r)?;
        let tag = header.tag;
        let Some(max) = current_version(tag) else {
            return Err(DecodeError::at(at, DecodeErrorKind::UnknownSection)
                .in_section(tag)
                .into());
        };
        let mut version = header.version();
        // Before format 2.0 the master reads the node list in its old form whatever
        // the version field says.
        if version > max && !(tag == Tag::NODE && file.format < FORMAT_NODE_HEADER) {
            return Err(DecodeError::at(
                at + 4,
                DecodeErrorKind::UnsupportedSectionVersion { version },
            )
            .in_section(tag)
            .into());
        }
        let legacy_nodes = tag == Tag::NODE && file.format < FORMAT_NODE_HEADER;
        if legacy_nodes {
            version = 0x10;
        }
        let info = SectionInfo {
            header,
            version,
            headerless_nodes: legacy_nodes,
        };
        match header.length {
            Some(len) => {
                let mut body = r.sub(len).map_err(|e| e.in_section(tag))?;
                visit(&info, &mut body)?;
                if body.remaining() != 0 {
                    let consumed = len - body.remaining() as u64;
                    return Err(DecodeError::at(
                        body.offset(),
                        DecodeErrorKind::LengthMismatch {
                            declared: len,
                            consumed,
                        },
                    )
                    .in_section(tag)
                    .into());
                }
            }
            None => visit(&info, r)?,
        }
    }
}

/// After the data: anything may follow as long as the file ends with `ending` (the
/// master's file check looks only at the last 16 bytes).
fn check_ending(r: &Reader<'_>, ending: &[u8; 16]) -> Result<(), DecodeError> {
    if r.remaining() == 0 || r.last_bytes::<16>().as_ref() == Some(ending) {
        return Ok(());
    }
    let kind = if r.remaining() < 16 {
        DecodeErrorKind::TrailingData {
            len: r.remaining() as u64,
        }
    } else {
        DecodeErrorKind::WrongEnding
    };
    Err(DecodeError::at(r.offset(), kind))
}

/// The records of one section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Body<'a> {
    Sessions(Sessions<'a>),
    StorageClasses(StorageClasses<'a>),
    Nodes(Nodes<'a>),
    Edges(Edges<'a>),
    Free(Vec<FreeInode>),
    Quotas(Vec<Quota>),
    Xattrs(Vec<Xattr<'a>>),
    Acls(Vec<Acl<'a>>),
    OpenFiles(Vec<OpenFile>),
    Flocks(Vec<Flock>),
    PosixLocks(Vec<PosixLock>),
    Chunkservers(Vec<Chunkserver>),
    Chunks(Chunks),
}

impl Body<'_> {
    /// The tag 3.0.117 writes this body under.
    pub fn tag(&self) -> Tag {
        match self {
            Body::Sessions(_) => Tag::SESS,
            Body::StorageClasses(_) => Tag::SCLA,
            Body::Nodes(_) => Tag::NODE,
            Body::Edges(_) => Tag::EDGE,
            Body::Free(_) => Tag::FREE,
            Body::Quotas(_) => Tag::QUOT,
            Body::Xattrs(_) => Tag::XATR,
            Body::Acls(_) => Tag::PACL,
            Body::OpenFiles(_) => Tag::OPEN,
            Body::Flocks(_) => Tag::FLCK,
            Body::PosixLocks(_) => Tag::PLCK,
            Body::Chunkservers(_) => Tag::CSDB,
            Body::Chunks(_) => Tag::CHNK,
        }
    }
}

/// Decodes one section body.
pub fn decode_body<'a>(
    info: &SectionInfo,
    file: &FileHeader,
    r: &mut Reader<'a>,
) -> Result<Body<'a>, DecodeError> {
    let tag = info.header.tag;
    let v = info.version;
    let body = match tag {
        Tag::SESS => Body::Sessions(sessions::decode(r, v)?),
        Tag::SCLA | Tag::LABS => Body::StorageClasses(storage_classes::decode(r, v)?),
        Tag::NODE if info.headerless_nodes => {
            let max_node_id = file.legacy.map_or(0, |l| l.max_node_id);
            let nodes = nodes::NodeIter::new(r, v).collect::<Result<Vec<_>, _>>()?;
            Body::Nodes(Nodes {
                header: NodesHeader {
                    max_node_id,
                    node_count: 0,
                },
                nodes,
            })
        }
        Tag::NODE => Body::Nodes(nodes::decode(r, v)?),
        Tag::EDGE => Body::Edges(edges::decode(r, v)?),
        Tag::FREE => Body::Free(free_inodes::decode(r, v)?),
        Tag::QUOT => Body::Quotas(quotas::decode(r, v)?),
        Tag::XATR => Body::Xattrs(xattrs::decode(r, v)?),
        Tag::PACL => Body::Acls(acls::decode(r, v)?),
        Tag::OPEN => Body::OpenFiles(open_files::decode(r, v)?),
        Tag::FLCK => Body::Flocks(locks::decode_flocks(r, v)?),
        Tag::PLCK => Body::PosixLocks(locks::decode_posix_locks(r, v)?),
        Tag::CSDB => Body::Chunkservers(chunkservers::decode(r, v)?),
        Tag::CHNK => Body::Chunks(chunks::decode(r, v)?),
        _ => {
            return Err(DecodeError::at(
                info.header.offset,
                DecodeErrorKind::UnknownSection,
            ))
        }
    };
    Ok(body)
}

/// Writes one section (header, body, patched length) in 3.0.117 form.
pub fn encode_section(e: &mut Encoder, body: &Body<'_>) {
    let tag = body.tag();
    e.begin_section(tag, current_version(tag).unwrap_or(0x10));
    match body {
        Body::Sessions(s) => sessions::encode(e, s),
        Body::StorageClasses(s) => storage_classes::encode(e, s),
        Body::Nodes(s) => nodes::encode(e, s),
        Body::Edges(s) => edges::encode(e, s),
        Body::Free(s) => free_inodes::encode(e, s.iter()),
        Body::Quotas(s) => quotas::encode(e, s),
        Body::Xattrs(s) => xattrs::encode(e, s),
        Body::Acls(s) => acls::encode(e, s),
        Body::OpenFiles(s) => open_files::encode(e, s),
        Body::Flocks(s) => locks::encode_flocks(e, s),
        Body::PosixLocks(s) => locks::encode_posix_locks(e, s),
        Body::Chunkservers(s) => chunkservers::encode(e, s),
        Body::Chunks(s) => chunks::encode(e, s),
    }
    e.end_section();
}

/// One decoded section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Section<'a> {
    pub info: SectionInfo,
    pub body: Body<'a>,
}

/// A whole file, decoded record by record, borrowing from the input.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum MetadataFile<'a> {
    /// `MFSM NEW`: an empty file system.
    New,
    /// A formatted file.
    Formatted {
        header: FileHeader,
        sections: Vec<Section<'a>>,
    },
}

impl<'a> MetadataFile<'a> {
    /// Decodes every record of `bytes`, applying no loader rules.
    pub fn decode(bytes: &'a [u8]) -> Result<Self, DecodeError> {
        let mut r = Reader::new(bytes);
        let format = match Signature::decode(&mut r)? {
            Signature::New => return Ok(MetadataFile::New),
            Signature::Format(f) => f,
        };
        let header = FileHeader::decode(&mut r, format)?;
        let mut sections = Vec::new();
        for_each_section(&mut r, &header, |info, body| -> Result<(), DecodeError> {
            let decoded =
                decode_body(info, &header, body).map_err(|e| e.in_section(info.header.tag))?;
            sections.push(Section {
                info: *info,
                body: decoded,
            });
            Ok(())
        })?;
        Ok(MetadataFile::Formatted { header, sections })
    }

    /// Encodes in 3.0.117 form (`MFSM 2.0`, current section versions), returning the
    /// file bytes and the `metadata.crc` records. `MFSM NEW` encodes as itself.
    pub fn encode(&self) -> (Vec<u8>, Vec<CrcRecord>) {
        let (header, sections) = match self {
            MetadataFile::New => return (super::header::SIGNATURE_NEW.to_vec(), Vec::new()),
            MetadataFile::Formatted { header, sections } => (header, sections),
        };
        let mut e = Encoder::new(true);
        e.header(
            SIGNATURE_CURRENT,
            &FileHeader::encode_current(header.version, header.meta_id),
        );
        for s in sections {
            encode_section(&mut e, &s.body);
        }
        e.end_marker();
        e.finish()
    }
}
