//! The status file that `metalogger status` prints: `.metalogger.status` in DATA_PATH,
//! rewritten (tmp + rename) by the running daemon. CONTRACT: the store helper fills in
//! the file format; the session fills the fields; the CLI prints them.

use std::path::Path;

/// The last download and its result.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DownloadRecord {
    /// Unix time the download ended.
    pub at: u64,
    /// `metadata`, `changelog_0` or `changelog_1`.
    pub file: String,
    /// `ok`, or the reason it failed.
    pub result: String,
}

/// What an operator wants to know about a running metalogger.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct Status {
    /// The daemon's PID.
    pub pid: u32,
    /// `MASTER_HOST:MASTER_PORT`.
    pub master: String,
    /// Connected and registered right now.
    pub connected: bool,
    /// Last version logged.
    pub last_version: u64,
    /// Unix time written in the last change logged (its `<ts>|` prefix).
    pub last_change_time: Option<u64>,
    /// Unix time the last change was received.
    pub last_received_at: Option<u64>,
    /// The last download, if any.
    pub last_download: Option<DownloadRecord>,
    /// Bytes used by the files in DATA_PATH.
    pub data_bytes: u64,
    /// Unix time this status was written.
    pub updated_at: u64,
}

/// The status file's name in DATA_PATH.
pub const STATUS_FILE: &str = ".metalogger.status";

impl Status {
    /// Writes the status file in `dir` (tmp + rename, never half-written).
    pub fn write_to(&self, _dir: &Path) -> std::io::Result<()> {
        Ok(())
    }

    /// Reads the status file from `dir`.
    pub fn read_from(_dir: &Path) -> std::io::Result<Status> {
        Ok(Status::default())
    }
}
