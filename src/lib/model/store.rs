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

/// Where [`Image::store_streaming`] writes a file: appended bytes, and length fields
/// written over bytes already appended (as the master seeks back to patch them).
pub trait StoreSink {
    /// Appends bytes.
    fn append(&mut self, bytes: &[u8]) -> std::io::Result<()>;
    /// Writes `bytes` at absolute position `at`, inside what was appended already.
    fn patch(&mut self, at: u64, bytes: &[u8]) -> std::io::Result<()>;
}

impl StoreSink for Vec<u8> {
    fn append(&mut self, bytes: &[u8]) -> std::io::Result<()> {
        self.extend_from_slice(bytes);
        Ok(())
    }

    fn patch(&mut self, at: u64, bytes: &[u8]) -> std::io::Result<()> {
        let field = usize::try_from(at)
            .ok()
            .and_then(|at| self.get_mut(at..at.checked_add(bytes.len())?))
            .ok_or_else(|| std::io::Error::other("patch outside the written bytes"))?;
        field.copy_from_slice(bytes);
        Ok(())
    }
}

/// A piece of the file for the writing thread.
enum Piece {
    Bytes(Vec<u8>),
    Patch(u64, [u8; 8]),
}

/// Sections are handed to the writer in pieces of about this size, so no large section
/// is held whole in memory.
const PIECE: usize = 4 << 20;
/// At most this many pieces of each encoder wait for the writer.
const PIECES_IN_FLIGHT: usize = 4;

impl Image<'_> {
    /// The metadata file 3.0.117 would write for this image, and its `metadata.crc`
    /// records. `now` is the wall clock: chunk locks that ended before it are stored as
    /// 0, as the master does.
    pub fn store(&self, now: u32) -> (Vec<u8>, Vec<CrcRecord>) {
        let mut out = Vec::new();
        let crcs = self.store_streaming(now, &mut out);
        // Appending to and patching a Vec never fail.
        (out, crcs.unwrap_or_default())
    }

    /// [`Image::store`], handing the file to `sink` in consecutive pieces as they are
    /// ready. Two threads encode (the chunks on one, every other section on the
    /// other) while the calling thread passes finished pieces to `sink`, so writing
    /// overlaps encoding; each keeps at most a few pieces waiting. The bytes and records are those of [`Image::store`]: each
    /// section is encoded by one encoder, the pieces are handed over in file order, and
    /// a section's length is patched in once it is known. A `sink` error stops the
    /// writing and is returned.
    pub fn store_streaming(
        &self,
        now: u32,
        sink: &mut dyn StoreSink,
    ) -> std::io::Result<Vec<CrcRecord>> {
        self.store_streaming_releasing(now, sink, &|| {})
    }

    /// [`Image::store_streaming`], calling `release` from time to time while the `NODE`
    /// and `EDGE` sections are encoded, and after them: the pages of the inputs the
    /// image borrows names and paths from may then leave the resident set (mapped
    /// inputs: see `restore::input`); the pages still needed are read back.
    pub fn store_streaming_releasing(
        &self,
        now: u32,
        sink: &mut dyn StoreSink,
        release: &(dyn Fn() + Sync),
    ) -> std::io::Result<Vec<CrcRecord>> {
        let (tx, rx) = std::sync::mpsc::sync_channel::<Piece>(PIECES_IN_FLIGHT);
        let (chunk_tx, chunk_rx) = std::sync::mpsc::sync_channel::<Vec<u8>>(PIECES_IN_FLIGHT);
        // Written pieces go back to their encoder to be filled again: the memory of a
        // fresh buffer is first-touched (zeroed by the kernel) for every piece otherwise.
        let (written_tx, written_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        let (chunk_written_tx, chunk_written_rx) = std::sync::mpsc::channel::<Vec<u8>>();
        std::thread::scope(|scope| {
            // The chunks come last in the file but are encoded from the start, on their
            // own thread: their pieces wait (a few at a time) until the other sections
            // are written. Their section length is patched relative to where they start.
            let chunks = scope.spawn(move || {
                let mut e = Encoder::new(true);
                let spill = chunk_tx.clone();
                e.spill_at(PIECE, move |bytes| {
                    let _ = spill.send(bytes);
                    chunk_written_rx.try_recv().unwrap_or_default()
                });
                e.begin_section(Tag::CHNK, chunks::VERSION);
                self.chunks.store(&mut e, now);
                e.end_section();
                let patches = e.take_patches();
                let (rest, records) = e.finish();
                let _ = chunk_tx.send(rest);
                (records, patches)
            });
            let others = scope.spawn(move || self.store_all_but_chunks(tx, written_rx, release));
            let mut written = Ok(());
            let mut chunks_at = 0u64;
            // Until the senders are gone: a failed write keeps receiving (and dropping),
            // so that no encoder waits forever.
            for piece in rx {
                if written.is_ok() {
                    written = match piece {
                        Piece::Bytes(bytes) => {
                            chunks_at += bytes.len() as u64;
                            let done = sink.append(&bytes);
                            // The encoder may be finished and gone: then the buffer is freed.
                            let _ = written_tx.send(bytes);
                            done
                        }
                        Piece::Patch(at, bytes) => sink.patch(at, &bytes),
                    };
                }
            }
            for bytes in chunk_rx {
                if written.is_ok() {
                    written = sink.append(&bytes);
                    let _ = chunk_written_tx.send(bytes);
                }
            }
            let lost = || std::io::Error::other("a metadata encoding thread failed");
            let mut records = others.join().map_err(|_| lost())?;
            let (chunk_records, chunk_patches) = chunks.join().map_err(|_| lost())?;
            written?;
            for (at, bytes) in chunk_patches {
                sink.patch(chunks_at + at, &bytes)?;
            }
            records.extend(chunk_records);
            let mut tail = Encoder::new(true);
            tail.end_marker();
            let (tail_bytes, tail_records) = tail.finish();
            sink.append(&tail_bytes)?;
            records.extend(tail_records);
            Ok(records)
        })
    }

    /// Every section before `CHNK`, sent through `tx` in pieces; returns their crc
    /// records (header first).
    fn store_all_but_chunks(
        &self,
        tx: std::sync::mpsc::SyncSender<Piece>,
        written: std::sync::mpsc::Receiver<Vec<u8>>,
        release: &(dyn Fn() + Sync),
    ) -> Vec<CrcRecord> {
        let mut e = Encoder::new(true);
        let spill = tx.clone();
        // A closed receiver only means the writing failed; the caller reports that.
        e.spill_at(PIECE, move |bytes| {
            let _ = spill.send(Piece::Bytes(bytes));
            written.try_recv().unwrap_or_default()
        });
        e.header(
            SIGNATURE_CURRENT,
            &FileHeader::encode_current(self.version, self.meta_id),
        );
        let mut section = |tag: Tag, version: u8, body: &dyn Fn(&mut Encoder)| {
            e.begin_section(tag, version);
            body(&mut e);
            e.end_section();
            let _ = tx.send(Piece::Bytes(e.take_output()));
            for (at, bytes) in e.take_patches() {
                let _ = tx.send(Piece::Patch(at, bytes));
            }
        };
        section(Tag::SESS, sessions::VERSION, &|e| self.sessions.store(e));
        section(Tag::SCLA, storage_classes::VERSION, &|e| {
            self.storage_classes.store(e)
        });
        section(Tag::NODE, nodes::VERSION, &|e| {
            store_nodes(e, &self.nodes, self.node_hash_bits, release)
        });
        release();
        section(Tag::EDGE, edges::VERSION, &|e| {
            store_edges(e, &self.nodes, &self.edges, release)
        });
        release();
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
