//! Our `metalogger` against a scripted fake master (`tests/fake_master/`): the faults a
//! master and a disk can show, and the repairs mfsmetalogger 3.0.117 lacks.
//!
//! The fake master serves a real captured file system (`testdata/real/namespace-rich`): the
//! metadata image its metalogger downloaded (version 2) and the master's 191 real changes,
//! made a few at a time by the test. So at the end of every test the metalogger's folder
//! must restore, with our `metarestore -a` and with the real `mfsmaster -a restore`, to
//! exactly what the real mfsmetalogger's folder restored to (`expected/metadump.txt`).
//!
//! Each fault test has three phases: healthy (download, some changes logged), the fault
//! (asserting the exact log line and that the last good files are intact), and recovery once
//! the fault is gone (asserting the folder restores). Timings: MASTER_TIMEOUT 10 (the
//! minimum), MASTER_RECONNECTION_DELAY 1.
//!
//! Item-6 tests: resume after a restart (rver 2 with `first_wanted = last + 1` and no
//! download), a torn last line cut before appending, a version gap that moves the old logs
//! into a dated subfolder, a refusal to follow a master with another metadata id, and
//! reloads that neither crash nor drop the connection (META_DOWNLOAD_FREQ and
//! MASTER_RECONNECTION_DELAY 0 → 1, which crash the original).
//!
//! `MFSMETA_METALOGGER_UNDER_TEST=/usr/sbin/mfsmetalogger cargo test --test
//! metalogger_faults` runs the same tests against the original, which checks the fake master
//! against a real client. MooseFS 3.0.117 passes the healthy case (byte-identical files), the
//! CRC retry and the cut download, and fails the others where the issue asks for more than
//! it does: it leaves `metadata_ml.tmp` after six bad blocks, deletes its logs on a gap,
//! says nothing on a full disk or a mute master, segfaults on the reloads, registers with
//! rver 1 and downloads everything after every restart, and follows a master with another
//! metadata id.

mod fake_master;
mod harness;

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use fake_master::ours::{last_complete_version, Ours};
use fake_master::restore_check::assert_restores;
use fake_master::{format_changelog, parse_changelog, testdata_case, Event, FakeMaster, Fixture};
use harness::TempDir;

/// The captured case the fake master serves.
const CASE: &str = "namespace-rich";
/// Changes the master has made before our metalogger first connects (as in the capture:
/// SETMETAID and the chunkserver's registration).
const MADE_BEFORE: usize = 3;
/// 3.0.117 on the wire.
const VERSION_3_0_117: u32 = 0x0003_00EA;
/// Waits for things that take a tick or two.
const WAIT: Duration = Duration::from_secs(15);

/// One test's world: a temporary folder, the fake master, our metalogger (not started).
/// Fields drop in this order: ours is killed, the master stops, a tmpfs is unmounted, and
/// then the folder goes.
struct World {
    ours: Ours,
    master: FakeMaster,
    _mount: Option<Tmpfs>,
    tmp: TempDir,
    fixture: Fixture,
}

impl World {
    fn new(label: &str, extra: &[(&str, &str)]) -> World {
        let tmp = TempDir::new(label).expect("temp folder");
        let fixture = Fixture::real(CASE);
        let master = FakeMaster::start(fixture.clone(), MADE_BEFORE);
        let ours = Ours::new(tmp.path(), master.port(), extra);
        World {
            ours,
            master,
            _mount: None,
            tmp,
            fixture,
        }
    }

    fn data(&self) -> &Path {
        &self.ours.data
    }

    /// Starts ours on an empty folder and waits for the start-up download (1, 11, 12), then
    /// makes `n` changes and waits until they are logged. Returns the last version logged.
    fn healthy_start(&mut self, n: usize) -> u64 {
        let from = self.master.event_count();
        self.ours.start();
        self.wait_full_download(from);
        let last = self.master.publish(n);
        self.ours.wait_logged(last, WAIT);
        last
    }

    /// Waits until a connection registered after event `from` has downloaded all three files
    /// (three ENDs) and the last one is renamed into place.
    fn wait_full_download(&mut self, from: usize) {
        self.master
            .wait_events("full download (three DOWNLOAD_END)", from, WAIT, |ev| {
                ev.iter()
                    .filter(|e| matches!(e, Event::DownloadEnd { .. }))
                    .count()
                    >= 3
            });
        let back1 = self.data().join("changelog_ml_back.1.mfs");
        wait_until("changelog_ml_back.1.mfs renamed into place", || {
            back1.exists()
        });
    }

    /// Makes every remaining change, waits until it is logged, stops ours (SIGTERM, exit 0)
    /// and checks the folder restores to what the real mfsmetalogger's folder restored to.
    fn finish_and_check_restore(&mut self, what: &str) {
        let last = self.master.publish_all();
        assert_eq!(last, self.fixture.last_version());
        self.ours.wait_logged(last, WAIT);
        let status = self.ours.stop();
        assert!(
            status.success(),
            "{what}: exit status after SIGTERM: {status}\n{}",
            self.ours.log_tail()
        );
        let expected = std::fs::read_to_string(testdata_case(CASE).join("expected/metadump.txt"))
            .expect("expected dump");
        assert_restores(what, &self.ours.data, last + 1, Some(&expected));
    }
}

fn wait_until(what: &str, cond: impl Fn() -> bool) {
    let deadline = std::time::Instant::now() + WAIT;
    while !cond() {
        assert!(
            std::time::Instant::now() < deadline,
            "timed out waiting for: {what}"
        );
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn read(path: &Path) -> Vec<u8> {
    std::fs::read(path).unwrap_or_else(|e| panic!("{}: {e}", path.display()))
}

/// Every line of a changelog file, checked to be whole `"<v>: <text>"` lines with versions
/// rising by one.
fn contiguous_lines(path: &Path) -> Vec<(u64, Vec<u8>)> {
    let bytes = read(path);
    assert!(
        bytes.is_empty() || bytes.ends_with(b"\n"),
        "{}: ends in a partial line: {:?}",
        path.display(),
        String::from_utf8_lossy(&bytes[bytes.len().saturating_sub(80)..])
    );
    let lines = parse_changelog(&bytes);
    for w in lines.windows(2) {
        assert_eq!(
            w[1].0,
            w[0].0 + 1,
            "{}: version {} follows {}",
            path.display(),
            w[1].0,
            w[0].0
        );
    }
    lines
}

fn registers_since(master: &FakeMaster, from: usize) -> Vec<(u32, u8, Option<u64>)> {
    master
        .registers(from)
        .into_iter()
        .filter_map(|e| match e {
            Event::Register {
                conn,
                rver,
                first_wanted,
                ..
            } => Some((conn, rver, first_wanted)),
            _ => None,
        })
        .collect()
}

/// Today's UTC date as `YYYYmmdd` (civil-from-days, H. Hinnant's algorithm).
fn utc_date_compact() -> String {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .expect("clock after 1970")
        .as_secs() as i64;
    let z = secs.div_euclid(86_400) + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z - era * 146_097;
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!("{y:04}{m:02}{d:02}")
}

fn subfolders(dir: &Path) -> Vec<PathBuf> {
    let mut out: Vec<PathBuf> = std::fs::read_dir(dir)
        .expect("list DATA_PATH")
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.is_dir())
        .collect();
    out.sort();
    out
}

// ----- the healthy case -----

/// Start-up as mfsmetalogger does it (rver 1, version 3.0.117, timeout 10, START(1) then 11
/// then 12), files byte-identical to the served ones, and a live changelog byte-identical to
/// the one the real mfsmetalogger wrote for the same stream.
#[test]
fn healthy_stream_matches_the_real_metalogger() {
    let mut w = World::new("ml-healthy", &[]);
    w.ours.start();
    w.wait_full_download(0);
    let ev = w.master.events();
    let first_register = ev
        .iter()
        .find(|e| matches!(e, Event::Register { .. }))
        .cloned();
    assert_eq!(
        first_register,
        Some(Event::Register {
            conn: 1,
            rver: 1,
            version: VERSION_3_0_117,
            timeout: 10,
            first_wanted: None
        })
    );
    let starts: Vec<u8> = ev
        .iter()
        .filter_map(|e| match e {
            Event::DownloadStart { filenum, .. } => Some(*filenum),
            _ => None,
        })
        .collect();
    assert_eq!(starts, vec![1, 11, 12], "download order");
    assert_eq!(
        read(&w.data().join("metadata_ml.mfs.back")),
        w.fixture.metadata.clone().expect("metadata"),
        "metadata_ml.mfs.back is the served image"
    );
    assert_eq!(
        read(&w.data().join("changelog_ml_back.0.mfs")),
        format_changelog(&w.fixture.changes[..MADE_BEFORE]),
        "changelog_ml_back.0.mfs is the master's changelog.0.mfs at START(1)"
    );
    assert!(read(&w.data().join("changelog_ml_back.1.mfs")).is_empty());

    let last = w.master.publish_all();
    w.ours.wait_logged(last, WAIT);
    let real = read(&testdata_case(CASE).join("metalogger/changelog_ml.0.mfs"));
    assert_eq!(
        String::from_utf8_lossy(&read(&w.data().join("changelog_ml.0.mfs"))),
        String::from_utf8_lossy(&real),
        "our changelog_ml.0.mfs differs from the real mfsmetalogger's for the same stream"
    );
    w.finish_and_check_restore("healthy");
}

// ----- item 5: faults -----

/// Two blocks with a bad CRC: the same REQUEST is sent again, `metafile data crc error` is
/// logged, and the third copy is accepted.
#[test]
fn bad_crc_block_is_asked_again() {
    let mut w = World::new("ml-badcrc", &[]);
    w.master.faults(|f| f.bad_crc_blocks = 2);
    let offset = w.ours.start();
    w.wait_full_download(0);
    let line = w.ours.wait_log(offset, "metafile data crc error", WAIT);
    let log = w.ours.log_since(offset);
    assert_eq!(
        log.matches("metafile data crc error").count(),
        2,
        "one log line per bad block; first: {line}"
    );
    let requests: Vec<(u64, u32)> = w
        .master
        .events()
        .iter()
        .filter_map(|e| match e {
            Event::DownloadRequest { offset, leng, .. } => Some((*offset, *leng)),
            _ => None,
        })
        .collect();
    let meta_len = w.fixture.metadata.as_ref().expect("metadata").len() as u32;
    assert_eq!(
        requests.iter().take(3).copied().collect::<Vec<_>>(),
        vec![(0, meta_len); 3],
        "the bad block is asked for again, whole"
    );
    assert_eq!(
        read(&w.data().join("metadata_ml.mfs.back")),
        w.fixture.metadata.clone().expect("metadata")
    );
    w.finish_and_check_restore("bad CRC twice");
}

/// A block that is always bad: six tries (5 retries), then DOWNLOAD_END and the download is
/// given up; no partial image is left where a restore would look. Once the master sends good
/// blocks again (after a reconnect), the download succeeds and the folder restores.
#[test]
fn bad_crc_forever_gives_up_then_recovers() {
    let mut w = World::new("ml-badcrc-forever", &[]);
    w.master.faults(|f| f.bad_crc_blocks = u32::MAX);
    let offset = w.ours.start();
    w.master
        .wait_events("DOWNLOAD_END after the bad blocks", 0, WAIT, |ev| {
            ev.iter().any(|e| matches!(e, Event::DownloadEnd { .. }))
        });
    let ev = w.master.events();
    let end_at = ev
        .iter()
        .position(|e| matches!(e, Event::DownloadEnd { .. }))
        .expect("END");
    let tries = ev[..end_at]
        .iter()
        .filter(|e| matches!(e, Event::DownloadRequest { offset: 0, .. }))
        .count();
    assert_eq!(tries, 6, "3.0.117 tries a bad block 6 times, then gives up");
    std::thread::sleep(Duration::from_millis(500));
    let log = w.ours.log_since(offset);
    assert_eq!(
        log.matches("metafile data crc error").count(),
        6,
        "log:\n{log}"
    );
    assert!(
        !w.data().join("metadata_ml.mfs.back").exists(),
        "a bad download became metadata_ml.mfs.back"
    );
    for name in ["metadata_ml.tmp", "changelog_ml.tmp"] {
        assert!(
            !w.data().join(name).exists(),
            "{name} of a failed download is left behind (mfsmaster -a would try it)"
        );
    }
    assert!(w.ours.is_running(), "gave up the download, not the process");

    // Recovery: good blocks again, after a master restart (reconnect). A master that sends
    // bad data is mended by restarting it, so that is the "fault goes away" here; a full
    // disk, which only the metalogger can notice, must be retried without one (below).
    w.master.faults(|f| f.bad_crc_blocks = 0);
    let from = w.master.event_count();
    w.master.kick();
    w.wait_full_download(from);
    assert_eq!(
        read(&w.data().join("metadata_ml.mfs.back")),
        w.fixture.metadata.clone().expect("metadata")
    );
    w.finish_and_check_restore("bad CRC forever, then good");
}

/// The master disconnects in the middle of a DATA frame of a download that replaces good
/// files (the resync after a gap): the good `metadata_ml.mfs.back` stays, the temp files go,
/// `connection was reset by Master` is logged; the next connection downloads everything.
#[test]
fn disconnect_in_the_middle_of_a_download() {
    let mut w = World::new("ml-cut", &[]);
    let last = w.healthy_start(10);
    let good_meta = read(&w.data().join("metadata_ml.mfs.back"));
    let offset = w.ours.log_len();
    let from = w.master.event_count();
    // A gap makes ours download again; that download is cut after 100 bytes of DATA, and the
    // master then hangs, so the state between the cut and the recovery can be looked at.
    w.master.faults(|f| {
        f.skip_changes = 1;
        f.cut_next_data_after = Some(100);
    });
    w.master.publish(5);
    w.master.wait_events("a cut DATA frame", from, WAIT, |ev| {
        ev.iter().any(
            |e| matches!(e, Event::ClosedByMaster { why, .. } if why.contains("cut in the middle")),
        )
    });
    w.master.faults(|f| f.mute = true);
    w.ours
        .wait_log(offset, "connection was reset by Master", WAIT);
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        read(&w.data().join("metadata_ml.mfs.back")),
        good_meta,
        "the last good metadata_ml.mfs.back was touched by the cut download"
    );
    assert!(
        !w.data().join("metadata_ml.tmp").exists(),
        "the cut download's metadata_ml.tmp stays (3.0.117 deletes it on disconnect)"
    );
    assert!(last_complete_version(&w.data().join("changelog_ml_back.0.mfs")).is_some());

    // Recovery: the master answers again.
    let from = w.master.event_count();
    w.master.faults(|f| f.mute = false);
    w.wait_full_download(from);
    assert!(w.ours.log_since(offset).contains("some changes lost"));
    let _ = last;
    w.finish_and_check_restore("download cut, then whole");
}

/// A master that stops answering (socket open, nothing read or sent): ours drops it after
/// MASTER_TIMEOUT and says so, keeps reconnecting, and once the master answers it registers
/// with rver 2 from its last change; the changes made meanwhile are replayed, no gap.
#[test]
fn master_stops_answering() {
    let mut w = World::new("ml-mute", &[]);
    let last = w.healthy_start(10);
    let offset = w.ours.log_len();
    let from = w.master.event_count();
    w.master.faults(|f| f.mute = true);
    let made = w.master.publish(10);
    // Ours must give up the silent connection by itself and connect again.
    w.master.wait_events(
        "a new connection after MASTER_TIMEOUT",
        from,
        Duration::from_secs(25),
        |ev| ev.iter().any(|e| matches!(e, Event::Connected { .. })),
    );
    let log = w.ours.log_since(offset);
    assert!(
        log.lines()
            .any(|l| l.ends_with("Master timed out: nothing received for 10 s")),
        "no log line says the master timed out (3.0.117 says nothing):\n{log}"
    );
    assert_eq!(
        last_complete_version(&w.data().join("changelog_ml.0.mfs")),
        Some(last)
    );

    let from = w.master.event_count();
    w.master.faults(|f| f.mute = false);
    w.ours.wait_logged(made, WAIT);
    let regs = registers_since(&w.master, 0);
    let after: Vec<_> = regs.iter().filter(|r| r.0 > 1).collect();
    assert!(
        after.iter().all(|r| r.1 == 2 && r.2 == Some(last + 1)),
        "reconnects must register rver 2 from {}: {after:?}",
        last + 1
    );
    assert!(!w.ours.log_since(offset).contains("some changes lost"));
    let _ = from;
    contiguous_lines(&w.data().join("changelog_ml.0.mfs"));
    w.finish_and_check_restore("master mute, then back");
}

/// A version gap in the stream: `some changes lost: [<have>-<got-1>], download metadata
/// again`, the old logs moved (not deleted) into a dated subfolder, a fresh registration
/// with a full download, and a folder that restores.
#[test]
fn gap_moves_old_logs_aside_and_resyncs() {
    let mut w = World::new("ml-gap", &[]);
    let last = w.healthy_start(10);
    let before = read(&w.data().join("changelog_ml.0.mfs"));
    let offset = w.ours.log_len();
    let from = w.master.event_count();
    w.master.faults(|f| f.skip_changes = 2);
    w.master.publish(5);
    let line = w.ours.wait_log(offset, "some changes lost", WAIT);
    assert!(
        line.ends_with(&format!(
            "some changes lost: [{last}-{}], download metadata again",
            last + 2
        )),
        "log line: {line}"
    );
    w.wait_full_download(from);
    let regs = registers_since(&w.master, from);
    assert_eq!(
        regs.first().map(|r| (r.1, r.2)),
        Some((1, None)),
        "rver 1 after a gap"
    );

    let date = utc_date_compact();
    let moved: Vec<PathBuf> = subfolders(w.data())
        .into_iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.replace('-', "").contains(&date))
        })
        .collect();
    assert_eq!(
        moved.len(),
        1,
        "one dated subfolder (with {date}) expected in {}: {:?}",
        w.data().display(),
        subfolders(w.data())
    );
    assert_eq!(
        read(&moved[0].join("changelog_ml.0.mfs")),
        before,
        "the old changelog_ml.0.mfs must be kept, unchanged, in {}",
        moved[0].display()
    );
    let mut aside = harness::files::list_files(&moved[0]).expect("list the gap folder");
    aside.retain(|p| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("metadata_ml.mfs.back"))
    });
    if !aside.is_empty() {
        // The folder keeps what restores to the state before the gap.
        assert_restores("the gap folder", &moved[0], last + 1, None);
    }
    w.finish_and_check_restore("gap");
}

/// A full disk (a small tmpfs as DATA_PATH, filled up): the changelog keeps whole lines
/// only, the error is logged, and once space is freed the buffered changes are written and
/// nothing is lost.
#[test]
fn full_disk_keeps_whole_lines_and_recovers() {
    if !harness::is_root() {
        eprintln!("SKIPPED full_disk_keeps_whole_lines_and_recovers: needs root (tmpfs)");
        return;
    }
    let tmp = TempDir::new("ml-fulldisk").expect("temp folder");
    let mnt = tmp.path().join("tmpfs");
    let mount = Some(Tmpfs::mount(&mnt, "512k"));
    let fixture = Fixture::real(CASE);
    let master = FakeMaster::start(fixture.clone(), MADE_BEFORE);
    let ours = Ours::with_data_path(tmp.path(), &mnt.join("data"), master.port(), &[]);
    let mut w = World {
        ours,
        master,
        _mount: mount,
        tmp,
        fixture,
    };
    let last = w.healthy_start(10);
    let offset = w.ours.log_len();
    let filler = mnt.join("filler");
    fill(&filler);
    let made = w.master.publish(120);
    let line = w.ours.wait_log(offset, "changelog_ml.0.mfs", WAIT);
    assert!(
        line.contains("error writing changelog_ml.0.mfs: ENOSPC (No space left on device)"),
        "the log line should say the disk is full: {line}"
    );
    std::thread::sleep(Duration::from_millis(1500));
    let log0 = w.data().join("changelog_ml.0.mfs");
    let lines = contiguous_lines(&log0);
    let have = lines.last().map(|l| l.0).unwrap_or(0);
    assert!(
        have >= last && have < made,
        "logged up to {have}, made {made}"
    );
    assert_eq!(
        read(&w.data().join("metadata_ml.mfs.back")),
        w.fixture.metadata.clone().expect("metadata")
    );
    assert!(
        w.ours.is_running(),
        "a full disk must not stop the metalogger"
    );

    std::fs::remove_file(&filler).expect("free space");
    w.ours.wait_logged(made, WAIT);
    contiguous_lines(&log0);
    assert!(!w.ours.log_since(offset).contains("some changes lost"));
    w.finish_and_check_restore("full disk, then space");
}

/// A full disk during a download (the resync after a gap): the blocks cannot be written,
/// `error writing metafile` is logged, the download is given up, and the last good
/// `metadata_ml.mfs.back` stays; once space is freed, ours downloads again by itself (until
/// then its folder has a hole: the old logs are aside, the stream goes on) and the folder
/// restores.
#[test]
fn full_disk_during_a_download_keeps_the_last_good_metadata() {
    if !harness::is_root() {
        eprintln!("SKIPPED full_disk_during_a_download_keeps_the_last_good_metadata: needs root");
        return;
    }
    let tmp = TempDir::new("ml-fulldisk-dl").expect("temp folder");
    let mnt = tmp.path().join("tmpfs");
    let mount = Some(Tmpfs::mount(&mnt, "512k"));
    let fixture = Fixture::real(CASE);
    let master = FakeMaster::start(fixture.clone(), MADE_BEFORE);
    let ours = Ours::with_data_path(tmp.path(), &mnt.join("data"), master.port(), &[]);
    let mut w = World {
        ours,
        master,
        _mount: mount,
        tmp,
        fixture,
    };
    w.healthy_start(10);
    let good_meta = read(&w.data().join("metadata_ml.mfs.back"));
    let filler = mnt.join("filler");
    fill(&filler);
    let offset = w.ours.log_len();
    let from = w.master.event_count();
    w.master.faults(|f| f.skip_changes = 1);
    w.master.publish(3);
    w.ours.wait_log(offset, "some changes lost", WAIT);
    let line = w.ours.wait_log(offset, "error writing metafile", WAIT);
    assert!(
        line.contains("error writing metafile: ENOSPC (No space left on device)"),
        "the log line should say the disk is full: {line}"
    );
    w.master
        .wait_events("DOWNLOAD_END of the failed download", from, WAIT, |ev| {
            ev.iter().any(|e| matches!(e, Event::DownloadEnd { .. }))
        });
    std::thread::sleep(Duration::from_millis(500));
    assert_eq!(
        read(&w.data().join("metadata_ml.mfs.back")),
        good_meta,
        "the last good metadata_ml.mfs.back was touched by the failed download"
    );
    assert!(
        !w.data().join("metadata_ml.tmp").exists(),
        "the failed download's metadata_ml.tmp stays where mfsmaster -a would try it"
    );
    assert!(
        w.ours.is_running(),
        "a full disk must not stop the metalogger"
    );

    // Space again: ours must get the download done by itself (the master is fine and
    // connected), as until then its folder has a hole (the old logs were moved aside, the
    // live stream goes on after the registration): neither restore works on it.
    std::fs::remove_file(&filler).expect("free space");
    let from = w.master.event_count();
    w.master.publish(3);
    w.master.wait_events(
        "a new full download once space is back (no master restart)",
        from,
        Duration::from_secs(20),
        |ev| {
            ev.iter()
                .filter(|e| matches!(e, Event::DownloadEnd { .. }))
                .count()
                >= 3
        },
    );
    w.finish_and_check_restore("full disk during a download, then space");
}

/// A tmpfs mounted for one test, unmounted on drop.
struct Tmpfs(PathBuf);

impl Tmpfs {
    fn mount(at: &Path, size: &str) -> Tmpfs {
        std::fs::create_dir_all(at).expect("mount point");
        let ok = std::process::Command::new("mount")
            .args([
                "-t",
                "tmpfs",
                "-o",
                &format!("size={size},mode=0755"),
                "tmpfs",
            ])
            .arg(at)
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "mount tmpfs at {}", at.display());
        Tmpfs(at.to_path_buf())
    }
}

impl Drop for Tmpfs {
    fn drop(&mut self) {
        let ok = std::process::Command::new("umount")
            .arg(&self.0)
            .status()
            .is_ok_and(|s| s.success());
        if !ok {
            let _ = std::process::Command::new("umount")
                .arg("-l")
                .arg(&self.0)
                .status();
        }
    }
}

/// Writes `path` until the file system is full.
fn fill(path: &Path) {
    use std::io::Write;
    let mut f = std::fs::File::create(path).expect("create filler");
    let block = vec![0u8; 4096];
    while f.write_all(&block).is_ok() {}
    let _ = f.sync_all();
    // Smaller pieces fill the last page.
    while f.write_all(&[0u8; 64]).is_ok() {}
}

// ----- item 6: what 3.0.117 lacks -----

/// A restart resumes from the last logged change: REGISTER rver 2 with `first_wanted =
/// last + 1`, no DOWNLOAD_START, and the changes made while it was down are replayed.
#[test]
fn restart_resumes_without_download() {
    let mut w = World::new("ml-resume", &[]);
    let last = w.healthy_start(20);
    let status = w.ours.stop();
    assert!(status.success(), "exit status after SIGTERM: {status}");
    let made = w.master.publish(5);
    let from = w.master.event_count();
    w.ours.start();
    w.master
        .wait_events("REGISTER after the restart", from, WAIT, |ev| {
            ev.iter().any(|e| matches!(e, Event::Register { .. }))
        });
    let regs = registers_since(&w.master, from);
    assert_eq!(
        regs.first().map(|r| (r.1, r.2)),
        Some((2, Some(last + 1))),
        "the first REGISTER after a restart"
    );
    w.ours.wait_logged(made, WAIT);
    std::thread::sleep(Duration::from_secs(2));
    let starts: Vec<Event> = w.master.events()[from..]
        .iter()
        .filter(|e| matches!(e, Event::DownloadStart { .. }))
        .cloned()
        .collect();
    assert!(
        starts.is_empty(),
        "a resume must not download again: {starts:?}"
    );
    contiguous_lines(&w.data().join("changelog_ml.0.mfs"));
    w.finish_and_check_restore("restart");
}

/// A restart right after a LOG_ROTATE with no change since (so there is no
/// `changelog_ml.0.mfs`, only `changelog_ml.1.mfs`) resumes from the rotated log's last line,
/// and the folder restores without a hole.
#[test]
fn restart_after_rotation_resumes_from_the_rotated_log() {
    let mut w = World::new("ml-rotate", &[]);
    let last = w.healthy_start(20);
    let before = read(&w.data().join("changelog_ml.0.mfs"));
    w.master.rotate();
    let log1 = w.data().join("changelog_ml.1.mfs");
    let log0 = w.data().join("changelog_ml.0.mfs");
    wait_until("changelog_ml.0.mfs rotated to changelog_ml.1.mfs", || {
        log1.exists() && !log0.exists()
    });
    assert_eq!(
        read(&log1),
        before,
        "the rotated log is the old changelog_ml.0.mfs"
    );
    assert!(w.ours.stop().success());
    let from = w.master.event_count();
    w.ours.start();
    w.master
        .wait_events("REGISTER after the restart", from, WAIT, |ev| {
            ev.iter().any(|e| matches!(e, Event::Register { .. }))
        });
    let regs = registers_since(&w.master, from);
    assert_eq!(
        regs.first().map(|r| (r.1, r.2)),
        Some((2, Some(last + 1))),
        "the resume point after a rotation is the last line of changelog_ml.1.mfs"
    );
    let made = w.master.publish(5);
    w.ours.wait_logged(made, WAIT);
    let lines = contiguous_lines(&log0);
    assert_eq!(lines.first().map(|l| l.0), Some(last + 1));
    w.finish_and_check_restore("rotation, then restart");
}

/// A torn last line (a crash mid-write) is cut off before anything is appended, the cut is
/// logged with its byte offset, and the resume starts right after the last whole line.
#[test]
fn torn_last_line_is_cut_before_appending() {
    let mut w = World::new("ml-torn", &[]);
    let last = w.healthy_start(20);
    assert!(w.ours.stop().success());
    let log0 = w.data().join("changelog_ml.0.mfs");
    let whole = read(&log0);
    let next = &w.fixture.changes[w
        .fixture
        .changes
        .iter()
        .position(|c| c.0 == last + 1)
        .expect("next")];
    let mut torn = format!("{}: ", next.0).into_bytes();
    torn.extend_from_slice(&next.1[..next.1.len() / 2]);
    {
        use std::io::Write;
        let mut f = std::fs::OpenOptions::new()
            .append(true)
            .open(&log0)
            .expect("open");
        f.write_all(&torn).expect("write torn line");
    }
    let offset = w.ours.log_len();
    let from = w.master.event_count();
    w.ours.start();
    w.master
        .wait_events("REGISTER after the restart", from, WAIT, |ev| {
            ev.iter().any(|e| matches!(e, Event::Register { .. }))
        });
    let regs = registers_since(&w.master, from);
    assert_eq!(regs.first().map(|r| (r.1, r.2)), Some((2, Some(last + 1))));
    let made = w.master.publish(5);
    w.ours.wait_logged(made, WAIT);
    let log = w.ours.log_since(offset);
    let expected = format!(
        "changelog_ml.0.mfs: cut a torn last line at byte {} ({} bytes",
        whole.len(),
        torn.len()
    );
    assert!(
        log.lines().any(|l| l.contains(&expected)),
        "no log line `{expected}…`:\n{log}"
    );
    let after = read(&log0);
    assert!(
        after.starts_with(&whole),
        "the whole lines before the tear changed"
    );
    contiguous_lines(&log0);
    w.finish_and_check_restore("torn line");
}

/// A folder written for another file system (another metadata id) is not continued with
/// this master's changes: ours says so, and the old files stay restorable. Once an operator
/// moves them away and restarts it, ours follows the new master.
#[test]
fn other_metadata_id_is_refused() {
    let mut w = World::new("ml-foreign", &[]);
    // The folder the real mfsmetalogger wrote for another file system (changes up to 235).
    let other = testdata_case("open-files-locks-sessions").join("metalogger");
    harness::files::copy_mfs_files(&other, w.data()).expect("seed the folder");
    let other_meta = read(&other.join("metadata_ml.mfs.back"));
    let other_id = u64::from_be_bytes(other_meta[16..24].try_into().expect("id"));
    let our_id = w.fixture.metadata_id();
    assert_ne!(other_id, our_id);
    let offset = w.ours.start();
    // The master's next changes reach ours only once it has registered.
    w.master.wait_events("REGISTER", 0, WAIT, |ev| {
        ev.iter().any(|e| matches!(e, Event::Register { .. }))
    });
    w.master.publish(10);
    let expected = format!(
        "master's metadata id 0x{our_id:016X} differs from DATA_PATH's 0x{other_id:016X}: \
         not following this master"
    );
    let line = w.ours.wait_log(offset, &expected, WAIT);
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        line.contains("move the old files out of DATA_PATH"),
        "{line}"
    );
    assert_eq!(
        read(&w.data().join("metadata_ml.mfs.back")),
        other_meta,
        "the other file system's metadata_ml.mfs.back was replaced"
    );
    // None of this master's changes went into the folder's top-level changelogs.
    for name in ["changelog_ml.0.mfs", "changelog_ml_back.0.mfs"] {
        let path = w.data().join(name);
        if path.exists() {
            let ours_lines = parse_changelog(&read(&path));
            let foreign: Vec<u64> = ours_lines
                .iter()
                .filter(|l| w.fixture.changes.contains(l))
                .map(|l| l.0)
                .collect();
            assert!(
                foreign.is_empty(),
                "{name} holds changes of the master with id 0x{our_id:016X}: {foreign:?}"
            );
        }
    }
    // The other file system's files, wherever they were moved, still restore as before.
    let gather = TempDir::new("ml-foreign-old").expect("temp");
    let mut dirs = vec![w.data().to_path_buf()];
    dirs.extend(subfolders(w.data()));
    for d in &dirs {
        harness::files::copy_mfs_files(d, gather.path()).expect("gather");
    }
    let expected = std::fs::read_to_string(
        testdata_case("open-files-locks-sessions").join("expected/metadump.txt"),
    )
    .expect("expected dump");
    assert_restores(
        "the other file system's files",
        gather.path(),
        236,
        Some(&expected),
    );

    // An operator moves the old files away and restarts: ours follows this master.
    assert!(w.ours.stop().success());
    let away = w.tmp.path().join("moved-away");
    std::fs::create_dir_all(&away).expect("mkdir");
    for entry in std::fs::read_dir(w.data()).expect("list").flatten() {
        let name = entry.file_name();
        if !name.to_string_lossy().starts_with('.') {
            std::fs::rename(entry.path(), away.join(&name)).expect("move away");
        }
    }
    let from = w.master.event_count();
    w.ours.start();
    w.wait_full_download(from);
    w.finish_and_check_restore("after moving the other files away");
}

/// Reloads never crash and never drop the connection: META_DOWNLOAD_FREQ 0 → 1 and
/// MASTER_RECONNECTION_DELAY 0 → 1 (both segfault mfsmetalogger 3.0.117), by SIGHUP and by
/// the `reload` action. The session stays connected (no new connection) and keeps logging;
/// after a master restart it reconnects (the new delay) and resumes with rver 2.
#[test]
fn reload_keeps_the_connection() {
    let zero = [
        ("META_DOWNLOAD_FREQ", "0"),
        ("MASTER_RECONNECTION_DELAY", "0"),
    ];
    let mut w = World::new("ml-reload", &zero);
    let last = w.healthy_start(10);
    let connections = |m: &FakeMaster| {
        m.events()
            .iter()
            .filter(|e| matches!(e, Event::Connected { .. }))
            .count()
    };
    assert_eq!(connections(&w.master), 1);

    let port = w.master.port();
    w.ours.write_cfg(
        port,
        &[
            ("META_DOWNLOAD_FREQ", "1"),
            ("MASTER_RECONNECTION_DELAY", "0"),
        ],
    );
    let offset = w.ours.log_len();
    w.ours.signal("HUP");
    w.ours.wait_log(offset, "reloading config files", WAIT);
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        w.ours.is_running(),
        "crashed on reload (META_DOWNLOAD_FREQ 0 -> 1):\n{}",
        w.ours.log_tail()
    );
    let made = w.master.publish(5);
    w.ours.wait_logged(made, WAIT);

    w.ours.write_cfg(
        port,
        &[
            ("META_DOWNLOAD_FREQ", "1"),
            ("MASTER_RECONNECTION_DELAY", "1"),
        ],
    );
    let offset = w.ours.log_len();
    let (code, out) = w.ours.action("reload");
    assert_eq!(code, Some(0), "`metalogger reload`: {out}");
    w.ours.wait_log(offset, "reloading config files", WAIT);
    std::thread::sleep(Duration::from_secs(2));
    assert!(
        w.ours.is_running(),
        "crashed on reload (MASTER_RECONNECTION_DELAY 0 -> 1):\n{}",
        w.ours.log_tail()
    );
    let made = w.master.publish(5);
    w.ours.wait_logged(made, WAIT);
    assert_eq!(
        connections(&w.master),
        1,
        "a reload with the same master dropped the connection"
    );
    assert!(last < made);

    // The new reconnection delay is in force: a master restart is followed by a resume.
    let from = w.master.event_count();
    w.master.kick();
    w.master
        .wait_events("a reconnect after the master restart", from, WAIT, |ev| {
            ev.iter().any(|e| matches!(e, Event::Register { .. }))
        });
    let regs = registers_since(&w.master, from);
    assert_eq!(regs.first().map(|r| (r.1, r.2)), Some((2, Some(made + 1))));
    w.finish_and_check_restore("reloads");
}
