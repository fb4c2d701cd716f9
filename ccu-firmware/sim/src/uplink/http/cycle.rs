//! The old firmware's cloud cycle (compatibility spec §2.2 step 5): every period, measured
//! from the start of the previous cycle, sync the device list, post the breaker, ask for the
//! focus, serve the focused outlet, and serve one background outlet when due.
//!
//! "Serving" an outlet posts its latest reading and then fetches and executes its commands.
//! Executing means handing the core a `ccu/<id>/cmd` message; device-list changes reach the
//! core as a `ccu/<id>/devices` message, so the core's outlet table follows the firmware's.

use super::body::{
    BREAKER_PATH, DATA_PATH, DEVICES_PATH, FOCUS_PATH, breaker_body, commands_path, data_body,
};
use super::parse::{
    Action, LegacyCommand, add_devices, parse_commands, parse_devices, parse_focus, strtol16,
};
use super::shared::{EXECUTED_KEPT, Executed, SharedState, lock};
use crate::uplink::Inbound;
use ccu_core::protocol::{CommandKind, DeviceId};
use reqwest::header::CONTENT_TYPE;
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Everything the cycle talks to.
#[derive(Debug, Clone)]
pub struct Link {
    /// The CCU id (topic level of the messages handed to the core; `ccu_id` of the breaker).
    pub ccu_id: String,
    /// The server address without its trailing `/`.
    pub base: String,
    /// One connection per request, 5 s time-out, no redirects.
    pub client: reqwest::Client,
    /// The state shared with the uplink.
    pub shared: SharedState,
    /// True while the last cycle reached the server.
    pub connected: watch::Sender<bool>,
    /// Messages for the core.
    pub messages: mpsc::UnboundedSender<Inbound>,
}

/// One run of the cycle task (a new one after every reconnect).
#[derive(Debug)]
pub struct Cycle {
    link: Link,
    period: Duration,
    background_interval: Duration,
    /// Consecutive failed cycles (the firmware's `cloudFailCount`).
    failures: u32,
    last_background: Instant,
    cursor: usize,
    /// No request of this cycle has failed to get an HTTP response so far.
    reached: bool,
}

impl Cycle {
    /// A cycle; its first background read falls due `background_interval` from now (the
    /// firmware's timer starts at boot).
    pub fn new(link: Link, period: Duration, background_interval: Duration) -> Cycle {
        Cycle {
            link,
            period,
            background_interval,
            failures: 0,
            last_background: Instant::now(),
            cursor: 0,
            reached: true,
        }
    }

    /// Runs a cycle every `period` from the start of the previous one, or back to back
    /// when a cycle takes longer. Never returns; abort the task to stop it.
    pub async fn run(mut self) {
        let mut next = Instant::now();
        loop {
            tokio::time::sleep_until(next).await;
            next = Instant::now() + self.period;
            self.once().await;
        }
    }

    async fn once(&mut self) {
        self.reached = true;
        self.sync_devices().await;
        let mut failed = !self.post_breaker().await;
        let focus = self.focus().await;
        let devices = lock(&self.link.shared).devices.clone();
        if let Some(device) = focus.filter(|f| devices.contains(f)) {
            failed |= !self.serve(device).await;
        }
        if self.last_background.elapsed() >= self.background_interval && !devices.is_empty() {
            self.last_background = Instant::now();
            if let Some(device) = self.next_background(&devices, focus) {
                failed |= !self.serve(device).await;
            }
        }
        self.account(failed);
        lock(&self.link.shared).stats.cycles += 1;
        let reached = self.reached;
        self.link.connected.send_if_modified(|up| {
            let changed = *up != reached;
            *up = reached;
            changed
        });
    }

    /// Step 0: learn new device ids; the core gets the whole table when it grew.
    async fn sync_devices(&mut self) {
        let Some(body) = self.get(DEVICES_PATH).await else {
            return;
        };
        let Some(listed) = parse_devices(&body) else {
            return;
        };
        let devices = {
            let mut shared = lock(&self.link.shared);
            if !add_devices(&mut shared.devices, &listed) {
                return;
            }
            shared.devices.clone()
        };
        let entries: Vec<_> = devices
            .iter()
            .map(|&d| serde_json::json!({"device_id": DeviceId(d), "threshold_ma": 0}))
            .collect();
        let payload = serde_json::json!({ "devices": entries });
        self.to_core("devices", &payload);
    }

    /// Step 1: the breaker's latest load, once the core has measured it. False on failure.
    async fn post_breaker(&mut self) -> bool {
        let Some(current_ma) = lock(&self.link.shared).breaker_ma else {
            return true;
        };
        let ok = self
            .post(BREAKER_PATH, breaker_body(&self.link.ccu_id, current_ma))
            .await;
        if ok {
            lock(&self.link.shared).stats.breaker_posted += 1;
        }
        ok
    }

    /// Step 2: the focused outlet, if the server names one.
    async fn focus(&mut self) -> Option<u8> {
        let body = self.get(FOCUS_PATH).await?;
        parse_focus(&body).map(|id| strtol16(&id))
    }

    /// Steps 3 and 4: post an outlet's latest reading, then fetch and execute its commands.
    /// False when the firmware would count a failure.
    async fn serve(&mut self, device: u8) -> bool {
        let reading = lock(&self.link.shared).readings.get(&device).cloned();
        let posted = self
            .post(DATA_PATH, data_body(device, reading.as_ref()))
            .await;
        if posted {
            lock(&self.link.shared).stats.readings_posted += 1;
        }
        let fetched = match self.get(&commands_path(device)).await {
            // A non-200 fetch returns "" in the firmware and is not counted.
            None => true,
            Some(body) => match parse_commands(&body) {
                Some(commands) => {
                    self.execute(device, &commands);
                    true
                }
                None => false,
            },
        };
        posted && fetched
    }

    /// Step 4's pick: the next outlet in round-robin order, skipping the focused one (only
    /// when its id is not 0, as in the firmware); `None` when the focused one is the only one.
    fn next_background(&mut self, devices: &[u8], focus: Option<u8>) -> Option<u8> {
        let n = devices.len();
        let mut pick = || {
            let i = self.cursor % n;
            self.cursor = i + 1;
            devices[i]
        };
        let device = pick();
        match focus {
            Some(f) if f != 0 && f == device => (n > 1).then(pick),
            _ => Some(device),
        }
    }

    fn execute(&mut self, device: u8, commands: &[LegacyCommand]) {
        for command in commands {
            let Some(action) = command.action() else {
                tracing::debug!(ccu = %self.link.ccu_id, ?command, "legacy command ignored");
                continue;
            };
            let (kind, socket, value) = match action {
                Action::Relay { on: true, socket } => (CommandKind::RelayOn, Some(socket), None),
                Action::Relay { on: false, socket } => (CommandKind::RelayOff, Some(socket), None),
                Action::SetThreshold(ma) => (CommandKind::SetThreshold, None, Some(ma)),
            };
            let n = {
                let mut shared = lock(&self.link.shared);
                shared.next_command += 1;
                shared.stats.commands_executed += 1;
                if shared.executed.len() == EXECUTED_KEPT {
                    shared.executed.pop_front();
                }
                let cycle = shared.stats.cycles;
                shared.executed.push_back(Executed {
                    cycle,
                    device: DeviceId(device),
                    command: kind,
                });
                shared.next_command
            };
            let payload = serde_json::json!({
                "id": format!("legacy-{n}"),
                "device_id": DeviceId(device),
                "command": kind.as_str(),
                "socket": socket.map(|s| s.as_str()),
                "value": value,
            });
            self.to_core("cmd", &payload);
        }
    }

    fn to_core(&self, kind: &str, payload: &serde_json::Value) {
        let _ = self.link.messages.send(Inbound {
            topic: format!("ccu/{}/{kind}", self.link.ccu_id),
            payload: payload.to_string().into_bytes(),
        });
    }

    /// Step 5: the firmware's failure log, on the first failed cycle and every 6th in a row.
    fn account(&mut self, failed: bool) {
        let ccu = &self.link.ccu_id;
        if failed {
            self.failures = self.failures.saturating_add(1);
            lock(&self.link.shared).stats.failed_cycles += 1;
            if self.failures == 1 || self.failures.is_multiple_of(6) {
                tracing::warn!(ccu = %ccu, failures = self.failures, "[CLOUD] Communication issue. Retrying...");
            }
        } else if self.failures > 0 {
            self.failures = 0;
            tracing::info!(ccu = %ccu, "[CLOUD] Connection restored.");
        }
    }

    /// A GET; the body only for a 200 (the firmware's `getString()` otherwise gives "").
    async fn get(&mut self, path: &str) -> Option<String> {
        let url = format!("{}{path}", self.link.base);
        let sent = self.link.client.get(&url).send().await;
        let response = self.answered(sent, path)?;
        if response.status().as_u16() != 200 {
            tracing::debug!(ccu = %self.link.ccu_id, path, status = %response.status(), "legacy GET refused");
            let _ = response.bytes().await;
            return None;
        }
        match response.text().await {
            Ok(body) => Some(body),
            Err(e) => {
                self.unreached(path, &e);
                None
            }
        }
    }

    /// A POST with `Content-Type: application/json`; true when answered 200 or 201.
    async fn post(&mut self, path: &str, body: String) -> bool {
        let url = format!("{}{path}", self.link.base);
        let sent = self
            .link
            .client
            .post(&url)
            .header(CONTENT_TYPE, "application/json")
            .body(body)
            .send()
            .await;
        let Some(response) = self.answered(sent, path) else {
            return false;
        };
        let status = response.status().as_u16();
        let _ = response.bytes().await;
        if !matches!(status, 200 | 201) {
            tracing::debug!(ccu = %self.link.ccu_id, path, status, "legacy POST refused");
        }
        matches!(status, 200 | 201)
    }

    fn answered(
        &mut self,
        sent: Result<reqwest::Response, reqwest::Error>,
        path: &str,
    ) -> Option<reqwest::Response> {
        lock(&self.link.shared).stats.requests += 1;
        sent.map_err(|e| self.unreached(path, &e)).ok()
    }

    fn unreached(&mut self, path: &str, e: &reqwest::Error) {
        self.reached = false;
        lock(&self.link.shared).stats.transport_errors += 1;
        tracing::debug!(ccu = %self.link.ccu_id, path, "legacy request failed: {e}");
    }
}
