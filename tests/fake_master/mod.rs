//! A small scriptable MooseFS 3.0.117 master, metalogger side only, for fault tests of our
//! `metalogger` (spec `metalogger-protocol.md`).
//!
//! It listens on 127.0.0.1 (a port the kernel picks), takes any number of connections one
//! after the other or at once, and speaks the protocol with our own codec
//! (`mfsmeta::format::wire`, itself tested against captured bytes):
//!
//! * REGISTER rver 1 → the metalogger gets every change made from now on; rver 2 → the
//!   changes from `first_wanted` on, if the master still has them (else only new ones, as a
//!   real master does after a desync, §3.1). No reply to REGISTER.
//! * DOWNLOAD_START(1) opens the three files at once, as the real master does: the metadata
//!   image, `changelog.0.mfs` (every change made so far, formatted `"<v>: <text>\n"`) and
//!   `changelog.1.mfs` (empty here: size 0). START(11)/(12) hand over the last two.
//! * REQUEST → DATA with the zlib CRC; END closes the file.
//! * NOP every `timeout/3` s when idle; a metalogger silent for `timeout` s is dropped.
//!
//! What the master "has" comes from a [`Fixture`]: a real metadata image (version V) and the
//! real changes from a captured master changelog. [`FakeMaster::publish`] makes the next
//! changes, which go to every registered connection. Faults ([`Faults`]) are switched at
//! any time; everything the metalogger sends is recorded as [`Event`]s.
//!
//! Dropping the master closes every connection and joins its threads.

#![allow(dead_code)]

pub mod ours;
pub mod restore_check;

use std::io::{ErrorKind, Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::path::Path;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex, MutexGuard};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

use mfsmeta::format::wire::{
    decode_frame, DownloadData, DownloadInfo, FileNum, FrameStatus, FromMaster, ToMaster,
    DOWNLOAD_INFO_ERROR,
};

/// How often a connection thread looks at its socket and at the shared state.
const POLL: Duration = Duration::from_millis(20);

/// What the master serves: a metadata image and the changes made after it.
#[derive(Clone, Debug)]
pub struct Fixture {
    /// `metadata.mfs.back` as served for file 1 (`None`: INFO error, as for a missing file).
    pub metadata: Option<Vec<u8>>,
    /// Every change the master will ever make, in version order, without gaps.
    pub changes: Vec<(u64, Vec<u8>)>,
}

impl Fixture {
    /// A captured real case of `testdata/real/<case>/`: the metalogger's downloaded
    /// `metadata_ml.mfs.back` (the master's `metadata.mfs.back` at that time) and the
    /// master's `changelog.0.mfs`, which holds every change from 1 on.
    pub fn real(case: &str) -> Fixture {
        let dir = testdata_case(case);
        let metadata = std::fs::read(dir.join("metalogger/metadata_ml.mfs.back"))
            .unwrap_or_else(|e| panic!("fixture {case}: metadata_ml.mfs.back: {e}"));
        let log = std::fs::read(dir.join("master/changelog.0.mfs"))
            .unwrap_or_else(|e| panic!("fixture {case}: changelog.0.mfs: {e}"));
        Fixture {
            metadata: Some(metadata),
            changes: parse_changelog(&log),
        }
    }

    /// The metadata version in the image's header (`MFSM 2.0` + u64).
    pub fn metadata_version(&self) -> u64 {
        let m = self
            .metadata
            .as_deref()
            .expect("fixture has a metadata image");
        u64::from_be_bytes(m[8..16].try_into().expect("8 bytes"))
    }

    /// The metadata id in the image's header.
    pub fn metadata_id(&self) -> u64 {
        let m = self
            .metadata
            .as_deref()
            .expect("fixture has a metadata image");
        u64::from_be_bytes(m[16..24].try_into().expect("8 bytes"))
    }

    /// The last change's version.
    pub fn last_version(&self) -> u64 {
        self.changes.last().map_or(0, |c| c.0)
    }
}

/// `testdata/real/<case>/`.
pub fn testdata_case(case: &str) -> std::path::PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("testdata/real")
        .join(case)
}

/// `"<v>: <text>\n"` lines → `(v, text)`; panics on a malformed line (fixtures are real files).
pub fn parse_changelog(bytes: &[u8]) -> Vec<(u64, Vec<u8>)> {
    bytes
        .split(|&b| b == b'\n')
        .filter(|l| !l.is_empty())
        .map(|line| {
            let colon = line
                .iter()
                .position(|&b| b == b':')
                .expect("a `:` in the line");
            let v = std::str::from_utf8(&line[..colon])
                .ok()
                .and_then(|s| s.parse().ok())
                .expect("a version before `:`");
            (v, line[colon + 2..].to_vec())
        })
        .collect()
}

/// `(v, text)` → `"<v>: <text>\n"` lines.
pub fn format_changelog(changes: &[(u64, Vec<u8>)]) -> Vec<u8> {
    let mut out = Vec::new();
    for (v, text) in changes {
        out.extend_from_slice(format!("{v}: ").as_bytes());
        out.extend_from_slice(text);
        out.push(b'\n');
    }
    out
}

/// Faults the master shows from now on. All counters count down as they fire.
#[derive(Clone, Debug, Default)]
pub struct Faults {
    /// The next N DATA frames carry a wrong CRC (`u32::MAX`: all of them, until cleared).
    pub bad_crc_blocks: u32,
    /// The next DATA frame is cut after this many bytes (header included) and the connection
    /// is closed (one shot).
    pub cut_next_data_after: Option<usize>,
    /// The next N changes are not sent to the metalogger (it sees a gap in the versions).
    pub skip_changes: u32,
    /// The master reads nothing and sends nothing (connections stay open), as a hung master.
    pub mute: bool,
}

/// What happened on the master's side, in order.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum Event {
    /// A connection was accepted (connections are numbered from 1).
    Connected {
        conn: u32,
    },
    Register {
        conn: u32,
        rver: u8,
        version: u32,
        timeout: u16,
        first_wanted: Option<u64>,
    },
    DownloadStart {
        conn: u32,
        filenum: u8,
    },
    DownloadRequest {
        conn: u32,
        offset: u64,
        leng: u32,
    },
    DownloadEnd {
        conn: u32,
    },
    Nop {
        conn: u32,
    },
    /// A DATA frame went out (`crc_ok` false when the fault falsified it).
    SentData {
        conn: u32,
        offset: u64,
        len: u32,
        crc_ok: bool,
    },
    /// A change went out as LOG_DATA.
    SentChange {
        conn: u32,
        version: u64,
    },
    /// A LOG_ROTATE went out.
    SentRotate {
        conn: u32,
    },
    /// The metalogger closed the connection (or it broke).
    ClosedByPeer {
        conn: u32,
    },
    /// The master closed it: `why` says which rule.
    ClosedByMaster {
        conn: u32,
        why: String,
    },
    /// A frame the master could not decode.
    BadFrame {
        conn: u32,
        detail: String,
    },
}

/// State shared by the acceptor, the connection threads and the test.
#[derive(Debug)]
pub struct State {
    pub fixture: Fixture,
    /// How many of `fixture.changes` have been made.
    pub published: usize,
    pub faults: Faults,
    pub events: Vec<Event>,
    /// LOG_ROTATEs made: each is sent before the change with this index in
    /// `fixture.changes` (the hourly rotation happens between two changes).
    pub rotations: Vec<usize>,
    /// Connections with a lower generation than this close themselves ([`FakeMaster::kick`]).
    kick_generation: u64,
    next_conn: u32,
}

struct Shared {
    state: Mutex<State>,
    stop: AtomicBool,
}

/// See the module documentation.
pub struct FakeMaster {
    addr: SocketAddr,
    shared: Arc<Shared>,
    acceptor: Option<JoinHandle<()>>,
}

impl FakeMaster {
    /// Starts listening; the first `published` changes count as already made.
    pub fn start(fixture: Fixture, published: usize) -> FakeMaster {
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind 127.0.0.1:0");
        listener
            .set_nonblocking(true)
            .expect("non-blocking listener");
        let addr = listener.local_addr().expect("local address");
        let published = published.min(fixture.changes.len());
        let shared = Arc::new(Shared {
            state: Mutex::new(State {
                fixture,
                published,
                faults: Faults::default(),
                events: Vec::new(),
                rotations: Vec::new(),
                kick_generation: 0,
                next_conn: 1,
            }),
            stop: AtomicBool::new(false),
        });
        let sh = shared.clone();
        let acceptor = std::thread::spawn(move || accept_loop(listener, sh));
        FakeMaster {
            addr,
            shared,
            acceptor: Some(acceptor),
        }
    }

    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Locks the shared state (for reading events, changing faults, ...).
    pub fn state(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Changes the faults.
    pub fn faults(&self, f: impl FnOnce(&mut Faults)) {
        f(&mut self.state().faults);
    }

    /// Makes the next `n` changes (fewer if the fixture runs out); returns the last version
    /// made.
    pub fn publish(&self, n: usize) -> u64 {
        let mut st = self.state();
        st.published = (st.published + n).min(st.fixture.changes.len());
        st.last_published()
    }

    /// Makes every remaining change; returns the last version.
    pub fn publish_all(&self) -> u64 {
        self.publish(usize::MAX / 2)
    }

    /// The version of the last change made so far (0 if none).
    pub fn last_published(&self) -> u64 {
        self.state().last_published()
    }

    /// Rotates the changelog now (as at a full hour): every registered metalogger gets a
    /// LOG_ROTATE before the next change.
    pub fn rotate(&self) {
        let mut st = self.state();
        let at = st.published;
        st.rotations.push(at);
    }

    /// Closes every open connection (as a master restart does); later ones are served.
    pub fn kick(&self) {
        self.state().kick_generation += 1;
    }

    /// A copy of the events so far.
    pub fn events(&self) -> Vec<Event> {
        self.state().events.clone()
    }

    /// How many events there are now (to look only at later ones).
    pub fn event_count(&self) -> usize {
        self.state().events.len()
    }

    /// Waits until `pred` holds on the events from index `from` on; panics with `what` and
    /// the events after `timeout`.
    pub fn wait_events(
        &self,
        what: &str,
        from: usize,
        timeout: Duration,
        pred: impl Fn(&[Event]) -> bool,
    ) {
        let deadline = Instant::now() + timeout;
        loop {
            {
                let st = self.state();
                if pred(st.events.get(from..).unwrap_or_default()) {
                    return;
                }
                if Instant::now() > deadline {
                    panic!(
                        "fake master: no {what} within {timeout:?}; events since #{from}:\n{:#?}",
                        st.events.get(from..).unwrap_or_default()
                    );
                }
            }
            std::thread::sleep(POLL);
        }
    }

    /// The REGISTER events from index `from` on.
    pub fn registers(&self, from: usize) -> Vec<Event> {
        self.events()
            .into_iter()
            .skip(from)
            .filter(|e| matches!(e, Event::Register { .. }))
            .collect()
    }
}

impl State {
    pub fn last_published(&self) -> u64 {
        self.published
            .checked_sub(1)
            .and_then(|i| self.fixture.changes.get(i))
            .map_or(0, |c| c.0)
    }

    fn record(&mut self, e: Event) {
        self.events.push(e);
    }
}

impl Drop for FakeMaster {
    fn drop(&mut self) {
        self.shared.stop.store(true, Ordering::SeqCst);
        if let Some(a) = self.acceptor.take() {
            let _ = a.join();
        }
    }
}

fn accept_loop(listener: TcpListener, shared: Arc<Shared>) {
    let mut conns: Vec<JoinHandle<()>> = Vec::new();
    while !shared.stop.load(Ordering::SeqCst) {
        match listener.accept() {
            Ok((stream, _)) => {
                let (id, generation) = {
                    let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
                    let id = st.next_conn;
                    st.next_conn += 1;
                    st.record(Event::Connected { conn: id });
                    (id, st.kick_generation)
                };
                let sh = shared.clone();
                conns.push(std::thread::spawn(move || {
                    Conn::new(id, generation, stream, sh).run();
                }));
            }
            Err(e) if e.kind() == ErrorKind::WouldBlock => std::thread::sleep(POLL),
            Err(_) => std::thread::sleep(POLL),
        }
    }
    for c in conns {
        let _ = c.join();
    }
}

/// The file a download is reading, as opened by START(1).
#[derive(Default)]
struct Opened {
    changelog0: Vec<u8>,
    changelog1: Vec<u8>,
    current: Option<Vec<u8>>,
}

/// One metalogger connection.
struct Conn {
    id: u32,
    generation: u64,
    stream: TcpStream,
    shared: Arc<Shared>,
    inbuf: Vec<u8>,
    registered: bool,
    timeout: Duration,
    /// Index in `fixture.changes` of the next change to send.
    cursor: usize,
    /// How many of `State::rotations` this connection has passed.
    rotations_passed: usize,
    opened: Option<Opened>,
    last_read: Instant,
    last_write: Instant,
}

enum Next {
    Go,
    Close,
}

impl Conn {
    fn new(id: u32, generation: u64, stream: TcpStream, shared: Arc<Shared>) -> Conn {
        let _ = stream.set_nodelay(true);
        let _ = stream.set_nonblocking(false);
        let _ = stream.set_read_timeout(Some(POLL));
        let _ = stream.set_write_timeout(Some(Duration::from_secs(5)));
        Conn {
            id,
            generation,
            stream,
            shared,
            inbuf: Vec::new(),
            registered: false,
            timeout: Duration::from_secs(10),
            cursor: 0,
            rotations_passed: 0,
            opened: None,
            last_read: Instant::now(),
            last_write: Instant::now(),
        }
    }

    fn lock(&self) -> MutexGuard<'_, State> {
        self.shared.state.lock().unwrap_or_else(|e| e.into_inner())
    }

    fn record(&self, e: Event) {
        self.lock().record(e);
    }

    fn close(&mut self, why: &str) {
        self.record(Event::ClosedByMaster {
            conn: self.id,
            why: why.to_string(),
        });
        let _ = self.stream.shutdown(Shutdown::Both);
    }

    fn run(mut self) {
        let mut buf = vec![0u8; 65536];
        loop {
            if self.shared.stop.load(Ordering::SeqCst) {
                return self.close("test over");
            }
            let (kicked, mute) = {
                let st = self.lock();
                (st.kick_generation > self.generation, st.faults.mute)
            };
            if kicked {
                return self.close("kicked (master restart)");
            }
            if mute {
                // A hung master: reads nothing, sends nothing, times nobody out.
                std::thread::sleep(POLL);
                self.last_read = Instant::now();
                self.last_write = Instant::now();
                if peer_gone(&self.stream) {
                    self.record(Event::ClosedByPeer { conn: self.id });
                    return;
                }
                continue;
            }
            match self.stream.read(&mut buf) {
                Ok(0) => {
                    self.record(Event::ClosedByPeer { conn: self.id });
                    return;
                }
                Ok(n) => {
                    self.inbuf.extend_from_slice(&buf[..n]);
                    self.last_read = Instant::now();
                }
                Err(e) if matches!(e.kind(), ErrorKind::WouldBlock | ErrorKind::TimedOut) => {}
                Err(_) => {
                    self.record(Event::ClosedByPeer { conn: self.id });
                    return;
                }
            }
            if let Next::Close = self.handle_frames() {
                return;
            }
            if let Next::Close = self.send_changes() {
                return;
            }
            if self.registered && self.last_write.elapsed() >= self.timeout / 3 {
                let mut out = Vec::new();
                FromMaster::Nop.encode(&mut out).expect("NOP encodes");
                if self.send(&out).is_err() {
                    return;
                }
            }
            if self.last_read.elapsed() > self.timeout {
                return self.close("metalogger silent for the timeout");
            }
        }
    }

    fn send(&mut self, bytes: &[u8]) -> Result<(), ()> {
        match self.stream.write_all(bytes) {
            Ok(()) => {
                self.last_write = Instant::now();
                Ok(())
            }
            Err(_) => {
                self.record(Event::ClosedByPeer { conn: self.id });
                Err(())
            }
        }
    }

    fn handle_frames(&mut self) -> Next {
        loop {
            let (consumed, msg) = match decode_frame(&self.inbuf) {
                Ok(FrameStatus::NeedMore(_)) => return Next::Go,
                Ok(FrameStatus::Complete(frame)) => match ToMaster::decode(&frame) {
                    Ok(m) => (frame.wire_len(), OwnedToMaster::from(m)),
                    Err(e) => {
                        self.record(Event::BadFrame {
                            conn: self.id,
                            detail: e.to_string(),
                        });
                        self.close("bad frame");
                        return Next::Close;
                    }
                },
                Err(e) => {
                    self.record(Event::BadFrame {
                        conn: self.id,
                        detail: e.to_string(),
                    });
                    self.close("bad frame");
                    return Next::Close;
                }
            };
            self.inbuf.drain(..consumed);
            if let Next::Close = self.handle(msg) {
                return Next::Close;
            }
        }
    }

    fn handle(&mut self, msg: OwnedToMaster) -> Next {
        let id = self.id;
        match msg {
            OwnedToMaster::Nop => self.record(Event::Nop { conn: id }),
            OwnedToMaster::Register {
                rver,
                version,
                timeout,
                first_wanted,
            } => {
                self.record(Event::Register {
                    conn: id,
                    rver,
                    version,
                    timeout,
                    first_wanted,
                });
                if self.registered {
                    self.close("second REGISTER");
                    return Next::Close;
                }
                self.registered = true;
                self.timeout = Duration::from_secs(u64::from(timeout.max(3)));
                let shared = self.shared.clone();
                let st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
                let published = st.published;
                self.cursor = match first_wanted {
                    None => published,
                    Some(first) => {
                        // The master keeps every change it made (a long
                        // CHANGELOG_PRESERVE_SECONDS); it replays from `first` if it has it.
                        let have = &st.fixture.changes[..published];
                        match have.iter().position(|c| c.0 == first) {
                            Some(i) => i,
                            None => published,
                        }
                    }
                };
                // Rotations made before now are not sent again; a replay does not repeat them.
                self.rotations_passed = st.rotations.len();
            }
            OwnedToMaster::DownloadStart(filenum) => {
                self.record(Event::DownloadStart { conn: id, filenum });
                let info = match FileNum::from_u8(filenum) {
                    Some(FileNum::Metadata) => {
                        let st = self.lock();
                        let opened = Opened {
                            changelog0: format_changelog(&st.fixture.changes[..st.published]),
                            changelog1: Vec::new(),
                            current: st.fixture.metadata.clone(),
                        };
                        drop(st);
                        let info = match &opened.current {
                            Some(m) => DownloadInfo::Size(m.len() as u64),
                            None => DownloadInfo::Error(DOWNLOAD_INFO_ERROR),
                        };
                        self.opened = Some(opened);
                        info
                    }
                    Some(FileNum::Changelog0) | Some(FileNum::Changelog1) => {
                        let o = self.opened.get_or_insert_with(Opened::default);
                        let data = if filenum == 11 {
                            o.changelog0.clone()
                        } else {
                            o.changelog1.clone()
                        };
                        let size = data.len() as u64;
                        o.current = Some(data);
                        DownloadInfo::Size(size)
                    }
                    _ => {
                        self.close("DOWNLOAD_START of an unknown file");
                        return Next::Close;
                    }
                };
                let mut out = Vec::new();
                FromMaster::DownloadInfo(info)
                    .encode(&mut out)
                    .expect("INFO encodes");
                if self.send(&out).is_err() {
                    return Next::Close;
                }
            }
            OwnedToMaster::DownloadRequest { offset, leng } => {
                self.record(Event::DownloadRequest {
                    conn: id,
                    offset,
                    leng,
                });
                let data = self
                    .opened
                    .as_ref()
                    .and_then(|o| o.current.as_ref())
                    .and_then(|d| {
                        let start = usize::try_from(offset).ok()?;
                        d.get(start..start.checked_add(leng as usize)?)
                    })
                    .map(<[u8]>::to_vec);
                let Some(data) = data else {
                    self.close("REQUEST outside the open file (error reading metafile)");
                    return Next::Close;
                };
                let (bad_crc, cut) = {
                    let mut st = self.lock();
                    let bad = st.faults.bad_crc_blocks > 0;
                    if bad && st.faults.bad_crc_blocks != u32::MAX {
                        st.faults.bad_crc_blocks -= 1;
                    }
                    (bad, st.faults.cut_next_data_after.take())
                };
                let mut block = DownloadData::new(offset, &data);
                if bad_crc {
                    block.crc ^= 0xDEAD_BEEF;
                }
                let mut out = Vec::new();
                FromMaster::DownloadData(block)
                    .encode(&mut out)
                    .expect("DATA encodes");
                self.record(Event::SentData {
                    conn: id,
                    offset,
                    len: leng,
                    crc_ok: !bad_crc,
                });
                if let Some(n) = cut {
                    let _ = self.send(&out[..n.min(out.len())]);
                    self.close("cut in the middle of a DATA frame");
                    return Next::Close;
                }
                if self.send(&out).is_err() {
                    return Next::Close;
                }
            }
            OwnedToMaster::DownloadEnd => {
                self.record(Event::DownloadEnd { conn: id });
                if let Some(o) = self.opened.as_mut() {
                    o.current = None;
                }
            }
            OwnedToMaster::Other(t) => {
                self.record(Event::BadFrame {
                    conn: id,
                    detail: format!("unexpected message type {t}"),
                });
                self.close("unexpected message");
                return Next::Close;
            }
        }
        Next::Go
    }

    fn send_changes(&mut self) -> Next {
        if !self.registered {
            return Next::Go;
        }
        loop {
            let shared = self.shared.clone();
            let change = {
                let mut st = shared.state.lock().unwrap_or_else(|e| e.into_inner());
                if st.faults.mute {
                    // Set since this pass began: a hung master sends nothing more.
                    return Next::Go;
                }
                if st.rotations.len() > self.rotations_passed {
                    self.rotations_passed += 1;
                    drop(st);
                    let mut out = Vec::new();
                    FromMaster::LogRotate
                        .encode(&mut out)
                        .expect("LOG_ROTATE encodes");
                    if self.send(&out).is_err() {
                        return Next::Close;
                    }
                    self.record(Event::SentRotate { conn: self.id });
                    continue;
                }
                if self.cursor >= st.published {
                    return Next::Go;
                }
                let c = st.fixture.changes[self.cursor].clone();
                self.cursor += 1;
                if st.faults.skip_changes > 0 {
                    st.faults.skip_changes -= 1;
                    continue;
                }
                c
            };
            let mut out = Vec::new();
            FromMaster::LogData {
                version: change.0,
                text: &change.1,
            }
            .encode(&mut out)
            .expect("LOG_DATA encodes");
            if self.send(&out).is_err() {
                return Next::Close;
            }
            self.record(Event::SentChange {
                conn: self.id,
                version: change.0,
            });
        }
    }
}

/// Whether the peer has closed a socket we are not reading from (a zero-length peek).
fn peer_gone(stream: &TcpStream) -> bool {
    let mut b = [0u8; 1];
    let _ = stream.set_nonblocking(true);
    let gone = matches!(stream.peek(&mut b), Ok(0));
    let _ = stream.set_nonblocking(false);
    gone
}

/// The messages the fake master acts on, owned (the decoded ones borrow the buffer).
enum OwnedToMaster {
    Nop,
    Register {
        rver: u8,
        version: u32,
        timeout: u16,
        first_wanted: Option<u64>,
    },
    DownloadStart(u8),
    DownloadRequest {
        offset: u64,
        leng: u32,
    },
    DownloadEnd,
    Other(u32),
}

impl From<ToMaster<'_>> for OwnedToMaster {
    fn from(m: ToMaster<'_>) -> Self {
        match m {
            ToMaster::Nop => OwnedToMaster::Nop,
            ToMaster::Register(r) => OwnedToMaster::Register {
                rver: r.rver(),
                version: r.version.0,
                timeout: r.timeout,
                first_wanted: r.first_wanted,
            },
            ToMaster::DownloadStart(f) => OwnedToMaster::DownloadStart(f as u8),
            ToMaster::DownloadRequest { offset, leng } => {
                OwnedToMaster::DownloadRequest { offset, leng }
            }
            ToMaster::DownloadEnd => OwnedToMaster::DownloadEnd,
            other => OwnedToMaster::Other(other.msg_type()),
        }
    }
}
