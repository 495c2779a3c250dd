//! Changelog lines through the public API: every line of every changelog file
//! under `testdata/` (real captures and hand-made files) must read and write
//! back to the same bytes, a line with a bad body still yields its id, escaped
//! fields decode to what the writer escaped, and the SNAPSHOT gid list quirk
//! of 3.0.117 is what the real `mfsmaster -a restore` does.

mod harness;

use std::fs;
use std::path::{Path, PathBuf};

use mfsmeta::format::changelog::{
    escape_into, parse_body, parse_line, split_id, Escaped, FieldKind, LineErrorKind, Op,
    RestoreEffect, SnapshotGids,
};

/// All files named `changelog*.mfs` below `dir`, sorted.
fn changelog_files(dir: &Path) -> Vec<PathBuf> {
    let mut found = Vec::new();
    let mut pending = vec![dir.to_path_buf()];
    while let Some(dir) = pending.pop() {
        let Ok(entries) = fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                pending.push(path);
            } else if path
                .file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("changelog") && n.ends_with(".mfs"))
            {
                found.push(path);
            }
        }
    }
    found.sort();
    found
}

#[test]
fn every_testdata_changelog_line_round_trips() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata");
    let files = changelog_files(&root);
    let mut lines = 0usize;
    let mut out = Vec::new();
    for file in &files {
        let data = fs::read(file).expect("readable changelog");
        for (number, line) in data.split_inclusive(|&b| b == b'\n').enumerate() {
            let parsed = parse_line(line).unwrap_or_else(|e| {
                panic!(
                    "{}:{}: {e}: {}",
                    file.display(),
                    number + 1,
                    String::from_utf8_lossy(line)
                )
            });
            out.clear();
            parsed.write_to(&mut out);
            let expected_len = out.len() - usize::from(!line.ends_with(b"\n"));
            assert_eq!(
                out.get(..expected_len),
                Some(line),
                "{}:{} does not write back identically",
                file.display(),
                number + 1
            );
            lines += 1;
        }
    }
    eprintln!(
        "{} changelog lines in {} files round-tripped",
        lines,
        files.len()
    );
}

#[test]
fn a_bad_body_still_has_its_id() {
    let line = b"41: 1700000041|UNLINK(1,bad%zz):2\n";
    let e = parse_line(line).unwrap_err();
    assert_eq!(e.kind(), LineErrorKind::BadHexEscape);
    assert_eq!(e.offset(), 27);
    assert_eq!(e.restore_effect(), RestoreEffect::SkipLine);
    let (id, body) = split_id(line).unwrap();
    assert_eq!(id, 41);
    let e = parse_body(id, body).unwrap_err();
    assert_eq!(e.offset(), 23);
}

#[test]
fn escaped_names_decode_to_what_was_written() {
    let raw_name: &[u8] = b"we(i)rd, 100% \x01\xC3\xA9";
    let mut text = b"7: 1700000007|UNLINK(1,".to_vec();
    escape_into(raw_name, &mut text);
    text.extend_from_slice(b"):9\n");
    assert_eq!(
        text,
        b"7: 1700000007|UNLINK(1,we%28i%29rd%2C 100%25 %01%C3%A9):9\n".to_vec()
    );
    let line = parse_line(&text).unwrap();
    let Op::Unlink { name, inode, .. } = line.op else {
        panic!("not UNLINK: {line:?}")
    };
    assert_eq!(inode, 9);
    assert_eq!(name.len(), raw_name.len());
    assert_eq!(name.as_plain(), None);
    let mut scratch = Vec::new();
    assert_eq!(name.decode(&mut scratch), raw_name);
    let mut fixed = [0u8; 255];
    let n = name.unescape_to(&mut fixed).unwrap();
    assert_eq!(&fixed[..n], raw_name);

    // Building a line from parts gives the same text.
    let built = Escaped::new(FieldKind::Name, name.as_escaped()).unwrap();
    assert_eq!(built, name);
}

#[test]
fn plain_names_are_borrowed_from_the_line() {
    let text = b"1: 1700000000|CREATE(1,hello.txt,1,420,18,1000,1000,0):2\n";
    let line = parse_line(text).unwrap();
    let Op::Create { name, .. } = line.op else {
        panic!("not CREATE")
    };
    let plain = name.as_plain().unwrap();
    assert_eq!(plain, b"hello.txt");
    // Same memory as the input: nothing was copied.
    assert!(text.as_ptr_range().contains(&plain.as_ptr()));
}

/// The gid a `mfsmetadump` NODE record gives to `inode`.
fn dumped_gid(dump: &str, inode: u32) -> Option<u32> {
    let tag = format!("|i:{inode:>10}|");
    let record = dump
        .lines()
        .find(|l| l.starts_with("NODE|") && l.contains(&tag))?;
    let gid = record.split('|').find_map(|f| f.strip_prefix("g:"))?;
    gid.trim().parse().ok()
}

/// 3.0.117's restore skips the first digit of every number of a SNAPSHOT gid
/// list (`[1234,56]` gives gid 234): checked against the real
/// `mfsmaster -a restore`, through the owner of snapshot copies made by a user
/// who neither is root nor owns the source (they get `gid[0]`).
#[test]
fn real_snapshot_gid_lists_lose_their_first_digit() {
    if !harness::require_real_mfs("real_snapshot_gid_lists_lose_their_first_digit") {
        return;
    }
    let base = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/handmade/empty-plus-4-lines");
    let dir = harness::TempDir::new("gid-quirk").expect("temp dir");
    fs::copy(base.join("metadata.mfs"), dir.path().join("metadata.mfs")).expect("metadata");
    // Lines 1-4 create inode 2 (uid 1000, mode 0644) with one chunk.
    let mut changelog = fs::read(base.join("changelog.0.mfs")).expect("changelog");
    let extra: &[u8] = b"5: 1700000010|CREATE(1,d,2,511,0,0,0,0):3\n\
        6: 1700000011|SNAPSHOT(2,3,copy1,0,0,2000,[3000,1234],0)\n\
        7: 1700000012|SNAPSHOT(2,3,copy2,0,0,2000,[1234,56],0)\n";
    changelog.extend_from_slice(extra);
    fs::write(dir.path().join("changelog.0.mfs"), &changelog).expect("write changelog");

    let restored = harness::mfsmaster_restore(dir.path()).expect("mfsmaster -a restore");
    let dump = harness::oracle::mfsmetadump(&restored).expect("mfsmetadump");
    for (line, inode) in extra.split_inclusive(|&b| b == b'\n').skip(1).zip([4, 5]) {
        let Op::Snapshot {
            gids: SnapshotGids::List(list),
            ..
        } = parse_line(line).unwrap().op
        else {
            panic!("not a SNAPSHOT with a gid list")
        };
        let first_written = list.written().next();
        let first_restored = list.restored().next();
        assert_ne!(first_written, first_restored);
        assert_eq!(
            dumped_gid(&dump, inode),
            first_restored,
            "inode {inode}:\n{dump}"
        );
    }
}
