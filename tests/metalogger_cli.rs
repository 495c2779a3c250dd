//! The `metalogger` command behaves as `mfsmetalogger` 3.0.117 does for an operator: the
//! actions find the running daemon through the lock file and give mfsmetalogger's
//! messages and exit codes; a second start is refused; reload (even one that turns on a
//! timer that was off, which crashes mfsmetalogger) keeps it running; stop waits and
//! exits 0; a bad `-c` is an error. Where the real `mfsmetalogger` is installed, the same
//! config is run through both and the `-u` / bad-definition lines must be identical, and
//! each program must see the other's lock.
//!
//! Every daemon here talks to 127.0.0.1 on a port nothing listens on, in its own temp
//! DATA_PATH, and is stopped by the test.

mod fake_master;
mod harness;

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Output, Stdio};
use std::time::{Duration, Instant};

const BIN: &str = env!("CARGO_BIN_EXE_metalogger");
const REAL: &str = "/usr/sbin/mfsmetalogger";

/// A temp DATA_PATH with a config in it; removed on drop.
struct Setup {
    dir: PathBuf,
    cfg: PathBuf,
}

impl Setup {
    fn new(name: &str, extra: &str) -> Setup {
        let dir = std::env::temp_dir().join(format!("mfsmeta-cli-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        let cfg = dir.join("mfsmetalogger.cfg");
        let s = Setup { dir, cfg };
        s.write_cfg(extra);
        s
    }

    /// A config for an unused loopback port, as root without a nice change (the test
    /// host's rules), plus `extra` lines.
    fn write_cfg(&self, extra: &str) {
        let text = format!(
            "WORKING_USER = root\nWORKING_GROUP = root\nNICE_LEVEL = 0\nDATA_PATH = {}\n\
             MASTER_HOST = 127.0.0.1\nMASTER_PORT = {}\nDISABLE_OOM_KILLER = 0\n{extra}",
            self.dir.display(),
            unused_port()
        );
        std::fs::write(&self.cfg, text).unwrap();
    }

    fn run(&self, bin: &str, args: &[&str]) -> Output {
        Command::new(bin)
            .arg("-c")
            .arg(&self.cfg)
            .args(args)
            .stdin(Stdio::null())
            .output()
            .unwrap()
    }

    fn spawn_foreground(&self, bin: &str, args: &[&str]) -> Child {
        Command::new(bin)
            .arg("-c")
            .arg(&self.cfg)
            .arg("-f")
            .args(args)
            .stdin(Stdio::null())
            .stdout(Stdio::null())
            .stderr(Stdio::piped())
            .spawn()
            .unwrap()
    }

    /// Polls `test` until it reports the foreground daemon `child`; panics with its
    /// stderr if it exits first.
    fn wait_child(&self, child: &mut Child) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            if let Some(status) = child.try_wait().unwrap() {
                let mut text = String::new();
                let _ = child.stderr.take().unwrap().read_to_string(&mut text);
                panic!("daemon exited at start: {status:?}\n{text}");
            }
            let out = self.run(BIN, &["test"]);
            let err = String::from_utf8_lossy(&out.stderr);
            if let Some(pid) = err
                .lines()
                .find_map(|l| l.strip_prefix("mfsmetalogger pid: "))
            {
                return pid.trim().parse().unwrap();
            }
            assert!(Instant::now() < deadline, "never started: {err}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }

    /// Polls `test` until it reports a running daemon; returns its PID.
    fn wait_running(&self, bin: &str) -> u32 {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = self.run(bin, &["test"]);
            let err = String::from_utf8_lossy(&out.stderr);
            if let Some(pid) = err
                .lines()
                .find_map(|l| l.strip_prefix("mfsmetalogger pid: "))
            {
                assert!(out.status.success(), "test while running: {out:?}");
                return pid.trim().parse().unwrap();
            }
            assert!(Instant::now() < deadline, "never started: {err}");
            std::thread::sleep(Duration::from_millis(50));
        }
    }
}

impl Drop for Setup {
    fn drop(&mut self) {
        // Stop anything still holding the lock, then remove the folder.
        let _ = Command::new(BIN)
            .arg("-c")
            .arg(&self.cfg)
            .args(["-t", "10", "kill"])
            .output();
        let _ = std::fs::remove_dir_all(&self.dir);
    }
}

/// A loopback port nothing listens on (bound, then released).
fn unused_port() -> u16 {
    let l = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    l.local_addr().unwrap().port()
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

fn finish(mut child: Child) -> (std::process::ExitStatus, String) {
    let deadline = Instant::now() + Duration::from_secs(20);
    loop {
        if let Some(status) = child.try_wait().unwrap() {
            let mut text = String::new();
            child
                .stderr
                .take()
                .unwrap()
                .read_to_string(&mut text)
                .unwrap();
            return (status, text);
        }
        if Instant::now() > deadline {
            let _ = child.kill();
            panic!("daemon did not exit");
        }
        std::thread::sleep(Duration::from_millis(50));
    }
}

fn real_installed() -> bool {
    Path::new(REAL).exists() && unsafe { libc::geteuid() } == 0
}

#[test]
fn lifecycle_start_test_refuse_reload_info_stop() {
    let s = Setup::new(
        "life",
        "META_DOWNLOAD_FREQ = 0\nMASTER_RECONNECTION_DELAY = 0\n",
    );
    let mut child = s.spawn_foreground(BIN, &["-u", "start"]);
    let pid = s.wait_child(&mut child);
    assert_eq!(pid, child.id());
    assert_eq!(
        std::fs::read_to_string(s.dir.join(".mfsmetalogger.lock")).unwrap(),
        format!("{pid}\n")
    );

    let again = s.run(BIN, &["-f", "start"]);
    assert_eq!(again.status.code(), Some(1));
    assert!(
        stderr(&again).contains("can't start: lockfile is already locked by another process"),
        "{again:?}"
    );

    // Timers that were off at start are turned on by the reload: mfsmetalogger segfaults
    // here; we must keep running.
    s.write_cfg("META_DOWNLOAD_FREQ = 1\nMASTER_RECONNECTION_DELAY = 1\n");
    let reload = s.run(BIN, &["RELOAD"]);
    assert_eq!(reload.status.code(), Some(0), "{reload:?}");
    assert!(stderr(&reload).contains("reload signal has been sent"));
    let info = s.run(BIN, &["info"]);
    assert_eq!(info.status.code(), Some(0), "{info:?}");
    assert!(stderr(&info).contains("info signal has been sent"));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(
        s.wait_running(BIN),
        pid,
        "still the same daemon after reload"
    );

    let stop = s.run(BIN, &["stop"]);
    assert_eq!(stop.status.code(), Some(0), "{stop:?}");
    let text = stderr(&stop);
    assert!(
        text.contains(&format!("sending SIGTERM to lock owner (pid:{pid})")),
        "{text}"
    );
    assert!(text.contains("waiting for termination") && text.contains("terminated"));

    let (status, log) = finish(child);
    assert!(status.success(), "daemon exit {status:?}\n{log}");
    // With -u a reload reports the reloadable options left at their default, as
    // mfsmetalogger does.
    let after_reload = log
        .split("reloading config files")
        .nth(1)
        .unwrap_or_default();
    assert!(
        after_reload.contains("config: using default value for option 'BIND_HOST' - '*'"),
        "{log}"
    );
    for want in [
        "reloading config files",
        "log extra info",
        "terminate signal received",
        "exited from main loop",
        "exiting ...",
        "process exited successfully (status:0)",
    ] {
        assert!(log.contains(want), "{want:?} not logged:\n{log}");
    }

    let test = s.run(BIN, &["status"]);
    assert_eq!(test.status.code(), Some(1));
    assert!(stderr(&test).contains("mfsmetalogger is not running"));
}

#[test]
fn actions_without_a_daemon() {
    let s = Setup::new("idle", "");
    for (action, code, text) in [
        ("stop", 0, "can't find process to terminate"),
        ("kill", 0, "can't find process to terminate"),
        ("reload", 1, "can't find process to send reload signal"),
        ("info", 1, "can't find process to send info signal"),
        ("try-restart", 1, "can't find process to restart"),
        ("test", 1, "mfsmetalogger is not running"),
        ("restore", 0, ""),
    ] {
        let out = s.run(BIN, &[action]);
        assert_eq!(out.status.code(), Some(code), "{action}: {out:?}");
        assert!(stderr(&out).contains(text), "{action}: {out:?}");
    }
    // Every action creates the lock file and leaves it.
    assert!(s.dir.join(".mfsmetalogger.lock").exists());
}

#[test]
fn usage_version_and_config_errors() {
    let out = Command::new(BIN).arg("-x").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("usage: "));
    let out = Command::new(BIN).arg("bogus").output().unwrap();
    assert_eq!(out.status.code(), Some(1));
    let out = Command::new(BIN).arg("-v").output().unwrap();
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).starts_with("version: 3.0.117"));

    let missing = "/nonexistent/mfsmeta/mfsmetalogger.cfg";
    let out = Command::new(BIN)
        .args(["-c", missing, "test"])
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains(&format!("main config file ({missing}) not found")),
        "{out:?}"
    );
}

#[test]
fn unreachable_data_path_fails_start_in_the_parent() {
    let s = Setup::new("nodir", "");
    let text = std::fs::read_to_string(&s.cfg)
        .unwrap()
        .replace(&s.dir.display().to_string(), "/nonexistent/mfsmeta-data");
    std::fs::write(&s.cfg, text).unwrap();
    // Daemonised: the first parent reports the child's failure.
    let out = s.run(BIN, &["start"]);
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(
        stderr(&out).contains("can't set working directory to /nonexistent/mfsmeta-data"),
        "{out:?}"
    );
}

#[test]
fn daemonised_start_returns_and_stop_ends_it() {
    let s = Setup::new("daemon", "");
    let out = s.run(BIN, &["start"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stderr(&out);
    for want in [
        "working directory: ",
        "lockfile created and locked",
        "initializing mfsmetalogger modules ...",
        "mfsmetalogger daemon initialized properly",
    ] {
        assert!(text.contains(want), "{want:?} not in {text}");
    }
    let pid = s.wait_running(BIN);
    assert_ne!(pid, std::process::id());
    let stop = s.run(BIN, &["stop"]);
    assert_eq!(stop.status.code(), Some(0), "{stop:?}");
    assert_eq!(s.run(BIN, &["test"]).status.code(), Some(1));
}

/// Tricky lines: what each program considers defined shows in its `-u` lines.
const EDGE_LINES: &str = "  # SYSLOG_IDENT = indented-hash-is-not-a-comment\n\
    MASTER_TIMEOUT\t=\t30\t# tab comment\n\
    BACK_LOGS = 10 # not a comment: value '10 # x' reads as 10\n\
    META_DOWNLOAD_FREQ = 1\tjunk after a tab\n\
    BAD LINE WITHOUT EQUALS\n\
    BIND_HOST\n\
    back_meta_keep_previous = 5\n\
    FILE_UMASK = 027   \n\
    #DATA_PATH = /comment\n\
    LOCK_MEMORY = 0\0 a NUL ends the line\n\
    BIND_HOST = *\u{e9}\n";

fn with_long_line() -> String {
    let mut long = "LONG_OPTION = ".to_string();
    while long.len() < 998 {
        long.push('x');
    }
    format!("{EDGE_LINES}{long}MASTER_RECONNECTION_DELAY = 7\n")
}

/// The lines both programs print for the config: warnings and `-u` defaults, with the
/// syslog copy's `ident[pid]: ` prefix removed and repeats dropped.
fn config_lines(text: &str) -> Vec<String> {
    let mut lines: Vec<String> = Vec::new();
    for line in text.lines() {
        let line = match line.split_once("]: ") {
            Some((head, rest)) if head.starts_with("mfsmetalogger[") => rest,
            _ => line,
        };
        if (line.starts_with("config: ") || line.starts_with("bad definition"))
            && lines.last().map(String::as_str) != Some(line)
        {
            lines.push(line.to_string());
        }
    }
    lines
}

#[test]
fn config_edge_cases_match_mfsmetalogger_in_test_mode() {
    if !real_installed() {
        eprintln!("skipped: {REAL} not installed or not root");
        return;
    }
    let s = Setup::new("edge-test", &with_long_line());
    let ours = s.run(BIN, &["-u", "test"]);
    let real = s.run(REAL, &["-u", "test"]);
    assert_eq!(ours.status.code(), real.status.code());
    let o = config_lines(&stderr(&ours));
    assert!(o.iter().any(|l| l.starts_with("bad definition")), "{o:?}");
    assert_eq!(o, config_lines(&stderr(&real)));
    // And the whole stderr, blank lines aside (mfsmetalogger prints a bad line with its
    // newline) and the NUL byte mfsmetalogger writes to stderr when a one-shot action
    // fails without -f (meant for a daemonising parent that does not exist then).
    let strip = |t: String| {
        t.lines()
            .filter(|l| !l.is_empty() && *l != "\0")
            .collect::<Vec<_>>()
            .join("\n")
    };
    assert_eq!(strip(stderr(&ours)), strip(stderr(&real)));
}

#[test]
fn config_edge_cases_match_mfsmetalogger_at_start() {
    if !real_installed() {
        eprintln!("skipped: {REAL} not installed or not root");
        return;
    }
    let s = Setup::new("edge-start", &with_long_line());
    let mut got = Vec::new();
    for bin in [BIN, REAL] {
        let mut child = s.spawn_foreground(bin, &["-u", "start"]);
        s.wait_child(&mut child);
        let stop = s.run(BIN, &["stop"]);
        assert_eq!(stop.status.code(), Some(0), "{bin}: {stop:?}");
        let (status, log) = finish(child);
        assert!(status.success(), "{bin}: {status:?}\n{log}");
        got.push(config_lines(&log));
    }
    assert!(
        got[0].iter().any(|l| l.contains("'BIND_HOST' - '*'")),
        "{:?}",
        got[0]
    );
    assert_eq!(got[0], got[1], "ours vs mfsmetalogger");
}

#[test]
fn each_program_sees_the_others_lock() {
    if !real_installed() {
        eprintln!("skipped: {REAL} not installed or not root");
        return;
    }
    let s = Setup::new("cross", "");
    let mut real = s.spawn_foreground(REAL, &["start"]);
    let pid = s.wait_child(&mut real);
    assert_eq!(pid, real.id(), "our `test` finds mfsmetalogger");
    let refused = s.run(BIN, &["-f", "start"]);
    assert_eq!(refused.status.code(), Some(1), "{refused:?}");
    let stop = s.run(BIN, &["stop"]);
    assert_eq!(stop.status.code(), Some(0), "{stop:?}");
    let (status, log) = finish(real);
    assert!(status.success(), "{status:?}\n{log}");

    let mut ours = s.spawn_foreground(BIN, &["start"]);
    // Only after ours runs: mfsmetalogger's `test` takes the lock for a moment, and would
    // make a start at that moment fail.
    let pid = s.wait_child(&mut ours);
    let seen = s.run(REAL, &["test"]);
    assert!(
        stderr(&seen).contains(&format!("mfsmetalogger pid: {pid}")),
        "{seen:?}"
    );
    let stop = s.run(REAL, &["stop"]);
    assert_eq!(stop.status.code(), Some(0), "{stop:?}");
    let (status, log) = finish(ours);
    assert!(status.success(), "{status:?}\n{log}");
}

#[test]
fn shipped_sample_config_shows_every_default() {
    use mfsmeta::metalogger::config::{Config, ConfigFile, IGNORED_OPTIONS, OPTIONS};
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/packaging/mfsmetalogger.cfg");
    let text = std::fs::read_to_string(path).unwrap();
    // As shipped, nothing is set.
    let shipped = ConfigFile::parse(path, text.as_bytes());
    assert!(
        shipped.entries.is_empty() && shipped.warnings.is_empty(),
        "{shipped:?}"
    );
    // With every "# NAME = VALUE" line uncommented, the values are the defaults.
    let uncommented: String = text
        .lines()
        .filter_map(|l| l.strip_prefix("# "))
        .filter(|l| {
            l.split_once(" = ")
                .is_some_and(|(n, _)| n.chars().all(|c| c.is_ascii_uppercase() || c == '_'))
        })
        .map(|l| format!("{l}\n"))
        .collect();
    let file = ConfigFile::parse(path, uncommented.as_bytes());
    let loaded = Config::from_file(&file);
    assert!(loaded.warnings.is_empty(), "{:?}", loaded.warnings);
    assert_eq!(loaded.config, Config::default());
    let missing: Vec<_> = loaded.defaulted.iter().map(|d| d.option.name).collect();
    assert!(missing.is_empty(), "sample lacks {missing:?}");
    for name in IGNORED_OPTIONS.iter().filter(|n| **n != "LOCK_FILE") {
        assert!(file.get(name).is_some(), "sample lacks {name}");
    }
    assert_eq!(file.entries.len(), OPTIONS.len() + 1);
}

#[test]
fn systemd_unit_runs_the_foreground_daemon() {
    let unit = std::fs::read_to_string(concat!(
        env!("CARGO_MANIFEST_DIR"),
        "/packaging/metalogger.service"
    ))
    .unwrap();
    assert!(unit.contains("Type=simple"));
    assert!(unit.contains("ExecStart=/usr/sbin/metalogger -f start"));
    assert!(unit.contains("ExecReload=/bin/kill -HUP $MAINPID"));
}

/// stderr without blank lines and NUL bytes (see `config_edge_cases_match_mfsmetalogger_in_test_mode`).
fn visible_lines(out: &Output) -> Vec<String> {
    stderr(out)
        .lines()
        .filter(|l| !l.is_empty() && *l != "\0")
        .map(str::to_string)
        .collect()
}

#[test]
fn daemonised_start_prints_what_mfsmetalogger_prints() {
    if !real_installed() {
        eprintln!("skipped: {REAL} not installed or not root");
        return;
    }
    let s = Setup::new("start-diff", EDGE_LINES);
    let mut got = Vec::new();
    for bin in [REAL, BIN] {
        let out = s.run(bin, &["start"]);
        assert_eq!(out.status.code(), Some(0), "{bin}: {out:?}");
        got.push(visible_lines(&out));
        s.wait_running(BIN);
        let stop = s.run(bin, &["stop"]);
        assert_eq!(stop.status.code(), Some(0), "{bin}: {stop:?}");
        got.push(visible_lines(&stop));
    }
    assert!(
        got[0]
            .iter()
            .any(|l| l == "mfsmetalogger daemon initialized properly"),
        "{:?}",
        got[0]
    );
    assert_eq!(got[2], got[0], "start: ours vs mfsmetalogger");
    // The stop lines differ only in the PID.
    let no_pid = |v: &Vec<String>| -> Vec<String> {
        v.iter()
            .map(|l| l.split("(pid:").next().unwrap_or(l).to_string())
            .collect()
    };
    assert_eq!(
        no_pid(&got[3]),
        no_pid(&got[1]),
        "stop: ours vs mfsmetalogger"
    );
}

#[test]
fn unresolvable_master_fails_start_like_mfsmetalogger() {
    if !real_installed() || Command::new("unshare").arg("--help").output().is_err() {
        eprintln!("skipped: needs root, {REAL} and unshare");
        return;
    }
    let s = Setup::new("nohost", "MASTER_HOST = no-such-host.mfsmeta.invalid\n");
    // In an empty network namespace the name fails at once, without any traffic.
    let run = |bin: &str| {
        Command::new("unshare")
            .args(["-n", bin, "-c"])
            .arg(&s.cfg)
            .arg("start")
            .output()
            .unwrap()
    };
    let real = run(REAL);
    let ours = run(BIN);
    assert_eq!(ours.status.code(), Some(1), "{ours:?}");
    assert_eq!(real.status.code(), Some(1), "{real:?}");
    let lines = visible_lines(&ours);
    assert!(
        lines
            .iter()
            .any(|l| l == "init: connection with master failed !!!"),
        "{lines:?}"
    );
    assert_eq!(lines, visible_lines(&real));
    // The failed daemons let go of the lock as they exit (just after their parents).
    let deadline = Instant::now() + Duration::from_secs(10);
    while s.run(BIN, &["test"]).status.code() != Some(1) {
        assert!(Instant::now() < deadline, "a failed daemon kept the lock");
        std::thread::sleep(Duration::from_millis(50));
    }
}

#[test]
fn restart_replaces_the_daemon_and_keeps_the_old_pid_in_the_file() {
    let s = Setup::new("restart", "");
    assert_eq!(s.run(BIN, &["start"]).status.code(), Some(0));
    let old = s.wait_running(BIN);
    let out = s.run(BIN, &["restart"]);
    assert_eq!(out.status.code(), Some(0), "{out:?}");
    let text = stderr(&out);
    assert!(
        text.contains(&format!("sending SIGTERM to lock owner (pid:{old})")),
        "{text}"
    );
    assert!(text.contains("terminated") && text.contains("daemon initialized properly"));
    let new = s.wait_running(BIN);
    assert_ne!(new, old);
    assert_eq!(
        std::fs::read_to_string(s.dir.join(".mfsmetalogger.lock")).unwrap(),
        format!("{old}\n"),
        "as mfsmetalogger: no new PID written after a restart that stopped a daemon"
    );
    // SIGINT is ignored by a daemonised metalogger.
    unsafe { libc::kill(new as libc::pid_t, libc::SIGINT) };
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.wait_running(BIN), new);
    assert_eq!(s.run(BIN, &["stop"]).status.code(), Some(0));
}

#[test]
fn stop_gives_up_after_the_lock_timeout() {
    let s = Setup::new("giveup", "");
    let mut child = s.spawn_foreground(BIN, &["start"]);
    let pid = s.wait_child(&mut child) as libc::pid_t;
    // A stopped process keeps its lock and cannot act on SIGTERM.
    unsafe { libc::kill(pid, libc::SIGSTOP) };
    let out = s.run(BIN, &["-t", "2", "stop"]);
    unsafe { libc::kill(pid, libc::SIGCONT) };
    assert_eq!(out.status.code(), Some(1), "{out:?}");
    assert!(stderr(&out).contains(":giving up"), "{out:?}");
    // The pending SIGTERM ends it once it runs again.
    let (status, log) = finish(child);
    assert!(status.success(), "{status:?}\n{log}");
}

/// The PID holding a write lock on `path`, found with F_GETLK (which takes nothing).
fn lock_owner(path: &Path) -> Option<libc::pid_t> {
    use std::os::fd::AsRawFd;
    let f = std::fs::OpenOptions::new().write(true).open(path).ok()?;
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = libc::F_WRLCK as libc::c_short;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    let rc = unsafe { libc::fcntl(f.as_raw_fd(), libc::F_GETLK, &mut fl) };
    (rc == 0 && fl.l_type != libc::F_UNLCK as libc::c_short).then_some(fl.l_pid)
}

#[test]
fn a_stop_right_after_the_lock_is_taken_is_a_clean_stop() {
    let s = Setup::new("early", "");
    let lock = s.dir.join(".mfsmetalogger.lock");
    let child = s.spawn_foreground(BIN, &["start"]);
    let deadline = Instant::now() + Duration::from_secs(20);
    let pid = loop {
        if let Some(pid) = lock_owner(&lock) {
            break pid;
        }
        assert!(Instant::now() < deadline, "never locked");
        std::hint::spin_loop();
    };
    // Before the runtime and its handlers exist: the signal must wait for them, not kill.
    unsafe { libc::kill(pid, libc::SIGTERM) };
    let (status, log) = finish(child);
    assert!(status.success(), "{status:?}\n{log}");
    assert!(log.contains("terminate signal received"), "{log}");
}

#[test]
fn reload_rereads_a_relative_config_path_and_status_shows_it() {
    let s = Setup::new("relative", "");
    let data = s.dir.join("data");
    std::fs::create_dir_all(&data).unwrap();
    let write = |port: u16| {
        std::fs::write(
            &s.cfg,
            format!(
                "WORKING_USER = root\nWORKING_GROUP = root\nNICE_LEVEL = 0\n\
                 DISABLE_OOM_KILLER = 0\nDATA_PATH = {}\nMASTER_HOST = 127.0.0.1\n\
                 MASTER_PORT = {port}\n",
                data.display()
            ),
        )
        .unwrap()
    };
    let (first, second) = (unused_port(), unused_port());
    write(first);
    // Started from the config's folder with a relative -c; the daemon then lives in
    // DATA_PATH, where that relative name means nothing.
    let run = |args: &[&str]| {
        Command::new(BIN)
            .current_dir(&s.dir)
            .args(["-c", "mfsmetalogger.cfg"])
            .args(args)
            .output()
            .unwrap()
    };
    assert_eq!(run(&["start"]).status.code(), Some(0));
    let master_shown = |port: u16| {
        let deadline = Instant::now() + Duration::from_secs(20);
        loop {
            let out = run(&["status"]);
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            if text.contains(&format!("master: 127.0.0.1:{port}")) {
                assert_eq!(out.status.code(), Some(0));
                return text;
            }
            assert!(
                Instant::now() < deadline,
                "status never showed port {port}:\n{text}"
            );
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    let text = master_shown(first);
    for want in [
        "daemon pid: ",
        "connected: no",
        "bytes in DATA_PATH: ",
        "status written: ",
    ] {
        assert!(text.contains(want), "{want:?} not in\n{text}");
    }
    write(second);
    assert_eq!(run(&["reload"]).status.code(), Some(0));
    master_shown(second);
    assert_eq!(run(&["stop"]).status.code(), Some(0));
    let out = run(&["status"]);
    assert_eq!(out.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&out.stdout)
        .starts_with("last status, written before the daemon stopped:"));
}

#[test]
fn status_and_info_report_a_connected_daemon() {
    let fixture = fake_master::Fixture::real("namespace-rich");
    let master = fake_master::FakeMaster::start(fixture, 3);
    let s = Setup::new("connected", "");
    let text = std::fs::read_to_string(&s.cfg).unwrap();
    let text = text
        .lines()
        .map(|l| {
            if l.starts_with("MASTER_PORT") {
                format!("MASTER_PORT = {}", master.port())
            } else {
                l.to_string()
            }
        })
        .collect::<Vec<_>>()
        .join("\n");
    std::fs::write(&s.cfg, text + "\n").unwrap();
    let mut child = s.spawn_foreground(BIN, &["start"]);
    s.wait_child(&mut child);
    let status_with = |want: &str| {
        let deadline = Instant::now() + Duration::from_secs(30);
        loop {
            let out = s.run(BIN, &["status"]);
            let text = String::from_utf8_lossy(&out.stdout).into_owned();
            if text.contains(want) {
                return text;
            }
            assert!(Instant::now() < deadline, "{want:?} never shown:\n{text}");
            std::thread::sleep(Duration::from_millis(100));
        }
    };
    status_with("connected: yes");
    // Changes made once it is registered reach it through the stream.
    status_with(": ok");
    let last = master.publish(5);
    let text = status_with(&format!("last version: {last} (change made "));
    assert!(
        text.contains(&format!("master: 127.0.0.1:{}", master.port())),
        "{text}"
    );
    assert!(text.contains("lag: "), "{text}");
    assert_eq!(s.run(BIN, &["info"]).status.code(), Some(0));
    std::thread::sleep(Duration::from_millis(300));
    assert_eq!(s.run(BIN, &["stop"]).status.code(), Some(0));
    let (status, log) = finish(child);
    assert!(status.success(), "{status:?}\n{log}");
    assert!(
        log.contains(&format!("connected, last version: {last}")),
        "SIGUSR1 status line missing:\n{log}"
    );
}

#[test]
fn reload_with_u_logs_what_mfsmetalogger_logs() {
    if !real_installed() {
        eprintln!("skipped: {REAL} not installed or not root");
        return;
    }
    let s = Setup::new("reload-u", "");
    let mut got = Vec::new();
    for bin in [REAL, BIN] {
        let mut child = s.spawn_foreground(bin, &["-u", "start"]);
        s.wait_child(&mut child);
        assert_eq!(s.run(BIN, &["reload"]).status.code(), Some(0));
        std::thread::sleep(Duration::from_millis(500));
        assert_eq!(s.run(BIN, &["stop"]).status.code(), Some(0));
        let (status, log) = finish(child);
        assert!(status.success(), "{bin}: {status:?}\n{log}");
        let after = log
            .split("reloading config files")
            .nth(1)
            .unwrap_or_else(|| panic!("{bin} did not reload:\n{log}"))
            .to_string();
        got.push(config_lines(&after));
    }
    assert!(got[0].len() >= 5, "{:?}", got[0]);
    assert_eq!(got[1], got[0], "ours vs mfsmetalogger");
}
