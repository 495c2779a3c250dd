//! A map from inode numbers to `u32` values for the tables a replay reaches by inode at
//! random (xattr entries, open-file counts): an array indexed by inode number for the
//! usual, small numbers, so that a lookup is one memory access that can be fetched
//! ahead, and a hash map for the rest.

use rustc_hash::FxHashMap;

use super::prefetch::prefetch;

/// Inode numbers below this are kept in the array (which grows up to the largest such
/// key: 4 bytes per inode number, 128 MiB at most).
const DENSE_LIMIT: u32 = 1 << 25;

/// Inode number → `u32`.
#[derive(Clone, Debug, Default)]
pub struct InodeMap {
    /// `dense[inode]`: the value + 1, 0 when absent.
    dense: Vec<u32>,
    /// Keys at or above `DENSE_LIMIT`, and the value `u32::MAX` (which has no `+ 1`).
    other: FxHashMap<u32, u32>,
    len: usize,
}

impl InodeMap {
    /// The value of `inode`.
    #[inline]
    pub fn get(&self, inode: u32) -> Option<u32> {
        match self.dense.get(inode as usize) {
            Some(&v) if v != 0 => Some(v - 1),
            _ if self.other.is_empty() => None,
            _ => self.other.get(&inode).copied(),
        }
    }

    /// Whether `inode` has a value.
    pub fn contains_key(&self, inode: u32) -> bool {
        self.get(inode).is_some()
    }

    /// Sets the value of `inode`; returns the one it replaces.
    pub fn insert(&mut self, inode: u32, value: u32) -> Option<u32> {
        let old = self.remove(inode);
        if inode < DENSE_LIMIT && value != u32::MAX {
            let i = inode as usize;
            if self.dense.len() <= i {
                let len = (i + 1).max(self.dense.len() * 2).min(DENSE_LIMIT as usize);
                self.dense.resize(len, 0);
            }
            if let Some(at) = self.dense.get_mut(i) {
                *at = value + 1;
            }
        } else {
            self.other.insert(inode, value);
        }
        self.len += 1;
        old
    }

    /// Removes the value of `inode` and returns it.
    pub fn remove(&mut self, inode: u32) -> Option<u32> {
        let old = match self.dense.get_mut(inode as usize) {
            Some(at) if *at != 0 => Some(std::mem::take(at) - 1),
            _ => self.other.remove(&inode),
        };
        if old.is_some() {
            self.len -= 1;
        }
        old
    }

    /// Number of keys.
    pub fn len(&self) -> usize {
        self.len
    }

    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Hints that `inode` will be looked up soon (see [`super::prefetch`]).
    #[inline]
    pub fn prefetch(&self, inode: u32) {
        if let Some(at) = self.dense.get(inode as usize) {
            prefetch(at);
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::collections::HashMap;

    /// The map agrees with a plain hash map through inserts, replacements and removals
    /// of small keys, keys past the array, and the value that has no `+ 1`.
    #[test]
    fn behaves_as_a_hash_map() {
        let mut m = InodeMap::default();
        let mut model: HashMap<u32, u32> = HashMap::new();
        let keys = [0, 1, 7, 1000, DENSE_LIMIT - 1, DENSE_LIMIT, u32::MAX];
        for (step, &k) in keys.iter().cycle().take(40).enumerate() {
            let v = match step % 4 {
                0 => step as u32,
                1 => u32::MAX,
                _ => u32::MAX - 1,
            };
            if step % 3 == 2 {
                assert_eq!(m.remove(k), model.remove(&k));
            } else {
                assert_eq!(m.insert(k, v), model.insert(k, v));
            }
            assert_eq!(m.len(), model.len());
            for &q in &keys {
                assert_eq!(m.get(q), model.get(&q).copied(), "key {q}");
                assert_eq!(m.contains_key(q), model.contains_key(&q));
            }
        }
        assert_eq!(m.get(5), None);
        m.prefetch(1);
        m.prefetch(u32::MAX);
    }
}
