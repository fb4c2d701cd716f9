//! The legacy HTTP cycle of a simulated CCU against a scripted HTTP server (real sockets, real
//! time): exact requests, one connection per request, commands reaching the PICs, the
//! background round robin, failure counting and an outage.

use ccu_sim::{DeviceId, LegacyHttpConfig, SimCcu, SimCcuConfig, Socket, device_ids};
use std::collections::{HashMap, VecDeque};
use std::net::SocketAddr;
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::io::{AsyncBufReadExt, AsyncReadExt, AsyncWriteExt, BufReader};
use tokio::net::TcpListener;
use tokio::task::JoinHandle;

const FE: DeviceId = DeviceId(0xFE);
const FD: DeviceId = DeviceId(0xFD);
const NO_COMMANDS: &str = r#"{"success": true, "commands": []}"#;

/// One request as the server saw it.
#[derive(Debug, Clone)]
struct Seen {
    method: String,
    path: String,
    content_type: Option<String>,
    body: String,
    /// Requests before this one on the same connection.
    on_connection: usize,
}

/// What the server answers.
#[derive(Debug, Clone)]
struct Script {
    devices: String,
    focus: String,
    data_status: u16,
    commands: HashMap<String, VecDeque<String>>,
}

impl Script {
    fn new(devices: &[&str], focus: Option<&str>) -> Script {
        let list: Vec<String> = devices.iter().map(|d| format!("\"{d}\"")).collect();
        let focus = focus.map_or_else(|| "null".to_string(), |f| format!("\"{f}\""));
        Script {
            devices: format!(r#"{{"success": true, "devices": [{}]}}"#, list.join(", ")),
            focus: format!(r#"{{"success": true, "device_id": {focus}}}"#),
            data_status: 200,
            commands: HashMap::new(),
        }
    }

    fn answer(&mut self, method: &str, path: &str) -> (u16, String) {
        let ok = r#"{"success": true, "message": "ok"}"#.to_string();
        match (method, path) {
            ("GET", "/api/devices/") => (200, self.devices.clone()),
            ("GET", "/api/focus/") => (200, self.focus.clone()),
            ("POST", "/api/breaker-data/") => (200, ok),
            ("POST", "/api/data/") => (self.data_status, ok),
            ("GET", p) if p.starts_with("/api/commands/") => {
                let next = self.commands.get_mut(p).and_then(VecDeque::pop_front);
                (200, next.unwrap_or_else(|| NO_COMMANDS.to_string()))
            }
            _ => (404, r#"{"success": false}"#.to_string()),
        }
    }
}

struct Server {
    addr: SocketAddr,
    log: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<Script>>,
    task: JoinHandle<()>,
}

impl Server {
    async fn start(script: Script) -> Server {
        Server::bind("127.0.0.1:0".parse().unwrap(), script).await
    }

    async fn bind(addr: SocketAddr, script: Script) -> Server {
        let listener = TcpListener::bind(addr).await.unwrap();
        let addr = listener.local_addr().unwrap();
        let log = Arc::new(Mutex::new(Vec::new()));
        let script = Arc::new(Mutex::new(script));
        let (l, s) = (log.clone(), script.clone());
        let task = tokio::spawn(async move {
            while let Ok((stream, _)) = listener.accept().await {
                tokio::spawn(serve(stream, l.clone(), s.clone()));
            }
        });
        Server {
            addr,
            log,
            script,
            task,
        }
    }

    fn url(&self) -> String {
        format!("http://{}/", self.addr)
    }

    fn seen(&self) -> Vec<Seen> {
        self.log.lock().unwrap().clone()
    }

    fn data_posts(&self) -> Vec<serde_json::Value> {
        self.seen()
            .into_iter()
            .filter(|s| s.path == "/api/data/")
            .map(|s| serde_json::from_str(&s.body).unwrap())
            .collect()
    }
}

/// Answers requests on one connection until the client closes it.
async fn serve(
    stream: tokio::net::TcpStream,
    log: Arc<Mutex<Vec<Seen>>>,
    script: Arc<Mutex<Script>>,
) {
    let (read, mut write) = stream.into_split();
    let mut read = BufReader::new(read);
    for on_connection in 0.. {
        let mut line = String::new();
        if read.read_line(&mut line).await.unwrap_or(0) == 0 {
            return;
        }
        let mut parts = line.split_whitespace();
        let method = parts.next().unwrap_or_default().to_string();
        let path = parts.next().unwrap_or_default().to_string();
        let (mut length, mut content_type) = (0, None);
        loop {
            let mut header = String::new();
            if read.read_line(&mut header).await.unwrap_or(0) == 0 {
                return;
            }
            let Some((name, value)) = header.trim_end().split_once(':') else {
                break;
            };
            match name.to_ascii_lowercase().as_str() {
                "content-length" => length = value.trim().parse().unwrap(),
                "content-type" => content_type = Some(value.trim().to_string()),
                _ => {}
            }
        }
        let mut body = vec![0; length];
        read.read_exact(&mut body).await.unwrap();
        let (status, reply) = script.lock().unwrap().answer(&method, &path);
        log.lock().unwrap().push(Seen {
            method,
            path,
            content_type,
            body: String::from_utf8(body).unwrap(),
            on_connection,
        });
        let head = format!(
            "HTTP/1.1 {status} X\r\nContent-Type: application/json\r\nContent-Length: {}\r\n\r\n",
            reply.len()
        );
        if write.write_all((head + &reply).as_bytes()).await.is_err() {
            return;
        }
    }
}

fn legacy_ccu(server: &Server, n_outlets: usize, background: Duration) -> SimCcu {
    let http =
        LegacyHttpConfig::new(server.url()).with_cadence(Duration::from_millis(100), background);
    let config = SimCcuConfig::legacy_http("02", http)
        .with_device_ids(device_ids(n_outlets))
        .fast();
    SimCcu::start(config).unwrap()
}

async fn eventually(what: &str, mut check: impl FnMut() -> bool) {
    let deadline = tokio::time::Instant::now() + Duration::from_secs(15);
    while !check() {
        assert!(tokio::time::Instant::now() < deadline, "timed out: {what}");
        tokio::time::sleep(Duration::from_millis(20)).await;
    }
}

#[tokio::test]
async fn the_cycle_sends_the_old_firmware_s_requests_and_runs_fetched_commands() {
    let mut script = Script::new(&["FE", "0XFD"], Some("FE"));
    script.commands.insert(
        "/api/commands/FE/".into(),
        VecDeque::from([r#"{"success": true, "commands": [{"command": "relay_on", "socket": "a", "value": null}, {"command": "set_threshold", "socket": "", "value": 2500}, {"command": "ping", "socket": "", "value": null}]}"#.to_string()]),
    );
    let server = Server::start(script).await;
    let ccu = legacy_ccu(&server, 2, Duration::from_secs(3600));

    ccu.wait_until(|s| s.connected && s.outlets == 2)
        .await
        .unwrap();
    eventually("relay FE/A closed by the fetched command", || {
        ccu.relay(FE, Socket::A).unwrap()
    })
    .await;
    eventually("the threshold reached the PIC", || {
        ccu.with_pic(FE, |pic, _| pic.socket(Socket::A).threshold_ma() == 2500)
            .unwrap()
    })
    .await;
    eventually("a reading with relay A on", || {
        server.data_posts().iter().any(|r| r["relay_a"] == true)
    })
    .await;
    eventually("a breaker post", || {
        server.seen().iter().any(|s| s.path == "/api/breaker-data/")
    })
    .await;
    ccu.stop().await.unwrap();

    let seen = server.seen();
    for s in &seen {
        assert_eq!(s.on_connection, 0, "one connection per request: {s:?}");
        let want = (s.method == "POST").then(|| "application/json".to_string());
        assert_eq!(s.content_type, want, "{s:?}");
        assert!(!s.body.contains(' '), "no spaces: {}", s.body);
    }
    assert_eq!(seen.first().map(|s| s.path.as_str()), Some("/api/devices/"));
    let breaker = seen
        .iter()
        .find(|s| s.path == "/api/breaker-data/")
        .unwrap();
    let value: serde_json::Value = serde_json::from_str(&breaker.body).unwrap();
    assert_eq!(
        breaker.body,
        format!(r#"{{"ccu_id":"02","current_ma":{}}}"#, value["current_ma"])
    );
    // Only the focused outlet is served (the background interval never passed).
    let posts = server.data_posts();
    assert!(posts.iter().all(|r| r["device_id"] == "FE"), "{posts:?}");
    let on = posts.iter().find(|r| r["relay_a"] == true).unwrap();
    let body = format!(
        r#"{{"device_id":"FE","current_a":{},"current_b":{},"relay_a":true,"relay_b":{},"is_overload":false}}"#,
        on["current_a"], on["current_b"], on["relay_b"]
    );
    assert!(seen.iter().any(|s| s.body == body), "exact body: {body}");
    let stats = ccu.legacy().unwrap().stats();
    assert_eq!(stats.commands_executed, 2, "ping is ignored");
    assert_eq!(stats.transport_errors, 0);
    assert_eq!(ccu.legacy().unwrap().devices(), [FE, FD]);
}

#[tokio::test]
async fn background_round_robin_skips_the_focused_outlet() {
    let server = Server::start(Script::new(&["FE", "FD", "FC"], Some("FD"))).await;
    let ccu = legacy_ccu(&server, 3, Duration::from_millis(150));
    eventually("four background posts", || {
        server
            .data_posts()
            .iter()
            .filter(|r| r["device_id"] != "FD")
            .count()
            >= 4
    })
    .await;
    ccu.stop().await.unwrap();

    let others: Vec<String> = server
        .data_posts()
        .iter()
        .filter(|r| r["device_id"] != "FD")
        .map(|r| r["device_id"].as_str().unwrap().to_string())
        .collect();
    for pair in others.windows(2) {
        assert_ne!(pair[0], pair[1], "round robin: {others:?}");
    }
    // Per cycle (from one focus GET to the next), FD is posted at most once.
    let mut fd_in_cycle = 0;
    for s in server.seen() {
        if s.path == "/api/focus/" {
            fd_in_cycle = 0;
        } else if s.path == "/api/data/" && s.body.contains("\"FD\"") {
            fd_in_cycle += 1;
            assert_eq!(fd_in_cycle, 1, "the focused outlet is skipped");
        }
    }
}

#[tokio::test]
async fn failures_are_counted_and_an_outage_buffers_then_flushes() {
    let mut script = Script::new(&["FE"], Some("FE"));
    script.data_status = 500;
    script.commands.insert(
        "/api/commands/FE/".into(),
        VecDeque::from([r#"{"commands": []}"#.to_string()]),
    );
    let server = Server::start(script.clone()).await;
    let ccu = legacy_ccu(&server, 1, Duration::from_secs(3600));
    let legacy = ccu.legacy().unwrap().clone();
    eventually("failed cycles", || legacy.stats().failed_cycles >= 2).await;
    assert!(
        ccu.snapshot().connected,
        "a refused POST still reached the server"
    );
    server.script.lock().unwrap().data_status = 201;
    let failed = legacy.stats().failed_cycles;
    eventually("a posted reading", || legacy.stats().readings_posted > 0).await;

    // The server goes away: the core buffers its readings.
    let addr = server.addr;
    server.task.abort();
    drop(server);
    ccu.wait_until(|s| !s.connected && s.buffered_readings > 0)
        .await
        .unwrap();
    assert!(legacy.stats().transport_errors > 0);
    assert!(legacy.stats().failed_cycles > failed, "failed POSTs count");

    // It comes back on the same address: the buffer is flushed and posting resumes.
    script.data_status = 200;
    let server = Server::bind(addr, script).await;
    ccu.wait_until(|s| s.connected && s.buffered_readings == 0)
        .await
        .unwrap();
    eventually("readings posted again", || !server.data_posts().is_empty()).await;
    ccu.stop().await.unwrap();
}

#[test]
fn bad_settings_are_refused() {
    let runtime = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .unwrap();
    let _guard = runtime.enter();
    for url in ["https://example.com", "not a url", "ftp://h/"] {
        let config = SimCcuConfig::legacy_http("02", LegacyHttpConfig::new(url));
        assert!(
            matches!(
                SimCcu::start(config),
                Err(ccu_sim::SimError::InvalidLegacyHttp { .. })
            ),
            "{url}"
        );
    }
    let zero = LegacyHttpConfig::new("http://h").with_cadence(Duration::ZERO, Duration::ZERO);
    assert!(SimCcu::start(SimCcuConfig::legacy_http("02", zero)).is_err());
}
