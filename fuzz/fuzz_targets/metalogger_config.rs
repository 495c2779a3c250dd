//! Arbitrary bytes as an `mfsmetalogger.cfg`: parsing and applying the 3.0.117 defaults
//! and limits must never panic, the limits must hold whatever the file says, and a reload
//! from the result must not change the options a reload keeps.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfsmeta::metalogger::config::{Config, ConfigFile};

fuzz_target!(|data: &[u8]| {
    let file = ConfigFile::parse("fuzz.cfg", data);
    let loaded = Config::from_file(&file);
    let c = &loaded.config;
    assert!(c.master_timeout >= 10, "MASTER_TIMEOUT below 10: {c:?}");
    assert!(
        (5..=10000).contains(&c.back_logs),
        "BACK_LOGS out of range: {c:?}"
    );
    assert!(
        c.back_meta_keep_previous <= 99,
        "BACK_META_KEEP_PREVIOUS over 99: {c:?}"
    );
    assert!(
        c.meta_download_freq <= c.back_logs / 2,
        "META_DOWNLOAD_FREQ over BACK_LOGS/2: {c:?}"
    );
    assert!(c.file_umask <= 0o77, "FILE_UMASK not masked: {c:?}");
    let again = c.reloaded(c);
    assert_eq!(&again, c, "reloading the same values changed them");
});
