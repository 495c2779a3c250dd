//! What each action does with the lock and the running daemon (spec metalogger-files.md
//! §4.3), with mfsmetalogger's messages (on stderr) and exit codes.

use std::io::Write;
use std::time::Duration;

use super::cli::Action;
use super::lock::{LockFile, Owner};
use crate::metalogger::log::Level;
use crate::{ml_console, ml_log};

/// How an action ended at the lock.
#[derive(Debug)]
pub enum LockOutcome {
    /// The lock is ours: a start mode goes on to run the daemon.
    Run(LockFile),
    /// `test`/`status`: the daemon runs with this PID.
    Running(libc::pid_t),
    /// `test`/`status`: no daemon runs.
    NotRunning,
    /// Done, exit with this code.
    Exit(i32),
}

/// The lock step of every action (mfsmetalogger's `wdlock`): `lock` is the open lock
/// file, `timeout` the `-t` seconds to wait for a stopping daemon.
///
/// Only the actions that start a daemon take the lock. The others look at it with
/// `F_GETLK` (mfsmetalogger takes it for a moment, so a `status` probe run at the moment
/// a daemon starts makes that start fail with "lockfile is already locked").
pub fn take_lock(lock: LockFile, action: Action, timeout: u32) -> LockOutcome {
    let owner = match probe(&lock, action) {
        Ok(owner) => owner,
        Err(e) => {
            ml_console!(Level::Err, "fcntl error: {e}");
            return LockOutcome::Exit(1);
        }
    };
    let mut err = std::io::stderr();
    let pid = match owner {
        Owner::Us => return lock_was_free(lock, action),
        Owner::Other(pid) => pid,
    };
    match action {
        Action::Test => return LockOutcome::Running(pid),
        Action::Start => {
            eprintln!("can't start: lockfile is already locked by another process");
            return LockOutcome::Exit(1);
        }
        Action::Reload => {
            return match send(pid, libc::SIGHUP) {
                Ok(()) => {
                    eprintln!("reload signal has been sent");
                    LockOutcome::Exit(0)
                }
                Err(e) => {
                    ml_console!(
                        Level::Warning,
                        "can't send reload signal to lock owner: {e}"
                    );
                    LockOutcome::Exit(1)
                }
            };
        }
        Action::Info => {
            return match send(pid, libc::SIGUSR1) {
                Ok(()) => {
                    eprintln!("info signal has been sent");
                    LockOutcome::Exit(0)
                }
                Err(e) => {
                    ml_console!(Level::Warning, "can't send info signal to lock owner: {e}");
                    LockOutcome::Exit(1)
                }
            };
        }
        Action::Stop | Action::Restart | Action::TryRestart | Action::Kill | Action::Restore => {}
    }
    let (signal, name) = if action == Action::Kill {
        (libc::SIGKILL, "SIGKILL")
    } else {
        (libc::SIGTERM, "SIGTERM")
    };
    eprintln!("sending {name} to lock owner (pid:{pid})");
    if let Err(e) = send(pid, signal) {
        ml_console!(Level::Warning, "can't kill lock owner: {e}");
        return LockOutcome::Exit(1);
    }
    let _ = write!(err, "waiting for termination ");
    let _ = err.flush();
    let mut owner_pid = pid;
    let mut waited: u32 = 0;
    loop {
        let now = match probe(&lock, action) {
            Ok(Owner::Us) => break,
            Ok(Owner::Other(p)) => p,
            Err(e) => {
                ml_console!(Level::Err, "fcntl error: {e}");
                return LockOutcome::Exit(1);
            }
        };
        waited = waited.saturating_add(1);
        if waited >= timeout {
            ml_log!(
                Level::Err,
                "about {waited} seconds passed and lockfile is still locked - giving up"
            );
            let _ = writeln!(err, ":giving up");
            return LockOutcome::Exit(1);
        }
        if waited % 10 == 0 {
            ml_log!(
                Level::Warning,
                "about {waited} seconds passed and lock still exists"
            );
            let _ = write!(err, ".");
            let _ = err.flush();
        }
        if now != owner_pid {
            let _ = write!(
                err,
                "\nnew lock owner detected\n:sending {name} to lock owner (pid:{now}):"
            );
            let _ = err.flush();
            if let Err(e) = send(now, signal) {
                ml_console!(Level::Warning, "can't kill lock owner: {e}");
                return LockOutcome::Exit(1);
            }
            owner_pid = now;
        }
        std::thread::sleep(Duration::from_secs(1));
    }
    let _ = writeln!(err, "terminated");
    if action.starts_daemon() {
        // mfsmetalogger does not write its PID after a restart that had to stop another
        // instance: the file keeps the old PID (a hint only).
        LockOutcome::Run(lock)
    } else {
        LockOutcome::Exit(0)
    }
}

/// Takes the lock if `action` starts a daemon, else only looks.
fn probe(lock: &LockFile, action: Action) -> std::io::Result<Owner> {
    if action.starts_daemon() {
        lock.try_lock()
    } else {
        Ok(lock.owner()?.map_or(Owner::Us, Owner::Other))
    }
}

fn lock_was_free(mut lock: LockFile, action: Action) -> LockOutcome {
    match action {
        Action::Start | Action::Restart => {
            if lock.write_pid(std::process::id()).is_err() {
                eprintln!("can't write pid to pidfile");
            }
            eprintln!("lockfile created and locked");
            LockOutcome::Run(lock)
        }
        Action::TryRestart => {
            eprintln!("can't find process to restart");
            LockOutcome::Exit(1)
        }
        Action::Stop | Action::Kill => {
            eprintln!("can't find process to terminate");
            LockOutcome::Exit(0)
        }
        Action::Reload => {
            eprintln!("can't find process to send reload signal");
            LockOutcome::Exit(1)
        }
        Action::Info => {
            eprintln!("can't find process to send info signal");
            LockOutcome::Exit(1)
        }
        Action::Test => LockOutcome::NotRunning,
        Action::Restore => LockOutcome::Exit(0),
    }
}

fn send(pid: libc::pid_t, signal: libc::c_int) -> std::io::Result<()> {
    // SAFETY: plain system call.
    if unsafe { libc::kill(pid, signal) } < 0 {
        Err(std::io::Error::last_os_error())
    } else {
        Ok(())
    }
}
