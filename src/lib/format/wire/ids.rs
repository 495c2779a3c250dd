//! Message type ids of the metalogger connection (`mfscommon/MFSCommunication.h`,
//! `PROTO_BASE` = 0; spec §2). `ANTOAN` = any to any, `ANTOMA` = metalogger to master,
//! `MATOAN` = master to metalogger.

/// Keep-alive, both ways. Any payload is ignored.
pub const ANTOAN_NOP: u32 = 0;
/// Reserved, both ways: accepted and ignored, never sent by 3.0.117.
pub const ANTOAN_UNKNOWN_COMMAND: u32 = 1;
/// Reserved, both ways: accepted and ignored, never sent by 3.0.117.
pub const ANTOAN_BAD_COMMAND_SIZE: u32 = 2;
/// Metalogger asks for the master's version (the 3.0.117 metalogger never does).
pub const ANTOAN_GET_VERSION: u32 = 10;
/// The master's version (answer to [`ANTOAN_GET_VERSION`]).
pub const ANTOAN_VERSION: u32 = 11;
/// Metalogger registration, the first frame of every connection.
pub const ANTOMA_REGISTER: u32 = 50;
/// A change record, or the hourly rotation mark.
pub const MATOAN_METACHANGES_LOG: u32 = 51;
/// Start of a file download.
pub const ANTOMA_DOWNLOAD_START: u32 = 60;
/// The size of the file to download, or an error.
pub const MATOAN_DOWNLOAD_INFO: u32 = 61;
/// Request for one block of the file.
pub const ANTOMA_DOWNLOAD_REQUEST: u32 = 62;
/// One block of the file, with its CRC-32.
pub const MATOAN_DOWNLOAD_DATA: u32 = 63;
/// End of a download.
pub const ANTOMA_DOWNLOAD_END: u32 = 64;
/// Metalogger asks for a master config value (the 3.0.117 metalogger never does).
pub const ANTOAN_GET_CONFIG: u32 = 80;
/// A master config value (answer to [`ANTOAN_GET_CONFIG`]).
pub const ANTOAN_CONFIG_VALUE: u32 = 81;
