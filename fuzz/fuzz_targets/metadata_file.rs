//! Arbitrary bytes as a metadata file: decoding, loading and storing never panic, and
//! whatever decodes re-encodes to bytes that decode and re-encode to the same bytes.
#![no_main]

use libfuzzer_sys::fuzz_target;
use mfsmeta::format::metadata::MetadataFile;
use mfsmeta::model::image::Image;

fuzz_target!(|data: &[u8]| {
    if let Ok(file) = MetadataFile::decode(data) {
        let (bytes, _) = file.encode();
        let again = MetadataFile::decode(&bytes).expect("re-encoded file must decode");
        let (bytes2, _) = again.encode();
        assert_eq!(bytes, bytes2, "encoding is not stable");
    }
    if let Ok(image) = Image::load(data, 1_700_000_000) {
        // Storing never fails, and loading what was stored never panics. (It may be
        // refused: the master itself writes files it cannot load back, e.g. an open-file
        // relation of session 0 taken from an old node record.)
        let (bytes, _) = image.store(1_700_000_000);
        let _ = Image::load(&bytes, 1_700_000_000);
    }
});
