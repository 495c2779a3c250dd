//! The status file that `metalogger status` prints: `.metalogger.status` in DATA_PATH,
//! rewritten (tmp + rename) by the running daemon. CONTRACT: the store helper fills in
//! the file format; the session fills the fields; the CLI prints them.
//!
//! Format: UTF-8 text, one `key = value` per line, in the order below; keys are stable
//! (scripts may read them); an absent value (`None`) is an empty value; readers ignore
//! unknown keys and take defaults for missing ones. In string values `\` is written `\\`
//! and a line feed `\n`.
//!
//! ```text
//! pid = 4242
//! master = mfsmaster:9419
//! connected = yes
//! last_version = 18054
//! last_change_time = 1795336490
//! last_received_at = 1795336491
//! last_download_at = 1795336200
//! last_download_file = metadata
//! last_download_result = ok
//! data_bytes = 1866000
//! updated_at = 1795336492
//! ```
//!
//! The name starts with `.`, so `mfsmaster -a` never reads it (it reads names starting with
//! `metadata` or `changelog` only).

use std::fs;
use std::io::{self, Write};
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

/// The temp file the status is written to before the rename.
const STATUS_TMP: &str = ".metalogger.status.tmp";

/// The keys, in file order.
mod key {
    pub const PID: &str = "pid";
    pub const MASTER: &str = "master";
    pub const CONNECTED: &str = "connected";
    pub const LAST_VERSION: &str = "last_version";
    pub const LAST_CHANGE_TIME: &str = "last_change_time";
    pub const LAST_RECEIVED_AT: &str = "last_received_at";
    pub const LAST_DOWNLOAD_AT: &str = "last_download_at";
    pub const LAST_DOWNLOAD_FILE: &str = "last_download_file";
    pub const LAST_DOWNLOAD_RESULT: &str = "last_download_result";
    pub const DATA_BYTES: &str = "data_bytes";
    pub const UPDATED_AT: &str = "updated_at";
}

fn escape(s: &str) -> String {
    s.replace('\\', "\\\\")
        .replace('\n', "\\n")
        .replace('\r', "\\r")
}

fn unescape(s: &str) -> String {
    let mut out = String::with_capacity(s.len());
    let mut chars = s.chars();
    while let Some(c) = chars.next() {
        if c != '\\' {
            out.push(c);
            continue;
        }
        match chars.next() {
            Some('n') => out.push('\n'),
            Some('r') => out.push('\r'),
            Some(other) => out.push(other),
            None => out.push('\\'),
        }
    }
    out
}

fn opt(v: Option<u64>) -> String {
    v.map(|v| v.to_string()).unwrap_or_default()
}

impl Status {
    /// The file's text.
    pub fn to_text(&self) -> String {
        let dl = self.last_download.as_ref();
        let lines: [(&str, String); 11] = [
            (key::PID, self.pid.to_string()),
            (key::MASTER, escape(&self.master)),
            (
                key::CONNECTED,
                if self.connected { "yes" } else { "no" }.to_string(),
            ),
            (key::LAST_VERSION, self.last_version.to_string()),
            (key::LAST_CHANGE_TIME, opt(self.last_change_time)),
            (key::LAST_RECEIVED_AT, opt(self.last_received_at)),
            (key::LAST_DOWNLOAD_AT, opt(dl.map(|d| d.at))),
            (
                key::LAST_DOWNLOAD_FILE,
                dl.map(|d| escape(&d.file)).unwrap_or_default(),
            ),
            (
                key::LAST_DOWNLOAD_RESULT,
                dl.map(|d| escape(&d.result)).unwrap_or_default(),
            ),
            (key::DATA_BYTES, self.data_bytes.to_string()),
            (key::UPDATED_AT, self.updated_at.to_string()),
        ];
        let mut text = String::new();
        for (k, v) in lines {
            text.push_str(k);
            text.push_str(" = ");
            text.push_str(&v);
            text.push('\n');
        }
        text
    }

    /// Reads the text of [`Status::to_text`]. Unknown keys and lines without ` = ` are
    /// ignored; a number that does not parse is an error naming the key.
    pub fn from_text(text: &str) -> io::Result<Status> {
        let bad = |k: &str, v: &str| {
            io::Error::new(
                io::ErrorKind::InvalidData,
                format!("{STATUS_FILE}: {k} = {v}: not a number"),
            )
        };
        let num = |k: &str, v: &str| v.parse::<u64>().map_err(|_| bad(k, v));
        let opt_num = |k: &str, v: &str| {
            if v.is_empty() {
                Ok(None)
            } else {
                num(k, v).map(Some)
            }
        };
        let mut s = Status::default();
        let (mut dl_at, mut dl_file, mut dl_result) = (None, String::new(), String::new());
        for line in text.lines() {
            let Some((k, v)) = line
                .split_once(" = ")
                .or_else(|| line.strip_suffix(" =").map(|k| (k, "")))
            else {
                continue;
            };
            match k {
                key::PID => {
                    s.pid = u32::try_from(num(k, v)?).map_err(|_| bad(k, v))?;
                }
                key::MASTER => s.master = unescape(v),
                key::CONNECTED => s.connected = v == "yes",
                key::LAST_VERSION => s.last_version = num(k, v)?,
                key::LAST_CHANGE_TIME => s.last_change_time = opt_num(k, v)?,
                key::LAST_RECEIVED_AT => s.last_received_at = opt_num(k, v)?,
                key::LAST_DOWNLOAD_AT => dl_at = opt_num(k, v)?,
                key::LAST_DOWNLOAD_FILE => dl_file = unescape(v),
                key::LAST_DOWNLOAD_RESULT => dl_result = unescape(v),
                key::DATA_BYTES => s.data_bytes = num(k, v)?,
                key::UPDATED_AT => s.updated_at = num(k, v)?,
                _ => {}
            }
        }
        s.last_download = dl_at.map(|at| DownloadRecord {
            at,
            file: dl_file,
            result: dl_result,
        });
        Ok(s)
    }

    /// Writes the status file in `dir` (tmp + rename, never half-written).
    pub fn write_to(&self, dir: &Path) -> io::Result<()> {
        let tmp = dir.join(STATUS_TMP);
        let mut f = fs::File::create(&tmp)?;
        f.write_all(self.to_text().as_bytes())?;
        drop(f);
        fs::rename(&tmp, dir.join(STATUS_FILE))
    }

    /// Reads the status file from `dir`.
    pub fn read_from(dir: &Path) -> io::Result<Status> {
        Status::from_text(&fs::read_to_string(dir.join(STATUS_FILE))?)
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::metalogger::store::tests::TestDir;

    fn full() -> Status {
        Status {
            pid: 4242,
            master: "mfsmaster:9419".into(),
            connected: true,
            last_version: 18054,
            last_change_time: Some(1_795_336_490),
            last_received_at: Some(1_795_336_491),
            last_download: Some(DownloadRecord {
                at: 1_795_336_200,
                file: "metadata".into(),
                result: "bad metadata\\file\nformat".into(),
            }),
            data_bytes: 1_866_000,
            updated_at: 1_795_336_492,
        }
    }

    #[test]
    fn status_round_trips_through_the_file() {
        let d = TestDir::new("status");
        for s in [full(), Status::default()] {
            s.write_to(d.path()).unwrap();
            assert_eq!(Status::read_from(d.path()).unwrap(), s);
        }
        assert!(!d.exists(STATUS_TMP), "the temp file was renamed");
    }

    #[test]
    fn status_text_has_stable_keys() {
        let text = full().to_text();
        assert!(text.starts_with("pid = 4242\nmaster = mfsmaster:9419\nconnected = yes\n"));
        assert!(text.contains("\nlast_download_result = bad metadata\\\\file\\nformat\n"));
        assert_eq!(text.lines().count(), 11);
        let empty = Status::default().to_text();
        assert!(empty.contains("\nlast_change_time = \n"));
    }

    #[test]
    fn status_reader_ignores_unknown_keys_and_names_bad_numbers() {
        let s = Status::from_text("pid = 7\nfuture_key = x\nnonsense\n").unwrap();
        assert_eq!(s.pid, 7);
        assert_eq!(s.last_download, None);
        let e = Status::from_text("last_version = twelve\n").unwrap_err();
        assert!(e.to_string().contains("last_version = twelve"), "{e}");
    }
}
