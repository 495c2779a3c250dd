//! Restore runs: read a metadata image, (later: replay changelogs over it,) and write
//! the result durably; plus the text dump of a metadata file.

pub mod changelog_file;
pub mod error;
pub mod input;
pub mod lock;
pub mod merge;
pub mod output;
pub mod time;

use std::io::Write;
use std::path::{Path, PathBuf};
use std::time::{SystemTime, UNIX_EPOCH};

pub use error::Error;

use crate::format::metadata::encoder::encode_crc_file;
use crate::format::metadata::{dump, MetadataFile};
use crate::model::image::Image;
use input::map_file;
use output::{parent_dir, AtomicFile};

/// Name of the side file MooseFS writes next to `metadata.mfs`.
pub const CRC_FILE_NAME: &str = "metadata.crc";

/// The wall clock, as MooseFS uses it (unix seconds, 32 bits).
pub fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

/// Whether `a` and `b` name the same file (`b` may not exist yet).
fn same_file(a: &Path, b: &Path) -> bool {
    #[cfg(unix)]
    {
        use std::os::unix::fs::MetadataExt;
        if let (Ok(ma), Ok(mb)) = (std::fs::metadata(a), std::fs::metadata(b)) {
            return ma.dev() == mb.dev() && ma.ino() == mb.ino();
        }
    }
    let canon = |p: &Path| -> Option<PathBuf> {
        let dir = std::fs::canonicalize(parent_dir(p)).ok()?;
        Some(dir.join(p.file_name()?))
    };
    matches!((canon(a), canon(b)), (Some(x), Some(y)) if x == y)
}

/// `metarestore -m IN -o OUT`: loads `input` with the rules of the 3.0.117 loader and
/// writes what `mfsmaster -a restore` would store from it. `OUT` appears whole or not
/// at all; when it is named `metadata.mfs`, `metadata.crc` is written next to it, as
/// the master does.
pub fn restore_file(input: &Path, output: &Path) -> Result<(), Error> {
    if same_file(input, output) {
        return Err(Error::OutputIsInput {
            path: output.to_path_buf(),
        });
    }
    let bytes = map_file(input).map_err(|e| Error::io(input, "read", e))?;
    let now = now();
    let image = Image::load(&bytes, now).map_err(|source| Error::Load {
        path: input.to_path_buf(),
        source,
    })?;
    let (file_bytes, crcs) = image.store(now);
    write_atomically(output, &file_bytes)?;
    if output.file_name().is_some_and(|n| n == "metadata.mfs") {
        write_atomically(
            &parent_dir(output).join(CRC_FILE_NAME),
            &encode_crc_file(&crcs),
        )?;
    }
    Ok(())
}

/// Writes `bytes` to `path` through a temporary file and a rename.
pub fn write_atomically(path: &Path, bytes: &[u8]) -> Result<(), Error> {
    let mut f =
        AtomicFile::create(path).map_err(|e| Error::io(path, "create a temporary file for", e))?;
    f.write_all(bytes)
        .map_err(|e| Error::io(path, "write", e))?;
    f.commit().map_err(|e| Error::io(path, "write", e))
}

/// `metarestore dump FILE`: every record of a metadata file as text.
pub fn dump_file(path: &Path, out: &mut impl Write) -> Result<(), Error> {
    let bytes = map_file(path).map_err(|e| Error::io(path, "read", e))?;
    let file = MetadataFile::decode(&bytes).map_err(|source| Error::Decode {
        path: path.to_path_buf(),
        source,
    })?;
    dump::dump(&file, out).map_err(|e| Error::io("standard output", "write to", e))
}
