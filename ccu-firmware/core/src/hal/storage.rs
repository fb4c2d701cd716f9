//! Persistent storage (NVS on the ESP32): credentials and the offline buffer, as byte records.

use crate::Error;
use serde::{Deserialize, Serialize};

/// The records the core persists.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum StorageKey {
    /// [`Credentials`] as JSON.
    Credentials,
    /// The offline reading buffer as a JSON array of `SensorReading`.
    Buffer,
}

impl StorageKey {
    /// A short key name (fits NVS's 15-character limit).
    pub const fn as_str(self) -> &'static str {
        match self {
            StorageKey::Credentials => "credentials",
            StorageKey::Buffer => "buffer",
        }
    }
}

/// A small key-value store.
pub trait Storage {
    /// The store's error.
    type Error;

    /// Reads a record into `buf`; `Ok(None)` when absent, else its length.
    fn read(&mut self, key: StorageKey, buf: &mut [u8]) -> Result<Option<usize>, Self::Error>;

    /// Replaces a record.
    fn write(&mut self, key: StorageKey, data: &[u8]) -> Result<(), Self::Error>;

    /// Deletes a record (absent is fine).
    fn erase(&mut self, key: StorageKey) -> Result<(), Self::Error>;
}

/// What a CCU needs to reach its server (the original kept `ssid`, `password`, `serverUrl`).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Credentials {
    /// WiFi network.
    pub ssid: heapless::String<32>,
    /// WiFi passphrase.
    pub password: heapless::String<64>,
    /// MQTT broker URL (`mqtt://host:1883`).
    pub broker_url: heapless::String<96>,
    /// The CCU's registered id (MQTT client id and topic level).
    pub ccu_id: heapless::String<16>,
    /// The CCU's MQTT secret.
    pub secret: heapless::String<64>,
}

/// Largest encoded [`Credentials`] record.
pub const CREDENTIALS_MAX_LEN: usize = 512;

/// Loads the credentials; `Ok(None)` when none were saved, [`Error::Decode`] when corrupt.
pub fn load_credentials<S: Storage>(
    storage: &mut S,
) -> Result<Option<Credentials>, Error<S::Error>> {
    let mut buf = [0u8; CREDENTIALS_MAX_LEN];
    let Some(len) = storage.read(StorageKey::Credentials, &mut buf)? else {
        return Ok(None);
    };
    let bytes = buf.get(..len).ok_or(Error::Decode)?;
    // Passwords may contain `"` or `\`: unescape them (plain `decode` keeps escapes as is).
    let mut unescape = [0u8; 128];
    serde_json_core::from_slice_escaped(bytes, &mut unescape)
        .map(|(credentials, _)| Some(credentials))
        .map_err(|_| Error::Decode)
}

/// Saves the credentials.
pub fn save_credentials<S: Storage>(
    storage: &mut S,
    credentials: &Credentials,
) -> Result<(), Error<S::Error>> {
    let mut buf = [0u8; CREDENTIALS_MAX_LEN];
    let len = crate::protocol::encode(credentials, &mut buf).ok_or(Error::BufferTooSmall)?;
    storage.write(StorageKey::Credentials, &buf[..len])?;
    Ok(())
}
