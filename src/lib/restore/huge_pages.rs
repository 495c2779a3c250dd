//! An allocator that asks for transparent huge pages on large blocks.
//!
//! A restore fills tables of hundreds of megabytes once. With 4 KiB pages that is one
//! page fault per 4 KiB (most of the system time of a restore, more so in a virtual
//! machine); with 2 MiB pages it is 512 times fewer. Linux gives huge pages to a region
//! only if asked (`madvise(MADV_HUGEPAGE)`) when transparent huge pages are in
//! `madvise` mode, the common default. This allocator is the system one, plus that
//! hint on every block of at least [`HUGE_MIN`] bytes. A binary opts in with
//! `#[global_allocator]`.

use std::alloc::{GlobalAlloc, Layout, System};

/// Blocks of at least this size get the hint (smaller ones rarely span a whole aligned
/// 2 MiB page).
pub const HUGE_MIN: usize = 4 << 20;
/// The size of a transparent huge page on x86-64 and most other Linux systems.
const HUGE_PAGE: usize = 2 << 20;
/// The base page size (a smaller real one only makes the hint cover a little more).
const SMALL_PAGE: usize = 4096;

/// [`System`] with the huge-page hint on large blocks.
pub struct HugePageAlloc;

/// Hints that `[ptr, ptr + len)` (widened to whole 4 KiB pages) should get huge pages
/// where whole aligned 2 MiB pages fit. Only a hint: failures are ignored, and nothing
/// is read or written.
///
/// The range covers the block's first and last page, not just the aligned 2 MiB pages
/// inside it: a large block is a mapping of its own, and a hint on part of it would
/// split that mapping, after which growing the block in place (`mremap`) fails and
/// every growth becomes a copy.
fn advise(ptr: *mut u8, len: usize) {
    #[cfg(target_os = "linux")]
    {
        let start = (ptr as usize) / SMALL_PAGE * SMALL_PAGE;
        let end = (ptr as usize)
            .saturating_add(len)
            .next_multiple_of(SMALL_PAGE);
        if len >= HUGE_PAGE && end > start {
            // SAFETY: madvise with MADV_HUGEPAGE changes no contents and only concerns
            // pages inside a block this allocator just handed out.
            unsafe {
                libc::madvise(start as *mut libc::c_void, end - start, libc::MADV_HUGEPAGE);
            }
        }
    }
    #[cfg(not(target_os = "linux"))]
    let _ = (ptr, len);
}

// SAFETY: every call is forwarded to `System` unchanged; `advise` only adds a hint on the
// returned block.
unsafe impl GlobalAlloc for HugePageAlloc {
    unsafe fn alloc(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { System.alloc(layout) };
        if !ptr.is_null() && layout.size() >= HUGE_MIN {
            advise(ptr, layout.size());
        }
        ptr
    }

    unsafe fn alloc_zeroed(&self, layout: Layout) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let ptr = unsafe { System.alloc_zeroed(layout) };
        if !ptr.is_null() && layout.size() >= HUGE_MIN {
            advise(ptr, layout.size());
        }
        ptr
    }

    unsafe fn dealloc(&self, ptr: *mut u8, layout: Layout) {
        // SAFETY: forwarded with the caller's guarantees.
        unsafe { System.dealloc(ptr, layout) }
    }

    unsafe fn realloc(&self, ptr: *mut u8, layout: Layout, new_size: usize) -> *mut u8 {
        // SAFETY: forwarded with the caller's guarantees.
        let new = unsafe { System.realloc(ptr, layout, new_size) };
        if !new.is_null() && new_size >= HUGE_MIN {
            advise(new, new_size);
        }
        new
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn blocks_work_as_with_the_system_allocator() {
        let a = HugePageAlloc;
        for size in [16, HUGE_MIN, HUGE_MIN * 3 + 5] {
            let layout = Layout::from_size_align(size, 8).unwrap();
            unsafe {
                let p = a.alloc_zeroed(layout);
                assert!(!p.is_null());
                assert!(std::slice::from_raw_parts(p, size).iter().all(|&b| b == 0));
                p.write_bytes(7, size);
                let q = a.realloc(p, layout, size * 2);
                assert!(!q.is_null());
                assert!(std::slice::from_raw_parts(q, size).iter().all(|&b| b == 7));
                a.dealloc(q, Layout::from_size_align(size * 2, 8).unwrap());
            }
        }
    }
}
