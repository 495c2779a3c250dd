//! One changelog file: its first and last change ids as `mfsmaster -a` reads them when
//! it chooses files, and its lines as the master's merger reads them.
//!
//! File grammar (spec `changelog-format.md` §1, §8, §9):
//!
//! ```text
//! file = { line }
//! line = id ": " body "\n"        (at most MAX_LINE bytes; longer lines are cut)
//! ```
//!
//! The merger's per-file rules: the first line's id is taken whatever it is (a negative
//! id ends the file); every later id must be greater than the one before and smaller
//! than it plus [`MAX_ID_STEP`], otherwise the rest of the file is garbage and ignored
//! (not an error).

use std::path::PathBuf;

use memchr::{memchr, memrchr};

use crate::format::changelog::split_id;

use super::input::InputBytes;

/// The merger reads lines with `fgets` into a 200000-byte buffer: a line (with its
/// `\n`) longer than this is cut, and the rest is read as the next line.
pub const MAX_LINE: usize = 199_999;

/// A change id must be below the previous one plus this (`MAXIDHOLE`), or the file ends.
pub const MAX_ID_STEP: u64 = 10_000;

/// How many bytes at the start of a file are searched for the first id and its `:`.
const FIRST_ID_PROBE: usize = 50;

/// The last line is searched from the end in blocks of this size …
const LAST_LINE_BLOCK: usize = 32_768;
/// … as long as the block ends within this distance of the end of the file …
const LAST_LINE_REACH: usize = 200_000;
/// … so at most this many bytes from the end are searched (7 blocks).
const LAST_LINE_WINDOW: usize = LAST_LINE_REACH.div_ceil(LAST_LINE_BLOCK) * LAST_LINE_BLOCK;
/// The id of the last line may run this many bytes past the end of its block.
const LAST_ID_SLACK: usize = 32;

/// Decimal digits at the start of `bytes`, wrapping like the master's `u64` arithmetic,
/// and how many there were.
fn leading_digits(bytes: &[u8]) -> (u64, usize) {
    let mut value = 0u64;
    let mut used = 0;
    for &b in bytes.iter().take_while(|b| b.is_ascii_digit()) {
        value = value.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
        used += 1;
    }
    (value, used)
}

/// The first change id of a changelog as `mfsmaster -a` sees it when it chooses files:
/// the digits at the very start of the file, which must be followed by `:` within the
/// first 50 bytes; 0 otherwise (the file is then not used).
pub fn first_id(bytes: &[u8]) -> u64 {
    let head = bytes.get(..FIRST_ID_PROBE).unwrap_or(bytes);
    let (id, used) = leading_digits(head);
    if head.get(used) == Some(&b':') {
        id
    } else {
        0
    }
}

/// The last change id of a changelog as `mfsmaster -a` sees it when it chooses files:
/// the number at the start of the last line, followed by `:`. 0 (the file is then not
/// used) if the file does not end with `\n`, if the start of the last line is not
/// within the last 229376 bytes (7 blocks of 32 KiB), or if the line does not start with
/// an id.
///
/// The master's search goes backwards block by block; the only trace of that here is
/// where the id's digits must end (`LAST_ID_SLACK` bytes past the end of the block
/// that holds the line's start) and that a `\n` at the very first byte of the file
/// counts as the start of the last line itself.
pub fn last_id(bytes: &[u8]) -> u64 {
    let size = bytes.len();
    if size < 2 || bytes.last() != Some(&b'\n') {
        return 0;
    }
    let window_start = size.saturating_sub(LAST_LINE_WINDOW);
    let Some(body) = bytes.get(window_start..size - 1) else {
        return 0;
    };
    let line_start = match memrchr(b'\n', body) {
        Some(0) if window_start == 0 => 0,
        Some(at) => window_start + at + 1,
        None if window_start == 0 => 0,
        None => return 0,
    };
    // The block (counted from the end of the file) that holds the byte before the line.
    let anchor = line_start.saturating_sub(1);
    let block_end = size - (size - 1 - anchor) / LAST_LINE_BLOCK * LAST_LINE_BLOCK;
    let limit = size.min(block_end + LAST_ID_SLACK);
    let Some(line) = bytes.get(line_start..limit) else {
        return 0;
    };
    let (id, used) = leading_digits(line);
    if line.get(used) == Some(&b':') {
        id
    } else {
        0
    }
}

/// How much of a file the merger reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Tail {
    /// Everything, as `mfsmaster` does (used for files chosen by `-a`, which always end
    /// with `\n`).
    Whole,
    /// Only complete lines: an unterminated last line is a torn write and is left out.
    CompleteLines,
}

/// A changelog file ready to be merged.
pub struct ChangelogFile {
    /// The name used in messages (the bare file name for `-a`, the path as given
    /// otherwise).
    pub name: String,
    pub path: PathBuf,
    bytes: InputBytes,
    /// Bytes the merger reads (`bytes.len()` unless a torn last line is left out).
    len: usize,
}

impl ChangelogFile {
    /// A file whose bytes are read up to `tail`.
    pub fn new(name: String, path: PathBuf, bytes: InputBytes, tail: Tail) -> Self {
        let len = match tail {
            Tail::Whole => bytes.len(),
            Tail::CompleteLines => memrchr(b'\n', &bytes).map_or(0, |at| at + 1),
        };
        ChangelogFile {
            name,
            path,
            bytes,
            len,
        }
    }

    /// The bytes the merger reads.
    pub fn bytes(&self) -> &[u8] {
        self.bytes.get(..self.len).unwrap_or_default()
    }

    /// See [`InputBytes::release_pages`].
    pub fn release_pages(&self) {
        self.bytes.release_pages();
    }

    /// See [`InputBytes::release_pages_before`].
    pub fn release_pages_before(&self, end: usize) {
        self.bytes.release_pages_before(end);
    }

    /// How many bytes of an unterminated last line are left out (0 if none).
    pub fn torn_bytes(&self) -> usize {
        self.bytes.len() - self.len
    }

    /// The first and last ids as `mfsmaster -a` sees them ([`first_id`], [`last_id`]).
    pub fn id_range(&self) -> (u64, u64) {
        (first_id(&self.bytes), last_id(&self.bytes))
    }
}

/// One line handed out by the merger.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub struct Entry<'a> {
    /// Index of the file in the merge.
    pub file: usize,
    /// 1-based line number in that file.
    pub line: u64,
    /// The change id (`strtoll` of the line's start).
    pub id: u64,
    /// The rest of the line after the id and its `": "`, with the final `\n`.
    pub body: &'a [u8],
}

/// Why a file's lines ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum FileEnd {
    /// All lines were read.
    Eof,
    /// A line whose id breaks the per-file rules: it and the rest of the file are
    /// ignored. `id` is `None` for a negative id.
    Garbage {
        line: u64,
        id: Option<u64>,
        last_id: u64,
    },
}

/// The lines of one file, with the merger's per-file id rules applied.
pub struct Lines<'a> {
    file: usize,
    bytes: &'a [u8],
    pos: usize,
    /// Line number of the next byte at `pos`.
    line: u64,
    next: Option<Entry<'a>>,
    end: Option<FileEnd>,
}

impl<'a> Lines<'a> {
    /// Starts reading `bytes` (file number `file` in the merge) and reads its first line.
    pub fn new(file: usize, bytes: &'a [u8]) -> Self {
        let mut lines = Lines {
            file,
            bytes,
            pos: 0,
            line: 1,
            next: None,
            end: None,
        };
        lines.advance();
        lines
    }

    /// The next line, if the file has one.
    #[inline]
    pub fn peek(&self) -> Option<&Entry<'a>> {
        self.next.as_ref()
    }

    /// Index of the file in the merge.
    pub fn file(&self) -> usize {
        self.file
    }

    /// Why the lines ended (`None` while there are lines).
    pub fn end(&self) -> Option<FileEnd> {
        self.end
    }

    /// Reads the line after the current one.
    #[inline]
    pub fn advance(&mut self) {
        let previous = self.next.take().map(|e| e.id);
        let Some(rest) = self.bytes.get(self.pos..).filter(|r| !r.is_empty()) else {
            self.end = Some(FileEnd::Eof);
            return;
        };
        let window = rest.get(..MAX_LINE).unwrap_or(rest);
        let (chunk, complete) = match memchr(b'\n', window) {
            Some(at) => (window.get(..=at).unwrap_or(window), true),
            None => (window, false),
        };
        let line = self.line;
        self.pos += chunk.len();
        if complete {
            self.line += 1;
        }
        let id = split_id(chunk).ok();
        let accepted = match (previous, id) {
            (None, Some(_)) => true,
            (Some(prev), Some((id, _))) => id > prev && id < prev.saturating_add(MAX_ID_STEP),
            (_, None) => false,
        };
        match (accepted, id) {
            (true, Some((id, body))) => {
                self.next = Some(Entry {
                    file: self.file,
                    line,
                    id,
                    body,
                });
            }
            _ => {
                self.end = Some(match previous {
                    // A negative first id just ends the file, without a message.
                    None => FileEnd::Eof,
                    Some(last_id) => FileEnd::Garbage {
                        line,
                        id: id.map(|(id, _)| id),
                        last_id,
                    },
                });
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// Line number, id and body of each line.
    type Read = Vec<(u64, u64, Vec<u8>)>;

    fn all(bytes: &[u8]) -> (Read, Option<FileEnd>) {
        let mut lines = Lines::new(0, bytes);
        let mut out = Vec::new();
        while let Some(e) = lines.peek() {
            out.push((e.line, e.id, e.body.to_vec()));
            lines.advance();
        }
        (out, lines.end())
    }

    #[test]
    fn first_id_needs_digits_then_colon_in_50_bytes() {
        assert_eq!(first_id(b"123: 1|IDLE()\n"), 123);
        assert_eq!(first_id(b"123 : 1|IDLE()\n"), 0);
        assert_eq!(first_id(b" 123: x\n"), 0);
        assert_eq!(first_id(b""), 0);
        assert_eq!(first_id(b"0: x\n"), 0);
        let long = format!("{}:", "1".repeat(50));
        assert_eq!(first_id(long.as_bytes()), 0);
        let just = format!("{}:", "0".repeat(48) + "7");
        assert_eq!(first_id(just.as_bytes()), 7);
    }

    #[test]
    fn last_id_needs_a_final_newline() {
        assert_eq!(last_id(b"1: a\n2: b\n"), 2);
        assert_eq!(last_id(b"1: a\n2: b"), 0);
        assert_eq!(last_id(b"5: only\n"), 5);
        assert_eq!(last_id(b"1: a\n\n"), 0);
        assert_eq!(last_id(b"\n"), 0);
        assert_eq!(last_id(b""), 0);
        assert_eq!(last_id(b"1: a\nxyz\n"), 0);
        // A newline as the very first byte is taken as the start of the last line.
        assert_eq!(last_id(b"\n5: x\n"), 0);
        assert_eq!(last_id(b"1: a\n5: x\n"), 5);
    }

    #[test]
    fn last_id_searches_a_bounded_window() {
        let mut text = b"1: a\n2: ".to_vec();
        text.extend(std::iter::repeat_n(b'x', LAST_LINE_WINDOW - 10));
        text.push(b'\n');
        assert_eq!(last_id(&text), 2, "start of last line inside the window");
        let mut text = b"1: a\n2: ".to_vec();
        text.extend(std::iter::repeat_n(b'x', LAST_LINE_WINDOW));
        text.push(b'\n');
        assert_eq!(last_id(&text), 0, "start of last line outside the window");
        // Without an earlier newline, the file start counts only inside the window.
        let mut text = b"2: ".to_vec();
        text.extend(std::iter::repeat_n(b'x', LAST_LINE_WINDOW - 10));
        text.push(b'\n');
        assert_eq!(last_id(&text), 2);
    }

    #[test]
    fn lines_follow_the_merger_rules() {
        let (lines, end) = all(b"5: a\n6: b\n8: c\n");
        assert_eq!(
            lines,
            vec![
                (1, 5, b"a\n".to_vec()),
                (2, 6, b"b\n".to_vec()),
                (3, 8, b"c\n".to_vec())
            ]
        );
        assert_eq!(end, Some(FileEnd::Eof));

        let (lines, end) = all(b"5: a\n5: b\n6: c\n");
        assert_eq!(lines.len(), 1);
        assert_eq!(
            end,
            Some(FileEnd::Garbage {
                line: 2,
                id: Some(5),
                last_id: 5
            })
        );

        let (lines, end) = all(b"5: a\n10005: b\n");
        assert_eq!(lines.len(), 1);
        assert!(matches!(
            end,
            Some(FileEnd::Garbage {
                id: Some(10005),
                ..
            })
        ));
        let (lines, _) = all(b"5: a\n10004: b\n");
        assert_eq!(lines.len(), 2);

        let (lines, end) = all(b"-3: a\n4: b\n");
        assert!(lines.is_empty());
        assert_eq!(end, Some(FileEnd::Eof));

        let (lines, end) = all(b"5: a\n-6: b\n");
        assert_eq!(lines.len(), 1);
        assert!(matches!(end, Some(FileEnd::Garbage { id: None, .. })));

        // Any first id is taken, even 0 from a line without digits.
        let (lines, _) = all(b"garbage\n1: a\n");
        assert_eq!(lines.iter().map(|l| l.1).collect::<Vec<_>>(), vec![0, 1]);
    }

    #[test]
    fn long_lines_are_cut_like_fgets() {
        let mut text = b"1: ".to_vec();
        text.extend(std::iter::repeat_n(b'x', MAX_LINE));
        text.extend(b"\n2: b\n");
        let (lines, end) = all(&text);
        assert_eq!(lines.len(), 1);
        assert_eq!(lines[0].2.len(), MAX_LINE - 3);
        // The rest of the long line reads as id 0: garbage.
        assert!(matches!(
            end,
            Some(FileEnd::Garbage {
                line: 1,
                id: Some(0),
                ..
            })
        ));
    }

    #[test]
    fn torn_tail_is_left_out_on_request() {
        let file = |tail| {
            ChangelogFile::new(
                "x".into(),
                "x".into(),
                InputBytes::Read(b"1: a\n2: b".to_vec()),
                tail,
            )
        };
        assert_eq!(file(Tail::Whole).bytes(), b"1: a\n2: b");
        assert_eq!(file(Tail::CompleteLines).bytes(), b"1: a\n");
        assert_eq!(file(Tail::CompleteLines).torn_bytes(), 4);
        assert_eq!(file(Tail::Whole).id_range(), (1, 0));
    }
}
