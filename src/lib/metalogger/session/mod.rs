//! The connection to the master (tokio): register, changelog stream, keep-alives,
//! downloads, timers, reconnection (spec metalogger-protocol.md). [`run`] is the daemon's
//! body; it runs on the daemon's (current-thread) runtime.
//!
//! One task does everything, as mfsmetalogger's poll loop does: it waits for the first of
//! a control message, bytes from the master, the keep-alive deadlines and the epoch-aligned
//! timers (reconnect every `MASTER_RECONNECTION_DELAY` s, flush + status every second,
//! metadata download every `META_DOWNLOAD_FREQ` h at +630 s), handles it, and writes what
//! it queued. Outgoing frames are small (REGISTER, NOP, START/REQUEST/END), so a write is
//! awaited in place, for at most `MASTER_TIMEOUT` s.
//!
//! The store is flushed every whole second, and also after every
//! [`FLUSH_EARLY_BYTES`] of changes (a fast replay must not reach the store's memory bound
//! between two seconds).
//!
//! Who logs what (agreed with `store/mod.rs`): the session logs the protocol's messages
//! (spec §7, metalogger-files.md §6), including `some changes lost: [a-b], download
//! metadata again` for [`Appended::Gap`](crate::metalogger::store::Appended), `… downloaded
//! …`, `meta data version: <v>, meta data id: 0x<ID>`, the reason of an invalid image,
//! `error writing metafile` and `can't rename …`; the store logs what happens to its files
//! (a torn line cut, changelogs moved aside, a refused image removed).
//!
//! Where it differs from mfsmetalogger 3.0.117, on purpose:
//! - **Resume after a restart**: REGISTER is rver 2 with `first_wanted = last + 1`
//!   whenever the store has a last version, not only after a reconnect in one process, and
//!   like any rver 2 registration it starts no download (mfsmetalogger registers fresh and
//!   downloads everything at every start). A master that cannot continue the stream shows
//!   a gap at its first change, and the gap path downloads.
//! - **Reload keeps the connection** when `MASTER_HOST`, `MASTER_PORT`, `BIND_HOST` and
//!   `MASTER_TIMEOUT` did not change (mfsmetalogger always reconnects); timers change
//!   period in place, 0 → non-zero included.
//! - **A missing base is downloaded again**: after a fresh registration (start with an
//!   empty folder, or a gap) the changelogs have no base until the chain 1 → 11 → 12
//!   completes. If it fails (full disk, bad blocks, INFO error, a cut connection, even
//!   after a resume with rver 2), the session tries again by itself, 5 s later, then
//!   doubling up to 300 s; mfsmetalogger waits for the next periodic download (a day).
//! - **A mute master is logged**: `Master timed out: nothing received for <T> s` when the
//!   link is dropped after `MASTER_TIMEOUT` s of silence (mfsmetalogger says nothing).
//! - **No "old master" mode** (spec §5.7): mfsmetalogger latches it for the life of the
//!   process whenever a connection drops during a changelog download, which on any master
//!   since 1.6.18 (all that speak this protocol's 3.0 form) only means a network hiccup,
//!   and it then stops refreshing `changelog_ml_back.*` until a restart. Here a cut
//!   download is simply redone at the next trigger.
//! - **A bad block is checked before it is written**: mfsmetalogger writes, then compares
//!   the CRC. The retry count (5) and the messages are the same; after the last retry the
//!   temp file is removed (`Store::abort_download`) instead of left behind.
//! - **Foreign metadata** (the downloaded image has another metadata id than the files in
//!   DATA_PATH): the master is not followed. While the first metadata download of a
//!   connection runs and DATA_PATH already has a metadata id, changes are held in memory
//!   (up to [`HELD_MAX_BYTES`]); a foreign verdict drops them and the connection, and the
//!   next attempt waits at least [`FOREIGN_RETRY`] (and then downloads again to check), so
//!   an operator who moves the old files away recovers without a restart.

mod backend;
mod clock;
mod connect;
#[cfg(test)]
mod differential_tests;
mod download;
mod frames;
#[cfg(test)]
mod real_master_tests;
#[cfg(test)]
mod tests;

use std::io;
use std::net::Shutdown;
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::TcpStream;
use tokio::sync::mpsc::Receiver;
use tokio::time::{sleep_until, Instant};

use self::backend::Backend;
use self::clock::{Clock, Ticker};
use self::connect::{ConnectFailure, Endpoint, Resolved, CONNECT_TIMEOUT};
use self::download::Download;
use super::config::Config;
use super::log::Level;
use super::status::{DownloadRecord, Status};
use super::store::{Store, StoreSettings};
use crate::format::wire::{FileNum, Register, ToMaster, Version};
use crate::ml_log;

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
    /// The first connect attempt failed before a packet left (the message says why:
    /// `can't resolve master host/port (<host>:<port>)`, a bind error); mfsmetalogger logs
    /// `init: connection with master failed !!!` and exits with status 1 then.
    #[error("init: connection with master failed: {0}")]
    Init(String),
    /// A store error the session cannot go on after (none today: every store error is
    /// logged and retried).
    #[error("{0}")]
    Store(#[from] super::store::StoreError),
}

/// Changes held in memory while the metadata id of a master is checked.
pub const HELD_MAX_BYTES: usize = 256 << 20;

/// After a master turned out to serve another file system, the next connect attempt
/// waits at least this long (each attempt downloads its metadata to check it again).
pub const FOREIGN_RETRY: Duration = Duration::from_secs(60);

/// Changes appended since the last flush that make the session flush before the next
/// second: the store writes its buffered lines only when flushed, and refuses changes past
/// its memory bound ([`MAX_PENDING`](crate::metalogger::store::MAX_PENDING)), which a fast
/// replay can reach within one second.
pub const FLUSH_EARLY_BYTES: usize = 4 << 20;

/// Offset of the periodic metadata download after each multiple of its period.
const DOWNLOAD_TICK_OFFSET: u64 = 630;

/// The daemon's body: connect, register, log the stream, download on schedule, reconnect;
/// until `Control::Shutdown` (or the control channel closes). Returns
/// [`RunError::Init`] when the very first connect attempt fails before a packet is sent
/// (the name does not resolve, the socket cannot be bound), as mfsmetalogger exits then;
/// every later fault is logged and retried.
pub async fn run(config: Config, store: Store, control: Receiver<Control>) -> Result<(), RunError> {
    run_with(config, store, control, Tuning::default()).await
}

/// What tests change: the clock and the connect timeout.
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tuning {
    pub(crate) clock: Clock,
    pub(crate) connect_timeout: Duration,
}

impl Default for Tuning {
    fn default() -> Self {
        Tuning {
            clock: Clock::Wall,
            connect_timeout: CONNECT_TIMEOUT,
        }
    }
}

/// [`run`] over any [`Backend`].
pub(crate) async fn run_with<B: Backend>(
    config: Config,
    store: B,
    mut control: Receiver<Control>,
    tuning: Tuning,
) -> Result<(), RunError> {
    let mut session = Session::new(config, store, tuning);
    if let Err(ConnectFailure::Setup(msg)) = session.connect_now().await {
        return Err(RunError::Init(msg));
    }
    session.serve(&mut control).await;
    Ok(())
}

/// A handler's verdict: go on, or drop the connection (the reason is already logged).
type Flow = Result<(), Disconnect>;

/// Drop the connection; the reason was logged where it was found.
#[derive(Debug)]
struct Disconnect;

/// One registered connection.
struct Conn {
    stream: TcpStream,
    /// Bytes received and not yet decoded (at most one incomplete frame after a pass).
    inbuf: Vec<u8>,
    /// Frames queued for the next write.
    out: Vec<u8>,
    last_read: Instant,
    last_write: Instant,
    download: Option<Download>,
    /// Changes held until the master's metadata id is checked (see the module docs).
    held: Option<Held>,
    /// The metadata id of this master was checked (or could not be) on this connection.
    meta_checked: bool,
}

/// Changes and rotations received while the metadata id is checked, in order.
#[derive(Debug, Default)]
struct Held {
    items: Vec<HeldItem>,
    bytes: usize,
}

#[derive(Debug)]
enum HeldItem {
    Change(u64, Vec<u8>),
    Rotate,
}

/// What woke the loop.
enum Event {
    Control(Option<Control>),
    Read(io::Result<usize>),
    Second(u64),
    Reconnect(u64),
    DownloadTick(u64),
    Nop,
    Timeout,
}

/// The session's state between events.
struct Session<B> {
    cfg: Config,
    store: B,
    clock: Clock,
    connect_timeout: Duration,
    resolved: Resolved,
    conn: Option<Conn>,
    reconnect: Ticker,
    periodic_download: Ticker,
    second: Ticker,
    /// When a master last turned out to serve another file system.
    foreign_at: Option<Instant>,
    last_change_time: Option<u64>,
    last_received_at: Option<u64>,
    last_download: Option<DownloadRecord>,
    /// The last status write failed (logged once until it works again).
    status_failing: bool,
    /// Bytes of changes appended since the last store flush.
    unflushed: usize,
    /// The stream was registered fresh and no download chain has completed since: the
    /// folder has no base for its changelogs yet (see the module docs).
    base_needed: bool,
    /// No file of the running chain failed so far.
    chain_ok: bool,
    /// When a needed base download may be tried again.
    retry_at: Option<Instant>,
    /// Failed tries of the needed base download in a row.
    retry_failures: u32,
}

impl<B: Backend> Session<B> {
    fn new(cfg: Config, store: B, tuning: Tuning) -> Self {
        Session {
            reconnect: Ticker::new(cfg.master_reconnection_delay.into(), 0),
            periodic_download: Ticker::new(
                u64::from(cfg.meta_download_freq) * 3600,
                DOWNLOAD_TICK_OFFSET,
            ),
            second: Ticker::new(1, 0),
            cfg,
            store,
            clock: tuning.clock,
            connect_timeout: tuning.connect_timeout,
            resolved: Resolved::default(),
            conn: None,
            foreign_at: None,
            last_change_time: None,
            last_received_at: None,
            last_download: None,
            status_failing: false,
            unflushed: 0,
            base_needed: false,
            chain_ok: false,
            retry_at: None,
            retry_failures: 0,
        }
    }

    /// `MASTER_TIMEOUT`.
    fn timeout(&self) -> Duration {
        Duration::from_secs(u64::from(self.cfg.master_timeout.max(1)))
    }

    fn endpoint(&self) -> Endpoint {
        Endpoint {
            host: self.cfg.master_host.clone(),
            port: self.cfg.master_port.clone(),
            bind: self.cfg.bind_host.clone(),
        }
    }

    /// The loop, until shutdown.
    async fn serve(&mut self, control: &mut Receiver<Control>) {
        loop {
            let timeout = self.timeout();
            let second = self.second.next(&self.clock);
            let reconnect = self.reconnect.next(&self.clock);
            let download = self.periodic_download.next(&self.clock);
            let (nop_at, dead_at) = match &self.conn {
                Some(c) => (c.last_write + timeout / 3, c.last_read + timeout),
                None => (far_future(), far_future()),
            };
            let connected = self.conn.is_some();
            // Timers come before the socket: a master that replays a long backlog keeps
            // the socket always ready, and must not starve the flush or the NOPs.
            let event = tokio::select! {
                biased;
                c = control.recv() => Event::Control(c),
                t = at(second) => Event::Second(t),
                t = at(reconnect) => Event::Reconnect(t),
                t = at(download) => Event::DownloadTick(t),
                _ = sleep_until(nop_at), if connected => Event::Nop,
                r = read_some(&mut self.conn), if connected => Event::Read(r),
                _ = sleep_until(dead_at), if connected => Event::Timeout,
            };
            match event {
                Event::Control(None) | Event::Control(Some(Control::Shutdown)) => {
                    self.shutdown();
                    return;
                }
                Event::Control(Some(Control::Reload(cfg))) => self.reload(*cfg),
                Event::Read(r) => self.on_read(r),
                Event::Second(t) => {
                    self.second.fired(t);
                    self.every_second();
                }
                Event::Reconnect(t) => {
                    self.reconnect.fired(t);
                    if self.conn.is_none() {
                        // Failures are logged and retried on the next tick.
                        let _ = self.connect_now().await;
                    }
                }
                Event::DownloadTick(t) => {
                    self.periodic_download.fired(t);
                    self.start_download(FileNum::Metadata);
                }
                Event::Nop => {
                    if let Some(conn) = self.conn.as_mut() {
                        let _ = ToMaster::Nop.encode(&mut conn.out);
                    }
                }
                // mfsmetalogger drops the link silently here, which leaves an operator
                // guessing; one line says why.
                Event::Timeout => {
                    ml_log!(
                        Level::Notice,
                        "Master timed out: nothing received for {} s",
                        timeout.as_secs()
                    );
                    self.disconnect();
                }
            }
            self.write_out().await;
        }
    }

    /// One connect attempt; on success REGISTER (and START(1) when due) are queued and
    /// written.
    async fn connect_now(&mut self) -> Result<(), ConnectFailure> {
        if let Some(at) = self.foreign_at {
            if at.elapsed() < FOREIGN_RETRY {
                return Ok(());
            }
        }
        let stream =
            connect::connect(&self.endpoint(), &mut self.resolved, self.connect_timeout).await?;
        let now = Instant::now();
        let mut conn = Conn {
            stream,
            inbuf: Vec::new(),
            out: Vec::new(),
            last_read: now,
            last_write: now,
            download: None,
            held: None,
            meta_checked: false,
        };
        let last = self.store.last_version();
        let register = Register {
            version: Version::V3_0_117,
            timeout: self.cfg.master_timeout,
            first_wanted: (last > 0).then(|| last.saturating_add(1)),
        };
        // REGISTER always encodes.
        let _ = ToMaster::Register(register).encode(&mut conn.out);
        self.conn = Some(conn);
        // A fresh registration downloads everything; so does a retry after a foreign
        // verdict, to check the master's metadata id again.
        if last == 0 {
            self.base_needed = true;
        }
        if last == 0 || self.foreign_at.is_some() {
            self.start_download(FileNum::Metadata);
        }
        self.write_out().await;
        Ok(())
    }

    /// Writes the queued frames; a failure drops the connection.
    async fn write_out(&mut self) {
        let timeout = self.timeout();
        let Some(conn) = self.conn.as_mut() else {
            return;
        };
        if conn.out.is_empty() {
            return;
        }
        match tokio::time::timeout(timeout, conn.stream.write_all(&conn.out)).await {
            Ok(Ok(())) => {
                conn.out.clear();
                conn.last_write = Instant::now();
            }
            Ok(Err(e)) => {
                ml_log!(
                    Level::Notice,
                    "write to Master error: {}",
                    crate::metalogger::errno::errno_text(&e)
                );
                self.disconnect();
            }
            // The master stopped reading for a whole timeout: as dead as a silent one.
            Err(_) => self.disconnect(),
        }
    }

    fn on_read(&mut self, r: io::Result<usize>) {
        match r {
            Ok(0) => {
                ml_log!(Level::Notice, "connection was reset by Master");
                self.disconnect();
            }
            Ok(_) => {
                if let Some(conn) = self.conn.as_mut() {
                    conn.last_read = Instant::now();
                }
                if self.process_input().is_err() {
                    self.disconnect();
                }
            }
            Err(e) => {
                ml_log!(
                    Level::Notice,
                    "read from Master error: {}",
                    crate::metalogger::errno::errno_text(&e)
                );
                self.disconnect();
            }
        }
    }

    /// Closes the connection: aborts a running download, closes the changelog, sends FIN.
    fn disconnect(&mut self) {
        let Some(mut conn) = self.conn.take() else {
            return;
        };
        if let Some(d) = conn.download.take() {
            self.store.abort_download();
            self.record_download(d.file(), "connection lost".into());
            self.chain_failed();
        }
        if let Err(e) = self.store.close_log() {
            ml_log!(Level::Warning, "{e}");
        }
        // shutdown(SHUT_WR) then close, as `tcpclose` does: queued bytes still go out.
        if let Ok(std_stream) = conn.stream.into_std() {
            let _ = std_stream.shutdown(Shutdown::Write);
        }
    }

    fn shutdown(&mut self) {
        self.disconnect();
        self.flush_store();
        self.write_status();
    }

    fn reload(&mut self, cfg: Config) {
        let reconnect = cfg.master_host != self.cfg.master_host
            || cfg.master_port != self.cfg.master_port
            || cfg.bind_host != self.cfg.bind_host
            || cfg.master_timeout != self.cfg.master_timeout;
        self.store.reconfigure(StoreSettings {
            back_logs: cfg.back_logs,
            back_meta_keep_previous: cfg.back_meta_keep_previous,
        });
        self.reconnect
            .change(cfg.master_reconnection_delay.into(), 0);
        self.periodic_download.change(
            u64::from(cfg.meta_download_freq) * 3600,
            DOWNLOAD_TICK_OFFSET,
        );
        // As mfsmetalogger: resolve again at the next connect.
        self.resolved.forget();
        self.cfg = cfg;
        if reconnect {
            self.disconnect();
        }
    }

    fn every_second(&mut self) {
        self.flush_store();
        self.retry_base_download();
        self.write_status();
    }

    fn flush_store(&mut self) {
        self.unflushed = 0;
        if let Err(e) = self.store.flush() {
            ml_log!(Level::Warning, "{e}");
        }
    }

    fn write_status(&mut self) {
        let status = Status {
            pid: std::process::id(),
            master: format!("{}:{}", self.cfg.master_host, self.cfg.master_port),
            connected: self.conn.is_some(),
            last_version: self.store.last_version(),
            last_change_time: self.last_change_time,
            last_received_at: self.last_received_at,
            last_download: self.last_download.clone(),
            data_bytes: self.store.bytes_used(),
            updated_at: self.clock.unix_secs(),
        };
        match self.store.write_status(&status) {
            Ok(()) => self.status_failing = false,
            Err(e) => {
                if !self.status_failing {
                    ml_log!(Level::Warning, "can't write status file: {e}");
                }
                self.status_failing = true;
            }
        }
    }

    fn record_download(&mut self, file: FileNum, result: String) {
        self.last_download = Some(DownloadRecord {
            at: self.clock.unix_secs(),
            file: download::file_label(file).into(),
            result,
        });
    }
}

/// Reads what the master sent into the connection's buffer (cancel-safe).
async fn read_some(conn: &mut Option<Conn>) -> io::Result<usize> {
    match conn {
        Some(conn) => {
            conn.inbuf.reserve(64 * 1024);
            conn.stream.read_buf(&mut conn.inbuf).await
        }
        None => std::future::pending().await,
    }
}

/// Sleeps until a tick and returns its Unix second; never returns for `None`.
async fn at(tick: Option<(u64, Instant)>) -> u64 {
    match tick {
        Some((t, when)) => {
            sleep_until(when).await;
            t
        }
        None => std::future::pending().await,
    }
}

/// A deadline that is never reached in practice (about 30 years).
fn far_future() -> Instant {
    Instant::now() + Duration::from_secs(1 << 30)
}
