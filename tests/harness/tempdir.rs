//! Unique temporary folders that remove themselves.

use std::path::{Path, PathBuf};
use std::sync::atomic::{AtomicU32, Ordering};

use super::error::{io, Result};

/// Prefix of every temporary folder (and network namespace) the harness creates, followed by
/// the test process id, so leftovers of a killed run can be told apart.
pub const PREFIX: &str = "mfsmeta-";

static COUNTER: AtomicU32 = AtomicU32::new(0);

/// A number unique within this process.
pub fn unique_number() -> u32 {
    COUNTER.fetch_add(1, Ordering::Relaxed)
}

/// `mfsmeta-<pid>-<n>-<label>`: unique across processes and calls.
pub fn unique_name(label: &str) -> String {
    format!("{PREFIX}{}-{}-{label}", std::process::id(), unique_number())
}

/// A folder under the system temporary folder, removed with its content on drop (unless
/// `MFSMETA_KEEP_TMP` is set, for debugging; the path is then printed).
#[derive(Debug)]
pub struct TempDir {
    path: PathBuf,
}

impl TempDir {
    pub fn new(label: &str) -> Result<TempDir> {
        let path = std::env::temp_dir().join(unique_name(label));
        std::fs::create_dir_all(&path).map_err(io("create folder", &path))?;
        Ok(TempDir { path })
    }

    pub fn path(&self) -> &Path {
        &self.path
    }
}

impl Drop for TempDir {
    fn drop(&mut self) {
        if std::env::var_os("MFSMETA_KEEP_TMP").is_some() {
            eprintln!("MFSMETA_KEEP_TMP: keeping {}", self.path.display());
            return;
        }
        if let Err(e) = std::fs::remove_dir_all(&self.path) {
            eprintln!("harness: cannot remove {}: {e}", self.path.display());
        }
    }
}
