//! What a test does on a page: wait for a DOM condition (polling with a deadline, never a
//! fixed sleep), click, type, choose, read; and log in through the form.

use crate::chrome::Browser;
use anyhow::{Context, Result, anyhow};
use fantoccini::Locator;
use serde_json::{Value, json};
use std::time::Duration;

/// How long a DOM condition may take.
pub const DEADLINE: Duration = Duration::from_secs(20);

fn truthy(v: &Value) -> bool {
    match v {
        Value::Null => false,
        Value::Bool(b) => *b,
        Value::Number(n) => n.as_f64().is_some_and(|f| f != 0.0),
        Value::String(s) => !s.is_empty(),
        Value::Array(_) | Value::Object(_) => true,
    }
}

impl Browser {
    /// Opens `url`.
    pub async fn goto(&self, url: &str) -> Result<()> {
        self.client()
            .goto(url)
            .await
            .with_context(|| format!("opening {url}"))
    }

    /// Runs `script` (a function body; `arguments[i]` are `args`) and returns its value.
    pub async fn js_with(&self, script: &str, args: Vec<Value>) -> Result<Value> {
        self.client()
            .execute(script, args)
            .await
            .with_context(|| format!("running {script}"))
    }

    /// Runs `script` without arguments.
    pub async fn js(&self, script: &str) -> Result<Value> {
        self.js_with(script, vec![]).await
    }

    /// Polls `script` until it returns a truthy value, which it returns.
    pub async fn wait_js(&self, what: &str, script: &str) -> Result<Value> {
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let last = match self.js(script).await {
                Ok(v) if truthy(&v) => return Ok(v),
                Ok(v) => v,
                Err(e) => json!(format!("{e:#}")),
            };
            if tokio::time::Instant::now() > deadline {
                return Err(anyhow!(
                    "timed out after {DEADLINE:?} waiting for {what} (last value: {last})"
                ));
            }
            tokio::time::sleep(Duration::from_millis(50)).await;
        }
    }

    /// Waits until `css` matches a visible element.
    pub async fn wait_visible(&self, css: &str) -> Result<()> {
        let script = format!(
            "const e = document.querySelector({}); return !!e && e.getClientRects().length > 0",
            json!(css)
        );
        self.wait_js(&format!("{css} to be visible"), &script)
            .await
            .map(|_| ())
    }

    /// Clicks the element `css` matches, once it is visible and enabled.
    pub async fn click(&self, css: &str) -> Result<()> {
        let script = format!(
            "const e = document.querySelector({}); \
             if (!e || e.disabled || e.getClientRects().length === 0) return false; \
             e.scrollIntoView({{block: 'center', inline: 'center'}}); return true",
            json!(css)
        );
        self.wait_js(&format!("{css} to be clickable"), &script)
            .await?;
        let deadline = tokio::time::Instant::now() + DEADLINE;
        loop {
            let attempt = async {
                let e = self.client().find(Locator::Css(css)).await?;
                e.click().await
            };
            match attempt.await {
                Ok(()) => return Ok(()),
                Err(e) if tokio::time::Instant::now() > deadline => {
                    return Err(anyhow!("clicking {css}: {e}"));
                }
                // Covered for a moment (a toast, an animation): try again.
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        }
    }

    /// Replaces the text of the input `css` matches by typing `text`.
    pub async fn fill(&self, css: &str, text: &str) -> Result<()> {
        self.wait_visible(css).await?;
        let e = self
            .client()
            .find(Locator::Css(css))
            .await
            .with_context(|| format!("finding {css}"))?;
        e.clear().await.with_context(|| format!("clearing {css}"))?;
        e.send_keys(text)
            .await
            .with_context(|| format!("typing into {css}"))
    }

    /// Chooses the option with `value` in the `<select>` `css` matches.
    pub async fn choose(&self, css: &str, value: &str) -> Result<()> {
        self.wait_visible(css).await?;
        let e = self.client().find(Locator::Css(css)).await?;
        e.select_by_value(value)
            .await
            .with_context(|| format!("choosing {value} in {css}"))
    }

    /// The text of the element `css` matches ("" when there is none).
    pub async fn text(&self, css: &str) -> Result<String> {
        let v = self
            .js_with(
                "const e = document.querySelector(arguments[0]); return e ? e.textContent.trim() : ''",
                vec![json!(css)],
            )
            .await?;
        Ok(v.as_str().unwrap_or_default().to_string())
    }

    /// Waits until the element `css` matches has exactly `want` as text.
    pub async fn wait_text(&self, css: &str, want: &str) -> Result<()> {
        let script = format!(
            "const e = document.querySelector({}); return !!e && e.textContent.trim() === {}",
            json!(css),
            json!(want)
        );
        self.wait_js(&format!("{css} to read {want:?}"), &script)
            .await
            .map(|_| ())
    }

    /// Types `keys` into whatever has the focus (`\u{E004}` is Tab, `\u{E007}` Enter).
    pub async fn type_keys(&self, keys: &str) -> Result<()> {
        let e = self
            .client()
            .active_element()
            .await
            .context("finding the focused element")?;
        e.send_keys(keys).await.context("typing")
    }

    /// Opens the dashboard at `base` and logs in through the form; waits for the dashboard.
    pub async fn log_in(&self, base: &str, username: &str, password: &str) -> Result<()> {
        self.goto(base).await?;
        self.fill("#login-form [name=username]", username).await?;
        self.fill("#login-form [name=password]", password).await?;
        self.click("#login-form button[type=submit]").await?;
        self.wait_text("#who", username).await?;
        self.wait_visible("#outlets").await
    }
}
