//! Workloads that produced `testdata/real/`, and the capture of each case.
//!
//! `testdata/real/README.md` says what each case holds. The workloads are bash (run by
//! [`Cluster::run`]); other tests may reuse them as realistic traffic.
//!
//! Capture layout of a case folder:
//!
//! ```text
//! master/      what the master left in its DATA_PATH when stopped (metadata.mfs, metadata.crc,
//!              metadata.mfs.back*, changelog.*.mfs); no lock files, no stats.mfs
//! metalogger/  the metalogger's DATA_PATH at the same moment (metadata_ml.*, changelog_ml*.mfs)
//! expected/    `mfsmaster -a restore` of a copy of metalogger/: metadata.mfs, metadata.crc,
//!              and metadump.txt (its mfsmetadump_normalized text)
//! ```

use std::path::{Path, PathBuf};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

use super::cluster::{Cluster, ClusterOptions, Init};
use super::error::{io, Error, Result};
use super::files;
use super::oracle::{mfsmaster_restore_copy, mfsmetadump_normalized};
use super::workload::RunOptions;

/// Every namespace feature a metadata file can hold, plus the changelog operations that make
/// them: storage classes (create, copy, rename, modify, delete), files with chunks, a hole,
/// truncation, appended chunks, hard and symbolic links, fifo, devices, a socket, odd names,
/// modes, owners, times, goals, storage classes, trash times, extra attributes, archive flag,
/// xattrs, access and default ACLs, quotas, snapshots (and one removed), renames, trash,
/// undelete and purge through the meta mount, inodes freed at once. Needs a meta mount.
pub const NAMESPACE_RICH: &str = r#"
# ---- storage classes: SCLA section; SCSET / SCDUP / SCREN / SCDEL in the changelog ----
mfsscadmin create -K A,B sc_keep_ab
mfsscadmin create -m s -C A -K A,B -A B -d 7 sc_archive_b
mfsscadmin create -a 1 -m l -K '*' sc_admin_only
mfsscadmin copy sc_keep_ab sc_copy
mfsscadmin rename sc_copy sc_renamed
mfsscadmin create -K C sc_to_delete
mfsscadmin delete sc_to_delete
mfsscadmin modify -K A,'*' sc_renamed
# ---- directories and files with chunks ----
mkdir -p dir/sub/deeper empty_dir
echo "small file" > dir/small.txt
echo "more" >> dir/small.txt
dd if=/dev/urandom of=dir/sub/random.bin bs=64k count=3 status=none
truncate -s 100000 dir/sub/random.bin
printf 'end' | dd of=holey.bin bs=1 seek=3000000 conv=notrunc status=none
truncate -s 70M sparse_70M.bin
echo "chunk to append" > src_for_append
mfsappendchunks appended.bin src_for_append holey.bin
# ---- links and special files ----
ln dir/small.txt hardlink_to_small
ln dir/small.txt dir/sub/second_hardlink
ln -s dir/small.txt symlink_relative
ln -s /nonexistent/target symlink_dangling
mkfifo fifo
mknod chardev c 1 3
mknod blockdev b 7 0
python3 -c 'import socket; socket.socket(socket.AF_UNIX).bind("unix.sock")'
# ---- odd names (the changelog escapes , ( ) % and non-printables as %XX; | is not) ----
mkdir odd
touch odd/'comma,name' odd/'paren(name)' odd/'percent%41name' odd/'space name' odd/'trailing space '
touch odd/'pipe|name' odd/$'tab\tname' odd/$'ctrl\x01name' odd/$'line\nfeed'
touch odd/'zażółć gęślą jaźń' odd/'日本語' odd/$'latin1\xe9'
touch odd/'equals=name' odd/'colon:name' odd/"quote'name" odd/'back\slash' odd/'#hash'
# ---- attributes ----
chmod 4750 dir/small.txt
chown 1000:100 dir/sub/random.bin
chmod 1777 empty_dir
touch -h -d '2001-02-03 04:05:06' symlink_relative
touch -d '2001-02-03 04:05:06' -a holey.bin
touch -d '2002-03-04 05:06:07' -m holey.bin
mfssetgoal 3 dir/small.txt >/dev/null
mfssetsclass sc_keep_ab dir/sub/random.bin >/dev/null
mfssetsclass -r sc_archive_b dir/sub >/dev/null
mfssettrashtime 7200 dir/small.txt >/dev/null
mfssettrashtime -r 3600 dir/sub >/dev/null
mfsseteattr -f noowner -f nodatacache dir/small.txt >/dev/null
mfsseteattr -f appendonly empty_dir >/dev/null
echo keep > undeletable_file
mfsseteattr -f undeletable undeletable_file >/dev/null
mfsseteattr -f noattrcache -f noentrycache dir >/dev/null
mfsdeleattr -f noentrycache dir >/dev/null
mfssetarchive holey.bin >/dev/null
# ---- extended attributes ----
setfattr -n user.color -v blue dir/small.txt
setfattr -n user.binary -v 0x00ff10 dir/small.txt
setfattr -n user.empty dir
setfattr -n user.gone -v x dir
setfattr -x user.gone dir
setfattr -n trusted.t -v 'value with spaces' holey.bin
# ---- POSIX ACLs: access and default ----
setfacl -m u:1000:rw,g:100:r,m:rw dir/small.txt
setfacl -d -m u:1000:rwx,g::rx,o::- dir/sub
setfacl -m u:2000:rx,g:2000:rwx dir/sub
setfacl -b holey.bin
# ---- quotas ----
mfssetquota -i 1000 -I 2000 -l 10M -L 20M -s 30M -S 40M -r 50M -R 60M -p 3600 dir >/dev/null
mfssetquota -I 5 empty_dir >/dev/null
mfssetquota -L 1G odd >/dev/null
mfsdelquota -L odd >/dev/null
# ---- snapshots ----
mfsmakesnapshot dir snap_of_dir
mfsmakesnapshot dir/sub/random.bin snap_file
echo "copy on write" >> snap_of_dir/small.txt
mfsmakesnapshot holey.bin snap_to_remove
mfsrmsnapshot snap_to_remove
# ---- renames ----
mv dir/sub/deeper dir/moved_deeper
mv odd/'space name' dir/'renamed space'
mv fifo dir/fifo_moved
# ---- trash, undelete, purge, inodes freed at once ----
echo t > to_trash; rm to_trash
echo u > to_undelete; rm to_undelete
echo p > to_purge; rm to_purge
undel=$(find "$MFS_META/trash" -mindepth 2 -maxdepth 2 -name '*|to_undelete')
mv "$undel" "$(dirname "$undel")/undel/"
rm "$(find "$MFS_META/trash" -mindepth 2 -maxdepth 2 -name '*|to_purge')"
echo f > freed_at_once; mfssettrashtime 0 freed_at_once >/dev/null; rm freed_at_once
mkdir dir_removed; rmdir dir_removed
"#;

/// Holds files open and locked from three sessions (the main mount, a second mount, the meta
/// mount) until the test signals `release`:
///
/// * `locks/flocked`: exclusive `flock()`; `locks/flock_shared`: shared `flock()` held by
///   two processes of the second session;
/// * `locks/posix_locked`: `fcntl` write lock on bytes 5–14 and read lock on 100–199;
/// * `locks/open_only`: open, no lock;
/// * `locks/sustained_a`, `locks/sustained_b`: trash time 0, unlinked while open (sustained).
///
/// Marks `locked` (first session) and `locked2` (second) when everything is held.
pub const OPEN_FILES_LOCKS: &str = r#"
S2="$MFS_RUN_DIR/second"
mfs_mount "$S2"
mkdir locks
for f in flocked flock_shared posix_locked open_only sustained_a sustained_b; do echo "data of $f" > "locks/$f"; done
mfssettrashtime 0 locks/sustained_a locks/sustained_b >/dev/null
python3 - <<'PY' &
import fcntl, os, time
ctl = os.environ["MFS_CTL"]
held = []
f = open("locks/flocked", "r+"); fcntl.flock(f, fcntl.LOCK_EX); held.append(f)
g = open("locks/posix_locked", "r+")
fcntl.lockf(g, fcntl.LOCK_EX, 10, 5)
fcntl.lockf(g, fcntl.LOCK_SH, 100, 100)
held.append(g)
held.append(open("locks/open_only"))
for n in ("locks/sustained_a", "locks/sustained_b"):
    held.append(open(n))
    os.unlink(n)
open(os.path.join(ctl, "mark.locked"), "w").close()
while not os.path.exists(os.path.join(ctl, "signal.release")):
    time.sleep(0.05)
PY
python3 - "$S2" <<'PY' &
import fcntl, os, sys, time
ctl = os.environ["MFS_CTL"]
path = os.path.join(sys.argv[1], "locks/flock_shared")
a = open(path); fcntl.flock(a, fcntl.LOCK_SH)
if os.fork() == 0:
    b = open(path); fcntl.flock(b, fcntl.LOCK_SH)
    while not os.path.exists(os.path.join(ctl, "signal.release")):
        time.sleep(0.05)
    os._exit(0)
time.sleep(0.5)
open(os.path.join(ctl, "mark.locked2"), "w").close()
while not os.path.exists(os.path.join(ctl, "signal.release")):
    time.sleep(0.05)
os.wait()
PY
wait
"#;

/// A few everyday operations, for the changelog of a brand-new file system.
pub const FRESH_SMALL: &str = r#"
mkdir docs
echo "first file" > docs/readme.txt
ln -s docs/readme.txt link
mv docs/readme.txt docs/README
echo gone > tmpfile; rm tmpfile
chmod 700 docs
"#;

/// Before the clock jump: trash with a 1 h trash time; files unlinked with trash time 0
/// while the mount still counts them as open (they become *sustained*, not free: the mount
/// reports closed files only after minutes); a directory freed at once; then the unmount ends
/// the session.
pub const TIME_DRIVEN_BEFORE: &str = r#"
mkdir expiring
for i in 1 2 3; do echo "trash $i" > expiring/trash_$i; done
mfssettrashtime 3600 expiring/trash_1 expiring/trash_2 expiring/trash_3 >/dev/null
rm expiring/trash_1 expiring/trash_2 expiring/trash_3
for i in 1 2; do echo "sustained $i" > unlinked_$i; mfssettrashtime 0 unlinked_$i >/dev/null; rm unlinked_$i; done
echo sustained > held_while_unlinked
mfssettrashtime 0 held_while_unlinked >/dev/null
python3 -c 'import os; f = open("held_while_unlinked"); os.unlink("held_while_unlinked"); f.close()'
mkdir gone_dir; rmdir gone_dir
echo kept > kept_file
"#;

/// After the master's restart: a few more changes for its new changelog.
pub const TIME_DRIVEN_AFTER: &str = r#"
echo "after the restart" > after_restart
mv kept_file kept_file_renamed
mkdir gone_dir_2; rmdir gone_dir_2
"#;

/// Captures one case into the given folder.
pub type CaptureFn = fn(&Path) -> Result<()>;

/// The cases, by folder name.
pub const CASES: &[(&str, CaptureFn)] = &[
    ("fresh-new-changelog", capture_fresh_new),
    ("namespace-rich", capture_namespace_rich),
    ("open-files-locks-sessions", capture_open_files_locks),
    ("time-driven-trash-expiry-rotation", capture_time_driven),
    (
        "restore-fails-closed-session-dropped",
        capture_restore_fails,
    ),
];

/// Captures the named cases (all if `only` is empty) into `root/<case>/`, replacing each
/// case's folder.
pub fn capture(root: &Path, only: &[&str]) -> Result<Vec<PathBuf>> {
    if let Some(unknown) = only.iter().find(|n| !CASES.iter().any(|(c, _)| c == *n)) {
        return Err(Error::Unexpected {
            what: "capture".into(),
            detail: format!("unknown case {unknown:?}"),
        });
    }
    let mut done = Vec::new();
    for (name, capture) in CASES
        .iter()
        .filter(|(c, _)| only.is_empty() || only.contains(c))
    {
        let dest = root.join(name);
        let started = std::time::Instant::now();
        capture(&dest).map_err(|e| Error::Unexpected {
            what: format!("capturing {name}"),
            detail: e.to_string(),
        })?;
        eprintln!("captured {} in {:?}", dest.display(), started.elapsed());
        done.push(dest);
    }
    Ok(done)
}

/// `fresh-new-changelog`: the master starts from the `MFSM NEW` placeholder, so its changelog
/// begins at `1: SETMETAID` on the empty file system; the metalogger keeps a
/// `metadata_ml.tmp` (the placeholder fails its check). `expected/` is the restore of
/// master/'s placeholder plus changelog (see [`restore_fresh`]).
pub fn capture_fresh_new(dest: &Path) -> Result<()> {
    let mut cluster = Cluster::start_with(ClusterOptions {
        init: Init::New,
        ..Default::default()
    })?;
    cluster.run(FRESH_SMALL)?;
    cluster.stop_all()?;
    reset(dest)?;
    save_daemon_dirs(&cluster, dest)?;
    restore_fresh(dest)
}

/// `namespace-rich`: [`NAMESPACE_RICH`], then a clean stop.
pub fn capture_namespace_rich(dest: &Path) -> Result<()> {
    let mut cluster = Cluster::start()?;
    cluster.run_with(NAMESPACE_RICH, RunOptions::default().with_meta_mount())?;
    cluster.stop_all()?;
    reset(dest)?;
    save_daemon_dirs(&cluster, dest)?;
    save_expected(dest)
}

/// `open-files-locks-sessions`: [`NAMESPACE_RICH`] (so that every section has content), then
/// [`OPEN_FILES_LOCKS`]; while everything is held, the master is stopped (it stores the
/// sessions, open files and locks) and both folders are saved. The master is then started
/// again, the locks are released and the cluster is stopped (not saved).
pub fn capture_open_files_locks(dest: &Path) -> Result<()> {
    let mut cluster = Cluster::start()?;
    cluster.run_with(NAMESPACE_RICH, RunOptions::default().with_meta_mount())?;
    let mut held = cluster.spawn_with(OPEN_FILES_LOCKS, RunOptions::default().with_meta_mount())?;
    held.wait_mark("locked", Duration::from_secs(60))?;
    held.wait_mark("locked2", Duration::from_secs(60))?;
    cluster.wait_metalogger_caught_up(Duration::from_secs(30))?;
    cluster.stop_master()?;
    reset(dest)?;
    save_daemon_dirs(&cluster, dest)?;
    cluster.start_master()?;
    held.signal("release")?;
    held.wait(Duration::from_secs(120))?;
    cluster.stop_all()?;
    save_expected(dest)
}

/// `time-driven-trash-expiry-rotation`: the master runs under libfaketime
/// (INODE_REUSE_DELAY = 300 s, the minimum).
///
/// 1. [`TIME_DRIVEN_BEFORE`].
/// 2. The master's clock jumps to 20 s before a full hour more than an hour ahead: the
///    closed session goes (SESDEL: the master's uptime now counts as > 120 s), the freed
///    directory's inode becomes reusable (FREEINODES, at a full minute), and at the full hour
///    the master rotates its changelog and stores `metadata.mfs.back`; the metalogger rotates
///    too.
/// 3. The master restarts (same clock offset). Trash and sustained files are purged one
///    bucket per second (4096 trash buckets, 256 sustained buckets, counted from the start),
///    so only right after a start do small inode numbers come up at once: EMPTYTRASH for the
///    expired trash, EMPTYSUSTAINED for the sustained files.
/// 4. [`TIME_DRIVEN_AFTER`]; a further 10-minute jump (the purged inodes pass
///    INODE_REUSE_DELAY: FREEINODES again); stop.
pub fn capture_time_driven(dest: &Path) -> Result<()> {
    let opts = ClusterOptions {
        master_faketime: true,
        ..Default::default()
    }
    .master_cfg("INODE_REUSE_DELAY", "300");
    let mut cluster = Cluster::start_with(opts)?;
    cluster.run(TIME_DRIVEN_BEFORE)?;
    cluster.wait_metalogger_caught_up(Duration::from_secs(30))?;
    let ml = cluster.metalogger_data_dir();
    let ml_count = |needle: &str| {
        count_in(&ml.join("changelog_ml.0.mfs"), needle)
            + count_in(&ml.join("changelog_ml.1.mfs"), needle)
    };

    let now = unix_now();
    let target = (now + 3600) / 3600 * 3600 + 3600 - 20;
    let offset = i64::try_from(target - now).unwrap_or(i64::MAX);
    cluster.set_master_clock_offset(offset)?;
    let rotated = cluster.master_data_dir().join("changelog.1.mfs");
    super::proc::wait_for(
        "SESDEL, FREEINODES and the hourly rotation after the clock jump",
        Duration::from_secs(120),
        Some(cluster.master_log()),
        || {
            Ok((ml_count("|SESDEL(") > 0
                && ml_count("|FREEINODES(") > 0
                && ml.join("changelog_ml.1.mfs").exists()
                && rotated.exists())
            .then_some(()))
        },
    )?;

    cluster.wait_metalogger_caught_up(Duration::from_secs(30))?;
    cluster.restart_master()?;
    super::proc::wait_for(
        "EMPTYTRASH and EMPTYSUSTAINED after the restart",
        Duration::from_secs(60),
        Some(cluster.master_log()),
        || Ok((ml_count("|EMPTYTRASH(") > 0 && ml_count("|EMPTYSUSTAINED(") > 0).then_some(())),
    )?;

    cluster.run(TIME_DRIVEN_AFTER)?;
    let freed_before = ml_count("|FREEINODES(");
    cluster.set_master_clock_offset(offset + 600)?;
    super::proc::wait_for(
        "FREEINODES of the purged inodes",
        Duration::from_secs(90),
        None,
        || Ok((ml_count("|FREEINODES(") > freed_before).then_some(())),
    )?;
    cluster.stop_all()?;
    reset(dest)?;
    save_daemon_dirs(&cluster, dest)?;
    save_expected(dest)
}

/// A file unlinked while open (trash time 0: sustained), then a clean unmount.
pub const SUSTAINED_THEN_UNMOUNT: &str = r#"
echo "sustained" > held
mfssettrashtime 0 held >/dev/null
python3 -c 'import os; f = open("held"); os.unlink("held"); f.close()'
echo other > other_file
"#;

/// Name of the file in `expected/` that holds the failing restore's error.
pub const RESTORE_ERROR_FILE: &str = "restore-error.txt";

/// `restore-fails-closed-session-dropped`: the trap of `real-cluster-notes.md`.
/// [`SUSTAINED_THEN_UNMOUNT`], then a master restart while the master has been up less than
/// 120 s (so no SESDEL was logged): the master drops the closed session silently when it
/// stores, and after the start purges the sustained file (EMPTYSUSTAINED). Replaying the
/// metalogger's files, the session still holds the file open, so the purge finds nothing:
/// `mfsmaster -a restore` fails with a data mismatch (exit status 1).
/// `expected/restore-error.txt` holds the end of its output; there is no expected metadata.
pub fn capture_restore_fails(dest: &Path) -> Result<()> {
    let mut cluster = Cluster::start()?;
    cluster.run(SUSTAINED_THEN_UNMOUNT)?;
    cluster.wait_metalogger_caught_up(Duration::from_secs(30))?;
    cluster.restart_master()?;
    let ml0 = cluster.metalogger_data_dir().join("changelog_ml.0.mfs");
    super::proc::wait_for(
        "EMPTYSUSTAINED after the restart",
        Duration::from_secs(60),
        Some(cluster.master_log()),
        || Ok((count_in(&ml0, "|EMPTYSUSTAINED(") > 0).then_some(())),
    )?;
    cluster.stop_all()?;
    reset(dest)?;
    save_daemon_dirs(&cluster, dest)?;
    let exp = dest.join("expected");
    std::fs::create_dir_all(&exp).map_err(io("create folder", &exp))?;
    match mfsmaster_restore_copy(&dest.join("metalogger")) {
        Ok(_) => Err(Error::Unexpected {
            what: "restore of the metalogger folder".into(),
            detail: "succeeded, but MooseFS 3.0.117 was expected to fail here".into(),
        }),
        Err(Error::Failed { tail, .. }) => {
            let path = exp.join(RESTORE_ERROR_FILE);
            std::fs::write(&path, format!("{tail}\n")).map_err(io("write", &path))
        }
        Err(e) => Err(e),
    }
}

fn count_in(path: &Path, needle: &str) -> usize {
    std::fs::read_to_string(path)
        .map(|t| t.matches(needle).count())
        .unwrap_or(0)
}

fn unix_now() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map(|d| d.as_secs())
        .unwrap_or(0)
}

fn reset(dest: &Path) -> Result<()> {
    if dest.exists() {
        std::fs::remove_dir_all(dest).map_err(io("remove", dest))?;
    }
    std::fs::create_dir_all(dest).map_err(io("create folder", dest))
}

/// Copies master/ and metalogger/ of the cluster into `dest`: every regular file except
/// hidden ones (lock files) and the master's `stats.mfs` (charts, 5 MB).
pub fn save_daemon_dirs(cluster: &Cluster, dest: &Path) -> Result<()> {
    for (src, sub) in [
        (cluster.master_data_dir(), "master"),
        (cluster.metalogger_data_dir(), "metalogger"),
    ] {
        let to = dest.join(sub);
        std::fs::create_dir_all(&to).map_err(io("create folder", &to))?;
        for path in files::list_files(&src)? {
            let name = path
                .file_name()
                .map(|n| n.to_string_lossy().into_owned())
                .unwrap_or_default();
            if name.starts_with('.') || name == "stats.mfs" {
                continue;
            }
            std::fs::copy(&path, to.join(&name)).map_err(io("copy", &path))?;
        }
    }
    Ok(())
}

/// `expected/`: the restore of a copy of `dest/metalogger`, and its normalized dump.
pub fn save_expected(dest: &Path) -> Result<()> {
    let restored = mfsmaster_restore_copy(&dest.join("metalogger"))?;
    write_expected(dest, &restored.metadata)
}

/// `expected/` of the fresh case: restore of the master's `MFSM NEW` placeholder (its
/// `metadata.mfs.back.1`, saved as metadata.mfs) plus `changelog.0.mfs`.
pub fn restore_fresh(dest: &Path) -> Result<()> {
    let tmp = super::TempDir::new("fresh-restore")?;
    let master = dest.join("master");
    std::fs::copy(
        master.join("metadata.mfs.back.1"),
        tmp.path().join("metadata.mfs"),
    )
    .map_err(io("copy", &master))?;
    std::fs::copy(
        master.join("changelog.0.mfs"),
        tmp.path().join("changelog.0.mfs"),
    )
    .map_err(io("copy", &master))?;
    let produced = super::oracle::mfsmaster_restore(tmp.path())?;
    write_expected(dest, &produced)
}

fn write_expected(dest: &Path, produced: &Path) -> Result<()> {
    let exp = dest.join("expected");
    std::fs::create_dir_all(&exp).map_err(io("create folder", &exp))?;
    std::fs::copy(produced, exp.join("metadata.mfs")).map_err(io("copy", produced))?;
    let crc = produced.with_file_name("metadata.crc");
    if crc.exists() {
        std::fs::copy(&crc, exp.join("metadata.crc")).map_err(io("copy", &crc))?;
    }
    let dump = mfsmetadump_normalized(&exp.join("metadata.mfs"))?;
    std::fs::write(exp.join("metadump.txt"), dump).map_err(io("write", &exp))
}
