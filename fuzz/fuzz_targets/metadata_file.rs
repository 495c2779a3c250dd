//! Arbitrary bytes as a metadata file: decoding and loading never panic, and whatever
//! decodes re-encodes to bytes that decode to the same records.
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
        let (bytes, _) = image.store(1_700_000_000);
        Image::load(&bytes, 1_700_000_000).expect("stored image must load");
    }
});
