//! Checks shared by the codec and restore tests: finding real MooseFS files in a folder,
//! and comparing our restore of a snapshot with the real `mfsmaster`'s.

#![allow(dead_code)]

use std::path::{Path, PathBuf};
use std::process::Command;

use std::collections::BTreeMap;

use bumpalo::Bump;
use mfsmeta::format::changelog::parse_line;
use mfsmeta::format::metadata::encoder::encode_crc_file;
use mfsmeta::format::metadata::MetadataFile;
use mfsmeta::model::image::Image;
use mfsmeta::replay::{apply, Replay};

use super::harness::oracle::{mfsmaster_restore, mfsmetadump_normalized};
use super::harness::{mfsmaster_loads, TempDir};

/// The repository's `testdata/`.
pub fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// Files under `root` (recursively) whose first bytes satisfy `pred`, sorted.
fn files_where(root: &Path, pred: impl Fn(&Path, &[u8]) -> bool) -> Vec<PathBuf> {
    let mut out = Vec::new();
    let mut stack = vec![root.to_path_buf()];
    while let Some(dir) = stack.pop() {
        let Ok(entries) = std::fs::read_dir(&dir) else {
            continue;
        };
        for entry in entries.flatten() {
            let path = entry.path();
            if path.is_dir() {
                stack.push(path);
            } else if std::fs::read(&path).is_ok_and(|b| pred(&path, &b)) {
                out.push(path);
            }
        }
    }
    out.sort();
    out
}

/// Every formatted (`MFSM 2.0`) metadata file under `root`.
pub fn metadata_files(root: &Path) -> Vec<PathBuf> {
    files_where(root, |_, b| b.starts_with(b"MFSM 2.0"))
}

/// Every changelog file (`changelog*.mfs`) under `root`.
pub fn changelog_files(root: &Path) -> Vec<PathBuf> {
    files_where(root, |p, _| {
        p.file_name()
            .and_then(|n| n.to_str())
            .is_some_and(|n| n.starts_with("changelog") && n.ends_with(".mfs"))
    })
}

/// Decoding then encoding gives the same bytes, and the `metadata.crc` next to a
/// `metadata.mfs` (if any) is reproduced.
pub fn check_codec_round_trip(path: &Path) -> Result<(), String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let decoded = MetadataFile::decode(&bytes).map_err(|e| e.to_string())?;
    let (encoded, crcs) = decoded.encode();
    if encoded != bytes {
        let at = encoded.iter().zip(&bytes).position(|(a, b)| a != b);
        return Err(format!(
            "re-encoded file differs (first difference at byte {at:?})"
        ));
    }
    let crc_path = path.with_file_name("metadata.crc");
    if path.file_name().is_some_and(|n| n == "metadata.mfs") && crc_path.exists() {
        let expected = std::fs::read(&crc_path).map_err(|e| e.to_string())?;
        if encode_crc_file(&crcs) != expected {
            return Err("metadata.crc differs".into());
        }
    }
    Ok(())
}

/// Every line of a changelog file parses and formats back to the same bytes.
pub fn check_changelog_round_trip(path: &Path) -> Result<usize, String> {
    let bytes = std::fs::read(path).map_err(|e| e.to_string())?;
    let mut count = 0;
    let mut out = Vec::new();
    for (n, line) in bytes.split_inclusive(|&b| b == b'\n').enumerate() {
        let parsed = parse_line(line).map_err(|e| format!("line {}: {e}", n + 1))?;
        out.clear();
        parsed.write_to(&mut out);
        if out != line {
            return Err(format!(
                "line {}: formats back as {:?}, was {:?}",
                n + 1,
                String::from_utf8_lossy(&out),
                String::from_utf8_lossy(line)
            ));
        }
        count += 1;
    }
    Ok(count)
}

fn metarestore(args: &[&Path]) -> std::process::Output {
    Command::new(env!("CARGO_BIN_EXE_metarestore"))
        .args(args)
        .output()
        .unwrap()
}

/// Restores `input` alone with the real `mfsmaster -a restore` and with
/// `metarestore -m input -o …`, and compares the results: sorted `mfsmetadump` (session
/// counters blanked), then the bytes and `metadata.crc`; finally the real master must
/// load our output.
pub fn compare_snapshot_restore(input: &Path) -> Result<(), String> {
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

/// Runs `check` on each path and collects failures into one report.
pub fn check_all<T>(
    paths: &[PathBuf],
    check: impl Fn(&Path) -> Result<T, String>,
) -> Result<(), String> {
    let failures: Vec<String> = paths
        .iter()
        .filter_map(|p| check(p).err().map(|why| format!("{}: {why}", p.display())))
        .collect();
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} files fail:\n{}",
            failures.len(),
            paths.len(),
            failures.join("\n\n")
        ))
    }
}

/// Loads `metadata`, replays the lines of `changelogs` with ids from its version on
/// (merged by id; the first copy of a repeated id wins) straight through the library,
/// and stores the result with `now`. Independent of `metarestore`'s file handling.
pub fn replay_files(
    metadata: &Path,
    changelogs: &[std::path::PathBuf],
    now: u32,
) -> Result<Vec<u8>, String> {
    let meta = std::fs::read(metadata).map_err(|e| e.to_string())?;
    let logs: Vec<Vec<u8>> = changelogs
        .iter()
        .map(|p| std::fs::read(p).map_err(|e| e.to_string()))
        .collect::<Result<_, _>>()?;
    let arena = Bump::new();
    let meta: &[u8] = &meta;
    let mut lines: BTreeMap<u64, &[u8]> = BTreeMap::new();
    for log in &logs {
        for line in log.split_inclusive(|&b| b == b'\n') {
            if let Ok(parsed) = parse_line(line) {
                lines.entry(parsed.id).or_insert(line);
            }
        }
    }
    let mut image = Image::load(meta, now).map_err(|e| e.to_string())?;
    image.prepare_replay();
    let mut r = Replay {
        image: &mut image,
        arena: &arena,
    };
    for (&id, &line) in &lines {
        if id < r.image.version {
            continue;
        }
        if id != r.image.version {
            return Err(format!(
                "hole before change {id} (version {})",
                r.image.version
            ));
        }
        let parsed = parse_line(line).map_err(|e| e.to_string())?;
        let bumps = apply(&mut r, parsed.ts, &parsed.op).map_err(|s| {
            format!(
                "change {id} {}: error {s}",
                String::from_utf8_lossy(line).trim_end()
            )
        })?;
        r.image.version += bumps;
        if r.image.version != id + 1 {
            return Err(format!(
                "change {id}: version mismatch ({} after it)",
                r.image.version
            ));
        }
    }
    Ok(image.store(now).0)
}
