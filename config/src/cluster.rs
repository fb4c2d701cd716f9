//! `[cluster]`: what several instances on one database share.

use serde::{Deserialize, Serialize};

/// `[cluster]`
#[derive(Debug, Clone, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ClusterSettings {
    /// With PostgreSQL, share live events with the other instances (LISTEN/NOTIFY), so a
    /// browser on any instance sees every event of its user.
    pub fanout: bool,
}
