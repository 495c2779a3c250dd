//! Our restore of a metalogger's folder gives what the real `mfsmaster -a restore` gives,
//! on folders written by a real MooseFS 3.0.117 cluster under realistic workloads.
//!
//! Each `real_…` test is one scenario (the scripts are in `harness/scenarios.rs`): a cluster
//! starts, the workload runs through a FUSE mount and the admin tools, the cluster stops
//! cleanly (`stop_all`), and the **metalogger's** data folder is copied twice. The real
//! `mfsmaster -a restore` runs on one copy, our `metarestore -a -d COPY -o OUT` on the other
//! (until that command exists, the library's replay of `metadata_ml.mfs.back` and every
//! `changelog_ml*.mfs`: see [`OurRestore`]). Then:
//!
//! * the sorted `mfsmetadump` texts (session statistics counters blanked) must be identical,
//!   after the narrow normalisations below; on a difference the test names the first change
//!   after which the two restores differ (found by restoring prefixes of the changelog);
//! * the bytes are compared too, but a difference there is only reported;
//! * for most scenarios the real `mfsmaster` must start from our output.
//!
//! One scenario writes a folder that MooseFS's own restore cannot replay (a snapshot by a
//! user whose access came from a group, see `scenarios::group_snapshot`): there both must
//! refuse, at the same change with the same error.
//!
//! # What may differ between two runs of MooseFS itself on the same input
//!
//! * **A chunk's `lockedto`** (`t:` of `CHUNK` records) is stored as 0 when it is below the
//!   wall clock at store time. A restore run within 120 s of a WRITE/TRUNC stores the lock
//!   time, a restore a moment later stores 0. So where exactly one side has 0 and the other
//!   has a value that lies between the start of the first restore and the end of the second
//!   (the clock passed it in between), that field of that record is blanked on both sides.
//!   Any other difference in `lockedto` fails.
//! * **Root times from `MFSM NEW`** do not occur: every scenario starts from a real version-2
//!   metadata file (`Init::StartStop`), from which the restore is independent of the clock.
//!
//! Nothing else is normalised.

mod harness;
#[path = "harness/scenarios.rs"]
mod scenarios;
mod support;

use std::collections::{BTreeMap, HashSet};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::{Duration, Instant, SystemTime, UNIX_EPOCH};

use harness::files::{self, copy_mfs_files};
use harness::oracle::{blank_expired_locks, mfsmaster_restore_copy, mfsmetadump_normalized};
use harness::{Cluster, ClusterOptions, RunOptions, TempDir};

/// The metadata file a metalogger downloads (the newest one in its folder).
const ML_METADATA: &str = "metadata_ml.mfs.back";

/// How long a scenario may wait for its marks and for the metalogger.
const WAIT: Duration = Duration::from_secs(90);

// ----- running our restore -----

/// How our side of the comparison is run.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum OurRestore {
    /// `metarestore -a -d DIR -o OUT`: the restore command, with its own choice of files.
    Cli,
    /// `support::replay_files` on `metadata_ml.mfs.back` and every `changelog_ml*.mfs`:
    /// the library alone, while the restore command does not exist yet.
    Library,
}

/// [`OurRestore::Cli`] once `metarestore --help` lists `-a`.
fn our_restore_kind() -> OurRestore {
    let help = Command::new(env!("CARGO_BIN_EXE_metarestore"))
        .arg("--help")
        .output()
        .map(|o| String::from_utf8_lossy(&o.stdout).into_owned())
        .unwrap_or_default();
    if help.lines().any(|l| l.trim_start().starts_with("-a")) {
        OurRestore::Cli
    } else {
        OurRestore::Library
    }
}

/// Restores the folder `dir` (a copy we own) into `out`.
fn our_restore(kind: OurRestore, dir: &Path, out: &Path) -> Result<(), String> {
    match kind {
        OurRestore::Cli => {
            let res = Command::new(env!("CARGO_BIN_EXE_metarestore"))
                .arg("-a")
                .arg("-d")
                .arg(dir)
                .arg("-o")
                .arg(out)
                .output()
                .map_err(|e| format!("cannot run metarestore: {e}"))?;
            if res.status.success() {
                Ok(())
            } else {
                Err(format!(
                    "metarestore -a failed ({}): {}",
                    res.status,
                    String::from_utf8_lossy(&res.stderr).trim_end()
                ))
            }
        }
        OurRestore::Library => {
            let logs: Vec<PathBuf> = files::list_files(dir)
                .map_err(|e| e.to_string())?
                .into_iter()
                .filter(|p| {
                    p.file_name()
                        .and_then(|n| n.to_str())
                        .is_some_and(|n| n.starts_with("changelog_ml") && n.ends_with(".mfs"))
                })
                .collect();
            let now = u32::try_from(unix_now()).unwrap_or(u32::MAX);
            let bytes = support::replay_files(&dir.join(ML_METADATA), &logs, now)?;
            std::fs::write(out, bytes).map_err(|e| format!("write {}: {e}", out.display()))
        }
    }
}

// ----- comparing -----

/// Both restores of one folder.
struct Restores {
    /// Keeps the real restore's folder alive.
    _theirs_dir: harness::oracle::Restored,
    theirs: PathBuf,
    _ours_dir: TempDir,
    ours: PathBuf,
    /// Wall-clock seconds from the start of the first restore to the end of the second.
    clock: RangeInclusive<u64>,
}

/// Runs the real restore on one copy of `dir` and ours on another.
fn restore_both(kind: OurRestore, dir: &Path) -> Result<Restores, String> {
    let start = unix_now();
    let theirs =
        mfsmaster_restore_copy(dir).map_err(|e| format!("the real mfsmaster failed: {e}"))?;
    let ours_dir = TempDir::new("ours").map_err(|e| e.to_string())?;
    let input = ours_dir.path().join("input");
    copy_mfs_files(dir, &input).map_err(|e| e.to_string())?;
    let ours = ours_dir.path().join("metadata.mfs");
    our_restore(kind, &input, &ours)?;
    Ok(Restores {
        theirs: theirs.metadata.clone(),
        _theirs_dir: theirs,
        _ours_dir: ours_dir,
        ours,
        clock: start..=unix_now(),
    })
}

/// The two normalised dumps, and how many `lockedto` fields were blanked.
fn normalised_dumps(r: &Restores) -> Result<(String, String, usize), String> {
    let theirs = mfsmetadump_normalized(&r.theirs).map_err(|e| e.to_string())?;
    let ours = mfsmetadump_normalized(&r.ours).map_err(|e| e.to_string())?;
    Ok(blank_expired_locks(&theirs, &ours, &r.clock))
}

/// Lines only in `theirs` (`-`) and only in `ours` (`+`), at most `max`.
fn dump_diff(theirs: &str, ours: &str, max: usize) -> String {
    let a: HashSet<&str> = theirs.lines().collect();
    let b: HashSet<&str> = ours.lines().collect();
    let mut out: Vec<String> = theirs
        .lines()
        .filter(|l| !b.contains(l))
        .map(|l| format!("- {l}"))
        .chain(
            ours.lines()
                .filter(|l| !a.contains(l))
                .map(|l| format!("+ {l}")),
        )
        .collect();
    let total = out.len();
    out.truncate(max);
    if total > max {
        out.push(format!("… {} more lines", total - max));
    }
    out.join("\n")
}

/// Whether a real master must start from our output.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum MasterLoad {
    Check,
    Skip,
}

/// The comparison of one scenario; panics with a full report on a difference.
fn assert_restores_match(scenario: &str, ml_dir: &Path, load: MasterLoad) {
    let started = Instant::now();
    let kind = our_restore_kind();
    // Work on a private copy: the cluster may be used again (or dropped) meanwhile.
    let saved = TempDir::new("saved-ml").expect("temporary folder");
    let copied = copy_mfs_files(ml_dir, saved.path()).expect("copy the metalogger's folder");
    let restores = restore_both(kind, saved.path());
    let report = |why: String| -> String {
        let culprit = first_divergence(kind, saved.path())
            .unwrap_or_else(|e| format!("(could not locate the first difference: {e})"));
        format!(
            "{scenario}: our restore ({kind:?}) differs from mfsmaster -a restore\n{why}\n\
             {culprit}\nfiles: {copied:?}"
        )
    };
    let restores = match restores {
        Ok(r) => r,
        Err(e) => panic!("{}", report(e)),
    };
    let (theirs, ours, blanked) = normalised_dumps(&restores).unwrap_or_else(|e| panic!("{e}"));
    if theirs != ours {
        panic!(
            "{}",
            report(format!(
                "mfsmetadump differs:\n{}",
                dump_diff(&theirs, &ours, 60)
            ))
        );
    }
    let records = theirs.lines().count();
    let bytes_theirs = std::fs::read(&restores.theirs).expect("read their output");
    let bytes_ours = std::fs::read(&restores.ours).expect("read our output");
    if bytes_theirs != bytes_ours {
        let at = bytes_theirs
            .iter()
            .zip(&bytes_ours)
            .position(|(a, b)| a != b)
            .unwrap_or(bytes_theirs.len().min(bytes_ours.len()));
        eprintln!(
            "NOTE {scenario}: same records but different bytes (first difference at byte {at}; \
             {} vs {} bytes)",
            bytes_theirs.len(),
            bytes_ours.len()
        );
    }
    if load == MasterLoad::Check {
        if let Err(e) = harness::mfsmaster_loads(&restores.ours) {
            panic!("{scenario}: the real mfsmaster does not load our output: {e}");
        }
    }
    eprintln!(
        "{scenario}: {records} records identical ({kind:?}, {blanked} lockedto blanked, \
         bytes {}, master load {load:?}) in {:.1?}",
        if bytes_theirs == bytes_ours {
            "identical"
        } else {
            "DIFFERENT"
        },
        started.elapsed()
    );
}

/// For a folder MooseFS itself cannot restore: the real restore must fail at the change
/// whose text contains `change` (checked, so the scenario fails for the expected reason),
/// and ours must fail too, naming the same change and the same error.
fn assert_both_refuse(scenario: &str, ml_dir: &Path, change: &str) {
    let kind = our_restore_kind();
    let saved = TempDir::new("saved-ml").expect("temporary folder");
    copy_mfs_files(ml_dir, saved.path()).expect("copy the metalogger's folder");
    // `changelog_ml.0.mfs:61: operation (TS|OP(ARGS):RESULT\n) error: 32 (Data mismatch)`
    let theirs = match mfsmaster_restore_copy(saved.path()) {
        Ok(_) => panic!("{scenario}: mfsmaster -a restore succeeded, expected it to fail"),
        Err(e) => e.to_string(),
    };
    let failed = theirs
        .split("operation (")
        .nth(1)
        .unwrap_or_else(|| panic!("{scenario}: no failing operation in:\n{theirs}"));
    let op = failed
        .split_once('|')
        .map_or(failed, |(_, rest)| rest)
        .split('\n')
        .next()
        .unwrap_or("");
    let error = failed
        .split(") error: ")
        .nth(1)
        .and_then(|rest| rest.lines().next())
        .unwrap_or("");
    assert!(
        op.contains(change),
        "{scenario}: mfsmaster -a restore failed elsewhere than expected:\n{theirs}"
    );
    // `32 (Data mismatch)`: the description is what both print.
    let description = error
        .split_once('(')
        .map_or(error, |(_, d)| d.trim_end_matches(')'));
    let ours_dir = TempDir::new("ours").expect("temporary folder");
    let input = ours_dir.path().join("input");
    copy_mfs_files(saved.path(), &input).expect("copy");
    match our_restore(kind, &input, &ours_dir.path().join("metadata.mfs")) {
        Ok(()) => panic!(
            "{scenario}: our restore ({kind:?}) succeeded, mfsmaster -a restore failed at \
             {op}: {error}"
        ),
        Err(ours) => {
            let op_args = op.split("):").next().unwrap_or(op);
            assert!(
                ours.contains(op_args) && ours.contains(description),
                "{scenario}: our restore ({kind:?}) failed differently.\n\
                 mfsmaster: {op}: {error}\nours: {ours}"
            );
            eprintln!("{scenario}: both refuse at {op}: {error} ({kind:?}: {ours})");
        }
    }
}

/// Restores prefixes of the folder's changelog (merged by id, from the metadata's version on)
/// with both programs and returns the first change after which they differ, with the
/// difference at that point.
fn first_divergence(kind: OurRestore, dir: &Path) -> Result<String, String> {
    let meta = dir.join(ML_METADATA);
    let version = files::metadata_version(&meta)
        .map_err(|e| e.to_string())?
        .ok_or("the metalogger's metadata is the MFSM NEW placeholder")?;
    let mut by_id: BTreeMap<u64, Vec<u8>> = BTreeMap::new();
    for path in files::list_files(dir).map_err(|e| e.to_string())? {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.starts_with("changelog") {
            continue;
        }
        let bytes = std::fs::read(&path).map_err(|e| e.to_string())?;
        for line in bytes.split_inclusive(|&b| b == b'\n') {
            if let Some(id) = files::line_id(line).filter(|&id| id >= version) {
                by_id.entry(id).or_insert_with(|| line.to_vec());
            }
        }
    }
    let lines: Vec<(u64, Vec<u8>)> = by_id.into_iter().collect();
    // Some(diff) when the restores of the first `n` changes differ.
    let differs = |n: usize| -> Result<Option<String>, String> {
        let tmp = TempDir::new("prefix").map_err(|e| e.to_string())?;
        std::fs::copy(&meta, tmp.path().join(ML_METADATA)).map_err(|e| e.to_string())?;
        if n > 0 {
            let text: Vec<u8> = lines[..n].iter().flat_map(|(_, l)| l.clone()).collect();
            std::fs::write(tmp.path().join("changelog_ml.0.mfs"), text)
                .map_err(|e| e.to_string())?;
        }
        match restore_both(kind, tmp.path()) {
            Err(e) if e.starts_with("the real mfsmaster failed") => Err(e),
            Err(e) => Ok(Some(e)),
            Ok(r) => {
                let (theirs, ours, _) = normalised_dumps(&r)?;
                Ok((theirs != ours).then(|| dump_diff(&theirs, &ours, 30)))
            }
        }
    };
    if let Some(diff) = differs(0)? {
        return Ok(format!(
            "the metadata file alone (version {version}) already restores differently:\n{diff}"
        ));
    }
    // Invariant: prefix `lo` restores alike, prefix `hi` differently.
    let (mut lo, mut hi) = (0, lines.len());
    let mut hi_diff = match differs(hi)? {
        Some(d) => d,
        None => {
            return Ok(format!(
                "restores of the merged changelog ({} changes from {version}) agree: the \
                 difference comes from the choice of files",
                lines.len()
            ))
        }
    };
    while hi - lo > 1 {
        let mid = lo + (hi - lo) / 2;
        match differs(mid)? {
            Some(d) => {
                hi = mid;
                hi_diff = d;
            }
            None => lo = mid,
        }
    }
    let (id, line) = &lines[hi - 1];
    Ok(format!(
        "first change after which the restores differ: {id}: {}\nthere:\n{hi_diff}",
        String::from_utf8_lossy(line).trim_end()
    ))
}

// ----- scenarios -----

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

/// Unwraps a harness result, panicking with its text (which quotes the daemons' logs).
fn ok<T>(r: harness::Result<T>, what: &str) -> T {
    r.unwrap_or_else(|e| panic!("{what}: {e}"))
}

/// Times the phases of one scenario (printed with `--nocapture`).
struct Timer {
    scenario: &'static str,
    start: Instant,
    last: Instant,
}

impl Timer {
    fn new(scenario: &'static str) -> Timer {
        let now = Instant::now();
        Timer {
            scenario,
            start: now,
            last: now,
        }
    }

    fn phase(&mut self, what: &str) {
        let now = Instant::now();
        eprintln!(
            "{}: {what} took {:.1?} (total {:.1?})",
            self.scenario,
            now - self.last,
            now - self.start
        );
        self.last = now;
    }
}

/// Fails unless every operation of `ops` occurs in the changelogs of the metalogger's
/// folder `dir` (the scenario really exercises what it is about); prints how often each
/// operation occurs (lines of the downloaded `changelog_ml_back.*` count again).
fn assert_ops_logged(scenario: &str, dir: &Path, ops: &[&str]) {
    let mut seen: BTreeMap<String, usize> = BTreeMap::new();
    for path in files::list_files(dir).expect("list the metalogger's folder") {
        let name = path.file_name().and_then(|n| n.to_str()).unwrap_or("");
        if !name.starts_with("changelog") {
            continue;
        }
        let bytes = std::fs::read(&path).expect("read a changelog");
        // `ID: TS|OP(ARGS)…`: names escape `(`, so the first `(` ends the operation.
        for line in bytes.split(|&b| b == b'\n') {
            let op = line.iter().position(|&b| b == b'|').and_then(|bar| {
                let rest = &line[bar + 1..];
                let end = rest.iter().position(|&b| b == b'(')?;
                std::str::from_utf8(&rest[..end]).ok()
            });
            if let Some(op) = op {
                *seen.entry(op.to_string()).or_default() += 1;
            }
        }
    }
    let missing: Vec<&str> = ops
        .iter()
        .copied()
        .filter(|op| !seen.contains_key(*op))
        .collect();
    assert!(
        missing.is_empty(),
        "{scenario}: the workload logged no {missing:?} (logged: {seen:?})"
    );
    eprintln!("{scenario}: operations logged: {seen:?}");
}

/// The common shape: start, run one workload, stop, check that `ops` were logged, compare.
fn simple_scenario(
    scenario: &'static str,
    script: &str,
    run: RunOptions,
    ops: &[&str],
    load: MasterLoad,
) {
    if !harness::require_real_mfs(scenario) {
        return;
    }
    let mut t = Timer::new(scenario);
    let mut cluster = ok(Cluster::start(), "start the cluster");
    t.phase("cluster start");
    ok(cluster.run_with(script, run), "workload");
    t.phase("workload");
    ok(cluster.stop_all(), "stop the cluster");
    t.phase("stop");
    assert_ops_logged(scenario, &cluster.metalogger_data_dir(), ops);
    assert_restores_match(scenario, &cluster.metalogger_data_dir(), load);
    t.phase("restores and comparison");
}

#[test]
fn real_trees_and_renames() {
    simple_scenario(
        "real_trees_and_renames",
        scenarios::TREES_RENAMES,
        RunOptions::default(),
        &["CREATE", "MOVE", "UNLINK", "LINK", "SETTRASHTIME"],
        MasterLoad::Check,
    );
}

#[test]
fn real_links_and_deletes() {
    simple_scenario(
        "real_links_and_deletes",
        scenarios::LINKS_DELETES,
        RunOptions::default(),
        &["CREATE", "LINK", "SYMLINK", "UNLINK", "MOVE"],
        MasterLoad::Skip,
    );
}

#[test]
fn real_odd_names() {
    simple_scenario(
        "real_odd_names",
        scenarios::ODD_NAMES,
        RunOptions::default(),
        &["CREATE", "SYMLINK", "MOVE", "LINK", "UNLINK"],
        MasterLoad::Check,
    );
}

#[test]
fn real_attributes_and_setgid() {
    simple_scenario(
        "real_attributes_and_setgid",
        scenarios::ATTRIBUTES,
        RunOptions::default(),
        &["ATTR"],
        MasterLoad::Skip,
    );
}

#[test]
fn real_chunks_writes_truncates_appends() {
    simple_scenario(
        "real_chunks_writes_truncates_appends",
        scenarios::CHUNKS,
        RunOptions::default(),
        &["WRITE", "LENGTH", "UNLOCK", "APPEND"],
        MasterLoad::Check,
    );
}

#[test]
fn real_xattrs_and_acls() {
    simple_scenario(
        "real_xattrs_and_acls",
        scenarios::XATTRS_ACLS,
        RunOptions::default(),
        &["SETXATTR", "SETACL"],
        MasterLoad::Check,
    );
}

#[test]
fn real_trash_undelete_purge() {
    simple_scenario(
        "real_trash_undelete_purge",
        scenarios::TRASH_UNDELETE,
        RunOptions::default().with_meta_mount(),
        &["UNDEL", "PURGE", "SETPATH", "SETTRASHTIME"],
        MasterLoad::Skip,
    );
}

#[test]
fn real_snapshots() {
    simple_scenario(
        "real_snapshots",
        scenarios::SNAPSHOTS,
        RunOptions::default(),
        &["SNAPSHOT", "WRITE"],
        MasterLoad::Check,
    );
}

#[test]
fn real_storage_classes_and_goals() {
    simple_scenario(
        "real_storage_classes_and_goals",
        scenarios::SCLASSES_GOALS,
        RunOptions::default(),
        &["SCSET", "SCDUP", "SCREN", "SCDEL", "SETSCLASS", "ARCHCHG"],
        MasterLoad::Check,
    );
}

#[test]
fn real_quotas_and_eattrs() {
    simple_scenario(
        "real_quotas_and_eattrs",
        scenarios::QUOTAS_EATTRS,
        RunOptions::default(),
        &["QUOTA", "SETEATTR"],
        MasterLoad::Skip,
    );
}

#[test]
fn real_other_users_and_snapshot_access() {
    simple_scenario(
        "real_other_users_and_snapshot_access",
        &scenarios::other_users(),
        RunOptions::default(),
        &["SNAPSHOT", "CREATE", "ATTR", "SETXATTR"],
        MasterLoad::Check,
    );
}

/// (16b) See [`scenarios::group_snapshot`]: MooseFS's own restore of this folder fails at a
/// SNAPSHOT by a user whose access came from a group; ours must fail at the same change.
#[test]
fn real_group_snapshot_restore_fails_like_mfsmaster() {
    let scenario = "real_group_snapshot_restore_fails_like_mfsmaster";
    if !harness::require_real_mfs(scenario) {
        return;
    }
    let mut t = Timer::new(scenario);
    let mut cluster = ok(Cluster::start(), "start the cluster");
    t.phase("cluster start");
    ok(cluster.run(&scenarios::group_snapshot()), "workload");
    t.phase("workload");
    ok(cluster.stop_all(), "stop the cluster");
    t.phase("stop");
    assert_ops_logged(scenario, &cluster.metalogger_data_dir(), &["SNAPSHOT"]);
    assert_both_refuse(scenario, &cluster.metalogger_data_dir(), ",snap_by_group,");
    t.phase("restores");
}

/// (11) Locks taken, waited for and released across two sessions; then, with the last locks,
/// open files and sustained files still held, the cluster stops, so the restores carry
/// sessions, open files, flock and POSIX locks. Afterwards the master starts again alone so
/// the workload can let go and unmount.
#[test]
fn real_locks_open_files_two_sessions() {
    let scenario = "real_locks_open_files_two_sessions";
    if !harness::require_real_mfs(scenario) {
        return;
    }
    let mut t = Timer::new(scenario);
    let mut cluster = ok(Cluster::start(), "start the cluster");
    t.phase("cluster start");
    let mut held = ok(
        cluster.spawn_with(scenarios::LOCKS_SESSIONS, RunOptions::default()),
        "start the workload",
    );
    ok(held.wait_mark("held", WAIT), "locks held");
    t.phase("workload up to `held`");
    ok(cluster.stop_all(), "stop the cluster");
    t.phase("stop");
    assert_ops_logged(
        scenario,
        &cluster.metalogger_data_dir(),
        &["SESADD", "ACQUIRE", "FLOCK", "POSIXLOCK"],
    );
    assert_restores_match(scenario, &cluster.metalogger_data_dir(), MasterLoad::Check);
    t.phase("restores and comparison");
    ok(cluster.start_master(), "start the master again");
    ok(held.signal("release"), "signal release");
    ok(held.wait(WAIT), "workload end");
    t.phase("release");
}

/// (12) The master stops and starts while a workload runs (with a file open across the
/// restart); the workload goes on afterwards.
#[test]
fn real_master_restart_midway() {
    let scenario = "real_master_restart_midway";
    if !harness::require_real_mfs(scenario) {
        return;
    }
    let mut t = Timer::new(scenario);
    let mut cluster = ok(Cluster::start(), "start the cluster");
    t.phase("cluster start");
    let mut work = ok(
        cluster.spawn_with(scenarios::RESTART_MIDWAY, RunOptions::default()),
        "start the workload",
    );
    ok(work.wait_mark("before_restart", WAIT), "first half");
    ok(cluster.wait_metalogger_caught_up(WAIT), "metalogger");
    ok(cluster.restart_master(), "restart the master");
    ok(work.signal("restarted"), "signal");
    let out = ok(work.wait(WAIT), "second half");
    assert_eq!(out.stdout, "open across the restart\n");
    t.phase("workload with a master restart");
    ok(cluster.stop_all(), "stop the cluster");
    t.phase("stop");
    assert_ops_logged(
        scenario,
        &cluster.metalogger_data_dir(),
        &["WRITE", "SETXATTR", "MOVE"],
    );
    assert_restores_match(scenario, &cluster.metalogger_data_dir(), MasterLoad::Skip);
    t.phase("restores and comparison");
}

/// (13) A first workload, a master restart (it stores its metadata), a metalogger restart
/// (it downloads that non-empty metadata), a second workload: the restores start from a
/// downloaded snapshot with content, and older changelog files lie next to it.
#[test]
fn real_start_from_downloaded_snapshot() {
    let scenario = "real_start_from_downloaded_snapshot";
    if !harness::require_real_mfs(scenario) {
        return;
    }
    let mut t = Timer::new(scenario);
    let mut cluster = ok(Cluster::start(), "start the cluster");
    t.phase("cluster start");
    ok(
        cluster.run(scenarios::SNAPSHOT_START_FIRST),
        "first workload",
    );
    ok(cluster.wait_metalogger_caught_up(WAIT), "metalogger");
    ok(cluster.restart_master(), "restart the master");
    ok(cluster.stop_metalogger(), "stop the metalogger");
    ok(cluster.start_metalogger(), "start the metalogger");
    let downloaded = ok(
        files::metadata_version(&cluster.metalogger_data_dir().join(ML_METADATA)),
        "downloaded metadata",
    );
    assert!(
        downloaded.is_some_and(|v| v > 20),
        "the metalogger should have downloaded the first workload's metadata, has version \
         {downloaded:?}"
    );
    t.phase("first workload, restarts, download");
    ok(
        cluster.run(scenarios::SNAPSHOT_START_SECOND),
        "second workload",
    );
    t.phase("second workload");
    ok(cluster.stop_all(), "stop the cluster");
    t.phase("stop");
    assert_ops_logged(
        scenario,
        &cluster.metalogger_data_dir(),
        &["SNAPSHOT", "SCREN", "QUOTA", "SETACL"],
    );
    assert_restores_match(scenario, &cluster.metalogger_data_dir(), MasterLoad::Check);
    t.phase("restores and comparison");
}

/// (15) Chunks without any copy: the chunkserver stops, `mfsfilerepair` runs on files
/// whose chunks are gone, the chunkserver comes back and the files are written again.
#[test]
fn real_lost_chunks_and_filerepair() {
    let scenario = "real_lost_chunks_and_filerepair";
    if !harness::require_real_mfs(scenario) {
        return;
    }
    let mut t = Timer::new(scenario);
    let mut cluster = ok(Cluster::start(), "start the cluster");
    t.phase("cluster start");
    let mut work = ok(
        cluster.spawn_with(scenarios::CHUNKS_LOST_REPAIR, RunOptions::default()),
        "start the workload",
    );
    ok(work.wait_mark("written", WAIT), "files written");
    ok(cluster.stop_chunkserver(), "stop the chunkserver");
    ok(work.signal("cs_down"), "signal");
    ok(work.wait_mark("repaired", WAIT), "mfsfilerepair");
    ok(cluster.start_chunkserver(), "start the chunkserver");
    ok(work.signal("cs_up"), "signal");
    ok(work.wait(WAIT), "workload");
    t.phase("workload");
    ok(cluster.stop_all(), "stop the cluster");
    t.phase("stop");
    assert_ops_logged(
        scenario,
        &cluster.metalogger_data_dir(),
        &["WRITE", "REPAIR"],
    );
    assert_restores_match(scenario, &cluster.metalogger_data_dir(), MasterLoad::Check);
    t.phase("restores and comparison");
}

/// How often `needle` occurs in the metalogger's own changelogs (`changelog_ml.N.mfs`; the
/// downloaded `changelog_ml_back.*` repeat lines).
fn ml_count(dir: &Path, needle: &str) -> usize {
    files::list_files(dir)
        .unwrap_or_default()
        .iter()
        .filter(|p| {
            p.file_name()
                .and_then(|n| n.to_str())
                .is_some_and(|n| n.starts_with("changelog_ml.") && n.ends_with(".mfs"))
        })
        .map(|p| {
            std::fs::read(p)
                .map(|b| String::from_utf8_lossy(&b).matches(needle).count())
                .unwrap_or(0)
        })
        .sum()
}

/// Waits until `cond` holds, polling every half second.
fn wait_until(what: &str, timeout: Duration, cond: impl Fn() -> bool) {
    let end = Instant::now() + timeout;
    while !cond() {
        assert!(Instant::now() < end, "timed out after {timeout:?}: {what}");
        std::thread::sleep(Duration::from_millis(500));
    }
}

/// (14) Changes the master makes on its own clock, with the master under libfaketime
/// (INODE_REUSE_DELAY = 300 s, the minimum), the trick of `recipes::capture_time_driven`:
///
/// 1. [`scenarios::TIME_DRIVEN_FIRST`]: trash with a 1 h trash time, freed folders, a
///    sustained file; the unmount closes the session.
/// 2. The master's clock jumps 2 h 5 min ahead: SESDEL (its uptime now counts as > 120 s)
///    and FREEINODES of the folders' inodes.
/// 3. The master restarts (same offset): trash and sustained buckets are walked from the
///    start, one a second, so EMPTYTRASH and EMPTYSUSTAINED of the small inodes come at once.
/// 4. [`scenarios::TIME_DRIVEN_SECOND`] (new inodes, some reused); another 10 minutes: the
///    purged inodes pass the reuse delay (FREEINODES again); stop.
#[test]
fn real_time_driven_faketime() {
    let scenario = "real_time_driven_faketime";
    if !harness::require_real_mfs(scenario) {
        return;
    }
    let mut t = Timer::new(scenario);
    let opts = ClusterOptions {
        master_faketime: true,
        ..Default::default()
    }
    .master_cfg("INODE_REUSE_DELAY", "300");
    let mut cluster = ok(Cluster::start_with(opts), "start the cluster");
    let ml = cluster.metalogger_data_dir();
    t.phase("cluster start");
    ok(cluster.run(scenarios::TIME_DRIVEN_FIRST), "first workload");
    ok(cluster.wait_metalogger_caught_up(WAIT), "metalogger");
    t.phase("first workload");

    let offset: i64 = 2 * 3600 + 300;
    ok(cluster.set_master_clock_offset(offset), "clock jump");
    wait_until(
        "SESDEL and FREEINODES after the clock jump",
        Duration::from_secs(150),
        || ml_count(&ml, "|SESDEL(") > 0 && ml_count(&ml, "|FREEINODES(") > 0,
    );
    t.phase("SESDEL and FREEINODES");

    ok(cluster.wait_metalogger_caught_up(WAIT), "metalogger");
    ok(cluster.restart_master(), "restart the master");
    wait_until(
        "EMPTYTRASH and EMPTYSUSTAINED after the restart",
        Duration::from_secs(90),
        || ml_count(&ml, "|EMPTYTRASH(") > 0 && ml_count(&ml, "|EMPTYSUSTAINED(") > 0,
    );
    t.phase("restart, EMPTYTRASH and EMPTYSUSTAINED");

    ok(
        cluster.run(scenarios::TIME_DRIVEN_SECOND),
        "second workload",
    );
    let freed = ml_count(&ml, "|FREEINODES(");
    ok(cluster.set_master_clock_offset(offset + 600), "clock jump");
    wait_until(
        "FREEINODES of the purged inodes",
        Duration::from_secs(120),
        || ml_count(&ml, "|FREEINODES(") > freed,
    );
    t.phase("second workload and FREEINODES");
    ok(cluster.stop_all(), "stop the cluster");
    t.phase("stop");
    assert_ops_logged(
        scenario,
        &ml,
        &["SESDEL", "FREEINODES", "EMPTYTRASH", "EMPTYSUSTAINED"],
    );
    assert_restores_match(scenario, &ml, MasterLoad::Check);
    t.phase("restores and comparison");
}

// ----- the normalisation itself -----

#[test]
fn expired_lock_is_blanked_only_inside_the_window() {
    let theirs = "CHUNK|i:0x01|v:0x1|t:      1000|a:0\nCHUNK|i:0x02|v:0x1|t:      5000|a:0\n\
                  CHUNK|i:0x03|v:0x1|t:      1001|a:0\n";
    let ours = "CHUNK|i:0x01|v:0x1|t:         0|a:0\nCHUNK|i:0x02|v:0x1|t:         0|a:0\n\
                CHUNK|i:0x03|v:0x1|t:      1002|a:0\n";
    let (a, b, n) = blank_expired_locks(theirs, ours, &(990..=1010));
    assert_eq!(n, 1);
    assert!(a.contains("CHUNK|i:0x01|v:0x1|t:-|a:0") && b.contains("CHUNK|i:0x01|v:0x1|t:-|a:0"));
    // Outside the window, and two different non-zero values, stay as they are.
    assert!(a.contains("t:      5000") && b.contains("i:0x02|v:0x1|t:         0"));
    assert!(a.contains("t:      1001") && b.contains("t:      1002"));
}
