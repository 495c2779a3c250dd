//! Opening the TCP connection to the master as `masterconn_initconnect` does (spec
//! metalogger-protocol.md §1, §6, §7): IPv4 only, `BIND_HOST` unless `*`, a connect that
//! may take at most 1 s, `TCP_NODELAY`, and mfsmetalogger's log lines.

use crate::metalogger::errno::errno_text;
use std::net::{Ipv4Addr, SocketAddr, SocketAddrV4};
use std::time::Duration;

use tokio::net::{TcpSocket, TcpStream};

use crate::metalogger::log::Level;
use crate::ml_log;

/// The longest a connect may stay pending (fixed in mfsmetalogger).
pub(crate) const CONNECT_TIMEOUT: Duration = Duration::from_secs(1);

/// Where to connect from and to (`MASTER_HOST`, `MASTER_PORT`, `BIND_HOST`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub(crate) struct Endpoint {
    pub(crate) host: String,
    pub(crate) port: String,
    pub(crate) bind: String,
}

/// How a connect attempt failed (already logged).
#[derive(Debug)]
pub(crate) enum ConnectFailure {
    /// Before any packet left: the name did not resolve, or the socket could not be made or
    /// bound. At start-up this ends the daemon, as in mfsmetalogger.
    Setup(String),
    /// The master refused, or did not answer within the connect timeout.
    Refused,
}

/// The resolved addresses, kept across plain disconnects and dropped after a failed connect
/// or a reload (`masteraddrvalid`).
#[derive(Debug, Default)]
pub(crate) struct Resolved {
    master: Option<SocketAddrV4>,
    bind: Option<Ipv4Addr>,
}

impl Resolved {
    /// Forgets the addresses: the next connect resolves again.
    pub(crate) fn forget(&mut self) {
        self.master = None;
        self.bind = None;
    }
}

/// One connect attempt, with mfsmetalogger's messages.
pub(crate) async fn connect(
    endpoint: &Endpoint,
    cache: &mut Resolved,
    timeout: Duration,
) -> Result<TcpStream, ConnectFailure> {
    let master = match cache.master {
        Some(addr) => addr,
        None => {
            cache.bind = if endpoint.bind == "*" {
                None
            } else {
                resolve(&endpoint.bind, "0").await.map(|a| *a.ip())
            };
            match resolve(&endpoint.host, &endpoint.port).await {
                Some(addr) => {
                    cache.master = Some(addr);
                    addr
                }
                None => {
                    let msg = format!(
                        "can't resolve master host/port ({}:{})",
                        endpoint.host, endpoint.port
                    );
                    ml_log!(Level::Warning, "{msg}");
                    return Err(ConnectFailure::Setup(msg));
                }
            }
        }
    };
    let socket = match TcpSocket::new_v4() {
        Ok(s) => s,
        Err(e) => {
            let msg = format!("create socket, error: {}", errno_text(&e));
            ml_log!(Level::Warning, "{msg}");
            return Err(ConnectFailure::Setup(msg));
        }
    };
    if let Some(ip) = cache.bind.filter(|ip| !ip.is_unspecified()) {
        if let Err(e) = socket.bind(SocketAddr::V4(SocketAddrV4::new(ip, 0))) {
            let msg = format!("can't bind socket to given ip: {}", errno_text(&e));
            ml_log!(Level::Warning, "{msg}");
            return Err(ConnectFailure::Setup(msg));
        }
    }
    ml_log!(Level::Notice, "connecting ...");
    match tokio::time::timeout(timeout, socket.connect(SocketAddr::V4(master))).await {
        Ok(Ok(stream)) => {
            // As in MooseFS, a failure to set TCP_NODELAY is not worth a message.
            let _ = stream.set_nodelay(true);
            ml_log!(Level::Notice, "connected to Master");
            Ok(stream)
        }
        Ok(Err(e)) => {
            ml_log!(
                Level::Warning,
                "connection failed, error: {}",
                errno_text(&e)
            );
            cache.forget();
            Err(ConnectFailure::Refused)
        }
        Err(_) => {
            ml_log!(Level::Warning, "connection timed out");
            cache.forget();
            Err(ConnectFailure::Refused)
        }
    }
}

/// The IPv4 address of `host:port`; one of several A records at random, as
/// `sockaddrfill` does. `port` is a number or a service name from `/etc/services`.
async fn resolve(host: &str, port: &str) -> Option<SocketAddrV4> {
    let port = port_number(port)?;
    if let Ok(ip) = host.parse::<Ipv4Addr>() {
        return Some(SocketAddrV4::new(ip, port));
    }
    let found: Vec<SocketAddrV4> = tokio::net::lookup_host((host, port))
        .await
        .ok()?
        .filter_map(|a| match a {
            SocketAddr::V4(v4) => Some(v4),
            SocketAddr::V6(_) => None,
        })
        .collect();
    if found.is_empty() {
        return None;
    }
    let pick = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map(|d| d.subsec_nanos() as usize)
        .unwrap_or(0)
        % found.len();
    found.get(pick).copied()
}

/// `MASTER_PORT` as a number: decimal, or a TCP service name looked up in `/etc/services`.
fn port_number(port: &str) -> Option<u16> {
    if let Ok(n) = port.parse::<u16>() {
        return Some(n);
    }
    let services = std::fs::read_to_string("/etc/services").ok()?;
    service_port(&services, port)
}

/// The TCP port of service `name` in the text of an `/etc/services` file.
fn service_port(services: &str, name: &str) -> Option<u16> {
    for line in services.lines() {
        let line = line.split('#').next().unwrap_or_default();
        let mut words = line.split_whitespace();
        let (Some(service), Some(port_proto)) = (words.next(), words.next()) else {
            continue;
        };
        let Some((port, "tcp")) = port_proto.split_once('/') else {
            continue;
        };
        if service == name || words.any(|alias| alias == name) {
            return port.parse().ok();
        }
    }
    None
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn service_names_resolve_from_the_services_file() {
        let text = "# comment\nssh 22/tcp\nmfsmaster\t9419/udp\nmfsmaster 9419/tcp mfs # x\n";
        assert_eq!(service_port(text, "ssh"), Some(22));
        assert_eq!(service_port(text, "mfsmaster"), Some(9419));
        assert_eq!(service_port(text, "mfs"), Some(9419));
        assert_eq!(service_port(text, "nope"), None);
        assert_eq!(port_number("9419"), Some(9419));
    }

    #[tokio::test]
    async fn an_unresolvable_name_is_a_setup_failure() {
        let endpoint = Endpoint {
            host: "no-such-host.invalid".into(),
            port: "9419".into(),
            bind: "*".into(),
        };
        let r = connect(&endpoint, &mut Resolved::default(), CONNECT_TIMEOUT).await;
        assert!(matches!(r, Err(ConnectFailure::Setup(m)) if m.contains("can't resolve")));
    }
}
