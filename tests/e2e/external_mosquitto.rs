//! An external Mosquitto with dynamic security: the server provisions one login and one role
//! per CCU, and the broker holds every CCU to its own topics.
//!
//! Needs `mosquitto` and `mosquitto_ctrl` (`apt-get install mosquitto mosquitto-clients`) and
//! the dynamic-security plugin that Debian's Mosquitto 2 ships (`MOSQUITTO_DYNSEC` overrides
//! its path).

use backend::commands::{Actor, NewCommand};
use backend::domain::{Socket, Source};
use rumqttc::{AsyncClient, Event, EventLoop, MqttOptions, Packet, QoS, SubscribeReasonCode};
use serde_json::json;
use settings::{MqttMode, Provisioning, Secret, Settings};
use std::path::{Path, PathBuf};
use std::time::Duration;
use system_tests::device::{connack, options};
use system_tests::{Device, TestApp, spawn_app_with, wait_for, wait_until};
use tokio::process::{Child, Command};
use tokio::sync::mpsc;

pub(crate) const ADMIN: &str = "smart-outlet-backend";
pub(crate) const ADMIN_PASSWORD: &str = "test-admin-password-1";
const DEADLINE: Duration = Duration::from_secs(15);

/// A Mosquitto with the dynsec plugin on a free port; killed on drop.
pub(crate) struct Mosquitto {
    child: Child,
    pub(crate) port: u16,
    dir: tempfile::TempDir,
}

fn dynsec_plugin() -> PathBuf {
    if let Some(p) = std::env::var_os("MOSQUITTO_DYNSEC") {
        return p.into();
    }
    let candidates = [
        "/usr/lib/x86_64-linux-gnu/mosquitto_dynamic_security.so",
        "/usr/lib/aarch64-linux-gnu/mosquitto_dynamic_security.so",
        "/usr/lib/mosquitto_dynamic_security.so",
        "/usr/local/lib/mosquitto_dynamic_security.so",
    ];
    candidates
        .iter()
        .map(PathBuf::from)
        .find(|p| p.exists())
        .expect("Mosquitto's dynamic-security plugin (apt-get install mosquitto)")
}

fn binary(name: &str) -> String {
    for dir in ["/usr/sbin", "/usr/bin", "/usr/local/sbin", "/usr/local/bin"] {
        let p = Path::new(dir).join(name);
        if p.exists() {
            return p.display().to_string();
        }
    }
    name.to_string()
}

impl Mosquitto {
    pub(crate) async fn start() -> Mosquitto {
        let dir = tempfile::tempdir().expect("temp dir");
        let dynsec = dir.path().join("dynsec.json");
        let out = Command::new(binary("mosquitto_ctrl"))
            .args(["dynsec", "init"])
            .arg(&dynsec)
            .args([ADMIN, ADMIN_PASSWORD])
            .output()
            .await
            .expect("mosquitto_ctrl runs (apt-get install mosquitto-clients)");
        assert!(
            out.status.success(),
            "{}",
            String::from_utf8_lossy(&out.stderr)
        );
        // Started as root, Mosquitto drops to its own user, which must still save the file.
        use std::os::unix::fs::PermissionsExt;
        let open = std::fs::Permissions::from_mode;
        std::fs::set_permissions(dir.path(), open(0o777)).expect("chmod dir");
        std::fs::set_permissions(&dynsec, open(0o666)).expect("chmod dynsec.json");
        let port = broker::free_local_addr().expect("free port").port();
        let conf = dir.path().join("mosquitto.conf");
        std::fs::write(
            &conf,
            format!(
                "listener {port} 127.0.0.1\nallow_anonymous false\npersistence false\n\
                 max_inflight_messages 0\nmax_queued_messages 1000000\n\
                 log_dest stderr\nplugin {}\nplugin_opt_config_file {}\n",
                dynsec_plugin().display(),
                dynsec.display()
            ),
        )
        .expect("write config");
        let child = Self::launch(&conf, port).await;
        Mosquitto { child, port, dir }
    }

    /// Runs `mosquitto -c conf` and waits until it listens on `port`.
    async fn launch(conf: &Path, port: u16) -> Child {
        let child = Command::new(binary("mosquitto"))
            .arg("-c")
            .arg(conf)
            .stderr(if std::env::var_os("TEST_LOG").is_some() {
                std::process::Stdio::inherit()
            } else {
                std::process::Stdio::null()
            })
            .kill_on_drop(true)
            .spawn()
            .expect("mosquitto runs (apt-get install mosquitto)");
        wait_until("mosquitto to listen", || async move {
            tokio::net::TcpStream::connect(("127.0.0.1", port))
                .await
                .is_ok()
        })
        .await;
        child
    }

    /// Kills the broker (every session ends, retained messages are lost: no persistence).
    pub(crate) async fn kill(&mut self) {
        self.child.kill().await.expect("kill mosquitto");
    }

    /// Starts it again on the same port with the same logins (dynsec.json).
    pub(crate) async fn restart(&mut self) {
        self.child = Self::launch(&self.dir.path().join("mosquitto.conf"), self.port).await;
    }
}

pub(crate) async fn spawn_on(m: &Mosquitto) -> TestApp {
    let port = m.port;
    spawn_app_with(move |s| use_mosquitto(s, port)).await
}

/// Points the server at the test's Mosquitto (on `port`), provisioning CCUs through its
/// dynamic-security plugin.
pub(crate) fn use_mosquitto(s: &mut Settings, port: u16) {
    s.mqtt.mode = MqttMode::External;
    let e = &mut s.mqtt.external;
    e.host = "127.0.0.1".into();
    e.port = port;
    e.username = ADMIN.into();
    e.password = Secret::new(ADMIN_PASSWORD);
    e.provisioning = Provisioning::MosquittoDynsec;
}

/// A raw MQTT client whose events arrive on a channel; `None` = the connection ended.
pub(crate) struct Raw {
    pub(crate) client: AsyncClient,
    rx: mpsc::UnboundedReceiver<Option<Packet>>,
}

impl Raw {
    pub(crate) async fn connect(opts: MqttOptions) -> Result<Raw, rumqttc::ConnectionError> {
        let (client, mut ev) = AsyncClient::new(opts, 100);
        tokio::time::timeout(DEADLINE, connack(&mut ev))
            .await
            .expect("CONNACK or refusal in time")?;
        let (tx, rx) = mpsc::unbounded_channel();
        tokio::spawn(pump(ev, tx));
        Ok(Raw { client, rx })
    }

    pub(crate) async fn next(&mut self, what: &str) -> Option<Packet> {
        tokio::time::timeout(DEADLINE, self.rx.recv())
            .await
            .unwrap_or_else(|_| panic!("timed out waiting for {what}"))
            .flatten()
    }

    /// Subscribes to one filter and returns the broker's answer.
    pub(crate) async fn subscribe(&mut self, filter: &str) -> SubscribeReasonCode {
        self.client
            .subscribe(filter, QoS::AtLeastOnce)
            .await
            .unwrap();
        loop {
            match self.next("SUBACK").await {
                Some(Packet::SubAck(a)) => return a.return_codes[0],
                Some(_) => {}
                None => panic!("connection closed before SUBACK for {filter}"),
            }
        }
    }

    /// Publishes at QoS 1 and waits for the PUBACK (Mosquitto acknowledges a denied publish
    /// too, after it has dropped it: MQTT 3.1.1 has no way to say no).
    pub(crate) async fn publish_acked(&mut self, topic: &str, payload: String, retain: bool) {
        self.client
            .publish(topic, QoS::AtLeastOnce, retain, payload)
            .await
            .unwrap();
        loop {
            match self.next("PUBACK").await {
                Some(Packet::PubAck(_)) => return,
                Some(_) => {}
                None => panic!("connection closed before PUBACK on {topic}"),
            }
        }
    }

    /// Waits until the broker closes the connection.
    pub(crate) async fn closed(&mut self, what: &str) {
        while self.next(what).await.is_some() {}
    }
}

async fn pump(mut ev: EventLoop, tx: mpsc::UnboundedSender<Option<Packet>>) {
    loop {
        match ev.poll().await {
            Ok(Event::Incoming(p)) => {
                if tx.send(Some(p)).is_err() {
                    return;
                }
            }
            Ok(Event::Outgoing(_)) => {}
            Err(_) => {
                let _ = tx.send(None);
                return;
            }
        }
    }
}

async fn refused(m: &Mosquitto, id: &str, secret: &str) -> bool {
    let addr = ([127, 0, 0, 1], m.port).into();
    Raw::connect(options(addr, id, secret)).await.is_err()
}

#[tokio::test]
async fn dynsec_gives_each_ccu_only_its_own_topics() {
    let m = Mosquitto::start().await;
    let app = spawn_on(&m).await;
    let user = app.add_user("alice").await;
    let secret_a = app.add_ccu(&user, "0A").await;
    let secret_b = app.add_ccu(&user, "0B").await;
    let outlet_a = app.add_outlet("0A", "FE", "A's desk").await;
    let outlet_b = app.add_outlet("0B", "FD", "B's desk").await;
    let mut b = app.device("0B", &secret_b).await;
    let store = app.store().clone();
    let backend = app.backend().clone();
    wait_until("B online", || {
        let backend = backend.clone();
        async move { backend.state().ccu("0B").is_some_and(|c| c.online) }
    })
    .await;

    // A connects with its secret; its own topics are allowed.
    let mut a = Raw::connect(options(app.mqtt_addr, "0A", &secret_a))
        .await
        .expect("A connects with its secret");
    assert!(matches!(
        a.subscribe("ccu/0A/cmd").await,
        SubscribeReasonCode::Success(_)
    ));
    // Everything beyond them is refused with SUBACK 0x80.
    for filter in ["#", "ccu/+/cmd", "ccu/0B/devices", "ccu/0B/#", "$CONTROL/#"] {
        assert_eq!(
            a.subscribe(filter).await,
            SubscribeReasonCode::Failure,
            "A subscribing to {filter}"
        );
    }

    // A forged command on B's topic never reaches B: the next command B gets is a real one.
    a.publish_acked(
        "ccu/0B/cmd",
        json!({"id":"forged","device_id":"FD","command":"relay_off","socket":"a"}).to_string(),
        false,
    )
    .await;
    let real = app
        .backend()
        .send_command(
            Actor::System(Source::Cli),
            NewCommand::relay(outlet_b.id, Socket::A, true),
        )
        .await
        .unwrap();
    assert_eq!(b.next_command().await.id.as_str(), real.id);

    // A reading A publishes for B's outlet on B's topic is dropped by the broker: A's own
    // reading, published after it on the same connection, is stored and B's outlet has none.
    let reading = |device: &str, ma: i64| {
        json!({"device_id": device, "current_a": ma, "current_b": 0, "relay_a": true}).to_string()
    };
    a.publish_acked("ccu/0B/sensor", reading("FD", 9999), false)
        .await;
    a.publish_acked("ccu/0A/sensor", reading("FE", 1500), false)
        .await;
    wait_for("A's own reading stored", || {
        let store = store.clone();
        async move {
            let r = store.readings(outlet_a.id, 0, i64::MAX, 10).await.unwrap();
            (!r.is_empty()).then_some(())
        }
    })
    .await;
    app.backend().flush().await;
    let forged = store.readings(outlet_b.id, 0, i64::MAX, 10).await.unwrap();
    assert!(forged.is_empty(), "a forged reading was stored: {forged:?}");

    // A's retained "offline" for B changes nothing: the retained status is still B's own and
    // the server still has B online.
    a.publish_acked("ccu/0B/status", json!({"online": false}).to_string(), true)
        .await;
    let mut admin_opts = MqttOptions::new("smart-outlet-backend-test", "127.0.0.1", m.port);
    admin_opts
        .set_credentials(ADMIN, ADMIN_PASSWORD)
        .set_keep_alive(Duration::from_secs(5));
    let mut watcher = Raw::connect(admin_opts).await.expect("admin connects");
    assert!(matches!(
        watcher.subscribe("ccu/0B/status").await,
        SubscribeReasonCode::Success(_)
    ));
    let retained = loop {
        match watcher.next("the retained status of B").await {
            Some(Packet::Publish(p)) => break p,
            Some(_) => {}
            None => panic!("watcher closed"),
        }
    };
    let status: serde_json::Value = serde_json::from_slice(&retained.payload).unwrap();
    assert_eq!(status["online"], true, "{status}");
    assert!(backend.state().ccu("0B").is_some_and(|c| c.online));

    // Rotating A's secret drops A's session; the old secret no longer connects, the new does.
    let new_a = app
        .backend()
        .rotate_ccu_secret(backend::Actor::CLI, "0A")
        .await
        .expect("rotation provisioned");
    a.closed("A's session to be dropped").await;
    assert!(refused(&m, "0A", &secret_a).await, "old secret of A");
    let _a2 = Device::connect(app.mqtt_addr, "0A", &new_a)
        .await
        .expect("new secret of A connects");

    // Removing B disconnects it and refuses its login.
    app.backend()
        .delete_ccu(backend::Actor::User(user.id), "0B")
        .await
        .unwrap();
    tokio::time::timeout(DEADLINE, async { while b.rx.recv().await.is_some() {} })
        .await
        .expect("B's session ends when B is removed");
    assert!(refused(&m, "0B", &secret_b).await, "removed B");
    assert_eq!(app.backend().provisioning_failures(), 0);
}

#[tokio::test]
async fn ccus_that_existed_before_provisioning_get_their_role_and_a_login_on_rotation() {
    let m = Mosquitto::start().await;
    // A server without provisioning registers C; the broker knows nothing of it.
    let plain = spawn_app_with(|_| {}).await;
    let user = plain.add_user("carol").await;
    let old = plain.add_ccu(&user, "0C").await;
    let url = plain.database_url.clone();
    plain.app.stop().await;
    // The same database, now with provisioning: C's role is ensured at start, but it has no
    // login until its secret is rotated.
    let port = m.port;
    let app = spawn_app_with(move |s| {
        s.database.url = Secret::new(url);
        use_mosquitto(s, port);
    })
    .await;
    assert!(refused(&m, "0C", &old).await, "no broker login yet");
    let new = app
        .backend()
        .rotate_ccu_secret(backend::Actor::CLI, "0C")
        .await
        .unwrap();
    let mut c = Raw::connect(options(app.mqtt_addr, "0C", &new))
        .await
        .expect("C connects after rotation");
    assert!(matches!(
        c.subscribe("ccu/0C/devices").await,
        SubscribeReasonCode::Success(_)
    ));
    assert_eq!(
        c.subscribe("ccu/0D/devices").await,
        SubscribeReasonCode::Failure
    );
    assert_eq!(app.backend().provisioning_failures(), 0);
}
