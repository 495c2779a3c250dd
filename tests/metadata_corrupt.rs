//! Damaged metadata files are refused with an error that names the section and byte
//! offset, and never make the decoder panic: every truncation at and around every
//! section boundary, every single flipped byte, and section lengths one off.

use std::path::{Path, PathBuf};

use mfsmeta::format::metadata::section::SectionHeader;
use mfsmeta::format::metadata::{DecodeErrorKind, MetadataFile};

fn sample() -> Vec<u8> {
    let path: PathBuf = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/handmade/empty-plus-4-lines/metadata.mfs");
    std::fs::read(path).unwrap()
}

/// Offsets of the section headers (and of the end marker) of a valid file.
fn section_offsets(bytes: &[u8]) -> Vec<(usize, u64)> {
    let MetadataFile::Formatted { sections, .. } = MetadataFile::decode(bytes).unwrap() else {
        panic!("sample is not a formatted file")
    };
    let mut out: Vec<(usize, u64)> = sections
        .iter()
        .map(|s: &mfsmeta::format::metadata::Section<'_>| {
            let h: SectionHeader = s.info.header;
            (h.offset as usize, h.length.unwrap())
        })
        .collect();
    out.push((bytes.len() - 16, 0));
    out
}

#[test]
fn every_truncation_is_an_error() {
    let bytes = sample();
    for len in 0..bytes.len() {
        let err = MetadataFile::decode(&bytes[..len]).expect_err(&format!("prefix of {len} bytes"));
        assert!(
            err.offset <= len as u64,
            "offset {} past the end {len}",
            err.offset
        );
        let text = err.to_string();
        assert!(text.contains("byte"), "{text}");
    }
}

#[test]
fn truncation_inside_a_section_names_it() {
    let bytes = sample();
    for (offset, length) in section_offsets(&bytes) {
        if length == 0 {
            continue;
        }
        let cut = offset + 16 + length as usize / 2;
        let err = MetadataFile::decode(&bytes[..cut]).unwrap_err();
        assert!(err.section.is_some(), "cut at {cut}: {err}");
        assert!(
            matches!(err.kind, DecodeErrorKind::Truncated { .. }),
            "cut at {cut}: {err}"
        );
    }
}

#[test]
fn flipped_bytes_never_panic() {
    let bytes = sample();
    for i in 0..bytes.len() {
        for mask in [0xFFu8, 0x01, 0x80] {
            let mut damaged = bytes.clone();
            damaged[i] ^= mask;
            // Either outcome is fine; a panic fails the test.
            if let Ok(file) = MetadataFile::decode(&damaged) {
                let (again, _) = file.encode();
                assert!(
                    MetadataFile::decode(&again).is_ok(),
                    "byte {i}: re-encoded file does not decode"
                );
            }
        }
    }
}

#[test]
fn section_length_off_by_one_is_refused() {
    let bytes = sample();
    for (offset, length) in section_offsets(&bytes) {
        if length == 0 {
            continue;
        }
        for wrong in [length - 1, length + 1] {
            let mut damaged = bytes.clone();
            damaged[offset + 8..offset + 16].copy_from_slice(&wrong.to_be_bytes());
            let err = MetadataFile::decode(&damaged)
                .expect_err(&format!("section at {offset} with length {wrong}"));
            assert!(
                err.section.is_some() || err.offset >= offset as u64,
                "{err}"
            );
        }
    }
}

#[test]
fn bad_signature_and_trailing_bytes_are_refused() {
    let mut bytes = sample();
    bytes[5] = b'0';
    let err = MetadataFile::decode(&bytes).unwrap_err();
    assert!(
        matches!(err.kind, DecodeErrorKind::BadSignature { .. }),
        "{err}"
    );
    let mut bytes = sample();
    bytes.push(0);
    let err = MetadataFile::decode(&bytes).unwrap_err();
    assert!(
        matches!(err.kind, DecodeErrorKind::TrailingData { len: 1 }),
        "{err}"
    );
}
