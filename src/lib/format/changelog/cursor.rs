//! A read position in a changelog body, with the field readers of
//! `restore.c` (EAT, GETU8, GETU16, GETU32, GETX32, GETU64, GETNAME, GETPATH,
//! GETDATA) as methods.
//!
//! The end of the slice reads as a NUL byte, which is what MooseFS sees at the
//! end of its C string: no literal matches it and numbers stop before it.

use super::error::{LineError, LineErrorKind};
use super::escape::{scan_field, Escaped, FieldKind};
use super::number::{strtou64, strtou64_hex};

/// Read position in one changelog body. Error offsets are positions in `buf`.
pub(crate) struct Cursor<'a> {
    buf: &'a [u8],
    pos: usize,
}

impl<'a> Cursor<'a> {
    pub(crate) fn new(buf: &'a [u8]) -> Self {
        Cursor { buf, pos: 0 }
    }

    pub(crate) fn pos(&self) -> usize {
        self.pos
    }

    /// Everything from the read position on.
    pub(crate) fn tail(&self) -> &'a [u8] {
        self.buf.get(self.pos..).unwrap_or_default()
    }

    /// Moves on by `n` bytes (callers only skip bytes they have looked at).
    pub(crate) fn skip(&mut self, n: usize) {
        self.pos = self.pos.saturating_add(n).min(self.buf.len());
    }

    /// The byte at the read position, NUL at the end.
    pub(crate) fn peek(&self) -> u8 {
        self.peek_at(0)
    }

    /// The byte `ahead` bytes after the read position, NUL past the end.
    pub(crate) fn peek_at(&self, ahead: usize) -> u8 {
        self.buf
            .get(self.pos.saturating_add(ahead))
            .copied()
            .unwrap_or(0)
    }

    /// An error of `kind` at the read position.
    pub(crate) fn error(&self, kind: LineErrorKind) -> LineError {
        LineError::new(kind, self.pos)
    }

    /// EAT: the literal byte `byte` must come next.
    pub(crate) fn eat(&mut self, byte: u8) -> Result<(), LineError> {
        match self.buf.get(self.pos) {
            Some(&b) if b == byte => {
                self.pos += 1;
                Ok(())
            }
            found => Err(self.error(LineErrorKind::Expected {
                byte,
                found: found.copied(),
            })),
        }
    }

    /// Consumes `byte` if it comes next; tells whether it did.
    pub(crate) fn eat_if(&mut self, byte: u8) -> bool {
        let here = self.buf.get(self.pos) == Some(&byte);
        if here {
            self.pos += 1;
        }
        here
    }

    /// Any one byte (FLOCK / POSIXLOCK command, CREATE type letter); only the
    /// end of the line is refused.
    pub(crate) fn any_byte(&mut self, expected: u8) -> Result<u8, LineError> {
        match self.buf.get(self.pos) {
            Some(&b) => {
                self.pos += 1;
                Ok(b)
            }
            None => Err(self.error(LineErrorKind::Expected {
                byte: expected,
                found: None,
            })),
        }
    }

    /// GETU64: `strtoull` base 10.
    pub(crate) fn u64(&mut self) -> u64 {
        let (value, used) = strtou64(self.tail());
        self.pos += used;
        value
    }

    /// GETU32: `strtoul` base 10, truncated to 32 bits.
    pub(crate) fn u32(&mut self) -> u32 {
        self.u64() as u32
    }

    /// GETX32: `strtoul` base 16, truncated to 32 bits.
    pub(crate) fn x32(&mut self) -> u32 {
        let (value, used) = strtou64_hex(self.tail());
        self.pos += used;
        value as u32
    }

    /// A `u8~` field: read as u32, then the low 8 bits are kept.
    pub(crate) fn u8_wrapping(&mut self) -> u8 {
        self.u32() as u8
    }

    /// A `u16~` field: read as u32, then the low 16 bits are kept.
    pub(crate) fn u16_wrapping(&mut self) -> u16 {
        self.u32() as u16
    }

    /// GETU8 (`u8*`): read as u32, then a value above 255 is a parse error.
    pub(crate) fn u8_checked(&mut self, field: &'static str) -> Result<u8, LineError> {
        let start = self.pos;
        let value = self.u32();
        u8::try_from(value).map_err(|_| {
            LineError::new(
                LineErrorKind::OutOfRange {
                    field,
                    value,
                    max: u32::from(u8::MAX),
                },
                start,
            )
        })
    }

    /// GETU16 (`u16*`): read as u32, then a value above 65535 is a parse error.
    pub(crate) fn u16_checked(&mut self, field: &'static str) -> Result<u16, LineError> {
        let start = self.pos;
        let value = self.u32();
        u16::try_from(value).map_err(|_| {
            LineError::new(
                LineErrorKind::OutOfRange {
                    field,
                    value,
                    max: u32::from(u16::MAX),
                },
                start,
            )
        })
    }

    /// GETNAME / GETPATH / GETDATA: an escaped field up to `terminator`,
    /// which is left unread.
    pub(crate) fn escaped(
        &mut self,
        kind: FieldKind,
        terminator: u8,
    ) -> Result<Escaped<'a>, LineError> {
        let (field, end) = scan_field(self.buf, self.pos, kind, Some(terminator))?;
        self.pos = end;
        Ok(field)
    }

    /// The bytes from `start` to the read position.
    pub(crate) fn since(&self, start: usize) -> &'a [u8] {
        self.buf.get(start..self.pos).unwrap_or_default()
    }
}
