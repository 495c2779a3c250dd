//! `mfsmeta-gen`: writes benchmark inputs (a metadata snapshot and/or changelogs)
//! that the real `mfsmaster -a restore` accepts. See [`mfsmeta::gen`].

use std::path::PathBuf;
use std::process::ExitCode;

use clap::Parser;
use mfsmeta::gen::{generate, Mode, Options};

#[derive(Parser)]
#[command(
    name = "mfsmeta-gen",
    about = "Generate MooseFS 3.0.117 metadata and changelogs for benchmarks"
)]
struct Cli {
    /// About this many files (and symlinks and hard links) in the tree.
    #[arg(long)]
    files: u64,
    /// Changelog operations per file on top of the tree.
    #[arg(long, default_value_t = 1)]
    ops_per_file: u64,
    /// Output folder.
    #[arg(long)]
    out: PathBuf,
    /// Random seed (same seed, same files).
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// Write only metadata.mfs.
    #[arg(long, conflicts_with = "changelog_only")]
    snapshot_only: bool,
    /// Start from an empty file system: only changelogs (and its metadata.mfs).
    #[arg(long)]
    changelog_only: bool,
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    let mode = match (cli.snapshot_only, cli.changelog_only) {
        (true, _) => Mode::SnapshotOnly,
        (_, true) => Mode::ChangelogOnly,
        _ => Mode::Both,
    };
    let options = Options {
        files: cli.files,
        ops_per_file: cli.ops_per_file,
        out: cli.out,
        seed: cli.seed,
        mode,
    };
    match generate(&options) {
        Ok(s) => {
            eprintln!(
                "mfsmeta-gen: metadata.mfs version {}, {} changelog file(s), final version {}",
                s.snapshot_version,
                s.changelogs.len(),
                s.final_version
            );
            ExitCode::SUCCESS
        }
        Err(e) => {
            eprintln!("mfsmeta-gen: {e}");
            ExitCode::FAILURE
        }
    }
}
