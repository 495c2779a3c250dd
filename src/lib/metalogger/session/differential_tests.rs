//! The real `mfsmetalogger` 3.0.117 and our session against the same scripted master
//! (skipped unless root with the Debian package installed): both must send the same
//! frames, NOPs aside: REGISTER + START(1); the REQUESTs of a 2.5 MB file, one block with a
//! bad CRC asked again; END; START(11), its blocks, END; START(12) answered with an error;
//! then, after a change that shows a gap, a FIN and a fresh REGISTER + START(1) on the next
//! tick; and six bad tries of a block, then an unknown message type and a resume with
//! rver 2.

use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::Duration;

use tokio::net::TcpListener;
use tokio::sync::mpsc;

use super::tests::Peer;
use super::{Control, RunError};
use crate::format::wire::ids::*;
use crate::format::wire::{DownloadData, DownloadInfo, FromMaster};
use crate::metalogger::config::Config;
use crate::metalogger::store::{Store, StoreSettings};

/// One frame the metalogger sent, or `None` for the end of a connection.
type Seen = Option<(u32, Vec<u8>)>;

async fn accept(listener: &TcpListener) -> Peer {
    let (stream, _) = tokio::time::timeout(Duration::from_secs(15), listener.accept())
        .await
        .expect("no connection from the metalogger")
        .unwrap();
    Peer {
        stream,
        buf: Vec::new(),
    }
}

/// The next frame that is not a NOP, `None` at EOF (recorded in `seen`).
async fn next(peer: &mut Peer, seen: &mut Vec<Seen>) -> Seen {
    loop {
        let f = tokio::time::timeout(Duration::from_secs(15), peer.recv())
            .await
            .expect("the metalogger went quiet");
        if matches!(&f, Some((ANTOAN_NOP, _))) {
            continue;
        }
        seen.push(f.clone());
        return f;
    }
}

/// Serves one file after its START: INFO, then every REQUEST (the block at `bad` with a
/// wrong CRC once), until END (or any other frame, or EOF).
async fn serve(peer: &mut Peer, seen: &mut Vec<Seen>, file: &[u8], bad: Option<u64>) {
    let mut spoiled = false;
    peer.send(FromMaster::DownloadInfo(DownloadInfo::Size(
        file.len() as u64
    )))
    .await;
    loop {
        let Some((t, p)) = next(peer, seen).await else {
            return;
        };
        if t != ANTOMA_DOWNLOAD_REQUEST {
            return;
        }
        let offset = u64::from_be_bytes(p[..8].try_into().unwrap());
        let leng = u32::from_be_bytes(p[8..12].try_into().unwrap());
        let data = &file[offset as usize..(offset + u64::from(leng)) as usize];
        let mut block = DownloadData::new(offset, data);
        if bad == Some(offset) && !spoiled {
            spoiled = true;
            block.crc ^= 1;
        }
        peer.send(FromMaster::DownloadData(block)).await;
    }
}

/// What the scripted master does.
#[derive(Clone, Copy, Debug)]
enum Scenario {
    /// CRC retry, chain 1 → 11 → 12 with an INFO error, gap, fresh re-registration.
    ChainAndGap,
    /// Six bad tries of a block (END, no chain), a change, an unknown message type, and
    /// the rver 2 registration that follows.
    BadBlocksAndUnknownType,
}

async fn script(listener: &TcpListener, scenario: Scenario) -> Vec<Seen> {
    match scenario {
        Scenario::ChainAndGap => chain_and_gap(listener).await,
        Scenario::BadBlocksAndUnknownType => bad_blocks_and_unknown_type(listener).await,
    }
}

async fn bad_blocks_and_unknown_type(listener: &TcpListener) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut peer = accept(listener).await;
    next(&mut peer, &mut seen).await; // REGISTER
    next(&mut peer, &mut seen).await; // START(1)
    peer.send(FromMaster::DownloadInfo(DownloadInfo::Size(8)))
        .await;
    for _ in 0..6 {
        next(&mut peer, &mut seen).await; // REQUEST
        let mut block = DownloadData::new(0, b"MFSM 2.0");
        block.crc ^= 0x8000_0000;
        peer.send(FromMaster::DownloadData(block)).await;
    }
    next(&mut peer, &mut seen).await; // END
    peer.change(5, "1795335903|ACQUIRE(1,3)").await;
    peer.send_raw(&[0, 0, 0, 99, 0, 0, 0, 1, 7]).await;
    next(&mut peer, &mut seen).await; // EOF
    let mut peer = accept(listener).await;
    next(&mut peer, &mut seen).await; // REGISTER rver 2 from 6
    seen
}

/// The scripted master of [`Scenario::ChainAndGap`]; returns what the metalogger sent.
async fn chain_and_gap(listener: &TcpListener) -> Vec<Seen> {
    let mut seen = Vec::new();
    let mut peer = accept(listener).await;
    next(&mut peer, &mut seen).await; // REGISTER
    next(&mut peer, &mut seen).await; // START(1)
    peer.change(5, "1795335903|ACQUIRE(1,3)").await;
    let meta: Vec<u8> = (0..2_500_000u32).map(|i| (i % 251) as u8).collect();
    serve(&mut peer, &mut seen, &meta, Some(1_000_000)).await;
    next(&mut peer, &mut seen).await; // START(11)
    serve(&mut peer, &mut seen, b"5: 1795335903|ACQUIRE(1,3)\n", None).await;
    next(&mut peer, &mut seen).await; // START(12)
                                      // The master cannot open changelog.1.mfs.
    peer.send(FromMaster::DownloadInfo(DownloadInfo::Error(0xFF)))
        .await;
    peer.change(6, "1795335904|ACCESS(1)").await;
    peer.change(9, "1795335905|ACCESS(1)").await;
    next(&mut peer, &mut seen).await; // EOF
    let mut peer = accept(listener).await;
    next(&mut peer, &mut seen).await; // REGISTER
    next(&mut peer, &mut seen).await; // START(1)
    seen
}

fn write_cfg(path: &Path, data: &Path, port: u16) {
    std::fs::create_dir_all(data).unwrap();
    std::fs::write(
        path,
        format!(
            "WORKING_USER = root\nWORKING_GROUP = root\nNICE_LEVEL = 0\nDATA_PATH = {}\n\
             MASTER_HOST = 127.0.0.1\nMASTER_PORT = {port}\nSYSLOG_IDENT = mfsmeta-diff\n",
            data.display()
        ),
    )
    .unwrap();
}

/// Runs `scenario` against the real mfsmetalogger, then against our session; `None` when
/// the real one is not installed.
async fn both(scenario: Scenario) -> Option<(Vec<Seen>, Vec<Seen>)> {
    if !super::real_master_tests::real_mfs("mfsmetalogger") {
        return None;
    }
    let dir = std::env::temp_dir().join(format!(
        "mfsmeta-session-diff-{}-{scenario:?}",
        std::process::id()
    ));
    let _ = std::fs::remove_dir_all(&dir);

    // The real one.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let cfg = dir.join("mfsmetalogger.cfg");
    write_cfg(&cfg, &dir.join("real"), port);
    let mut child = Command::new("mfsmetalogger")
        .arg("-f")
        .arg("-c")
        .arg(&cfg)
        .arg("start")
        .stdin(Stdio::null())
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .unwrap();
    let real = script(&listener, scenario).await;
    // SAFETY: kill(2) on the pid of a child this test started and has not reaped.
    unsafe {
        libc::kill(child.id() as libc::pid_t, libc::SIGTERM);
    }
    let _ = child.wait();

    // Ours.
    let listener = TcpListener::bind("127.0.0.1:0").await.unwrap();
    let port = listener.local_addr().unwrap().port();
    let data: PathBuf = dir.join("ours");
    std::fs::create_dir_all(&data).unwrap();
    let store = Store::open(
        &data,
        StoreSettings {
            back_logs: 50,
            back_meta_keep_previous: 3,
        },
    )
    .unwrap();
    let config = Config {
        master_host: "127.0.0.1".into(),
        master_port: port.to_string(),
        data_path: data,
        ..Config::default()
    };
    let (control, rx) = mpsc::channel(1);
    let task: tokio::task::JoinHandle<Result<(), RunError>> =
        tokio::spawn(super::run(config, store, rx));
    let ours = script(&listener, scenario).await;
    control.send(Control::Shutdown).await.unwrap();
    task.await.unwrap().unwrap();
    if std::env::var_os("MFSMETA_KEEP_TMP").is_none() {
        let _ = std::fs::remove_dir_all(&dir);
    }
    Some((real, ours))
}

fn types(seen: &[Seen]) -> Vec<Option<u32>> {
    seen.iter().map(|f| f.as_ref().map(|f| f.0)).collect()
}

#[tokio::test]
async fn real_metalogger_and_session_send_the_same_frames() {
    let Some((real, ours)) = both(Scenario::ChainAndGap).await else {
        return;
    };
    assert_eq!(types(&ours), types(&real));
    assert!(ours == real, "same types, different payloads");
    // The scenario ran as intended.
    let request = Some(ANTOMA_DOWNLOAD_REQUEST);
    let start = Some(ANTOMA_DOWNLOAD_START);
    let end = Some(ANTOMA_DOWNLOAD_END);
    let register = Some(ANTOMA_REGISTER);
    assert_eq!(
        types(&real),
        [
            register, start, request, request, request, request, end, start, request, end, start,
            None, register, start
        ]
    );
    assert_eq!(
        real[3],
        Some((
            ANTOMA_DOWNLOAD_REQUEST,
            [&1_000_000u64.to_be_bytes()[..], &1_000_000u32.to_be_bytes()].concat()
        ))
    );
    assert_eq!(real[3], real[4]);
    assert_eq!(real[7], Some((ANTOMA_DOWNLOAD_START, vec![11])));
    assert_eq!(real[10], Some((ANTOMA_DOWNLOAD_START, vec![12])));
    assert_eq!(real[12].as_ref().map(|f| f.1[0]), Some(1));
}

#[tokio::test]
async fn real_metalogger_and_session_give_up_a_block_and_resume_alike() {
    let Some((real, ours)) = both(Scenario::BadBlocksAndUnknownType).await else {
        return;
    };
    assert_eq!(types(&ours), types(&real));
    assert!(ours == real, "same types, different payloads");
    let request = Some(ANTOMA_DOWNLOAD_REQUEST);
    assert_eq!(
        types(&real),
        [
            Some(ANTOMA_REGISTER),
            Some(ANTOMA_DOWNLOAD_START),
            request,
            request,
            request,
            request,
            request,
            request,
            Some(ANTOMA_DOWNLOAD_END),
            None,
            Some(ANTOMA_REGISTER)
        ]
    );
    // rver 2 from the change after 5, as captured from 3.0.117.
    assert_eq!(
        real.last(),
        Some(&Some((
            ANTOMA_REGISTER,
            vec![2, 0, 3, 0, 0xEA, 0, 10, 0, 0, 0, 0, 0, 0, 0, 6]
        )))
    );
}
