//! MooseFS version numbers as they travel in REGISTER and VERSION (spec §1.2).
//!
//! `u32 = major·0x10000 + mid·0x100 + minor·2` for major > 1 (`VERSION2INT` in
//! `configure.ac`); an odd low byte marks a "Pro" build. On the wire it is
//! `{ major:u16 | mid:u8 | minor×2:u8 }`, the same 4 bytes as the u32 big-endian.

use std::fmt;

/// A MooseFS version in its wire form.
#[derive(Clone, Copy, Debug, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct Version(pub u32);

impl Version {
    /// 3.0.117, which this crate speaks: `00 03 00 EA`.
    pub const V3_0_117: Version = Version(0x0003_00EA);

    /// The wire form of `major.mid.minor` (community build); `None` if `minor` does not
    /// fit (it is doubled when `major > 1`).
    pub fn new(major: u16, mid: u8, minor: u8) -> Option<Version> {
        let low = if major > 1 {
            minor.checked_mul(2)?
        } else {
            minor
        };
        Some(Version(
            (u32::from(major) << 16) | (u32::from(mid) << 8) | u32::from(low),
        ))
    }

    pub fn major(self) -> u16 {
        (self.0 >> 16) as u16
    }

    pub fn mid(self) -> u8 {
        (self.0 >> 8) as u8
    }

    pub fn minor(self) -> u8 {
        let low = self.0 as u8;
        if self.major() > 1 {
            low >> 1
        } else {
            low
        }
    }

    /// An odd low byte ("Pro" build), for major > 1.
    pub fn is_pro(self) -> bool {
        self.major() > 1 && self.0 & 1 == 1
    }
}

impl fmt::Display for Version {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}.{}.{}", self.major(), self.mid(), self.minor())?;
        if self.is_pro() {
            write!(f, " PRO")?;
        }
        Ok(())
    }
}
