//! Faulting in fresh memory on another thread, ahead of the thread that will fill it;
//! and its counterpart for mapped inputs, letting their pages go behind a loader
//! ([`ReleaseBehind`]).
//!
//! The first write to each page of a new allocation costs a page fault in which the
//! kernel finds and zeroes a page; a restore fills tables of hundreds of megabytes once,
//! and in a virtual machine those faults are the largest single cost of loading a
//! metadata file (the host backs the guest's memory lazily too). Loading is serial per
//! table, but the faults need not be: a helper thread asks the kernel to populate the
//! reserved capacity of the tables (`madvise(MADV_POPULATE_WRITE)`, Linux 5.14) while the
//! loader decodes records, so the loader's writes find their pages mapped.
//!
//! Populating never changes memory contents (the kernel maps zero-filled pages where none
//! are mapped and leaves mapped ones alone), so it is sound whatever the filling thread
//! does meanwhile, even if the table moves to a larger block and the old range is
//! reused. It only spends memory that the table will use anyway, provided the region is
//! the capacity that will be filled (callers pass counts taken from section headers).

/// A range of addresses to fault in. Holds plain numbers, so it can go to another thread.
#[derive(Clone, Copy, Debug, Default, PartialEq, Eq)]
pub struct Region {
    start: usize,
    len: usize,
}

/// Populate this many bytes per call, so that a region much larger than the memory the
/// system can spare fails part way instead of all at once, and so that the address-space
/// lock, which each call holds for reading, is never held long: the filling thread
/// needs it for writing whenever it maps or grows memory (`brk`, `mmap`, `mremap`), and
/// would wait for the whole call (about 10 ms per 32 MiB here).
const STEP: usize = 1 << 20;
/// Regions smaller than this are left to the filling thread (a thread and a system call
/// would cost more than the faults).
const MIN_REGION: usize = 1 << 20;

impl Region {
    /// The unused capacity of `v`, at most `count` elements long: where its next pushes
    /// will write.
    pub fn spare<T>(v: &Vec<T>, count: usize) -> Region {
        let size = std::mem::size_of::<T>();
        let available = v.capacity().saturating_sub(v.len());
        Region {
            start: v.as_ptr().wrapping_add(v.len()) as usize,
            len: count.min(available).saturating_mul(size),
        }
    }

    /// Bytes in the region.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether the region has no bytes.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Whether the region is worth a helper thread.
    pub fn is_worthwhile(&self) -> bool {
        self.len >= MIN_REGION
    }

    /// Faults in the region's pages (rounded inward to whole pages). Failures (an old
    /// kernel, no memory to spare) are ignored: the filling thread then takes the faults
    /// itself, as without this.
    pub fn populate(&self) {
        #[cfg(target_os = "linux")]
        {
            const PAGE: usize = 4096;
            let start = self.start.next_multiple_of(PAGE);
            let end = self.start.saturating_add(self.len) / PAGE * PAGE;
            let mut at = start;
            while at < end {
                let n = STEP.min(end - at);
                // SAFETY: MADV_POPULATE_WRITE maps pages without changing any byte of
                // memory (see the module docs), so it cannot break what another thread
                // reads or writes; on an unmapped range it fails with ENOMEM.
                let r =
                    unsafe { libc::madvise(at as *mut libc::c_void, n, libc::MADV_POPULATE_WRITE) };
                if r != 0 {
                    return;
                }
                at += n;
            }
        }
    }
}

/// Tells the owner of a mapped input, every [`RELEASE_EVERY`] bytes a loader reads, that
/// the pages well behind the loader may leave the resident set (the pages stay in the
/// page cache; whatever still borrows from them reads them again when needed). A mapped
/// input is otherwise resident whole by the end of a load, on top of the tables.
pub struct ReleaseBehind<'r> {
    release: &'r (dyn Fn(u64) + Sync),
    next: u64,
}

/// How often (in bytes read) [`ReleaseBehind`] passes the release on.
pub const RELEASE_EVERY: u64 = 16 << 20;
/// The bytes just behind the loader are kept (records being looked at, prefetching).
const RELEASE_MARGIN: u64 = 1 << 20;

impl<'r> ReleaseBehind<'r> {
    /// `release(end)`: the pages wholly before byte `end` are no longer needed soon.
    pub fn new(release: &'r (dyn Fn(u64) + Sync)) -> Self {
        ReleaseBehind {
            release,
            next: RELEASE_EVERY,
        }
    }

    /// The loader reached byte `offset`.
    #[inline]
    pub fn reached(&mut self, offset: u64) {
        if offset >= self.next {
            (self.release)(offset.saturating_sub(RELEASE_MARGIN));
            self.next = offset.saturating_add(RELEASE_EVERY);
        }
    }
}

/// Lowers the calling thread's scheduling priority a little (nice +5; Linux only, where
/// nice values are per thread), for helper threads that run beside a thread on the
/// critical path: on a machine with fewer cores than runnable threads, the helpers then
/// take the time the critical thread leaves, not a share of its core. Failure (not
/// Linux, a limit) changes nothing.
pub fn yield_to_critical_path() {
    #[cfg(target_os = "linux")]
    // SAFETY: plain system calls on the calling thread; no memory is passed.
    unsafe {
        let tid = libc::gettid();
        let now = libc::getpriority(libc::PRIO_PROCESS, tid as libc::id_t);
        libc::setpriority(
            libc::PRIO_PROCESS,
            tid as libc::id_t,
            now.saturating_add(5).min(19),
        );
    }
}

/// Faults in `regions`, in order, on a new thread of `scope` (nothing when none is worth
/// it). The caller keeps the memory alive (it is the capacity of its own tables) and
/// fills it meanwhile.
pub fn populate_behind<'scope>(
    scope: &'scope std::thread::Scope<'scope, '_>,
    regions: Vec<Region>,
) {
    let regions: Vec<Region> = regions.into_iter().filter(Region::is_worthwhile).collect();
    if regions.is_empty() {
        return;
    }
    scope.spawn(move || {
        yield_to_critical_path();
        for r in &regions {
            r.populate();
        }
    });
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn spare_covers_unused_capacity_only() {
        let mut v: Vec<u64> = Vec::with_capacity(1000);
        v.extend([1, 2, 3]);
        let r = Region::spare(&v, 10_000);
        assert_eq!(r.len(), 997 * 8);
        assert_eq!(r.start, v.as_ptr() as usize + 3 * 8);
        assert_eq!(Region::spare(&v, 5).len(), 40);
    }

    #[test]
    fn populating_changes_no_contents() {
        let mut v: Vec<u64> = Vec::with_capacity(4 << 20);
        v.extend(0..1000u64);
        let region = Region::spare(&v, usize::MAX);
        std::thread::scope(|s| {
            populate_behind(s, vec![region]);
            for i in 1000..(4 << 20) {
                v.push(i);
            }
        });
        assert!(v.iter().enumerate().all(|(i, &x)| x == i as u64));
    }

    #[test]
    fn a_stale_region_is_harmless() {
        let v: Vec<u8> = Vec::with_capacity(8 << 20);
        let region = Region::spare(&v, usize::MAX);
        drop(v);
        region.populate();
        let w = vec![7u8; 8 << 20];
        region.populate();
        assert!(w.iter().all(|&b| b == 7));
    }
}
