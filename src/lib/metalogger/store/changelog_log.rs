//! The writer of `changelog_ml.0.mfs`: whole lines or nothing.
//!
//! mfsmetalogger 3.0.117 writes through a stdio buffer, so a full disk or a crash can leave
//! part of a line at the end of the file, and the next start glues a new line onto it (spec
//! `metalogger-files.md` §2.4). Here lines wait in memory ([`ChangelogWriter::push`]) and
//! [`ChangelogWriter::flush`] hands them to the file:
//!
//! * after a failed or short write the file is cut back to the end of its last complete
//!   line, and the lines not written stay in memory for the next flush; the failure is
//!   logged once (`error writing changelog_ml.0.mfs: ENOSPC (…)`), and so is the recovery;
//! * if the cut itself fails, the file is marked torn and the cut is tried again before
//!   anything else is written;
//! * each flush that wrote something ends with one `fdatasync`. mfsmetalogger never syncs;
//!   one sync a second costs little and makes "a change logged is a change kept" true
//!   after a power loss too (the session flushes every second, on disconnect and at exit);
//! * the memory held is bounded ([`MAX_PENDING`]): past it [`ChangelogWriter::push`]
//!   refuses the line, and the session re-registers from the last version it has, which
//!   the master replays (it keeps 30 minutes of changes), instead of losing changes.
//!
//! Calling order: `attach` (an open file and its length) → any number of `push` and
//! `flush` → `detach`. Lines pushed while no file is attached wait for the next `attach`.

use std::fs::File;
use std::io::{self, Write};

use memchr::memrchr;

use crate::metalogger::errno::errno_text;
use crate::metalogger::log::Level;

/// The most bytes of lines held in memory while the disk refuses them (64 MiB, about half
/// a million changes).
pub const MAX_PENDING: usize = 64 << 20;

/// What the writer needs from the file it appends to (a trait so tests can put a full disk
/// behind it).
pub trait LogFile: Send {
    /// Appends at the end of the file; may write fewer bytes than given.
    fn append(&mut self, bytes: &[u8]) -> io::Result<usize>;
    /// Cuts the file to `len` bytes.
    fn truncate(&mut self, len: u64) -> io::Result<()>;
    /// Makes the data written so far durable (`fdatasync`).
    fn sync_data(&mut self) -> io::Result<()>;
}

impl LogFile for File {
    fn append(&mut self, bytes: &[u8]) -> io::Result<usize> {
        self.write(bytes)
    }

    fn truncate(&mut self, len: u64) -> io::Result<()> {
        self.set_len(len)
    }

    fn sync_data(&mut self) -> io::Result<()> {
        File::sync_data(self)
    }
}

/// The most bytes a line with `text` takes: `"<u64>: " text "\n"`.
fn line_bound(text: &[u8]) -> usize {
    20 + 2 + text.len() + 1
}

/// The lines [`ChangelogWriter::push`] refused: the memory bound is reached.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Backlog {
    /// Bytes of lines waiting in memory.
    pub pending: usize,
}

/// Buffered whole lines and the file they go to.
pub struct ChangelogWriter {
    /// The file's name, for messages.
    name: &'static str,
    file: Option<Box<dyn LogFile>>,
    /// Length of the file up to the end of its last complete line.
    valid_len: u64,
    /// Bytes past `valid_len` may hold part of a line (a cut failed): cut before writing.
    torn: bool,
    /// Complete lines not yet in the file.
    pending: Vec<u8>,
    /// Bound on `pending`.
    limit: usize,
    /// A write error was logged and its recovery is not logged yet.
    failing: bool,
    /// A sync error was logged (logged once until a sync succeeds).
    sync_failing: bool,
}

impl std::fmt::Debug for ChangelogWriter {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("ChangelogWriter")
            .field("name", &self.name)
            .field("open", &self.file.is_some())
            .field("valid_len", &self.valid_len)
            .field("torn", &self.torn)
            .field("pending", &self.pending.len())
            .finish()
    }
}

impl ChangelogWriter {
    /// A writer for the file called `name` (nothing open yet).
    pub fn new(name: &'static str) -> Self {
        ChangelogWriter {
            name,
            file: None,
            valid_len: 0,
            torn: false,
            pending: Vec::new(),
            limit: MAX_PENDING,
            failing: false,
            sync_failing: false,
        }
    }

    /// Sets the memory bound (tests use a small one).
    #[cfg(test)]
    pub fn set_limit(&mut self, limit: usize) {
        self.limit = limit;
    }

    /// Whether a file is attached.
    pub fn is_open(&self) -> bool {
        self.file.is_some()
    }

    /// Hands over an open file whose first `len` bytes are complete lines.
    pub fn attach(&mut self, file: Box<dyn LogFile>, len: u64) {
        self.file = Some(file);
        self.valid_len = len;
        self.torn = false;
    }

    /// Closes the file (without flushing); lines not written stay in memory.
    pub fn detach(&mut self) {
        self.file = None;
        self.torn = false;
    }

    /// Bytes of lines waiting in memory.
    pub fn pending_bytes(&self) -> usize {
        self.pending.len()
    }

    /// The version of the first line waiting, and how many lines wait.
    pub fn pending_summary(&self) -> Option<(u64, usize)> {
        if self.pending.is_empty() {
            return None;
        }
        let digits = self.pending.iter().take_while(|b| b.is_ascii_digit());
        let first = digits.fold(0u64, |v, &b| {
            v.wrapping_mul(10).wrapping_add(u64::from(b - b'0'))
        });
        Some((first, memchr::memchr_iter(b'\n', &self.pending).count()))
    }

    /// Throws away the lines waiting in memory (the files they belonged to were moved).
    pub fn discard_pending(&mut self) -> usize {
        let n = self.pending.len();
        self.pending.clear();
        n
    }

    /// Whether a line with `text` would fit in memory now ([`ChangelogWriter::push`]
    /// refuses it otherwise).
    pub fn check_room(&self, text: &[u8]) -> Result<(), Backlog> {
        if self.pending.len().saturating_add(line_bound(text)) > self.limit {
            return Err(Backlog {
                pending: self.pending.len(),
            });
        }
        Ok(())
    }

    /// Buffers the line `"<version>: <text>\n"` (text up to its first NUL, as
    /// mfsmetalogger's `%s`). Refused when the buffer would pass its bound.
    pub fn push(&mut self, version: u64, text: &[u8]) -> Result<(), Backlog> {
        let text = text
            .get(..memchr::memchr(0, text).unwrap_or(text.len()))
            .unwrap_or_default();
        self.check_room(text)?;
        // Writing to a Vec cannot fail.
        let _ = write!(self.pending, "{version}: ");
        self.pending.extend_from_slice(text);
        self.pending.push(b'\n');
        Ok(())
    }

    /// Writes the waiting lines to the attached file (see the module documentation). An
    /// error means some lines are still in memory (and a message was logged the first time);
    /// the file then holds only complete lines, or is marked to be cut on the next flush.
    pub fn flush(&mut self) -> io::Result<()> {
        let Some(file) = self.file.as_mut() else {
            return if self.pending.is_empty() {
                Ok(())
            } else {
                Err(io::Error::new(io::ErrorKind::NotConnected, "file not open"))
            };
        };
        if self.torn {
            if let Err(e) = file.truncate(self.valid_len) {
                return Err(self.failed(e));
            }
            self.torn = false;
        }
        if self.pending.is_empty() {
            return Ok(());
        }
        let mut written = 0;
        let error = loop {
            let Some(rest) = self.pending.get(written..).filter(|r| !r.is_empty()) else {
                break None;
            };
            match file.append(rest) {
                Ok(0) => break Some(io::Error::from(io::ErrorKind::WriteZero)),
                Ok(n) => written += n,
                Err(e) if e.kind() == io::ErrorKind::Interrupted => {}
                Err(e) => break Some(e),
            }
        };
        if let Some(e) = error {
            // Keep the complete lines that made it; cut the rest off the file.
            let keep = self
                .pending
                .get(..written)
                .and_then(|w| memrchr(b'\n', w))
                .map_or(0, |at| at + 1);
            self.valid_len += keep as u64;
            self.pending.drain(..keep);
            if written > keep && file.truncate(self.valid_len).is_err() {
                self.torn = true;
            }
            return Err(self.failed(e));
        }
        self.valid_len += written as u64;
        self.pending.clear();
        match file.sync_data() {
            Ok(()) => self.sync_failing = false,
            Err(e) => {
                if !self.sync_failing {
                    crate::ml_log!(
                        Level::Warning,
                        "error syncing {}: {}",
                        self.name,
                        errno_text(&e)
                    );
                }
                self.sync_failing = true;
            }
        }
        if self.failing {
            self.failing = false;
            crate::ml_log!(
                Level::Notice,
                "{}: writing works again, no change was lost",
                self.name
            );
        }
        Ok(())
    }

    /// Logs a write error once per episode.
    fn failed(&mut self, e: io::Error) -> io::Error {
        if !self.failing {
            self.failing = true;
            crate::ml_log!(
                Level::Warning,
                "error writing {}: {} ({} bytes of changes kept in memory, retried every second)",
                self.name,
                errno_text(&e),
                self.pending.len()
            );
        }
        e
    }

    /// Length of the file up to its last complete line.
    #[cfg(test)]
    pub fn valid_len(&self) -> u64 {
        self.valid_len
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;
    use std::sync::{Arc, Mutex};

    /// A file on a disk with `room` bytes left: writes past it fail with ENOSPC after
    /// writing what fits (as a real short write does).
    #[derive(Clone, Default)]
    pub(crate) struct SmallDisk {
        pub state: Arc<Mutex<DiskState>>,
    }

    #[derive(Default)]
    pub(crate) struct DiskState {
        pub bytes: Vec<u8>,
        pub room: usize,
        pub syncs: usize,
        pub refuse_truncate: bool,
    }

    impl SmallDisk {
        pub fn with_room(room: usize) -> Self {
            let d = SmallDisk::default();
            d.state.lock().unwrap().room = room;
            d
        }
        pub fn bytes(&self) -> Vec<u8> {
            self.state.lock().unwrap().bytes.clone()
        }
        pub fn set_room(&self, room: usize) {
            self.state.lock().unwrap().room = room;
        }
    }

    impl LogFile for SmallDisk {
        fn append(&mut self, bytes: &[u8]) -> io::Result<usize> {
            let mut s = self.state.lock().unwrap();
            let free = s.room.saturating_sub(s.bytes.len());
            if free == 0 {
                return Err(io::Error::from_raw_os_error(libc::ENOSPC));
            }
            let n = free.min(bytes.len());
            s.bytes.extend_from_slice(&bytes[..n]);
            Ok(n)
        }
        fn truncate(&mut self, len: u64) -> io::Result<()> {
            let mut s = self.state.lock().unwrap();
            if s.refuse_truncate {
                return Err(io::Error::from_raw_os_error(libc::EIO));
            }
            s.bytes.truncate(len as usize);
            Ok(())
        }
        fn sync_data(&mut self) -> io::Result<()> {
            self.state.lock().unwrap().syncs += 1;
            Ok(())
        }
    }

    fn writer_on(disk: &SmallDisk) -> ChangelogWriter {
        let mut w = ChangelogWriter::new("changelog_ml.0.mfs");
        w.attach(Box::new(disk.clone()), 0);
        w
    }

    #[test]
    fn lines_reach_the_file_only_on_flush_and_are_synced() {
        let disk = SmallDisk::with_room(1 << 20);
        let mut w = writer_on(&disk);
        w.push(10, b"1795335903|MOVE(2,file_a,2,file_b):3").unwrap();
        w.push(11, b"x\0ignored").unwrap();
        assert!(disk.bytes().is_empty());
        w.flush().unwrap();
        assert_eq!(
            disk.bytes(),
            b"10: 1795335903|MOVE(2,file_a,2,file_b):3\n11: x\n"
        );
        assert_eq!(disk.state.lock().unwrap().syncs, 1);
        w.flush().unwrap();
        assert_eq!(disk.state.lock().unwrap().syncs, 1, "nothing new, no sync");
    }

    #[test]
    fn a_full_disk_leaves_only_whole_lines_and_keeps_the_rest_for_later() {
        // Room for the first line (9 bytes) and 3 bytes of the second.
        let disk = SmallDisk::with_room(12);
        let mut w = writer_on(&disk);
        w.push(1, b"AAAAA").unwrap();
        w.push(2, b"BBBBB").unwrap();
        w.push(3, b"CCCCC").unwrap();
        let e = w.flush().unwrap_err();
        assert_eq!(e.raw_os_error(), Some(libc::ENOSPC));
        assert_eq!(
            disk.bytes(),
            b"1: AAAAA\n",
            "the torn second line is cut off"
        );
        assert_eq!(w.valid_len(), 9);
        assert_eq!(w.pending_summary(), Some((2, 2)));
        // Still full: nothing changes, the error is returned again.
        assert!(w.flush().is_err());
        assert_eq!(disk.bytes(), b"1: AAAAA\n");
        w.push(4, b"DDDDD").unwrap();
        disk.set_room(1 << 20);
        w.flush().unwrap();
        assert_eq!(
            disk.bytes(),
            b"1: AAAAA\n2: BBBBB\n3: CCCCC\n4: DDDDD\n".to_vec()
        );
        assert_eq!(w.pending_summary(), None);
    }

    #[test]
    fn a_failed_cut_is_retried_before_the_next_write() {
        let disk = SmallDisk::with_room(12);
        disk.state.lock().unwrap().refuse_truncate = true;
        let mut w = writer_on(&disk);
        w.push(1, b"AAAAA").unwrap();
        w.push(2, b"BBBBB").unwrap();
        assert!(w.flush().is_err());
        assert_eq!(disk.bytes(), b"1: AAAAA\n2: ".to_vec(), "the cut failed");
        // The cut still fails: nothing is appended after the torn bytes.
        disk.set_room(1 << 20);
        assert!(w.flush().is_err());
        assert_eq!(disk.bytes(), b"1: AAAAA\n2: ".to_vec());
        disk.state.lock().unwrap().refuse_truncate = false;
        w.flush().unwrap();
        assert_eq!(disk.bytes(), b"1: AAAAA\n2: BBBBB\n".to_vec());
    }

    #[test]
    fn the_memory_bound_refuses_lines_instead_of_dropping_them() {
        let disk = SmallDisk::with_room(0);
        let mut w = writer_on(&disk);
        w.set_limit(100);
        let mut accepted = 0;
        for v in 1..100 {
            match w.push(v, b"0123456789") {
                Ok(()) => accepted += 1,
                Err(b) => {
                    assert!(b.pending <= 100);
                    break;
                }
            }
        }
        assert!(accepted > 0 && accepted < 99);
        assert!(w.flush().is_err());
        assert_eq!(w.pending_summary(), Some((1, accepted)));
        disk.set_room(1000);
        w.flush().unwrap();
        assert_eq!(w.pending_bytes(), 0);
        assert!(w.push(100, b"x").is_ok(), "room again after the flush");
    }

    #[test]
    fn lines_wait_while_no_file_is_attached() {
        let mut w = ChangelogWriter::new("changelog_ml.0.mfs");
        w.push(5, b"a").unwrap();
        assert!(w.flush().is_err());
        let disk = SmallDisk::with_room(100);
        w.attach(Box::new(disk.clone()), 0);
        w.flush().unwrap();
        assert_eq!(disk.bytes(), b"5: a\n".to_vec());
    }
}
