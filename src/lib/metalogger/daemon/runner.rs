//! The daemon's life after the lock is taken: the tokio runtime (created only now, after
//! the fork), the store, the master session, and the signals (spec metalogger-files.md
//! §4.4):
//!
//! - SIGTERM (and SIGINT with `-f`): `terminate signal received`, [`Control::Shutdown`],
//!   then wait until the session returns; `exited from main loop`, `exiting ...`.
//! - SIGHUP: `reloading config files`, read the file again (unreadable: keep the old
//!   values), send [`Control::Reload`]. Any new values are fine, including 0 → non-zero for
//!   META_DOWNLOAD_FREQ or MASTER_RECONNECTION_DELAY (mfsmetalogger segfaults there).
//! - SIGUSR1: `log extra info` and a one-line status.
//! - SIGALRM, SIGVTALRM, SIGPROF: logged and ignored; SIGQUIT, SIGTSTP, SIGTTIN, SIGTTOU,
//!   SIGUSR2, SIGPIPE (and SIGINT when daemonised): ignored.

use std::path::{Path, PathBuf};
use std::time::Duration;

use tokio::signal::unix::{signal, Signal, SignalKind};
use tokio::sync::mpsc;

use super::process::{self, MsgChannel};
use super::report;
use crate::metalogger::config::Config;
use crate::metalogger::log::Level;
use crate::metalogger::session::{self, Control};
use crate::metalogger::status::Status;
use crate::metalogger::store::{Store, StoreSettings};
use crate::{ml_console, ml_log};

/// How many control messages may wait for the session.
const CONTROL_QUEUE: usize = 16;

/// Everything the running daemon needs.
#[derive(Debug)]
pub struct Daemon {
    /// The config read at start-up; `data_path` is absolute.
    pub config: Config,
    /// The file SIGHUP reads again.
    pub config_path: PathBuf,
    /// `-f`.
    pub foreground: bool,
    /// `-u`: a reload logs the reloadable options that take their default.
    pub log_undefined: bool,
    /// The pipe to the shell that started us (closed once init is done).
    pub msg: MsgChannel,
}

/// Runs the daemon until it is told to stop; returns the exit code.
pub fn run(mut daemon: Daemon) -> i32 {
    ignore_signals(daemon.foreground);
    let runtime = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            ml_console!(Level::Err, "can't create the event loop: {e}");
            eprintln!("error occurred during initialization - exiting");
            daemon.msg.close_failed();
            return 1;
        }
    };
    let code = runtime.block_on(body(&mut daemon));
    ml_console!(Level::Notice, "exiting ...");
    drop(runtime);
    ml_console!(Level::Notice, "process exited successfully (status:{code})");
    code
}

fn ignore_signals(foreground: bool) {
    let mut ignored = vec![
        libc::SIGQUIT,
        libc::SIGPIPE,
        libc::SIGTSTP,
        libc::SIGTTIN,
        libc::SIGTTOU,
        libc::SIGUSR2,
    ];
    if !foreground {
        ignored.push(libc::SIGINT);
    }
    for sig in ignored {
        // SAFETY: SIG_IGN is a valid disposition for these signals.
        unsafe { libc::signal(sig, libc::SIG_IGN) };
    }
}

/// The signals the daemon acts on.
struct Signals {
    term: Signal,
    int: Option<Signal>,
    hup: Signal,
    usr1: Signal,
    alarm: Signal,
    vtalarm: Signal,
    prof: Signal,
}

impl Signals {
    fn new(foreground: bool) -> std::io::Result<Signals> {
        Ok(Signals {
            term: signal(SignalKind::terminate())?,
            int: if foreground {
                Some(signal(SignalKind::interrupt())?)
            } else {
                None
            },
            hup: signal(SignalKind::hangup())?,
            usr1: signal(SignalKind::user_defined1())?,
            alarm: signal(SignalKind::alarm())?,
            vtalarm: signal(SignalKind::from_raw(libc::SIGVTALRM))?,
            prof: signal(SignalKind::from_raw(libc::SIGPROF))?,
        })
    }
}

async fn maybe(sig: &mut Option<Signal>) {
    match sig {
        Some(s) => {
            s.recv().await;
        }
        None => std::future::pending().await,
    }
}

/// The steps that can still fail init (reported through the pipe), then the main loop.
async fn body(daemon: &mut Daemon) -> i32 {
    let config = daemon.config.clone();
    let mut signals = match Signals::new(daemon.foreground) {
        Ok(s) => s,
        Err(e) => return init_failed(daemon, format_args!("can't set signal handlers: {e}")),
    };
    // Signals that came since the lock was taken are handled now.
    process::unblock_control_signals();
    if let Err(()) = resolve_master(&config).await {
        ml_console!(
            Level::Warning,
            "can't resolve master host/port ({}:{})",
            config.master_host,
            config.master_port
        );
        return init_failed(
            daemon,
            format_args!("init: connection with master failed !!!"),
        );
    }
    let store = match Store::open(&config.data_path, store_settings(&config)) {
        Ok(s) => s,
        Err(e) => return init_failed(daemon, format_args!("can't open DATA_PATH: {e}")),
    };
    eprintln!("{} daemon initialized properly", config.syslog_ident);
    daemon.msg.close_ok();

    let (tx, rx) = mpsc::channel(CONTROL_QUEUE);
    let session = session::run(config.clone(), store, rx);
    tokio::pin!(session);
    let mut current = config;
    let mut stopping = false;
    let mut shutdown_pending = false;
    let mut retry = tokio::time::interval(Duration::from_millis(100));
    let result = loop {
        tokio::select! {
            r = &mut session => break r,
            _ = signals.term.recv() => {
                ml_log!(Level::Notice, "terminate signal received");
                shutdown_pending = !stopping;
                stopping = true;
            }
            _ = maybe(&mut signals.int) => {
                ml_log!(Level::Notice, "terminate signal received");
                shutdown_pending = !stopping;
                stopping = true;
            }
            _ = signals.hup.recv() => {
                ml_log!(Level::Notice, "reloading config files");
                current = reread(&daemon.config_path, &current, daemon.log_undefined);
                if tx.try_send(Control::Reload(Box::new(current.clone()))).is_err() {
                    ml_log!(Level::Warning, "reload not delivered: the session is busy");
                }
            }
            _ = signals.usr1.recv() => {
                ml_log!(Level::Notice, "log extra info");
                match Status::read_from(&current.data_path) {
                    Ok(s) => ml_log!(Level::Notice, "{}", report::status_line(&s)),
                    Err(e) => ml_log!(Level::Notice, "no status yet: {e}"),
                }
            }
            _ = signals.alarm.recv() => unexpected_alarm(),
            _ = signals.vtalarm.recv() => unexpected_alarm(),
            _ = signals.prof.recv() => unexpected_alarm(),
            _ = retry.tick(), if shutdown_pending => {}
        }
        if shutdown_pending && tx.try_send(Control::Shutdown).is_ok() {
            shutdown_pending = false;
        }
    };
    match result {
        Ok(()) if stopping => {
            ml_console!(Level::Notice, "exited from main loop");
            0
        }
        Ok(()) => {
            ml_console!(
                Level::Err,
                "the master session ended without a stop request"
            );
            1
        }
        Err(e) => {
            ml_console!(Level::Err, "{e}");
            1
        }
    }
}

fn unexpected_alarm() {
    ml_log!(
        Level::Warning,
        "unexpected alarm/prof signal received - ignoring"
    );
}

fn init_failed(daemon: &mut Daemon, what: std::fmt::Arguments<'_>) -> i32 {
    ml_console!(Level::Err, "{what}");
    eprintln!("error occurred during initialization - exiting");
    daemon.msg.close_failed();
    1
}

/// The retention options the store applies.
pub fn store_settings(config: &Config) -> StoreSettings {
    StoreSettings {
        back_logs: config.back_logs,
        back_meta_keep_previous: config.back_meta_keep_previous,
    }
}

/// mfsmetalogger exits at start-up when the master's name does not resolve (a refused
/// connection, later, is retried). The port is not looked up here: it may be a service
/// name, which the session resolves.
async fn resolve_master(config: &Config) -> Result<(), ()> {
    match tokio::net::lookup_host((config.master_host.as_str(), 0)).await {
        Ok(mut addrs) => addrs.next().map(|_| ()).ok_or(()),
        Err(_) => Err(()),
    }
}

/// The order in which mfsmetalogger reads the reloadable options on SIGHUP (the order of
/// its `-u` lines then; start-up reads them in another order).
const RELOAD_ORDER: [&str; 8] = [
    "MASTER_HOST",
    "MASTER_PORT",
    "BIND_HOST",
    "MASTER_TIMEOUT",
    "BACK_LOGS",
    "BACK_META_KEEP_PREVIOUS",
    "MASTER_RECONNECTION_DELAY",
    "META_DOWNLOAD_FREQ",
];

/// The config after SIGHUP: the file read again, or the old values if it cannot be read.
fn reread(path: &Path, current: &Config, log_undefined: bool) -> Config {
    match Config::load(path) {
        Ok(loaded) => {
            for w in &loaded.warnings {
                ml_log!(Level::Warning, "{w}");
            }
            if log_undefined {
                for name in RELOAD_ORDER {
                    if let Some(d) = loaded.defaulted.iter().find(|d| d.option.name == name) {
                        ml_log!(Level::Notice, "{d}");
                    }
                }
            }
            current.reloaded(&loaded.config)
        }
        Err(e) => {
            ml_log!(Level::Err, "{e}");
            current.clone()
        }
    }
}
