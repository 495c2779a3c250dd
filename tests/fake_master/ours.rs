//! Our `metalogger` binary run in the foreground (`-f`) as a child of the test, its stderr
//! and stdout in a log file, against a [`super::FakeMaster`] (or any master).
//!
//! Layout of the folder given to [`Ours::new`]:
//!
//! ```text
//! metalogger.cfg   the config (rewritten by Ours::write_cfg for reload tests)
//! data/            DATA_PATH (or the path given with Ours::with_data_path)
//! metalogger.log   everything the process printed, over all its starts
//! ```

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// Our binary.
pub const OURS: &str = env!("CARGO_BIN_EXE_metalogger");

/// Environment variable naming another metalogger binary to run instead of ours, e.g.
/// `/usr/sbin/mfsmetalogger`: the same tests then show where the original differs (and
/// check the fake master against a real client).
pub const PROGRAM_ENV: &str = "MFSMETA_METALOGGER_UNDER_TEST";

/// The binary under test: ours, unless [`PROGRAM_ENV`] names another.
pub fn program() -> PathBuf {
    std::env::var_os(PROGRAM_ENV).map_or_else(|| PathBuf::from(OURS), PathBuf::from)
}

/// A metalogger config for a master on 127.0.0.1:`port`: the fastest timings the spec allows
/// (MASTER_TIMEOUT 10, reconnect every 1 s), root as working user when we are root, and
/// `extra` lines last (later lines win).
pub fn config(data: &Path, port: u16, extra: &[(&str, &str)]) -> String {
    let mut lines = vec![
        ("WORKING_USER".to_string(), "root".to_string()),
        ("WORKING_GROUP".into(), "root".into()),
        ("NICE_LEVEL".into(), "0".into()),
        ("DISABLE_OOM_KILLER".into(), "0".into()),
        ("SYSLOG_IDENT".into(), "mfsmeta-test-ml".into()),
        ("DATA_PATH".into(), data.display().to_string()),
        ("MASTER_HOST".into(), "127.0.0.1".into()),
        ("MASTER_PORT".into(), port.to_string()),
        ("MASTER_TIMEOUT".into(), "10".into()),
        ("MASTER_RECONNECTION_DELAY".into(), "1".into()),
        ("BACK_LOGS".into(), "50".into()),
        ("BACK_META_KEEP_PREVIOUS".into(), "3".into()),
        ("META_DOWNLOAD_FREQ".into(), "24".into()),
    ];
    lines.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
    lines.iter().map(|(k, v)| format!("{k} = {v}\n")).collect()
}

/// See the module documentation. Dropping it kills the process (SIGKILL) if it still runs.
pub struct Ours {
    pub root: PathBuf,
    pub data: PathBuf,
    pub cfg: PathBuf,
    pub log: PathBuf,
    child: Option<Child>,
}

impl Ours {
    /// Prepares the folder and the config; does not start anything.
    pub fn new(root: &Path, port: u16, extra: &[(&str, &str)]) -> Ours {
        Ours::with_data_path(root, &root.join("data"), port, extra)
    }

    /// As [`Ours::new`], with DATA_PATH elsewhere (a tmpfs, say).
    pub fn with_data_path(root: &Path, data: &Path, port: u16, extra: &[(&str, &str)]) -> Ours {
        std::fs::create_dir_all(data).expect("create DATA_PATH");
        let ours = Ours {
            root: root.to_path_buf(),
            data: data.to_path_buf(),
            cfg: root.join("metalogger.cfg"),
            log: root.join("metalogger.log"),
            child: None,
        };
        ours.write_cfg(port, extra);
        ours
    }

    /// (Re)writes the config file.
    pub fn write_cfg(&self, port: u16, extra: &[(&str, &str)]) {
        std::fs::write(&self.cfg, config(&self.data, port, extra)).expect("write config");
    }

    /// `metalogger -f -c CFG` in the background. Returns the log offset at the start.
    pub fn start(&mut self) -> u64 {
        assert!(self.child.is_none(), "already running");
        let offset = self.log_len();
        let log = std::fs::OpenOptions::new()
            .create(true)
            .append(true)
            .open(&self.log)
            .expect("open log");
        let log2 = log.try_clone().expect("dup log");
        let child = Command::new(program())
            .arg("-f")
            .arg("-c")
            .arg(&self.cfg)
            .current_dir(&self.root)
            .stdin(Stdio::null())
            .stdout(log)
            .stderr(log2)
            .spawn()
            .expect("spawn our metalogger");
        self.child = Some(child);
        offset
    }

    pub fn pid(&self) -> Option<u32> {
        self.child.as_ref().map(Child::id)
    }

    /// Whether the process still runs (reaps it if not).
    pub fn is_running(&mut self) -> bool {
        match self.child.as_mut().map(|c| c.try_wait()) {
            Some(Ok(None)) => true,
            Some(_) => false,
            None => false,
        }
    }

    /// The exit status, if it has exited.
    pub fn exit_status(&mut self) -> Option<std::process::ExitStatus> {
        self.child
            .as_mut()
            .and_then(|c| c.try_wait().ok().flatten())
    }

    /// Sends a signal by name (`HUP`, `TERM`, `KILL`, ...).
    pub fn signal(&self, sig: &str) {
        let pid = self.pid().expect("running");
        let ok = Command::new("kill")
            .arg(format!("-{sig}"))
            .arg(pid.to_string())
            .status()
            .is_ok_and(|s| s.success());
        assert!(ok, "kill -{sig} {pid} failed");
    }

    /// SIGTERM and wait for the exit (at most 20 s); returns the status.
    pub fn stop(&mut self) -> std::process::ExitStatus {
        self.signal("TERM");
        self.wait_exit(Duration::from_secs(20)).unwrap_or_else(|| {
            panic!(
                "our metalogger did not exit 20 s after SIGTERM:\n{}",
                self.log_tail()
            )
        })
    }

    /// `kill -9` and reap.
    pub fn kill9(&mut self) {
        if let Some(mut c) = self.child.take() {
            let _ = c.kill();
            let _ = c.wait();
        }
    }

    /// Waits for the process to exit; `None` on timeout.
    pub fn wait_exit(&mut self, timeout: Duration) -> Option<std::process::ExitStatus> {
        let deadline = Instant::now() + timeout;
        while Instant::now() < deadline {
            if let Some(st) = self.exit_status() {
                self.child = None;
                return Some(st);
            }
            std::thread::sleep(Duration::from_millis(20));
        }
        None
    }

    /// `metalogger -c CFG ACTION` (another process); returns (exit code, stdout + stderr).
    pub fn action(&self, action: &str) -> (Option<i32>, String) {
        let out = Command::new(program())
            .arg("-c")
            .arg(&self.cfg)
            .arg(action)
            .current_dir(&self.root)
            .output()
            .expect("run our metalogger");
        let mut text = String::from_utf8_lossy(&out.stdout).into_owned();
        text.push_str(&String::from_utf8_lossy(&out.stderr));
        (out.status.code(), text)
    }

    pub fn log_len(&self) -> u64 {
        std::fs::metadata(&self.log).map(|m| m.len()).unwrap_or(0)
    }

    /// The log from byte `offset` on.
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

    /// The last 40 lines of the log, for failure messages.
    pub fn log_tail(&self) -> String {
        let text = self.log_since(0);
        let lines: Vec<&str> = text.lines().collect();
        lines[lines.len().saturating_sub(40)..].join("\n")
    }

    /// Waits until the log after `offset` has a line containing `needle`; returns that line.
    /// Panics with the log tail after `timeout`, or at once if the process has died.
    pub fn wait_log(&mut self, offset: u64, needle: &str, timeout: Duration) -> String {
        let deadline = Instant::now() + timeout;
        loop {
            if let Some(line) = self.log_since(offset).lines().find(|l| l.contains(needle)) {
                return line.to_string();
            }
            if !self.is_running() {
                panic!(
                    "our metalogger exited ({:?}) before logging `{needle}`:\n{}",
                    self.exit_status(),
                    self.log_tail()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "our metalogger did not log `{needle}` within {timeout:?}:\n{}",
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Waits until `changelog_ml.0.mfs` in DATA_PATH ends with the complete line of `version`.
    pub fn wait_logged(&mut self, version: u64, timeout: Duration) {
        let path = self.data.join("changelog_ml.0.mfs");
        let deadline = Instant::now() + timeout;
        loop {
            if last_complete_version(&path) == Some(version) {
                return;
            }
            if !self.is_running() {
                panic!(
                    "our metalogger exited before logging change {version}:\n{}",
                    self.log_tail()
                );
            }
            if Instant::now() > deadline {
                panic!(
                    "changelog_ml.0.mfs does not end with change {version} after {timeout:?} (last: {:?}):\n{}",
                    last_complete_version(&path),
                    self.log_tail()
                );
            }
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Ours {
    fn drop(&mut self) {
        self.kill9();
    }
}

/// The version of the last complete line of a changelog (`None`: missing or no full line).
pub fn last_complete_version(path: &Path) -> Option<u64> {
    let bytes = std::fs::read(path).ok()?;
    let end = bytes.iter().rposition(|&b| b == b'\n')?;
    let body = &bytes[..end];
    let start = body.iter().rposition(|&b| b == b'\n').map_or(0, |p| p + 1);
    let line = &body[start..];
    let digits = line.iter().take_while(|b| b.is_ascii_digit()).count();
    std::str::from_utf8(&line[..digits]).ok()?.parse().ok()
}
