//! Edges: directory entries, and trash/sustained entries (parent 0).
//!
//! Each directory keeps its children in a doubly linked list (new entries go to the
//! head, so with ids counting down a list is in ascending id order); trash and
//! sustained entries live in bucket lists keyed by inode. Each node keeps the list of
//! edges pointing at it (`Node::parents`, linked by `Edge::next_parent`).

use super::nodes::{EdgeIdx, EdgeList, NO_EDGE};
use super::prefault::Region;

/// Trash buckets: `inode % TRASH_BUCKETS`.
pub const TRASH_BUCKETS: usize = 4096;
/// Sustained buckets: `inode % SUSTAINED_BUCKETS`.
pub const SUSTAINED_BUCKETS: usize = 256;
/// `nextedgeid` of a new file system.
pub const FIRST_EDGE_ID: u64 = 0x7FFF_FFFF_FFFF_FFFE;
/// Longest name of a directory entry.
pub const NAME_MAX: usize = 255;
/// Longest path of a trash or sustained entry.
pub const PATH_MAX: usize = 1024;

/// One entry.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Edge<'a> {
    /// 0 for trash and sustained entries.
    pub parent: u32,
    pub child: u32,
    pub id: u64,
    pub name: &'a [u8],
    /// Neighbours in the parent's child list (or the bucket list).
    pub prev: EdgeIdx,
    pub next: EdgeIdx,
    /// Next edge pointing to the same child.
    pub next_parent: EdgeIdx,
}

/// Which bucket list a parent-0 entry is in.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Bucket {
    Trash,
    Sustained,
}

/// All edges, in a slab with reusable slots.
#[derive(Debug)]
pub struct EdgeTable<'a> {
    slab: Vec<Edge<'a>>,
    free_slots: Vec<EdgeIdx>,
    pub trash: Vec<EdgeList>,
    pub sustained: Vec<EdgeList>,
    /// The next edge id to hand out (ids count down).
    pub next_edge_id: u64,
    /// Every directory list was only ever appended to, each with a slot above its tail,
    /// and nothing was unlinked (see [`EdgeTable::slots_in_list_order`]).
    appended_only: bool,
}

impl Default for EdgeTable<'_> {
    fn default() -> Self {
        EdgeTable {
            slab: Vec::new(),
            free_slots: Vec::new(),
            trash: vec![EdgeList::default(); TRASH_BUCKETS],
            sustained: vec![EdgeList::default(); SUSTAINED_BUCKETS],
            next_edge_id: FIRST_EDGE_ID,
            appended_only: true,
        }
    }
}

impl<'a> EdgeTable<'a> {
    pub fn with_capacity(n: usize) -> Self {
        EdgeTable {
            slab: Vec::with_capacity(n),
            ..Default::default()
        }
    }

    /// Number of edge slots, released ones included (an upper bound on the edges).
    pub fn len(&self) -> usize {
        self.slab.len()
    }

    /// Whether no edge was ever stored.
    pub fn is_empty(&self) -> bool {
        self.slab.is_empty()
    }

    /// Makes room for `n` more edges (a size hint; the caller bounds it by the input size).
    pub fn reserve(&mut self, n: usize) {
        self.slab.reserve(n);
    }

    /// Where the next `n` new edges will be stored, if the capacity holds them (see
    /// [`super::prefault`]).
    pub fn spare_region(&self, n: usize) -> Region {
        Region::spare(&self.slab, n)
    }

    /// Every slot (slot `i` holding edge `i`), if slot order is also the order of each
    /// directory's list and every slot is live: true of a table as loaded, whose edges
    /// were all appended, each to the end of its list.
    pub fn slots_in_list_order(&self) -> Option<&[Edge<'a>]> {
        (self.appended_only && self.free_slots.is_empty()).then_some(&self.slab[..])
    }

    /// Hints that edge `idx` will be read soon (see [`super::prefetch`]).
    #[inline]
    pub fn prefetch(&self, idx: EdgeIdx) {
        if let Some(e) = self.slab.get(idx as usize) {
            super::prefetch::prefetch_all(e);
        }
    }

    #[inline]
    pub fn get(&self, idx: EdgeIdx) -> Option<&Edge<'a>> {
        self.slab.get(idx as usize)
    }

    #[inline]
    pub fn get_mut(&mut self, idx: EdgeIdx) -> Option<&mut Edge<'a>> {
        self.slab.get_mut(idx as usize)
    }

    /// Stores an edge that is in no list yet.
    pub fn alloc(&mut self, edge: Edge<'a>) -> EdgeIdx {
        let edge = Edge {
            prev: NO_EDGE,
            next: NO_EDGE,
            next_parent: NO_EDGE,
            ..edge
        };
        if let Some(idx) = self.free_slots.pop() {
            if let Some(slot) = self.slab.get_mut(idx as usize) {
                *slot = edge;
                return idx;
            }
        }
        self.slab.push(edge);
        (self.slab.len() - 1) as EdgeIdx
    }

    /// Releases the slot of an edge already unlinked from every list.
    pub fn release(&mut self, idx: EdgeIdx) {
        self.appended_only = false;
        self.free_slots.push(idx);
    }

    /// The list a bucket entry of `child` belongs to.
    pub fn bucket_mut(&mut self, bucket: Bucket, child: u32) -> &mut EdgeList {
        let (lists, n) = match bucket {
            Bucket::Trash => (&mut self.trash, TRASH_BUCKETS),
            Bucket::Sustained => (&mut self.sustained, SUSTAINED_BUCKETS),
        };
        let i = child as usize % n;
        // The index is in range by construction (modulo the list count).
        &mut lists[i]
    }

    /// Appends `idx` at the tail of `list`.
    pub fn push_back(&mut self, list: &mut EdgeList, idx: EdgeIdx) {
        let old_tail = list.tail;
        if old_tail != NO_EDGE && idx < old_tail {
            self.appended_only = false;
        }
        if let Some(e) = self.get_mut(idx) {
            e.prev = old_tail;
            e.next = NO_EDGE;
        }
        match self.get_mut(old_tail) {
            Some(t) => t.next = idx,
            None => list.head = idx,
        }
        list.tail = idx;
    }

    /// Inserts `idx` at the head of `list`.
    pub fn push_front(&mut self, list: &mut EdgeList, idx: EdgeIdx) {
        let old_head = list.head;
        // (Trash and sustained buckets, whose entries have no parent, may be in any order.)
        if self.get(idx).is_some_and(|e| e.parent != 0) {
            self.appended_only = false;
        }
        if let Some(e) = self.get_mut(idx) {
            e.prev = NO_EDGE;
            e.next = old_head;
        }
        match self.get_mut(old_head) {
            Some(h) => h.prev = idx,
            None => list.tail = idx,
        }
        list.head = idx;
    }

    /// Removes `idx` from `list`.
    pub fn unlink(&mut self, list: &mut EdgeList, idx: EdgeIdx) {
        let Some(&Edge { prev, next, .. }) = self.get(idx) else {
            return;
        };
        self.appended_only = false;
        match self.get_mut(prev) {
            Some(p) => p.next = next,
            None => list.head = next,
        }
        match self.get_mut(next) {
            Some(n) => n.prev = prev,
            None => list.tail = prev,
        }
    }

    /// The edges of a list, head to tail.
    pub fn iter_list(&self, list: EdgeList) -> ListIter<'_, 'a> {
        ListIter {
            table: self,
            at: list.head,
        }
    }

    /// Hands out the next edge id (ids count down; after a legacy load that left
    /// `nextedgeid` at its maximum, new edges get id 0 and the counter stays).
    pub fn take_edge_id(&mut self) -> u64 {
        if self.next_edge_id == crate::format::metadata::edges::EDGE_ID_MAX {
            return 0;
        }
        let id = self.next_edge_id;
        self.next_edge_id = self.next_edge_id.wrapping_sub(1);
        id
    }
}

/// Walks a list.
pub struct ListIter<'t, 'a> {
    table: &'t EdgeTable<'a>,
    at: EdgeIdx,
}

impl<'t, 'a> Iterator for ListIter<'t, 'a> {
    type Item = (EdgeIdx, &'t Edge<'a>);

    fn next(&mut self) -> Option<Self::Item> {
        let idx = self.at;
        let e = self.table.get(idx)?;
        self.at = e.next;
        Some((idx, e))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn edge(child: u32) -> Edge<'static> {
        Edge {
            parent: 1,
            child,
            id: 0,
            name: b"x",
            prev: 0,
            next: 0,
            next_parent: 0,
        }
    }

    /// Slot order stands for list order only while every directory list was appended
    /// to with rising slots and nothing was unlinked or released; bucket lists (no
    /// parent) do not count.
    #[test]
    fn slots_are_in_list_order_until_a_list_is_reordered() {
        let appended = || {
            let mut t = EdgeTable::default();
            let mut lists = [EdgeList::default(); 2];
            for child in 2..8 {
                let idx = t.alloc(edge(child));
                t.push_back(&mut lists[child as usize % 2], idx);
            }
            let trash = t.alloc(Edge {
                parent: 0,
                ..edge(9)
            });
            let mut bucket = *t.bucket_mut(Bucket::Trash, 9);
            t.push_front(&mut bucket, trash);
            (t, lists)
        };
        let (t, _) = appended();
        assert_eq!(t.slots_in_list_order().map(<[_]>::len), Some(7));
        type Change = Box<dyn Fn(&mut EdgeTable<'static>, &mut [EdgeList; 2])>;
        let changes: Vec<(&str, Change)> = vec![
            (
                "push_front",
                Box::new(|t, l| {
                    let idx = t.alloc(edge(20));
                    t.push_front(&mut l[0], idx);
                }),
            ),
            (
                "push_back of a lower slot",
                Box::new(|t, l| {
                    let (x, y) = (t.alloc(edge(21)), t.alloc(edge(22)));
                    t.push_back(&mut l[1], y);
                    t.push_back(&mut l[1], x);
                }),
            ),
            ("unlink", Box::new(|t, l| t.unlink(&mut l[0], 0))),
            (
                "release",
                Box::new(|t, l| {
                    t.unlink(&mut l[1], 1);
                    t.release(1);
                }),
            ),
        ];
        for (what, change) in changes {
            let (mut t, mut lists) = appended();
            change(&mut t, &mut lists);
            assert!(t.slots_in_list_order().is_none(), "{what}");
        }
    }

    #[test]
    fn list_operations_keep_order() {
        let mut t = EdgeTable::default();
        let mut list = EdgeList::default();
        let a = t.alloc(edge(2));
        let b = t.alloc(edge(3));
        let c = t.alloc(edge(4));
        t.push_back(&mut list, a);
        t.push_back(&mut list, b);
        t.push_front(&mut list, c);
        let order: Vec<u32> = t.iter_list(list).map(|(_, e)| e.child).collect();
        assert_eq!(order, [4, 2, 3]);
        t.unlink(&mut list, a);
        let order: Vec<u32> = t.iter_list(list).map(|(_, e)| e.child).collect();
        assert_eq!(order, [4, 3]);
        t.unlink(&mut list, c);
        t.unlink(&mut list, b);
        assert!(list.is_empty());
        assert_eq!(list.tail, NO_EDGE);
    }

    #[test]
    fn edge_ids_count_down() {
        let mut t = EdgeTable::default();
        assert_eq!(t.take_edge_id(), FIRST_EDGE_ID);
        assert_eq!(t.take_edge_id(), FIRST_EDGE_ID - 1);
    }
}
