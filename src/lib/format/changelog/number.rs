//! Numbers as MooseFS reads and writes them in changelog lines.
//!
//! Reading copies glibc's `strtoul` / `strtoull` / `strtoll` on a 64-bit
//! Linux (spec §2): leading C whitespace (` \t\n\v\f\r`), an optional `+` or
//! `-`, then digits. `-N` gives the two's complement of N; an out-of-range
//! value saturates (`u64::MAX` for the unsigned forms whatever the sign,
//! `i64::MAX` / `i64::MIN` for `strtoll`). Without any digit nothing at all is
//! consumed, not even the blanks. Writing is plain unsigned decimal, like
//! `printf("%u")`.

/// C `isspace` in the "C" locale.
fn is_c_space(b: u8) -> bool {
    matches!(b, b' ' | b'\t' | b'\n' | 0x0B | 0x0C | b'\r')
}

/// Position after the blanks and the sign that start `s`, and whether the
/// sign was `-`.
fn skip_blanks_and_sign(s: &[u8]) -> (usize, bool) {
    let mut i = s.iter().take_while(|&&b| is_c_space(b)).count();
    let negative = match s.get(i) {
        Some(b'-') => {
            i += 1;
            true
        }
        Some(b'+') => {
            i += 1;
            false
        }
        _ => false,
    };
    (i, negative)
}

/// Accumulates decimal digits from `s[start..]`: (magnitude or `None` on u64
/// overflow, end position).
fn decimal_digits(s: &[u8], start: usize) -> (Option<u64>, usize) {
    let mut acc = Some(0u64);
    let mut end = start;
    for &b in s.get(start..).unwrap_or_default() {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        acc = acc
            .and_then(|v| v.checked_mul(10))
            .and_then(|v| v.checked_add(u64::from(digit)));
        end += 1;
    }
    (acc, end)
}

/// Decimal digits that always fit in a u64.
const SAFE_DIGITS: usize = 19;

/// `strtoull(s, &end, 10)`: (value, bytes consumed).
#[inline]
pub(crate) fn strtou64(s: &[u8]) -> (u64, usize) {
    // Fast path for what the 3.0.117 writer produces: up to 19 plain digits.
    let mut acc: u64 = 0;
    let mut used = 0;
    for &b in s.iter().take(SAFE_DIGITS) {
        let digit = b.wrapping_sub(b'0');
        if digit > 9 {
            break;
        }
        acc = acc * 10 + u64::from(digit);
        used += 1;
    }
    let more_digits = s.get(used).is_some_and(u8::is_ascii_digit);
    if used == 0 || more_digits {
        return strtou64_general(s);
    }
    (acc, used)
}

/// `strtoull` for blanks, signs, no digits and 20 digits or more.
#[cold]
fn strtou64_general(s: &[u8]) -> (u64, usize) {
    let (start, negative) = skip_blanks_and_sign(s);
    let (acc, end) = decimal_digits(s, start);
    if end == start {
        return (0, 0);
    }
    match acc {
        None => (u64::MAX, end),
        Some(v) if negative => (v.wrapping_neg(), end),
        Some(v) => (v, end),
    }
}

/// `strtoll(s, &end, 10)`: (value, bytes consumed).
pub(crate) fn strtoi64(s: &[u8]) -> (i64, usize) {
    let (start, negative) = skip_blanks_and_sign(s);
    let (acc, end) = decimal_digits(s, start);
    if end == start {
        return (0, 0);
    }
    let value = match (acc, negative) {
        (Some(v), false) => i64::try_from(v).unwrap_or(i64::MAX),
        (None, false) => i64::MAX,
        (Some(v), true) => 0i64.checked_sub_unsigned(v).unwrap_or(i64::MIN),
        (None, true) => i64::MIN,
    };
    (value, end)
}

/// `strtoul(s, &end, 16)`: (value, bytes consumed). Accepts an optional
/// `0x` / `0X` prefix after the sign; `0x` without a hex digit after it is
/// read as the number 0 followed by `x`, as glibc does.
pub(crate) fn strtou64_hex(s: &[u8]) -> (u64, usize) {
    let (mut start, negative) = skip_blanks_and_sign(s);
    if s.get(start) == Some(&b'0')
        && matches!(s.get(start + 1), Some(b'x' | b'X'))
        && s.get(start + 2).is_some_and(u8::is_ascii_hexdigit)
    {
        start += 2;
    }
    let mut acc = Some(0u64);
    let mut end = start;
    for &b in s.get(start..).unwrap_or_default() {
        let digit = match b {
            b'0'..=b'9' => b - b'0',
            b'a'..=b'f' => b - b'a' + 10,
            b'A'..=b'F' => b - b'A' + 10,
            _ => break,
        };
        acc = acc
            .and_then(|v| v.checked_mul(16))
            .and_then(|v| v.checked_add(u64::from(digit)));
        end += 1;
    }
    if end == start {
        return (0, 0);
    }
    match acc {
        None => (u64::MAX, end),
        Some(v) if negative => (v.wrapping_neg(), end),
        Some(v) => (v, end),
    }
}

/// Appends `value` in unsigned decimal.
pub(crate) fn push_decimal(out: &mut Vec<u8>, mut value: u64) {
    let mut digits = [0u8; 20];
    let mut start = digits.len();
    loop {
        start -= 1;
        if let Some(slot) = digits.get_mut(start) {
            // `value % 10` is below 10.
            *slot = b'0' + (value % 10) as u8;
        }
        value /= 10;
        if value == 0 {
            break;
        }
    }
    out.extend_from_slice(digits.get(start..).unwrap_or_default());
}

/// Appends `value` as `printf("%08X")` does: uppercase, at least 8 digits.
pub(crate) fn push_hex8(out: &mut Vec<u8>, value: u32) {
    const HEX: &[u8; 16] = b"0123456789ABCDEF";
    for shift in (0..8).rev() {
        let nibble = (value >> (shift * 4)) & 0xF;
        out.extend(HEX.get(nibble as usize).copied());
    }
}

#[cfg(test)]
#[allow(clippy::unwrap_used, clippy::indexing_slicing, clippy::panic)]
mod tests {
    use super::*;

    #[test]
    fn plain_decimal() {
        assert_eq!(strtou64(b"123,"), (123, 3));
        assert_eq!(strtou64(b"0"), (0, 1));
        assert_eq!(strtou64(b"18446744073709551615)"), (u64::MAX, 20));
    }

    #[test]
    fn no_digits_consumes_nothing() {
        assert_eq!(strtou64(b""), (0, 0));
        assert_eq!(strtou64(b")"), (0, 0));
        assert_eq!(strtou64(b"  -,"), (0, 0));
        assert_eq!(strtou64(b"+"), (0, 0));
    }

    #[test]
    fn blanks_and_signs_like_strtoul() {
        assert_eq!(strtou64(b" \t+5)"), (5, 4));
        assert_eq!(strtou64(b"-1"), (u64::MAX, 2));
        assert_eq!(strtou64(b"-2").0 as u32, 0xFFFF_FFFE);
        assert_eq!(strtou64(b"\n7"), (7, 2));
    }

    #[test]
    fn overflow_saturates_and_eats_all_digits() {
        assert_eq!(strtou64(b"18446744073709551616x"), (u64::MAX, 20));
        assert_eq!(strtou64(b"-99999999999999999999999"), (u64::MAX, 24));
        // 4294967297 truncated to 32 bits is 1 (spec §2).
        assert_eq!(strtou64(b"4294967297").0 as u32, 1);
    }

    #[test]
    fn signed_ids_like_strtoll() {
        assert_eq!(strtoi64(b"27: "), (27, 2));
        assert_eq!(strtoi64(b"-5"), (-5, 2));
        assert_eq!(strtoi64(b"-0"), (0, 2));
        assert_eq!(strtoi64(b"9223372036854775808"), (i64::MAX, 19));
        assert_eq!(strtoi64(b"-9223372036854775808"), (i64::MIN, 20));
        assert_eq!(strtoi64(b"-99999999999999999999"), (i64::MIN, 21));
        assert_eq!(strtoi64(b": 1"), (0, 0));
    }

    #[test]
    fn hex_like_strtoul_base_16() {
        assert_eq!(strtou64_hex(b"0000001F,"), (0x1F, 8));
        assert_eq!(strtou64_hex(b"abCD,"), (0xABCD, 4));
        assert_eq!(strtou64_hex(b"0x10,"), (0x10, 4));
        assert_eq!(strtou64_hex(b"0xg"), (0, 1));
        assert_eq!(strtou64_hex(b"x1"), (0, 0));
        assert_eq!(strtou64_hex(b"-1,"), (u64::MAX, 2));
        assert_eq!(strtou64_hex(b"1FFFFFFFFFFFFFFFF"), (u64::MAX, 17));
    }

    #[test]
    fn decimal_and_hex_output() {
        let mut out = Vec::new();
        push_decimal(&mut out, 0);
        out.push(b' ');
        push_decimal(&mut out, u64::MAX);
        out.push(b' ');
        push_hex8(&mut out, 0x1F);
        assert_eq!(out, b"0 18446744073709551615 0000001F");
    }
}
