//! The REST API as an integrator uses it: log in once, create an API token, then bearer auth.

use crate::seed::PASSWORD;
use crate::server::Server;
use anyhow::{Context, bail};
use serde_json::{Value, json};

/// A REST client holding an API token.
pub struct Api {
    client: reqwest::Client,
    base: String,
    /// The API token (also for `/ws?token=`).
    pub token: String,
}

impl Api {
    /// Logs `user` in and creates an API token.
    pub async fn login(server: &Server, user: &str) -> anyhow::Result<Api> {
        let client = reqwest::Client::builder()
            .cookie_store(true)
            .pool_max_idle_per_host(64)
            .build()?;
        let base = server.url("/api/v1");
        let session: Value = client
            .post(format!("{base}/auth/login"))
            .json(&json!({"username": user, "password": PASSWORD}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let csrf = session["csrf_token"].as_str().context("csrf token")?;
        let created: Value = client
            .post(format!("{base}/tokens"))
            .header("X-CSRF-Token", csrf)
            .json(&json!({"name": "bench"}))
            .send()
            .await?
            .error_for_status()?
            .json()
            .await?;
        let token = created["secret"]
            .as_str()
            .context("token secret")?
            .to_string();
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(64)
            .tcp_nodelay(true)
            .build()?;
        Ok(Api {
            client,
            base,
            token,
        })
    }

    /// Sends a relay command; returns its id.
    pub async fn relay(&self, outlet_id: i32, on: bool, socket: &str) -> anyhow::Result<String> {
        let command = if on { "relay_on" } else { "relay_off" };
        let r = self
            .client
            .post(format!("{}/commands", self.base))
            .bearer_auth(&self.token)
            .json(&json!({"outlet_id": outlet_id, "command": command, "socket": socket}))
            .send()
            .await?;
        if r.status().as_u16() != 202 {
            bail!("POST /commands: {} {}", r.status(), r.text().await?);
        }
        let v: Value = r.json().await?;
        Ok(v["id"].as_str().context("command id")?.to_string())
    }
}
