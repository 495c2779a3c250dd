//! Per-operation tests: every shape 3.0.117 writes reads and writes back to
//! the same bytes, every legacy form is read and kept, and every way to break
//! a line gives the error MooseFS would give.

use super::*;

/// Parses `text` as a line and writes it back.
fn round_trip(text: &[u8]) -> Vec<u8> {
    let line = parse_line(text)
        .unwrap_or_else(|e| panic!("{:?} does not parse: {e}", text.escape_ascii().to_string()));
    let mut out = Vec::new();
    line.write_to(&mut out);
    out
}

/// Asserts that `text` (a full line with `\n`) parses and formats back to the
/// same bytes, and that reading the output gives the same value.
fn assert_round_trip(text: &str) {
    let out = round_trip(text.as_bytes());
    assert_eq!(String::from_utf8_lossy(&out), text);
    assert_eq!(parse_line(&out), parse_line(text.as_bytes()));
}

fn op(text: &str) -> Op<'_> {
    match parse_line(text.as_bytes()) {
        Ok(line) => line.op,
        Err(e) => panic!("{text:?} does not parse: {e}"),
    }
}

fn err(text: &str) -> LineError {
    match parse_line(text.as_bytes()) {
        Ok(line) => panic!("{text:?} parsed as {line:?}"),
        Err(e) => e,
    }
}

fn name(field: &Escaped<'_>) -> Vec<u8> {
    field.bytes().collect()
}

/// One line per shape the 3.0.117 master writes (spec §5 "Exact shapes"),
/// with escaped names, extreme values and every op written.
const CANONICAL: &[&str] = &[
    "1: 1700000001|ACCESS(5)\n",
    "2: 1700000002|ACQUIRE(3,17)\n",
    "3: 1700000003|AMTIME(17,1700000000,1700000001,1700000002)\n",
    "4: 1700000004|APPEND(17,18,0,4294967295)\n",
    "5: 1700000005|ARCHCHG(1,0,1):10,2,0\n",
    "6: 1700000006|ARCHCHG(17,1000,0):18446744073709551615,0,4294967295\n",
    "7: 1700000007|ATTR(17,420,1000,1000,1700000000,1700000001,0,0)\n",
    "8: 1700000008|ATTR(17,493,0,0,1700000000,1700000001,2,4589)\n",
    "9: 1700000009|CHUNKADD(123,1,1700000128)\n",
    "10: 1700000010|CHUNKDEL(123,2)\n",
    "11: 1700000011|CREATE(1,dir1,2,493,18,0,0,0):2\n",
    "12: 1700000012|CREATE(2,file%2C x%25%28y%29%0A%7F%FF:|#[]\\,1,420,18,1000,1000,0):3\n",
    "13: 1700000013|CREATE(2,fifo,4,4516,0,0,0,0):4\n",
    "14: 1700000014|CREATE(2,blk,5,432,63,0,6,2049):5\n",
    "15: 1700000015|CREATE(2,sock,7,493,18,4294967295,4294967295,0):6\n",
    "16: 1700000016|CSDBOP(0,3232235777,9422,1)\n",
    "17: 1700000017|CSDBOP(4,3232235777,65535,3600)\n",
    "18: 1700000018|EMPTYSUSTAINED(17):0,0\n",
    "19: 1700000019|EMPTYTRASH(4095):2,1,3\n",
    "20: 1700000020|FLOCK(17,3,12345678901234,R)\n",
    "21: 1700000021|FLOCK(17,3,12345678901234,W)\n",
    "22: 1700000022|FLOCK(17,3,18446744073709551615,U)\n",
    "23: 1700000023|FREEINODES(86400):5,0,123\n",
    "24: 1700000024|LENGTH(17,1048576,1)\n",
    "25: 1700000025|LENGTH(17,0,0)\n",
    "26: 1700000026|LINK(17,2,hard%28link%29)\n",
    "27: 1700000027|MOVE(2,a,1,b b):17\n",
    "28: 1700000028|POSIXLOCK(17,3,99,W,0,18446744073709551615,4242)\n",
    "29: 1700000029|POSIXLOCK(17,3,99,U,10,20,0)\n",
    "30: 1700000030|PURGE(17)\n",
    "31: 1700000031|QUOTA(2,0,3,0,0,1000,0,0,0,0,0,1073741824,604800)\n",
    "32: 1700000032|QUOTA(2,0,0,0,0,0,0,0,0,0,0,0,0)\n",
    "33: 1700000033|RELEASE(3,17)\n",
    "34: 1700000034|RENUMERATEEDGES():9223372036854775807\n",
    "35: 1700000035|REPAIR(17,0):0\n",
    "36: 1700000036|ROLLBACK(17,0,100,101)\n",
    "37: 1700000037|SCDEL(fast):10\n",
    "38: 1700000038|SCDUP(fast,fast2):10,11\n",
    "39: 1700000039|SCREN(fast2,slow%2C):11\n",
    "40: 1700000040|SCSET(fast,1,W2,K1,A0,1,24,0,1,2,0,0,4,0,0,0,7,0,0,4294967295):10\n",
    "41: 1700000041|SCSET(plain,0,W0,K0,A0,0,0,1,-):12\n",
    "42: 1700000042|SCSET(full,0,W9,K9,A9,2,65535,1,\
        1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,\
        1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,\
        1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4,1,2,3,4):13\n",
    "43: 1700000043|SESADD(#1234567890123,1,2,0022,0,0,999,999,1,9,0,4294967295,0x00000000,3232235777,/mnt/mfs):1\n",
    "44: 1700000044|SESADD(#0,0,255,0777,1,2,3,4,5,6,7,8,0xFFFFFFFF,0,):4294967295\n",
    "45: 1700000045|SESCHANGED(1,#1234567890123,1,2,0022,0,0,999,999,1,9,0,4294967295,0x0000001F,3232235777,/mnt/mfs%2Cx%00)\n",
    "46: 1700000046|SESDEL(1)\n",
    "47: 1700000047|SESDISCONNECTED(1)\n",
    "48: 1700000048|SETACL(17,493,1,1,7,5,5,7,1,0,%00%00%03%E8%00%07)\n",
    "49: 1700000049|SETACL(17,493,0,2,65535,65535,65535,65535,0,0,)\n",
    "50: 1700000050|SETEATTR(17,0,4,0):1,0,0\n",
    "51: 1700000051|SETFILECHUNK(17,3,0)\n",
    "52: 1700000052|SETMETAID(1234567890123456789)\n",
    "53: 1700000053|SETPATH(17,dir/file%2C)\n",
    "54: 1700000054|SETSCLASS(17,0,2,3,0):1,0,0\n",
    "55: 1700000055|SETTRASHTIME(17,0,86400,4):5,0,0\n",
    "56: 1700000056|SETVERSION(123,3)\n",
    "57: 1700000057|SETXATTR(17,user.test,value%00with%0Anul,0)\n",
    "58: 1700000058|SETXATTR(17,user.empty,,3)\n",
    "59: 1700000059|SNAPSHOT(17,1,snap,0,0,0,[0],18):0,0,0,0,0,0\n",
    "60: 1700000060|SNAPSHOT(17,1,snap2,8,4,1000,[1000,1001,5],18):123,0,0,1,0,5\n",
    "61: 1700000061|SYMLINK(1,link,target/with space%2C,0,0):18\n",
    "62: 1700000062|TRUNC(17,0):124\n",
    "63: 1700000063|UNDEL(17)\n",
    "64: 1700000064|UNLINK(1,dir1):2\n",
    "65: 1700000065|UNLOCK(123)\n",
    "66: 1700000066|WRITE(17,0,1,1):125\n",
    "67: 1700000067|WRITE(17,2147483647,0,0):18446744073709551615\n",
    "9223372036854775807: 4294967295|IDLE()\n",
    "0: 0|ACCESS(0)\n",
];

/// Operations that 3.0.117 reads but never writes, in their usual form.
const NOT_WRITTEN: &[&str] = &[
    "1: 1|IDLE()\n",
    "2: 2|AQUIRE(3,17)\n",
    "3: 3|CUSTOMER():5\n",
    "4: 4|SESSION():6\n",
    "5: 5|CSADD(3232235777,9422)\n",
    "6: 6|CSDEL(3232235777,9422)\n",
    "7: 7|EMPTYRESERVED(5):1,9\n",
    "8: 8|INCVERSION(123)\n",
    "9: 9|NEXTCHUNKID(200)\n",
    "10: 10|SETGOAL(17,0,3,4):1,0,0\n",
];

#[test]
fn every_written_shape_round_trips() {
    for text in CANONICAL {
        assert_round_trip(text);
    }
}

#[test]
fn operations_not_written_by_3_0_117_round_trip() {
    for text in NOT_WRITTEN {
        assert_round_trip(text);
    }
}

#[test]
fn all_58_names_are_accepted_and_named() {
    let mut seen: Vec<&str> = CANONICAL
        .iter()
        .chain(NOT_WRITTEN)
        .map(|text| op(text).name())
        .collect();
    seen.sort_unstable();
    seen.dedup();
    assert_eq!(seen, OP_NAMES);
}

#[test]
fn body_parser_and_body_writer() {
    let line = parse_body(27, b"1700000027|CREATE(1,dir1,2,493,18,0,0,0):2").unwrap();
    assert_eq!(line.id, 27);
    assert_eq!(line.ts, 1_700_000_027);
    let mut out = Vec::new();
    line.write_body_to(&mut out);
    assert_eq!(out, b"1700000027|CREATE(1,dir1,2,493,18,0,0,0):2");
    assert_eq!(
        line.to_string(),
        "27: 1700000027|CREATE(1,dir1,2,493,18,0,0,0):2"
    );
    assert_eq!(line.op.to_string(), "CREATE(1,dir1,2,493,18,0,0,0):2");
    // Offsets of body errors count from the body.
    assert_eq!(parse_body(1, b"5|UNLOCK(x)").unwrap_err().offset(), 9);
    assert_eq!(parse_line(b"1: 5|UNLOCK(x)").unwrap_err().offset(), 12);
}

#[test]
fn split_id_like_the_merger() {
    assert_eq!(
        split_id(b"27: 1|IDLE()\n").unwrap(),
        (27, &b"1|IDLE()\n"[..])
    );
    // No ": ": the body starts right after the digits.
    assert_eq!(split_id(b"27 1|IDLE()").unwrap(), (27, &b" 1|IDLE()"[..]));
    assert_eq!(parse_line(b"27 1|IDLE()").unwrap().ts, 1);
    // Blanks and sign as strtoll; no digits read as 0.
    assert_eq!(split_id(b" +27: x").unwrap().0, 27);
    assert_eq!(split_id(b": 1|IDLE()").unwrap(), (0, &b"1|IDLE()"[..]));
    // strtoll saturates.
    assert_eq!(
        split_id(b"99999999999999999999: ").unwrap().0,
        i64::MAX as u64
    );
    let e = split_id(b"-5: 1|IDLE()").unwrap_err();
    assert_eq!(e.kind(), LineErrorKind::NegativeId);
    assert_eq!(e.restore_effect(), RestoreEffect::EndOfFile);
    assert_eq!(split_id(b"-0: 1|IDLE()").unwrap().0, 0);
}

#[test]
fn trailing_bytes_are_kept() {
    let line = parse_line(b"5: 1|UNLOCK(5)xyz").unwrap();
    assert_eq!(line.rest, b"xyz");
    assert_eq!(round_trip(b"5: 1|UNLOCK(5)xyz"), b"5: 1|UNLOCK(5)xyz\n");
    // CRLF files.
    let line = parse_line(b"5: 1|UNLOCK(5)\r\n").unwrap();
    assert_eq!(line.rest, b"\r");
    assert_eq!(round_trip(b"5: 1|UNLOCK(5)\r\n"), b"5: 1|UNLOCK(5)\r\n");
    // Only one final newline is taken off.
    assert_eq!(parse_line(b"5: 1|UNLOCK(5)\n\n").unwrap().rest, b"\n");
    // After a final number, the rest starts where strtoul stops.
    let line = parse_line(b"5: 1|TRUNC(1,2):33abc\n").unwrap();
    assert_eq!(line.rest, b"abc");
    assert_eq!(
        round_trip(b"5: 1|TRUNC(1,2):33abc\n"),
        b"5: 1|TRUNC(1,2):33abc\n"
    );
}

#[test]
fn access_and_friends_fields() {
    assert_eq!(op("1: 1|ACCESS(5)"), Op::Access { inode: 5 });
    assert_eq!(op("1: 1|PURGE(6)"), Op::Purge { inode: 6 });
    assert_eq!(op("1: 1|UNDEL(7)"), Op::Undel { inode: 7 });
    assert_eq!(op("1: 1|SESDEL(8)"), Op::SesDel { session_id: 8 });
    assert_eq!(
        op("1: 1|SESDISCONNECTED(9)"),
        Op::SesDisconnected { session_id: 9 }
    );
    assert_eq!(
        op("1: 1|ACQUIRE(3,17)"),
        Op::Acquire {
            session_id: 3,
            inode: 17
        }
    );
    assert_eq!(
        op("1: 1|AQUIRE(3,17)"),
        Op::Aquire {
            session_id: 3,
            inode: 17
        }
    );
    assert_eq!(
        op("1: 1|RELEASE(3,17)"),
        Op::Release {
            session_id: 3,
            inode: 17
        }
    );
}

#[test]
fn create_fields_and_legacy_letter_type() {
    let Op::Create {
        parent,
        name: n,
        node_type,
        mode,
        cumask,
        uid,
        gid,
        rdev,
        inode,
    } = op("27: 1700000027|CREATE(1,dir1,2,493,18,0,0,0):2")
    else {
        panic!("not CREATE")
    };
    assert_eq!(
        (parent, node_type, mode, cumask, uid, gid, rdev, inode),
        (1, CreateType::Number(2), 493, 18, 0, 0, 0, 2)
    );
    assert_eq!(name(&n), b"dir1");

    // Legacy: a type letter and no cumask.
    let text = "3: 3|CREATE(1,f1,f,420,5,6,7):8\n";
    let Op::Create {
        node_type,
        mode,
        cumask,
        uid,
        gid,
        rdev,
        inode,
        ..
    } = op(text)
    else {
        panic!("not CREATE")
    };
    assert_eq!(node_type, CreateType::Letter(b'f'));
    assert!(!node_type.has_cumask());
    assert_eq!((mode, cumask, uid, gid, rdev, inode), (420, 0, 5, 6, 7, 8));
    assert_round_trip(text);
    for letter in ["d", "l", "q", "b", "c", "s", "t", "r"] {
        assert_round_trip(&format!("3: 3|CREATE(1,x,{letter},420,5,6,7):8\n"));
    }
    // The cumask field depends on the type value, not on how it is written:
    // a numeric type of 16 or more has none, a letter below 16 has one.
    assert_round_trip("3: 3|CREATE(1,x,16,420,5,6,7):8\n");
    assert_round_trip("3: 3|CREATE(1,x,\x01,420,18,5,6,7):8\n");
    // Any non-digit byte is a letter, even `,` or a blank.
    let Op::Create { node_type, .. } = op("3: 3|CREATE(1,x,,,420,5,6,7):8") else {
        panic!("not CREATE")
    };
    assert_eq!(node_type, CreateType::Letter(b','));
    assert!(matches!(
        err("3: 3|CREATE(1,x, 1,420,18,5,6,7):8").kind(),
        LineErrorKind::Expected {
            byte: b',',
            found: Some(b'1')
        }
    ));
}

#[test]
fn attr_forms() {
    let six = "1: 1|ATTR(17,420,0,0,1,2)\n";
    let seven = "1: 1|ATTR(17,420,0,0,1,2,4516)\n";
    let eight = "1: 1|ATTR(17,420,0,0,1,2,3,4516)\n";
    for text in [six, seven, eight] {
        assert_round_trip(text);
    }
    assert!(matches!(
        op(six),
        Op::Attr {
            winattr: None,
            aclmode: None,
            ..
        }
    ));
    assert_eq!(op(six).attr_aclmode(), Some(420));
    assert_eq!(op(six).attr_winattr(), Some(0));
    assert!(matches!(
        op(seven),
        Op::Attr {
            winattr: None,
            aclmode: Some(4516),
            ..
        }
    ));
    assert_eq!(op(seven).attr_winattr(), Some(0));
    assert!(matches!(
        op(eight),
        Op::Attr {
            winattr: Some(3),
            aclmode: Some(4516),
            ..
        }
    ));
    // mode, winattr and aclmode are truncated silently (u16~, u8~, u16~).
    assert!(matches!(
        op("1: 1|ATTR(17,65956,0,0,1,2,300,70000)"),
        Op::Attr {
            mode: 420,
            winattr: Some(44),
            aclmode: Some(4464),
            ..
        }
    ));
    // ATTR is matched on four bytes; more letters then miss the `(`.
    assert!(matches!(
        err("1: 1|ATTRX(17,420,0,0,1,2)").kind(),
        LineErrorKind::Expected { byte: b'(', .. }
    ));
}

#[test]
fn write_length_append_forms() {
    for text in [
        "1: 1|WRITE(17,0):125\n",
        "1: 1|WRITE(17,0,0):125\n",
        "1: 1|WRITE(17,0,1,0):125\n",
        "1: 1|LENGTH(17,100)\n",
        "1: 1|LENGTH(17,100,0)\n",
        "1: 1|APPEND(17,18)\n",
        "1: 1|APPEND(17,18,2,3)\n",
    ] {
        assert_round_trip(text);
    }
    assert!(matches!(
        op("1: 1|WRITE(17,0):5"),
        Op::Write {
            opflag: None,
            canmodmtime: None,
            ..
        }
    ));
    assert!(matches!(
        op("1: 1|WRITE(17,0,0):5"),
        Op::Write {
            opflag: Some(0),
            canmodmtime: None,
            ..
        }
    ));
    // opflag is u8~, canmodmtime u8*.
    assert!(matches!(
        op("1: 1|WRITE(17,0,257,1):5"),
        Op::Write {
            opflag: Some(1),
            canmodmtime: Some(1),
            ..
        }
    ));
    let e = err("1: 1|WRITE(17,0,1,256):5");
    assert!(matches!(
        e.kind(),
        LineErrorKind::OutOfRange {
            field: "canmodmtime",
            value: 256,
            ..
        }
    ));
    assert_eq!(e.offset(), 18);
    assert!(matches!(
        op("1: 1|LENGTH(17,100)"),
        Op::Length {
            canmodmtime: None,
            ..
        }
    ));
    assert!(matches!(
        op("1: 1|APPEND(17,18)"),
        Op::Append { slice: None, .. }
    ));
    assert!(matches!(
        op("1: 1|APPEND(17,18,2,3)"),
        Op::Append {
            slice: Some(AppendSlice { from: 2, to: 3 }),
            ..
        }
    ));
    // APPEND with three arguments misses its fourth.
    assert!(
        err("1: 1|APPEND(17,18,2)").kind()
            == LineErrorKind::Expected {
                byte: b',',
                found: Some(b')')
            }
    );
}

#[test]
fn bucket_operations_forms() {
    for text in [
        "1: 1|FREEINODES():5\n",
        "1: 1|FREEINODES(3600):5,2\n",
        "1: 1|FREEINODES(3600):5,2,7\n",
        "1: 1|EMPTYTRASH():1,2\n",
        "1: 1|EMPTYTRASH(7):1,2,3\n",
        "1: 1|EMPTYSUSTAINED():3\n",
        "1: 1|EMPTYSUSTAINED(5):3,4\n",
        "1: 1|EMPTYRESERVED():3\n",
        "1: 1|EMPTYRESERVED(5):3,4\n",
    ] {
        assert_round_trip(text);
    }
    assert_eq!(
        op("1: 1|FREEINODES():5"),
        Op::FreeInodes {
            reuse_delay: None,
            freed: 5,
            sustained: None,
            chksum: None
        }
    );
    assert_eq!(
        op("1: 1|EMPTYTRASH():1,2"),
        Op::EmptyTrash {
            bucket: None,
            freed: 1,
            sustained: 2,
            chksum: None
        }
    );
    assert_eq!(
        op("1: 1|EMPTYRESERVED(5):3,4"),
        Op::EmptyReserved {
            bucket: Some(5),
            freed: 3,
            chksum: Some(4)
        }
    );
    // EMPTYTRASH needs its sustained count.
    assert!(
        err("1: 1|EMPTYTRASH(7):1").kind()
            == LineErrorKind::Expected {
                byte: b',',
                found: None
            }
    );
    // A blank is not `)`: strtoul then reads nothing and `)` is missing.
    assert!(
        err("1: 1|EMPTYTRASH( ):1,2").kind()
            == LineErrorKind::Expected {
                byte: b')',
                found: Some(b' ')
            }
    );
}

#[test]
fn quota_forms() {
    let old = "1: 1|QUOTA(2,0,3,0,0,1000,0,0,0,0,0,1073741824)\n";
    assert_round_trip(old);
    assert!(matches!(
        op(old),
        Op::Quota {
            grace_period: None,
            hrealsize: 1_073_741_824,
            ..
        }
    ));
    // exceeded and flags are u8~.
    assert!(matches!(
        op("1: 1|QUOTA(2,256,259,0,0,0,0,0,0,0,0,0,9)"),
        Op::Quota {
            exceeded: 0,
            flags: 3,
            grace_period: Some(9),
            ..
        }
    ));
}

#[test]
fn session_forms() {
    for text in [
        // Without checksum, umask and disables (a root uid of 0 would be read
        // as an umask, see below).
        "1: 1|SESADD(1,2,5,5,999,999,1,9,0,4294967295,3232235777,info):1\n",
        "1: 1|SESADD(#5,1,2,0022,5,5,999,999,1,9,0,4294967295,3232235777,info):1\n",
        "1: 1|SESADD(1,2,0022,5,5,999,999,1,9,0,4294967295,0x0000ABCD,3232235777,):1\n",
        "1: 1|SESCHANGED(7,1,2,5,5,999,999,1,9,0,4294967295,3232235777,x%00%00)\n",
    ] {
        assert_round_trip(text);
    }
    let Op::SesAdd { params, session_id } =
        op("1: 1|SESADD(#5,1,258,0027,5,6,7,8,257,9,10,11,0x1f,12,a%00b):13")
    else {
        panic!("not SESADD")
    };
    assert_eq!(session_id, 13);
    assert_eq!(params.exports_checksum, Some(5));
    assert_eq!(params.ses_flags, 2);
    assert_eq!(params.umask, Some(0o027));
    assert_eq!(params.min_goal, 1);
    assert_eq!(params.disables, Some(0x1F));
    assert_eq!(params.info.bytes().collect::<Vec<_>>(), b"a\0b");
    let Op::SesAdd { params, .. } =
        op("1: 1|SESADD(1,2,5,5,999,999,1,9,0,4294967295,3232235777,info):1")
    else {
        panic!("not SESADD")
    };
    assert_eq!(
        (params.exports_checksum, params.umask, params.disables),
        (None, None, None)
    );
    // A non-canonical disables reads back in the canonical form.
    assert_eq!(
        round_trip(b"1: 1|SESADD(1,2,0022,5,5,999,999,1,9,0,4294967295,0x1f,3,):1"),
        b"1: 1|SESADD(1,2,0022,5,5,999,999,1,9,0,4294967295,0x0000001F,3,):1\n"
    );
    // MooseFS takes a field starting with `0` after sesflags as the umask.
    let e = err("1: 1|SESADD(1,2,0,5,999,999,1,9,0,4294967295,3232235777,info):1");
    assert_eq!(e.kind(), LineErrorKind::BadUmask);
    assert_eq!(e.offset(), 16);
    assert_eq!(
        err("1: 1|SESADD(1,2,0028,5,5,5,5,1,9,0,1,3,i):1").kind(),
        LineErrorKind::BadUmask
    );
    assert!(err("1: 1|SESADD(1,2,002").kind() == LineErrorKind::BadUmask);
}

/// Found by the mutation test: without umask, a root uid read as 0 from an
/// empty field was written as "0", which reads back as an umask.
#[test]
fn regression_sesadd_root_uid_zero_without_umask() {
    let input = b"44: 1|SESADD(#0,0,255,,1,2,3,4,5,6,7,8,0xFFFFFFFF,0,):4";
    let line = parse_line(input).unwrap();
    let Op::SesAdd { params, .. } = line.op else {
        panic!("not SESADD")
    };
    assert_eq!((params.umask, params.root_uid), (None, 0));
    let out = round_trip(input);
    assert_eq!(
        out,
        b"44: 1|SESADD(#0,0,255,+0,1,2,3,4,5,6,7,8,0xFFFFFFFF,0,):4\n"
    );
    check_stable(input);
}

#[test]
fn snapshot_forms() {
    for text in [
        "1: 1|SNAPSHOT(17,1,s,0,0,0,[0],18)\n",
        "1: 1|SNAPSHOT(17,1,s,0,0,0,1,%E8%03%00%00,18):0,0,0,0,0,0\n",
        "1: 1|SNAPSHOT(17,1,s,0,0,0,2,%E8%03%00%00%01%00%00%00,18)\n",
        "1: 1|SNAPSHOT(17,1,s,0,0,0,1000,18)\n",
    ] {
        assert_round_trip(text);
    }
    let Op::Snapshot {
        gids,
        result,
        cumask,
        name: n,
        ..
    } = op("1: 1|SNAPSHOT(17,1,snap2,8,4,1000,[1000,1001,5],18):123,0,0,1,0,5")
    else {
        panic!("not SNAPSHOT")
    };
    assert_eq!(name(&n), b"snap2");
    assert_eq!(cumask, 18);
    let SnapshotGids::List(list) = gids else {
        panic!("not a list")
    };
    assert_eq!(list.written().collect::<Vec<_>>(), [1000, 1001, 5]);
    // 3.0.117 skips the first digit of every gid.
    assert_eq!(gids.restored().collect::<Vec<_>>(), [0, 1, 0]);
    assert_eq!(
        result,
        Some(SnapshotResult {
            chksum: 123,
            removed: 0,
            same: 0,
            existing: 1,
            hardlinks: 0,
            new: 5
        })
    );

    let Op::Snapshot { gids, result, .. } =
        op("1: 1|SNAPSHOT(17,1,s,0,0,0,2,%E8%03%00%00%01%00%00%00,18)")
    else {
        panic!("not SNAPSHOT")
    };
    assert!(matches!(gids, SnapshotGids::Data { count: 2, .. }));
    assert_eq!(gids.restored().collect::<Vec<_>>(), [1000, 1]);
    assert_eq!(result, None);

    // The single-gid form reads no result: what follows is rest.
    let line = parse_line(b"1: 1|SNAPSHOT(17,1,s,0,0,0,1000,18):1,2,3,4,5,6").unwrap();
    assert!(matches!(
        line.op,
        Op::Snapshot {
            gids: SnapshotGids::Single(1000),
            result: None,
            cumask: 18,
            ..
        }
    ));
    assert_eq!(line.rest, b":1,2,3,4,5,6");

    // Raw gid bytes that are all digits still make a data field (the
    // comma after them is not a digit).
    let Op::Snapshot { gids, .. } = op("1: 1|SNAPSHOT(17,1,s,0,0,0,1,1111,18)") else {
        panic!("not SNAPSHOT")
    };
    assert_eq!(gids.restored().collect::<Vec<_>>(), [0x3131_3131]);

    // Wrong data length: MooseFS answers MISMATCH (32), not a parse error.
    let e = err("1: 1|SNAPSHOT(17,1,s,0,0,0,2,%E8%03%00%00,18)");
    assert_eq!(e.kind(), LineErrorKind::GidDataLength { count: 2, len: 4 });
    assert_eq!(e.restore_effect(), RestoreEffect::Fail { status: 32 });
    // ... and the count is multiplied in 32 bits.
    assert!(parse_line(b"1: 1|SNAPSHOT(17,1,s,0,0,0,1073741824,x,18)").is_err());
    assert!(parse_line(b"1: 1|SNAPSHOT(17,1,s,0,0,0,1073741825,%00%00%00%00,18)").is_ok());

    // A list with no gid at all is what 3.0.117 writes for gids = 0: "[" with
    // no "]", which its own reader refuses.
    assert!(matches!(
        err("1: 1|SNAPSHOT(17,1,s,0,0,0,[,18):0,0,0,0,0,0").kind(),
        LineErrorKind::BadGidList { byte: b')' }
    ));
}

#[test]
fn scset_forms_and_checks() {
    let Op::ScSet {
        create_labels,
        keep_labels,
        arch_labels,
        masks,
        sclass_id,
        ..
    } = op("1: 1|SCSET(fast,1,W2,K1,A0,1,24,0,1,2,0,0,4,0,0,0,7,0,0,4294967295):10")
    else {
        panic!("not SCSET")
    };
    assert_eq!(
        (create_labels, keep_labels, arch_labels, sclass_id),
        (2, 1, 0, 10)
    );
    assert_eq!(
        masks.iter().collect::<Vec<_>>(),
        [1, 2, 0, 0, 4, 0, 0, 0, 7, 0, 0, u32::MAX]
    );
    let Op::ScSet { masks, .. } = op("1: 1|SCSET(plain,0,W0,K0,A0,0,0,1,-):12") else {
        panic!("not SCSET")
    };
    assert!(masks.is_empty());
    // Too few masks.
    assert!(matches!(
        err("1: 1|SCSET(x,1,W1,K0,A0,1,24,0,1,2,3):10").kind(),
        LineErrorKind::Expected {
            byte: b',',
            found: Some(b')')
        }
    ));
    // No labels but no `-`.
    assert!(parse_line(b"1: 1|SCSET(x,1,W0,K0,A0,1,24,0,):10").is_err());
    // A count above 9 is EINVAL (6), found before the masks are read.
    let e = err("1: 1|SCSET(x,1,W10,K0,A0,1,24,0,whatever");
    assert_eq!(e.kind(), LineErrorKind::TooManyLabels { count: 10 });
    assert_eq!(e.restore_effect(), RestoreEffect::Fail { status: 6 });
    // Class ids are u16*.
    assert!(matches!(
        err("1: 1|SCDEL(x):65536").kind(),
        LineErrorKind::OutOfRange {
            field: "sclassid",
            value: 65536,
            max: 65535
        }
    ));
}

#[test]
fn setacl_blob_length_is_checked() {
    let e = err("1: 1|SETACL(17,493,1,1,7,5,5,7,1,0,%00%00%03%E8%00)");
    assert_eq!(
        e.kind(),
        LineErrorKind::AclBlobLength {
            expected: 6,
            len: 5
        }
    );
    assert_eq!(e.offset(), 35);
    assert_eq!(e.restore_effect(), RestoreEffect::Fail { status: 32 });
    let Op::SetAcl {
        blob, named_users, ..
    } = op("1: 1|SETACL(17,493,1,1,7,5,5,7,1,0,%00%00%03%E8%00%07)")
    else {
        panic!("not SETACL")
    };
    assert_eq!(named_users, 1);
    assert_eq!(blob.bytes().collect::<Vec<_>>(), [0, 0, 3, 0xE8, 0, 7]);
}

#[test]
fn flock_commands_are_any_byte() {
    for cmd in [
        "R", "r", "S", "s", "W", "w", "E", "e", "U", "u", "X", ")", ",",
    ] {
        assert_round_trip(&format!("1: 1|FLOCK(17,3,9,{cmd})\n"));
        assert_round_trip(&format!("1: 1|POSIXLOCK(17,3,9,{cmd},0,1,2)\n"));
    }
    assert!(matches!(
        op("1: 1|FLOCK(17,3,9,))"),
        Op::Flock { cmd: b')', .. }
    ));
    assert!(matches!(
        err("1: 1|FLOCK(17,3,9,").kind(),
        LineErrorKind::Expected { found: None, .. }
    ));
    assert!(
        err("1: 1|FLOCK(17,3,9,RW)").kind()
            == LineErrorKind::Expected {
                byte: b')',
                found: Some(b'W')
            }
    );
}

#[test]
fn names_paths_and_data_follow_their_rules() {
    // NAME and PATH stop at a decoded NUL, DATA does not.
    let Op::Symlink {
        name: n, target, ..
    } = op("1: 1|SYMLINK(1,ab%00c,t%00u,0,0):2")
    else {
        panic!("not SYMLINK")
    };
    assert_eq!((n.len(), target.len()), (2, 1));
    let Op::SetXattr { name: n, value, .. } = op("1: 1|SETXATTR(1,k%00x,v%00w,0)") else {
        panic!("not SETXATTR")
    };
    assert_eq!(n.len(), 1);
    assert_eq!(value.bytes().collect::<Vec<_>>(), b"v\0w");
    // A raw `)` is fine inside a name ended by `,`, and the other way round.
    assert_round_trip("1: 1|MOVE(2,a)b,1,c,d):17\n");
    // The longest name.
    let long = "n".repeat(255);
    assert_round_trip(&format!("1: 1|UNLINK(1,{long}):2\n"));
    let long_escaped = "%2C".repeat(255);
    assert_round_trip(&format!("1: 1|UNLINK(1,{long_escaped}):2\n"));
    let long_path = "p/".repeat(5000);
    assert_round_trip(&format!("1: 1|SETPATH(17,{long_path})\n"));
}

#[test]
fn bad_hex_escape() {
    let e = err("1: 1|CREATE(1,a%2,2,493,18,0,0,0):2");
    assert_eq!(e.kind(), LineErrorKind::BadHexEscape);
    assert_eq!(e.offset(), 15);
    assert_eq!(e.restore_effect(), RestoreEffect::SkipLine);
    assert_eq!(
        err("1: 1|SETPATH(1,%G0)").kind(),
        LineErrorKind::BadHexEscape
    );
    assert_eq!(err("1: 1|SETPATH(1,%").kind(), LineErrorKind::BadHexEscape);
}

#[test]
fn lowercase_hex_escape() {
    let e = err("1: 1|UNLINK(1,a%2cb):2");
    assert_eq!(e.kind(), LineErrorKind::BadHexEscape);
    assert_eq!(e.offset(), 15);
    assert_eq!(
        err("1: 1|SETXATTR(1,k,%ff,0)").kind(),
        LineErrorKind::BadHexEscape
    );
}

#[test]
fn name_too_long() {
    let long = "n".repeat(256);
    let e = err(&format!("1: 1|UNLINK(1,{long}):2"));
    assert_eq!(e.kind(), LineErrorKind::NameTooLong);
    assert_eq!(e.offset(), 14 + 255);
    assert_eq!(e.restore_effect(), RestoreEffect::SkipLine);
    // Decoded bytes count, escaped or cut by a NUL.
    let long = format!("%00{}", "n".repeat(255));
    assert_eq!(
        err(&format!("1: 1|LINK(1,2,{long})")).kind(),
        LineErrorKind::NameTooLong
    );
}

#[test]
fn raw_control_bytes_in_fields() {
    for raw in ["\0", "\r", "\n"] {
        let e = err(&format!("1: 1|UNLINK(1,a{raw}b):2"));
        assert_eq!(
            e.kind(),
            LineErrorKind::ForbiddenByte {
                byte: raw.as_bytes()[0]
            }
        );
        assert_eq!(e.offset(), 15);
    }
}

#[test]
fn u8_and_u16_out_of_range() {
    let e = err("1: 1|CREATE(1,a,300,420,18,0,0,0):2");
    assert_eq!(
        e.kind(),
        LineErrorKind::OutOfRange {
            field: "type",
            value: 300,
            max: 255
        }
    );
    assert_eq!(e.offset(), 16);
    assert_eq!(
        e.to_string(),
        "value 300 out of range for u8 field 'type' at byte 16"
    );
    assert!(matches!(
        err("1: 1|CREATE(1,a,1,65536,18,0,0,0):2").kind(),
        LineErrorKind::OutOfRange { field: "mode", .. }
    ));
    assert!(matches!(
        err("1: 1|CSDBOP(256,1,2,3)").kind(),
        LineErrorKind::OutOfRange { field: "op", .. }
    ));
    assert!(matches!(
        err("1: 1|ARCHCHG(1,0,256):0,0,0").kind(),
        LineErrorKind::OutOfRange { field: "cmd", .. }
    ));
    // Checked after truncation to 32 bits: 2^32 is 0 and fine; -1 is not.
    assert!(matches!(
        op("1: 1|CSDBOP(4294967296,1,2,3)"),
        Op::CsDbOp { op: 0, .. }
    ));
    assert!(matches!(
        err("1: 1|CSDBOP(-1,1,2,3)").kind(),
        LineErrorKind::OutOfRange {
            value: u32::MAX,
            ..
        }
    ));
    // u8~ / u16~ fields are truncated without error.
    assert!(matches!(
        op("1: 1|SETEATTR(1,0,300,260):0,0,0"),
        Op::SetEattr {
            eattr: 44,
            smode: 4,
            ..
        }
    ));
    assert!(matches!(
        op("1: 1|CSADD(1,65537)"),
        Op::CsAdd { port: 1, .. }
    ));
}

#[test]
fn missing_parenthesis() {
    let e = err("1: 1|UNLOCK(5");
    assert_eq!(
        e.kind(),
        LineErrorKind::Expected {
            byte: b')',
            found: None
        }
    );
    assert_eq!(e.offset(), 13);
    assert_eq!(e.to_string(), "expected ')', found end of line at byte 13");
    assert_eq!(e.restore_effect(), RestoreEffect::SkipLine);
    assert!(matches!(
        err("1: 1|UNLOCK 5)").kind(),
        LineErrorKind::Expected {
            byte: b'(',
            found: Some(b' ')
        }
    ));
    assert!(matches!(
        err("1: 1|TRUNC(1,2)5").kind(),
        LineErrorKind::Expected {
            byte: b':',
            found: Some(b'5')
        }
    ));
}

#[test]
fn unknown_operations() {
    for (text, shown) in [
        ("1: 1|FOO(1)", "FOO"),
        // Only the long name exists in 3.0.117.
        ("1: 1|RENUMEDGES():5", "RENUMEDGES"),
        // Same first four bytes as ACCESS.
        ("1: 1|ACCEPT(1)", "ACCEPT"),
        ("1: 1|access(1)", "access"),
        ("1: 1|", ""),
        ("1: 1|ID", "ID"),
    ] {
        let e = err(text);
        assert_eq!(
            e.to_string(),
            format!("unknown operation '{shown}' at byte 5"),
            "{text}"
        );
        assert_eq!(e.restore_effect(), RestoreEffect::Fail { status: 32 });
    }
    // A known name followed by more letters is a parse error instead.
    for text in ["1: 1|ACCESSX(1)", "1: 1|IDLEX()", "1: 1|UNLOCKED(1)"] {
        let e = err(text);
        assert!(
            matches!(e.kind(), LineErrorKind::Expected { byte: b'(', .. }),
            "{text}"
        );
        assert_eq!(e.restore_effect(), RestoreEffect::SkipLine);
    }
}

#[test]
fn timestamp_and_separator() {
    assert!(matches!(
        err("1: x|IDLE()").kind(),
        LineErrorKind::Expected {
            byte: b'|',
            found: Some(b'x')
        }
    ));
    assert_eq!(err("1: 5 IDLE()").offset(), 4);
    assert_eq!(parse_line(b"1: -1|IDLE()").unwrap().ts, u32::MAX);
    assert_eq!(parse_line(b"1: |IDLE()").unwrap().ts, 0);
    assert_eq!(parse_line(b"1: 4294967297|IDLE()").unwrap().ts, 1);
}

#[test]
fn number_edge_cases() {
    assert_eq!(op("1: 1|ACCESS(-1)"), Op::Access { inode: 0xFFFF_FFFF });
    assert_eq!(op("1: 1|ACCESS(4294967297)"), Op::Access { inode: 1 });
    assert_eq!(op("1: 1|ACCESS(+5)"), Op::Access { inode: 5 });
    assert_eq!(op("1: 1|ACCESS( \t5)"), Op::Access { inode: 5 });
    assert_eq!(op("1: 1|ACCESS(-4294967295)"), Op::Access { inode: 1 });
    assert_eq!(
        op("1: 1|ACCESS(99999999999999999999)"),
        Op::Access { inode: u32::MAX }
    );
    // No digits: 0, nothing read.
    assert_eq!(op("1: 1|ACCESS()"), Op::Access { inode: 0 });
    assert!(matches!(
        err("1: 1|ACCESS(+)").kind(),
        LineErrorKind::Expected {
            byte: b')',
            found: Some(b'+')
        }
    ));
    assert_eq!(op("1: 1|UNLOCK(-1)"), Op::Unlock { chunk_id: u64::MAX });
    assert_eq!(
        op("1: 1|UNLOCK(18446744073709551616)"),
        Op::Unlock { chunk_id: u64::MAX }
    );
    // Written back in canonical form.
    assert_eq!(round_trip(b"1: 1|ACCESS(+05)"), b"1: 1|ACCESS(5)\n");
    assert_eq!(round_trip(b"1: 1|ACCESS(-1)"), b"1: 1|ACCESS(4294967295)\n");
}

/// xorshift64*: a small deterministic generator for the property tests.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn below(&mut self, n: usize) -> usize {
        (self.next() % n as u64) as usize
    }
}

/// Parses `input`; when it parses, formatting it must read back to the same
/// value and format identically again.
fn check_stable(input: &[u8]) {
    let Ok(line) = parse_line(input) else {
        return;
    };
    let mut first = Vec::new();
    line.write_to(&mut first);
    let again = parse_line(&first).unwrap_or_else(|e| {
        panic!(
            "{:?} formats as {:?} which does not parse: {e}",
            input.escape_ascii().to_string(),
            first.escape_ascii().to_string()
        )
    });
    assert_eq!(again, line, "{:?}", input.escape_ascii().to_string());
    let mut second = Vec::new();
    again.write_to(&mut second);
    assert_eq!(first, second);
}

#[test]
fn mutated_lines_never_panic_and_stay_stable() {
    const ALPHABET: &[u8] = b"0123456789,()%:|#[]-+ xWKA\n\r\0FfaQ";
    let mut rng = Rng(0x9E37_79B9_7F4A_7C15);
    let samples: Vec<&str> = CANONICAL.iter().chain(NOT_WRITTEN).copied().collect();
    for _ in 0..200_000 {
        let mut line = samples[rng.below(samples.len())].as_bytes().to_vec();
        for _ in 0..=rng.below(3) {
            let at = rng.below(line.len() + 1);
            match rng.below(4) {
                0 if at < line.len() => {
                    line.remove(at);
                }
                1 => line.insert(at, ALPHABET[rng.below(ALPHABET.len())]),
                2 if at < line.len() => line[at] = ALPHABET[rng.below(ALPHABET.len())],
                _ => line.truncate(at),
            }
        }
        check_stable(&line);
    }
}

#[test]
fn random_bytes_never_panic() {
    let mut rng = Rng(0x1234_5678_9ABC_DEF1);
    for _ in 0..100_000 {
        let len = rng.below(64);
        let mut bytes: Vec<u8> = (0..len).map(|_| rng.next() as u8).collect();
        // Give most inputs a plausible head so that the op readers run.
        if rng.below(4) != 0 {
            let name = OP_NAMES[rng.below(OP_NAMES.len())];
            let mut head = format!("1: 2|{name}(").into_bytes();
            head.append(&mut bytes);
            bytes = head;
        }
        check_stable(&bytes);
    }
}

#[test]
fn renamed_node_is_the_node_whose_names_change() {
    assert_eq!(op("1|UNLINK(1,g):3").renamed_node(), Some(3));
    assert_eq!(op("1|MOVE(1,a,4,b):7").renamed_node(), Some(7));
    assert_eq!(op("1|LINK(9,1,h)").renamed_node(), Some(9));
    assert_eq!(op("1|CREATE(1,f,1,420,18,0,0,0):2").renamed_node(), None);
    assert_eq!(op("1|LENGTH(5,100,0)").renamed_node(), None);
}
