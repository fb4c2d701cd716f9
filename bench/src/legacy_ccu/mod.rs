//! The old ESP32 firmware's HTTP loop (original-system.md §2.2) over its outlets: device
//! sync, breaker POST, focus GET, the focused device served (data POST, command fetch), and
//! one device of the background round robin when it is due; a new connection per request.

mod link;
mod parse;
mod report;
mod table;

pub use parse::Parsed;
pub use report::{Cycle, Executed};

use link::Link;
use parse::{parse_commands, parse_devices, parse_focus};
use std::collections::HashMap;
use std::net::IpAddr;
use std::time::Duration;
use table::DeviceTable;
use tokio::sync::mpsc;
use tokio::time::Instant;

/// The firmware's timing.
#[derive(Debug, Clone, Copy)]
pub struct Timing {
    /// A cycle starts this long after the previous one started, or when it ended if later.
    pub period: Duration,
    /// `BACKGROUND_POLL_INTERVAL`: a background serve when this long has passed since the
    /// last one.
    pub background: Duration,
}

impl Timing {
    /// The firmware's: 2 s cycles, a background serve every 30 s.
    pub const FIRMWARE: Timing = Timing {
        period: Duration::from_secs(2),
        background: Duration::from_secs(30),
    };
    /// Back to back, a background serve every cycle (throughput).
    pub const FLAT_OUT: Timing = Timing {
        period: Duration::ZERO,
        background: Duration::ZERO,
    };
}

/// One old-firmware CCU.
pub struct LegacyCcu {
    link: Link,
    ccu_id: String,
    timing: Timing,
    table: DeviceTable,
    /// Relay states as the (instant) PIC of each device has them: `(a, b)`.
    relays: HashMap<String, (bool, bool)>,
    /// The last background serve; the firmware's timer starts at boot.
    last_background: Instant,
}

impl LegacyCcu {
    /// A CCU posting breaker data as `ccu_id` to `base` (`http://host:port`), calling from
    /// `from` (the address it is bound to; the OS's choice when `None`).
    pub fn new(
        base: &str,
        ccu_id: &str,
        from: Option<IpAddr>,
        timing: Timing,
    ) -> anyhow::Result<LegacyCcu> {
        Ok(LegacyCcu {
            link: Link::new(base, from)?,
            ccu_id: ccu_id.to_string(),
            timing,
            table: DeviceTable::default(),
            relays: HashMap::new(),
            last_background: Instant::now(),
        })
    }

    /// A person views `device` in the old dashboard (`POST /api/focus/<id>/` from the
    /// household's address): not part of the CCU's cycle.
    pub async fn view(&self, device: &str) -> anyhow::Result<()> {
        self.link
            .post(&format!("/api/focus/{device}/"), String::new())
            .await
    }

    /// Runs cycles on the firmware's schedule, sending each one's report, until the
    /// receiver is gone.
    pub async fn run(mut self, reports: mpsc::UnboundedSender<Cycle>) {
        let mut start = Instant::now();
        loop {
            let cycle = self.cycle_at(start).await;
            if reports.send(cycle).is_err() {
                return;
            }
            start = (start + self.timing.period).max(Instant::now());
            tokio::time::sleep_until(start).await;
        }
    }

    /// One cycle, now.
    pub async fn cycle(&mut self) -> Cycle {
        self.cycle_at(Instant::now()).await
    }

    async fn cycle_at(&mut self, started: Instant) -> Cycle {
        let mut c = Cycle::new(started);
        if let Some(body) = c.note(self.link.get("/api/devices/").await) {
            match parse_devices(&body) {
                Some(ids) => self.table.add(ids),
                None => c.fail(format!("device sync failed: {body}")),
            }
        }
        let breaker = format!(r#"{{"ccu_id":"{}","current_ma":4312}}"#, self.ccu_id);
        c.note(self.link.post("/api/breaker-data/", breaker).await);
        let focus = c
            .note(self.link.get("/api/focus/").await)
            .and_then(|body| parse_focus(&body));
        if let Some(f) = focus.as_deref().filter(|f| self.table.contains(f)) {
            self.serve(f, &mut c).await;
        }
        let due = started.saturating_duration_since(self.last_background) >= self.timing.background;
        if due && !self.table.is_empty() {
            self.last_background = started;
            if let Some(device) = self.table.next_background(focus.as_deref()) {
                self.serve(&device, &mut c).await;
            }
        }
        c
    }

    /// Reads one device: its data POST, then its commands fetched and executed.
    async fn serve(&mut self, device: &str, c: &mut Cycle) {
        let (a, b) = self.relays.get(device).copied().unwrap_or_default();
        let data = format!(
            r#"{{"device_id":"{device}","current_a":{},"current_b":-1,"relay_a":{a},"relay_b":{b},"is_overload":false}}"#,
            if a { 420 } else { 0 }
        );
        c.note(self.link.post("/api/data/", data).await);
        let Some(body) = c.note(self.link.get(&format!("/api/commands/{device}/")).await) else {
            return;
        };
        for command in parse_commands(&body) {
            let on = match command.command.as_str() {
                "relay_on" => true,
                "relay_off" => false,
                _ => continue,
            };
            let relays = self.relays.entry(device.to_string()).or_default();
            match command.socket.as_str() {
                "a" => relays.0 = on,
                "b" => relays.1 = on,
                _ => continue,
            }
            c.executed.push(Executed {
                device: device.to_string(),
                command,
                at: Instant::now(),
            });
        }
    }
}
