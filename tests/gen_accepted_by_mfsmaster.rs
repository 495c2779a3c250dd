//! `mfsmeta-gen` writes inputs that the real `mfsmaster -a restore` accepts, in each
//! mode, and our `metarestore -a` makes the same `metadata.mfs` of them.
//!
//! Scenario: a small tree (2000 files, 2 operations per file) generated with a fixed
//! seed; the real master restores a copy and must succeed; `metarestore -a -d COPY2 -o
//! OUT` restores another copy; both outputs are byte-identical. Also: the same seed
//! gives the same files.
//!
//! The snapshot is written directly (no replay), so it must be byte for byte what a
//! restore makes of the changes that build the same tree: the changelog-only output of
//! the same seed, restored by `metarestore` and by the real `mfsmaster`, must give the
//! snapshot-only output's `metadata.mfs`.
//!
//! Tests named `real_…` need root and the MooseFS 3.0.117 packages (they skip otherwise).

mod harness;

use std::path::Path;
use std::process::Command;

use harness::oracle::mfsmaster_restore_copy;
use harness::TempDir;
use mfsmeta::gen::{generate, Mode, Options};

fn gen(dir: &Path, mode: Mode, seed: u64) {
    gen_with(dir, mode, seed, 2);
}

fn gen_with(dir: &Path, mode: Mode, seed: u64, ops_per_file: u64) {
    let options = Options {
        files: 2000,
        ops_per_file,
        out: dir.to_path_buf(),
        seed,
        mode,
    };
    generate(&options).expect("generate");
}

/// Generates in `mode`, restores with mfsmaster and with metarestore, compares.
fn check_mode(label: &str, mode: Mode) {
    let input = TempDir::new(label).expect("tempdir");
    gen(input.path(), mode, 7);
    let real =
        mfsmaster_restore_copy(input.path()).expect("mfsmaster -a restore accepts the input");

    let ours_dir = TempDir::new(label).expect("tempdir");
    harness::files::copy_mfs_files(input.path(), ours_dir.path()).expect("copy");
    let out = ours_dir.path().join("out.mfs");
    let status = Command::new(env!("CARGO_BIN_EXE_metarestore"))
        .arg("-a")
        .arg("-d")
        .arg(ours_dir.path())
        .arg("-o")
        .arg(&out)
        .status()
        .expect("run metarestore");
    assert!(status.success(), "metarestore -a failed: {status}");
    let theirs = std::fs::read(&real.metadata).expect("read mfsmaster output");
    let ours = std::fs::read(&out).expect("read metarestore output");
    if theirs != ours {
        assert_eq!(
            harness::mfsmetadump_normalized(&real.metadata).expect("dump"),
            harness::mfsmetadump_normalized(&out).expect("dump"),
        );
    }
}

#[test]
fn real_gen_both_accepted_by_mfsmaster() {
    if !harness::require_real_mfs("real_gen_both_accepted_by_mfsmaster") {
        return;
    }
    check_mode("gen-both", Mode::Both);
}

#[test]
fn real_gen_snapshot_only_accepted_by_mfsmaster() {
    if !harness::require_real_mfs("real_gen_snapshot_only_accepted_by_mfsmaster") {
        return;
    }
    check_mode("gen-snapshot", Mode::SnapshotOnly);
}

#[test]
fn real_gen_changelog_only_accepted_by_mfsmaster() {
    if !harness::require_real_mfs("real_gen_changelog_only_accepted_by_mfsmaster") {
        return;
    }
    check_mode("gen-changelog", Mode::ChangelogOnly);
}

#[test]
fn same_seed_same_files() {
    let a = TempDir::new("gen-seed").expect("tempdir");
    let b = TempDir::new("gen-seed").expect("tempdir");
    gen(a.path(), Mode::ChangelogOnly, 3);
    gen(b.path(), Mode::ChangelogOnly, 3);
    for name in ["metadata.mfs", "changelog.0.mfs"] {
        let x = std::fs::read(a.path().join(name)).expect("read");
        let y = std::fs::read(b.path().join(name)).expect("read");
        assert!(x == y, "{name} differs between two runs with the same seed");
    }
}

/// The tree-building changelog (no workload on top) and the snapshot of the same seed.
fn tree_as_changelog_and_snapshot(label: &str) -> (TempDir, TempDir) {
    let changelog = TempDir::new(label).expect("tempdir");
    gen_with(changelog.path(), Mode::ChangelogOnly, 11, 0);
    let snapshot = TempDir::new(label).expect("tempdir");
    gen_with(snapshot.path(), Mode::SnapshotOnly, 11, 0);
    (changelog, snapshot)
}

#[test]
fn snapshot_is_what_metarestore_makes_of_the_changelog() {
    let (changelog, snapshot) = tree_as_changelog_and_snapshot("gen-direct");
    let out = changelog.path().join("out.mfs");
    let status = Command::new(env!("CARGO_BIN_EXE_metarestore"))
        .arg("-a")
        .arg("-d")
        .arg(changelog.path())
        .arg("-o")
        .arg(&out)
        .status()
        .expect("run metarestore");
    assert!(status.success(), "metarestore -a failed: {status}");
    let replayed = std::fs::read(&out).expect("read metarestore output");
    let direct = std::fs::read(snapshot.path().join("metadata.mfs")).expect("read snapshot");
    assert!(
        replayed == direct,
        "the directly written snapshot differs from the replayed changelog \
         ({} vs {} bytes)",
        direct.len(),
        replayed.len()
    );
}

#[test]
fn real_snapshot_is_what_mfsmaster_makes_of_the_changelog() {
    if !harness::require_real_mfs("real_snapshot_is_what_mfsmaster_makes_of_the_changelog") {
        return;
    }
    let (changelog, snapshot) = tree_as_changelog_and_snapshot("gen-direct-real");
    let real = mfsmaster_restore_copy(changelog.path()).expect("mfsmaster -a restore");
    let theirs = std::fs::read(&real.metadata).expect("read mfsmaster output");
    let direct_path = snapshot.path().join("metadata.mfs");
    let direct = std::fs::read(&direct_path).expect("read snapshot");
    if theirs != direct {
        assert_eq!(
            harness::mfsmetadump_normalized(&real.metadata).expect("dump"),
            harness::mfsmetadump_normalized(&direct_path).expect("dump"),
        );
    }
}
