//! Why a metadata image could not be loaded.

use std::fmt;

use crate::format::metadata::{DecodeError, Tag};

/// A metadata file could not be loaded: either its bytes do not decode, or a record
/// breaks a rule the 3.0.117 loader enforces (without `-i`).
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum LoadError {
    /// The bytes are not a valid metadata file.
    Decode(DecodeError),
    /// A record was refused by a loader rule.
    Rule {
        section: Tag,
        /// Absolute offset of the refused record (or of the section, for rules checked
        /// after a whole section was read).
        offset: u64,
        reason: String,
    },
    /// The sections load, but the tree they describe is not one (no root, an orphaned
    /// node, a directory cycle).
    Tree { reason: String },
}

impl LoadError {
    /// A rule violation at a record.
    pub fn rule(section: Tag, offset: u64, reason: impl Into<String>) -> Self {
        LoadError::Rule {
            section,
            offset,
            reason: reason.into(),
        }
    }
}

impl From<DecodeError> for LoadError {
    fn from(e: DecodeError) -> Self {
        LoadError::Decode(e)
    }
}

impl fmt::Display for LoadError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        match self {
            LoadError::Decode(e) => e.fmt(f),
            LoadError::Rule {
                section,
                offset,
                reason,
            } => {
                write!(f, "section {section}, byte {offset}: {reason}")
            }
            LoadError::Tree { reason } => write!(f, "consistency check: {reason}"),
        }
    }
}

impl std::error::Error for LoadError {}
