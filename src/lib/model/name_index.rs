//! The name index: directory entries by `(parent inode, name)`, in a compact
//! open-addressing table that does not store its keys.
//!
//! Slot grammar (one `u64` each): `{ tag:u32 | edge:u32 }`, high word first.
//! * `tag` = the high 32 bits of a 64-bit hash of `(parent, name)`, with bit 0 forced
//!   to 1, so a live slot always has a non-zero tag;
//! * `edge` = the [`EdgeIdx`] of the entry;
//! * `EMPTY` (`0`) and `TOMBSTONE` (tag 0, edge 1) are the two reserved values.
//!
//! A key's home slot is the tag's top `log2(capacity)` bits; collisions probe linearly
//! (wrapping). A slot whose tag matches is confirmed by reading its edge from the
//! [`EdgeTable`] (its `parent` and `name`), which is why every operation takes the edge
//! table. Because the home slot comes from the stored tag, growing the table never
//! reads an edge.
//!
//! Invariants (kept by the callers in `namespace.rs`): every live slot names a live
//! edge whose `(parent, name)` hashes to the slot's tag, and no two live slots name the
//! same key. Edges are never renamed in place, and an edge leaves the index (see
//! [`NameIndex::remove_if`]) before its slot in the edge table is released.
//!
//! Capacity is a power of two, at most 7/8 used (tombstones count as used): an insert
//! that would pass that either rebuilds at the same size (when under half of the
//! limit is live, i.e. tombstones are the problem) or doubles. The hash is a
//! multiply-fold over 8-byte words: fast, not resistant to chosen names (a restore
//! reads trusted files).

use std::collections::VecDeque;

use super::edges::{Edge, EdgeTable};
use super::nodes::EdgeIdx;
use super::prefetch::prefetch;

/// A slot never used since the last rebuild: a probe stops here.
const EMPTY: u64 = 0;
/// A removed entry: a probe goes on, an insert may reuse it.
const TOMBSTONE: u64 = 1;
/// Smallest table (log2 of its slot count).
const MIN_BITS: u32 = 4;
/// Largest table: the home slot comes from a 32-bit tag (and the slot count must fit a
/// `usize`). It holds every possible [`EdgeIdx`], so a probe always ends.
const MAX_BITS: u32 = if usize::BITS > 32 {
    32
} else {
    usize::BITS - 2
};
/// How many entries ahead [`NameIndex::build`] prefetches home slots.
const PREFETCH_AHEAD: usize = 16;

/// Multipliers of the hash (the 64-bit golden ratio, and wyhash's first prime).
const K0: u64 = 0x9E37_79B9_7F4A_7C15;
const K1: u64 = 0xA076_1D64_78BD_642F;

/// Directory entries by `(parent, name)` → [`EdgeIdx`]; the key lives in the edge.
#[derive(Debug, Default)]
pub struct NameIndex {
    /// `1 << bits` slots, or none before the first insert.
    slots: Vec<u64>,
    /// log2 of `slots.len()` (meaningless while `slots` is empty).
    bits: u32,
    /// Slots holding an entry.
    live: usize,
    /// Slots holding [`TOMBSTONE`].
    tombstones: usize,
}

/// Where a probe for a key ended.
enum Probe {
    /// The slot holding the key.
    Found(usize),
    /// The key is absent; it would go in this slot (the first tombstone on the way,
    /// else the empty slot that ended the probe).
    Vacant(usize),
    /// The key is absent and no slot can take it (only if the table is full, which
    /// the load limit prevents).
    Full,
}

impl NameIndex {
    /// An index that holds `n` entries without growing.
    pub fn with_capacity(n: usize) -> Self {
        let bits = bits_for(n);
        NameIndex {
            slots: vec![EMPTY; 1usize << bits],
            bits,
            live: 0,
            tombstones: 0,
        }
    }

    /// Builds an index of `entries` (`(parent, edge)`, the name read from the edge;
    /// later duplicates replace earlier ones, as repeated [`NameIndex::insert`]s
    /// would), sized once for `capacity` entries. Home slots are prefetched a few
    /// entries ahead, so their cache misses overlap.
    pub fn build<I>(edges: &EdgeTable<'_>, capacity: usize, entries: I) -> Self
    where
        I: IntoIterator<Item = (u32, EdgeIdx)>,
    {
        let mut index = NameIndex::with_capacity(capacity);
        let mut pending: VecDeque<(u32, u32, EdgeIdx)> = VecDeque::with_capacity(PREFETCH_AHEAD);
        for (parent, idx) in entries {
            let Some(edge) = edges.get(idx) else {
                continue;
            };
            let tag = tag_of(parent, edge.name);
            if let Some(slot) = index.slots.get(index.home(tag)) {
                prefetch(slot);
            }
            if pending.len() == PREFETCH_AHEAD {
                if let Some((tag, parent, idx)) = pending.pop_front() {
                    index.insert_built(edges, tag, parent, idx);
                }
            }
            pending.push_back((tag, parent, idx));
        }
        for (tag, parent, idx) in pending {
            index.insert_built(edges, tag, parent, idx);
        }
        index
    }

    /// [`NameIndex::build`] of every edge that has a parent, in slot order, when that is
    /// the order of the directories' lists ([`EdgeTable::slots_in_list_order`]; else
    /// `None`), on two threads when there are at least `min_parallel` slots. Each thread
    /// hashes half of the slots and sorts its entries by the half of the table they go
    /// to; then each fills one half of the table, taking the entries of the first half
    /// of the slots before those of the second (so that of two edges with one key, the
    /// later still wins: they share a home slot). An entry whose probe would leave its
    /// half of the table is put in afterwards, by the calling thread, probing on from
    /// there as [`NameIndex::insert`] does.
    pub fn build_from_slots(
        edges: &EdgeTable<'_>,
        capacity: usize,
        min_parallel: usize,
    ) -> Option<Self> {
        let slab = edges.slots_in_list_order()?;
        let mut index = NameIndex::with_capacity(capacity);
        if slab.len() < min_parallel || index.bits < 2 {
            let entries = slab.iter().enumerate().filter(|(_, e)| e.parent != 0);
            let entries = entries.map(|(i, e)| (e.parent, i as EdgeIdx));
            return Some(NameIndex::build(edges, capacity, entries));
        }
        let half_slots = index.slots.len() / 2;
        let (first, second) = slab.split_at(slab.len() / 2);
        let split = |part: &[Edge<'_>], base: usize| {
            let mut halves: [Vec<u64>; 2] = Default::default();
            for (i, e) in part.iter().enumerate() {
                if e.parent != 0 {
                    let tag = tag_of(e.parent, e.name);
                    let half = usize::from(index.home(tag) >= half_slots);
                    if let Some(h) = halves.get_mut(half) {
                        h.push(pack(tag, (base + i) as EdgeIdx));
                    }
                }
            }
            halves
        };
        let ([a_low, a_high], [b_low, b_high]) = std::thread::scope(|scope| {
            let second_half = scope.spawn(|| split(second, first.len()));
            let first_half = split(first, 0);
            (first_half, joined(second_half))
        });
        let bits = index.bits;
        let (low, high) = index.slots.split_at_mut(half_slots);
        let fill = |table: &mut [u64], offset: usize, parts: [&[u64]; 2]| {
            // Fresh zeroed memory is mapped on the first access, and a first read
            // maps a shared zero page that the first write must then replace, which
            // interrupts the other thread (a TLB flush): write every slot first.
            std::hint::black_box(&mut *table).fill(EMPTY);
            let mut left_over = Vec::new();
            let mut live = 0;
            for &entry in parts.into_iter().flatten() {
                match place_within(edges, table, offset, bits, entry) {
                    Some(true) => live += 1,
                    Some(false) => {}
                    None => left_over.push(entry),
                }
            }
            (live, left_over)
        };
        let ((live_low, left_low), (live_high, left_high)) = std::thread::scope(|scope| {
            let upper = scope.spawn(|| fill(high, half_slots, [&a_high, &b_high]));
            let lower = fill(low, 0, [&a_low, &b_low]);
            (lower, joined(upper))
        });
        index.live = live_low + live_high;
        for entry in left_low.into_iter().chain(left_high) {
            if let Some(e) = edges.get(slot_edge(entry)) {
                index.insert_tagged(edges, slot_tag(entry), e.parent, e.name, slot_edge(entry));
            }
        }
        Some(index)
    }

    /// Inserts an edge queued by [`NameIndex::build`].
    fn insert_built(&mut self, edges: &EdgeTable<'_>, tag: u32, parent: u32, idx: EdgeIdx) {
        if let Some(edge) = edges.get(idx) {
            self.insert_tagged(edges, tag, parent, edge.name, idx);
        }
    }

    /// Number of entries.
    pub fn len(&self) -> usize {
        self.live
    }

    /// Whether there are no entries.
    pub fn is_empty(&self) -> bool {
        self.live == 0
    }

    /// Number of slots (0 before the first insert).
    pub fn capacity(&self) -> usize {
        self.slots.len()
    }

    /// The entry `name` in directory `parent`.
    #[inline]
    pub fn get(&self, edges: &EdgeTable<'_>, parent: u32, name: &[u8]) -> Option<EdgeIdx> {
        self.get_tagged(edges, tag_of(parent, name), parent, name)
    }

    /// Maps `(parent, name)` to `idx` (the name of edge `idx`, normally); returns the
    /// edge it replaced, as `HashMap::insert` does.
    pub fn insert(
        &mut self,
        edges: &EdgeTable<'_>,
        parent: u32,
        name: &[u8],
        idx: EdgeIdx,
    ) -> Option<EdgeIdx> {
        self.insert_tagged(edges, tag_of(parent, name), parent, name, idx)
    }

    /// Removes `(parent, name)` if it maps to `idx` (and only then); returns whether it
    /// did. Call it while edge `idx` still holds its key.
    pub fn remove_if(
        &mut self,
        edges: &EdgeTable<'_>,
        parent: u32,
        name: &[u8],
        idx: EdgeIdx,
    ) -> bool {
        self.remove_if_tagged(edges, tag_of(parent, name), parent, name, idx)
    }

    /// Hints that `(parent, name)` will be looked up soon: fetches its home slot into
    /// the cache (see [`super::prefetch`]).
    #[inline]
    pub fn prefetch_slot(&self, parent: u32, name: &[u8]) {
        if let Some(slot) = self.slots.get(self.home(tag_of(parent, name))) {
            prefetch(slot);
        }
    }

    /// The next step after [`NameIndex::prefetch_slot`]: fetches the edge the home slot
    /// names, if its tag matches (the edge is read to confirm the key).
    #[inline]
    pub fn prefetch_edge(&self, edges: &EdgeTable<'_>, parent: u32, name: &[u8]) {
        let tag = tag_of(parent, name);
        if let Some(&slot) = self.slots.get(self.home(tag)) {
            if slot_tag(slot) == tag {
                edges.prefetch(slot_edge(slot));
            }
        }
    }

    /// The step after [`NameIndex::prefetch_edge`]: reads that edge and fetches its
    /// name (compared with `name` by the lookup).
    #[inline]
    pub fn prefetch_name(&self, edges: &EdgeTable<'_>, parent: u32, name: &[u8]) {
        let tag = tag_of(parent, name);
        if let Some(&slot) = self.slots.get(self.home(tag)) {
            if slot_tag(slot) == tag {
                if let Some(first) = edges.get(slot_edge(slot)).and_then(|e| e.name.first()) {
                    prefetch(first);
                }
            }
        }
    }

    #[inline]
    fn home(&self, tag: u32) -> usize {
        home_of(tag, self.bits) & self.mask()
    }

    #[inline]
    fn mask(&self) -> usize {
        self.slots.len().wrapping_sub(1)
    }

    /// At most this many slots may be used (live + tombstones).
    fn limit(&self) -> usize {
        self.slots.len() / 8 * 7
    }

    /// Probes for `(parent, name)` with `tag`.
    #[inline]
    fn probe(&self, edges: &EdgeTable<'_>, tag: u32, parent: u32, name: &[u8]) -> Probe {
        let mask = self.mask();
        let mut pos = self.home(tag);
        let mut first_tombstone = None;
        for _ in 0..self.slots.len() {
            let Some(&slot) = self.slots.get(pos) else {
                break;
            };
            if slot == EMPTY {
                return Probe::Vacant(first_tombstone.unwrap_or(pos));
            }
            if slot == TOMBSTONE {
                first_tombstone.get_or_insert(pos);
            } else if slot_tag(slot) == tag && holds(edges, slot_edge(slot), parent, name) {
                return Probe::Found(pos);
            }
            pos = (pos + 1) & mask;
        }
        first_tombstone.map_or(Probe::Full, Probe::Vacant)
    }

    fn get_tagged(
        &self,
        edges: &EdgeTable<'_>,
        tag: u32,
        parent: u32,
        name: &[u8],
    ) -> Option<EdgeIdx> {
        match self.probe(edges, tag, parent, name) {
            Probe::Found(pos) => self.slots.get(pos).map(|&s| slot_edge(s)),
            Probe::Vacant(_) | Probe::Full => None,
        }
    }

    fn insert_tagged(
        &mut self,
        edges: &EdgeTable<'_>,
        tag: u32,
        parent: u32,
        name: &[u8],
        idx: EdgeIdx,
    ) -> Option<EdgeIdx> {
        self.make_room();
        match self.probe(edges, tag, parent, name) {
            Probe::Found(pos) => {
                let slot = self.slots.get_mut(pos)?;
                let old = slot_edge(*slot);
                *slot = pack(tag, idx);
                Some(old)
            }
            Probe::Vacant(pos) => {
                let slot = self.slots.get_mut(pos)?;
                if *slot == TOMBSTONE {
                    self.tombstones -= 1;
                }
                *slot = pack(tag, idx);
                self.live += 1;
                None
            }
            Probe::Full => None,
        }
    }

    fn remove_if_tagged(
        &mut self,
        edges: &EdgeTable<'_>,
        tag: u32,
        parent: u32,
        name: &[u8],
        idx: EdgeIdx,
    ) -> bool {
        let Probe::Found(pos) = self.probe(edges, tag, parent, name) else {
            return false;
        };
        if self.slots.get(pos).map(|&s| slot_edge(s)) != Some(idx) {
            return false;
        }
        self.live -= 1;
        let mask = self.mask();
        let next_is_empty = self.slots.get((pos + 1) & mask) == Some(&EMPTY);
        if !next_is_empty {
            if let Some(slot) = self.slots.get_mut(pos) {
                *slot = TOMBSTONE;
                self.tombstones += 1;
            }
            return true;
        }
        // No probe passes through a slot followed by an empty one, so it can be
        // emptied; and so can the tombstones just before it.
        if let Some(slot) = self.slots.get_mut(pos) {
            *slot = EMPTY;
        }
        let mut at = pos;
        for _ in 0..self.slots.len() {
            at = at.wrapping_sub(1) & mask;
            match self.slots.get_mut(at) {
                Some(slot) if *slot == TOMBSTONE => {
                    *slot = EMPTY;
                    self.tombstones -= 1;
                }
                _ => break,
            }
        }
        true
    }

    /// Makes sure one more slot can be used: the first table, a same-size rebuild that
    /// drops the tombstones, or a doubling.
    fn make_room(&mut self) {
        if self.slots.is_empty() {
            *self = NameIndex::with_capacity(0);
            return;
        }
        if self.live + self.tombstones < self.limit() {
            return;
        }
        let bits = if self.live < self.limit() / 2 {
            self.bits
        } else {
            (self.bits + 1).min(MAX_BITS)
        };
        if bits == self.bits && self.tombstones == 0 {
            // At the largest size and all live: go on past the load limit while an
            // empty slot remains (the probe reports `Full` after that).
            return;
        }
        self.rebuild(bits);
    }

    /// Moves every entry into a fresh table of `1 << bits` slots (no edge reads: the
    /// home slot comes from the tag).
    fn rebuild(&mut self, bits: u32) {
        let mut next = NameIndex {
            slots: vec![EMPTY; 1usize << bits],
            bits,
            live: 0,
            tombstones: 0,
        };
        let mask = next.mask();
        for &slot in self.slots.iter().filter(|&&s| is_live(s)) {
            let mut pos = next.home(slot_tag(slot));
            for _ in 0..next.slots.len() {
                match next.slots.get_mut(pos) {
                    Some(s) if *s == EMPTY => {
                        *s = slot;
                        next.live += 1;
                        break;
                    }
                    _ => pos = (pos + 1) & mask,
                }
            }
        }
        *self = next;
    }
}

/// The home slot of `tag` in a table of `1 << bits` slots: the top `bits` bits of the
/// tag (`bits` is 0 only while there are no slots).
#[inline]
fn home_of(tag: u32, bits: u32) -> usize {
    (tag >> (32 - bits.clamp(1, MAX_BITS))) as usize
}

/// The result of a scoped thread; its panic, if it panicked, goes on in this thread.
fn joined<T>(handle: std::thread::ScopedJoinHandle<'_, T>) -> T {
    handle
        .join()
        .unwrap_or_else(|panic| std::panic::resume_unwind(panic))
}

/// Puts `entry` (a packed slot) in `table`, the part of a fresh table (no tombstones) of
/// `1 << bits` slots that starts at slot `offset`, probing from its home slot without
/// leaving the part: `Some(true)` for a new key, `Some(false)` for one that was there
/// (its slot now names this entry's edge), `None` when the probe reached the part's end.
fn place_within(
    edges: &EdgeTable<'_>,
    table: &mut [u64],
    offset: usize,
    bits: u32,
    entry: u64,
) -> Option<bool> {
    let tag = slot_tag(entry);
    let home = home_of(tag, bits);
    let key = edges.get(slot_edge(entry)).map(|e| (e.parent, e.name))?;
    for slot in table.get_mut(home.checked_sub(offset)?..)? {
        if *slot == EMPTY {
            *slot = entry;
            return Some(true);
        }
        if slot_tag(*slot) == tag && holds(edges, slot_edge(*slot), key.0, key.1) {
            *slot = entry;
            return Some(false);
        }
    }
    None
}

/// log2 of the smallest table holding `n` entries within the load limit.
fn bits_for(n: usize) -> u32 {
    let mut bits = MIN_BITS;
    while bits < MAX_BITS && ((1usize << bits) / 8 * 7) < n {
        bits += 1;
    }
    bits
}

#[inline]
fn pack(tag: u32, idx: EdgeIdx) -> u64 {
    (u64::from(tag) << 32) | u64::from(idx)
}

#[inline]
fn slot_tag(slot: u64) -> u32 {
    (slot >> 32) as u32
}

#[inline]
fn slot_edge(slot: u64) -> EdgeIdx {
    slot as u32
}

/// Live slots have a non-zero tag; [`EMPTY`] and [`TOMBSTONE`] have tag 0.
#[inline]
fn is_live(slot: u64) -> bool {
    slot_tag(slot) != 0
}

/// Whether edge `idx` is the entry `name` in `parent`.
#[inline]
fn holds(edges: &EdgeTable<'_>, idx: EdgeIdx, parent: u32, name: &[u8]) -> bool {
    edges
        .get(idx)
        .is_some_and(|e| e.parent == parent && e.name == name)
}

/// The 128-bit product's halves xored: every input bit reaches most output bits.
#[inline]
fn fold(a: u64, b: u64) -> u64 {
    let p = u128::from(a) * u128::from(b);
    (p as u64) ^ ((p >> 64) as u64)
}

/// The slot tag of `(parent, name)`: the high half of its hash, bit 0 set.
#[inline]
fn tag_of(parent: u32, name: &[u8]) -> u32 {
    let mut h = fold(u64::from(parent) ^ K0, (name.len() as u64) ^ K1);
    let mut words = name.chunks_exact(8);
    for word in &mut words {
        let word: [u8; 8] = word.try_into().unwrap_or_default();
        h = fold(h ^ u64::from_be_bytes(word), K0);
    }
    let rest = words.remainder();
    if !rest.is_empty() {
        let mut word = [0u8; 8];
        if let Some(head) = word.get_mut(..rest.len()) {
            head.copy_from_slice(rest);
        }
        h = fold(h ^ u64::from_be_bytes(word), K0);
    }
    ((fold(h, K1) >> 32) as u32) | 1
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;
    use crate::model::edges::Edge;
    use crate::model::nodes::NO_EDGE;

    /// Edges named by the test, with stable indexes.
    struct Fixture {
        edges: EdgeTable<'static>,
    }

    impl Fixture {
        fn new() -> Self {
            Fixture {
                edges: EdgeTable::default(),
            }
        }

        fn edge(&mut self, parent: u32, name: &'static [u8]) -> EdgeIdx {
            self.edges.alloc(Edge {
                parent,
                child: 100,
                id: 0,
                name,
                prev: NO_EDGE,
                next: NO_EDGE,
                next_parent: NO_EDGE,
            })
        }
    }

    /// Leaks a name so edges can borrow it for the test's lifetime.
    fn name(s: String) -> &'static [u8] {
        Box::leak(s.into_bytes().into_boxed_slice())
    }

    #[test]
    fn insert_get_replace_remove() {
        let mut f = Fixture::new();
        let a = f.edge(1, b"a");
        let a2 = f.edge(1, b"a");
        let b = f.edge(2, b"a");
        let mut index = NameIndex::default();
        assert_eq!(index.get(&f.edges, 1, b"a"), None);
        assert_eq!(index.insert(&f.edges, 1, b"a", a), None);
        assert_eq!(index.insert(&f.edges, 2, b"a", b), None);
        assert_eq!(index.get(&f.edges, 1, b"a"), Some(a));
        assert_eq!(index.get(&f.edges, 2, b"a"), Some(b));
        assert_eq!(index.get(&f.edges, 1, b"b"), None);
        assert_eq!(index.get(&f.edges, 3, b"a"), None);
        // A second edge with the same key replaces the first.
        assert_eq!(index.insert(&f.edges, 1, b"a", a2), Some(a));
        assert_eq!(index.len(), 2);
        assert_eq!(index.get(&f.edges, 1, b"a"), Some(a2));
        // Removing the replaced edge leaves the key alone.
        assert!(!index.remove_if(&f.edges, 1, b"a", a));
        assert_eq!(index.get(&f.edges, 1, b"a"), Some(a2));
        assert!(index.remove_if(&f.edges, 1, b"a", a2));
        assert_eq!(index.get(&f.edges, 1, b"a"), None);
        assert!(!index.remove_if(&f.edges, 1, b"a", a2));
        assert_eq!(index.len(), 1);
        assert_eq!(index.get(&f.edges, 2, b"a"), Some(b));
    }

    #[test]
    fn names_differing_only_in_trailing_nuls_or_words_are_distinct() {
        let mut f = Fixture::new();
        let keys: [&'static [u8]; 6] = [
            b"",
            b"\0",
            b"abcdefgh",
            b"abcdefgh\0",
            b"abcdefghabcdefgh",
            b"abcdefgi",
        ];
        let mut index = NameIndex::default();
        let idxs: Vec<EdgeIdx> = keys.iter().map(|k| f.edge(7, k)).collect();
        for (k, &i) in keys.iter().zip(&idxs) {
            assert_eq!(index.insert(&f.edges, 7, k, i), None);
        }
        for (k, &i) in keys.iter().zip(&idxs) {
            assert_eq!(index.get(&f.edges, 7, k), Some(i));
        }
        let tags: std::collections::HashSet<u32> = keys.iter().map(|k| tag_of(7, k)).collect();
        assert_eq!(tags.len(), keys.len(), "no two of these share a tag");
    }

    /// Equal tags force every key into one probe run of a 16-slot table.
    #[test]
    fn equal_tags_are_told_apart_by_the_edge() {
        let mut f = Fixture::new();
        let mut index = NameIndex::with_capacity(0);
        assert_eq!(index.capacity(), 16);
        const TAG: u32 = 0xF000_0001;
        let names: Vec<&'static [u8]> = (0..14).map(|i| name(format!("n{i}"))).collect();
        let idxs: Vec<EdgeIdx> = names.iter().map(|n| f.edge(1, n)).collect();
        for (n, &i) in names.iter().zip(&idxs) {
            assert_eq!(index.insert_tagged(&f.edges, TAG, 1, n, i), None);
        }
        assert_eq!(index.capacity(), 16, "14 entries fit in 16 slots");
        for (n, &i) in names.iter().zip(&idxs) {
            assert_eq!(index.get_tagged(&f.edges, TAG, 1, n), Some(i));
        }
        assert_eq!(index.get_tagged(&f.edges, TAG, 1, b"other"), None);
        // The run wrapped past the last slot.
        assert!(index.slots.first().is_some_and(|&s| is_live(s)));
    }

    #[test]
    fn tombstones_are_reused_and_trailing_ones_cleared() {
        let mut f = Fixture::new();
        let mut index = NameIndex::with_capacity(0);
        const TAG: u32 = 0x1000_0001; // home slot 1 of 16
        let a = f.edge(1, b"a");
        let b = f.edge(1, b"b");
        let c = f.edge(1, b"c");
        let d = f.edge(1, b"d");
        for (n, i) in [(&b"a"[..], a), (b"b", b), (b"c", c)] {
            index.insert_tagged(&f.edges, TAG, 1, n, i);
        }
        // Removing the middle of a run leaves a tombstone; the probe still passes it.
        assert!(index.remove_if_tagged(&f.edges, TAG, 1, b"b", b));
        assert_eq!((index.live, index.tombstones), (2, 1));
        assert_eq!(index.slots.get(2), Some(&TOMBSTONE));
        assert_eq!(index.get_tagged(&f.edges, TAG, 1, b"c"), Some(c));
        // A new key takes the first tombstone.
        assert_eq!(index.insert_tagged(&f.edges, TAG, 1, b"d", d), None);
        assert_eq!((index.live, index.tombstones), (3, 0));
        assert_eq!(index.slots.get(2).map(|&s| slot_edge(s)), Some(d));
        // Removing the end of a run empties it and the tombstones before it.
        assert!(index.remove_if_tagged(&f.edges, TAG, 1, b"d", d));
        assert_eq!(index.tombstones, 1);
        assert!(index.remove_if_tagged(&f.edges, TAG, 1, b"c", c));
        assert_eq!((index.live, index.tombstones), (1, 0));
        assert_eq!(index.slots.get(2..4), Some(&[EMPTY, EMPTY][..]));
        assert_eq!(index.get_tagged(&f.edges, TAG, 1, b"a"), Some(a));
    }

    #[test]
    fn grows_by_doubling_and_rebuilds_when_tombstones_pile_up() {
        let mut f = Fixture::new();
        let mut index = NameIndex::default();
        assert_eq!(index.capacity(), 0);
        let names: Vec<&'static [u8]> = (0..1000).map(|i| name(format!("file{i}"))).collect();
        let idxs: Vec<EdgeIdx> = names.iter().map(|n| f.edge(9, n)).collect();
        for (n, &i) in names.iter().zip(&idxs) {
            index.insert(&f.edges, 9, n, i);
        }
        assert_eq!(index.capacity(), 2048);
        assert_eq!(index.len(), 1000);
        for (n, &i) in names.iter().zip(&idxs) {
            assert_eq!(index.get(&f.edges, 9, n), Some(i));
        }
        // Churn with a steady size of 40 in 128 slots: tombstones pile up, but the
        // table must not grow.
        let mut index = NameIndex::with_capacity(100);
        let cap = index.capacity();
        for (k, (n, &i)) in names.iter().zip(&idxs).enumerate() {
            index.insert(&f.edges, 9, n, i);
            if k >= 40 {
                let (old, &oi) = (names[k - 40], &idxs[k - 40]);
                assert!(index.remove_if(&f.edges, 9, old, oi));
            }
            assert!(index.live + index.tombstones <= index.limit());
        }
        assert_eq!(index.capacity(), cap);
        assert_eq!(index.len(), 40);
        for (n, &i) in names.iter().zip(&idxs).skip(960) {
            assert_eq!(index.get(&f.edges, 9, n), Some(i));
        }
    }

    /// The two-thread build from the edge slots gives the index the one-thread build
    /// gives from the same entries in slot order: repeated names (the later wins),
    /// entries without a parent (left out), and runs that overflow the lower half of
    /// the table and the end of the table (put in afterwards, probing on).
    #[test]
    fn build_from_slots_matches_the_one_thread_build() {
        let mut f = Fixture::new();
        for i in 0..400u32 {
            let n = name(format!("x{}", if i % 5 == 4 { i - 3 } else { i }));
            f.edge(if i % 11 == 0 { 0 } else { i % 7 + 1 }, n);
        }
        // Sized for 450 entries: 1024 slots, halves of 512. Keys whose home is the last
        // slot of a half must probe out of it from the second one on.
        let home = |p: u32, n: &[u8]| (tag_of(p, n) >> 22) as usize;
        for end in [511, 1023] {
            let mut found = 0;
            for j in 0.. {
                let n = name(format!("y{j}"));
                if home(9, n) == end {
                    f.edge(9, n);
                    found += 1;
                    if found == 4 {
                        break;
                    }
                }
            }
        }
        let slab = f.edges.slots_in_list_order().expect("only appended");
        let entries: Vec<(u32, EdgeIdx)> = slab
            .iter()
            .enumerate()
            .filter(|(_, e)| e.parent != 0)
            .map(|(i, e)| (e.parent, i as EdgeIdx))
            .collect();
        let one = NameIndex::build(&f.edges, 450, entries.iter().copied());
        let two = NameIndex::build_from_slots(&f.edges, 450, 0).unwrap();
        assert_eq!(two.capacity(), 1024);
        assert_eq!(two.len(), one.len());
        for e in slab {
            assert_eq!(
                two.get(&f.edges, e.parent, e.name),
                one.get(&f.edges, e.parent, e.name),
                "{} {:?}",
                e.parent,
                e.name
            );
        }
        // The overflowing runs did leave their halves.
        let homed_at = |home: u32| {
            let slots = two.slots.iter().enumerate();
            slots.filter(move |&(_, &s)| is_live(s) && slot_tag(s) >> 22 == home)
        };
        assert!(homed_at(511).any(|(at, _)| at >= 512));
        assert!(homed_at(1023).any(|(at, _)| at < 512));
        // Below the threshold the one-thread build runs.
        let small = NameIndex::build_from_slots(&f.edges, 450, usize::MAX).unwrap();
        assert_eq!(small.slots, one.slots);
    }

    #[test]
    fn build_matches_repeated_inserts() {
        let mut f = Fixture::new();
        let mut entries = Vec::new();
        for i in 0..500u32 {
            // Every fifth name repeats an earlier one: the later edge must win.
            let n = name(format!("x{}", if i % 5 == 4 { i - 3 } else { i }));
            entries.push((i % 7 + 1, f.edge(i % 7 + 1, n)));
        }
        let built = NameIndex::build(&f.edges, entries.len(), entries.iter().copied());
        let mut inserted = NameIndex::default();
        for &(p, i) in &entries {
            let n = f.edges.get(i).map(|e| e.name).unwrap_or_default();
            inserted.insert(&f.edges, p, n, i);
        }
        assert_eq!(built.len(), inserted.len());
        assert_eq!(built.capacity(), 1024, "sized once for 500 entries");
        for &(p, i) in &entries {
            let n = f.edges.get(i).map(|e| e.name).unwrap_or_default();
            assert_eq!(built.get(&f.edges, p, n), inserted.get(&f.edges, p, n));
        }
    }

    /// xorshift64*, so the test needs no dependency.
    struct Rng(u64);

    impl Rng {
        fn below(&mut self, n: u64) -> u64 {
            self.0 ^= self.0 >> 12;
            self.0 ^= self.0 << 25;
            self.0 ^= self.0 >> 27;
            self.0.wrapping_mul(0x2545_F491_4F6C_DD1D) % n
        }
    }

    /// Random inserts, replacements and removals against a `HashMap` model, with few
    /// distinct keys (so removals and re-inserts hit the same runs) and a forced tag
    /// in half the rounds (so everything collides).
    #[test]
    fn random_operations_match_a_hashmap() {
        for (seed, forced) in [(1u64, false), (2, true), (3, false), (4, true)] {
            let mut rng = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
            let mut f = Fixture::new();
            let keys: Vec<(u32, &'static [u8])> = (0..60)
                .map(|k| {
                    (
                        k % 3 + 1,
                        name(format!("k{}", k / 3).repeat(k as usize % 4 + 1)),
                    )
                })
                .collect();
            let mut index = NameIndex::default();
            let mut model: HashMap<(u32, &[u8]), EdgeIdx> = HashMap::new();
            let tag = |p: u32, n: &[u8]| if forced { 0x8000_0001 } else { tag_of(p, n) };
            for _ in 0..5000 {
                let &(p, n) = &keys[rng.below(keys.len() as u64) as usize];
                match rng.below(3) {
                    0 | 1 => {
                        let i = f.edge(p, n);
                        let got = index.insert_tagged(&f.edges, tag(p, n), p, n, i);
                        assert_eq!(got, model.insert((p, n), i));
                    }
                    _ => {
                        // Remove either the current edge or a stale one.
                        let current = model.get(&(p, n)).copied();
                        let i = match current {
                            Some(i) if rng.below(4) > 0 => i,
                            _ => rng.below(u64::from(f.edges.len() as u32 + 1)) as u32,
                        };
                        let removed = index.remove_if_tagged(&f.edges, tag(p, n), p, n, i);
                        assert_eq!(removed, current == Some(i));
                        if removed {
                            model.remove(&(p, n));
                        }
                    }
                }
                assert_eq!(index.len(), model.len());
                assert!(index.live + index.tombstones <= index.limit());
            }
            for &(p, n) in &keys {
                let got = index.get_tagged(&f.edges, tag(p, n), p, n);
                assert_eq!(got, model.get(&(p, n)).copied());
            }
        }
    }
}
