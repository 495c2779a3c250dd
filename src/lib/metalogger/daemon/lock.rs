//! The lock file `.mfsmetalogger.lock` in DATA_PATH (spec metalogger-files.md §4.1).
//!
//! The running daemon holds a POSIX `fcntl` write lock on the whole file for its life, and
//! every other invocation finds the owner with `F_GETLK`. The same name as mfsmetalogger's,
//! so the two never run on one folder at once. The file is never deleted; its content (the
//! PID and `\n`) is a hint written only when the lock was free at once.
//!
//! POSIX locks belong to the process and go away when *any* descriptor of the file is
//! closed: nothing else in the daemon may open this file.

use std::fs::File;
use std::io::Write;
use std::os::fd::AsRawFd;
use std::path::{Path, PathBuf};

/// The lock file's name (`.` + program name + `.lock`).
pub const LOCK_FILE: &str = ".mfsmetalogger.lock";

/// An open lock file (locked or not).
#[derive(Debug)]
pub struct LockFile {
    file: File,
    path: PathBuf,
}

/// Who holds the lock after [`LockFile::try_lock`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Owner {
    /// We do now.
    Us,
    /// Another process does.
    Other(libc::pid_t),
}

impl LockFile {
    /// Opens (creating if needed, mode 0666 & ~umask) the lock file in `dir`.
    pub fn open(dir: &Path) -> std::io::Result<LockFile> {
        let path = dir.join(LOCK_FILE);
        let file = std::fs::OpenOptions::new()
            .write(true)
            .create(true)
            .truncate(false)
            .open(&path)?;
        Ok(LockFile { file, path })
    }

    /// The file's path.
    pub fn path(&self) -> &Path {
        &self.path
    }

    /// Takes the write lock if it is free, else names its owner.
    pub fn try_lock(&self) -> std::io::Result<Owner> {
        loop {
            let mut fl = whole_file(libc::F_WRLCK as libc::c_short);
            // SAFETY: `fl` is a valid, initialised flock for the duration of the call.
            if unsafe { libc::fcntl(self.file.as_raw_fd(), libc::F_SETLK, &mut fl) } >= 0 {
                return Ok(Owner::Us);
            }
            let err = std::io::Error::last_os_error();
            if !matches!(err.raw_os_error(), Some(libc::EAGAIN) | Some(libc::EACCES)) {
                return Err(err);
            }
            let mut fl = whole_file(libc::F_WRLCK as libc::c_short);
            // SAFETY: as above.
            if unsafe { libc::fcntl(self.file.as_raw_fd(), libc::F_GETLK, &mut fl) } < 0 {
                return Err(std::io::Error::last_os_error());
            }
            if fl.l_type != libc::F_UNLCK as libc::c_short {
                return Ok(Owner::Other(fl.l_pid));
            }
            // The owner let go between the two calls: try again.
        }
    }

    /// Who holds the lock, without taking it (`F_GETLK`): `None` = free (or held by this
    /// process).
    pub fn owner(&self) -> std::io::Result<Option<libc::pid_t>> {
        let mut fl = whole_file(libc::F_WRLCK as libc::c_short);
        // SAFETY: `fl` is a valid, initialised flock for the duration of the call.
        if unsafe { libc::fcntl(self.file.as_raw_fd(), libc::F_GETLK, &mut fl) } < 0 {
            return Err(std::io::Error::last_os_error());
        }
        Ok((fl.l_type != libc::F_UNLCK as libc::c_short).then_some(fl.l_pid))
    }

    /// Replaces the content with `<pid>\n` (only done when the lock was free at once).
    pub fn write_pid(&mut self, pid: u32) -> std::io::Result<()> {
        self.file.set_len(0)?;
        let text = format!("{pid}\n");
        std::io::Seek::rewind(&mut self.file)?;
        self.file.write_all(text.as_bytes())
    }
}

fn whole_file(kind: libc::c_short) -> libc::flock {
    // SAFETY: flock is plain data; all-zero is a valid value that we then fill in.
    let mut fl: libc::flock = unsafe { std::mem::zeroed() };
    fl.l_type = kind;
    fl.l_whence = libc::SEEK_SET as libc::c_short;
    fl.l_start = 0;
    fl.l_len = 0;
    fl
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn lock_is_taken_and_pid_written() {
        let dir = std::env::temp_dir().join(format!("mfsmeta-lock-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let mut lock = LockFile::open(&dir).unwrap();
        assert_eq!(lock.try_lock().unwrap(), Owner::Us);
        // Our own process may take it again (POSIX locks do not conflict within a process).
        assert_eq!(lock.try_lock().unwrap(), Owner::Us);
        assert_eq!(
            lock.owner().unwrap(),
            None,
            "our own lock does not conflict"
        );
        lock.write_pid(4242).unwrap();
        lock.write_pid(7).unwrap();
        assert_eq!(std::fs::read_to_string(lock.path()).unwrap(), "7\n");
        std::fs::remove_dir_all(&dir).unwrap();
    }
}
