//! `metalogger`: a drop-in for MooseFS 3.0.117's `mfsmetalogger`. The logic is in
//! `mfsmeta::metalogger::daemon`; this maps its result to the exit code.

use std::process::ExitCode;

fn main() -> ExitCode {
    let mut args = std::env::args_os();
    let program = args
        .next()
        .map(|p| p.to_string_lossy().into_owned())
        .unwrap_or_else(|| "metalogger".into());
    let code = mfsmeta::metalogger::daemon::main(&program, args);
    ExitCode::from(u8::try_from(code).unwrap_or(1))
}
