//! Writing an [`Image`] as the master stores it: the sections in the master's order,
//! each table's records in the master's order and write calls.

use crate::format::metadata::encoder::CrcRecord;
use crate::format::metadata::header::{FileHeader, SIGNATURE_CURRENT};
use crate::format::metadata::{
    acls, chunks, chunkservers, edges, free_inodes, locks, nodes, open_files, quotas, sessions,
    storage_classes, xattrs, Encoder, Tag,
};

use super::image::Image;
use super::store_nodes::{store_edges, store_nodes};

impl Image<'_> {
    /// The metadata file 3.0.117 would write for this image, and its `metadata.crc`
    /// records. `now` is the wall clock: chunk locks that ended before it are stored as
    /// 0, as the master does.
    pub fn store(&self, now: u32) -> (Vec<u8>, Vec<CrcRecord>) {
        let mut e = Encoder::new(true);
        e.header(
            SIGNATURE_CURRENT,
            &FileHeader::encode_current(self.version, self.meta_id),
        );
        let mut section = |tag: Tag, version: u8, body: &dyn Fn(&mut Encoder)| {
            e.begin_section(tag, version);
            body(&mut e);
            e.end_section();
        };
        section(Tag::SESS, sessions::VERSION, &|e| self.sessions.store(e));
        section(Tag::SCLA, storage_classes::VERSION, &|e| {
            self.storage_classes.store(e)
        });
        section(Tag::NODE, nodes::VERSION, &|e| {
            store_nodes(e, &self.nodes, self.node_hash_bits)
        });
        section(Tag::EDGE, edges::VERSION, &|e| {
            store_edges(e, &self.nodes, &self.edges)
        });
        section(Tag::FREE, free_inodes::VERSION, &|e| self.free.store(e));
        section(Tag::QUOT, quotas::VERSION, &|e| self.quotas.store(e));
        section(Tag::XATR, xattrs::VERSION, &|e| self.xattrs.store(e));
        section(Tag::PACL, acls::VERSION, &|e| self.acls.store(e));
        section(Tag::OPEN, open_files::VERSION, &|e| {
            self.open_files.store(e)
        });
        section(Tag::FLCK, locks::VERSION, &|e| self.flocks.store(e));
        section(Tag::PLCK, locks::VERSION, &|e| self.posix_locks.store(e));
        section(Tag::CSDB, chunkservers::VERSION, &|e| {
            self.chunkservers.store(e)
        });
        section(Tag::CHNK, chunks::VERSION, &|e| self.chunks.store(e, now));
        e.end_marker();
        e.finish()
    }
}
