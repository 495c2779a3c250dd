//! Errors in the form MooseFS logs them: `ENOSPC (No space left on device)` (spec
//! `metalogger-files.md` §6, "+errno").

use std::io;

/// The errno names the store can meet on a local disk.
const NAMES: &[(i32, &str)] = &[
    (libc::EPERM, "EPERM"),
    (libc::ENOENT, "ENOENT"),
    (libc::EINTR, "EINTR"),
    (libc::EIO, "EIO"),
    (libc::EBADF, "EBADF"),
    (libc::EAGAIN, "EAGAIN"),
    (libc::ENOMEM, "ENOMEM"),
    (libc::EACCES, "EACCES"),
    (libc::EEXIST, "EEXIST"),
    (libc::EXDEV, "EXDEV"),
    (libc::ENOTDIR, "ENOTDIR"),
    (libc::EISDIR, "EISDIR"),
    (libc::EINVAL, "EINVAL"),
    (libc::ENFILE, "ENFILE"),
    (libc::EMFILE, "EMFILE"),
    (libc::EFBIG, "EFBIG"),
    (libc::ENOSPC, "ENOSPC"),
    (libc::EROFS, "EROFS"),
    (libc::ENAMETOOLONG, "ENAMETOOLONG"),
    (libc::EDQUOT, "EDQUOT"),
];

/// `ENOSPC (No space left on device)` for an OS error, the error's own text otherwise.
pub fn errno_text(e: &io::Error) -> String {
    let text = e.to_string();
    let Some(code) = e.raw_os_error() else {
        return text;
    };
    let plain = text
        .strip_suffix(&format!(" (os error {code})"))
        .unwrap_or(&text);
    match NAMES.iter().find(|(c, _)| *c == code) {
        Some((_, name)) => format!("{name} ({plain})"),
        None => format!("errno {code} ({plain})"),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn os_errors_read_like_moosefs_logs() {
        let e = io::Error::from_raw_os_error(libc::ENOSPC);
        assert_eq!(errno_text(&e), "ENOSPC (No space left on device)");
        let other = io::Error::other("short write");
        assert_eq!(errno_text(&other), "short write");
    }
}
