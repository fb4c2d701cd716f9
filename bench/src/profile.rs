//! The counts and durations of each profile.

use crate::args::Profile;
use std::time::Duration;

/// Sizes of one run.
#[derive(Debug, Clone, serde::Serialize)]
pub struct Sizes {
    /// Ingest: publishing CCUs.
    pub ingest_ccus: usize,
    /// Ingest: outlets per CCU.
    pub ingest_outlets: usize,
    /// Ingest: how long the CCUs publish.
    pub ingest_duration: Duration,
    /// Command latency: commands over MQTT.
    pub commands: usize,
    /// Command latency: commands over the legacy HTTP loop, alternately to the viewed outlet
    /// and to another one.
    pub legacy_commands: usize,
    /// Command latency: how long a legacy command may take to reach the CCU, and then to be
    /// confirmed on the WebSocket.
    pub legacy_timeout: Duration,
    /// Live view: WebSocket clients.
    pub ws_clients: usize,
    /// Live view: background readings per second.
    pub background_rate: u64,
    /// Live view: probe readings measured.
    pub probes: usize,
    /// Connections: CCUs connected at once.
    pub connections: usize,
    /// Legacy shim: concurrent old-firmware CCUs.
    pub legacy_workers: usize,
    /// Legacy shim: how long they cycle.
    pub legacy_duration: Duration,
    /// Database outage: publishing CCUs (8 outlets each).
    pub fault_ccus: usize,
    /// Database outage: readings per second, paced, over all of them.
    pub fault_rate: u64,
    /// Database outage: steady load before the database goes away.
    pub fault_warmup: Duration,
    /// Database outage: how long the database is away.
    pub fault_outage: Duration,
    /// Database outage: how long the spool may take to drain once the database is back.
    pub fault_drain_limit: Duration,
    /// Commands under load: commands idle, then as many under the background load.
    pub load_commands: usize,
    /// Commands under load: background readings per second.
    pub load_rate: u64,
    /// Instances: publishing CCUs (8 outlets each).
    pub instances_ccus: usize,
    /// Instances: readings per second of the paced phase, over all CCUs.
    pub instances_rate: u64,
    /// Instances: how long the paced phase lasts.
    pub instances_paced: Duration,
    /// Instances: how long the as-fast-as-taken phase lasts.
    pub instances_max: Duration,
    /// Energy: outlets reporting every 2 s.
    pub energy_outlets: usize,
    /// Energy: hours of their readings, rolled up.
    pub energy_hours: usize,
}

impl Sizes {
    /// The sizes of a profile.
    pub fn of(profile: Profile) -> Sizes {
        match profile {
            Profile::Quick => Sizes {
                ingest_ccus: 4,
                ingest_outlets: 8,
                ingest_duration: Duration::from_secs(4),
                commands: 100,
                legacy_commands: 4,
                legacy_timeout: Duration::from_secs(10),
                ws_clients: 20,
                background_rate: 2_000,
                probes: 50,
                connections: 300,
                legacy_workers: 8,
                legacy_duration: Duration::from_secs(3),
                fault_ccus: 2,
                fault_rate: 500,
                fault_warmup: Duration::from_secs(1),
                fault_outage: Duration::from_secs(3),
                fault_drain_limit: Duration::from_secs(20),
                load_commands: 100,
                load_rate: 1_000,
                instances_ccus: 4,
                instances_rate: 1_000,
                instances_paced: Duration::from_secs(2),
                instances_max: Duration::from_secs(3),
                energy_outlets: 8,
                energy_hours: 2,
            },
            Profile::Full => Sizes {
                ingest_ccus: 8,
                ingest_outlets: 8,
                ingest_duration: Duration::from_secs(20),
                commands: 1_000,
                legacy_commands: 30,
                // An outlet nobody views waits for the 30 s round robin over up to 8 devices.
                legacy_timeout: Duration::from_secs(8 * 30 + 10),
                ws_clients: 100,
                background_rate: 10_000,
                probes: 500,
                connections: 10_000,
                legacy_workers: 64,
                legacy_duration: Duration::from_secs(15),
                fault_ccus: 8,
                fault_rate: 5_000,
                fault_warmup: Duration::from_secs(10),
                fault_outage: Duration::from_secs(60),
                fault_drain_limit: Duration::from_secs(300),
                load_commands: 1_000,
                load_rate: 10_000,
                instances_ccus: 8,
                instances_rate: 5_000,
                instances_paced: Duration::from_secs(10),
                instances_max: Duration::from_secs(20),
                energy_outlets: 64,
                energy_hours: 6,
            },
        }
    }
}
