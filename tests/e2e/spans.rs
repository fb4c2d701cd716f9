//! One command followed through the real binary's log by its id: the HTTP request that asked
//! for it, its publication to the CCU, and the CCU's acknowledgement.

use super::cli::{Data, serve_logged};
use reqwest::StatusCode;
use serde_json::json;
use system_tests::{ApiClient, Device, wait::DEADLINE, wait_until};
use tokio::sync::mpsc::UnboundedReceiver;

const PASSWORD: &str = "correct horse battery";

/// Reads the log until a line has every one of `parts`; that line.
async fn line_with(log: &mut UnboundedReceiver<String>, parts: &[&str]) -> String {
    let found = async {
        while let Some(line) = log.recv().await {
            if parts.iter().all(|p| line.contains(p)) {
                return line;
            }
        }
        panic!("the server's log ended without a line with {parts:?}");
    };
    tokio::time::timeout(DEADLINE, found)
        .await
        .unwrap_or_else(|_| panic!("no log line with {parts:?}"))
}

#[tokio::test]
async fn a_command_is_followed_by_its_id_from_the_request_to_the_ack() {
    let data = Data::new().await;
    let (ok, _, err) = data
        .admin(&["user", "add", "alice"], Some(&format!("{PASSWORD}\n")))
        .await;
    assert!(ok, "{err}");
    let (ok, out, err) = data
        .admin(&["ccu", "add", "07", "--owner", "alice", "--json"], None)
        .await;
    assert!(ok, "{err}");
    let creds: serde_json::Value = serde_json::from_str(out.trim()).unwrap();
    let secret = creds["password"].as_str().unwrap().to_string();
    let (ok, _, err) = data
        .admin(
            &["outlet", "add", "A1", "--ccu", "07", "--name", "Desk"],
            None,
        )
        .await;
    assert!(ok, "{err}");

    let mqtt = broker::free_local_addr().unwrap();
    let env = [("RUST_LOG", "info,backend=debug"), ("NO_COLOR", "1")];
    let mut server = serve_logged(data.cmd(), mqtt, &env).await;
    let http = server.http.trim_start_matches("http://").parse().unwrap();
    let mut dev = Device::connect(mqtt, "07", &secret).await.unwrap();
    let alice = ApiClient::login_at(http, "alice", PASSWORD).await;
    // Sent to an online CCU, the command is published within the request.
    wait_until("CCU 07 online", || {
        let alice = &alice;
        async move { alice.get("/ccus/07").await.1["online"] == true }
    })
    .await;
    let (_, outlets) = alice.get("/outlets").await;
    let outlet = outlets[0]["id"].as_i64().unwrap();

    let (s, c) = alice.relay(outlet, "a", true).await;
    assert_eq!(s, StatusCode::ACCEPTED, "{c}");
    let id = c["id"].as_str().unwrap().to_string();
    assert_eq!(dev.next_command().await.id.as_str(), id);
    dev.send("ack", json!({"id": id, "status": "ok"})).await;

    let published = line_with(
        &mut server.log,
        &[
            "command published",
            &format!("deliver{{command={id} ccu=07}}"),
        ],
    )
    .await;
    assert!(
        published.contains("http{method=POST path=/api/v1/commands}")
            && published.contains(&format!("id={id}")),
        "the publication names the request and the command: {published}"
    );
    let acked = line_with(
        &mut server.log,
        &[
            "finished by its ack",
            &format!("ack{{ccu=07 command={id}}}"),
        ],
    )
    .await;
    assert!(acked.contains("ingest{topic=ccu/07/ack}"), "{acked}");
    server.child.kill().await.unwrap();
}
