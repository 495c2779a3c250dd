//! The real MooseFS tools as oracles for our own output.
//!
//! * [`mfsmaster_restore`]: `mfsmaster -a restore` in a folder (what our `metarestore` must
//!   reproduce).
//! * [`mfsmetadump_normalized`]: `mfsmetadump` text made comparable.
//! * [`mfsmaster_loads`]: a real master start on a metadata file (what our files must pass).
//!
//! None of these needs a cluster. Only [`mfsmaster_loads`] listens on sockets.

use std::collections::{HashMap, HashSet};
use std::ops::RangeInclusive;
use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use super::daemon::{Daemon, DaemonKind, READY_MARKER, STOP_TIMEOUT};
use super::error::{io, log_tail, text_tail, Error, Result};
use super::files::copy_mfs_files;
use super::netns::NetNs;
use super::proc::{self, program, run_to_files};
use super::tempdir::TempDir;

/// Limit for one `mfsmaster -a restore` (large inputs replay millions of changes).
pub const RESTORE_TIMEOUT: Duration = Duration::from_secs(600);
/// Limit for one `mfsmetadump`.
pub const METADUMP_TIMEOUT: Duration = Duration::from_secs(300);
/// Limit for a master start in [`mfsmaster_loads`] (loading a big file takes a while).
pub const LOAD_TIMEOUT: Duration = Duration::from_secs(300);

/// Names of the files the restore helpers write next to the data (a restore ignores them:
/// it only reads names starting with `metadata` or `changelog`).
pub const RESTORE_CFG: &str = "restore.cfg";
pub const RESTORE_LOG: &str = "restore.log";

/// Runs the real `mfsmaster -c restore.cfg -a restore` **in place** in `dir` and returns the
/// path of the `metadata.mfs` it produced.
///
/// `dir` must be a folder the caller owns (a copy: see [`mfsmaster_restore_copy`]): the
/// restore renames an existing `metadata.mfs` (to `metadata.mfs.back` or a unique name) and
/// writes `metadata.mfs`, `metadata.crc` and a lock file there, plus [`RESTORE_CFG`] and
/// [`RESTORE_LOG`] (all its output; progress lines end in `\r`). The config gives it listen
/// ports of its own on 127.0.0.1, although a restore opens none.
///
/// On failure (non-zero exit, timeout, no `metadata.mfs`) the error quotes the log's tail.
pub fn mfsmaster_restore(dir: &Path) -> Result<PathBuf> {
    mfsmaster_restore_with(dir, &[])
}

/// [`mfsmaster_restore`] with extra flags before `-a`, e.g. `["-i"]` (ignore some errors),
/// `["-b"]`, `["-x", "-x"]` (print every change and the files chosen).
pub fn mfsmaster_restore_with(dir: &Path, extra_args: &[&str]) -> Result<PathBuf> {
    let cfg = dir.join(RESTORE_CFG);
    let log = dir.join(RESTORE_LOG);
    write_master_cfg(
        &cfg,
        dir,
        &dir.join("mfsexports.cfg"),
        &Listen::Loopback([19419, 19420, 19421]),
    )?;
    std::fs::write(dir.join("mfsexports.cfg"), super::cluster::EXPORTS)
        .map_err(io("write", &dir.join("mfsexports.cfg")))?;
    let _ = std::fs::remove_file(&log);
    let what = format!("mfsmaster -a restore in {}", dir.display());
    let mut cmd = Command::new(program("mfsmaster")?);
    cmd.arg("-c")
        .arg(&cfg)
        .args(extra_args)
        .arg("-a")
        .arg("restore")
        .current_dir(dir);
    let status =
        run_to_files(&mut cmd, &what, RESTORE_TIMEOUT, &log, &log).map_err(|e| match e {
            Error::Timeout { what, after, .. } => Error::Timeout {
                what,
                after,
                log: Some(log.clone()),
                tail: log_tail(&log),
            },
            e => e,
        })?;
    let produced = dir.join("metadata.mfs");
    if !status.success() || !produced.exists() {
        return Err(Error::Failed {
            what,
            status: if status.success() {
                "exit 0 but no metadata.mfs".to_string()
            } else {
                status.to_string()
            },
            log: Some(log.clone()),
            tail: log_tail(&log),
        });
    }
    Ok(produced)
}

/// A restore done in a temporary copy; dropping it removes the copy.
#[derive(Debug)]
pub struct Restored {
    pub dir: TempDir,
    /// The produced `metadata.mfs`.
    pub metadata: PathBuf,
    /// Everything `mfsmaster` printed.
    pub log: PathBuf,
}

/// Copies the metadata and changelog files of `src` (see
/// [`super::files::is_mfs_data_file`]) into a temporary folder and restores there.
pub fn mfsmaster_restore_copy(src: &Path) -> Result<Restored> {
    mfsmaster_restore_copy_with(src, &[])
}

pub fn mfsmaster_restore_copy_with(src: &Path, extra_args: &[&str]) -> Result<Restored> {
    let dir = TempDir::new("restore")?;
    copy_mfs_files(src, dir.path())?;
    // A metadata.crc next to an input metadata.mfs is not an input; the restore rewrites it.
    let metadata = mfsmaster_restore_with(dir.path(), extra_args)?;
    let log = dir.path().join(RESTORE_LOG);
    Ok(Restored { dir, metadata, log })
}

/// `mfsmetadump FILE`, made comparable. Only three things change:
///
/// * in `SESSION|` lines the statistics counters `c:[…]` and `l:[…]` become `c:[-]` and
///   `l:[-]` (they are in no changelog, so a restore cannot reproduce them);
/// * mfsmetadump prints names and symlink targets raw, so a name with a line feed splits its
///   record: a line that does not start with `#` or an upper-case record tag and `|` is
///   joined to the record before it, the line feed written as `\n`; bytes that are not
///   UTF-8 are written as `\xNN`;
/// * the lines are sorted (records come out in hash order).
pub fn mfsmetadump_normalized(path: &Path) -> Result<String> {
    Ok(normalize_metadump(&mfsmetadump_bytes(path)?))
}

/// The raw text of `mfsmetadump FILE` (non-UTF-8 bytes replaced: for reading, not comparing).
pub fn mfsmetadump(path: &Path) -> Result<String> {
    Ok(String::from_utf8_lossy(&mfsmetadump_bytes(path)?).into_owned())
}

/// The raw bytes `mfsmetadump FILE` prints.
pub fn mfsmetadump_bytes(path: &Path) -> Result<Vec<u8>> {
    let what = format!("mfsmetadump {}", path.display());
    let out = proc::run_ok(
        Command::new(program("mfsmetadump")?).arg(path),
        &what,
        METADUMP_TIMEOUT,
    )?;
    Ok(out.stdout)
}

/// See [`mfsmetadump_normalized`].
pub fn normalize_metadump(raw: &[u8]) -> String {
    let raw = raw.strip_suffix(b"\n").unwrap_or(raw);
    let mut records: Vec<String> = Vec::new();
    for line in raw.split(|&b| b == b'\n') {
        let text = escape_non_utf8(line);
        match records.last_mut() {
            Some(prev) if !starts_record(&text) => {
                prev.push_str("\\n");
                prev.push_str(&text);
            }
            _ => records.push(text),
        }
    }
    for rec in records.iter_mut().filter(|r| r.starts_with("SESSION|")) {
        *rec = rec
            .split('|')
            .map(|field| {
                if field.starts_with("c:[") {
                    "c:[-]"
                } else if field.starts_with("l:[") {
                    "l:[-]"
                } else {
                    field
                }
            })
            .collect::<Vec<_>>()
            .join("|");
    }
    records.sort();
    let mut out = records.join("\n");
    out.push('\n');
    out
}

/// `#…` comment lines and `TAG|…` records start a record; anything else continues one.
fn starts_record(line: &str) -> bool {
    if line.starts_with('#') {
        return true;
    }
    let tag_len = line.bytes().take_while(u8::is_ascii_uppercase).count();
    tag_len > 0 && line.as_bytes().get(tag_len) == Some(&b'|')
}

fn escape_non_utf8(mut bytes: &[u8]) -> String {
    let mut out = String::new();
    loop {
        match std::str::from_utf8(bytes) {
            Ok(s) => {
                out.push_str(s);
                return out;
            }
            Err(e) => {
                let (good, bad) = bytes.split_at(e.valid_up_to());
                out.push_str(std::str::from_utf8(good).unwrap_or_default());
                let n = e.error_len().unwrap_or(bad.len());
                for b in &bad[..n] {
                    out.push_str(&format!("\\x{b:02X}"));
                }
                bytes = &bad[n..];
            }
        }
    }
}

/// Words that, in a master's output after `loading metadata ...`, mean the load was not
/// clean (matched case-insensitively).
pub const LOAD_PROBLEM_WORDS: &[&str] = &[
    "error", "wrong", "orphan", "corrupt", "mismatch", "lost", "unknown", "can't", "cannot",
];

/// Starts a real `mfsmaster` on a copy of `metadata` and checks that it loaded it cleanly.
///
/// How: the copy becomes `metadata.mfs` in a fresh data folder; the master runs in the
/// foreground (`-f`, so everything it logs is captured) and must print
/// `mfsmaster daemon initialized properly` within [`LOAD_TIMEOUT`]. Its output from
/// `loading metadata ...` on must not contain any of [`LOAD_PROBLEM_WORDS`]. Then it is
/// stopped with `mfsmaster stop` and must exit 0 after storing `metadata.mfs` again.
/// A master start rather than `-a restore`: a start also checks what only a start does
/// (edge renumbering, metadata id, sessions), and it is what a user will do with our file.
///
/// Where: as root, in a private network namespace on 127.0.0.1 (no port can clash); otherwise
/// on 127.0.0.1 with three free ports picked by the kernel.
pub fn mfsmaster_loads(metadata: &Path) -> Result<()> {
    let tmp = TempDir::new("loads")?;
    let data = tmp.path().join("data");
    std::fs::create_dir_all(&data).map_err(io("create folder", &data))?;
    let target = data.join("metadata.mfs");
    std::fs::copy(metadata, &target).map_err(io("copy", metadata))?;
    let exports = tmp.path().join("mfsexports.cfg");
    std::fs::write(&exports, super::cluster::EXPORTS).map_err(io("write", &exports))?;
    let netns = if super::is_root() {
        Some(NetNs::create("load")?)
    } else {
        None
    };
    let listen = match &netns {
        Some(_) => Listen::Loopback([9419, 9420, 9421]),
        None => Listen::Loopback(free_ports()?),
    };
    let cfg = tmp.path().join("mfsmaster.cfg");
    write_master_cfg(&cfg, &data, &exports, &listen)?;
    let log = tmp.path().join("master.log");
    let mut master = Daemon::new(
        DaemonKind::Master,
        cfg,
        log.clone(),
        netns.as_ref().map(NetNs::path),
        tmp.path().to_path_buf(),
    );
    let what = format!("mfsmaster loading {}", metadata.display());
    master.start(LOAD_TIMEOUT).map_err(|e| match e {
        Error::Failed {
            status, log, tail, ..
        } => Error::Failed {
            what: what.clone(),
            status,
            log,
            tail,
        },
        e => e,
    })?;
    let text = std::fs::read_to_string(&log).unwrap_or_default();
    let loading = text.find("loading metadata").unwrap_or(0);
    let ready = text.find(READY_MARKER).unwrap_or(text.len());
    let problems: Vec<&str> = text[loading..ready.max(loading)]
        .lines()
        .filter(|l| {
            let l = l.to_ascii_lowercase();
            LOAD_PROBLEM_WORDS.iter().any(|w| l.contains(w))
        })
        .collect();
    let stopped = master.stop(STOP_TIMEOUT);
    if !problems.is_empty() {
        return Err(Error::Failed {
            what,
            status: "the master reported problems while loading".into(),
            log: Some(log.clone()),
            tail: text_tail(&problems.join("\n")),
        });
    }
    stopped?;
    if !target.exists() {
        return Err(Error::Failed {
            what,
            status: "the master did not store metadata.mfs when stopped".into(),
            log: Some(log.clone()),
            tail: log_tail(&log),
        });
    }
    drop(netns);
    Ok(())
}

/// Where a master config listens: 127.0.0.1 with these ports (MATOML, MATOCS, MATOCL).
enum Listen {
    Loopback([u16; 3]),
}

fn write_master_cfg(cfg: &Path, data: &Path, exports: &Path, listen: &Listen) -> Result<()> {
    let Listen::Loopback([ml, cs, cl]) = listen;
    let mut text = String::new();
    if super::is_root() {
        text.push_str("WORKING_USER = root\nWORKING_GROUP = root\n");
    }
    text.push_str(&format!(
        "NICE_LEVEL = 0\nDATA_PATH = {}\nEXPORTS_FILENAME = {}\n\
         MATOML_LISTEN_HOST = 127.0.0.1\nMATOML_LISTEN_PORT = {ml}\n\
         MATOCS_LISTEN_HOST = 127.0.0.1\nMATOCS_LISTEN_PORT = {cs}\n\
         MATOCL_LISTEN_HOST = 127.0.0.1\nMATOCL_LISTEN_PORT = {cl}\n",
        data.display(),
        exports.display()
    ));
    std::fs::write(cfg, text).map_err(io("write", cfg))
}

/// Three ports on 127.0.0.1 that were free a moment ago.
fn free_ports() -> Result<[u16; 3]> {
    let bind = || {
        std::net::TcpListener::bind("127.0.0.1:0").map_err(|e| Error::Unexpected {
            what: "picking a free port on 127.0.0.1".into(),
            detail: e.to_string(),
        })
    };
    let (a, b, c) = (bind()?, bind()?, bind()?);
    let port = |l: &std::net::TcpListener| l.local_addr().map(|a| a.port()).unwrap_or(0);
    Ok([port(&a), port(&b), port(&c)])
}

/// `lockedto` of every `CHUNK|i:ID|v:…|t:LOCKEDTO|…` record, by chunk id.
pub fn chunk_locks(dump: &str) -> HashMap<&str, u64> {
    dump.lines()
        .filter_map(|l| l.strip_prefix("CHUNK|i:"))
        .filter_map(|rest| {
            let mut fields = rest.split('|');
            let id = fields.next()?;
            let t = fields.find_map(|f| f.strip_prefix("t:"))?;
            Some((id, t.trim().parse().ok()?))
        })
        .collect()
}

/// Blanks `t:` of exactly the `CHUNK` records whose `lockedto` is 0 on one side and inside
/// `clock` on the other (the master stores an expired `lockedto` as 0, and the two stores
/// ran at different moments of `clock`); returns both dumps, sorted, and how many chunks
/// were blanked. Any other `lockedto` difference is left for the comparison to fail on.
pub fn blank_expired_locks(
    a: &str,
    b: &str,
    clock: &RangeInclusive<u64>,
) -> (String, String, usize) {
    let (la, lb) = (chunk_locks(a), chunk_locks(b));
    let blank: HashSet<String> = la
        .iter()
        .filter_map(|(id, &ta)| {
            let tb = *lb.get(id)?;
            let explained = (ta == 0 && clock.contains(&tb)) || (tb == 0 && clock.contains(&ta));
            explained.then(|| id.to_string())
        })
        .collect();
    let rewrite = |dump: &str| {
        let mut lines: Vec<String> = dump
            .lines()
            .map(|l| {
                let id = l.strip_prefix("CHUNK|i:").and_then(|r| r.split('|').next());
                match id {
                    Some(id) if blank.contains(id) => l
                        .split('|')
                        .map(|f| if f.starts_with("t:") { "t:-" } else { f })
                        .collect::<Vec<_>>()
                        .join("|"),
                    _ => l.to_string(),
                }
            })
            .collect();
        lines.sort();
        let mut s = lines.join("\n");
        s.push('\n');
        s
    };
    (rewrite(a), rewrite(b), blank.len())
}
