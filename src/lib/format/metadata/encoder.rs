//! The output side: bytes in the order and the write-call granularity of `mfsmaster`.
//!
//! MooseFS's `metadata.crc` is not a CRC of the sections: for each section it is the XOR
//! of `crc32` over every individual `write` call the master made (metadata-format §9).
//! So encoders here emit their bytes in *calls*, exactly as the master splits them, and
//! [`Encoder`] can keep that accumulator as it goes.

use super::section::{version_field, SectionVersion, Tag, END_MARKER, UNKNOWN_LENGTH};

/// One `(tag, value)` record of `metadata.crc`.
pub type CrcRecord = (Tag, u32);

/// Whole sections encoded ahead of the file they go into: their bytes, written as they
/// are, and their crc records.
#[derive(Clone, Debug, Default)]
pub struct EncodedSections {
    bytes: Vec<u8>,
    records: Vec<CrcRecord>,
}

impl EncodedSections {
    /// The sections `encode` writes (each from `begin_section` to `end_section`), with
    /// their crc records.
    pub fn encode(encode: impl FnOnce(&mut Encoder)) -> Self {
        let mut e = Encoder::new(true);
        encode(&mut e);
        debug_assert!(e.section.is_none(), "a section left open");
        let (bytes, records) = e.finish();
        EncodedSections { bytes, records }
    }

    /// The bytes of the sections.
    pub fn bytes(&self) -> &[u8] {
        &self.bytes
    }

    /// Their `metadata.crc` records.
    pub fn records(&self) -> &[CrcRecord] {
        &self.records
    }

    /// Their length in bytes.
    pub fn len(&self) -> usize {
        self.bytes.len()
    }

    /// Whether no section was written.
    pub fn is_empty(&self) -> bool {
        self.bytes.is_empty()
    }
}

/// Builds a metadata file in memory.
///
/// Calling order: [`Encoder::header`], then for each section [`Encoder::begin_section`],
/// any number of [`Encoder::call`]s, [`Encoder::end_section`]; finally
/// [`Encoder::end_marker`]. The buffer may be drained with [`Encoder::take_output`] (or
/// handed over as it fills, [`Encoder::spill_at`]); a section whose header was drained
/// gets its length from [`Encoder::take_patches`].
pub struct Encoder {
    out: Vec<u8>,
    /// Bytes already drained by `take_output`, to keep absolute positions.
    drained: u64,
    crc: Option<CrcState>,
    section: Option<OpenSection>,
    /// Length fields of sections whose header was drained before they ended:
    /// `(absolute position, bytes)`, see [`Encoder::take_patches`].
    patches: Vec<(u64, [u8; 8])>,
    /// See [`Encoder::spill_at`].
    spill: Option<Spill>,
}

/// Room past the spill size in a spill buffer, so the call that crosses it rarely grows
/// the buffer.
const SPILL_SLACK: usize = 4096;

/// Where [`Encoder::spill_at`] hands the output.
struct Spill {
    at: usize,
    to: Box<dyn FnMut(Vec<u8>) -> Vec<u8> + Send>,
}

struct CrcState {
    acc: u32,
    /// Calls not yet in `acc`, folded by length.
    folds: CallFolds,
    records: Vec<CrcRecord>,
}

/// Calls of at most this many bytes are folded rather than hashed one by one.
const FOLD_MAX: usize = 128;

/// The XOR of the CRCs of many short write calls, computed with one CRC per call length.
///
/// For messages of one length n, `crc32` is affine: `crc32(x) = L(x) ^ crc32(0^n)` with
/// `L` linear. So the XOR of the CRCs of k calls of length n equals `crc32` of the XOR of
/// their bytes, plus `crc32(0^n)` once more when k is even. Each call then costs a
/// byte-wise XOR into the buffer of its length instead of a CRC of its own.
struct CallFolds {
    /// `bufs[n]`: the XOR of the calls of length n so far (allocated on first use).
    bufs: Vec<Vec<u8>>,
    /// `odd[n]`: an odd number of calls of length n were folded.
    odd: Vec<bool>,
    /// `seen[n]`: a call of length n was folded since the last [`CallFolds::take`].
    seen: Vec<bool>,
    /// The lengths with `seen` set.
    used: Vec<usize>,
}

impl CallFolds {
    fn new() -> Self {
        CallFolds {
            bufs: vec![Vec::new(); FOLD_MAX + 1],
            odd: vec![false; FOLD_MAX + 1],
            seen: vec![false; FOLD_MAX + 1],
            used: Vec::new(),
        }
    }

    /// Folds one call of at most `FOLD_MAX` bytes; returns false (and does nothing) for a
    /// longer one.
    #[inline]
    fn add(&mut self, bytes: &[u8]) -> bool {
        let n = bytes.len();
        let (Some(buf), Some(odd), Some(seen)) = (
            self.bufs.get_mut(n),
            self.odd.get_mut(n),
            self.seen.get_mut(n),
        ) else {
            return false;
        };
        if !*seen {
            *seen = true;
            self.used.push(n);
            buf.resize(n, 0);
        }
        *odd = !*odd;
        let mut words = buf.chunks_exact_mut(8);
        let mut src = bytes.chunks_exact(8);
        for (w, s) in (&mut words).zip(&mut src) {
            let x = u64::from_be_bytes(<[u8; 8]>::try_from(&*w).unwrap_or_default())
                ^ u64::from_be_bytes(<[u8; 8]>::try_from(s).unwrap_or_default());
            w.copy_from_slice(&x.to_be_bytes());
        }
        for (w, s) in words.into_remainder().iter_mut().zip(src.remainder()) {
            *w ^= s;
        }
        true
    }

    /// The XOR of the CRCs of every call folded since the last take; starts over.
    fn take(&mut self) -> u32 {
        let mut acc = 0;
        for n in std::mem::take(&mut self.used) {
            let (Some(buf), Some(odd)) = (self.bufs.get_mut(n), self.odd.get_mut(n)) else {
                continue;
            };
            acc ^= crc32fast::hash(buf);
            if !*odd {
                buf.fill(0);
                acc ^= crc32fast::hash(buf);
            }
            buf.fill(0);
            *odd = false;
            if let Some(seen) = self.seen.get_mut(n) {
                *seen = false;
            }
        }
        acc
    }
}

struct OpenSection {
    tag: Tag,
    /// Absolute position of the section header.
    start: u64,
}

impl Encoder {
    /// An encoder; with `with_crc` it also computes the `metadata.crc` records.
    pub fn new(with_crc: bool) -> Self {
        Encoder {
            out: Vec::new(),
            drained: 0,
            crc: with_crc.then(|| CrcState {
                acc: 0,
                folds: CallFolds::new(),
                records: Vec::new(),
            }),
            section: None,
            patches: Vec::new(),
            spill: None,
        }
    }

    /// From now on, hands the output to `to` whenever it holds `at` bytes or more after
    /// a write call (inside sections too: see [`Encoder::take_patches`]). `to` gives
    /// back the buffer to go on with (e.g. one handed over earlier and already written
    /// out, so the same memory is filled again; its contents are dropped).
    pub fn spill_at(&mut self, at: usize, to: impl FnMut(Vec<u8>) -> Vec<u8> + Send + 'static) {
        self.spill = Some(Spill {
            at,
            to: Box::new(to),
        });
    }

    /// Reserves output capacity.
    pub fn reserve(&mut self, bytes: usize) {
        self.out.reserve(bytes);
    }

    /// One write call: `f` appends the call's bytes.
    #[inline]
    pub fn call(&mut self, f: impl FnOnce(&mut Vec<u8>)) {
        let from = self.out.len();
        f(&mut self.out);
        if let Some(crc) = &mut self.crc {
            let bytes = self.out.get(from..).unwrap_or_default();
            if !crc.folds.add(bytes) {
                crc.acc ^= crc32(bytes);
            }
        }
        self.spill_if_full();
    }

    #[inline]
    fn spill_if_full(&mut self) {
        if let Some(spill) = &mut self.spill {
            if self.out.len() >= spill.at {
                let full = std::mem::take(&mut self.out);
                self.drained += full.len() as u64;
                let mut next = (spill.to)(full);
                next.clear();
                next.reserve(spill.at + SPILL_SLACK);
                self.out = next;
            }
        }
    }

    /// One write call of the given bytes.
    #[inline]
    pub fn put(&mut self, bytes: &[u8]) {
        self.call(|out| out.extend_from_slice(bytes));
    }

    fn close_crc_record(&mut self, tag: Tag) {
        if let Some(crc) = &mut self.crc {
            let acc = crc.acc ^ crc.folds.take();
            crc.records.push((tag, acc));
            crc.acc = 0;
        }
    }

    /// The 8-byte signature and the 16-byte version/id header (the `HEAD` crc record).
    pub fn header(&mut self, signature: &[u8; 8], header: &[u8]) {
        self.put(signature);
        self.put(header);
        self.close_crc_record(Tag(*b"HEAD"));
    }

    /// Starts a section: writes its header with an unknown length.
    pub fn begin_section(&mut self, tag: Tag, version: SectionVersion) {
        debug_assert!(
            self.section.is_none(),
            "section {tag} started inside another"
        );
        let start = self.position();
        self.call(|out| {
            out.extend_from_slice(&tag.0);
            out.extend_from_slice(&version_field(version));
            out.extend_from_slice(&UNKNOWN_LENGTH.to_be_bytes());
        });
        self.section = Some(OpenSection { tag, start });
    }

    /// Ends the open section: patches its length, as the master's seek-back does (which
    /// is one more write call for the crc).
    pub fn end_section(&mut self) {
        let Some(open) = self.section.take() else {
            debug_assert!(false, "end_section without begin_section");
            return;
        };
        let body_len = self.position() - open.start - 16;
        let len_bytes = body_len.to_be_bytes();
        match open.start.checked_sub(self.drained) {
            Some(at) => {
                let at = at as usize;
                if let Some(field) = self.out.get_mut(at + 8..at + 16) {
                    field.copy_from_slice(&len_bytes);
                }
            }
            // The header was handed over already: the caller patches it.
            None => self.patches.push((open.start + 8, len_bytes)),
        }
        if let Some(crc) = &mut self.crc {
            crc.acc ^= crc32(&len_bytes);
        }
        self.close_crc_record(open.tag);
    }

    /// The end marker (the `TAIL` crc record).
    pub fn end_marker(&mut self) {
        self.put(END_MARKER);
        self.close_crc_record(Tag(*b"TAIL"));
    }

    /// Total bytes produced so far.
    pub fn position(&self) -> u64 {
        self.drained + self.out.len() as u64
    }

    /// Hands over the bytes produced so far. Inside a section, its length field is then
    /// not patched in the bytes: it comes from [`Encoder::take_patches`].
    pub fn take_output(&mut self) -> Vec<u8> {
        self.drained += self.out.len() as u64;
        let room = self.spill.as_ref().map_or(0, |s| s.at + SPILL_SLACK);
        std::mem::replace(&mut self.out, Vec::with_capacity(room))
    }

    /// The length fields of ended sections whose header had been handed over (by
    /// [`Encoder::take_output`] or a spill) before they ended: `(absolute position,
    /// bytes)` to write over what was handed over.
    pub fn take_patches(&mut self) -> Vec<(u64, [u8; 8])> {
        std::mem::take(&mut self.patches)
    }

    /// The finished output and the `metadata.crc` records (empty without crc).
    pub fn finish(self) -> (Vec<u8>, Vec<CrcRecord>) {
        (self.out, self.crc.map(|c| c.records).unwrap_or_default())
    }
}

fn crc32(bytes: &[u8]) -> u32 {
    if bytes.is_empty() {
        return 0;
    }
    crc32fast::hash(bytes)
}

/// The `metadata.crc` file: 8 bytes per record, `tag:[u8;4] | crc:u32`.
pub fn encode_crc_file(records: &[CrcRecord]) -> Vec<u8> {
    let mut out = Vec::with_capacity(records.len() * 8);
    for (tag, value) in records {
        out.extend_from_slice(&tag.0);
        out.extend_from_slice(&value.to_be_bytes());
    }
    out
}

/// Parses a `metadata.crc` file. `None` if its length is not a multiple of 8.
pub fn decode_crc_file(bytes: &[u8]) -> Option<Vec<CrcRecord>> {
    if bytes.len() % 8 != 0 {
        return None;
    }
    Some(
        bytes
            .chunks_exact(8)
            .map(|c| {
                let mut tag = [0u8; 4];
                let mut val = [0u8; 4];
                tag.copy_from_slice(c.get(..4).unwrap_or_default());
                val.copy_from_slice(c.get(4..).unwrap_or_default());
                (Tag(tag), u32::from_be_bytes(val))
            })
            .collect(),
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn folded_calls_give_the_xor_of_their_crcs() {
        // Calls of many lengths (some folded, some too long to fold), each length seen an
        // odd or an even number of times, over two records.
        let mut e = Encoder::new(true);
        let mut expected = [0u32; 2];
        let mut state = 12345u32;
        for expected in expected.iter_mut() {
            e.begin_section(Tag::FREE, 0x10);
            *expected = crc32fast::hash(b"FREE 1.0\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF");
            let mut body_len = 0u64;
            for i in 0..2000u32 {
                state = state.wrapping_mul(1_103_515_245).wrapping_add(12345);
                let len = (state >> 16) as usize % (FOLD_MAX + 40) + (i as usize % 2);
                let call: Vec<u8> = (0..len).map(|j| (state >> (j % 24)) as u8).collect();
                *expected ^= crc32fast::hash(&call);
                body_len += len as u64;
                e.put(&call);
            }
            *expected ^= crc32fast::hash(&body_len.to_be_bytes());
            e.end_section();
        }
        let (_, crcs) = e.finish();
        assert_eq!(
            crcs,
            vec![(Tag::FREE, expected[0]), (Tag::FREE, expected[1])]
        );
    }

    #[test]
    fn spilled_output_with_patches_is_the_whole_output() {
        let build = |spill: bool| {
            let mut e = Encoder::new(true);
            let pieces = std::sync::Arc::new(std::sync::Mutex::new(Vec::<Vec<u8>>::new()));
            if spill {
                let p = pieces.clone();
                e.spill_at(10, move |v| {
                    p.lock().unwrap().push(v);
                    Vec::new()
                });
            }
            e.header(b"MFSM 2.0", &[0u8; 16]);
            e.begin_section(Tag::FREE, 0x10);
            for i in 0..20u8 {
                e.put(&[i; 7]);
            }
            e.end_section();
            e.end_marker();
            let patches = e.take_patches();
            let (rest, crcs) = e.finish();
            let mut out: Vec<u8> = pieces.lock().unwrap().concat();
            out.extend_from_slice(&rest);
            for (at, bytes) in patches {
                out[at as usize..at as usize + 8].copy_from_slice(&bytes);
            }
            (out, crcs)
        };
        let whole = build(false);
        assert_eq!(&whole.0[32..40], &140u64.to_be_bytes());
        assert_eq!(build(true), whole);
    }

    #[test]
    fn an_even_number_of_equal_calls_folds_right() {
        let mut e = Encoder::new(true);
        e.begin_section(Tag::FREE, 0x10);
        for _ in 0..4 {
            e.put(b"abc");
        }
        e.end_section();
        let (_, crcs) = e.finish();
        let hash = crc32fast::hash;
        let expected =
            hash(b"FREE 1.0\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF") ^ hash(&12u64.to_be_bytes());
        assert_eq!(crcs, vec![(Tag::FREE, expected)]);
    }

    #[test]
    fn section_length_is_patched_and_crc_follows_calls() {
        let mut e = Encoder::new(true);
        e.header(b"MFSM 2.0", &[0u8; 16]);
        e.begin_section(Tag::FREE, 0x10);
        e.put(&0u32.to_be_bytes());
        e.end_section();
        e.end_marker();
        let (out, crcs) = e.finish();
        assert_eq!(&out[24..32], b"FREE 1.0");
        assert_eq!(&out[32..40], &4u64.to_be_bytes());
        assert_eq!(crcs.len(), 3);
        let expected = crc32fast::hash(b"FREE 1.0\xFF\xFF\xFF\xFF\xFF\xFF\xFF\xFF")
            ^ crc32fast::hash(&[0, 0, 0, 0])
            ^ crc32fast::hash(&4u64.to_be_bytes());
        assert_eq!(crcs[1], (Tag::FREE, expected));
        assert_eq!(crcs[2], (Tag(*b"TAIL"), crc32fast::hash(END_MARKER)));
        let file = encode_crc_file(&crcs);
        assert_eq!(decode_crc_file(&file).unwrap(), crcs);
    }
}
