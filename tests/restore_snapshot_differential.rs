//! `metarestore -m IN -o OUT` makes what the real `mfsmaster -a restore` makes from IN
//! alone: for every metadata file in `testdata/`, both run on the same input and the
//! results are compared (sorted `mfsmetadump`, session counters blanked, and byte for
//! byte); then a real master must load our output.

mod harness;

use std::path::{Path, PathBuf};
use std::process::Command;

use harness::oracle::{mfsmaster_restore, mfsmetadump_normalized};
use harness::{mfsmaster_loads, require_real_mfs, TempDir};

/// Every file under `testdata/` that is a formatted MooseFS metadata file.
fn metadata_files() -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path).is_ok_and(|b| b.starts_with(b"MFSM 2.0")) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

fn metarestore(args: &[&Path]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_metarestore"))
        .args(args)
        .output()
        .unwrap()
}

/// Restores `input` both ways and compares; returns a description of any difference.
fn compare(input: &Path) -> Result<(), String> {
    let theirs_dir = TempDir::new("oracle").map_err(|e| e.to_string())?;
    std::fs::copy(input, theirs_dir.path().join("metadata.mfs")).map_err(|e| e.to_string())?;
    let theirs = mfsmaster_restore(theirs_dir.path()).map_err(|e| e.to_string())?;

    let ours_dir = TempDir::new("ours").map_err(|e| e.to_string())?;
    let ours = ours_dir.path().join("metadata.mfs");
    let out = metarestore(&[Path::new("-m"), input, Path::new("-o"), &ours]);
    if !out.status.success() {
        return Err(format!(
            "metarestore failed: {}",
            String::from_utf8_lossy(&out.stderr)
        ));
    }
    let dump_theirs = mfsmetadump_normalized(&theirs).map_err(|e| e.to_string())?;
    let dump_ours = mfsmetadump_normalized(&ours).map_err(|e| e.to_string())?;
    if dump_theirs != dump_ours {
        let diff: Vec<String> = dump_theirs
            .lines()
            .filter(|l| !dump_ours.contains(l))
            .map(|l| format!("- {l}"))
            .chain(
                dump_ours
                    .lines()
                    .filter(|l| !dump_theirs.contains(l))
                    .map(|l| format!("+ {l}")),
            )
            .take(40)
            .collect();
        return Err(format!("mfsmetadump differs:\n{}", diff.join("\n")));
    }
    let bytes_theirs = std::fs::read(&theirs).map_err(|e| e.to_string())?;
    let bytes_ours = std::fs::read(&ours).map_err(|e| e.to_string())?;
    if bytes_theirs != bytes_ours {
        let at = bytes_theirs
            .iter()
            .zip(&bytes_ours)
            .position(|(a, b)| a != b);
        return Err(format!(
            "same records but different bytes (first difference at {at:?})"
        ));
    }
    let crc_theirs =
        std::fs::read(theirs_dir.path().join("metadata.crc")).map_err(|e| e.to_string())?;
    let crc_ours =
        std::fs::read(ours_dir.path().join("metadata.crc")).map_err(|e| e.to_string())?;
    if crc_theirs != crc_ours {
        return Err("metadata.crc differs".into());
    }
    mfsmaster_loads(&ours).map_err(|e| format!("the real mfsmaster does not load our output: {e}"))
}

#[test]
fn real_snapshot_restore_matches_mfsmaster() {
    if !require_real_mfs("real_snapshot_restore_matches_mfsmaster") {
        return;
    }
    let files = metadata_files();
    assert!(!files.is_empty(), "no metadata files in testdata/");
    let mut failures = Vec::new();
    for input in &files {
        if let Err(why) = compare(input) {
            failures.push(format!("{}: {why}", input.display()));
        }
    }
    assert!(
        failures.is_empty(),
        "{} of {} files differ:\n{}",
        failures.len(),
        files.len(),
        failures.join("\n\n")
    );
}
