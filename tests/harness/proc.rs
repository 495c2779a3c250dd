//! Running programs under a timeout, without pipes.
//!
//! Output goes to files, not pipes: a program that leaves a daemon behind (which inherits the
//! pipe) would otherwise make a reader wait for that daemon's death. Each command runs in a
//! process group of its own, so a timeout kills the whole group.

use std::path::{Path, PathBuf};
use std::process::{Child, Command, ExitStatus, Stdio};
use std::time::{Duration, Instant};

use super::error::{io, text_tail, Error, Result};
use super::tempdir::unique_name;

/// How often waits poll.
pub const POLL: Duration = Duration::from_millis(50);

/// What a finished program printed.
#[derive(Debug)]
pub struct Output {
    pub status: ExitStatus,
    pub stdout: Vec<u8>,
    pub stderr: Vec<u8>,
}

impl Output {
    pub fn stdout_text(&self) -> String {
        String::from_utf8_lossy(&self.stdout).into_owned()
    }

    pub fn stderr_text(&self) -> String {
        String::from_utf8_lossy(&self.stderr).into_owned()
    }

    /// Both streams, for error messages.
    pub fn both_text(&self) -> String {
        format!("{}{}", self.stdout_text(), self.stderr_text())
    }
}

/// Runs `cmd` to completion or until `timeout`, whichever comes first; on timeout its whole
/// process group is killed. The exit status is returned, not judged: see [`run_ok`].
/// `what` names the action in error messages.
pub fn run(cmd: &mut Command, what: &str, timeout: Duration) -> Result<Output> {
    let base = std::env::temp_dir().join(unique_name("out"));
    let out_path = base.with_extension("stdout");
    let err_path = base.with_extension("stderr");
    let result = run_to_files(cmd, what, timeout, &out_path, &err_path);
    let stdout = std::fs::read(&out_path).unwrap_or_default();
    let stderr = std::fs::read(&err_path).unwrap_or_default();
    let _ = std::fs::remove_file(&out_path);
    let _ = std::fs::remove_file(&err_path);
    match result {
        Ok(status) => Ok(Output {
            status,
            stdout,
            stderr,
        }),
        Err(Error::Timeout { what, after, .. }) => Err(Error::Timeout {
            what,
            after,
            log: None,
            tail: text_tail(&format!(
                "{}{}",
                String::from_utf8_lossy(&stdout),
                String::from_utf8_lossy(&stderr)
            )),
        }),
        Err(e) => Err(e),
    }
}

/// Like [`run`], but a non-zero exit status is an error that quotes the output.
pub fn run_ok(cmd: &mut Command, what: &str, timeout: Duration) -> Result<Output> {
    let out = run(cmd, what, timeout)?;
    if !out.status.success() {
        return Err(Error::Failed {
            what: what.to_string(),
            status: out.status.to_string(),
            log: None,
            tail: text_tail(&out.both_text()),
        });
    }
    Ok(out)
}

/// Runs `cmd` with stdout and stderr sent to the given files (appended to).
pub fn run_to_files(
    cmd: &mut Command,
    what: &str,
    timeout: Duration,
    stdout: &Path,
    stderr: &Path,
) -> Result<ExitStatus> {
    let out = open_append(stdout)?;
    let err = open_append(stderr)?;
    cmd.stdin(Stdio::null()).stdout(out).stderr(err);
    let child = spawn_in_own_group(cmd, what)?;
    wait_or_kill_group(child, what, timeout)
}

/// Starts `cmd` as the leader of a new process group.
pub fn spawn_in_own_group(cmd: &mut Command, what: &str) -> Result<Child> {
    use std::os::unix::process::CommandExt;
    cmd.process_group(0);
    cmd.spawn().map_err(|source| Error::Spawn {
        what: what.to_string(),
        program: cmd.get_program().to_string_lossy().into_owned(),
        source,
    })
}

/// Waits for `child` (a process-group leader) up to `timeout`; on timeout kills its group and
/// reaps it.
pub fn wait_or_kill_group(mut child: Child, what: &str, timeout: Duration) -> Result<ExitStatus> {
    let deadline = Instant::now() + timeout;
    loop {
        match child.try_wait() {
            Ok(Some(status)) => return Ok(status),
            Ok(None) if Instant::now() >= deadline => {
                kill_group(child.id(), "KILL");
                let _ = child.wait();
                return Err(Error::Timeout {
                    what: what.to_string(),
                    after: timeout,
                    log: None,
                    tail: String::new(),
                });
            }
            Ok(None) => std::thread::sleep(POLL),
            Err(e) => {
                kill_group(child.id(), "KILL");
                let _ = child.wait();
                return Err(Error::Unexpected {
                    what: what.to_string(),
                    detail: format!("waiting for pid {}: {e}", child.id()),
                });
            }
        }
    }
}

/// Sends `signal` (a name such as `TERM` or `KILL`) to process group `pgid`. Best effort.
pub fn kill_group(pgid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(format!("-{pgid}"))
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Sends `signal` to one process. Best effort.
pub fn kill_pid(pid: u32, signal: &str) {
    let _ = Command::new("kill")
        .arg(format!("-{signal}"))
        .arg("--")
        .arg(pid.to_string())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .status();
}

/// Whether a process with this pid exists (zombies count).
pub fn pid_alive(pid: u32) -> bool {
    Path::new(&format!("/proc/{pid}")).exists()
}

fn open_append(path: &Path) -> Result<std::fs::File> {
    std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io("open", path))
}

/// Polls `check` until it returns `Some`, or fails with a timeout naming `what`. A `check`
/// error ends the wait at once.
pub fn wait_for<T>(
    what: &str,
    timeout: Duration,
    log: Option<&Path>,
    mut check: impl FnMut() -> Result<Option<T>>,
) -> Result<T> {
    let deadline = Instant::now() + timeout;
    loop {
        if let Some(v) = check()? {
            return Ok(v);
        }
        if Instant::now() >= deadline {
            return Err(Error::Timeout {
                what: what.to_string(),
                after: timeout,
                log: log.map(Path::to_path_buf),
                tail: log.map(super::error::log_tail).unwrap_or_default(),
            });
        }
        std::thread::sleep(POLL);
    }
}

/// `PathBuf` of a program found by [`super::find_program`], or a clear error.
pub fn program(name: &str) -> Result<PathBuf> {
    super::find_program(name).ok_or_else(|| Error::Unexpected {
        what: format!("looking for `{name}`"),
        detail: "not found in PATH, /usr/sbin or /sbin (is MooseFS 3.0.117 installed?)".into(),
    })
}
