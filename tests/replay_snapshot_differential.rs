//! SNAPSHOT replay does what the real `mfsmaster -a restore` of 3.0.117 does.
//!
//! Each scenario is a chain of steps over hand-written changelog lines (`TS|OP`, the ids
//! are added here, continuing the version of the step's starting file):
//!
//! * a **set-up** step is restored by the real master only, from `MFSM NEW` or from the
//!   previous step's result; its output is the next step's input. Trees, chunks, ACLs,
//!   open files and so on are made this way, so that only SNAPSHOT has to be replayed
//!   by us;
//! * a **same** step is restored by the real master and by us (`Image::load` of the
//!   same input, every line through `replay::apply`, `Image::store`): the two files
//!   must be byte-identical (on a difference the sorted `mfsmetadump` lines are shown);
//! * a **fails** step must make the real restore fail with the given status on its
//!   last line, and our replay return the same status there.
//!
//! Many lines carry their six counters, written by hand from `replay-semantics.md` §6:
//! the real master checks them, so a wrong count fails the real restore as well.
//! Among them are the example of §6.1 (`:0,0,0,0,1,4`, then `:3,0,2,3,0,0`), the
//! order of inodes and entries, hard links, cp-like copies, access checks with ACLs,
//! the gid list quirk of 3.0.117 and the legacy gid forms, overwrites that send files
//! to the trash or keep them sustained, removal (protected nodes, access, open files),
//! and every pre-check status.

mod harness;

use std::path::Path;
use std::time::{SystemTime, UNIX_EPOCH};

use bumpalo::Bump;
use mfsmeta::format::changelog::{parse_line, RestoreEffect};
use mfsmeta::model::image::Image;
use mfsmeta::replay::{self, Replay};

use harness::oracle::{mfsmaster_restore, mfsmetadump_normalized, RESTORE_LOG};
use harness::TempDir;

/// One step of a scenario: changelog lines without ids, one per line (blank lines and
/// lines starting with `#` are left out).
enum Step {
    /// Restored by the real master only.
    Setup(&'static str),
    /// Restored by both; outputs must be identical.
    Same(&'static str),
    /// Both must fail on the last line with this status; nothing is kept.
    Fails(&'static str, u8),
}

/// The wall clock, for storing chunk locks as the master does.
fn now() -> u32 {
    let secs = SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs());
    u32::try_from(secs).unwrap_or(u32::MAX)
}

/// The lines of a step with ids from `first`.
fn numbered(text: &str, first: u64) -> Vec<String> {
    text.lines()
        .map(str::trim)
        .filter(|l| !l.is_empty() && !l.starts_with('#'))
        .zip(first..)
        .map(|(line, id)| format!("{id}: {line}"))
        .collect()
}

/// How our replay of a step ended.
#[derive(Debug, PartialEq, Eq)]
enum Ours {
    /// The stored file.
    Stored(Vec<u8>),
    /// The status of the failing line, and its index in the step.
    Failed { line: usize, status: u8 },
}

/// Loads `base`, replays `lines` and stores the result.
fn replay_ours(base: &[u8], lines: &[String]) -> Result<Ours, String> {
    let arena = Bump::new();
    let mut image = Image::load(base, now()).map_err(|e| format!("loading: {e}"))?;
    image.prepare_replay();
    for (i, line) in lines.iter().enumerate() {
        let parsed = match parse_line(line.as_bytes()) {
            Ok(parsed) => parsed,
            Err(e) => match e.restore_effect() {
                RestoreEffect::Fail { status } => return Ok(Ours::Failed { line: i, status }),
                _ => return Err(format!("{line}: cannot parse: {e}")),
            },
        };
        if parsed.id != image.version {
            return Err(format!("{line}: image version is {}", image.version));
        }
        let mut r = Replay {
            image: &mut image,
            arena: &arena,
        };
        match replay::apply(&mut r, parsed.ts, &parsed.op) {
            Ok(n) => image.version += n,
            Err(status) => {
                return Ok(Ours::Failed {
                    line: i,
                    status: status.0,
                })
            }
        }
    }
    Ok(Ours::Stored(image.store(now()).0))
}

/// What differs between two metadata files, as sorted `mfsmetadump` lines.
fn dump_diff(dir: &Path, theirs: &[u8], ours: &[u8]) -> String {
    let (theirs_path, ours_path) = (dir.join("theirs.mfs"), dir.join("ours.mfs"));
    let dumps = std::fs::write(&theirs_path, theirs)
        .and_then(|()| std::fs::write(&ours_path, ours))
        .map_err(|e| e.to_string())
        .and_then(|()| {
            let t = mfsmetadump_normalized(&theirs_path).map_err(|e| e.to_string())?;
            let o = mfsmetadump_normalized(&ours_path).map_err(|e| e.to_string())?;
            Ok((t, o))
        });
    match dumps {
        Ok((t, o)) if t == o => {
            let at = theirs.iter().zip(ours).position(|(a, b)| a != b);
            format!("same records, different bytes (first difference at {at:?})")
        }
        Ok((t, o)) => t
            .lines()
            .filter(|l| !o.lines().any(|x| x == *l))
            .map(|l| format!("- {l}"))
            .chain(
                o.lines()
                    .filter(|l| !t.lines().any(|x| x == *l))
                    .map(|l| format!("+ {l}")),
            )
            .take(60)
            .collect::<Vec<_>>()
            .join("\n"),
        Err(e) => format!("(no dump: {e})"),
    }
}

/// Runs the steps of one scenario; the first step must be a set-up (it starts from
/// `MFSM NEW`, whose root times come from the wall clock).
fn run(scenario: &str, steps: &[Step]) -> Result<(), String> {
    assert!(matches!(steps.first(), Some(Step::Setup(_))));
    let mut base: Vec<u8> = b"MFSM NEW".to_vec();
    let mut next_id = 1u64;
    for (n, step) in steps.iter().enumerate() {
        let (Step::Setup(text) | Step::Same(text) | Step::Fails(text, _)) = step;
        let lines = numbered(text, next_id);
        let what = format!("{scenario}, step {n}");
        let dir = TempDir::new("snapshot-diff").map_err(|e| e.to_string())?;
        std::fs::write(dir.path().join("metadata.mfs"), &base).map_err(|e| e.to_string())?;
        let mut changelog = lines.join("\n");
        changelog.push('\n');
        std::fs::write(dir.path().join("changelog.0.mfs"), changelog).map_err(|e| e.to_string())?;
        let real = mfsmaster_restore(dir.path());
        let log = std::fs::read_to_string(dir.path().join(RESTORE_LOG)).unwrap_or_default();
        match step {
            Step::Setup(_) | Step::Same(_) => {
                let theirs = real
                    .map_err(|e| format!("{what}: the real restore failed: {e}"))
                    .and_then(|path| std::fs::read(path).map_err(|e| e.to_string()))?;
                if matches!(step, Step::Same(_)) {
                    match replay_ours(&base, &lines).map_err(|e| format!("{what}: {e}"))? {
                        Ours::Stored(ours) if ours == theirs => {}
                        Ours::Stored(ours) => {
                            return Err(format!(
                                "{what}: outputs differ (- real, + ours):\n{}",
                                dump_diff(dir.path(), &theirs, &ours)
                            ))
                        }
                        Ours::Failed { line, status } => {
                            return Err(format!(
                                "{what}: we fail with {status} on {}, the real restore \
                                 succeeds",
                                lines[line]
                            ))
                        }
                    }
                }
                base = theirs;
                next_id += lines.len() as u64;
            }
            Step::Fails(_, status) => {
                if real.is_ok() {
                    return Err(format!("{what}: the real restore succeeded"));
                }
                let last = lines.last().map_or("", String::as_str);
                let last_body = last.split_once(": ").map_or(last, |(_, body)| body);
                let expected_log = format!("error: {status} (");
                if !log.contains(last_body) || !log.contains(&expected_log) {
                    return Err(format!(
                        "{what}: the real restore did not fail with {status} on the last \
                         line:\n{log}"
                    ));
                }
                let ours = replay_ours(&base, &lines).map_err(|e| format!("{what}: {e}"))?;
                let expected = Ours::Failed {
                    line: lines.len() - 1,
                    status: *status,
                };
                if ours != expected {
                    let got = match ours {
                        Ours::Stored(_) => "success".to_string(),
                        Ours::Failed { line, status } => {
                            format!("status {status} on {}", lines[line])
                        }
                    };
                    return Err(format!("{what}: expected {status} on {last}, got {got}"));
                }
            }
        }
    }
    Ok(())
}

fn check(test: &str, steps: &[Step]) {
    if !harness::require_real_mfs(test) {
        return;
    }
    if let Err(e) = run(test, steps) {
        panic!("{e}");
    }
}

/// `src{a, sub{b, a_hl}}` with chunks; `a_hl` is a second name of `a` (inodes 2–5,
/// chunks 1 and 2).
const SAMPLE: &str = "
    1700000000|CREATE(1,src,2,493,0,0,0,0):2
    1700000000|CREATE(2,a,1,420,0,0,0,0):3
    1700000000|WRITE(3,0,1,1):1
    1700000000|LENGTH(3,1000,1)
    1700000000|CREATE(2,sub,2,493,0,0,0,0):4
    1700000000|CREATE(4,b,1,420,0,0,0,0):5
    1700000000|WRITE(5,0,1,1):2
    1700000000|LENGTH(5,2000,1)
    1700000000|LINK(3,4,a_hl)
";

#[test]
fn real_snapshot_spec_example_hard_links_and_removal() {
    check(
        "real_snapshot_spec_example_hard_links_and_removal",
        &[
            Step::Setup(SAMPLE),
            // dst 6, dst/sub 7, dst/sub/a_hl 8, dst/sub/b 9, dst/a = 8 again.
            Step::Same("1700000100|SNAPSHOT(2,1,dst,8,0,0,[0],0):0,0,0,0,1,4"),
            // Copy-on-write of b's chunk (shared with its copy): a new chunk 3.
            Step::Setup("1700000200|WRITE(5,0,1,1):3"),
            // b's copy 9 goes to the trash, 10 replaces it: 9 ^ 10 = 3.
            Step::Same("1700000300|SNAPSHOT(2,1,dst,9,0,0,[0],0):3,0,2,3,0,0"),
            // Without PRESERVE_HARDLINKS both names get a copy: 11..15.
            Step::Same("1700000400|SNAPSHOT(2,1,plain,0,0,0,[0],0):11,0,0,0,0,5"),
            // dst/a (8), dst/sub/b (10), dst/sub/a_hl (8 again), dst/sub, dst.
            Step::Same("1700000500|SNAPSHOT(0,1,dst,128,0,0,[0],0):11,5,0,0,0,0"),
            Step::Same(
                "1700000600|SNAPSHOT(0,1,plain,128,0,0,[0],0):11,5,0,0,0,0
                 1700000700|SNAPSHOT(5,1,single,0,0,0,[0],0):16,0,0,0,0,1
                 1700000800|SNAPSHOT(5,1,single,1,0,0,[0],0):0,0,1,0,0,0",
            ),
        ],
    );
}

/// `p` (uid 1000, gid 100, 0755) holding files and a directory of other owners, a
/// symlink, a fifo, a char device and a file readable through an ACL named group.
const OWNERS: &str = "
    1700000000|CREATE(1,p,2,493,0,1000,100,0):2
    1700000000|CREATE(2,own,1,2541,0,1000,100,0):3
    1700000000|CREATE(2,grp,1,416,0,2000,100,0):4
    1700000000|CREATE(2,oth,1,384,0,2000,200,0):5
    1700000000|CREATE(2,closed,2,457,0,2000,200,0):6
    1700000000|CREATE(6,inner,1,420,0,2000,200,0):7
    1700000000|SYMLINK(2,sl,target,2000,200):8
    1700000000|CREATE(2,fifo,4,438,0,2000,200,0):9
    1700000000|CREATE(2,dev,6,420,0,0,0,1234):10
    1700000000|CREATE(2,acl,1,384,0,2000,200,0):11
    1700000000|SETACL(11,416,1,1,6,0,0,4,0,1,%00%00%00d%00%04)
    1700000000|AMTIME(3,1600000000,1600000001,1600000002)
";

#[test]
fn real_snapshot_owners_modes_and_access() {
    check(
        "real_snapshot_owners_modes_and_access",
        &[
            Step::Setup(OWNERS),
            // uid 1000, gid 100 (`[1100]`: 3.0.117 skips the first digit): oth is not
            // readable, closed is copied empty; 12..19.
            Step::Same("1700001000|SNAPSHOT(2,1,c1,0,0,1000,[1100],0):0,0,0,0,0,8"),
            // cp-like with umask 022: 20..27.
            Step::Same("1700001100|SNAPSHOT(2,1,c2,2,0,1000,[1100],18):0,0,0,0,0,8"),
            // uid 3000, gid 200, IGNOREGID: group|other bits; the ACL denies.
            Step::Same("1700001200|SNAPSHOT(2,1,c3,0,4,3000,[1200],0):35,0,0,0,0,7"),
            // The same without IGNOREGID: 35..40.
            Step::Same("1700001300|SNAPSHOT(2,1,c4,0,0,3000,[1200],0):11,0,0,0,0,6"),
            // Again into c1: dirs, symlink, fifo and device exist, files are the same.
            Step::Same("1700001400|SNAPSHOT(2,1,c1,1,0,1000,[1100],0):0,0,3,5,0,0"),
            // uid 1000 may not write into c3 (owner 3000): nothing goes.
            Step::Same("1700001500|SNAPSHOT(0,1,c3,128,0,1000,[1100],0):0,0,0,0,0,0"),
            // c1 and its 7 entries go (12..19).
            Step::Same("1700001600|SNAPSHOT(0,1,c1,128,0,1000,[1100],0):0,8,0,0,0,0"),
        ],
    );
}

/// Overwrites: an older target file goes to the trash, an open one with trash time 0
/// becomes sustained; removal keeps what is not a snapshot.
const OVERWRITE: &str = "
    1700000000|SESADD(#1,1,8,0000,0,0,999,999,1,9,0,4294967295,0x00000000,2130706433,test):1
    1700000000|CREATE(1,s,2,493,0,0,0,0):2
    1700000000|CREATE(2,f,1,420,0,0,0,0):3
    1700000000|WRITE(3,0,1,1):1
    1700000000|LENGTH(3,100,1)
    1700000000|CREATE(2,g,1,420,0,0,0,0):4
    1700000000|WRITE(4,0,1,1):2
    1700000000|LENGTH(4,200,1)
    1700000000|SETTRASHTIME(4,0,0,0):1,0,0
    1700000000|CREATE(1,d,2,493,0,0,0,0):5
    1700000000|CREATE(5,f,1,420,0,0,0,0):6
    1700000000|CREATE(5,g,1,420,0,0,0,0):7
    1700000000|SETTRASHTIME(7,0,0,0):1,0,0
    1700000000|ACQUIRE(1,7)
    1700000000|CREATE(5,x,1,420,0,0,0,0):8
";

#[test]
fn real_snapshot_overwrite_trash_sustained() {
    check(
        "real_snapshot_overwrite_trash_sustained",
        &[
            Step::Setup(OVERWRITE),
            // d/g (7, open) -> sustained, new 9; d/f (6) -> trash `d/f`, new 10.
            Step::Same("1700001000|SNAPSHOT(2,1,d,1,0,0,[0],0):2,0,0,3,0,0"),
            // Sources in the trash or sustained produce nothing.
            Step::Same(
                "1700001100|SNAPSHOT(6,1,fromtrash,0,0,0,[0],0):0,0,0,0,0,0
                 1700001100|SNAPSHOT(7,5,fromsustained,0,0,0,[0],0)",
            ),
            Step::Setup("1700001200|ACQUIRE(1,9)"),
            // f (10) freed, g (9, open) sustained with trash time 0, x stays, so d too.
            Step::Same("1700001300|SNAPSHOT(0,1,d,128,0,0,[0],0):3,2,0,0,0,0"),
        ],
    );
}

/// A file with chunks, xattrs, an access ACL, class 3, trash time 2 h, eattr, winattr
/// and old times; a directory with a default ACL; a set-gid target parent with a
/// default ACL of its own.
const ATTRIBUTES: &str = "
    1700000000|CREATE(1,src,2,493,0,0,0,0):2
    1700000000|CREATE(2,f,1,420,0,0,0,0):3
    1700000000|WRITE(3,0,1,1):1
    1700000000|WRITE(3,2,1,1):2
    1700000000|LENGTH(3,134217800,1)
    1700000000|SETXATTR(3,user.a,1,0)
    1700000000|SETXATTR(3,user.b,two,0)
    1700000000|SETACL(3,416,1,1,6,4,0,4,1,0,%00%00%03%E8%00%06)
    1700000000|SETSCLASS(3,0,3,3,0):1,0,0
    1700000000|SETTRASHTIME(3,0,7200,0):1,0,0
    1700000000|SETEATTR(3,0,9,0):1,0,0
    1700000000|ATTR(3,416,1000,100,1600000000,1600000001,3,4512)
    1700000000|CREATE(2,dd,2,493,0,0,0,0):4
    1700000000|SETACL(4,493,1,2,7,5,5,7,0,1,%00%00%00d%00%05)
    1700000000|CREATE(4,inner,1,438,0,0,0,0):5
    1700000000|CREATE(1,tgt,2,1517,0,0,500,0):6
    1700000000|SETACL(6,1517,1,2,7,7,5,7,0,1,%00%00%00%C8%00%07)
";

#[test]
fn real_snapshot_copies_attributes_xattrs_acls_and_chunks() {
    check(
        "real_snapshot_copies_attributes_xattrs_acls_and_chunks",
        &[
            Step::Setup(ATTRIBUTES),
            // 7..10, each first inheriting tgt's default ACL, then taking the source's.
            Step::Same("1700001000|SNAPSHOT(2,6,copy,0,0,0,[0],0):12,0,0,0,0,4"),
            // cp-like by uid 1000: ACL inheritance decides the modes, tgt's set-gid bit
            // the group: 11..14.
            Step::Same("1700001100|SNAPSHOT(2,6,cp,2,0,1000,[1100],18):4,0,0,0,0,4"),
            Step::Same("1700001200|SNAPSHOT(2,6,copy,1,0,0,[0],0):0,0,2,2,0,0"),
            // cp-like over an existing tree: the caller's uid and gid, mode & ~cumask.
            Step::Same("1700001300|SNAPSHOT(2,6,copy,3,0,1000,[1100],63):0,0,2,2,0,0"),
            // f changes (copy-on-write, chunk 3): copy/f (10) goes to the trash; its
            // replacement 15 takes class, trash time, chunks and length from f but its
            // eattr and ACLs from copy, no xattrs: 10 ^ 15 = 5.
            Step::Setup("1700001400|WRITE(3,0,1,1):3"),
            Step::Same("1700001500|SNAPSHOT(2,6,copy,1,0,0,[0],0):5,0,1,3,0,0"),
        ],
    );
}

/// A directory whose ACL gives its owning group (300) `r--` and the named group 100
/// `--x`, with a file inside.
const ACL_GROUPS: &str = "
    1700000000|CREATE(1,split,2,488,0,2000,300,0):2
    1700000000|CREATE(2,in,1,420,0,2000,300,0):3
    1700000000|SETACL(2,488,1,1,7,4,0,7,0,1,%00%00%00d%00%01)
";

#[test]
fn real_snapshot_acl_groups_grant_one_entry_at_a_time() {
    check(
        "real_snapshot_acl_groups_grant_one_entry_at_a_time",
        &[
            Step::Setup(ACL_GROUPS),
            // In both groups: r from one entry and x from the other is not r-x, so the
            // directory is copied without its file.
            Step::Same("1700001000|SNAPSHOT(2,1,both,0,0,1000,[1100,1300],0):4,0,0,0,0,1"),
            Step::Setup("1700001100|SETACL(2,488,1,1,7,4,0,7,0,1,%00%00%00d%00%05)"),
            // Named group 100 alone with r-x: 5 and its file 6.
            Step::Same("1700001200|SNAPSHOT(2,1,five,0,0,1000,[1100],0):3,0,0,0,0,2"),
        ],
    );
}

#[test]
fn real_snapshot_partial_removal_loses_flags() {
    check(
        "real_snapshot_partial_removal_loses_flags",
        &[
            Step::Setup(SAMPLE),
            Step::Same("1700000100|SNAPSHOT(2,1,dst,8,0,0,[0],0):0,0,0,0,1,4"),
            // A file made in the copy after the snapshot.
            Step::Setup("1700000200|CREATE(7,kept,1,420,0,0,0,0):10"),
            // dst/a and dst/sub/a_hl (8 twice), dst/sub/b (9): dst/sub and dst stay,
            // without their SNAPSHOT flag (cleared by the unlinks, not given back).
            Step::Same("1700000300|SNAPSHOT(0,1,dst,128,0,0,[0],0):9,3,0,0,0,0"),
            Step::Setup("1700000400|UNLINK(7,kept):10"),
            // Empty now, but no longer snapshot nodes: nothing goes.
            Step::Same("1700000500|SNAPSHOT(0,1,dst,128,0,0,[0],0):0,0,0,0,0,0"),
        ],
    );
}

const LEGACY: &str = "
    1700000000|CREATE(1,src,2,488,0,1000,100,0):2
    1700000000|CREATE(2,f,1,416,0,1000,100,0):3
";

#[test]
fn real_snapshot_gid_forms() {
    check(
        "real_snapshot_gid_forms",
        &[
            Step::Setup(LEGACY),
            Step::Same(
                "# gidcount,DATA: gids 200 and 100 as little-endian bytes.
                 1700001000|SNAPSHOT(2,1,l1,2,0,2000,2,%C8%00%00%00d%00%00%00,0):1,0,0,0,0,2
                 # uid,gid,cumask: gid 100, no result part.
                 1700001100|SNAPSHOT(2,1,l2,2,0,2000,100,0)
                 # [1200,1100] is read as 200 and 100.
                 1700001200|SNAPSHOT(2,1,l3,2,0,2000,[1200,1100],0):1,0,0,0,0,2
                 # [200] is read as 0: no access to src's children.
                 1700001300|SNAPSHOT(2,1,l4,2,0,2000,[200],0):10,0,0,0,0,1
                 1700001400|SNAPSHOT(2,1,l5,2,0,2000,1,%C8%00%00%00,0):11,0,0,0,0,1",
            ),
        ],
    );
}

const PROTECTED: &str = "
    1700000000|CREATE(1,s,2,493,0,0,0,0):2
    1700000000|CREATE(2,a,1,420,0,0,0,0):3
    1700000000|CREATE(2,sd,2,493,0,0,0,0):4
    1700000000|CREATE(4,b,1,420,0,0,0,0):5
";

#[test]
fn real_snapshot_removal_of_protected_nodes() {
    check(
        "real_snapshot_removal_of_protected_nodes",
        &[
            Step::Setup(PROTECTED),
            Step::Same("1700001000|SNAPSHOT(2,1,d,0,0,0,[0],0):0,0,0,0,0,4"),
            // d/sd append-only, d/a undeletable.
            Step::Setup(
                "1700001100|SETEATTR(7,0,64,1):1,0,0
                 1700001100|SETEATTR(9,0,32,1):1,0,0",
            ),
            Step::Same("1700001200|SNAPSHOT(0,1,d,128,0,0,[0],0):0,0,0,0,0,0"),
            Step::Setup(
                "1700001300|SETEATTR(7,0,64,2):1,0,0
                 1700001300|SETEATTR(9,0,32,2):1,0,0",
            ),
            Step::Same("1700001400|SNAPSHOT(0,1,d,128,0,0,[0],0):0,4,0,0,0,0"),
        ],
    );
}

const ERRORS: &str = "
    1700000000|CREATE(1,src,2,493,0,0,0,0):2
    1700000000|CREATE(2,a,1,420,0,0,0,0):3
    1700000000|WRITE(3,0,1,1):1
    1700000000|CREATE(1,d,2,493,0,0,0,0):4
    1700000000|CREATE(4,a,1,420,0,0,0,0):5
    1700000000|CREATE(1,u,1,420,0,0,0,0):6
    1700000000|SETEATTR(6,0,32,0):1,0,0
";

#[test]
fn real_snapshot_failures() {
    let failing: &[(&str, u8)] = &[
        ("1700001000|SNAPSHOT(0,1,x,0,0,0,[0],0)", 6),
        ("1700001000|SNAPSHOT(99,1,x,0,0,0,[0],0)", 3),
        ("1700001000|SNAPSHOT(2,99,x,0,0,0,[0],0)", 3),
        ("1700001000|SNAPSHOT(2,3,x,0,0,0,[0],0)", 1),
        ("1700001000|SNAPSHOT(2,2,x,0,0,0,[0],0)", 6),
        ("1700001000|SNAPSHOT(1,2,x,0,0,0,[0],0)", 6),
        ("1700001000|SNAPSHOT(2,1,..,0,0,0,[0],0)", 6),
        ("1700001000|SNAPSHOT(2,1,src,0,0,0,[0],0)", 6),
        ("1700001000|SNAPSHOT(2,1,d,0,0,0,[0],0)", 5),
        ("1700001000|SNAPSHOT(3,1,u,1,0,0,[0],0)", 1),
        ("1700001000|SNAPSHOT(3,1,d,1,0,0,[0],0)", 1),
        ("1700001000|SNAPSHOT(2,1,new,0,0,0,[0],0):1,0,0,0,0,2", 32),
        ("1700001000|SNAPSHOT(2,1,x,0,0,0,2,%01%00%00%00,0)", 32),
        ("1700001000|SNAPSHOT(2,1,d,128,0,0,[0],0)", 6),
        ("1700001000|SNAPSHOT(0,99,d,128,0,0,[0],0)", 3),
        ("1700001000|SNAPSHOT(0,3,d,128,0,0,[0],0)", 1),
        ("1700001000|SNAPSHOT(0,1,nothing,128,0,0,[0],0)", 3),
        ("1700001000|SNAPSHOT(0,1,..,128,0,0,[0],0)", 6),
    ];
    let mut steps = vec![Step::Setup(ERRORS)];
    steps.extend(
        failing
            .iter()
            .map(|&(line, status)| Step::Fails(line, status)),
    );
    // A failing test leaves nothing behind: the same snapshot then works.
    steps.push(Step::Same(
        "1700001000|SNAPSHOT(2,1,d,1,0,0,[0],0):2,0,0,2,0,0",
    ));
    check("real_snapshot_failures", &steps);
}
