//! Downloads of the master's metadata and changelogs (spec metalogger-protocol.md §5):
//! START → INFO → REQUEST/DATA (stop-and-wait, ≤ 1 000 000 bytes a block) → END, and the
//! chain 1 → 11 → 12.
//!
//! Calling order on one connection: [`Session::start_download`] queues START and sets
//! [`Download`] to `Requested`; INFO with a size opens the temp file and moves it to
//! `Receiving`; each DATA block is checked, written, and the next REQUEST queued; when
//! `offset == size` END is queued, the store finishes the file, and the next file of the
//! chain is started. A disconnect in any phase calls `abort_download` (see
//! [`Session::disconnect`]).

use std::time::Duration;

use tokio::time::Instant;

use super::{Backend, Disconnect, Flow, Held, Session};
use crate::format::wire::{DownloadData, DownloadInfo, FileNum, ToMaster, DOWNLOAD_BLOCK};
use crate::metalogger::errno::errno_text;
use crate::metalogger::log::Level;
use crate::metalogger::store::{Finished, StoreError, NEW_PLACEHOLDER};
use crate::ml_log;

/// The first wait before a needed base download is tried again; it doubles after each
/// failure, up to [`DOWNLOAD_RETRY_MAX`].
pub(crate) const DOWNLOAD_RETRY_FIRST: Duration = Duration::from_secs(5);

/// The longest wait between two tries of a needed base download.
pub(crate) const DOWNLOAD_RETRY_MAX: Duration = Duration::from_secs(300);

/// Tries of one block after the first that failed (mfsmetalogger: 5, so 6 tries in all).
pub(crate) const BLOCK_RETRIES: u32 = 5;

/// The download running on a connection.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Download {
    file: FileNum,
    phase: Phase,
}

#[derive(Debug, Clone, Copy)]
enum Phase {
    /// START sent, INFO not yet received.
    Requested,
    /// The temp file is open; `offset` bytes are written and checked.
    Receiving {
        size: u64,
        offset: u64,
        retries: u32,
        started: Instant,
    },
}

impl Download {
    /// The file downloaded.
    pub(crate) fn file(&self) -> FileNum {
        self.file
    }
}

/// A store error as mfsmetalogger words an errno, then the file: `ENOSPC (No space left on
/// device), file: /var/lib/mfs/metadata_ml.tmp`.
pub(crate) fn store_error_text(e: &StoreError) -> String {
    match e {
        StoreError::Io { path, source } => {
            format!("{}, file: {}", errno_text(source), path.display())
        }
        other => other.to_string(),
    }
}

/// The name mfsmetalogger gives a file in its messages.
pub(crate) fn file_label(file: FileNum) -> &'static str {
    match file {
        FileNum::Metadata => "metadata",
        FileNum::Changelog0 => "changelog_0",
        FileNum::Changelog1 => "changelog_1",
        FileNum::Sessions => "sessions",
    }
}

impl<B: Backend> Session<B> {
    /// Queues START(`file`) if connected and no download runs; otherwise the trigger is
    /// lost, as in mfsmetalogger.
    pub(super) fn start_download(&mut self, file: FileNum) {
        let hold = file == FileNum::Metadata && self.store.meta_id().is_some();
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if conn.download.is_some() {
            return;
        }
        // START always encodes.
        let _ = ToMaster::DownloadStart(file).encode(&mut conn.out);
        conn.download = Some(Download {
            file,
            phase: Phase::Requested,
        });
        if file == FileNum::Metadata {
            self.chain_ok = true;
        }
        if hold && !conn.meta_checked && conn.held.is_none() {
            conn.held = Some(Held::default());
        }
    }

    /// A download is in its data phase (DATA frames are expected).
    pub(super) fn receiving(&self) -> bool {
        matches!(
            self.conn.as_ref().and_then(|c| c.download),
            Some(Download {
                phase: Phase::Receiving { .. },
                ..
            })
        )
    }

    pub(super) fn on_download_info(&mut self, info: DownloadInfo) -> Flow {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        let size = match info {
            DownloadInfo::Error(_) => {
                ml_log!(Level::Notice, "download start error");
                if let Some(d) = conn.download.take() {
                    if matches!(d.phase, Phase::Receiving { .. }) {
                        self.store.abort_download();
                    }
                    self.record_download(d.file, "download start error".into());
                    self.chain_failed();
                    self.end_meta_check()?;
                }
                return Ok(());
            }
            DownloadInfo::Size(size) => size,
        };
        let file = match conn.download {
            Some(Download {
                file,
                phase: Phase::Requested,
            }) => file,
            _ => {
                ml_log!(Level::Notice, "unexpected MATOAN_DOWNLOAD_INFO packet");
                return Err(Disconnect);
            }
        };
        if let Err(e) = self.store.start_download(file, size) {
            let msg = format!("error opening metafile: {}", store_error_text(&e));
            ml_log!(Level::Notice, "{msg}");
            self.end_download(file, msg)?;
            return Ok(());
        }
        if let Some(d) = self.conn.as_mut().and_then(|c| c.download.as_mut()) {
            d.phase = Phase::Receiving {
                size,
                offset: 0,
                retries: 0,
                started: Instant::now(),
            };
        }
        self.download_next()
    }

    pub(super) fn on_download_data(&mut self, block: DownloadData<'_>) -> Flow {
        let Some(Download {
            file,
            phase:
                Phase::Receiving {
                    size,
                    offset,
                    retries,
                    started,
                },
        }) = self.conn.as_ref().and_then(|c| c.download)
        else {
            ml_log!(Level::Notice, "MATOAN_DOWNLOAD_DATA - file not opened");
            return Err(Disconnect);
        };
        if block.offset != offset {
            ml_log!(
                Level::Notice,
                "MATOAN_DOWNLOAD_DATA - unexpected file offset ({}/{offset})",
                block.offset
            );
            return Err(Disconnect);
        }
        let end = offset.saturating_add(block.data.len() as u64);
        // An empty block before the end would make the same request forever.
        if end > size || (block.data.is_empty() && offset < size) {
            ml_log!(
                Level::Notice,
                "MATOAN_DOWNLOAD_DATA - unexpected file size ({end}/{size})"
            );
            return Err(Disconnect);
        }
        let failure = if !block.crc_ok() {
            ml_log!(Level::Notice, "metafile data crc error");
            Some("metafile data crc error".to_string())
        } else if let Err(e) = self.store.write_block(offset, block.data) {
            let msg = format!("error writing metafile: {}", store_error_text(&e));
            ml_log!(Level::Notice, "{msg}");
            Some(msg)
        } else {
            None
        };
        let (offset, retries) = match failure {
            None => (end, 0),
            Some(reason) if retries >= BLOCK_RETRIES => {
                self.store.abort_download();
                return self.end_download(file, reason);
            }
            Some(_) => (offset, retries + 1),
        };
        if let Some(d) = self.conn.as_mut().and_then(|c| c.download.as_mut()) {
            d.phase = Phase::Receiving {
                size,
                offset,
                retries,
                started,
            };
        }
        self.download_next()
    }

    /// Queues the next REQUEST, or finishes the file.
    fn download_next(&mut self) -> Flow {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        let Some(Download {
            file,
            phase:
                Phase::Receiving {
                    size,
                    offset,
                    started,
                    ..
                },
        }) = conn.download
        else {
            return Ok(());
        };
        if offset < size {
            let leng = (size - offset).min(u64::from(DOWNLOAD_BLOCK)) as u32;
            let _ = ToMaster::DownloadRequest { offset, leng }.encode(&mut conn.out);
            return Ok(());
        }
        // The whole file is here.
        let _ = ToMaster::DownloadEnd.encode(&mut conn.out);
        conn.download = None;
        let micros = started.elapsed().as_micros().max(1);
        ml_log!(
            Level::Notice,
            "{} downloaded {size}B/{}.{:06}s ({:.3} MB/s)",
            file_label(file),
            micros / 1_000_000,
            micros % 1_000_000,
            size as f64 / micros as f64
        );
        let next = match file {
            FileNum::Metadata => Some(FileNum::Changelog0),
            FileNum::Changelog0 => Some(FileNum::Changelog1),
            FileNum::Changelog1 | FileNum::Sessions => None,
        };
        match self.store.finish_download() {
            Ok(Finished::Metadata { version, meta_id }) => {
                ml_log!(
                    Level::Notice,
                    "meta data version: {version}, meta data id: 0x{meta_id:016X}"
                );
                self.record_download(file, "ok".into());
                self.foreign_at = None;
                self.end_meta_check()?;
            }
            Ok(Finished::InvalidMetadata { reason }) => {
                // mfsmetalogger says nothing about a fresh file system's placeholder.
                if reason != NEW_PLACEHOLDER {
                    ml_log!(Level::Warning, "{reason}");
                    // The placeholder is a base (`mfsmaster -a` starts a fresh file
                    // system from it); a damaged image is not.
                    self.chain_failed();
                }
                self.record_download(file, reason);
                self.end_meta_check()?;
            }
            Ok(Finished::ForeignMetadata { ours, theirs }) => {
                ml_log!(
                    Level::Warning,
                    "master's metadata id 0x{theirs:016X} differs from DATA_PATH's \
                     0x{ours:016X}: not following this master (move the old files out of \
                     DATA_PATH to follow it; checked again at reconnection)"
                );
                self.record_download(file, format!("foreign metadata id 0x{theirs:016X}"));
                if let Some(conn) = self.conn.as_mut() {
                    conn.held = None;
                }
                self.foreign_at = Some(Instant::now());
                return Err(Disconnect);
            }
            Ok(Finished::Changelog { .. }) => {
                self.record_download(file, "ok".into());
                if file == FileNum::Changelog1 {
                    self.chain_done();
                }
            }
            Err(e @ StoreError::Io { .. }) => {
                let what = if file == FileNum::Metadata {
                    "metadata"
                } else {
                    "changelog"
                };
                ml_log!(
                    Level::Notice,
                    "can't rename downloaded {what} - do it manually before next download \
                     ({})",
                    store_error_text(&e)
                );
                self.record_download(file, e.to_string());
                self.chain_failed();
                self.end_meta_check()?;
            }
            Err(e) => {
                ml_log!(Level::Notice, "{} download failed: {e}", file_label(file));
                self.record_download(file, e.to_string());
                self.chain_failed();
                self.end_meta_check()?;
            }
        }
        if let Some(next) = next {
            self.start_download(next);
        }
        Ok(())
    }

    /// Queues END and stops the download without finishing it.
    fn end_download(&mut self, file: FileNum, reason: String) -> Flow {
        if let Some(conn) = self.conn.as_mut() {
            let _ = ToMaster::DownloadEnd.encode(&mut conn.out);
            conn.download = None;
        }
        self.record_download(file, reason);
        self.chain_failed();
        self.end_meta_check()
    }

    /// A file of the chain could not be had: the chain will not set a base. If one is
    /// needed, try again later, waiting longer after each failure.
    pub(super) fn chain_failed(&mut self) {
        self.chain_ok = false;
        if self.base_needed {
            let wait = DOWNLOAD_RETRY_FIRST
                .saturating_mul(1 << self.retry_failures.min(8))
                .min(DOWNLOAD_RETRY_MAX);
            self.retry_failures = self.retry_failures.saturating_add(1);
            self.retry_at = Some(Instant::now() + wait);
        }
    }

    /// The chain 1 → 11 → 12 ended with every file in place: the base is there.
    fn chain_done(&mut self) {
        if self.chain_ok {
            self.base_needed = false;
            self.retry_failures = 0;
            self.retry_at = None;
        }
    }

    /// Starts the download a missing base still needs, once its retry time has come.
    pub(super) fn retry_base_download(&mut self) {
        let idle = self.conn.as_ref().is_some_and(|c| c.download.is_none());
        let due = self.retry_at.is_none_or(|at| Instant::now() >= at);
        if self.base_needed && idle && due {
            self.start_download(FileNum::Metadata);
        }
    }

    /// The metadata download of this connection ended: the id is checked (or cannot be
    /// now), so held changes are logged.
    fn end_meta_check(&mut self) -> Flow {
        if let Some(conn) = self.conn.as_mut() {
            conn.meta_checked = true;
        }
        self.release_held()
    }
}
