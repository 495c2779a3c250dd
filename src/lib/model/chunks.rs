//! Chunks (`CHNK`): id, version, lock time, archive flag, and the derived number of file
//! references (`fcount`).
//!
//! The master (`chunks.c`) hashes chunks on `hash32(low 32 bits of the id)` into 2^24
//! buckets whose chains are prepended to (by `chunk_load` too), and writes them in bucket
//! order. The table doubles, rehashing incrementally, once it holds more than 2^24
//! chunks; this model reproduces the 2^24-bucket order only, so with more chunks the
//! output is valid but its order is not byte-exact with the master's.
//!
//! Load: every record becomes a chunk (`chunk_new` does not look for the id, so a
//! repeated id gives two chunks, both written, of which lookups find the newer). The
//! terminator check is the decoder's. `fcount` starts at 0; the node loader adds one
//! reference per non-zero chunk-table entry ([`ChunkTable::add_file_ref`]), tolerating
//! ids that are not in the table (metadata-format §4.13, §6).
//!
//! Store: `nextchunkid`, then the chunks with `lockedto` written as 0 when it is before
//! the wall-clock time of the store.
//!
//! Chunk ids are handed out sequentially, so chunks live in a dense vector indexed by
//! `id - base`. Its size is bounded by the number of loaded records (never by an id read
//! from the file): ids outside the dense window, which can only come from very sparse or
//! corrupt id sets, go to a hash map instead.

use std::collections::HashMap;
use std::ops::Range;

use super::hash::{bucket_order_key, for_each_in_chain_order, hash32};
use super::prefetch::prefetch;
use super::radix;
use super::store::AheadSink;
use crate::format::metadata::chunks::{self as codec, Chunk, Chunks};
use crate::format::metadata::encoder::EncodedSections;
use crate::format::metadata::{Encoder, Tag};

/// Bucket mask of the master's initial chunk hash (2^24 buckets).
const BUCKET_MASK: u32 = (1 << 24) - 1;
/// `seq` of a hole in the dense vector.
const ABSENT: u32 = u32::MAX;
/// The dense window may cover this many ids more than 4 × the loaded chunks.
const DENSE_SLACK: u64 = 1 << 20;
/// New ids at most this far past the dense window extend it.
const GROWTH_GAP: u64 = 1 << 16;
/// Store sort keys hold a dense index in their low bits (the window is far smaller).
const DENSE_INDEX_BITS: u32 = 40;
const DENSE_INDEX_MASK: u64 = (1 << DENSE_INDEX_BITS) - 1;
/// How far ahead loading and the store prefetch entries (see `load_records`, `store`).
const LOOKAHEAD: usize = 16;

/// One chunk.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct ChunkEntry {
    pub version: u32,
    /// Unix time until which the chunk is locked (0 = not locked).
    pub locked_to: u32,
    /// Number of chunk-table entries of FILE/TRASH/SUSTAINED nodes naming this chunk.
    pub fcount: u32,
    pub arch_flag: u8,
    /// Insertion sequence: orders a bucket's chain (higher = nearer the head).
    seq: u32,
}

const HOLE: ChunkEntry = ChunkEntry {
    version: 0,
    locked_to: 0,
    fcount: 0,
    arch_flag: 0,
    seq: ABSENT,
};

/// Removing a file reference from a chunk that has none (`chunk_delete_file` reports a
/// structure inconsistency).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileRefError {
    /// No chunk with this id.
    NoChunk,
    /// The chunk has no file references.
    NoReference,
}

/// The chunks and the next chunk id.
#[derive(Clone, Debug)]
pub struct ChunkTable {
    next_chunk_id: u64,
    /// Chunk `base + i` is `dense[i]` unless that is a hole.
    base: u64,
    dense: Vec<ChunkEntry>,
    /// Chunks outside the dense window.
    sparse: HashMap<u64, ChunkEntry>,
    /// Older chunks with the id of a newer one (repeated ids in a loaded file), oldest
    /// first per id.
    shadowed: HashMap<u64, Vec<ChunkEntry>>,
    live: usize,
    next_seq: u32,
    /// The `CHNK` section encoded ahead for a store at time `.0` (see
    /// [`ChunkTable::encode_ahead`]), and where it was written into the output during
    /// the load, if it was: the position it was written for and the range written (see
    /// [`ChunkTable::write_ahead`]); dropped by every change.
    ahead: Option<(u32, EncodedSections, Option<WrittenAhead>)>,
    /// The table holds the records of its one load, which came in store order (see
    /// [`ChunkTable::encode_ahead_loaded`]); cleared by every change.
    loaded_in_store_order: bool,
}

/// Where a section was written into the output during the load: the position it was
/// written for, and the range written.
type WrittenAhead = (u64, Range<u64>);

impl Default for ChunkTable {
    fn default() -> Self {
        Self::new()
    }
}

impl ChunkTable {
    /// No chunks; the next id is 1 (a new file system).
    pub fn new() -> Self {
        ChunkTable {
            next_chunk_id: 1,
            base: 0,
            dense: Vec::new(),
            sparse: HashMap::new(),
            shadowed: HashMap::new(),
            live: 0,
            next_seq: 0,
            ahead: None,
            loaded_in_store_order: false,
        }
    }

    /// Drops the section encoded ahead: the table changes.
    #[inline]
    fn changed(&mut self) {
        self.ahead = None;
        self.loaded_in_store_order = false;
    }

    /// Encodes the `CHNK` section for a store at time `now` now, so that the store
    /// writes [`ChunkTable::encoded_ahead`] if nothing changes meanwhile (the load does
    /// this on its chunk thread when no changelog is expected).
    pub fn encode_ahead(&mut self, now: u32) {
        let sections = EncodedSections::encode(|e| self.store_section(e, now));
        self.ahead = Some((now, sections, None));
    }

    /// [`ChunkTable::encode_ahead`], given the records the table was loaded from (those
    /// of its one [`ChunkTable::load_records`]). The master writes its chunks in store
    /// order, bucket by bucket, and a load puts each record at the head of its bucket:
    /// when the records came that way and nothing changed since the load, the section
    /// is the records in file order with each bucket's run reversed, written in one pass
    /// with no sort and no table lookup. Otherwise it is encoded from the table.
    pub fn encode_ahead_loaded(&mut self, records: impl Iterator<Item = Chunk>, now: u32) {
        if !self.loaded_in_store_order {
            return self.encode_ahead(now);
        }
        let next_chunk_id = self.next_chunk_id;
        let records_len = self.live + self.shadowed.values().map(Vec::len).sum::<usize>();
        let sections = EncodedSections::encode(|e| {
            // Section header, nextchunkid, the records, the end record.
            e.reserve(16 + 8 + (records_len + 1) * codec::RECORD_LEN);
            e.begin_section(Tag::CHNK, codec::VERSION);
            codec::encode_header(e, next_chunk_id);
            for_each_in_chain_order(records, |c| bucket_of(c.id), |c| write_record(e, &c, now));
            codec::encode_end(e);
            e.end_section();
        });
        self.ahead = Some((now, sections, None));
    }

    /// Writes the section encoded ahead into `sink` as if it started at `at` in the
    /// output (see [`AheadSink`]).
    pub fn write_ahead(&mut self, sink: &dyn AheadSink, at: u64) {
        if let Some((_, sections, written)) = &mut self.ahead {
            *written = sink.write_ahead(at, sections.bytes()).map(|r| (at, r));
        }
    }

    /// Where the section encoded ahead was written during the load, if it was: the
    /// position it was written for, and the range written.
    pub fn written_ahead(&self) -> Option<(u64, &Range<u64>)> {
        let (_, _, written) = self.ahead.as_ref()?;
        written.as_ref().map(|(at, r)| (*at, r))
    }

    /// The section [`ChunkTable::encode_ahead`] made, if it is still valid for a store at
    /// `now`.
    pub fn encoded_ahead(&self, now: u32) -> Option<&EncodedSections> {
        match &self.ahead {
            Some((at, sections, _)) if *at == now => Some(sections),
            _ => None,
        }
    }

    /// The whole `CHNK` section: header, [`ChunkTable::store`], length.
    pub fn store_section(&self, e: &mut Encoder, now: u32) {
        e.begin_section(Tag::CHNK, codec::VERSION);
        self.store(e, now);
        e.end_section();
    }

    /// Applies a decoded `CHNK` section: sets the next id and adds every chunk in file
    /// order.
    pub fn load(&mut self, section: &Chunks) {
        self.load_records(section.next_chunk_id, section.chunks.iter().copied());
    }

    /// [`ChunkTable::load`] from records read twice (once to size the table, once to
    /// fill it), e.g. straight from the file.
    pub fn load_records(
        &mut self,
        next_chunk_id: u64,
        records: impl Iterator<Item = Chunk> + Clone,
    ) {
        self.changed();
        self.next_chunk_id = next_chunk_id;
        let first_load = self.live == 0 && self.dense.is_empty() && self.sparse.is_empty();
        if first_load {
            self.plan_dense(records.clone());
        }
        // Records come in hash order, so their places in the dense window are random:
        // a second cursor prefetches the place of the record LOOKAHEAD ahead.
        let mut ahead = records.clone().skip(LOOKAHEAD);
        let mut last_bucket = 0;
        let mut in_store_order = first_load;
        for c in records {
            if let Some(next) = ahead.next() {
                self.prefetch(next.id);
            }
            let b = bucket_of(c.id);
            in_store_order &= b >= last_bucket;
            last_bucket = b;
            // The master keeps archflag in a 1-bit field.
            self.insert(c.id, c.version, c.locked_to, c.arch_flag & 1);
        }
        self.loaded_in_store_order = in_store_order;
    }

    /// Sizes the dense window for the loaded ids: all of them if they span at most
    /// `4 n + 2^20` ids, else the top of that many ids (the most recent chunks) below
    /// `nextchunkid`.
    fn plan_dense(&mut self, chunks: impl Iterator<Item = Chunk>) {
        let (mut lo, mut hi, mut n) = (u64::MAX, 0u64, 0u64);
        for c in chunks {
            lo = lo.min(c.id);
            hi = hi.max(c.id);
            n += 1;
        }
        if n == 0 {
            return;
        }
        let cap = 4 * n + DENSE_SLACK;
        let (base, end) = if hi - lo < cap {
            (lo, hi)
        } else {
            let top = if self.next_chunk_id > lo {
                hi.min(self.next_chunk_id - 1)
            } else {
                hi
            };
            (lo.max(top.saturating_sub(cap - 1)), top)
        };
        self.base = base;
        self.dense = vec![HOLE; (end - base + 1) as usize];
    }

    /// Writes the `CHNK` body. `now` is the wall-clock time: earlier lock times are
    /// written as 0.
    pub fn store(&self, e: &mut Encoder, now: u32) {
        codec::encode_header(e, self.next_chunk_id);
        let write = |e: &mut Encoder, id: u64, c: &ChunkEntry| {
            let record = Chunk {
                id,
                version: c.version,
                locked_to: c.locked_to,
                arch_flag: c.arch_flag,
            };
            write_record(e, &record, now);
        };
        let dense = self.dense_store_order();
        let others = self.other_store_order();
        let mut others = others.iter().peekable();
        for (j, &k) in dense.iter().enumerate() {
            // The dense entries are visited in hash order, that is at random: prefetching
            // the one a few steps ahead lets the memory loads overlap (twice as fast).
            if let Some(&ahead) = dense.get(j + LOOKAHEAD) {
                if let Some(c) = self.dense.get((ahead & DENSE_INDEX_MASK) as usize) {
                    prefetch(c);
                }
            }
            let i = k & DENSE_INDEX_MASK;
            let Some(c) = self.dense.get(i as usize) else {
                continue;
            };
            let key = bucket_order_key((k >> DENSE_INDEX_BITS) as u32, c.seq);
            while let Some((_, id, other)) = others.next_if(|(ok, _, _)| *ok < key) {
                write(e, *id, other);
            }
            write(e, self.base + i, c);
        }
        for (_, id, other) in others {
            write(e, *id, other);
        }
        codec::encode_end(e);
    }

    /// The dense chunks in store order, as `bucket << 40 | index` (so that the sort is on
    /// plain integers; within a bucket, which holds 0.2 chunks on average at 3 million
    /// chunks, the order is then fixed by sequence).
    fn dense_store_order(&self) -> Vec<u64> {
        let mut keys: Vec<u64> = self
            .dense
            .iter()
            .enumerate()
            .filter(|(_, c)| c.seq != ABSENT)
            .map(|(i, _)| {
                let id = self.base + i as u64;
                (u64::from(bucket_of(id)) << DENSE_INDEX_BITS) | i as u64
            })
            .collect();
        // Unique keys listed by index: sorting by bucket is sorting them whole.
        radix::sort_by_field(&mut keys, DENSE_INDEX_BITS, BUCKET_MASK.count_ones());
        let seq = |k: &u64| {
            self.dense
                .get((k & DENSE_INDEX_MASK) as usize)
                .map_or(0, |c| c.seq)
        };
        let bucket_of_key = |k: &u64| k >> DENSE_INDEX_BITS;
        // The entries of the buckets holding several chunks are read for their sequence,
        // at random places: fetched a few keys ahead (most buckets hold one chunk).
        let mut fetched = 0;
        let mut start = 0;
        while start < keys.len() {
            while fetched < start + LOOKAHEAD {
                if let (Some(a), Some(b)) = (keys.get(fetched), keys.get(fetched + 1)) {
                    if bucket_of_key(a) == bucket_of_key(b) {
                        for k in [a, b] {
                            if let Some(c) = self.dense.get((k & DENSE_INDEX_MASK) as usize) {
                                prefetch(c);
                            }
                        }
                    }
                }
                fetched += 1;
            }
            let bucket = keys.get(start).map_or(0, bucket_of_key);
            let mut end = start + 1;
            while keys.get(end).is_some_and(|k| bucket_of_key(k) == bucket) {
                end += 1;
            }
            if end - start > 1 {
                if let Some(run) = keys.get_mut(start..end) {
                    run.sort_unstable_by_key(|k| std::cmp::Reverse(seq(k)));
                }
            }
            start = end;
        }
        keys
    }

    /// The sparse and shadowed chunks in store order, with their full sort keys.
    fn other_store_order(&self) -> Vec<(u64, u64, ChunkEntry)> {
        let key = |id: u64, c: &ChunkEntry| bucket_order_key(bucket_of(id), c.seq);
        let mut order: Vec<(u64, u64, ChunkEntry)> = self
            .sparse
            .iter()
            .map(|(&id, c)| (key(id, c), id, *c))
            .chain(
                self.shadowed
                    .iter()
                    .flat_map(|(&id, list)| list.iter().map(move |c| (key(id, c), id, *c))),
            )
            .collect();
        order.sort_unstable_by_key(|&(k, _, _)| k);
        order
    }

    fn dense_index(&self, id: u64) -> Option<usize> {
        let i = id.checked_sub(self.base)?;
        (i < self.dense.len() as u64).then_some(i as usize)
    }

    fn find(&self, id: u64) -> Option<&ChunkEntry> {
        match self.dense_index(id) {
            Some(i) => self.dense.get(i).filter(|c| c.seq != ABSENT),
            None => self.sparse.get(&id),
        }
    }

    /// The (newest) chunk with this id.
    pub fn get(&self, id: u64) -> Option<&ChunkEntry> {
        self.find(id)
    }

    /// The (newest) chunk with this id, to change it.
    pub fn get_mut(&mut self, id: u64) -> Option<&mut ChunkEntry> {
        self.changed();
        self.entry_mut(id)
    }

    /// [`ChunkTable::get_mut`] for the file reference count, which is not stored.
    fn entry_mut(&mut self, id: u64) -> Option<&mut ChunkEntry> {
        match self.dense_index(id) {
            Some(i) => self.dense.get_mut(i).filter(|c| c.seq != ABSENT),
            None => self.sparse.get_mut(&id),
        }
    }

    /// Hints that chunk `id` will be looked up soon (see [`super::prefetch`]).
    #[inline]
    pub fn prefetch(&self, id: u64) {
        if let Some(c) = self.dense_index(id).and_then(|i| self.dense.get(i)) {
            prefetch(c);
        }
    }

    pub fn contains(&self, id: u64) -> bool {
        self.find(id).is_some()
    }

    /// The id the next new chunk gets.
    pub fn next_chunk_id(&self) -> u64 {
        self.next_chunk_id
    }

    pub fn set_next_chunk_id(&mut self, id: u64) {
        self.changed();
        self.next_chunk_id = id;
    }

    /// Hands out the next chunk id, advancing the counter.
    pub fn take_chunk_id(&mut self) -> u64 {
        self.changed();
        let id = self.next_chunk_id;
        self.next_chunk_id = id.wrapping_add(1);
        id
    }

    /// Adds a chunk at the head of its bucket (`chunk_new`) with no file references. A
    /// chunk with the same id stays, hidden behind the new one, as in the master.
    pub fn insert(&mut self, id: u64, version: u32, locked_to: u32, arch_flag: u8) {
        self.changed();
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        let entry = ChunkEntry {
            version,
            locked_to,
            fcount: 0,
            arch_flag,
            seq,
        };
        let slot = match self.dense_index(id) {
            Some(i) => self.dense.get_mut(i),
            None => {
                if self.dense.is_empty() && self.sparse.is_empty() {
                    self.base = id;
                }
                // `id` is not below `base` + len here (else `dense_index` found it), but
                // both ends can be near u64::MAX in damaged input.
                let end = self.base.saturating_add(self.dense.len() as u64);
                if id >= self.base && id.checked_sub(end).is_some_and(|gap| gap < GROWTH_GAP) {
                    self.dense.resize((id - self.base + 1) as usize, HOLE);
                    self.dense.last_mut()
                } else {
                    None
                }
            }
        };
        let previous = match slot {
            Some(c) => {
                let old = std::mem::replace(c, entry);
                (old.seq != ABSENT).then_some(old)
            }
            None => self.sparse.insert(id, entry),
        };
        match previous {
            Some(old) => self.shadowed.entry(id).or_default().push(old),
            None => self.live += 1,
        }
    }

    /// Removes the (newest) chunk with this id (`chunk_delete`); an older chunk with the
    /// same id, if any, becomes visible. Returns the removed chunk.
    pub fn remove(&mut self, id: u64) -> Option<ChunkEntry> {
        self.changed();
        let promoted = match self.shadowed.get_mut(&id) {
            Some(list) => {
                let p = list.pop();
                if list.is_empty() {
                    self.shadowed.remove(&id);
                }
                p
            }
            None => None,
        };
        let removed = match self.dense_index(id) {
            Some(i) => {
                let c = self.dense.get_mut(i).filter(|c| c.seq != ABSENT)?;
                std::mem::replace(c, promoted.unwrap_or(HOLE))
            }
            None => {
                let old = self.sparse.remove(&id)?;
                if let Some(p) = promoted {
                    self.sparse.insert(id, p);
                }
                old
            }
        };
        if promoted.is_none() {
            self.live -= 1;
        }
        Some(removed)
    }

    /// One more file reference (`chunk_add_file`); `false` if there is no such chunk
    /// (the master tolerates it).
    pub fn add_file_ref(&mut self, id: u64) -> bool {
        match self.entry_mut(id) {
            Some(c) => {
                c.fcount = c.fcount.wrapping_add(1);
                true
            }
            None => false,
        }
    }

    /// Sets every chunk's file-reference count back to 0.
    pub fn clear_file_refs(&mut self) {
        let all = self
            .dense
            .iter_mut()
            .chain(self.sparse.values_mut())
            .chain(self.shadowed.values_mut().flatten());
        for c in all {
            c.fcount = 0;
        }
    }

    /// One file reference less (`chunk_delete_file`); returns the new count.
    pub fn remove_file_ref(&mut self, id: u64) -> Result<u32, FileRefError> {
        let c = self.entry_mut(id).ok_or(FileRefError::NoChunk)?;
        if c.fcount == 0 {
            return Err(FileRefError::NoReference);
        }
        c.fcount -= 1;
        Ok(c.fcount)
    }

    /// Number of chunks (repeated ids counted each time).
    pub fn len(&self) -> usize {
        self.live + self.shadowed.values().map(Vec::len).sum::<usize>()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The visible chunks, ascending id within the dense window, then the others in no
    /// particular order.
    pub fn iter(&self) -> impl Iterator<Item = (u64, &ChunkEntry)> + '_ {
        let base = self.base;
        self.dense
            .iter()
            .enumerate()
            .filter(|(_, c)| c.seq != ABSENT)
            .map(move |(i, c)| (base + i as u64, c))
            .chain(self.sparse.iter().map(|(&id, c)| (id, c)))
    }
}

/// The master's hash bucket of chunk `id` (the store order).
#[inline]
fn bucket_of(id: u64) -> u32 {
    hash32(id as u32) & BUCKET_MASK
}

/// Writes one chunk as the store does: a lock that ended before `now` is written as 0,
/// and the archive flag as the 1-bit field the master keeps (as loaded).
#[inline]
fn write_record(e: &mut Encoder, c: &Chunk, now: u32) {
    codec::encode_chunk(
        e,
        &Chunk {
            id: c.id,
            version: c.version,
            locked_to: if c.locked_to < now { 0 } else { c.locked_to },
            arch_flag: c.arch_flag & 1,
        },
    );
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::metadata::reader::Reader;
    use crate::format::metadata::Tag;

    fn chunk(id: u64, version: u32) -> Chunk {
        Chunk {
            id,
            version,
            locked_to: 0,
            arch_flag: 0,
        }
    }

    fn stored(t: &ChunkTable, now: u32) -> Chunks {
        let mut e = Encoder::new(false);
        e.begin_section(Tag::CHNK, codec::VERSION);
        t.store(&mut e, now);
        e.end_section();
        let bytes = e.finish().0;
        let mut r = Reader::new(bytes.get(16..).unwrap());
        codec::decode(&mut r, codec::VERSION).unwrap()
    }

    /// The whole `CHNK` section as [`ChunkTable::store_section`] writes it.
    fn section_bytes(
        t: &ChunkTable,
        now: u32,
    ) -> (Vec<u8>, Vec<crate::format::metadata::encoder::CrcRecord>) {
        let mut e = Encoder::new(true);
        t.store_section(&mut e, now);
        e.finish()
    }

    /// The section encoded ahead is the section, with its crc records, for the store
    /// time it was made for only; every change drops it.
    #[test]
    fn a_section_encoded_ahead_is_dropped_by_every_change() {
        let base = || {
            let mut t = ChunkTable::new();
            for id in 1..200u64 {
                t.insert(id, 1, if id % 7 == 0 { 1000 } else { 0 }, 0);
            }
            t
        };
        type Change = Box<dyn Fn(&mut ChunkTable)>;
        let changes: Vec<(&str, Change)> = vec![
            ("insert", Box::new(|t| t.insert(500, 3, 0, 1))),
            ("remove", Box::new(|t| assert!(t.remove(5).is_some()))),
            ("get_mut", Box::new(|t| t.get_mut(9).unwrap().version = 42)),
            ("set_next_chunk_id", Box::new(|t| t.set_next_chunk_id(777))),
            (
                "take_chunk_id",
                Box::new(|t| assert_eq!(t.take_chunk_id(), 1)),
            ),
            (
                "load",
                Box::new(|t| {
                    t.load(&Chunks {
                        next_chunk_id: 900,
                        chunks: vec![chunk(800, 2)],
                    })
                }),
            ),
        ];
        let ahead_of = |t: &ChunkTable, now| {
            t.encoded_ahead(now)
                .map(|s| (s.bytes().to_vec(), s.records().to_vec()))
        };
        let mut ahead = base();
        ahead.encode_ahead(500);
        assert_eq!(ahead_of(&ahead, 500), Some(section_bytes(&base(), 500)));
        // Another store time: locks that ended before it are written as 0.
        assert_eq!(ahead_of(&ahead, 2000), None);
        assert_ne!(section_bytes(&base(), 2000), section_bytes(&base(), 500));
        // File references are not stored: counting them keeps the section.
        assert!(ahead.add_file_ref(3));
        assert_eq!(ahead_of(&ahead, 500), Some(section_bytes(&base(), 500)));
        for (what, change) in changes {
            let mut changed = base();
            changed.encode_ahead(500);
            change(&mut changed);
            assert_eq!(ahead_of(&changed, 500), None, "{what}");
            let mut fresh = base();
            change(&mut fresh);
            assert_ne!(
                section_bytes(&fresh, 500),
                section_bytes(&base(), 500),
                "{what}"
            );
        }
    }

    /// Encoding ahead from the loaded records gives the section the table gives, for
    /// records in store order (buckets holding several records, repeated ids, expired
    /// and live locks, archive flags beyond the 1-bit field, ids outside the dense
    /// window) and, through the fallback, for records in another order or a table
    /// changed after its load.
    #[test]
    fn encoding_ahead_from_the_loaded_records_matches_the_table() {
        let now = 5000;
        let mut records: Vec<Chunk> = (1..3000u64)
            .map(|id| Chunk {
                id,
                version: id as u32 % 5,
                locked_to: [0, 10, now, now + 1][id as usize % 4],
                arch_flag: (id % 4) as u8,
            })
            .collect();
        // Ids sharing a bucket with another (the low 32 bits decide it), a repeated id,
        // and a far outlier.
        records.extend([1u64 << 32 | 7, 2u64 << 32 | 7, 11, 1 << 60].map(|id| chunk(id, 9)));
        let in_store_order = {
            let mut r = records.clone();
            r.sort_by_key(|c| bucket_of(c.id));
            r
        };
        assert!(in_store_order
            .windows(2)
            .any(|w| bucket_of(w[0].id) == bucket_of(w[1].id)));
        let ahead = |records: &[Chunk], change: &dyn Fn(&mut ChunkTable)| {
            let mut t = ChunkTable::new();
            t.load_records(4000, records.iter().copied());
            change(&mut t);
            let expected = section_bytes(&t, now);
            t.encode_ahead_loaded(records.iter().copied(), now);
            let got = t
                .encoded_ahead(now)
                .map(|s| (s.bytes().to_vec(), s.records().to_vec()));
            assert_eq!(got, Some(expected));
            t.loaded_in_store_order
        };
        assert!(ahead(&in_store_order, &|_| {}));
        assert!(!ahead(&records, &|_| {}), "file order is not store order");
        assert!(!ahead(&in_store_order, &|t| t.insert(9999, 1, 0, 0)));
        assert!(!ahead(&in_store_order, &|t| {
            t.remove(5);
        }));
    }

    #[test]
    fn empty_table() {
        let s = stored(&ChunkTable::new(), 0);
        assert_eq!(s.next_chunk_id, 1);
        assert!(s.chunks.is_empty());
    }

    #[test]
    fn store_is_hash_order_and_lock_times_expire() {
        let mut t = ChunkTable::new();
        let file = Chunks {
            next_chunk_id: 100,
            chunks: vec![
                Chunk {
                    locked_to: 500,
                    ..chunk(3, 1)
                },
                Chunk {
                    locked_to: 499,
                    arch_flag: 1,
                    ..chunk(1, 2)
                },
                chunk(2, 3),
                // Same low 32 bits as chunk 2: same bucket, newer.
                chunk(2 + (1 << 32), 4),
            ],
        };
        t.load(&file);
        let s = stored(&t, 500);
        assert_eq!(s.next_chunk_id, 100);
        let mut expected = file.chunks.clone();
        expected[1].locked_to = 0;
        // Sort by bucket, newest first within a bucket (stable sort keeps file order,
        // so reverse first).
        expected.reverse();
        expected.sort_by_key(|c| bucket_of(c.id));
        assert_eq!(s.chunks, expected);
        assert_eq!(
            s.chunks.iter().position(|c| c.id == 2 + (1 << 32)).unwrap() + 1,
            s.chunks.iter().position(|c| c.id == 2).unwrap()
        );
    }

    #[test]
    fn repeated_ids_give_two_chunks() {
        let mut t = ChunkTable::new();
        t.load(&Chunks {
            next_chunk_id: 10,
            chunks: vec![chunk(5, 1), chunk(5, 2)],
        });
        assert_eq!(t.len(), 2);
        assert_eq!(t.get(5).unwrap().version, 2);
        let versions: Vec<u32> = stored(&t, 0).chunks.iter().map(|c| c.version).collect();
        assert_eq!(versions, vec![2, 1]);
        assert_eq!(t.remove(5).unwrap().version, 2);
        assert_eq!(t.get(5).unwrap().version, 1);
        assert_eq!(t.remove(5).unwrap().version, 1);
        assert!(t.get(5).is_none());
        assert!(t.is_empty());
    }

    #[test]
    fn file_references() {
        let mut t = ChunkTable::new();
        t.load(&Chunks {
            next_chunk_id: 10,
            chunks: vec![chunk(5, 1)],
        });
        assert!(t.add_file_ref(5));
        assert!(t.add_file_ref(5));
        assert!(!t.add_file_ref(6));
        assert_eq!(t.get(5).unwrap().fcount, 2);
        assert_eq!(t.remove_file_ref(5), Ok(1));
        assert_eq!(t.remove_file_ref(5), Ok(0));
        assert_eq!(t.remove_file_ref(5), Err(FileRefError::NoReference));
        assert_eq!(t.remove_file_ref(6), Err(FileRefError::NoChunk));
    }

    #[test]
    fn sparse_and_outlying_ids_do_not_allocate_by_id() {
        let mut t = ChunkTable::new();
        t.load(&Chunks {
            next_chunk_id: 1 << 40,
            chunks: vec![chunk(1, 1), chunk(u64::MAX, 2), chunk(1 << 40, 3)],
        });
        assert!(t.dense.len() as u64 <= 4 * 3 + DENSE_SLACK + GROWTH_GAP);
        assert_eq!(t.get(u64::MAX).unwrap().version, 2);
        assert_eq!(t.get(1 << 40).unwrap().version, 3);
        assert_eq!(t.get(1).unwrap().version, 1);
        assert_eq!(t.len(), 3);
        assert_eq!(stored(&t, 0).chunks.len(), 3);
        assert!(t.remove(u64::MAX).is_some());
        assert_eq!(t.len(), 2);
    }

    #[test]
    fn new_chunks_extend_the_dense_window() {
        let mut t = ChunkTable::new();
        for _ in 0..1000 {
            let id = t.take_chunk_id();
            t.insert(id, 1, 0, 0);
        }
        assert_eq!(t.dense.len(), 1000);
        assert!(t.sparse.is_empty());
        assert_eq!(t.next_chunk_id(), 1001);
        let ids: Vec<u64> = t.iter().map(|(id, _)| id).collect();
        assert_eq!(ids, (1..=1000).collect::<Vec<_>>());
        t.remove(500).unwrap();
        assert!(!t.contains(500));
        assert_eq!(stored(&t, 0).chunks.len(), 999);
    }
}
