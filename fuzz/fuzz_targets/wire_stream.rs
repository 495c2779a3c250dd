//! Arbitrary bytes as a master ⇄ metalogger byte stream: splitting into frames and decoding
//! each frame (as the metalogger does with the master's frames, and as a master does with
//! the metalogger's) must never panic, and a message that decodes must encode back to a
//! frame that decodes to the same message.

#![no_main]

use libfuzzer_sys::fuzz_target;
use mfsmeta::format::wire::{decode_frame, FrameStatus, Frames, FromMaster, ToMaster};

fuzz_target!(|data: &[u8]| {
    for frame in Frames::new(data) {
        let Ok(frame) = frame else {
            break;
        };
        if let Ok(msg) = FromMaster::decode(&frame) {
            let mut out = Vec::new();
            if msg.encode(&mut out).is_ok() {
                let again = match decode_frame(&out) {
                    Ok(FrameStatus::Complete(f)) => f,
                    other => panic!("{msg:?} encodes to a frame that does not decode: {other:?}"),
                };
                let back = FromMaster::decode(&again);
                assert_eq!(back.ok(), Some(msg), "master message round trip");
            }
        }
        if let Ok(msg) = ToMaster::decode(&frame) {
            let mut out = Vec::new();
            if msg.encode(&mut out).is_ok() {
                let again = match decode_frame(&out) {
                    Ok(FrameStatus::Complete(f)) => f,
                    other => panic!("{msg:?} encodes to a frame that does not decode: {other:?}"),
                };
                let back = ToMaster::decode(&again);
                assert_eq!(back.ok(), Some(msg), "metalogger message round trip");
            }
        }
    }
});
