//! The pure codec reproduces MooseFS's own bytes: every metadata file captured from
//! MooseFS 3.0.117 in `testdata/` decodes record by record and encodes back to the
//! identical file, and its `metadata.crc` (where captured next to it) is reproduced too.

use std::path::{Path, PathBuf};

use mfsmeta::format::metadata::encoder::encode_crc_file;
use mfsmeta::format::metadata::MetadataFile;

/// Every file under `testdata/` that starts with a MooseFS metadata signature.
fn metadata_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path).is_ok_and(|b| b.starts_with(b"MFSM 2.0")) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

#[test]
fn codec_round_trip_is_byte_identical() {
    let files = metadata_files();
    assert!(!files.is_empty(), "no metadata files found in testdata/");
    for path in files {
        let bytes = std::fs::read(&path).unwrap();
        let decoded =
            MetadataFile::decode(&bytes).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
        let (encoded, crcs) = decoded.encode();
        assert!(
            encoded == bytes,
            "{}: re-encoded file differs",
            path.display()
        );
        let crc_path = path.with_file_name("metadata.crc");
        if path.file_name().is_some_and(|n| n == "metadata.mfs") && crc_path.exists() {
            let expected = std::fs::read(&crc_path).unwrap();
            assert_eq!(encode_crc_file(&crcs), expected, "{}", crc_path.display());
        }
    }
}
