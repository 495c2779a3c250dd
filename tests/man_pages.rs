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
