//! `metarestore -m IN -o OUT` decides like the real `mfsmaster -a restore` on handmade
//! inputs, and writes the same bytes when both accept.
//!
//! The inputs are written byte by byte by `support/handmade.rs` (not by our codec):
//! every older file format and section version the 3.0.117 loader accepts, and current
//! versions with awkward content (hash collisions in every hash-ordered section, names
//! and symlinks that must be cut, duplicate records the master keeps, all-ones section
//! lengths, sections in another order, …). Each case runs the real master's restore and
//! ours on the same file:
//!
//! * [`Expect::Same`]: both succeed and the outputs (`metadata.mfs` and `metadata.crc`)
//!   are byte-identical; on a difference the sorted `mfsmetadump` lines are shown.
//! * [`Expect::SameButSessionTimes`]: the same, after blanking the disconnection time
//!   of sessions, which the master takes from its clock for very old session records.
//! * [`Expect::Refused`]: the master fails, and ours exits non-zero naming the input
//!   file and a section or byte offset, leaving no output file.
//!
//! A few representative inputs also go through `support::compare_snapshot_restore`,
//! which adds a real master start on our output. Cases where we knowingly differ from
//! the master have their own `#[ignore]`d test each.

#[path = "support/handmade.rs"]
mod handmade;
mod harness;
mod support;

use std::path::Path;
use std::process::Command;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::Mutex;
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use handmade::*;
use harness::oracle::{mfsmaster_restore, mfsmetadump_normalized};
use harness::TempDir;

/// What both programs must do with a case's input.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    /// Both accept; identical output bytes and `metadata.crc`.
    Same,
    /// Both accept; identical after blanking session disconnection times (which must be
    /// the time of the run: the master's clock stands in for a value old files lack).
    SameButSessionTimes,
    /// Both refuse.
    Refused,
}

/// One handmade input.
struct Case {
    name: &'static str,
    expect: Expect,
    /// The metadata file.
    input: Vec<u8>,
    /// Files put next to the master's copy only (e.g. a legacy `sessions.mfs`).
    master_extra: Vec<(&'static str, Vec<u8>)>,
}

fn case(name: &'static str, expect: Expect, input: Vec<u8>) -> Case {
    Case {
        name,
        expect,
        input,
        master_extra: Vec::new(),
    }
}

fn same(name: &'static str, file: MetaFile) -> Case {
    case(name, Expect::Same, file.bytes())
}

fn refused(name: &'static str, file: MetaFile) -> Case {
    case(name, Expect::Refused, file.bytes())
}

// ---------------------------------------------------------------------------------------
// The sample file system every case starts from.

/// Far in the future (2096): a chunk lock that is still on when the output is written.
const FUTURE: u32 = 4_000_000_000;
const EDGE_BASE: u64 = 0x7FFF_FFFF_FFFF_F000;

/// The records of a small but complete file system, in current-version terms. Cases
/// change them and then write the file with [`Sample::file`] (current versions) or with
/// section functions of their own.
#[derive(Clone)]
struct Sample {
    version: u64,
    meta_id: u64,
    next_session_id: u32,
    sessions: Vec<Sess>,
    classes: Vec<Class>,
    max_node_id: u32,
    nodes: Vec<Node>,
    next_edge_id: u64,
    edges: Vec<Edge>,
    free: Vec<(u32, u32)>,
    quotas: Vec<Quota>,
    xattrs: Vec<(u32, Vec<u8>, Vec<u8>)>,
    acls: Vec<Acl>,
    open: Vec<(u32, u32)>,
    flocks: Vec<(u32, u64, u32, u8)>,
    plocks: Vec<Plock>,
    servers: Vec<Cs>,
    next_chunk_id: u64,
    chunks: Vec<Chunk>,
}

fn file_data(length: u64, chunks: &[u64]) -> FileData {
    FileData {
        length,
        chunks: chunks.to_vec(),
        sessions: Vec::new(),
    }
}

/// Edges with ids counting up from [`EDGE_BASE`] in list order (as the master stores
/// them: each child list sorted by ascending id).
fn numbered(list: &[(u32, u32, &[u8])]) -> Vec<Edge> {
    list.iter()
        .enumerate()
        .map(|(i, (p, c, n))| edge(*p, *c, EDGE_BASE + i as u64, n))
        .collect()
}

fn sample() -> Sample {
    let mut root = Node::dir(1);
    root.mode = 0o777;
    root.uid = 0;
    root.gid = 0;
    let mut deep = Node::file(13, 70_000_000, &[5, 6]);
    deep.sclass = 10;
    let nodes = vec![
        root,
        Node::dir(2),
        Node::file(3, 100, &[1, 2]),
        Node::new(4, Kind::Symlink(b"docs/a.txt".to_vec())),
        Node::new(5, Kind::Fifo),
        Node::new(6, Kind::BlockDev(0x0801)),
        Node::new(7, Kind::CharDev(0x0400)),
        Node::new(8, Kind::Socket),
        Node::new(9, Kind::Trash(file_data(10, &[3]))),
        Node::new(10, Kind::Sustained(file_data(0, &[]))),
        Node::file(11, 0, &[]),
        Node::dir(12),
        deep,
    ];
    let edges = numbered(&[
        (1, 2, b"docs"),
        (1, 4, b"link"),
        (1, 6, b"sda"),
        (1, 7, b"tty"),
        (1, 8, b"sock"),
        (1, 11, b"h1"),
        (2, 3, b"a.txt"),
        (2, 5, b"fifo"),
        (2, 11, b"h2"),
        (2, 12, b"sub"),
        (12, 13, b"deep"),
        (0, 9, b"old/gone.txt"),
        (0, 10, b"open/deleted.bin"),
    ]);
    let mut no_mask = Acl::new(3, 1);
    no_mask.mask = 0xFFFF;
    no_mask.users.clear();
    Sample {
        version: 1234,
        meta_id: 0x0102_0304_0506_0708,
        next_session_id: 3,
        sessions: vec![
            Sess {
                id: 1,
                disconnected: 0,
                info: b"/mnt/a".to_vec(),
                ..Sess::default()
            },
            Sess {
                id: 2,
                info: Vec::new(),
                ..Sess::default()
            },
        ],
        classes: vec![Class::new(10, b"fast", 2)],
        max_node_id: 20,
        nodes,
        next_edge_id: EDGE_BASE - 1,
        edges,
        free: vec![(14, 1_650_000_000), (20, 1_650_000_100)],
        quotas: vec![Quota {
            inode: 2,
            grace_period: 3600,
            flags: 0x11,
            sinodes: 100,
            hinodes: 200,
            ..Quota::default()
        }],
        xattrs: vec![
            (3, b"user.a".to_vec(), b"x".to_vec()),
            (2, b"user.b".to_vec(), Vec::new()),
        ],
        acls: vec![Acl::new(2, 1), Acl::new(2, 2), no_mask],
        open: vec![(1, 3), (1, 11), (2, 10)],
        flocks: vec![(3, 7, 1, 0), (3, 8, 1, 0)],
        plocks: vec![plock(11, 1, 9, 0, 100, 1), plock(11, 1, 9, 200, 300, 2)],
        servers: vec![
            Cs {
                ip: 0x0A00_0001,
                port: 9422,
                csid: 1,
                maintenance: 0,
                maintenance_timeout: 0,
            },
            Cs {
                ip: 0x0A00_0002,
                port: 9422,
                csid: 2,
                maintenance: 1,
                maintenance_timeout: 1234,
            },
        ],
        next_chunk_id: 10,
        chunks: vec![
            chunk(1, 1),
            Chunk {
                arch_flag: 1,
                ..chunk(2, 2)
            },
            chunk(3, 5),
            chunk(4, 1),
            chunk(5, 1),
            chunk(6, 3),
        ],
    }
}

impl Sample {
    fn xattr_refs(&self) -> Vec<(u32, &[u8], &[u8])> {
        self.xattrs
            .iter()
            .map(|(i, n, v)| (*i, n.as_slice(), v.as_slice()))
            .collect()
    }

    /// The file in 3.0.117's own versions and section order.
    fn file(&self) -> MetaFile {
        MetaFile::v2(self.version, self.meta_id)
            .with(sess(0x15, self.next_session_id, 16, &self.sessions))
            .with(scla(0x16, 4, &self.classes))
            .with(node(0x14, self.max_node_id, None, &self.nodes))
            .with(edges(0x11, self.next_edge_id, &self.edges))
            .with(free(&self.free))
            .with(quot(0x11, &self.quotas))
            .with(xatr(&self.xattr_refs()))
            .with(pacl(0x11, &self.acls))
            .with(open(0x10, &self.open))
            .with(flck(0x10, &self.flocks))
            .with(plck(0x10, &self.plocks))
            .with(csdb(0x13, &self.servers))
            .with(chnk(0x11, self.next_chunk_id, &self.chunks))
    }

    /// Adds a plain file `inode` named `name` in the root directory.
    fn add_root_file(&mut self, inode: u32, name: &[u8]) {
        self.nodes.push(Node::file(inode, 0, &[]));
        let id = self.root_edge_id();
        self.edges
            .insert(self.root_run_end(), edge(1, inode, id, name));
        self.max_node_id = self.max_node_id.max(inode);
    }

    /// An edge id above every other (root edges must come in ascending id order).
    fn root_edge_id(&self) -> u64 {
        self.edges.iter().map(|e| e.id).max().unwrap_or(EDGE_BASE) + 1
    }

    /// The index after the last root edge of the leading root run.
    fn root_run_end(&self) -> usize {
        self.edges
            .iter()
            .position(|e| e.parent != 1)
            .unwrap_or(self.edges.len())
    }

    fn node_mut(&mut self, inode: u32) -> &mut Node {
        self.nodes
            .iter_mut()
            .find(|n| n.inode == inode)
            .expect("node in sample")
    }
}

// ---------------------------------------------------------------------------------------
// Running one case.

fn now() -> u32 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32)
}

/// How long our restore of a small file may take (a hang is a failure, not a stuck test).
const OURS_TIMEOUT: Duration = Duration::from_secs(20);

/// What our `metarestore -m input -o dir/metadata.mfs` did.
struct Ours {
    success: bool,
    stderr: String,
    /// The files it left in `dir`.
    files: Vec<String>,
}

fn run_ours(input: &Path, dir: &Path) -> Result<Ours, String> {
    let output = dir.join("metadata.mfs");
    let mut cmd = Command::new(env!("CARGO_BIN_EXE_metarestore"));
    cmd.arg("-m").arg(input).arg("-o").arg(&output);
    let out = harness::proc::run(&mut cmd, "metarestore -m", OURS_TIMEOUT)
        .map_err(|e| format!("our metarestore did not finish: {e}"))?;
    let mut files: Vec<String> = std::fs::read_dir(dir)
        .map_err(|e| e.to_string())?
        .flatten()
        .map(|e| e.file_name().to_string_lossy().into_owned())
        .collect();
    files.sort();
    Ok(Ours {
        success: out.status.success(),
        stderr: out.stderr_text(),
        files,
    })
}

/// Session disconnection times in a 3.0.117 output (`SESS` 1.5 is its first section):
/// checks each is 0 or a time in `[from, to]` (the run), and sets the latter to 0.
fn blank_session_times(bytes: &mut [u8], from: u32, to: u32) -> Result<(), String> {
    const SESS_BODY: usize = 24 + 16;
    const RECORD: usize = 61 + 16 * 8;
    const DISCONNECTED: usize = 57;
    let be32 = |b: &[u8], at: usize| -> Option<u32> {
        Some(u32::from_be_bytes(b.get(at..at + 4)?.try_into().ok()?))
    };
    if bytes.get(24..32) != Some(b"SESS 1.5".as_slice()) {
        return Err("output does not start with SESS 1.5".into());
    }
    let mut at = SESS_BODY + 6;
    loop {
        let id = be32(bytes, at).ok_or("SESS cut short")?;
        if id == 0 {
            return Ok(());
        }
        let ileng = be32(bytes, at + 12).ok_or("SESS cut short")? as usize;
        let d = at + DISCONNECTED;
        let t = be32(bytes, d).ok_or("SESS cut short")?;
        if (from..=to).contains(&t) {
            bytes[d..d + 4].fill(0);
        } else if t != 0 {
            return Err(format!(
                "session {id}: disconnection time {t} is neither 0 nor the time of the run \
                 ({from}..={to})"
            ));
        }
        at += RECORD + ileng;
    }
}

/// The first byte where `a` and `b` differ, and the section of `a` it falls in.
fn first_difference(a: &[u8], b: &[u8]) -> String {
    let Some(at) = a
        .iter()
        .zip(b)
        .position(|(x, y)| x != y)
        .or_else(|| (a.len() != b.len()).then_some(a.len().min(b.len())))
    else {
        return "no difference".into();
    };
    let mut pos = 24;
    let mut section = "header".to_string();
    while pos + 16 <= a.len() && pos <= at {
        if &a[pos..pos + 16] == END_MARKER {
            section = "end marker".into();
            break;
        }
        let len = u64::from_be_bytes(a[pos + 8..pos + 16].try_into().unwrap()) as usize;
        section = String::from_utf8_lossy(&a[pos..pos + 8]).into_owned();
        pos += 16 + len;
    }
    format!(
        "byte {at} (in {section}; lengths {} and {})",
        a.len(),
        b.len()
    )
}

/// Runs the master and ours on `case` and checks the expectation.
fn check_case(case: &Case) -> Result<(), String> {
    let tmp = TempDir::new("handmade").map_err(|e| e.to_string())?;
    let input = tmp.path().join("input.mfs");
    std::fs::write(&input, &case.input).map_err(|e| e.to_string())?;

    let theirs_dir = tmp.path().join("theirs");
    std::fs::create_dir(&theirs_dir).map_err(|e| e.to_string())?;
    std::fs::write(theirs_dir.join("metadata.mfs"), &case.input).map_err(|e| e.to_string())?;
    for (name, bytes) in &case.master_extra {
        std::fs::write(theirs_dir.join(name), bytes).map_err(|e| e.to_string())?;
    }
    let from = now();
    let theirs = mfsmaster_restore(&theirs_dir);
    let ours_dir = tmp.path().join("ours");
    std::fs::create_dir(&ours_dir).map_err(|e| e.to_string())?;
    let ours = run_ours(&input, &ours_dir)?;
    let to = now();

    match case.expect {
        Expect::Refused => {
            if let Ok(path) = &theirs {
                return Err(format!(
                    "the real mfsmaster accepts this input (wrote {} bytes); ours {}",
                    std::fs::metadata(path).map_or(0, |m| m.len()),
                    if ours.success { "too" } else { "refuses it" }
                ));
            }
            if ours.success {
                return Err("the master refuses this input, but our metarestore accepts it".into());
            }
            let named = ours.stderr.contains(&input.display().to_string());
            // A record-level refusal names the section and byte; the checks run after
            // every section was read (root, orphans, directory cycles) name the rule.
            let located = ours.stderr.contains("section ")
                || ours.stderr.contains("byte ")
                || ours.stderr.contains("consistency check: ");
            if !named || !located {
                return Err(format!(
                    "our error must name the file and a section or byte offset: {}",
                    ours.stderr.trim()
                ));
            }
            if !ours.files.is_empty() {
                return Err(format!("our failed restore left files: {:?}", ours.files));
            }
            if std::env::var_os("MFSMETA_SHOW_CASES").is_some() {
                eprintln!("[{}] ours: {}", case.name, ours.stderr.trim());
            }
            Ok(())
        }
        Expect::Same | Expect::SameButSessionTimes => {
            let theirs = theirs.map_err(|e| {
                format!(
                    "the real mfsmaster refuses this input (ours {}): {e}",
                    if ours.success {
                        "accepts it"
                    } else {
                        "refuses it too"
                    }
                )
            })?;
            if !ours.success {
                return Err(format!(
                    "the master accepts this input, but our metarestore refuses it: {}",
                    ours.stderr.trim()
                ));
            }
            let ours_path = ours_dir.join("metadata.mfs");
            let mut bytes_theirs = std::fs::read(&theirs).map_err(|e| e.to_string())?;
            let mut bytes_ours = std::fs::read(&ours_path).map_err(|e| e.to_string())?;
            let crc_theirs = std::fs::read(theirs_dir.join("metadata.crc"))
                .map_err(|e| format!("master's metadata.crc: {e}"))?;
            let crc_ours = std::fs::read(ours_dir.join("metadata.crc"))
                .map_err(|e| format!("our metadata.crc: {e}"))?;
            let mut compare_crc = crc_theirs != crc_ours;
            if case.expect == Expect::SameButSessionTimes {
                blank_session_times(&mut bytes_theirs, from, to)
                    .map_err(|e| format!("master's output: {e}"))?;
                blank_session_times(&mut bytes_ours, from, to)
                    .map_err(|e| format!("our output: {e}"))?;
                // The SESS record (8 bytes at 8..16) depends on the times.
                compare_crc = crc_theirs.get(..8) != crc_ours.get(..8)
                    || crc_theirs.get(16..) != crc_ours.get(16..);
            }
            if bytes_theirs != bytes_ours {
                let diff = dump_difference(&theirs, &ours_path);
                return Err(format!(
                    "outputs differ at {}\n{diff}",
                    first_difference(&bytes_theirs, &bytes_ours)
                ));
            }
            if compare_crc {
                return Err("same bytes but metadata.crc differs".into());
            }
            Ok(())
        }
    }
}

/// The `mfsmetadump` lines only one of two files has (for failure messages).
fn dump_difference(theirs: &Path, ours: &Path) -> String {
    let (Ok(t), Ok(o)) = (mfsmetadump_normalized(theirs), mfsmetadump_normalized(ours)) else {
        return "(mfsmetadump failed on an output)".into();
    };
    let lines: Vec<String> = t
        .lines()
        .filter(|l| !o.contains(l))
        .map(|l| format!("  master: {l}"))
        .chain(
            o.lines()
                .filter(|l| !t.contains(l))
                .map(|l| format!("  ours:   {l}")),
        )
        .take(30)
        .collect();
    if lines.is_empty() {
        "same records, different order".into()
    } else {
        lines.join("\n")
    }
}

/// Checks every case, a few at a time, and reports all failures by name.
fn check_cases(cases: &[Case]) -> Result<(), String> {
    let next = AtomicUsize::new(0);
    let failures = Mutex::new(Vec::new());
    let workers = std::thread::available_parallelism()
        .map_or(2, |n| n.get())
        .clamp(2, 6);
    std::thread::scope(|s| {
        for _ in 0..workers {
            s.spawn(|| loop {
                let i = next.fetch_add(1, Ordering::Relaxed);
                let Some(case) = cases.get(i) else { break };
                let result = check_case(case);
                if std::env::var_os("MFSMETA_SHOW_CASES").is_some() {
                    eprintln!(
                        "[{}] {}",
                        case.name,
                        result.as_ref().err().map_or("ok", |e| e)
                    );
                }
                if let Err(why) = result {
                    failures
                        .lock()
                        .unwrap()
                        .push(format!("[{}] {why}", case.name));
                }
            });
        }
    });
    let mut failures = failures.into_inner().unwrap();
    failures.sort();
    eprintln!("{} cases checked, {} failed", cases.len(), failures.len());
    if failures.is_empty() {
        Ok(())
    } else {
        Err(format!(
            "{} of {} cases fail:\n{}",
            failures.len(),
            cases.len(),
            failures.join("\n\n")
        ))
    }
}

fn find<'a>(cases: &'a [Case], name: &str) -> &'a Case {
    cases
        .iter()
        .find(|c| c.name == name)
        .unwrap_or_else(|| panic!("no case {name}"))
}

// ---------------------------------------------------------------------------------------
// Accepted inputs: current versions with awkward content.

fn letters(n: usize) -> Vec<u8> {
    (0..n).map(|i| b'a' + (i % 26) as u8).collect()
}

fn session(id: u32) -> Sess {
    Sess {
        id,
        info: format!("/mnt/{id}").into_bytes(),
        ..Sess::default()
    }
}

fn cs(ip: u32, port: u16, csid: u16) -> Cs {
    Cs {
        ip,
        port,
        csid,
        maintenance: 0,
        maintenance_timeout: 0,
    }
}

/// Every section of 3.0.117 in its own version, with content that exercises the
/// master's record order and its quiet rules.
fn current_version_cases() -> Vec<Case> {
    let mut v = vec![same("sample", sample().file())];

    // SESS: eight sessions, six of them in hash bucket 5 (id mod 256); loading
    // prepends each to its bucket, so a load+store reverses them.
    let mut s = sample();
    s.sessions = [5, 261, 517, 6, 773, 1029, 4, 1285].map(session).to_vec();
    s.next_session_id = 2000;
    s.open = vec![(5, 3), (261, 11), (1285, 10)];
    s.flocks = vec![(3, 7, 5, 1)];
    s.plocks = vec![plock(11, 261, 9, 0, 100, 1)];
    v.push(same("sess-many-in-one-bucket", s.file()));

    // The same id twice: both records are kept and written.
    let mut s = sample();
    s.sessions.push(Sess {
        id: 1,
        info: b"second one".to_vec(),
        ..Sess::default()
    });
    v.push(same("sess-duplicate-id", s.file()));

    // Counter counts other than 16: extra counters are dropped, missing ones are 0.
    let s = sample();
    v.push(same(
        "sess-20-counters",
        s.file()
            .replace(sess(0x15, s.next_session_id, 20, &s.sessions)),
    ));
    v.push(same(
        "sess-3-counters",
        s.file()
            .replace(sess(0x15, s.next_session_id, 3, &s.sessions)),
    ));
    v.push(same(
        "sess-none",
        s.file()
            .replace(sess(0x15, 77, 16, &[]))
            .replace(open(0x10, &[]))
            .replace(flck(0x10, &[]))
            .replace(plck(0x10, &[])),
    ));

    // SCLA: user classes up to id 255, a redefined predefined class, every mode, all
    // label counts, masks in every or-group, the "any server" label.
    let mut s = sample();
    let mut archive = Class::new(40, b"archive", 1);
    archive.admin_only = 1;
    archive.mode = 2;
    archive.arch_delay = 36;
    archive.keep = (0..9).map(|i| [1 << i, 1 << (i + 9), 0, 1 << 25]).collect();
    archive.arch = vec![[0, 0, 0, 0], [3, 12, 48, 192], [0x3FF_FFFF, 0, 0, 0]];
    let mut loose = Class::new(255, &letters(255), 3);
    loose.mode = 0;
    s.classes = vec![
        Class::new(10, b"fast", 2),
        archive,
        Class::new(3, b"three", 4),
        loose,
        Class::new(12, b"twelve", 9),
    ];
    v.push(same("scla-user-classes", s.file()));
    // Fewer or-groups than 4: the missing masks are 0.
    let s2 = s.clone();
    v.push(same(
        "scla-two-orgroups",
        s2.file().replace(scla(0x16, 2, &s2.classes)),
    ));
    // The old tag name.
    let mut f = s.file();
    f.section_mut(b"SCLA").tag = *b"LABS";
    v.push(same("scla-tagged-labs", f));

    // An empty name for an id from 10 is named sclass_<id-9>, as in old versions.
    let mut s = sample();
    s.classes.push(Class::new(20, b"", 1));
    v.push(same("scla-user-class-empty-name", s.file()));

    // NODE: two inodes in one hash bucket (hash32 & 0xFFFFFF), newest first.
    let mut s = sample();
    let (a, b) = first_collision(100..2_000_000, |i| hash32(i) & 0xFF_FFFF);
    s.add_root_file(b, b"collision-b");
    s.add_root_file(a, b"collision-a");
    v.push(same("node-hash-collision", s.file()));
    // The node count hint sizes the master's hash table (2^25 and 2^26 buckets here),
    // which changes the record order; a hint of 0 means the default 2^24.
    let mut s = sample();
    for inode in [200, 300, 400, 500, 600, 700, 800, 900, 5000, 70000] {
        s.add_root_file(inode, format!("n{inode}").as_bytes());
    }
    for (name, hint) in [
        ("node-count-hint-2^24", 1 << 24),
        ("node-count-hint-2^25+5", (1 << 25) + 5),
        ("node-count-hint-0", 0),
    ] {
        v.push(same(
            name,
            s.file()
                .replace(node(0x14, s.max_node_id, Some(hint), &s.nodes)),
        ));
    }
    // Storage classes: an undefined class is kept on files and directories, and forced
    // to 0 on other types; mode bits above 07777 do not exist in the master.
    let mut s = sample();
    s.node_mut(3).sclass = 200;
    s.node_mut(2).sclass = 0;
    s.node_mut(4).sclass = 7;
    s.node_mut(5).sclass = 9;
    s.node_mut(6).eattr = 0xFF;
    s.node_mut(6).winattr = 0xA5;
    s.node_mut(7).mode = 0xFFFF;
    s.node_mut(2).mode = 0o170755;
    v.push(same("node-odd-classes-and-attributes", s.file()));

    // Names: longer than 255 (in a directory) or 1024 (trash path) keep their last
    // bytes; 255 and 1024 are kept whole.
    let mut s = sample();
    s.add_root_file(30, &letters(300));
    s.add_root_file(31, &letters(255));
    for (inode, len) in [(32, 1500), (33, 1024), (34, 65535)] {
        s.nodes
            .push(Node::new(inode, Kind::Trash(file_data(1, &[]))));
        s.edges.push(edge(
            0,
            inode,
            EDGE_BASE + 500 + u64::from(inode),
            &letters(len),
        ));
    }
    v.push(same("edge-names-cut-to-length", s.file()));

    // Symlinks: longer than 4096 becomes "... path too long ..."; 4096 and 0 are kept.
    let mut s = sample();
    for (inode, len) in [(30, 5000), (31, 4096), (32, 0), (33, 4097)] {
        s.nodes.push(Node::new(inode, Kind::Symlink(letters(len))));
        let id = s.root_edge_id();
        let at = s.root_run_end();
        s.edges
            .insert(at, edge(1, inode, id, format!("s{inode}").as_bytes()));
    }
    v.push(same("symlink-lengths", s.file()));

    // Chunk tables: trailing zero ids are not written, inner ones are; ids missing from
    // CHNK are tolerated.
    let mut s = sample();
    s.add_root_file(30, b"holes");
    s.node_mut(30).kind = Kind::File(file_data(5 << 26, &[5, 0, 7, 0, 0]));
    s.add_root_file(31, b"all-holes");
    s.node_mut(31).kind = Kind::File(file_data(3 << 26, &[0, 0, 0]));
    s.node_mut(9).kind = Kind::Trash(file_data(1 << 27, &[0, 3, 0]));
    v.push(same("file-zero-chunk-ids", s.file()));

    // CHNK: locks that ended long ago are written as 0, locks far in the future are
    // kept; ids with equal low 32 bits and other bucket collisions; the same id twice
    // (both kept); any archflag value.
    let mut s = sample();
    let (c1, c2) = first_collision(100..2_000_000, |i| hash32(i) & 0xFF_FFFF);
    s.chunks = vec![
        Chunk {
            locked_to: 100,
            ..chunk(1, 1)
        },
        Chunk {
            locked_to: FUTURE,
            ..chunk(2, 2)
        },
        Chunk {
            locked_to: u32::MAX,
            arch_flag: 7,
            ..chunk(3, 3)
        },
        chunk((1 << 32) | 1, 4),
        chunk((1 << 40) | 1, 5),
        chunk(5, 6),
        chunk(6, 1),
        chunk(5, 9),
        chunk(u64::from(c1), 1),
        chunk(u64::from(c2), 1),
        chunk(u64::MAX, u32::MAX),
    ];
    s.next_chunk_id = 3;
    v.push(same("chnk-locks-collisions-duplicates", s.file()));

    // Trash (inode mod 4096) and sustained (inode mod 256) buckets with two entries.
    let mut s = sample();
    for (inode, sustained) in [(40, false), (4136, false), (50, true), (306, true)] {
        let data = file_data(u64::from(inode), &[]);
        let kind = if sustained {
            Kind::Sustained(data)
        } else {
            Kind::Trash(data)
        };
        s.nodes.push(Node::new(inode, kind));
        s.edges
            .push(edge(0, inode, EDGE_BASE + 900 + u64::from(inode), b"x/y"));
    }
    s.max_node_id = 5000;
    v.push(same("trash-sustained-buckets", s.file()));

    // EDGE: the root's edges may be spread over the list (and others' runs may resume
    // after them or after trash entries); root ids out of order only set a flag.
    let mut s = sample();
    s.edges = vec![
        edge(1, 2, EDGE_BASE + 10, b"docs"),
        edge(2, 3, EDGE_BASE + 1, b"a.txt"),
        edge(1, 4, EDGE_BASE + 5, b"link"),
        edge(0, 9, EDGE_BASE + 2, b"old/gone.txt"),
        edge(2, 5, EDGE_BASE + 2, b"fifo"),
        edge(1, 6, EDGE_BASE + 20, b"sda"),
        edge(2, 11, EDGE_BASE, b"h2"),
        edge(2, 12, EDGE_BASE + 30, b"sub"),
        edge(1, 7, EDGE_BASE + 21, b"tty"),
        edge(12, 13, EDGE_BASE + 3, b"deep"),
        edge(1, 8, EDGE_BASE + 22, b"sock"),
        edge(0, 10, EDGE_BASE + 4, b"open/deleted.bin"),
        edge(1, 11, EDGE_BASE + 23, b"h1"),
    ];
    v.push(same("edges-interleaved-and-unordered", s.file()));
    // The same name twice in one directory, and the same link twice.
    let mut s = sample();
    s.nodes.push(Node::file(30, 1, &[]));
    let at = s.edges.iter().position(|e| e.parent == 2).unwrap();
    s.edges.insert(at, edge(2, 30, EDGE_BASE + 100, b"a.txt"));
    s.edges.insert(at, edge(2, 3, EDGE_BASE + 101, b"a.txt"));
    v.push(same("edges-duplicate-names", s.file()));
    // A directory with two parents: the master writes its subtree twice.
    let mut s = sample();
    let id = s.root_edge_id();
    let at = s.root_run_end();
    s.edges.insert(at, edge(1, 12, id, b"sub-again"));
    v.push(same("edges-directory-two-parents", s.file()));

    // FREE: more than one write call of records, duplicates, any order.
    let mut s = sample();
    s.free = (0..1500u32)
        .map(|i| (100 + (i * 7919) % 1400, 1_650_000_000 - i))
        .collect();
    v.push(same("free-long-list", s.file()));

    // QUOT: the same directory twice (both kept), order reversed by the load.
    let mut s = sample();
    let q = |inode, sinodes, grace_period| Quota {
        inode,
        grace_period,
        exceeded: 1,
        flags: 0xFF,
        stimestamp: 1_650_000_000,
        sinodes,
        hinodes: sinodes * 2,
        slength: 1 << 40,
        hlength: 1 << 41,
        ssize: 5,
        hsize: 6,
        srealsize: 7,
        hrealsize: u64::MAX,
    };
    s.quotas = vec![q(1, 10, 0), q(2, 20, 1), q(1, 30, u32::MAX), q(12, 40, 7)];
    v.push(same("quot-duplicates", s.file()));

    // XATR: inodes 3 and 3 + 2^20 share a bucket; an inode's records may be split
    // (later ones are appended); duplicate names are kept; records of missing inodes
    // are dropped; the largest value (65536 bytes) and name (255 bytes).
    let mut s = sample();
    s.add_root_file(3 + (1 << 20), b"far");
    s.xattrs = vec![
        (3 + (1 << 20), b"user.z".to_vec(), b"1".to_vec()),
        (3, b"user.a".to_vec(), b"x".to_vec()),
        (2, b"user.b".to_vec(), Vec::new()),
        (3, b"user.a".to_vec(), b"again".to_vec()),
        (999_999, b"user.q".to_vec(), b"gone".to_vec()),
        (11, b"user.big".to_vec(), vec![7; 65536]),
        (11, letters(255), b"v".to_vec()),
        (3, b"user.c".to_vec(), b"3".to_vec()),
    ];
    v.push(same("xatr-collisions-splits-duplicates", s.file()));

    // PACL: two ACLs in one hash bucket, an ACL with 250 named entries (three write
    // calls), ACLs of missing inodes (dropped before their type is even looked at).
    let mut s = sample();
    let (a, b) = first_collision(100..2_000_000, |i| {
        i.wrapping_mul(0x56BF_7623).wrapping_add(1) & 0xF_FFFF
    });
    s.add_root_file(a, b"acl-a");
    s.add_root_file(b, b"acl-b");
    let mut big = Acl::new(11, 1);
    big.users = (0..200).map(|i| (1000 + i, (i % 8) as u16)).collect();
    big.groups = (0..50).map(|i| (5000 + i, 7)).collect();
    let mut weird = Acl::new(777_777, 9);
    weird.users.clear();
    s.acls = vec![
        Acl::new(b, 1),
        Acl::new(2, 2),
        Acl::new(a, 1),
        big,
        weird,
        Acl::new(2, 1),
        Acl::new(777_778, 1),
    ];
    v.push(same("pacl-collisions-and-big", s.file()));

    // OPEN: sessions 1 and 4097 share a bucket; a relation twice (both kept); one of
    // an unknown session (dropped); one of a missing inode (kept).
    let mut s = sample();
    s.sessions.push(session(4097));
    s.open = vec![
        (1, 3),
        (4097, 11),
        (1, 3),
        (77, 3),
        (2, 999_999),
        (1, 11),
        (2, 10),
    ];
    v.push(same("open-buckets-and-duplicates", s.file()));

    // FLCK: two inodes in one lock bucket ((inode × 0x738A2379) mod 1024), shared
    // locks of two sessions, the same lock twice, a type other than 0/1 (shared).
    let mut s = sample();
    let (a, b) = first_collision(100..100_000, |i| i.wrapping_mul(0x738A_2379) % 1024);
    s.add_root_file(a, b"lock-a");
    s.add_root_file(b, b"lock-b");
    s.open.extend([(1, a), (2, b), (2, 3), (1, b)]);
    s.flocks = vec![
        (b, 1, 2, 1),
        (3, 7, 1, 0),
        (a, 2, 1, 0),
        (3, 8, 2, 5),
        (3, 7, 1, 0),
        (a, 3, 1, 0),
    ];
    // PLCK: the same bucket; owners in order; an inode that comes back later loses the
    // owners it had (the master restarts its list); unlock-type ranges; a range whose
    // end is before its start.
    s.plocks = vec![
        plock(a, 1, 1, 0, 10, 1),
        plock(a, 1, 1, 10, 20, 2),
        plock(a, 1, 1, 30, 40, 2),
        plock(b, 2, 5, 0, 1, 2),
        plock(11, 1, 9, 5, 6, 0),
        plock(11, 1, 9, 0, 3, 1),
        plock(a, 1, 4, 50, 60, 1),
        plock(a, 1, 4, 100, 90, 2),
        plock(b, 1, 6, 7, 8, 1),
    ];
    v.push(same("locks-buckets-and-rules", s.file()));

    // CSDB: servers in one bucket (hash32(ip ^ port << 16) mod 256), id 0 more than
    // once, every maintenance value.
    let mut s = sample();
    let ip = 0x0A00_0003;
    let (p1, p2) = first_collision(1000..60000, |p| hash32(ip ^ (p << 16)) % 256);
    s.servers = vec![
        cs(ip, p1 as u16, 0),
        Cs {
            maintenance: 2,
            maintenance_timeout: u32::MAX,
            ..cs(ip, p2 as u16, 7)
        },
        cs(ip + 1, p1 as u16, 0),
        Cs {
            maintenance: 9,
            ..cs(0, 0, 65535)
        },
    ];
    v.push(same("csdb-buckets", s.file()));

    // Framing: every length unknown (all-ones); sections in another order; sections
    // missing; a header with extreme values.
    let mut f = sample().file();
    for s in &mut f.sections {
        s.length = Length::Unknown;
    }
    v.push(same("all-lengths-unknown", f));
    // (FREE must come after NODE: see the known differences.)
    let f = sample().file().reorder(&[
        b"CHNK", b"CSDB", b"SESS", b"OPEN", b"FLCK", b"PLCK", b"NODE", b"SCLA", b"FREE", b"EDGE",
        b"PACL", b"QUOT", b"XATR",
    ]);
    v.push(same("sections-reordered", f));
    // XATR and PACL before NODE: every record is of a missing inode, so dropped.
    let f = sample()
        .file()
        .reorder(&[b"SESS", b"SCLA", b"XATR", b"PACL", b"NODE"]);
    v.push(same("xatr-pacl-before-node", f));
    // OPEN before SESS: every relation is of an unknown session, so dropped.
    let mut s = sample();
    s.flocks.clear();
    s.plocks.clear();
    v.push(same(
        "open-before-sess",
        s.file().reorder(&[b"OPEN", b"SESS"]),
    ));
    let s = sample();
    v.push(same(
        "only-node-and-edge",
        MetaFile::v2(7, 0)
            .with(node(0x14, s.max_node_id, None, &s.nodes))
            .with(edges(0x11, s.next_edge_id, &s.edges)),
    ));
    let mut s = sample();
    s.version = u64::MAX;
    s.meta_id = u64::MAX;
    v.push(same("header-extremes", s.file()));
    let mut f = sample().file();
    f.signature = *b"MFSM 2.9";
    v.push(same("signature-2.9", f));
    v
}

#[test]
fn real_handmade_current_versions_match_mfsmaster() {
    if !harness::require_real_mfs("real_handmade_current_versions_match_mfsmaster") {
        return;
    }
    if let Err(report) = check_cases(&current_version_cases()) {
        panic!("{report}");
    }
}

// ---------------------------------------------------------------------------------------
// Accepted inputs: older section versions and file formats.

/// The sample's nodes with trash times in seconds (for NODE before 1.4), some of them
/// not whole hours (rounded up), and eattr small enough for the 4 bits of 1.0–1.1.
fn nodes_in_seconds(s: &Sample) -> Vec<Node> {
    s.nodes
        .iter()
        .map(|n| {
            let mut n = n.clone();
            n.trashtime = match n.inode {
                3 => 1,
                11 => 3601,
                13 => 0,
                9 => 4_000_000_000,
                _ => n.trashtime * 3600,
            };
            n.eattr = (n.inode % 16) as u8;
            n
        })
        .collect()
}

/// Open-file sessions stored in file nodes (before NODE 1.4): a relation twice (once
/// counted), an unknown session (kept: the master does not check), a trash file.
fn with_node_sessions(mut nodes: Vec<Node>) -> Vec<Node> {
    for n in &mut nodes {
        let list = match n.inode {
            3 => vec![1, 1, 2],
            11 => vec![77],
            9 => vec![2],
            _ => continue,
        };
        if let Kind::File(f) | Kind::Trash(f) | Kind::Sustained(f) = &mut n.kind {
            f.sessions = list;
        }
    }
    nodes
}

/// Classes as versions before 1.6 can hold them (ids from 10, no names).
fn old_classes(ver: u8) -> Vec<Class> {
    let mut a = Class::new(10, b"", 2);
    a.create = vec![[1, 2, 4, 8], [0, 0, 0, 0]];
    let mut b = Class::new(11, b"", 1);
    b.keep = vec![[3, 0, 0, 0], [5, 6, 0, 0], [7, 0, 0, 9]];
    b.arch = if ver >= 0x15 {
        vec![[0x10, 0, 0, 0], [0x20, 0, 0, 0]]
    } else {
        b.keep.clone()
    };
    b.mode = 2;
    b.arch_delay = 48;
    b.chunkcount = 3;
    let mut c = Class::new(200, b"", 9);
    c.mode = 0;
    vec![a, b, c]
}

fn old_version_cases() -> Vec<Case> {
    let mut v = Vec::new();
    let s = sample();

    // SESS 1.0–1.4. Before 1.1 there is no disconnection time: the master uses its
    // clock.
    let mut sessions = s.sessions.clone();
    sessions.push(Sess {
        id: 300,
        info: letters(70),
        ..Sess::default()
    });
    for ver in [0x10, 0x11, 0x12, 0x13, 0x14] {
        let name =
            ["sess-1.0", "sess-1.1", "sess-1.2", "sess-1.3", "sess-1.4"][ver as usize - 0x10];
        let expect = if ver == 0x10 {
            Expect::SameButSessionTimes
        } else {
            Expect::Same
        };
        let f = s.file().replace(sess(ver, 9, 16, &sessions));
        v.push(case(name, expect, f.bytes()));
    }

    // SCLA 1.0–1.5 (and LABS): label descriptions first, no names, older headers.
    for ver in [0x10, 0x11, 0x12, 0x13, 0x14, 0x15] {
        let name = [
            "scla-1.0", "scla-1.1", "scla-1.2", "scla-1.3", "scla-1.4", "scla-1.5",
        ][ver as usize - 0x10];
        let mut f = s.file().replace(scla(ver, 4, &old_classes(ver)));
        if ver == 0x13 {
            f.section_mut(b"SCLA").tag = *b"LABS";
        }
        v.push(same(name, f));
    }
    let descriptions: Vec<Vec<u8>> = (0..26)
        .map(|i| letters(if i % 2 == 0 { 128 } else { 0 }))
        .collect();
    v.push(same(
        "scla-1.5-long-descriptions-two-orgroups",
        s.file().replace(scla_with_descriptions(
            0x15,
            2,
            &descriptions,
            &old_classes(0x15),
        )),
    ));

    // NODE 1.0–1.3: letter types (≤ 1.2), flagsmode (≤ 1.1), trash time in seconds and
    // open-file sessions in file nodes (≤ 1.3); each new relation counts as a change.
    let old_nodes = with_node_sessions(nodes_in_seconds(&s));
    for ver in [0x10, 0x11, 0x12, 0x13] {
        let name = ["node-1.0", "node-1.1", "node-1.2", "node-1.3"][ver as usize - 0x10];
        v.push(same(
            name,
            s.file().replace(node(ver, s.max_node_id, None, &old_nodes)),
        ));
    }
    // Seconds near 2^32: the master's rounding up wraps around in 32 bits.
    let mut overflow = nodes_in_seconds(&s);
    for (n, secs) in
        overflow
            .iter_mut()
            .zip([u32::MAX, u32::MAX - 3598, u32::MAX - 3599, 4_294_963_696])
    {
        n.trashtime = secs;
    }
    v.push(same(
        "node-1.3-trashtime-wraps",
        s.file().replace(node(0x13, s.max_node_id, None, &overflow)),
    ));
    let mut zero = nodes_in_seconds(&s);
    if let Kind::File(f) = &mut zero[2].kind {
        f.sessions = vec![0, 5];
    }
    v.push(same(
        "node-1.3-session-zero",
        s.file().replace(node(0x13, s.max_node_id, None, &zero)),
    ));

    // EDGE 1.0: no ids (all 0, "needs renumbering"), no nextedgeid.
    v.push(same("edge-1.0", s.file().replace(edges(0x10, 0, &s.edges))));

    // QUOT 1.0: no grace period (the default, 7 days, is used).
    let mut q = s.quotas.clone();
    q.push(Quota {
        inode: 1,
        flags: 0x22,
        slength: 5,
        hlength: 9,
        ..Quota::default()
    });
    v.push(same("quot-1.0", s.file().replace(quot(0x10, &q))));

    // PACL 1.0: an ACL with mask 0 gets mask 7 and the owner/other bits of the mode; in
    // 1.1 a mask of 0 stays.
    let mut acls = s.acls.clone();
    acls[0].mask = 0;
    acls[0].user_perm = 0x1230;
    acls[0].other_perm = 0xABC8;
    acls[2].mask = 0;
    acls.push(Acl {
        mask: 5,
        ..Acl::new(11, 2)
    });
    v.push(same(
        "pacl-1.0-mask-repair",
        s.file().replace(pacl(0x10, &acls)),
    ));
    v.push(same(
        "pacl-1.1-mask-zero-kept",
        s.file().replace(pacl(0x11, &acls)),
    ));

    // CSDB 1.0–1.2 and CHNK 1.0: fewer fields per record.
    for (name, ver) in [("csdb-1.0", 0x10), ("csdb-1.1", 0x11), ("csdb-1.2", 0x12)] {
        v.push(same(name, s.file().replace(csdb(ver, &s.servers))));
    }
    v.push(same(
        "chnk-1.0",
        s.file().replace(chnk(0x10, s.next_chunk_id, &s.chunks)),
    ));

    // Everything old at once, in one file.
    let f = MetaFile::v2(99, 0)
        .with(sess(0x11, 12, 21, &s.sessions))
        .with(scla(0x11, 3, &old_classes(0x11)).tag(b"LABS"))
        .with(node(0x10, s.max_node_id, None, &old_nodes))
        .with(edges(0x10, 0, &s.edges))
        .with(free(&s.free))
        .with(quot(0x10, &s.quotas))
        .with(xatr(&s.xattr_refs()))
        .with(pacl(0x10, &acls))
        .with(open(0x10, &s.open))
        .with(flck(0x10, &s.flocks))
        .with(plck(0x10, &s.plocks))
        .with(csdb(0x10, &s.servers))
        .with(chnk(0x10, s.next_chunk_id, &s.chunks));
    v.push(same("all-sections-oldest-versions", f));
    v
}

/// Files before format 2.0: `maxnodeid` and `nextsessionid` in the header, the node
/// list in 1.0 form without a header, and sessions from a separate `sessions.mfs` —
/// which does not exist here, so the master imports none (and neither do we).
fn old_format_cases() -> Vec<Case> {
    let mut v = Vec::new();
    let s = sample();
    let nodes = with_node_sessions(nodes_in_seconds(&s));
    let legacy = |format: &str| MetaFile::legacy(format, s.max_node_id, 500, 9);

    v.push(same(
        "mfsm-1.6",
        legacy("1.6")
            .with(legacy_node(0x10, &nodes))
            .with(edges(0x10, 0, &s.edges))
            .with(free(&s.free))
            .with(chnk(0x10, s.next_chunk_id, &s.chunks)),
    ));
    v.push(same(
        "mfsm-1.7",
        legacy("1.7")
            .with(sess(0x11, 44, 16, &s.sessions))
            .with(scla(0x10, 1, &old_classes(0x10)).tag(b"LABS"))
            .with(legacy_node(0x10, &nodes))
            .with(edges(0x10, 0, &s.edges))
            .with(free(&s.free))
            .with(quot(0x10, &s.quotas))
            .with(xatr(&s.xattr_refs()))
            .with(chnk(0x10, s.next_chunk_id, &s.chunks)),
    ));
    v.push(same(
        "mfsm-1.8",
        legacy("1.8")
            .with(sess(0x13, 44, 16, &s.sessions))
            .with(legacy_node(0x10, &nodes))
            .with(edges(0x11, s.next_edge_id, &s.edges))
            .with(free(&s.free))
            .with(pacl(0x10, &s.acls))
            .with(open(0x10, &s.open))
            .with(flck(0x10, &s.flocks))
            .with(plck(0x10, &s.plocks))
            .with(csdb(0x11, &s.servers))
            .with(chnk(0x11, s.next_chunk_id, &s.chunks)),
    ));
    // A 1.9 file with today's sections: only NODE is read the old way.
    let mut f = s.file();
    f.signature = *b"MFSM 1.9";
    f.header = legacy("1.9").header;
    let f = f.replace(legacy_node(0x14, &nodes));
    v.push(same("mfsm-1.9-node-field-1.4", f));
    // Files before 1.6 have no sections: four lists, the last one's zero record being
    // the 16 zero bytes the master checks at the end. Trailing zeros are not read.
    let mut lists = Vec::new();
    lists.extend(node_records(0x10, &nodes));
    lists.extend(edge_records(0x10, &s.edges));
    lists.extend(free_records(&s.free));
    lists.extend(chunk_records(0x10, s.next_chunk_id, &s.chunks));
    let mut f = legacy("1.5");
    f.ending = lists.clone();
    f.ending.extend([0u8; 16]);
    v.push(same("mfsm-1.5-extra-zeros", f));
    v
}

#[test]
fn real_handmade_old_versions_match_mfsmaster() {
    if !harness::require_real_mfs("real_handmade_old_versions_match_mfsmaster") {
        return;
    }
    let mut cases = old_version_cases();
    cases.extend(old_format_cases());
    if let Err(report) = check_cases(&cases) {
        panic!("{report}");
    }
}

// ---------------------------------------------------------------------------------------
// Refused inputs.

/// The sample with one more edge at the end of the edge list.
fn with_edge(e: Edge) -> MetaFile {
    let mut s = sample();
    s.edges.push(e);
    s.file()
}

/// The sample's file with one section's body changed by `f`.
fn patched(tag: &[u8; 4], f: impl FnOnce(&mut Vec<u8>)) -> MetaFile {
    let mut file = sample().file();
    f(&mut file.section_mut(tag).body);
    file
}

fn refused_cases() -> Vec<Case> {
    let mut v = Vec::new();
    let s = sample();

    // Names and tree.
    let mut o = sample();
    o.nodes.push(Node::file(30, 0, &[]));
    v.push(refused("orphaned-inode", o.file()));
    v.push(refused(
        "edge-missing-child",
        with_edge(edge(2, 999, 1, b"x")),
    ));
    v.push(refused(
        "edge-missing-parent",
        with_edge(edge(50, 3, 1, b"x")),
    ));
    v.push(refused(
        "edge-parent-not-directory",
        with_edge(edge(3, 11, 1, b"x")),
    ));
    v.push(refused(
        "edge-parent-0-for-file",
        with_edge(edge(0, 3, 1, b"x")),
    ));
    v.push(refused(
        "edge-parent-0-for-directory",
        with_edge(edge(0, 12, 1, b"x")),
    ));
    v.push(refused(
        "edge-parent-sequence",
        with_edge(edge(2, 13, 1, b"x")),
    ));
    v.push(refused("edge-empty-name", with_edge(edge(12, 3, 1, b""))));
    v.push(refused(
        "edge-empty-name-missing-child",
        with_edge(edge(12, 999, 1, b"")),
    ));
    let trash: Vec<Node> = s
        .nodes
        .iter()
        .filter(|n| matches!(n.kind, Kind::Trash(_) | Kind::Sustained(_)))
        .cloned()
        .collect();
    let trash_edges: Vec<Edge> = s.edges.iter().filter(|e| e.parent == 0).cloned().collect();
    v.push(refused(
        "no-root",
        MetaFile::v2(5, 0)
            .with(node(0x14, 20, None, &trash))
            .with(edges(0x11, 5, &trash_edges)),
    ));
    v.push(refused("no-sections", MetaFile::v2(5, 0)));
    let mut o = sample();
    o.nodes.push(Node::file(3, 5, &[]));
    v.push(refused("node-inode-twice", o.file()));

    // Node records.
    let mut o = sample();
    o.node_mut(5).type_byte = Some(10);
    v.push(refused("node-type-10", o.file()));
    let mut o = sample();
    o.node_mut(5).type_byte = Some(b'q');
    v.push(refused("node-letter-in-1.4", o.file()));
    let mut o = sample();
    o.node_mut(5).type_byte = Some(4);
    v.push(refused(
        "node-number-in-1.2",
        o.file()
            .replace(node(0x12, o.max_node_id, None, &nodes_in_seconds(&o))),
    ));

    // Locks.
    let mut o = sample();
    o.flocks.push((3, 9, 2, 0));
    v.push(refused("flock-on-closed-file", o.file()));
    let mut o = sample();
    o.flocks.push((3, 9, 1, 1));
    v.push(refused("flock-conflict", o.file()));
    let mut o = sample();
    o.flocks = vec![(3, 9, 1, 1), (3, 10, 1, 0)];
    v.push(refused("flock-conflict-after-writer", o.file()));
    let mut o = sample();
    o.plocks.push(plock(3, 2, 1, 0, 1, 1));
    v.push(refused("plock-on-closed-file", o.file()));
    let mut o = sample();
    o.plocks = vec![plock(11, 1, 9, 0, 10, 1), plock(11, 1, 9, 10, 20, 1)];
    v.push(refused("plock-not-connected", o.file()));
    let mut o = sample();
    o.plocks = vec![plock(11, 1, 9, 10, 20, 1), plock(11, 1, 9, 5, 8, 2)];
    v.push(refused("plock-out-of-order", o.file()));
    v.push(refused(
        "locks-when-open-before-sess",
        sample().file().reorder(&[b"OPEN", b"SESS"]),
    ));
    v.push(refused(
        "open-session-zero",
        sample().file().replace(open(0x10, &[(0, 3)])),
    ));
    v.push(refused(
        "open-inode-zero",
        sample().file().replace(open(0x10, &[(1, 0)])),
    ));

    // Other sections' rules.
    let mut o = sample();
    o.chunks.push(chunk(0, 1));
    v.push(refused("chnk-bad-end-record", o.file()));
    let mut o = sample();
    o.chunks.push(Chunk {
        arch_flag: 1,
        ..chunk(0, 0)
    });
    v.push(refused("chnk-bad-end-record-archflag", o.file()));
    let mut x = sample();
    x.xattrs.push((3, Vec::new(), b"v".to_vec()));
    v.push(refused("xatr-empty-name", x.file()));
    let mut x = sample();
    x.xattrs.push((3, b"user.huge".to_vec(), vec![1; 65537]));
    v.push(refused("xatr-value-too-long", x.file()));
    let mut a = sample();
    a.acls.push(Acl::new(3, 3));
    v.push(refused("pacl-type-3", a.file()));
    let mut a = sample();
    a.acls.push(Acl::new(2, 1));
    v.push(refused("pacl-repeated", a.file()));
    let mut q = sample();
    q.quotas.push(Quota {
        inode: 3,
        ..Quota::default()
    });
    v.push(refused("quot-on-file", q.file()));
    let mut q = sample();
    q.quotas.push(Quota {
        inode: 999,
        ..Quota::default()
    });
    v.push(refused("quot-on-missing-inode", q.file()));
    let mut c = sample();
    c.servers.push(cs(0x0A00_0001, 9422, 0));
    v.push(refused("csdb-same-address", c.file()));
    let mut c = sample();
    c.servers.push(cs(0x0A00_0009, 9422, 2));
    v.push(refused("csdb-same-id", c.file()));
    v.push(refused(
        "sess-data-version-3",
        sample().file().replace({
            let mut sec = sess(0x11, 9, 16, &s.sessions);
            sec.body[..2].copy_from_slice(&3u16.to_be_bytes());
            sec
        }),
    ));

    // Storage classes.
    let bad = |f: fn(&mut Class)| {
        let mut c = Class::new(11, b"bad", 2);
        f(&mut c);
        let mut classes = s.classes.clone();
        classes.push(c);
        s.file().replace(scla(0x16, 4, &classes))
    };
    v.push(refused("scla-no-create-labels", bad(|c| c.create.clear())));
    v.push(refused(
        "scla-ten-keep-labels",
        bad(|c| c.keep = vec![[0; 4]; 10]),
    ));
    v.push(refused("scla-id-0", bad(|c| c.id = 0)));
    v.push(refused("scla-id-256", bad(|c| c.id = 256)));
    v.push(refused("scla-id-10-twice", bad(|c| c.id = 10)));
    v.push(refused(
        "scla-predefined-empty-name",
        bad(|c| {
            c.id = 4;
            c.name.clear();
        }),
    ));
    v.push(refused(
        "scla-zero-orgroups",
        s.file().replace(scla(0x16, 0, &[])),
    ));
    v.push(refused(
        "scla-five-orgroups",
        s.file().replace(scla(0x16, 5, &s.classes)),
    ));
    v.push(refused(
        "scla-1.5-id-below-10",
        s.file().replace(scla(0x15, 4, &[Class::new(5, b"", 1)])),
    ));
    let mut long = vec![Vec::new(); 26];
    long[25] = letters(129);
    v.push(refused(
        "scla-1.4-description-too-long",
        s.file()
            .replace(scla_with_descriptions(0x14, 4, &long, &old_classes(0x14))),
    ));

    // Section framing and versions.
    v.push(refused(
        "unknown-section",
        sample()
            .file()
            .with(Section::new(b"ABCD", 0x10, vec![0; 4])),
    ));
    v.push(refused(
        "unknown-section-unknown-length",
        sample()
            .file()
            .with(Section::new(b"ABCD", 0x10, vec![0; 4]).length(Length::Unknown)),
    ));
    for (name, tag, ver) in [
        ("node-version-1.5", b"NODE", 0x15),
        ("sess-version-1.6", b"SESS", 0x16),
        ("scla-version-1.7", b"SCLA", 0x17),
        ("edge-version-1.2", b"EDGE", 0x12),
        ("chnk-version-2.0", b"CHNK", 0x20),
        ("open-version-1.1", b"OPEN", 0x11),
        ("flck-version-0.9", b"FLCK", 0x09),
        ("plck-version-1.1", b"PLCK", 0x11),
        ("xatr-version-1.1", b"XATR", 0x11),
        ("free-version-1.1", b"FREE", 0x11),
    ] {
        let mut f = sample().file();
        f.section_mut(tag).version = version_field(ver);
        v.push(refused(name, f));
    }
    let mut f = sample().file();
    f.ending.clear();
    v.push(refused("ending-missing", f));
    let mut f = sample().file();
    f.ending.push(b'\n');
    v.push(refused("ending-then-newline", f));
    let mut f = sample().file();
    f.ending = vec![0; 16];
    v.push(refused("ending-zeros-in-2.0", f));
    let mut bytes = sample().file().bytes();
    bytes.truncate(bytes.len() / 2);
    v.push(case("file-cut-in-half", Expect::Refused, bytes));
    v.push(case(
        "file-header-only",
        Expect::Refused,
        sample().file().bytes()[..20].to_vec(),
    ));
    // The last section's terminator is missing: its records run into the end marker.
    v.push(refused(
        "records-run-into-end-marker",
        patched(b"CHNK", |b| b.truncate(b.len() - 17)),
    ));
    let mut f = sample().file();
    let n = f.section_mut(b"NODE").body.len() as u64;
    f.section_mut(b"NODE").length = Length::Declared(n - 1);
    v.push(refused("length-one-short", f));
    let mut f = sample().file();
    let n = f.section_mut(b"XATR").body.len() as u64;
    f.section_mut(b"XATR").length = Length::Declared(n + 4);
    v.push(refused("length-four-long", f));
    v.push(refused(
        "body-longer-than-records",
        patched(b"QUOT", |b| b.extend([0u8; 3])),
    ));
    for (name, sig) in [
        ("signature-lowercase", b"mfsm 2.0"),
        ("signature-letter-version", b"MFSM 2.x"),
        ("signature-major-0", b"MFSM 0.9"),
        ("signature-other-product", b"LZFM 2.0"),
    ] {
        let mut f = sample().file();
        f.signature = *sig;
        v.push(refused(name, f));
    }
    v
}

#[test]
fn real_handmade_refusals_match_mfsmaster() {
    if !harness::require_real_mfs("real_handmade_refusals_match_mfsmaster") {
        return;
    }
    if let Err(report) = check_cases(&refused_cases()) {
        panic!("{report}");
    }
}

// ---------------------------------------------------------------------------------------
// Known differences: what the master does is the expectation; each has its own ignored
// test, named after the case.

fn known_difference_cases() -> Vec<Case> {
    let mut v = Vec::new();
    let s = sample();

    // FREE before NODE: the master marks freed inodes in a bitmap that NODE creates, and
    // crashes (SIGSEGV) without it.
    v.push(refused(
        "free-before-node",
        s.file().reorder(&[b"FREE", b"NODE"]),
    ));

    // A directory cycle: adding an edge adds the child's statistics to every ancestor,
    // which never ends on a cycle, and the master crashes (SIGSEGV).
    let mut o = sample();
    o.nodes
        .extend([Node::dir(40), Node::dir(41), Node::file(42, 0, &[])]);
    o.edges.extend([
        edge(40, 41, 1, b"b"),
        edge(40, 42, 2, b"f"),
        edge(41, 40, 3, b"a"),
    ]);
    v.push(refused("directory-cycle-off-root", o.file()));

    // The root inside a directory cycle: the master crashes as above; our writer of the
    // tree never ends.
    v.push(refused(
        "root-in-directory-cycle",
        with_edge(edge(12, 1, 77, b"up")),
    ));

    // Inode 1 is a file: the master has no rule against it.
    let mut o = sample();
    o.nodes = vec![Node::file(1, 0, &[])];
    o.edges.clear();
    v.push(same(
        "root-is-an-empty-file",
        MetaFile::v2(3, 0)
            .with(node(0x14, 1, None, &o.nodes))
            .with(edges(0x11, 5, &[])),
    ));

    // Version 0: `-a restore` only picks files with a version above 0.
    let mut o = sample();
    o.version = 0;
    v.push(refused("header-version-0", o.file()));

    // Bytes between the first end marker and the last 16 bytes: the loader stops at the
    // first marker, the ending check only looks at the last 16 bytes.
    let mut f = sample().file();
    f.ending.extend(b"anything at all");
    f.ending.extend(END_MARKER);
    v.push(same("bytes-after-end-marker-then-marker", f));

    // Format 1.5 without sections: the chunk list's zero record is the file's last 16
    // bytes; nothing follows it.
    let nodes = with_node_sessions(nodes_in_seconds(&s));
    let mut lists = Vec::new();
    lists.extend(node_records(0x10, &nodes));
    lists.extend(edge_records(0x10, &s.edges));
    lists.extend(free_records(&s.free));
    lists.extend(chunk_records(0x10, s.next_chunk_id, &s.chunks));
    for (name, format) in [("mfsm-1.5", "1.5"), ("mfsm-1.0", "1.0")] {
        let mut f = MetaFile::legacy(format, s.max_node_id, 500, 9);
        f.ending = lists.clone();
        v.push(same(name, f));
    }
    let mut f = MetaFile::legacy("1.5", s.max_node_id, 500, 9);
    f.ending = lists.clone();
    f.ending.extend(b"junk");
    f.ending.extend([0u8; 16]);
    v.push(same("mfsm-1.5-junk-then-zeros", f));

    // Before format 2.0 the NODE section's version field is not looked at.
    v.push(same(
        "mfsm-1.6-node-field-9.9",
        MetaFile::legacy("1.6", s.max_node_id, 500, 9)
            .with(legacy_node(0x99, &nodes))
            .with(edges(0x10, 0, &s.edges))
            .with(free(&s.free))
            .with(chnk(0x10, s.next_chunk_id, &s.chunks)),
    ));

    // A section twice: the master loads both (FREE: the second list replaces the first).
    v.push(same(
        "free-section-twice",
        s.file().with(free(&[(15, 1_650_000_000)])),
    ));

    // A legacy sessions.mfs next to a file before 2.0: the master imports its sessions
    // (with its clock as their disconnection time); we never read it.
    let mut sessions_mfs = b"MFSS 1.5".to_vec();
    let mut rec = Out::default();
    rec.u32(4)
        .u32(3)
        .u32(0x7F00_0001)
        .u32(1)
        .u8(1)
        .u32(0)
        .u32(0);
    for i in 0..32 {
        rec.u32(i);
    }
    rec.bytes(b"abc");
    sessions_mfs.extend(rec.0);
    v.push(Case {
        name: "mfsm-1.6-with-sessions-mfs",
        expect: Expect::SameButSessionTimes,
        input: MetaFile::legacy("1.6", s.max_node_id, 500, 9)
            .with(legacy_node(0x10, &nodes))
            .with(edges(0x10, 0, &s.edges))
            .with(free(&s.free))
            .with(chnk(0x10, s.next_chunk_id, &s.chunks))
            .bytes(),
        master_extra: vec![("sessions.mfs", sessions_mfs)],
    });
    v
}

/// Inputs kept as files in `testdata/handmade/<folder>/metadata.mfs`, each the bytes of
/// one case (the legacy ones are invisible to the tests that scan for `MFSM 2.0`).
const FIXTURES: &[(&str, &str)] = &[
    ("restore-sample", "sample"),
    ("restore-mfsm-1.6", "mfsm-1.6"),
    ("restore-mfsm-1.5", "mfsm-1.5-extra-zeros"),
];

fn all_cases() -> Vec<Case> {
    let mut cases = current_version_cases();
    cases.extend(old_version_cases());
    cases.extend(old_format_cases());
    cases.extend(refused_cases());
    cases.extend(known_difference_cases());
    cases
}

/// The files in `testdata/handmade/` are what the builder writes today. Set
/// `MFSMETA_REGENERATE_HANDMADE=1` to rewrite them.
#[test]
fn handmade_fixtures_match_the_builder() {
    let cases = all_cases();
    let mut names: Vec<&str> = cases.iter().map(|c| c.name).collect();
    names.sort_unstable();
    let before = names.len();
    names.dedup();
    assert_eq!(names.len(), before, "two cases have the same name");
    for (folder, name) in FIXTURES {
        let path = support::testdata()
            .join("handmade")
            .join(folder)
            .join("metadata.mfs");
        let bytes = &find(&cases, name).input;
        if std::env::var_os("MFSMETA_REGENERATE_HANDMADE").is_some() {
            std::fs::create_dir_all(path.parent().unwrap()).unwrap();
            std::fs::write(&path, bytes).unwrap();
        }
        let stored = std::fs::read(&path).unwrap_or_default();
        assert!(
            &stored == bytes,
            "{} is not what case {name} builds; regenerate with MFSMETA_REGENERATE_HANDMADE=1",
            path.display()
        );
    }
}

/// The full check (with a real master start on our output) on a few representative
/// inputs. Not on inputs with EDGE 1.0: their edge ids are all 0 in the master's output
/// too, and a master start renumbers them, logging "edgeid mismatch".
#[test]
fn real_handmade_full_check_on_representative_inputs() {
    if !harness::require_real_mfs("real_handmade_full_check_on_representative_inputs") {
        return;
    }
    let tmp = TempDir::new("handmade-full").unwrap();
    let cases = all_cases();
    let mut paths = Vec::new();
    for name in [
        "sample",
        "mfsm-1.8",
        "node-1.0",
        "scla-1.2",
        "all-lengths-unknown",
        "locks-buckets-and-rules",
    ] {
        let path = tmp.path().join(format!("{name}.mfs"));
        std::fs::write(&path, &find(&cases, name).input).unwrap();
        paths.push(path);
    }
    if let Err(report) = support::check_all(&paths, support::compare_snapshot_restore) {
        panic!("{report}");
    }
}

/// Runs one known-difference case (see [`known_difference_cases`]).
fn check_known_difference(name: &str) {
    if !harness::require_real_mfs(name) {
        return;
    }
    let cases = known_difference_cases();
    if let Err(why) = check_case(find(&cases, name)) {
        panic!("[{name}] {why}");
    }
}

macro_rules! known_difference {
    ($($test:ident: $case:literal, $why:literal;)*) => {$(
        #[test]
        #[ignore = $why]
        fn $test() {
            check_known_difference($case);
        }
    )*};
}

known_difference! {
    real_known_difference_free_before_node: "free-before-node",
        "known difference: the master crashes on FREE before NODE; we accept it";
    real_known_difference_root_is_an_empty_file: "root-is-an-empty-file",
        "known difference: the master accepts a file as inode 1; we refuse it";
    real_known_difference_header_version_0: "header-version-0",
        "known difference: -a restore never picks a file of version 0; we restore it";
    real_known_difference_section_twice: "free-section-twice",
        "known difference (on purpose): we refuse a section that appears twice";
    real_known_difference_sessions_mfs: "mfsm-1.6-with-sessions-mfs",
        "known difference: before 2.0 the master imports sessions.mfs; we never read it";
}

/// Cases that were differences once and now agree with the master (the master crashes
/// on directory cycles, which counts as a refusal; ours refuses them with a message).
macro_rules! fixed_difference {
    ($($test:ident: $case:literal;)*) => {$(
        #[test]
        fn $test() {
            check_known_difference($case);
        }
    )*};
}

fixed_difference! {
    real_directory_cycle_off_root: "directory-cycle-off-root";
    real_root_in_directory_cycle: "root-in-directory-cycle";
    real_bytes_after_end_marker_then_marker: "bytes-after-end-marker-then-marker";
    real_mfsm_1_5: "mfsm-1.5";
    real_mfsm_1_0: "mfsm-1.0";
    real_mfsm_1_5_junk_then_zeros: "mfsm-1.5-junk-then-zeros";
    real_mfsm_1_6_node_field: "mfsm-1.6-node-field-9.9";
}
