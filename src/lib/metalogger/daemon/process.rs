//! Process set-up before the daemon's body runs (spec metalogger-files.md §4.2): the
//! double fork, the message channel back to the shell, the uid/gid change, limits, nice
//! level, memory lock and the OOM killer. Everything here runs while the process has one
//! thread (before the tokio runtime exists), which is what makes `fork` safe.

use crate::metalogger::log::Level;
use crate::{ml_console, ml_log};

use std::ffi::CString;
use std::io::{Read, Write};
use std::os::fd::{FromRawFd, OwnedFd};

/// The pipe from the daemon back to the shell that ran `metalogger start`: the daemon's
/// stderr until init is done. A last byte of 0 tells the waiting parent that init failed.
#[derive(Debug, Default)]
pub struct MsgChannel {
    open: bool,
}

impl MsgChannel {
    /// No channel (foreground mode): stderr stays the terminal.
    pub fn none() -> MsgChannel {
        MsgChannel { open: false }
    }

    /// Init went well: stderr becomes /dev/null and the parent exits 0.
    pub fn close_ok(&mut self) {
        if self.open {
            let _ = std::io::stderr().flush();
            redirect_to_dev_null(libc::STDERR_FILENO);
            self.open = false;
        }
    }

    /// Init failed: the parent prints what came and exits 1.
    pub fn close_failed(&mut self) {
        if self.open {
            let _ = std::io::stderr().write_all(&[0]);
            self.close_ok();
        }
    }
}

/// Turns the process into a daemon (double fork, `setsid`), as mfsmetalogger does: the
/// first parent stays, copies the daemon's stderr to its own until the channel closes,
/// and exits 0, or 1 if the daemon reported failure. Returns in the daemon only.
pub fn daemonize() -> std::io::Result<MsgChannel> {
    let _ = std::io::stdout().flush();
    let _ = std::io::stderr().flush();
    let mut fds = [0 as libc::c_int; 2];
    // SAFETY: fds is a valid array of two ints.
    if unsafe { libc::pipe(fds.as_mut_ptr()) } < 0 {
        return Err(std::io::Error::last_os_error());
    }
    // SAFETY: pipe gave us two fresh descriptors that nothing else owns.
    let (read_end, write_end) =
        unsafe { (OwnedFd::from_raw_fd(fds[0]), OwnedFd::from_raw_fd(fds[1])) };
    // SAFETY: the process has a single thread here (no runtime yet), so fork is sound.
    match unsafe { libc::fork() } {
        -1 => return Err(std::io::Error::last_os_error()),
        0 => {}
        child => {
            drop(write_end);
            std::process::exit(wait_for_daemon(child, read_end));
        }
    }
    drop(read_end);
    // SAFETY: plain system calls with no memory arguments.
    unsafe {
        libc::setsid();
        libc::setpgid(0, libc::getpid());
    }
    // SAFETY: still one thread.
    match unsafe { libc::fork() } {
        -1 => {
            let err = std::io::Error::last_os_error();
            let mut pipe = std::fs::File::from(write_end);
            let _ = pipe.write_all(b"fork error\n\0");
            return Err(err);
        }
        0 => {}
        _ => std::process::exit(0),
    }
    redirect_to_dev_null(libc::STDIN_FILENO);
    redirect_to_dev_null(libc::STDOUT_FILENO);
    // SAFETY: write_end is a valid descriptor; dup2 onto stderr replaces fd 2.
    unsafe {
        libc::dup2(
            std::os::fd::AsRawFd::as_raw_fd(&write_end),
            libc::STDERR_FILENO,
        )
    };
    drop(write_end);
    Ok(MsgChannel { open: true })
}

/// The first parent: reap the middle child, copy the channel to stderr, and give the exit
/// code (0 = init went well).
fn wait_for_daemon(child: libc::pid_t, read_end: OwnedFd) -> i32 {
    let mut status = 0;
    // SAFETY: status is a valid int to write to.
    unsafe { libc::waitpid(child, &mut status, 0) };
    if status != 0 {
        eprintln!("Child status: {status}");
        return 1;
    }
    let mut pipe = std::fs::File::from(read_end);
    let mut err = std::io::stderr();
    let mut buf = [0u8; 1000];
    loop {
        match pipe.read(&mut buf) {
            Ok(0) => return 0,
            Ok(n) => {
                let chunk = buf.get(..n).unwrap_or_default();
                if let Some((&0, text)) = chunk.split_last() {
                    let _ = err.write_all(text);
                    return 1;
                }
                let _ = err.write_all(chunk);
            }
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(e) => {
                eprintln!("Error reading pipe: {e}");
                return 1;
            }
        }
    }
}

fn redirect_to_dev_null(fd: libc::c_int) {
    // SAFETY: the path is a valid C string; dup2 and close take plain descriptors.
    unsafe {
        let null = libc::open(c"/dev/null".as_ptr(), libc::O_RDWR);
        if null >= 0 {
            libc::dup2(null, fd);
            if null != fd {
                libc::close(null);
            }
        }
    }
}

/// The signals that control the daemon. They are blocked from before the lock is taken
/// until the runtime's handlers exist, so an early `stop` or `reload` waits for them
/// instead of killing the process with the default action.
const CONTROL_SIGNALS: [libc::c_int; 4] =
    [libc::SIGTERM, libc::SIGINT, libc::SIGHUP, libc::SIGUSR1];

fn mask_control_signals(how: libc::c_int) {
    // SAFETY: the set is initialised by sigemptyset before use; plain system calls.
    unsafe {
        let mut set: libc::sigset_t = std::mem::zeroed();
        libc::sigemptyset(&mut set);
        for sig in CONTROL_SIGNALS {
            libc::sigaddset(&mut set, sig);
        }
        libc::pthread_sigmask(how, &set, std::ptr::null_mut());
    }
}

/// Holds SIGTERM, SIGINT, SIGHUP and SIGUSR1 pending (see [`unblock_control_signals`]).
pub fn block_control_signals() {
    mask_control_signals(libc::SIG_BLOCK);
}

/// Delivers the held control signals (to the handlers installed meanwhile).
pub fn unblock_control_signals() {
    mask_control_signals(libc::SIG_UNBLOCK);
}

/// The open-files limit mfsmetalogger asks for.
pub const MAX_FILES: u64 = 4096;

/// Raises the open-files limit to [`MAX_FILES`], or as close as the hard limit allows.
pub fn raise_open_files_limit() {
    if set_rlimit(libc::RLIMIT_NOFILE, MAX_FILES, MAX_FILES) {
        ml_console!(
            Level::Notice,
            "open files limit has been set to: {MAX_FILES}"
        );
        return;
    }
    ml_log!(
        Level::Notice,
        "can't change open files limit to: {MAX_FILES} (trying to set smaller value)"
    );
    let Some((_, max)) = get_rlimit(libc::RLIMIT_NOFILE) else {
        return;
    };
    let mut limit = max.min(MAX_FILES);
    while limit > 1024 {
        if set_rlimit(libc::RLIMIT_NOFILE, limit, max) {
            ml_console!(Level::Notice, "open files limit has been set to: {limit}");
            break;
        }
        limit = limit * 3 / 4;
    }
}

fn set_rlimit(resource: libc::__rlimit_resource_t, cur: u64, max: u64) -> bool {
    let rl = libc::rlimit {
        rlim_cur: cur as libc::rlim_t,
        rlim_max: max as libc::rlim_t,
    };
    // SAFETY: rl is a valid rlimit.
    unsafe { libc::setrlimit(resource, &rl) == 0 }
}

fn get_rlimit(resource: libc::__rlimit_resource_t) -> Option<(u64, u64)> {
    let mut rl = libc::rlimit {
        rlim_cur: 0,
        rlim_max: 0,
    };
    // SAFETY: rl is a valid rlimit to write to.
    (unsafe { libc::getrlimit(resource, &mut rl) } == 0).then_some((rl.rlim_cur, rl.rlim_max))
}

/// `NICE_LEVEL`: failure is silent, as in mfsmetalogger.
pub fn set_nice_level(level: i32) {
    // SAFETY: plain system call.
    unsafe { libc::setpriority(libc::PRIO_PROCESS, 0, level) };
}

/// `LOCK_MEMORY`: raise the memlock limit and lock all pages.
pub fn lock_memory() {
    set_rlimit(
        libc::RLIMIT_MEMLOCK,
        libc::RLIM_INFINITY,
        libc::RLIM_INFINITY,
    );
    // SAFETY: plain system call.
    if unsafe { libc::mlockall(libc::MCL_CURRENT | libc::MCL_FUTURE) } < 0 {
        let e = std::io::Error::last_os_error();
        ml_console!(Level::Warning, "memory lock error: {e}");
    } else {
        ml_console!(
            Level::Notice,
            "process memory was successfully locked in RAM"
        );
    }
}

/// Without `-n`: unlimited core dumps, and dumpable even after the uid change.
pub fn allow_core_dumps() {
    set_rlimit(libc::RLIMIT_CORE, libc::RLIM_INFINITY, libc::RLIM_INFINITY);
    // SAFETY: plain system call.
    unsafe { libc::prctl(libc::PR_SET_DUMPABLE, 1) };
}

/// `DISABLE_OOM_KILLER`: the lowest OOM score (`oom_score_adj` -1000, else `oom_adj` -17).
pub fn disable_oom_killer() {
    let done = std::fs::write("/proc/self/oom_score_adj", "-1000\n").is_ok()
        || std::fs::write("/proc/self/oom_adj", "-17\n").is_ok();
    if done {
        ml_log!(Level::Notice, "out of memory killer disabled");
    } else {
        ml_log!(Level::Notice, "can't disable out of memory killer");
    }
}

/// Why the uid/gid change failed (each is fatal, exit 1).
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum UgidError {
    #[error("{0}: no such group !!!")]
    NoGroup(String),
    #[error("{0}: no such user !!!")]
    NoUser(String),
    #[error("{0}: no such user id - can't obtain group id")]
    NoUserId(String),
    #[error("can't set gid to {gid}: {source}")]
    SetGid { gid: u32, source: std::io::Error },
    #[error("can't set uid to {uid}: {source}")]
    SetUid { uid: u32, source: std::io::Error },
}

/// When run as root, becomes `WORKING_USER`:`WORKING_GROUP` (`#<number>` = numeric id,
/// an empty group = the user's primary group). Also drops root's supplementary groups,
/// which mfsmetalogger forgets to do.
pub fn change_user(user: &str, group: &str) -> Result<(), UgidError> {
    // SAFETY: plain system call.
    if unsafe { libc::geteuid() } != 0 {
        return Ok(());
    }
    let mut gid: Option<u32> = None;
    if let Some(num) = group.strip_prefix('#') {
        gid = Some(leading_number(num));
    } else if !group.is_empty() {
        gid = Some(lookup_group(group).ok_or_else(|| UgidError::NoGroup(group.to_string()))?);
    }
    let uid;
    if let Some(num) = user.strip_prefix('#') {
        uid = leading_number(num);
        if gid.is_none() {
            let (_, g) =
                lookup_user_by_id(uid).ok_or_else(|| UgidError::NoUserId(num.to_string()))?;
            gid = Some(g);
        }
    } else {
        let (u, g) = lookup_user(user).ok_or_else(|| UgidError::NoUser(user.to_string()))?;
        uid = u;
        gid.get_or_insert(g);
    }
    let gid = gid.unwrap_or(0);
    // SAFETY: a one-element array of gid_t.
    unsafe { libc::setgroups(1, &gid) };
    // SAFETY: plain system call.
    if unsafe { libc::setgid(gid) } < 0 {
        let source = std::io::Error::last_os_error();
        return Err(UgidError::SetGid { gid, source });
    }
    ml_log!(Level::Notice, "set gid to {gid}");
    // SAFETY: plain system call.
    if unsafe { libc::setuid(uid) } < 0 {
        let source = std::io::Error::last_os_error();
        return Err(UgidError::SetUid { uid, source });
    }
    ml_log!(Level::Notice, "set uid to {uid}");
    Ok(())
}

/// `strtol(s, NULL, 10)` as mfsmetalogger reads `#<id>` (no digits = 0), as a C cast
/// to `uid_t`.
fn leading_number(s: &str) -> u32 {
    let s = s.trim_start();
    let (negative, digits) = match s.strip_prefix('-') {
        Some(rest) => (true, rest),
        None => (false, s.strip_prefix('+').unwrap_or(s)),
    };
    let digits: String = digits.chars().take_while(char::is_ascii_digit).collect();
    let value = digits
        .parse::<i64>()
        .unwrap_or(if digits.is_empty() { 0 } else { i64::MAX });
    (if negative {
        value.wrapping_neg()
    } else {
        value
    }) as u32
}

const LOOKUP_BUF: usize = 16384;

fn lookup_group(name: &str) -> Option<u32> {
    let cname = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; LOOKUP_BUF];
    // SAFETY: group is plain data; zeroed is valid before getgrnam_r fills it.
    let mut grp: libc::group = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::group = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, buf's length is passed.
    let rc = unsafe {
        libc::getgrnam_r(
            cname.as_ptr(),
            &mut grp,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (rc == 0 && !result.is_null()).then_some(grp.gr_gid)
}

fn lookup_user(name: &str) -> Option<(u32, u32)> {
    let cname = CString::new(name).ok()?;
    let mut buf = vec![0 as libc::c_char; LOOKUP_BUF];
    // SAFETY: passwd is plain data; zeroed is valid before getpwnam_r fills it.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, buf's length is passed.
    let rc = unsafe {
        libc::getpwnam_r(
            cname.as_ptr(),
            &mut pwd,
            buf.as_mut_ptr(),
            buf.len(),
            &mut result,
        )
    };
    (rc == 0 && !result.is_null()).then_some((pwd.pw_uid, pwd.pw_gid))
}

fn lookup_user_by_id(uid: u32) -> Option<(u32, u32)> {
    let mut buf = vec![0 as libc::c_char; LOOKUP_BUF];
    // SAFETY: as in lookup_user.
    let mut pwd: libc::passwd = unsafe { std::mem::zeroed() };
    let mut result: *mut libc::passwd = std::ptr::null_mut();
    // SAFETY: every pointer is valid for the call, buf's length is passed.
    let rc = unsafe { libc::getpwuid_r(uid, &mut pwd, buf.as_mut_ptr(), buf.len(), &mut result) };
    (rc == 0 && !result.is_null()).then_some((pwd.pw_uid, pwd.pw_gid))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn numeric_ids_read_like_strtol() {
        assert_eq!(leading_number("0"), 0);
        assert_eq!(leading_number("1000"), 1000);
        assert_eq!(leading_number("12x"), 12);
        assert_eq!(leading_number("x"), 0);
        assert_eq!(leading_number("010"), 10, "base 10, not 0");
    }

    #[test]
    fn root_is_found_by_name_and_id() {
        assert_eq!(lookup_user("root"), Some((0, 0)));
        assert_eq!(lookup_user_by_id(0), Some((0, 0)));
        assert_eq!(lookup_group("root"), Some(0));
        assert_eq!(lookup_user("no-such-user-mfsmeta"), None);
    }
}
