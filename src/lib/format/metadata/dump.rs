//! A text form of a decoded metadata file: one line per record, for people and tests.
//!
//! Lines are `TAG|field=value|…`; names, paths and binary values are written with the
//! changelog escaping (`%XX` for control bytes, bytes ≥ 0x7F and `,%()`), so any byte
//! string prints on one line. Section headers are comment lines starting with `#`.
//! `mfsmetadump` is the model; the exact layout is ours.

use std::fmt::Write as _;
use std::io::{self, Write};

use super::file::{Body, MetadataFile};
use super::nodes::NodeData;
use crate::format::changelog::escape_into;

/// `bytes` escaped as in changelogs (pure ASCII).
fn esc(bytes: &[u8]) -> String {
    let mut out = Vec::with_capacity(bytes.len());
    escape_into(bytes, &mut out);
    String::from_utf8_lossy(&out).into_owned()
}

fn masks(labels: &[[u32; 4]]) -> String {
    let parts: Vec<String> = labels
        .iter()
        .map(|l| {
            l.iter()
                .map(|m| format!("{m:X}"))
                .collect::<Vec<_>>()
                .join("+")
        })
        .collect();
    parts.join(":")
}

/// Writes every record of `file` to `out`.
pub fn dump(file: &MetadataFile<'_>, out: &mut impl Write) -> io::Result<()> {
    let (header, sections) = match file {
        MetadataFile::New => return writeln!(out, "# MFSM NEW (empty file system)"),
        MetadataFile::Formatted { header, sections } => (header, sections),
    };
    writeln!(
        out,
        "# format {}.{} version {} id {:#X}",
        header.format >> 4,
        header.format & 15,
        header.version,
        header.meta_id
    )?;
    let mut line = String::new();
    for section in sections {
        let h = &section.info.header;
        writeln!(
            out,
            "# section {} version {:#04X} at byte {} length {}",
            h.tag,
            section.info.version,
            h.offset,
            h.length.map_or("unknown".to_string(), |l| l.to_string())
        )?;
        let mut emit = |l: &mut String| -> io::Result<()> {
            l.push('\n');
            out.write_all(l.as_bytes())?;
            l.clear();
            Ok(())
        };
        match &section.body {
            Body::Sessions(s) => {
                let _ = write!(line, "# nextsessionid={}", s.next_session_id);
                emit(&mut line)?;
                for x in &s.sessions {
                    let _ = write!(
                        line,
                        "SESS|id={}|csum={:#X}|ip={}|root={}|flags={}|umask={:03o}|goal={}-{}|trash={}-{}|rootuid={}|rootgid={}|mapuid={}|mapgid={}|disables={:#X}|disconnected={}|stats={:?}|lasthour={:?}|info={}",
                        x.id, x.exports_checksum, std::net::Ipv4Addr::from(x.peer_ip), x.root_inode, x.flags, x.umask,
                        x.min_goal, x.max_goal, x.min_trashtime, x.max_trashtime, x.root_uid, x.root_gid,
                        x.map_all_uid, x.map_all_gid, x.disables,
                        x.disconnected.map_or("none".to_string(), |d| d.to_string()),
                        x.current_stats, x.last_hour_stats, esc(x.info)
                    );
                    emit(&mut line)?;
                }
            }
            Body::StorageClasses(s) => {
                for c in &s.classes {
                    let _ = write!(
                        line,
                        "SCLA|id={}|name={}|admin={}|mode={}|archdelay={}|create={}|keep={}|arch={}",
                        c.id,
                        esc(&c.name),
                        c.admin_only,
                        c.mode,
                        c.arch_delay,
                        masks(c.create.as_slice()),
                        masks(c.keep.as_slice()),
                        masks(c.arch.as_slice())
                    );
                    emit(&mut line)?;
                }
            }
            Body::Nodes(s) => {
                let _ = write!(
                    line,
                    "# maxnodeid={} nodecount={}",
                    s.header.max_node_id, s.header.node_count
                );
                emit(&mut line)?;
                for n in &s.nodes {
                    let _ = write!(
                        line,
                        "NODE|i={}|t={}|sclass={}|eattr={:#04X}|winattr={:#04X}|mode={:05o}|uid={}|gid={}|atime={}|mtime={}|ctime={}|trash={}h",
                        n.inode, n.node_type.letter(), n.sclass, n.eattr, n.winattr, n.mode, n.uid, n.gid,
                        n.atime, n.mtime, n.ctime, n.trashtime
                    );
                    match n.data {
                        NodeData::None => {}
                        NodeData::Device { rdev } => {
                            let _ = write!(line, "|rdev={},{}", rdev >> 16, rdev & 0xFFFF);
                        }
                        NodeData::Symlink { path } => {
                            let _ = write!(line, "|path={}", esc(path));
                        }
                        NodeData::File {
                            length,
                            chunks,
                            legacy_sessions,
                        } => {
                            let ids: Vec<String> =
                                chunks.iter().map(|c| format!("{c:016X}")).collect();
                            let _ = write!(line, "|length={length}|chunks=[{}]", ids.join(","));
                            if !legacy_sessions.is_empty() {
                                let s: Vec<String> =
                                    legacy_sessions.iter().map(|s| s.to_string()).collect();
                                let _ = write!(line, "|sessions=[{}]", s.join(","));
                            }
                        }
                    }
                    emit(&mut line)?;
                }
            }
            Body::Edges(s) => {
                if let Some(next) = s.next_edge_id {
                    let _ = write!(line, "# nextedgeid={next:#X}");
                    emit(&mut line)?;
                }
                for e in &s.edges {
                    let _ = write!(
                        line,
                        "EDGE|parent={}|child={}|id={:#X}|name={}",
                        e.parent,
                        e.child,
                        e.edge_id,
                        esc(e.name)
                    );
                    emit(&mut line)?;
                }
            }
            Body::Free(s) => {
                for f in s {
                    let _ = write!(line, "FREE|i={}|ftime={}", f.inode, f.ftime);
                    emit(&mut line)?;
                }
            }
            Body::Quotas(s) => {
                for q in s {
                    let _ = write!(
                        line,
                        "QUOT|i={}|grace={}|exceeded={}|flags={:#04X}|stimestamp={}|inodes={}/{}|length={}/{}|size={}/{}|realsize={}/{}",
                        q.inode,
                        q.grace_period.map_or("default".to_string(), |g| g.to_string()),
                        q.exceeded, q.flags, q.stimestamp, q.soft_inodes, q.hard_inodes,
                        q.soft_length, q.hard_length, q.soft_size, q.hard_size, q.soft_realsize, q.hard_realsize
                    );
                    emit(&mut line)?;
                }
            }
            Body::Xattrs(s) => {
                for x in s {
                    let _ = write!(
                        line,
                        "XATR|i={}|name={}|value={}",
                        x.inode,
                        esc(x.name),
                        esc(x.value)
                    );
                    emit(&mut line)?;
                }
            }
            Body::Acls(s) => {
                for a in s {
                    let named: Vec<String> = a
                        .entries()
                        .enumerate()
                        .map(|(i, (id, perm))| {
                            let kind = if i < usize::from(a.named_users) {
                                'u'
                            } else {
                                'g'
                            };
                            format!("{kind}{id}:{perm:o}")
                        })
                        .collect();
                    let _ = write!(
                        line,
                        "PACL|i={}|type={}|user={:o}|group={:o}|other={:o}|mask={:#06X}|named=[{}]",
                        a.inode,
                        if a.acl_type == 1 {
                            "access".to_string()
                        } else if a.acl_type == 2 {
                            "default".to_string()
                        } else {
                            a.acl_type.to_string()
                        },
                        a.user_perm,
                        a.group_perm,
                        a.other_perm,
                        a.mask,
                        named.join(",")
                    );
                    emit(&mut line)?;
                }
            }
            Body::OpenFiles(s) => {
                for o in s {
                    let _ = write!(line, "OPEN|session={}|i={}", o.session, o.inode);
                    emit(&mut line)?;
                }
            }
            Body::Flocks(s) => {
                for l in s {
                    let _ = write!(
                        line,
                        "FLCK|i={}|session={}|owner={:#X}|type={}",
                        l.inode,
                        l.session,
                        l.owner,
                        if l.lock_type == 1 {
                            "exclusive"
                        } else {
                            "shared"
                        }
                    );
                    emit(&mut line)?;
                }
            }
            Body::PosixLocks(s) => {
                for l in s {
                    let _ = write!(
                        line,
                        "PLCK|i={}|session={}|owner={:#X}|pid={}|range={}-{}|type={}",
                        l.inode,
                        l.session,
                        l.owner,
                        l.pid,
                        l.start,
                        l.end,
                        match l.lock_type {
                            1 => "read".to_string(),
                            2 => "write".to_string(),
                            t => t.to_string(),
                        }
                    );
                    emit(&mut line)?;
                }
            }
            Body::Chunkservers(s) => {
                for c in s {
                    let _ = write!(
                        line,
                        "CSDB|ip={}|port={}|csid={}|maintenance={}|timeout={}",
                        std::net::Ipv4Addr::from(c.ip),
                        c.port,
                        c.csid,
                        c.maintenance,
                        c.maintenance_timeout
                    );
                    emit(&mut line)?;
                }
            }
            Body::Chunks(s) => {
                let _ = write!(line, "# nextchunkid={:#X}", s.next_chunk_id);
                emit(&mut line)?;
                for c in &s.chunks {
                    let _ = write!(
                        line,
                        "CHNK|id={:016X}|version={}|lockedto={}|archflag={}",
                        c.id, c.version, c.locked_to, c.arch_flag
                    );
                    emit(&mut line)?;
                }
            }
        }
    }
    Ok(())
}
