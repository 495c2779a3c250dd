//! "The folder still restores": a metalogger's DATA_PATH restored by our `metarestore -a`
//! and, where the real MooseFS is installed, by `mfsmaster -a restore`, each on a copy.

use std::path::Path;
use std::process::Command;

use crate::harness::files::{copy_mfs_files, metadata_version};
use crate::harness::oracle::{mfsmaster_restore_copy, mfsmetadump_normalized};
use crate::harness::{find_program, in_ci, TempDir};

/// Our restore command.
pub const METARESTORE: &str = env!("CARGO_BIN_EXE_metarestore");

/// One restore's result: its metadata version and sorted dump (`None` without
/// `mfsmetadump`, which comes with MooseFS).
#[derive(Debug)]
pub struct Restored {
    pub version: u64,
    pub dump: Option<String>,
}

/// `metarestore -a -d COPY -o OUT` on a copy of the restore inputs of `dir` (its top-level
/// `metadata*` and `changelog*` files; temp files are left out as `mfsmaster -a` would
/// reject them anyway).
pub fn metarestore(dir: &Path) -> Result<Restored, String> {
    let tmp = TempDir::new("ml-metarestore").map_err(|e| e.to_string())?;
    let input = tmp.path().join("input");
    copy_mfs_files(dir, &input).map_err(|e| e.to_string())?;
    let out = tmp.path().join("metadata.mfs");
    let res = Command::new(METARESTORE)
        .arg("-a")
        .arg("-d")
        .arg(&input)
        .arg("-o")
        .arg(&out)
        .output()
        .map_err(|e| format!("cannot run metarestore: {e}"))?;
    if !res.status.success() {
        return Err(format!(
            "metarestore -a -d {} failed ({}): {}",
            dir.display(),
            res.status,
            String::from_utf8_lossy(&res.stderr).trim_end()
        ));
    }
    read_result(&out)
}

/// `mfsmaster -a restore` on a copy; `None` when mfsmaster is not installed (a failure in
/// CI, which installs MooseFS: see `harness::require_real_mfs`).
pub fn mfsmaster(dir: &Path) -> Option<Result<Restored, String>> {
    if find_program("mfsmaster").is_none() {
        assert!(!in_ci(), "CI=true but mfsmaster is not installed");
        return None;
    }
    Some(
        mfsmaster_restore_copy(dir)
            .map_err(|e| format!("mfsmaster -a restore of {}: {e}", dir.display()))
            .and_then(|r| read_result(&r.metadata)),
    )
}

fn read_result(path: &Path) -> Result<Restored, String> {
    let version = metadata_version(path)
        .map_err(|e| e.to_string())?
        .ok_or_else(|| format!("{}: MFSM NEW placeholder", path.display()))?;
    let dump = match find_program("mfsmetadump") {
        Some(_) => Some(mfsmetadump_normalized(path).map_err(|e| e.to_string())?),
        None => None,
    };
    Ok(Restored { version, dump })
}

/// Asserts that `dir` restores with both tools to metadata version `version` (the last
/// change + 1), to the same dump, and, if given, to `expected` (a normalised dump). Without
/// MooseFS installed only our restore and its version are checked.
pub fn assert_restores(what: &str, dir: &Path, version: u64, expected: Option<&str>) {
    let ours = metarestore(dir).unwrap_or_else(|e| panic!("{what}: {e}"));
    assert_eq!(
        ours.version, version,
        "{what}: metarestore -a gives metadata version {}, expected {version}",
        ours.version
    );
    if let Some(theirs) = mfsmaster(dir) {
        let theirs = theirs.unwrap_or_else(|e| panic!("{what}: {e}"));
        assert_eq!(
            theirs.version, version,
            "{what}: mfsmaster -a restore gives metadata version {}, expected {version}",
            theirs.version
        );
        if let (Some(a), Some(b)) = (&theirs.dump, &ours.dump) {
            assert_same_dump(what, "mfsmaster -a", a, "metarestore -a", b);
        }
    }
    if let Some(expected) = expected {
        if let Some(b) = &ours.dump {
            assert_same_dump(what, "expected", expected, "metarestore -a", b);
        }
    }
}

/// Panics with the first differing lines when two normalised dumps differ.
pub fn assert_same_dump(what: &str, a_name: &str, a: &str, b_name: &str, b: &str) {
    if a == b {
        return;
    }
    let a_lines: std::collections::BTreeSet<&str> = a.lines().collect();
    let b_lines: std::collections::BTreeSet<&str> = b.lines().collect();
    let only_a: Vec<&&str> = a_lines.difference(&b_lines).take(10).collect();
    let only_b: Vec<&&str> = b_lines.difference(&a_lines).take(10).collect();
    panic!(
        "{what}: dumps differ\n  only in {a_name}:\n    {}\n  only in {b_name}:\n    {}",
        only_a
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("\n    "),
        only_b
            .iter()
            .map(|s| s.to_string())
            .collect::<Vec<_>>()
            .join("\n    ")
    );
}
