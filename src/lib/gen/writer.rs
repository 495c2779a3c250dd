//! Changelog lines written as the master writes them (`id: ts|OP(args)[:result]`),
//! into files rotated every [`LINES_PER_FILE`] lines like the master's
//! `changelog.N.mfs` rotation (`changelog.0.mfs` holds the newest lines).

use std::fs::File;
use std::io::{self, Write};
use std::path::{Path, PathBuf};

use super::sink::{ChunkWrite, Clock, CreateKind, Name, Sink};

/// Lines per changelog file before rotation.
pub const LINES_PER_FILE: u64 = 1_000_000;

/// Flush the line buffer to the file once it holds this many bytes.
const FLUSH_AT: usize = 1 << 20;

/// Appends changelog lines; one buffer reused for every line.
pub struct ChangelogWriter {
    dir: PathBuf,
    buf: Vec<u8>,
    /// Keep every line in `buf` instead of writing files.
    in_memory: bool,
    file: Option<File>,
    /// Finished and current part files, oldest first.
    parts: Vec<PathBuf>,
    lines_in_file: u64,
    /// Id and timestamp of the next line (the metadata version it creates is
    /// `next_id + 1`).
    pub clock: Clock,
}

impl ChangelogWriter {
    pub fn new(dir: &Path, first_id: u64, ts: u32) -> Self {
        ChangelogWriter {
            dir: dir.to_path_buf(),
            buf: Vec::with_capacity(FLUSH_AT + 4096),
            in_memory: false,
            file: None,
            parts: Vec::new(),
            lines_in_file: 0,
            clock: Clock {
                next_id: first_id,
                ts,
            },
        }
    }

    /// A writer that keeps all lines in memory (see [`Self::into_bytes`]).
    pub fn in_memory(first_id: u64, ts: u32) -> Self {
        let mut w = ChangelogWriter::new(Path::new(""), first_id, ts);
        w.in_memory = true;
        w
    }

    /// The lines so far of an [`Self::in_memory`] writer.
    pub fn buffered(&self) -> &[u8] {
        &self.buf
    }

    /// The lines of an [`Self::in_memory`] writer.
    pub fn into_bytes(self) -> Vec<u8> {
        self.buf
    }

    /// Starts a line: `id: ts|NAME(`. Follow with arguments and [`Self::end`].
    pub fn begin(&mut self, name: &str) -> io::Result<&mut Self> {
        if !self.in_memory && (self.file.is_none() || self.lines_in_file >= LINES_PER_FILE) {
            self.rotate()?;
        }
        let Clock { next_id: id, ts } = self.clock;
        self.num(id).text(b": ").num(u64::from(ts)).text(b"|");
        self.text(name.as_bytes()).text(b"(");
        Ok(self)
    }

    pub fn text(&mut self, t: &[u8]) -> &mut Self {
        self.buf.extend_from_slice(t);
        self
    }

    pub fn num(&mut self, v: u64) -> &mut Self {
        let mut tmp = [0u8; 20];
        let mut i = tmp.len();
        let mut v = v;
        loop {
            i -= 1;
            tmp[i] = b'0' + (v % 10) as u8;
            v /= 10;
            if v == 0 {
                break;
            }
        }
        self.buf.extend_from_slice(&tmp[i..]);
        self
    }

    /// `,v`
    pub fn and(&mut self, v: u64) -> &mut Self {
        self.text(b",").num(v)
    }

    /// A name `prefix` + `n` (only characters the master does not escape).
    pub fn name(&mut self, prefix: &[u8], n: u64) -> &mut Self {
        self.text(prefix).num(n)
    }

    /// A generated [`Name`].
    pub fn gen_name(&mut self, name: Name) -> &mut Self {
        self.name(&[name.prefix], name.number)
    }

    /// Ends the line: `)` or `):result`.
    pub fn end(&mut self, result: Option<u64>) -> io::Result<()> {
        self.text(b")");
        if let Some(r) = result {
            self.text(b":").num(r);
        }
        self.text(b"\n");
        self.clock.next_id += 1;
        self.lines_in_file += 1;
        if !self.in_memory && self.buf.len() >= FLUSH_AT {
            self.flush()?;
        }
        Ok(())
    }

    fn flush(&mut self) -> io::Result<()> {
        if let Some(f) = self.file.as_mut() {
            f.write_all(&self.buf)?;
        }
        self.buf.clear();
        Ok(())
    }

    fn rotate(&mut self) -> io::Result<()> {
        self.flush()?;
        let path = self
            .dir
            .join(format!("changelog.part{}.tmp", self.parts.len()));
        self.file = Some(File::create(&path)?);
        self.parts.push(path);
        self.lines_in_file = 0;
        Ok(())
    }

    /// Flushes and names the files as the master does: the newest is
    /// `changelog.0.mfs`, older ones `changelog.1.mfs`, …. Returns them oldest first.
    pub fn finish(mut self) -> io::Result<Vec<PathBuf>> {
        self.flush()?;
        // No fsync: these are benchmark inputs, not a file system's only copy.
        self.file = None;
        let count = self.parts.len();
        let mut out = Vec::with_capacity(count);
        for (i, part) in self.parts.iter().enumerate() {
            let path = self.dir.join(format!("changelog.{}.mfs", count - 1 - i));
            std::fs::rename(part, &path)?;
            out.push(path);
        }
        Ok(out)
    }
}

/// Owner of everything the workload makes.
pub const UID: u64 = 1000;
/// Group of everything the workload makes.
pub const GID: u64 = 1000;
/// `cumask` the master logs for a client with umask 022.
pub const CUMASK: u64 = 18;

/// The lines, in the argument formats of real 3.0.117 changelogs (`testdata/real/`).
impl Sink for ChangelogWriter {
    fn clock(&mut self) -> &mut Clock {
        &mut self.clock
    }

    fn session(&mut self, id: u64) -> io::Result<()> {
        self.begin("SESADD")?
            .text(b"#18432386147808961246,1,8,0000,0,0,999,999,1,9,0,4294967295,0x00000000,2130706433,/mnt/bench")
            .num(id)
            .end(Some(id))
    }

    fn create(&mut self, parent: u32, name: Name, kind: CreateKind, inode: u32) -> io::Result<()> {
        let type_and_mode: &[u8] = match kind {
            CreateKind::Directory => b",2,493",
            CreateKind::File => b",1,420",
        };
        self.begin("CREATE")?
            .num(u64::from(parent))
            .text(b",")
            .gen_name(name)
            .text(type_and_mode)
            .and(CUMASK)
            .and(UID)
            .and(GID)
            .and(0)
            .end(Some(u64::from(inode)))
    }

    fn symlink(&mut self, parent: u32, name: Name, target: u64, inode: u32) -> io::Result<()> {
        self.begin("SYMLINK")?
            .num(u64::from(parent))
            .text(b",")
            .gen_name(name)
            .text(b",../data/f")
            .num(target)
            .and(UID)
            .and(GID)
            .end(Some(u64::from(inode)))
    }

    fn link(&mut self, inode: u32, parent: u32, name: Name) -> io::Result<()> {
        self.begin("LINK")?
            .num(u64::from(inode))
            .and(u64::from(parent))
            .text(b",")
            .gen_name(name)
            .end(None)
    }

    fn acquire(&mut self, session: u64, inode: u32) -> io::Result<()> {
        self.begin("ACQUIRE")?
            .num(session)
            .and(u64::from(inode))
            .end(None)
    }

    fn release(&mut self, session: u64, inode: u32) -> io::Result<()> {
        self.begin("RELEASE")?
            .num(session)
            .and(u64::from(inode))
            .end(None)
    }

    fn write_chunk(
        &mut self,
        inode: u32,
        index: u32,
        how: ChunkWrite,
        chunk: u64,
    ) -> io::Result<()> {
        let opflag = match how {
            ChunkWrite::New => 1,
            ChunkWrite::Rewrite => 0,
        };
        self.begin("WRITE")?
            .num(u64::from(inode))
            .and(u64::from(index))
            .and(opflag)
            .and(0)
            .end(Some(chunk))
    }

    fn length(&mut self, inode: u32, length: u64, canmodmtime: bool) -> io::Result<()> {
        self.begin("LENGTH")?
            .num(u64::from(inode))
            .and(length)
            .and(u64::from(canmodmtime))
            .end(None)
    }

    fn unlock(&mut self, chunk: u64) -> io::Result<()> {
        self.begin("UNLOCK")?.num(chunk).end(None)
    }

    fn setxattr(&mut self, inode: u32, key: u64, value: u64) -> io::Result<()> {
        self.begin("SETXATTR")?
            .num(u64::from(inode))
            .text(b",user.k")
            .num(key)
            .text(b",v")
            .num(value)
            .text(b",0")
            .end(None)
    }
}
