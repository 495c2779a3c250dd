//! Shell workloads on a FUSE mount of a [`Cluster`].
//!
//! `ip netns exec` gives every call a private mount namespace, so the mount and the commands
//! that use it must live in one call: each workload is one
//! `ip netns exec NS bash run-N/script.sh`, where `script.sh` is [`PRELUDE`] followed by the
//! test's script. The prelude mounts the cluster, `cd`s into it, and unmounts everything on
//! exit (also after a failure).
//!
//! # The script's environment
//!
//! | Name | Meaning |
//! |---|---|
//! | `MFS_MNT` | the cluster's root, mounted; the script's cwd |
//! | `MFS_META` | the meta file system (`mfsmount -o mfsmeta`, `trash/`, `sustained/`), if [`RunOptions::meta_mount`], else empty |
//! | `MFS_CTL` | a control folder outside the mount (marks, signals, `mfsmount.log`) |
//! | `MFS_RUN_DIR` | this workload's folder outside the mount, for extra mount points |
//! | `MFS_MASTER_HOST`, `MFS_MASTER_PORT` | where clients connect |
//!
//! Helpers: `mfs_mount DIR [mfsmount args…]` adds a mount (another session), unmounted at
//! exit like the others; `mark NAME` tells the test a point was reached
//! ([`Workload::wait_mark`]); `await NAME` blocks until the test calls
//! [`Workload::signal`]. Both use files in `$MFS_CTL`, never the mount, so they keep working
//! while the master is down.
//!
//! At exit the prelude kills the script's remaining background jobs, then unmounts (retrying
//! while busy, lazily after 10 s) and waits for each `mfsmount` to end. The mounts are no
//! jobs of the script, so a bare `wait` waits for the script's own background jobs only.
//!
//! Beware: any command that looks something up on the mount (including starting a program
//! found relative to the cwd) blocks while the master is down. `await` does not.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::cluster::{Cluster, MATOCL_PORT};
use super::error::{io, log_tail, text_tail, Error, Result};
use super::proc::{kill_group, spawn_in_own_group, wait_for, wait_or_kill_group};
use super::tempdir::unique_number;

/// Bash code run before every workload script. See the module documentation.
pub const PRELUDE: &str = r#"set -euo pipefail
MFS_MOUNT_PIDS=()
MFS_MOUNT_DIRS=()
mfs_mount() {
  local dir=$1 pid i
  shift
  mkdir -p "$dir"
  # In a subshell, so that mfsmount is no job of ours: a bare `wait` in the workload must
  # not wait for the mounts.
  ( mfsmount -f "$dir" -H "$MFS_MASTER_HOST" -P "$MFS_MASTER_PORT" "$@" >>"$MFS_CTL/mfsmount.log" 2>&1 &
    echo $! >"$MFS_CTL/mount.pid" )
  pid=$(cat "$MFS_CTL/mount.pid")
  MFS_MOUNT_PIDS+=("$pid")
  MFS_MOUNT_DIRS+=("$dir")
  for i in $(seq 400); do
    if mountpoint -q "$dir"; then return 0; fi
    if ! kill -0 "$pid" 2>/dev/null; then
      echo "harness: mfsmount of $dir exited early:" >&2
      tail -n 20 "$MFS_CTL/mfsmount.log" >&2
      return 1
    fi
    sleep 0.05
  done
  echo "harness: $dir not mounted after 20 s" >&2
  return 1
}
mfs_cleanup() {
  local rc=$? p d i t
  set +eu
  cd /
  for p in $(jobs -p); do kill "$p" 2>/dev/null; done
  for ((i=${#MFS_MOUNT_DIRS[@]}-1; i>=0; i--)); do
    d=${MFS_MOUNT_DIRS[$i]}
    for t in $(seq 100); do
      mountpoint -q "$d" || break
      umount "$d" 2>/dev/null && break
      sleep 0.1
    done
    if mountpoint -q "$d"; then
      echo "harness: $d still busy after 10 s, lazy unmount" >&2
      umount -l "$d"
    fi
  done
  for p in "${MFS_MOUNT_PIDS[@]}"; do
    for t in $(seq 200); do kill -0 "$p" 2>/dev/null || break; sleep 0.05; done
    kill -9 "$p" 2>/dev/null
  done
  exit "$rc"
}
trap mfs_cleanup EXIT
mark() { : >"$MFS_CTL/mark.$1"; }
await() { until [ -e "$MFS_CTL/signal.$1" ]; do sleep 0.05; done; }
mfs_mount "$MFS_MNT" ${MFS_MOUNT_OPTS:-}
if [ -n "$MFS_META" ]; then mfs_mount "$MFS_META" -o mfsmeta; fi
cd "$MFS_MNT"
# ---- workload ----
"#;

/// How to run a workload.
#[derive(Clone, Debug)]
pub struct RunOptions {
    /// Also mount the meta file system at `$MFS_META`.
    pub meta_mount: bool,
    /// Extra `mfsmount` arguments for `$MFS_MNT` (split on spaces), e.g. `-o mfscachemode=DIRECT`.
    pub mount_options: String,
    /// Timeout of [`Cluster::run_with`] (a spawned workload gets its timeout at
    /// [`Workload::wait`]).
    pub timeout: Duration,
    /// Extra environment variables for the script.
    pub env: Vec<(String, String)>,
}

impl Default for RunOptions {
    fn default() -> Self {
        RunOptions {
            meta_mount: false,
            mount_options: String::new(),
            timeout: Duration::from_secs(120),
            env: Vec::new(),
        }
    }
}

impl RunOptions {
    pub fn with_meta_mount(mut self) -> Self {
        self.meta_mount = true;
        self
    }

    pub fn timeout(mut self, timeout: Duration) -> Self {
        self.timeout = timeout;
        self
    }
}

/// What a finished workload printed.
#[derive(Debug)]
pub struct RunOutput {
    pub stdout: String,
    pub stderr: String,
}

/// A running workload. Dropping it kills what is left of it (TERM, then KILL, to its process
/// group); [`Workload::wait`] is the normal end.
///
/// It does not borrow the cluster, so the test can stop and start daemons while it runs. If
/// the cluster is dropped first, the cluster's clean-up kills the workload's processes (they
/// live in its namespace).
#[derive(Debug)]
pub struct Workload {
    child: Option<Child>,
    dir: PathBuf,
    what: String,
}

pub(super) fn spawn(cluster: &Cluster, script: &str, opts: RunOptions) -> Result<Workload> {
    let dir = cluster.tmp_dir().join(format!("run-{}", unique_number()));
    let ctl = dir.join("ctl");
    let mnt = dir.join("mnt");
    let meta = dir.join("meta");
    for d in [&ctl, &mnt, &meta] {
        std::fs::create_dir_all(d).map_err(io("create folder", d))?;
    }
    let script_path = dir.join("script.sh");
    std::fs::write(&script_path, format!("{PRELUDE}{script}\n"))
        .map_err(io("write", &script_path))?;
    let what = format!("workload {}", dir.display());
    let out = std::fs::File::create(dir.join("stdout")).map_err(io("create", &dir))?;
    let err = std::fs::File::create(dir.join("stderr")).map_err(io("create", &dir))?;
    let mut cmd = Command::new("ip");
    cmd.args(["netns", "exec", cluster.netns().name(), "bash"])
        .arg(&script_path)
        .current_dir(&dir)
        .env("MFS_MNT", &mnt)
        .env(
            "MFS_META",
            if opts.meta_mount {
                meta.as_os_str()
            } else {
                "".as_ref()
            },
        )
        .env("MFS_CTL", &ctl)
        .env("MFS_RUN_DIR", &dir)
        .env("MFS_MASTER_HOST", cluster.master_addr().to_string())
        .env("MFS_MASTER_PORT", MATOCL_PORT.to_string())
        .env("MFS_MOUNT_OPTS", &opts.mount_options)
        .env("PATH", path_with_sbin())
        .stdin(Stdio::null())
        .stdout(out)
        .stderr(err);
    for (k, v) in &opts.env {
        cmd.env(k, v);
    }
    let child = spawn_in_own_group(&mut cmd, &what)?;
    Ok(Workload {
        child: Some(child),
        dir,
        what,
    })
}

impl Workload {
    /// This workload's folder (`script.sh`, `stdout`, `stderr`, `ctl/`).
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    fn ctl(&self) -> PathBuf {
        self.dir.join("ctl")
    }

    /// Waits until the script has run `mark NAME`. Fails early if the script ends first.
    pub fn wait_mark(&mut self, name: &str, timeout: Duration) -> Result<()> {
        let mark = self.ctl().join(format!("mark.{name}"));
        let what = format!("{}: waiting for `mark {name}`", self.what);
        let stderr = self.dir.join("stderr");
        let child = self.child.as_mut().expect("workload not yet waited for");
        wait_for(&what, timeout, Some(&stderr), || {
            if mark.exists() {
                return Ok(Some(()));
            }
            if let Ok(Some(status)) = child.try_wait() {
                return Err(Error::Failed {
                    what: what.clone(),
                    status: format!("workload ended first ({status})"),
                    log: Some(stderr.clone()),
                    tail: log_tail(&stderr),
                });
            }
            Ok(None)
        })
    }

    /// Lets a script's `await NAME` return.
    pub fn signal(&self, name: &str) -> Result<()> {
        let path = self.ctl().join(format!("signal.{name}"));
        std::fs::write(&path, b"").map_err(io("write", &path))
    }

    /// Waits for the end (killing the workload on timeout); a non-zero exit is an error that
    /// quotes stderr and the mount log.
    pub fn wait(mut self, timeout: Duration) -> Result<RunOutput> {
        let child = self.child.take().expect("workload waited for twice");
        let status = wait_or_kill_group(child, &self.what, timeout).map_err(|e| match e {
            Error::Timeout { what, after, .. } => Error::Timeout {
                what,
                after,
                log: None,
                tail: self.output_tail(),
            },
            e => e,
        })?;
        let out = RunOutput {
            stdout: read_lossy(&self.dir.join("stdout")),
            stderr: read_lossy(&self.dir.join("stderr")),
        };
        if !status.success() {
            return Err(Error::Failed {
                what: self.what.clone(),
                status: status.to_string(),
                log: None,
                tail: self.output_tail(),
            });
        }
        Ok(out)
    }

    fn output_tail(&self) -> String {
        format!(
            "[stdout]\n{}\n[stderr]\n{}\n[mfsmount.log]\n{}",
            text_tail(&read_lossy(&self.dir.join("stdout"))),
            text_tail(&read_lossy(&self.dir.join("stderr"))),
            text_tail(&read_lossy(&self.ctl().join("mfsmount.log"))),
        )
    }
}

impl Drop for Workload {
    fn drop(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        if let Ok(Some(_)) = child.try_wait() {
            return;
        }
        kill_group(child.id(), "TERM");
        let ended = wait_for(
            "workload exit after TERM",
            Duration::from_secs(15),
            None,
            || Ok(child.try_wait().ok().flatten()),
        );
        if ended.is_err() {
            kill_group(child.id(), "KILL");
            let _ = child.wait();
        }
    }
}

fn read_lossy(path: &Path) -> String {
    String::from_utf8_lossy(&std::fs::read(path).unwrap_or_default()).into_owned()
}

/// `PATH` with the sbin folders added (mfsmount is in /usr/bin, but `umount` and friends
/// may be in /usr/sbin or /sbin).
fn path_with_sbin() -> String {
    let path = std::env::var("PATH").unwrap_or_default();
    let mut parts: Vec<&str> = path.split(':').filter(|p| !p.is_empty()).collect();
    for extra in [
        "/usr/local/sbin",
        "/usr/local/bin",
        "/usr/sbin",
        "/usr/bin",
        "/sbin",
        "/bin",
    ] {
        if !parts.contains(&extra) {
            parts.push(extra);
        }
    }
    parts.join(":")
}
