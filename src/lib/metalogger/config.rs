//! `mfsmetalogger.cfg`: syntax (spec metalogger-files.md §5.1), the options 3.0.117 reads,
//! their defaults and limits (§5.2).
//!
//! The parser follows MooseFS's `cfg_reload` rule for rule, quirks included, so a file that
//! works for `mfsmetalogger` means the same here:
//!
//! - the file is read in chunks of at most [`LINE_CHUNK`] bytes (C `fgets` with a 999-byte
//!   buffer): a longer line is split and its rest parsed as a line of its own; a NUL byte
//!   ends the chunk's text;
//! - a chunk whose first byte is `#` is a comment (an indented `#` is not);
//! - `NAME = VALUE`: NAME is printable ASCII without `=`; VALUE runs up to the first
//!   control byte or byte ≥ 0x80 (C's signed `char`), trailing spaces are cut; after it only
//!   spaces/tabs and then end of line, CR or `#` may follow, so an inline comment works
//!   only after a tab;
//! - anything else that starts with a visible character is a
//!   `bad definition in config file '<file>': <line>` warning; names are case-sensitive, a
//!   later definition wins, unknown names are kept and ignored;
//! - numbers are C `strtoul`/`strtol` in base 0 (`0x` hex, leading `0` octal), stopping
//!   at the first non-digit, and then truncated to the option's C type.

use std::fmt;
use std::path::{Path, PathBuf};

/// Every option the 3.0.117 metalogger reads, after defaults and limits are applied.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Config {
    /// `WORKING_USER` (name or `#uid`); only applied when started as root.
    pub working_user: String,
    /// `WORKING_GROUP` (name or `#gid`); empty = the user's primary group.
    pub working_group: String,
    /// `SYSLOG_IDENT`.
    pub syslog_ident: String,
    /// `LOCK_MEMORY`: mlockall when true.
    pub lock_memory: bool,
    /// `NICE_LEVEL`.
    pub nice_level: i32,
    /// `FILE_UMASK` (already `& 0o77`).
    pub file_umask: u32,
    /// `DATA_PATH`.
    pub data_path: PathBuf,
    /// `DISABLE_OOM_KILLER`.
    pub disable_oom_killer: bool,
    /// `MASTER_HOST`.
    pub master_host: String,
    /// `MASTER_PORT` (a number or a service name).
    pub master_port: String,
    /// `BIND_HOST` (`*` = do not bind).
    pub bind_host: String,
    /// `MASTER_TIMEOUT` in seconds, 10..=65535.
    pub master_timeout: u16,
    /// `MASTER_RECONNECTION_DELAY` in seconds (0 = never reconnect after a disconnect).
    pub master_reconnection_delay: u32,
    /// `BACK_LOGS`, 5..=10000.
    pub back_logs: u32,
    /// `BACK_META_KEEP_PREVIOUS`, at most 99.
    pub back_meta_keep_previous: u32,
    /// `META_DOWNLOAD_FREQ` in hours, at most `back_logs / 2`; 0 = no periodic download.
    pub meta_download_freq: u32,
}

impl Default for Config {
    /// MooseFS 3.0.117's defaults as the Debian packages build them.
    fn default() -> Self {
        Config {
            working_user: "mfs".into(),
            working_group: "mfs".into(),
            syslog_ident: "mfsmetalogger".into(),
            lock_memory: false,
            nice_level: -19,
            file_umask: 0o27,
            data_path: PathBuf::from("/var/lib/mfs"),
            disable_oom_killer: true,
            master_host: "mfsmaster".into(),
            master_port: "9419".into(),
            bind_host: "*".into(),
            master_timeout: 10,
            master_reconnection_delay: 5,
            back_logs: 50,
            back_meta_keep_previous: 3,
            meta_download_freq: 24,
        }
    }
}

/// How many bytes of a line one read takes: C `fgets(buf, 999, f)` stores at most 998
/// bytes and a NUL.
pub const LINE_CHUNK: usize = 998;

/// The config file mfsmetalogger reads when no `-c` is given.
pub const DEFAULT_CONFIG_PATH: &str = "/etc/mfs/mfsmetalogger.cfg";

/// The pre-1.6 place of the config file, still read (with a warning) when the default one
/// does not exist.
pub const OLD_CONFIG_PATH: &str = "/etc/mfsmetalogger.cfg";

/// When mfsmetalogger reads an option, which decides whether `-u` reports its default.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ReadBy {
    /// Every action reads it.
    EveryAction,
    /// Every action reads it, but only when run as root (the uid/gid change).
    EveryActionAsRoot,
    /// Only the actions that start the daemon read it.
    StartOnly,
}

/// One option: its name, who reads it, and its default as `-u` prints it.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct OptionInfo {
    /// The name in the file.
    pub name: &'static str,
    /// When it is read.
    pub read_by: ReadBy,
    /// The default, printed as mfsmetalogger prints it (numbers in decimal).
    pub default: &'static str,
    /// Re-applied on reload (SIGHUP).
    pub reloadable: bool,
}

/// The options in the order mfsmetalogger reads them at start-up (the order of its `-u`
/// lines).
pub const OPTIONS: &[OptionInfo] = &[
    opt("SYSLOG_IDENT", ReadBy::EveryAction, "mfsmetalogger", false),
    opt("LOCK_MEMORY", ReadBy::StartOnly, "0", false),
    opt("NICE_LEVEL", ReadBy::StartOnly, "-19", false),
    opt("WORKING_USER", ReadBy::EveryActionAsRoot, "mfs", false),
    opt("WORKING_GROUP", ReadBy::EveryActionAsRoot, "mfs", false),
    opt("DATA_PATH", ReadBy::EveryAction, "/var/lib/mfs", false),
    opt("FILE_UMASK", ReadBy::EveryAction, "23", false),
    opt("DISABLE_OOM_KILLER", ReadBy::StartOnly, "1", false),
    opt("MASTER_RECONNECTION_DELAY", ReadBy::StartOnly, "5", true),
    opt("MASTER_HOST", ReadBy::StartOnly, "mfsmaster", true),
    opt("MASTER_PORT", ReadBy::StartOnly, "9419", true),
    opt("BIND_HOST", ReadBy::StartOnly, "*", true),
    opt("MASTER_TIMEOUT", ReadBy::StartOnly, "10", true),
    opt("BACK_LOGS", ReadBy::StartOnly, "50", true),
    opt("BACK_META_KEEP_PREVIOUS", ReadBy::StartOnly, "3", true),
    opt("META_DOWNLOAD_FREQ", ReadBy::StartOnly, "24", true),
];

const fn opt(
    name: &'static str,
    read_by: ReadBy,
    default: &'static str,
    reloadable: bool,
) -> OptionInfo {
    OptionInfo {
        name,
        read_by,
        default,
        reloadable,
    }
}

/// Options mfsmetalogger's man page or shipped file name that 3.0.117 does not act on
/// (accepted and ignored here too).
pub const IGNORED_OPTIONS: &[&str] = &["LIMIT_GLIBC_MALLOC_ARENAS", "LOCK_FILE"];

/// An option that was not in the file and took its default (`-u`).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Defaulted {
    /// The option.
    pub option: OptionInfo,
}

impl fmt::Display for Defaulted {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(
            f,
            "config: using default value for option '{}' - '{}'",
            self.option.name, self.option.default
        )
    }
}

/// The `NAME = VALUE` pairs of a file, in the order first defined (a later definition
/// replaced the value in place), and the warnings for the lines that were not definitions.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct ConfigFile {
    /// The definitions.
    pub entries: Vec<(String, String)>,
    /// `bad definition in config file '<file>': <line>` for every rejected line.
    pub warnings: Vec<String>,
}

impl ConfigFile {
    /// Parses the bytes of a config file; `file_name` is only used in the warnings.
    pub fn parse(file_name: &str, bytes: &[u8]) -> ConfigFile {
        let mut parsed = ConfigFile::default();
        for chunk in line_chunks(bytes) {
            // C string semantics: the text ends at the first NUL.
            let text = match memchr::memchr(0, chunk) {
                Some(nul) => chunk.get(..nul).unwrap_or(chunk),
                None => chunk,
            };
            match parse_line(text) {
                Line::Skip => {}
                Line::Bad => {
                    let shown = text.strip_suffix(b"\n").unwrap_or(text);
                    parsed.warnings.push(format!(
                        "bad definition in config file '{}': {}",
                        file_name,
                        String::from_utf8_lossy(shown)
                    ));
                }
                Line::Definition { name, value } => parsed.define(name, value),
            }
        }
        parsed
    }

    fn define(&mut self, name: String, value: String) {
        match self.entries.iter_mut().find(|(n, _)| *n == name) {
            Some(entry) => entry.1 = value,
            None => self.entries.push((name, value)),
        }
    }

    /// The value of `name`, if the file defines it.
    pub fn get(&self, name: &str) -> Option<&str> {
        self.entries
            .iter()
            .find(|(n, _)| n == name)
            .map(|(_, v)| v.as_str())
    }
}

/// Splits the file as repeated `fgets(buf, 999, f)` calls do: each piece ends after a
/// `\n` or after [`LINE_CHUNK`] bytes.
fn line_chunks(bytes: &[u8]) -> impl Iterator<Item = &[u8]> {
    let mut rest = bytes;
    std::iter::from_fn(move || {
        if rest.is_empty() {
            return None;
        }
        let window = rest.get(..LINE_CHUNK).unwrap_or(rest);
        let len = memchr::memchr(b'\n', window).map_or(window.len(), |nl| nl + 1);
        let (chunk, tail) = rest.split_at(len.min(rest.len()));
        rest = tail;
        Some(chunk)
    })
}

enum Line {
    Skip,
    Bad,
    Definition { name: String, value: String },
}

/// One line, by `cfg_reload`'s rules. `text` has no NUL; reading past its end gives 0,
/// as the C code reads the terminating NUL.
fn parse_line(text: &[u8]) -> Line {
    // C compares a signed `char`: bytes >= 0x80 are negative.
    let at = |i: usize| -> i16 { text.get(i).map_or(0, |&b| i16::from(b as i8)) };
    let is_blank = |c: i16| c == i16::from(b' ') || c == i16::from(b'\t');
    if text.first() == Some(&b'#') {
        return Line::Skip;
    }
    let mut i = 0;
    while is_blank(at(i)) {
        i += 1;
    }
    let name_start = i;
    while at(i) > 32 && at(i) < 127 && at(i) != i16::from(b'=') {
        i += 1;
    }
    let name_end = i;
    while is_blank(at(i)) {
        i += 1;
    }
    if at(i) != i16::from(b'=') || name_end == name_start {
        return if at(i) > 32 { Line::Bad } else { Line::Skip };
    }
    i += 1;
    while is_blank(at(i)) {
        i += 1;
    }
    let value_start = i;
    while at(i) >= 32 {
        i += 1;
    }
    while i > value_start && at(i - 1) == 32 {
        i -= 1;
    }
    let value_end = i;
    while is_blank(at(i)) {
        i += 1;
    }
    let c = at(i);
    if c != 0 && c != i16::from(b'\r') && c != i16::from(b'\n') && c != i16::from(b'#') {
        return Line::Bad;
    }
    let name = text.get(name_start..name_end).unwrap_or_default();
    let value = text.get(value_start..value_end).unwrap_or_default();
    // Both are ASCII by construction (name 0x21..0x7E, value 0x20..0x7F).
    Line::Definition {
        name: String::from_utf8_lossy(name).into_owned(),
        value: String::from_utf8_lossy(value).into_owned(),
    }
}

/// C `strtoul(s, NULL, 0)` on a 64-bit system: leading white space, an optional sign,
/// base from the prefix, digits up to the first non-digit; overflow gives `u64::MAX`, a
/// minus sign negates modulo 2^64, no digits give 0.
pub fn c_strtoul(s: &str) -> u64 {
    let (negative, magnitude) = c_number(s);
    match magnitude {
        None => u64::MAX,
        Some(m) if negative => m.wrapping_neg(),
        Some(m) => m,
    }
}

/// C `strtol(s, NULL, 0)` on a 64-bit system: as [`c_strtoul`], saturating at the `i64`
/// limits.
pub fn c_strtol(s: &str) -> i64 {
    let (negative, magnitude) = c_number(s);
    match (negative, magnitude) {
        (false, Some(m)) => i64::try_from(m).unwrap_or(i64::MAX),
        (false, None) => i64::MAX,
        (true, Some(m)) if m <= i64::MAX as u64 + 1 => (m as i64).wrapping_neg(),
        (true, _) => i64::MIN,
    }
}

/// The sign and magnitude (None = overflow) of a base-0 C number.
fn c_number(s: &str) -> (bool, Option<u64>) {
    let b = s.as_bytes();
    let mut i = 0;
    while b
        .get(i)
        .is_some_and(|&c| c == b' ' || (9..=13).contains(&c))
    {
        i += 1;
    }
    let mut negative = false;
    if let Some(&c) = b.get(i) {
        if c == b'+' || c == b'-' {
            negative = c == b'-';
            i += 1;
        }
    }
    let mut base = 10;
    if b.get(i) == Some(&b'0') {
        let x = b.get(i + 1).is_some_and(|&c| c == b'x' || c == b'X');
        if x && b.get(i + 2).is_some_and(u8::is_ascii_hexdigit) {
            base = 16;
            i += 2;
        } else {
            base = 8;
        }
    }
    let mut value: Option<u64> = Some(0);
    while let Some(d) = b.get(i).and_then(|&c| char::from(c).to_digit(base)) {
        value = value
            .and_then(|v| v.checked_mul(u64::from(base)))
            .and_then(|v| v.checked_add(u64::from(d)));
        i += 1;
    }
    (negative, value)
}

/// Why the config file could not be read.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum ConfigError {
    /// The file does not exist.
    #[error("main config file ({}) not found", path.display())]
    NotFound {
        /// The file.
        path: PathBuf,
    },
    /// The file exists but could not be read.
    #[error("can't load main config file ({}), error: {source}", path.display())]
    Read {
        /// The file.
        path: PathBuf,
        /// What went wrong.
        source: std::io::Error,
    },
}

/// A config read from a file: the values, the warnings, and which options took defaults.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Loaded {
    /// The values after defaults and limits.
    pub config: Config,
    /// `bad definition ...` lines.
    pub warnings: Vec<String>,
    /// Options not in the file, in [`OPTIONS`] order.
    pub defaulted: Vec<Defaulted>,
}

impl Config {
    /// Reads and parses a config file.
    pub fn load(path: &Path) -> Result<Loaded, ConfigError> {
        let bytes = std::fs::read(path).map_err(|source| {
            if source.kind() == std::io::ErrorKind::NotFound {
                ConfigError::NotFound {
                    path: path.to_path_buf(),
                }
            } else {
                ConfigError::Read {
                    path: path.to_path_buf(),
                    source,
                }
            }
        })?;
        let file = ConfigFile::parse(&path.display().to_string(), &bytes);
        Ok(Config::from_file(&file))
    }

    /// The values of a parsed file with the defaults and limits of 3.0.117 applied.
    pub fn from_file(file: &ConfigFile) -> Loaded {
        let d = Config::default();
        let defaulted = OPTIONS
            .iter()
            .filter(|o| file.get(o.name).is_none())
            .map(|&option| Defaulted { option })
            .collect();
        let string = |name: &str, default: &str| file.get(name).unwrap_or(default).to_string();
        // Each number is read as the C getter mfsmetalogger uses reads it, then truncated
        // to that getter's type (`cfg_getuint32`, `cfg_getint32`, `cfg_getnum`,
        // `cfg_getuint8`).
        let u32_of =
            |name: &str, default: u32| file.get(name).map_or(default, |v| c_strtoul(v) as u32);
        let i32_of =
            |name: &str, default: i32| file.get(name).map_or(default, |v| c_strtol(v) as i32);

        let ident = string("SYSLOG_IDENT", &d.syslog_ident);
        let master_timeout = u32_of("MASTER_TIMEOUT", 10).clamp(10, 65535);
        let back_logs = u32_of("BACK_LOGS", d.back_logs).clamp(5, 10000);
        let config = Config {
            working_user: string("WORKING_USER", &d.working_user),
            working_group: string("WORKING_GROUP", &d.working_group),
            syslog_ident: if ident.is_empty() {
                d.syslog_ident.clone()
            } else {
                ident
            },
            lock_memory: i32_of("LOCK_MEMORY", 0) != 0,
            nice_level: i32_of("NICE_LEVEL", d.nice_level),
            file_umask: u32_of("FILE_UMASK", d.file_umask) & 0o77,
            data_path: PathBuf::from(string("DATA_PATH", &d.data_path.to_string_lossy())),
            disable_oom_killer: file
                .get("DISABLE_OOM_KILLER")
                .map_or(d.disable_oom_killer, |v| c_strtoul(v) as u8 == 1),
            master_host: string("MASTER_HOST", &d.master_host),
            master_port: string("MASTER_PORT", &d.master_port),
            bind_host: string("BIND_HOST", &d.bind_host),
            master_timeout: u16::try_from(master_timeout).unwrap_or(u16::MAX),
            master_reconnection_delay: u32_of(
                "MASTER_RECONNECTION_DELAY",
                d.master_reconnection_delay,
            ),
            back_logs,
            back_meta_keep_previous: u32_of("BACK_META_KEEP_PREVIOUS", d.back_meta_keep_previous)
                .min(99),
            meta_download_freq: u32_of("META_DOWNLOAD_FREQ", d.meta_download_freq)
                .min(back_logs / 2),
        };
        Loaded {
            config,
            warnings: file.warnings.clone(),
            defaulted,
        }
    }

    /// The config a reload applies: the reloadable options from `new`, the others kept
    /// from `self` (3.0.117 does not re-apply the uid/gid, nice level, DATA_PATH, umask or
    /// syslog ident on SIGHUP).
    pub fn reloaded(&self, new: &Config) -> Config {
        Config {
            master_host: new.master_host.clone(),
            master_port: new.master_port.clone(),
            bind_host: new.bind_host.clone(),
            master_timeout: new.master_timeout,
            master_reconnection_delay: new.master_reconnection_delay,
            back_logs: new.back_logs,
            back_meta_keep_previous: new.back_meta_keep_previous,
            meta_download_freq: new.meta_download_freq,
            ..self.clone()
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn parse(text: &[u8]) -> ConfigFile {
        ConfigFile::parse("t.cfg", text)
    }

    fn value(text: &[u8], name: &str) -> Option<String> {
        parse(text).get(name).map(str::to_string)
    }

    #[test]
    fn name_equals_value_with_spaces_and_tabs() {
        assert_eq!(value(b"A=1\n", "A").as_deref(), Some("1"));
        assert_eq!(value(b" \t A \t= \t x y \n", "A").as_deref(), Some("x y"));
        assert_eq!(value(b"A =\n", "A").as_deref(), Some(""));
        assert_eq!(
            value(b"A = 1", "A").as_deref(),
            Some("1"),
            "no final newline"
        );
        assert_eq!(value(b"A = 1\r\n", "A").as_deref(), Some("1"));
    }

    #[test]
    fn hash_is_a_comment_only_in_column_one() {
        let f = parse(b"#A = 1\n  #B = 2\n");
        assert_eq!(f.get("A"), None);
        // The indented line has the name "#B": a definition.
        assert_eq!(f.get("#B"), Some("2"));
        let f = parse(b"  # a comment\n");
        assert!(f.entries.is_empty());
        assert_eq!(
            f.warnings,
            vec!["bad definition in config file 't.cfg':   # a comment".to_string()]
        );
    }

    #[test]
    fn inline_comment_only_after_a_tab() {
        assert_eq!(
            value(b"BACK_LOGS = 10 # x\n", "BACK_LOGS").as_deref(),
            Some("10 # x")
        );
        assert_eq!(
            value(b"BACK_LOGS = 10\t# x\n", "BACK_LOGS").as_deref(),
            Some("10")
        );
        assert_eq!(
            value(b"BACK_LOGS = 10\t#\n", "BACK_LOGS").as_deref(),
            Some("10")
        );
        // After a tab only blanks and then the end, CR or '#' may follow.
        let f = parse(b"A = 1\tx\n");
        assert_eq!(f.get("A"), None);
        assert_eq!(f.warnings.len(), 1);
    }

    #[test]
    fn trailing_spaces_are_cut_tabs_end_the_value() {
        assert_eq!(value(b"A = v   \n", "A").as_deref(), Some("v"));
        assert_eq!(value(b"A = v \t \n", "A").as_deref(), Some("v"));
        assert_eq!(value(b"A = a b\x7f\n", "A").as_deref(), Some("a b\x7f"));
    }

    #[test]
    fn bad_definitions_are_warned_and_skipped() {
        let f = parse(b"BAD LINE\n= 3\nA B = 1\nOK = 1\n");
        assert_eq!(f.entries, vec![("OK".to_string(), "1".to_string())]);
        assert_eq!(
            f.warnings,
            vec![
                "bad definition in config file 't.cfg': BAD LINE",
                "bad definition in config file 't.cfg': = 3",
                "bad definition in config file 't.cfg': A B = 1",
            ]
        );
    }

    #[test]
    fn lines_that_end_before_a_visible_character_are_silently_skipped() {
        // A name alone, blank lines, a line of blanks: no '=' and nothing visible after.
        let f = parse(b"NAME\n\n \t \n\r\n");
        assert!(f.entries.is_empty());
        assert!(f.warnings.is_empty(), "{:?}", f.warnings);
    }

    #[test]
    fn non_ascii_bytes_end_names_and_values() {
        // A value byte >= 0x80 is a negative C char: it ends the value, and what follows is
        // not a blank or an end, so the line is bad (no warning: the byte is not > 32).
        let f = parse("A = caf\u{e9}\n".as_bytes());
        assert_eq!(f.get("A"), None);
        let f = parse("\u{e9}A = 1\n".as_bytes());
        assert!(f.entries.is_empty());
        assert!(f.warnings.is_empty());
    }

    #[test]
    fn a_nul_byte_ends_the_line_text() {
        assert_eq!(value(b"A = 12\x00garbage\n", "A").as_deref(), Some("12"));
    }

    #[test]
    fn later_definition_wins_and_names_are_case_sensitive() {
        let f = parse(b"A = 1\na = 2\nA = 3\n");
        assert_eq!(f.get("A"), Some("3"));
        assert_eq!(f.get("a"), Some("2"));
        assert_eq!(f.entries.len(), 2);
    }

    #[test]
    fn long_lines_are_split_at_998_bytes() {
        let mut line = b"A = ".to_vec();
        line.resize(LINE_CHUNK, b'x');
        line.extend_from_slice(b"B = 7\n");
        let f = parse(&line);
        assert_eq!(f.get("A").map(str::len), Some(LINE_CHUNK - 4));
        assert_eq!(f.get("B"), Some("7"), "the rest is a line of its own");
        // A '#' right after the split point starts a comment chunk.
        let mut line = b"A = ".to_vec();
        line.resize(LINE_CHUNK, b'y');
        line.extend_from_slice(b"# C = 1\n");
        let f = parse(&line);
        assert_eq!(f.get("C"), None);
        assert_eq!(f.get("# C"), None);
    }

    #[test]
    fn numbers_follow_strtoul_base_zero() {
        assert_eq!(c_strtoul("10"), 10);
        assert_eq!(c_strtoul("010"), 8);
        assert_eq!(c_strtoul("0x1F"), 31);
        assert_eq!(c_strtoul("0X1f"), 31);
        assert_eq!(c_strtoul("0x"), 0);
        assert_eq!(c_strtoul("0xg"), 0);
        assert_eq!(c_strtoul("09"), 0, "octal stops at 9");
        assert_eq!(c_strtoul("10 # x"), 10);
        assert_eq!(c_strtoul("12abc"), 12);
        assert_eq!(c_strtoul("abc"), 0);
        assert_eq!(c_strtoul(""), 0);
        assert_eq!(c_strtoul("+5"), 5);
        assert_eq!(c_strtoul("-1"), u64::MAX);
        assert_eq!(c_strtoul("99999999999999999999999"), u64::MAX);
        assert_eq!(c_strtol("-19"), -19);
        assert_eq!(c_strtol("99999999999999999999999"), i64::MAX);
        assert_eq!(c_strtol("-99999999999999999999999"), i64::MIN);
        assert_eq!(c_strtol("-9223372036854775808"), i64::MIN);
    }

    #[test]
    fn defaults_are_the_debian_build() {
        let loaded = Config::from_file(&ConfigFile::default());
        assert_eq!(loaded.config, Config::default());
        assert_eq!(loaded.defaulted.len(), OPTIONS.len());
        assert_eq!(
            loaded.defaulted[6].to_string(),
            "config: using default value for option 'FILE_UMASK' - '23'"
        );
        for o in OPTIONS {
            let got = Config::from_file(&parse(format!("{} = {}\n", o.name, o.default).as_bytes()));
            assert_eq!(got.config.file_umask, 0o27, "{}", o.name);
            assert!(got.defaulted.iter().all(|d| d.option.name != o.name));
        }
    }

    #[test]
    fn limits_are_applied() {
        let c = |text: &str| Config::from_file(&parse(text.as_bytes())).config;
        assert_eq!(c("MASTER_TIMEOUT = 1\n").master_timeout, 10);
        assert_eq!(c("MASTER_TIMEOUT = 70000\n").master_timeout, 65535);
        assert_eq!(c("MASTER_TIMEOUT = -1\n").master_timeout, 65535);
        assert_eq!(c("BACK_LOGS = 1\n").back_logs, 5);
        assert_eq!(c("BACK_LOGS = 20000\n").back_logs, 10000);
        assert_eq!(c("BACK_LOGS = 010\n").back_logs, 8);
        assert_eq!(c("BACK_LOGS = 10 # x\n").back_logs, 10);
        assert_eq!(
            c("BACK_META_KEEP_PREVIOUS = 500\n").back_meta_keep_previous,
            99
        );
        assert_eq!(
            c("BACK_LOGS = 10\nMETA_DOWNLOAD_FREQ = 24\n").meta_download_freq,
            5
        );
        assert_eq!(
            c("BACK_LOGS = 11\nMETA_DOWNLOAD_FREQ = 24\n").meta_download_freq,
            5
        );
        assert_eq!(c("META_DOWNLOAD_FREQ = 0\n").meta_download_freq, 0);
        assert_eq!(c("FILE_UMASK = 0777\n").file_umask, 0o77);
        assert_eq!(c("FILE_UMASK = 22\n").file_umask, 22 & 0o77);
        assert_eq!(c("NICE_LEVEL = 0\n").nice_level, 0);
        assert_eq!(c("NICE_LEVEL = 0x10\n").nice_level, 16);
        assert!(
            !c("DISABLE_OOM_KILLER = 2\n").disable_oom_killer,
            "uint8 == 1 only"
        );
        assert!(
            c("DISABLE_OOM_KILLER = 257\n").disable_oom_killer,
            "uint8 wraps"
        );
        assert!(c("LOCK_MEMORY = 7\n").lock_memory);
        assert_eq!(c("SYSLOG_IDENT =\n").syslog_ident, "mfsmetalogger");
        assert_eq!(c("MASTER_PORT = mfsmaster\n").master_port, "mfsmaster");
        assert_eq!(
            c("MASTER_RECONNECTION_DELAY = 0\n").master_reconnection_delay,
            0
        );
    }

    #[test]
    fn unknown_names_are_ignored() {
        let loaded = Config::from_file(&parse(b"NO_SUCH_OPTION = 5\nLOCK_FILE = /x\n"));
        assert_eq!(loaded.config, Config::default());
        assert!(loaded.warnings.is_empty());
    }

    #[test]
    fn reload_keeps_the_options_3_0_117_does_not_reapply() {
        let old = Config::default();
        let new = Config::from_file(&parse(
            b"DATA_PATH = /elsewhere\nMASTER_HOST = m2\nMETA_DOWNLOAD_FREQ = 1\n",
        ))
        .config;
        let r = old.reloaded(&new);
        assert_eq!(r.data_path, old.data_path);
        assert_eq!(r.master_host, "m2");
        assert_eq!(r.meta_download_freq, 1);
    }

    #[test]
    fn random_bytes_never_panic_and_keep_the_invariants() {
        // xorshift: deterministic, no dependency.
        let mut x: u64 = 0x9E37_79B9_7F4A_7C15;
        let mut next = move || {
            x ^= x << 13;
            x ^= x >> 7;
            x ^= x << 17;
            x
        };
        const ALPHABET: &[u8] = b"AB_= \t#\r\n\x00\x7f\xe9x0";
        for _ in 0..2000 {
            let len = (next() % 3000) as usize;
            let bytes: Vec<u8> = (0..len)
                .map(|_| ALPHABET[(next() % ALPHABET.len() as u64) as usize])
                .collect();
            let f = ConfigFile::parse("r.cfg", &bytes);
            for (name, value) in &f.entries {
                assert!(!name.is_empty());
                assert!(name.bytes().all(|b| b > 32 && b < 127 && b != b'='));
                assert!(value.bytes().all(|b| (32..128).contains(&b)));
                assert!(!value.ends_with(' '));
            }
            let names: std::collections::HashSet<_> = f.entries.iter().map(|e| &e.0).collect();
            assert_eq!(names.len(), f.entries.len(), "one entry per name");
            let _ = Config::from_file(&f);
        }
    }

    #[test]
    fn missing_file_is_not_found() {
        let err = Config::load(Path::new("/nonexistent/x.cfg")).unwrap_err();
        assert_eq!(
            err.to_string(),
            "main config file (/nonexistent/x.cfg) not found"
        );
    }
}
