//! What a restore tells its user while it runs: the files it chose, each applied change
//! (`-x`), warnings, progress. The restore emits [`Event`]s; a [`Report`] decides what
//! to show. [`StderrReport`] is the command line's: messages on standard error, and a
//! progress bar when standard error is a terminal.

use std::fmt;
use std::io::{IsTerminal, Write};
use std::path::Path;
use std::time::Duration;

use indicatif::{ProgressBar, ProgressDrawTarget, ProgressStyle};

use crate::format::changelog::LineError;

use super::changelog_file::FileEnd;
use super::select::MetadataCheck;

/// How much to say.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq, PartialOrd, Ord)]
pub enum Verbosity {
    /// Warnings only (and a progress bar on a terminal).
    #[default]
    Quiet,
    /// `-x`: the files chosen and every applied change (like `mfsmaster -x`).
    Changes,
    /// `-x -x`: also every metadata file looked at, duplicates and skipped lines (like
    /// `mfsmaster -x -x`).
    Details,
}

impl Verbosity {
    /// From the number of `-x` flags.
    pub fn from_count(count: u8) -> Self {
        match count {
            0 => Verbosity::Quiet,
            1 => Verbosity::Changes,
            _ => Verbosity::Details,
        }
    }
}

/// Something that happened during a restore.
#[derive(Debug)]
#[non_exhaustive]
pub enum Event<'e> {
    /// `-a`: a `metadata*` file was looked at.
    MetadataCandidate {
        path: &'e Path,
        check: &'e MetadataCheck,
    },
    /// The metadata file to start from.
    MetadataChosen {
        path: &'e Path,
        version: u64,
        id: u64,
    },
    /// A changelog file and the ids it covers (0 = unknown); `used` is false when
    /// `mfsmaster -a` would skip it.
    Changelog {
        name: &'e str,
        first: u64,
        last: u64,
        used: bool,
    },
    /// A named changelog ends with an incomplete line, which is left out.
    TornTail { name: &'e str, bytes: usize },
    /// The replay starts at metadata version `from`; the changelogs go up to `to`.
    ReplayStart { from: u64, to: u64 },
    /// The merge reached change `id`.
    Progress { id: u64 },
    /// A change is about to be applied (only sent at [`Verbosity::Changes`] and up).
    Change {
        file: &'e str,
        line: u64,
        id: u64,
        body: &'e [u8],
    },
    /// A change already applied from another file was skipped.
    Duplicate { file: &'e str, line: u64, id: u64 },
    /// A line does not parse; it is skipped unless another file has the same change.
    Unparsed {
        file: &'e str,
        line: u64,
        id: u64,
        error: &'e LineError,
    },
    /// A changelog file has no more lines for the merge.
    FileEnd { file: &'e str, end: FileEnd },
    /// The replay ended.
    ReplayEnd { version: u64 },
    /// Best effort: the failing change may have half-changed the metadata, so the
    /// replay runs again from the start and stops before change `before`.
    Rerun { before: u64 },
}

/// Receives the events of a restore.
pub trait Report {
    /// What the receiver wants: [`Event::Change`] and the details cost time, so they are
    /// only produced when asked for.
    fn verbosity(&self) -> Verbosity;
    fn event(&mut self, event: Event<'_>);
}

/// A report that ignores everything.
pub struct Silent;

impl Report for Silent {
    fn verbosity(&self) -> Verbosity {
        Verbosity::Quiet
    }
    fn event(&mut self, _: Event<'_>) {}
}

/// The command line's report: messages on standard error, prefixed with the program
/// name; a progress bar when standard error is a terminal and nothing else is printed.
pub struct StderrReport {
    verbosity: Verbosity,
    bar: Option<ProgressBar>,
    from: u64,
    /// The program name for message prefixes.
    program: &'static str,
}

impl StderrReport {
    pub fn new(program: &'static str, verbosity: Verbosity) -> Self {
        StderrReport {
            verbosity,
            bar: None,
            from: 0,
            program,
        }
    }

    fn say(&self, text: fmt::Arguments<'_>) {
        let line = format!("{}: {text}", self.program);
        match &self.bar {
            Some(bar) => bar.suspend(|| eprintln!("{line}")),
            None => eprintln!("{line}"),
        }
    }

    fn start_bar(&mut self, from: u64, to: u64) {
        self.from = from;
        if self.verbosity > Verbosity::Quiet || !std::io::stderr().is_terminal() || to < from {
            return;
        }
        let bar = ProgressBar::with_draw_target(
            Some(to - from + 1),
            ProgressDrawTarget::stderr_with_hz(4),
        );
        bar.set_style(
            ProgressStyle::with_template("replaying change {msg} [{bar:30}] {percent}% ETA {eta}")
                .unwrap_or_else(|_| ProgressStyle::default_bar())
                .progress_chars("=> "),
        );
        bar.enable_steady_tick(Duration::from_millis(250));
        self.bar = Some(bar);
    }
}

impl Report for StderrReport {
    fn verbosity(&self) -> Verbosity {
        self.verbosity
    }

    fn event(&mut self, event: Event<'_>) {
        let details = self.verbosity >= Verbosity::Details;
        let changes = self.verbosity >= Verbosity::Changes;
        match event {
            Event::MetadataCandidate { path, check } if details => {
                self.say(format_args!("{}: {check}", path.display()))
            }
            Event::MetadataChosen { path, version, id } if changes => {
                let id = if id != 0 {
                    format!(", id {id:X}")
                } else {
                    String::new()
                };
                self.say(format_args!(
                    "chosen metadata file: {} (version {version}{id})",
                    path.display()
                ))
            }
            Event::Changelog {
                name,
                first,
                last,
                used,
            } if changes => {
                let show = |v: u64| {
                    if v == 0 {
                        "???".to_string()
                    } else {
                        v.to_string()
                    }
                };
                self.say(format_args!(
                    "{} changelog file: {name} (changes: {} - {})",
                    if used { "using" } else { "skipping" },
                    show(first),
                    show(last)
                ))
            }
            Event::TornTail { name, bytes } => self.say(format_args!(
                "warning: {name}: the last {bytes} bytes are an incomplete line, left out"
            )),
            Event::ReplayStart { from, to } => self.start_bar(from, to),
            Event::Progress { id } => {
                if let Some(bar) = &self.bar {
                    bar.set_position(id.saturating_sub(self.from));
                    bar.set_message(id.to_string());
                }
            }
            Event::Change {
                file,
                line,
                id,
                body,
            } if changes => {
                let body = body.strip_suffix(b"\n").unwrap_or(body);
                let mut out = std::io::stderr().lock();
                let _ = writeln!(
                    out,
                    "{}: {file}:{line}: change {id}: {}",
                    self.program,
                    String::from_utf8_lossy(body)
                );
            }
            Event::Duplicate { file, line, id } if details => self.say(format_args!(
                "{file}:{line}: change {id} already applied from another file"
            )),
            Event::Unparsed {
                file,
                line,
                id,
                error,
            } => self.say(format_args!(
                "warning: {file}:{line}: change {id} does not parse ({error}); skipped unless \
                 another file has it"
            )),
            Event::FileEnd {
                file,
                end: FileEnd::Garbage { line, id, last_id },
            } => {
                let found = id.map_or_else(|| "a negative id".to_string(), |i| format!("id {i}"));
                self.say(format_args!(
                    "warning: {file}:{line}: {found} does not follow change {last_id}: the rest of \
                     the file is ignored (as mfsmaster does)"
                ))
            }
            Event::ReplayEnd { version } => {
                if let Some(bar) = self.bar.take() {
                    bar.finish_and_clear();
                }
                if changes {
                    self.say(format_args!("replay ended at metadata version {version}"));
                }
            }
            Event::Rerun { before } => self.say(format_args!(
                "replaying again from the start, to stop before change {before}"
            )),
            _ => {}
        }
    }
}

impl Drop for StderrReport {
    fn drop(&mut self) {
        if let Some(bar) = self.bar.take() {
            bar.finish_and_clear();
        }
    }
}
