//! Errors of a restore run, each naming the file it concerns.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::format::metadata::DecodeError;
use crate::model::LoadError;

/// A restore (or dump) failed.
#[derive(Debug)]
#[non_exhaustive]
pub enum Error {
    /// A file could not be read or written.
    Io {
        path: PathBuf,
        action: &'static str,
        source: io::Error,
    },
    /// A metadata file could not be decoded.
    Decode { path: PathBuf, source: DecodeError },
    /// A metadata file was refused by a loader rule.
    Load { path: PathBuf, source: LoadError },
    /// The output would overwrite the input.
    OutputIsInput { path: PathBuf },
}

impl Error {
    pub fn io(path: impl Into<PathBuf>, action: &'static str, source: io::Error) -> Self {
        Error::Io {
            path: path.into(),
            action,
            source,
        }
    }

    /// Whether this is a write to a closed pipe (which a CLI treats as success).
    pub fn is_broken_pipe(&self) -> bool {
        matches!(self, Error::Io { source, .. } if source.kind() == io::ErrorKind::BrokenPipe)
    }
}

impl fmt::Display for Error {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            Error::Io {
                path,
                action,
                source,
            } => {
                write!(f, "{}: cannot {action}: {source}", path.display())
            }
            Error::Decode { path, source } => write!(f, "{}: {source}", path.display()),
            Error::Load { path, source } => write!(f, "{}: {source}", path.display()),
            Error::OutputIsInput { path } => {
                write!(
                    f,
                    "{}: the output file is the input file; refusing to overwrite it",
                    path.display()
                )
            }
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Decode { source, .. } => Some(source),
            Error::Load { source, .. } => Some(source),
            Error::OutputIsInput { .. } => None,
        }
    }
}
