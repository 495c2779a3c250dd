//! Merging the lines of several changelog files by change id, as `mfsmaster`'s merger
//! does (spec `changelog-format.md` §8).
//!
//! The master keeps a heap of files keyed by each file's next id and takes one line at
//! a time. Here the files are read in runs instead: the file with the smallest next id
//! is drained for as long as its ids stay below every other file's next id, so files
//! that follow one another (the usual case) cost one comparison per line, and only
//! overlapping files are interleaved line by line. Equal ids are taken from the file
//! given first (the master leaves that order unspecified).

use super::changelog_file::{Entry, FileEnd, Lines};

/// What the merge hands out next.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Item<'a> {
    /// The line with the smallest id.
    Line(Entry<'a>),
    /// A file has no more lines.
    FileEnd { file: usize, end: FileEnd },
}

/// Lines of several files in id order.
pub struct Merger<'a> {
    files: Vec<Lines<'a>>,
    /// Index in `files` of the file being drained.
    run: usize,
    /// The run goes on while `(id, file)` stays below this.
    run_limit: (u64, usize),
}

impl<'a> Merger<'a> {
    /// Merges `files`; a file's index in the slice is its number in [`Entry::file`] and
    /// its rank for equal ids.
    pub fn new(files: impl IntoIterator<Item = &'a [u8]>) -> Self {
        let files: Vec<Lines<'a>> = files
            .into_iter()
            .enumerate()
            .map(|(i, bytes)| Lines::new(i, bytes))
            .collect();
        Merger {
            files,
            run: 0,
            run_limit: (0, 0),
        }
    }

    /// Picks the next run: reports a finished file, or sets `run` to the file with the
    /// smallest next line and `run_limit` to the second smallest. `None` when nothing
    /// is left.
    fn next_run(&mut self) -> Option<Item<'a>> {
        if let Some(at) = self.files.iter().position(|f| f.peek().is_none()) {
            let done = self.files.swap_remove(at);
            return Some(Item::FileEnd {
                file: done.file(),
                end: done.end().unwrap_or(FileEnd::Eof),
            });
        }
        let mut best: Option<(usize, (u64, usize))> = None;
        let mut second = (u64::MAX, usize::MAX);
        for (at, f) in self.files.iter().enumerate() {
            let Some(e) = f.peek() else { continue };
            let key = (e.id, f.file());
            match best {
                Some((_, b)) if key >= b => second = second.min(key),
                Some((_, b)) => {
                    second = second.min(b);
                    best = Some((at, key));
                }
                None => best = Some((at, key)),
            }
        }
        let (at, _) = best?;
        self.run = at;
        self.run_limit = second;
        None
    }
}

impl<'a> Iterator for Merger<'a> {
    type Item = Item<'a>;

    #[inline]
    fn next(&mut self) -> Option<Item<'a>> {
        loop {
            if let Some(f) = self.files.get_mut(self.run) {
                if let Some(&e) = f.peek() {
                    if (e.id, e.file) < self.run_limit {
                        f.advance();
                        return Some(Item::Line(e));
                    }
                }
            }
            if let Some(end) = self.next_run() {
                return Some(end);
            }
            if self.files.is_empty() {
                return None;
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ids(files: &[&[u8]]) -> Vec<(usize, u64)> {
        Merger::new(files.iter().copied())
            .filter_map(|i| match i {
                Item::Line(e) => Some((e.file, e.id)),
                Item::FileEnd { .. } => None,
            })
            .collect()
    }

    #[test]
    fn files_in_sequence_are_read_one_after_another() {
        let a: &[u8] = b"1: a\n2: b\n";
        let b: &[u8] = b"3: c\n4: d\n";
        assert_eq!(ids(&[b, a]), vec![(1, 1), (1, 2), (0, 3), (0, 4)]);
    }

    #[test]
    fn overlapping_files_interleave_and_ties_go_to_the_first_file() {
        let a: &[u8] = b"1: a\n3: c\n5: e\n";
        let b: &[u8] = b"2: b\n3: c\n4: d\n";
        assert_eq!(
            ids(&[a, b]),
            vec![(0, 1), (1, 2), (0, 3), (1, 3), (1, 4), (0, 5)]
        );
        assert_eq!(
            ids(&[b, a]),
            vec![(1, 1), (0, 2), (0, 3), (1, 3), (0, 4), (1, 5)]
        );
    }

    #[test]
    fn file_ends_are_reported() {
        let a: &[u8] = b"1: a\n1: again\n";
        let items: Vec<Item> = Merger::new([a]).collect();
        assert_eq!(items.len(), 2);
        assert!(matches!(
            items[1],
            Item::FileEnd {
                file: 0,
                end: FileEnd::Garbage { line: 2, .. }
            }
        ));
        assert_eq!(Merger::new(std::iter::empty()).count(), 0);
        let empty: &[u8] = b"";
        assert_eq!(ids(&[empty, a]), vec![(1, 1)]);
    }
}
