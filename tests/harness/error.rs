//! Harness errors. Each one says what was being done, and, where a program's output exists,
//! ends with the tail of that output, so that a failing test explains itself.

use std::path::{Path, PathBuf};
use std::time::Duration;

/// How many trailing lines of a log an error message quotes.
pub const LOG_TAIL_LINES: usize = 40;

#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// A program could not be started at all.
    #[error("{what}: cannot start `{program}`: {source}")]
    Spawn {
        what: String,
        program: String,
        #[source]
        source: std::io::Error,
    },
    /// A program, or a wait for some state, did not finish in time.
    #[error("{what}: no result after {after:?}{}", tail_block(log, tail))]
    Timeout {
        what: String,
        after: Duration,
        log: Option<PathBuf>,
        tail: String,
    },
    /// A program finished unsuccessfully or printed an error.
    #[error("{what}: {status}{}", tail_block(log, tail))]
    Failed {
        what: String,
        status: String,
        log: Option<PathBuf>,
        tail: String,
    },
    /// A file-system operation of the harness itself failed.
    #[error("{op} {}: {source}", path.display())]
    Io {
        op: &'static str,
        path: PathBuf,
        #[source]
        source: std::io::Error,
    },
    /// Something we read had an unexpected shape (a daemon's file, a tool's output).
    #[error("{what}: {detail}")]
    Unexpected { what: String, detail: String },
}

pub type Result<T, E = Error> = std::result::Result<T, E>;

fn tail_block(log: &Option<PathBuf>, tail: &str) -> String {
    match (log, tail.is_empty()) {
        (_, true) => String::new(),
        (Some(log), false) => format!("\n--- tail of {} ---\n{tail}", log.display()),
        (None, false) => format!("\n--- output ---\n{tail}"),
    }
}

/// Wraps an `io::Error` with the operation and the path.
pub fn io<'a>(op: &'static str, path: &'a Path) -> impl FnOnce(std::io::Error) -> Error + 'a {
    move |source| Error::Io {
        op,
        path: path.to_path_buf(),
        source,
    }
}

/// The last [`LOG_TAIL_LINES`] lines of a file, or a note saying why there are none.
pub fn log_tail(path: &Path) -> String {
    match std::fs::read(path) {
        Ok(bytes) => text_tail(&String::from_utf8_lossy(&bytes)),
        Err(e) => format!("(cannot read {}: {e})", path.display()),
    }
}

/// The last [`LOG_TAIL_LINES`] lines of a text. Carriage returns (progress lines) become
/// line breaks so a tail does not end in one very long line.
pub fn text_tail(text: &str) -> String {
    let text = text.replace('\r', "\n");
    let lines: Vec<&str> = text.lines().filter(|l| !l.trim().is_empty()).collect();
    let start = lines.len().saturating_sub(LOG_TAIL_LINES);
    lines[start..].join("\n")
}
