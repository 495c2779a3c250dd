//! What the session needs from DATA_PATH, as a trait: [`Store`] in the daemon, a fake in
//! the tests (which then check what was logged and downloaded without touching a disk).

use std::io;

use crate::format::wire::FileNum;
use crate::metalogger::status::Status;
use crate::metalogger::store::{Appended, Finished, Store, StoreError, StoreSettings};

/// The files the session writes. Each method is the [`Store`] method of the same name.
pub(crate) trait Backend {
    fn reconfigure(&mut self, settings: StoreSettings);
    fn last_version(&self) -> u64;
    fn meta_id(&self) -> Option<u64>;
    fn append(&mut self, version: u64, text: &[u8]) -> Result<Appended, StoreError>;
    fn rotate(&mut self) -> Result<(), StoreError>;
    fn flush(&mut self) -> Result<(), StoreError>;
    fn close_log(&mut self) -> Result<(), StoreError>;
    fn start_download(&mut self, file: FileNum, size: u64) -> Result<(), StoreError>;
    fn write_block(&mut self, offset: u64, data: &[u8]) -> Result<(), StoreError>;
    fn finish_download(&mut self) -> Result<Finished, StoreError>;
    fn abort_download(&mut self);
    fn bytes_used(&self) -> u64;
    /// Writes the status file.
    fn write_status(&mut self, status: &Status) -> io::Result<()>;
}

impl Backend for Store {
    fn reconfigure(&mut self, settings: StoreSettings) {
        Store::reconfigure(self, settings)
    }
    fn last_version(&self) -> u64 {
        Store::last_version(self)
    }
    fn meta_id(&self) -> Option<u64> {
        Store::meta_id(self)
    }
    fn append(&mut self, version: u64, text: &[u8]) -> Result<Appended, StoreError> {
        Store::append(self, version, text)
    }
    fn rotate(&mut self) -> Result<(), StoreError> {
        Store::rotate(self)
    }
    fn flush(&mut self) -> Result<(), StoreError> {
        Store::flush(self)
    }
    fn close_log(&mut self) -> Result<(), StoreError> {
        Store::close_log(self)
    }
    fn start_download(&mut self, file: FileNum, size: u64) -> Result<(), StoreError> {
        Store::start_download(self, file, size)
    }
    fn write_block(&mut self, offset: u64, data: &[u8]) -> Result<(), StoreError> {
        Store::write_block(self, offset, data)
    }
    fn finish_download(&mut self) -> Result<Finished, StoreError> {
        Store::finish_download(self)
    }
    fn abort_download(&mut self) {
        Store::abort_download(self)
    }
    fn bytes_used(&self) -> u64 {
        Store::bytes_used(self)
    }
    fn write_status(&mut self, status: &Status) -> io::Result<()> {
        status.write_to(self.dir())
    }
}
