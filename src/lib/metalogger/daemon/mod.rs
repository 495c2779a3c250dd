//! The `metalogger` command, a drop-in for `mfsmetalogger` 3.0.117's `main`
//! (spec metalogger-files.md §4).
//!
//! Calling order (the same as mfsmetalogger's, so the same messages appear in the same
//! places): parse the command line → load the config → (start modes) daemonise → choose
//! the log sink → (start modes) open-files limit, memory-lock limit, nice level → uid/gid
//! change (every action, as root) → `chdir(DATA_PATH)` → umask → lock file → the action;
//! start modes then lock memory, allow core dumps, disable the OOM killer, and [`runner`]
//! runs the session.
//!
//! - [`cli`]: flags and actions.
//! - [`lock`]: the lock file `.mfsmetalogger.lock`.
//! - [`actions`]: what each action does with the lock and the running daemon.
//! - [`process`]: double fork, message pipe, uid/gid, limits.
//! - [`runner`]: the tokio runtime, signals and the session.
//! - [`report`]: what `status` prints.

pub mod actions;
pub mod cli;
pub mod lock;
pub mod process;
pub mod report;
pub mod runner;

use std::path::{Path, PathBuf};

use self::actions::LockOutcome;
use self::cli::{Args, Parsed};
use self::process::MsgChannel;
use crate::metalogger::config::{
    Config, ConfigFile, Loaded, ReadBy, DEFAULT_CONFIG_PATH, OLD_CONFIG_PATH,
};
use crate::metalogger::log::{self, Level, Sink};
use crate::metalogger::status::Status;
use crate::ml_console;

/// The version line of `-v`: the MooseFS version we are a drop-in for, and ours.
pub fn version_line() -> String {
    format!(
        "version: 3.0.117 ; build: mfsmeta {}",
        env!("CARGO_PKG_VERSION")
    )
}

/// The whole command; returns the exit code. `program` is used in the usage text.
pub fn main<I, S>(program: &str, args: I) -> i32
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    let args = match cli::parse(args) {
        Parsed::Version => {
            println!("{}", version_line());
            return 0;
        }
        Parsed::Usage(error) => {
            if let Some(e) = error {
                eprintln!("{program}: {e}");
            }
            print!("{}", cli::usage(program));
            return 1;
        }
        Parsed::Run(args) => args,
    };
    if args.deprecated_d {
        println!("option '-d' is deprecated - use '-f' instead");
    }
    let Some(loaded) = load_config(&args) else {
        return 1;
    };
    run_action(&args, loaded)
}

/// Finds and reads the config file; `None` = exit 1 (a `-c` file that cannot be read).
fn load_config(args: &Args) -> Option<(PathBuf, Loaded)> {
    let path = match &args.config {
        Some(p) => p.clone(),
        None => {
            let default = PathBuf::from(DEFAULT_CONFIG_PATH);
            let old = PathBuf::from(OLD_CONFIG_PATH);
            if !default.exists() && old.exists() {
                eprintln!(
                    "default sysconf path has changed - please move mfsmetalogger.cfg from /etc/ to /etc/mfs/"
                );
                old
            } else {
                default
            }
        }
    };
    // Reloads read the file after the chdir into DATA_PATH: remember where it is now
    // (messages name it as given, as mfsmetalogger's do).
    let reload_path = std::path::absolute(&path).unwrap_or_else(|_| path.clone());
    match Config::load(&path) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                eprintln!("{w}");
            }
            Some((reload_path, loaded))
        }
        Err(e) => {
            eprintln!("{e}");
            if args.config.is_some() {
                return None;
            }
            eprintln!(
                "can't load config file: {} - using defaults",
                path.display()
            );
            Some((reload_path, Config::from_file(&ConfigFile::default())))
        }
    }
}

fn run_action(args: &Args, (config_path, loaded): (PathBuf, Loaded)) -> i32 {
    let starts = args.action.starts_daemon();
    let mut msg = MsgChannel::none();
    if starts && !args.foreground {
        match process::daemonize() {
            Ok(m) => msg = m,
            Err(e) => {
                eprintln!("can't daemonize: {e}");
                return 1;
            }
        }
    }
    let config = loaded.config;
    log::init(
        if args.foreground {
            Sink::SyslogAndStderr
        } else {
            Sink::Syslog
        },
        &config.syslog_ident,
    );
    if !args.foreground {
        // On stderr they were printed already; syslog gets them too.
        for w in &loaded.warnings {
            crate::ml_log!(Level::Warning, "{w}");
        }
    }
    if args.log_undefined {
        // SAFETY: plain system call.
        let root = unsafe { libc::geteuid() } == 0;
        for d in &loaded.defaulted {
            let read = match d.option.read_by {
                ReadBy::EveryAction => true,
                ReadBy::EveryActionAsRoot => root,
                ReadBy::StartOnly => starts,
            };
            if read {
                ml_console!(Level::Notice, "{d}");
            }
        }
    }
    if starts {
        process::raise_open_files_limit();
        process::set_nice_level(config.nice_level);
    }
    if let Err(e) = process::change_user(&config.working_user, &config.working_group) {
        ml_console!(Level::Err, "{e}");
        msg.close_failed();
        return 1;
    }
    if starts {
        eprintln!("working directory: {}", config.data_path.display());
    }
    if std::env::set_current_dir(&config.data_path).is_err() {
        ml_console!(
            Level::Err,
            "can't set working directory to {}",
            config.data_path.display()
        );
        msg.close_failed();
        return 1;
    }
    let data_path = std::env::current_dir().unwrap_or_else(|_| config.data_path.clone());
    // SAFETY: plain system call.
    unsafe { libc::umask(config.file_umask as libc::mode_t) };
    if starts {
        process::block_control_signals();
    }
    let lock = match lock::LockFile::open(Path::new(".")) {
        Ok(l) => l,
        Err(e) => {
            ml_console!(
                Level::Err,
                "can't create lockfile in working directory: {e}"
            );
            msg.close_failed();
            return 1;
        }
    };
    let lock = match actions::take_lock(lock, args.action, args.lock_timeout) {
        LockOutcome::Run(lock) => lock,
        LockOutcome::Running(pid) => {
            eprintln!("mfsmetalogger pid: {pid}");
            print_status(&data_path, true);
            return 0;
        }
        LockOutcome::NotRunning => {
            eprintln!("mfsmetalogger is not running");
            print_status(&data_path, false);
            return 1;
        }
        LockOutcome::Exit(code) => {
            if code != 0 {
                msg.close_failed();
            }
            return code;
        }
    };
    if config.lock_memory {
        process::lock_memory();
    }
    if !args.no_core_raise {
        process::allow_core_dumps();
    }
    if config.disable_oom_killer {
        process::disable_oom_killer();
    }
    eprintln!("initializing {} modules ...", config.syslog_ident);
    let code = runner::run(runner::Daemon {
        config: Config {
            data_path,
            ..config
        },
        config_path,
        foreground: args.foreground,
        log_undefined: args.log_undefined,
        msg,
    });
    drop(lock);
    code
}

/// Prints the status file, if there is one (stdout); `running` = a daemon holds the lock.
fn print_status(data_path: &Path, running: bool) {
    let status = match Status::read_from(data_path) {
        Ok(s) => s,
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => return,
        Err(e) => {
            println!(
                "{}: {e}",
                data_path
                    .join(crate::metalogger::status::STATUS_FILE)
                    .display()
            );
            return;
        }
    };
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    if !running {
        println!("last status, written before the daemon stopped:");
    }
    for line in report::status_lines(&status, now) {
        println!("{line}");
    }
}
