//! The replay of merged changelog lines over an image, with the rules of `mfsmaster`'s
//! `restore_file` (spec `changelog-format.md` §6–§8), point-in-time bounds, and the
//! reason the replay stopped.
//!
//! For each merged line, with `v` = the metadata version and `last` = the id of the
//! previous line handled:
//!
//! | Line | Action |
//! |---|---|
//! | id < v | already in the metadata: skipped |
//! | id = last | the same change from another file: skipped |
//! | id > last + 1 | hole: stop |
//! | does not parse | skipped without moving `last`, so a good copy in another file repairs it; if none comes: stop |
//! | otherwise | applied; the version must then be id + 1 |
//!
//! Differences from the master, all of them stops at the same version where the master
//! stops too or gives a worse message: a line that does not parse is reported itself
//! (the master reports the hole after it), and so is a first change that does not
//! follow the metadata (the master applies it, then fails its version check). One
//! difference in outcome: an unparsable last line, which the master silently leaves
//! out, stops the replay.

use bumpalo::Bump;

use crate::format::changelog::{parse_body, Line, LineError, RestoreEffect};
use crate::model::image::Image;
use crate::replay::{self, Replay};

use super::changelog_file::{ChangelogFile, Entry};
use super::error::{LinePos, StopReason};
use super::hint::{hint, Hint};
use super::merge::{Item, Merger};
use super::report::{Event, Report, Verbosity};

/// Where a point-in-time replay stops.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Limit {
    /// `--to-version N`: apply the changes below N, so the result has version N.
    pub to_version: Option<u64>,
    /// `--to-time T`: apply changes while their timestamp is at most T; stop before
    /// the first later one.
    pub to_time: Option<u64>,
}

impl Limit {
    /// The same limit, stopping before change `id` at the latest.
    pub fn before(self, id: u64) -> Self {
        Limit {
            to_version: Some(self.to_version.map_or(id, |v| v.min(id))),
            to_time: self.to_time,
        }
    }

    fn version_reached(&self, id: u64) -> bool {
        self.to_version.is_some_and(|v| id >= v)
    }

    fn time_passed(&self, ts: u32) -> bool {
        self.to_time.is_some_and(|t| u64::from(ts) > t)
    }
}

/// How a replay ended.
#[derive(Clone, Debug, PartialEq, Eq)]
pub enum RunEnd {
    /// All lines (up to the limit) were applied.
    Complete,
    /// Stopped early. `modified`: the failing change was partly applied, so the image
    /// is not the consistent state at its version.
    Stopped { reason: StopReason, modified: bool },
}

/// How many merged lines go by between two progress events.
const PROGRESS_EVERY: u64 = 1 << 12;
/// At most this many bytes of a line are quoted in a message.
const QUOTE_MAX: usize = 240;

/// The part of a line's body worth quoting: after the timestamp, without the `\n`,
/// shortened.
fn quote(body: &[u8]) -> String {
    let body = body.strip_suffix(b"\n").unwrap_or(body);
    let op = memchr::memchr(b'|', body)
        .and_then(|at| body.get(at + 1..))
        .unwrap_or(body);
    let shown = op.get(..QUOTE_MAX).unwrap_or(op);
    let mut text = String::from_utf8_lossy(shown).into_owned();
    if shown.len() < op.len() {
        text.push('…');
    }
    text
}

/// The timestamp at the start of a body that does not parse as a whole (digits after
/// optional blanks, as `strtoul` reads them, truncated to 32 bits).
fn leading_ts(body: &[u8]) -> u32 {
    let digits = body.iter().skip_while(|b| matches!(b, b' ' | b'\t'));
    let mut ts = 0u64;
    for &b in digits.take_while(|b| b.is_ascii_digit()) {
        ts = ts.wrapping_mul(10).wrapping_add(u64::from(b - b'0'));
    }
    ts as u32
}

/// A line that did not parse, waiting for a good copy from another file.
struct Unparsed {
    entry_file: usize,
    line: u64,
    id: u64,
    error: crate::format::changelog::LineError,
    text: String,
}

/// Replays the lines of `files` over `image` (whose version is the first change to
/// apply). `image.prepare_replay` is called before the first change is applied.
pub fn replay<'a>(
    image: &mut Image<'a>,
    arena: &'a Bump,
    files: &'a [ChangelogFile],
    limit: Limit,
    report: &mut dyn Report,
) -> RunEnd {
    let merger = Merger::new(files.iter().map(ChangelogFile::bytes));
    std::thread::scope(|scope| {
        // Parsing is a pure function of the line, so a second thread parses every line
        // ahead while this one applies them; the result is the parse this loop would
        // make itself (the few lines the loop skips are parsed for nothing).
        let (tx, rx) = std::sync::mpsc::sync_channel(PARSE_BATCHES_IN_FLIGHT);
        scope.spawn(move || parse_ahead(merger, files, &tx));
        replay_items(image, arena, files, limit, report, rx.into_iter())
    })
}

/// A merged item, with its line parsed when it is one.
struct Parsed<'a> {
    item: Item<'a>,
    line: Option<Result<Line<'a>, LineError>>,
}

/// Lines parsed ahead are handed over in batches of this many.
const PARSE_BATCH: usize = 2048;
/// How often (in bytes of a changelog) the pages behind the merge are released.
const RELEASE_EVERY: usize = 16 << 20;
/// The pages this close behind the merge are kept (the lines waiting to be applied).
const RELEASE_MARGIN: usize = 4 << 20;
/// At most this many batches wait to be applied.
const PARSE_BATCHES_IN_FLIGHT: usize = 8;

/// Runs the merge and parses each line, sending batches through `tx` until the merge
/// ends or the receiver is gone.
///
/// Every [`RELEASE_EVERY`] bytes of a file, the pages well behind the merge are released
/// (see [`ChangelogFile::release_pages_before`]): what the replay still borrows from
/// them is read again from the page cache when needed.
fn parse_ahead<'a>(
    merger: Merger<'a>,
    files: &'a [ChangelogFile],
    tx: &std::sync::mpsc::SyncSender<Vec<Parsed<'a>>>,
) {
    let mut released = vec![0usize; files.len()];
    let mut batch = Vec::with_capacity(PARSE_BATCH);
    for item in merger {
        if let Item::Line(e) = item {
            if let (Some(file), Some(done)) = (files.get(e.file), released.get_mut(e.file)) {
                let at = (e.body.as_ptr() as usize).wrapping_sub(file.bytes().as_ptr() as usize);
                if at.wrapping_sub(*done) >= RELEASE_EVERY && at < file.bytes().len() {
                    file.release_pages_before(at.saturating_sub(RELEASE_MARGIN));
                    *done = at;
                }
            }
        }
        let line = match item {
            Item::Line(e) => Some(parse_body(e.id, e.body)),
            Item::FileEnd { .. } => None,
        };
        batch.push(Parsed { item, line });
        if batch.len() == PARSE_BATCH {
            let full = std::mem::replace(&mut batch, Vec::with_capacity(PARSE_BATCH));
            if tx.send(full).is_err() {
                return;
            }
        }
    }
    if !batch.is_empty() {
        let _ = tx.send(batch);
    }
}

/// How many parsed lines ahead of the one being applied are prefetched (the first
/// step; the later steps at a half and a quarter of it). On the 2M-file bench input,
/// 8 replayed faster than 6, 12, 16 or 32: further ahead, more of what was fetched
/// left the cache before its line came.
const LOOKAHEAD: usize = 8;

/// The parsed lines, batch after batch, with a view of what follows in the batch.
struct Lookahead<'a, B> {
    batches: B,
    current: Vec<Parsed<'a>>,
    /// The next line of `current` to hand out.
    at: usize,
}

impl<'a, B: Iterator<Item = Vec<Parsed<'a>>>> Lookahead<'a, B> {
    /// The lines after the one handed out last, to the end of its batch.
    fn upcoming(&self) -> &[Parsed<'a>] {
        self.current.get(self.at..).unwrap_or_default()
    }

    fn next(&mut self) -> Option<&Parsed<'a>> {
        while self.at >= self.current.len() {
            self.current = self.batches.next()?;
            self.at = 0;
        }
        self.at += 1;
        self.current.get(self.at - 1)
    }
}

/// The line of a parsed item, if it is one and parsed well.
fn parsed_line<'p, 'a>(parsed: Option<&'p Parsed<'a>>) -> Option<&'p Line<'a>> {
    match parsed {
        Some(Parsed {
            line: Some(Ok(line)),
            ..
        }) => Some(line),
        _ => None,
    }
}

/// [`replay`] over the merged, parsed items.
fn replay_items<'a>(
    image: &mut Image<'a>,
    arena: &'a Bump,
    files: &'a [ChangelogFile],
    limit: Limit,
    report: &mut dyn Report,
    batches: impl Iterator<Item = Vec<Parsed<'a>>>,
) -> RunEnd {
    let names: Vec<&str> = files.iter().map(|f| f.name.as_str()).collect();
    let name = |file: usize| names.get(file).copied().unwrap_or("?");
    let pos = |e: &Entry| LinePos {
        file: name(e.file).to_string(),
        line: e.line,
    };
    let verbose = report.verbosity() >= Verbosity::Changes;

    let mut r = Replay { image, arena };
    let mut prepared = false;
    // `v` and `last` as in the master's restore_file; `last_at` is where `last` came
    // from (None until a line was handled: the master then takes the next line as the
    // start again).
    let mut v = r.image.version;
    let mut last = 0u64;
    let mut last_at: Option<(usize, u64)> = None;
    let mut unparsed: Option<Unparsed> = None;
    let mut seen = 0u64;

    // The lines after the one being applied have their nodes and chunks fetched into
    // the cache (see `hint`): their lookups are at random places of tables far larger
    // than the cache, so each would otherwise wait for memory in turn.
    let mut items = Lookahead {
        batches,
        current: Vec::new(),
        at: 0,
    };
    loop {
        let upcoming = items.upcoming();
        // The parsed lines themselves were written by the parsing thread: fetch them
        // well before `hint` reads them.
        if let Some(far) = upcoming.get(2 * LOOKAHEAD) {
            crate::model::prefetch::prefetch_all(far);
        }
        hint(r.image, parsed_line(upcoming.get(LOOKAHEAD)), Hint::Index);
        hint(
            r.image,
            parsed_line(upcoming.get(LOOKAHEAD / 2)),
            Hint::Entry,
        );
        hint(
            r.image,
            parsed_line(upcoming.get(LOOKAHEAD / 4)),
            Hint::Data,
        );
        // Lines are applied where they lie in their batch (a line is a few hundred bytes:
        // moving each out would cost a copy).
        let Some(&Parsed { item, ref line }) = items.next() else {
            break;
        };
        let e = match item {
            Item::Line(e) => e,
            Item::FileEnd { file, end } => {
                report.event(Event::FileEnd {
                    file: name(file),
                    end,
                });
                continue;
            }
        };
        seen += 1;
        if seen % PROGRESS_EVERY == 0 {
            report.event(Event::Progress { id: e.id });
        }
        if let Some(u) = unparsed.take() {
            if e.id != u.id {
                return RunEnd::Stopped {
                    reason: StopReason::BadLine {
                        at: LinePos {
                            file: name(u.entry_file).to_string(),
                            line: u.line,
                        },
                        id: u.id,
                        error: u.error,
                        text: u.text,
                    },
                    modified: false,
                };
            }
        }
        if last == 0 || v == 0 || last_at.is_none() {
            v = r.image.version;
            last = e.id.wrapping_sub(1);
        }
        if e.id < last {
            // Cannot happen with ids merged in order, except right after a start on
            // change 0 (whose "previous" id wraps); the master skips such lines.
            continue;
        }
        if e.id >= v {
            if e.id == last {
                if report.verbosity() >= Verbosity::Details {
                    report.event(Event::Duplicate {
                        file: name(e.file),
                        line: e.line,
                        id: e.id,
                    });
                }
            } else {
                if e.id > last.wrapping_add(1) {
                    if limit.version_reached(last.wrapping_add(1)) {
                        return RunEnd::Complete;
                    }
                    return RunEnd::Stopped {
                        reason: StopReason::Hole {
                            first: last.wrapping_add(1),
                            last: e.id - 1,
                            after: last_at.map(|(file, line)| LinePos {
                                file: name(file).to_string(),
                                line,
                            }),
                            before: pos(&e),
                        },
                        modified: false,
                    };
                }
                if e.id != v {
                    // The first change after the metadata does not follow it.
                    if limit.version_reached(v) {
                        return RunEnd::Complete;
                    }
                    return RunEnd::Stopped {
                        reason: StopReason::Gap {
                            metadata_version: v,
                            first_found: e.id,
                            at: pos(&e),
                        },
                        modified: false,
                    };
                }
                if limit.version_reached(e.id) {
                    return RunEnd::Complete;
                }
                let parsed_here;
                let parsed = match line {
                    Some(parsed) => parsed.as_ref(),
                    None => {
                        parsed_here = parse_body(e.id, e.body);
                        parsed_here.as_ref()
                    }
                };
                let line = match parsed {
                    Ok(line) => line,
                    Err(&error) => {
                        if limit.time_passed(leading_ts(e.body)) {
                            return RunEnd::Complete;
                        }
                        if let RestoreEffect::Fail { status } = error.restore_effect() {
                            return RunEnd::Stopped {
                                reason: StopReason::Failed {
                                    at: pos(&e),
                                    id: e.id,
                                    text: quote(e.body),
                                    status: status.into(),
                                },
                                modified: false,
                            };
                        }
                        report.event(Event::Unparsed {
                            file: name(e.file),
                            line: e.line,
                            id: e.id,
                            error: &error,
                        });
                        unparsed = Some(Unparsed {
                            entry_file: e.file,
                            line: e.line,
                            id: e.id,
                            error,
                            text: quote(e.body),
                        });
                        // Neither `last` nor `last_at` moves: a copy of this change in
                        // another file is taken as if this line were not there.
                        continue;
                    }
                };
                if limit.time_passed(line.ts) {
                    return RunEnd::Complete;
                }
                if !prepared {
                    // Inodes created by the changelogs stay in the node table's vector:
                    // no line creates more than one inode per 32 bytes.
                    let bytes: u64 = files.iter().map(|f| f.bytes().len() as u64).sum();
                    let bound = u64::from(r.image.nodes.max_node_id) + bytes / 32 + (1 << 20);
                    r.image
                        .nodes
                        .grow_dense_limit(u32::try_from(bound).unwrap_or(u32::MAX));
                    r.image.prepare_replay();
                    prepared = true;
                }
                if verbose {
                    report.event(Event::Change {
                        file: name(e.file),
                        line: e.line,
                        id: e.id,
                        body: e.body,
                    });
                }
                match replay::apply(&mut r, line.ts, &line.op) {
                    Err(status) => {
                        return RunEnd::Stopped {
                            reason: StopReason::Failed {
                                at: pos(&e),
                                id: e.id,
                                text: quote(e.body),
                                status,
                            },
                            modified: true,
                        }
                    }
                    Ok(increments) => {
                        r.image.version = r.image.version.wrapping_add(increments);
                        v = r.image.version;
                        if v != e.id.wrapping_add(1) {
                            return RunEnd::Stopped {
                                reason: StopReason::VersionMismatch {
                                    at: pos(&e),
                                    id: e.id,
                                    text: quote(e.body),
                                    version: v,
                                },
                                modified: true,
                            };
                        }
                    }
                }
            }
        }
        last = e.id;
        last_at = Some((e.file, e.line));
    }
    if let Some(u) = unparsed {
        return RunEnd::Stopped {
            reason: StopReason::BadLine {
                at: LinePos {
                    file: name(u.entry_file).to_string(),
                    line: u.line,
                },
                id: u.id,
                error: u.error,
                text: u.text,
            },
            modified: false,
        };
    }
    if let Some(target) = limit.to_version {
        if r.image.version < target {
            return RunEnd::Stopped {
                reason: StopReason::EndBeforeTarget { target },
                modified: false,
            };
        }
    }
    RunEnd::Complete
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn quotes_skip_the_timestamp_and_are_short() {
        assert_eq!(
            quote(b"1700|CREATE(1,a,1,420,18,0,0,0):2\n"),
            "CREATE(1,a,1,420,18,0,0,0):2"
        );
        let long = format!("1|{}\n", "X".repeat(1000));
        assert_eq!(quote(long.as_bytes()).chars().count(), QUOTE_MAX + 1);
    }

    #[test]
    fn leading_timestamps() {
        assert_eq!(leading_ts(b"1700|FOO(\n"), 1700);
        assert_eq!(leading_ts(b" 12x"), 12);
        assert_eq!(leading_ts(b"x"), 0);
        assert_eq!(leading_ts(b"4294967297|"), 1);
    }

    #[test]
    fn limits() {
        let l = Limit {
            to_version: Some(10),
            to_time: None,
        };
        assert!(l.version_reached(10));
        assert!(!l.version_reached(9));
        assert_eq!(l.before(5).to_version, Some(5));
        assert_eq!(l.before(50).to_version, Some(10));
        assert_eq!(Limit::default().before(7).to_version, Some(7));
        let t = Limit {
            to_version: None,
            to_time: Some(100),
        };
        assert!(!t.time_passed(100));
        assert!(t.time_passed(101));
    }
}
