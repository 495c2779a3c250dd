//! Writing an [`Image`] as the master stores it: the sections in the master's order,
//! each table's records in the master's order and write calls.

use std::ops::Range;

use crate::format::metadata::encoder::{CrcRecord, EncodedSections};
use crate::format::metadata::header::{FileHeader, SIGNATURE_CURRENT};
use crate::format::metadata::{
    acls, chunkservers, edges, free_inodes, locks, nodes, open_files, quotas, sessions,
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
    /// Whether the bytes at `range` were written into this sink already, during the
    /// load (see [`AheadSink`]).
    fn holds(&self, _range: &Range<u64>) -> bool {
        false
    }
    /// Goes on after `range`, whose bytes the sink [`StoreSink::holds`].
    fn skip(&mut self, _range: Range<u64>) -> std::io::Result<()> {
        Err(std::io::Error::other("no bytes were written ahead"))
    }
}

/// The file a load's image will be stored into, when nothing changes in between: the
/// load may write a section there as soon as it is encoded, at the position it guesses
/// for it (its position in the input), so that the disk writes it while the rest loads.
/// The store checks the guess (see [`StoreSink::holds`]) and skips those bytes, or
/// writes over them.
pub trait AheadSink: Sync {
    /// Writes the part of `bytes` (to be at `at` in the output) that the sink can take
    /// ahead; returns the range written, or `None` when nothing was.
    fn write_ahead(&self, at: u64, bytes: &[u8]) -> Option<Range<u64>>;
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

/// Sections are handed to the writer in pieces of about this size, so no large section
/// is held whole in memory.
const PIECE: usize = 4 << 20;
/// At most this many pieces of the first lane wait for the writer (it is written as it
/// is encoded).
const FIRST_LANE_IN_FLIGHT: usize = 4;
/// At most this many pieces of a later lane wait: it encodes while the lanes before it
/// are written, and stops when this much is ready (bounded memory, 32 MiB a lane).
const LATER_LANE_IN_FLIGHT: usize = 8;

/// One section: header, `body`, length.
fn section(e: &mut Encoder, tag: Tag, version: u8, body: impl FnOnce(&mut Encoder)) {
    e.begin_section(tag, version);
    body(e);
    e.end_section();
}

/// What a lane's thread hands back when done: its `metadata.crc` records, and the length
/// fields to write over its bytes (positions counted from the lane's first byte).
type LaneEnd = (Vec<CrcRecord>, Vec<(u64, [u8; 8])>);

/// One encoding thread's share of the file: consecutive sections, encoded into pieces
/// that the writer takes in order.
struct Lane<'scope> {
    pieces: std::sync::mpsc::Receiver<Vec<u8>>,
    /// Written pieces go back to the lane's encoder to be filled again: the memory of a
    /// fresh buffer is first-touched (zeroed by the kernel) for every piece otherwise.
    written: std::sync::mpsc::Sender<Vec<u8>>,
    end: std::thread::ScopedJoinHandle<'scope, LaneEnd>,
}

/// Where a run of sections comes from: a lane encoding it, or bytes encoded before the
/// store (written as they are, without a copy into pieces).
enum Source<'scope, 'e> {
    Lane(Lane<'scope>),
    /// With where the bytes were written during the load, if they were: the position
    /// they were written for, and the range written.
    Ready(&'e EncodedSections, Option<(u64, &'e Range<u64>)>),
}

impl<'scope> Lane<'scope> {
    /// Starts `encode` on a thread of `scope`, with at most `in_flight` pieces waiting.
    fn spawn<'env>(
        scope: &'scope std::thread::Scope<'scope, 'env>,
        in_flight: usize,
        encode: impl FnOnce(&mut Encoder) + Send + 'scope,
    ) -> Self {
        let (tx, pieces) = std::sync::mpsc::sync_channel::<Vec<u8>>(in_flight);
        let (written, recycled) = std::sync::mpsc::channel::<Vec<u8>>();
        let end = scope.spawn(move || {
            let mut e = Encoder::new(true);
            let spill = tx.clone();
            // A closed receiver only means the writing failed; the caller reports that.
            e.spill_at(PIECE, move |bytes| {
                let _ = spill.send(bytes);
                recycled.try_recv().unwrap_or_default()
            });
            encode(&mut e);
            let patches = e.take_patches();
            let (rest, records) = e.finish();
            let _ = tx.send(rest);
            (records, patches)
        });
        Lane {
            pieces,
            written,
            end,
        }
    }
}

/// Appends `bytes` at position `at` of `sink`, skipping the part written there during
/// the load (`ahead`) when it was written for this position and the sink holds it.
fn append_ready(
    sink: &mut dyn StoreSink,
    bytes: &[u8],
    at: u64,
    ahead: Option<(u64, &Range<u64>)>,
) -> std::io::Result<()> {
    let split = ahead
        .filter(|(start, range)| *start == at && sink.holds(range))
        .and_then(|(start, range)| {
            let head = usize::try_from(range.start.checked_sub(start)?).ok()?;
            let tail = usize::try_from(range.end.checked_sub(start)?).ok()?;
            Some((bytes.get(..head)?, range.clone(), bytes.get(tail..)?))
        });
    match split {
        Some((head, range, tail)) => {
            sink.append(head)?;
            sink.skip(range)?;
            sink.append(tail)
        }
        None => sink.append(bytes),
    }
}

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
    /// ready. Three threads encode consecutive runs of sections (up to `NODE`; `EDGE`
    /// to `CSDB`; `CHNK`, unless the load encoded it ahead: then its bytes are written
    /// as they are, but for those the load wrote into `sink` already, at this very
    /// position, which are skipped) while the calling thread passes finished pieces to
    /// `sink` in file order, so writing overlaps encoding; each keeps at most a few
    /// pieces waiting. The bytes and records are those of [`Image::store`]: each section is
    /// encoded by one encoder, and the length fields of sections handed over before
    /// they ended are patched in at the end. A `sink` error stops the writing and is
    /// returned.
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
        std::thread::scope(|scope| {
            // Three lanes in file order, all encoding from the start; the later ones
            // wait (a few pieces ahead) until the writer reaches them.
            let lanes = [
                Lane::spawn(scope, FIRST_LANE_IN_FLIGHT, move |e| {
                    e.header(
                        SIGNATURE_CURRENT,
                        &FileHeader::encode_current(self.version, self.meta_id),
                    );
                    section(e, Tag::SESS, sessions::VERSION, |e| self.sessions.store(e));
                    section(e, Tag::SCLA, storage_classes::VERSION, |e| {
                        self.storage_classes.store(e)
                    });
                    section(e, Tag::NODE, nodes::VERSION, |e| {
                        store_nodes(e, &self.nodes, self.node_hash_bits, release)
                    });
                    release();
                }),
                Lane::spawn(scope, LATER_LANE_IN_FLIGHT, move |e| {
                    section(e, Tag::EDGE, edges::VERSION, |e| {
                        store_edges(e, &self.nodes, &self.edges, release)
                    });
                    release();
                    self.store_small_sections(e);
                }),
            ];
            let chunks = match self.chunks.encoded_ahead(now) {
                Some(encoded) => Source::Ready(encoded, self.chunks.written_ahead()),
                None => Source::Lane(Lane::spawn(scope, LATER_LANE_IN_FLIGHT, move |e| {
                    self.chunks.store_section(e, now);
                })),
            };
            let sources = lanes.into_iter().map(Source::Lane).chain([chunks]);
            let mut written = Ok(());
            let mut starts = Vec::with_capacity(3);
            let mut at = 0u64;
            let mut ends = Vec::with_capacity(3);
            for source in sources {
                starts.push(at);
                let lane = match source {
                    Source::Lane(lane) => lane,
                    Source::Ready(encoded, ahead) => {
                        if written.is_ok() {
                            written = append_ready(sink, encoded.bytes(), at, ahead);
                            at += encoded.len() as u64;
                        }
                        ends.push(Ok((encoded.records().to_vec(), Vec::new())));
                        continue;
                    }
                };
                // Until the lane's sender is gone: after a failed write the pieces are
                // still received (and dropped), so that no encoder waits forever.
                for bytes in &lane.pieces {
                    if written.is_ok() {
                        at += bytes.len() as u64;
                        written = sink.append(&bytes);
                        // The encoder may be finished and gone: then the buffer is freed.
                        let _ = lane.written.send(bytes);
                    }
                }
                ends.push(lane.end.join());
            }
            written?;
            let lost = || std::io::Error::other("a metadata encoding thread failed");
            let mut records = Vec::new();
            for (end, start) in ends.into_iter().zip(starts) {
                let (lane_records, patches) = end.map_err(|_| lost())?;
                for (patch_at, bytes) in patches {
                    sink.patch(start + patch_at, &bytes)?;
                }
                records.extend(lane_records);
            }
            let mut tail = Encoder::new(true);
            tail.end_marker();
            let (tail_bytes, tail_records) = tail.finish();
            sink.append(&tail_bytes)?;
            records.extend(tail_records);
            Ok(records)
        })
    }

    /// The sections between `EDGE` and `CHNK`, each through `section`.
    fn store_small_sections(&self, e: &mut Encoder) {
        section(e, Tag::FREE, free_inodes::VERSION, |e| self.free.store(e));
        section(e, Tag::QUOT, quotas::VERSION, |e| self.quotas.store(e));
        section(e, Tag::XATR, xattrs::VERSION, |e| self.xattrs.store(e));
        section(e, Tag::PACL, acls::VERSION, |e| self.acls.store(e));
        section(e, Tag::OPEN, open_files::VERSION, |e| {
            self.open_files.store(e)
        });
        section(e, Tag::FLCK, locks::VERSION, |e| self.flocks.store(e));
        section(e, Tag::PLCK, locks::VERSION, |e| self.posix_locks.store(e));
        section(e, Tag::CSDB, chunkservers::VERSION, |e| {
            self.chunkservers.store(e)
        });
    }
}
