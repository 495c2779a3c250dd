//! The codec against the spec's captured bytes, round trips of every message, the
//! streaming decoder under every split of one stream, and bad input that must give
//! clean errors.

use super::*;

fn frame_of(bytes: &[u8]) -> Frame<'_> {
    match decode_frame(bytes).unwrap() {
        FrameStatus::Complete(f) => {
            assert_eq!(f.wire_len(), bytes.len());
            f
        }
        FrameStatus::NeedMore(n) => panic!("need {n} more"),
    }
}

fn to_master_bytes(msg: ToMaster<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    msg.encode(&mut out).unwrap();
    out
}

fn from_master_bytes(msg: FromMaster<'_>) -> Vec<u8> {
    let mut out = Vec::new();
    msg.encode(&mut out).unwrap();
    out
}

const FRESH: Register = Register {
    version: Version::V3_0_117,
    timeout: 10,
    first_wanted: None,
};

fn all_to_master() -> Vec<ToMaster<'static>> {
    vec![
        ToMaster::Nop,
        ToMaster::UnknownCommand(b""),
        ToMaster::UnknownCommand(&[0, 0, 0, 62, 0, 0, 0, 12, 0, 3, 0, 0xEA]),
        ToMaster::BadCommandSize(&[1, 2, 3]),
        ToMaster::GetVersion { msgid: None },
        ToMaster::GetVersion { msgid: Some(7) },
        ToMaster::Register(FRESH),
        ToMaster::Register(Register {
            version: Version::V3_0_117,
            timeout: 65535,
            first_wanted: Some(u64::MAX),
        }),
        ToMaster::DownloadStart(FileNum::Metadata),
        ToMaster::DownloadStart(FileNum::Sessions),
        ToMaster::DownloadStart(FileNum::Changelog0),
        ToMaster::DownloadStart(FileNum::Changelog1),
        ToMaster::DownloadRequest {
            offset: 1_000_000,
            leng: 346_870,
        },
        ToMaster::DownloadEnd,
        ToMaster::GetConfig {
            msgid: 1,
            name: b"",
        },
        ToMaster::GetConfig {
            msgid: 0xDEAD_BEEF,
            name: b"DATA_PATH",
        },
    ]
}

fn all_from_master() -> Vec<FromMaster<'static>> {
    vec![
        FromMaster::Nop,
        FromMaster::UnknownCommand(b"x"),
        FromMaster::BadCommandSize(b""),
        FromMaster::Version(b"\x00\x03\x00\xEA3.0.117-1"),
        FromMaster::Version(b"\x00\x03\x00\xEA"),
        FromMaster::LogData {
            version: 5,
            text: b"1795335903|ACQUIRE(1,3)",
        },
        FromMaster::LogData {
            version: 0,
            text: b"",
        },
        FromMaster::LogRotate,
        FromMaster::DownloadInfo(DownloadInfo::Size(0)),
        FromMaster::DownloadInfo(DownloadInfo::Size(1_346_870)),
        FromMaster::DownloadInfo(DownloadInfo::Error(DOWNLOAD_INFO_ERROR)),
        FromMaster::DownloadData(DownloadData::new(0, b"MFSM NEW")),
        FromMaster::DownloadData(DownloadData::new(42, b"")),
        FromMaster::DownloadData(DownloadData {
            offset: 8,
            crc: 0,
            data: b"bad crc is still a frame",
        }),
        FromMaster::ConfigValue {
            msgid: 3,
            value: b"",
        },
        FromMaster::ConfigValue {
            msgid: 3,
            value: &[b'v'; 255],
        },
    ]
}

// --- the spec's examples, byte for byte --------------------------------------------

#[test]
fn register_fresh_matches_capture() {
    assert_eq!(
        to_master_bytes(ToMaster::Register(FRESH)),
        [0, 0, 0, 0x32, 0, 0, 0, 7, 1, 0, 3, 0, 0xEA, 0, 0x0A]
    );
}

#[test]
fn register_resume_matches_capture() {
    let msg = ToMaster::Register(Register {
        first_wanted: Some(0x0D),
        ..FRESH
    });
    let bytes = [
        0, 0, 0, 0x32, 0, 0, 0, 0x0F, 2, 0, 3, 0, 0xEA, 0, 0x0A, 0, 0, 0, 0, 0, 0, 0, 0x0D,
    ];
    assert_eq!(to_master_bytes(msg), bytes);
    assert_eq!(ToMaster::decode(&frame_of(&bytes)).unwrap(), msg);
}

#[test]
fn log_data_matches_capture() {
    let mut bytes = vec![0, 0, 0, 0x33, 0, 0, 0, 0x21, 0xFF, 0, 0, 0, 0, 0, 0, 0, 5];
    bytes.extend_from_slice(b"1795335903|ACQUIRE(1,3)");
    bytes.push(0);
    let msg = FromMaster::LogData {
        version: 5,
        text: b"1795335903|ACQUIRE(1,3)",
    };
    assert_eq!(from_master_bytes(msg), bytes);
    assert_eq!(FromMaster::decode(&frame_of(&bytes)).unwrap(), msg);
}

#[test]
fn log_rotate_matches_capture() {
    let bytes = [0, 0, 0, 0x33, 0, 0, 0, 1, 0x55];
    assert_eq!(from_master_bytes(FromMaster::LogRotate), bytes);
    assert_eq!(
        FromMaster::decode(&frame_of(&bytes)).unwrap(),
        FromMaster::LogRotate
    );
}

#[test]
fn download_data_crc_is_zlib_crc32() {
    let block = DownloadData::new(0, b"MFSM NEW");
    assert_eq!(block.crc, 0x782F_DE54);
    let bytes = from_master_bytes(FromMaster::DownloadData(block));
    assert_eq!(bytes.len(), HEADER_LEN + 16 + 8);
    assert_eq!(&bytes[..8], &[0, 0, 0, 0x3F, 0, 0, 0, 24]);
    assert_eq!(
        &bytes[8..24],
        &[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 8, 0x78, 0x2F, 0xDE, 0x54]
    );
    assert_eq!(&bytes[24..], b"MFSM NEW");
    let FromMaster::DownloadData(back) = FromMaster::decode(&frame_of(&bytes)).unwrap() else {
        panic!("not DATA");
    };
    assert!(back.crc_ok());
}

#[test]
fn download_request_and_start_and_end_layouts() {
    assert_eq!(
        to_master_bytes(ToMaster::DownloadRequest {
            offset: 1_000_000,
            leng: 346_870
        }),
        [0, 0, 0, 62, 0, 0, 0, 12, 0, 0, 0, 0, 0, 0x0F, 0x42, 0x40, 0, 0x05, 0x4A, 0xF6]
    );
    assert_eq!(
        to_master_bytes(ToMaster::DownloadStart(FileNum::Changelog0)),
        [0, 0, 0, 60, 0, 0, 0, 1, 11]
    );
    assert_eq!(
        to_master_bytes(ToMaster::DownloadEnd),
        [0, 0, 0, 64, 0, 0, 0, 0]
    );
    assert_eq!(to_master_bytes(ToMaster::Nop), [0, 0, 0, 0, 0, 0, 0, 0]);
}

#[test]
fn download_info_layouts() {
    assert_eq!(
        from_master_bytes(FromMaster::DownloadInfo(DownloadInfo::Error(0xFF))),
        [0, 0, 0, 61, 0, 0, 0, 1, 0xFF]
    );
    assert_eq!(
        from_master_bytes(FromMaster::DownloadInfo(DownloadInfo::Size(0))),
        [0, 0, 0, 61, 0, 0, 0, 8, 0, 0, 0, 0, 0, 0, 0, 0]
    );
}

#[test]
fn version_encoding() {
    assert_eq!(Version::V3_0_117.0, 0x0003_00EA);
    assert_eq!(Version::new(3, 0, 117), Some(Version::V3_0_117));
    assert_eq!(Version::V3_0_117.to_string(), "3.0.117");
    assert_eq!(Version::new(4, 59, 2).unwrap().to_string(), "4.59.2");
    assert_eq!(Version::new(1, 6, 27).unwrap().0, 0x0001_061B);
    assert_eq!(Version::new(1, 6, 27).unwrap().minor(), 27);
    assert_eq!(Version::new(3, 0, 128), None);
    assert!(Version(0x0003_00EB).is_pro());
    assert!(!Version::V3_0_117.is_pro());
}

// --- round trips ------------------------------------------------------------------

#[test]
fn every_to_master_message_round_trips() {
    for msg in all_to_master() {
        let bytes = to_master_bytes(msg);
        let frame = frame_of(&bytes);
        assert_eq!(frame.msg_type, msg.msg_type());
        assert_eq!(ToMaster::decode(&frame).unwrap(), msg, "{msg:?}");
    }
}

#[test]
fn every_from_master_message_round_trips() {
    for msg in all_from_master() {
        let bytes = from_master_bytes(msg);
        let frame = frame_of(&bytes);
        assert_eq!(frame.msg_type, msg.msg_type());
        assert_eq!(FromMaster::decode(&frame).unwrap(), msg, "{msg:?}");
    }
}

#[test]
fn raw_frame_round_trips() {
    let mut out = Vec::new();
    Frame::new(99, b"abc").encode(&mut out).unwrap();
    assert_eq!(out, [0, 0, 0, 99, 0, 0, 0, 3, b'a', b'b', b'c']);
    assert_eq!(frame_of(&out), Frame::new(99, b"abc"));
}

// --- streaming --------------------------------------------------------------------

fn stream() -> Vec<u8> {
    let mut out = Vec::new();
    for msg in all_from_master() {
        msg.encode(&mut out).unwrap();
    }
    for msg in all_to_master() {
        msg.encode(&mut out).unwrap();
    }
    out
}

/// Feeds `stream` to a reassembly buffer `step` bytes at a time, as a socket reader
/// would, and returns the frames as owned `(type, payload)`.
fn feed(stream: &[u8], step: usize) -> Vec<(u32, Vec<u8>)> {
    let mut buf: Vec<u8> = Vec::new();
    let mut frames = Vec::new();
    for chunk in stream.chunks(step) {
        buf.extend_from_slice(chunk);
        loop {
            match decode_frame(&buf).unwrap() {
                FrameStatus::Complete(f) => {
                    frames.push((f.msg_type, f.payload.to_vec()));
                    let used = f.wire_len();
                    buf.drain(..used);
                }
                FrameStatus::NeedMore(n) => {
                    assert!(n > 0);
                    break;
                }
            }
        }
    }
    assert!(buf.is_empty(), "{} bytes left over", buf.len());
    frames
}

#[test]
fn whole_buffer_and_byte_at_a_time_give_the_same_frames() {
    let stream = stream();
    let whole = feed(&stream, stream.len());
    assert_eq!(whole.len(), all_from_master().len() + all_to_master().len());
    for step in [1, 2, 3, 7, 8, 9, 16, 17, 100] {
        assert_eq!(feed(&stream, step), whole, "step {step}");
    }
    let iterated: Vec<(u32, Vec<u8>)> = Frames::new(&stream)
        .map(|f| f.map(|f| (f.msg_type, f.payload.to_vec())))
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(iterated, whole);
}

#[test]
fn need_more_counts_exactly_the_missing_bytes() {
    let bytes = from_master_bytes(FromMaster::LogData {
        version: 1,
        text: b"1|IDLE()",
    });
    for cut in 0..bytes.len() {
        let status = decode_frame(&bytes[..cut]).unwrap();
        let want = if cut < HEADER_LEN {
            HEADER_LEN - cut
        } else {
            bytes.len() - cut
        };
        assert_eq!(status, FrameStatus::NeedMore(want), "cut {cut}");
    }
}

#[test]
fn frames_iterator_stops_at_a_partial_frame() {
    let mut bytes = to_master_bytes(ToMaster::Nop);
    bytes.extend_from_slice(&to_master_bytes(ToMaster::DownloadEnd)[..5]);
    let mut it = Frames::new(&bytes);
    assert_eq!(it.next().unwrap().unwrap(), Frame::new(0, b""));
    assert!(it.next().is_none());
    assert_eq!(it.consumed(), HEADER_LEN);
}

// --- bad input --------------------------------------------------------------------

fn err_kind_to_master(bytes: &[u8]) -> WireErrorKind {
    ToMaster::decode(&frame_of(bytes)).unwrap_err().kind
}

fn err_from_master(bytes: &[u8]) -> WireError {
    FromMaster::decode(&frame_of(bytes)).unwrap_err()
}

#[test]
fn length_over_the_limit_is_an_error_at_the_length_field() {
    let mut ok = vec![0, 0, 0, 63];
    ok.extend_from_slice(&MAX_PAYLOAD.to_be_bytes());
    assert_eq!(
        decode_frame(&ok).unwrap(),
        FrameStatus::NeedMore(MAX_PAYLOAD as usize)
    );
    for length in [MAX_PAYLOAD + 1, u32::MAX] {
        let mut bad = vec![0, 0, 0, 63];
        bad.extend_from_slice(&length.to_be_bytes());
        let err = decode_frame(&bad).unwrap_err();
        assert_eq!(err.msg_type, 63);
        assert_eq!(err.offset, LENGTH_OFFSET as u64);
        assert_eq!(
            err.kind,
            WireErrorKind::PacketTooLong {
                length: length.into(),
                max: MAX_PAYLOAD
            }
        );
        assert!(matches!(
            Frames::new(&bad).next(),
            Some(Err(WireError { .. }))
        ));
    }
}

#[test]
fn register_checks_follow_the_master() {
    // Length 0.
    assert!(matches!(
        err_kind_to_master(&[0, 0, 0, 50, 0, 0, 0, 0]),
        WireErrorKind::WrongSize {
            length: 0,
            expected: ExpectedSize::AtLeast(1)
        }
    ));
    // rver 1 with the rver 2 length, and the other way round.
    let mut long = to_master_bytes(ToMaster::Register(Register {
        first_wanted: Some(1),
        ..FRESH
    }));
    long[8] = 1;
    assert!(matches!(
        err_kind_to_master(&long),
        WireErrorKind::WrongSize {
            length: 15,
            expected: ExpectedSize::Exactly(7)
        }
    ));
    let mut short = to_master_bytes(ToMaster::Register(FRESH));
    short[8] = 2;
    assert!(matches!(
        err_kind_to_master(&short),
        WireErrorKind::WrongSize {
            length: 7,
            expected: ExpectedSize::Exactly(15)
        }
    ));
    // Pro rvers and anything else.
    for rver in [0u8, 3, 4, 0xFF] {
        short[8] = rver;
        let err = ToMaster::decode(&frame_of(&short)).unwrap_err();
        assert_eq!(err.offset, HEADER_LEN as u64);
        assert_eq!(
            err.kind,
            WireErrorKind::BadValue {
                field: "rver",
                value: rver.into()
            }
        );
    }
}

#[test]
fn download_start_rejects_unknown_file_numbers() {
    for n in [0u8, 3, 10, 13, 255] {
        assert_eq!(
            err_kind_to_master(&[0, 0, 0, 60, 0, 0, 0, 1, n]),
            WireErrorKind::BadValue {
                field: "filenum",
                value: n.into()
            }
        );
    }
    assert!(matches!(
        err_kind_to_master(&[0, 0, 0, 60, 0, 0, 0, 2, 1, 1]),
        WireErrorKind::WrongSize { .. }
    ));
}

#[test]
fn fixed_size_requests_reject_other_sizes() {
    assert!(matches!(
        err_kind_to_master(&[0, 0, 0, 64, 0, 0, 0, 1, 0]),
        WireErrorKind::WrongSize {
            length: 1,
            expected: ExpectedSize::Exactly(0)
        }
    ));
    assert!(matches!(
        err_kind_to_master(&[0, 0, 0, 62, 0, 0, 0, 4, 0, 0, 0, 0]),
        WireErrorKind::WrongSize {
            length: 4,
            expected: ExpectedSize::Exactly(12)
        }
    ));
    assert!(matches!(
        err_kind_to_master(&[0, 0, 0, 10, 0, 0, 0, 2, 0, 0]),
        WireErrorKind::WrongSize { .. }
    ));
    // nleng says 3, only 2 bytes follow.
    assert!(matches!(
        err_kind_to_master(&[0, 0, 0, 80, 0, 0, 0, 7, 0, 0, 0, 1, 3, b'a', b'b']),
        WireErrorKind::WrongSize {
            length: 7,
            expected: ExpectedSize::Exactly(8)
        }
    ));
}

#[test]
fn metachanges_log_checks_follow_the_metalogger() {
    // One byte that is not 0x55: "wrong size", as in 3.0.117.
    assert!(matches!(
        err_from_master(&[0, 0, 0, 51, 0, 0, 0, 1, 0xFF]).kind,
        WireErrorKind::WrongSize {
            length: 1,
            expected: ExpectedSize::AtLeast(10)
        }
    ));
    // 9 bytes: marker and version, no NUL.
    assert!(matches!(
        err_from_master(&[0, 0, 0, 51, 0, 0, 0, 9, 0xFF, 0, 0, 0, 0, 0, 0, 0, 1]).kind,
        WireErrorKind::WrongSize { length: 9, .. }
    ));
    // The 0xAA "with ack" variant is refused like any other marker.
    let mut good = from_master_bytes(FromMaster::LogData {
        version: 9,
        text: b"1|IDLE()",
    });
    good[8] = 0xAA;
    let err = err_from_master(&good);
    assert_eq!(err.offset, HEADER_LEN as u64);
    assert_eq!(
        err.kind,
        WireErrorKind::BadValue {
            field: "marker",
            value: 0xAA
        }
    );
    good[8] = 0xFF;
    let last = good.len() - 1;
    good[last] = b'\n';
    let err = err_from_master(&good);
    assert_eq!(err.offset, last as u64);
    assert_eq!(err.kind, WireErrorKind::MissingNul { last: b'\n' });
}

#[test]
fn log_data_text_stops_at_the_first_nul() {
    let mut bytes = vec![0, 0, 0, 51, 0, 0, 0, 14, 0xFF, 0, 0, 0, 0, 0, 0, 0, 3];
    bytes.extend_from_slice(b"ab\0c\0");
    assert_eq!(
        FromMaster::decode(&frame_of(&bytes)).unwrap(),
        FromMaster::LogData {
            version: 3,
            text: b"ab"
        }
    );
}

#[test]
fn download_info_and_data_checks_follow_the_metalogger() {
    for len in [0u8, 2, 7, 9] {
        let mut bytes = vec![0, 0, 0, 61, 0, 0, 0, len];
        bytes.resize(HEADER_LEN + usize::from(len), 0);
        assert!(matches!(
            err_from_master(&bytes).kind,
            WireErrorKind::WrongSize {
                expected: ExpectedSize::OneOf(&[1, 8]),
                ..
            }
        ));
    }
    let mut short = vec![0, 0, 0, 63, 0, 0, 0, 15];
    short.resize(HEADER_LEN + 15, 0);
    assert!(matches!(
        err_from_master(&short).kind,
        WireErrorKind::WrongSize {
            length: 15,
            expected: ExpectedSize::AtLeast(16)
        }
    ));
    let mut bytes = from_master_bytes(FromMaster::DownloadData(DownloadData::new(0, b"abcd")));
    for leng in [0u32, 3, 5, u32::MAX, u32::MAX - 11] {
        bytes[16..20].copy_from_slice(&leng.to_be_bytes());
        let err = err_from_master(&bytes);
        assert_eq!(err.offset, (HEADER_LEN + 8) as u64);
        assert_eq!(
            err.kind,
            WireErrorKind::BadValue {
                field: "leng",
                value: leng.into()
            }
        );
    }
}

#[test]
fn wrong_crc_decodes_and_is_reported_by_crc_ok() {
    let mut bytes = from_master_bytes(FromMaster::DownloadData(DownloadData::new(0, b"abcd")));
    let last = bytes.len() - 1;
    bytes[last] ^= 1;
    let FromMaster::DownloadData(block) = FromMaster::decode(&frame_of(&bytes)).unwrap() else {
        panic!("not DATA");
    };
    assert!(!block.crc_ok());
    assert_eq!(block.crc, crc32fast::hash(b"abcd"));
    assert_eq!(block.computed_crc(), crc32fast::hash(b"abce"));
}

#[test]
fn nop_ignores_its_payload() {
    let bytes = [0, 0, 0, 0, 0, 0, 0, 4, 0, 0, 0, 1];
    assert_eq!(
        FromMaster::decode(&frame_of(&bytes)).unwrap(),
        FromMaster::Nop
    );
    assert_eq!(ToMaster::decode(&frame_of(&bytes)).unwrap(), ToMaster::Nop);
}

#[test]
fn each_direction_refuses_the_other_directions_types() {
    for t in [50u32, 60, 62, 64, 10, 80, 52, 5, 3, 0xAA, u32::MAX] {
        let mut bytes = t.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 0]);
        let err = err_from_master(&bytes);
        assert_eq!((err.msg_type, err.offset), (t, 0));
        assert_eq!(err.kind, WireErrorKind::UnknownType);
    }
    for t in [51u32, 61, 63, 11, 81, 52] {
        let mut bytes = t.to_be_bytes().to_vec();
        bytes.extend_from_slice(&[0, 0, 0, 0]);
        assert_eq!(err_kind_to_master(&bytes), WireErrorKind::UnknownType);
    }
}

#[test]
fn encode_refuses_what_does_not_fit_and_leaves_out_unchanged() {
    let mut out = vec![1, 2, 3];
    let long_name = [b'n'; 256];
    let err = ToMaster::GetConfig {
        msgid: 0,
        name: &long_name,
    }
    .encode(&mut out)
    .unwrap_err();
    assert!(matches!(
        err.kind,
        WireErrorKind::FieldTooLong {
            len: 256,
            max: 255,
            ..
        }
    ));
    assert_eq!(out, [1, 2, 3]);

    let big = vec![0u8; MAX_PAYLOAD as usize - 15];
    let err = FromMaster::DownloadData(DownloadData::new(0, &big))
        .encode(&mut out)
        .unwrap_err();
    assert!(matches!(
        err.kind,
        WireErrorKind::PacketTooLong {
            length: 1_500_001,
            max: MAX_PAYLOAD
        }
    ));
    assert_eq!(out, [1, 2, 3]);
    FromMaster::DownloadData(DownloadData::new(0, &big[1..]))
        .encode(&mut out)
        .unwrap();
    assert_eq!(out.len(), 3 + HEADER_LEN + MAX_PAYLOAD as usize);

    let err = FromMaster::LogData {
        version: 1,
        text: b"a\0b",
    }
    .encode(&mut out)
    .unwrap_err();
    assert_eq!(err.offset, (HEADER_LEN + 9 + 1) as u64);
    assert!(FromMaster::Version(b"abc").encode(&mut out).is_err());
    assert!(Frame::new(0, &vec![0u8; MAX_PAYLOAD as usize + 1])
        .encode(&mut out)
        .is_err());
    assert_eq!(out.len(), 3 + HEADER_LEN + MAX_PAYLOAD as usize);
}

#[test]
fn every_truncation_and_flipped_byte_decodes_cleanly() {
    let mut encoded: Vec<Vec<u8>> = all_from_master()
        .into_iter()
        .map(from_master_bytes)
        .collect();
    encoded.extend(all_to_master().into_iter().map(to_master_bytes));
    for bytes in &encoded {
        // Payload cut short, with the header fixed to match: an error or another
        // message, never a panic.
        for cut in HEADER_LEN..bytes.len() {
            let mut short = bytes[..cut].to_vec();
            short[4..8].copy_from_slice(&((cut - HEADER_LEN) as u32).to_be_bytes());
            let f = frame_of(&short);
            let _ = FromMaster::decode(&f);
            let _ = ToMaster::decode(&f);
        }
        for i in 0..bytes.len() {
            for bit in 0..8 {
                let mut flipped = bytes.clone();
                flipped[i] ^= 1 << bit;
                match decode_frame(&flipped) {
                    Ok(FrameStatus::Complete(f)) => {
                        let _ = FromMaster::decode(&f);
                        let _ = ToMaster::decode(&f);
                    }
                    Ok(FrameStatus::NeedMore(n)) => assert!(n > 0),
                    Err(e) => assert!(matches!(e.kind, WireErrorKind::PacketTooLong { .. })),
                }
            }
        }
    }
}

#[test]
fn pseudo_random_garbage_never_panics() {
    let mut state = 0x9E37_79B9_7F4A_7C15u64;
    let mut next = move || {
        state ^= state << 13;
        state ^= state >> 7;
        state ^= state << 17;
        state
    };
    for _ in 0..20_000 {
        let len = (next() % 40) as usize;
        let mut bytes: Vec<u8> = (0..len).map(|_| next() as u8).collect();
        // Mostly plausible headers: a known type and a small length.
        if bytes.len() >= HEADER_LEN && next() % 4 != 0 {
            let types = [0u32, 1, 2, 10, 11, 50, 51, 60, 61, 62, 63, 64, 80, 81];
            let t = types[(next() % types.len() as u64) as usize];
            bytes[..4].copy_from_slice(&t.to_be_bytes());
            let l = (bytes.len() - HEADER_LEN) as u32;
            bytes[4..8].copy_from_slice(&l.to_be_bytes());
        }
        for f in Frames::new(&bytes).flatten() {
            let _ = FromMaster::decode(&f);
            let _ = ToMaster::decode(&f);
        }
    }
}

#[test]
fn errors_display_type_offset_and_cause() {
    let err = err_from_master(&[0, 0, 0, 61, 0, 0, 0, 2, 0, 0]);
    assert_eq!(
        err.to_string(),
        "message type 61, byte 4: wrong size (2 bytes, expected 1|8)"
    );
    let mut bad = vec![0, 0, 0, 51];
    bad.extend_from_slice(&1_500_001u32.to_be_bytes());
    assert_eq!(
        decode_frame(&bad).unwrap_err().to_string(),
        "message type 51, byte 4: packet too long (1500001/1500000)"
    );
}
