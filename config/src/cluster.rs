//! `[cluster]`: several instances on one database, and how they decide what must be decided
//! once (the `timers` lease) and who drains a dead instance's broker session.

use crate::{Error, Result};
use serde::{Deserialize, Serialize};
use std::time::Duration;

/// `[cluster]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSettings {
    /// With PostgreSQL, share live events with the other instances (LISTEN/NOTIFY), so a
    /// browser on any instance sees every event of its user.
    pub fanout: bool,
    /// How long the `timers` lease, and an instance's `session:<instance_id>` lease, last
    /// without renewal (renewed every third of it).
    #[serde(with = "humantime_serde")]
    pub lease_ttl: Duration,
    /// With an external broker: the holder of the `timers` lease adopts the broker session
    /// of an instance whose session lease expired (killed, lost) and drains it, so that the
    /// readings the broker keeps for it are stored without waiting for it to come back.
    pub adopt_sessions: bool,
}

/// Shortest `cluster.lease_ttl`.
const MIN_TTL: Duration = Duration::from_millis(300);
/// Longest `cluster.lease_ttl`.
const MAX_TTL: Duration = Duration::from_secs(600);

impl ClusterSettings {
    /// How often the holder renews its lease and the others try to take it: a third of
    /// `lease_ttl`.
    pub fn lease_renew_interval(&self) -> Duration {
        self.lease_ttl / 3
    }

    pub(crate) fn validate(&self) -> Result<()> {
        if !(MIN_TTL..=MAX_TTL).contains(&self.lease_ttl) {
            return Err(Error::invalid(
                "cluster.lease_ttl",
                "must be between 300ms and 10 minutes",
            ));
        }
        Ok(())
    }
}
