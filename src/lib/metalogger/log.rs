//! Where the daemon's messages go: syslog when daemonised, stderr in the foreground
//! (mfsmetalogger's `-f` sends them to both). The levels are syslog's.
//!
//! mfsmetalogger writes two kinds of messages, and so do we:
//! - [`log`] (`ml_log!`): syslog only, as C `syslog()`. With `-f` syslog also copies it
//!   to stderr as `<ident>[<pid>]: <text>` (`LOG_PERROR`).
//! - [`console`] (`ml_console!`): syslog and stderr, as MooseFS's `mfs_syslog`. The
//!   stderr copy is the plain text; while daemonising, stderr is the pipe to the shell that
//!   ran `metalogger start`, so these are the lines an operator sees there. With `-f`
//!   the `LOG_PERROR` copy is the only one (mfsmetalogger prints such lines twice).
//!
//! Until [`init`] is called everything goes to stderr as plain text.

use std::ffi::CString;
use std::io::Write;
use std::sync::Mutex;

/// A message's level, as syslog names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Err,
    Warning,
    Notice,
    Info,
}

/// Where messages go.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Sink {
    /// stderr only (before [`init`], and in tests).
    Stderr,
    /// syslog, facility `daemon` (a daemonised metalogger, and the one-shot actions).
    Syslog,
    /// syslog, facility `user`, with a copy on stderr (`-f`).
    SyslogAndStderr,
}

struct State {
    sink: Sink,
    /// openlog keeps the pointer: the ident lives here as long as it is in use.
    ident: Option<CString>,
}

static STATE: Mutex<State> = Mutex::new(State {
    sink: Sink::Stderr,
    ident: None,
});

/// Chooses the sink; `ident` is the syslog tag (`SYSLOG_IDENT`).
pub fn init(sink: Sink, ident: &str) {
    let mut state = STATE.lock().unwrap_or_else(|e| e.into_inner());
    if sink != Sink::Stderr {
        let ident = CString::new(ident.replace('\0', "?")).unwrap_or_default();
        let (options, facility) = match sink {
            Sink::SyslogAndStderr => (
                libc::LOG_PID | libc::LOG_NDELAY | libc::LOG_PERROR,
                libc::LOG_USER,
            ),
            _ => (libc::LOG_PID | libc::LOG_NDELAY, libc::LOG_DAEMON),
        };
        // SAFETY: `ident` is a valid C string, and it is kept in STATE (never dropped while
        // syslog may use it: a later init replaces it only after openlog took the new one).
        unsafe { libc::openlog(ident.as_ptr(), options, facility) };
        state.ident = Some(ident);
    }
    state.sink = sink;
}

/// The sink chosen by [`init`].
pub fn sink() -> Sink {
    STATE.lock().unwrap_or_else(|e| e.into_inner()).sink
}

/// Logs one message through the sink the daemon chose (stderr until it chooses).
pub fn log(level: Level, args: std::fmt::Arguments<'_>) {
    let state = STATE.lock().unwrap_or_else(|e| e.into_inner());
    match state.sink {
        Sink::Stderr => stderr_line(args),
        Sink::Syslog | Sink::SyslogAndStderr => syslog(level, args),
    }
}

/// Logs one message to syslog and prints it on stderr (MooseFS's `mfs_syslog`).
pub fn console(level: Level, args: std::fmt::Arguments<'_>) {
    let state = STATE.lock().unwrap_or_else(|e| e.into_inner());
    match state.sink {
        Sink::Stderr => stderr_line(args),
        Sink::Syslog => {
            syslog(level, args);
            stderr_line(args);
        }
        Sink::SyslogAndStderr => syslog(level, args),
    }
}

fn stderr_line(args: std::fmt::Arguments<'_>) {
    let mut err = std::io::stderr().lock();
    // A closed stderr must not stop the daemon.
    let _ = writeln!(err, "{args}");
}

fn syslog(level: Level, args: std::fmt::Arguments<'_>) {
    let text = CString::new(args.to_string().replace('\0', "?")).unwrap_or_default();
    // SAFETY: both pointers are valid NUL-terminated strings; "%s" consumes exactly one.
    unsafe { libc::syslog(level.priority(), c"%s".as_ptr(), text.as_ptr()) };
}

impl Level {
    /// The lower-case name printed before a message on stderr.
    pub fn name(self) -> &'static str {
        match self {
            Level::Err => "error",
            Level::Warning => "warning",
            Level::Notice => "notice",
            Level::Info => "info",
        }
    }

    /// The syslog priority.
    pub fn priority(self) -> libc::c_int {
        match self {
            Level::Err => libc::LOG_ERR,
            Level::Warning => libc::LOG_WARNING,
            Level::Notice => libc::LOG_NOTICE,
            Level::Info => libc::LOG_INFO,
        }
    }
}

/// `ml_log!(Level::Notice, "connected to Master")`.
#[macro_export]
macro_rules! ml_log {
    ($level:expr, $($arg:tt)*) => {
        $crate::metalogger::log::log($level, format_args!($($arg)*))
    };
}

/// `ml_console!(Level::Notice, "open files limit has been set to: {}", n)`: syslog and
/// stderr.
#[macro_export]
macro_rules! ml_console {
    ($level:expr, $($arg:tt)*) => {
        $crate::metalogger::log::console($level, format_args!($($arg)*))
    };
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn levels_are_syslog_priorities_in_order() {
        let all = [Level::Err, Level::Warning, Level::Notice, Level::Info];
        let prios: Vec<_> = all.iter().map(|l| l.priority()).collect();
        assert_eq!(
            prios,
            vec![
                libc::LOG_ERR,
                libc::LOG_WARNING,
                libc::LOG_NOTICE,
                libc::LOG_INFO
            ]
        );
        assert!(
            prios.windows(2).all(|w| w[0] < w[1]),
            "more severe = lower number"
        );
        assert_eq!(Level::Warning.name(), "warning");
    }

    #[test]
    fn messages_go_to_stderr_until_a_sink_is_chosen() {
        // Tests never call init: the process-wide sink stays stderr.
        assert_eq!(sink(), Sink::Stderr);
        crate::ml_log!(Level::Notice, "test message {}", 1);
        crate::ml_console!(Level::Notice, "test message {}", 2);
    }
}
