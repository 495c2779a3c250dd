//! The hash functions whose bucket order decides the record order of the master's
//! output (metadata-format §13). We never build these hash tables: we sort by bucket.

/// Thomas Wang's 32-bit integer hash, as the master uses it.
#[inline]
pub fn hash32(k: u32) -> u32 {
    let mut k = (!k).wrapping_add(k << 15);
    k ^= k >> 12;
    k = k.wrapping_add(k << 2);
    k ^= k >> 4;
    k = k.wrapping_mul(2057);
    k ^ (k >> 16)
}

/// Sort key putting records in "bucket ascending, newest first within a bucket" order,
/// the order of a chained hash table whose chains are prepended to.
#[inline]
pub fn bucket_order_key(bucket: u32, insertion_seq: u32) -> u64 {
    (u64::from(bucket) << 32) | u64::from(u32::MAX - insertion_seq)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn matches_the_spec_examples() {
        assert_eq!(hash32(1), 0x12D6_0BF6);
        assert_eq!(hash32(2), 0x25AC_1FE5);
        assert_eq!(hash32(6), 0x7105_06B9);
    }
}
