//! Input files, memory-mapped.

use std::fs::File;
use std::io::Read;
use std::ops::Deref;
use std::path::Path;

use memmap2::{Mmap, MmapOptions};

/// The bytes of an input file: a read-only map, or (for files that cannot be mapped,
/// such as pipes or empty files) a buffer.
pub enum InputBytes {
    Mapped(Mmap),
    Read(Vec<u8>),
}

impl Deref for InputBytes {
    type Target = [u8];

    fn deref(&self) -> &[u8] {
        match self {
            InputBytes::Mapped(m) => m,
            InputBytes::Read(v) => v,
        }
    }
}

/// Opens and maps `path` for reading.
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
        return Ok(InputBytes::Mapped(map));
    }
    let mut buf = Vec::new();
    file.read_to_end(&mut buf)?;
    Ok(InputBytes::Read(buf))
}
