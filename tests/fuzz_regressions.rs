//! Inputs the fuzzers once crashed on, kept so they never crash again. Each file in
//! `tests/fuzz_regressions/` is named after what it broke; `metadata_*` files go through
//! the metadata decoder and loader, `changelog_*` files through the line parser.

use std::path::Path;

use mfsmeta::format::changelog::parse_line;
use mfsmeta::format::metadata::MetadataFile;
use mfsmeta::model::image::Image;

#[test]
fn fuzz_regressions_do_not_panic() {
    let dir = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/fuzz_regressions");
    let mut seen = 0;
    for entry in std::fs::read_dir(&dir).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        let bytes = std::fs::read(entry.path()).unwrap();
        if name.starts_with("metadata_") {
            if let Ok(file) = MetadataFile::decode(&bytes) {
                let _ = file.encode();
            }
            if let Ok(image) = Image::load(&bytes, 1_700_000_000) {
                let (stored, _) = image.store(1_700_000_000);
                let _ = Image::load(&stored, 1_700_000_000);
            }
        } else if name.starts_with("changelog_") {
            for line in bytes.split_inclusive(|&b| b == b'\n') {
                if let Ok(parsed) = parse_line(line) {
                    let mut out = Vec::new();
                    parsed.write_to(&mut out);
                }
            }
        }
        seen += 1;
    }
    assert!(seen > 0, "no regression inputs found");
}
