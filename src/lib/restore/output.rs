//! Writing an output file so that it appears whole or not at all.
//!
//! The bytes go to a temporary file in the target's folder, which is fsynced, then
//! renamed over the target, and the folder is fsynced so the rename is durable. On any
//! error the temporary file is removed and an existing target is left untouched.

use std::fs::{self, File, OpenOptions};
use std::io::{self, Write};
use std::ops::Range;
use std::path::{Path, PathBuf};
use std::sync::{Arc, Mutex};

use super::direct_write::{Staging, ALIGN};
use crate::model::store::AheadSink;

/// Size of each write call to the output file.
const WRITE_CHUNK: usize = 8 << 20;

/// A file being written, that replaces `target` on [`AtomicFile::commit`] and vanishes
/// if dropped before.
pub struct AtomicFile {
    target: PathBuf,
    tmp: PathBuf,
    file: Option<File>,
    /// Bytes written so far.
    written: u64,
    /// Start of the bytes whose write-back was not started yet.
    unflushed_from: u64,
    /// Bytes waiting for the next direct write, while the file is written around the
    /// page cache (see [`super::direct_write`]).
    staging: Option<Staging>,
    /// Ranges written during the load, through other handles (see [`AheadTarget`]).
    held: Arc<Mutex<Vec<Range<u64>>>>,
}

/// Write-back of this many written bytes is started at once (see
/// [`AtomicFile::write_all`]).
const WRITEBACK_CHUNK: u64 = 16 << 20;

impl AtomicFile {
    /// Creates the temporary file next to `target` (mode 0640 like MooseFS's
    /// default `FILE_UMASK`).
    pub fn create(target: &Path) -> io::Result<Self> {
        let dir = parent_dir(target);
        let name = target
            .file_name()
            .map(|n| n.to_string_lossy().into_owned())
            .unwrap_or_default();
        let mut attempt = 0u32;
        loop {
            let tmp = dir.join(format!(".{name}.tmp.{}.{attempt}", std::process::id()));
            let mut opts = OpenOptions::new();
            opts.write(true).create_new(true);
            #[cfg(unix)]
            {
                use std::os::unix::fs::OpenOptionsExt;
                opts.mode(0o640);
            }
            match opts.open(&tmp) {
                Ok(file) => {
                    return Ok(AtomicFile {
                        target: target.to_path_buf(),
                        tmp,
                        staging: Staging::for_file(&file),
                        held: Arc::default(),
                        file: Some(file),
                        written: 0,
                        unflushed_from: 0,
                    })
                }
                Err(e) if e.kind() == io::ErrorKind::AlreadyExists && attempt < 100 => {
                    attempt += 1;
                }
                Err(e) => return Err(e),
            }
        }
    }

    /// Appends bytes: staged for direct writes where the file system allows them,
    /// otherwise in large write calls through the page cache. There, every
    /// `WRITEBACK_CHUNK` bytes, the kernel is asked to start writing them to the disk,
    /// so that the final fsync has little left to wait for (the fsync in
    /// [`AtomicFile::commit`] still decides durability).
    pub fn write_all(&mut self, bytes: &[u8]) -> io::Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("file already closed"))?;
        if let Some(staging) = self.staging.as_mut() {
            return staging.append(bytes);
        }
        for chunk in bytes.chunks(WRITE_CHUNK) {
            file.write_all(chunk)?;
            self.written += chunk.len() as u64;
            if self.written - self.unflushed_from >= WRITEBACK_CHUNK {
                start_writeback(
                    file,
                    self.unflushed_from,
                    self.written - self.unflushed_from,
                );
                self.unflushed_from = self.written;
            }
        }
        Ok(())
    }

    /// Writes `bytes` at `at`, over bytes written already (the file position stays at
    /// the end).
    pub fn write_at(&mut self, at: u64, bytes: &[u8]) -> io::Result<()> {
        let file = self
            .file
            .as_mut()
            .ok_or_else(|| io::Error::other("file already closed"))?;
        if let Some(staging) = self.staging.as_mut() {
            return staging.patch(at, bytes);
        }
        #[cfg(unix)]
        {
            use std::os::unix::fs::FileExt;
            file.write_all_at(bytes, at)
        }
        #[cfg(not(unix))]
        {
            use std::io::{Seek, SeekFrom};
            file.seek(SeekFrom::Start(at))?;
            file.write_all(bytes)?;
            file.seek(SeekFrom::End(0)).map(|_| ())
        }
    }

    /// Makes the file durable and puts it in place of the target.
    pub fn commit(mut self) -> io::Result<()> {
        let file = self
            .file
            .take()
            .ok_or_else(|| io::Error::other("file already closed"))?;
        let end = self.staging.as_ref().map_or(self.written, Staging::end);
        if let Some(staging) = self.staging.take() {
            staging.finish(&file)?;
        }
        // A section written during the load at a position the store did not confirm may
        // reach past the end.
        file.set_len(end)?;
        file.sync_all()?;
        drop(file);
        fs::rename(&self.tmp, &self.target)?;
        sync_dir(&parent_dir(&self.target))
    }
}

impl AtomicFile {
    /// Where a load may write parts of this file before the store (see [`AheadSink`]);
    /// `None` unless the file is written directly. The parts are written directly too,
    /// through handles of their own, so that no byte of the file is in the page cache
    /// while another handle writes it around the cache.
    pub fn ahead_target(&self) -> Option<AheadTarget> {
        self.staging.as_ref()?;
        Some(AheadTarget {
            tmp: self.tmp.clone(),
            held: Arc::clone(&self.held),
        })
    }
}

/// Writes parts of an [`AtomicFile`] during the load.
pub struct AheadTarget {
    tmp: PathBuf,
    held: Arc<Mutex<Vec<Range<u64>>>>,
}

impl AheadSink for AheadTarget {
    /// Writes the aligned middle of `bytes`: from the first position at or after `at`
    /// that is a multiple of [`ALIGN`], to the last one before their end.
    fn write_ahead(&self, at: u64, bytes: &[u8]) -> Option<Range<u64>> {
        let align = ALIGN as u64;
        let start = at.checked_next_multiple_of(align)?;
        let end = at.checked_add(bytes.len() as u64)? / align * align;
        if end <= start {
            return None;
        }
        let middle =
            bytes.get(usize::try_from(start - at).ok()?..usize::try_from(end - at).ok()?)?;
        let file = OpenOptions::new().write(true).open(&self.tmp).ok()?;
        let mut staging = Staging::for_file_at(&file, start)?;
        staging.append(middle).ok()?;
        // Every byte is aligned: all of them go directly.
        staging.finish(&file).ok()?;
        let mut held = self.held.lock().ok()?;
        held.push(start..end);
        Some(start..end)
    }
}

impl Drop for AtomicFile {
    fn drop(&mut self) {
        if self.file.take().is_some() {
            let _ = fs::remove_file(&self.tmp);
        }
    }
}

/// Starts the write-back of `len` bytes at `from` without waiting for it (a hint: errors
/// are left to the fsync that follows).
fn start_writeback(file: &File, from: u64, len: u64) {
    #[cfg(target_os = "linux")]
    {
        use std::os::unix::io::AsRawFd;
        let (Ok(from), Ok(len)) = (libc::off64_t::try_from(from), libc::off64_t::try_from(len))
        else {
            return;
        };
        // SAFETY: a plain system call on a descriptor this `File` owns; it reads no
        // memory of ours.
        unsafe {
            libc::sync_file_range(file.as_raw_fd(), from, len, libc::SYNC_FILE_RANGE_WRITE);
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (file, from, len);
}

impl crate::model::store::StoreSink for AtomicFile {
    fn append(&mut self, bytes: &[u8]) -> io::Result<()> {
        self.write_all(bytes)
    }

    fn holds(&self, range: &Range<u64>) -> bool {
        self.staging.is_some() && self.held.lock().is_ok_and(|held| held.contains(range))
    }

    fn skip(&mut self, range: Range<u64>) -> io::Result<()> {
        match self.staging.as_mut() {
            Some(staging) if self.held.lock().is_ok_and(|held| held.contains(&range)) => {
                staging.skip(range)
            }
            _ => Err(io::Error::other("skipped bytes were not written ahead")),
        }
    }

    fn patch(&mut self, at: u64, bytes: &[u8]) -> io::Result<()> {
        self.write_at(at, bytes)
    }
}

/// The folder of `path` ("." for a bare name).
pub fn parent_dir(path: &Path) -> PathBuf {
    match path.parent() {
        Some(p) if !p.as_os_str().is_empty() => p.to_path_buf(),
        _ => PathBuf::from("."),
    }
}

/// fsyncs a folder, so renames in it are durable.
pub fn sync_dir(dir: &Path) -> io::Result<()> {
    File::open(dir)?.sync_all()
}

/// File names in a data folder (spec `metadata-format.md` §10).
pub mod names {
    pub const METADATA: &str = "metadata.mfs";
    pub const BACK: &str = "metadata.mfs.back";
    pub const BACK_TMP: &str = "metadata.mfs.back.tmp";
    pub const CRC: &str = "metadata.crc";
}

/// Length of the random part of a `metadata.mfs.XXXXXX` name (as `mkstemp`).
const UNIQUE_LEN: usize = 6;

/// Creates an empty file `<base>.XXXXXX` that did not exist (as `mkstemp` does) and
/// returns its path.
fn unique_sibling(base: &Path) -> io::Result<PathBuf> {
    use std::hash::{BuildHasher, Hasher};
    const CHARS: &[u8] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789";
    let seed = std::collections::hash_map::RandomState::new();
    for attempt in 0u64..1000 {
        let mut h = seed.build_hasher();
        h.write_u64(attempt);
        let mut bits = h.finish();
        let mut suffix = String::with_capacity(UNIQUE_LEN);
        for _ in 0..UNIQUE_LEN {
            let at = (bits % CHARS.len() as u64) as usize;
            suffix.push(char::from(CHARS.get(at).copied().unwrap_or(b'X')));
            bits /= CHARS.len() as u64;
        }
        let mut name = base.as_os_str().to_os_string();
        name.push(".");
        name.push(&suffix);
        let path = PathBuf::from(name);
        let mut opts = OpenOptions::new();
        opts.write(true).create_new(true);
        #[cfg(unix)]
        {
            use std::os::unix::fs::OpenOptionsExt;
            opts.mode(0o600);
        }
        match opts.open(&path) {
            Ok(_) => return Ok(path),
            Err(e) if e.kind() == io::ErrorKind::AlreadyExists => continue,
            Err(e) => return Err(e),
        }
    }
    Err(io::Error::new(
        io::ErrorKind::AlreadyExists,
        "no free metadata.mfs.XXXXXX name",
    ))
}

/// Removes `path` if it is there.
fn remove_if_present(path: &Path) -> io::Result<()> {
    match fs::remove_file(path) {
        Err(e) if e.kind() != io::ErrorKind::NotFound => Err(e),
        _ => Ok(()),
    }
}

/// What [`store_in_data_dir`] did with the files that were there.
#[derive(Debug, Default, PartialEq, Eq)]
pub struct DataDirEffects {
    /// The previous `metadata.mfs`, kept under this name (when both it and
    /// `metadata.mfs.back` existed).
    pub kept_previous: Option<PathBuf>,
}

/// Puts a restored image into a data folder with the final effects of `mfsmaster -a
/// restore` (spec `changelog-format.md` §9 steps 4–5):
///
/// * a previous non-empty `metadata.mfs` is renamed to a unique `metadata.mfs.XXXXXX`
///   when `metadata.mfs.back` exists too; otherwise it is replaced (the master moves it
///   to `metadata.mfs.back`, which its new file then replaces);
/// * `metadata.mfs.back` and `metadata.mfs.back.tmp` are gone afterwards (in restore
///   mode the master keeps no `.back` rotation);
/// * `metadata.mfs` and `metadata.crc` hold the new image.
///
/// Unlike the master, both new files are complete and fsynced before anything in the
/// folder changes, and appear by rename: an error before that point leaves the folder
/// as it was.
///
/// `produce` writes the new `metadata.mfs` into the file it is given (`early`, when it was
/// made before) and returns the new `metadata.crc`.
pub fn store_in_data_dir(
    dir: &Path,
    early: Option<AtomicFile>,
    produce: impl FnOnce(&mut AtomicFile) -> io::Result<Vec<u8>>,
) -> Result<DataDirEffects, super::Error> {
    use super::Error;
    let target = dir.join(names::METADATA);
    let crc_target = dir.join(names::CRC);
    let back = dir.join(names::BACK);
    let write = |path: &Path, bytes: &[u8]| -> Result<AtomicFile, Error> {
        let mut f = AtomicFile::create(path)
            .map_err(|e| Error::io(path, "create a temporary file for", e))?;
        f.write_all(bytes)
            .map_err(|e| Error::io(path, "write", e))?;
        Ok(f)
    };
    let mut new_metadata = match early {
        Some(file) => file,
        None => AtomicFile::create(&target)
            .map_err(|e| Error::io(&target, "create a temporary file for", e))?,
    };
    let crc = produce(&mut new_metadata).map_err(|e| Error::io(&target, "write", e))?;
    let new_crc = write(&crc_target, &crc)?;
    let mut effects = DataDirEffects::default();
    let previous_len = fs::symlink_metadata(&target).ok().map(|m| m.len());
    let back_missing =
        matches!(fs::symlink_metadata(&back), Err(e) if e.kind() == io::ErrorKind::NotFound);
    if previous_len.is_some_and(|len| len > 0) && !back_missing {
        let kept = unique_sibling(&target)
            .map_err(|e| Error::io(&target, "create a name to keep the previous file", e))?;
        fs::rename(&target, &kept).map_err(|e| Error::io(&target, "rename", e))?;
        effects.kept_previous = Some(kept);
    }
    new_crc
        .commit()
        .map_err(|e| Error::io(&crc_target, "write", e))?;
    new_metadata
        .commit()
        .map_err(|e| Error::io(&target, "write", e))?;
    for gone in [back, dir.join(names::BACK_TMP)] {
        remove_if_present(&gone).map_err(|e| Error::io(&gone, "remove", e))?;
    }
    sync_dir(dir).map_err(|e| Error::io(dir, "sync", e))?;
    Ok(effects)
}

#[cfg(test)]
mod tests {
    use super::*;

    fn scratch(name: &str) -> PathBuf {
        let d = std::env::temp_dir().join(format!("mfsmeta-output-{name}-{}", std::process::id()));
        let _ = fs::remove_dir_all(&d);
        fs::create_dir_all(&d).unwrap();
        d
    }

    #[test]
    fn commit_replaces_target() {
        let d = scratch("commit");
        let target = d.join("out");
        fs::write(&target, b"old").unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"new").unwrap();
        f.commit().unwrap();
        assert_eq!(fs::read(&target).unwrap(), b"new");
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1);
        fs::remove_dir_all(d).unwrap();
    }

    /// An output written through the page cache, as on a file system that refuses
    /// direct writes.
    fn create_buffered(target: &Path) -> AtomicFile {
        let mut f = AtomicFile::create(target).unwrap();
        if let (Some(staging), Some(file)) = (f.staging.take(), f.file.as_ref()) {
            staging.finish(file).unwrap();
        }
        f
    }

    #[test]
    fn large_outputs_with_patches_are_whole_either_way() {
        let d = scratch("large");
        // More than two direct blocks and more than two write-back chunks, in uneven
        // pieces, with length fields patched near the start and the end.
        let len = (2 << 20) * 9 + 4321;
        let bytes: Vec<u8> = (0..len).map(|i| (i % 253) as u8).collect();
        let mut expected = bytes.clone();
        expected[8..16].copy_from_slice(b"patched!");
        expected[len - 9..len - 1].copy_from_slice(b"PATCHED!");
        for buffered in [false, true] {
            let target = d.join(format!("out-{buffered}"));
            let mut f = if buffered {
                create_buffered(&target)
            } else {
                AtomicFile::create(&target).unwrap()
            };
            for piece in bytes.chunks(3_333_333) {
                f.write_all(piece).unwrap();
            }
            f.write_at(8, b"patched!").unwrap();
            f.write_at(len as u64 - 9, b"PATCHED!").unwrap();
            f.commit().unwrap();
            assert!(
                fs::read(&target).unwrap() == expected,
                "buffered: {buffered}"
            );
        }
        assert_eq!(fs::read_dir(&d).unwrap().count(), 2);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn parts_written_ahead_are_skipped_or_overwritten() {
        use crate::model::store::StoreSink;
        let d = scratch("ahead");
        let len = (1 << 20) * 3 + 777;
        let bytes: Vec<u8> = (0..len).map(|i| (i % 241) as u8).collect();
        let target = d.join("out");
        let mut f = AtomicFile::create(&target).unwrap();
        let Some(ahead) = f.ahead_target() else {
            // No direct writes here: nothing is ever written ahead.
            fs::remove_dir_all(d).unwrap();
            return;
        };
        // The part from 100_000 on, written ahead where it belongs: its aligned middle.
        let at = 100_000u64;
        let range = ahead.write_ahead(at, &bytes[at as usize..]).unwrap();
        assert_eq!(range.start, 102_400);
        assert_eq!(range.end, len as u64 / 4096 * 4096);
        assert!(f.holds(&range));
        assert!(!f.holds(&(range.start..range.end - 4096)));
        // The store appends up to it, skips it, appends the rest.
        f.append(&bytes[..range.start as usize]).unwrap();
        f.skip(range.clone()).unwrap();
        f.append(&bytes[range.end as usize..]).unwrap();
        f.commit().unwrap();
        assert!(fs::read(&target).unwrap() == bytes);

        // Written ahead at a guess the store did not confirm (past the real end): the
        // store writes everything, and the file ends where the store ended.
        let mut f = AtomicFile::create(&target).unwrap();
        let ahead = f.ahead_target().unwrap();
        let stray = ahead.write_ahead(len as u64 + 5000, &bytes).unwrap();
        assert!(stray.end > len as u64);
        for piece in bytes.chunks(100_003) {
            f.append(piece).unwrap();
        }
        assert!(f.skip(0..4096).is_err(), "nothing was written ahead there");
        f.commit().unwrap();
        assert!(fs::read(&target).unwrap() == bytes);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn a_load_writes_the_chunks_ahead_and_the_store_the_rest() {
        use crate::gen::{generate, Mode, Options};
        use crate::model::image::Image;
        use crate::model::store::AheadSink;
        let d = scratch("load-ahead");
        generate(&Options {
            files: 20_000,
            ops_per_file: 0,
            out: d.clone(),
            seed: 3,
            mode: Mode::SnapshotOnly,
        })
        .unwrap();
        let input = fs::read(d.join("metadata.mfs")).unwrap();
        let now = 1_800_000_000;
        let (expected, expected_crcs) = Image::load(&input, now).unwrap().store(now);
        let target = d.join("out.mfs");
        let mut f = AtomicFile::create(&target).unwrap();
        let Some(ahead) = f.ahead_target() else {
            fs::remove_dir_all(d).unwrap();
            return;
        };
        let image =
            Image::load_releasing(&input, now, true, Some(&ahead as &dyn AheadSink), &|_| {})
                .unwrap();
        let (at, range) = image.chunks.written_ahead().expect("CHNK written ahead");
        assert!(range.end - range.start >= 4096 && at < range.start);
        // The guess was right (so the store skips what was written).
        assert_eq!(
            expected.get(at as usize..at as usize + 4),
            Some(&b"CHNK"[..])
        );
        let crcs = image.store_streaming(now, &mut f).unwrap();
        f.commit().unwrap();
        assert!(fs::read(&target).unwrap() == expected);
        assert_eq!(crcs, expected_crcs);
        fs::remove_dir_all(d).unwrap();
    }

    #[test]
    fn dropping_leaves_target_and_no_temporary() {
        let d = scratch("drop");
        let target = d.join("out");
        fs::write(&target, b"old").unwrap();
        let mut f = AtomicFile::create(&target).unwrap();
        f.write_all(b"half").unwrap();
        drop(f);
        assert_eq!(fs::read(&target).unwrap(), b"old");
        assert_eq!(fs::read_dir(&d).unwrap().count(), 1);
        fs::remove_dir_all(d).unwrap();
    }

    fn names_in(d: &Path) -> Vec<String> {
        let mut v: Vec<String> = fs::read_dir(d)
            .unwrap()
            .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
            .collect();
        v.sort();
        v
    }

    /// Writes "new" in two pieces and returns "crc".
    fn new_and_crc(f: &mut AtomicFile) -> io::Result<Vec<u8>> {
        f.write_all(b"nx")?;
        f.write_all(b"w")?;
        f.write_at(1, b"e")?;
        Ok(b"crc".to_vec())
    }

    #[test]
    fn data_dir_effects_follow_the_master() {
        // Only metadata.mfs: replaced.
        let d = scratch("dd-only");
        fs::write(d.join("metadata.mfs"), b"old").unwrap();
        let fx = store_in_data_dir(&d, None, new_and_crc).unwrap();
        assert_eq!(fx, DataDirEffects::default());
        assert_eq!(names_in(&d), vec!["metadata.crc", "metadata.mfs"]);
        assert_eq!(fs::read(d.join("metadata.mfs")).unwrap(), b"new");
        fs::remove_dir_all(&d).unwrap();

        // metadata.mfs and metadata.mfs.back: the old metadata.mfs is kept aside, the
        // old back is gone.
        let d = scratch("dd-both");
        fs::write(d.join("metadata.mfs"), b"old").unwrap();
        fs::write(d.join("metadata.mfs.back"), b"older").unwrap();
        fs::write(d.join("metadata.mfs.back.tmp"), b"junk").unwrap();
        let fx = store_in_data_dir(&d, None, new_and_crc).unwrap();
        let kept = fx.kept_previous.unwrap();
        assert_eq!(fs::read(&kept).unwrap(), b"old");
        let kept_name = kept.file_name().unwrap().to_string_lossy().into_owned();
        assert!(kept_name.starts_with("metadata.mfs.") && kept_name.len() == 19);
        assert_eq!(
            names_in(&d),
            vec!["metadata.crc".to_string(), "metadata.mfs".into(), kept_name]
        );
        fs::remove_dir_all(&d).unwrap();

        // An empty metadata.mfs is simply replaced, even with a back file.
        let d = scratch("dd-empty");
        fs::write(d.join("metadata.mfs"), b"").unwrap();
        fs::write(d.join("metadata.mfs.back"), b"older").unwrap();
        let fx = store_in_data_dir(&d, None, new_and_crc).unwrap();
        assert_eq!(fx.kept_previous, None);
        assert_eq!(names_in(&d), vec!["metadata.crc", "metadata.mfs"]);
        fs::remove_dir_all(&d).unwrap();
    }
}
