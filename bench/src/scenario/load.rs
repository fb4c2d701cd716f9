//! Paced device load: CCUs publishing readings at QoS 1 at a steady rate, counting what
//! the broker acknowledged (the outage scenario's load and `commands_load`'s background).

use crate::mqtt_ccu::{MqttCcu, reading};
use crate::seed::SeedCcu;
use crate::server::Server;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicU64, Ordering::Relaxed};
use std::time::Duration;
use tokio::task::JoinHandle;
use tokio::time::{Instant, MissedTickBehavior};

/// Paced publishers (also the background load of `commands_load`).
pub(super) struct Load {
    /// Readings published so far.
    pub published: Arc<AtomicU64>,
    /// PUBACKs received so far.
    pub acked: Arc<AtomicU64>,
    running: Arc<AtomicBool>,
    tasks: Vec<JoinHandle<MqttCcu>>,
    started: Instant,
}

impl Load {
    /// Connects every CCU, then publishes `per_s` readings per second over all of them: on
    /// each 10 ms tick, each CCU catches up with its share of the time since the start.
    pub async fn start(server: &Server, ccus: &[SeedCcu], per_s: u64) -> anyhow::Result<Load> {
        let acked = Arc::new(AtomicU64::new(0));
        let mut clients = Vec::with_capacity(ccus.len());
        for c in ccus {
            let client = MqttCcu::connect_counting(
                server.mqtt,
                &c.id,
                &c.secret,
                false,
                Some(acked.clone()),
            )
            .await?;
            clients.push(client);
        }
        let published = Arc::new(AtomicU64::new(0));
        let running = Arc::new(AtomicBool::new(true));
        let started = Instant::now();
        let share = per_s as f64 / ccus.len() as f64;
        let mut tasks = Vec::with_capacity(ccus.len());
        for (client, seed) in clients.into_iter().zip(ccus) {
            let devices: Vec<String> = seed.outlets.iter().map(|(_, d)| d.clone()).collect();
            let (published, running) = (published.clone(), running.clone());
            tasks.push(tokio::spawn(async move {
                let mut tick = tokio::time::interval(Duration::from_millis(10));
                tick.set_missed_tick_behavior(MissedTickBehavior::Skip);
                let mut sent = 0u64;
                'load: while running.load(Relaxed) {
                    tick.tick().await;
                    let due = (started.elapsed().as_secs_f64() * share) as u64;
                    while sent < due && running.load(Relaxed) {
                        let n = devices.len() as u64;
                        let device = &devices[(sent % n) as usize];
                        let (a, b) = currents(sent / n);
                        if client
                            .publish("sensor", reading(device, a, b))
                            .await
                            .is_err()
                        {
                            break 'load;
                        }
                        sent += 1;
                        published.fetch_add(1, Relaxed);
                    }
                }
                // handed back: its queued publishes and their PUBACKs are still on the way
                client
            }));
        }
        Ok(Load {
            published,
            acked,
            running,
            tasks,
            started,
        })
    }

    /// Stops publishing; returns the clients (keep them until every PUBACK is in) and how long
    /// the load ran.
    pub async fn stop(mut self) -> (Vec<MqttCcu>, f64) {
        self.running.store(false, Relaxed);
        let tasks = std::mem::take(&mut self.tasks);
        let mut clients = Vec::with_capacity(tasks.len());
        for t in tasks {
            clients.extend(t.await.ok());
        }
        (clients, self.started.elapsed().as_secs_f64())
    }
}

impl Drop for Load {
    /// A scenario that failed half-way stops its publishers too.
    fn drop(&mut self) {
        self.running.store(false, Relaxed);
    }
}

/// The currents (mA) that name the `i`-th reading of an outlet: unique, plausible, above the
/// noise floor.
fn currents(i: u64) -> (i64, i64) {
    (1_000 + (i % 10_000) as i64, 1_000 + (i / 10_000) as i64)
}
