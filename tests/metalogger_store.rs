//! The folder our metalogger store writes from a real master's stream restores, with the
//! real `mfsmaster -a restore` and with our `metarestore -a`, to the same file system as the
//! folder mfsmetalogger 3.0.117 wrote during the same capture (`testdata/real/*/metalogger`).
//!
//! The stream is replayed into [`Store`] as the session would: the downloads of files 1,
//! 11 and 12, then every change, a LOG_ROTATE where mfsmetalogger's files show one, and
//! along the way the faults the store must survive: a kill mid-line followed by a restart
//! (resume, torn line cut), a kill right after a rotation (resume from `changelog_ml.1.mfs`),
//! and a gap followed by a fresh registration and new downloads (whose moved-aside folder
//! must restore on its own).

mod harness;
mod support;

use std::fs;
use std::path::{Path, PathBuf};
use std::process::Command;

use harness::oracle::{mfsmaster_restore, mfsmetadump_normalized};
use harness::TempDir;
use mfsmeta::format::wire::FileNum;
use mfsmeta::metalogger::store::{Appended, Finished, Store, StoreSettings};

const SETTINGS: StoreSettings = StoreSettings {
    back_logs: 50,
    back_meta_keep_previous: 3,
};

/// `(version, text)` of each line.
fn parse_lines(bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|l| {
            let colon = l.iter().position(|&b| b == b':').unwrap();
            let v = std::str::from_utf8(&l[..colon]).unwrap().parse().unwrap();
            (v, l[colon + 2..].to_vec())
        })
        .collect()
}

/// What mfsmetalogger left: the image, the two changelog copies, and its own changelogs
/// oldest first (each a run between two rotations).
struct Capture {
    image: Vec<u8>,
    back0: Vec<u8>,
    back1: Vec<u8>,
    hours: Vec<Vec<(u64, Vec<u8>)>>,
}

fn load_capture(ml: &Path) -> Option<Capture> {
    let image = fs::read(ml.join("metadata_ml.mfs.back"))
        .or_else(|_| fs::read(ml.join("metadata_ml.tmp")))
        .ok()?;
    let mut numbered: Vec<(u32, PathBuf)> = fs::read_dir(ml)
        .unwrap()
        .flatten()
        .filter_map(|e| {
            let name = e.file_name().into_string().ok()?;
            let n = name.strip_prefix("changelog_ml.")?.strip_suffix(".mfs")?;
            Some((n.parse().ok()?, e.path()))
        })
        .collect();
    numbered.sort();
    numbered.reverse();
    Some(Capture {
        image,
        back0: fs::read(ml.join("changelog_ml_back.0.mfs")).unwrap(),
        back1: fs::read(ml.join("changelog_ml_back.1.mfs")).unwrap(),
        hours: numbered
            .iter()
            .map(|(_, p)| parse_lines(&fs::read(p).unwrap()))
            .collect(),
    })
}

fn download(store: &mut Store, file: FileNum, bytes: &[u8]) -> Finished {
    store.start_download(file, bytes.len() as u64).unwrap();
    let mut offset = 0;
    for block in bytes.chunks(1_000_000) {
        store.write_block(offset, block).unwrap();
        offset += block.len() as u64;
    }
    store.finish_download().unwrap()
}

fn download_all(store: &mut Store, image: &[u8], back0: &[u8], back1: &[u8]) {
    let r = download(store, FileNum::Metadata, image);
    assert!(
        matches!(r, Finished::Metadata { .. })
            || (image == b"MFSM NEW" && matches!(r, Finished::InvalidMetadata { .. })),
        "{r:?}"
    );
    download(store, FileNum::Changelog0, back0);
    download(store, FileNum::Changelog1, back1);
}

/// A copy of `dir`, as an operator would copy a metalogger's folder to a new master: temp
/// files included (`mfsmaster -a` reads `metadata_ml.tmp`, which is how a fresh file
/// system's `MFSM NEW` placeholder restores), and subfolders too (a restore must not read
/// the `gap-*` folders).
fn copy_folder(dir: &Path, label: &str) -> TempDir {
    fn copy_into(from: &Path, to: &Path) {
        for e in fs::read_dir(from).unwrap().flatten() {
            let target = to.join(e.file_name());
            if e.file_type().unwrap().is_dir() {
                fs::create_dir(&target).unwrap();
                copy_into(&e.path(), &target);
            } else {
                fs::copy(e.path(), target).unwrap();
            }
        }
    }
    let copy = TempDir::new(label).unwrap();
    copy_into(dir, copy.path());
    copy
}

/// `metarestore -a` in a copy of `dir`; the normalized dump of what it wrote.
fn metarestore_dump(dir: &Path) -> String {
    let copy = copy_folder(dir, "ml-store-metarestore");
    let out = copy.path().join("out.mfs");
    let res = Command::new(env!("CARGO_BIN_EXE_metarestore"))
        .arg("-a")
        .arg("-d")
        .arg(copy.path())
        .arg("-o")
        .arg(&out)
        .output()
        .unwrap();
    assert!(
        res.status.success(),
        "metarestore -a in {}: {}",
        dir.display(),
        String::from_utf8_lossy(&res.stderr)
    );
    without_root_atime(mfsmetadump_normalized(&out).unwrap())
}

/// The root's access time is the time of the restore (a restore run a second later gives
/// another one): it is blanked.
fn without_root_atime(dump: String) -> String {
    dump.lines()
        .map(|l| match l.strip_prefix("NODE|k:D|i:         1|") {
            Some(rest) => {
                let start = rest.find("|a:").map_or(0, |at| at + 3);
                let end = rest[start..].find(',').map_or(start, |n| start + n);
                format!(
                    "NODE|k:D|i:         1|{}-{}\n",
                    &rest[..start],
                    &rest[end..]
                )
            }
            None => format!("{l}\n"),
        })
        .collect()
}

/// The lines only in `a` (`-`) or only in `b` (`+`).
fn line_diff(a: &str, b: &str) -> String {
    let only = |x: &str, y: &str, mark: char| -> Vec<String> {
        x.lines()
            .filter(|l| !y.lines().any(|m| m == *l))
            .map(|l| format!("{mark} {l}"))
            .collect()
    };
    let mut out = only(a, b, '-');
    out.extend(only(b, a, '+'));
    out.join("\n")
}

/// `mfsmaster -a restore` in a copy of `dir`; the normalized dump of what it wrote.
fn mfsmaster_dump(dir: &Path) -> String {
    let copy = copy_folder(dir, "ml-store-mfsmaster");
    let out = mfsmaster_restore(copy.path())
        .unwrap_or_else(|e| panic!("mfsmaster -a restore of {}: {e}", dir.display()));
    without_root_atime(mfsmetadump_normalized(&out).unwrap())
}

/// Which fault to put in the middle of the stream.
#[derive(Clone, Copy, Debug, PartialEq)]
enum Fault {
    None,
    /// Some changes flushed, more buffered, then the process dies with a torn line on disk.
    KillMidLine,
    /// Versions skipped: gap, fresh registration, new downloads.
    Gap,
    /// Killed right after a LOG_ROTATE (no `changelog_ml.0.mfs` on disk), then restarted.
    KillAfterRotate,
}

/// Plays the capture into `dir` with `fault` after half of the changes.
fn play(c: &Capture, dir: &Path, fault: Fault) -> Option<PathBuf> {
    let mut store = Store::open(dir, SETTINGS).unwrap();
    assert_eq!(store.last_version(), 0);
    download_all(&mut store, &c.image, &c.back0, &c.back1);
    let total: usize = c.hours.iter().map(Vec::len).sum();
    let mut fed = 0;
    let mut gap_folder = None;
    let mut all_before: Vec<u8> = c.back0.clone();
    for (h, hour) in c.hours.iter().enumerate() {
        if h > 0 {
            store.rotate().unwrap();
            if fault == Fault::KillAfterRotate {
                let before = store.last_version();
                std::mem::forget(store);
                assert!(!dir.join("changelog_ml.0.mfs").exists());
                store = Store::open(dir, SETTINGS).unwrap();
                assert_eq!(
                    store.last_version(),
                    before,
                    "resume from changelog_ml.1.mfs"
                );
            }
        }
        let mut i = 0;
        while i < hour.len() {
            let v = hour[i].0;
            if fed == total / 2 && matches!(fault, Fault::KillMidLine | Fault::Gap) {
                match fault {
                    Fault::KillMidLine => {
                        store.flush().unwrap();
                        let flushed = store.last_version();
                        // Two more changes reach only the buffer, then the process dies
                        // while the disk holds a torn line.
                        for (v, text) in hour.iter().skip(i).take(2) {
                            store.append(*v, text).unwrap();
                        }
                        std::mem::forget(store);
                        let mut torn = fs::read(dir.join("changelog_ml.0.mfs")).unwrap_or_default();
                        torn.extend_from_slice(format!("{v}: 17953|CREATE(1,half").as_bytes());
                        fs::write(dir.join("changelog_ml.0.mfs"), torn).unwrap();
                        store = Store::open(dir, SETTINGS).unwrap();
                        assert_eq!(
                            store.last_version(),
                            flushed,
                            "resume after the flushed lines"
                        );
                    }
                    Fault::Gap => {
                        // The master drops two changes for us: gap.
                        let skip = 2.min(hour.len() - i - 1);
                        let (got, text) = &hour[i + skip];
                        let r = store.append(*got, text).unwrap();
                        let Appended::Gap { moved_to, .. } = r else {
                            panic!("{r:?}")
                        };
                        gap_folder = Some(moved_to);
                        // Fresh registration: the stream restarts at `got`, then the
                        // downloads bring the image and the master's changelog so far.
                        assert_eq!(store.append(*got, text).unwrap(), Appended::Logged);
                        let master_log: Vec<u8> = all_before
                            .iter()
                            .copied()
                            .chain(hour[i..i + skip].iter().flat_map(|(v, t)| {
                                let mut l = format!("{v}: ").into_bytes();
                                l.extend_from_slice(t);
                                l.push(b'\n');
                                l
                            }))
                            .collect();
                        download_all(&mut store, &c.image, &master_log, &c.back1);
                        fed += skip + 1;
                        i += skip + 1;
                        // Only once.
                        let _ = fed;
                        fed = usize::MAX / 2;
                        continue;
                    }
                    Fault::None | Fault::KillAfterRotate => unreachable!(),
                }
                let resume = store.last_version();
                // The master replays after the resume point.
                while i > 0 && hour[i - 1].0 > resume {
                    i -= 1;
                }
                fed = usize::MAX / 2;
                continue;
            }
            let (v, text) = &hour[i];
            assert_eq!(
                store.append(*v, text).unwrap(),
                Appended::Logged,
                "change {v}"
            );
            all_before.extend_from_slice(format!("{v}: ").as_bytes());
            all_before.extend_from_slice(text);
            all_before.push(b'\n');
            fed += 1;
            i += 1;
        }
    }
    store.close_log().unwrap();
    drop(store);
    gap_folder
}

#[test]
fn real_mfsmaster_restores_what_the_store_wrote() {
    if !harness::require_real_mfs("real_mfsmaster_restores_what_the_store_wrote") {
        return;
    }
    let root = support::testdata().join("real");
    let mut checked = 0;
    let mut cases: Vec<PathBuf> = fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .collect();
    cases.sort();
    for case in cases {
        if !case.join("expected/metadata.mfs").exists() {
            continue; // a capture whose own restore fails
        }
        let ml = case.join("metalogger");
        let Some(capture) = load_capture(&ml) else {
            continue;
        };
        let mut theirs = mfsmaster_dump(&ml);
        let faults: &[Fault] = if capture.hours.len() > 1 {
            &[
                Fault::None,
                Fault::KillMidLine,
                Fault::Gap,
                Fault::KillAfterRotate,
            ]
        } else {
            &[Fault::None, Fault::KillMidLine, Fault::Gap]
        };
        for &fault in faults {
            let dir = TempDir::new("ml-store").unwrap();
            let gap = play(&capture, dir.path(), fault);
            let what = format!("{} with {fault:?}", case.display());
            let mut ours = mfsmaster_dump(dir.path());
            if ours != theirs {
                // A restore stamps some fields with the current time; two restores a second
                // apart can differ there. Restore both again, back to back.
                theirs = mfsmaster_dump(&ml);
                ours = mfsmaster_dump(dir.path());
            }
            assert!(
                ours == theirs,
                "{what}: mfsmaster -a differs:\n{}",
                line_diff(&ours, &theirs)
            );
            assert_eq!(
                metarestore_dump(dir.path()),
                ours,
                "{what}: metarestore -a differs"
            );
            if let Some(folder) = gap {
                // The folder moved aside restores on its own.
                mfsmaster_dump(&folder);
            }
            checked += 1;
        }
    }
    assert!(checked >= 13, "only {checked} runs");
}
