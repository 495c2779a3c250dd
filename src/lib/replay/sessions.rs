//! Replay of client sessions, open files and locks: SESADD, SESCHANGED, SESDEL,
//! SESDISCONNECTED, SESSION (CUSTOMER), ACQUIRE (AQUIRE), RELEASE, FLOCK and POSIXLOCK
//! (`sessions_mr_*`, `of_mr_*`, `flock_mr_change`, `posix_lock_mr_change` of 3.0.117;
//! `replay-semantics.md` §11).
//!
//! Version arithmetic, which the caller checks against the line id:
//!
//! * SESADD creates the session (and takes its id) before comparing the id with the
//!   line's result, so a refused line still leaves the session behind.
//! * FLOCK unlock advances the version once per lock it removes: `Ok(0)` when nothing
//!   matched, which the caller reports as a version mismatch, as the master does.
//! * RELEASE and SESDEL drop the session's flocks on each released inode through the
//!   live path, which logs an unlock change (one more version step) per active flock
//!   before the operation's own step: `Ok(1 + dropped flocks)`. A real changelog has
//!   the `FLOCK(…,U)` lines first, so the caller then sees a version mismatch exactly
//!   where the master stops.

use std::borrow::Cow;

use crate::format::changelog::{Op, SessionParams};
use crate::format::metadata::sessions::STATS_COUNT;
use crate::model::sessions::SessionEntry;

use super::{Applied, Replay, Status, DONE};

/// `SESFLAG_METARESTORE`: the master marks replayed sessions with this flag bit while
/// creating them and clears it in the stored flags, so a logged flags value loses it.
const SESFLAG_METARESTORE: u8 = 0x80;

/// Replays an operation of this family.
pub(super) fn apply<'a>(r: &mut Replay<'a, '_>, ts: u32, op: &Op<'a>) -> Applied {
    match *op {
        Op::SesAdd {
            ref params,
            session_id,
        } => session_add(r, params, session_id),
        Op::SesChanged {
            session_id,
            ref params,
        } => session_changed(r, session_id, params),
        Op::SesDel { session_id } => session_delete(r, session_id),
        Op::SesDisconnected { session_id } => {
            let session = r
                .image
                .sessions
                .get_mut(session_id)
                .ok_or(Status::NOTFOUND)?;
            session.disconnected = ts;
            DONE
        }
        Op::Session { session_id } | Op::Customer { session_id } => {
            let sessions = &mut r.image.sessions;
            if session_id != sessions.next_session_id() {
                return Err(Status::MISMATCH);
            }
            sessions.take_session_id();
            DONE
        }
        Op::Acquire { session_id, inode } | Op::Aquire { session_id, inode } => {
            if !r.image.open_files.acquire(session_id, inode) {
                return Err(Status::MISMATCH);
            }
            DONE
        }
        Op::Release { session_id, inode } => {
            if !r.image.open_files.release(session_id, inode) {
                return Err(Status::MISMATCH);
            }
            Ok(1 + u64::from(file_closed(r, session_id, inode)))
        }
        Op::Flock {
            inode,
            session_id,
            owner,
            cmd,
        } => r
            .image
            .flocks
            .change(inode, session_id, owner, cmd)
            .map(u64::from)
            .map_err(Status),
        Op::PosixLock {
            inode,
            session_id,
            owner,
            cmd,
            start,
            end,
            pid,
        } => {
            r.image
                .posix_locks
                .change(inode, session_id, owner, cmd, start..end, pid)
                .map_err(Status)?;
            DONE
        }
        _ => Err(Status::EINVAL),
    }
}

/// The session info as the master keeps it: trailing NUL bytes dropped (inner ones
/// stay).
fn session_info<'a>(r: &Replay<'a, '_>, params: &SessionParams<'a>) -> &'a [u8] {
    let info = r.bytes(&params.info);
    let kept = info
        .iter()
        .rposition(|&b| b != 0)
        .map_or(0, |last| last + 1);
    info.get(..kept).unwrap_or_default()
}

/// Overwrites every parameter a SESADD / SESCHANGED line carries (not the id, the
/// disconnection time or the statistics), as `sessions_change_session` does.
fn set_params<'a>(s: &mut SessionEntry<'a>, p: &SessionParams<'a>, info: &'a [u8]) {
    s.exports_checksum = p.exports_checksum.unwrap_or(0);
    s.root_inode = p.root_inode;
    s.flags = p.ses_flags & !SESFLAG_METARESTORE;
    s.umask = p.umask.unwrap_or(0);
    s.root_uid = p.root_uid;
    s.root_gid = p.root_gid;
    s.map_all_uid = p.map_all_uid;
    s.map_all_gid = p.map_all_gid;
    s.min_goal = p.min_goal;
    s.max_goal = p.max_goal;
    s.min_trashtime = p.min_trash_time;
    s.max_trashtime = p.max_trash_time;
    s.disables = p.disables.unwrap_or(0);
    s.peer_ip = p.peer_ip;
    s.info = Cow::Borrowed(info);
}

/// SESADD (`sessions_mr_sesadd`): the session is created with the next id, connected,
/// with zero statistics, and only then is its id compared with the line's.
fn session_add<'a>(r: &mut Replay<'a, '_>, params: &SessionParams<'a>, expected: u32) -> Applied {
    let info = session_info(r, params);
    let sessions = &mut r.image.sessions;
    let id = sessions.take_session_id();
    let mut session = SessionEntry {
        id,
        exports_checksum: 0,
        peer_ip: 0,
        root_inode: 0,
        flags: 0,
        umask: 0,
        min_goal: 0,
        max_goal: 0,
        min_trashtime: 0,
        max_trashtime: 0,
        root_uid: 0,
        root_gid: 0,
        map_all_uid: 0,
        map_all_gid: 0,
        disables: 0,
        disconnected: 0,
        current_stats: [0; STATS_COUNT],
        last_hour_stats: [0; STATS_COUNT],
        info: Cow::Borrowed(&[]),
    };
    set_params(&mut session, params, info);
    sessions.insert(session);
    if id != expected {
        return Err(Status::MISMATCH);
    }
    DONE
}

/// SESCHANGED (`sessions_mr_seschanged`): the (newest) session with that id gets the
/// line's parameters. Session id 0 is never found (`sessions_find_session`).
fn session_changed<'a>(r: &mut Replay<'a, '_>, id: u32, params: &SessionParams<'a>) -> Applied {
    let info = session_info(r, params);
    let session = (id != 0)
        .then(|| r.image.sessions.get_mut(id))
        .flatten()
        .ok_or(Status::MISMATCH)?;
    set_params(session, params, info);
    DONE
}

/// SESDEL (`sessions_mr_sesdel`): every session with that id goes (a loaded file may
/// hold the id twice), each with its open files and their locks.
fn session_delete(r: &mut Replay<'_, '_>, id: u32) -> Applied {
    if !r.image.sessions.contains(id) {
        return Err(Status::BADSESSIONID);
    }
    let mut dropped_flocks = 0u64;
    while r.image.sessions.remove(id).is_some() {
        for inode in r.image.open_files.remove_session(id) {
            dropped_flocks += u64::from(file_closed(r, id, inode));
        }
    }
    Ok(1 + dropped_flocks)
}

/// A relation (session, inode) went: the session's flock and POSIX locks on the inode
/// go too (`of_delnode`). Returns the number of active flocks dropped, each of which
/// the master logs as a change of its own.
fn file_closed(r: &mut Replay<'_, '_>, session: u32, inode: u32) -> u32 {
    let dropped = r.image.flocks.file_closed(session, inode);
    r.image.posix_locks.file_closed(session, inode);
    dropped
}

#[cfg(test)]
mod tests {
    use bumpalo::Bump;

    use super::*;

    use crate::replay::testing::{apply_line as run, empty_image as image};

    const SESADD_1: &str = "1: 1700000001|SESADD(#123,1,130,0022,5,6,999,998,1,9,10,86400,\
                            0x0000000F,2130706433,info%00x%00%00):1";

    #[test]
    fn sesadd_takes_the_next_id_and_keeps_the_line_fields() {
        let arena = Bump::new();
        let mut img = image();
        assert_eq!(run(&mut img, &arena, SESADD_1), Ok(1));
        assert_eq!(img.sessions.next_session_id(), 2);
        let s = img.sessions.get(1).unwrap();
        assert_eq!(s.exports_checksum, 123);
        assert_eq!(s.root_inode, 1);
        // 130 = 0x82: the METARESTORE bit is cleared.
        assert_eq!(s.flags, 0x02);
        assert_eq!(s.umask, 0o22);
        assert_eq!((s.root_uid, s.root_gid), (5, 6));
        assert_eq!((s.map_all_uid, s.map_all_gid), (999, 998));
        assert_eq!((s.min_goal, s.max_goal), (1, 9));
        assert_eq!((s.min_trashtime, s.max_trashtime), (10, 86400));
        assert_eq!(s.disables, 0xF);
        assert_eq!(s.peer_ip, 0x7F00_0001);
        assert_eq!(s.disconnected, 0);
        // Trailing NULs dropped, inner ones kept.
        assert_eq!(&*s.info, b"info\0x");
        // Legacy form: no checksum, umask or disables.
        let legacy = "2: 1700000002|SESADD(1,2,5,0,0,0,1,9,0,0,7,%00):2";
        assert_eq!(run(&mut img, &arena, legacy), Ok(1));
        let s = img.sessions.get(2).unwrap();
        assert_eq!((s.exports_checksum, s.umask, s.disables), (0, 0, 0));
        assert_eq!(s.flags, 2);
        assert!(s.info.is_empty());
    }

    #[test]
    fn sesadd_creates_the_session_before_comparing_the_id() {
        let arena = Bump::new();
        let mut img = image();
        let wrong = "1: 1700000001|SESADD(#1,1,2,0022,0,0,999,999,1,9,0,86400,0x00000000,1,x):5";
        assert_eq!(run(&mut img, &arena, wrong), Err(Status::MISMATCH));
        assert!(img.sessions.contains(1));
        assert_eq!(img.sessions.next_session_id(), 2);
    }

    #[test]
    fn seschanged_sesdisconnected_and_their_failures() {
        let arena = Bump::new();
        let mut img = image();
        run(&mut img, &arena, SESADD_1).unwrap();
        let changed =
            "2: 1700000002|SESCHANGED(1,#5,1,255,0777,1,2,3,4,2,3,4,5,0xFFFFFFFF,6,new%00)";
        assert_eq!(run(&mut img, &arena, changed), Ok(1));
        let s = img.sessions.get(1).unwrap();
        assert_eq!((s.exports_checksum, s.flags, s.umask), (5, 0x7F, 0o777));
        assert_eq!(
            (s.root_uid, s.root_gid, s.map_all_uid, s.map_all_gid),
            (1, 2, 3, 4)
        );
        assert_eq!(
            (s.min_goal, s.max_goal, s.min_trashtime, s.max_trashtime),
            (2, 3, 4, 5)
        );
        assert_eq!((s.disables, s.peer_ip), (u32::MAX, 6));
        assert_eq!(&*s.info, b"new");
        let unknown = "3: 1700000003|SESCHANGED(9,#5,1,2,0777,1,2,3,4,2,3,4,5,0xFFFFFFFF,6,x)";
        assert_eq!(run(&mut img, &arena, unknown), Err(Status::MISMATCH));
        assert_eq!(
            run(&mut img, &arena, "3: 1700000003|SESDISCONNECTED(9)"),
            Err(Status::NOTFOUND)
        );
        assert_eq!(
            run(&mut img, &arena, "3: 1700000033|SESDISCONNECTED(1)"),
            Ok(1)
        );
        assert_eq!(img.sessions.get(1).unwrap().disconnected, 1_700_000_033);
        // SESCHANGED keeps the disconnection time.
        run(&mut img, &arena, changed).unwrap();
        assert_eq!(img.sessions.get(1).unwrap().disconnected, 1_700_000_033);
    }

    #[test]
    fn session_zero_is_invisible_to_seschanged_only() {
        let arena = Bump::new();
        let mut img = image();
        img.sessions.set_next_session_id(0);
        let add = "1: 1700000001|SESADD(#1,1,2,0022,0,0,999,999,1,9,0,86400,0x00000000,1,x):0";
        assert_eq!(run(&mut img, &arena, add), Ok(1));
        let changed = "2: 1700000002|SESCHANGED(0,#5,1,2,0777,1,2,3,4,2,3,4,5,0x00000000,6,y)";
        assert_eq!(run(&mut img, &arena, changed), Err(Status::MISMATCH));
        assert_eq!(
            run(&mut img, &arena, "2: 1700000002|SESDISCONNECTED(0)"),
            Ok(1)
        );
        assert_eq!(run(&mut img, &arena, "3: 1700000003|SESDEL(0)"), Ok(1));
        assert!(img.sessions.is_empty());
    }

    #[test]
    fn legacy_session_counter() {
        let arena = Bump::new();
        let mut img = image();
        assert_eq!(
            run(&mut img, &arena, "1: 1|SESSION():2"),
            Err(Status::MISMATCH)
        );
        assert_eq!(run(&mut img, &arena, "1: 1|SESSION():1"), Ok(1));
        assert_eq!(run(&mut img, &arena, "2: 1|CUSTOMER():2"), Ok(1));
        assert_eq!(img.sessions.next_session_id(), 3);
        assert!(img.sessions.is_empty());
    }

    #[test]
    fn acquire_and_release() {
        let arena = Bump::new();
        let mut img = image();
        // Neither the session nor the inode has to exist.
        assert_eq!(run(&mut img, &arena, "1: 1|ACQUIRE(7,5)"), Ok(1));
        assert!(img.open_files.contains(7, 5));
        assert_eq!(
            run(&mut img, &arena, "2: 1|AQUIRE(7,5)"),
            Err(Status::MISMATCH)
        );
        assert_eq!(run(&mut img, &arena, "2: 1|AQUIRE(7,6)"), Ok(1));
        assert_eq!(
            run(&mut img, &arena, "3: 1|RELEASE(5,7)"),
            Err(Status::MISMATCH)
        );
        assert_eq!(run(&mut img, &arena, "3: 1|RELEASE(7,5)"), Ok(1));
        assert!(!img.open_files.contains(7, 5));
        assert_eq!(
            run(&mut img, &arena, "4: 1|RELEASE(7,5)"),
            Err(Status::MISMATCH)
        );
    }

    #[test]
    fn release_drops_the_sessions_locks_and_counts_active_flocks() {
        let arena = Bump::new();
        let mut img = image();
        for line in [
            "1: 1|ACQUIRE(1,5)",
            "2: 1|ACQUIRE(2,5)",
            "3: 1|FLOCK(5,1,7,R)",
            "4: 1|FLOCK(5,1,8,R)",
            "5: 1|FLOCK(5,2,9,R)",
            "6: 1|POSIXLOCK(5,1,7,W,0,10,100)",
            "7: 1|POSIXLOCK(5,2,9,R,20,30,101)",
        ] {
            assert_eq!(run(&mut img, &arena, line), Ok(1), "{line}");
        }
        // Two active flocks of session 1: the master logs two unlocks on top.
        assert_eq!(run(&mut img, &arena, "8: 1|RELEASE(1,5)"), Ok(3));
        let left: Vec<u32> = img.flocks.locks(5).map(|l| l.session).collect();
        assert_eq!(left, [2]);
        let owners: Vec<u32> = img
            .posix_locks
            .owners(5)
            .iter()
            .map(|o| o.session)
            .collect();
        assert_eq!(owners, [2]);
        // Without flocks a release is one step, and the last one removes the records.
        run(&mut img, &arena, "9: 1|FLOCK(5,2,9,U)").unwrap();
        assert_eq!(run(&mut img, &arena, "10: 1|RELEASE(2,5)"), Ok(1));
        assert!(!img.flocks.has_record(5));
        assert!(!img.posix_locks.has_record(5));
    }

    #[test]
    fn sesdel_removes_open_files_and_locks() {
        let arena = Bump::new();
        let mut img = image();
        assert_eq!(
            run(&mut img, &arena, "1: 1|SESDEL(1)"),
            Err(Status::BADSESSIONID)
        );
        run(&mut img, &arena, SESADD_1).unwrap();
        let add2 = "2: 1|SESADD(#1,1,2,0022,0,0,999,999,1,9,0,86400,0x00000000,1,x):2";
        run(&mut img, &arena, add2).unwrap();
        for line in [
            "3: 1|ACQUIRE(1,5)",
            "4: 1|ACQUIRE(1,6)",
            "5: 1|ACQUIRE(2,6)",
            "6: 1|FLOCK(5,1,7,W)",
            "7: 1|FLOCK(6,1,7,R)",
            "8: 1|FLOCK(6,2,7,R)",
            "9: 1|POSIXLOCK(6,1,7,R,0,10,1)",
        ] {
            assert_eq!(run(&mut img, &arena, line), Ok(1), "{line}");
        }
        assert_eq!(run(&mut img, &arena, "10: 1|SESDEL(1)"), Ok(3));
        assert!(!img.sessions.contains(1));
        assert!(!img.open_files.contains(1, 5) && !img.open_files.contains(1, 6));
        assert!(img.open_files.contains(2, 6));
        assert!(!img.flocks.has_record(5));
        assert_eq!(img.flocks.locks(6).count(), 1);
        assert!(!img.posix_locks.has_record(6));
        // After the unlocks a real changelog has first, SESDEL is one step.
        run(&mut img, &arena, "11: 1|FLOCK(6,2,7,U)").unwrap();
        assert_eq!(run(&mut img, &arena, "12: 1|SESDEL(2)"), Ok(1));
        assert!(img.open_files.is_empty());
    }

    #[test]
    fn flock_commands_and_failures() {
        let arena = Bump::new();
        let mut img = image();
        assert_eq!(
            run(&mut img, &arena, "1: 1|FLOCK(5,1,7,U)"),
            Err(Status::MISMATCH)
        );
        assert_eq!(
            run(&mut img, &arena, "1: 1|FLOCK(5,1,7,X)"),
            Err(Status::EINVAL)
        );
        assert_eq!(run(&mut img, &arena, "1: 1|FLOCK(5,1,7,r)"), Ok(1));
        assert_eq!(run(&mut img, &arena, "2: 1|FLOCK(5,2,8,s)"), Ok(1));
        assert_eq!(
            run(&mut img, &arena, "3: 1|FLOCK(5,3,9,W)"),
            Err(Status::MISMATCH)
        );
        assert_eq!(
            run(&mut img, &arena, "3: 1|FLOCK(5,3,9,e)"),
            Err(Status::MISMATCH)
        );
        // The same owner may hold a shared lock twice; an unlock removes both.
        assert_eq!(run(&mut img, &arena, "3: 1|FLOCK(5,1,7,R)"), Ok(1));
        assert_eq!(run(&mut img, &arena, "4: 1|FLOCK(5,1,7,u)"), Ok(2));
        // No matching lock: success without a version step.
        assert_eq!(run(&mut img, &arena, "5: 1|FLOCK(5,1,7,U)"), Ok(0));
        assert_eq!(run(&mut img, &arena, "5: 1|FLOCK(5,2,8,U)"), Ok(1));
        assert!(!img.flocks.has_record(5));
        // An exclusive lock refuses everything else; the refused one leaves an empty
        // record, so an unlock then finds it.
        assert_eq!(run(&mut img, &arena, "6: 1|FLOCK(6,1,7,E)"), Ok(1));
        assert_eq!(
            run(&mut img, &arena, "7: 1|FLOCK(6,2,7,R)"),
            Err(Status::MISMATCH)
        );
        assert_eq!(run(&mut img, &arena, "7: 1|FLOCK(9,2,7,W)"), Ok(1));
        assert_eq!(
            run(&mut img, &arena, "8: 1|FLOCK(9,3,7,W)"),
            Err(Status::MISMATCH)
        );
        assert_eq!(run(&mut img, &arena, "8: 1|FLOCK(9,2,7,U)"), Ok(1));
        assert!(!img.flocks.has_record(9));
    }

    #[test]
    fn posix_lock_commands_and_failures() {
        let arena = Bump::new();
        let mut img = image();
        assert_eq!(
            run(&mut img, &arena, "1: 1|POSIXLOCK(5,1,7,U,0,10,1)"),
            Err(Status::MISMATCH)
        );
        assert_eq!(
            run(&mut img, &arena, "1: 1|POSIXLOCK(5,1,7,Q,0,10,1)"),
            Err(Status::EINVAL)
        );
        for line in [
            "1: 1|POSIXLOCK(5,1,7,W,0,10,1)",
            "2: 1|POSIXLOCK(5,1,7,R,20,30,1)",
            "3: 1|POSIXLOCK(5,1,7,W,10,20,1)",
            "4: 1|POSIXLOCK(5,2,8,r,30,40,2)",
        ] {
            assert_eq!(run(&mut img, &arena, line), Ok(1), "{line}");
        }
        let ranges: Vec<(u64, u64, u8)> = img.posix_locks.owners(5)[0]
            .ranges
            .iter()
            .map(|r| (r.start, r.end, r.lock_type))
            .collect();
        assert_eq!(ranges, [(0, 20, 2), (20, 30, 1)]);
        // Another owner's write lock over session 1's ranges clashes.
        assert_eq!(
            run(&mut img, &arena, "5: 1|POSIXLOCK(5,2,8,W,25,35,2)"),
            Err(Status::MISMATCH)
        );
        // Read over read is fine; unlocking an unknown owner too.
        assert_eq!(
            run(&mut img, &arena, "5: 1|POSIXLOCK(5,3,9,S,25,35,3)"),
            Ok(1)
        );
        assert_eq!(
            run(&mut img, &arena, "6: 1|POSIXLOCK(5,4,4,U,0,99,3)"),
            Ok(1)
        );
        assert_eq!(img.posix_locks.owners(5).len(), 3);
    }
}
