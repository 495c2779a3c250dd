//! `SESS` — client sessions.
//!
//! Body (1.2 and later): `{ nextsessionid:u32 | statscount:u16 | record* | zero record }`;
//! before 1.2: `{ dver:u16 (1 → 1.0, 2 → 1.1) | nextsessionid:u32 | statscount:u16 | … }`.
//!
//! Record (1.5, 61 + 8×statscount bytes, then the info bytes):
//! `{ sessionid:u32 | exportscsum:u64 | ileng:u32 | peerip:u32 | rootinode:u32 |
//!    sesflags:u8 | umask:u16 | mingoal:u8 | maxgoal:u8 | mintrashtime:u32 |
//!    maxtrashtime:u32 | rootuid:u32 | rootgid:u32 | mapalluid:u32 | mapallgid:u32 |
//!    disables:u32 | disconnected:u32 | currentopstats:u32[statscount] |
//!    lasthouropstats:u32[statscount] } info:[u8; ileng]`.
//! Older versions lack exportscsum (< 1.3), umask (< 1.4), disables (< 1.5) and
//! disconnected (< 1.1). The list ends with an all-zero record of the full size.

use super::encoder::Encoder;
use super::error::DecodeError;
use super::reader::Reader;
use super::section::SectionVersion;

/// The version 3.0.117 writes.
pub const VERSION: SectionVersion = 0x15;
/// Number of per-session operation counters kept by 3.0.117.
pub const STATS_COUNT: usize = 16;

/// One client session.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Session<'a> {
    pub id: u32,
    pub exports_checksum: u64,
    pub peer_ip: u32,
    pub root_inode: u32,
    pub flags: u8,
    pub umask: u16,
    pub min_goal: u8,
    pub max_goal: u8,
    pub min_trashtime: u32,
    pub max_trashtime: u32,
    pub root_uid: u32,
    pub root_gid: u32,
    pub map_all_uid: u32,
    pub map_all_gid: u32,
    pub disables: u32,
    /// 0 = connected, else the disconnection time. `None` in files older than 1.1, which
    /// do not store it (the master then uses its load time).
    pub disconnected: Option<u32>,
    pub current_stats: [u32; STATS_COUNT],
    pub last_hour_stats: [u32; STATS_COUNT],
    pub info: &'a [u8],
}

/// The decoded section.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct Sessions<'a> {
    pub next_session_id: u32,
    pub sessions: Vec<Session<'a>>,
}

fn record_len(version: SectionVersion, stats: u64) -> u64 {
    let fixed = match version {
        v if v < 0x11 => 43,
        v if v < 0x13 => 47,
        0x13 => 55,
        0x14 => 57,
        _ => 61,
    };
    fixed + 8 * stats
}

fn read_stats(r: &mut Reader<'_>, in_file: u16) -> Result<[u32; STATS_COUNT], DecodeError> {
    let mut out = [0u32; STATS_COUNT];
    for i in 0..usize::from(in_file) {
        let v = r.u32()?;
        if let Some(slot) = out.get_mut(i) {
            *slot = v;
        }
    }
    Ok(out)
}

/// Decodes a `SESS` body.
pub fn decode<'a>(
    r: &mut Reader<'a>,
    version: SectionVersion,
) -> Result<Sessions<'a>, DecodeError> {
    let version = if version < 0x12 {
        let at = r.offset();
        match r.u16()? {
            1 => 0x10,
            2 => 0x11,
            other => {
                return Err(DecodeError::bad_value(
                    at,
                    "sessions data version",
                    other.into(),
                ))
            }
        }
    } else {
        version
    };
    let next_session_id = r.u32()?;
    let stats_in_file = r.u16()?;
    let rec_len = record_len(version, stats_in_file.into());
    let mut sessions = Vec::new();
    loop {
        let mut rec = r.sub(rec_len)?;
        let id = rec.u32()?;
        if id == 0 {
            return Ok(Sessions {
                next_session_id,
                sessions,
            });
        }
        let exports_checksum = if version >= 0x13 { rec.u64()? } else { 0 };
        let ileng = rec.u32()?;
        let peer_ip = rec.u32()?;
        let root_inode = rec.u32()?;
        let flags = rec.u8()?;
        let umask = if version >= 0x14 { rec.u16()? } else { 0 };
        let min_goal = rec.u8()?;
        let max_goal = rec.u8()?;
        let min_trashtime = rec.u32()?;
        let max_trashtime = rec.u32()?;
        let root_uid = rec.u32()?;
        let root_gid = rec.u32()?;
        let map_all_uid = rec.u32()?;
        let map_all_gid = rec.u32()?;
        let disables = if version >= 0x15 { rec.u32()? } else { 0 };
        let disconnected = if version >= 0x11 {
            Some(rec.u32()?)
        } else {
            None
        };
        let current_stats = read_stats(&mut rec, stats_in_file)?;
        let last_hour_stats = read_stats(&mut rec, stats_in_file)?;
        let info = r.bytes(ileng.into())?;
        sessions.push(Session {
            id,
            exports_checksum,
            peer_ip,
            root_inode,
            flags,
            umask,
            min_goal,
            max_goal,
            min_trashtime,
            max_trashtime,
            root_uid,
            root_gid,
            map_all_uid,
            map_all_gid,
            disables,
            disconnected,
            current_stats,
            last_hour_stats,
            info,
        });
    }
}

/// Writes the body's first call: `nextsessionid` and the counter count.
pub fn encode_header(e: &mut Encoder, next_session_id: u32) {
    e.call(|out| {
        out.extend_from_slice(&next_session_id.to_be_bytes());
        out.extend_from_slice(&(STATS_COUNT as u16).to_be_bytes());
    });
}

/// Writes one session: the fixed record, then the info (a second call).
pub fn encode_session(e: &mut Encoder, s: &Session<'_>) {
    e.call(|out| {
        out.extend_from_slice(&s.id.to_be_bytes());
        out.extend_from_slice(&s.exports_checksum.to_be_bytes());
        out.extend_from_slice(&(s.info.len() as u32).to_be_bytes());
        out.extend_from_slice(&s.peer_ip.to_be_bytes());
        out.extend_from_slice(&s.root_inode.to_be_bytes());
        out.push(s.flags);
        out.extend_from_slice(&s.umask.to_be_bytes());
        out.push(s.min_goal);
        out.push(s.max_goal);
        for v in [
            s.min_trashtime,
            s.max_trashtime,
            s.root_uid,
            s.root_gid,
            s.map_all_uid,
            s.map_all_gid,
            s.disables,
            s.disconnected.unwrap_or(0),
        ] {
            out.extend_from_slice(&v.to_be_bytes());
        }
        for v in s.current_stats.iter().chain(s.last_hour_stats.iter()) {
            out.extend_from_slice(&v.to_be_bytes());
        }
    });
    if !s.info.is_empty() {
        e.put(s.info);
    }
}

/// Writes the terminating all-zero record.
pub fn encode_end(e: &mut Encoder) {
    let len = record_len(VERSION, STATS_COUNT as u64) as usize;
    e.call(|out| out.resize(out.len() + len, 0));
}

/// Writes a whole decoded section body.
pub fn encode(e: &mut Encoder, s: &Sessions<'_>) {
    encode_header(e, s.next_session_id);
    for session in &s.sessions {
        encode_session(e, session);
    }
    encode_end(e);
}
