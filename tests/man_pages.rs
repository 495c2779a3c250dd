//! The manual pages document every flag the programs accept: each option that
//! `--help` lists appears in the program's page in `man/`.

use std::process::Command;

/// The `-x`/`--xyz` options and subcommands that `--help` lists.
fn options_in_help(bin: &str) -> Vec<String> {
    let out = Command::new(bin)
        .arg("--help")
        .output()
        .expect("run --help");
    let text = String::from_utf8_lossy(&out.stdout).into_owned();
    let mut found = Vec::new();
    let mut in_commands = false;
    for line in text.lines() {
        if line.starts_with("Commands:") {
            in_commands = true;
            continue;
        }
        if line.starts_with("Options:") || line.is_empty() {
            in_commands = false;
        }
        let trimmed = line.trim_start();
        if in_commands {
            if let Some(cmd) = trimmed.split_whitespace().next() {
                if cmd != "help" {
                    found.push(cmd.to_string());
                }
            }
            continue;
        }
        for word in trimmed.split([' ', ',']) {
            if word.starts_with('-') && word.len() > 1 && !word.starts_with("---") {
                found.push(word.trim_end_matches([',', '.']).to_string());
            }
        }
    }
    found.sort();
    found.dedup();
    found
}

#[test]
fn metarestore_page_lists_every_option() {
    let page = std::fs::read_to_string(concat!(env!("CARGO_MANIFEST_DIR"), "/man/metarestore.8"))
        .expect("man/metarestore.8");
    // In roff a '-' in an option is written '\-'.
    let page = page.replace("\\-", "-");
    let options = options_in_help(env!("CARGO_BIN_EXE_metarestore"));
    assert!(
        options.iter().any(|o| o == "-m"),
        "help parsing found {options:?}"
    );
    let missing: Vec<&String> = options
        .iter()
        .filter(|o| !page.contains(o.as_str()))
        .collect();
    assert!(
        missing.is_empty(),
        "man/metarestore.8 does not document {missing:?}"
    );
}

fn page(name: &str) -> String {
    let path = format!("{}/man/{name}", env!("CARGO_MANIFEST_DIR"));
    std::fs::read_to_string(&path)
        .unwrap_or_else(|e| panic!("{path}: {e}"))
        .replace("\\-", "-")
}

#[test]
fn metalogger_page_lists_every_option_and_action() {
    let page = page("metalogger.8");
    let options = options_in_help(env!("CARGO_BIN_EXE_metalogger"));
    for flag in ["-v", "-f", "-d", "-u", "-n", "-t", "-c"] {
        assert!(
            options.iter().any(|o| o == flag),
            "usage lacks {flag}: {options:?}"
        );
    }
    let missing: Vec<&String> = options
        .iter()
        .filter(|o| !page.contains(&format!(".B {o}")) && !page.contains(&format!(".BI {o}")))
        .collect();
    assert!(
        missing.is_empty(),
        "man/metalogger.8 does not document {missing:?}"
    );
    for action in mfsmeta::metalogger::daemon::cli::ACTION_WORDS {
        assert!(
            page.contains(&format!(".B {action}")) || page.contains(&format!(".BR {action} ")),
            "man/metalogger.8 does not document the action {action}"
        );
    }
    for signal in ["SIGTERM", "SIGINT", "SIGHUP", "SIGUSR1"] {
        assert!(
            page.contains(signal),
            "man/metalogger.8 does not document {signal}"
        );
    }
}

#[test]
fn metalogger_cfg_page_lists_every_option_with_its_default() {
    use mfsmeta::metalogger::config::{IGNORED_OPTIONS, OPTIONS};
    let page = page("metalogger.cfg.5");
    let start = page.find(".SH OPTIONS").expect("an OPTIONS section");
    let end = page[start + 1..]
        .find("\n.SH ")
        .map_or(page.len(), |e| start + 1 + e);
    let page = &page[start..end];
    for o in OPTIONS {
        let at = page
            .find(&format!(".B {}\n", o.name))
            .or_else(|| page.find(&format!(".BR {} ", o.name)))
            .unwrap_or_else(|| panic!("man/metalogger.cfg.5 does not document {}", o.name));
        let entry = &page[at..];
        let entry = &entry[..entry[4..].find("\n.TP").map_or(entry.len(), |e| e + 4)];
        let shown = if o.name == "FILE_UMASK" {
            "027"
        } else {
            o.default
        };
        assert!(
            entry.contains(&format!("Default {shown}"))
                || entry.contains(&format!("Default\n.B {shown}"))
                || entry.contains(&format!("Default\n.BR {shown}"))
                || entry.contains(&format!("Default\n.I {shown}"))
                || entry.contains(&format!("Default\n.IR {shown}")),
            "man/metalogger.cfg.5: {} lacks its default {shown}:\n{entry}",
            o.name
        );
        assert_eq!(
            entry.contains("(reload)"),
            o.reloadable,
            "man/metalogger.cfg.5: {} reload mark",
            o.name
        );
    }
    for name in IGNORED_OPTIONS {
        assert!(
            page.contains(&format!(".B {name}\n")),
            "{name} not documented"
        );
    }
}
