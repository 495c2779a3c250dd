//! Changelog lines of MooseFS 3.0.117: parsing and formatting, zero copy.
//!
//! Grammar (spec `changelog-format.md` §1):
//!
//! ```text
//! line = id ": " body "\n"
//! body = ts "|" OPNAME "(" args ")" [ ":" result ] [ rest ]
//! id   = decimal, read like strtoll   (metadata version of the change)
//! ts   = decimal u32                  (Unix seconds)
//! ```
//!
//! Example: `27: 1700000027|CREATE(1,dir1,2,493,18,0,0,0):2\n`.
//!
//! Reading follows 3.0.117's `restore.c` field by field: numbers as `strtoul`
//! (blanks and sign allowed, 32-bit fields truncated, `u8*`/`u16*` checked),
//! escaped fields validated but left escaped ([`Escaped`]), and whatever
//! follows the last expected field kept in [`Line::rest`] (MooseFS ignores
//! it). Nothing is allocated and nothing is checked as UTF-8.
//!
//! Writing ([`Line::write_to`]) gives back the exact bytes of every line that
//! 3.0.117 writes; for other accepted lines it gives the canonical form of the
//! same values (numbers in plain decimal), which reads back to the same
//! [`Line`].
//!
//! Not done here: splitting a file into lines (the MooseFS reader cuts lines
//! at 199999 bytes, see §1) and the merge rules on ids (§8).

#![deny(clippy::indexing_slicing, clippy::unwrap_used, clippy::panic)]

mod cursor;
mod error;
mod escape;
mod lists;
mod number;
mod op;
mod parse;
mod write;

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests;

use std::fmt;

pub use error::{LineError, LineErrorKind, OpNamePrefix, RestoreEffect};
pub use escape::{escape_into, Decoded, Escaped, FieldKind, MAX_NAME_LEN};
pub use lists::{GidList, LabelMasks, RestoredGids, SnapshotGids};
pub use op::{AppendSlice, CreateType, Op, SessionParams, SnapshotResult, Subject, OP_NAMES};

use cursor::Cursor;
use number::{push_decimal, strtoi64};

/// What the master writes between the id and the body.
const ID_SEPARATOR: &[u8; 2] = b": ";

/// One parsed changelog line, borrowing its names and data from the input.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Line<'a> {
    /// Change id: the metadata version this change produces from (version
    /// after replay = id + 1).
    pub id: u64,
    /// Time of the change (Unix seconds).
    pub ts: u32,
    /// The operation.
    pub op: Op<'a>,
    /// Bytes after the last field MooseFS reads, without the final `\n`
    /// (usually empty; `\r` for CRLF files). Kept so that formatting gives
    /// back the same bytes.
    pub rest: &'a [u8],
}

/// Strips one final `\n`.
fn without_newline(line: &[u8]) -> &[u8] {
    line.strip_suffix(b"\n").unwrap_or(line)
}

/// Splits off the change id the way MooseFS's merger does: `strtoll` on the
/// start of the line, then `": "` is skipped if it follows.
///
/// Returns the id and the body (the rest of the line, final `\n` included if
/// it was there). An id with no digit at all reads as 0, like in MooseFS.
/// A negative id is [`LineErrorKind::NegativeId`] (the merger ends the file
/// there).
pub fn split_id(line: &[u8]) -> Result<(u64, &[u8]), LineError> {
    let (id, used) = strtoi64(line);
    let id = u64::try_from(id).map_err(|_| LineError::new(LineErrorKind::NegativeId, 0))?;
    let after = line.get(used..).unwrap_or_default();
    let body = after.strip_prefix(ID_SEPARATOR).unwrap_or(after);
    Ok((id, body))
}

/// Parses one whole line (`ID: TS|NAME(args)...`, with or without its final
/// `\n`). Error offsets count from the start of `line`.
///
/// To know the id of a line whose body does not parse (MooseFS's merger uses
/// it anyway), call [`split_id`] and [`parse_body`] instead.
pub fn parse_line(line: &[u8]) -> Result<Line<'_>, LineError> {
    let (id, body) = split_id(line)?;
    let body_at = line.len() - body.len();
    parse_body(id, body).map_err(|e| e.shifted(body_at))
}

/// Parses a body (`TS|NAME(args)...`, with or without a final `\n`) whose id
/// was split off already. Error offsets count from the start of `body`.
pub fn parse_body(id: u64, body: &[u8]) -> Result<Line<'_>, LineError> {
    let mut cur = Cursor::new(without_newline(body));
    let ts = cur.u32();
    cur.eat(b'|')?;
    let op = parse::parse_op(&mut cur)?;
    Ok(Line {
        id,
        ts,
        op,
        rest: cur.tail(),
    })
}

impl Line<'_> {
    /// Appends the whole line, `ID: TS|NAME(args)[:result]rest\n`.
    pub fn write_to(&self, out: &mut Vec<u8>) {
        push_decimal(out, self.id);
        out.extend_from_slice(ID_SEPARATOR);
        self.write_body_to(out);
        out.push(b'\n');
    }

    /// Appends the body only, `TS|NAME(args)[:result]rest` (no id, no `\n`),
    /// as the master passes it to its metaloggers.
    pub fn write_body_to(&self, out: &mut Vec<u8>) {
        push_decimal(out, u64::from(self.ts));
        out.push(b'|');
        self.op.write_to(out);
        out.extend_from_slice(self.rest);
    }
}

/// The line without its final `\n`; bytes that are not UTF-8 are shown as
/// U+FFFD.
impl fmt::Display for Line<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::new();
        self.write_to(&mut text);
        text.pop();
        f.write_str(&String::from_utf8_lossy(&text))
    }
}

/// `NAME(args)[:result]`; bytes that are not UTF-8 are shown as U+FFFD.
impl fmt::Display for Op<'_> {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let mut text = Vec::new();
        self.write_to(&mut text);
        f.write_str(&String::from_utf8_lossy(&text))
    }
}
