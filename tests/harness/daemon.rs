//! One MooseFS daemon run in the foreground (`-f`) as our child, its output in a log file.
//!
//! Why `-f`: the machine may have no syslog, and in the foreground every syslog line also goes
//! to stderr, so the log file holds everything the daemon says; and the pid we hold is the
//! daemon's own (`nsenter` and the fd-closing `bash` both `exec`). The daemon is still
//! stopped with its own `stop` action, which finds it through its lock file.
//!
//! Inherited descriptors above 2 are closed before the daemon starts: a daemon that inherits
//! a handle on a FUSE mount keeps the unmount busy.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

use super::error::{io, log_tail, Error, Result};
use super::proc::{self, kill_pid, program, wait_for};

/// Marker a 3.0.117 daemon prints when it has opened its sockets and entered its main loop.
pub const READY_MARKER: &str = "daemon initialized properly";

/// How long a daemon's own `stop` action may take (the master stores metadata then).
pub const STOP_TIMEOUT: Duration = Duration::from_secs(60);

/// Closes every inherited descriptor above 2, then execs its arguments.
const CLOSE_FDS_AND_EXEC: &str = r#"for fd in /proc/self/fd/*; do fd=${fd##*/}; if [ "$fd" -gt 2 ]; then eval "exec $fd>&-" 2>/dev/null; fi; done; exec "$@""#;

#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DaemonKind {
    Master,
    Chunkserver,
    Metalogger,
}

impl DaemonKind {
    pub fn program(self) -> &'static str {
        match self {
            DaemonKind::Master => "mfsmaster",
            DaemonKind::Chunkserver => "mfschunkserver",
            DaemonKind::Metalogger => "mfsmetalogger",
        }
    }
}

#[derive(Debug)]
pub struct Daemon {
    kind: DaemonKind,
    cfg: PathBuf,
    log: PathBuf,
    netns: Option<PathBuf>,
    cwd: PathBuf,
    env: Vec<(String, String)>,
    /// Runs this binary instead of [`DaemonKind::program`] (e.g. our own `metalogger`).
    program: Option<PathBuf>,
    /// Log texts that mean "started"; the default is [`READY_MARKER`].
    ready_markers: Vec<String>,
    child: Option<Child>,
}

impl Daemon {
    /// A daemon that is not running yet. `netns` is a `/var/run/netns/…` path or `None` for
    /// the current namespace. `cwd` must not be on a MooseFS mount.
    pub fn new(
        kind: DaemonKind,
        cfg: PathBuf,
        log: PathBuf,
        netns: Option<PathBuf>,
        cwd: PathBuf,
    ) -> Daemon {
        Daemon {
            kind,
            cfg,
            log,
            netns,
            cwd,
            env: Vec::new(),
            program: None,
            ready_markers: vec![READY_MARKER.to_string()],
            child: None,
        }
    }

    /// Runs `program` instead of the MooseFS binary of this kind, with the same command line
    /// (`-f -c CFG` to start, `-c CFG stop` to stop): for a drop-in such as our `metalogger`.
    /// The daemon counts as started once its log shows any of `ready_markers`.
    pub fn with_program(mut self, program: &Path, ready_markers: &[&str]) -> Daemon {
        self.program = Some(program.to_path_buf());
        self.ready_markers = ready_markers.iter().map(|m| m.to_string()).collect();
        self
    }

    /// The binary this daemon runs.
    fn program_path(&self) -> Result<PathBuf> {
        match &self.program {
            Some(p) => Ok(p.clone()),
            None => program(self.kind.program()),
        }
    }

    /// `kill -9` (no clean-up by the daemon), then reaps it.
    pub fn kill_hard(&mut self) {
        if let Some(mut child) = self.child.take() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }

    /// An environment variable for later starts (e.g. `LD_PRELOAD` of libfaketime).
    pub fn set_env(&mut self, key: &str, value: &str) {
        self.env.retain(|(k, _)| k != key);
        self.env.push((key.to_string(), value.to_string()));
    }

    pub fn kind(&self) -> DaemonKind {
        self.kind
    }

    pub fn cfg(&self) -> &Path {
        &self.cfg
    }

    pub fn log(&self) -> &Path {
        &self.log
    }

    /// The daemon's pid while we hold it as a child.
    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the child is still running (reaps it if it has exited).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut().map(|c| c.try_wait()) {
            Some(Ok(None)) => true,
            Some(_) => {
                self.child = None;
                false
            }
            None => false,
        }
    }

    /// Current length of the log; pass it to [`Daemon::log_since`] to see what came later.
    pub fn log_len(&self) -> u64 {
        std::fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0)
    }

    /// The log text from byte `offset` on.
    pub fn log_since(&self, offset: u64) -> String {
        let mut text = Vec::new();
        if let Ok(mut f) = std::fs::File::open(&self.log) {
            use std::io::Seek;
            if f.seek(std::io::SeekFrom::Start(offset)).is_ok() {
                let _ = f.read_to_end(&mut text);
            }
        }
        String::from_utf8_lossy(&text).into_owned()
    }

    /// Starts the daemon and waits until it reports [`READY_MARKER`].
    pub fn start(&mut self, timeout: Duration) -> Result<()> {
        if self.is_running() {
            return Ok(());
        }
        let prog = self.program_path()?;
        let what = format!("start {}", prog.display());
        let offset = self.log_len();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .map_err(io("open", &self.log))?;
        let log2 = log.try_clone().map_err(io("dup", &self.log))?;
        let mut cmd = match &self.netns {
            Some(ns) => {
                let mut c = Command::new("nsenter");
                c.arg(format!("--net={}", ns.display()))
                    .arg("--")
                    .arg("bash");
                c
            }
            None => Command::new("bash"),
        };
        cmd.arg("-c")
            .arg(CLOSE_FDS_AND_EXEC)
            .arg("bash")
            .arg(&prog)
            .arg("-f")
            .arg("-c")
            .arg(&self.cfg)
            .current_dir(&self.cwd)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2);
        for (k, v) in &self.env {
            cmd.env(k, v);
        }
        let child = cmd.spawn().map_err(|source| Error::Spawn {
            what: what.clone(),
            program: prog.display().to_string(),
            source,
        })?;
        self.child = Some(child);
        let log_path = self.log.clone();
        let ready = wait_for(&what, timeout, Some(&log_path), || {
            let text = self.log_since(offset);
            if self.ready_markers.iter().any(|m| text.contains(m.as_str())) {
                return Ok(Some(()));
            }
            if let Some(status) = self
                .child
                .as_mut()
                .and_then(|c| c.try_wait().ok().flatten())
            {
                return Err(Error::Failed {
                    what: what.clone(),
                    status: format!("exited during start-up ({status})"),
                    log: Some(self.log.clone()),
                    tail: log_tail(&self.log),
                });
            }
            Ok(None)
        });
        if ready.is_err() {
            self.kill();
        }
        ready
    }

    /// Stops the daemon with `PROG -c CFG stop` and reaps it. If that does not end it within
    /// `timeout`, it is killed (TERM, then KILL) and an error is returned. A daemon that exits
    /// with a non-zero status is an error too (for the master: metadata not stored).
    pub fn stop(&mut self, timeout: Duration) -> Result<()> {
        let Some(pid) = self.pid() else { return Ok(()) };
        let what = format!("stop {} (pid {pid})", self.kind.program());
        if !self.is_running() {
            return Err(Error::Failed {
                what,
                status: "had already exited".into(),
                log: Some(self.log.clone()),
                tail: log_tail(&self.log),
            });
        }
        let prog = self.program_path()?;
        let stop = proc::run(
            Command::new(&prog)
                .arg("-c")
                .arg(&self.cfg)
                .arg("stop")
                .current_dir(&self.cwd),
            &what,
            timeout,
        );
        if let Ok(out) = &stop {
            let _ = append(&self.log, &out.both_text());
        }
        let exited = wait_for(&what, timeout, Some(&self.log), || {
            let child = self.child.as_mut().expect("child present while stopping");
            child.try_wait().map_err(|e| Error::Unexpected {
                what: what.clone(),
                detail: format!("wait: {e}"),
            })
        });
        match exited {
            Ok(status) => {
                self.child = None;
                if status.success() {
                    Ok(())
                } else {
                    Err(Error::Failed {
                        what,
                        status: format!("daemon exited with {status}"),
                        log: Some(self.log.clone()),
                        tail: log_tail(&self.log),
                    })
                }
            }
            Err(e) => {
                self.kill();
                Err(e)
            }
        }
    }

    /// TERM, up to 5 s, then KILL; reaps the child. Used on failures and in drops.
    pub fn kill(&mut self) {
        let Some(mut child) = self.child.take() else {
            return;
        };
        kill_pid(child.id(), "TERM");
        let waited = wait_for(
            "daemon exit after TERM",
            Duration::from_secs(5),
            None,
            || Ok(child.try_wait().ok().flatten()),
        );
        if waited.is_err() {
            let _ = child.kill();
            let _ = child.wait();
        }
    }
}

impl Drop for Daemon {
    fn drop(&mut self) {
        if self.child.is_some() {
            if let Err(e) = self.stop(Duration::from_secs(30)) {
                eprintln!("harness: {e}");
            }
            self.kill();
        }
    }
}

fn append(path: &Path, text: &str) -> Result<()> {
    use std::io::Write;
    let mut f = std::fs::OpenOptions::new()
        .create(true)
        .append(true)
        .open(path)
        .map_err(io("open", path))?;
    f.write_all(text.as_bytes()).map_err(io("write", path))
}
