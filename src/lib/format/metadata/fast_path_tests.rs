//! Tests of the one-length-check paths of the record decoders: on every record of a real
//! capture, and on every cut of each, they give what the field-by-field paths give.

use std::fmt::Debug;

use super::section::SectionHeader;
use super::{chunks, edges, nodes, DecodeError, Reader, Tag};

/// A record decoder: one record, `None` at the terminator.
type Decode<'a, T> = fn(&mut Reader<'a>, u8) -> Result<Option<T>, DecodeError>;

/// A real capture, with the version and the body's start and end of section `tag`.
fn real_section(tag: Tag) -> (Vec<u8>, u8, usize, usize) {
    let path = std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/real/namespace-rich/master/metadata.mfs");
    let bytes = std::fs::read(&path).unwrap();
    let mut r = Reader::new(&bytes);
    r.advance(8 + 16);
    loop {
        let header = SectionHeader::decode(&mut r).unwrap();
        let start = r.offset() as usize;
        r.sub(header.length.unwrap()).unwrap();
        if header.tag == tag {
            let end = r.offset() as usize;
            return (bytes, header.version(), start, end);
        }
    }
}

/// Walks the records from `at` to the terminator, comparing `fast` and `slow` on each
/// record and each cut of it (results and where they leave the cursor on success);
/// returns the number of records.
fn agree<'a, T: PartialEq + Debug>(
    bytes: &'a [u8],
    version: u8,
    mut at: usize,
    fast: Decode<'a, T>,
    slow: Decode<'a, T>,
) -> usize {
    let mut records = 0;
    loop {
        let mut a = Reader::new(bytes);
        a.advance(at);
        let mut b = a.clone();
        let (ra, rb) = (fast(&mut a, version), slow(&mut b, version));
        assert_eq!(ra, rb, "record at {at}");
        assert_eq!(a.offset(), b.offset(), "record at {at}");
        let end = a.offset() as usize;
        for cut in at..end {
            let part = bytes.get(..cut).unwrap();
            let mut a = Reader::new(part);
            a.advance(at);
            let mut b = a.clone();
            assert_eq!(
                fast(&mut a, version),
                slow(&mut b, version),
                "{at} cut at {cut}"
            );
        }
        match ra.unwrap() {
            Some(_) => records += 1,
            None => return records,
        }
        at = end;
    }
}

#[test]
fn node_records() {
    let (bytes, version, start, _) = real_section(Tag::NODE);
    assert_eq!(version, 0x14);
    let mut r = Reader::new(&bytes);
    r.advance(start);
    nodes::decode_header(&mut r, version).unwrap();
    let n = agree(
        &bytes,
        version,
        r.offset() as usize,
        nodes::decode_node,
        nodes::decode_node_by_field,
    );
    assert!(n > 10);
    // A bad type byte with the whole record there: the same error.
    let at = r.offset() as usize;
    let mut bad = bytes.clone();
    bad[at] = 0x7f;
    let mut a = Reader::new(&bad);
    a.advance(at);
    let mut b = a.clone();
    let ra = nodes::decode_node(&mut a, version);
    assert!(ra.is_err());
    assert_eq!(ra, nodes::decode_node_by_field(&mut b, version));
}

#[test]
fn edge_records() {
    let (bytes, version, start, _) = real_section(Tag::EDGE);
    assert_eq!(version, 0x11);
    let mut r = Reader::new(&bytes);
    r.advance(start);
    edges::decode_header(&mut r, version).unwrap();
    let n = agree(
        &bytes,
        version,
        r.offset() as usize,
        edges::decode_edge,
        edges::decode_edge_by_field,
    );
    assert!(n > 10);
}

#[test]
fn chunk_records() {
    let (bytes, version, start, end) = real_section(Tag::CHNK);
    assert_eq!(version, 0x11);
    let mut r = Reader::new(&bytes);
    r.advance(start);
    r.u64().unwrap();
    let n = agree(
        &bytes,
        version,
        r.offset() as usize,
        chunks::decode_chunk,
        chunks::decode_chunk_by_field,
    );
    assert!(n > 3);
    // A terminator with a non-zero field: the same error either way.
    let mut bad = bytes.clone();
    let last = end - 17;
    bad[last + 16] = 1;
    let mut a = Reader::new(&bad);
    a.advance(last);
    let mut b = a.clone();
    let ra = chunks::decode_chunk(&mut a, version);
    assert!(ra.is_err());
    assert_eq!(ra, chunks::decode_chunk_by_field(&mut b, version));
}
