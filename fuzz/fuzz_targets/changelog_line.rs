//! Arbitrary bytes as one changelog line: parsing must never panic, and a
//! line that parses must format to text that parses back to the same value
//! and formats identically (format(parse(format(x))) == format(x)).

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfsmeta::format::changelog::parse_line;

fuzz_target!(|data: &[u8]| {
    let Ok(line) = parse_line(data) else {
        return;
    };
    let mut first = Vec::new();
    line.write_to(&mut first);
    let again = match parse_line(&first) {
        Ok(again) => again,
        Err(e) => panic!(
            "{:?} formats as {:?}, which does not parse: {e}",
            data.escape_ascii().to_string(),
            first.escape_ascii().to_string()
        ),
    };
    assert_eq!(
        again,
        line,
        "reparse differs for {:?}",
        data.escape_ascii().to_string()
    );
    let mut second = Vec::new();
    again.write_to(&mut second);
    assert_eq!(
        first,
        second,
        "format is not stable for {:?}",
        data.escape_ascii().to_string()
    );
});
