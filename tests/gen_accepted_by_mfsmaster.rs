//! `mfsmeta-gen` writes inputs that the real `mfsmaster -a restore` accepts, in each
//! mode, and our `metarestore -a` makes the same `metadata.mfs` of them.
//!
//! Scenario: a small tree (2000 files, 2 operations per file) generated with a fixed
//! seed; the real master restores a copy and must succeed; `metarestore -a -d COPY2 -o
//! OUT` restores another copy; both outputs are byte-identical. Also: the same seed
//! gives the same files.
//!
//! Tests named `real_…` need root and the MooseFS 3.0.117 packages (they skip otherwise).

mod harness;

use std::path::Path;
use std::process::Command;

use harness::oracle::mfsmaster_restore_copy;
use harness::TempDir;
use mfsmeta::gen::{generate, Mode, Options};

fn gen(dir: &Path, mode: Mode, seed: u64) {
    let options = Options {
        files: 2000,
        ops_per_file: 2,
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
