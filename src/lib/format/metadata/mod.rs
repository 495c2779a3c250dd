//! The `metadata.mfs` file.
