//! `metarestore`: rebuild MooseFS 3.0.117 metadata (an `mfsmetarestore`-style CLI).

use std::io::Write;
use std::path::PathBuf;
use std::process::ExitCode;

use clap::{Parser, Subcommand};

use mfsmeta::restore::{self, Error};

/// Rebuild a MooseFS 3.0.117 metadata file (metadata.mfs) from a snapshot.
#[derive(Parser, Debug)]
#[command(
    version,
    args_conflicts_with_subcommands = true,
    arg_required_else_help = true
)]
struct Cli {
    #[command(subcommand)]
    command: Option<Command>,

    /// Metadata file to start from (metadata.mfs, metadata.mfs.back, metadata_ml.mfs.back, ...).
    #[arg(short = 'm', value_name = "META", requires = "output")]
    metadata: Option<PathBuf>,

    /// File to write the result to (written to a temporary file, then renamed).
    #[arg(short = 'o', value_name = "OUT", requires = "metadata")]
    output: Option<PathBuf>,
}

#[derive(Subcommand, Debug)]
enum Command {
    /// Print every record of a metadata file as text, one line per record.
    Dump {
        /// The metadata file.
        file: PathBuf,
    },
}

fn run(cli: Cli) -> Result<(), Error> {
    match (cli.command, cli.metadata, cli.output) {
        (Some(Command::Dump { file }), _, _) => {
            let stdout = std::io::stdout();
            let mut out = std::io::BufWriter::with_capacity(1 << 20, stdout.lock());
            restore::dump_file(&file, &mut out)?;
            out.flush()
                .map_err(|e| Error::io("standard output", "write to", e))
        }
        (None, Some(input), Some(output)) => restore::restore_file(&input, &output),
        // clap's `requires` and `arg_required_else_help` leave no other case.
        _ => Ok(()),
    }
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(cli) {
        Ok(()) => ExitCode::SUCCESS,
        Err(e) if e.is_broken_pipe() => ExitCode::SUCCESS,
        Err(e) => {
            eprintln!("metarestore: {e}");
            ExitCode::FAILURE
        }
    }
}
