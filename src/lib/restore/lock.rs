//! The data folder's lock, as `mfsmaster` takes it: a POSIX record lock (`fcntl`) on
//! `.mfsmaster.lock`, held while the process runs. Taking it before writing into a
//! data folder keeps a restore from replacing the files of a running master (and two
//! restores from racing).

use std::fs::{File, OpenOptions};
use std::io::Write;
use std::os::unix::io::AsRawFd;
use std::path::{Path, PathBuf};

use super::Error;

/// The master's lock file name (`"." APPNAME ".lock"`).
pub const MASTER_LOCK_NAME: &str = ".mfsmaster.lock";

/// A held lock; released when dropped (the file stays, as the master leaves it).
pub struct DataDirLock {
    _file: File,
}

fn flock_struct(kind: libc::c_short) -> libc::flock {
    // SAFETY: `flock` is a plain C struct of integers, for which all-zero is a valid
    // value; the fields that matter are set below.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = 0;
    fl.l_len = 0;
    fl
}

/// Takes the lock of `dir` without waiting, writing our pid into the file as the
/// master does. Fails with [`Error::Locked`] when another process holds it.
pub fn lock_data_dir(dir: &Path) -> Result<DataDirLock, Error> {
    let path: PathBuf = dir.join(MASTER_LOCK_NAME);
    let mut file = OpenOptions::new()
        .write(true)
        .create(true)
        .truncate(false)
        .open(&path)
        .map_err(|e| Error::io(&path, "open the lock file", e))?;
    let fd = file.as_raw_fd();
    let mut fl = flock_struct(libc::F_WRLCK as libc::c_short);
    // SAFETY: `fd` is an open descriptor owned by `file`, and `fl` a valid flock.
    if unsafe { libc::fcntl(fd, libc::F_SETLK, &fl) } < 0 {
        let err = std::io::Error::last_os_error();
        return match err.raw_os_error() {
            Some(libc::EACCES) | Some(libc::EAGAIN) => {
                // SAFETY: as above; F_GETLK fills `fl` with the holder.
                let pid = if unsafe { libc::fcntl(fd, libc::F_GETLK, &mut fl) } == 0
                    && fl.l_type != libc::F_UNLCK as libc::c_short
                {
                    u32::try_from(fl.l_pid).ok()
                } else {
                    None
                };
                Err(Error::Locked { path, pid })
            }
            _ => Err(Error::io(&path, "lock", err)),
        };
    }
    let _ = file.set_len(0);
    let _ = writeln!(file, "{}", std::process::id());
    Ok(DataDirLock { _file: file })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_lock_file_is_created_and_kept() {
        let dir = std::env::temp_dir().join(format!("mfsmeta-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let lock = lock_data_dir(&dir).unwrap();
        // fcntl locks are per process: the same process may lock again; another one
        // (flock(1) can't test fcntl locks) is tested in tests/restore_cli.rs.
        assert!(lock_data_dir(&dir).is_ok());
        drop(lock);
        assert!(dir.join(MASTER_LOCK_NAME).exists());
        std::fs::remove_dir_all(dir).unwrap();
    }
}
