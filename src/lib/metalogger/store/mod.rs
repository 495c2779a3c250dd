//! The files in DATA_PATH, as mfsmetalogger 3.0.117 writes them (spec metalogger-files.md
//! §1–§3), plus the repairs it lacks: resume from the last logged version, a torn last line
//! cut before appending, old logs moved aside (not deleted) on a version gap, and a refusal
//! to mix files of two masters with different metadata ids.
//!
//! CONTRACT (the session calls exactly these; the store helper fills in the bodies and may
//! add private modules under `store/`, but keeps these signatures):

use std::path::{Path, PathBuf};

use crate::format::wire::FileNum;

/// The retention options the store applies (reloadable).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct StoreSettings {
    /// `BACK_LOGS`.
    pub back_logs: u32,
    /// `BACK_META_KEEP_PREVIOUS`.
    pub back_meta_keep_previous: u32,
}

/// What became of one change handed to [`Store::append`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Appended {
    /// Written as `"<version>: <text>\n"` (buffered; whole lines only reach the file).
    Logged,
    /// `version` is not `last + 1`: the log was closed and the old changelogs were moved
    /// aside into `moved_to`; `last_version()` is now 0, so the session must re-register
    /// fresh (rver 1) and download everything.
    Gap {
        have: u64,
        got: u64,
        moved_to: PathBuf,
    },
}

/// What a finished download turned into.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Finished {
    /// A valid metadata image, now `metadata_ml.mfs.back` (older copies rotated).
    Metadata { version: u64, meta_id: u64 },
    /// The image failed the check; `metadata_ml.tmp` stays, nothing was rotated.
    InvalidMetadata { reason: String },
    /// The image is valid but belongs to another file system (metadata id differs from the
    /// files already in DATA_PATH): nothing was replaced.
    ForeignMetadata { ours: u64, theirs: u64 },
    /// A changelog copy, now `changelog_ml_back.0.mfs` (file 11) or `.1.mfs` (file 12).
    Changelog { name: &'static str },
}

/// Errors of the store: each names the file.
#[derive(Debug, thiserror::Error)]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("not implemented yet")]
    Unimplemented,
}

/// The metalogger's DATA_PATH.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    settings: StoreSettings,
}

impl Store {
    /// Opens DATA_PATH: cuts a torn last line of `changelog_ml.0.mfs`, finds the last
    /// logged version and the metadata id of the files there.
    pub fn open(dir: &Path, settings: StoreSettings) -> Result<Store, StoreError> {
        Ok(Store {
            dir: dir.to_path_buf(),
            settings,
        })
    }

    /// The folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Applies new retention options (reload).
    pub fn reconfigure(&mut self, settings: StoreSettings) {
        self.settings = settings;
    }

    /// The last version logged (0 = nothing to resume from: register fresh, download all).
    pub fn last_version(&self) -> u64 {
        0
    }

    /// The metadata id of the files in DATA_PATH, if known (0 / None = not known yet).
    pub fn meta_id(&self) -> Option<u64> {
        None
    }

    /// Logs one change received from the master.
    pub fn append(&mut self, _version: u64, _text: &[u8]) -> Result<Appended, StoreError> {
        Err(StoreError::Unimplemented)
    }

    /// LOG_ROTATE: close `changelog_ml.0.mfs` and shift `.k-1` to `.k`.
    pub fn rotate(&mut self) -> Result<(), StoreError> {
        Err(StoreError::Unimplemented)
    }

    /// Writes buffered whole lines to the file (the session calls it every second, on
    /// disconnect and before exit).
    pub fn flush(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// Flushes and closes `changelog_ml.0.mfs` (disconnect); the next change reopens it.
    pub fn close_log(&mut self) -> Result<(), StoreError> {
        Ok(())
    }

    /// DOWNLOAD_INFO with a size: create/truncate the temp file for `file`.
    pub fn start_download(&mut self, _file: FileNum, _size: u64) -> Result<(), StoreError> {
        Err(StoreError::Unimplemented)
    }

    /// One checked DATA block: positional write at `offset`, then fsync.
    pub fn write_block(&mut self, _offset: u64, _data: &[u8]) -> Result<(), StoreError> {
        Err(StoreError::Unimplemented)
    }

    /// All blocks received: check, rotate, rename (and fsync the folder).
    pub fn finish_download(&mut self) -> Result<Finished, StoreError> {
        Err(StoreError::Unimplemented)
    }

    /// A download cut short (disconnect, too many bad blocks): the temp file is removed;
    /// the last good files are untouched.
    pub fn abort_download(&mut self) {}

    /// Bytes used by the files in DATA_PATH (for the status).
    pub fn bytes_used(&self) -> u64 {
        0
    }
}
