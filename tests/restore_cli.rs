//! The `metarestore` command line: argument errors, exit statuses (0 done, 1 error with
//! nothing written, 2 best effort stopped early) and the messages a user reads: every
//! error names its file (and line or byte offset); `-x` lists the files and changes; no
//! progress bar is drawn when standard error is not a terminal; a data folder locked by
//! a running master is refused.

use std::ffi::OsString;
use std::path::{Path, PathBuf};
use std::process::{Command, Output};

fn testdata() -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR")).join("testdata")
}

/// A real version-2 image holding only the root.
fn start_image() -> PathBuf {
    testdata().join("real/namespace-rich/metalogger/metadata_ml.mfs.back")
}

fn run<S: AsRef<std::ffi::OsStr>>(args: &[S]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_metarestore"))
        .args(args)
        .output()
        .expect("run metarestore")
}

fn stderr(out: &Output) -> String {
    String::from_utf8_lossy(&out.stderr).into_owned()
}

/// A scratch folder, removed on drop.
struct Scratch(PathBuf);

impl Scratch {
    fn new(label: &str) -> Self {
        use std::sync::atomic::{AtomicU32, Ordering};
        static N: AtomicU32 = AtomicU32::new(0);
        let dir = std::env::temp_dir().join(format!(
            "mfsmeta-cli-{}-{}-{label}",
            std::process::id(),
            N.fetch_add(1, Ordering::Relaxed)
        ));
        let _ = std::fs::remove_dir_all(&dir);
        std::fs::create_dir_all(&dir).unwrap();
        Scratch(dir)
    }
    fn path(&self) -> &Path {
        &self.0
    }
}

impl Drop for Scratch {
    fn drop(&mut self) {
        let _ = std::fs::remove_dir_all(&self.0);
    }
}

fn os(parts: &[&dyn AsRef<std::ffi::OsStr>]) -> Vec<OsString> {
    parts.iter().map(|p| p.as_ref().to_os_string()).collect()
}

/// `N: TS|ACCESS(1)` lines.
fn access_lines(ids: std::ops::RangeInclusive<u64>) -> String {
    ids.map(|id| format!("{id}: {}|ACCESS(1)\n", 1_795_340_000 + id))
        .collect()
}

#[test]
fn help_and_version_exit_0() {
    for flag in ["--help", "-h", "--version", "-V"] {
        let out = run(&[flag]);
        assert_eq!(out.status.code(), Some(0), "{flag}");
        assert!(!out.stdout.is_empty(), "{flag}");
    }
    let help = String::from_utf8_lossy(&run(&["--help"]).stdout).into_owned();
    for flag in [
        "-m",
        "-o",
        "-a",
        "-d",
        "-b",
        "-x",
        "--to-version",
        "--to-time",
    ] {
        assert!(help.contains(flag), "--help lacks {flag}");
    }
    assert!(help.contains("Exit status: 0 done, 1 error"));
}

#[test]
fn argument_errors_exit_1_with_a_usage_message() {
    let cases: &[(&[&str], &str)] = &[
        (&[], "Usage"),
        (&["-b"], "required"),
        (&["-m", "meta"], "-o <OUT>"),
        (&["-a", "-m", "meta", "-o", "out"], "cannot be used with"),
        (
            &["-d", "/tmp", "-m", "meta", "-o", "out"],
            "cannot be used with",
        ),
        (&["-a", "changelog.0.mfs"], "required"),
        (&["-a", "--to-time", "yesterday"], "RFC 3339"),
        (&["-a", "--to-time", "2026-13-01T00:00:00Z"], "RFC 3339"),
        (&["-a", "--to-version", "ten"], "invalid value"),
        (&["-a", "--to-version", "-1"], "unexpected argument"),
        (&["-a", "--frobnicate"], "unexpected argument"),
        (&["-a", "-o"], "a value is required"),
    ];
    for (args, expected) in cases {
        let out = run(args);
        assert_eq!(out.status.code(), Some(1), "{args:?}: {}", stderr(&out));
        assert!(
            stderr(&out).contains(expected),
            "{args:?}: expected {expected:?} in {}",
            stderr(&out)
        );
    }
}

#[test]
fn missing_and_damaged_inputs_are_named() {
    let d = Scratch::new("inputs");
    let out_file = d.path().join("out.mfs");
    let out = run(&os(&[
        &"-m",
        &"/nonexistent/metadata.mfs",
        &"-o",
        &out_file,
    ]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).starts_with("metarestore: /nonexistent/metadata.mfs: cannot read: "),
        "{}",
        stderr(&out)
    );

    // A metadata file cut short: the message names the file and a byte offset.
    let bytes = std::fs::read(testdata().join("real/namespace-rich/master/metadata.mfs")).unwrap();
    let cut = d.path().join("cut.mfs");
    std::fs::write(&cut, &bytes[..bytes.len() / 2]).unwrap();
    let out = run(&os(&[&"-m", &cut, &"-o", &out_file]));
    assert_eq!(out.status.code(), Some(1));
    let msg = stderr(&out);
    assert!(msg.contains(&format!("{}: ", cut.display())), "{msg}");
    assert!(msg.contains("byte"), "{msg}");

    let log = d.path().join("missing.mfs");
    let out = run(&os(&[&"-m", &start_image(), &"-o", &out_file, &log]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("missing.mfs: cannot read"));
    assert!(!out_file.exists(), "nothing written");

    // A folder without metadata.
    let empty = Scratch::new("empty");
    let out = run(&os(&[&"-a", &"-d", &empty.path()]));
    assert_eq!(out.status.code(), Some(1));
    assert!(
        stderr(&out).contains("no valid metadata file"),
        "{}",
        stderr(&out)
    );
    let out = run(&os(&[&"-a", &"-d", &"/nonexistent-folder"]));
    assert_eq!(out.status.code(), Some(1));
    assert!(stderr(&out).contains("/nonexistent-folder"));
}

#[test]
fn replay_errors_say_where_and_how_far_a_restore_could_go() {
    let d = Scratch::new("replay-error");
    let log = d.path().join("changelog.0.mfs");
    let mut text = access_lines(2..=4);
    text.push_str(&access_lines(6..=7));
    std::fs::write(&log, text).unwrap();
    let out_file = d.path().join("out.mfs");
    let args = os(&[&"-m", &start_image(), &"-o", &out_file, &log]);
    let out = run(&args);
    assert_eq!(out.status.code(), Some(1));
    let msg = stderr(&out);
    let name = log.display().to_string();
    assert!(
        msg.contains(&format!(
            "{name}:4: change 5 is missing (hole in the changelogs after {name}:3)"
        )),
        "{msg}"
    );
    assert!(
        msg.contains("nothing written; the last consistent version is 5 (-b writes it)"),
        "{msg}"
    );
    assert!(!out_file.exists());

    let mut args = args;
    args.push("-b".into());
    let out = run(&args);
    assert_eq!(out.status.code(), Some(2));
    let msg = stderr(&out);
    assert!(
        msg.contains("best effort: stopped at metadata version 5 (changes up to 4 applied)"),
        "{msg}"
    );
    assert!(out_file.exists());
}

#[test]
fn verbose_lists_files_and_changes_and_no_bar_without_a_terminal() {
    let d = Scratch::new("verbose");
    std::fs::copy(start_image(), d.path().join("metadata_ml.mfs.back")).unwrap();
    std::fs::write(d.path().join("changelog_ml.0.mfs"), access_lines(2..=4)).unwrap();
    std::fs::write(d.path().join("changelog_ml.1.mfs"), b"").unwrap();
    let quiet = run(&os(&[
        &"-a",
        &"-d",
        &d.path(),
        &"-o",
        &d.path().join("q.mfs"),
    ]));
    assert_eq!(quiet.status.code(), Some(0));
    assert_eq!(stderr(&quiet), "", "quiet and no progress bar on a pipe");

    let out = run(&os(&[
        &"-a",
        &"-d",
        &d.path(),
        &"-x",
        &"-o",
        &d.path().join("v.mfs"),
    ]));
    assert_eq!(out.status.code(), Some(0));
    let msg = stderr(&out);
    for expected in [
        "chosen metadata file: ",
        "metadata_ml.mfs.back (version 2, id ",
        "using changelog file: changelog_ml.0.mfs (changes: 2 - 4)",
        "skipping changelog file: changelog_ml.1.mfs (changes: ??? - ???)",
        "changelog_ml.0.mfs:2: change 3: 1795340003|ACCESS(1)",
        "wrote ",
    ] {
        assert!(msg.contains(expected), "{expected:?} not in\n{msg}");
    }
    assert!(!msg.contains("replaying changes"), "{msg}");

    let out = run(&os(&[
        &"-a",
        &"-d",
        &d.path(),
        &"-x",
        &"-x",
        &"-o",
        &d.path().join("v.mfs"),
    ]));
    assert!(stderr(&out).contains("valid metadata file (version 2"));
}

#[test]
fn a_data_folder_locked_by_a_running_master_is_refused() {
    let d = Scratch::new("locked");
    std::fs::copy(start_image(), d.path().join("metadata.mfs")).unwrap();
    let lock = mfsmeta::restore::lock::lock_data_dir(d.path()).unwrap();
    let before = std::fs::read(d.path().join("metadata.mfs")).unwrap();
    let out = run(&os(&[&"-a", &"-d", &d.path()]));
    assert_eq!(out.status.code(), Some(1));
    let msg = stderr(&out);
    assert!(
        msg.contains(&format!(
            ".mfsmaster.lock: locked by a running mfsmaster (pid {})",
            std::process::id()
        )),
        "{msg}"
    );
    assert_eq!(
        std::fs::read(d.path().join("metadata.mfs")).unwrap(),
        before
    );
    // With -o the folder is only read: no lock needed.
    let out = run(&os(&[
        &"-a",
        &"-d",
        &d.path(),
        &"-o",
        &d.path().join("copy.mfs"),
    ]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
    drop(lock);
    let out = run(&os(&[&"-a", &"-d", &d.path()]));
    assert_eq!(out.status.code(), Some(0), "{}", stderr(&out));
}

#[test]
fn dump_still_works() {
    let out = run(&os(&[&"dump", &start_image()]));
    assert_eq!(out.status.code(), Some(0));
    assert!(String::from_utf8_lossy(&out.stdout).contains("NODE|"));
    let out = run(&["dump", "/nonexistent"]);
    assert_eq!(out.status.code(), Some(1));
}
