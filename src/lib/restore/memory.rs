//! How a restore process uses memory it gets from the C allocator.
//!
//! A restore builds tables of hundreds of megabytes in one go and then exits. Two of
//! glibc's defaults cost time there:
//!
//! * the heap grows 128 KiB per `brk` call, and each call takes the address-space lock
//!   for writing, waiting for every helper thread that holds it for reading (faulting
//!   pages in, see `model::prefault`);
//! * memory freed at the top of the heap goes back to the system at once, and the next
//!   allocation faults fresh (kernel-zeroed) pages in again.
//!
//! [`tune_allocator`] sets both for a short-lived, allocation-heavy process. Nothing
//! here changes what any allocation holds.

/// Heap growth per `brk` call.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TOP_PAD: libc::c_int = 64 << 20;
/// Free memory at the top of the heap is kept up to this much.
#[cfg(all(target_os = "linux", target_env = "gnu"))]
const TRIM_THRESHOLD: libc::c_int = 512 << 20;

/// Tunes the process's allocator for a restore (glibc only; elsewhere nothing). Call it
/// once, early, from a program's `main`: the settings are the whole process's.
pub fn tune_allocator() {
    #[cfg(all(target_os = "linux", target_env = "gnu"))]
    // SAFETY: mallopt only changes allocator parameters; any value is accepted or
    // refused (return 0) without touching allocated memory.
    unsafe {
        libc::mallopt(libc::M_TOP_PAD, TOP_PAD);
        libc::mallopt(libc::M_TRIM_THRESHOLD, TRIM_THRESHOLD);
    }
}
