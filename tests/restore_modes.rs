//! `metarestore -a` chooses and merges files exactly like `mfsmaster -a restore`, and the
//! point-in-time and best-effort modes stop where they say.
//!
//! Scenarios, on the real folders captured in `testdata/real/` and on small changelogs
//! written here over a real version-2 image:
//!
//! * every metalogger and master folder restores to what the real master makes of a copy
//!   (sorted `mfsmetadump`, bytes, `metadata.crc`, the files left in the folder);
//! * file choice: several metadata files, a newer one with a bad ending, files of
//!   different file systems, a changelog without its final newline, overlapping and
//!   duplicated changelogs, zstd-compressed inputs;
//! * the merge rules: a hole, a line that does not parse (repaired by another file or
//!   not), garbage ids that end a file, ids below the metadata version;
//! * the case where the real restore fails (`restore-fails-closed-session-dropped`): the
//!   same failure, nothing written; `-b` writes the last consistent version;
//! * `--to-version` and `--to-time` give what the master makes of changelogs cut there;
//! * an output that is an input is refused, and nothing is written on failure.
//!
//! Tests named `real_…` need root and the MooseFS 3.0.117 packages (they skip otherwise).

mod harness;
mod support;

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

use harness::oracle::{mfsmaster_restore, mfsmaster_restore_copy};
use harness::{mfsmetadump_normalized, TempDir};

/// Exit status of a best-effort run that stopped early.
const EXIT_PARTIAL: i32 = 2;

/// A real version-2 image holding only the root (`1: SETMETAID` applied): the start of
/// the small changelogs written here. Lines therefore start at change 2.
fn start_image() -> PathBuf {
    support::testdata().join("real/namespace-rich/metalogger/metadata_ml.mfs.back")
}

fn real_case(name: &str, side: &str) -> PathBuf {
    support::testdata().join("real").join(name).join(side)
}

fn metarestore<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_metarestore"))
        .args(args)
        .output()
        .expect("run metarestore")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// `metarestore -a -d DIR` plus `extra`.
fn auto(dir: &Path, extra: &[&str]) -> Output {
    let mut args: Vec<std::ffi::OsString> = vec!["-a".into(), "-d".into(), dir.into()];
    args.extend(extra.iter().map(Into::into));
    metarestore(&args)
}

fn expect_success(out: &Output) {
    assert!(
        out.status.success(),
        "metarestore failed ({}): {}",
        out.status,
        stderr(out)
    );
}

/// The version in a metadata file's header.
fn version_of(path: &Path) -> u64 {
    let bytes = std::fs::read(path).unwrap();
    u64::from_be_bytes(bytes[8..16].try_into().unwrap())
}

fn tmp(label: &str) -> TempDir {
    TempDir::new(label).unwrap()
}

/// Copies every file of `src` into `dest`.
fn copy_files(src: &Path, dest: &Path) {
    for entry in std::fs::read_dir(src).unwrap().flatten() {
        if entry.path().is_file() {
            std::fs::copy(entry.path(), dest.join(entry.file_name())).unwrap();
        }
    }
}

/// A new temporary folder holding the files of `srcs`.
fn folder_of(label: &str, srcs: &[&Path]) -> TempDir {
    let dir = tmp(label);
    for src in srcs {
        copy_files(src, dir.path());
    }
    dir
}

/// Names and contents of the files in `dir`, sorted; our lock file left out.
fn contents(dir: &Path) -> Vec<(String, Vec<u8>)> {
    let mut v: Vec<(String, Vec<u8>)> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| {
            (
                e.file_name().to_string_lossy().into_owned(),
                std::fs::read(e.path()).unwrap_or_default(),
            )
        })
        .filter(|(n, _)| n != ".mfsmaster.lock")
        .collect();
    v.sort();
    v
}

/// The metadata and changelog file names in `dir` (what a restore may change), sorted.
fn mfs_names(dir: &Path) -> Vec<String> {
    let mut v: Vec<String> = std::fs::read_dir(dir)
        .unwrap()
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .filter(|n| n.starts_with("metadata") || n.starts_with("changelog"))
        .collect();
    v.sort();
    v
}

/// A changelog of `ACCESS(1)` lines for the given ids (time = 1795340000 + id).
fn access_lines(ids: impl IntoIterator<Item = u64>) -> String {
    ids.into_iter()
        .map(|id| format!("{id}: {}|ACCESS(1)\n", 1_795_340_000 + id))
        .collect()
}

/// The first differing lines of two dumps.
fn dump_diff(theirs: &str, ours: &str) -> String {
    theirs
        .lines()
        .filter(|l| !ours.contains(l))
        .map(|l| format!("- {l}"))
        .chain(
            ours.lines()
                .filter(|l| !theirs.contains(l))
                .map(|l| format!("+ {l}")),
        )
        .take(30)
        .collect::<Vec<_>>()
        .join("\n")
}

/// Blanks the root's atime: an image started from `MFSM NEW` takes it from the clock.
fn blank_root_atime(dump: &str) -> String {
    dump.lines()
        .map(|l| {
            if l.starts_with("NODE|") && l.contains("|i:         1|") {
                let mut out = String::new();
                for (n, field) in l.split('|').enumerate() {
                    if n > 0 {
                        out.push('|');
                    }
                    match field.strip_prefix("a:") {
                        Some(rest) => {
                            out.push_str("a:-");
                            out.push_str(&rest[rest.find(',').unwrap_or(rest.len())..]);
                        }
                        None => out.push_str(field),
                    }
                }
                out
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n")
}

/// How strictly to compare with the real master.
#[derive(Clone, Copy, PartialEq, Eq)]
enum Compare {
    /// Same dump, same bytes, same `metadata.crc`.
    Exact,
    /// Same dump except the root's atime (a start from `MFSM NEW`).
    RootAtimeFromClock,
}

/// Restores a copy of `src` with the real `mfsmaster -a restore` and another copy with
/// `metarestore -a -d` (+ `extra`), and compares the results and the files left.
fn compare_with_mfsmaster(src: &Path, extra: &[&str], how: Compare) -> Result<(), String> {
    // Every file is copied (the harness's copy leaves out `metadata_ml.tmp`, which the
    // master does read).
    let theirs_dir = folder_of("theirs", &[src]);
    let theirs_metadata =
        mfsmaster_restore(theirs_dir.path()).map_err(|e| format!("mfsmaster: {e}"))?;
    let ours_dir = folder_of("ours", &[src]);
    let out = auto(ours_dir.path(), extra);
    if !out.status.success() {
        return Err(format!("metarestore failed: {}", stderr(&out)));
    }
    let ours = ours_dir.path().join("metadata.mfs");
    let mut dump_theirs = mfsmetadump_normalized(&theirs_metadata).map_err(|e| e.to_string())?;
    let mut dump_ours = mfsmetadump_normalized(&ours).map_err(|e| e.to_string())?;
    if how == Compare::RootAtimeFromClock {
        dump_theirs = blank_root_atime(&dump_theirs);
        dump_ours = blank_root_atime(&dump_ours);
    }
    if dump_theirs != dump_ours {
        return Err(format!(
            "mfsmetadump differs:\n{}",
            dump_diff(&dump_theirs, &dump_ours)
        ));
    }
    if how == Compare::Exact {
        if std::fs::read(&theirs_metadata).unwrap() != std::fs::read(&ours).unwrap() {
            return Err("same records, different bytes".into());
        }
        let crc = |d: &Path| std::fs::read(d.join("metadata.crc")).unwrap_or_default();
        if crc(theirs_dir.path()) != crc(ours_dir.path()) {
            return Err("metadata.crc differs".into());
        }
    }
    let left_theirs = mfs_names(theirs_dir.path());
    let left_ours = mfs_names(ours_dir.path());
    // mkstemp names differ; compare their shape.
    let shape = |names: Vec<String>| -> Vec<String> {
        names
            .into_iter()
            .map(|n| match n.strip_prefix("metadata.mfs.") {
                Some(rest) if rest.len() == 6 && rest != "back.1" => "metadata.mfs.XXXXXX".into(),
                _ => n,
            })
            .collect()
    };
    if shape(left_theirs.clone()) != shape(left_ours.clone()) {
        return Err(format!(
            "files left differ: mfsmaster {left_theirs:?}, metarestore {left_ours:?}"
        ));
    }
    Ok(())
}

/// Runs the real master on `dir` in place and returns its `metadata.mfs`, or `None` if
/// it failed.
fn mfsmaster_result(dir: &Path) -> Option<PathBuf> {
    mfsmaster_restore(dir).ok()
}

/// Copies `src` and keeps, in every changelog, only the lines for which `keep(id, ts)`.
fn cut_copy(label: &str, src: &Path, keep: impl Fn(u64, u64) -> bool) -> TempDir {
    let dir = folder_of(label, &[src]);
    for entry in std::fs::read_dir(dir.path()).unwrap().flatten() {
        let name = entry.file_name().to_string_lossy().into_owned();
        if !name.starts_with("changelog") {
            continue;
        }
        let text = std::fs::read_to_string(entry.path()).unwrap();
        let kept: String = text
            .split_inclusive('\n')
            .filter(|l| {
                let (id, rest) = l.split_once(": ").unwrap();
                let ts = rest.split('|').next().unwrap();
                keep(id.parse().unwrap(), ts.parse().unwrap())
            })
            .collect();
        std::fs::write(entry.path(), kept).unwrap();
    }
    dir
}

/// Whether a real-MooseFS test can run here.
fn real(test: &str) -> bool {
    harness::require_real_mfs(test)
}

// ---------------------------------------------------------------------------------------
// Real captured folders.

fn check_real_case(case: &str, side: &str, how: Compare) {
    if let Err(e) = compare_with_mfsmaster(&real_case(case, side), &[], how) {
        panic!("{case}/{side}: {e}");
    }
}

#[test]
fn real_metalogger_fresh_new_changelog() {
    if real("real_metalogger_fresh_new_changelog") {
        // metadata_ml.tmp is the `MFSM NEW` placeholder: the root's atime comes from the
        // clock of each restore.
        check_real_case(
            "fresh-new-changelog",
            "metalogger",
            Compare::RootAtimeFromClock,
        );
    }
}

#[test]
fn real_metalogger_namespace_rich() {
    if real("real_metalogger_namespace_rich") {
        check_real_case("namespace-rich", "metalogger", Compare::Exact);
    }
}

#[test]
fn real_metalogger_open_files_locks_sessions() {
    if real("real_metalogger_open_files_locks_sessions") {
        check_real_case("open-files-locks-sessions", "metalogger", Compare::Exact);
    }
}

#[test]
fn real_metalogger_time_driven_trash_expiry_rotation() {
    if real("real_metalogger_time_driven_trash_expiry_rotation") {
        check_real_case(
            "time-driven-trash-expiry-rotation",
            "metalogger",
            Compare::Exact,
        );
    }
}

#[test]
fn real_master_folders() {
    if !real("real_master_folders") {
        return;
    }
    // The master's own metadata.mfs is the newest image; its changelogs are all older.
    for case in [
        "fresh-new-changelog",
        "namespace-rich",
        "open-files-locks-sessions",
        "restore-fails-closed-session-dropped",
        "time-driven-trash-expiry-rotation",
    ] {
        check_real_case(case, "master", Compare::Exact);
    }
}

#[test]
fn real_master_and_metalogger_changelogs_overlap() {
    if !real("real_master_and_metalogger_changelogs_overlap") {
        return;
    }
    // The metalogger's image with both sides' changelogs: changelog.N.mfs and
    // changelog_ml.N.mfs hold the same changes, merged as duplicates.
    let case = "time-driven-trash-expiry-rotation";
    let dir = folder_of("overlap", &[&real_case(case, "metalogger")]);
    for entry in std::fs::read_dir(real_case(case, "master"))
        .unwrap()
        .flatten()
    {
        let name = entry.file_name().to_string_lossy().into_owned();
        if name.starts_with("changelog") {
            std::fs::copy(entry.path(), dir.path().join(&name)).unwrap();
        }
    }
    compare_with_mfsmaster(dir.path(), &[], Compare::Exact).unwrap();
    // Explicit files, in any order, give the same.
    let out_dir = tmp("explicit");
    let out = out_dir.path().join("metadata.mfs");
    let mut args: Vec<PathBuf> = vec![
        "-m".into(),
        dir.path().join("metadata_ml.mfs.back"),
        "-o".into(),
        out.clone(),
    ];
    for name in [
        "changelog.0.mfs",
        "changelog_ml.1.mfs",
        "changelog_ml_back.0.mfs",
        "changelog.1.mfs",
        "changelog_ml.0.mfs",
    ] {
        args.push(dir.path().join(name));
    }
    expect_success(&metarestore(&args));
    let theirs = support::testdata().join(format!("real/{case}/expected/metadata.mfs"));
    assert_eq!(std::fs::read(&out).unwrap(), std::fs::read(theirs).unwrap());
}

#[test]
fn real_restore_fails_the_same_way_and_best_effort_writes_the_last_consistent_version() {
    if !real("real_restore_fails_the_same_way") {
        return;
    }
    let src = real_case("restore-fails-closed-session-dropped", "metalogger");
    let theirs = mfsmaster_restore_copy(&src);
    assert!(theirs.is_err(), "the real restore is expected to fail here");

    let dir = folder_of("fails", &[&src]);
    let before = contents(dir.path());
    let out = auto(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1), "{}", stderr(&out));
    let msg = stderr(&out);
    assert!(
        msg.contains(
            "changelog_ml.0.mfs:15: change 18 EMPTYSUSTAINED(2):1,2: error: 32 (Data mismatch)"
        ),
        "{msg}"
    );
    assert_eq!(contents(dir.path()), before, "nothing may be written");

    // -b: the last consistent version is 18 (changes up to 17), exactly what the master
    // makes of the changelogs without change 18 and later.
    let out = auto(dir.path(), &["-b"]);
    assert_eq!(out.status.code(), Some(EXIT_PARTIAL), "{}", stderr(&out));
    assert!(stderr(&out).contains("stopped at metadata version 18"));
    let ours = dir.path().join("metadata.mfs");
    assert_eq!(version_of(&ours), 18);
    let cut = cut_copy("fails-cut", &src, |id, _| id < 18);
    let theirs = mfsmaster_result(cut.path()).expect("the cut folder restores");
    assert_eq!(
        mfsmetadump_normalized(&theirs).unwrap(),
        mfsmetadump_normalized(&ours).unwrap()
    );
    assert_eq!(
        std::fs::read(theirs).unwrap(),
        std::fs::read(&ours).unwrap()
    );
}

// ---------------------------------------------------------------------------------------
// File choice, on the time-driven case (two images and rotated changelogs on each side).

const ROTATION: &str = "time-driven-trash-expiry-rotation";

#[test]
fn real_highest_version_is_chosen() {
    if !real("real_highest_version_is_chosen") {
        return;
    }
    // The master's older image (version 58) + the metalogger's (version 2) + all
    // changelogs: 58 wins and only 58..77 are replayed.
    let dir = folder_of(
        "versions",
        &[
            &real_case(ROTATION, "metalogger"),
            &real_case(ROTATION, "master"),
        ],
    );
    std::fs::remove_file(dir.path().join("metadata.mfs")).unwrap();
    std::fs::remove_file(dir.path().join("metadata.crc")).unwrap();
    let probe = folder_of("versions-probe", &[dir.path()]);
    let out = auto(probe.path(), &["-x"]);
    expect_success(&out);
    assert!(
        stderr(&out).contains("metadata.mfs.back.1 (version 58"),
        "{}",
        stderr(&out)
    );
    compare_with_mfsmaster(dir.path(), &[], Compare::Exact).unwrap();
}

#[test]
fn real_newest_file_with_a_bad_ending_is_skipped() {
    if !real("real_newest_file_with_a_bad_ending_is_skipped") {
        return;
    }
    let dir = folder_of("ending", &[&real_case(ROTATION, "master")]);
    // The newest image (version 78) loses its last byte: "wrong ending", skipped.
    let newest = dir.path().join("metadata.mfs");
    let bytes = std::fs::read(&newest).unwrap();
    std::fs::write(&newest, &bytes[..bytes.len() - 1]).unwrap();
    // A file that is not metadata at all.
    std::fs::write(dir.path().join("metadata_junk"), b"not metadata").unwrap();
    let probe = folder_of("ending-probe", &[dir.path()]);
    let out = auto(probe.path(), &["-x", "-x"]);
    expect_success(&out);
    let msg = stderr(&out);
    assert!(msg.contains("wrong ending"), "{msg}");
    assert!(msg.contains("wrong header"), "{msg}");
    assert!(msg.contains("metadata.mfs.back.1 (version 58"), "{msg}");
    assert_eq!(version_of(&probe.path().join("metadata.mfs")), 78);
    compare_with_mfsmaster(dir.path(), &[], Compare::Exact).unwrap();
}

#[test]
fn metadata_of_different_file_systems_is_refused() {
    let dir = folder_of("ids", &[&real_case(ROTATION, "master")]);
    let mut other = std::fs::read(dir.path().join("metadata.mfs.back.1")).unwrap();
    other[16] ^= 0x55; // another metadata id, still a valid file
    std::fs::write(dir.path().join("metadata_other.mfs"), &other).unwrap();
    let before = contents(dir.path());
    let out = auto(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("metadata files of different file systems"),
        "{}",
        stderr(&out)
    );
    assert_eq!(contents(dir.path()), before);
    if real("metadata_of_different_file_systems_is_refused") {
        assert!(mfsmaster_result(dir.path()).is_none());
    }
}

#[test]
fn real_changelog_without_final_newline_is_skipped() {
    if !real("real_changelog_without_final_newline_is_skipped") {
        return;
    }
    let dir = folder_of("newline", &[&real_case(ROTATION, "metalogger")]);
    let log = dir.path().join("changelog_ml.0.mfs");
    let mut text = std::fs::read(&log).unwrap();
    text.extend_from_slice(b"78: 1795350000|ACCE");
    std::fs::write(&log, text).unwrap();
    let probe = folder_of("newline-probe", &[dir.path()]);
    let out = auto(probe.path(), &["-x"]);
    expect_success(&out);
    assert!(stderr(&out).contains("skipping changelog file: changelog_ml.0.mfs"));
    // changelog_ml.1.mfs ends at 56: the restore succeeds with version 57.
    assert_eq!(version_of(&probe.path().join("metadata.mfs")), 57);
    compare_with_mfsmaster(dir.path(), &[], Compare::Exact).unwrap();
}

#[test]
fn a_hole_is_an_error_and_nothing_is_written() {
    let dir = folder_of("hole", &[&real_case(ROTATION, "metalogger")]);
    let log = dir.path().join("changelog_ml.1.mfs");
    let text = std::fs::read_to_string(&log).unwrap();
    let kept: String = text
        .split_inclusive('\n')
        .filter(|l| !l.starts_with("30: "))
        .collect();
    std::fs::write(&log, kept).unwrap();
    let before = contents(dir.path());
    let out = auto(dir.path(), &[]);
    assert_eq!(out.status.code(), Some(1));
    let msg = stderr(&out);
    assert!(
        msg.contains("changelog_ml.1.mfs:27: change 30 is missing (hole in the changelogs after changelog_ml.1.mfs:26)"),
        "{msg}"
    );
    assert!(msg.contains("last consistent version is 30"), "{msg}");
    assert_eq!(contents(dir.path()), before, "nothing may be written");
    if real("a_hole_is_an_error_and_nothing_is_written") {
        let theirs = folder_of("hole-theirs", &[dir.path()]);
        assert!(mfsmaster_result(theirs.path()).is_none());
    }

    // -b: version 30 is written, and it is what the master makes of changes up to 29.
    let out = auto(dir.path(), &["-b"]);
    assert_eq!(out.status.code(), Some(EXIT_PARTIAL), "{}", stderr(&out));
    assert!(stderr(&out).contains("stopped at metadata version 30"));
    let ours = dir.path().join("metadata.mfs");
    assert_eq!(version_of(&ours), 30);
    if real("a_hole_is_an_error_and_nothing_is_written") {
        let cut = cut_copy("hole-cut", &real_case(ROTATION, "metalogger"), |id, _| {
            id < 30
        });
        let theirs = mfsmaster_result(cut.path()).unwrap();
        assert_eq!(
            std::fs::read(theirs).unwrap(),
            std::fs::read(&ours).unwrap()
        );
    }
}

#[test]
fn to_version_stops_before_that_change() {
    let src = real_case(ROTATION, "metalogger");
    for target in [2u64, 3, 40, 57, 58, 78] {
        let dir = folder_of("to-version", &[&src]);
        let out = auto(dir.path(), &["--to-version", &target.to_string()]);
        expect_success(&out);
        let ours = dir.path().join("metadata.mfs");
        assert_eq!(version_of(&ours), target);
        if real("to_version_stops_before_that_change") {
            let cut = cut_copy("to-version-cut", &src, |id, _| id < target);
            let theirs = mfsmaster_result(cut.path()).unwrap();
            assert_eq!(
                std::fs::read(theirs).unwrap(),
                std::fs::read(&ours).unwrap(),
                "--to-version {target}"
            );
        }
    }
    // Beyond the last change: an error, or with -b the end.
    let dir = folder_of("to-version-far", &[&src]);
    let out = auto(dir.path(), &["--to-version", "100"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("the changelogs end before version 100"));
    let out = auto(dir.path(), &["--to-version", "100", "-b"]);
    assert_eq!(out.status.code(), Some(EXIT_PARTIAL));
    assert_eq!(version_of(&dir.path().join("metadata.mfs")), 78);
}

#[test]
fn to_version_prefers_an_image_not_past_it() {
    // The master's folder has images of versions 58 and 78: --to-version 60 starts from
    // 58; --to-version 50 from... nothing older in that folder (an error).
    let dir = folder_of("to-version-image", &[&real_case(ROTATION, "master")]);
    let out_file = tmp("to-version-out");
    let target = out_file.path().join("sixty.mfs");
    let out = metarestore(&[
        "-a".as_ref(),
        "-d".as_ref(),
        dir.path().as_os_str(),
        "--to-version".as_ref(),
        "60".as_ref(),
        "-x".as_ref(),
        "-o".as_ref(),
        target.as_os_str(),
    ]);
    expect_success(&out);
    assert!(stderr(&out).contains("metadata.mfs.back.1 (version 58"));
    assert_eq!(version_of(&target), 60);
    let out = auto(dir.path(), &["--to-version", "50"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("no valid metadata file"));
}

#[test]
fn to_time_applies_changes_up_to_that_second() {
    let src = real_case(ROTATION, "metalogger");
    let text = std::fs::read_to_string(src.join("changelog_ml.1.mfs")).unwrap();
    let line = text.lines().nth(20).unwrap();
    let ts: u64 = line
        .split_once(": ")
        .unwrap()
        .1
        .split('|')
        .next()
        .unwrap()
        .parse()
        .unwrap();
    let dir = folder_of("to-time", &[&src]);
    let out = auto(dir.path(), &["--to-time", &ts.to_string()]);
    expect_success(&out);
    let ours = dir.path().join("metadata.mfs");
    let cut = cut_copy("to-time-cut", &src, |_, t| t <= ts);
    let expected_version = {
        let mut ids: Vec<u64> = Vec::new();
        for entry in std::fs::read_dir(cut.path()).unwrap().flatten() {
            if entry.file_name().to_string_lossy().starts_with("changelog") {
                for l in std::fs::read_to_string(entry.path()).unwrap().lines() {
                    ids.push(l.split_once(": ").unwrap().0.parse().unwrap());
                }
            }
        }
        ids.into_iter().max().unwrap() + 1
    };
    assert_eq!(version_of(&ours), expected_version);
    // The same point as RFC 3339.
    let dir2 = folder_of("to-time-rfc", &[&src]);
    let days = ts / 86_400;
    let rfc = rfc3339(ts);
    let out = auto(dir2.path(), &["--to-time", &rfc]);
    expect_success(&out);
    assert_eq!(
        std::fs::read(dir2.path().join("metadata.mfs")).unwrap(),
        std::fs::read(&ours).unwrap(),
        "{rfc} (day {days})"
    );
    if real("to_time_applies_changes_up_to_that_second") {
        let theirs = mfsmaster_result(cut.path()).unwrap();
        assert_eq!(
            std::fs::read(theirs).unwrap(),
            std::fs::read(&ours).unwrap()
        );
    }
}

/// `YYYY-MM-DDTHH:MM:SSZ` for unix seconds (civil-from-days).
fn rfc3339(t: u64) -> String {
    let days = (t / 86_400) as i64;
    let secs = t % 86_400;
    let z = days + 719_468;
    let era = z.div_euclid(146_097);
    let doe = z.rem_euclid(146_097);
    let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365;
    let doy = doe - (365 * yoe + yoe / 4 - yoe / 100);
    let mp = (5 * doy + 2) / 153;
    let d = doy - (153 * mp + 2) / 5 + 1;
    let m = if mp < 10 { mp + 3 } else { mp - 9 };
    let y = yoe + era * 400 + i64::from(m <= 2);
    format!(
        "{y:04}-{m:02}-{d:02}T{:02}:{:02}:{:02}Z",
        secs / 3600,
        secs / 60 % 60,
        secs % 60
    )
}

#[test]
fn zstd_inputs_are_read_transparently() {
    let src = real_case(ROTATION, "metalogger");
    let plain = folder_of("zstd-plain", &[&src]);
    expect_success(&auto(plain.path(), &[]));
    let packed = tmp("zstd");
    for entry in std::fs::read_dir(&src).unwrap().flatten() {
        let bytes = std::fs::read(entry.path()).unwrap();
        let name = format!("{}.zst", entry.file_name().to_string_lossy());
        let z = zstd::stream::encode_all(&bytes[..], 3).unwrap();
        std::fs::write(packed.path().join(name), z).unwrap();
    }
    expect_success(&auto(packed.path(), &[]));
    assert_eq!(
        std::fs::read(packed.path().join("metadata.mfs")).unwrap(),
        std::fs::read(plain.path().join("metadata.mfs")).unwrap()
    );
    // -m with compressed files too.
    let out = packed.path().join("m.mfs");
    let args: Vec<PathBuf> = vec![
        "-m".into(),
        packed.path().join("metadata_ml.mfs.back.zst"),
        "-o".into(),
        out.clone(),
        packed.path().join("changelog_ml.1.mfs.zst"),
        packed.path().join("changelog_ml.0.mfs.zst"),
        packed.path().join("changelog_ml_back.0.mfs.zst"),
    ];
    expect_success(&metarestore(&args));
    assert_eq!(
        std::fs::read(out).unwrap(),
        std::fs::read(plain.path().join("metadata.mfs")).unwrap()
    );
}

#[test]
fn an_output_that_is_an_input_is_refused() {
    let dir = folder_of("same", &[&real_case(ROTATION, "metalogger")]);
    let before = contents(dir.path());
    let meta = dir.path().join("metadata_ml.mfs.back");
    let log = dir.path().join("changelog_ml.0.mfs");
    let cases: Vec<Vec<std::ffi::OsString>> = vec![
        vec![
            "-m".into(),
            meta.clone().into(),
            "-o".into(),
            meta.clone().into(),
        ],
        vec![
            "-m".into(),
            meta.clone().into(),
            "-o".into(),
            log.clone().into(),
            log.clone().into(),
        ],
        vec![
            "-a".into(),
            "-d".into(),
            dir.path().into(),
            "-o".into(),
            log.into(),
        ],
        vec![
            "-a".into(),
            "-d".into(),
            dir.path().into(),
            "-o".into(),
            meta.into(),
        ],
    ];
    for args in cases {
        let out = metarestore(&args);
        assert_eq!(out.status.code(), Some(1), "{args:?}");
        assert!(
            stderr(&out).contains("is an input file"),
            "{}",
            stderr(&out)
        );
    }
    assert_eq!(contents(dir.path()), before);
}

#[test]
fn an_existing_metadata_mfs_is_moved_aside_like_the_master_does() {
    // metadata.mfs and metadata.mfs.back both there: the old metadata.mfs is kept as
    // metadata.mfs.XXXXXX, the old back is gone.
    let dir = folder_of("aside", &[&real_case(ROTATION, "master")]);
    std::fs::copy(
        dir.path().join("metadata.mfs.back.1"),
        dir.path().join("metadata.mfs.back"),
    )
    .unwrap();
    let old = std::fs::read(dir.path().join("metadata.mfs")).unwrap();
    expect_success(&auto(dir.path(), &[]));
    let names = mfs_names(dir.path());
    let kept: Vec<&String> = names
        .iter()
        .filter(|n| n.starts_with("metadata.mfs.") && n.len() == 19 && *n != "metadata.mfs.back.1")
        .collect();
    assert_eq!(kept.len(), 1, "{names:?}");
    assert_eq!(std::fs::read(dir.path().join(kept[0])).unwrap(), old);
    assert!(!dir.path().join("metadata.mfs.back").exists());
    assert_eq!(version_of(&dir.path().join("metadata.mfs")), 78);
}

// ---------------------------------------------------------------------------------------
// Merge rules, on small changelogs over a version-2 image.

/// A folder with the start image and the given changelog files.
fn synthetic(label: &str, files: &[(&str, &str)]) -> TempDir {
    let dir = tmp(label);
    std::fs::copy(start_image(), dir.path().join("metadata_ml.mfs.back")).unwrap();
    for (name, text) in files {
        std::fs::write(dir.path().join(name), text).unwrap();
    }
    dir
}

/// Our result on a copy of `dir`: exit code, stderr, version written (if any).
fn ours_on(dir: &Path, extra: &[&str]) -> (Option<i32>, String, Option<u64>) {
    let copy = folder_of("ours", &[dir]);
    let out = auto(copy.path(), extra);
    let written = copy.path().join("metadata.mfs");
    let version = written.exists().then(|| version_of(&written));
    (out.status.code(), stderr(&out), version)
}

/// The master's result on a copy of `dir`: the version written, or `None` if it failed.
fn theirs_on(dir: &Path) -> Option<u64> {
    let copy = folder_of("theirs", &[dir]);
    mfsmaster_result(copy.path()).map(|m| version_of(&m))
}

#[test]
fn a_bad_line_is_repaired_by_another_file() {
    let mut a = access_lines(2..=10);
    a = a.replace("5: 1795340005|ACCESS(1)", "5: 1795340005|ACCESS(x)");
    let b = access_lines(4..=6);
    let dir = synthetic(
        "repair",
        &[("changelog_ml.0.mfs", &a), ("changelog.0.mfs", &b)],
    );
    let (code, msg, version) = ours_on(dir.path(), &[]);
    assert_eq!((code, version), (Some(0), Some(11)), "{msg}");
    if real("a_bad_line_is_repaired_by_another_file") {
        assert_eq!(theirs_on(dir.path()), Some(11));
        compare_with_mfsmaster(dir.path(), &[], Compare::Exact).unwrap();
    }
}

#[test]
fn an_unrepaired_bad_line_stops_the_restore() {
    let a = access_lines(2..=10).replace("5: 1795340005|ACCESS(1)", "5: 1795340005|ACCESS(x)");
    let dir = synthetic("bad-line", &[("changelog.0.mfs", &a)]);
    let (code, msg, version) = ours_on(dir.path(), &[]);
    assert_eq!((code, version), (Some(1), None));
    assert!(
        msg.contains(
            "changelog.0.mfs:4: change 5 ACCESS(x): cannot parse: expected ')', found 'x'"
        ),
        "{msg}"
    );
    let (code, _, version) = ours_on(dir.path(), &["-b"]);
    assert_eq!((code, version), (Some(EXIT_PARTIAL), Some(5)));
    if real("an_unrepaired_bad_line_stops_the_restore") {
        // The master skips the line, then finds a hole at change 6.
        assert_eq!(theirs_on(dir.path()), None);
    }
    // As the very last line: the master leaves it out silently; we stop there.
    let a = access_lines(2..=5).replace("5: 1795340005|ACCESS(1)", "5: 1795340005|ACCESS(x)");
    let dir = synthetic("bad-last-line", &[("changelog.0.mfs", &a)]);
    let (code, msg, _) = ours_on(dir.path(), &[]);
    assert_eq!(code, Some(1), "{msg}");
    let (code, _, version) = ours_on(dir.path(), &["-b"]);
    assert_eq!((code, version), (Some(EXIT_PARTIAL), Some(5)));
    if real("an_unrepaired_bad_line_stops_the_restore") {
        assert_eq!(theirs_on(dir.path()), Some(5));
    }
}

#[test]
fn garbage_ids_end_a_file_silently() {
    // A repeated id, a step back, and a jump of 10000 each end the file there.
    for (label, tail, last) in [
        ("repeat", "6: 1795340006|ACCESS(1)\n", 6u64),
        ("back", "3: 1795340003|ACCESS(1)\n", 6),
        ("jump", "10006: 1795340006|ACCESS(1)\n", 6),
    ] {
        let text = access_lines(2..=6) + tail + &access_lines(7..=9);
        let dir = synthetic(label, &[("changelog.0.mfs", &text)]);
        let (code, msg, version) = ours_on(dir.path(), &[]);
        assert_eq!((code, version), (Some(0), Some(last + 1)), "{label}: {msg}");
        assert!(
            msg.contains("the rest of the file is ignored"),
            "{label}: {msg}"
        );
        if real("garbage_ids_end_a_file_silently") {
            assert_eq!(theirs_on(dir.path()), Some(last + 1), "{label}");
        }
    }
    // A jump below 10000 is kept: then it is a hole.
    let text = access_lines(2..=6) + &access_lines([10005]);
    let dir = synthetic("jump-hole", &[("changelog.0.mfs", &text)]);
    let (code, msg, _) = ours_on(dir.path(), &[]);
    assert_eq!(code, Some(1));
    assert!(msg.contains("changes 7 to 10004 are missing"), "{msg}");
}

#[test]
fn changes_below_the_metadata_version_are_skipped() {
    let text = access_lines(1..=6);
    let dir = synthetic("below", &[("changelog.0.mfs", &text)]);
    let (code, msg, version) = ours_on(dir.path(), &[]);
    assert_eq!((code, version), (Some(0), Some(7)), "{msg}");
    if real("changes_below_the_metadata_version_are_skipped") {
        compare_with_mfsmaster(dir.path(), &[], Compare::Exact).unwrap();
    }
}

#[test]
fn a_gap_after_the_metadata_is_an_error() {
    let text = access_lines(5..=8);
    let dir = synthetic("gap", &[("changelog.0.mfs", &text)]);
    let (code, msg, version) = ours_on(dir.path(), &[]);
    assert_eq!((code, version), (Some(1), None));
    assert!(
        msg.contains("changelog.0.mfs:1: the changelogs go on with change 5, but the metadata (version 2) needs change 2 next"),
        "{msg}"
    );
    let (code, _, version) = ours_on(dir.path(), &["-b"]);
    assert_eq!((code, version), (Some(EXIT_PARTIAL), Some(2)));
    if real("a_gap_after_the_metadata_is_an_error") {
        assert_eq!(theirs_on(dir.path()), None);
    }
}

#[test]
fn a_failing_change_is_reported_where_the_master_stops() {
    // Creating the same name twice: error 5 (File exists) at the second CREATE.
    let text = "2: 1795340002|CREATE(1,twice,1,420,18,0,0,0):2\n\
                3: 1795340003|ACCESS(1)\n\
                4: 1795340004|CREATE(1,twice,1,420,18,0,0,0):3\n\
                5: 1795340005|ACCESS(1)\n";
    let dir = synthetic("failing", &[("changelog_ml.0.mfs", text)]);
    let (code, msg, version) = ours_on(dir.path(), &[]);
    assert_eq!((code, version), (Some(1), None));
    assert!(
        msg.contains("changelog_ml.0.mfs:3: change 4 CREATE(1,twice,1,420,18,0,0,0):3: error: 5 (File exists)"),
        "{msg}"
    );
    let copy = folder_of("failing-b", &[dir.path()]);
    let out = auto(copy.path(), &["-b"]);
    assert_eq!(out.status.code(), Some(EXIT_PARTIAL));
    assert_eq!(version_of(&copy.path().join("metadata.mfs")), 4);
    if real("a_failing_change_is_reported_where_the_master_stops") {
        assert_eq!(theirs_on(dir.path()), None);
        let cut = cut_copy("failing-cut", dir.path(), |id, _| id < 4);
        let theirs = mfsmaster_result(cut.path()).unwrap();
        assert_eq!(
            std::fs::read(theirs).unwrap(),
            std::fs::read(copy.path().join("metadata.mfs")).unwrap()
        );
    }
}

#[test]
fn a_torn_last_line_of_a_named_changelog_is_left_out() {
    let dir = synthetic("torn", &[]);
    let log = dir.path().join("changelog.0.mfs");
    std::fs::write(&log, access_lines(2..=5) + "6: 17953400").unwrap();
    let out_file = dir.path().join("out.mfs");
    let args: Vec<PathBuf> = vec![
        "-m".into(),
        dir.path().join("metadata_ml.mfs.back"),
        "-o".into(),
        out_file.clone(),
        log,
    ];
    let out = metarestore(&args);
    expect_success(&out);
    assert!(
        stderr(&out).contains("incomplete line, left out"),
        "{}",
        stderr(&out)
    );
    assert_eq!(version_of(&out_file), 6);
}

#[test]
fn a_hole_among_changes_already_in_the_metadata_still_stops_the_restore() {
    // The master's hole check compares with the previous line even when that line was
    // below the metadata version: changes 50..52, then 58.. over an image of version 58
    // fail with "53 to 57 missing" (as after a metalogger restart whose changelog jumps).
    let master = real_case(ROTATION, "master");
    let dir = tmp("hole-below");
    std::fs::copy(
        master.join("metadata.mfs.back.1"),
        dir.path().join("metadata.mfs.back"),
    )
    .unwrap();
    let old = std::fs::read_to_string(master.join("changelog.1.mfs")).unwrap();
    let new = std::fs::read_to_string(master.join("changelog.0.mfs")).unwrap();
    let id = |l: &str| l.split_once(": ").unwrap().0.parse::<u64>().unwrap();
    let text: String = old
        .split_inclusive('\n')
        .filter(|l| (50..=52).contains(&id(l)))
        .chain(new.split_inclusive('\n').filter(|l| id(l) >= 58))
        .collect();
    std::fs::write(dir.path().join("changelog.0.mfs"), text).unwrap();
    let (code, msg, version) = ours_on(dir.path(), &[]);
    assert_eq!((code, version), (Some(1), None), "{msg}");
    assert!(msg.contains("changes 53 to 57 are missing"), "{msg}");
    if real("a_hole_among_changes_already_in_the_metadata_still_stops_the_restore") {
        assert_eq!(theirs_on(dir.path()), None);
    }
}
