//! Saving the offline buffer across a reboot (e.g. before a planned restart or on low power).

use super::Ccu;
use crate::Error;
use crate::buffer::encode_array;
use crate::hal::{Storage, StorageKey};
use crate::protocol::SensorReading;

impl<R, C, A, M, const BUF: usize> Ccu<R, C, A, M, BUF> {
    /// Writes every buffered reading to `storage` as one JSON array, using `scratch` to encode;
    /// erases the record when nothing is buffered. Returns the readings saved.
    pub fn persist_buffer<S: Storage>(
        &self,
        storage: &mut S,
        scratch: &mut [u8],
    ) -> Result<usize, Error<S::Error>> {
        if self.readings.is_empty() {
            storage.erase(StorageKey::Buffer)?;
            return Ok(0);
        }
        let batch = encode_array(self.readings.iter(), scratch).map_err(Error::widen)?;
        if batch.count < self.readings.len() {
            return Err(Error::BufferTooSmall);
        }
        storage.write(StorageKey::Buffer, &scratch[..batch.len])?;
        Ok(batch.count)
    }

    /// Reads back a saved buffer (call at boot, before the first poll), appends it to the
    /// buffer and erases the record. Returns the readings restored.
    pub fn restore_buffer<S: Storage>(
        &mut self,
        storage: &mut S,
        scratch: &mut [u8],
    ) -> Result<usize, Error<S::Error>> {
        let Some(len) = storage.read(StorageKey::Buffer, scratch)? else {
            return Ok(0);
        };
        let bytes = scratch.get(..len).ok_or(Error::Decode)?;
        let (saved, _) = serde_json_core::from_slice::<heapless::Vec<SensorReading, BUF>>(bytes)
            .map_err(|_| Error::Decode)?;
        let n = saved.len();
        for reading in saved {
            self.readings.push(reading);
        }
        storage.erase(StorageKey::Buffer)?;
        Ok(n)
    }
}
