//! Building an [`Image`] from a metadata file, with the 3.0.117 loader's rules.

use crate::format::metadata::file::{decode_body, for_each_section};
use crate::format::metadata::header::{FileHeader, Signature};
use crate::format::metadata::nodes::NodesHeader;
use crate::format::metadata::{Reader, Tag};

use super::edges::EdgeTable;
use super::error::LoadError;
use super::image::Image;
use super::load_nodes::{load_edges, load_nodes, ROOT_INODE};
use super::nodes::{Node, NodeData, NodeTable, NodeType, NO_EDGE};
use super::store_nodes::node_hash_bits;

/// Inode numbers below this many per input byte are kept in the dense node table.
fn dense_inode_limit(input_len: usize) -> u32 {
    let by_size = input_len / 16 + (1 << 20);
    u32::try_from(by_size).unwrap_or(u32::MAX)
}

impl<'a> Image<'a> {
    /// The image `mfsmaster` makes from `MFSM NEW`: a root directory whose times are
    /// `now`, the predefined storage classes, nothing else.
    pub fn new_empty(now: u32) -> Self {
        let mut nodes = NodeTable::new(dense_inode_limit(0));
        let root = Node {
            node_type: NodeType::Directory,
            sclass: 2,
            eattr: 0,
            winattr: 0,
            mode: 0o777,
            uid: 0,
            gid: 0,
            atime: now,
            mtime: now,
            ctime: now,
            trashtime: 24,
            seq: 0,
            parents: NO_EDGE,
            data: NodeData::Directory {
                children: Default::default(),
            },
        };
        let _ = nodes.insert(ROOT_INODE, root);
        nodes.max_node_id = ROOT_INODE;
        Image {
            version: 1,
            meta_id: 0,
            nodes,
            edges: EdgeTable::default(),
            node_hash_bits: node_hash_bits(0),
            edges_need_renumbering: false,
            others: Vec::new(),
        }
    }

    /// Loads a metadata file (any format 3.0.117 reads). `now` stands for the wall clock
    /// where the master would use it.
    pub fn load(bytes: &'a [u8], now: u32) -> Result<Self, LoadError> {
        let mut r = Reader::new(bytes);
        let format = match Signature::decode(&mut r)? {
            Signature::New => return Ok(Image::new_empty(now)),
            Signature::Format(f) => f,
        };
        let header = FileHeader::decode(&mut r, format)?;
        let mut image = Image {
            version: header.version,
            meta_id: header.meta_id,
            nodes: NodeTable::new(dense_inode_limit(bytes.len())),
            edges: EdgeTable::default(),
            node_hash_bits: node_hash_bits(0),
            edges_need_renumbering: false,
            others: Vec::new(),
        };
        let mut seen: Vec<Tag> = Vec::new();
        for_each_section(&mut r, &header, |info, body| -> Result<(), LoadError> {
            let tag = if info.header.tag == Tag::LABS {
                Tag::SCLA
            } else {
                info.header.tag
            };
            if seen.contains(&tag) {
                return Err(LoadError::rule(
                    tag,
                    info.header.offset,
                    "section appears twice",
                ));
            }
            seen.push(tag);
            image
                .load_section(info, &header, body)
                .map_err(|e| match e {
                    LoadError::Decode(d) => LoadError::Decode(d.in_section(tag)),
                    other => other,
                })
        })?;
        image.check_tree()?;
        Ok(image)
    }

    fn load_section(
        &mut self,
        info: &crate::format::metadata::file::SectionInfo,
        file: &FileHeader,
        r: &mut Reader<'a>,
    ) -> Result<(), LoadError> {
        match info.header.tag {
            Tag::NODE => {
                let legacy = info.headerless_nodes.then(|| NodesHeader {
                    max_node_id: file.legacy.map_or(0, |l| l.max_node_id),
                    node_count: 0,
                });
                let header = load_nodes(r, info.version, legacy, &mut self.nodes, |_, _| {})?;
                self.node_hash_bits = node_hash_bits(header.node_count);
            }
            Tag::EDGE => {
                self.edges_need_renumbering =
                    load_edges(r, info.version, &mut self.nodes, &mut self.edges)?;
            }
            _ => {
                let body = decode_body(info, file, r)?;
                self.others.push(body);
            }
        }
        Ok(())
    }

    /// The checks after all sections: the root exists, every other node has a name, and
    /// every directory hangs from the root by exactly one entry.
    fn check_tree(&self) -> Result<(), LoadError> {
        let end = |reason: String| LoadError::rule(Tag::EDGE, 0, reason);
        match self.nodes.get(ROOT_INODE) {
            Some(n) if n.node_type == NodeType::Directory => {}
            Some(_) => return Err(end("the root inode 1 is not a directory".into())),
            None => return Err(end("root node not found".into())),
        }
        let mut orphans: Vec<u32> = self
            .nodes
            .iter()
            .filter(|&(inode, n)| inode != ROOT_INODE && n.parents == NO_EDGE)
            .map(|(inode, _)| inode)
            .collect();
        if let Some(&first) = orphans.iter().min() {
            orphans.clear();
            return Err(end(format!("found orphaned inode: {first}")));
        }
        Ok(())
    }
}
