//! Writing a large output file around the page cache (`O_DIRECT`), on a thread of its
//! own.
//!
//! A restore writes its output once and fsyncs it at once. Through the page cache, every
//! byte is copied into fresh cache pages (hundreds of megabytes at 2M files, each page
//! allocated and, in a virtual machine, often faulted in by the host too) and then
//! written back. Written directly, the bytes go from reused, aligned staging blocks to
//! the disk, and the final fsync finds nothing left to write.
//!
//! Direct writes need the buffer, the file offset and the length aligned to the
//! device's block size; [`ALIGN`] is enough for the devices in use. Each block is
//! written whole once it fills, by a writing thread, while the caller fills the next
//! one; at the end, the last block is written up to its last aligned position. The
//! bytes after that (fewer than [`ALIGN`]) and the length fields patched over bytes
//! already handed to the writing thread are written through the page cache, after
//! direct mode is turned off, just before the fsync.
//!
//! A file system that refuses direct mode at `fcntl` gets no staging (see
//! [`Staging::for_file`]); one that allows the mode but refuses the first direct write
//! (`EINVAL`) gets that write and the later ones through the page cache.

use std::fs::File;
use std::io;
use std::sync::mpsc::{sync_channel, Receiver, SyncSender};
use std::thread::JoinHandle;

/// Alignment of the staging blocks, of every direct write's offset and of its length.
pub const ALIGN: usize = 4096;

/// Bytes staged before a direct write (a multiple of [`ALIGN`]).
pub const STAGE: usize = 8 << 20;

/// Blocks in use: one being filled, one being written.
const BLOCKS: usize = 2;

/// An aligned staging block.
struct Block {
    /// Backing memory; the block starts at `start`, an [`ALIGN`]ed address.
    buf: Vec<u8>,
    start: usize,
    /// Bytes staged, at most [`STAGE`].
    len: usize,
}

impl Block {
    fn new() -> Option<Block> {
        let buf: Vec<u8> = Vec::with_capacity(STAGE + ALIGN);
        let start = buf.as_ptr().align_offset(ALIGN);
        (start < ALIGN).then_some(Block { buf, start, len: 0 })
    }

    /// Copies as much of `bytes` as fits; returns the rest.
    fn fill<'b>(&mut self, bytes: &'b [u8]) -> &'b [u8] {
        let (now, later) = bytes.split_at((STAGE - self.len).min(bytes.len()));
        let from = self.start + self.len;
        let to = from + now.len();
        if self.buf.len() < to {
            // Grows within the capacity reserved at creation: the address stays.
            self.buf.resize(to, 0);
        }
        if let Some(dst) = self.buf.get_mut(from..to) {
            dst.copy_from_slice(now);
            self.len += now.len();
        }
        later
    }

    fn bytes(&self) -> &[u8] {
        self.buf
            .get(self.start..self.start + self.len)
            .unwrap_or_default()
    }

    fn bytes_mut(&mut self) -> &mut [u8] {
        self.buf
            .get_mut(self.start..self.start + self.len)
            .unwrap_or_default()
    }
}

/// Output not written yet, gathered for the next direct write.
pub struct Staging {
    /// The block being filled.
    current: Block,
    /// File position of its first byte (a multiple of [`ALIGN`]).
    at: u64,
    /// Blocks made so far (at most [`BLOCKS`]).
    made: usize,
    /// Full blocks to the writing thread, with their file positions.
    to_writer: Option<SyncSender<(Block, u64)>>,
    /// Written blocks back from it, or the error that stopped it.
    written: Receiver<io::Result<Block>>,
    writer: Option<JoinHandle<()>>,
    /// Length fields for bytes handed to the writing thread: (position, bytes), written
    /// at [`Staging::finish`].
    patches: Vec<(u64, Vec<u8>)>,
}

impl Staging {
    /// Puts `file` in direct mode and returns its staging, or `None` when the file
    /// system does not allow direct writes (the file is then left as it was).
    pub fn for_file(file: &File) -> Option<Staging> {
        Staging::for_file_at(file, 0)
    }

    /// [`Staging::for_file`] for bytes that start at position `at` of the file (a
    /// multiple of [`ALIGN`]; `None` otherwise).
    pub fn for_file_at(file: &File, at: u64) -> Option<Staging> {
        if at % ALIGN as u64 != 0 {
            return None;
        }
        let current = Block::new()?;
        let writer_file = file.try_clone().ok()?;
        set_direct(file, true).ok()?;
        let (to_writer, blocks) = sync_channel::<(Block, u64)>(BLOCKS);
        let (give_back, written) = sync_channel(BLOCKS);
        let spawned = std::thread::Builder::new()
            .name("direct-write".into())
            .spawn(move || write_blocks(&writer_file, &blocks, &give_back));
        let Ok(writer) = spawned else {
            let _ = set_direct(file, false);
            return None;
        };
        Some(Staging {
            current,
            at,
            made: 1,
            to_writer: Some(to_writer),
            written,
            writer: Some(writer),
            patches: Vec::new(),
        })
    }

    /// File position just past the staged bytes.
    pub fn end(&self) -> u64 {
        self.at + self.current.len as u64
    }

    /// Appends `bytes`, handing each block to the writing thread once it fills. On an
    /// error the file is unusable (the caller discards it).
    pub fn append(&mut self, mut bytes: &[u8]) -> io::Result<()> {
        while !bytes.is_empty() {
            bytes = self.current.fill(bytes);
            if self.current.len == STAGE {
                self.hand_over()?;
            }
        }
        Ok(())
    }

    /// Sends the full block to the writing thread and takes an empty one.
    fn hand_over(&mut self) -> io::Result<()> {
        let next = if self.made < BLOCKS {
            Block::new()
        } else {
            None
        };
        let next = match next {
            Some(block) => {
                self.made += 1;
                block
            }
            None => self.written.recv().map_err(|_| writer_gone())??,
        };
        let full = std::mem::replace(&mut self.current, next);
        let at = self.at;
        self.at += full.len as u64;
        self.current.len = 0;
        self.to_writer
            .as_ref()
            .ok_or_else(writer_gone)?
            .send((full, at))
            .map_err(|_| writer_gone())
    }

    /// Goes on after `range`, whose bytes are in the file already (written there through
    /// another handle): the staged bytes must end where it starts, and both of its ends
    /// must be aligned. The staged bytes are handed to the writing thread first.
    pub fn skip(&mut self, range: std::ops::Range<u64>) -> io::Result<()> {
        let align = ALIGN as u64;
        if self.end() != range.start
            || range.end < range.start
            || range.start % align != 0
            || range.end % align != 0
        {
            return Err(io::Error::other(
                "skipped range not at an aligned end of the output",
            ));
        }
        if self.current.len > 0 {
            self.hand_over()?;
        }
        self.at = range.end;
        Ok(())
    }

    /// Writes `bytes` at `at`, inside what was appended: into the block being filled,
    /// or kept for [`Staging::finish`] where the bytes went to the writing thread.
    pub fn patch(&mut self, at: u64, bytes: &[u8]) -> io::Result<()> {
        let end = at
            .checked_add(bytes.len() as u64)
            .filter(|&e| e <= self.end())
            .ok_or_else(|| io::Error::other("patch outside the written bytes"))?;
        let handed_over = usize::try_from(self.at.saturating_sub(at))
            .unwrap_or(usize::MAX)
            .min(bytes.len());
        let (early, staged) = bytes.split_at(handed_over);
        if !early.is_empty() {
            self.patches.push((at, early.to_vec()));
        }
        if !staged.is_empty() {
            let from = (end - staged.len() as u64 - self.at) as usize;
            self.current
                .bytes_mut()
                .get_mut(from..from + staged.len())
                .ok_or_else(|| io::Error::other("patch outside the staged bytes"))?
                .copy_from_slice(staged);
        }
        Ok(())
    }

    /// Hands the staged bytes up to the last aligned position to the writing thread,
    /// waits for it, leaves direct mode and writes the rest: the last few staged bytes
    /// and the kept patches, through the page cache (the caller fsyncs next).
    pub fn finish(mut self, file: &File) -> io::Result<()> {
        // The last block's aligned part goes directly too (up to a block's worth of
        // bytes the page cache would otherwise copy at the very end).
        let aligned = self.current.len - self.current.len % ALIGN;
        let rest = self
            .current
            .bytes()
            .get(aligned..)
            .unwrap_or_default()
            .to_vec();
        self.current.len = aligned;
        if aligned > 0 {
            self.hand_over()?;
        }
        self.stop_writer()?;
        set_direct(file, false)?;
        write_all_at(file, &rest, self.at)?;
        for (at, bytes) in &self.patches {
            write_all_at(file, bytes, *at)?;
        }
        Ok(())
    }

    /// Ends the writing thread once it has written every block, returning the first
    /// error it met.
    fn stop_writer(&mut self) -> io::Result<()> {
        drop(self.to_writer.take());
        let mut first_error = Ok(());
        for result in self.written.iter() {
            if let (Err(e), Ok(())) = (result, &first_error) {
                first_error = Err(e);
            }
        }
        if let Some(writer) = self.writer.take() {
            if writer.join().is_err() && first_error.is_ok() {
                first_error = Err(writer_gone());
            }
        }
        first_error
    }
}

impl Drop for Staging {
    fn drop(&mut self) {
        let _ = self.stop_writer();
    }
}

/// The writing thread: writes each block at its position and gives it back. The first
/// write may find direct writes refused (`EINVAL`): it and all later ones then go
/// through the page cache. Stops at the first error, which it sends back.
fn write_blocks(
    file: &File,
    blocks: &Receiver<(Block, u64)>,
    give_back: &SyncSender<io::Result<Block>>,
) {
    let mut first = true;
    for (block, at) in blocks.iter() {
        let mut result = write_all_at(file, block.bytes(), at);
        if first {
            if let Err(e) = &result {
                if e.raw_os_error() == Some(libc::EINVAL) {
                    result = set_direct(file, false)
                        .and_then(|()| write_all_at(file, block.bytes(), at));
                }
            }
            first = false;
        }
        let failed = result.is_err();
        if give_back.send(result.map(|()| block)).is_err() || failed {
            return;
        }
    }
}

fn writer_gone() -> io::Error {
    io::Error::other("the output's writing thread stopped")
}

/// `pwrite` of all of `bytes` at `at`.
fn write_all_at(file: &File, bytes: &[u8], at: u64) -> io::Result<()> {
    use std::os::unix::fs::FileExt;
    file.write_all_at(bytes, at)
}

/// Turns `O_DIRECT` on or off for `file` (and for its clones, which share the flag).
fn set_direct(file: &File, on: bool) -> io::Result<()> {
    use std::os::unix::io::AsRawFd;
    let fd = file.as_raw_fd();
    // SAFETY: plain fcntl calls on a descriptor this `File` owns; no memory is passed.
    let flags = unsafe { libc::fcntl(fd, libc::F_GETFL) };
    if flags < 0 {
        return Err(io::Error::last_os_error());
    }
    let wanted = if on {
        flags | libc::O_DIRECT
    } else {
        flags & !libc::O_DIRECT
    };
    // SAFETY: as above.
    if unsafe { libc::fcntl(fd, libc::F_SETFL, wanted) } < 0 {
        return Err(io::Error::last_os_error());
    }
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> std::path::PathBuf {
        let d = std::env::temp_dir().join(format!("mfsmeta-direct-{name}-{}", std::process::id()));
        let _ = std::fs::remove_dir_all(&d);
        std::fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn staged_blocks_tail_and_patches_make_the_file() {
        let d = scratch("blocks");
        let path = d.join("out");
        let file = std::fs::OpenOptions::new()
            .write(true)
            .read(true)
            .create_new(true)
            .open(&path)
            .unwrap();
        // Two and a half blocks in uneven pieces, with patches in a written block, across
        // the boundary of the block being filled, and in the tail.
        let total = 2 * STAGE + STAGE / 2 + 123;
        let expected_base: Vec<u8> = (0..total).map(|i| (i * 7 % 251) as u8).collect();
        let mut expected = expected_base.clone();
        let Some(mut staging) = Staging::for_file(&file) else {
            // No direct writes here: nothing of this module is used.
            std::fs::remove_dir_all(&d).unwrap();
            return;
        };
        let mut at = 0;
        for piece in expected_base.chunks(1_000_003) {
            staging.append(piece).unwrap();
            at += piece.len();
            assert_eq!(staging.end(), at as u64);
        }
        let patches: [(usize, &[u8]); 3] = [
            (5, b"early"),
            (2 * STAGE - 3, b"across"),
            (total - 4, b"tail"),
        ];
        for (pos, bytes) in patches {
            staging.patch(pos as u64, bytes).unwrap();
            expected[pos..pos + bytes.len()].copy_from_slice(bytes);
        }
        assert!(staging.patch(total as u64 - 2, b"out").is_err());
        staging.finish(&file).unwrap();
        assert_eq!(std::fs::read(&path).unwrap(), expected);
        std::fs::remove_dir_all(&d).unwrap();
    }
}
