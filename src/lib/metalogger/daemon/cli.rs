//! The command line of `mfsmetalogger` 3.0.117 (spec metalogger-files.md §4.2):
//! `metalogger [-vfdun] [-t LOCKTIMEOUT] [-c CFGFILE] [ACTION]`, parsed as GNU `getopt`
//! parses it (grouped flags, `-t5` or `-t 5`, options after the action, `--` ends them).

use std::path::PathBuf;

/// What the command was asked to do (case-insensitive on the command line).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Action {
    /// Run the daemon (the default).
    Start,
    /// SIGTERM the running daemon and wait until it lets go of the lock.
    Stop,
    /// Stop, then start.
    Restart,
    /// Restart only if running.
    TryRestart,
    /// SIGHUP: re-read the config.
    Reload,
    /// SIGUSR1: log a status line.
    Info,
    /// Say whether it runs (`test` and `status`), and print the status file.
    Test,
    /// SIGKILL the running daemon and wait.
    Kill,
    /// As in mfsmetalogger 3.0.117: SIGTERM a running daemon, then nothing.
    Restore,
}

/// Every action word, as `usage` and the man page list them.
pub const ACTION_WORDS: &[&str] = &[
    "start",
    "stop",
    "restart",
    "try-restart",
    "reload",
    "info",
    "test",
    "status",
    "kill",
    "restore",
];

impl Action {
    /// Parses an action word, ignoring case.
    pub fn parse(word: &str) -> Option<Action> {
        let w = word.to_ascii_lowercase();
        Some(match w.as_str() {
            "start" => Action::Start,
            "stop" => Action::Stop,
            "restart" => Action::Restart,
            "try-restart" => Action::TryRestart,
            "reload" => Action::Reload,
            "info" => Action::Info,
            "test" | "status" => Action::Test,
            "kill" => Action::Kill,
            "restore" => Action::Restore,
            _ => return None,
        })
    }

    /// The actions that run the daemon (and daemonise, unless `-f`).
    pub fn starts_daemon(self) -> bool {
        matches!(self, Action::Start | Action::Restart | Action::TryRestart)
    }
}

/// A parsed command line.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Args {
    /// `-f` (or `-d`): stay in the foreground, log to syslog and stderr.
    pub foreground: bool,
    /// `-d` was used (it prints a deprecation notice).
    pub deprecated_d: bool,
    /// `-u`: log every option that took its default.
    pub log_undefined: bool,
    /// `-n`: do not raise the core-dump limit.
    pub no_core_raise: bool,
    /// `-t`: seconds `stop`/`restart`/`kill` wait for the old process.
    pub lock_timeout: u32,
    /// `-c`: the config file.
    pub config: Option<PathBuf>,
    /// The action.
    pub action: Action,
}

/// The `-t` default (the code's 1800; the 3.0.117 man page says 60).
pub const DEFAULT_LOCK_TIMEOUT: u32 = 1800;

/// What the command line asks for.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Parsed {
    /// Run an action.
    Run(Args),
    /// `-v`: print the version and exit 0.
    Version,
    /// Bad usage, `-h` or `-?`: print [`usage`] and exit 1; the reason, as GNU getopt
    /// words it (`invalid option -- 'x'`), if there is one.
    Usage(Option<String>),
}

/// Parses the arguments after the program name.
pub fn parse<I, S>(args: I) -> Parsed
where
    I: IntoIterator<Item = S>,
    S: Into<std::ffi::OsString>,
{
    let args: Vec<String> = args
        .into_iter()
        .map(|a| a.into().to_string_lossy().into_owned())
        .collect();
    let mut out = Args {
        foreground: false,
        deprecated_d: false,
        log_undefined: false,
        no_core_raise: false,
        lock_timeout: DEFAULT_LOCK_TIMEOUT,
        config: None,
        action: Action::Start,
    };
    let mut operands = Vec::new();
    let mut i = 0;
    while let Some(arg) = args.get(i) {
        i += 1;
        if arg == "--" {
            operands.extend(args.iter().skip(i).cloned());
            break;
        }
        if arg.starts_with("--") {
            return Parsed::Usage(Some(format!("unrecognized option '{arg}'")));
        }
        let Some(flags) = arg.strip_prefix('-').filter(|f| !f.is_empty()) else {
            operands.push(arg.clone());
            continue;
        };
        for (at, flag) in flags.char_indices() {
            match flag {
                'v' => return Parsed::Version,
                'd' => {
                    out.deprecated_d = true;
                    out.foreground = true;
                }
                'f' => out.foreground = true,
                'u' => out.log_undefined = true,
                'n' => out.no_core_raise = true,
                't' | 'c' => {
                    let rest = flags.get(at + 1..).unwrap_or_default();
                    let value = if rest.is_empty() {
                        match args.get(i) {
                            Some(v) => {
                                i += 1;
                                v.clone()
                            }
                            None => {
                                return Parsed::Usage(Some(format!(
                                    "option requires an argument -- '{flag}'"
                                )))
                            }
                        }
                    } else {
                        rest.to_string()
                    };
                    if flag == 't' {
                        out.lock_timeout = strtoul_base10(&value);
                    } else {
                        out.config = Some(PathBuf::from(value));
                    }
                    break;
                }
                'h' | '?' => return Parsed::Usage(None),
                _ => return Parsed::Usage(Some(format!("invalid option -- '{flag}'"))),
            }
        }
    }
    match operands.as_slice() {
        [] => {}
        [word] => match Action::parse(word) {
            Some(action) => out.action = action,
            None => return Parsed::Usage(None),
        },
        _ => return Parsed::Usage(None),
    }
    Parsed::Run(out)
}

/// `strtoul(s, NULL, 10)` truncated to 32 bits, as mfsmetalogger reads `-t`.
fn strtoul_base10(s: &str) -> u32 {
    let digits: String = s
        .trim_start()
        .chars()
        .take_while(char::is_ascii_digit)
        .collect();
    digits
        .parse::<u64>()
        .map_or(if digits.is_empty() { 0 } else { u32::MAX }, |v| v as u32)
}

/// The usage text (printed on stdout, exit 1, as mfsmetalogger does).
pub fn usage(program: &str) -> String {
    format!(
        "usage: {program} [-vfdun] [-t locktimeout] [-c cfgfile] [{}]\n\
         \n\
         -v : print version number and exit\n\
         -f : run in foreground\n\
         -d : same as -f (deprecated)\n\
         -u : log undefined config variables\n\
         -n : do not attempt to increase limit of core dump size\n\
         -t locktimeout : how long wait for lockfile\n\
         -c cfgfile : use given config file\n",
        ACTION_WORDS.join("|")
    )
}

#[cfg(test)]
mod tests {
    use super::*;

    fn run(args: &[&str]) -> Args {
        match parse(args.iter().copied()) {
            Parsed::Run(a) => a,
            other => panic!("{args:?} gave {other:?}"),
        }
    }

    #[test]
    fn defaults() {
        let a = run(&[]);
        assert_eq!(a.action, Action::Start);
        assert_eq!(a.lock_timeout, 1800);
        assert!(!a.foreground && !a.log_undefined && !a.no_core_raise);
        assert_eq!(a.config, None);
    }

    #[test]
    fn grouped_flags_and_attached_values() {
        let a = run(&["-fun", "-t5", "-c", "/x.cfg", "STOP"]);
        assert!(a.foreground && a.log_undefined && a.no_core_raise);
        assert_eq!(a.lock_timeout, 5);
        assert_eq!(a.config, Some(PathBuf::from("/x.cfg")));
        assert_eq!(a.action, Action::Stop);
        let a = run(&["-fc/y.cfg"]);
        assert_eq!(a.config, Some(PathBuf::from("/y.cfg")));
    }

    #[test]
    fn options_may_follow_the_action() {
        let a = run(&["reload", "-c", "a.cfg"]);
        assert_eq!(a.action, Action::Reload);
        assert_eq!(a.config, Some(PathBuf::from("a.cfg")));
    }

    #[test]
    fn actions_ignore_case() {
        assert_eq!(run(&["Status"]).action, Action::Test);
        assert_eq!(run(&["TRY-RESTART"]).action, Action::TryRestart);
        for w in ACTION_WORDS {
            assert!(Action::parse(w).is_some(), "{w}");
        }
    }

    #[test]
    fn bad_usage() {
        for bad in [
            &["-x"][..],
            &["-h"],
            &["-?"],
            &["--help"],
            &["-s"],
            &["bogus"],
            &["start", "stop"],
            &["-t"],
            &["-c"],
        ] {
            assert!(
                matches!(parse(bad.iter().copied()), Parsed::Usage(_)),
                "{bad:?}"
            );
        }
    }

    #[test]
    fn usage_errors_are_worded_as_getopt_words_them() {
        assert_eq!(
            parse(["-x"]),
            Parsed::Usage(Some("invalid option -- 'x'".into()))
        );
        assert_eq!(
            parse(["-t"]),
            Parsed::Usage(Some("option requires an argument -- 't'".into()))
        );
        assert_eq!(parse(["-h"]), Parsed::Usage(None));
        assert_eq!(
            parse(["--help"]),
            Parsed::Usage(Some("unrecognized option '--help'".into()))
        );
    }

    #[test]
    fn version_wins_at_once() {
        assert_eq!(parse(["-v", "-x"]), Parsed::Version);
    }

    #[test]
    fn d_is_foreground_with_a_notice() {
        let a = run(&["-d"]);
        assert!(a.foreground && a.deprecated_d);
    }

    #[test]
    fn lock_timeout_is_strtoul_base_10() {
        assert_eq!(run(&["-t", "010"]).lock_timeout, 10);
        assert_eq!(run(&["-t", "x"]).lock_timeout, 0);
        assert_eq!(run(&["-t", "7s"]).lock_timeout, 7);
    }

    #[test]
    fn double_dash_ends_options() {
        assert_eq!(run(&["--", "stop"]).action, Action::Stop);
        assert_eq!(parse(["--", "-f"]), Parsed::Usage(None));
    }
}
