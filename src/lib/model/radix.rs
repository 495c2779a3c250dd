//! Stable sorting of `u64` sort keys by one bit field of theirs, in linear time.
//!
//! The store writes millions of nodes and chunks in hash-bucket order. Their keys are
//! produced in an order that already settles ties (newest first, or lowest index
//! first), so all that is left is a stable sort by the bucket field: a least-significant
//! digit radix sort does that in a few sequential passes, where a comparison sort
//! spends `n log n` comparisons (about 0.1 s for 2 million keys after a replay).

/// Bits of a digit at most: 2^11 counters per pass stay in the first-level cache.
const DIGIT_BITS: u32 = 11;
/// Fewer keys than this are sorted by comparison (the counters would cost more).
const SMALL: usize = 1 << 12;

/// Sorts `keys` by their `bits`-bit field at bit `shift` (`bits` at most 32), keeping
/// keys with equal fields in their order.
pub fn sort_by_field(keys: &mut Vec<u64>, shift: u32, bits: u32) {
    let bits = bits.min(32);
    if shift >= 64 || bits == 0 {
        return;
    }
    let field_mask = (1u64 << bits) - 1;
    let field = |k: u64| (k >> shift) & field_mask;
    if keys.len() < SMALL {
        keys.sort_by_key(|&k| field(k));
        return;
    }
    let passes = bits.div_ceil(DIGIT_BITS);
    let width = bits.div_ceil(passes);
    let radix = 1usize << width;
    let digit_mask = (radix - 1) as u64;
    // All the passes' counts from one read of the keys.
    let mut counts = vec![0usize; radix * passes as usize];
    for &k in keys.iter() {
        let f = field(k);
        for p in 0..passes {
            let d = ((f >> (p * width)) & digit_mask) as usize;
            if let Some(c) = counts.get_mut(p as usize * radix + d) {
                *c += 1;
            }
        }
    }
    let mut other = vec![0u64; keys.len()];
    for (p, counts) in counts.chunks_exact_mut(radix).enumerate() {
        // A digit every key shares moves nothing.
        if counts.contains(&keys.len()) {
            continue;
        }
        let mut next = 0;
        for c in counts.iter_mut() {
            let n = *c;
            *c = next;
            next += n;
        }
        let digit_shift = p as u32 * width;
        for &k in keys.iter() {
            let d = ((field(k) >> digit_shift) & digit_mask) as usize;
            if let Some(at) = counts.get_mut(d) {
                if let Some(slot) = other.get_mut(*at) {
                    *slot = k;
                }
                *at += 1;
            }
        }
        std::mem::swap(keys, &mut other);
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A small deterministic generator (xorshift).
    fn keys(n: usize, seed: u64) -> Vec<u64> {
        let mut x = seed | 1;
        (0..n)
            .map(|_| {
                x ^= x << 13;
                x ^= x >> 7;
                x ^= x << 17;
                x
            })
            .collect()
    }

    fn check(keys: Vec<u64>, shift: u32, bits: u32) {
        let mask = if bits >= 32 {
            u32::MAX as u64
        } else {
            (1u64 << bits) - 1
        };
        let mut expected = keys.clone();
        expected.sort_by_key(|&k| (k >> shift) & mask);
        let mut got = keys;
        sort_by_field(&mut got, shift, bits);
        assert_eq!(got, expected, "shift {shift} bits {bits}");
    }

    #[test]
    fn matches_a_stable_comparison_sort() {
        for (n, shift, bits) in [
            (100_000, 32, 24),
            (100_000, 40, 24),
            (50_000, 32, 32),
            (50_000, 0, 5),
            (10_000, 60, 4),
            (5_000, 32, 25),
            (100, 32, 24),
        ] {
            check(keys(n, n as u64 + u64::from(bits)), shift, bits);
        }
    }

    #[test]
    fn equal_fields_keep_their_order() {
        // Few distinct fields, many ties: the low bits record the original position.
        let v: Vec<u64> = (0..20_000u64)
            .map(|i| ((i * 7919 % 13) << 32) | i)
            .collect();
        check(v, 32, 24);
    }

    #[test]
    fn degenerate_fields_leave_keys_alone() {
        let v = keys(10_000, 3);
        let mut same = v.clone();
        sort_by_field(&mut same, 64, 8);
        assert_eq!(same, v);
        sort_by_field(&mut same, 0, 0);
        assert_eq!(same, v);
        let mut constant: Vec<u64> = (0..10_000u64).map(|i| (5 << 32) | i).collect();
        let before = constant.clone();
        sort_by_field(&mut constant, 32, 24);
        assert_eq!(constant, before);
    }
}
