//! The variable-length number lists of a changelog line: SNAPSHOT gid lists
//! and SCSET label masks. Both stay borrowed text; their values are read on
//! demand.

use super::cursor::Cursor;
use super::error::{LineError, LineErrorKind};
use super::escape::Escaped;
use super::number::strtou64;

/// A SNAPSHOT gid list: the text between `[` and `]`, checked the way
/// 3.0.117's restore reads it.
///
/// **3.0.117 quirk:** its reader (GETARRAYU32) skips the first digit of every
/// number before calling `strtoul` on the rest: `[1000,1001]` is restored as
/// gids 0 and 1, `[1234,56]` as 234 and 6, `[5]` as 0. Checked against the real
/// `mfsmaster -a restore` (`tests/changelog_lines.rs`); later MooseFS versions
/// fixed it. [`restored`](Self::restored) gives what 3.0.117's restore uses,
/// [`written`](Self::written) what the master logged. A list of 0 gids is
/// written by the master as a lone `[` that its own reader refuses.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct GidList<'a> {
    /// Text between the brackets.
    text: &'a [u8],
    /// Number of values 3.0.117 reads (one per item starting with a digit).
    count: u32,
}

/// A SCSET mask list: `-` when the class has no labels, otherwise the
/// comma-separated u32 masks (4 per label: create labels, then keep labels,
/// then archive labels), kept as text.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct LabelMasks<'a> {
    /// `-`, or the text from the first mask to the end of the last one.
    text: &'a [u8],
    /// Number of masks (0 for `-`).
    count: u8,
}

/// The gids of a SNAPSHOT line, in one of the three forms 3.0.117 reads.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum SnapshotGids<'a> {
    /// `[g1,g2,…]`, written by 3.0.117.
    List(GidList<'a>),
    /// Legacy `gidcount,DATA`: `gidcount × 4` raw bytes, each gid in x86
    /// little-endian order.
    Data {
        /// Number of gids.
        count: u32,
        /// The gid bytes.
        bytes: Escaped<'a>,
    },
    /// Legacy single `gid` (the line then has no result part).
    Single(u32),
}

impl<'a> GidList<'a> {
    /// Reads `[…]` at the cursor as GETARRAYU32 of 3.0.117 does.
    pub(crate) fn parse(cur: &mut Cursor<'a>) -> Result<Self, LineError> {
        cur.eat(b'[')?;
        let start = cur.pos();
        let mut count: u32 = 0;
        loop {
            let at = cur.pos();
            let c = cur.any_byte(b']')?;
            match c {
                b']' => break,
                0 | b'\r' | b'\n' => {
                    return Err(LineError::new(
                        LineErrorKind::Expected {
                            byte: b']',
                            found: Some(c),
                        },
                        at,
                    ))
                }
                b'0'..=b'9' => {
                    count = count.saturating_add(1);
                    // The quirk: strtoul starts after the digit just read.
                    let _ = cur.u64();
                }
                b',' => {}
                _ => return Err(LineError::new(LineErrorKind::BadGidList { byte: c }, at)),
            }
        }
        let text = cur.since(start);
        Ok(GidList {
            text: text.get(..text.len().saturating_sub(1)).unwrap_or_default(),
            count,
        })
    }

    /// Checks `text` (without brackets) as a gid list.
    pub fn new(text: &'a [u8]) -> Result<Self, LineError> {
        let mut bracketed = Vec::with_capacity(text.len() + 2);
        bracketed.push(b'[');
        bracketed.extend_from_slice(text);
        bracketed.push(b']');
        let mut cur = Cursor::new(&bracketed);
        let count = GidList::parse(&mut cur)
            .map_err(|e| LineError::new(e.kind(), e.offset().saturating_sub(1)))?
            .count;
        if cur.pos() != bracketed.len() {
            let at = cur.pos().saturating_sub(1);
            return Err(LineError::new(LineErrorKind::BadGidList { byte: b']' }, at));
        }
        Ok(GidList { text, count })
    }

    /// The text between the brackets.
    pub fn as_text(&self) -> &'a [u8] {
        self.text
    }

    /// Number of gids 3.0.117 reads.
    pub fn len(&self) -> usize {
        self.count as usize
    }

    /// Whether the list is empty.
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The gids as 3.0.117's restore reads them (first digit of each number
    /// skipped).
    pub fn restored(&self) -> RestoredGids<'a> {
        RestoredGids { text: self.text }
    }

    /// The gids as the master wrote them: every comma-separated item read
    /// with `strtoul` (empty items skipped). Exact for lists written by
    /// 3.0.117.
    pub fn written(&self) -> impl Iterator<Item = u32> + 'a {
        self.text
            .split(|&b| b == b',')
            .filter(|item| !item.is_empty())
            .map(|item| strtou64(item).0 as u32)
    }
}

impl std::fmt::Debug for GidList<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "GidList(\"[{}]\")", self.text.escape_ascii())
    }
}

/// Iterator over the gids of a [`GidList`] as 3.0.117's restore reads them.
#[derive(Clone, Debug)]
pub struct RestoredGids<'a> {
    text: &'a [u8],
}

impl Iterator for RestoredGids<'_> {
    type Item = u32;

    fn next(&mut self) -> Option<u32> {
        loop {
            let (&c, tail) = self.text.split_first()?;
            self.text = tail;
            if c.is_ascii_digit() {
                let (value, used) = strtou64(tail);
                self.text = tail.get(used..).unwrap_or_default();
                return Some(value as u32);
            }
        }
    }
}

impl<'a> LabelMasks<'a> {
    /// The `-` of a class without labels.
    pub const NONE: LabelMasks<'static> = LabelMasks {
        text: b"-",
        count: 0,
    };

    /// Reads the masks of SCSET at the cursor (after `admin_only`): `,-` when
    /// `count` is 0, otherwise `count` times `,u32`.
    pub(crate) fn parse(cur: &mut Cursor<'a>, count: u8) -> Result<Self, LineError> {
        cur.eat(b',')?;
        let start = cur.pos();
        if count == 0 {
            cur.eat(b'-')?;
        } else {
            let _ = cur.u32();
            for _ in 1..count {
                cur.eat(b',')?;
                let _ = cur.u32();
            }
        }
        Ok(LabelMasks {
            text: cur.since(start),
            count,
        })
    }

    /// Checks `text` (what follows the comma after `admin_only`, up to the
    /// closing parenthesis) as a list of `count` masks.
    pub fn new(text: &'a [u8], count: u8) -> Result<Self, LineError> {
        let mut with_comma = Vec::with_capacity(text.len() + 1);
        with_comma.push(b',');
        with_comma.extend_from_slice(text);
        let mut cur = Cursor::new(&with_comma);
        let masks = LabelMasks::parse(&mut cur, count)
            .map_err(|e| LineError::new(e.kind(), e.offset().saturating_sub(1)))?;
        if cur.pos() != with_comma.len() {
            return Err(cur.error(LineErrorKind::Expected {
                byte: b')',
                found: Some(cur.peek()),
            }));
        }
        Ok(LabelMasks {
            text,
            count: masks.count,
        })
    }

    /// The masks as written in the line (`-` when there are none).
    pub fn as_text(&self) -> &'a [u8] {
        self.text
    }

    /// Number of masks.
    pub fn len(&self) -> usize {
        usize::from(self.count)
    }

    /// Whether there are no masks (the `-` form).
    pub fn is_empty(&self) -> bool {
        self.count == 0
    }

    /// The masks in order: create labels, keep labels, archive labels, four
    /// per label.
    pub fn iter(&self) -> impl Iterator<Item = u32> + 'a {
        let mut text = if self.count == 0 { &[][..] } else { self.text };
        (0..self.count).map(move |_| {
            let (value, used) = strtou64(text);
            text = text.get(used..).unwrap_or_default();
            // Skip the comma before the next mask.
            text = text.get(1..).unwrap_or_default();
            value as u32
        })
    }
}

impl std::fmt::Debug for LabelMasks<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "LabelMasks(\"{}\")", self.text.escape_ascii())
    }
}

impl<'a> SnapshotGids<'a> {
    /// Number of gids MooseFS passes on.
    pub fn len(&self) -> usize {
        match self {
            SnapshotGids::List(list) => list.len(),
            SnapshotGids::Data { count, .. } => *count as usize,
            SnapshotGids::Single(_) => 1,
        }
    }

    /// Whether there is no gid at all.
    pub fn is_empty(&self) -> bool {
        self.len() == 0
    }

    /// The gids as 3.0.117's restore uses them (see [`GidList`] for the
    /// list quirk). For the legacy data form at most `len / 4` gids exist.
    pub fn restored(&self) -> impl Iterator<Item = u32> + 'a {
        let (list, data, single) = match *self {
            SnapshotGids::List(list) => (Some(list.restored()), None, None),
            SnapshotGids::Data { count, bytes } => (None, Some((count, bytes.bytes())), None),
            SnapshotGids::Single(gid) => (None, None, Some(gid)),
        };
        let data = data.into_iter().flat_map(|(count, mut bytes)| {
            (0..count).map_while(move |_| {
                let mut gid = 0u32;
                for shift in [0, 8, 16, 24] {
                    gid |= u32::from(bytes.next()?) << shift;
                }
                Some(gid)
            })
        });
        list.into_iter().flatten().chain(data).chain(single)
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn list(text: &[u8]) -> Result<GidList<'_>, LineError> {
        GidList::parse(&mut Cursor::new(text))
    }

    #[test]
    fn gid_list_quirk_of_3_0_117() {
        let l = list(b"[1000,1001,5,0]").unwrap();
        assert_eq!(l.len(), 4);
        assert_eq!(l.restored().collect::<Vec<_>>(), [0, 1, 0, 0]);
        assert_eq!(l.written().collect::<Vec<_>>(), [1000, 1001, 5, 0]);
        assert_eq!(l.as_text(), b"1000,1001,5,0");
        let l = list(b"[1234,56]").unwrap();
        assert_eq!(l.restored().collect::<Vec<_>>(), [234, 6]);
        let l = list(b"[]").unwrap();
        assert!(l.is_empty());
        assert_eq!(l.restored().count(), 0);
    }

    #[test]
    fn gid_list_errors() {
        let e = list(b"[1,a]").unwrap_err();
        assert_eq!(e.kind(), LineErrorKind::BadGidList { byte: b'a' });
        assert_eq!(e.offset(), 3);
        let e = list(b"[1,2").unwrap_err();
        assert!(matches!(
            e.kind(),
            LineErrorKind::Expected {
                byte: b']',
                found: None
            }
        ));
        assert!(list(b"[1\n]").is_err());
        assert!(list(b"1]").is_err());
        // After a digit strtoul accepts blanks and a sign.
        assert_eq!(
            list(b"[1 -5]").unwrap().restored().collect::<Vec<_>>(),
            [u32::MAX - 4]
        );
    }

    #[test]
    fn gid_list_new() {
        assert_eq!(GidList::new(b"1,2").unwrap().len(), 2);
        assert!(GidList::new(b"1]2").is_err());
        assert!(GidList::new(b"x").is_err());
    }

    #[test]
    fn label_masks() {
        let mut cur = Cursor::new(b",1,2,3,4)");
        let m = LabelMasks::parse(&mut cur, 4).unwrap();
        assert_eq!(m.iter().collect::<Vec<_>>(), [1, 2, 3, 4]);
        assert_eq!(m.as_text(), b"1,2,3,4");
        assert_eq!(cur.peek(), b')');
        let m = LabelMasks::parse(&mut Cursor::new(b",-)"), 0).unwrap();
        assert_eq!(m, LabelMasks::NONE);
        assert_eq!(m.iter().count(), 0);
        assert!(LabelMasks::parse(&mut Cursor::new(b",1,2)"), 4).is_err());
        assert!(LabelMasks::parse(&mut Cursor::new(b",0)"), 0).is_err());
        assert_eq!(
            LabelMasks::new(b"7,8", 2)
                .unwrap()
                .iter()
                .collect::<Vec<_>>(),
            [7, 8]
        );
        assert!(LabelMasks::new(b"7,8,", 2).is_err());
    }

    #[test]
    fn legacy_gid_data_is_little_endian() {
        let bytes =
            Escaped::new(super::super::FieldKind::Data, b"%E8%03%00%00%01%00%00%00").unwrap();
        let gids = SnapshotGids::Data { count: 2, bytes };
        assert_eq!(gids.restored().collect::<Vec<_>>(), [1000, 1]);
        assert_eq!(SnapshotGids::Single(7).restored().collect::<Vec<_>>(), [7]);
    }
}
