//! Helpers for the replay families' unit tests: an empty file system ready for replay,
//! and replaying changelog text over it.

use bumpalo::Bump;

use crate::format::changelog::parse_line;
use crate::model::image::Image;

use super::{apply, Applied, Replay};

/// The time the test file system was made.
pub const T0: u32 = 1_700_000_000;

/// An empty file system (root only) made at `T0`, prepared for replay.
pub fn empty_image<'a>() -> Image<'a> {
    let mut image = Image::new_empty(T0);
    image.prepare_replay();
    image
}

/// Parses one changelog line (`ID: TS|OP(...)...`) and replays it.
pub fn apply_line<'a>(image: &mut Image<'a>, arena: &'a Bump, line: &str) -> Applied {
    let text = arena.alloc_str(line);
    let parsed = parse_line(text.as_bytes()).unwrap_or_else(|e| panic!("{line}: {e}"));
    let mut r = Replay { image, arena };
    apply(&mut r, parsed.ts, &parsed.op)
}

/// Replays every line of `text` over an empty file system: all but the last must
/// succeed with one version increment; returns the image and the last line's result.
pub fn replay_text<'a>(arena: &'a Bump, text: &str) -> (Image<'a>, Applied) {
    let mut image = empty_image();
    let lines: Vec<&str> = text
        .lines()
        .map(str::trim)
        .filter(|l| !l.is_empty())
        .collect();
    let mut last = Ok(0);
    for (i, line) in lines.iter().enumerate() {
        last = apply_line(&mut image, arena, line);
        if i + 1 < lines.len() {
            assert_eq!(last, Ok(1), "{line}");
        }
    }
    (image, last)
}

/// The result of the last line of `text` (see [`replay_text`]).
pub fn last_status(text: &str) -> Applied {
    let arena = Bump::new();
    replay_text(&arena, text).1
}
