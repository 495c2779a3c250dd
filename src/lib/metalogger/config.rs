//! `mfsmetalogger.cfg`: syntax (spec metalogger-files.md §5.1), the options 3.0.117 reads,
//! their defaults and limits (§5.2).

use std::path::PathBuf;

/// Every option the 3.0.117 metalogger reads, after defaults and limits are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `WORKING_USER` (name or `#uid`); only applied when started as root.
    pub working_user: String,
    /// `WORKING_GROUP` (name or `#gid`); empty = the user's primary group.
    pub working_group: String,
    /// `SYSLOG_IDENT`.
    pub syslog_ident: String,
    /// `LOCK_MEMORY`: mlockall when true.
    pub lock_memory: bool,
    /// `NICE_LEVEL`.
    pub nice_level: i32,
    /// `FILE_UMASK` (already `& 0o77`).
    pub file_umask: u32,
    /// `DATA_PATH`.
    pub data_path: PathBuf,
    /// `DISABLE_OOM_KILLER`.
    pub disable_oom_killer: bool,
    /// `MASTER_HOST`.
    pub master_host: String,
    /// `MASTER_PORT` (a number or a service name).
    pub master_port: String,
    /// `BIND_HOST` (`*` = do not bind).
    pub bind_host: String,
    /// `MASTER_TIMEOUT` in seconds, 10..=65535.
    pub master_timeout: u16,
    /// `MASTER_RECONNECTION_DELAY` in seconds (0 = never reconnect after a disconnect).
    pub master_reconnection_delay: u32,
    /// `BACK_LOGS`, 5..=10000.
    pub back_logs: u32,
    /// `BACK_META_KEEP_PREVIOUS`, at most 99.
    pub back_meta_keep_previous: u32,
    /// `META_DOWNLOAD_FREQ` in hours, at most `back_logs / 2`; 0 = no periodic download.
    pub meta_download_freq: u32,
}

impl Default for Config {
    /// MooseFS 3.0.117's defaults as the Debian packages build them.
    fn default() -> Self {
        Config {
            working_user: "mfs".into(),
            working_group: "mfs".into(),
            syslog_ident: "mfsmetalogger".into(),
            lock_memory: false,
            nice_level: -19,
            file_umask: 0o27,
            data_path: PathBuf::from("/var/lib/mfs"),
            disable_oom_killer: true,
            master_host: "mfsmaster".into(),
            master_port: "9419".into(),
            bind_host: "*".into(),
            master_timeout: 10,
            master_reconnection_delay: 5,
            back_logs: 50,
            back_meta_keep_previous: 3,
            meta_download_freq: 24,
        }
    }
}
