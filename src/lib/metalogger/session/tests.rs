//! The session against an in-process fake master on 127.0.0.1 and a fake store, in paused
//! tokio time: register bytes (as captured from 3.0.117), keep-alive timing, downloads
//! (bad CRC retried, the 1 → 11 → 12 chain), a gap forcing a fresh registration, foreign
//! metadata, reload and shutdown.

use std::io;
use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};
use std::time::Duration;

use tokio::io::{AsyncReadExt, AsyncWriteExt};
use tokio::net::{TcpListener, TcpStream};
use tokio::sync::mpsc;
use tokio::task::JoinHandle;
use tokio::time::Instant;

use super::backend::Backend;
use super::clock::Clock;
use super::{run_with, Control, RunError, Tuning};
use crate::format::wire::ids::*;
use crate::format::wire::{
    decode_frame, DownloadData, DownloadInfo, FileNum, FrameStatus, FromMaster,
};
use crate::metalogger::config::Config;
use crate::metalogger::status::Status;
use crate::metalogger::store::{Appended, Finished, StoreError, StoreSettings};

/// What the fake store saw and what it answers.
#[derive(Debug, Default)]
pub(super) struct FakeState {
    pub(super) last: u64,
    pub(super) meta_id: Option<u64>,
    /// Changes logged, `None` for a rotation.
    pub(super) log: Vec<Option<(u64, String)>>,
    /// The download running: file and bytes written.
    pub(super) current: Option<(FileNum, Vec<u8>)>,
    pub(super) finished: Vec<(FileNum, Vec<u8>)>,
    pub(super) aborted: u32,
    /// What `finish_download` says for file 1.
    pub(super) verdict: Option<Finished>,
    pub(super) settings: Option<StoreSettings>,
    pub(super) statuses: Vec<Status>,
    pub(super) flushes: u32,
    /// Block writes to refuse before taking them.
    pub(super) refuse_writes: u32,
    /// Refuse changes (as a store with a full backlog does).
    pub(super) refuse_appends: bool,
}

#[derive(Debug, Clone, Default)]
pub(super) struct FakeStore(Arc<Mutex<FakeState>>);

impl FakeStore {
    pub(super) fn state(&self) -> MutexGuard<'_, FakeState> {
        self.0.lock().unwrap()
    }
}

impl Backend for FakeStore {
    fn reconfigure(&mut self, settings: StoreSettings) {
        self.state().settings = Some(settings);
    }
    fn last_version(&self) -> u64 {
        self.state().last
    }
    fn meta_id(&self) -> Option<u64> {
        self.state().meta_id
    }
    fn append(&mut self, version: u64, text: &[u8]) -> Result<Appended, StoreError> {
        let mut s = self.state();
        if s.refuse_appends {
            return Err(StoreError::Unimplemented);
        }
        if s.last > 0 && version != s.last + 1 {
            let have = s.last;
            s.last = 0;
            return Ok(Appended::Gap {
                have,
                got: version,
                moved_to: PathBuf::from("old"),
            });
        }
        s.last = version;
        s.log
            .push(Some((version, String::from_utf8_lossy(text).into_owned())));
        Ok(Appended::Logged)
    }
    fn rotate(&mut self) -> Result<(), StoreError> {
        self.state().log.push(None);
        Ok(())
    }
    fn flush(&mut self) -> Result<(), StoreError> {
        self.state().flushes += 1;
        Ok(())
    }
    fn close_log(&mut self) -> Result<(), StoreError> {
        Ok(())
    }
    fn start_download(&mut self, file: FileNum, _size: u64) -> Result<(), StoreError> {
        self.state().current = Some((file, Vec::new()));
        Ok(())
    }
    fn write_block(&mut self, offset: u64, data: &[u8]) -> Result<(), StoreError> {
        let mut s = self.state();
        if s.refuse_writes > 0 {
            s.refuse_writes -= 1;
            return Err(StoreError::Io {
                path: PathBuf::from("metadata_ml.tmp"),
                source: io::Error::from_raw_os_error(libc::ENOSPC),
            });
        }
        let Some((_, buf)) = s.current.as_mut() else {
            return Err(StoreError::Unimplemented);
        };
        assert_eq!(offset, buf.len() as u64);
        buf.extend_from_slice(data);
        Ok(())
    }
    fn finish_download(&mut self) -> Result<Finished, StoreError> {
        let mut s = self.state();
        let (file, data) = s.current.take().ok_or(StoreError::Unimplemented)?;
        s.finished.push((file, data));
        Ok(match file {
            FileNum::Metadata => s.verdict.clone().unwrap_or(Finished::Metadata {
                version: 1,
                meta_id: 0xABCD,
            }),
            FileNum::Changelog0 => Finished::Changelog {
                name: "changelog_ml_back.0.mfs",
            },
            _ => Finished::Changelog {
                name: "changelog_ml_back.1.mfs",
            },
        })
    }
    fn abort_download(&mut self) {
        let mut s = self.state();
        s.current = None;
        s.aborted += 1;
    }
    fn bytes_used(&self) -> u64 {
        7
    }
    fn write_status(&mut self, status: &Status) -> io::Result<()> {
        self.state().statuses.push(status.clone());
        Ok(())
    }
}

/// The fake master's end of one connection.
pub(super) struct Peer {
    pub(super) stream: TcpStream,
    pub(super) buf: Vec<u8>,
}

impl Peer {
    /// The next frame from the metalogger as `(type, payload)`, `None` at EOF.
    pub(super) async fn recv(&mut self) -> Option<(u32, Vec<u8>)> {
        loop {
            if let Ok(FrameStatus::Complete(f)) = decode_frame(&self.buf) {
                let out = (f.msg_type, f.payload.to_vec());
                let len = f.wire_len();
                self.buf.drain(..len);
                return Some(out);
            }
            match self.stream.read_buf(&mut self.buf).await {
                Ok(0) | Err(_) => return None,
                Ok(_) => {}
            }
        }
    }

    /// The next frame, which must not be a NOP or EOF.
    pub(super) async fn expect(&mut self) -> (u32, Vec<u8>) {
        loop {
            let f = self.recv().await.expect("connection closed");
            if f.0 != ANTOAN_NOP {
                return f;
            }
        }
    }

    pub(super) async fn send(&mut self, msg: FromMaster<'_>) {
        let mut out = Vec::new();
        msg.encode(&mut out).unwrap();
        self.stream.write_all(&out).await.unwrap();
    }

    pub(super) async fn send_raw(&mut self, bytes: &[u8]) {
        self.stream.write_all(bytes).await.unwrap();
    }

    pub(super) async fn change(&mut self, version: u64, text: &str) {
        self.send(FromMaster::LogData {
            version,
            text: text.as_bytes(),
        })
        .await;
    }

    /// Answers START with `size`, then serves REQUESTs from `file` (with the CRC of block
    /// `bad` spoiled once) until END (or EOF). Returns the requests seen.
    async fn serve_download(&mut self, file: &[u8], bad: Option<u64>) -> Vec<(u64, u32)> {
        let mut spoiled = false;
        let mut requests = Vec::new();
        self.send(FromMaster::DownloadInfo(DownloadInfo::Size(
            file.len() as u64
        )))
        .await;
        loop {
            let (t, p) = match self.recv().await {
                None => return requests,
                Some((ANTOAN_NOP, _)) => continue,
                Some(frame) => frame,
            };
            if t == ANTOMA_DOWNLOAD_END {
                return requests;
            }
            assert_eq!(t, ANTOMA_DOWNLOAD_REQUEST);
            let offset = u64::from_be_bytes(p[..8].try_into().unwrap());
            let leng = u32::from_be_bytes(p[8..12].try_into().unwrap());
            requests.push((offset, leng));
            let data = &file[offset as usize..offset as usize + leng as usize];
            let mut block = DownloadData::new(offset, data);
            if bad == Some(offset) && !spoiled {
                spoiled = true;
                block.crc ^= 1;
            }
            self.send(FromMaster::DownloadData(block)).await;
        }
    }
}

impl Peer {
    /// Serves the whole chain a fresh registration starts (START(1) already read): a
    /// small image, then empty changelogs 11 and 12.
    async fn serve_chain(&mut self) {
        self.serve_download(b"MFSM 2.0", None).await;
        assert_eq!(self.expect().await, (ANTOMA_DOWNLOAD_START, vec![11]));
        self.serve_download(b"", None).await;
        assert_eq!(self.expect().await, (ANTOMA_DOWNLOAD_START, vec![12]));
        self.serve_download(b"", None).await;
    }
}

struct Harness {
    listener: TcpListener,
    store: FakeStore,
    control: mpsc::Sender<Control>,
    task: JoinHandle<Result<(), RunError>>,
    config: Config,
}

fn config(port: u16) -> Config {
    Config {
        master_host: "127.0.0.1".into(),
        master_port: port.to_string(),
        bind_host: "*".into(),
        master_timeout: 10,
        master_reconnection_delay: 5,
        meta_download_freq: 0,
        data_path: PathBuf::from("/nonexistent"),
        ..Config::default()
    }
}

/// Unix time at the start of every test: a multiple of 5 s plus 0.5 s.
const START: Duration = Duration::from_millis(1_800_000_000_500);

async fn start(store: FakeStore, tune: impl FnOnce(&mut Config)) -> Harness {
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let mut config = config(listener.local_addr().unwrap().port());
    tune(&mut config);
    let (control, rx) = mpsc::channel(4);
    let tuning = Tuning {
        clock: Clock::virtual_from(START),
        connect_timeout: Duration::from_secs(1),
    };
    let task = tokio::spawn(run_with(config.clone(), store.clone(), rx, tuning));
    Harness {
        listener,
        store,
        control,
        task,
        config,
    }
}

impl Harness {
    async fn accept(&self) -> Peer {
        let (stream, _) = self.listener.accept().await.unwrap();
        Peer {
            stream,
            buf: Vec::new(),
        }
    }

    async fn stop(self) -> FakeStore {
        self.control.send(Control::Shutdown).await.unwrap();
        self.task.await.unwrap().unwrap();
        self.store
    }
}

const REGISTER_FRESH: [u8; 15] = [
    0x00, 0x00, 0x00, 0x32, 0x00, 0x00, 0x00, 0x07, 0x01, 0x00, 0x03, 0x00, 0xEA, 0x00, 0x0A,
];
const REGISTER_RESUME_13: [u8; 23] = [
    0x00, 0x00, 0x00, 0x32, 0x00, 0x00, 0x00, 0x0F, 0x02, 0x00, 0x03, 0x00, 0xEA, 0x00, 0x0A, 0x00,
    0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x0D,
];
const START_1: [u8; 9] = [0x00, 0x00, 0x00, 0x3C, 0x00, 0x00, 0x00, 0x01, 0x01];

async fn read_exact(peer: &mut Peer, n: usize) -> Vec<u8> {
    let mut out = vec![0u8; n];
    peer.stream.read_exact(&mut out).await.unwrap();
    out
}

#[tokio::test(start_paused = true)]
async fn a_fresh_start_registers_rver_1_and_downloads_at_once() {
    let h = start(FakeStore::default(), |_| {}).await;
    let mut peer = h.accept().await;
    let bytes = read_exact(&mut peer, 24).await;
    assert_eq!(bytes[..15], REGISTER_FRESH);
    assert_eq!(bytes[15..], START_1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_restart_resumes_with_rver_2_from_the_last_logged_version() {
    let store = FakeStore::default();
    store.state().last = 12;
    let h = start(store, |_| {}).await;
    let mut peer = h.accept().await;
    let bytes = read_exact(&mut peer, 23).await;
    assert_eq!(bytes[..], REGISTER_RESUME_13);
    // No download: the next frame is the NOP after a third of the timeout.
    let t0 = Instant::now();
    assert_eq!(peer.recv().await.map(|f| f.0), Some(ANTOAN_NOP));
    assert!(t0.elapsed() >= Duration::from_secs(3));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn changes_and_rotations_are_logged_in_order() {
    let h = start(FakeStore::default(), |_| {}).await;
    let mut peer = h.accept().await;
    peer.expect().await; // REGISTER
    peer.expect().await; // START(1)
    peer.send(FromMaster::DownloadInfo(DownloadInfo::Error(0xFF)))
        .await;
    peer.change(5, "1795335903|ACQUIRE(1,3)").await;
    peer.send(FromMaster::LogRotate).await;
    peer.change(6, "1795335904|RELEASE(1,3)").await;
    peer.send(FromMaster::Nop).await;
    tokio::time::sleep(Duration::from_secs(2)).await;
    let store = h.stop().await;
    let s = store.state();
    assert_eq!(
        s.log,
        vec![
            Some((5, "1795335903|ACQUIRE(1,3)".to_string())),
            None,
            Some((6, "1795335904|RELEASE(1,3)".to_string())),
        ]
    );
    let last = s.statuses.last().unwrap();
    assert_eq!(last.last_version, 6);
    assert_eq!(last.last_change_time, Some(1_795_335_904));
    assert_eq!(last.data_bytes, 7);
    assert!(!last.connected);
    assert!(s.statuses.iter().any(|st| st.connected));
    assert!(s.flushes >= 2);
}

#[tokio::test(start_paused = true)]
async fn an_idle_link_gets_a_nop_every_third_of_the_timeout_and_dies_at_the_timeout() {
    let h = start(FakeStore::default(), |_| {}).await;
    let mut peer = h.accept().await;
    peer.expect().await; // REGISTER
    peer.expect().await; // START(1)
    peer.serve_chain().await;
    // The master stays mute from now on.
    let t0 = Instant::now();
    let mut nops = Vec::new();
    while let Some((t, _)) = peer.recv().await {
        assert_eq!(t, ANTOAN_NOP);
        nops.push(t0.elapsed());
    }
    let closed = t0.elapsed();
    assert_eq!(nops.len(), 2, "{nops:?}");
    let third = Duration::from_secs(10) / 3;
    assert!(nops[0] >= third && nops[0] < third + Duration::from_millis(50));
    assert!(nops[1] >= 2 * third && nops[1] < 2 * third + Duration::from_millis(50));
    assert!(closed >= Duration::from_secs(10) && closed < Duration::from_millis(10_050));
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_bad_crc_block_is_asked_again_and_the_chain_runs_1_11_12() {
    let h = start(FakeStore::default(), |_| {}).await;
    let mut peer = h.accept().await;
    peer.expect().await; // REGISTER
    assert_eq!(peer.expect().await, (ANTOMA_DOWNLOAD_START, vec![1]));
    let meta: Vec<u8> = (0..2_500_000u32).map(|i| (i % 251) as u8).collect();
    let requests = peer.serve_download(&meta, Some(1_000_000)).await;
    assert_eq!(
        requests,
        vec![
            (0, 1_000_000),
            (1_000_000, 1_000_000),
            (1_000_000, 1_000_000),
            (2_000_000, 500_000)
        ]
    );
    // Changes keep flowing between downloads.
    peer.change(40, "1795335903|ACQUIRE(1,3)").await;
    assert_eq!(peer.expect().await, (ANTOMA_DOWNLOAD_START, vec![11]));
    assert_eq!(peer.serve_download(b"40: x\n", None).await, vec![(0, 6)]);
    assert_eq!(peer.expect().await, (ANTOMA_DOWNLOAD_START, vec![12]));
    // An empty changelog: END at once.
    assert_eq!(peer.serve_download(b"", None).await, vec![]);
    let store = h.stop().await;
    let s = store.state();
    let files: Vec<FileNum> = s.finished.iter().map(|f| f.0).collect();
    assert_eq!(
        files,
        vec![FileNum::Metadata, FileNum::Changelog0, FileNum::Changelog1]
    );
    assert!(s.finished[0].1 == meta);
    assert_eq!(s.finished[1].1, b"40: x\n");
    assert_eq!(s.log.len(), 1);
    assert_eq!(s.aborted, 0);
}

#[tokio::test(start_paused = true)]
async fn six_bad_tries_of_a_block_end_the_download() {
    let h = start(FakeStore::default(), |_| {}).await;
    let mut peer = h.accept().await;
    peer.expect().await; // REGISTER
    peer.expect().await; // START(1)
    peer.send(FromMaster::DownloadInfo(DownloadInfo::Size(4)))
        .await;
    for _ in 0..6 {
        let (t, p) = peer.expect().await;
        assert_eq!(t, ANTOMA_DOWNLOAD_REQUEST);
        assert_eq!(p, [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 4]);
        let mut block = DownloadData::new(0, b"MFSM");
        block.crc ^= 0xFFFF;
        peer.send(FromMaster::DownloadData(block)).await;
    }
    assert_eq!(peer.expect().await.0, ANTOMA_DOWNLOAD_END);
    // No START(11) follows; the link stays up.
    peer.change(3, "1|X").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    let store = h.stop().await;
    let s = store.state();
    assert_eq!(s.aborted, 1);
    assert!(s.finished.is_empty());
    assert_eq!(s.log.len(), 1);
}

#[tokio::test(start_paused = true)]
async fn a_gap_drops_the_link_and_the_next_tick_registers_fresh() {
    let store = FakeStore::default();
    store.state().last = 5;
    let h = start(store, |_| {}).await;
    let mut peer = h.accept().await;
    assert_eq!(peer.expect().await.1[0], 2); // rver 2, no download
    peer.change(6, "1|A").await;
    peer.change(9, "1|B").await;
    assert_eq!(peer.recv().await, None);
    let dropped = Instant::now();
    let mut peer = h.accept().await;
    // Reconnect on the next 5-s tick of the epoch: START is at .5, so 4.5 s later.
    let waited = dropped.elapsed();
    assert!(waited <= Duration::from_millis(4_600), "{waited:?}");
    let bytes = read_exact(&mut peer, 24).await;
    assert_eq!(bytes[..15], REGISTER_FRESH);
    assert_eq!(bytes[15..], START_1);
    let store = h.stop().await;
    assert_eq!(store.state().log, vec![Some((6, "1|A".to_string()))]);
}

#[tokio::test(start_paused = true)]
async fn protocol_violations_drop_the_link() {
    let cases: Vec<Vec<u8>> = vec![
        // Unknown type.
        vec![0, 0, 0, 99, 0, 0, 0, 0],
        // Too long.
        vec![0, 0, 0, 51, 0, 0x16, 0xE3, 0x61],
        // LOG_DATA too short.
        vec![0, 0, 0, 51, 0, 0, 0, 2, 0xFF, 0],
        // LOG_DATA with the 0xAA marker.
        vec![0, 0, 0, 51, 0, 0, 0, 10, 0xAA, 0, 0, 0, 0, 0, 0, 0, 1, 0],
        // LOG_DATA without the NUL.
        vec![0, 0, 0, 51, 0, 0, 0, 10, 0xFF, 0, 0, 0, 0, 0, 0, 0, 1, b'x'],
        // INFO of a length that is neither 1 nor 8.
        vec![0, 0, 0, 61, 0, 0, 0, 2, 0, 0],
        // VERSION: the codec knows it, mfsmetalogger does not take it.
        vec![0, 0, 0, 11, 0, 0, 0, 4, 0, 3, 0, 0xEA],
        // DATA with no download.
        vec![
            0, 0, 0, 63, 0, 0, 0, 16, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0,
        ],
        // INFO with a size, no START outstanding (after the error answer below).
        vec![0, 0, 0, 61, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 1],
    ];
    for case in cases {
        let h = start(FakeStore::default(), |_| {}).await;
        let mut peer = h.accept().await;
        peer.expect().await; // REGISTER
        peer.expect().await; // START(1)
        peer.send(FromMaster::DownloadInfo(DownloadInfo::Error(0xFF)))
            .await;
        peer.send_raw(&case).await;
        let t0 = Instant::now();
        assert_eq!(peer.recv().await, None, "{case:?}");
        assert!(t0.elapsed() < Duration::from_secs(1), "{case:?}");
        h.stop().await;
    }
}

#[tokio::test(start_paused = true)]
async fn foreign_metadata_is_not_followed_and_its_changes_are_not_logged() {
    let store = FakeStore::default();
    {
        let mut s = store.state();
        s.meta_id = Some(0x1111);
        s.verdict = Some(Finished::ForeignMetadata {
            ours: 0x1111,
            theirs: 0x2222,
        });
    }
    let h = start(store, |_| {}).await;
    let mut peer = h.accept().await;
    peer.expect().await; // REGISTER
    peer.expect().await; // START(1)
    peer.change(100, "1|FOREIGN").await;
    peer.serve_download(b"MFSM 2.0", None).await;
    assert_eq!(peer.recv().await, None);
    let dropped = Instant::now();
    // The operator moves the old files away.
    {
        let mut s = h.store.state();
        s.meta_id = None;
        s.verdict = None;
    }
    let mut peer = h.accept().await;
    assert!(dropped.elapsed() >= super::FOREIGN_RETRY);
    assert_eq!(peer.expect().await.1[0], 1); // rver 1: nothing logged
    assert_eq!(peer.expect().await, (ANTOMA_DOWNLOAD_START, vec![1]));
    let store = h.stop().await;
    assert!(store.state().log.is_empty());
}

#[tokio::test(start_paused = true)]
async fn changes_are_held_until_the_metadata_id_matches() {
    let store = FakeStore::default();
    store.state().meta_id = Some(0xABCD);
    let h = start(store, |_| {}).await;
    let mut peer = h.accept().await;
    peer.expect().await; // REGISTER
    peer.expect().await; // START(1)
    peer.change(100, "1|A").await;
    peer.send(FromMaster::LogRotate).await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    assert!(h.store.state().log.is_empty());
    peer.serve_download(b"MFSM 2.0", None).await;
    assert_eq!(peer.expect().await, (ANTOMA_DOWNLOAD_START, vec![11]));
    assert_eq!(
        h.store.state().log,
        vec![Some((100, "1|A".to_string())), None]
    );
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn reload_keeps_the_link_unless_the_master_or_timeout_changes() {
    let h = start(FakeStore::default(), |c| c.master_reconnection_delay = 0).await;
    let mut peer = h.accept().await;
    peer.expect().await; // REGISTER
    peer.expect().await; // START(1)
    peer.send(FromMaster::DownloadInfo(DownloadInfo::Error(0xFF)))
        .await;
    let mut same = h.config.clone();
    same.back_logs = 77;
    h.control
        .send(Control::Reload(Box::new(same.clone())))
        .await
        .unwrap();
    peer.change(1, "1|A").await;
    tokio::time::sleep(Duration::from_secs(1)).await;
    assert_eq!(h.store.state().log.len(), 1);
    assert_eq!(h.store.state().settings.map(|s| s.back_logs), Some(77));
    // A new timeout needs a new REGISTER; reconnection was off (0) and is now on.
    let mut changed = same;
    changed.master_timeout = 30;
    changed.master_reconnection_delay = 1;
    h.control
        .send(Control::Reload(Box::new(changed)))
        .await
        .unwrap();
    assert_eq!(peer.recv().await, None);
    let mut peer = h.accept().await;
    let (t, p) = peer.expect().await;
    assert_eq!(t, ANTOMA_REGISTER);
    assert_eq!(p, [2, 0, 3, 0, 0xEA, 0, 30, 0, 0, 0, 0, 0, 0, 0, 2]);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn shutdown_aborts_a_running_download_and_closes_the_link() {
    let h = start(FakeStore::default(), |_| {}).await;
    let mut peer = h.accept().await;
    peer.expect().await; // REGISTER
    peer.expect().await; // START(1)
    peer.send(FromMaster::DownloadInfo(DownloadInfo::Size(10)))
        .await;
    assert_eq!(peer.expect().await.0, ANTOMA_DOWNLOAD_REQUEST);
    let store = h.stop().await;
    assert_eq!(peer.recv().await, None);
    assert_eq!(store.state().aborted, 1);
}

#[tokio::test]
async fn an_unresolvable_master_at_start_is_an_init_error() {
    let (_control, rx) = mpsc::channel(1);
    let mut config = config(9419);
    config.master_host = "no-such-host.invalid".into();
    let r = run_with(config, FakeStore::default(), rx, Tuning::default()).await;
    assert!(matches!(r, Err(RunError::Init(m)) if m.contains("no-such-host.invalid:9419")));
}

#[tokio::test(start_paused = true)]
async fn a_refused_first_connect_is_retried_on_the_tick() {
    // Take a port, then free it, so the first connect is refused.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    drop(listener);
    let (control, rx) = mpsc::channel(1);
    let tuning = Tuning {
        clock: Clock::virtual_from(START),
        connect_timeout: Duration::from_secs(1),
    };
    let task = tokio::spawn(run_with(config(port), FakeStore::default(), rx, tuning));
    tokio::time::sleep(Duration::from_millis(100)).await;
    let listener = TcpListener::bind(("127.0.0.1", port)).await.unwrap();
    let t0 = Instant::now();
    let (mut stream, _) = listener.accept().await.unwrap();
    assert!(t0.elapsed() <= Duration::from_millis(4_500));
    let mut reg = [0u8; 15];
    stream.read_exact(&mut reg).await.unwrap();
    assert_eq!(reg, REGISTER_FRESH);
    control.send(Control::Shutdown).await.unwrap();
    task.await.unwrap().unwrap();
}

#[tokio::test(start_paused = true)]
async fn a_reload_from_no_download_to_hourly_downloads_at_10_30_past() {
    // START is 0.5 s past a full hour; NOPs and the timeout are far apart here.
    assert_eq!(START.as_secs() % 3600, 0);
    let h = start(FakeStore::default(), |c| c.master_timeout = 3600).await;
    let mut peer = h.accept().await;
    let t0 = Instant::now();
    peer.expect().await; // REGISTER
    peer.expect().await; // START(1)
    peer.serve_chain().await;
    let mut hourly = h.config.clone();
    hourly.master_timeout = 3600;
    hourly.meta_download_freq = 1;
    h.control
        .send(Control::Reload(Box::new(hourly)))
        .await
        .unwrap();
    assert_eq!(peer.expect().await, (ANTOMA_DOWNLOAD_START, vec![1]));
    let at = t0.elapsed();
    assert!(
        at >= Duration::from_millis(629_500) && at < Duration::from_millis(629_600),
        "{at:?}"
    );
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_block_the_disk_refuses_is_asked_again() {
    let store = FakeStore::default();
    store.state().refuse_writes = 2;
    let h = start(store, |_| {}).await;
    let mut peer = h.accept().await;
    peer.expect().await; // REGISTER
    peer.expect().await; // START(1)
    let requests = peer.serve_download(b"MFSM 2.0", None).await;
    assert_eq!(requests, vec![(0, 8), (0, 8), (0, 8)]);
    assert_eq!(peer.expect().await, (ANTOMA_DOWNLOAD_START, vec![11]));
    let store = h.stop().await;
    assert_eq!(store.state().finished[0].1, b"MFSM 2.0");
}

#[tokio::test(start_paused = true)]
async fn a_store_that_refuses_changes_drops_the_link_and_resumes_from_its_last_version() {
    let store = FakeStore::default();
    store.state().last = 41;
    let h = start(store, |_| {}).await;
    let mut peer = h.accept().await;
    peer.expect().await; // REGISTER
    peer.change(42, "1|A").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    h.store.state().refuse_appends = true;
    peer.change(43, "1|B").await;
    assert_eq!(peer.recv().await, None);
    h.store.state().refuse_appends = false;
    let mut peer = h.accept().await;
    let (t, p) = peer.expect().await;
    assert_eq!(t, ANTOMA_REGISTER);
    assert_eq!(p[0], 2);
    assert_eq!(p[7..], 43u64.to_be_bytes());
    // A reconnect with rver 2 downloads nothing: the master may send changes at once.
    peer.change(43, "1|B").await;
    tokio::time::sleep(Duration::from_millis(100)).await;
    let store = h.stop().await;
    let log: Vec<u64> = store.state().log.iter().flatten().map(|c| c.0).collect();
    assert_eq!(log, vec![42, 43]);
}

#[tokio::test(start_paused = true)]
async fn a_burst_of_changes_is_flushed_before_the_next_second() {
    let h = start(FakeStore::default(), |_| {}).await;
    let mut peer = h.accept().await;
    peer.expect().await; // REGISTER
    peer.expect().await; // START(1)
    peer.send(FromMaster::DownloadInfo(DownloadInfo::Error(0xFF)))
        .await;
    let t0 = Instant::now();
    let text = "x".repeat(1000);
    let n = 6_000u64;
    let mut out = Vec::new();
    for v in 1..=n {
        FromMaster::LogData {
            version: v,
            text: text.as_bytes(),
        }
        .encode(&mut out)
        .unwrap();
    }
    peer.send_raw(&out).await;
    while h.store.state().log.len() < n as usize {
        tokio::task::yield_now().await;
    }
    // No second has passed: only the burst made the session flush.
    assert!(t0.elapsed() < Duration::from_millis(400));
    assert!(h.store.state().flushes >= 1);
    h.stop().await;
}

#[tokio::test(start_paused = true)]
async fn a_failed_base_download_is_tried_again_later_and_longer_later() {
    let h = start(FakeStore::default(), |c| c.master_timeout = 60).await;
    let mut peer = h.accept().await;
    peer.expect().await; // REGISTER
    peer.expect().await; // START(1)
    let mut waits = Vec::new();
    for _ in 0..2 {
        peer.send(FromMaster::DownloadInfo(DownloadInfo::Error(0xFF)))
            .await;
        let t0 = Instant::now();
        assert_eq!(peer.expect().await, (ANTOMA_DOWNLOAD_START, vec![1]));
        waits.push(t0.elapsed().as_secs());
    }
    // 5 s, then 10 s (the retry runs on the whole-second flush tick).
    assert!(
        (5..=6).contains(&waits[0]) && (10..=11).contains(&waits[1]),
        "{waits:?}"
    );
    peer.serve_chain().await;
    let store = h.stop().await;
    assert_eq!(store.state().finished.len(), 3);
    let last = store.state().statuses.last().cloned().unwrap();
    assert_eq!(
        last.last_download.map(|d| (d.file, d.result)),
        Some(("changelog_1".to_string(), "ok".to_string()))
    );
}

#[tokio::test(start_paused = true)]
async fn a_damaged_image_is_no_base_but_the_placeholder_is() {
    for (reason, again) in [("bad metadata file format", true), ("MFSM NEW", false)] {
        let store = FakeStore::default();
        store.state().verdict = Some(Finished::InvalidMetadata {
            reason: reason.into(),
        });
        let h = start(store, |c| c.master_timeout = 60).await;
        let mut peer = h.accept().await;
        peer.expect().await; // REGISTER
        peer.expect().await; // START(1)
        peer.serve_chain().await;
        // A START(1) within 7 s, or only NOPs until the master closes its end.
        let next = tokio::time::timeout(Duration::from_secs(7), peer.expect()).await;
        assert_eq!(
            next.ok(),
            again.then(|| (ANTOMA_DOWNLOAD_START, vec![1])),
            "{reason}"
        );
        h.stop().await;
    }
}

#[tokio::test(start_paused = true)]
async fn random_frames_from_the_master_never_stop_the_session() {
    let h = start(FakeStore::default(), |c| c.master_reconnection_delay = 1).await;
    let mut seed: u64 = 0x9E37_79B9_7F4A_7C15;
    let mut rand = move || {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        seed
    };
    let types = [0u32, 1, 2, 11, 51, 61, 63, 81, 99];
    for _ in 0..150 {
        let mut peer = h.accept().await;
        peer.expect().await; // REGISTER
        let mut junk = Vec::new();
        for _ in 0..(rand() % 6) {
            let t = types[(rand() % types.len() as u64) as usize];
            let len = (rand() % 40) as usize;
            let mut payload: Vec<u8> = (0..len).map(|_| rand() as u8).collect();
            if t == 51 && rand() % 2 == 0 && len > 0 {
                payload[0] = 0xFF;
                if let Some(last) = payload.last_mut() {
                    *last = 0;
                }
            }
            junk.extend_from_slice(&t.to_be_bytes());
            junk.extend_from_slice(&(len as u32).to_be_bytes());
            junk.extend_from_slice(&payload);
        }
        if rand() % 4 == 0 {
            let cut = (rand() as usize) % (junk.len() + 1);
            junk.truncate(cut);
        }
        peer.send_raw(&junk).await;
        // Whatever it made of that, the master now hangs up.
        drop(peer);
    }
    assert!(!h.task.is_finished());
    h.stop().await;
}
