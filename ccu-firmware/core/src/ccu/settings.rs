//! What a [`super::Ccu`] is configured with: its ids, cadences and RF retry policy.

use crate::exec::ExecSettings;
use crate::rf::DEFAULT_MASTER_ID;

/// Longest CCU id (topic level).
pub const MAX_CCU_ID_LEN: usize = 16;

/// A CCU's configuration.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CcuSettings {
    /// The registered CCU id, used in every topic (`ccu/<ccu_id>/…`).
    pub ccu_id: heapless::String<MAX_CCU_ID_LEN>,
    /// The RF master (sender) id the PICs accept commands from.
    pub master_id: u8,
    /// Firmware version announced in the status message.
    pub firmware: heapless::String<24>,
    /// One outlet is read (round robin) every this many ms; 0 disables background reads.
    pub poll_interval_ms: u32,
    /// The breaker is measured every this many ms (the original: 1500); 0 disables it.
    pub breaker_interval_ms: u32,
    /// RF time-outs and retries.
    pub exec: ExecSettings,
}

impl CcuSettings {
    /// Defaults for `ccu_id` (`None` if longer than [`MAX_CCU_ID_LEN`]): master id 0x02,
    /// an outlet read every 2 s, the breaker every 1.5 s, [`ExecSettings::DEFAULT`].
    pub fn new(ccu_id: &str) -> Option<CcuSettings> {
        Some(CcuSettings {
            ccu_id: heapless::String::try_from(ccu_id).ok()?,
            master_id: DEFAULT_MASTER_ID,
            firmware: heapless::String::try_from(env!("CARGO_PKG_VERSION")).ok()?,
            poll_interval_ms: 2_000,
            breaker_interval_ms: 1_500,
            exec: ExecSettings::DEFAULT,
        })
    }
}
