//! The old ESP32 firmware's HTTP cycle (original-system.md §2.2): device sync, breaker POST,
//! focus GET, focused device data POST, command fetch; one new connection per request,
//! command parsing by the firmware's string searches.

use anyhow::bail;
use std::time::Duration;

/// One old-firmware CCU.
pub struct LegacyCcu {
    client: reqwest::Client,
    base: String,
    /// The CCU id it posts breaker data for.
    pub ccu_id: String,
    /// The device it reads and fetches commands for.
    pub device: String,
    /// Relay states as the (instant) PIC has them: `(a, b)`.
    pub relays: (bool, bool),
}

/// A relay command as the firmware parsed it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Parsed {
    /// `relay_on`, …
    pub command: String,
    /// `a`, `b` or empty.
    pub socket: String,
}

impl LegacyCcu {
    /// A CCU talking to `base` (`http://host:port`).
    pub fn new(base: &str, ccu_id: &str, device: &str) -> anyhow::Result<LegacyCcu> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .build()?;
        Ok(LegacyCcu {
            client,
            base: base.to_string(),
            ccu_id: ccu_id.to_string(),
            device: device.to_string(),
            relays: (false, false),
        })
    }

    async fn get(&self, path: &str) -> anyhow::Result<String> {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await?;
        Ok(r.text().await?)
    }

    async fn post(&self, path: &str, body: String) -> anyhow::Result<()> {
        let r = self
            .client
            .post(format!("{}{path}", self.base))
            .header("Content-Type", "application/json")
            .body(body)
            .send()
            .await?;
        if !matches!(r.status().as_u16(), 200 | 201) {
            bail!("POST {path}: {}", r.status());
        }
        Ok(())
    }

    /// One full cycle (five requests); executes and returns the commands fetched.
    pub async fn cycle(&mut self) -> anyhow::Result<Vec<Parsed>> {
        let devices = self.get("/api/devices/").await?;
        if !devices.replace(' ', "").contains("\"success\":true") {
            bail!("device sync failed: {devices}");
        }
        self.post(
            "/api/breaker-data/",
            format!(r#"{{"ccu_id":"{}","current_ma":4312}}"#, self.ccu_id),
        )
        .await?;
        let _focus = self.get("/api/focus/").await?;
        let (a, b) = self.relays;
        self.post(
            "/api/data/",
            format!(
                r#"{{"device_id":"{}","current_a":{},"current_b":-1,"relay_a":{a},"relay_b":{b},"is_overload":false}}"#,
                self.device,
                if a { 420 } else { 0 }
            ),
        )
        .await?;
        let body = self.get(&format!("/api/commands/{}/", self.device)).await?;
        let commands = parse_commands(&body);
        for c in &commands {
            let on = match c.command.as_str() {
                "relay_on" => true,
                "relay_off" => false,
                _ => continue,
            };
            if c.socket == "a" {
                self.relays.0 = on;
            } else {
                self.relays.1 = on;
            }
        }
        Ok(commands)
    }
}

/// The firmware's parse of `/api/commands/<id>/`: string searches that depend on Python's
/// `", "` and `": "` spacing.
pub fn parse_commands(body: &str) -> Vec<Parsed> {
    if !(body.contains("\"success\": true") || body.contains("\"success\":true")) {
        return Vec::new();
    }
    let mut out = Vec::new();
    let mut rest = body;
    while let Some(start) = rest.find("{\"command\":") {
        let Some(len) = rest[start..].find('}') else {
            break;
        };
        let obj = &rest[start..=start + len];
        let field = |key: &str| {
            let i = obj.find(key)? + key.len();
            let j = obj[i..].find('"')? + i;
            Some(obj[i..j].to_string())
        };
        if let Some(command) = field("\"command\": \"") {
            out.push(Parsed {
                command,
                socket: field("\"socket\": \"").unwrap_or_default(),
            });
        }
        rest = &rest[start + len + 1..];
    }
    out
}
