//! Hand-written changelogs in `testdata/handmade/*/` replayed by the real
//! `mfsmaster -a restore` and by our replay give byte-identical metadata files. Each
//! folder holds `start.mfs` and `changelog.0.mfs`.

mod harness;
mod support;

use harness::oracle::mfsmaster_restore;
use harness::TempDir;

fn compare(case: &std::path::Path) -> Result<(), String> {
    let start = case.join("start.mfs");
    let log = case.join("changelog.0.mfs");
    let dir = TempDir::new("handmade-replay").map_err(|e| e.to_string())?;
    std::fs::copy(&start, dir.path().join("metadata.mfs")).map_err(|e| e.to_string())?;
    std::fs::copy(&log, dir.path().join("changelog.0.mfs")).map_err(|e| e.to_string())?;
    let theirs = mfsmaster_restore(dir.path()).map_err(|e| e.to_string())?;
    let now = mfsmeta::restore::now();
    let ours = support::replay_files(&start, &[log], now)?;
    let theirs = std::fs::read(theirs).map_err(|e| e.to_string())?;
    if ours != theirs {
        let at = ours.iter().zip(&theirs).position(|(a, b)| a != b);
        let path = dir.path().join("ours.mfs");
        let _ = std::fs::write(&path, &ours);
        let diff = match (
            harness::mfsmetadump_normalized(&path),
            harness::mfsmetadump_normalized(&dir.path().join("metadata.mfs")),
        ) {
            (Ok(a), Ok(b)) => a
                .lines()
                .filter(|l| !b.contains(l))
                .map(|l| format!("+ {l}"))
                .chain(
                    b.lines()
                        .filter(|l| !a.contains(l))
                        .map(|l| format!("- {l}")),
                )
                .take(30)
                .collect::<Vec<_>>()
                .join("\n"),
            _ => String::new(),
        };
        return Err(format!("output differs (first byte {at:?}):\n{diff}"));
    }
    Ok(())
}

#[test]
fn real_handmade_changelogs_replay_like_mfsmaster() {
    if !harness::require_real_mfs("real_handmade_changelogs_replay_like_mfsmaster") {
        return;
    }
    let root = support::testdata().join("handmade");
    let cases: Vec<_> = std::fs::read_dir(&root)
        .unwrap()
        .flatten()
        .map(|e| e.path())
        .filter(|p| p.join("start.mfs").exists() && p.join("changelog.0.mfs").exists())
        .collect();
    assert!(!cases.is_empty(), "no handmade replay cases");
    if let Err(report) = support::check_all(&cases, compare) {
        panic!("{report}");
    }
}
