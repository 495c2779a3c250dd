//! Input files: memory-mapped, or decompressed into memory when they are zstd-compressed.
//!
//! A file is taken as zstd when its name ends in [`ZSTD_SUFFIX`] or its first bytes are
//! the zstd frame magic ([`ZSTD_MAGIC`]); neither a MooseFS metadata file (`MFSM …`) nor
//! a changelog (`<digits>: …`) can start with those bytes, so the sniffing never
//! misreads a plain input.

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;

use memmap2::{Mmap, MmapOptions};

/// Name suffix of zstd-compressed inputs.
pub const ZSTD_SUFFIX: &str = ".zst";

/// The first four bytes of a zstd frame (`0xFD2FB528`, little-endian on disk).
pub const ZSTD_MAGIC: [u8; 4] = [0x28, 0xB5, 0x2F, 0xFD];

/// The bytes of an input file: a read-only map, or a buffer (for files that cannot be
/// mapped, such as pipes or empty files, and for decompressed files).
pub enum InputBytes {
    /// A map of the file, and the file (for [`InputBytes::evict_cached_pages`]).
    Mapped(Mmap, File),
    Read(Vec<u8>),
}

impl Deref for InputBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            InputBytes::Mapped(m, _) => m,
            InputBytes::Read(v) => v,
        }
    }
}

impl InputBytes {
    /// [`InputBytes::release_pages`] for the pages wholly before byte `end`.
    pub fn release_pages_before(&self, end: usize) {
        #[cfg(unix)]
        if let InputBytes::Mapped(map, _) = self {
            let len = end.min(map.len()) / 4096 * 4096;
            if len > 0 {
                // SAFETY: as in `release_pages`.
                let _ = unsafe {
                    map.unchecked_advise_range(memmap2::UncheckedAdvice::DontNeed, 0, len)
                };
            }
        }
    }

    /// Drops this process's mapping of the file's pages (a mapped input only). The
    /// pages stay in the page cache, and a later read maps them again with the same
    /// contents, so everything borrowed from the input stays valid; the resident set of
    /// a restore that is done with most of an input while still borrowing names from it
    /// shrinks by the input's size.
    pub fn release_pages(&self) {
        #[cfg(unix)]
        if let InputBytes::Mapped(map, _) = self {
            // SAFETY: MADV_DONTNEED on a read-only shared file mapping only unmaps the
            // pages: a later access faults them in again from the file, with the same
            // bytes, under the assumption the mapping already rests on (nobody rewrites
            // the file while we run; see `map_file`). No byte seen through a borrow
            // changes. A hint: failure changes nothing.
            let _ = unsafe { map.unchecked_advise(memmap2::UncheckedAdvice::DontNeed) };
        }
    }

    /// Drops this process's mapping of the file's pages, then asks the kernel to drop
    /// the file's pages from the page cache (a mapped input only), for an input the
    /// restore is done with and is about to delete: the kernel would otherwise free
    /// them when the last reference to the deleted file goes, that is in the exit, one
    /// page at a time (about 15 ms for 200 MB here). Everything borrowed from the input
    /// stays valid: a later read faults the bytes in again from the file.
    pub fn evict_cached_pages(&self) {
        #[cfg(target_os = "linux")]
        if let InputBytes::Mapped(_, file) = self {
            use std::os::fd::AsRawFd;
            self.release_pages();
            // SAFETY: a plain system call on a file descriptor we own; it changes no
            // memory of this process. A hint: failure changes nothing.
            let _ =
                unsafe { libc::posix_fadvise(file.as_raw_fd(), 0, 0, libc::POSIX_FADV_DONTNEED) };
        }
    }
}

/// Whether `name` is the name of a zstd-compressed file, and the name without the suffix.
pub fn strip_zstd_suffix(name: &str) -> Option<&str> {
    name.strip_suffix(ZSTD_SUFFIX)
}

/// Opens `path` for reading: mapped, or decompressed into memory if it is zstd (see the
/// module documentation).
pub fn open_input(path: &Path) -> std::io::Result<InputBytes> {
    let raw = map_file(path)?;
    let named_zstd = path
        .file_name()
        .and_then(|n| n.to_str())
        .is_some_and(|n| strip_zstd_suffix(n).is_some());
    if named_zstd || raw.starts_with(&ZSTD_MAGIC) {
        return decompress(&raw).map(InputBytes::Read);
    }
    Ok(raw)
}

/// Decompresses a whole zstd stream (one or more frames).
pub fn decompress(compressed: &[u8]) -> std::io::Result<Vec<u8>> {
    zstd::stream::decode_all(compressed).map_err(|e| {
        std::io::Error::new(
            std::io::ErrorKind::InvalidData,
            format!("bad zstd data: {e}"),
        )
    })
}

/// Opens and maps `path` for reading (no decompression).
pub fn map_file(path: &Path) -> std::io::Result<InputBytes> {
    let mut file = File::open(path)?;
    let meta = file.metadata()?;
    if meta.is_file() && meta.len() > 0 {
        // SAFETY: the map is read-only and private to this process. Its contents may
        // change or shrink if another process writes or truncates the file while we
        // run (a truncation would raise SIGBUS on access). The files we read are
        // closed images and logs that MooseFS only ever replaces by rename, never
        // rewrites in place, and the operator runs a restore on a stopped master's
        // folder or a copy of it, so we accept that risk for the speed of zero-copy
        // parsing (as ripgrep does for its inputs).
        let map = unsafe { MmapOptions::new().map(&file)? };
        #[cfg(unix)]
        {
            // A hint only: failure changes nothing.
            let _ = map.advise(memmap2::Advice::Sequential);
        }
        return Ok(InputBytes::Mapped(map, file));
    }
    let mut buf = Vec::new();
    file.read_to_end(&mut buf)?;
    Ok(InputBytes::Read(buf))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn zstd_is_recognised_by_name_or_magic() {
        let dir = std::env::temp_dir().join(format!("mfsmeta-input-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let text = b"1: 1700000000|IDLE()\n".repeat(100);
        let packed = zstd::stream::encode_all(&text[..], 3).unwrap();
        assert!(packed.starts_with(&ZSTD_MAGIC));

        let named = dir.join("changelog.0.mfs.zst");
        std::fs::write(&named, &packed).unwrap();
        assert_eq!(&*open_input(&named).unwrap(), &text[..]);

        let sniffed = dir.join("changelog.0.mfs");
        std::fs::write(&sniffed, &packed).unwrap();
        assert_eq!(&*open_input(&sniffed).unwrap(), &text[..]);

        let plain = dir.join("plain.mfs");
        std::fs::write(&plain, &text).unwrap();
        assert_eq!(&*open_input(&plain).unwrap(), &text[..]);

        let broken = dir.join("broken.mfs.zst");
        std::fs::write(&broken, &packed[..packed.len() / 2]).unwrap();
        assert!(open_input(&broken).is_err());
        std::fs::remove_dir_all(dir).unwrap();
    }

    #[test]
    fn borrowed_bytes_survive_release_and_eviction() {
        let dir = std::env::temp_dir().join(format!("mfsmeta-evict-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let path = dir.join("metadata.mfs");
        let bytes: Vec<u8> = (0..3 * 4096 + 100).map(|i| (i * 7 % 251) as u8).collect();
        std::fs::write(&path, &bytes).unwrap();
        let input = open_input(&path).unwrap();
        assert!(matches!(input, InputBytes::Mapped(..)));
        let tail = &input[4096 + 10..];
        input.release_pages_before(8192);
        assert_eq!(tail, &bytes[4096 + 10..]);
        input.evict_cached_pages();
        assert_eq!(tail, &bytes[4096 + 10..]);
        // The file can go while the map stays readable (the restore's commit deletes it).
        std::fs::remove_file(&path).unwrap();
        input.evict_cached_pages();
        assert_eq!(&*input, &bytes[..]);
        std::fs::remove_dir_all(dir).unwrap();
    }
}
