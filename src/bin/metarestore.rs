//! `metarestore`: rebuild MooseFS 3.0.117 metadata from a metadata file and changelogs,
//! as mfsmaster -a restore does. This file only reads the command line and maps the
//! outcome to an exit status; the work is in `mfsmeta::restore`.

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{ArgAction, ArgGroup, Parser, Subcommand};

use mfsmeta::restore::{
    self, time::parse_time, Error, Job, Limit, Outcome, Policy, Request, StderrReport, Verbosity,
};

/// Exit status: the restore ran to its end (or to --to-version/--to-time).
const EXIT_OK: u8 = 0;
/// Exit status: an error; nothing was written.
const EXIT_ERROR: u8 = 1;
/// Exit status: -b, the changelogs are damaged or incomplete; the last consistent
/// version was written.
const EXIT_PARTIAL: u8 = 2;

const PROGRAM: &str = "metarestore";

/// Rebuild a MooseFS 3.0.117 metadata file (metadata.mfs) from a metadata file and
/// changelogs, as mfsmaster -a restore does.
#[derive(Parser, Debug)]
#[command(
    name = PROGRAM,
    version,
    args_conflicts_with_subcommands = true,
    subcommand_negates_reqs = true,
    arg_required_else_help = true,
    group(ArgGroup::new("mode").args(["metadata", "auto"]).required(true)),
    after_help = "Exit status: 0 done, 1 error (nothing written), 2 best effort (-b): \
                  stopped early, the last consistent version was written."
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Metadata file to start from (metadata.mfs, metadata.mfs.back, metadata_ml.mfs.back, ...).
    #[arg(
        short = 'm',
        value_name = "META",
        requires = "output",
        conflicts_with = "auto"
    )]
    metadata: Option<PathBuf>,

    /// Changelog files to replay over META (changelog.N.mfs, changelog_ml.N.mfs, ...), merged by change id.
    #[arg(value_name = "CHANGELOG", requires = "metadata")]
    changelogs: Vec<PathBuf>,

    /// Choose the metadata file and the changelogs in DATA_PATH as mfsmaster -a does.
    #[arg(short = 'a')]
    auto: bool,

    /// Data folder for -a [default: /var/lib/mfs].
    #[arg(short = 'd', value_name = "DATA_PATH", conflicts_with = "metadata")]
    data_path: Option<PathBuf>,

    /// File to write the result to (written to a temporary file, then renamed); with -a the
    /// default is DATA_PATH/metadata.mfs, placed as mfsmaster -a restore does.
    #[arg(short = 'o', value_name = "OUT")]
    output: Option<PathBuf>,

    /// Best effort: on a hole, a bad line or a failing change, write the last consistent
    /// version and exit with status 2.
    #[arg(short = 'b')]
    best_effort: bool,

    /// Verbose: the files chosen and every applied change; twice: also every file looked at.
    #[arg(short = 'x', action = ArgAction::Count)]
    verbose: u8,

    /// Stop at metadata version N: apply the changes below N (change N is not applied).
    #[arg(long, value_name = "N")]
    to_version: Option<u64>,

    /// Stop at time T (unix seconds or RFC 3339): apply the changes made at T or before,
    /// stop before the first later one.
    #[arg(long, value_name = "T", value_parser = parse_time)]
    to_time: Option<u64>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print every record of a metadata file as text, one line per record.
    Dump {
        /// The metadata file.
        file: PathBuf,
    },
}

fn dump(file: &std::path::Path) -> Result<(), Error> {
    let stdout = std::io::stdout();
    let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
    restore::dump_file(file, &mut out)?;
    out.flush()
        .map_err(|e| Error::io("standard output", "write to", e))
}

fn request(cli: Cli) -> Request {
    let job = match cli.metadata {
        Some(metadata) => Job::Files {
            metadata,
            changelogs: cli.changelogs,
            // clap: -m requires -o.
            output: cli.output.unwrap_or_default(),
        },
        None => Job::DataDir {
            dir: cli
                .data_path
                .unwrap_or_else(|| PathBuf::from(restore::DEFAULT_DATA_PATH)),
            output: cli.output,
        },
    };
    Request {
        job,
        policy: if cli.best_effort {
            Policy::BestEffort
        } else {
            Policy::Strict
        },
        limit: Limit {
            to_version: cli.to_version,
            to_time: cli.to_time,
        },
        // The process exits right after the restore.
        free_at_end: false,
    }
}

fn main() -> ExitCode {
    restore::memory::tune_allocator();
    let cli = match Cli::try_parse() {
        Ok(cli) => cli,
        Err(e) => {
            let _ = e.print();
            return ExitCode::from(if e.use_stderr() { EXIT_ERROR } else { EXIT_OK });
        }
    };
    if let Some(Command::Dump { file }) = &cli.command {
        return match dump(file) {
            Err(e) if !e.is_broken_pipe() => {
                eprintln!("{PROGRAM}: {e}");
                ExitCode::from(EXIT_ERROR)
            }
            _ => ExitCode::from(EXIT_OK),
        };
    }
    let verbosity = Verbosity::from_count(cli.verbose);
    let mut report = StderrReport::new(PROGRAM, verbosity);
    let result = restore::restore(&request(cli), &mut report);
    drop(report);
    match result {
        Ok(Outcome::Complete { output, version }) => {
            if verbosity > Verbosity::Quiet {
                eprintln!("{PROGRAM}: wrote {} (version {version})", output.display());
            }
            ExitCode::from(EXIT_OK)
        }
        Ok(Outcome::Partial { output, stop }) => {
            eprintln!("{PROGRAM}: {stop}");
            eprintln!(
                "{PROGRAM}: best effort: stopped at metadata version {} (changes up to {} \
                 applied); wrote {}",
                stop.version,
                stop.version.wrapping_sub(1),
                output.display()
            );
            ExitCode::from(EXIT_PARTIAL)
        }
        Err(e) => {
            eprintln!("{PROGRAM}: {e}");
            if let Error::Replay(stop) = &e {
                eprintln!(
                    "{PROGRAM}: nothing written; the last consistent version is {} \
                     (-b writes it)",
                    stop.version
                );
            }
            ExitCode::from(EXIT_ERROR)
        }
    }
}
