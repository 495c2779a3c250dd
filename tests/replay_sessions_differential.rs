//! Our replay of sessions, open files, flock and POSIX locks, chunk servers, storage
//! classes, quotas, SETMETAID and IDLE does what the real `mfsmaster -a restore` does
//! with the same changelog.
//!
//! A base file is made once by the real master from `MFSM NEW` (three directories, a
//! file, user class 10 used by a directory), so that the root's wall-clock times come
//! from a file both sides load. Each scenario is a handwritten changelog continuing that
//! base; the real master restores it, and we load the base, replay the same lines with
//! `mfsmeta::replay::apply` (adding the returned version steps and checking the version
//! after each line as the master does) and store the image:
//!
//! * when the master succeeds, so must we, and the two `metadata.mfs` must be identical
//!   byte for byte;
//! * when the master fails, we must fail at the same line, with the same status or with
//!   a version mismatch; then the master runs again with `-i` (which stores what it had
//!   at the failure) and that file must equal ours, stored at the same point. The one
//!   known gap: our `Applied` cannot report version steps taken before a refusal (SESADD
//!   creates its session and steps before comparing the id), so such a scenario states
//!   how many steps to add.

mod harness;

use std::fmt::Write as _;
use std::path::Path;
use std::sync::OnceLock;

use bumpalo::Bump;
use harness::oracle::{mfsmaster_restore_with, mfsmetadump_normalized, RESTORE_LOG};
use harness::TempDir;
use mfsmeta::format::changelog::parse_line;
use mfsmeta::model::image::Image;
use mfsmeta::replay::{apply, Replay};

/// Timestamp of the first base line; every line is one second after the previous one.
const T0: u32 = 1_700_000_000;

/// The base changelog, replayed by the real master from `MFSM NEW`: inodes 2 (`d1`),
/// 3 (`d2`, class 10), 4 (`d1/f1`), 5 (`d3`); class 10 `used`.
const BASE: &[&str] = &[
    "CREATE(1,d1,2,493,0,0,0,0):2",
    "CREATE(1,d2,2,493,0,0,0,0):3",
    "CREATE(2,f1,1,420,0,0,0,0):4",
    "SCSET(used,1,W1,K1,A1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0):10",
    "SETSCLASS(3,0,10,10,0):1,0,0",
    "CREATE(1,d3,2,493,0,0,0,0):5",
];

/// How a restore ended.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    Done,
    /// Line `id` failed with a status.
    Status {
        id: u64,
        status: u8,
    },
    /// Line `id` left the version elsewhere than `id + 1`.
    VersionMismatch {
        id: u64,
    },
}

/// Numbers `ops` as changelog lines from id `first`.
fn changelog(first: u64, ops: &[String]) -> String {
    let mut text = String::new();
    for (k, op) in ops.iter().enumerate() {
        let id = first + k as u64;
        let _ = writeln!(text, "{id}: {}|{op}", T0 + id as u32);
    }
    text
}

/// The real master's base file (made once).
fn base() -> &'static [u8] {
    static BASE_FILE: OnceLock<Vec<u8>> = OnceLock::new();
    BASE_FILE.get_or_init(|| {
        let dir = TempDir::new("replay-sessions-base").unwrap();
        std::fs::write(dir.path().join("metadata.mfs"), b"MFSM NEW").unwrap();
        let ops: Vec<String> = BASE.iter().map(|s| s.to_string()).collect();
        std::fs::write(dir.path().join("changelog.0.mfs"), changelog(1, &ops)).unwrap();
        let out = mfsmaster_restore_with(dir.path(), &[]).unwrap();
        std::fs::read(out).unwrap()
    })
}

/// The version of the base file: the id of the first scenario line.
fn base_version() -> u64 {
    let image = Image::load(base(), T0).unwrap();
    image.version
}

/// What the real master did: how it ended, and the file it stored (with `-i` when it
/// failed).
fn real_restore(lines: &str) -> (End, Vec<u8>) {
    let dir = TempDir::new("replay-sessions-real").unwrap();
    let setup = |dir: &Path| {
        for stale in ["metadata.mfs.back", "metadata.crc"] {
            let _ = std::fs::remove_file(dir.join(stale));
        }
        std::fs::write(dir.join("metadata.mfs"), base()).unwrap();
        std::fs::write(dir.join("changelog.0.mfs"), lines).unwrap();
    };
    setup(dir.path());
    if let Ok(out) = mfsmaster_restore_with(dir.path(), &[]) {
        return (End::Done, std::fs::read(out).unwrap());
    }
    let log = std::fs::read_to_string(dir.path().join(RESTORE_LOG)).unwrap();
    let end = failure_in_log(&log).unwrap_or_else(|| panic!("no failure in the log:\n{log}"));
    setup(dir.path());
    let out = mfsmaster_restore_with(dir.path(), &["-i"]).unwrap();
    (end, std::fs::read(out).unwrap())
}

/// The failure the master logged: `changelog.0.mfs:ID: version mismatch` or
/// `changelog.0.mfs:ID: operation (LINE) error: N (TEXT)`.
fn failure_in_log(log: &str) -> Option<End> {
    let log = log.replace('\r', "\n");
    let at = log.find("changelog.0.mfs:")?;
    let rest = log.get(at + "changelog.0.mfs:".len()..)?;
    let digits = rest.find(|c: char| !c.is_ascii_digit())?;
    let id: u64 = rest.get(..digits)?.parse().ok()?;
    let rest = rest.get(digits..)?;
    if rest.starts_with(": version mismatch") {
        return Some(End::VersionMismatch { id });
    }
    let err = rest.find(") error: ")?;
    let tail = rest.get(err + ") error: ".len()..)?;
    let n = tail.find(|c: char| !c.is_ascii_digit())?;
    Some(End::Status {
        id,
        status: tail.get(..n)?.parse().ok()?,
    })
}

/// Our replay of `lines` on the base: how it ended, and the image stored at that point
/// (with `steps_before_refusal` added to the version when a line was refused).
fn our_restore(lines: &str, steps_before_refusal: u64) -> (End, Vec<u8>) {
    let arena = Bump::new();
    let mut image = Image::load(base(), T0).unwrap();
    image.prepare_replay();
    let mut end = End::Done;
    for text in lines.lines() {
        let line = parse_line(text.as_bytes()).unwrap_or_else(|e| panic!("{text}: {e:?}"));
        let mut r = Replay {
            image: &mut image,
            arena: &arena,
        };
        match apply(&mut r, line.ts, &line.op) {
            Ok(steps) => {
                image.version += steps;
                if image.version != line.id + 1 {
                    end = End::VersionMismatch { id: line.id };
                    break;
                }
            }
            Err(status) => {
                image.version += steps_before_refusal;
                end = End::Status {
                    id: line.id,
                    status: status.0,
                };
                break;
            }
        }
    }
    let now = std::time::SystemTime::now()
        .duration_since(std::time::UNIX_EPOCH)
        .map_or(0, |d| d.as_secs() as u32);
    (end, image.store(now).0)
}

/// A readable difference of two metadata files (sorted `mfsmetadump` lines).
fn dump_diff(real: &[u8], ours: &[u8]) -> String {
    let dir = TempDir::new("replay-sessions-diff").unwrap();
    let (a, b) = (dir.path().join("real.mfs"), dir.path().join("ours.mfs"));
    std::fs::write(&a, real).unwrap();
    std::fs::write(&b, ours).unwrap();
    let (Ok(a), Ok(b)) = (mfsmetadump_normalized(&a), mfsmetadump_normalized(&b)) else {
        return "(mfsmetadump failed on one of the files)".into();
    };
    let mut out = String::new();
    for l in a.lines().filter(|l| !b.lines().any(|m| m == *l)) {
        let _ = writeln!(out, "- real: {l}");
    }
    for l in b.lines().filter(|l| !a.lines().any(|m| m == *l)) {
        let _ = writeln!(out, "+ ours: {l}");
    }
    if out.is_empty() {
        out.push_str("(same dump; the bytes differ in order or in unprinted fields)");
    }
    out
}

/// One scenario: operations continuing the base, what the master must do with them, and
/// the version steps it takes before a refusal that our replay cannot report.
struct Scenario {
    name: &'static str,
    ops: Vec<String>,
    expect: Expect,
    steps_before_refusal: u64,
}

/// The outcome a scenario is written for (checked against the master too, so that a
/// scenario cannot silently stop testing what its name says).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum Expect {
    Done,
    /// The last line fails with this status.
    Status(u8),
    /// The last line leaves the version off.
    VersionMismatch,
}

fn scenario(name: &'static str, ops: &[&str], expect: Expect) -> Scenario {
    Scenario {
        name,
        ops: ops.iter().map(|s| s.to_string()).collect(),
        expect,
        steps_before_refusal: 0,
    }
}

/// Scenarios restored at the same time (each in a folder of its own).
const PARALLEL: usize = 4;

/// Runs every scenario through both restores; panics with a report of all differences.
fn check(scenarios: &[Scenario]) {
    let first = base_version();
    let mut report = String::new();
    for batch in scenarios.chunks(PARALLEL) {
        std::thread::scope(|scope| {
            let runs: Vec<_> = batch
                .iter()
                .map(|s| scope.spawn(move || compare(s, first)))
                .collect();
            for run in runs {
                report.push_str(&run.join().expect("a scenario panicked"));
            }
        });
    }
    assert!(report.is_empty(), "{report}");
}

/// Runs one scenario (its first line has id `first`) through both restores; returns what
/// differs, if anything.
fn compare(s: &Scenario, first: u64) -> String {
    let mut report = String::new();
    let lines = changelog(first, &s.ops);
    let last = first + s.ops.len() as u64 - 1;
    let expected = match s.expect {
        Expect::Done => End::Done,
        Expect::Status(status) => End::Status { id: last, status },
        Expect::VersionMismatch => End::VersionMismatch { id: last },
    };
    let (real_end, real_file) = real_restore(&lines);
    let (our_end, our_file) = our_restore(&lines, s.steps_before_refusal);
    if real_end != expected {
        let _ = writeln!(
            report,
            "{}: the master ended with {real_end:?}, the scenario expects {expected:?}",
            s.name
        );
    }
    if our_end != real_end {
        let _ = writeln!(
            report,
            "{}: the master ended with {real_end:?}, ours with {our_end:?}",
            s.name
        );
    } else if our_file != real_file {
        let _ = writeln!(
            report,
            "{}: the stored files differ ({real_end:?}):\n{}",
            s.name,
            dump_diff(&real_file, &our_file)
        );
    }
    report
}

/// SESADD with every field form, SESSION/CUSTOMER, SESCHANGED, SESDISCONNECTED, SESDEL
/// (with open files and POSIX locks), ACQUIRE/AQUIRE/RELEASE, with sessions and open
/// files sharing hash buckets.
#[test]
fn real_sessions_and_open_files_match_mfsmaster() {
    if !harness::require_real_mfs("real_sessions_and_open_files_match_mfsmaster") {
        return;
    }
    let mut ops: Vec<String> = [
        "SESADD(#123,1,130,0022,0,0,999,999,1,9,0,86400,0x0000000F,2130706433,client one%00):1",
        "SESADD(#0,2,0,0002,1000,1000,1000,1000,2,3,3600,7200,0x00000000,167772161,b%00c%00%00):2",
    ]
    .iter()
    .map(|s| s.to_string())
    .collect();
    ops.extend((3..257).map(|id| format!("SESSION():{id}")));
    ops.extend(
        [
            "CUSTOMER():257",
            // Id 258 shares bucket 2 with session 2; the legacy form has no checksum,
            // umask or disables.
            "SESADD(#5,1,2,0777,0,0,0,0,1,9,0,0,0x00000001,0,x):258",
            "SESADD(1,2,5,0,0,0,1,9,0,0,7,legacy):259",
            "SESADD(#9,3,4,0022,0,0,0,0,1,9,0,0,0x00000000,0,to be deleted):260",
            "SESCHANGED(258,#77,3,255,0700,1,2,3,4,5,6,7,8,0xFFFFFFFF,9,changed%00)",
            "SESDISCONNECTED(2)",
            "SESDISCONNECTED(258)",
            "ACQUIRE(1,2)",
            "ACQUIRE(1,4)",
            "ACQUIRE(2,4)",
            "AQUIRE(258,3)",
            "ACQUIRE(4098,5)",
            "ACQUIRE(260,3)",
            "ACQUIRE(260,4)",
            "POSIXLOCK(3,260,1,W,0,100,42)",
            "POSIXLOCK(4,1,1,R,0,100,43)",
            "RELEASE(1,4)",
            "SESDEL(260)",
            "IDLE()",
        ]
        .iter()
        .map(|s| s.to_string()),
    );
    check(&[Scenario {
        name: "sessions and open files",
        ops,
        expect: Expect::Done,
        steps_before_refusal: 0,
    }]);
}

/// flock and POSIX lock changes: shared and exclusive locks, records in one hash bucket
/// (inodes 4 and 1028), range merges and splits, unlocks that empty a record, locks
/// dropped by RELEASE once the flocks are gone.
#[test]
fn real_locks_match_mfsmaster() {
    if !harness::require_real_mfs("real_locks_match_mfsmaster") {
        return;
    }
    check(&[scenario(
        "locks",
        &[
            "ACQUIRE(1,4)",
            "ACQUIRE(2,4)",
            "ACQUIRE(3,4)",
            "FLOCK(4,1,10,R)",
            "FLOCK(4,2,20,S)",
            "FLOCK(1028,1,11,W)",
            "FLOCK(5,3,12,E)",
            "FLOCK(4,3,30,r)",
            "FLOCK(4,2,20,u)",
            "FLOCK(5,3,12,U)",
            "FLOCK(6,1,1,w)",
            "FLOCK(6,1,1,U)",
            "FLOCK(7,1,1,e)",
            "POSIXLOCK(4,1,10,W,0,10,100)",
            "POSIXLOCK(4,1,10,R,20,30,100)",
            "POSIXLOCK(4,1,10,W,10,20,100)",
            "POSIXLOCK(4,2,20,R,40,50,200)",
            "POSIXLOCK(4,3,30,r,45,60,300)",
            "POSIXLOCK(1028,1,11,W,0,18446744073709551615,5)",
            "POSIXLOCK(4,1,10,U,5,8,100)",
            "POSIXLOCK(4,1,10,w,60,65,101)",
            "POSIXLOCK(4,2,20,U,0,100,200)",
            "POSIXLOCK(8,1,1,W,0,10,1)",
            "POSIXLOCK(8,1,1,U,0,10,1)",
            "POSIXLOCK(8,5,5,U,0,1,1)",
            "POSIXLOCK(9,1,1,E,7,9,1)",
            "POSIXLOCK(9,2,2,s,9,12,1)",
            "FLOCK(4,3,30,U)",
            "RELEASE(3,4)",
            "RELEASE(2,4)",
        ],
        Expect::Done,
    )]);
}

/// Chunk servers (every CSDBOP op and the legacy CSADD/CSDEL), storage classes (create,
/// reuse of a freed id, duplicate with and without logged ids, rename, delete, redefining
/// classes 3 and 10), quotas (legacy and current forms, grace period kept when 0, list
/// order, deletion), SETMETAID and IDLE.
#[test]
fn real_metadata_ops_match_mfsmaster() {
    if !harness::require_real_mfs("real_metadata_ops_match_mfsmaster") {
        return;
    }
    check(&[scenario(
        "chunk servers, classes, quotas, metadata id",
        &[
            "CSDBOP(0,167772161,9422,1)",
            "CSDBOP(0,167772162,9422,2)",
            "CSDBOP(0,167772163,9422,0)",
            "CSADD(167772164,9422)",
            "CSDBOP(4,167772161,9422,1800)",
            "CSDBOP(6,167772162,9422,60)",
            "CSDBOP(5,167772161,9422,0)",
            "CSDBOP(3,167772163,9422,3)",
            "CSDBOP(2,167772170,9500,2)",
            "CSDEL(167772164,9422)",
            "CSDBOP(1,167772161,9422,0)",
            "CSDBOP(0,167772161,9422,1)",
            "SCSET(gold,1,W2,K1,A1,2,24,1,1,0,0,0,2,0,0,0,3,0,0,0,4,0,0,0):11",
            "SCSET(tmp,1,W1,K1,A1,0,0,0,0,0,0,0,0,0,0,0,0,0,0,0):12",
            "SCDEL(tmp):12",
            "SCSET(tmp2,1,W1,K1,A1,0,0,0,7,7,7,7,8,8,8,8,9,9,9,9):12",
            "SCDUP(gold,silver):11,13",
            "SCDUP(silver,bronze):0,0",
            "SCREN(bronze,copper):14",
            "SCREN(copper,tin):0",
            "SCDEL(tin):0",
            "SCDUP(2,two%2Cagain):2,14",
            "SCSET(3,0,W1,K1,A1,0,5,0,5,6,7,8,5,6,7,8,5,6,7,8):3",
            "SCSET(used,0,W2,K2,A2,2,1,1,1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8,1,2,3,4,5,6,7,8):10",
            "QUOTA(3,0,17,0,10,20,0,0,0,0,0,0)",
            "QUOTA(2,1,255,1700000000,1,2,3,4,5,6,7,8,3600)",
            "QUOTA(3,0,17,0,11,21,0,0,0,0,0,0,0)",
            "QUOTA(5,0,1,0,1,0,0,0,0,0,0,0,60)",
            "QUOTA(2,1,34,0,1,2,3,4,5,6,7,8,0)",
            "QUOTA(5,0,0,0,0,0,0,0,0,0,0,0,0)",
            "QUOTA(1,0,2,0,0,0,100,200,0,0,0,0,86400)",
            "SETMETAID(1234567890123)",
            "SETMETAID(1234567890123)",
            "IDLE()",
        ],
        Expect::Done,
    )]);
}

/// Every refusal of this family, each at the end of a short changelog: same line, same
/// status or version mismatch, same state stored by `-i`.
#[test]
fn real_refusals_match_mfsmaster() {
    if !harness::require_real_mfs("real_refusals_match_mfsmaster") {
        return;
    }
    use Expect::{Status, VersionMismatch};
    const ADD1: &str = "SESADD(#1,1,2,0022,0,0,999,999,1,9,0,86400,0x00000000,1,x):1";
    const CS: &str = "CSDBOP(0,167772161,9422,1)";
    let mut scenarios = vec![
        scenario(
            "SESCHANGED unknown",
            &[
                ADD1,
                "SESCHANGED(9,#5,1,2,0777,1,2,3,4,2,3,4,5,0x00000000,6,y)",
            ],
            Status(32),
        ),
        scenario(
            "SESDISCONNECTED unknown",
            &[ADD1, "SESDISCONNECTED(2)"],
            Status(41),
        ),
        scenario("SESDEL unknown", &[ADD1, "SESDEL(2)"], Status(35)),
        scenario("SESSION wrong id", &["SESSION():2"], Status(32)),
        scenario("CUSTOMER wrong id", &[ADD1, "CUSTOMER():1"], Status(32)),
        scenario(
            "ACQUIRE twice",
            &["ACQUIRE(1,2)", "AQUIRE(1,2)"],
            Status(32),
        ),
        scenario(
            "RELEASE unknown",
            &["ACQUIRE(1,2)", "RELEASE(2,1)"],
            Status(32),
        ),
        scenario(
            "RELEASE with an active flock",
            &["ACQUIRE(1,2)", "FLOCK(2,1,7,R)", "RELEASE(1,2)"],
            VersionMismatch,
        ),
        scenario(
            "SESDEL with active flocks",
            &[
                ADD1,
                "ACQUIRE(1,2)",
                "ACQUIRE(1,4)",
                "FLOCK(2,1,7,R)",
                "FLOCK(4,1,7,W)",
                "POSIXLOCK(4,1,7,W,0,1,1)",
                "SESDEL(1)",
            ],
            VersionMismatch,
        ),
        scenario(
            "FLOCK unlock matching nothing",
            &["FLOCK(2,1,7,R)", "FLOCK(2,1,8,U)"],
            VersionMismatch,
        ),
        scenario(
            "FLOCK unlock of a doubled lock",
            &["FLOCK(2,1,7,R)", "FLOCK(2,1,7,R)", "FLOCK(2,1,7,U)"],
            VersionMismatch,
        ),
        scenario(
            "FLOCK unlock without record",
            &["FLOCK(2,1,7,U)"],
            Status(32),
        ),
        scenario("FLOCK bad command", &["FLOCK(2,1,7,X)"], Status(6)),
        scenario(
            "FLOCK conflict",
            &["FLOCK(2,1,7,R)", "FLOCK(2,2,8,W)"],
            Status(32),
        ),
        scenario(
            "FLOCK conflict leaves a record",
            &[
                "FLOCK(2,1,7,W)",
                "FLOCK(2,1,7,U)",
                "FLOCK(2,1,7,W)",
                "FLOCK(2,2,7,R)",
            ],
            Status(32),
        ),
        scenario(
            "POSIXLOCK conflict",
            &["POSIXLOCK(2,1,7,R,0,10,1)", "POSIXLOCK(2,2,8,W,9,20,2)"],
            Status(32),
        ),
        scenario(
            "POSIXLOCK unlock without record",
            &["POSIXLOCK(2,1,7,U,0,10,1)"],
            Status(32),
        ),
        scenario(
            "POSIXLOCK bad command",
            &["POSIXLOCK(2,1,7,x,0,10,1)"],
            Status(6),
        ),
        scenario(
            "CSDBOP add twice",
            &[CS, "CSDBOP(0,167772161,9422,2)"],
            Status(32),
        ),
        scenario(
            "CSDBOP add csid in use",
            &[CS, "CSDBOP(0,167772162,9422,1)"],
            Status(32),
        ),
        scenario(
            "CSDBOP add csid too big",
            &["CSDBOP(0,1,1,65536)"],
            Status(32),
        ),
        scenario(
            "CSDBOP del unknown",
            &[CS, "CSDBOP(1,167772162,9422,0)"],
            Status(32),
        ),
        scenario("CSDEL unknown", &["CSDEL(1,1)"], Status(32)),
        scenario(
            "CSDBOP new address, csid 0",
            &[CS, "CSDBOP(2,1,1,0)"],
            Status(32),
        ),
        scenario(
            "CSDBOP new address, unknown csid",
            &[CS, "CSDBOP(2,1,1,5)"],
            Status(32),
        ),
        scenario(
            "CSDBOP new id in use",
            &[CS, "CSDBOP(3,167772161,9422,1)"],
            Status(32),
        ),
        scenario(
            "CSDBOP new id, unknown server",
            &[CS, "CSDBOP(3,1,1,5)"],
            Status(32),
        ),
        scenario(
            "CSDBOP maintenance, unknown server",
            &[CS, "CSDBOP(4,1,1,5)"],
            Status(32),
        ),
        scenario(
            "CSDBOP unknown op",
            &[CS, "CSDBOP(7,167772161,9422,0)"],
            Status(32),
        ),
        scenario(
            "SCSET existing name",
            &["SCSET(used,1,W1,K1,A1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0):11"],
            Status(50),
        ),
        scenario(
            "SCSET change of a missing class",
            &["SCSET(nope,0,W1,K1,A1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0):11"],
            Status(52),
        ),
        scenario(
            "SCSET wrong id",
            &["SCSET(new,1,W1,K1,A1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0):12"],
            Status(32),
        ),
        scenario(
            "SCSET zero counts",
            &["SCSET(new,1,W0,K0,A0,1,0,0,-):11"],
            Status(6),
        ),
        scenario(
            "SCSET zero counts, wrong id",
            &["SCSET(new,1,W0,K0,A0,1,0,0,-):12"],
            Status(32),
        ),
        scenario("SCDUP one id logged", &["SCDUP(used,x):10,0"], Status(6)),
        scenario("SCDUP unknown source", &["SCDUP(nope,x):10,11"], Status(52)),
        scenario("SCDUP wrong source id", &["SCDUP(used,x):9,11"], Status(32)),
        scenario("SCDUP existing name", &["SCDUP(used,1):10,11"], Status(50)),
        scenario("SCDUP wrong new id", &["SCDUP(used,x):10,12"], Status(32)),
        scenario("SCREN predefined", &["SCREN(1,x):1"], Status(1)),
        scenario("SCREN unknown", &["SCREN(nope,x):10"], Status(52)),
        scenario("SCREN wrong id", &["SCREN(used,x):11"], Status(32)),
        scenario("SCREN existing name", &["SCREN(used,9):10"], Status(50)),
        scenario("SCDEL in use", &["SCDEL(used):10"], Status(53)),
        scenario("SCDEL in use, no id", &["SCDEL(used):0"], Status(53)),
        scenario("SCDEL predefined", &["SCDEL(2):2"], Status(1)),
        scenario("SCDEL unknown", &["SCDEL(nope):10"], Status(52)),
        scenario(
            "SCDEL wrong id",
            &[
                "SCSET(new,1,W1,K1,A1,1,0,0,0,0,0,0,0,0,0,0,0,0,0,0):11",
                "SCDEL(new):12",
            ],
            Status(32),
        ),
        scenario(
            "QUOTA missing inode",
            &["QUOTA(99,0,1,0,1,0,0,0,0,0,0,0,0)"],
            Status(3),
        ),
        scenario(
            "QUOTA on a file",
            &["QUOTA(4,0,1,0,1,0,0,0,0,0,0,0,0)"],
            Status(1),
        ),
        scenario(
            "SETMETAID different",
            &["SETMETAID(5)", "SETMETAID(6)"],
            Status(6),
        ),
    ];
    // SESADD creates its session and advances the version before comparing the id.
    scenarios.push(Scenario {
        steps_before_refusal: 1,
        ..scenario(
            "SESADD wrong id",
            &["SESADD(#1,1,2,0022,0,0,999,999,1,9,0,86400,0x00000000,1,x):5"],
            Status(32),
        )
    });
    check(&scenarios);
}
