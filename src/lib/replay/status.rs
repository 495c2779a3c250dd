//! MooseFS status codes, as replay returns them (`MFS_ERROR_*` of 3.0.117).

use std::fmt;

/// A status code a changelog operation can fail with. The numbers are MooseFS's own,
/// so messages can quote them as `mfsmaster` does.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash)]
pub struct Status(pub u8);

impl Status {
    pub const EPERM: Status = Status(1);
    pub const ENOTDIR: Status = Status(2);
    pub const ENOENT: Status = Status(3);
    pub const EEXIST: Status = Status(5);
    pub const EINVAL: Status = Status(6);
    pub const ENOTEMPTY: Status = Status(7);
    pub const CHUNKLOST: Status = Status(8);
    pub const INDEXTOOBIG: Status = Status(10);
    pub const LOCKED: Status = Status(11);
    pub const NOCHUNK: Status = Status(13);
    pub const CHUNKBUSY: Status = Status(14);
    pub const WRONGVERSION: Status = Status(19);
    pub const CHUNKEXIST: Status = Status(20);
    pub const CANTCREATEPATH: Status = Status(31);
    pub const MISMATCH: Status = Status(32);
    pub const QUOTA: Status = Status(34);
    pub const BADSESSIONID: Status = Status(35);
    pub const ENOATTR: Status = Status(38);
    pub const ERANGE: Status = Status(40);
    pub const NOTFOUND: Status = Status(41);
    pub const ACTIVE: Status = Status(42);
    pub const CLASSEXISTS: Status = Status(50);
    pub const CLASSLIMITREACH: Status = Status(51);
    pub const NOSUCHCLASS: Status = Status(52);
    pub const CLASSINUSE: Status = Status(53);

    /// MooseFS's text for the code (`mfsstrerr`).
    pub fn text(self) -> &'static str {
        match self.0 {
            0 => "OK",
            1 => "Operation not permitted",
            2 => "Not a directory",
            3 => "No such file or directory",
            4 => "Permission denied",
            5 => "File exists",
            6 => "Invalid argument",
            7 => "Directory not empty",
            8 => "Chunk lost",
            9 => "Out of memory",
            10 => "Index too big",
            11 => "Chunk locked",
            12 => "No chunk servers",
            13 => "No such chunk",
            14 => "Chunk is busy",
            15 => "Incorrect register BLOB",
            16 => "Operation not completed",
            17 => "File not opened",
            18 => "Write not started",
            19 => "Wrong chunk version",
            20 => "Chunk already exists",
            21 => "No space left",
            22 => "IO error",
            23 => "Incorrect block number",
            24 => "Incorrect size",
            25 => "Incorrect offset",
            26 => "Can't connect",
            27 => "Incorrect chunk id",
            28 => "Disconnected",
            29 => "CRC error",
            30 => "Operation delayed",
            31 => "Can't create path",
            32 => "Data mismatch",
            33 => "Read-only file system",
            34 => "Quota exceeded",
            35 => "Bad session id",
            36 => "Password is needed",
            37 => "Incorrect password",
            38 => "Attribute not found",
            39 => "Operation not supported",
            40 => "Result too large",
            41 => "Entity not found",
            42 => "Entity is active",
            43 => "Chunkserver not present",
            44 => "Waiting on lock",
            45 => "Resource temporarily unavailable",
            46 => "Interrupted system call",
            47 => "Operation canceled",
            48 => "No such file or directory (not cacheable)",
            49 => "Operation not permitted (mfs admin only)",
            50 => "Class name already in use",
            51 => "Maximum number of classes reached",
            52 => "No such class",
            53 => "Class in use",
            _ => "Unknown MFS error",
        }
    }
}

impl fmt::Display for Status {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{} ({})", self.0, self.text())
    }
}

impl From<u8> for Status {
    fn from(code: u8) -> Self {
        Status(code)
    }
}
