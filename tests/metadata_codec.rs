//! The pure codecs reproduce MooseFS's own bytes: every metadata file captured from
//! MooseFS 3.0.117 in `testdata/` decodes record by record and encodes back to the
//! identical file (and its `metadata.crc`), and every changelog line parses and formats
//! back to the identical line.

mod harness;
mod support;

#[test]
fn metadata_codec_round_trip_is_byte_identical() {
    let files = support::metadata_files(&support::testdata());
    assert!(!files.is_empty(), "no metadata files found in testdata/");
    if let Err(report) = support::check_all(&files, support::check_codec_round_trip) {
        panic!("{report}");
    }
}

#[test]
fn changelog_lines_round_trip() {
    let files = support::changelog_files(&support::testdata());
    assert!(!files.is_empty(), "no changelog files found in testdata/");
    if let Err(report) = support::check_all(&files, support::check_changelog_round_trip) {
        panic!("{report}");
    }
}
