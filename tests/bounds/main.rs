//! Bounded everything: request bodies (413 early, memory flat), history ranges and bucket
//! counts (400, never 500), the CSV export (streamed, every row, memory flat), paging, and the
//! time window of readings (rejected, counted, told to the CCU; back-dated rows bounded).
//!
//! The memory checks read this process's `VmRSS`: the server runs in-process. So this is a
//! test binary of its own (no other suite's tests share the process) and every test takes one
//! lock, so that they run one at a time and never measure each other.

use backend::metrics::RejectReason;
use backend::store::{Batch, SensorRow};
use reqwest::{Client, StatusCode};
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use system_tests::{TestApp, spawn_app, spawn_app_with, wait_for, wait_until};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;
const DAY_MS: i64 = 86_400_000;

/// One memory measurement at a time in this process.
async fn memory_lock() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

/// This process's resident set size in bytes (`VmRSS`), or one part of it (`RssAnon`: heap
/// and stacks, without file pages such as SQLite's memory-mapped database).
fn rss_field(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
        * 1024
}

fn rss() -> u64 {
    rss_field("VmRSS:")
}

fn rss_anon() -> u64 {
    rss_field("RssAnon:")
}

/// A logged-in session: `Cookie` and `X-CSRF-Token` header values, and a client with them.
struct Session {
    cookie: String,
    csrf: String,
    http: Client,
    base: String,
}

async fn login(app: &TestApp, name: &str) -> Session {
    let http = Client::builder().cookie_store(true).build().unwrap();
    let base = format!("http://{}/api/v1", app.http_addr);
    let r = http
        .post(format!("{base}/auth/login"))
        .json(&json!({"username": name, "password": "correct horse battery"}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    let cookie = r.headers()["set-cookie"]
        .to_str()
        .unwrap()
        .split(';')
        .next()
        .unwrap()
        .to_string();
    let v: Value = r.json().await.unwrap();
    Session {
        cookie,
        csrf: v["csrf_token"].as_str().unwrap().to_string(),
        http,
        base,
    }
}

impl Session {
    async fn get(&self, path: &str) -> (StatusCode, Value) {
        let r = self
            .http
            .get(format!("{}{path}", self.base))
            .send()
            .await
            .unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }
}

#[derive(Clone, Copy, Debug)]
enum Framing {
    /// `Content-Length: 1073741824`, then the bytes.
    Length,
    /// `Transfer-Encoding: chunked`, no length.
    Chunked,
}

#[derive(Debug)]
struct Outcome {
    status: u16,
    body: String,
    /// Bytes of body the client had written when the first byte of the answer arrived.
    sent_at_answer: u64,
    /// Bytes of body written in all (until the server closed the connection).
    sent_total: u64,
    /// The writer stopped on an error (connection closed) rather than finishing the GiB.
    cut_off: bool,
}

/// POSTs a 1 GiB body to `path` over a raw socket, the bytes streamed while the answer is
/// read.
async fn post_gib(
    addr: SocketAddr,
    path: &str,
    headers: &[(&str, &str)],
    framing: Framing,
) -> Outcome {
    let stream = tokio::net::TcpStream::connect(addr).await.expect("connect");
    let (mut rd, mut wr) = stream.into_split();
    let mut head =
        format!("POST {path} HTTP/1.1\r\nHost: {addr}\r\nContent-Type: application/json\r\n");
    for (k, v) in headers {
        head.push_str(&format!("{k}: {v}\r\n"));
    }
    head.push_str(match framing {
        Framing::Length => "Content-Length: 1073741824\r\n\r\n",
        Framing::Chunked => "Transfer-Encoding: chunked\r\n\r\n",
    });
    let sent = Arc::new(AtomicU64::new(0));
    let counter = sent.clone();
    let writer = tokio::spawn(async move {
        wr.write_all(head.as_bytes()).await?;
        let chunk = vec![b'x'; 64 * 1024];
        let mut total = 0u64;
        while total < GIB {
            match framing {
                Framing::Length => wr.write_all(&chunk).await?,
                Framing::Chunked => {
                    wr.write_all(b"10000\r\n").await?;
                    wr.write_all(&chunk).await?;
                    wr.write_all(b"\r\n").await?;
                }
            }
            total += chunk.len() as u64;
            counter.store(total, Ordering::Relaxed);
        }
        if let Framing::Chunked = framing {
            wr.write_all(b"0\r\n\r\n").await?;
        }
        Ok::<(), std::io::Error>(())
    });
    let mut buf = Vec::new();
    let mut sent_at_answer = None;
    let read = tokio::time::timeout(Duration::from_secs(60), async {
        let mut tmp = [0u8; 4096];
        loop {
            let n = match rd.read(&mut tmp).await {
                Ok(0) | Err(_) => break,
                Ok(n) => n,
            };
            sent_at_answer.get_or_insert_with(|| sent.load(Ordering::Relaxed));
            buf.extend_from_slice(&tmp[..n]);
            if response_complete(&buf) {
                break;
            }
        }
    })
    .await;
    assert!(read.is_ok(), "no answer within 60 s");
    let written = tokio::time::timeout(Duration::from_secs(60), writer)
        .await
        .expect("the server must close the connection: the writer is still writing")
        .expect("writer task");
    let text = String::from_utf8_lossy(&buf).to_string();
    Outcome {
        status: text.get(9..12).and_then(|c| c.parse().ok()).unwrap_or(0),
        body: text
            .split_once("\r\n\r\n")
            .map(|(_, b)| b.to_string())
            .unwrap_or_default(),
        sent_at_answer: sent_at_answer.unwrap_or(u64::MAX),
        sent_total: sent.load(Ordering::Relaxed),
        cut_off: written.is_err(),
    }
}

/// Headers and a `Content-Length` body are in.
fn response_complete(buf: &[u8]) -> bool {
    let text = String::from_utf8_lossy(buf);
    let Some((head, body)) = text.split_once("\r\n\r\n") else {
        return false;
    };
    head.lines()
        .find_map(|l| {
            l.to_ascii_lowercase()
                .strip_prefix("content-length:")
                .and_then(|v| v.trim().parse::<usize>().ok())
        })
        .is_some_and(|len| body.len() >= len)
}

/// A route to push a body at: path, extra headers, whether it answers in the legacy shape.
type Route<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);

#[tokio::test]
async fn a_gib_request_body_is_refused_early_and_memory_stays_flat() {
    let _serial = memory_lock().await;
    let app = spawn_app().await;
    let user = app.add_user("alice").await;
    let _ = app.add_ccu(&user, "02").await;
    let s = login(&app, "alice").await;
    let auth_headers = [
        ("Cookie", s.cookie.as_str()),
        ("X-CSRF-Token", s.csrf.as_str()),
    ];
    // (path, extra headers, legacy body shape)
    let routes: [Route<'_>; 3] = [
        ("/api/v1/auth/login", &[], false),
        ("/api/v1/outlets", &auth_headers, false),
        ("/api/data/", &[], true),
    ];
    let before = rss();
    let mut refused = 0;
    for (path, headers, legacy) in routes {
        for framing in [Framing::Length, Framing::Chunked] {
            let o = post_gib(app.http_addr, path, headers, framing).await;
            let what = format!("{path} {framing:?}: {o:?}");
            assert_eq!(o.status, 413, "{what}");
            let v: Value = serde_json::from_str(&o.body).expect("JSON body");
            if legacy {
                assert!(
                    o.body.starts_with(r#"{"success": false, "message": "#),
                    "{what}"
                );
            } else {
                assert_eq!(v["code"], "payload_too_large", "{what}");
            }
            assert!(v["message"].as_str().unwrap().contains("bytes"), "{what}");
            assert!(o.sent_at_answer < 16 * MIB, "answered late: {what}");
            assert!(
                o.cut_off && o.sent_total < 64 * MIB,
                "connection not closed: {what}"
            );
            refused += 1;
        }
    }
    let growth = rss().saturating_sub(before);
    eprintln!(
        "6 x 1 GiB bodies refused; VmRSS before {} MiB, growth {} KiB",
        before / MIB,
        growth / 1024
    );
    assert!(growth < 64 * MIB, "memory grew by {growth} bytes");

    // The auth routes have the small limit: 5 KiB is too much there, not elsewhere.
    let pad = "x".repeat(5 * 1024);
    let r = s
        .http
        .post(format!("{}/auth/login", s.base))
        .json(&json!({"username": "alice", "password": pad}))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);
    refused += 1;
    let r = s
        .http
        .post(format!("{}/outlets", s.base))
        .header("X-CSRF-Token", &s.csrf)
        .json(&json!({"ccu_id": "02", "device_id": "FE", "name": "Desk", "location": pad}))
        .send()
        .await
        .unwrap();
    assert_ne!(r.status(), StatusCode::PAYLOAD_TOO_LARGE);

    assert_eq!(
        app.backend()
            .metrics()
            .http_body_too_large
            .load(Ordering::Relaxed),
        refused
    );
    let metrics = system_tests::http_get(app.http_addr, "/metrics").await;
    assert!(
        metrics.contains(&format!("smart_outlet_http_body_too_large_total {refused}")),
        "{metrics}"
    );
}

#[tokio::test]
async fn body_limits_are_configurable() {
    let _serial = memory_lock().await;
    let app = spawn_app_with(|s| {
        s.http.body_limit = 2048;
        s.http.auth_body_limit = 1024;
    })
    .await;
    let body = format!(
        r#"{{"device_id":"FE","current_a":1,"current_b":2,"pad":"{}"}}"#,
        "x".repeat(3000)
    );
    let (status, text) =
        system_tests::http_raw(app.http_addr, "POST", "/api/data/", Some(&body), &[]).await;
    assert_eq!(status, 413, "{text}");
    assert!(text.contains("2048"), "{text}");
    let small = r#"{"device_id":"FE","current_a":1,"current_b":2}"#;
    let (status, _) =
        system_tests::http_raw(app.http_addr, "POST", "/api/data/", Some(small), &[]).await;
    assert_eq!(
        status, 404,
        "within the limit: the handler answers (no such outlet)"
    );
}

#[tokio::test]
async fn a_year_of_readings_exports_as_a_streamed_csv_in_bounded_memory() {
    const ROWS: i64 = 200_000;
    let _serial = memory_lock().await;
    let app = spawn_app().await;
    let (_user, _secret, outlet) = app.seed().await;
    let now = backend::clock::now_ms();
    let t0 = now - 365 * DAY_MS;
    let step = 365 * DAY_MS / ROWS;
    // Seeded straight through the store, in transactions of 5000 rows.
    let started = std::time::Instant::now();
    for chunk in (0..ROWS).collect::<Vec<_>>().chunks(5000) {
        let batch = Batch {
            sensor: chunk
                .iter()
                .map(|i| SensorRow {
                    outlet_id: outlet.id,
                    ts: t0 + i * step,
                    current_a: 1000 + i % 1000,
                    current_b: i % 7,
                    relay_a: None,
                    relay_b: None,
                    is_overload: i % 100 == 0,
                })
                .collect(),
            ..Default::default()
        };
        app.store().write_batch(&batch).await.expect("seed");
    }
    eprintln!("seeded {ROWS} rows in {:?}", started.elapsed());
    let s = login(&app, "alice").await;

    let (before, before_anon) = (rss(), rss_anon());
    let peak = Arc::new(AtomicU64::new(before));
    let peak_anon = Arc::new(AtomicU64::new(before_anon));
    let sampler = {
        let (peak, peak_anon) = (peak.clone(), peak_anon.clone());
        tokio::spawn(async move {
            loop {
                peak.fetch_max(rss(), Ordering::Relaxed);
                peak_anon.fetch_max(rss_anon(), Ordering::Relaxed);
                tokio::time::sleep(Duration::from_millis(2)).await;
            }
        })
    };
    let started = std::time::Instant::now();
    let mut r = s
        .http
        .get(format!(
            "{}/outlets/{}/history.csv?from={}",
            s.base,
            outlet.id,
            now - 366 * DAY_MS
        ))
        .send()
        .await
        .unwrap();
    assert_eq!(r.status(), StatusCode::OK);
    assert_eq!(
        r.headers()
            .get("transfer-encoding")
            .map(|v| v.to_str().unwrap()),
        Some("chunked"),
        "{:?}",
        r.headers()
    );
    assert!(r.headers().get("content-length").is_none());
    let (mut lines, mut bytes, mut chunks) = (0u64, 0u64, 0u64);
    let mut tail = Vec::new();
    let mut first_row = String::new();
    while let Some(chunk) = r.chunk().await.unwrap() {
        chunks += 1;
        bytes += chunk.len() as u64;
        for &b in chunk.iter() {
            if b == b'\n' {
                lines += 1;
                if lines == 2 {
                    first_row = String::from_utf8_lossy(&tail).to_string();
                }
                tail.clear();
            } else {
                tail.push(b);
            }
        }
    }
    let elapsed = started.elapsed();
    sampler.abort();
    let growth = peak.load(Ordering::Relaxed).saturating_sub(before);
    let growth_anon = peak_anon
        .load(Ordering::Relaxed)
        .saturating_sub(before_anon);
    eprintln!(
        "CSV: {lines} lines, {} KiB in {chunks} chunks, {elapsed:?}; VmRSS before {} MiB, peak growth {} KiB (RssAnon {} KiB)",
        bytes / 1024,
        before / MIB,
        growth / 1024,
        growth_anon / 1024
    );
    assert_eq!(lines, ROWS as u64 + 1, "header + every row");
    assert!(first_row.starts_with(&format!("{t0},")), "{first_row}");
    assert!(
        first_row.ends_with(",1000,0,true"),
        "first row, in order: {first_row}"
    );
    assert!(chunks > 1, "sent in pieces");
    assert!(
        growth < 64 * MIB,
        "peak memory grew by {growth} bytes for a {bytes}-byte export"
    );
}

#[tokio::test]
async fn history_ranges_and_bucket_counts_are_checked() {
    let _serial = memory_lock().await;
    let app = spawn_app().await;
    let (_user, _secret, outlet) = app.seed().await;
    let s = login(&app, "alice").await;
    let id = outlet.id;
    let now = backend::clock::now_ms();
    let (min, max) = (i64::MIN, i64::MAX);
    let bad = [
        format!("/outlets/{id}/history?from={min}&to={max}"),
        format!("/outlets/{id}/history?from={min}"),
        format!("/outlets/{id}/history?to={min}"),
        format!("/outlets/{id}/history?to={max}"),
        format!("/outlets/{id}/history?from={max}"),
        format!("/outlets/{id}/history?from=0&to=253402300800000"),
        format!("/outlets/{id}/history?from={}", now - 401 * DAY_MS),
        format!("/outlets/{id}/history?from=100&to=50"),
        format!("/outlets/{id}/history?buckets=0"),
        format!("/outlets/{id}/history?buckets=-5"),
        format!("/outlets/{id}/history?buckets={min}"),
        format!("/outlets/{id}/history?buckets=5001"),
        format!("/outlets/{id}/history.csv?from={min}&to={max}"),
        format!("/outlets/{id}/history.csv?from=0"),
        "/ccus/02/breaker-history?from=-9223372036854775808&to=9223372036854775807".into(),
        "/ccus/02/breaker-history?buckets=0".into(),
        "/ccus/02/breaker-history.csv?to=-9223372036854775808".into(),
        format!("/events/stats?to={min}"),
        format!("/events/stats?from={min}&to={max}"),
        "/events?page=18446744073709551615&per_page=500".into(),
        "/events?page=0".into(),
        "/events?per_page=501".into(),
        "/alerts?limit=0".into(),
        "/alerts?limit=1001".into(),
        "/commands?limit=100000".into(),
    ];
    for path in &bad {
        let (status, body) = s.get(path).await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{path}: {body}");
        assert_eq!(body["code"], "validation", "{path}: {body}");
        assert!(!body["message"].as_str().unwrap().is_empty(), "{path}");
    }
    let ok = [
        format!("/outlets/{id}/history"),
        format!(
            "/outlets/{id}/history?from={}&buckets=5000",
            now - 400 * DAY_MS + 1000
        ),
        format!("/outlets/{id}/history?from=0&to=1&buckets=1"),
        "/ccus/02/breaker-history?buckets=1".into(),
        "/events?page=201&per_page=500".into(),
        "/events/stats".into(),
        "/alerts?limit=1000".into(),
    ];
    for path in &ok {
        let (status, body) = s.get(path).await;
        assert_eq!(status, StatusCode::OK, "{path}: {body}");
    }
}

/// The next `ccu/<id>/error` notice.
async fn next_error(dev: &mut system_tests::Device) -> Value {
    loop {
        let (topic, payload) = dev.next_message().await;
        if topic.ends_with("/error") {
            return serde_json::from_slice(&payload).unwrap();
        }
    }
}

#[tokio::test]
async fn readings_outside_the_time_window_are_rejected_counted_and_reported() {
    let _serial = memory_lock().await;
    let app = spawn_app().await;
    let (_user, secret, outlet) = app.seed().await;
    let mut dev = app.device("02", &secret).await;
    dev.client
        .subscribe("ccu/02/error", rumqttc::QoS::AtLeastOnce)
        .await
        .unwrap();
    let now = backend::clock::now_ms();
    let ten_years = now - 3650 * DAY_MS;
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":1000,"current_b":0,"ts": ten_years}),
    )
    .await;
    let e = next_error(&mut dev).await;
    assert_eq!(e["reason"], "stale_timestamp", "{e}");
    assert_eq!(e["topic"], "sensor", "{e}");
    assert!(
        e["detail"].as_str().unwrap().contains("max_reading_age"),
        "{e}"
    );
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":1000,"current_b":0,"ts": now + DAY_MS}),
    )
    .await;
    let e = next_error(&mut dev).await;
    assert_eq!(e["reason"], "bad_timestamp", "{e}");
    dev.send("breaker", json!({"current_ma": 5000, "ts": ten_years}))
        .await;
    let e = next_error(&mut dev).await;
    assert_eq!(
        (e["reason"].as_str(), e["topic"].as_str()),
        (Some("stale_timestamp"), Some("breaker"))
    );

    let hour_ago = now - 3_600_000;
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":1234,"current_b":0,"ts": hour_ago}),
    )
    .await;
    let store = app.store().clone();
    let rows = wait_for("the reading inside the window", || {
        let store = store.clone();
        async move {
            let rows = store.readings(outlet.id, 0, i64::MAX, 10).await.unwrap();
            (!rows.is_empty()).then_some(rows)
        }
    })
    .await;
    assert_eq!(rows.len(), 1);
    assert_eq!((rows[0].ts, rows[0].current_a), (hour_ago, 1234));
    let m = app.backend().metrics();
    assert_eq!(m.rejects(RejectReason::StaleTimestamp), 2);
    assert_eq!(m.rejects(RejectReason::BadTimestamp), 1);
    let metrics = system_tests::http_get(app.http_addr, "/metrics").await;
    assert!(
        metrics.contains("smart_outlet_rejects_total{reason=\"stale_timestamp\"} 2"),
        "{metrics}"
    );
}

#[tokio::test]
async fn back_dated_batches_add_a_bounded_number_of_history_rows() {
    let _serial = memory_lock().await;
    // One row per minute; a budget of 60 back-dated rows (1 h / 60 s).
    let app = spawn_app_with(|s| s.ingest.max_reading_age = Duration::from_secs(3600)).await;
    let (_user, secret, outlet) = app.seed().await;
    let dev = app.device("02", &secret).await;
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":500,"current_b":0}),
    )
    .await;
    let now = backend::clock::now_ms();
    // The same 1000 readings, one a second for the last ~17 minutes, replayed ten times.
    let batch: Vec<Value> = (0..1000)
        .map(|i| json!({"device_id":"FE","current_a":1000,"current_b":0,"ts": now - 1_100_000 + i * 1000}))
        .collect();
    for _ in 0..10 {
        dev.send("sensor", json!(batch)).await;
    }
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":777,"current_b":0}),
    )
    .await;
    let b = app.backend().clone();
    wait_until("every batch handled", || {
        let b = b.clone();
        async move { b.state().outlet(outlet.id).and_then(|s| s.current_a) == Some(777) }
    })
    .await;
    app.backend().flush().await;
    let rows = app.store().count_readings(outlet.id).await.unwrap();
    eprintln!("10 x 1000 back-dated readings -> {rows} history rows");
    // First pass: one per minute of the 1000 s (17); replays draw on the budget of 60.
    assert!((1 + 17..=1 + 60).contains(&rows), "{rows} rows");
    assert_eq!(
        app.backend()
            .metrics()
            .ingested_total(backend::metrics::Transport::Mqtt),
        10_002,
        "every reading is accepted; only history rows are bounded"
    );
}
