//! The harness itself works: a real cluster starts, a workload writes through a FUSE mount,
//! the metalogger catches up, and after the cluster is dropped nothing of it is left: no
//! namespace, no process, no folder.

mod harness;

use std::time::Duration;

use harness::{files, Cluster};

#[test]
fn real_cluster_smoke() {
    if !harness::require_real_mfs("real_cluster_smoke") {
        return;
    }
    let mut cluster = Cluster::start().expect("start cluster");
    let pids = cluster.daemon_pids();
    assert_eq!(pids.len(), 3, "three daemons");
    let ns = cluster.netns().name().to_string();
    let tmp = cluster.tmp_dir().to_path_buf();

    let out = cluster
        .run("echo hello > a.txt; mkdir d; ln -s a.txt d/link; cat a.txt")
        .expect("workload");
    assert_eq!(out.stdout.trim(), "hello");

    let last = cluster
        .wait_metalogger_caught_up(Duration::from_secs(30))
        .expect("catch up");
    let ml0 = cluster.metalogger_data_dir().join("changelog_ml.0.mfs");
    assert_eq!(files::changelog_last_id(&ml0).unwrap(), Some(last));
    assert!(std::fs::read_to_string(&ml0).unwrap().contains("|SYMLINK("));

    // stop_all waits for the metalogger again after the chunkserver's stop (which logs a
    // CSDBOP), so the metalogger ends with exactly the master's stored version.
    cluster.stop_all().expect("stop all");
    let meta = cluster.master_data_dir().join("metadata.mfs");
    let version = files::metadata_version(&meta)
        .unwrap()
        .expect("a version-2 file");
    assert!(version > last + 1, "the chunkserver's stop logs a change");
    assert_eq!(files::changelog_last_id(&ml0).unwrap(), Some(version - 1));
    drop(cluster);

    assert!(!tmp.exists(), "{} left behind", tmp.display());
    assert!(
        harness::netns::list_with_prefix(&ns).unwrap().is_empty(),
        "netns {ns} left behind"
    );
    for pid in pids {
        assert!(!harness::proc::pid_alive(pid), "pid {pid} left behind");
    }
}

/// Writes `testdata/real/` (or `$MFSMETA_CAPTURE_DIR`); run by `scripts/capture-testdata.sh`.
/// `MFSMETA_CAPTURE_CASES=a,b` limits it to some cases.
#[test]
#[ignore = "captures testdata; run scripts/capture-testdata.sh"]
fn capture_testdata() {
    if !harness::require_real_mfs("capture_testdata") {
        return;
    }
    let root = std::env::var_os("MFSMETA_CAPTURE_DIR")
        .map(std::path::PathBuf::from)
        .unwrap_or_else(|| harness::testdata_dir().join("real"));
    let only = std::env::var("MFSMETA_CAPTURE_CASES").unwrap_or_default();
    let only: Vec<&str> = only.split(',').filter(|s| !s.is_empty()).collect();
    harness::recipes::capture(&root, &only).unwrap_or_else(|e| panic!("{e}"));
}

/// The oracles agree with what was captured: a restore of `namespace-rich/metalogger`
/// reproduces `expected/metadump.txt`, a real master loads the expected file, and refuses a
/// truncated one with a clear error.
#[test]
fn real_oracles_on_testdata() {
    if !harness::require_real_mfs("real_oracles_on_testdata") {
        return;
    }
    let case = harness::testdata_dir().join("real/namespace-rich");
    let restored =
        harness::oracle::mfsmaster_restore_copy(&case.join("metalogger")).expect("restore");
    let dump = harness::mfsmetadump_normalized(&restored.metadata).expect("metadump");
    let expected = std::fs::read_to_string(case.join("expected/metadump.txt")).unwrap();
    assert!(
        dump == expected,
        "restore differs from expected/metadump.txt"
    );

    harness::mfsmaster_loads(&case.join("expected/metadata.mfs")).expect("loads");

    let tmp = harness::TempDir::new("truncated").unwrap();
    let bytes = std::fs::read(case.join("expected/metadata.mfs")).unwrap();
    let cut = tmp.path().join("metadata.mfs");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let err = harness::mfsmaster_loads(&cut).expect_err("a truncated file must not load");
    assert!(err.to_string().contains("mfsmaster"), "{err}");
}

#[test]
fn normalize_metadump_blanks_counters_joins_split_names_and_sorts() {
    let raw =
        b"NODE|i:2\nSESSION|s:1|c:[1,2]|l:[3]|i:/mnt\nEDGE|p:1|n:line\nfeed\nEDGE|p:1|n:\xe9\n";
    let got = harness::oracle::normalize_metadump(raw);
    assert_eq!(
        got,
        "EDGE|p:1|n:\\xE9\nEDGE|p:1|n:line\\nfeed\nNODE|i:2\nSESSION|s:1|c:[-]|l:[-]|i:/mnt\n"
    );
}

#[test]
fn changelog_line_ids() {
    assert_eq!(files::line_id(b"12: 1795343206|ACCESS(1)"), Some(12));
    assert_eq!(files::line_id(b"12 1795343206|ACCESS(1)"), None);
    assert_eq!(files::line_id(b""), None);
}
