//! `metalogger`: a drop-in for MooseFS 3.0.117's `mfsmetalogger` (owned by the daemon helper).

use std::process::ExitCode;

fn main() -> ExitCode {
    eprintln!("metalogger: not implemented yet");
    ExitCode::from(1)
}
