//! Restore runs: load a metadata image, replay changelogs over it in version order, and
//! write the result durably (what `mfsmaster -a restore` does); plus the text dump of a
//! metadata file.
//!
//! A run, in order:
//!
//! 1. choose the inputs: named files ([`Job::Files`]), or a data folder the way
//!    `mfsmaster -a` chooses ([`Job::DataDir`], see [`select`]);
//! 2. load the image ([`Image::load`]) and map every changelog ([`changelog_file`]);
//! 3. merge the changelogs by id ([`merge`]) and replay them ([`run`]), up to the
//!    point-in-time [`Limit`];
//! 4. if the replay stopped early: fail ([`Policy::Strict`]), or write the last
//!    consistent version ([`Policy::BestEffort`]) — replaying again from the start
//!    when the failing change may have half-changed the image;
//! 5. write the output atomically ([`output`]).
//!
//! Nothing is written when the run fails.

pub mod changelog_file;
pub mod direct_write;
pub mod error;
mod hint;
pub mod input;
pub mod lock;
pub mod memory;
pub mod merge;
pub mod output;
pub mod report;
pub mod run;
pub mod select;
pub mod time;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

use bumpalo::Bump;

pub use error::{Error, LinePos, Stop, StopReason};
pub use report::{Event, Report, Silent, StderrReport, Verbosity};
pub use run::Limit;

use crate::format::metadata::encoder::{encode_crc_file, CrcRecord};
use crate::format::metadata::{dump, MetadataFile};
use crate::model::image::Image;
use crate::model::store::AheadSink;
use changelog_file::{ChangelogFile, Tail};
use input::{map_file, open_input, InputBytes};
use output::{names, parent_dir, store_in_data_dir, AheadTarget, AtomicFile};
use run::RunEnd;

/// Name of the side file MooseFS writes next to `metadata.mfs`.
pub const CRC_FILE_NAME: &str = names::CRC;

/// Where `mfsmaster` keeps its files unless configured otherwise.
pub const DEFAULT_DATA_PATH: &str = "/var/lib/mfs";

/// The wall clock, as MooseFS uses it (unix seconds, 32 bits).
pub fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

/// What to do when the changelogs are damaged or incomplete (a hole, a line that does
/// not parse, a failing change, a version mismatch).
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Policy {
    /// Fail and write nothing (what `mfsmaster -a restore` does).
    #[default]
    Strict,
    /// Write the last consistent version before the damage, and say why it stopped.
    BestEffort,
}

/// The inputs and the output of a restore.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Job {
    /// `-m META -o OUT [CHANGELOG ...]`: the named files. A changelog's unterminated
    /// last line (a torn write) is left out.
    Files {
        metadata: PathBuf,
        changelogs: Vec<PathBuf>,
        output: PathBuf,
    },
    /// `-a [-d DIR] [-o OUT]`: the files of a data folder chosen as `mfsmaster -a`
    /// chooses them. Without `output` the result goes into the folder as
    /// `mfsmaster -a restore` leaves it ([`output::store_in_data_dir`]).
    DataDir {
        dir: PathBuf,
        output: Option<PathBuf>,
    },
}

/// A restore to run.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Request {
    pub job: Job,
    pub policy: Policy,
    pub limit: Limit,
    /// Give the image's memory back before returning. A program that exits right after
    /// the restore clears this: the kernel then reclaims the whole address space in one
    /// sweep at exit, instead of the tables being freed allocation by allocation first
    /// (tens of milliseconds for millions of files).
    pub free_at_end: bool,
}

/// A restore that wrote its output.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Outcome {
    /// Every change (up to the limit) was applied.
    Complete { output: PathBuf, version: u64 },
    /// Best effort: the replay stopped early; the output holds the last consistent
    /// version, `stop.version`.
    Partial { output: PathBuf, stop: Stop },
}

/// Whether `a` and `b` name the same file (`b` may not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return ma.dev() == mb.dev() && ma.ino() == mb.ino();
        }
    }
    let canon = |p: &Path| -> Option<PathBuf> {
        let dir = std::fs::canonicalize(parent_dir(p)).ok()?;
        Some(dir.join(p.file_name()?))
    };
    matches!((canon(a), canon(b)), (Some(x), Some(y)) if x == y)
}

fn refuse_overwrite<'p>(
    output: &Path,
    inputs: impl IntoIterator<Item = &'p Path>,
) -> Result<(), Error> {
    if inputs.into_iter().any(|i| same_file(i, output)) {
        return Err(Error::OutputIsInput {
            path: output.to_path_buf(),
        });
    }
    Ok(())
}

/// The changelogs of a run, opened.
struct Changelogs {
    files: Vec<ChangelogFile>,
    /// The highest last id among them (for progress).
    last_id: u64,
}

/// Loads `input`; `store_next`: no change is expected before the store at `now`, which
/// will write into the file `ahead` writes to (see [`Image::load_releasing`]).
fn load<'a>(
    path: &Path,
    input: &'a InputBytes,
    now: u32,
    store_next: bool,
    ahead: Option<&AheadTarget>,
) -> Result<Image<'a>, Error> {
    let release = |end: u64| input.release_pages_before(usize::try_from(end).unwrap_or(0));
    let ahead = ahead.map(|a| a as &dyn AheadSink);
    Image::load_releasing(input, now, store_next, ahead, &release).map_err(|source| Error::Load {
        path: path.to_path_buf(),
        source,
    })
}

/// [`load`] of a whole input, whose pages are released as the loader moves on, and all
/// of them at the end: names and other values still borrow from it, and are read again
/// from the page cache when needed.
fn load_input<'a>(
    path: &Path,
    input: &'a InputBytes,
    now: u32,
    store_next: bool,
    ahead: Option<&AheadTarget>,
) -> Result<Image<'a>, Error> {
    let image = load(path, input, now, store_next, ahead)?;
    input.release_pages();
    Ok(image)
}

fn open_changelog(path: &Path, name: String, tail: Tail) -> Result<ChangelogFile, Error> {
    let bytes = open_input(path).map_err(|e| Error::io(path, "read", e))?;
    Ok(ChangelogFile::new(name, path.to_path_buf(), bytes, tail))
}

/// `-m`: the named changelogs, all of them.
fn open_named(changelogs: &[PathBuf], report: &mut dyn Report) -> Result<Changelogs, Error> {
    let mut files = Vec::with_capacity(changelogs.len());
    let mut last_id = 0;
    for path in changelogs {
        let file = open_changelog(path, path.display().to_string(), Tail::CompleteLines)?;
        if file.torn_bytes() > 0 {
            report.event(Event::TornTail {
                name: &file.name,
                bytes: file.torn_bytes(),
            });
        }
        let (first, last) = file.id_range();
        report.event(Event::Changelog {
            name: &file.name,
            first,
            last,
            used: true,
        });
        last_id = last_id.max(last);
        files.push(file);
    }
    Ok(Changelogs { files, last_id })
}

/// `-a`: the changelogs of a data folder (`found` there) that `mfsmaster -a` uses after
/// loading an image of version `version`.
fn open_folder_changelogs(
    found: Vec<select::FoundChangelog>,
    version: u64,
    report: &mut dyn Report,
) -> Result<Changelogs, Error> {
    let mut files = Vec::new();
    let mut last_id = 0;
    for found in found {
        let file = open_changelog(&found.path, found.name, Tail::Whole)?;
        let (first, last) = file.id_range();
        let used = last >= version && first != 0;
        report.event(Event::Changelog {
            name: &file.name,
            first,
            last,
            used,
        });
        if used {
            last_id = last_id.max(last);
            files.push(file);
        }
    }
    Ok(Changelogs { files, last_id })
}

/// What one replay gave: how it ended, the version reached, and the image when it is
/// worth writing.
struct Replayed<'a> {
    end: RunEnd,
    version: u64,
    stored: Option<Image<'a>>,
}

/// The image a replay starts from: its file, its bytes, and maybe the image already
/// loaded from them; else, where its load may write part of the output (see
/// [`load`]).
struct Start<'a, 't> {
    path: &'a Path,
    input: &'a InputBytes,
    loaded: Option<Image<'a>>,
    ahead: Option<&'t AheadTarget>,
}

/// Replays over the start image (loading it if needed), and stores the result if the
/// run completed, or if it stopped without touching the image and `store_partial` is
/// set.
fn replay_once<'a>(
    start: Start<'a, '_>,
    arena: &'a Bump,
    changelogs: &'a Changelogs,
    limit: Limit,
    now: u32,
    store_partial: bool,
    report: &mut dyn Report,
) -> Result<Replayed<'a>, Error> {
    let mut image = match start.loaded {
        Some(image) => image,
        None => load_input(
            start.path,
            start.input,
            now,
            changelogs.files.is_empty(),
            start.ahead,
        )?,
    };
    if let Some(target) = limit.to_version {
        if target < image.version {
            return Err(Error::TargetBeforeStart {
                path: start.path.to_path_buf(),
                version: image.version,
                target,
            });
        }
    }
    report.event(Event::ReplayStart {
        from: image.version,
        to: changelogs.last_id,
    });
    let end = run::replay(&mut image, arena, &changelogs.files, limit, report);
    for file in &changelogs.files {
        file.release_pages();
    }
    report.event(Event::ReplayEnd {
        version: image.version,
    });
    let keep = match &end {
        RunEnd::Complete => true,
        RunEnd::Stopped { modified, .. } => store_partial && !modified,
    };
    Ok(Replayed {
        end,
        version: image.version,
        stored: keep.then_some(image),
    })
}

/// Stores `image` into `output` atomically (the encoding streamed into the file), with
/// `metadata.crc` next to it when `output` is named `metadata.mfs` (as the master does).
/// `early` is the file made for `output` before the load, if it was.
fn write_output(
    output: &Path,
    early: Option<AtomicFile>,
    store: impl FnOnce(&mut AtomicFile) -> std::io::Result<Vec<CrcRecord>>,
) -> Result<(), Error> {
    let mut f = match early {
        Some(f) => f,
        None => create_output(output)?,
    };
    let crcs = store(&mut f).map_err(|e| Error::io(output, "write", e))?;
    f.commit().map_err(|e| Error::io(output, "write", e))?;
    if output.file_name().is_some_and(|n| n == names::METADATA) {
        write_atomically(
            &parent_dir(output).join(CRC_FILE_NAME),
            &encode_crc_file(&crcs),
        )?;
    }
    Ok(())
}

/// The temporary file that will replace `output`.
fn create_output(output: &Path) -> Result<AtomicFile, Error> {
    AtomicFile::create(output).map_err(|e| Error::io(output, "create a temporary file for", e))
}

/// Runs a restore. On success the output is written; [`Outcome::Partial`] only comes
/// with [`Policy::BestEffort`].
pub fn restore(request: &Request, report: &mut dyn Report) -> Result<Outcome, Error> {
    let now = now();
    let limit = request.limit;
    let _lock;
    let metadata_path: PathBuf;
    let metadata: InputBytes;
    let changelogs: Changelogs;
    let arena = Bump::new();
    // The arena of a second replay (best effort, after a change failed half-way).
    let rerun_arena = Bump::new();
    let mut loaded = None;
    // The output file, made before the load when no changelog is to be replayed: the
    // load may then write part of it (see `crate::model::store::AheadSink`).
    let mut early: Option<AtomicFile> = None;
    let output = match &request.job {
        Job::Files {
            metadata: path,
            changelogs: named,
            output,
        } => {
            refuse_overwrite(
                output,
                std::iter::once(path.as_path()).chain(named.iter().map(PathBuf::as_path)),
            )?;
            metadata = open_input(path).map_err(|e| Error::io(path, "read", e))?;
            metadata_path = path.clone();
            changelogs = open_named(named, report)?;
            if changelogs.files.is_empty() {
                early = Some(create_output(output)?);
            }
            Some(output.clone())
        }
        Job::DataDir { dir, output } => {
            _lock = match output {
                None => Some(lock::lock_data_dir(dir)?),
                Some(_) => None,
            };
            let chosen = select::choose_metadata(dir, limit.to_version, report)?;
            (metadata_path, metadata) = chosen.into_bytes()?;
            // The changelogs are chosen against the loaded version, as the master does.
            let found = select::list_changelogs(dir)?;
            if found.is_empty() {
                let target = output.clone().unwrap_or_else(|| dir.join(names::METADATA));
                early = Some(create_output(&target)?);
            }
            let ahead = early.as_ref().and_then(AtomicFile::ahead_target);
            let image = load_input(
                &metadata_path,
                &metadata,
                now,
                found.is_empty(),
                ahead.as_ref(),
            )?;
            changelogs = open_folder_changelogs(found, image.version, report)?;
            loaded = Some(image);
            if let Some(out) = output {
                refuse_overwrite(
                    out,
                    std::iter::once(metadata_path.as_path())
                        .chain(changelogs.files.iter().map(|f| f.path.as_path())),
                )?;
            }
            output.clone()
        }
    };
    let best_effort = request.policy == Policy::BestEffort;
    let start = |loaded, ahead| Start {
        path: &metadata_path,
        input: &metadata,
        loaded,
        ahead,
    };
    let ahead = match loaded {
        None => early.as_ref().and_then(AtomicFile::ahead_target),
        Some(_) => None,
    };
    let first = replay_once(
        start(loaded, ahead.as_ref()),
        &arena,
        &changelogs,
        limit,
        now,
        best_effort,
        report,
    )?;
    let (stored, stopped) = match first.end {
        RunEnd::Complete => (first.stored, None),
        RunEnd::Stopped { reason, modified } => {
            let stop = Stop {
                version: if modified {
                    version_before_failure(first.version, &reason)
                } else {
                    first.version
                },
                reason,
            };
            if !best_effort {
                return Err(Error::Replay(stop));
            }
            if modified {
                report.event(Event::Rerun {
                    before: stop.version,
                });
                let again = replay_once(
                    start(None, None),
                    &rerun_arena,
                    &changelogs,
                    limit.before(stop.version),
                    now,
                    false,
                    report,
                )?;
                match again.end {
                    RunEnd::Complete => (again.stored, Some(stop)),
                    RunEnd::Stopped { reason, .. } => {
                        return Err(Error::Replay(Stop {
                            version: again.version,
                            reason,
                        }))
                    }
                }
            } else {
                (first.stored, Some(stop))
            }
        }
    };
    let Some(image) = stored else {
        // replay_once stores every complete run and every kept partial one.
        return Err(Error::io(
            &metadata_path,
            "store",
            std::io::Error::other("no image to store"),
        ));
    };
    // The stored image borrows names and paths from the inputs: their pages are read
    // again as the encoding needs them, and let go after the largest sections.
    let release_inputs = || {
        metadata.release_pages();
        for file in &changelogs.files {
            file.release_pages();
        }
    };
    // The version the stored header holds.
    let version = image.version;
    let free_at_end = request.free_at_end;
    // A restore into a data folder deletes the metadata file it read from there, as the
    // master does (replaced by the output, or removed as the old backup).
    let input_deleted = matches!(request.job, Job::DataDir { output: None, .. })
        && metadata_path
            .file_name()
            .is_some_and(|n| n == names::METADATA || n == names::BACK);
    let input = &metadata;
    let written = std::thread::scope(|scope| {
        // Once stored, the image is only memory to give back: its tables, and the pages
        // of an input about to be deleted, are freed on other threads while the output
        // is committed (a wait on the disk), instead of by the exit after it. With
        // `free_at_end`, the image is dropped as any value.
        let store = |file: &mut AtomicFile| {
            let crcs = image.store_streaming_releasing(now, file, &release_inputs);
            if !free_at_end {
                scope.spawn(move || {
                    image.release_for_exit();
                    if input_deleted {
                        input.evict_cached_pages();
                    }
                });
            }
            crcs
        };
        match (&request.job, output) {
            (_, Some(out)) => {
                write_output(&out, early, store)?;
                Ok(out)
            }
            (Job::DataDir { dir, .. }, None) => {
                store_in_data_dir(dir, early, |file| {
                    store(file).map(|crcs| encode_crc_file(&crcs))
                })?;
                Ok(dir.join(names::METADATA))
            }
            (Job::Files { output, .. }, None) => Ok(output.clone()),
        }
    })?;
    if !free_at_end {
        // Left for the exit to reclaim (see `Request::free_at_end`); the input mappings
        // stay mapped until then too.
        std::mem::forget(arena);
        std::mem::forget(rerun_arena);
        std::mem::forget(changelogs);
        std::mem::forget(metadata);
    }
    Ok(match stopped {
        None => Outcome::Complete {
            output: written,
            version,
        },
        Some(stop) => Outcome::Partial {
            output: written,
            stop,
        },
    })
}

/// The consistent version when the change that failed was partly applied: the
/// version before it, i.e. its id.
fn version_before_failure(version: u64, reason: &StopReason) -> u64 {
    match reason {
        StopReason::Failed { id, .. } | StopReason::VersionMismatch { id, .. } => *id,
        _ => version,
    }
}

/// `metarestore -m IN -o OUT` without changelogs: loads `input` with the rules of the
/// 3.0.117 loader and writes what `mfsmaster -a restore` would store from it.
pub fn restore_file(input: &Path, output: &Path) -> Result<(), Error> {
    let request = Request {
        job: Job::Files {
            metadata: input.to_path_buf(),
            changelogs: Vec::new(),
            output: output.to_path_buf(),
        },
        policy: Policy::Strict,
        limit: Limit::default(),
        free_at_end: true,
    };
    restore(&request, &mut Silent).map(|_| ())
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut f =
        AtomicFile::create(path).map_err(|e| Error::io(path, "create a temporary file for", e))?;
    f.write_all(bytes)
        .map_err(|e| Error::io(path, "write", e))?;
    f.commit().map_err(|e| Error::io(path, "write", e))
}

/// `metarestore dump FILE`: every record of a metadata file as text.
pub fn dump_file(path: &Path, out: &mut impl Write) -> Result<(), Error> {
    let bytes = map_file(path).map_err(|e| Error::io(path, "read", e))?;
    let file = MetadataFile::decode(&bytes).map_err(|source| Error::Decode {
        path: path.to_path_buf(),
        source,
    })?;
    dump::dump(&file, out).map_err(|e| Error::io("standard output", "write to", e))
}
