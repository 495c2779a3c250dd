//! The metalogger daemon: a drop-in for MooseFS 3.0.117's `mfsmetalogger` (spec
//! `metalogger-protocol.md` and `metalogger-files.md`).
//!
//! - [`config`]: the `mfsmetalogger.cfg` syntax, options, defaults and limits.
//! - [`daemon`]: the `metalogger` command: CLI, lock file, daemonising, signals.
//! - [`errno`]: OS errors worded as MooseFS logs them.
//! - [`log`]: where messages go (syslog when daemonised, stderr in the foreground).
//! - [`store`]: the files in DATA_PATH (changelogs, downloads, backups), written as
//!   mfsmetalogger writes them, with the repairs a crash needs.
//! - [`status`]: the status file that `metalogger status` prints.
//! - [`session`]: the connection to the master (tokio): register, changelog stream,
//!   keep-alives, downloads, timers, reconnection. [`session::run`] is the daemon's body.
//!
//! The wire messages themselves are in [`crate::format::wire`].

pub mod config;
pub mod daemon;
pub mod errno;
pub mod log;
pub mod session;
pub mod status;
pub mod store;
