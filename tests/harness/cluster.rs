//! A real MooseFS 3.0.117 cluster: master, chunkserver and metalogger in a network namespace
//! of their own, each with its own folder under one temporary folder.
//!
//! Layout of [`Cluster::tmp_dir`]:
//!
//! ```text
//! mfsmaster.cfg  mfsexports.cfg  mfstopology.cfg  mfschunkserver.cfg  mfshdd.cfg
//! mfsmetalogger.cfg  master.faketime (with ClusterOptions::master_faketime)
//! master/   the master's DATA_PATH          master.log       its output (-f)
//! hdd/      the chunkserver's only disk     chunkserver/     its DATA_PATH
//! metalogger/  the metalogger's DATA_PATH   chunkserver.log  metalogger.log
//! run-N/    one folder per workload (mount points, control files, output)
//! ```
//!
//! Calling order: [`Cluster::start`] initialises the metadata and starts the daemons; then any
//! mix of workloads ([`Cluster::run`], [`Cluster::spawn`]), daemon stops and starts, and
//! waits; then optionally [`Cluster::stop_all`] (to look at the stored files). Dropping the
//! cluster stops everything that still runs, in the order chunkserver, master, metalogger,
//! and removes the namespace and the folder.

use std::net::Ipv4Addr;
use std::path::{Path, PathBuf};
use std::time::Duration;

use super::daemon::{Daemon, DaemonKind, READY_MARKER, STOP_TIMEOUT};
use super::error::{io, log_tail, Error, Result};
use super::files::{self, METADATA_EMPTY_PATH};
use super::netns::{NetNs, VethPair};
use super::proc::{self, run_ok, wait_for};
use super::tempdir::TempDir;
use super::workload::{self, RunOptions, RunOutput, Workload};

/// Ports the master listens on (the defaults; the namespace is private, so no clash).
pub const MATOML_PORT: u16 = 9419;
pub const MATOCS_PORT: u16 = 9420;
pub const MATOCL_PORT: u16 = 9421;

/// Space the chunkserver leaves free on its disk (default 256MiB; ours is a plain folder).
pub const HDD_LEAVE_SPACE: &str = "4MiB";

/// Where Debian keeps libfaketime.
const LIBFAKETIME_CANDIDATES: &[&str] = &[
    "/usr/lib/x86_64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/aarch64-linux-gnu/faketime/libfaketime.so.1",
    "/usr/lib/faketime/libfaketime.so.1",
];

/// How the master's first metadata comes to be.
#[derive(Clone, Debug, Default)]
pub enum Init {
    /// Start from the `MFSM NEW` placeholder, start the master once and stop it: a real
    /// version-2 `metadata.mfs` (version 2, after `1: SETMETAID`). Later restores then do not
    /// depend on the wall clock, and the metalogger can download it.
    #[default]
    StartStop,
    /// Leave the `MFSM NEW` placeholder as `metadata.mfs`: the changelog then starts at
    /// `1: …|SETMETAID(…)` on the empty file system. The metalogger cannot use the
    /// placeholder (it keeps a `metadata_ml.tmp`), and a restore takes root's times from the
    /// wall clock.
    New,
    /// Use a copy of this metadata file as `metadata.mfs`.
    Metadata(PathBuf),
}

/// What [`Cluster::start_with`] sets up.
#[derive(Clone, Debug)]
pub struct ClusterOptions {
    pub init: Init,
    /// Start a chunkserver (needed to write file data).
    pub chunkserver: bool,
    /// Start a metalogger.
    pub metalogger: bool,
    /// Run the master under libfaketime, its clock moved with [`Cluster::set_master_clock_offset`].
    pub master_faketime: bool,
    /// Extra `NAME = VALUE` lines for mfsmaster.cfg (later lines win).
    pub master_cfg: Vec<(String, String)>,
    /// Extra lines for mfschunkserver.cfg.
    pub chunkserver_cfg: Vec<(String, String)>,
    /// Extra lines for mfsmetalogger.cfg.
    pub metalogger_cfg: Vec<(String, String)>,
    /// Timeout of each daemon start and of each wait for readiness.
    pub start_timeout: Duration,
}

impl Default for ClusterOptions {
    fn default() -> Self {
        ClusterOptions {
            init: Init::StartStop,
            chunkserver: true,
            metalogger: true,
            master_faketime: false,
            master_cfg: Vec::new(),
            chunkserver_cfg: Vec::new(),
            metalogger_cfg: Vec::new(),
            start_timeout: Duration::from_secs(30),
        }
    }
}

impl ClusterOptions {
    pub fn master_cfg(mut self, name: &str, value: &str) -> Self {
        self.master_cfg.push((name.into(), value.into()));
        self
    }

    pub fn metalogger_cfg(mut self, name: &str, value: &str) -> Self {
        self.metalogger_cfg.push((name.into(), value.into()));
        self
    }

    pub fn chunkserver_cfg(mut self, name: &str, value: &str) -> Self {
        self.chunkserver_cfg.push((name.into(), value.into()));
        self
    }
}

/// See the module documentation. Field order matters: daemons drop before the namespace,
/// and the namespace before the folder.
#[derive(Debug)]
pub struct Cluster {
    chunkserver: Daemon,
    master: Daemon,
    metalogger: Daemon,
    /// A second metalogger next to the real one: a drop-in binary such as our own
    /// (see [`Cluster::start_drop_in_metalogger`]).
    drop_in: Option<Daemon>,
    opts: ClusterOptions,
    addrs: VethPair,
    netns: NetNs,
    tmp: TempDir,
}

impl Cluster {
    /// A cluster with the default options (all three daemons, [`Init::StartStop`]).
    pub fn start() -> Result<Cluster> {
        Cluster::start_with(ClusterOptions::default())
    }

    pub fn start_with(opts: ClusterOptions) -> Result<Cluster> {
        let tmp = TempDir::new("cluster")?;
        let netns = NetNs::create("ns")?;
        let addrs = netns.add_veth_pair()?;
        let root = tmp.path().to_path_buf();
        for sub in ["master", "chunkserver", "hdd", "metalogger"] {
            let d = root.join(sub);
            std::fs::create_dir_all(&d).map_err(io("create folder", &d))?;
        }
        let ns = Some(netns.path());
        let daemon = |kind: DaemonKind, cfg: &str, log: &str| {
            Daemon::new(
                kind,
                root.join(cfg),
                root.join(log),
                ns.clone(),
                root.clone(),
            )
        };
        let mut cluster = Cluster {
            chunkserver: daemon(
                DaemonKind::Chunkserver,
                "mfschunkserver.cfg",
                "chunkserver.log",
            ),
            master: daemon(DaemonKind::Master, "mfsmaster.cfg", "master.log"),
            metalogger: daemon(
                DaemonKind::Metalogger,
                "mfsmetalogger.cfg",
                "metalogger.log",
            ),
            drop_in: None,
            opts,
            addrs,
            netns,
            tmp,
        };
        cluster.write_configs()?;
        if cluster.opts.master_faketime {
            cluster.enable_faketime()?;
        }
        cluster.init_metadata()?;
        cluster.start_master()?;
        if cluster.opts.chunkserver {
            cluster.start_chunkserver()?;
        }
        if cluster.opts.metalogger {
            cluster.start_metalogger()?;
        }
        Ok(cluster)
    }

    fn write_configs(&self) -> Result<()> {
        let root = self.tmp.path();
        let common = |data: &str| {
            vec![
                ("WORKING_USER".to_string(), "root".to_string()),
                ("WORKING_GROUP".into(), "root".into()),
                ("NICE_LEVEL".into(), "0".into()),
                ("DATA_PATH".into(), root.join(data).display().to_string()),
            ]
        };
        let m = self.addrs.master.to_string();
        let c = self.addrs.chunkserver.to_string();

        let mut master = common("master");
        master.extend([
            (
                "EXPORTS_FILENAME".into(),
                root.join("mfsexports.cfg").display().to_string(),
            ),
            (
                "TOPOLOGY_FILENAME".into(),
                root.join("mfstopology.cfg").display().to_string(),
            ),
            ("MATOML_LISTEN_HOST".into(), m.clone()),
            ("MATOML_LISTEN_PORT".into(), MATOML_PORT.to_string()),
            ("MATOCS_LISTEN_HOST".into(), m.clone()),
            ("MATOCS_LISTEN_PORT".into(), MATOCS_PORT.to_string()),
            ("MATOCL_LISTEN_HOST".into(), m.clone()),
            ("MATOCL_LISTEN_PORT".into(), MATOCL_PORT.to_string()),
        ]);
        master.extend(self.opts.master_cfg.iter().cloned());
        write_cfg(&root.join("mfsmaster.cfg"), &master)?;
        write_file(&root.join("mfsexports.cfg"), EXPORTS)?;
        write_file(&root.join("mfstopology.cfg"), "")?;

        let mut cs = common("chunkserver");
        cs.extend([
            (
                "HDD_CONF_FILENAME".into(),
                root.join("mfshdd.cfg").display().to_string(),
            ),
            ("HDD_LEAVE_SPACE_DEFAULT".into(), HDD_LEAVE_SPACE.into()),
            ("MASTER_HOST".into(), m.clone()),
            ("MASTER_PORT".into(), MATOCS_PORT.to_string()),
            ("MASTER_RECONNECTION_DELAY".into(), "1".into()),
            ("BIND_HOST".into(), c.clone()),
            ("CSSERV_LISTEN_HOST".into(), c.clone()),
        ]);
        cs.extend(self.opts.chunkserver_cfg.iter().cloned());
        write_cfg(&root.join("mfschunkserver.cfg"), &cs)?;
        write_file(
            &root.join("mfshdd.cfg"),
            &format!("{}\n", root.join("hdd").display()),
        )?;

        let mut ml = common("metalogger");
        ml.extend([
            ("MASTER_HOST".into(), m),
            ("MASTER_PORT".into(), MATOML_PORT.to_string()),
            ("MASTER_RECONNECTION_DELAY".into(), "1".into()),
            ("BACK_LOGS".into(), "50".into()),
            ("BACK_META_KEEP_PREVIOUS".into(), "3".into()),
            ("META_DOWNLOAD_FREQ".into(), "24".into()),
        ]);
        ml.extend(self.opts.metalogger_cfg.iter().cloned());
        write_cfg(&root.join("mfsmetalogger.cfg"), &ml)
    }

    fn enable_faketime(&mut self) -> Result<()> {
        let lib = LIBFAKETIME_CANDIDATES
            .iter()
            .find(|p| Path::new(p).exists())
            .ok_or_else(|| Error::Unexpected {
                what: "master_faketime".into(),
                detail: "libfaketime.so.1 not found (install the Debian package `faketime`)".into(),
            })?;
        let file = self.faketime_file();
        write_file(&file, "+0\n")?;
        self.master.set_env("LD_PRELOAD", lib);
        self.master
            .set_env("FAKETIME_TIMESTAMP_FILE", &file.display().to_string());
        self.master.set_env("FAKETIME_CACHE_DURATION", "1");
        self.master.set_env("DONT_FAKE_MONOTONIC", "1");
        Ok(())
    }

    fn faketime_file(&self) -> PathBuf {
        self.tmp.path().join("master.faketime")
    }

    /// Moves the master's wall clock `seconds` away from the real one (needs
    /// [`ClusterOptions::master_faketime`]). libfaketime re-reads the offset at most once a
    /// second, so this waits 2 s before it returns. Only the master's clock moves: trash
    /// expiry (EMPTYTRASH), FREEINODES and the hourly store then happen on the master's time.
    pub fn set_master_clock_offset(&self, seconds: i64) -> Result<()> {
        if !self.opts.master_faketime {
            return Err(Error::Unexpected {
                what: "set_master_clock_offset".into(),
                detail: "the cluster was started without ClusterOptions::master_faketime".into(),
            });
        }
        write_file(&self.faketime_file(), &format!("{seconds:+}\n"))?;
        std::thread::sleep(Duration::from_secs(2));
        Ok(())
    }

    fn init_metadata(&mut self) -> Result<()> {
        let target = self.master_data_dir().join("metadata.mfs");
        match self.opts.init.clone() {
            Init::New => copy(Path::new(METADATA_EMPTY_PATH), &target),
            Init::Metadata(src) => copy(&src, &target),
            Init::StartStop => {
                copy(Path::new(METADATA_EMPTY_PATH), &target)?;
                self.start_master()?;
                self.stop_master()
            }
        }
    }

    // ----- daemons -----

    /// Starts the master (no-op if running) and waits until it listens. If a chunkserver or
    /// metalogger is running, also waits until they are connected again.
    pub fn start_master(&mut self) -> Result<()> {
        let ml_offset = self.metalogger.log_len();
        self.master.start(self.opts.start_timeout)?;
        if self.chunkserver.is_running() {
            self.wait_chunkserver_registered()?;
        }
        if self.metalogger.is_running() {
            self.wait_metalogger_connected(ml_offset)?;
        }
        Ok(())
    }

    /// Stops the master with `mfsmaster -c CFG stop`; it stores `metadata.mfs` on the way out.
    pub fn stop_master(&mut self) -> Result<()> {
        self.master.stop(STOP_TIMEOUT)
    }

    /// Stop then start. Done from the test process, whose cwd is never on a mount.
    pub fn restart_master(&mut self) -> Result<()> {
        self.stop_master()?;
        self.start_master()
    }

    /// Starts the chunkserver and waits until the master lists it.
    pub fn start_chunkserver(&mut self) -> Result<()> {
        self.chunkserver.start(self.opts.start_timeout)?;
        if self.master.is_running() {
            self.wait_chunkserver_registered()?;
        }
        Ok(())
    }

    pub fn stop_chunkserver(&mut self) -> Result<()> {
        self.chunkserver.stop(STOP_TIMEOUT)
    }

    /// Starts the metalogger and, if the master runs, waits until it has connected and
    /// finished its start-up download (metadata, then the master's two changelogs).
    pub fn start_metalogger(&mut self) -> Result<()> {
        let offset = self.metalogger.log_len();
        self.metalogger.start(self.opts.start_timeout)?;
        if self.master.is_running() {
            self.wait_metalogger_connected(offset)?;
            let timeout = self.opts.start_timeout;
            let ml = &self.metalogger;
            wait_for(
                "metalogger start-up download",
                timeout,
                Some(ml.log()),
                || {
                    Ok(ml
                        .log_since(offset)
                        .contains("changelog_1 downloaded")
                        .then_some(()))
                },
            )?;
        }
        Ok(())
    }

    pub fn stop_metalogger(&mut self) -> Result<()> {
        self.metalogger.stop(STOP_TIMEOUT)
    }

    /// Stops everything in the safe order: chunkserver; then, if both run, waits until the
    /// metalogger has every change (the chunkserver's stop logs one); master (stores
    /// metadata); metalogger. Every stop is tried; the first error is returned.
    pub fn stop_all(&mut self) -> Result<()> {
        let mut first: Option<Error> = None;
        let mut note = |r: Result<()>| {
            if let Err(e) = r {
                first.get_or_insert(e);
            }
        };
        note(self.chunkserver.stop(STOP_TIMEOUT));
        if self.master.is_running() && self.metalogger.is_running() {
            note(
                self.wait_metalogger_caught_up(Duration::from_secs(30))
                    .map(drop),
            );
        }
        note(self.master.stop(STOP_TIMEOUT));
        note(self.metalogger.stop(STOP_TIMEOUT));
        first.map_or(Ok(()), Err)
    }

    pub fn master_running(&mut self) -> bool {
        self.master.is_running()
    }

    pub fn chunkserver_running(&mut self) -> bool {
        self.chunkserver.is_running()
    }

    pub fn metalogger_running(&mut self) -> bool {
        self.metalogger.is_running()
    }

    /// Pids of the daemons we currently run (master, chunkserver, metalogger order).
    pub fn daemon_pids(&self) -> Vec<u32> {
        [&self.master, &self.chunkserver, &self.metalogger]
            .iter()
            .filter_map(|d| d.pid())
            .collect()
    }

    // ----- a drop-in metalogger next to the real one -----

    /// Starts `program` (a drop-in for `mfsmetalogger`, e.g. our `metalogger`) as a second
    /// metalogger of this master, in the namespace, with `-f -c drop-in-metalogger.cfg`.
    /// Its config is the real metalogger's (same master, same options) plus `extra`, with its
    /// own DATA_PATH `drop-in-metalogger/` and log `drop-in-metalogger.log`. It counts as
    /// started when its log says `daemon initialized properly` or `connected to Master`;
    /// if the master runs, this then waits for its start-up download as for the real one.
    /// Later calls restart the same daemon (the config is rewritten). Stopped on drop, after
    /// the real metalogger.
    pub fn start_drop_in_metalogger(
        &mut self,
        program: &Path,
        extra: &[(&str, &str)],
    ) -> Result<()> {
        let root = self.tmp.path().to_path_buf();
        let data = self.drop_in_metalogger_data_dir();
        std::fs::create_dir_all(&data).map_err(io("create folder", &data))?;
        let mut lines: Vec<(String, String)> = vec![
            ("WORKING_USER".into(), "root".into()),
            ("WORKING_GROUP".into(), "root".into()),
            ("NICE_LEVEL".into(), "0".into()),
            ("DATA_PATH".into(), data.display().to_string()),
            ("MASTER_HOST".into(), self.addrs.master.to_string()),
            ("MASTER_PORT".into(), MATOML_PORT.to_string()),
            ("MASTER_RECONNECTION_DELAY".into(), "1".into()),
            ("BACK_LOGS".into(), "50".into()),
            ("BACK_META_KEEP_PREVIOUS".into(), "3".into()),
            ("META_DOWNLOAD_FREQ".into(), "24".into()),
        ];
        lines.extend(self.opts.metalogger_cfg.iter().cloned());
        lines.extend(extra.iter().map(|(k, v)| (k.to_string(), v.to_string())));
        let cfg = root.join("drop-in-metalogger.cfg");
        write_cfg(&cfg, &lines)?;
        if self.drop_in.is_none() {
            self.drop_in = Some(
                Daemon::new(
                    DaemonKind::Metalogger,
                    cfg,
                    root.join("drop-in-metalogger.log"),
                    Some(self.netns.path()),
                    root.clone(),
                )
                .with_program(program, &[READY_MARKER, "connected to Master"]),
            );
        }
        let timeout = self.opts.start_timeout;
        let master_running = self.master.is_running();
        let d = self.drop_in.as_mut().ok_or_else(|| Error::Unexpected {
            what: "drop-in metalogger".into(),
            detail: "not set up".into(),
        })?;
        let offset = d.log_len();
        d.start(timeout)?;
        if master_running {
            let d = &*d;
            wait_for(
                "drop-in metalogger connecting to the master",
                timeout,
                Some(d.log()),
                || {
                    Ok(d.log_since(offset)
                        .contains("connected to Master")
                        .then_some(()))
                },
            )?;
        }
        Ok(())
    }

    /// Stops the drop-in metalogger with its own `stop` action.
    pub fn stop_drop_in_metalogger(&mut self) -> Result<()> {
        match self.drop_in.as_mut() {
            Some(d) => d.stop(STOP_TIMEOUT),
            None => Ok(()),
        }
    }

    /// `kill -9` of the drop-in metalogger (no clean-up on its side).
    pub fn kill9_drop_in_metalogger(&mut self) {
        if let Some(d) = self.drop_in.as_mut() {
            d.kill_hard();
        }
    }

    pub fn drop_in_metalogger_running(&mut self) -> bool {
        self.drop_in.as_mut().is_some_and(Daemon::is_running)
    }

    pub fn drop_in_metalogger_data_dir(&self) -> PathBuf {
        self.tmp.path().join("drop-in-metalogger")
    }

    /// The drop-in metalogger's log (everything it printed, over all its starts).
    pub fn drop_in_metalogger_log(&self) -> PathBuf {
        self.tmp.path().join("drop-in-metalogger.log")
    }

    /// Waits until the drop-in metalogger's folder holds the master's last change (see
    /// [`files::metalogger_last_id`]); returns that id.
    pub fn wait_drop_in_metalogger_caught_up(&self, timeout: Duration) -> Result<u64> {
        let dir = self.drop_in_metalogger_data_dir();
        let log = self.drop_in_metalogger_log();
        wait_for(
            "drop-in metalogger catching up with the master",
            timeout,
            Some(&log),
            || {
                let next = self.master_version()?;
                let have = files::metalogger_last_id(&dir)?;
                Ok(match have {
                    Some(id) if id + 1 >= next => Some(id),
                    _ => None,
                })
            },
        )
    }

    // ----- waits and queries -----

    /// `mfscli ARGS` against our master, run inside the namespace; returns stdout.
    pub fn mfscli(&self, args: &[&str]) -> Result<String> {
        let prog = proc::program("mfscli")?;
        let mut cmd = self.netns.nsenter(&prog.display().to_string());
        cmd.arg("-H")
            .arg(self.addrs.master.to_string())
            .arg("-P")
            .arg(MATOCL_PORT.to_string())
            .args(args)
            .current_dir(self.tmp.path());
        Ok(run_ok(
            &mut cmd,
            &format!("mfscli {}", args.join(" ")),
            Duration::from_secs(30),
        )?
        .stdout_text())
    }

    /// The master's current metadata version (`mfscli -SIM`), i.e. the id its next change
    /// will get. The last change logged is this minus 1.
    pub fn master_version(&self) -> Result<u64> {
        let out = self.mfscli(&["-SIM"])?;
        // `metadata servers:\t<ip>\t<version>\t<state>\t<local time>\t<metadata version>\t…`
        out.lines()
            .find(|l| l.starts_with("metadata servers:"))
            .and_then(|l| l.split('\t').nth(5))
            // mfscli groups the digits of large numbers with spaces (`1 643`).
            .and_then(|v| v.replace(' ', "").parse().ok())
            .ok_or_else(|| Error::Unexpected {
                what: "mfscli -SIM".into(),
                detail: format!("no metadata version in:\n{out}"),
            })
    }

    /// Waits until the metalogger's folder holds the master's last change (see
    /// [`files::metalogger_last_id`]); returns that id. Both must be running.
    pub fn wait_metalogger_caught_up(&self, timeout: Duration) -> Result<u64> {
        let dir = self.metalogger_data_dir();
        wait_for(
            "metalogger catching up with the master",
            timeout,
            Some(self.metalogger.log()),
            || {
                let next = self.master_version()?;
                let have = files::metalogger_last_id(&dir)?;
                Ok(match have {
                    Some(id) if id + 1 >= next => Some(id),
                    None if next <= 1 => Some(0),
                    _ => None,
                })
            },
        )
    }

    /// Waits until `mfscli -SCS` lists our chunkserver with its disk space reported (it
    /// registers first and reports space a moment later; writes need the space).
    fn wait_chunkserver_registered(&self) -> Result<()> {
        let ip = self.addrs.chunkserver.to_string();
        let log = self.chunkserver.log();
        let what = "chunkserver registering with the master";
        wait_for(what, self.opts.start_timeout, Some(log), || {
            let out = self.mfscli(&["-SCS"])?;
            // `chunk servers:\t<ip>\t<port>\t<id>\t<labels>\t<version>\t<chunks>\t<maintenance>\t
            // <errors>\t<used space>\t<total space>\t…`
            Ok(out
                .lines()
                .map(|l| l.split('\t').collect::<Vec<_>>())
                .any(|f| {
                    f.first() == Some(&"chunk servers:")
                        && f.get(1) == Some(&ip.as_str())
                        && f.get(10)
                            .and_then(|t| t.parse::<u64>().ok())
                            .is_some_and(|t| t > 0)
                })
                .then_some(()))
        })
    }

    fn wait_metalogger_connected(&self, offset: u64) -> Result<()> {
        let ml = &self.metalogger;
        wait_for(
            "metalogger connecting to the master",
            self.opts.start_timeout,
            Some(ml.log()),
            || {
                Ok(ml
                    .log_since(offset)
                    .contains("connected to Master")
                    .then_some(()))
            },
        )
    }

    // ----- workloads -----

    /// Runs a bash script inside the namespace with the cluster mounted at `$MFS_MNT` (its
    /// cwd), waits for it (default timeout 120 s) and fails if it fails. See
    /// [`super::workload`] for the script's environment and helpers.
    pub fn run(&self, script: &str) -> Result<RunOutput> {
        self.run_with(script, RunOptions::default())
    }

    pub fn run_with(&self, script: &str, opts: RunOptions) -> Result<RunOutput> {
        let timeout = opts.timeout;
        self.spawn_with(script, opts)?.wait(timeout)
    }

    /// Starts a workload and returns at once; talk to it with marks and signals.
    pub fn spawn(&self, script: &str) -> Result<Workload> {
        self.spawn_with(script, RunOptions::default())
    }

    pub fn spawn_with(&self, script: &str, opts: RunOptions) -> Result<Workload> {
        workload::spawn(self, script, opts)
    }

    // ----- accessors -----

    pub fn tmp_dir(&self) -> &Path {
        self.tmp.path()
    }

    pub fn master_data_dir(&self) -> PathBuf {
        self.tmp.path().join("master")
    }

    pub fn metalogger_data_dir(&self) -> PathBuf {
        self.tmp.path().join("metalogger")
    }

    pub fn chunkserver_data_dir(&self) -> PathBuf {
        self.tmp.path().join("chunkserver")
    }

    pub fn master_cfg(&self) -> &Path {
        self.master.cfg()
    }

    pub fn master_log(&self) -> &Path {
        self.master.log()
    }

    pub fn metalogger_log(&self) -> &Path {
        self.metalogger.log()
    }

    pub fn chunkserver_log(&self) -> &Path {
        self.chunkserver.log()
    }

    /// The master's address (inside the namespace); clients use port [`MATOCL_PORT`].
    pub fn master_addr(&self) -> Ipv4Addr {
        self.addrs.master
    }

    pub fn chunkserver_addr(&self) -> Ipv4Addr {
        self.addrs.chunkserver
    }

    pub fn netns(&self) -> &NetNs {
        &self.netns
    }

    /// A log tail of every daemon, for failure messages.
    pub fn logs_tail(&self) -> String {
        [&self.master, &self.chunkserver, &self.metalogger]
            .iter()
            .map(|d| format!("--- {} ---\n{}", d.log().display(), log_tail(d.log())))
            .collect::<Vec<_>>()
            .join("\n")
    }
}

impl Drop for Cluster {
    fn drop(&mut self) {
        // Order: chunkserver, master, metalogger, drop-in metalogger. Errors are printed, not
        // raised.
        for d in [
            Some(&mut self.chunkserver),
            Some(&mut self.master),
            Some(&mut self.metalogger),
            self.drop_in.as_mut(),
        ]
        .into_iter()
        .flatten()
        {
            if d.pid().is_some() {
                if let Err(e) = d.stop(Duration::from_secs(30)) {
                    eprintln!("harness: {e}");
                }
                d.kill();
            }
        }
        // The namespace and the folder go with the remaining fields.
    }
}

/// Exports: everything read-write for root, plus the meta file system (`.`) for
/// `mfsmount -o mfsmeta`. `admin` lets `mfsscadmin` create storage classes.
pub const EXPORTS: &str = "*\t/\trw,alldirs,admin,maproot=0\n*\t.\trw\n";

fn write_cfg(path: &Path, lines: &[(String, String)]) -> Result<()> {
    let text: String = lines.iter().map(|(k, v)| format!("{k} = {v}\n")).collect();
    write_file(path, &text)
}

fn write_file(path: &Path, text: &str) -> Result<()> {
    std::fs::write(path, text).map_err(io("write", path))
}

fn copy(src: &Path, dest: &Path) -> Result<()> {
    std::fs::copy(src, dest).map(drop).map_err(io("copy", src))
}
