//! An installation: N simulated CCUs with M outlets each, against one server.

use crate::SimError;
use crate::accounts::CcuAccount;
use crate::ccu::{CcuSnapshot, SimCcu, SimCcuConfig, device_ids};
use crate::uplink::BrokerAddr;

/// Configurations for one CCU per account, each with `outlets_per_ccu` factory-fresh outlets
/// `FE`, `FD`, … (register the same ids on the server). Adjust them before starting.
pub fn plan(
    broker: &BrokerAddr,
    accounts: &[CcuAccount],
    outlets_per_ccu: usize,
) -> Vec<SimCcuConfig> {
    accounts
        .iter()
        .map(|a| {
            SimCcuConfig::new(&a.ccu_id, &a.password, broker.clone())
                .with_device_ids(device_ids(outlets_per_ccu))
        })
        .collect()
}

/// Running simulated CCUs.
#[derive(Debug)]
pub struct Installation {
    ccus: Vec<SimCcu>,
}

impl Installation {
    /// Starts every CCU (needs a tokio runtime); they connect in the background.
    ///
    /// On an invalid configuration, the CCUs already started are stopped again.
    pub async fn start(
        configs: impl IntoIterator<Item = SimCcuConfig>,
    ) -> Result<Installation, SimError> {
        let mut ccus = Vec::new();
        for config in configs {
            match SimCcu::start(config) {
                Ok(ccu) => ccus.push(ccu),
                Err(e) => {
                    Installation { ccus }.stop().await;
                    return Err(e);
                }
            }
        }
        Ok(Installation { ccus })
    }

    /// The CCUs, in start order.
    pub fn ccus(&self) -> &[SimCcu] {
        &self.ccus
    }

    /// The CCU with this id.
    pub fn ccu(&self, id: &str) -> Option<&SimCcu> {
        self.ccus.iter().find(|c| c.id() == id)
    }

    /// Every CCU's state, `(id, snapshot)`.
    pub fn snapshots(&self) -> Vec<(String, CcuSnapshot)> {
        self.ccus
            .iter()
            .map(|c| (c.id().to_string(), c.snapshot()))
            .collect()
    }

    /// Waits until every CCU is connected and knows `outlets` outlets from the server's
    /// device list (bound it with a timeout).
    pub async fn wait_ready(&self, outlets: usize) -> Result<(), SimError> {
        for ccu in &self.ccus {
            ccu.wait_until(|s| s.connected && s.outlets == outlets)
                .await?;
        }
        Ok(())
    }

    /// Stops every CCU (each says goodbye).
    pub async fn stop(self) {
        for ccu in &self.ccus {
            if let Err(e) = ccu.stop().await {
                tracing::warn!(ccu = ccu.id(), "stop failed: {e}");
            }
        }
    }
}
