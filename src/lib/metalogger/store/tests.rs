//! Store-level tests: real files in temporary folders under `std::env::temp_dir()`.

use std::fs;
use std::path::{Path, PathBuf};

/// A temporary folder removed on drop.
pub(crate) struct TestDir(PathBuf);

impl TestDir {
    pub fn new(what: &str) -> TestDir {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let path = std::env::temp_dir().join(format!(
            "mfsmeta-store-{what}-{}-{}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = fs::remove_dir_all(&path);
        fs::create_dir_all(&path).unwrap();
        TestDir(path)
    }
    pub fn path(&self) -> &Path {
        &self.0
    }
    pub fn write(&self, name: &str, text: impl AsRef<[u8]>) {
        fs::write(self.0.join(name), text).unwrap();
    }
    pub fn read(&self, name: &str) -> String {
        String::from_utf8_lossy(&fs::read(self.0.join(name)).unwrap()).into_owned()
    }
    pub fn exists(&self, name: &str) -> bool {
        self.0.join(name).exists()
    }
    /// (name, content) of the files at the top level, sorted; folders as `name/`.
    pub fn listing(&self) -> Vec<(String, String)> {
        let mut v: Vec<(String, String)> = fs::read_dir(&self.0)
            .unwrap()
            .map(|e| {
                let e = e.unwrap();
                let name = e.file_name().into_string().unwrap();
                if e.file_type().unwrap().is_dir() {
                    (format!("{name}/"), String::new())
                } else {
                    let text = String::from_utf8_lossy(&fs::read(e.path()).unwrap()).into_owned();
                    (name, text)
                }
            })
            .collect();
        v.sort();
        v
    }
    pub fn names(&self) -> Vec<String> {
        self.listing().into_iter().map(|(n, _)| n).collect()
    }
}

impl Drop for TestDir {
    fn drop(&mut self) {
        let _ = fs::remove_dir_all(&self.0);
    }
}

use super::*;

pub(crate) fn settings(back_logs: u32, keep: u32) -> StoreSettings {
    StoreSettings {
        back_logs,
        back_meta_keep_previous: keep,
    }
}

/// A metadata file that passes the header/trailer check (not the body decode), with
/// the given version and id: enough for what `open` looks at.
pub(crate) fn fake_metadata(version: u64, id: u64) -> Vec<u8> {
    let mut v = b"MFSM 2.0".to_vec();
    v.extend_from_slice(&version.to_be_bytes());
    v.extend_from_slice(&id.to_be_bytes());
    v.extend_from_slice(b"(body)");
    v.extend_from_slice(b"[MFS EOF MARKER]");
    v
}

fn repo_file(rel: &str) -> Vec<u8> {
    fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join(rel)).unwrap()
}

/// A real image stored by mfsmaster 3.0.117 (id 0x6B02C88D28969769).
pub(crate) fn real_metadata() -> Vec<u8> {
    repo_file("testdata/real/namespace-rich/metalogger/metadata_ml.mfs.back")
}
const REAL_ID: u64 = 0x6B02_C88D_2896_9769;

/// Another real image, of another file system.
fn other_real_metadata() -> Vec<u8> {
    repo_file("testdata/real/open-files-locks-sessions/metalogger/metadata_ml.mfs.back")
}

/// Appends versions `from..=to` with a text that names the version.
fn feed(store: &mut Store, from: u64, to: u64) {
    for v in from..=to {
        assert_eq!(
            store
                .append(v, format!("17953|OP({v})").as_bytes())
                .unwrap(),
            Appended::Logged
        );
    }
}

fn lines(from: u64, to: u64) -> String {
    (from..=to)
        .map(|v| format!("{v}: 17953|OP({v})\n"))
        .collect()
}

fn download(store: &mut Store, file: FileNum, bytes: &[u8]) -> Result<Finished, StoreError> {
    store.start_download(file, bytes.len() as u64)?;
    let mut offset = 0;
    for block in bytes.chunks(1000) {
        store.write_block(offset, block)?;
        offset += block.len() as u64;
    }
    store.finish_download()
}

#[test]
fn changes_are_written_as_lines_and_the_file_appears_with_the_first_change() {
    let d = TestDir::new("lines");
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    assert_eq!(s.last_version(), 0);
    assert!(d.names().is_empty(), "nothing is created before a change");
    s.append(10, b"1795335903|MOVE(2,file_a,2,file_b):3")
        .unwrap();
    s.append(11, b"1795335904|SESDEL(8)").unwrap();
    s.flush().unwrap();
    assert_eq!(
        d.read(CHANGELOG_0),
        "10: 1795335903|MOVE(2,file_a,2,file_b):3\n11: 1795335904|SESDEL(8)\n"
    );
    assert_eq!(s.last_version(), 11);
    let mode = {
        use std::os::unix::fs::PermissionsExt;
        fs::metadata(d.path().join(CHANGELOG_0))
            .unwrap()
            .permissions()
            .mode()
    };
    // 0666 filtered by the umask of the test process.
    // SAFETY: umask only reads and sets the process mask; it is put back at once.
    let umask = unsafe {
        let m = libc::umask(0o022);
        libc::umask(m);
        m
    };
    assert_eq!(mode & 0o777, 0o666 & !umask);
}

#[test]
fn rotation_closes_the_log_and_the_next_change_makes_a_new_one() {
    let d = TestDir::new("rotate");
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    feed(&mut s, 1, 3);
    s.rotate().unwrap();
    assert_eq!(
        d.names(),
        vec!["changelog_ml.1.mfs"],
        "no new .0 after a rotation"
    );
    s.rotate().unwrap();
    assert_eq!(
        d.names(),
        vec!["changelog_ml.2.mfs"],
        "a quiet hour leaves a hole"
    );
    feed(&mut s, 4, 5);
    s.flush().unwrap();
    assert_eq!(d.read("changelog_ml.2.mfs"), lines(1, 3));
    assert_eq!(d.read(CHANGELOG_0), lines(4, 5));
}

#[test]
fn a_gap_moves_the_changelogs_aside_and_forgets_the_version() {
    let d = TestDir::new("gap");
    d.write(METADATA_BACK, fake_metadata(1, 7));
    d.write(CHANGELOG_BACK_0, "");
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    feed(&mut s, 1, 10);
    s.rotate().unwrap();
    feed(&mut s, 11, 12);
    d.write("changelog_ml.77.mfs", "1: old\n");
    let got = s.append(15, b"x").unwrap();
    let Appended::Gap {
        have,
        got,
        moved_to,
    } = got
    else {
        panic!("expected a gap, got {got:?}");
    };
    assert_eq!((have, got), (12, 15));
    assert_eq!(s.last_version(), 0);
    let folder = moved_to.file_name().unwrap().to_str().unwrap().to_string();
    assert!(folder.starts_with("gap-") && folder.len() == "gap-20261122-133400".len());
    // Our changelogs are gone from the top level (all numbers); the files they build on
    // stay, and are linked into the subfolder too.
    assert_eq!(
        d.names(),
        vec![
            CHANGELOG_BACK_0.to_string(),
            format!("{folder}/"),
            METADATA_BACK.to_string()
        ]
    );
    let mut inside: Vec<String> = fs::read_dir(&moved_to)
        .unwrap()
        .map(|e| e.unwrap().file_name().into_string().unwrap())
        .collect();
    inside.sort();
    assert_eq!(
        inside,
        vec![
            "changelog_ml.0.mfs",
            "changelog_ml.1.mfs",
            "changelog_ml.77.mfs",
            "changelog_ml_back.0.mfs",
            "metadata_ml.mfs.back"
        ]
    );
    assert_eq!(
        fs::read_to_string(moved_to.join(CHANGELOG_0)).unwrap(),
        lines(11, 12)
    );
    // The next change starts a new stream in a new file.
    feed(&mut s, 20, 21);
    s.flush().unwrap();
    assert_eq!(d.read(CHANGELOG_0), lines(20, 21));
}

#[test]
fn repeated_and_backward_versions_are_gaps_too() {
    for next in [5, 3] {
        let d = TestDir::new("gap-back");
        let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
        feed(&mut s, 1, 5);
        let r = s.append(next, b"x").unwrap();
        assert!(
            matches!(r, Appended::Gap { have: 5, got, .. } if got == next),
            "{r:?}"
        );
        assert_eq!(s.last_version(), 0);
        assert!(!d.exists(CHANGELOG_0));
    }
}

#[test]
fn a_restart_after_a_kill_mid_line_cuts_the_torn_line_and_resumes() {
    let d = TestDir::new("torn");
    d.write(METADATA_BACK, fake_metadata(1, 7));
    d.write(
        CHANGELOG_0,
        format!("{}{}", lines(1, 41), "42: 1795336477|CREATE(12013,d_003"),
    );
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    assert_eq!(d.read(CHANGELOG_0), lines(1, 41), "torn line cut at open");
    assert_eq!(s.last_version(), 41);
    feed(&mut s, 42, 43);
    s.close_log().unwrap();
    assert_eq!(d.read(CHANGELOG_0), lines(1, 43));
}

#[test]
fn without_metadata_to_restore_from_there_is_no_resume() {
    let d = TestDir::new("no-meta");
    d.write(CHANGELOG_0, lines(1, 5));
    assert_eq!(
        Store::open(d.path(), settings(5, 3))
            .unwrap()
            .last_version(),
        0
    );
    d.write(METADATA_TMP, b"MFSM NEW");
    assert_eq!(
        Store::open(d.path(), settings(5, 3))
            .unwrap()
            .last_version(),
        5,
        "a fresh file system's placeholder is a base (version 1), as for mfsmaster -a"
    );
    d.write(METADATA_TMP, b"MFSM 2.0 truncated");
    assert_eq!(
        Store::open(d.path(), settings(5, 3))
            .unwrap()
            .last_version(),
        0
    );
}

#[test]
fn a_restart_after_a_rotation_resumes_from_the_newest_rotated_file() {
    let d = TestDir::new("after-rotate");
    d.write(METADATA_BACK, fake_metadata(1, 7));
    d.write("changelog_ml.2.mfs", lines(1, 10));
    d.write("changelog_ml.4.mfs", lines(1, 3));
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    assert_eq!(s.last_version(), 10);
    feed(&mut s, 11, 12);
    s.flush().unwrap();
    assert_eq!(d.read(CHANGELOG_0), lines(11, 12));
}

#[test]
fn no_resume_across_a_hole_left_by_an_unfinished_download() {
    // rver 1 at change 100 with an old image (version 1) and an old changelog_ml_back.0
    // (1..=50): the download that would have filled 51..99 never finished.
    let d = TestDir::new("hole");
    d.write(METADATA_BACK, fake_metadata(1, 7));
    d.write(CHANGELOG_BACK_0, lines(1, 50));
    d.write(CHANGELOG_0, lines(100, 120));
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    assert_eq!(
        s.last_version(),
        0,
        "resuming would leave 51..99 missing for good"
    );
    // The fresh stream goes to a new file; the old one is kept (rotated).
    feed(&mut s, 130, 131);
    s.flush().unwrap();
    assert_eq!(d.read("changelog_ml.1.mfs"), lines(100, 120));
    assert_eq!(d.read(CHANGELOG_0), lines(130, 131));
    // Once the hole is filled (say a download brought 1..=120), resuming is safe.
    drop(s);
    d.write(CHANGELOG_BACK_0, lines(1, 129));
    assert_eq!(
        Store::open(d.path(), settings(5, 3))
            .unwrap()
            .last_version(),
        131
    );
}

#[test]
fn a_jump_inside_a_file_left_by_mfsmetalogger_is_a_hole_unless_covered() {
    let d = TestDir::new("jump");
    d.write(METADATA_BACK, fake_metadata(5, 7));
    d.write(CHANGELOG_0, lines(5, 10) + &lines(14, 20));
    assert_eq!(
        Store::open(d.path(), settings(5, 3))
            .unwrap()
            .last_version(),
        0
    );
    d.write(CHANGELOG_BACK_1, lines(1, 13));
    assert_eq!(
        Store::open(d.path(), settings(5, 3))
            .unwrap()
            .last_version(),
        20
    );
}

#[test]
fn metadata_download_rotates_backups_and_sets_the_id() {
    for keep in [0u32, 2] {
        let d = TestDir::new("dl-meta");
        d.write(METADATA_BACK, "old-0");
        d.write(&names::metadata_backup(1), "old-1");
        d.write(&names::metadata_backup(2), "old-2");
        let mut s = Store::open(d.path(), settings(5, keep)).unwrap();
        let image = real_metadata();
        let r = download(&mut s, FileNum::Metadata, &image).unwrap();
        assert!(
            matches!(
                r,
                Finished::Metadata {
                    meta_id: REAL_ID,
                    ..
                }
            ),
            "{r:?}"
        );
        assert_eq!(s.meta_id(), Some(REAL_ID));
        assert_eq!(fs::read(d.path().join(METADATA_BACK)).unwrap(), image);
        assert!(!d.exists(METADATA_TMP));
        if keep == 0 {
            assert_eq!(d.read("metadata_ml.mfs.back.1"), "old-1");
            assert_eq!(d.read("metadata_ml.mfs.back.2"), "old-2");
        } else {
            assert_eq!(d.read("metadata_ml.mfs.back.1"), "old-0");
            assert_eq!(d.read("metadata_ml.mfs.back.2"), "old-1");
        }
    }
}

#[test]
fn a_damaged_image_is_removed_and_replaces_nothing() {
    let d = TestDir::new("dl-bad");
    let good = real_metadata();
    d.write(METADATA_BACK, &good);
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    // Header and trailer fine (mfsmetalogger would keep it), a body byte flipped.
    // The first section's length field (after the 24-byte file header, the 4-byte tag
    // and the 4-byte version) made far too large.
    let mut bad = good.clone();
    bad[24 + 8 + 2] ^= 0x40;
    let r = download(&mut s, FileNum::Metadata, &bad).unwrap();
    assert!(
        matches!(&r, Finished::InvalidMetadata { reason } if reason.contains("byte")),
        "{r:?}"
    );
    // Truncated: the trailer is missing.
    let r = download(&mut s, FileNum::Metadata, &good[..good.len() - 5]).unwrap();
    assert_eq!(
        r,
        Finished::InvalidMetadata {
            reason: "truncated metadata file !!!".into()
        }
    );
    let r = download(&mut s, FileNum::Metadata, b"NOT MFS AT ALL").unwrap();
    assert_eq!(
        r,
        Finished::InvalidMetadata {
            reason: "bad metadata file format".into()
        }
    );
    assert_eq!(d.names(), vec![METADATA_BACK.to_string()]);
    assert_eq!(fs::read(d.path().join(METADATA_BACK)).unwrap(), good);
}

#[test]
fn the_new_file_system_placeholder_stays_as_in_mfsmetalogger() {
    let d = TestDir::new("dl-new");
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    let r = download(&mut s, FileNum::Metadata, b"MFSM NEW").unwrap();
    assert!(matches!(r, Finished::InvalidMetadata { .. }));
    assert_eq!(d.read(METADATA_TMP), "MFSM NEW");
}

#[test]
fn a_foreign_image_is_refused_until_the_old_files_are_moved_away() {
    let d = TestDir::new("dl-foreign");
    d.write(METADATA_BACK, real_metadata());
    d.write(CHANGELOG_0, lines(100, 105));
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    assert_eq!(s.meta_id(), Some(REAL_ID));
    assert_eq!(s.last_version(), 0, "2..=99 are missing: no resume");
    let other = other_real_metadata();
    let r = download(&mut s, FileNum::Metadata, &other).unwrap();
    let Finished::ForeignMetadata { ours, theirs } = r else {
        panic!("{r:?}")
    };
    assert_eq!(ours, REAL_ID);
    assert_ne!(theirs, REAL_ID);
    assert_eq!(
        fs::read(d.path().join(METADATA_BACK)).unwrap(),
        real_metadata()
    );
    assert!(
        !d.exists(METADATA_TMP),
        "mfsmaster -a must not meet two ids"
    );
    assert_eq!(d.read(CHANGELOG_0), lines(100, 105));
    assert!(matches!(
        s.append(902, b"x"),
        Err(StoreError::ForeignMaster { .. })
    ));
    // The operator moves the old files away; the next download is taken.
    fs::remove_file(d.path().join(METADATA_BACK)).unwrap();
    fs::remove_file(d.path().join(CHANGELOG_0)).unwrap();
    let r = download(&mut s, FileNum::Metadata, &other).unwrap();
    assert!(
        matches!(r, Finished::Metadata { meta_id, .. } if meta_id == theirs),
        "{r:?}"
    );
    assert_eq!(s.meta_id(), Some(theirs));
    assert_eq!(s.append(902, b"x").unwrap(), Appended::Logged);
}

#[test]
fn changelog_downloads_become_the_back_files() {
    let d = TestDir::new("dl-cl");
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    let r = download(&mut s, FileNum::Changelog0, lines(1, 3).as_bytes()).unwrap();
    assert_eq!(
        r,
        Finished::Changelog {
            name: CHANGELOG_BACK_0
        }
    );
    let r = download(&mut s, FileNum::Changelog1, b"").unwrap();
    assert_eq!(
        r,
        Finished::Changelog {
            name: CHANGELOG_BACK_1
        }
    );
    assert_eq!(d.read(CHANGELOG_BACK_0), lines(1, 3));
    assert_eq!(d.read(CHANGELOG_BACK_1), "");
    assert!(!d.exists(CHANGELOG_TMP));
    // Cut short: the temp file goes, the last good copy stays.
    s.start_download(FileNum::Changelog0, 100).unwrap();
    s.write_block(0, b"1: x\n").unwrap();
    assert!(d.exists(CHANGELOG_TMP));
    s.abort_download();
    assert!(!d.exists(CHANGELOG_TMP));
    assert_eq!(d.read(CHANGELOG_BACK_0), lines(1, 3));
    // Finished early: refused.
    s.start_download(FileNum::Changelog0, 100).unwrap();
    s.write_block(0, b"1: x\n").unwrap();
    assert!(matches!(
        s.finish_download(),
        Err(StoreError::Incomplete {
            expected: 100,
            got: 5,
            ..
        })
    ));
    assert!(matches!(
        s.write_block(0, b"x"),
        Err(StoreError::NoDownload { .. })
    ));
    assert!(matches!(
        s.start_download(FileNum::Sessions, 1),
        Err(StoreError::NotDownloadable(_))
    ));
}

#[test]
fn a_block_past_the_announced_size_is_refused() {
    let d = TestDir::new("dl-past");
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    s.start_download(FileNum::Changelog0, 4).unwrap();
    assert!(s.write_block(2, b"abc").is_err());
    assert!(s.write_block(u64::MAX, b"a").is_err());
}

#[test]
fn bytes_used_counts_files_and_gap_folders() {
    let d = TestDir::new("bytes");
    d.write(METADATA_BACK, "12345");
    fs::create_dir(d.path().join("gap-x")).unwrap();
    fs::write(d.path().join("gap-x/changelog_ml.0.mfs"), "abc").unwrap();
    fs::create_dir(d.path().join("other")).unwrap();
    fs::write(d.path().join("other/big"), "abcdefgh").unwrap();
    fs::hard_link(
        d.path().join(METADATA_BACK),
        d.path().join("gap-x").join(METADATA_BACK),
    )
    .unwrap();
    let s = Store::open(d.path(), settings(5, 3)).unwrap();
    assert_eq!(
        s.bytes_used(),
        8,
        "a hard link counts once, other folders not at all"
    );
}

#[test]
fn only_the_newest_gap_folders_are_kept() {
    let d = TestDir::new("gap-prune");
    for old in [
        "gap-20200101-000000",
        "gap-20200101-000001",
        "gap-20200101-000001.1",
    ] {
        fs::create_dir(d.path().join(old)).unwrap();
    }
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    feed(&mut s, 1, 2);
    let Appended::Gap { moved_to, .. } = s.append(5, b"x").unwrap() else {
        panic!("no gap")
    };
    let new = format!("{}/", moved_to.file_name().unwrap().to_str().unwrap());
    assert_eq!(
        d.names(),
        vec![
            "gap-20200101-000001.1/".to_string(),
            "gap-20200101-000001/".to_string(),
            new
        ]
        .into_iter()
        .collect::<std::collections::BTreeSet<_>>()
        .into_iter()
        .collect::<Vec<_>>()
    );
}

#[test]
fn a_gap_keeps_the_new_file_system_placeholder_even_when_a_download_follows() {
    let d = TestDir::new("gap-new");
    d.write(METADATA_TMP, b"MFSM NEW");
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    feed(&mut s, 1, 3);
    let Appended::Gap { moved_to, .. } = s.append(9, b"x").unwrap() else {
        panic!("no gap")
    };
    // The next download of file 1 writes metadata_ml.tmp again: the gap folder's copy
    // must not change with it.
    s.start_download(FileNum::Metadata, 3).unwrap();
    s.write_block(0, b"abc").unwrap();
    assert_eq!(fs::read(moved_to.join(METADATA_TMP)).unwrap(), b"MFSM NEW");
    assert_eq!(
        fs::read_to_string(moved_to.join(CHANGELOG_0)).unwrap(),
        lines(1, 3)
    );
}

#[test]
fn a_store_refuses_changes_past_its_memory_bound_without_moving_the_version() {
    let d = TestDir::new("backlog");
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    s.log.set_limit(64);
    feed(&mut s, 1, 2);
    let before = s.last_version();
    let mut refused = None;
    for v in 3..20 {
        match s.append(v, b"17953|OP(with some text)") {
            Ok(Appended::Logged) => {}
            Ok(other) => panic!("{other:?}"),
            Err(e) => {
                refused = Some((v, e));
                break;
            }
        }
    }
    let (v, e) = refused.expect("the bound was never reached");
    assert!(matches!(e, StoreError::Backlog { .. }), "{e}");
    assert_eq!(s.last_version(), v - 1, "the refused change is not counted");
    assert!(before < v);
    // While memory is full, a later version is refused too, not taken for a gap: the
    // session reconnects and the master replays from last + 1.
    assert!(matches!(
        s.append(v + 3, b"17953|OP(with some text)"),
        Err(StoreError::Backlog { .. })
    ));
    assert_eq!(s.last_version(), v - 1);
    // Once the lines are written, the replayed change is taken.
    s.flush().unwrap();
    assert_eq!(s.append(v, b"again").unwrap(), Appended::Logged);
}

/// A tmpfs of a few pages mounted for one test (root only); unmounted on drop.
struct SmallTmpfs {
    dir: TestDir,
}

impl SmallTmpfs {
    fn mount(what: &str, size: &str) -> Option<SmallTmpfs> {
        // SAFETY: geteuid has no preconditions.
        if unsafe { libc::geteuid() } != 0 {
            eprintln!("SKIPPED {what}: needs root to mount a tmpfs");
            return None;
        }
        let dir = TestDir::new(what);
        let ok = std::process::Command::new("mount")
            .args(["-t", "tmpfs", "-o", &format!("size={size}"), "tmpfs"])
            .arg(dir.path())
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            eprintln!("SKIPPED {what}: mount -t tmpfs failed");
            return None;
        }
        Some(SmallTmpfs { dir })
    }
}

impl Drop for SmallTmpfs {
    fn drop(&mut self) {
        let _ = std::process::Command::new("umount")
            .arg(self.dir.path())
            .status();
    }
}

#[test]
fn a_full_disk_loses_no_change_and_leaves_no_torn_line() {
    let Some(fs_) = SmallTmpfs::mount("full-disk", "64k") else {
        return;
    };
    let d = &fs_.dir;
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    feed(&mut s, 1, 10);
    s.flush().unwrap();
    // Fill the rest of the file system.
    {
        use std::io::Write;
        let mut f = fs::File::create(d.path().join("filler")).unwrap();
        let block = vec![0u8; 4096];
        while f.write_all(&block).is_ok() {}
    }
    feed(&mut s, 11, 2000);
    s.flush().unwrap(); // not an error: the lines wait
    let on_disk = d.read(CHANGELOG_0);
    assert!(on_disk.ends_with('\n'), "no torn line on a full disk");
    assert!(on_disk.starts_with(&lines(1, 10)));
    assert!(
        on_disk.len() < lines(1, 2000).len(),
        "the disk really was full"
    );
    assert_eq!(s.last_version(), 2000);
    // Room again: everything arrives, in order, once.
    fs::remove_file(d.path().join("filler")).unwrap();
    s.flush().unwrap();
    assert_eq!(d.read(CHANGELOG_0), lines(1, 2000));
    drop(s);
}

#[test]
fn changes_wait_in_memory_while_the_log_cannot_be_opened() {
    let d = TestDir::new("no-open");
    // A folder where the file should be: opening it for appending fails.
    fs::create_dir(d.path().join(CHANGELOG_0)).unwrap();
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    feed(&mut s, 1, 3);
    s.flush().unwrap();
    assert_eq!(
        s.last_version(),
        3,
        "nothing is lost, so the version moves on"
    );
    fs::remove_dir(d.path().join(CHANGELOG_0)).unwrap();
    feed(&mut s, 4, 4);
    s.flush().unwrap();
    assert_eq!(d.read(CHANGELOG_0), lines(1, 4));
}

#[test]
fn folders_written_by_mfsmetalogger_resume_at_their_last_change() {
    let root = Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata/real");
    let mut checked = 0;
    for case in fs::read_dir(&root).unwrap().flatten() {
        let ml = case.path().join("metalogger");
        let Ok(list) = fs::read_dir(&ml) else {
            continue;
        };
        let d = TestDir::new("real-folder");
        for e in list.flatten() {
            fs::copy(e.path(), d.path().join(e.file_name())).unwrap();
        }
        let last_line = d
            .read(CHANGELOG_0)
            .lines()
            .last()
            .map(|l| l.split(':').next().unwrap().parse::<u64>().unwrap())
            .unwrap();
        let s = Store::open(d.path(), settings(50, 3)).unwrap();
        assert_eq!(s.last_version(), last_line, "{}", ml.display());
        checked += 1;
    }
    assert!(checked >= 5);
}

#[test]
fn a_fresh_stream_needs_an_image_then_file_11() {
    let d = TestDir::new("needs-dl");
    d.write(METADATA_BACK, fake_metadata(1, REAL_ID));
    d.write(CHANGELOG_0, lines(1, 5));
    let mut s = Store::open(d.path(), settings(5, 3)).unwrap();
    assert!(!s.needs_download(), "resumed: the folder is whole");
    let r = s.append(9, b"x").unwrap();
    assert!(matches!(r, Appended::Gap { .. }));
    feed(&mut s, 20, 21);
    assert!(s.needs_download());
    // File 11 alone does not do (its changes may start after the old image's version).
    download(&mut s, FileNum::Changelog0, lines(1, 19).as_bytes()).unwrap();
    assert!(s.needs_download());
    // A failed image download leaves it needed.
    s.start_download(FileNum::Metadata, 10).unwrap();
    s.abort_download();
    assert!(s.needs_download());
    download(&mut s, FileNum::Metadata, &real_metadata()).unwrap();
    assert!(s.needs_download());
    download(&mut s, FileNum::Changelog0, lines(1, 19).as_bytes()).unwrap();
    assert!(!s.needs_download());
}
