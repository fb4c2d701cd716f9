//! Headless Chromium driven over WebDriver: starts `chromedriver` on a free port with a fresh
//! profile, opens a session, saves screenshots, and always cleans up (the whole process group
//! is killed if a test panics).

use anyhow::{Context, Result, anyhow, bail};
use fantoccini::error::NewSessionError;
use fantoccini::{Client, ClientBuilder};
use hyper_util::client::legacy::connect::HttpConnector;
use serde_json::{Value, json};
use std::os::unix::process::CommandExt;
use std::path::{Path, PathBuf};
use std::process::{Child, Command, Stdio};
use std::time::Duration;

const INSTALL_HINT: &str = "the browser tests need headless Chromium and its WebDriver: \
     `apt-get install chromium chromium-driver` (Debian), or set CHROME_BIN and CHROMEDRIVER";

/// How the browser looks.
#[derive(Debug, Clone, Copy)]
pub struct Options {
    /// Viewport width (CSS px).
    pub width: u32,
    /// Viewport height (CSS px).
    pub height: u32,
    /// Ask pages for the dark colour scheme (`prefers-color-scheme: dark`).
    pub dark: bool,
}

impl Options {
    /// A desktop window in the light theme.
    pub const DESKTOP: Options = Options {
        width: 1280,
        height: 900,
        dark: false,
    };
    /// A phone-sized window (390 × 844, an iPhone 12/13/14).
    pub const PHONE: Options = Options {
        width: 390,
        height: 844,
        dark: false,
    };

    /// The same in the dark theme.
    pub const fn dark(self) -> Options {
        Options { dark: true, ..self }
    }
}

/// A running chromedriver; killing it kills its Chromium too (same process group).
struct Driver {
    child: Child,
}

impl Drop for Driver {
    fn drop(&mut self) {
        // The group id is the driver's pid (`process_group(0)`); Chromium inherits it.
        let _ = Command::new("kill")
            .args(["-KILL", "--", &format!("-{}", self.child.id())])
            .stderr(Stdio::null())
            .status();
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// One browser session for one test.
pub struct Browser {
    client: Client,
    name: String,
    options: Options,
    _driver: Driver,
    _profile: tempfile::TempDir,
    _slot: tokio::sync::OwnedSemaphorePermit,
}

/// Browsers running at once in this test process, whatever the number of test threads
/// (each Chromium wants a core while it renders; more would only make every test slower).
const BROWSERS_AT_ONCE: usize = 2;

/// A slot for one browser, waited for in turn.
async fn browser_slot() -> Result<tokio::sync::OwnedSemaphorePermit> {
    static SLOTS: std::sync::OnceLock<std::sync::Arc<tokio::sync::Semaphore>> =
        std::sync::OnceLock::new();
    let slots =
        SLOTS.get_or_init(|| std::sync::Arc::new(tokio::sync::Semaphore::new(BROWSERS_AT_ONCE)));
    Ok(slots.clone().acquire_owned().await?)
}

fn which(candidates: &[&str]) -> Option<PathBuf> {
    let path = std::env::var_os("PATH").unwrap_or_default();
    for c in candidates {
        let p = Path::new(c);
        if p.is_absolute() {
            if p.is_file() {
                return Some(p.to_path_buf());
            }
            continue;
        }
        if let Some(found) = std::env::split_paths(&path)
            .map(|dir| dir.join(c))
            .find(|f| f.is_file())
        {
            return Some(found);
        }
    }
    None
}

fn binary(env: &str, candidates: &[&str]) -> Result<PathBuf> {
    match std::env::var_os(env) {
        Some(p) if !p.is_empty() => {
            let p = PathBuf::from(p);
            if !p.is_file() {
                bail!("{env}={} is not a file: {INSTALL_HINT}", p.display());
            }
            Ok(p)
        }
        _ => {
            which(candidates).ok_or_else(|| anyhow!("{} not found: {INSTALL_HINT}", candidates[0]))
        }
    }
}

/// Reads chromedriver's output up to "… started successfully on port N.", then keeps
/// draining it in a thread of its own (a full pipe would block chromedriver).
fn driver_port(stdout: std::process::ChildStdout) -> Result<u16> {
    use std::io::BufRead;
    let mut lines = std::io::BufReader::new(stdout).lines();
    for line in lines.by_ref() {
        let line = line?;
        if let Some(rest) = line.split("successfully on port ").nth(1) {
            let port = rest.trim_end_matches('.').trim().parse()?;
            std::thread::spawn(move || lines.for_each(drop));
            return Ok(port);
        }
    }
    bail!("chromedriver exited before it listened")
}

/// Where screenshots go: `<target>/browser-screenshots/`.
pub fn screenshot_dir() -> PathBuf {
    let target = match std::env::var_os("CARGO_TARGET_DIR") {
        Some(t) if !t.is_empty() => PathBuf::from(t),
        _ => {
            // The workspace root is the nearest ancestor with a Cargo.lock.
            let manifest = Path::new(env!("CARGO_MANIFEST_DIR"));
            manifest
                .ancestors()
                .find(|d| d.join("Cargo.lock").is_file())
                .unwrap_or(manifest)
                .join("target")
        }
    };
    target.join("browser-screenshots")
}

impl Browser {
    /// Starts chromedriver and a headless Chromium session; `name` names the screenshots.
    pub async fn launch(name: &str, options: Options) -> Result<Browser> {
        let slot = browser_slot().await?;
        let chrome = binary(
            "CHROME_BIN",
            &[
                "chromium",
                "chromium-browser",
                "/usr/bin/chromium",
                "google-chrome",
            ],
        )?;
        let chromedriver = binary("CHROMEDRIVER", &["chromedriver", "/usr/bin/chromedriver"])?;
        let profile = tempfile::tempdir().context("creating a Chromium profile folder")?;
        // Port 0: chromedriver binds a free port itself and says which (a port picked here
        // and released could be taken by another test's server before chromedriver binds it).
        let mut child = Command::new(&chromedriver)
            .arg("--port=0")
            .arg("--allowed-ips=127.0.0.1")
            .stdin(Stdio::null())
            .stdout(Stdio::piped())
            .stderr(Stdio::null())
            .process_group(0)
            .spawn()
            .with_context(|| format!("starting {}: {INSTALL_HINT}", chromedriver.display()))?;
        let stdout = child.stdout.take().context("chromedriver's output")?;
        let driver = Driver { child };
        let port = tokio::time::timeout(
            Duration::from_secs(30),
            tokio::task::spawn_blocking(move || driver_port(stdout)),
        )
        .await
        .map_err(|_| anyhow!("chromedriver did not say its port within 30 s"))??
        .with_context(|| format!("{} did not start: {INSTALL_HINT}", chromedriver.display()))?;

        let mut args = vec![
            "--headless".to_string(),
            "--no-sandbox".into(),
            "--disable-gpu".into(),
            "--disable-quic".into(),
            "--no-first-run".into(),
            "--disable-background-networking".into(),
            "--disable-component-update".into(),
            "--disable-sync".into(),
            "--disable-dev-shm-usage".into(),
            "--disable-extensions".into(),
            "--hide-scrollbars".into(),
            "--force-device-scale-factor=1".into(),
            "--lang=en-US".into(),
            format!("--window-size={},{}", options.width, options.height),
            format!("--user-data-dir={}", profile.path().display()),
        ];
        if options.dark {
            args.push("--force-dark-mode".into());
            args.push("--blink-settings=preferredColorScheme=0".into());
        }
        let caps = json!({
            "browserName": "chrome",
            "goog:chromeOptions": { "binary": chrome, "args": args },
        });
        let Value::Object(caps) = caps else {
            bail!("capabilities are not an object");
        };
        let url = format!("http://127.0.0.1:{port}");
        let deadline = tokio::time::Instant::now() + Duration::from_secs(30);
        let client = loop {
            match ClientBuilder::new(HttpConnector::new())
                .capabilities(caps.clone())
                .connect(&url)
                .await
            {
                Ok(c) => break c,
                // Chromium itself would not start: no point in retrying.
                Err(e @ NewSessionError::SessionNotCreated(_)) => {
                    return Err(anyhow!(
                        "chromedriver could not start {}: {e} ({INSTALL_HINT})",
                        chrome.display()
                    ));
                }
                Err(e) if tokio::time::Instant::now() > deadline => {
                    return Err(anyhow!(
                        "no WebDriver session from {} with {}: {e} ({INSTALL_HINT})",
                        chromedriver.display(),
                        chrome.display()
                    ));
                }
                Err(_) => tokio::time::sleep(Duration::from_millis(100)).await,
            }
        };
        Ok(Browser {
            client,
            name: name.to_string(),
            options,
            _driver: driver,
            _profile: profile,
            _slot: slot,
        })
    }

    /// The WebDriver client.
    pub fn client(&self) -> &Client {
        &self.client
    }

    /// Saves the whole page as `<name>[-<suffix>].png` and returns its path.
    pub async fn screenshot(&self, suffix: &str) -> Result<PathBuf> {
        let dir = screenshot_dir();
        std::fs::create_dir_all(&dir).with_context(|| format!("creating {}", dir.display()))?;
        let file = if suffix.is_empty() {
            format!("{}.png", self.name)
        } else {
            format!("{}-{suffix}.png", self.name)
        };
        let path = dir.join(file);
        // Grow the window to the page's height for a full-page picture, then restore it.
        let height = self
            .client
            .execute(
                "window.scrollTo(0, 0); return document.documentElement.scrollHeight",
                vec![],
            )
            .await
            .ok()
            .and_then(|v| v.as_u64())
            .unwrap_or(u64::from(self.options.height))
            .clamp(u64::from(self.options.height), 5000) as u32;
        let resized = height > self.options.height;
        if resized {
            let _ = self
                .client
                .set_window_size(self.options.width, height)
                .await;
        }
        let png = self
            .client
            .screenshot()
            .await
            .context("taking a screenshot");
        if resized {
            let _ = self
                .client
                .set_window_size(self.options.width, self.options.height)
                .await;
        }
        std::fs::write(&path, png?).with_context(|| format!("writing {}", path.display()))?;
        Ok(path)
    }

    /// Ends the test: saves the final screenshot, closes the session, and returns `result`
    /// (naming the screenshot when the test failed).
    pub async fn finish(self, result: Result<()>) -> Result<()> {
        let shot = self.screenshot("").await;
        let _ = self.client.clone().close().await;
        match (result, shot) {
            (Ok(()), Ok(_)) => Ok(()),
            (Ok(()), Err(e)) => Err(e),
            (Err(e), Ok(path)) => Err(e.context(format!("screenshot: {}", path.display()))),
            (Err(e), Err(_)) => Err(e),
        }
    }
}
