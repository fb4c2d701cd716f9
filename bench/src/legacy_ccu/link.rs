//! The firmware's HTTP client: a new TCP connection per request, 5 s timeout, no redirects,
//! optionally from a given local address (one household per address).

use anyhow::bail;
use std::net::IpAddr;
use std::time::Duration;

/// Requests to the shim at one base URL.
pub struct Link {
    client: reqwest::Client,
    base: String,
}

impl Link {
    /// A client for `base` (`http://host:port`), calling from `from` when given.
    pub fn new(base: &str, from: Option<IpAddr>) -> anyhow::Result<Link> {
        let client = reqwest::Client::builder()
            .pool_max_idle_per_host(0)
            .timeout(Duration::from_secs(5))
            .redirect(reqwest::redirect::Policy::none())
            .local_address(from)
            .build()?;
        Ok(Link {
            client,
            base: base.to_string(),
        })
    }

    /// `GET path`: the body of a 200.
    pub async fn get(&self, path: &str) -> anyhow::Result<String> {
        let r = self
            .client
            .get(format!("{}{path}", self.base))
            .send()
            .await?;
        if r.status().as_u16() != 200 {
            bail!("GET {path}: {}", r.status());
        }
        Ok(r.text().await?)
    }

    /// `POST path` with a JSON body; a 200 or 201.
    pub async fn post(&self, path: &str, body: String) -> anyhow::Result<()> {
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
}
