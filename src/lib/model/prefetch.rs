//! Cache prefetch hints, for tables visited in an order unrelated to their layout (hash
//! order, or inode order over nodes kept in hash order): touching the entry a few steps
//! ahead lets the memory loads overlap.

/// Hints that `value` will be read soon. Never faults and changes nothing observable.
#[inline(always)]
pub fn prefetch<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    // SAFETY: `_mm_prefetch` only hints the cache; it never faults and reads nothing
    // observable, and the pointer comes from a live reference anyway.
    unsafe {
        use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
        _mm_prefetch::<_MM_HINT_T0>((value as *const T).cast::<i8>());
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}

/// [`prefetch`] for every cache line `value` spans (a value larger than one line, or
/// one that straddles two).
#[inline(always)]
pub fn prefetch_all<T>(value: &T) {
    #[cfg(target_arch = "x86_64")]
    {
        let start = (value as *const T).cast::<i8>();
        let mut offset = 0;
        while offset < std::mem::size_of::<T>() {
            // SAFETY: as in `prefetch`; a prefetch of any address is harmless, and this
            // one is inside `value` anyway.
            unsafe {
                use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
                _mm_prefetch::<_MM_HINT_T0>(start.wrapping_add(offset));
            }
            offset += 64;
        }
        // SAFETY: as above; the last byte of `value`.
        unsafe {
            use std::arch::x86_64::{_mm_prefetch, _MM_HINT_T0};
            _mm_prefetch::<_MM_HINT_T0>(
                start.wrapping_add(std::mem::size_of::<T>().saturating_sub(1)),
            );
        }
    }
    #[cfg(not(target_arch = "x86_64"))]
    let _ = value;
}
