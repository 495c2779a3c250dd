//! A bounds-checked big-endian cursor over a mapped metadata file.
//!
//! Every read checks the remaining length first and fails with
//! [`DecodeErrorKind::Truncated`] carrying the absolute file offset, so no input can make
//! the decoder panic.

use super::error::{DecodeError, DecodeErrorKind};

/// A cursor over `buf[pos..end]`. Offsets in errors are absolute positions in `buf`,
/// which is the whole file, so they are file offsets.
#[derive(Clone, Debug)]
pub struct Reader<'a> {
    buf: &'a [u8],
    pos: usize,
    end: usize,
}

impl<'a> Reader<'a> {
    /// A cursor over the whole of `buf`.
    pub fn new(buf: &'a [u8]) -> Self {
        Reader {
            buf,
            pos: 0,
            end: buf.len(),
        }
    }

    /// Absolute offset of the next byte.
    #[inline]
    pub fn offset(&self) -> u64 {
        self.pos as u64
    }

    /// Bytes left before the end of this cursor.
    #[inline]
    pub fn remaining(&self) -> usize {
        self.end - self.pos
    }

    /// A cursor over the next `len` bytes, which this cursor skips.
    pub fn sub(&mut self, len: u64) -> Result<Reader<'a>, DecodeError> {
        let len = self.check(len)?;
        let sub = Reader {
            buf: self.buf,
            pos: self.pos,
            end: self.pos + len,
        };
        self.pos += len;
        Ok(sub)
    }

    /// A cursor over everything left, which this cursor skips.
    pub fn rest(&mut self) -> Reader<'a> {
        let sub = Reader {
            buf: self.buf,
            pos: self.pos,
            end: self.end,
        };
        self.pos = self.end;
        sub
    }

    #[inline]
    fn check(&self, len: u64) -> Result<usize, DecodeError> {
        let available = self.remaining();
        match usize::try_from(len) {
            Ok(n) if n <= available => Ok(n),
            _ => Err(DecodeError::at(
                self.offset(),
                DecodeErrorKind::Truncated {
                    needed: len,
                    available: available as u64,
                },
            )),
        }
    }

    /// The next `len` bytes, borrowed from the input.
    #[inline]
    pub fn bytes(&mut self, len: u64) -> Result<&'a [u8], DecodeError> {
        let n = self.check(len)?;
        let out = self.buf.get(self.pos..self.pos + n).unwrap_or_default();
        self.pos += n;
        Ok(out)
    }

    /// The next `N` bytes as an array.
    #[inline]
    pub fn array<const N: usize>(&mut self) -> Result<[u8; N], DecodeError> {
        let bytes = self.bytes(N as u64)?;
        let mut out = [0u8; N];
        out.copy_from_slice(bytes);
        Ok(out)
    }

    /// The next `N` bytes as an array, not consumed; `None` if fewer are left.
    #[inline]
    pub fn peek_array<const N: usize>(&self) -> Option<[u8; N]> {
        let bytes = self.buf.get(self.pos..self.end)?.get(..N)?;
        <[u8; N]>::try_from(bytes).ok()
    }

    /// Skips `len` bytes that [`Reader::peek_array`] showed are there (fewer if not).
    #[inline]
    pub fn advance(&mut self, len: usize) {
        self.pos += len.min(self.remaining());
    }

    #[inline]
    pub fn u8(&mut self) -> Result<u8, DecodeError> {
        Ok(u8::from_be_bytes(self.array()?))
    }

    #[inline]
    pub fn u16(&mut self) -> Result<u16, DecodeError> {
        Ok(u16::from_be_bytes(self.array()?))
    }

    #[inline]
    pub fn u32(&mut self) -> Result<u32, DecodeError> {
        Ok(u32::from_be_bytes(self.array()?))
    }

    #[inline]
    pub fn u64(&mut self) -> Result<u64, DecodeError> {
        Ok(u64::from_be_bytes(self.array()?))
    }

    /// Skips `len` bytes.
    pub fn skip(&mut self, len: u64) -> Result<(), DecodeError> {
        self.bytes(len).map(|_| ())
    }

    /// The last `N` bytes before this cursor's end, wherever the cursor is.
    pub fn last_bytes<const N: usize>(&self) -> Option<[u8; N]> {
        let start = self.end.checked_sub(N)?;
        let mut out = [0u8; N];
        out.copy_from_slice(self.buf.get(start..self.end)?);
        Some(out)
    }

    /// The next byte without consuming it, if any.
    #[inline]
    pub fn peek_u8(&self) -> Option<u8> {
        if self.pos < self.end {
            self.buf.get(self.pos).copied()
        } else {
            None
        }
    }
}

/// A list of big-endian integers of width `W` bytes, borrowed from the input
/// (chunk ids of a file, session ids of a legacy node, ACL entries).
#[derive(Clone, Copy, Debug, PartialEq, Eq, Default)]
pub struct BeList<'a, const W: usize> {
    raw: &'a [u8],
}

impl<'a, const W: usize> BeList<'a, W> {
    /// Wraps raw bytes; their length must be a multiple of `W`.
    pub fn from_raw(raw: &'a [u8]) -> Self {
        debug_assert_eq!(raw.len() % W, 0);
        BeList { raw }
    }

    /// The bytes as stored in the file.
    pub fn raw(&self) -> &'a [u8] {
        self.raw
    }

    pub fn len(&self) -> usize {
        self.raw.len() / W
    }

    pub fn is_empty(&self) -> bool {
        self.raw.is_empty()
    }
}

impl<'a> BeList<'a, 8> {
    /// The values, in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = u64> + 'a {
        self.raw.chunks_exact(8).map(|c| {
            let mut b = [0u8; 8];
            b.copy_from_slice(c);
            u64::from_be_bytes(b)
        })
    }
}

impl<'a> BeList<'a, 4> {
    /// The values, in file order.
    pub fn iter(&self) -> impl ExactSizeIterator<Item = u32> + 'a {
        self.raw.chunks_exact(4).map(|c| {
            let mut b = [0u8; 4];
            b.copy_from_slice(c);
            u32::from_be_bytes(b)
        })
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_big_endian_and_tracks_offset() {
        let data = [0, 0, 0, 1, 0xAB, 0xCD, 9];
        let mut r = Reader::new(&data);
        assert_eq!(r.u32().unwrap(), 1);
        assert_eq!(r.u16().unwrap(), 0xABCD);
        assert_eq!(r.offset(), 6);
        assert_eq!(r.u8().unwrap(), 9);
        assert_eq!(r.remaining(), 0);
    }

    #[test]
    fn truncated_read_reports_offset_and_need() {
        let data = [1, 2, 3];
        let mut r = Reader::new(&data);
        r.u8().unwrap();
        let err = r.u32().unwrap_err();
        assert_eq!(err.offset, 1);
        assert!(matches!(
            err.kind,
            DecodeErrorKind::Truncated {
                needed: 4,
                available: 2
            }
        ));
    }

    #[test]
    fn huge_length_is_truncation_not_overflow() {
        let data = [0u8; 4];
        let mut r = Reader::new(&data);
        assert!(r.bytes(u64::MAX).is_err());
        assert!(r.sub(5).is_err());
        assert_eq!(r.remaining(), 4);
    }
}
