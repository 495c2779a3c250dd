//! A network namespace of our own, with one veth pair inside it.
//!
//! The chunkserver refuses a master on 127.x, so a cluster that stores file data needs real
//! addresses. Both ends of the veth pair live inside the namespace, in a /24 that exists only
//! there, so no packet can leave it.

use std::net::Ipv4Addr;
use std::path::PathBuf;
use std::process::Command;
use std::time::{Duration, Instant};

use super::error::{Error, Result};
use super::proc::{self, kill_pid, pid_alive, run_ok};
use super::tempdir::{unique_name, unique_number};

/// Timeout of each `ip` command.
const IP_TIMEOUT: Duration = Duration::from_secs(20);

/// The namespace, deleted on drop together with every process still in it.
///
/// Only the harness puts processes into a namespace it named uniquely, so every process found
/// there at drop time was started by this harness (daemons, `mfsmount`, workload shells).
#[derive(Debug)]
pub struct NetNs {
    name: String,
}

/// Addresses of the two veth ends.
#[derive(Clone, Copy, Debug)]
pub struct VethPair {
    /// The master (and metalogger) side.
    pub master: Ipv4Addr,
    /// The chunkserver side.
    pub chunkserver: Ipv4Addr,
}

impl NetNs {
    /// Creates `mfsmeta-<pid>-<n>-<label>` with `lo` up.
    pub fn create(label: &str) -> Result<NetNs> {
        let name = unique_name(label);
        ip(&["netns", "add", &name], "create network namespace")?;
        let ns = NetNs { name };
        ip(&["-n", &ns.name, "link", "set", "lo", "up"], "bring lo up")?;
        Ok(ns)
    }

    /// Adds a veth pair with both ends inside the namespace, addressed in
    /// `10.231.X.0/24`, X chosen per namespace.
    pub fn add_veth_pair(&self) -> Result<VethPair> {
        let x = 1 + (std::process::id().wrapping_add(unique_number()) % 250) as u8;
        let pair = VethPair {
            master: Ipv4Addr::new(10, 231, x, 1),
            chunkserver: Ipv4Addr::new(10, 231, x, 2),
        };
        let n = self.name.as_str();
        ip(
            &[
                "-n", n, "link", "add", "mfs-m", "type", "veth", "peer", "name", "mfs-c",
            ],
            "add veth",
        )?;
        ip(
            &[
                "-n",
                n,
                "addr",
                "add",
                &format!("{}/24", pair.master),
                "dev",
                "mfs-m",
            ],
            "address",
        )?;
        ip(
            &[
                "-n",
                n,
                "addr",
                "add",
                &format!("{}/24", pair.chunkserver),
                "dev",
                "mfs-c",
            ],
            "address",
        )?;
        ip(&["-n", n, "link", "set", "mfs-m", "up"], "veth up")?;
        ip(&["-n", n, "link", "set", "mfs-c", "up"], "veth up")?;
        Ok(pair)
    }

    pub fn name(&self) -> &str {
        &self.name
    }

    /// `/var/run/netns/<name>`, for `nsenter --net=`.
    pub fn path(&self) -> PathBuf {
        PathBuf::from("/var/run/netns").join(&self.name)
    }

    /// Pids of the processes inside the namespace.
    pub fn pids(&self) -> Vec<u32> {
        pids_of(&self.name)
    }

    /// A command that runs `program` with only its network namespace switched.
    pub fn nsenter(&self, program: &str) -> Command {
        let mut cmd = Command::new("nsenter");
        cmd.arg(format!("--net={}", self.path().display()))
            .arg("--")
            .arg(program);
        cmd
    }

    /// Kills what is left inside: TERM, then KILL after `grace`.
    pub fn kill_all(&self, grace: Duration) {
        let pids = self.pids();
        if pids.is_empty() {
            return;
        }
        for &pid in &pids {
            kill_pid(pid, "TERM");
        }
        let deadline = Instant::now() + grace;
        while Instant::now() < deadline && self.pids().iter().any(|&p| pid_alive(p)) {
            std::thread::sleep(proc::POLL);
        }
        for pid in self.pids() {
            kill_pid(pid, "KILL");
        }
    }
}

impl Drop for NetNs {
    fn drop(&mut self) {
        let left = self.pids();
        if !left.is_empty() {
            eprintln!(
                "harness: netns {}: killing leftover pids {left:?}",
                self.name
            );
            self.kill_all(Duration::from_secs(3));
            let deadline = Instant::now() + Duration::from_secs(5);
            while Instant::now() < deadline && !self.pids().is_empty() {
                std::thread::sleep(proc::POLL);
            }
        }
        if let Err(e) = ip(&["netns", "delete", &self.name], "delete network namespace") {
            eprintln!("harness: {e}");
        }
    }
}

/// Pids inside the namespace called `name` (empty if it does not exist).
pub fn pids_of(name: &str) -> Vec<u32> {
    let out = proc::run(
        Command::new("ip").args(["netns", "pids", name]),
        "ip netns pids",
        IP_TIMEOUT,
    );
    match out {
        Ok(out) if out.status.success() => out
            .stdout_text()
            .split_whitespace()
            .filter_map(|p| p.parse().ok())
            .collect(),
        _ => Vec::new(),
    }
}

/// Names of existing namespaces that start with `prefix`.
pub fn list_with_prefix(prefix: &str) -> Result<Vec<String>> {
    let out = run_ok(
        Command::new("ip").args(["netns", "list"]),
        "ip netns list",
        IP_TIMEOUT,
    )?;
    Ok(out
        .stdout_text()
        .lines()
        .filter_map(|l| l.split_whitespace().next())
        .filter(|n| n.starts_with(prefix))
        .map(str::to_string)
        .collect())
}

fn ip(args: &[&str], what: &str) -> Result<()> {
    run_ok(
        Command::new("ip").args(args),
        &format!("{what} (ip {})", args.join(" ")),
        IP_TIMEOUT,
    )
    .map(drop)
    .map_err(|e| match e {
        Error::Failed {
            what,
            status,
            log,
            tail,
        } => Error::Failed {
            what: format!("{what} (are we root?)"),
            status,
            log,
            tail,
        },
        e => e,
    })
}
