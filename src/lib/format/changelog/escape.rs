//! Escaped names, paths and binary data (spec §3), kept borrowed.
//!
//! Writer rule: every byte `b < 0x20`, `b >= 0x7F`, `,`, `%`, `(` or `)` is
//! written as `%XY` with two uppercase hex digits; all other bytes as they are.
//!
//! Reader rules: `%XY` decodes one byte and needs `0-9` / `A-F` (lowercase is
//! an error); a raw NUL, CR or LF before the field's terminator is an error;
//! a NAME decodes to at most 255 bytes. NAME and PATH are then used as C
//! strings (a decoded NUL ends them), DATA keeps every byte.

use super::error::{LineError, LineErrorKind};

/// Longest NAME in decoded bytes.
pub const MAX_NAME_LEN: usize = 255;

/// Which reader rule of spec §3 applies to a field.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub enum FieldKind {
    /// File, xattr and storage-class names: at most 255 decoded bytes, cut at
    /// the first decoded NUL.
    Name,
    /// Symlink targets and trash paths: no length limit, cut at the first
    /// decoded NUL.
    Path,
    /// Xattr values, session info, ACL blobs, legacy gid bytes: no limit, NUL
    /// bytes kept.
    Data,
}

/// A validated escaped field borrowed from a changelog line.
///
/// Nothing is decoded while parsing; [`len`](Self::len) is known, and the
/// decoded bytes come from [`bytes`](Self::bytes), [`decode`](Self::decode),
/// [`unescape_into`](Self::unescape_into) or [`unescape_to`](Self::unescape_to).
/// All of them give the value as MooseFS uses it: for NAME and PATH only the
/// bytes before the first decoded NUL.
#[derive(Clone, Copy, PartialEq, Eq, Hash)]
pub struct Escaped<'a> {
    /// The field's text as it is in the line.
    raw: &'a [u8],
    /// Decoded length as MooseFS uses it.
    len: u32,
    kind: FieldKind,
    /// `raw` holds no `%`: it is its own decoded form.
    plain: bool,
}

/// Value of one uppercase hex digit.
fn hex_value(b: u8) -> Option<u8> {
    match b {
        b'0'..=b'9' => Some(b - b'0'),
        b'A'..=b'F' => Some(b - b'A' + 10),
        _ => None,
    }
}

/// Scans one escaped field of `kind` in `buf` from `start` up to (not
/// including) the first raw `terminator`, as MooseFS's GETNAME / GETPATH /
/// GETDATA do. The end of `buf` counts as a NUL byte (an error) when a
/// terminator is given, and ends the field when it is `None`. Returns the field
/// and the position where it ends.
pub(crate) fn scan_field(
    buf: &[u8],
    start: usize,
    kind: FieldKind,
    terminator: Option<u8>,
) -> Result<(Escaped<'_>, usize), LineError> {
    let mut pos = start;
    let mut decoded: usize = 0;
    let mut cut: Option<usize> = None;
    let mut plain = true;
    loop {
        let Some(&b) = buf.get(pos) else {
            match terminator {
                Some(byte) => {
                    return Err(LineError::new(
                        LineErrorKind::Expected { byte, found: None },
                        pos,
                    ))
                }
                None => break,
            }
        };
        if Some(b) == terminator {
            break;
        }
        if kind == FieldKind::Name && decoded == MAX_NAME_LEN {
            return Err(LineError::new(LineErrorKind::NameTooLong, pos));
        }
        let value = match b {
            0 | b'\r' | b'\n' => {
                return Err(LineError::new(
                    LineErrorKind::ForbiddenByte { byte: b },
                    pos,
                ))
            }
            b'%' => {
                plain = false;
                let high = buf.get(pos + 1).copied().and_then(hex_value);
                let low = buf.get(pos + 2).copied().and_then(hex_value);
                match (high, low) {
                    (Some(h), Some(l)) => {
                        pos += 3;
                        h * 16 + l
                    }
                    _ => return Err(LineError::new(LineErrorKind::BadHexEscape, pos)),
                }
            }
            _ => {
                pos += 1;
                b
            }
        };
        if value == 0 && cut.is_none() {
            cut = Some(decoded);
        }
        decoded += 1;
    }
    let len = match kind {
        FieldKind::Data => decoded,
        FieldKind::Name | FieldKind::Path => cut.unwrap_or(decoded),
    };
    let field = Escaped {
        raw: buf.get(start..pos).unwrap_or_default(),
        // A line longer than 4 GiB cannot come from MooseFS (its reader
        // buffer is 200000 bytes); saturate rather than wrap.
        len: u32::try_from(len).unwrap_or(u32::MAX),
        kind,
        plain,
    };
    Ok((field, pos))
}

impl<'a> Escaped<'a> {
    /// Validates `text` as a complete escaped field of `kind`.
    ///
    /// Besides the reader rules, raw `,` and `)` are refused: they would end
    /// the field early once the field is written into a line. Offsets in the
    /// error count from the start of `text`.
    pub fn new(kind: FieldKind, text: &'a [u8]) -> Result<Self, LineError> {
        let (field, _) = scan_field(text, 0, kind, None)?;
        if let Some(at) = text.iter().position(|&b| b == b',' || b == b')') {
            let byte = text.get(at).copied().unwrap_or(b',');
            return Err(LineError::new(LineErrorKind::ForbiddenByte { byte }, at));
        }
        Ok(field)
    }

    /// Which reader rule applies.
    pub fn kind(&self) -> FieldKind {
        self.kind
    }

    /// The field as it is written in the line (still escaped).
    pub fn as_escaped(&self) -> &'a [u8] {
        self.raw
    }

    /// The decoded value when the text holds no escape at all (the common
    /// case): then no copy is needed.
    pub fn as_plain(&self) -> Option<&'a [u8]> {
        self.plain.then_some(self.raw)
    }

    /// Decoded length as MooseFS uses it (NAME / PATH: up to the first NUL).
    pub fn len(&self) -> usize {
        self.len as usize
    }

    /// Whether the decoded value is empty.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// The decoded bytes, one by one.
    pub fn bytes(&self) -> Decoded<'a> {
        Decoded {
            raw: self.raw,
            left: self.len,
        }
    }

    /// The decoded value: borrowed from the line when it holds no escape,
    /// otherwise decoded into `scratch` (cleared first).
    pub fn decode<'b>(&self, scratch: &'b mut Vec<u8>) -> &'b [u8]
    where
        'a: 'b,
    {
        if let Some(plain) = self.as_plain() {
            return plain;
        }
        scratch.clear();
        self.unescape_into(scratch);
        scratch
    }

    /// Appends the decoded value to `out`.
    pub fn unescape_into(&self, out: &mut Vec<u8>) {
        out.reserve(self.len());
        out.extend(self.bytes());
    }

    /// Writes the decoded value at the start of `out` and returns its length,
    /// or `None` (and writes nothing) when `out` is too short.
    pub fn unescape_to(&self, out: &mut [u8]) -> Option<usize> {
        let target = out.get_mut(..self.len())?;
        for (slot, b) in target.iter_mut().zip(self.bytes()) {
            *slot = b;
        }
        Some(self.len())
    }
}

impl std::fmt::Debug for Escaped<'_> {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        write!(f, "{:?}(\"{}\")", self.kind, self.raw.escape_ascii())
    }
}

/// Iterator over the decoded bytes of an [`Escaped`] field.
#[derive(Clone, Debug)]
pub struct Decoded<'a> {
    raw: &'a [u8],
    /// Decoded bytes still to yield (NAME / PATH stop at the first NUL).
    left: u32,
}

impl Iterator for Decoded<'_> {
    type Item = u8;

    fn next(&mut self) -> Option<u8> {
        if self.left == 0 {
            return None;
        }
        let (&first, tail) = self.raw.split_first()?;
        self.left -= 1;
        if first != b'%' {
            self.raw = tail;
            return Some(first);
        }
        // Validated when the field was scanned: two uppercase hex digits.
        let high = tail.first().copied().and_then(hex_value).unwrap_or(0);
        let low = tail.get(1).copied().and_then(hex_value).unwrap_or(0);
        self.raw = tail.get(2..).unwrap_or_default();
        Some(high * 16 + low)
    }

    fn size_hint(&self) -> (usize, Option<usize>) {
        let left = self.left as usize;
        (left, Some(left))
    }
}

impl ExactSizeIterator for Decoded<'_> {}

/// Appends `value` escaped exactly as the 3.0.117 writer does
/// (`changelog_escape_name`).
pub fn escape_into(value: &[u8], out: &mut Vec<u8>) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    out.reserve(value.len());
    for &b in value {
        if !(0x20..0x7F).contains(&b) || matches!(b, b',' | b'%' | b'(' | b')') {
            out.push(b'%');
            out.extend(HEX.get(usize::from(b >> 4)).copied());
            out.extend(HEX.get(usize::from(b & 0xF)).copied());
        } else {
            out.push(b);
        }
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    fn scan(kind: FieldKind, text: &[u8]) -> Result<(Escaped<'_>, usize), LineError> {
        scan_field(text, 0, kind, Some(b','))
    }

    #[test]
    fn plain_field_borrows() {
        let (f, end) = scan(FieldKind::Name, b"dir1,2").unwrap();
        assert_eq!(end, 4);
        assert_eq!(f.as_plain(), Some(&b"dir1"[..]));
        assert_eq!(f.len(), 4);
        let mut scratch = Vec::new();
        assert_eq!(f.decode(&mut scratch), b"dir1");
    }

    #[test]
    fn escapes_decode() {
        let (f, _) = scan(FieldKind::Name, b"a%2Cb%25%FF,").unwrap();
        assert_eq!(f.as_plain(), None);
        assert_eq!(f.bytes().collect::<Vec<_>>(), b"a,b%\xFF");
        assert_eq!(f.len(), 5);
        let mut buf = [0u8; 8];
        assert_eq!(f.unescape_to(&mut buf), Some(5));
        assert_eq!(&buf[..5], b"a,b%\xFF");
        assert_eq!(f.unescape_to(&mut [0u8; 4]), None);
    }

    #[test]
    fn nul_cuts_names_and_paths_but_not_data() {
        for kind in [FieldKind::Name, FieldKind::Path] {
            let (f, _) = scan(kind, b"ab%00cd,").unwrap();
            assert_eq!(f.len(), 2);
            assert_eq!(f.bytes().collect::<Vec<_>>(), b"ab");
        }
        let (f, _) = scan(FieldKind::Data, b"ab%00cd,").unwrap();
        assert_eq!(f.len(), 5);
        assert_eq!(f.bytes().collect::<Vec<_>>(), b"ab\0cd");
    }

    #[test]
    fn lowercase_or_short_hex_is_refused() {
        for text in [&b"a%2c,"[..], b"a%G0,", b"a%2", b"a%", b"%,,"] {
            let e = scan(FieldKind::Data, text).unwrap_err();
            assert_eq!(e.kind(), LineErrorKind::BadHexEscape, "{text:?}");
            assert_eq!(e.offset(), text.iter().position(|&b| b == b'%').unwrap());
        }
    }

    #[test]
    fn raw_control_bytes_are_refused() {
        for b in [0u8, b'\r', b'\n'] {
            let text = [b'a', b, b','];
            let e = scan(FieldKind::Path, &text).unwrap_err();
            assert_eq!(e.kind(), LineErrorKind::ForbiddenByte { byte: b });
            assert_eq!(e.offset(), 1);
        }
        // Decoded control bytes are fine.
        assert!(scan(FieldKind::Path, b"%0A%0D,").is_ok());
    }

    #[test]
    fn name_length_limit_counts_decoded_bytes() {
        let mut text = vec![b'x'; 255];
        text.push(b',');
        assert_eq!(scan(FieldKind::Name, &text).unwrap().0.len(), 255);
        text.insert(0, b'y');
        let e = scan(FieldKind::Name, &text).unwrap_err();
        assert_eq!(e.kind(), LineErrorKind::NameTooLong);
        assert_eq!(e.offset(), 255);
        // 255 escaped bytes are 765 characters and still fine.
        let mut text = b"%41".repeat(255);
        text.push(b',');
        assert_eq!(scan(FieldKind::Name, &text).unwrap().0.len(), 255);
        // Paths have no limit.
        let mut text = vec![b'p'; 5000];
        text.push(b',');
        assert_eq!(scan(FieldKind::Path, &text).unwrap().0.len(), 5000);
    }

    #[test]
    fn missing_terminator_is_reported_at_the_end() {
        let e = scan(FieldKind::Name, b"abc").unwrap_err();
        assert_eq!(
            e.kind(),
            LineErrorKind::Expected {
                byte: b',',
                found: None
            }
        );
        assert_eq!(e.offset(), 3);
    }

    #[test]
    fn writer_escaping() {
        let mut out = Vec::new();
        escape_into(b"a b,c%d(e)f\x00\x1F\x7F\xFF:|/#[]\\", &mut out);
        assert_eq!(out, b"a b%2Cc%25d%28e%29f%00%1F%7F%FF:|/#[]\\");
        // What is escaped decodes back.
        let all: Vec<u8> = (0..=255).collect();
        let mut text = Vec::new();
        escape_into(&all, &mut text);
        let f = Escaped::new(FieldKind::Data, &text).unwrap();
        assert_eq!(f.bytes().collect::<Vec<_>>(), all);
    }

    #[test]
    fn new_validates_a_whole_field() {
        assert_eq!(Escaped::new(FieldKind::Name, b"abc").unwrap().len(), 3);
        assert_eq!(Escaped::new(FieldKind::Name, b"").unwrap().len(), 0);
        assert!(Escaped::new(FieldKind::Name, b"a,b").is_err());
        assert!(Escaped::new(FieldKind::Name, b"a)b").is_err());
        assert!(Escaped::new(FieldKind::Name, b"a%zz").is_err());
        assert!(Escaped::new(FieldKind::Name, &[b'n'; 256]).is_err());
    }
}
