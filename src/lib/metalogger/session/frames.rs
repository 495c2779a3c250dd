//! What the session does with each frame from the master (spec metalogger-protocol.md
//! §2, §4.3, §7): the checks of `masterconn_gotpacket` and `masterconn_metachanges_log`,
//! in their order and with their messages.

use super::download::store_error_text;
use super::{
    Backend, Disconnect, Flow, Held, HeldItem, Session, FLUSH_EARLY_BYTES, HELD_MAX_BYTES,
};
use crate::format::wire::ids::*;
use crate::format::wire::{
    decode_frame, Frame, FrameStatus, FromMaster, WireError, WireErrorKind, MAX_PAYLOAD,
};
use crate::metalogger::log::Level;
use crate::metalogger::store::{Appended, StoreError};
use crate::ml_log;

impl<B: Backend> Session<B> {
    /// Handles every complete frame in the input buffer; keeps an incomplete one.
    pub(super) fn process_input(&mut self) -> Flow {
        let Some(conn) = self.conn.as_mut() else {
            return Ok(());
        };
        let mut buf = std::mem::take(&mut conn.inbuf);
        let mut pos = 0;
        let result = loop {
            let rest = buf.get(pos..).unwrap_or_default();
            match decode_frame(rest) {
                Ok(FrameStatus::NeedMore(_)) => break Ok(()),
                Ok(FrameStatus::Complete(frame)) => {
                    pos += frame.wire_len();
                    if let Err(d) = self.on_frame(&frame) {
                        break Err(d);
                    }
                }
                Err(e) => {
                    if let WireErrorKind::PacketTooLong { length, .. } = e.kind {
                        ml_log!(
                            Level::Warning,
                            "Master packet too long ({length}/{MAX_PAYLOAD}) ; command:{}",
                            e.msg_type
                        );
                    } else {
                        ml_log!(Level::Notice, "bad frame from Master: {e}");
                    }
                    break Err(Disconnect);
                }
            }
        };
        if let Some(conn) = self.conn.as_mut() {
            buf.drain(..pos.min(buf.len()));
            conn.inbuf = buf;
        }
        result
    }

    fn on_frame(&mut self, frame: &Frame<'_>) -> Flow {
        // mfsmetalogger acts on these types only; any other is fatal, even one the codec
        // knows (VERSION, CONFIG_VALUE).
        if !matches!(
            frame.msg_type,
            ANTOAN_NOP
                | ANTOAN_UNKNOWN_COMMAND
                | ANTOAN_BAD_COMMAND_SIZE
                | MATOAN_METACHANGES_LOG
                | MATOAN_DOWNLOAD_INFO
                | MATOAN_DOWNLOAD_DATA
        ) {
            ml_log!(
                Level::Notice,
                "got unknown message (type:{})",
                frame.msg_type
            );
            return Err(Disconnect);
        }
        if frame.msg_type == MATOAN_DOWNLOAD_DATA && !self.receiving() {
            // Checked before the size, as mfsmetalogger does.
            ml_log!(Level::Notice, "MATOAN_DOWNLOAD_DATA - file not opened");
            return Err(Disconnect);
        }
        let msg = match FromMaster::decode(frame) {
            Ok(msg) => msg,
            Err(e) => {
                log_bad_frame(frame, &e);
                return Err(Disconnect);
            }
        };
        match msg {
            FromMaster::LogRotate => self.on_rotate(),
            FromMaster::LogData { version, text } => self.on_change(version, text),
            FromMaster::DownloadInfo(info) => self.on_download_info(info),
            FromMaster::DownloadData(block) => self.on_download_data(block),
            _ => Ok(()),
        }
    }

    /// LOG_DATA: log it (or hold it while the metadata id is checked).
    fn on_change(&mut self, version: u64, text: &[u8]) -> Flow {
        self.last_received_at = Some(self.clock.unix_secs());
        self.last_change_time = change_time(text);
        if let Some(held) = self.conn.as_mut().and_then(|c| c.held.as_mut()) {
            if held.bytes.saturating_add(text.len()) <= HELD_MAX_BYTES {
                held.bytes += text.len() + 16;
                held.items.push(HeldItem::Change(version, text.to_vec()));
                return Ok(());
            }
            ml_log!(
                Level::Warning,
                "metadata id not checked yet and {HELD_MAX_BYTES} bytes of changes waiting: \
                 logging them unchecked"
            );
            self.release_held()?;
        }
        self.log_change(version, text)
    }

    /// Appends one change to the changelog.
    pub(super) fn log_change(&mut self, version: u64, text: &[u8]) -> Flow {
        match self.store.append(version, text) {
            Ok(Appended::Logged) => {
                // "<version>: " and the newline, roughly.
                self.unflushed = self.unflushed.saturating_add(text.len() + 24);
                if self.unflushed >= FLUSH_EARLY_BYTES {
                    self.flush_store();
                }
                Ok(())
            }
            Ok(Appended::Gap { have, got, .. }) => {
                ml_log!(
                    Level::Warning,
                    "some changes lost: [{have}-{}], download metadata again",
                    got.saturating_sub(1)
                );
                Err(Disconnect)
            }
            // The change could not be written: as in mfsmetalogger, it is lost and the
            // version does not move, so the next change shows a gap.
            Err(e @ StoreError::Io { .. }) => {
                ml_log!(
                    Level::Notice,
                    "lost MFS change {version}: {}",
                    String::from_utf8_lossy(text)
                );
                ml_log!(Level::Notice, "{}", store_error_text(&e));
                Ok(())
            }
            // This master serves another file system (the store refuses its changes until
            // a download is accepted): drop it, check again later.
            Err(e @ StoreError::ForeignMaster { .. }) => {
                ml_log!(Level::Warning, "change {version} not logged: {e}");
                self.foreign_at = Some(tokio::time::Instant::now());
                Err(Disconnect)
            }
            // The store refuses changes for now (too many wait in memory): drop the link;
            // the next registration resumes from what the store has, and the master
            // replays.
            Err(e) => {
                ml_log!(Level::Warning, "change {version} not logged: {e}");
                Err(Disconnect)
            }
        }
    }

    /// LOG_ROTATE.
    fn on_rotate(&mut self) -> Flow {
        if let Some(held) = self.conn.as_mut().and_then(|c| c.held.as_mut()) {
            held.items.push(HeldItem::Rotate);
            return Ok(());
        }
        self.rotate();
        Ok(())
    }

    fn rotate(&mut self) {
        if let Err(e) = self.store.rotate() {
            ml_log!(Level::Warning, "{e}");
        }
    }

    /// Logs the held changes (the metadata id was checked, or cannot be).
    pub(super) fn release_held(&mut self) -> Flow {
        let Some(held) = self.conn.as_mut().and_then(|c| c.held.take()) else {
            return Ok(());
        };
        let Held { items, .. } = held;
        for item in items {
            match item {
                HeldItem::Change(version, text) => self.log_change(version, &text)?,
                HeldItem::Rotate => self.rotate(),
            }
        }
        Ok(())
    }
}

/// mfsmetalogger's message for a frame that did not decode.
fn log_bad_frame(frame: &Frame<'_>, e: &WireError) {
    let len = frame.payload.len();
    match (frame.msg_type, &e.kind) {
        (MATOAN_METACHANGES_LOG, WireErrorKind::WrongSize { .. }) => {
            ml_log!(
                Level::Notice,
                "MATOAN_METACHANGES_LOG - wrong size ({len}/9+data)"
            );
        }
        (MATOAN_METACHANGES_LOG, WireErrorKind::BadValue { .. }) => {
            ml_log!(Level::Notice, "MATOAN_METACHANGES_LOG - wrong packet");
        }
        (MATOAN_METACHANGES_LOG, WireErrorKind::MissingNul { .. }) => {
            ml_log!(Level::Notice, "MATOAN_METACHANGES_LOG - invalid string");
        }
        (MATOAN_DOWNLOAD_INFO, WireErrorKind::WrongSize { .. }) => {
            ml_log!(
                Level::Notice,
                "MATOAN_DOWNLOAD_INFO - wrong size ({len}/1|8)"
            );
        }
        (MATOAN_DOWNLOAD_DATA, WireErrorKind::WrongSize { .. }) => {
            ml_log!(
                Level::Notice,
                "MATOAN_DOWNLOAD_DATA - wrong size ({len}/16+data)"
            );
        }
        (MATOAN_DOWNLOAD_DATA, WireErrorKind::BadValue { value, .. }) => {
            ml_log!(
                Level::Notice,
                "MATOAN_DOWNLOAD_DATA - wrong size ({len}/16+{value})"
            );
        }
        _ => ml_log!(Level::Notice, "bad message from Master: {e}"),
    }
}

/// The `<ts>` of a change record: the digits before its `|`.
fn change_time(text: &[u8]) -> Option<u64> {
    let end = text.iter().position(|b| !b.is_ascii_digit())?;
    if text.get(end) != Some(&b'|') || end == 0 {
        return None;
    }
    std::str::from_utf8(text.get(..end)?).ok()?.parse().ok()
}

#[cfg(test)]
mod tests {
    use super::change_time;

    #[test]
    fn change_time_is_the_leading_number() {
        assert_eq!(change_time(b"1795335903|ACQUIRE(1,3)"), Some(1_795_335_903));
        assert_eq!(change_time(b"|ACQUIRE(1,3)"), None);
        assert_eq!(change_time(b"17x|A"), None);
        assert_eq!(change_time(b"123"), None);
    }
}
