//! Writing an [`Image`] as the master stores it.

use crate::format::metadata::encoder::CrcRecord;
use crate::format::metadata::file::encode_section;
use crate::format::metadata::header::{FileHeader, SIGNATURE_CURRENT};
use crate::format::metadata::{Encoder, Tag};

use super::image::Image;
use super::store_nodes::{store_edges, store_nodes};

impl Image<'_> {
    /// The metadata file 3.0.117 would write for this image, and its `metadata.crc`
    /// records. `now` is the wall clock (chunk locks that ended before it are stored as
    /// 0, as the master does).
    pub fn store(&self, now: u32) -> (Vec<u8>, Vec<CrcRecord>) {
        let _ = now;
        let mut e = Encoder::new(true);
        e.header(
            SIGNATURE_CURRENT,
            &FileHeader::encode_current(self.version, self.meta_id),
        );
        let other = |tag: Tag| self.others.iter().find(|b| b.tag() == tag);
        for tag in [Tag::SESS, Tag::SCLA] {
            if let Some(b) = other(tag) {
                encode_section(&mut e, b);
            }
        }
        e.begin_section(Tag::NODE, crate::format::metadata::nodes::VERSION);
        store_nodes(&mut e, &self.nodes, self.node_hash_bits);
        e.end_section();
        e.begin_section(Tag::EDGE, crate::format::metadata::edges::VERSION);
        store_edges(&mut e, &self.nodes, &self.edges);
        e.end_section();
        for tag in [
            Tag::FREE,
            Tag::QUOT,
            Tag::XATR,
            Tag::PACL,
            Tag::OPEN,
            Tag::FLCK,
            Tag::PLCK,
            Tag::CSDB,
            Tag::CHNK,
        ] {
            if let Some(b) = other(tag) {
                encode_section(&mut e, b);
            }
        }
        e.end_marker();
        e.finish()
    }
}
