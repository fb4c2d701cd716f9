//! Device load in two timed phases, every reading distinguishable: CCUs publish at QoS 1,
//! first paced at a target rate, then as fast as the servers take them (the closed loop of
//! `ingest`: each CCU at most [`WINDOW`] readings ahead of what the servers have taken). Each
//! reading carries its own `ts` (unix ms, increasing per outlet), so that the database can
//! tell one reading stored twice from two readings.

use super::ingest::WINDOW;
use crate::mqtt_ccu::{MqttCcu, now_ms, reading_at};
use crate::seed::SeedCcu;
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

/// How long each phase lasts and the paced rate.
#[derive(Debug, Clone, Copy)]
pub(super) struct Phases {
    /// Paced readings per second, over all CCUs.
    pub rate: u64,
    /// How long the paced phase lasts.
    pub paced: Duration,
    /// How long the as-fast-as-taken phase lasts.
    pub max: Duration,
}

/// The publishers.
pub(super) struct StampedLoad {
    /// Readings published so far.
    pub published: Arc<AtomicU64>,
    /// Readings published in the paced phase (complete once every CCU has left it).
    pub paced_published: Arc<AtomicU64>,
    /// Readings the servers have taken (accepted or rejected) since the start: kept current
    /// by the caller, it closes the loop of the fast phase.
    pub taken: Arc<AtomicU64>,
    /// When the paced phase started.
    pub started: Instant,
    running: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<MqttCcu>>,
}

/// One outlet's publishing state: its device id and the `ts` of its last reading.
struct Outlet {
    device: String,
    last_ts: u64,
}

impl StampedLoad {
    /// Connects every CCU to `addr` (each PUBACK counted in `acked`) and starts publishing.
    pub async fn start(
        addr: SocketAddr,
        ccus: &[SeedCcu],
        phases: Phases,
        acked: &Arc<AtomicU64>,
    ) -> anyhow::Result<StampedLoad> {
        let mut clients = Vec::with_capacity(ccus.len());
        for c in ccus {
            let ack = Some(acked.clone());
            clients.push(MqttCcu::connect_counting(addr, &c.id, &c.secret, false, ack).await?);
        }
        let published = Arc::new(AtomicU64::new(0));
        let paced_published = Arc::new(AtomicU64::new(0));
        let taken = Arc::new(AtomicU64::new(0));
        let running = Arc::new(AtomicBool::new(true));
        let started = Instant::now();
        let (paced_end, end) = (started + phases.paced, started + phases.paced + phases.max);
        let share = phases.rate as f64 / ccus.len() as f64;
        let window = WINDOW * ccus.len() as u64;
        let mut tasks = Vec::with_capacity(ccus.len());
        for (client, seed) in clients.into_iter().zip(ccus) {
            let mut outlets: Vec<Outlet> = seed
                .outlets
                .iter()
                .map(|(_, d)| Outlet {
                    device: d.clone(),
                    last_ts: 0,
                })
                .collect();
            let (published, taken, running) = (published.clone(), taken.clone(), running.clone());
            let paced_published = paced_published.clone();
            tasks.push(tokio::spawn(async move {
                let mut sent = 0u64;
                let mut tick = tokio::time::interval(Duration::from_millis(10));
                tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
                'paced: while Instant::now() < paced_end && running.load(Relaxed) {
                    tick.tick().await;
                    let due = (started.elapsed().min(phases.paced).as_secs_f64() * share) as u64;
                    while sent < due {
                        if !publish(&client, &mut outlets, sent, &published).await {
                            break 'paced;
                        }
                        sent += 1;
                    }
                }
                paced_published.fetch_add(sent, Relaxed);
                'max: while Instant::now() < end && running.load(Relaxed) {
                    while published.load(Relaxed) > taken.load(Relaxed) + window {
                        if Instant::now() >= end {
                            break 'max;
                        }
                        tokio::time::sleep(Duration::from_millis(1)).await;
                    }
                    for _ in 0..outlets.len() {
                        if !publish(&client, &mut outlets, sent, &published).await {
                            break 'max;
                        }
                        sent += 1;
                    }
                }
                // handed back: its queued publishes and their PUBACKs are still on the way
                client
            }));
        }
        Ok(StampedLoad {
            published,
            paced_published,
            taken,
            started,
            running,
            tasks,
        })
    }

    /// Waits for the phases to end; returns the clients (keep them until every PUBACK is in).
    pub async fn finish(mut self) -> Vec<MqttCcu> {
        let tasks = std::mem::take(&mut self.tasks);
        let mut clients = Vec::with_capacity(tasks.len());
        for t in tasks {
            clients.extend(t.await.ok());
        }
        clients
    }
}

impl Drop for StampedLoad {
    /// A scenario that failed half-way stops its publishers too.
    fn drop(&mut self) {
        self.running.store(false, Relaxed);
    }
}

/// Publishes the CCU's `k`-th reading (outlets in turn) with a `ts` after its outlet's last;
/// false when the client is gone.
async fn publish(client: &MqttCcu, outlets: &mut [Outlet], k: u64, n: &AtomicU64) -> bool {
    let i = (k % outlets.len() as u64) as usize;
    let o = &mut outlets[i];
    o.last_ts = now_ms().max(o.last_ts + 1);
    let (a, b) = (200 + (k % 3000) as i64, 150 + (k * 7 % 2000) as i64);
    let payload = reading_at(&o.device, a, b, o.last_ts);
    if client.publish("sensor", payload).await.is_err() {
        return false;
    }
    n.fetch_add(1, Relaxed);
    true
}
