//! Known chunk servers (`CSDB`).
//!
//! The master (`csdb.c`) keeps servers in 256 buckets on
//! `hash32(ip XOR (port << 16)) mod 256`, chains prepended to (by load too), and also
//! indexes them by their non-zero id (`csid`). Store: the count, then the buckets in
//! ascending order, each chain from its head.
//!
//! Load rules (without `-i`): a second server with the same ip:port, or with the same
//! non-zero csid, is fatal.

use std::collections::HashMap;

use super::hash::{bucket_order_key, hash32};
use super::LoadError;
use crate::format::metadata::chunkservers::{self as codec, Chunkserver};
use crate::format::metadata::section::SectionVersion;
use crate::format::metadata::{Encoder, Tag};

/// MooseFS status number of every refused `CSDBOP`.
const MISMATCH: u8 = 32;
const BUCKETS: u32 = 256;

/// `CSDBOP` operation codes.
pub mod op {
    pub const ADD: u8 = 0;
    pub const DEL: u8 = 1;
    pub const NEW_IP_PORT: u8 = 2;
    pub const NEW_ID: u8 = 3;
    pub const MAINTENANCE_ON: u8 = 4;
    pub const MAINTENANCE_OFF: u8 = 5;
    pub const MAINTENANCE_TEMPORARY: u8 = 6;
}

fn address(ip: u32, port: u16) -> u64 {
    (u64::from(ip) << 16) | u64::from(port)
}

fn bucket(ip: u32, port: u16) -> u32 {
    hash32(ip ^ (u32::from(port) << 16)) % BUCKETS
}

fn record_len(version: SectionVersion) -> u64 {
    match version {
        v if v <= 0x10 => 6,
        0x11 => 8,
        0x12 => 9,
        _ => 13,
    }
}

fn ip_text(ip: u32) -> String {
    let [a, b, c, d] = ip.to_be_bytes();
    format!("{a}.{b}.{c}.{d}")
}

/// The chunk servers.
#[derive(Clone, Debug, Default)]
pub struct ChunkserverTable {
    /// `(seq, server)`; `None` = free slot.
    slots: Vec<Option<(u32, Chunkserver)>>,
    free: Vec<u32>,
    /// ip:port → slot of the newest server with that address.
    by_address: HashMap<u64, u32>,
    /// Non-zero csid → slot.
    by_csid: HashMap<u16, u32>,
    next_seq: u32,
}

impl ChunkserverTable {
    pub fn new() -> Self {
        Self::default()
    }

    /// Applies a decoded `CSDB` section of the given version; `body_offset` is the
    /// section body's absolute offset.
    pub fn load(
        &mut self,
        records: &[Chunkserver],
        version: SectionVersion,
        body_offset: u64,
    ) -> Result<(), LoadError> {
        let len = record_len(version);
        for (i, cs) in records.iter().enumerate() {
            let at = body_offset + 4 + len * i as u64;
            if self.by_address.contains_key(&address(cs.ip, cs.port)) {
                return Err(LoadError::rule(
                    Tag::CSDB,
                    at,
                    format!(
                        "chunk server {}:{} is listed twice",
                        ip_text(cs.ip),
                        cs.port
                    ),
                ));
            }
            if cs.csid > 0 && self.by_csid.contains_key(&cs.csid) {
                return Err(LoadError::rule(
                    Tag::CSDB,
                    at,
                    format!(
                        "chunk server id {} is used twice (again by {}:{})",
                        cs.csid,
                        ip_text(cs.ip),
                        cs.port
                    ),
                ));
            }
            self.insert(*cs);
        }
        Ok(())
    }

    /// Writes the `CSDB` body.
    pub fn store(&self, e: &mut Encoder) {
        let mut order: Vec<(u64, u32)> = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| {
                s.as_ref()
                    .map(|(seq, cs)| (bucket_order_key(bucket(cs.ip, cs.port), *seq), i as u32))
            })
            .collect();
        order.sort_unstable_by_key(|&(key, _)| key);
        codec::encode_header(e, order.len() as u32);
        for (_, i) in order {
            if let Some(Some((_, cs))) = self.slots.get(i as usize) {
                codec::encode_chunkserver(e, cs);
            }
        }
    }

    /// The (newest) server at ip:port.
    pub fn get(&self, ip: u32, port: u16) -> Option<&Chunkserver> {
        let slot = *self.by_address.get(&address(ip, port))?;
        self.server(slot)
    }

    /// The server with this non-zero id.
    pub fn get_by_csid(&self, csid: u16) -> Option<&Chunkserver> {
        let slot = *self.by_csid.get(&csid)?;
        self.server(slot)
    }

    /// Number of servers.
    pub fn len(&self) -> usize {
        self.slots.len() - self.free.len()
    }

    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// `CSDBOP(op, ip, port, arg)` replayed (`csdb_mr_op`); `Err` holds the MooseFS
    /// status (always 32). Note that `NEW_IP_PORT` does not check whether the new address
    /// is taken: the moved server then hides the other one, as in the master.
    pub fn apply(&mut self, op: u8, ip: u32, port: u16, arg: u32) -> Result<(), u8> {
        let addr = address(ip, port);
        match op {
            op::ADD => {
                if self.by_address.contains_key(&addr) {
                    return Err(MISMATCH);
                }
                let csid = u16::try_from(arg).map_err(|_| MISMATCH)?;
                if csid > 0 && self.by_csid.contains_key(&csid) {
                    return Err(MISMATCH);
                }
                self.insert(Chunkserver {
                    ip,
                    port,
                    csid,
                    maintenance: 0,
                    maintenance_timeout: 0,
                });
                Ok(())
            }
            op::DEL => {
                let slot = *self.by_address.get(&addr).ok_or(MISMATCH)?;
                if let Some(csid) = self.server(slot).map(|cs| cs.csid) {
                    if csid > 0 {
                        self.by_csid.remove(&csid);
                    }
                }
                self.unlink(slot);
                if let Some(s) = self.slots.get_mut(slot as usize) {
                    *s = None;
                }
                self.free.push(slot);
                Ok(())
            }
            op::NEW_IP_PORT => {
                let csid = u16::try_from(arg).ok().filter(|&c| c > 0).ok_or(MISMATCH)?;
                let slot = *self.by_csid.get(&csid).ok_or(MISMATCH)?;
                self.unlink(slot);
                let seq = self.take_seq();
                if let Some(Some((s, cs))) = self.slots.get_mut(slot as usize) {
                    *s = seq;
                    cs.ip = ip;
                    cs.port = port;
                }
                self.by_address.insert(addr, slot);
                Ok(())
            }
            op::NEW_ID => {
                let csid = u16::try_from(arg).ok().filter(|&c| c > 0).ok_or(MISMATCH)?;
                if self.by_csid.contains_key(&csid) {
                    return Err(MISMATCH);
                }
                let slot = *self.by_address.get(&addr).ok_or(MISMATCH)?;
                let Some(Some((_, cs))) = self.slots.get_mut(slot as usize) else {
                    return Err(MISMATCH);
                };
                if cs.csid != csid {
                    let old = std::mem::replace(&mut cs.csid, csid);
                    if old > 0 {
                        self.by_csid.remove(&old);
                    }
                    self.by_csid.insert(csid, slot);
                }
                Ok(())
            }
            op::MAINTENANCE_ON | op::MAINTENANCE_OFF | op::MAINTENANCE_TEMPORARY => {
                let slot = *self.by_address.get(&addr).ok_or(MISMATCH)?;
                let Some(Some((_, cs))) = self.slots.get_mut(slot as usize) else {
                    return Err(MISMATCH);
                };
                cs.maintenance = match op {
                    op::MAINTENANCE_ON => 1,
                    op::MAINTENANCE_OFF => 0,
                    _ => 2,
                };
                cs.maintenance_timeout = arg;
                Ok(())
            }
            _ => Err(MISMATCH),
        }
    }

    fn server(&self, slot: u32) -> Option<&Chunkserver> {
        self.slots.get(slot as usize)?.as_ref().map(|(_, cs)| cs)
    }

    fn take_seq(&mut self) -> u32 {
        let seq = self.next_seq;
        self.next_seq = self.next_seq.wrapping_add(1);
        seq
    }

    fn insert(&mut self, cs: Chunkserver) {
        let seq = self.take_seq();
        let s = Some((seq, cs));
        let slot = match self.free.pop() {
            Some(i) => {
                if let Some(x) = self.slots.get_mut(i as usize) {
                    *x = s;
                }
                i
            }
            None => {
                self.slots.push(s);
                (self.slots.len() - 1) as u32
            }
        };
        self.by_address.insert(address(cs.ip, cs.port), slot);
        if cs.csid > 0 {
            self.by_csid.insert(cs.csid, slot);
        }
    }

    /// Takes the server in `slot` out of the address index; another server with the
    /// same address (possible after `NEW_IP_PORT`) becomes visible.
    fn unlink(&mut self, slot: u32) {
        let Some(&(_, cs)) = self.slots.get(slot as usize).and_then(Option::as_ref) else {
            return;
        };
        let addr = address(cs.ip, cs.port);
        if self.by_address.get(&addr) != Some(&slot) {
            return;
        }
        self.by_address.remove(&addr);
        let shadowed = self
            .slots
            .iter()
            .enumerate()
            .filter_map(|(i, s)| s.as_ref().map(|(seq, c)| (i as u32, *seq, c)))
            .filter(|&(i, _, c)| i != slot && address(c.ip, c.port) == addr)
            .max_by_key(|&(_, seq, _)| seq)
            .map(|(i, _, _)| i);
        if let Some(i) = shadowed {
            self.by_address.insert(addr, i);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::format::metadata::reader::Reader;

    fn cs(ip: u32, port: u16, csid: u16) -> Chunkserver {
        Chunkserver {
            ip,
            port,
            csid,
            maintenance: 0,
            maintenance_timeout: 0,
        }
    }

    fn stored(t: &ChunkserverTable) -> Vec<Chunkserver> {
        let mut e = Encoder::new(false);
        e.begin_section(Tag::CSDB, codec::VERSION);
        t.store(&mut e);
        e.end_section();
        let bytes = e.finish().0;
        let mut r = Reader::new(bytes.get(16..).unwrap());
        codec::decode(&mut r, codec::VERSION).unwrap()
    }

    #[test]
    fn duplicates_are_fatal() {
        let err = ChunkserverTable::new()
            .load(&[cs(1, 9422, 1), cs(1, 9422, 2)], 0x13, 10)
            .unwrap_err();
        let LoadError::Rule { offset, reason, .. } = err else {
            panic!()
        };
        assert_eq!(offset, 10 + 4 + 13);
        assert!(reason.contains("0.0.0.1:9422"), "{reason}");
        let err = ChunkserverTable::new()
            .load(&[cs(1, 9422, 5), cs(2, 9422, 5)], 0x11, 0)
            .unwrap_err();
        let LoadError::Rule { offset, reason, .. } = err else {
            panic!()
        };
        assert_eq!(offset, 4 + 8);
        assert!(reason.contains("id 5"), "{reason}");
        // csid 0 may repeat.
        ChunkserverTable::new()
            .load(&[cs(1, 1, 0), cs(2, 2, 0)], 0x10, 0)
            .unwrap();
    }

    #[test]
    fn store_order_is_bucket_then_newest_first() {
        // Find three servers in one bucket and one elsewhere.
        let ip = 0x0A00_0001;
        let b = bucket(ip, 9422);
        let same: Vec<u16> = (9423..u16::MAX)
            .filter(|&p| bucket(ip, p) == b)
            .take(2)
            .collect();
        let other = (9423..u16::MAX).find(|&p| bucket(ip, p) != b).unwrap();
        let file = vec![
            cs(ip, 9422, 1),
            cs(ip, other, 2),
            cs(ip, same[0], 3),
            cs(ip, same[1], 4),
        ];
        let mut t = ChunkserverTable::new();
        t.load(&file, 0x13, 0).unwrap();
        let mut expected = vec![file[3], file[2], file[0]];
        if bucket(ip, other) < b {
            expected.insert(0, file[1]);
        } else {
            expected.push(file[1]);
        }
        assert_eq!(stored(&t), expected);
    }

    #[test]
    fn replayed_operations() {
        let mut t = ChunkserverTable::new();
        t.apply(op::ADD, 1, 10, 0).unwrap();
        t.apply(op::ADD, 2, 20, 7).unwrap();
        assert_eq!(t.apply(op::ADD, 1, 10, 0), Err(32));
        assert_eq!(t.apply(op::ADD, 3, 30, 7), Err(32));
        assert_eq!(t.apply(op::ADD, 3, 30, 70000), Err(32));
        t.apply(op::NEW_ID, 1, 10, 8).unwrap();
        assert_eq!(t.apply(op::NEW_ID, 1, 10, 8), Err(32));
        assert_eq!(t.get_by_csid(8).unwrap().ip, 1);
        t.apply(op::MAINTENANCE_TEMPORARY, 2, 20, 99).unwrap();
        assert_eq!(t.get(2, 20).unwrap().maintenance, 2);
        // Move server 7 onto server 8's address: it hides it.
        t.apply(op::NEW_IP_PORT, 1, 10, 7).unwrap();
        assert!(t.get(2, 20).is_none());
        assert_eq!(t.get(1, 10).unwrap().csid, 7);
        assert_eq!(t.len(), 2);
        t.apply(op::DEL, 1, 10, 0).unwrap();
        assert_eq!(t.get(1, 10).unwrap().csid, 8);
        assert!(t.get_by_csid(7).is_none());
        t.apply(op::MAINTENANCE_OFF, 1, 10, 5).unwrap();
        assert_eq!(
            stored(&t),
            vec![Chunkserver {
                maintenance_timeout: 5,
                ..cs(1, 10, 8)
            }]
        );
        assert_eq!(t.apply(9, 1, 10, 0), Err(32));
    }
}
