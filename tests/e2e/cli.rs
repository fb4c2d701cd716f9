//! The `smart-outlet` binary as an operator uses it.

use backend::store::test_database::TestDatabase;
use std::path::PathBuf;
use std::process::Stdio;
use std::time::Duration;
use system_tests::device::Device;
use tokio::io::{AsyncBufReadExt, AsyncWriteExt, BufReader};
use tokio::process::{Child, Command};

/// The binary next to this test executable, built on first use. Built with every target of
/// the workspace, so with the same dependency features as this test run: `-p smart-outlet`
/// alone would resolve features anew and rebuild dependencies (minutes on a fresh clone).
pub(crate) fn binary() -> PathBuf {
    let exe = std::env::current_exe().unwrap();
    let dir = exe.parent().and_then(|d| d.parent()).unwrap().to_path_buf();
    let bin = dir.join("smart-outlet");
    static BUILD: std::sync::Once = std::sync::Once::new();
    BUILD.call_once(|| {
        let cargo = std::env::var("CARGO").unwrap_or_else(|_| "cargo".into());
        let mut build = std::process::Command::new(cargo);
        build.args(["build", "--workspace", "--all-targets"]);
        // Cargo gives this test process the variables of its own package; a build script
        // that watches one (ring's reads CARGO_MANIFEST_DIR) would see it change between
        // this build and the outer `cargo test`, and each would rebuild ring and everything
        // above it (rustls, sqlx, sea-orm: 2.5 min per CI step).
        for (key, _) in std::env::vars() {
            let per_package = [
                "CARGO_MANIFEST_",
                "CARGO_PKG_",
                "CARGO_CRATE_",
                "CARGO_BIN_",
                "CARGO_PRIMARY_",
                "CARGO_TARGET_TMPDIR",
            ];
            if per_package.iter().any(|p| key.starts_with(p)) {
                build.env_remove(key);
            }
        }
        let status = build.status().expect("cargo build runs");
        assert!(status.success());
    });
    bin
}

/// The binary on the data folder `data` and its SQLite database.
pub(crate) fn cmd(data: &std::path::Path) -> Command {
    let mut c = Command::new(binary());
    c.env("SMART_OUTLET_DATA_DIR", data)
        .env_remove("SMART_OUTLET_DATABASE__URL")
        .env("RUST_LOG", "warn")
        .kill_on_drop(true);
    c
}

/// A data folder and the binary's database with it: the folder's SQLite file, or on
/// `./test`'s PostgreSQL pass (`TEST_DATABASE_URL`) a database of its own, dropped with it.
pub(crate) struct Data {
    dir: tempfile::TempDir,
    db: TestDatabase,
}

impl Data {
    pub(crate) async fn new() -> Data {
        let dir = tempfile::tempdir().unwrap();
        let db = TestDatabase::create(&dir.path().join("smart-outlet.db"))
            .await
            .expect("a test database (TEST_DATABASE_URL)");
        Data { dir, db }
    }

    /// The binary on this folder and database.
    pub(crate) fn cmd(&self) -> Command {
        let mut c = cmd(self.dir.path());
        if self.db.is_postgres() {
            c.env("SMART_OUTLET_DATABASE__URL", self.db.url());
        }
        c
    }

    /// The store the binary uses (opened by the test, beside the server).
    pub(crate) async fn store(&self) -> backend::Store {
        backend::Store::open(self.db.url(), 2).await.unwrap()
    }

    /// One administration command on this folder and database.
    pub(crate) async fn admin(&self, args: &[&str], stdin: Option<&str>) -> (bool, String, String) {
        let mut c = self.cmd();
        c.args(args);
        run(c, stdin).await
    }
}

/// Starts `serve` on `data` with its MQTT listener at `mqtt` and the extra environment
/// `env`; returns once it printed its banner (it listens then).
pub(crate) async fn serve(
    data: &std::path::Path,
    mqtt: std::net::SocketAddr,
    env: &[(&str, &str)],
) -> Child {
    serve_cmd(cmd(data), mqtt, env).await
}

/// [`serve`] with the command `server` (a [`Data::cmd`]).
pub(crate) async fn serve_cmd(
    server: Command,
    mqtt: std::net::SocketAddr,
    env: &[(&str, &str)],
) -> Child {
    launch(server, mqtt, env, Stdio::inherit()).await.0
}

/// A server whose log (stderr) the test reads, line by line.
pub(crate) struct Logged {
    pub(crate) child: Child,
    /// `http://127.0.0.1:<port>`.
    pub(crate) http: String,
    pub(crate) log: tokio::sync::mpsc::UnboundedReceiver<String>,
}

/// [`serve_cmd`], with the server's stderr captured.
pub(crate) async fn serve_logged(
    server: Command,
    mqtt: std::net::SocketAddr,
    env: &[(&str, &str)],
) -> Logged {
    let (mut child, banner) = launch(server, mqtt, env, Stdio::piped()).await;
    let (tx, log) = tokio::sync::mpsc::unbounded_channel();
    let mut lines = BufReader::new(child.stderr.take().unwrap()).lines();
    tokio::spawn(async move {
        while let Ok(Some(line)) = lines.next_line().await {
            if tx.send(line).is_err() {
                break;
            }
        }
    });
    let http = banner
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap()
        .trim_end_matches('/')
        .to_string();
    Logged { child, http, log }
}

/// Spawns `serve`; returns once it printed its banner (it listens then), with the banner.
async fn launch(
    mut server: Command,
    mqtt: std::net::SocketAddr,
    env: &[(&str, &str)],
    stderr: Stdio,
) -> (Child, String) {
    server
        .args([
            "--http-addr",
            "127.0.0.1:0",
            "--mqtt-addr",
            &mqtt.to_string(),
            "serve",
        ])
        .envs(env.iter().copied())
        .stdout(Stdio::piped())
        .stderr(stderr);
    let mut server: Child = server.spawn().unwrap();
    let mut lines = BufReader::new(server.stdout.take().unwrap()).lines();
    let banner = tokio::time::timeout(Duration::from_secs(60), lines.next_line())
        .await
        .unwrap()
        .unwrap()
        .unwrap();
    assert!(banner.contains("http://127.0.0.1:"), "{banner}");
    // Keep reading, so that the server never blocks on a full pipe.
    tokio::spawn(async move { while let Ok(Some(_)) = lines.next_line().await {} });
    (server, banner)
}

/// Runs one administration command (`user add …`, `ccu add …`) on the data folder `data`.
pub(crate) async fn admin(
    data: &std::path::Path,
    args: &[&str],
    stdin: Option<&str>,
) -> (bool, String, String) {
    let mut c = cmd(data);
    c.args(args);
    run(c, stdin).await
}

pub(crate) async fn run(mut c: Command, stdin: Option<&str>) -> (bool, String, String) {
    c.stdin(Stdio::piped())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped());
    let mut child = c.spawn().expect("binary starts");
    if let Some(input) = stdin {
        child
            .stdin
            .take()
            .unwrap()
            .write_all(input.as_bytes())
            .await
            .unwrap();
    } else {
        drop(child.stdin.take());
    }
    let out = child.wait_with_output().await.unwrap();
    (
        out.status.success(),
        String::from_utf8_lossy(&out.stdout).into(),
        String::from_utf8_lossy(&out.stderr).into(),
    )
}

#[tokio::test]
async fn cli_changes_take_effect_in_a_running_server() {
    let data = Data::new().await;
    let (ok, _, err) = run(
        {
            let mut c = data.cmd();
            c.args(["user", "add", "alice"]);
            c
        },
        Some("correct horse battery\n"),
    )
    .await;
    assert!(ok, "{err}");
    let (ok, out, err) = run(
        {
            let mut c = data.cmd();
            c.args(["ccu", "add", "02", "--owner", "alice", "--json"]);
            c
        },
        None,
    )
    .await;
    assert!(ok, "{err}");
    let creds: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    assert_eq!(creds["username"], "02");
    let secret02 = creds["password"].as_str().unwrap().to_string();
    let (ok, _, err) = run(
        {
            let mut c = data.cmd();
            c.args(["outlet", "add", "fe", "--ccu", "02", "--name", "Desk"]);
            c
        },
        None,
    )
    .await;
    assert!(ok, "{err}");

    let mqtt = broker::free_local_addr().unwrap();
    let mut server = serve_cmd(
        data.cmd(),
        mqtt,
        &[("SMART_OUTLET_PRESENCE__REFRESH_INTERVAL", "200ms")],
    )
    .await;

    let mut dev = Device::connect(mqtt, "02", &secret02)
        .await
        .expect("CCU 02 connects");
    let list = dev.next_devices().await;
    assert_eq!(list.devices.len(), 1);

    // A CCU added by the CLI while the server runs can connect at once.
    let (ok, out, err) = run(
        {
            let mut c = data.cmd();
            c.args(["ccu", "add", "03", "--owner", "alice", "--json"]);
            c
        },
        None,
    )
    .await;
    assert!(ok, "{err}");
    let creds: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let _dev03 = Device::connect(mqtt, "03", creds["password"].as_str().unwrap())
        .await
        .expect("CCU 03 connects");

    // An outlet added by the CLI is republished in the CCU's device list.
    let (ok, _, err) = run(
        {
            let mut c = data.cmd();
            c.args(["outlet", "add", "0x1F", "--ccu", "02", "--name", "Lamp"]);
            c
        },
        None,
    )
    .await;
    assert!(ok, "{err}");
    let list = loop {
        let l = dev.next_devices().await;
        if l.devices.len() == 2 {
            break l;
        }
    };
    let ids: Vec<String> = list
        .devices
        .iter()
        .map(|d| d.device_id.to_string())
        .collect();
    assert_eq!(ids, ["1F", "FE"]);
    let _ = server.kill().await;
}

#[tokio::test]
async fn migrate_and_user_errors() {
    let data = Data::new().await;
    let (ok, out, err) = run(
        {
            let mut c = data.cmd();
            c.arg("migrate");
            c
        },
        None,
    )
    .await;
    assert!(ok, "{err}");
    assert!(out.contains("up to date"));
    let (ok, _, err) = run(
        {
            let mut c = data.cmd();
            c.args(["user", "add", "bob"]);
            c
        },
        Some("short\n"),
    )
    .await;
    assert!(!ok);
    assert!(err.contains("password"), "{err}");
    let (ok, _, err) = run(
        {
            let mut c = data.cmd();
            c.args(["ccu", "add", "02", "--owner", "nobody"]);
            c
        },
        None,
    )
    .await;
    assert!(!ok);
    assert!(err.contains("nobody"), "{err}");
}

/// `user add|list|disable|enable|reset-password` on the test's database, checked through the store.
#[tokio::test]
async fn user_admin_commands() {
    let data = Data::new().await;
    let user = |args: &[&str]| {
        let mut c = data.cmd();
        c.arg("user").args(args);
        c
    };
    let pw = "correct horse battery\n";
    let (ok, out, err) = run(user(&["add", "alice"]), Some(pw)).await;
    assert!(
        ok && out.contains("admin"),
        "the first user is admin: {out}{err}"
    );
    let (ok, out, _) = run(user(&["add", "bob"]), Some(pw)).await;
    assert!(ok && out.contains("(id 2, user)"), "{out}");
    let (ok, out, _) = run(user(&["add", "carol", "--admin"]), Some(pw)).await;
    assert!(ok && out.contains("admin"), "{out}");

    let (ok, out, err) = run(user(&["disable", "bob"]), None).await;
    assert!(ok, "{err}");
    assert!(out.contains("disabled"), "{out}");
    let (ok, out, _) = run(user(&["list"]), None).await;
    assert!(ok);
    let lines: Vec<&str> = out.lines().collect();
    assert_eq!(lines.len(), 3, "{out}");
    assert!(lines[0].contains("alice\tadmin\tactive"), "{out}");
    assert!(lines[1].contains("bob\tuser\tdisabled"), "{out}");
    assert!(lines[2].contains("carol\tadmin\tactive"), "{out}");
    let (ok, _, err) = run(user(&["disable", "nobody"]), None).await;
    assert!(!ok && err.contains("nobody"), "{err}");

    // A generated password, printed once, that works (bob is disabled: the right password
    // gets "disabled", a wrong one "invalid credentials").
    let (ok, out, err) = run(user(&["reset-password", "bob"]), None).await;
    assert!(ok, "{err}");
    let new = out
        .lines()
        .find_map(|l| l.strip_prefix("new password (shown once): "))
        .unwrap_or_else(|| panic!("{out}"))
        .to_string();
    assert!(!err.contains(&new), "the password is never logged");
    let store = backend::Store::open(data.db.url(), 1).await.unwrap();
    let check = |p: String| {
        let store = store.clone();
        async move { backend::admin::verify_user(&store, "bob", &p).await }
    };
    assert!(matches!(
        check(new.clone()).await,
        Err(backend::Error::Forbidden(_))
    ));
    assert!(matches!(
        check(pw.trim().into()).await,
        Err(backend::Error::Unauthorized)
    ));
    let (ok, _, _) = run(user(&["enable", "bob"]), None).await;
    assert!(ok);
    assert_eq!(check(new).await.unwrap().username, "bob");

    // From stdin: the policy applies and nothing is echoed.
    let (ok, _, err) = run(user(&["reset-password", "bob", "--stdin"]), Some("short\n")).await;
    assert!(!ok && err.contains("8"), "{err}");
    let (ok, out, err) = run(
        user(&["reset-password", "bob", "--stdin"]),
        Some("another long password\n"),
    )
    .await;
    assert!(ok, "{err}");
    assert!(!out.contains("another long") && !err.contains("another long"));
    assert!(check("another long password".into()).await.is_ok());
}

/// `user disable` from the CLI ends a running server's session and API token at once.
#[tokio::test]
async fn disabling_from_the_cli_locks_out_a_running_server_at_once() {
    let app = system_tests::spawn_app().await;
    app.add_user("alice").await;
    let base = format!("http://{}/api/v1", app.http_addr);
    let http = reqwest::Client::builder()
        .cookie_store(true)
        .build()
        .unwrap();
    let creds = serde_json::json!({"username": "alice", "password": "correct horse battery"});
    let r = http
        .post(format!("{base}/auth/login"))
        .json(&creds)
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), 200);
    let me = || http.get(format!("{base}/auth/me")).send();
    assert_eq!(me().await.unwrap().status(), 200);
    let mut c = cmd(app.dir.path());
    c.env("SMART_OUTLET_DATABASE__URL", &app.database_url)
        .args(["user", "disable", "alice"]);
    let (ok, _, err) = run(c, None).await;
    assert!(ok, "{err}");
    assert_eq!(me().await.unwrap().status(), 401);
}

/// `ccu bind` / `ccu unbind` manage an old-firmware CCU's address; `ccu list` shows it.
#[tokio::test]
async fn ccu_bind_and_unbind_manage_the_legacy_address() {
    let data = Data::new().await;
    let (ok, _, err) = data
        .admin(&["user", "add", "alice"], Some("correct horse battery\n"))
        .await;
    assert!(ok, "{err}");
    let (ok, _, err) = data
        .admin(
            &[
                "ccu",
                "add",
                "02",
                "--owner",
                "alice",
                "--transport",
                "http",
            ],
            None,
        )
        .await;
    assert!(ok, "{err}");
    let (ok, out, err) = data.admin(&["ccu", "list"], None).await;
    assert!(ok, "{err}");
    assert!(
        out.contains("\tlegacy=learning ("),
        "a new HTTP CCU learns: {out}"
    );
    let (ok, out, err) = data
        .admin(&["ccu", "bind", "02", "192.168.1.20"], None)
        .await;
    assert!(ok, "{err}");
    assert!(out.contains("bound to 192.168.1.20"), "{out}");
    let (_, out, _) = data.admin(&["ccu", "list"], None).await;
    assert!(out.contains("\tlegacy=bound 192.168.1.20"), "{out}");
    // An address the shim never serves, and nonsense, are refused.
    let (ok, _, err) = data
        .admin(&["ccu", "bind", "02", "203.0.113.9"], None)
        .await;
    assert!(!ok && err.contains("legacy.allowed_networks"), "{err}");
    let (ok, _, _) = data.admin(&["ccu", "bind", "02", "not-an-ip"], None).await;
    assert!(!ok);
    let (ok, out, err) = data.admin(&["ccu", "unbind", "02"], None).await;
    assert!(ok, "{err}");
    assert!(out.contains("unbound"), "{out}");
    let (_, out, _) = data.admin(&["ccu", "list"], None).await;
    assert!(out.contains("\tlegacy=learning ("), "{out}");
    let (ok, _, err) = data.admin(&["ccu", "unbind", "99"], None).await;
    assert!(!ok, "an unknown CCU: {err}");
}
