//! Changelog lines (see `changelog-format.md`).
