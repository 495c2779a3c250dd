//! The session against a real MooseFS 3.0.117 `mfsmaster` on 127.0.0.1 (skipped unless
//! run as root with the Debian package installed; under `CI=true` a missing package is a
//! failure): the master accepts our REGISTER, the download chain 1 → 11 → 12 copies its
//! files byte for byte, a master restart is seen as a reset and the next tick registers
//! again.

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use tokio::sync::mpsc;

use super::tests::FakeStore;
use super::{run_with, Control, Tuning};
use crate::format::wire::FileNum;
use crate::metalogger::config::Config;

/// Whether `/usr/sbin/<program>` can be run here as root: false (the test skips) when not
/// root or not installed; a missing program under `CI=true` fails the test instead.
pub(super) fn real_mfs(program: &str) -> bool {
    let installed = Path::new("/usr/sbin").join(program).exists();
    if !installed && std::env::var("CI").is_ok_and(|v| v == "true") {
        panic!("{program} is missing and CI=true: install the MooseFS 3.0.117 packages");
    }
    // SAFETY: geteuid has no preconditions.
    let root = unsafe { libc::geteuid() } == 0;
    if !installed || !root {
        eprintln!("skipped: needs root and {program} 3.0.117");
    }
    installed && root
}

/// A master in a temporary folder; stopped and removed on drop.
struct Master {
    dir: PathBuf,
    cfg: PathBuf,
}

impl Master {
    fn new(ports: [u16; 3]) -> Master {
        // One folder per master: the tests of this file run in parallel in one process.
        let dir = std::env::temp_dir().join(format!(
            "mfsmeta-session-real-{}-{}",
            std::process::id(),
            ports[0]
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(dir.join("data")).unwrap();
        let cfg = dir.join("mfsmaster.cfg");
        let [ml, cs, cl] = ports;
        let d = dir.display();
        std::fs::write(
            &cfg,
            format!(
                "WORKING_USER = root\nWORKING_GROUP = root\nNICE_LEVEL = 0\n\
                 DATA_PATH = {d}/data\nEXPORTS_FILENAME = {d}/mfsexports.cfg\n\
                 TOPOLOGY_FILENAME = {d}/mfstopology.cfg\nSYSLOG_IDENT = mfsmeta-session-test\n\
                 MATOML_LISTEN_HOST = 127.0.0.1\nMATOML_LISTEN_PORT = {ml}\n\
                 MATOCS_LISTEN_HOST = 127.0.0.1\nMATOCS_LISTEN_PORT = {cs}\n\
                 MATOCL_LISTEN_HOST = 127.0.0.1\nMATOCL_LISTEN_PORT = {cl}\n"
            ),
        )
        .unwrap();
        std::fs::write(dir.join("mfsexports.cfg"), "* / rw,alldirs,maproot=0\n").unwrap();
        std::fs::write(dir.join("mfstopology.cfg"), "").unwrap();
        std::fs::copy(
            "/var/lib/mfs/metadata.mfs.empty",
            dir.join("data/metadata.mfs"),
        )
        .unwrap();
        Master { dir, cfg }
    }

    fn action(&self, action: &str) {
        let out = Command::new("timeout")
            .arg("30")
            .arg("mfsmaster")
            .arg("-c")
            .arg(&self.cfg)
            .arg(action)
            .output()
            .unwrap();
        assert!(out.status.success(), "mfsmaster {action}: {out:?}");
    }

    fn data(&self, name: &str) -> Vec<u8> {
        std::fs::read(self.dir.join("data").join(name)).unwrap_or_default()
    }
}

impl Drop for Master {
    fn drop(&mut self) {
        let _ = Command::new("timeout")
            .arg("30")
            .arg("mfsmaster")
            .arg("-c")
            .arg(&self.cfg)
            .arg("stop")
            .output();
        if std::env::var_os("MFSMETA_KEEP_TMP").is_none() {
            let _ = std::fs::remove_dir_all(&self.dir);
        }
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .unwrap()
        .local_addr()
        .unwrap()
        .port()
}

async fn wait_for(store: &FakeStore, files: usize) {
    for _ in 0..200 {
        if store.state().finished.len() >= files {
            return;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    panic!("only {:?} downloaded", store.state().finished.len());
}

#[tokio::test]
async fn real_master_serves_the_chain_and_a_restart_reregisters() {
    if !real_mfs("mfsmaster") {
        return;
    }
    let port = free_port();
    let master = Master::new([port, free_port(), free_port()]);
    // A first start and stop turns the MFSM NEW placeholder into a real image.
    master.action("start");
    master.action("stop");
    master.action("start");
    let store = FakeStore::default();
    let (control, rx) = mpsc::channel(1);
    let config = Config {
        master_host: "127.0.0.1".into(),
        master_port: port.to_string(),
        bind_host: "127.0.0.1".into(),
        master_reconnection_delay: 1,
        ..Config::default()
    };
    let task = tokio::spawn(run_with(config, store.clone(), rx, Tuning::default()));
    wait_for(&store, 3).await;
    {
        let s = store.state();
        let files: Vec<FileNum> = s.finished.iter().map(|f| f.0).collect();
        assert_eq!(
            files,
            [FileNum::Metadata, FileNum::Changelog0, FileNum::Changelog1]
        );
        assert!(s.finished[0].1.starts_with(b"MFSM 2.0"));
        assert!(s.finished[0].1 == master.data("metadata.mfs.back"));
        assert_eq!(s.finished[1].1, master.data("changelog.0.mfs"));
        assert_eq!(s.finished[2].1, master.data("changelog.1.mfs"));
    }
    master.action("stop");
    master.action("start");
    // Nothing was logged (no clients), so the new registration is rver 1 with a download.
    wait_for(&store, 6).await;
    control.send(Control::Shutdown).await.unwrap();
    task.await.unwrap().unwrap();
    assert_eq!(store.state().aborted, 0);
}

#[tokio::test]
async fn real_master_files_reach_the_real_store() {
    use crate::metalogger::status::Status;
    use crate::metalogger::store::{Store, StoreSettings};

    if !real_mfs("mfsmaster") {
        return;
    }
    let port = free_port();
    let master = Master::new([port, free_port(), free_port()]);
    master.action("start");
    master.action("stop");
    master.action("start");
    let data = master.dir.join("ml");
    std::fs::create_dir_all(&data).unwrap();
    let store = Store::open(
        &data,
        StoreSettings {
            back_logs: 50,
            back_meta_keep_previous: 3,
        },
    )
    .unwrap();
    let (control, rx) = mpsc::channel(1);
    let config = Config {
        master_host: "localhost".into(),
        master_port: port.to_string(),
        master_reconnection_delay: 1,
        data_path: data.clone(),
        ..Config::default()
    };
    let task = tokio::spawn(super::run(config, store, rx));
    let wanted = [
        ("metadata_ml.mfs.back", "metadata.mfs.back"),
        ("changelog_ml_back.0.mfs", "changelog.0.mfs"),
        ("changelog_ml_back.1.mfs", "changelog.1.mfs"),
    ];
    for _ in 0..200 {
        if wanted.iter().all(|(ours, _)| data.join(ours).exists()) {
            break;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
    for (ours, theirs) in wanted {
        assert!(
            std::fs::read(data.join(ours)).unwrap() == master.data(theirs),
            "{ours} differs from the master's {theirs}"
        );
    }
    tokio::time::sleep(Duration::from_millis(1100)).await;
    let status = Status::read_from(&data).unwrap();
    assert!(status.connected);
    assert_eq!(status.master, format!("localhost:{port}"));
    assert_eq!(status.pid, std::process::id());
    assert_eq!(
        status.last_download.map(|d| (d.file, d.result)),
        Some(("changelog_1".to_string(), "ok".to_string()))
    );
    control.send(Control::Shutdown).await.unwrap();
    task.await.unwrap().unwrap();
    assert!(!Status::read_from(&data).unwrap().connected);
}
