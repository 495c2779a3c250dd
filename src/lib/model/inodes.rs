//! The inode allocator: a bitmap of inode numbers in use (live nodes, inode 0, and
//! freed inodes not yet released by `FREEINODES`). A new inode is always the lowest
//! clear bit, as in the master.

use rustc_hash::FxHashSet;

/// Inode numbers below this many bits live in the bitmap; the few above (only possible
/// in damaged or hand-made files) in a set.
const BITMAP_LIMIT: u32 = 1 << 30;

/// Which inode numbers are taken.
#[derive(Debug, Clone)]
pub struct InodeAllocator {
    words: Vec<u64>,
    /// Index of the first word that may have a clear bit.
    search: usize,
    /// Taken numbers at or above `BITMAP_LIMIT`.
    high: FxHashSet<u32>,
}

impl Default for InodeAllocator {
    fn default() -> Self {
        let mut a = InodeAllocator {
            words: Vec::new(),
            search: 0,
            high: FxHashSet::default(),
        };
        a.mark_used(0);
        a
    }
}

impl InodeAllocator {
    /// Marks `inode` as taken.
    pub fn mark_used(&mut self, inode: u32) {
        if inode >= BITMAP_LIMIT {
            self.high.insert(inode);
            return;
        }
        let w = (inode / 64) as usize;
        if w >= self.words.len() {
            self.words.resize(w + 1, 0);
        }
        if let Some(word) = self.words.get_mut(w) {
            *word |= 1 << (inode % 64);
        }
    }

    /// Marks `inode` as free again (released by `FREEINODES`).
    pub fn release(&mut self, inode: u32) {
        if inode >= BITMAP_LIMIT {
            self.high.remove(&inode);
            return;
        }
        let w = (inode / 64) as usize;
        if let Some(word) = self.words.get_mut(w) {
            *word &= !(1 << (inode % 64));
            self.search = self.search.min(w);
        }
    }

    pub fn is_used(&self, inode: u32) -> bool {
        if inode >= BITMAP_LIMIT {
            return self.high.contains(&inode);
        }
        self.words
            .get((inode / 64) as usize)
            .is_some_and(|w| w & (1 << (inode % 64)) != 0)
    }

    /// Takes the lowest free inode number.
    pub fn allocate(&mut self) -> u32 {
        while self.words.get(self.search).is_some_and(|&w| w == u64::MAX) {
            self.search += 1;
        }
        if self.search == self.words.len() {
            self.words.push(0);
        }
        let word = self.words.get(self.search).copied().unwrap_or(0);
        let bit = (!word).trailing_zeros();
        let inode = (self.search as u64 * 64 + u64::from(bit)).min(u64::from(u32::MAX)) as u32;
        if inode >= BITMAP_LIMIT {
            // Beyond the bitmap: the lowest number not in the high set.
            let mut candidate = BITMAP_LIMIT;
            while self.high.contains(&candidate) {
                candidate = candidate.saturating_add(1);
            }
            self.high.insert(candidate);
            return candidate;
        }
        self.mark_used(inode);
        inode
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn allocates_lowest_free_and_reuses_released() {
        let mut a = InodeAllocator::default();
        assert_eq!(a.allocate(), 1);
        assert_eq!(a.allocate(), 2);
        a.mark_used(3);
        assert_eq!(a.allocate(), 4);
        a.release(2);
        assert_eq!(a.allocate(), 2);
        for i in 5..200 {
            assert_eq!(a.allocate(), i);
        }
        a.release(70);
        a.release(10);
        assert_eq!(a.allocate(), 10);
        assert_eq!(a.allocate(), 70);
        assert_eq!(a.allocate(), 200);
    }

    #[test]
    fn zero_is_reserved() {
        let mut a = InodeAllocator::default();
        assert!(a.is_used(0));
        assert_eq!(a.allocate(), 1);
    }
}
