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

/// Hands `items`, which come in ascending bucket order, to `emit` in the order of a
/// chained hash table built by inserting them one by one at the heads of their
/// chains: each run of items sharing a bucket reversed. (Loading the master's file,
/// written in that order, and writing it back is such a walk.)
pub fn for_each_in_chain_order<T>(
    items: impl Iterator<Item = T>,
    bucket: impl Fn(&T) -> u32,
    mut emit: impl FnMut(T),
) {
    // The items of the bucket being read, in input order (nearly always one).
    let mut run: Vec<T> = Vec::new();
    let mut run_bucket = None;
    for item in items {
        let b = bucket(&item);
        if run_bucket != Some(b) {
            run.drain(..).rev().for_each(&mut emit);
            run_bucket = Some(b);
        }
        run.push(item);
    }
    run.drain(..).rev().for_each(emit);
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn chain_order_reverses_each_bucket_run() {
        let mut out = Vec::new();
        let items = [(1, 'a'), (1, 'b'), (2, 'c'), (3, 'd'), (3, 'e'), (3, 'f')];
        for_each_in_chain_order(items.into_iter(), |&(b, _)| b, |(_, c)| out.push(c));
        assert_eq!(out, ['b', 'a', 'c', 'f', 'e', 'd']);
        for_each_in_chain_order(
            std::iter::empty::<(u32, char)>(),
            |&(b, _)| b,
            |_| unreachable!(),
        );
    }

    #[test]
    fn matches_the_spec_examples() {
        assert_eq!(hash32(1), 0x12D6_0BF6);
        assert_eq!(hash32(2), 0x25AC_1FE5);
        assert_eq!(hash32(6), 0x7105_06B9);
    }
}
