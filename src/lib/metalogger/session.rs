//! The connection to the master (tokio). CONTRACT: the session helper fills in [`run`].

use super::config::Config;
use super::store::Store;

/// What the daemon tells a running session.
#[derive(Debug)]
pub enum Control {
    /// SIGHUP: the config file was read again.
    Reload(Box<Config>),
    /// SIGTERM/SIGINT: flush, close, return.
    Shutdown,
}

/// Why the session stopped.
#[derive(Debug, thiserror::Error)]
pub enum RunError {
    #[error("init: connection with master failed: {0}")]
    Init(String),
    #[error("{0}")]
    Store(#[from] super::store::StoreError),
}

/// The daemon's body: connect, register, log the stream, download on schedule, reconnect;
/// until `Control::Shutdown`. Never returns on a master fault (those are retried).
pub async fn run(
    _config: Config,
    _store: Store,
    _control: tokio::sync::mpsc::Receiver<Control>,
) -> Result<(), RunError> {
    Ok(())
}
