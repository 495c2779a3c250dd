//! Errors of a restore run, each naming the file it concerns, and the reasons a replay
//! stops early.

use std::fmt;
use std::io;
use std::path::PathBuf;

use crate::format::changelog::LineError;
use crate::format::metadata::DecodeError;
use crate::model::LoadError;
use crate::replay::Status;

/// A restore (or dump) failed. Nothing was written.
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
    /// The output would overwrite an input.
    OutputIsInput { path: PathBuf },
    /// `-a`: no metadata file in the folder is usable.
    NoMetadata { dir: PathBuf },
    /// `-a`: two usable metadata files belong to different file systems (`mfsmaster`
    /// refuses this without `-i`).
    DifferentMetadataIds {
        dir: PathBuf,
        first: (String, u64),
        second: (String, u64),
    },
    /// `--to-version` below the version of the metadata file to start from.
    TargetBeforeStart {
        path: PathBuf,
        version: u64,
        target: u64,
    },
    /// The data folder is locked by a running `mfsmaster`.
    Locked { path: PathBuf, pid: Option<u32> },
    /// The replay of the changelogs stopped before its end (and the policy is strict).
    Replay(Stop),
}

/// Where and why a replay stopped early, and the metadata version it had reached.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Stop {
    /// The metadata version of the last consistent state (all changes below it applied).
    pub version: u64,
    pub reason: StopReason,
}

/// A line of a changelog file, as named in messages.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct LinePos {
    /// The file's name (bare for `-a`, as given for `-m`).
    pub file: String,
    /// 1-based line number.
    pub line: u64,
}

impl fmt::Display for LinePos {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}:{}", self.file, self.line)
    }
}

/// Why a replay stopped early.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub enum StopReason {
    /// No file holds changes `first..=last` (MooseFS: "hole in change files").
    /// `after` is the line before the hole (`None`: none was read yet).
    Hole {
        first: u64,
        last: u64,
        after: Option<LinePos>,
        before: LinePos,
    },
    /// The first change available after the metadata file is not the one the metadata
    /// needs next (`mfsmaster` applies it anyway and then fails with "version mismatch").
    Gap {
        metadata_version: u64,
        first_found: u64,
        at: LinePos,
    },
    /// A line does not parse and no other file has a good copy of its change
    /// (`mfsmaster` skips it, then normally reports a hole at the next line).
    BadLine {
        at: LinePos,
        id: u64,
        error: LineError,
        text: String,
    },
    /// The operation fails with a MooseFS status (`mfsmaster`: "operation (…) error").
    Failed {
        at: LinePos,
        id: u64,
        text: String,
        status: Status,
    },
    /// The operation did not advance the metadata version by exactly one
    /// (`mfsmaster`: "version mismatch").
    VersionMismatch {
        at: LinePos,
        id: u64,
        text: String,
        version: u64,
    },
    /// `--to-version`: the changelogs end before the requested version.
    EndBeforeTarget { target: u64 },
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
                    "{}: the output file is an input file; refusing to overwrite it",
                    path.display()
                )
            }
            Error::NoMetadata { dir } => write!(
                f,
                "{}: no valid metadata file (metadata.mfs, metadata.mfs.back, metadata_ml.mfs.back, ...)",
                dir.display()
            ),
            Error::DifferentMetadataIds {
                dir,
                first,
                second,
            } => write!(
                f,
                "{}: metadata files of different file systems: {} has id {:X}, {} has id {:X}; \
                 remove the files that do not belong here",
                dir.display(),
                first.0,
                first.1,
                second.0,
                second.1
            ),
            Error::TargetBeforeStart {
                path,
                version,
                target,
            } => write!(
                f,
                "{}: the metadata is already at version {version}, after the requested version {target}",
                path.display()
            ),
            Error::Locked { path, pid } => {
                write!(f, "{}: locked by a running mfsmaster", path.display())?;
                if let Some(pid) = pid {
                    write!(f, " (pid {pid})")?;
                }
                Ok(())
            }
            Error::Replay(stop) => stop.fmt(f),
        }
    }
}

impl std::error::Error for Error {
    fn source(&self) -> Option<&(dyn std::error::Error + 'static)> {
        match self {
            Error::Io { source, .. } => Some(source),
            Error::Decode { source, .. } => Some(source),
            Error::Load { source, .. } => Some(source),
            _ => None,
        }
    }
}

impl fmt::Display for Stop {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.reason.fmt(f)
    }
}

impl fmt::Display for StopReason {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            StopReason::Hole {
                first,
                last,
                after,
                before,
            } => {
                if first == last {
                    write!(f, "{before}: change {first} is missing")?;
                } else {
                    write!(f, "{before}: changes {first} to {last} are missing")?;
                }
                match after {
                    Some(after) => write!(f, " (hole in the changelogs after {after})"),
                    None => f.write_str(" (hole in the changelogs)"),
                }
            }
            StopReason::Gap {
                metadata_version,
                first_found,
                at,
            } => write!(
                f,
                "{at}: the changelogs go on with change {first_found}, but the metadata \
                 (version {metadata_version}) needs change {metadata_version} next: changes \
                 {metadata_version} to {} are missing",
                first_found - 1
            ),
            StopReason::BadLine {
                at,
                id,
                error,
                text,
            } => write!(
                f,
                "{at}: change {id} {text}: cannot parse: {error} (and no other file has this change)"
            ),
            StopReason::Failed {
                at,
                id,
                text,
                status,
            } => write!(f, "{at}: change {id} {text}: error: {status}"),
            StopReason::VersionMismatch {
                at,
                id,
                text,
                version,
            } => write!(
                f,
                "{at}: change {id} {text}: version mismatch (metadata version {version} after \
                 the change, {} expected)",
                id.wrapping_add(1)
            ),
            StopReason::EndBeforeTarget { target } => write!(
                f,
                "the changelogs end before version {target} (the last change needed is {})",
                target.wrapping_sub(1)
            ),
        }
    }
}
