//! `mfsmeta-gen`: benchmark inputs that the real `mfsmaster -a restore` accepts.
//!
//! The generator simulates a master ([`workload`]): it builds a tree of files, then
//! changes it with a realistic mix of operations, and logs every change exactly as
//! 3.0.117 would (changelog-format spec §5 "Exact shapes"). A snapshot is made by
//! sending the tree-building changes to [`snapshot::SnapshotBuilder`] instead of a
//! changelog: it writes the sections directly, byte for byte what `mfsmaster -a
//! restore` would store after replaying those changes (about seven times faster than
//! building the image with a replay, in a quarter of the memory).
//!
//! Output folder:
//! * `metadata.mfs`: the snapshot, or (changelog only) an empty file system;
//! * `changelog.N.mfs`: the changes after it, split every
//!   [`writer::LINES_PER_FILE`] lines, `changelog.0.mfs` the newest.

pub mod rng;
pub mod sink;
pub mod snapshot;
pub mod workload;
pub mod writer;

use std::path::{Path, PathBuf};

use crate::model::image::Image;

use snapshot::SnapshotBuilder;
use workload::Workload;
use writer::ChangelogWriter;

/// Timestamp of the empty file system's root and of the first change.
pub const START_TIME: u32 = 1_700_000_000;

/// Which files to write.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub enum Mode {
    /// A snapshot of the tree and a changelog of the workload on top of it.
    #[default]
    Both,
    /// Only `metadata.mfs` holding the tree.
    SnapshotOnly,
    /// An empty file system's `metadata.mfs` and a changelog that builds the tree
    /// and then runs the workload.
    ChangelogOnly,
}

/// What to generate.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Options {
    pub files: u64,
    pub ops_per_file: u64,
    pub out: PathBuf,
    pub seed: u64,
    pub mode: Mode,
}

/// What was written.
#[derive(Clone, Debug, Default, PartialEq, Eq)]
pub struct Summary {
    /// Metadata version of `metadata.mfs`.
    pub snapshot_version: u64,
    /// Version after the last change of the changelog.
    pub final_version: u64,
    pub changelogs: Vec<PathBuf>,
}

/// Errors of the generator.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum Error {
    /// Writing a file failed, or (kind `Unsupported`) the snapshot builder was given a
    /// change it cannot store exactly (a generator bug).
    #[error("{path}: {source}")]
    Io {
        path: PathBuf,
        source: std::io::Error,
    },
}

fn io_at(path: &Path) -> impl FnOnce(std::io::Error) -> Error + '_ {
    move |source| Error::Io {
        path: path.to_path_buf(),
        source,
    }
}

/// Writes `metadata.mfs` of an empty file system (root times = [`START_TIME`]).
fn write_empty_metadata(dir: &Path) -> Result<PathBuf, Error> {
    let path = dir.join("metadata.mfs");
    let (bytes, _) = Image::new_empty(START_TIME).store(START_TIME);
    std::fs::write(&path, bytes).map_err(io_at(&path))?;
    Ok(path)
}

/// Generates the input described by `options`.
pub fn generate(options: &Options) -> Result<Summary, Error> {
    let out = options.out.as_path();
    std::fs::create_dir_all(out).map_err(io_at(out))?;
    let mut workload = Workload::new(options.seed);
    let ops = options.files.saturating_mul(options.ops_per_file);
    match options.mode {
        Mode::ChangelogOnly => {
            write_empty_metadata(out)?;
            let mut w = ChangelogWriter::new(out, 1, START_TIME);
            workload
                .populate(&mut w, options.files)
                .map_err(io_at(out))?;
            workload.churn(&mut w, ops).map_err(io_at(out))?;
            let final_version = w.clock.next_id;
            let changelogs = w.finish().map_err(io_at(out))?;
            Ok(Summary {
                snapshot_version: 1,
                final_version,
                changelogs,
            })
        }
        Mode::SnapshotOnly | Mode::Both => {
            let (version, ts) = make_snapshot(&mut workload, options)?;
            let mut summary = Summary {
                snapshot_version: version,
                final_version: version,
                changelogs: Vec::new(),
            };
            if options.mode == Mode::Both {
                let mut w = ChangelogWriter::new(out, version, ts + 1);
                workload.churn(&mut w, ops).map_err(io_at(out))?;
                summary.final_version = w.clock.next_id;
                summary.changelogs = w.finish().map_err(io_at(out))?;
            }
            Ok(summary)
        }
    }
}

/// Builds the tree straight into `out/metadata.mfs`. Returns its version and the last
/// change's timestamp.
fn make_snapshot(workload: &mut Workload, options: &Options) -> Result<(u64, u32), Error> {
    let mut builder = SnapshotBuilder::new(START_TIME);
    workload
        .populate(&mut builder, options.files)
        .map_err(io_at(&options.out))?;
    let (version, ts) = (builder.version(), builder.ts());
    let path = options.out.join("metadata.mfs");
    builder.write(&path).map_err(io_at(&path))?;
    Ok((version, ts))
}
