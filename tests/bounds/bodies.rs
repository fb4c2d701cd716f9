//! Request bodies: a GiB body (with a length or chunked) is refused early with 413 and memory
//! stays flat; the limits are configurable.

use super::*;

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

#[tokio::test]
async fn a_gib_request_body_is_refused_early_and_memory_stays_flat() {
    let _serial = memory_lock().await;
    let app = spawn_app().await;
    let user = app.add_user("alice").await;
    let _ = app.add_ccu(&user, "02").await;
    let s = ApiClient::login(&app, "alice", PASSWORD).await;
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
