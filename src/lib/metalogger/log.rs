//! Where the daemon's messages go: syslog when daemonised, stderr in the foreground
//! (mfsmetalogger's `-f` sends them to both). The levels are syslog's.

/// A message's level, as syslog names them.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub enum Level {
    Err,
    Warning,
    Notice,
    Info,
}

/// Logs one message through the sink the daemon chose (stderr until it chooses).
pub fn log(level: Level, args: std::fmt::Arguments<'_>) {
    eprintln!("{}: {}", level.name(), args);
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
}

/// `ml_log!(Level::Notice, "connected to Master")`.
#[macro_export]
macro_rules! ml_log {
    ($level:expr, $($arg:tt)*) => {
        $crate::metalogger::log::log($level, format_args!($($arg)*))
    };
}
