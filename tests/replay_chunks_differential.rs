//! The chunk, file-data, xattr and ACL operations (WRITE, LENGTH, TRUNC, UNLOCK, APPEND,
//! ROLLBACK, REPAIR, SETFILECHUNK, CHUNKADD, CHUNKDEL, SETVERSION, INCVERSION,
//! NEXTCHUNKID, ARCHCHG, SETXATTR, SETACL) replayed by the real `mfsmaster -a restore`
//! and by our replay give byte-identical metadata files.
//!
//! Every case starts from `testdata/handmade/empty-plus-4-lines/metadata.mfs` (version
//! 5: file 2 `hello.txt`, 5 bytes, chunk 1) and replays its lines from id 5 on. The
//! timestamps lie in the future, so that the chunk lock times (`ts + 120`) are stored
//! rather than written as 0, and are compared too.
//!
//! A case that ends in a failing line is restored with `-i`, which makes the master
//! store the state it reached, partial effects of the failing line included; the
//! master's log must name the same status as our replay (or "version mismatch" when the
//! line advances the version other than once, as REPAIR with a version does). One
//! known difference is made up for: an ARCHCHG whose counts differ has advanced the
//! master's version before it fails, which our replay's result cannot express
//! ([`End::FailsAfterVersionBump`]).

mod harness;
mod support;

use std::fmt::Write as _;
use std::path::Path;

use bumpalo::Bump;
use mfsmeta::format::changelog::{parse_line, RestoreEffect};
use mfsmeta::model::image::Image;
use mfsmeta::replay::{apply, Replay, Status};

use harness::oracle::mfsmaster_restore_with;
use harness::TempDir;

/// Version of the start file: the id of the first line of every case.
const FIRST_ID: u64 = 5;
/// Timestamps of the cases (2096): lock times stay in the future.
const T: u32 = 4_000_000_000;

/// How a case ends.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
enum End {
    /// Every line applies.
    Applied,
    /// The last line fails with this status.
    Fails(u8),
    /// The last line applies but advances the version other than once.
    VersionMismatch,
    /// The last line fails with this status after the master has advanced the version
    /// once (ARCHCHG compares its counts after that). Our replay cannot say so (an
    /// operation either fails or advances the version), so the comparison makes up for
    /// that one increment.
    FailsAfterVersionBump(u8),
}

struct Case {
    name: &'static str,
    /// Bodies without the id; `{t}` stands for the line's timestamp.
    lines: Vec<String>,
    end: End,
}

/// The lines of a case as a changelog file: ids from [`FIRST_ID`], times `T + k`.
fn changelog(case: &Case) -> String {
    let mut out = String::new();
    for (k, body) in case.lines.iter().enumerate() {
        let id = FIRST_ID + k as u64;
        let ts = T + k as u32;
        let _ = writeln!(out, "{id}: {}", body.replace("{t}", &ts.to_string()));
    }
    out
}

/// Our replay of `log` over `start`: the stored file, and how it ended. `bump_on_failure`
/// is added to the version when a line fails (see [`End::FailsAfterVersionBump`]).
fn ours(start: &[u8], log: &str, now: u32, bump_on_failure: u64) -> Result<(Vec<u8>, End), String> {
    let arena = Bump::new();
    let mut image = Image::load(start, now).map_err(|e| e.to_string())?;
    image.prepare_replay();
    let mut r = Replay {
        image: &mut image,
        arena: &arena,
    };
    let mut end = End::Applied;
    for line in log.lines() {
        let parsed = match parse_line(line.as_bytes()) {
            Ok(parsed) => parsed,
            Err(e) => match e.restore_effect() {
                // Checks the master does while reading the line.
                RestoreEffect::Fail { status } => {
                    end = End::Fails(status);
                    break;
                }
                _ => return Err(format!("{line}: {e}")),
            },
        };
        match apply(&mut r, parsed.ts, &parsed.op) {
            Ok(bumps) => {
                r.image.version += bumps;
                if r.image.version != parsed.id + 1 {
                    end = End::VersionMismatch;
                    break;
                }
            }
            Err(Status(code)) => {
                r.image.version += bump_on_failure;
                end = End::Fails(code);
                break;
            }
        }
    }
    Ok((image.store(now).0, end))
}

/// How the master's log says its replay ended.
fn theirs_end(log: &str) -> End {
    if log.contains("version mismatch") {
        return End::VersionMismatch;
    }
    match log.split("error: ").nth(1) {
        Some(rest) => End::Fails(
            rest.split(|c: char| !c.is_ascii_digit())
                .next()
                .and_then(|n| n.parse().ok())
                .unwrap_or(0),
        ),
        None => End::Applied,
    }
}

/// Sorted-dump lines that only one of the two files has.
fn dump_diff(ours: &Path, theirs: &Path) -> String {
    match (
        harness::mfsmetadump_normalized(ours),
        harness::mfsmetadump_normalized(theirs),
    ) {
        (Ok(a), Ok(b)) => a
            .lines()
            .filter(|l| !b.contains(l))
            .map(|l| format!("+ {l}"))
            .chain(
                b.lines()
                    .filter(|l| !a.contains(l))
                    .map(|l| format!("- {l}")),
            )
            .take(40)
            .collect::<Vec<_>>()
            .join("\n"),
        (a, b) => format!("(no dump: {:?} / {:?})", a.err(), b.err()),
    }
}

fn compare(case: &Case) -> Result<(), String> {
    let start_path = support::testdata().join("handmade/empty-plus-4-lines/metadata.mfs");
    let start = std::fs::read(&start_path).map_err(|e| e.to_string())?;
    let log = changelog(case);
    let dir = TempDir::new("replay-chunks").map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("metadata.mfs"), &start).map_err(|e| e.to_string())?;
    std::fs::write(dir.path().join("changelog.0.mfs"), &log).map_err(|e| e.to_string())?;
    let flags: &[&str] = if case.end == End::Applied {
        &[]
    } else {
        &["-i"]
    };
    let theirs_path = mfsmaster_restore_with(dir.path(), flags).map_err(|e| e.to_string())?;
    let master_log = std::fs::read_to_string(dir.path().join(harness::oracle::RESTORE_LOG))
        .map_err(|e| e.to_string())?;
    let master_end = theirs_end(&master_log);
    let expected = match case.end {
        End::FailsAfterVersionBump(status) => End::Fails(status),
        other => other,
    };
    if master_end != expected {
        return Err(format!(
            "mfsmaster ended with {master_end:?}, the case expects {:?}; its log:\n{master_log}",
            case.end
        ));
    }
    let now = mfsmeta::restore::now();
    let bump = u64::from(matches!(case.end, End::FailsAfterVersionBump(_)));
    let (ours_bytes, our_end) = ours(&start, &log, now, bump)?;
    if our_end != expected {
        return Err(format!(
            "our replay ended with {our_end:?}, mfsmaster with {expected:?}"
        ));
    }
    let theirs_bytes = std::fs::read(&theirs_path).map_err(|e| e.to_string())?;
    if ours_bytes != theirs_bytes {
        let ours_path = dir.path().join("ours.mfs");
        std::fs::write(&ours_path, &ours_bytes).map_err(|e| e.to_string())?;
        let at = ours_bytes
            .iter()
            .zip(&theirs_bytes)
            .position(|(a, b)| a != b);
        return Err(format!(
            "output differs (first byte {at:?}):\n{}",
            dump_diff(&ours_path, &theirs_path)
        ));
    }
    Ok(())
}

/// Runs the cases (a few at a time: each is a short `mfsmaster` run in a folder of its
/// own) and fails with every difference found.
fn run(test: &str, cases: &[Case]) {
    if !harness::require_real_mfs(test) {
        return;
    }
    let mut failures: Vec<String> = Vec::new();
    for batch in cases.chunks(8) {
        std::thread::scope(|s| {
            let handles: Vec<_> = batch
                .iter()
                .map(|c| {
                    s.spawn(move || compare(c).map_err(|why| format!("case {}: {why}", c.name)))
                })
                .collect();
            for h in handles {
                if let Err(e) = h.join().unwrap() {
                    failures.push(e);
                }
            }
        });
    }
    assert!(failures.is_empty(), "{}", failures.join("\n\n"));
}

/// Files and directories the cases share: dir `d` (3), files `d/a` (4, uid 1000) and
/// `d/b` (5, uid 2000).
const TREE: [&str; 3] = [
    "{t}|CREATE(1,d,2,493,18,0,0,0):3",
    "{t}|CREATE(3,a,1,420,18,1000,1000,0):4",
    "{t}|CREATE(3,b,1,420,18,2000,2000,0):5",
];

/// [`TREE`] followed by `lines`.
fn on_tree(lines: &[&str]) -> Vec<String> {
    TREE.iter().chain(lines).map(|l| l.to_string()).collect()
}

/// A case over [`TREE`].
fn tree_case(name: &'static str, lines: &[&str], end: End) -> Case {
    Case {
        name,
        lines: on_tree(lines),
        end,
    }
}

#[test]
fn real_file_data_operations_replay_like_mfsmaster() {
    let lines = [
        // New chunk 2, then the same chunk with and without a version bump.
        "{t}|WRITE(4,0,1,1):2",
        "{t}|LENGTH(4,1000,1)",
        "{t}|UNLOCK(2)",
        "{t}|WRITE(4,0,1,1):2",
        "{t}|WRITE(4,0,0,0):2",
        // Index 3: the table grows, the length only to the chunk's start.
        "{t}|WRITE(4,3,1,1):3",
        "{t}|LENGTH(4,268435456,0)",
        // Legacy whole-file append: b shares chunks 2 and 3.
        "{t}|APPEND(5,4)",
        // Copy-on-write by WRITE and by TRUNC; then TRUNC of a private chunk.
        "{t}|WRITE(5,0,1,1):4",
        "{t}|TRUNC(4,3):5",
        "{t}|TRUNC(5,3):3",
        // LENGTH drops a's reference to chunk 5, which can then go.
        "{t}|LENGTH(4,100,1)",
        "{t}|UNLOCK(5)",
        "{t}|CHUNKDEL(5,1)",
        "{t}|WRITE(5,1,1,1):6",
        // Slices: to the source's end, then one inner chunk.
        "{t}|APPEND(4,5,1,3)",
        "{t}|APPEND(4,5,2,2)",
        // A chunk table longer than the length: entries past it are dropped.
        "{t}|CREATE(3,c,1,420,18,0,0,0):6",
        "{t}|WRITE(6,2,1,1):7",
        "{t}|APPEND(6,4,0,0)",
        "{t}|LENGTH(6,0,1)",
        // An empty source appends nothing (and still counts).
        "{t}|APPEND(4,6,0,0)",
        // Copy-on-write undone by ROLLBACK; the new chunk then goes.
        "{t}|WRITE(4,1,1,1):8",
        "{t}|ROLLBACK(4,1,6,8)",
        "{t}|CHUNKDEL(8,1)",
        "{t}|ROLLBACK(4,0,2,2)",
        "{t}|ROLLBACK(4,4,0,0)",
        "{t}|SETFILECHUNK(4,1,0)",
        "{t}|SETFILECHUNK(4,2,3)",
        "{t}|SETFILECHUNK(4,4,77)",
        "{t}|REPAIR(5,1):0",
        "{t}|SETVERSION(3,7)",
        "{t}|INCVERSION(3)",
        // Chunk records without files.
        "{t}|CHUNKADD(100,5,0)",
        "{t}|CHUNKADD(50,3,4000001000)",
        "{t}|CHUNKDEL(100,5)",
        "{t}|NEXTCHUNKID(200)",
        "{t}|WRITE(4,5,1,1):200",
        // Trash files keep their data and can still be written.
        "{t}|UNLINK(3,b):5",
        "{t}|WRITE(5,4,1,0):201",
        "{t}|LENGTH(5,300000000,0)",
        // Legacy short forms.
        "{t}|WRITE(2,1):202",
        "{t}|WRITE(2,1,0):202",
        "{t}|LENGTH(2,70000000)",
        // The SNAPSHOT flag goes with WRITE and LENGTH.
        "{t}|SETEATTR(4,0,16,0):1,0,0",
        "{t}|WRITE(4,0,1,0):2",
        "{t}|SETEATTR(4,0,16,0):1,0,0",
        "{t}|LENGTH(4,335544320,0)",
    ];
    run(
        "real_file_data_operations_replay_like_mfsmaster",
        &[tree_case(
            "writes, lengths, appends, copy-on-write",
            &lines,
            End::Applied,
        )],
    );
}

#[test]
fn real_archive_flags_replay_like_mfsmaster() {
    let setup = [
        "{t}|WRITE(4,0,1,1):2",
        "{t}|WRITE(4,1,1,1):3",
        "{t}|LENGTH(4,134217728,1)",
        "{t}|WRITE(5,0,1,1):4",
        "{t}|LENGTH(5,1000,1)",
        "{t}|APPEND(5,4,0,0)",
        // a has two names: it is visited twice.
        "{t}|LINK(4,1,alink)",
    ];
    let with_setup = |more: &[&str]| -> Vec<String> {
        on_tree(&setup)
            .into_iter()
            .chain(more.iter().map(|l| l.to_string()))
            .collect()
    };
    let cases = [
        Case {
            name: "archive flags set and cleared",
            lines: with_setup(&[
                // hello.txt: 1 changed; a via alink: 2 changed; a via d: 2 not changed;
                // b (uid 2000): not permitted.
                "{t}|ARCHCHG(1,1000,1):3,2,1",
                // b by root: its chunk 4 was never set, chunk 2 (shared with a) was.
                "{t}|ARCHCHG(5,0,0):1,1,0",
                "{t}|SETEATTR(4,0,128,0):1,0,0",
                // a is immutable now: not permitted.
                "{t}|ARCHCHG(3,0,1):2,0,1",
                // A command other than 1 clears, without ctime.
                "{t}|ARCHCHG(2,0,2):1,0,0",
                "{t}|ARCHCHG(2,0,2):0,1,0",
                // NOOWNER makes any uid the owner.
                "{t}|SETEATTR(5,0,1,0):1,0,0",
                "{t}|ARCHCHG(5,0,0):2,0,0",
                "{t}|ARCHCHG(5,77,1):2,0,0",
            ]),
            end: End::Applied,
        },
        Case {
            name: "archive flag of a file not permitted",
            lines: with_setup(&["{t}|ARCHCHG(5,1000,0):0,0,1"]),
            end: End::Fails(1),
        },
        Case {
            name: "archive flag of a symlink",
            lines: with_setup(&["{t}|SYMLINK(1,sl,x,0,0):6", "{t}|ARCHCHG(6,0,1):0,0,0"]),
            end: End::Fails(1),
        },
        Case {
            name: "archive flag of a missing node",
            lines: with_setup(&["{t}|ARCHCHG(99,0,1):0,0,0"]),
            end: End::Fails(3),
        },
        Case {
            name: "archive flag counts differ, flags changed anyway",
            lines: with_setup(&["{t}|ARCHCHG(1,0,1):0,0,0"]),
            end: End::FailsAfterVersionBump(32),
        },
    ];
    run("real_archive_flags_replay_like_mfsmaster", &cases);
}

#[test]
fn real_failing_chunk_operations_stop_like_mfsmaster() {
    // a = [2], b = [2, 3] (chunk 2 shared), c = hole then a missing chunk 77.
    let shared = [
        "{t}|WRITE(4,0,1,1):2",
        "{t}|LENGTH(4,1000,1)",
        "{t}|APPEND(5,4)",
        "{t}|WRITE(5,1,1,1):3",
        "{t}|CREATE(3,c,1,420,18,0,0,0):6",
        "{t}|WRITE(6,2,1,1):4",
        "{t}|SETFILECHUNK(6,1,77)",
    ];
    let f = |name: &'static str, more: &[&str], end: End| Case {
        name,
        lines: on_tree(&shared)
            .into_iter()
            .chain(more.iter().map(|l| l.to_string()))
            .collect(),
        end,
    };
    let cases = [
        f(
            "write, missing node",
            &["{t}|WRITE(99,0,1,1):5"],
            End::Fails(3),
        ),
        f("write, directory", &["{t}|WRITE(3,0,1,1):5"], End::Fails(1)),
        f(
            "write, index too big",
            &["{t}|WRITE(4,2147483648,1,1):5"],
            End::Fails(10),
        ),
        f(
            "write, new chunk id differs",
            &["{t}|WRITE(4,3,1,1):9"],
            End::Fails(32),
        ),
        f(
            "write, own chunk id differs",
            &["{t}|WRITE(5,1,1,1):4"],
            End::Fails(32),
        ),
        f(
            "write, copy id differs",
            &["{t}|WRITE(5,0,1,1):2"],
            End::Fails(32),
        ),
        f(
            "write, missing chunk",
            &["{t}|WRITE(6,1,1,1):77"],
            End::Fails(13),
        ),
        f(
            "write, chunk without references",
            &["{t}|CHUNKADD(77,1,0)", "{t}|WRITE(6,1,1,1):77"],
            End::Fails(8),
        ),
        f(
            "length, missing node",
            &["{t}|LENGTH(99,0,1)"],
            End::Fails(3),
        ),
        f("length, directory", &["{t}|LENGTH(3,0,1)"], End::Fails(6)),
        f("trunc, directory", &["{t}|TRUNC(3,0):2"], End::Fails(6)),
        f(
            "trunc, index too big",
            &["{t}|TRUNC(4,2147483648):2"],
            End::Fails(10),
        ),
        f(
            "trunc, past the table",
            &["{t}|TRUNC(4,1):2"],
            End::Fails(6),
        ),
        f("trunc, hole", &["{t}|TRUNC(6,0):5"], End::Fails(13)),
        f(
            "trunc, missing chunk",
            &["{t}|TRUNC(6,1):77"],
            End::Fails(13),
        ),
        f(
            "trunc, chunk without references",
            &["{t}|CHUNKADD(77,1,0)", "{t}|TRUNC(6,1):77"],
            End::Fails(8),
        ),
        f(
            "trunc, own chunk id differs",
            &["{t}|TRUNC(5,1):5"],
            End::Fails(32),
        ),
        f(
            "trunc, copy id differs",
            &["{t}|TRUNC(5,0):2"],
            End::Fails(32),
        ),
        f("unlock, missing chunk", &["{t}|UNLOCK(77)"], End::Fails(13)),
        f("append, same file", &["{t}|APPEND(4,4,0,0)"], End::Fails(6)),
        f(
            "append, missing source",
            &["{t}|APPEND(4,99,0,0)"],
            End::Fails(3),
        ),
        f(
            "append, directory source",
            &["{t}|APPEND(4,3,0,0)"],
            End::Fails(1),
        ),
        f(
            "append, directory target",
            &["{t}|APPEND(3,4,0,0)"],
            End::Fails(1),
        ),
        f(
            "append, slice past the end",
            &["{t}|APPEND(4,5,0,2)"],
            End::Fails(6),
        ),
        f(
            "append, reversed slice",
            &["{t}|APPEND(4,5,1,0)"],
            End::Fails(6),
        ),
        f(
            "append, too many chunks",
            &["{t}|LENGTH(4,144115188075855872,1)", "{t}|APPEND(4,5,0,0)"],
            End::Fails(10),
        ),
        f(
            "rollback, directory",
            &["{t}|ROLLBACK(3,0,0,2)"],
            End::Fails(1),
        ),
        f(
            "rollback, index too big",
            &["{t}|ROLLBACK(4,2147483648,0,2)"],
            End::Fails(10),
        ),
        f(
            "rollback, past the table",
            &["{t}|ROLLBACK(4,1,0,2)"],
            End::Fails(6),
        ),
        f("repair, directory", &["{t}|REPAIR(3,0):0"], End::Fails(1)),
        f(
            "repair, index too big",
            &["{t}|REPAIR(4,2147483648):0"],
            End::Fails(10),
        ),
        f(
            "repair, past the table",
            &["{t}|REPAIR(4,1):0"],
            End::Fails(13),
        ),
        f("repair, hole", &["{t}|REPAIR(6,0):0"], End::Fails(13)),
        // The entry is cleared and the times set before the chunk step fails.
        f(
            "repair, missing chunk",
            &["{t}|REPAIR(6,1):0"],
            End::Fails(13),
        ),
        f(
            "repair, chunk without references",
            &["{t}|CHUNKADD(77,1,0)", "{t}|REPAIR(6,1):0"],
            End::Fails(8),
        ),
        f(
            "repair, new version of a missing chunk",
            &["{t}|REPAIR(6,1):3"],
            End::Fails(13),
        ),
        // 3.0.117 advances the version twice here: no REPAIR with a version replays.
        f(
            "repair, new version",
            &["{t}|REPAIR(4,0):9"],
            End::VersionMismatch,
        ),
        f(
            "set file chunk, missing node",
            &["{t}|SETFILECHUNK(99,0,0)"],
            End::Fails(3),
        ),
        f(
            "set file chunk, past the table",
            &["{t}|SETFILECHUNK(4,1,0)"],
            End::Fails(32),
        ),
        // The master reads a file's fields of other nodes; for an empty directory (and
        // fifos, symlinks) that gives an empty table. (A non-empty directory crashes it.)
        f(
            "set file chunk, empty directory",
            &[
                "{t}|CREATE(1,e,2,493,18,0,0,0):7",
                "{t}|SETFILECHUNK(7,0,0)",
            ],
            End::Fails(32),
        ),
        f(
            "chunkadd, existing chunk",
            &["{t}|CHUNKADD(2,1,0)"],
            End::Fails(20),
        ),
        f(
            "chunkadd, too far ahead",
            &["{t}|CHUNKADD(1000000006,1,0)"],
            End::Fails(32),
        ),
        // The next chunk id has moved before the lock time is refused.
        f(
            "chunkadd, lock in the past",
            &["{t}|CHUNKADD(50,1,5)"],
            End::Fails(32),
        ),
        f(
            "chunkdel, missing chunk",
            &["{t}|CHUNKDEL(77,1)"],
            End::Fails(13),
        ),
        f(
            "chunkdel, wrong version",
            &["{t}|CHUNKADD(50,4,0)", "{t}|CHUNKDEL(50,3)"],
            End::Fails(19),
        ),
        f(
            "chunkdel, used chunk",
            &["{t}|UNLOCK(2)", "{t}|CHUNKDEL(2,1)"],
            End::Fails(42),
        ),
        f(
            "chunkdel, locked chunk",
            &["{t}|CHUNKADD(50,4,4000001000)", "{t}|CHUNKDEL(50,4)"],
            End::Fails(11),
        ),
        f(
            "setversion, missing chunk",
            &["{t}|SETVERSION(77,1)"],
            End::Fails(13),
        ),
        f(
            "incversion, missing chunk",
            &["{t}|INCVERSION(77)"],
            End::Fails(13),
        ),
        f(
            "nextchunkid, not ahead",
            &["{t}|NEXTCHUNKID(5)"],
            End::Fails(32),
        ),
    ];
    run("real_failing_chunk_operations_stop_like_mfsmaster", &cases);
}

#[test]
fn real_xattrs_and_acls_replay_like_mfsmaster() {
    let big_value = "v".repeat(65536);
    // 256 names of 255 bytes: (255 + 1) × 256 = 65536 bytes of names, the most allowed.
    let mut full: Vec<String> = on_tree(&[]);
    full.extend((0..256).map(|k| format!("{{t}}|SETXATTR(4,{k:0>255},x,1)")));
    let mut too_many = full.clone();
    too_many.push("{t}|SETXATTR(4,z,,1)".to_string());
    let lines = [
        "{t}|SETXATTR(4,user.x,abc,0)",
        "{t}|SETXATTR(4,user.y,%00%01,1)",
        "{t}|SETXATTR(4,user.x,defg,2)",
        "{t}|SETXATTR(4,user.x,,0)",
        "{t}|SETXATTR(4,user.y,,3)",
        "{t}|SETXATTR(3,user.z,,0)",
        "{t}|SETXATTR(5,user.q,v,0)",
        "{t}|SETXATTR(5,user.q,,3)",
        // A name cut at its %00.
        "{t}|SETXATTR(5,user.r%00tail,v,0)",
        // An access ACL with a named user (1000: rw-) and a named group (5: r--).
        "{t}|SETACL(4,436,1,1,6,4,4,6,1,1,%00%00%03%E8%00%06%00%00%00%05%00%04)",
        // A default ACL with no named entries and no mask is kept.
        "{t}|SETACL(3,493,0,2,7,5,5,65535,0,0,)",
        // A "simple" access ACL is the mode alone: nothing is stored.
        "{t}|SETACL(5,416,1,1,6,4,0,65535,0,0,)",
        // The mode keeps 12 bits.
        "{t}|SETACL(4,8191,1,1,7,7,7,7,0,0,)",
        "{t}|CREATE(3,c,1,438,18,0,0,0):6",
        "{t}|CREATE(3,e,2,511,18,0,0,0):7",
        // All 0xFFFF and no entries: removed, mode and ctime untouched.
        "{t}|SETACL(4,420,1,1,65535,65535,65535,65535,0,0,)",
        "{t}|SETACL(7,420,1,2,65535,65535,65535,65535,0,0,)",
        "{t}|SETACL(6,420,0,2,65535,65535,65535,65535,0,0,)",
    ];
    let mut with_value = on_tree(&[]);
    with_value.push(format!("{{t}}|SETXATTR(4,user.big,{big_value},0)"));
    let mut too_big = on_tree(&[]);
    too_big.push(format!("{{t}}|SETXATTR(4,user.big,{big_value}v,0)"));
    let cases = [
        tree_case("xattrs and ACLs", &lines, End::Applied),
        Case {
            name: "xattr names up to the list limit",
            lines: full,
            end: End::Applied,
        },
        Case {
            name: "xattr names past the list limit",
            lines: too_many,
            end: End::Fails(40),
        },
        Case {
            name: "xattr value of the largest size",
            lines: with_value,
            end: End::Applied,
        },
        Case {
            name: "xattr value too long",
            lines: too_big,
            end: End::Fails(6),
        },
        tree_case(
            "xattr, create only an existing name",
            &["{t}|SETXATTR(4,user.x,1,0)", "{t}|SETXATTR(4,user.x,2,1)"],
            End::Fails(5),
        ),
        tree_case(
            "xattr, replace a missing name",
            &["{t}|SETXATTR(4,user.x,1,0)", "{t}|SETXATTR(4,user.y,2,2)"],
            End::Fails(38),
        ),
        tree_case(
            "xattr, replace without any",
            &["{t}|SETXATTR(4,user.y,2,2)"],
            End::Fails(38),
        ),
        tree_case(
            "xattr, remove a missing name",
            &["{t}|SETXATTR(4,user.x,1,0)", "{t}|SETXATTR(4,user.y,,3)"],
            End::Fails(38),
        ),
        tree_case(
            "xattr, bad mode",
            &["{t}|SETXATTR(4,user.x,1,4)"],
            End::Fails(6),
        ),
        tree_case(
            "xattr, empty name",
            &["{t}|SETXATTR(4,%00x,1,0)"],
            End::Fails(6),
        ),
        tree_case(
            "xattr, missing node",
            &["{t}|SETXATTR(99,user.x,1,0)"],
            End::Fails(3),
        ),
        tree_case(
            "xattr, bad mode before missing node",
            &["{t}|SETXATTR(99,user.x,1,9)"],
            End::Fails(6),
        ),
        tree_case(
            "acl, missing node",
            &["{t}|SETACL(99,420,1,1,7,5,5,7,0,0,)"],
            End::Fails(3),
        ),
        tree_case(
            "acl, bad type",
            &["{t}|SETACL(4,420,1,3,7,5,5,7,0,0,)"],
            End::Fails(6),
        ),
        tree_case(
            "acl, blob of the wrong length",
            &["{t}|SETACL(4,420,1,1,7,5,5,7,1,0,%00%00%03%E8%00)"],
            End::Fails(32),
        ),
        tree_case(
            "acl, blob checked before the node",
            &["{t}|SETACL(99,420,1,1,7,5,5,7,0,0,%00)"],
            End::Fails(32),
        ),
    ];
    run("real_xattrs_and_acls_replay_like_mfsmaster", &cases);
}
