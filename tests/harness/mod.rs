//! Test harness: real MooseFS 3.0.117 daemons in a private network namespace, plus the real
//! tools as oracles.
//!
//! Include it from an integration test with `mod harness;`. Every test binary compiles the
//! whole module, so items a given binary does not use are expected (hence the `dead_code`
//! allowance below).
//!
//! * [`Cluster`] — a master, a chunkserver and a metalogger in a network namespace of their
//!   own, with shell workloads run on a FUSE mount of it ([`Cluster::run`],
//!   [`Cluster::spawn`]), and optionally a second, drop-in metalogger such as our own next to
//!   the real one ([`Cluster::start_drop_in_metalogger`]).
//! * [`oracle`] — `mfsmaster -a restore`, `mfsmetadump` and a real master start, as checks
//!   for our own output.
//! * [`files`] — small readers for what the daemons leave on disk (last changelog id,
//!   metadata version), and copying of their files.
//! * [`recipes`] — the workloads that produced `testdata/real/` (reusable by tests).
//!
//! # Guarantees
//!
//! Nothing a harness value starts outlives it: dropping a [`Cluster`] (also while a test
//! unwinds from a panic) stops the chunkserver, then the master, then the metalogger with
//! their own `stop` action, kills whatever is still left in the cluster's namespace (only
//! processes this harness put there), deletes the namespace and removes the temporary folder.
//! Every external command runs under a timeout. Network traffic stays on loopback or inside
//! the namespace, whose /24 (`10.231.X.0/24`) exists nowhere else.
//!
//! # Requirements and skipping
//!
//! Real-cluster tests need root (namespaces, FUSE) and the Debian packages of MooseFS 3.0.117.
//! Start such tests with [`require_real_mfs`]; name them `real_…` so that
//! `cargo test real_ -- --test-threads=1` runs them one at a time when the machine is small.
//! Clusters do not share anything, so running them in parallel is fine otherwise.
//!
//! Set `MFSMETA_KEEP_TMP=1` to keep temporary folders (configs, daemon logs) for debugging.

#![allow(dead_code, unused_imports)]

pub mod cluster;
pub mod daemon;
pub mod error;
pub mod files;
pub mod netns;
pub mod oracle;
pub mod proc;
pub mod recipes;
pub mod tempdir;
pub mod workload;

pub use cluster::{Cluster, ClusterOptions, Init};
pub use error::{Error, Result};
pub use oracle::{mfsmaster_loads, mfsmaster_restore, mfsmetadump_normalized};
pub use tempdir::TempDir;
pub use workload::{RunOptions, RunOutput, Workload};

use std::path::Path;

/// Programs a real-cluster test needs, with the Debian package that ships each.
pub const REQUIRED_PROGRAMS: &[(&str, &str)] = &[
    ("mfsmaster", "moosefs-master"),
    ("mfsmetadump", "moosefs-master"),
    ("mfschunkserver", "moosefs-chunkserver"),
    ("mfsmetalogger", "moosefs-metalogger"),
    ("mfsmount", "moosefs-client"),
    ("mfscli", "moosefs-cli"),
    ("ip", "iproute2"),
    ("nsenter", "util-linux"),
    ("mountpoint", "util-linux"),
    ("bash", "bash"),
];

/// Whether the environment says we run in CI (`CI=true` or `CI=1`).
pub fn in_ci() -> bool {
    std::env::var("CI").is_ok_and(|v| v == "true" || v == "1")
}

/// Gate for tests that need real MooseFS daemons.
///
/// Returns `true` when the test can run. Otherwise it prints why it is skipped and returns
/// `false` — except in CI (`CI=true`), where a missing MooseFS program **panics**, because
/// CI installs the packages and a skip would hide a broken set-up. Not being root is always a
/// skip (with a message).
///
/// ```ignore
/// #[test]
/// fn real_something() {
///     if !harness::require_real_mfs("real_something") { return; }
///     let cluster = harness::Cluster::start().unwrap();
/// }
/// ```
pub fn require_real_mfs(test: &str) -> bool {
    let missing: Vec<String> = REQUIRED_PROGRAMS
        .iter()
        .filter(|(prog, _)| find_program(prog).is_none())
        .map(|(prog, pkg)| format!("{prog} (package {pkg})"))
        .collect();
    if !missing.is_empty() {
        let msg = format!("{test}: missing programs: {}", missing.join(", "));
        if in_ci() {
            panic!("{msg} — CI=true, so this is a failure, not a skip");
        }
        eprintln!("SKIPPED {msg}");
        return false;
    }
    if !is_root() {
        eprintln!("SKIPPED {test}: needs root (network namespaces, FUSE mounts)");
        return false;
    }
    true
}

/// Whether the effective user is root (read from `/proc/self/status`, no libc needed).
pub fn is_root() -> bool {
    let Ok(status) = std::fs::read_to_string("/proc/self/status") else {
        return false;
    };
    status
        .lines()
        .find_map(|l| l.strip_prefix("Uid:"))
        .and_then(|rest| rest.split_whitespace().nth(1))
        .is_some_and(|euid| euid == "0")
}

/// The full path of `prog` found in `PATH` (plus the sbin folders, which a non-login root
/// shell may lack).
pub fn find_program(prog: &str) -> Option<std::path::PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    std::env::split_paths(&path)
        .chain(
            ["/usr/sbin", "/sbin", "/usr/bin", "/bin"]
                .iter()
                .map(Into::into),
        )
        .map(|dir| dir.join(prog))
        .find(|p| is_executable(p))
}

fn is_executable(p: &Path) -> bool {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(p).is_ok_and(|m| m.is_file() && m.permissions().mode() & 0o111 != 0)
}

/// The crate's `testdata/` folder.
pub fn testdata_dir() -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}
