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
        let mut out = Vec::new();
        let crcs = self.store_streaming(now, &mut |part| {
            out.extend_from_slice(part);
            Ok(())
        });
        // The sink above never fails.
        (out, crcs.unwrap_or_default())
    }

    /// [`Image::store`], handing the file to `sink` in consecutive pieces as they are
    /// ready. Two threads encode (the chunks on one, every other section on the
    /// other) while the calling thread passes finished sections to `sink`, so writing
    /// overlaps encoding. The bytes and records are those of [`Image::store`]: each
    /// section is encoded whole by one encoder, and the pieces are handed over in file
    /// order. A `sink` error stops the writing and is returned.
    pub fn store_streaming(
        &self,
        now: u32,
        sink: &mut dyn FnMut(&[u8]) -> std::io::Result<()>,
    ) -> std::io::Result<Vec<CrcRecord>> {
        let (tx, rx) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::scope(|scope| {
            let chunks = scope.spawn(|| {
                let mut e = Encoder::new(true);
                e.begin_section(Tag::CHNK, chunks::VERSION);
                self.chunks.store(&mut e, now);
                e.end_section();
                e.finish()
            });
            let others = scope.spawn(move || self.store_all_but_chunks(&tx));
            let mut written = Ok(());
            // Until the sender is gone: a failed write keeps receiving (and dropping).
            for part in rx {
                if written.is_ok() {
                    written = sink(&part);
                }
            }
            let lost = || std::io::Error::other("a metadata encoding thread failed");
            let mut records = others.join().map_err(|_| lost())?;
            let (chunk_bytes, chunk_records) = chunks.join().map_err(|_| lost())?;
            written?;
            sink(&chunk_bytes)?;
            records.extend(chunk_records);
            let mut tail = Encoder::new(true);
            tail.end_marker();
            let (tail_bytes, tail_records) = tail.finish();
            sink(&tail_bytes)?;
            records.extend(tail_records);
            Ok(records)
        })
    }

    /// Every section before `CHNK`, each sent through `tx` when done; returns their crc
    /// records (header first).
    fn store_all_but_chunks(&self, tx: &std::sync::mpsc::Sender<Vec<u8>>) -> Vec<CrcRecord> {
        let mut e = Encoder::new(true);
        e.header(
            SIGNATURE_CURRENT,
            &FileHeader::encode_current(self.version, self.meta_id),
        );
        let mut section = |tag: Tag, version: u8, body: &dyn Fn(&mut Encoder)| {
            e.begin_section(tag, version);
            body(&mut e);
            e.end_section();
            // A closed receiver only means the writing failed; the caller reports that.
            let _ = tx.send(e.take_output());
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
        e.finish().1
    }
}
