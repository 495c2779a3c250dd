//! A file's chunk table (chunk id per 64 MiB index, 0 = hole) in 16 bytes.
//!
//! Most files have at most one chunk, so the list keeps one id inline and puts longer
//! tables behind a single pointer (to one allocation for up to [`BOXED_INLINE`] ids). Keeping it at 16 bytes keeps a node within one cache
//! line: nodes are looked up at random while loading, replaying and storing, and the
//! node table is the largest table of an image.

use std::ops::{Deref, DerefMut};

use smallvec::{CollectionAllocErr, SmallVec};

/// Ids held in the boxed allocation itself (more go to a second one).
pub const BOXED_INLINE: usize = 3;

/// The boxed form.
type Boxed = Box<SmallVec<[u64; BOXED_INLINE]>>;

/// The chunk ids of a file, as a slice of `u64` (see the module documentation).
#[derive(Clone, Default)]
pub enum ChunkList {
    #[default]
    Empty,
    One(u64),
    /// Any length (after a truncation, also 0 or 1).
    Many(Boxed),
}

impl ChunkList {
    /// No entries.
    pub fn new() -> Self {
        ChunkList::Empty
    }

    /// A list holding `ids`.
    pub fn from_slice(ids: &[u64]) -> Self {
        match ids {
            [] => ChunkList::Empty,
            [id] => ChunkList::One(*id),
            _ => ChunkList::Many(Box::new(SmallVec::from_slice(ids))),
        }
    }

    pub fn as_slice(&self) -> &[u64] {
        self
    }

    /// Makes room for `more` entries past the current ones, failing instead of aborting
    /// when the memory cannot be had (lengths come from changelog lines).
    pub fn try_reserve_exact(&mut self, more: usize) -> Result<(), CollectionAllocErr> {
        match self {
            ChunkList::Many(v) => v.try_reserve_exact(more),
            _ if self.len().saturating_add(more) <= 1 => Ok(()),
            _ => {
                let mut v = SmallVec::new();
                v.try_reserve_exact(self.len().saturating_add(more))?;
                v.extend_from_slice(self);
                *self = ChunkList::Many(Box::new(v));
                Ok(())
            }
        }
    }

    /// Sets the length to `len`, new entries being `value` (as `Vec::resize`).
    pub fn resize(&mut self, len: usize, value: u64) {
        match self {
            ChunkList::Many(v) => v.resize(len, value),
            _ if len <= self.len() => self.truncate(len),
            ChunkList::Empty if len == 1 => *self = ChunkList::One(value),
            _ => {
                let mut v = SmallVec::with_capacity(len);
                v.extend_from_slice(self);
                v.resize(len, value);
                *self = ChunkList::Many(Box::new(v));
            }
        }
    }

    /// Keeps the first `len` entries (as `Vec::truncate`).
    pub fn truncate(&mut self, len: usize) {
        match self {
            ChunkList::Many(v) => v.truncate(len),
            ChunkList::One(_) if len == 0 => *self = ChunkList::Empty,
            _ => {}
        }
    }
}

impl ChunkList {
    /// Hints that the entries will be read soon: only a list kept out of line is
    /// fetched (the others are in the node).
    #[inline]
    pub fn prefetch(&self) {
        if let ChunkList::Many(v) = self {
            super::prefetch::prefetch(&**v);
        }
    }
}

impl Deref for ChunkList {
    type Target = [u64];

    fn deref(&self) -> &[u64] {
        match self {
            ChunkList::Empty => &[],
            ChunkList::One(id) => std::slice::from_ref(id),
            ChunkList::Many(v) => v,
        }
    }
}

impl DerefMut for ChunkList {
    fn deref_mut(&mut self) -> &mut [u64] {
        match self {
            ChunkList::Empty => &mut [],
            ChunkList::One(id) => std::slice::from_mut(id),
            ChunkList::Many(v) => v,
        }
    }
}

impl FromIterator<u64> for ChunkList {
    fn from_iter<I: IntoIterator<Item = u64>>(ids: I) -> Self {
        let mut ids = ids.into_iter();
        match (ids.next(), ids.next()) {
            (None, _) => ChunkList::Empty,
            (Some(id), None) => ChunkList::One(id),
            (Some(a), Some(b)) => {
                let mut v = SmallVec::with_capacity(ids.size_hint().0.saturating_add(2));
                v.push(a);
                v.push(b);
                v.extend(ids);
                ChunkList::Many(Box::new(v))
            }
        }
    }
}

/// Lists are equal when their entries are (whatever their form).
impl PartialEq for ChunkList {
    fn eq(&self, other: &Self) -> bool {
        self.as_slice() == other.as_slice()
    }
}

impl Eq for ChunkList {}

impl std::fmt::Debug for ChunkList {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_list().entries(self.iter()).finish()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn is_sixteen_bytes() {
        assert_eq!(std::mem::size_of::<ChunkList>(), 16);
    }

    /// Every operation against a `Vec` doing the same.
    #[test]
    fn behaves_like_a_vec() {
        let mut x = 0x9E37_79B9_7F4A_7C15u64;
        let mut next = |n: u64| {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x % n
        };
        for _ in 0..200 {
            let start: Vec<u64> = (0..next(4)).map(|_| next(5)).collect();
            let mut list: ChunkList = start.iter().copied().collect();
            let mut model = start.clone();
            assert_eq!(list, ChunkList::from_slice(&start));
            for _ in 0..20 {
                match next(4) {
                    0 => {
                        let len = next(6) as usize;
                        list.resize(len, 0);
                        model.resize(len, 0);
                    }
                    1 => {
                        let len = next(6) as usize;
                        list.truncate(len);
                        model.truncate(len);
                    }
                    2 => {
                        let more = next(3) as usize;
                        list.try_reserve_exact(more).unwrap();
                    }
                    _ => {
                        let (at, id) = (next(6) as usize, next(9) + 1);
                        if let Some(slot) = list.get_mut(at) {
                            *slot = id;
                        }
                        if let Some(slot) = model.get_mut(at) {
                            *slot = id;
                        }
                    }
                }
                assert_eq!(list.as_slice(), &model[..]);
            }
        }
    }

    #[test]
    fn a_huge_reservation_fails_instead_of_aborting() {
        let mut list = ChunkList::One(3);
        assert!(list.try_reserve_exact(usize::MAX / 2).is_err());
        assert_eq!(list.as_slice(), &[3]);
    }
}
