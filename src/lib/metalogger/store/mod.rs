//! The files in DATA_PATH, as mfsmetalogger 3.0.117 writes them (spec metalogger-files.md
//! §1–§3), plus the repairs it lacks: resume from the last logged version, a torn last line
//! cut before appending, old logs moved aside (not deleted) on a version gap, and a refusal
//! to mix files of two masters with different metadata ids.
//!
//! CONTRACT (the session calls exactly these; the store helper fills in the bodies and may
//! add private modules under `store/`, but keeps these signatures).
//!
//! Calling order for the session:
//!
//! * [`Store::open`] once; register with rver 2 from [`Store::last_version`] when it is
//!   non-zero, else with rver 1 and download everything.
//! * [`Store::append`] for each LOG_DATA, [`Store::rotate`] for each LOG_ROTATE,
//!   [`Store::flush`] every second, [`Store::close_log`] on disconnect.
//! * Downloads: [`Store::start_download`] on INFO(size), [`Store::write_block`] per DATA
//!   (an `Err` means "send the same REQUEST again", as for a CRC error),
//!   [`Store::finish_download`] when `offset == size`, [`Store::abort_download`] on a
//!   disconnect or after the last failed try.
//!
//! Who logs what: the session logs the messages of the protocol (`some changes lost`,
//! `… downloaded …`, `meta data version …`, the check's verdict from
//! [`Finished::InvalidMetadata`]'s reason, `error writing metafile`, `can't rename …`); the
//! store logs what happens to its files (a torn line cut, the resume decision, changelogs
//! moved aside, a refused image removed, `error writing changelog_ml.0.mfs` and its
//! recovery).
//!
//! What the store does beyond 3.0.117 (each is a documented, tested choice):
//!
//! * lines are written whole or not at all, kept in memory while the disk refuses them,
//!   and synced once per flush (`changelog_log.rs`);
//! * a new stream (the first change accepted while `last_version()` is 0) starts in a new
//!   `changelog_ml.0.mfs`: an old non-empty `.0` is rotated to `.1` first, so no file has a
//!   jump in its versions (`mfsmaster -a` ignores the rest of a file after a jump of 10000
//!   or more, or after a step backwards);
//! * a gap moves the changelogs aside instead of deleting them (`aside.rs`);
//! * an invalid or foreign downloaded image is removed (not left as `metadata_ml.tmp`,
//!   which `mfsmaster -a` would consider); only the `MFSM NEW` placeholder stays, as in
//!   3.0.117, because `mfsmaster -a` restores a fresh file system from it;
//! * the folder is fsynced after each rename.

mod aside;
mod changelog_log;
mod download;
mod names;
mod recovery;
mod rotation;

use std::fs::{self, File, OpenOptions};
use std::path::{Path, PathBuf};

use crate::format::wire::FileNum;
use crate::metalogger::log::Level;

use changelog_log::{ChangelogWriter, LogFile};
use download::{Download, MetadataVerdict};

pub use changelog_log::MAX_PENDING;
pub use names::{
    CHANGELOG_0, CHANGELOG_BACK_0, CHANGELOG_BACK_1, CHANGELOG_TMP, FOREIGN_PREFIX, GAP_PREFIX,
    METADATA_BACK, METADATA_TMP,
};

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
    /// fresh (rver 1) and download everything. The change itself was not logged (as in
    /// 3.0.117, the frame that shows the gap is dropped). `moved_to` is not created when
    /// there was nothing to move.
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
    /// The image failed the check; nothing was rotated. `metadata_ml.tmp` is removed
    /// (so `mfsmaster -a` cannot pick it up), except the `MFSM NEW` placeholder of a fresh
    /// file system, which stays as in 3.0.117. `reason` is mfsmetalogger's message (`bad
    /// metadata file format`, `truncated metadata file !!!`, …), `damaged metadata: …` for
    /// a body our decoder refuses, or [`NEW_PLACEHOLDER`] for the placeholder, which
    /// mfsmetalogger does not log.
    InvalidMetadata { reason: String },
    /// The image is valid but belongs to another file system (its metadata id differs from
    /// that of `metadata_ml.mfs.back` as it is on disk now): nothing was replaced, the
    /// image was removed, and [`Store::append`] refuses changes with
    /// [`StoreError::ForeignMaster`] until a later download is accepted (after the operator
    /// moved the old files away, say).
    ForeignMetadata { ours: u64, theirs: u64 },
    /// A changelog copy, now `changelog_ml_back.0.mfs` (file 11) or `.1.mfs` (file 12).
    Changelog { name: &'static str },
}

/// [`Finished::InvalidMetadata`]'s reason for the `MFSM NEW` placeholder of a fresh file
/// system (not an error: mfsmetalogger logs nothing for it).
pub const NEW_PLACEHOLDER: &str = "MFSM NEW";

/// Errors of the store: each names the file.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum StoreError {
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
    #[error("not implemented yet")]
    Unimplemented,
    /// [`Store::append`]: the disk has refused lines for so long that [`MAX_PENDING`] bytes
    /// wait in memory. The change was not logged and `last_version()` did not move: drop
    /// the connection and re-register (rver 2) from `last_version()`; the master replays.
    #[error("{path}: {pending} bytes of changes wait in memory and the disk takes none")]
    Backlog { path: PathBuf, pending: usize },
    /// [`Store::append`] after [`Finished::ForeignMetadata`]: this master serves another
    /// file system. Nothing is logged until a download is accepted.
    #[error("master has metadata id 0x{theirs:016X}, files in {dir} belong to 0x{ours:016X}")]
    ForeignMaster {
        dir: PathBuf,
        ours: u64,
        theirs: u64,
    },
    /// A download call without a download under way.
    #[error("{dir}: no download under way")]
    NoDownload { dir: PathBuf },
    /// A file number the 3.0.117 metalogger never downloads (2, `sessions.mfs`).
    #[error("file {0:?} is not downloaded by a metalogger")]
    NotDownloadable(FileNum),
    /// [`Store::finish_download`]: the temp file is not as long as the master announced;
    /// it was removed.
    #[error("{path}: {got} bytes, the master announced {expected}")]
    Incomplete {
        path: PathBuf,
        expected: u64,
        got: u64,
    },
}

impl StoreError {
    fn io(path: impl Into<PathBuf>, source: std::io::Error) -> Self {
        StoreError::Io {
            path: path.into(),
            source,
        }
    }
}

/// fsync of a folder (after renames in it).
fn sync_dir(dir: &Path) -> std::io::Result<()> {
    File::open(dir)?.sync_all()
}

/// The metalogger's DATA_PATH.
#[derive(Debug)]
pub struct Store {
    dir: PathBuf,
    settings: StoreSettings,
    /// Buffered lines and `changelog_ml.0.mfs`.
    log: ChangelogWriter,
    /// The last version accepted (buffered or written); 0 = a new stream starts.
    last: u64,
    /// The metadata id of the files here (0 = not known).
    meta_id: u64,
    download: Option<Download>,
    /// Set by a foreign image: the master's id.
    foreign: Option<u64>,
    /// An error opening `changelog_ml.0.mfs` was logged.
    open_failing: bool,
    /// Since the current stream began afresh: an image (valid, or the `MFSM NEW`
    /// placeholder) and a copy of the master's `changelog.0.mfs` were downloaded.
    fresh_image: bool,
    fresh_changelog: bool,
}

impl Store {
    /// Opens DATA_PATH: cuts torn last lines of `changelog_ml.<n>.mfs`, finds the metadata
    /// id of the files there and the version to resume after (see `recovery.rs`).
    pub fn open(dir: &Path, settings: StoreSettings) -> Result<Store, StoreError> {
        let found = recovery::recover(dir).map_err(|e| StoreError::io(dir, e))?;
        Ok(Store {
            dir: dir.to_path_buf(),
            settings,
            log: ChangelogWriter::new(names::CHANGELOG_0),
            last: found.last_version,
            meta_id: found.meta_id.unwrap_or(0),
            download: None,
            foreign: None,
            open_failing: false,
            fresh_image: found.last_version > 0,
            fresh_changelog: found.last_version > 0,
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
    /// It counts changes still buffered in memory.
    pub fn last_version(&self) -> u64 {
        self.last
    }

    /// The metadata id of the files in DATA_PATH, if known (0 / None = not known yet).
    pub fn meta_id(&self) -> Option<u64> {
        (self.meta_id != 0).then_some(self.meta_id)
    }

    /// Whether the folder still lacks the downloads that join the current stream to a
    /// metadata image: true from the first change of a stream that began afresh (rver 1,
    /// after a start without resume or a gap) until a metadata image and then file 11
    /// have been downloaded. Until then neither `mfsmaster -a` nor `metarestore -a` works on
    /// the folder (the changes between the image and the stream's first change are missing).
    /// Session: if a download failed (full disk, master error), start one again while this
    /// is true, rather than waiting for the next `META_DOWNLOAD_FREQ` tick.
    pub fn needs_download(&self) -> bool {
        !(self.fresh_image && self.fresh_changelog)
    }

    /// Logs one change received from the master. Errors: [`StoreError::Backlog`] (the
    /// change was not taken; reconnect) and [`StoreError::ForeignMaster`].
    pub fn append(&mut self, version: u64, text: &[u8]) -> Result<Appended, StoreError> {
        if let Some(theirs) = self.foreign {
            return Err(StoreError::ForeignMaster {
                dir: self.dir.clone(),
                ours: self.meta_id,
                theirs,
            });
        }
        // While memory is full every change is refused, gap or not: the session reconnects
        // and the master replays from `last + 1` (a gap is judged once there is room).
        if let Err(b) = self.log.check_room(text) {
            return Err(StoreError::Backlog {
                path: self.dir.join(names::CHANGELOG_0),
                pending: b.pending,
            });
        }
        if self.last > 0 && version != self.last.wrapping_add(1) {
            return Ok(self.gap(version));
        }
        if self.last == 0 {
            self.begin_stream(version);
        }
        if let Err(b) = self.log.push(version, text) {
            return Err(StoreError::Backlog {
                path: self.dir.join(names::CHANGELOG_0),
                pending: b.pending,
            });
        }
        self.last = version;
        self.ensure_open();
        Ok(Appended::Logged)
    }

    /// LOG_ROTATE: close `changelog_ml.0.mfs` and shift `.k-1` to `.k`. Lines the disk has
    /// not taken yet stay in memory and go to the next `changelog_ml.0.mfs`.
    pub fn rotate(&mut self) -> Result<(), StoreError> {
        let _ = self.log.flush();
        self.log.detach();
        rotation::shift_changelogs(&self.dir, self.settings.back_logs);
        sync_dir(&self.dir).map_err(|e| StoreError::io(&self.dir, e))
    }

    /// Writes buffered whole lines to the file, then fdatasyncs it (the session calls it
    /// every second, on disconnect and before exit). A full disk is not an error here: the
    /// lines stay in memory and the next flush tries again (logged once, see
    /// `changelog_log.rs`); [`Store::append`] reports when memory runs out.
    pub fn flush(&mut self) -> Result<(), StoreError> {
        if self.log.pending_bytes() > 0 {
            self.ensure_open();
        }
        let _ = self.log.flush();
        Ok(())
    }

    /// Flushes and closes `changelog_ml.0.mfs` (disconnect); the next change reopens it.
    pub fn close_log(&mut self) -> Result<(), StoreError> {
        self.flush()?;
        self.log.detach();
        Ok(())
    }

    /// DOWNLOAD_INFO with a size: create/truncate the temp file for `file`. A download
    /// still under way is aborted first.
    pub fn start_download(&mut self, file: FileNum, size: u64) -> Result<(), StoreError> {
        self.abort_download();
        let Some((tmp, target)) = names::download_names(file) else {
            return Err(StoreError::NotDownloadable(file));
        };
        let tmp = self.dir.join(tmp);
        match Download::start(file, tmp.clone(), target, size) {
            Ok(d) => {
                self.download = Some(d);
                Ok(())
            }
            Err(e) => Err(StoreError::io(tmp, e)),
        }
    }

    /// One checked DATA block: positional write at `offset`, then fsync. On an error the
    /// session asks for the same block again.
    pub fn write_block(&mut self, offset: u64, data: &[u8]) -> Result<(), StoreError> {
        let Some(d) = self.download.as_mut() else {
            return Err(StoreError::NoDownload {
                dir: self.dir.clone(),
            });
        };
        d.write_block(offset, data)
            .map_err(|e| StoreError::io(&d.tmp, e))
    }

    /// All blocks received: check (file 1), rotate the backups, rename (and fsync the
    /// folder). An `Err` is a failed rename (or a short file, [`StoreError::Incomplete`]).
    pub fn finish_download(&mut self) -> Result<Finished, StoreError> {
        let Some(d) = self.download.take() else {
            return Err(StoreError::NoDownload {
                dir: self.dir.clone(),
            });
        };
        let got = d
            .handle
            .metadata()
            .map_err(|e| StoreError::io(&d.tmp, e))?
            .len();
        if got != d.size {
            let _ = fs::remove_file(&d.tmp);
            return Err(StoreError::Incomplete {
                path: d.tmp,
                expected: d.size,
                got,
            });
        }
        let Download {
            file,
            tmp,
            target,
            handle,
            ..
        } = d;
        drop(handle);
        let target_path = self.dir.join(target);
        if file != FileNum::Metadata {
            fs::rename(&tmp, &target_path).map_err(|e| StoreError::io(&tmp, e))?;
            sync_dir(&self.dir).map_err(|e| StoreError::io(&self.dir, e))?;
            if file == FileNum::Changelog0 && self.fresh_image {
                self.fresh_changelog = true;
            }
            return Ok(Finished::Changelog { name: target });
        }
        match download::check_metadata_image(&tmp) {
            MetadataVerdict::New => {
                self.fresh_image = true;
                Ok(Finished::InvalidMetadata {
                    reason: NEW_PLACEHOLDER.to_string(),
                })
            }
            MetadataVerdict::Invalid { reason } => {
                self.remove_refused(&tmp, "it is not a valid metadata file");
                Ok(Finished::InvalidMetadata { reason })
            }
            MetadataVerdict::Valid { version, meta_id } => {
                // The id of the files as they are now (an operator may have moved them).
                self.meta_id = recovery::folder_meta_id(&self.dir).unwrap_or(0);
                if self.meta_id != 0 && meta_id != 0 && meta_id != self.meta_id {
                    return Ok(self.refuse_foreign(&tmp, meta_id));
                }
                self.foreign = None;
                rotation::shift_metadata_backups(&self.dir, self.settings.back_meta_keep_previous);
                fs::rename(&tmp, &target_path).map_err(|e| StoreError::io(&tmp, e))?;
                sync_dir(&self.dir).map_err(|e| StoreError::io(&self.dir, e))?;
                if meta_id != 0 {
                    self.meta_id = meta_id;
                }
                self.fresh_image = true;
                Ok(Finished::Metadata { version, meta_id })
            }
        }
    }

    /// A download cut short (disconnect, too many bad blocks): the temp file is removed;
    /// the last good files are untouched.
    pub fn abort_download(&mut self) {
        if let Some(d) = self.download.take() {
            drop(d.handle);
            let _ = fs::remove_file(&d.tmp);
        }
    }

    /// Bytes used by the files in DATA_PATH (for the status), counting the `gap-*`
    /// subfolders this store creates, and each hard-linked file once.
    pub fn bytes_used(&self) -> u64 {
        use std::collections::HashSet;
        use std::os::unix::fs::MetadataExt;
        fn files_in(dir: &Path, depth: u32, seen: &mut HashSet<(u64, u64)>) -> u64 {
            let Ok(list) = fs::read_dir(dir) else {
                return 0;
            };
            let mut total = 0;
            for entry in list.flatten() {
                let Ok(meta) = entry.metadata() else { continue };
                if meta.is_file() {
                    if seen.insert((meta.dev(), meta.ino())) {
                        total += meta.len();
                    }
                } else if meta.is_dir() && depth == 0 {
                    let name = entry.file_name();
                    let name = name.to_string_lossy();
                    if name.starts_with(names::GAP_PREFIX)
                        || name.starts_with(names::FOREIGN_PREFIX)
                    {
                        total += files_in(&entry.path(), 1, seen);
                    }
                }
            }
            total
        }
        files_in(&self.dir, 0, &mut HashSet::new())
    }

    /// The first change of a new stream: if `changelog_ml.0.mfs` holds lines of an earlier
    /// stream, rotate it away so that versions never jump inside one file.
    fn begin_stream(&mut self, version: u64) {
        self.fresh_image = false;
        self.fresh_changelog = false;
        if self.log.pending_bytes() > 0 {
            self.ensure_open();
        }
        let _ = self.log.flush();
        self.log.detach();
        // Lines of the old stream the disk did not take cannot go first in the new file.
        if let Some((first, count)) = self.log.pending_summary() {
            self.log.discard_pending();
            crate::ml_log!(
                Level::Warning,
                "{count} changes from {first} of the previous stream could not be written to {}: dropped",
                names::CHANGELOG_0
            );
        }
        if recovery::non_empty(&self.dir.join(names::CHANGELOG_0)) {
            rotation::shift_changelogs(&self.dir, self.settings.back_logs);
            let _ = sync_dir(&self.dir);
            crate::ml_log!(
                Level::Notice,
                "new changelog stream from change {version}: the old {} was rotated",
                names::CHANGELOG_0
            );
        }
    }

    /// Opens `changelog_ml.0.mfs` in append mode if it is not open (a torn tail, which only
    /// another writer can leave, is cut first). A failure is logged once; the lines wait.
    fn ensure_open(&mut self) {
        if self.log.is_open() {
            return;
        }
        let path = self.dir.join(names::CHANGELOG_0);
        let opened = recovery::cut_torn_tail(&path).and_then(|cut| {
            if let Some((at, n)) = cut {
                crate::ml_log!(
                    Level::Warning,
                    "{}: cut a torn last line at byte {at} ({n} bytes)",
                    names::CHANGELOG_0
                );
            }
            let existed = path.exists();
            let file = OpenOptions::new().append(true).create(true).open(&path)?;
            let len = file.metadata()?.len();
            if !existed {
                // The new name must survive a power loss too, not only the lines in it.
                sync_dir(&self.dir)?;
            }
            Ok((file, len))
        });
        match opened {
            Ok((file, len)) => {
                self.log.attach(Box::new(file) as Box<dyn LogFile>, len);
                if self.open_failing {
                    self.open_failing = false;
                    crate::ml_log!(Level::Notice, "{} opened again", names::CHANGELOG_0);
                }
            }
            Err(e) => {
                if !self.open_failing {
                    self.open_failing = true;
                    crate::ml_log!(
                        Level::Warning,
                        "error opening {}: {} (changes kept in memory)",
                        names::CHANGELOG_0,
                        crate::metalogger::errno::errno_text(&e)
                    );
                }
            }
        }
    }

    /// A change that does not follow the last one: close, move the changelogs aside,
    /// forget the version.
    fn gap(&mut self, got: u64) -> Appended {
        let have = self.last;
        if self.log.pending_bytes() > 0 {
            self.ensure_open();
        }
        let _ = self.log.flush();
        self.log.detach();
        let dropped = self.log.discard_pending();
        if dropped > 0 {
            crate::ml_log!(
                Level::Warning,
                "{dropped} bytes of changes up to {have} could not be written before the gap"
            );
        }
        self.last = 0;
        // A fresh file system's placeholder is a base too, unless a new image is being
        // downloaded into that name right now.
        let placeholder = self
            .download
            .as_ref()
            .is_none_or(|d| d.file != FileNum::Metadata)
            && aside::has_new_placeholder(&self.dir);
        let moved = aside::move_aside(
            &self.dir,
            names::GAP_PREFIX,
            aside::is_own_changelog,
            |name| aside::is_gap_base(name) || (placeholder && name == names::METADATA_TMP),
        );
        let moved_to = match moved {
            Ok(m) => match m.folder {
                Some(folder) => {
                    crate::ml_log!(
                        Level::Notice,
                        "changelogs up to change {have} moved to {} ({}), with links to {}",
                        folder.display(),
                        m.moved.join(", "),
                        if m.linked.is_empty() {
                            "nothing".to_string()
                        } else {
                            m.linked.join(", ")
                        }
                    );
                    for old in aside::prune_subfolders(
                        &self.dir,
                        names::GAP_PREFIX,
                        aside::GAP_FOLDERS_KEPT,
                    ) {
                        crate::ml_log!(
                            Level::Notice,
                            "{old} removed (only the newest {} gap folders are kept)",
                            aside::GAP_FOLDERS_KEPT
                        );
                    }
                    folder
                }
                None => self
                    .dir
                    .join(format!("{}{}", names::GAP_PREFIX, aside::timestamp())),
            },
            Err(e) => {
                // Leaving them would put a hole in front of `mfsmaster -a`: delete them,
                // as 3.0.117 does.
                crate::ml_log!(
                    Level::Warning,
                    "can't move old changelogs aside ({}): deleting them",
                    crate::metalogger::errno::errno_text(&e)
                );
                self.delete_own_changelogs();
                self.dir.clone()
            }
        };
        Appended::Gap {
            have,
            got,
            moved_to,
        }
    }

    /// Deletes every `changelog_ml.<n>.mfs` left in the folder.
    fn delete_own_changelogs(&self) {
        if let Ok(list) = fs::read_dir(&self.dir) {
            for entry in list.flatten() {
                if let Ok(name) = entry.file_name().into_string() {
                    if aside::is_own_changelog(&name) {
                        let _ = fs::remove_file(entry.path());
                    }
                }
            }
        }
    }

    /// Removes a refused `metadata_ml.tmp` so `mfsmaster -a` never considers it.
    fn remove_refused(&self, tmp: &Path, why: &str) {
        match fs::remove_file(tmp) {
            Ok(()) => crate::ml_log!(
                Level::Warning,
                "{} removed: {why}; the last good {} stays",
                names::METADATA_TMP,
                names::METADATA_BACK
            ),
            Err(e) => crate::ml_log!(
                Level::Warning,
                "can't remove {} ({why}): {} - remove it before running mfsmaster -a",
                names::METADATA_TMP,
                crate::metalogger::errno::errno_text(&e)
            ),
        }
    }

    /// A valid image of another file system: replace nothing, log nothing more from it.
    fn refuse_foreign(&mut self, tmp: &Path, theirs: u64) -> Finished {
        self.remove_refused(tmp, "it belongs to another file system");
        self.foreign = Some(theirs);
        self.last = 0;
        Finished::ForeignMetadata {
            ours: self.meta_id,
            theirs,
        }
    }
}

impl Drop for Store {
    /// Last flush; reports changes that never reached the disk (the next start resumes
    /// before them, so the master sends them again if it still has them).
    fn drop(&mut self) {
        let _ = self.flush();
        if let Some((first, count)) = self.log.pending_summary() {
            crate::ml_log!(
                Level::Warning,
                "{count} changes from {first} could not be written to {} before exit",
                names::CHANGELOG_0
            );
        }
        self.abort_download();
    }
}

#[cfg(test)]
pub(crate) mod tests;
