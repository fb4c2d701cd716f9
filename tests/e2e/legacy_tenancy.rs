//! The legacy shim never mixes households: the old firmware's exact requests from several
//! caller addresses (127.0.0.2, 127.0.0.3, …: all loopback on Linux), two users whose
//! outlets share an RF device id, the learning window, and who may see and change a binding.

use backend::commands::{Actor, NewCommand};
use backend::domain::{CommandKind, CommandStatus, Socket, Source, Transport, UserRecord};
use backend::legacy::{Binding, Refusal};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::{IpAddr, SocketAddr};
use system_tests::{TestApp, http_get, http_raw_from, spawn_app, wait_for};

fn ip(s: &str) -> IpAddr {
    s.parse().expect("address")
}

/// The old firmware at `from`.
struct Firmware {
    from: IpAddr,
    server: SocketAddr,
}

impl Firmware {
    fn at(app: &TestApp, from: &str) -> Firmware {
        Firmware {
            from: ip(from),
            server: app.http_addr,
        }
    }

    async fn get(&self, path: &str) -> (u16, String) {
        http_raw_from(self.from, self.server, "GET", path, None, &[]).await
    }

    async fn post(&self, path: &str, body: &str) -> (u16, String) {
        http_raw_from(self.from, self.server, "POST", path, Some(body), &[]).await
    }

    async fn breaker(&self, ccu: &str, ma: i64) -> u16 {
        self.post(
            "/api/breaker-data/",
            &format!(r#"{{"ccu_id":"{ccu}","current_ma":{ma}}}"#),
        )
        .await
        .0
    }

    async fn reading(&self, device: &str, a: i64) -> (u16, String) {
        self.post(
            "/api/data/",
            &format!(
                r#"{{"device_id":"{device}","current_a":{a},"current_b":-1,"relay_a":false,"relay_b":false,"is_overload":false}}"#
            ),
        )
        .await
    }
}

/// A user with an old-firmware CCU and outlets (name, device id), learning its address.
async fn household(app: &TestApp, user: &str, ccu: &str, outlets: &[(&str, &str)]) -> UserRecord {
    let user = app.add_user(user).await;
    app.backend()
        .create_ccu(user.id, ccu, None, Transport::Http, Source::Cli)
        .await
        .expect("add CCU");
    for (device, name) in outlets {
        app.add_outlet(ccu, device, name).await;
    }
    user
}

async fn queue(app: &TestApp, user: &UserRecord, ccu: &str, device: &str, on: bool) -> String {
    let outlet = app.store().find_outlet(ccu, device).await.unwrap().unwrap();
    let c = app
        .backend()
        .send_command(
            Actor::User(user.id),
            NewCommand {
                outlet_id: outlet.id,
                command: if on {
                    CommandKind::RelayOn
                } else {
                    CommandKind::RelayOff
                },
                socket: Some(Socket::A),
                value: None,
            },
        )
        .await
        .expect("command");
    assert_eq!(c.status, CommandStatus::Queued);
    c.id
}

fn refused(app: &TestApp, r: Refusal) -> u64 {
    app.backend().metrics().legacy_refusals(r)
}

const NO_COMMANDS: &str = r#"{"success": true, "commands": []}"#;

#[tokio::test]
async fn two_households_with_the_same_rf_id_never_mix() {
    let app = spawn_app().await;
    let alice = household(
        &app,
        "alice",
        "02",
        &[("FE", "Alice desk"), ("A1", "Alice lamp")],
    )
    .await;
    let bob = household(&app, "bob", "03", &[("FE", "Bob desk")]).await;
    let a = Firmware::at(&app, "127.0.0.2");
    let b = Firmware::at(&app, "127.0.0.3");

    // Each CCU learns the address of its first breaker reading.
    assert_eq!(a.breaker("02", 1000).await, 200);
    assert_eq!(b.breaker("03", 2000).await, 200);
    assert_eq!(
        app.backend().registry().ccu("02").unwrap().legacy_addr,
        Some(a.from)
    );
    assert_eq!(
        app.backend().registry().ccu("03").unwrap().legacy_addr,
        Some(b.from)
    );
    // A breaker reading naming the other household's CCU is refused and remembered.
    let wrong = refused(&app, Refusal::WrongAddress);
    assert_eq!(a.breaker("03", 1).await, 404);
    assert_eq!(refused(&app, Refusal::WrongAddress), wrong + 1);
    assert_eq!(app.backend().legacy_refused_addr("03"), Some(a.from));

    // Each caller lists only its own outlets.
    assert_eq!(
        a.get("/api/devices/").await,
        (
            200,
            r#"{"success": true, "devices": ["A1", "FE"]}"#.to_string()
        )
    );
    assert_eq!(
        b.get("/api/devices/").await,
        (200, r#"{"success": true, "devices": ["FE"]}"#.to_string())
    );

    // A command Bob queued for his FE is never handed to Alice's poll of FE, and vice versa.
    let bobs = queue(&app, &bob, "03", "FE", true).await;
    assert_eq!(
        a.get("/api/commands/FE/").await,
        (200, NO_COMMANDS.to_string())
    );
    let got = app.backend().get_command(bob.id, &bobs).await.unwrap();
    assert_eq!(
        got.status,
        CommandStatus::Queued,
        "still waiting for Bob's CCU"
    );
    assert_eq!(
        b.get("/api/commands/FE/").await,
        (
            200,
            r#"{"success": true, "commands": [{"command": "relay_on", "socket": "a", "value": null}]}"#
                .to_string()
        )
    );
    let alices = queue(&app, &alice, "02", "FE", false).await;
    assert_eq!(
        b.get("/api/commands/FE/").await,
        (200, NO_COMMANDS.to_string())
    );
    assert_eq!(
        a.get("/api/commands/FE/").await,
        (
            200,
            r#"{"success": true, "commands": [{"command": "relay_off", "socket": "a", "value": null}]}"#
                .to_string()
        )
    );
    let got = app.backend().get_command(alice.id, &alices).await.unwrap();
    assert_eq!(got.status, CommandStatus::Sent);

    // Alice's reading lands only in Alice's outlet (live state and history).
    let alice_fe = app.store().find_outlet("02", "FE").await.unwrap().unwrap();
    let bob_fe = app.store().find_outlet("03", "FE").await.unwrap().unwrap();
    let (s, _) = a.reading("FE", 1234).await;
    assert_eq!(s, 200);
    assert_eq!(
        app.backend().state().outlet(alice_fe.id).unwrap().current_a,
        Some(1234)
    );
    assert_eq!(
        app.backend()
            .state()
            .outlet(bob_fe.id)
            .unwrap_or_default()
            .current_a,
        None
    );
    let store = app.store().clone();
    wait_for("Alice's reading in her history", || {
        let store = store.clone();
        async move { (store.count_readings(alice_fe.id).await.ok()? >= 1).then_some(()) }
    })
    .await;
    assert_eq!(app.store().count_readings(bob_fe.id).await.unwrap(), 0);
    // A1 exists only at Alice's: Bob's CCU cannot report it.
    assert_eq!(
        b.reading("A1", 1).await,
        (
            404,
            r#"{"success": false, "message": "Outlet with device_id A1 not found"}"#.to_string()
        )
    );

    // Outlet status answers each caller with its own outlet.
    assert_eq!(
        a.get("/api/outlet-status/FE/").await.1,
        r#"{"success": true, "device_id": "FE", "name": "Alice desk", "relay_a": false, "relay_b": false, "threshold": 0}"#
    );
    assert_eq!(
        b.get("/api/outlet-status/FE/").await.1,
        r#"{"success": true, "device_id": "FE", "name": "Bob desk", "relay_a": false, "relay_b": false, "threshold": 0}"#
    );

    // Bob's reading confirms Bob's relay command (his CCU's focus stayed on FE until then,
    // waiting for it), and only his.
    let confirming = r#"{"device_id":"FE","current_a":5,"current_b":-1,"relay_a":true,"relay_b":false,"is_overload":false}"#;
    assert_eq!(b.post("/api/data/", confirming).await.0, 200);
    let got = app.backend().get_command(bob.id, &bobs).await.unwrap();
    assert_eq!(got.status, CommandStatus::Ok);
    let got = app.backend().get_command(alice.id, &alices).await.unwrap();
    assert_eq!(got.status, CommandStatus::Sent);

    // Focus is per household.
    assert_eq!(
        a.post("/api/focus/fe/", "").await.1,
        r#"{"success": true, "device_id": "FE"}"#
    );
    assert_eq!(
        a.get("/api/focus/").await.1,
        r#"{"success": true, "device_id": "FE"}"#
    );
    assert_eq!(
        b.get("/api/focus/").await.1,
        r#"{"success": true, "device_id": null}"#
    );
    assert_eq!(
        b.post("/api/focus/a1/", "").await,
        (
            404,
            r#"{"success": false, "message": "Outlet A1 not found"}"#.to_string()
        )
    );
    assert_eq!(b.post("/api/focus/clear/", "").await.0, 200);
    assert_eq!(
        a.get("/api/focus/").await.1,
        r#"{"success": true, "device_id": "FE"}"#
    );
    assert_eq!(
        app.store()
            .get_ccu("02")
            .await
            .unwrap()
            .unwrap()
            .legacy_focus
            .as_deref(),
        Some("FE"),
        "stored, so every instance answers the same"
    );

    // A third address is nobody: nothing listed, nothing found, nothing served.
    let c = Firmware::at(&app, "127.0.0.4");
    let unbound = refused(&app, Refusal::UnboundCaller);
    assert_eq!(
        c.get("/api/devices/").await,
        (200, r#"{"success": true, "devices": []}"#.to_string())
    );
    let not_found = r#"{"success": false, "message": "Outlet with device_id FE not found"}"#;
    assert_eq!(c.reading("FE", 9).await, (404, not_found.to_string()));
    assert_eq!(
        c.get("/api/commands/FE/").await,
        (404, not_found.to_string())
    );
    assert_eq!(
        c.get("/api/outlet-status/FE/").await,
        (404, not_found.to_string())
    );
    assert_eq!(
        c.get("/api/focus/").await.1,
        r#"{"success": true, "device_id": null}"#
    );
    assert_eq!(
        c.post("/api/focus/fe/", "").await,
        (
            404,
            r#"{"success": false, "message": "No CCU registered"}"#.to_string()
        )
    );
    assert_eq!(c.breaker("02", 5).await, 404);
    assert_eq!(refused(&app, Refusal::UnboundCaller), unbound + 6);
    assert_eq!(
        app.backend().state().outlet(alice_fe.id).unwrap().current_a,
        Some(1234)
    );
}

#[tokio::test]
async fn an_address_of_two_owners_is_refused_and_counted() {
    let app = spawn_app().await;
    let alice = household(&app, "alice", "02", &[("FE", "Alice desk")]).await;
    let bob = household(&app, "bob", "03", &[("FE", "Bob desk")]).await;
    let shared = Firmware::at(&app, "127.0.0.5");
    assert_eq!(shared.breaker("02", 1).await, 200);
    // Bob's CCU cannot learn an address Alice's CCU is bound to ...
    let taken = refused(&app, Refusal::AddressTaken);
    assert_eq!(shared.breaker("03", 1).await, 404);
    assert_eq!(refused(&app, Refusal::AddressTaken), taken + 1);
    assert_eq!(
        app.backend().registry().ccu("03").unwrap().legacy_addr,
        None
    );
    // ... nor can Bob bind it there ...
    let err = app
        .backend()
        .set_legacy_binding(
            Some(bob.id),
            "03",
            Binding::Address(shared.from),
            Source::Web,
        )
        .await
        .unwrap_err();
    assert!(matches!(err, backend::Error::Conflict(_)), "{err}");
    // ... but the operator can (the CLI): now the address is ambiguous, and every request
    // from it that does not name its CCU is refused and counted, never guessed.
    app.backend()
        .set_legacy_binding(None, "03", Binding::Address(shared.from), Source::Cli)
        .await
        .unwrap();
    let before = refused(&app, Refusal::AmbiguousCaller);
    assert_eq!(
        shared.get("/api/devices/").await,
        (200, r#"{"success": true, "devices": []}"#.to_string())
    );
    let not_found = r#"{"success": false, "message": "Outlet with device_id FE not found"}"#;
    assert_eq!(shared.reading("FE", 7).await, (404, not_found.to_string()));
    assert_eq!(
        shared.get("/api/commands/FE/").await,
        (404, not_found.to_string())
    );
    assert_eq!(
        shared.get("/api/outlet-status/FE/").await,
        (404, not_found.to_string())
    );
    assert_eq!(refused(&app, Refusal::AmbiguousCaller), before + 4);
    for (user, ccu) in [(&alice, "02"), (&bob, "03")] {
        let outlet = app.store().find_outlet(ccu, "FE").await.unwrap().unwrap();
        assert_eq!(
            app.backend()
                .state()
                .outlet(outlet.id)
                .unwrap_or_default()
                .current_a,
            None
        );
        assert_eq!(
            app.backend()
                .get_ccu(user.id, ccu)
                .await
                .unwrap()
                .legacy_refused_addr,
            Some(shared.from.to_string())
        );
    }
    let metrics = http_get(app.http_addr, "/metrics").await;
    assert!(
        metrics.contains(&format!(
            "smart_outlet_legacy_refused_total{{reason=\"ambiguous_caller\"}} {}",
            before + 4
        )),
        "{metrics}"
    );

    // One owner, two CCUs at one address, the same device id on both: ambiguous too.
    app.backend()
        .create_ccu(alice.id, "05", None, Transport::Http, Source::Cli)
        .await
        .unwrap();
    app.add_outlet("05", "FE", "Alice garage").await;
    app.add_outlet("05", "11", "Alice pump").await;
    app.backend()
        .set_legacy_binding(Some(alice.id), "03", Binding::Reset, Source::Web)
        .await
        .expect_err("not Alice's CCU");
    app.backend()
        .set_legacy_binding(Some(bob.id), "03", Binding::Reset, Source::Web)
        .await
        .unwrap();
    app.backend()
        .set_legacy_binding(
            Some(alice.id),
            "05",
            Binding::Address(shared.from),
            Source::Web,
        )
        .await
        .unwrap();
    assert_eq!(
        shared.get("/api/devices/").await.1,
        r#"{"success": true, "devices": ["11", "FE", "FE"]}"#
    );
    let device = refused(&app, Refusal::AmbiguousDevice);
    assert_eq!(shared.reading("FE", 7).await, (404, not_found.to_string()));
    assert_eq!(refused(&app, Refusal::AmbiguousDevice), device + 1);
    assert_eq!(shared.reading("11", 7).await.0, 200);
}

#[tokio::test]
async fn the_learning_window_closes_reset_reopens_it_and_an_explicit_bind_works() {
    let app = spawn_app().await;
    let alice = household(&app, "alice", "02", &[("FE", "Desk")]).await;
    let window = app
        .backend()
        .registry()
        .ccu("02")
        .unwrap()
        .legacy_bind_until
        .unwrap();
    let expected = backend::clock::now_ms() + 15 * 60 * 1000;
    assert!(
        (expected - 60_000..=expected).contains(&window),
        "{window} vs {expected}"
    );
    // The window closes (moved into the past, as if 15 minutes had passed).
    app.store()
        .set_legacy_binding("02", None, Some(backend::clock::now_ms() - 1))
        .await
        .unwrap();
    app.backend().config_changed().await.unwrap();
    let fw = Firmware::at(&app, "127.0.0.6");
    let closed = refused(&app, Refusal::NotLearning);
    assert_eq!(fw.breaker("02", 1).await, 404);
    assert_eq!(refused(&app, Refusal::NotLearning), closed + 1);
    assert_eq!(
        app.backend().registry().ccu("02").unwrap().legacy_addr,
        None
    );
    assert_eq!(fw.reading("FE", 1).await.0, 404);

    // Over the REST API: the owner sees it called from there, and resets the binding.
    let token = app.backend().create_token(alice.id, "t").await.unwrap().1;
    let api = Api::new(&app, &token);
    let (s, c) = api.get("/ccus/02").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        c["legacy"],
        json!({"state": "unbound", "addr": null, "learn_until": null, "refused_addr": "127.0.0.6"})
    );
    let (s, c) = api.post("/ccus/02/legacy-binding", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["legacy"]["state"], "learning");
    assert!(c["legacy"]["learn_until"].as_i64().unwrap() > backend::clock::now_ms());
    assert_eq!(fw.breaker("02", 1).await, 200);
    assert_eq!(fw.reading("FE", 1).await.0, 200);
    let (_, c) = api.get("/ccus/02").await;
    assert_eq!(
        c["legacy"],
        json!({"state": "bound", "addr": "127.0.0.6", "learn_until": null, "refused_addr": null})
    );

    // An explicit bind moves it; the old address is refused from then on.
    let (s, c) = api
        .post("/ccus/02/legacy-binding", json!({"addr": "127.0.0.7"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["legacy"]["addr"], "127.0.0.7");
    assert_eq!(fw.reading("FE", 1).await.0, 404);
    assert_eq!(fw.breaker("02", 1).await, 404);
    let moved = Firmware::at(&app, "127.0.0.7");
    assert_eq!(moved.reading("FE", 2).await.0, 200);
    assert_eq!(moved.breaker("02", 2).await, 200);
    // Nonsense and addresses the shim would never serve are refused.
    let (s, _) = api
        .post("/ccus/02/legacy-binding", json!({"addr": "not an ip"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = api
        .post("/ccus/02/legacy-binding", json!({"addr": "203.0.113.9"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn only_the_owner_sees_and_changes_the_binding() {
    let app = spawn_app().await;
    household(&app, "alice", "02", &[("FE", "Desk")]).await;
    let bob = app.add_user("bob").await;
    let fw = Firmware::at(&app, "127.0.0.8");
    assert_eq!(fw.breaker("02", 1).await, 200);
    let token = app.backend().create_token(bob.id, "t").await.unwrap().1;
    let api = Api::new(&app, &token);
    assert_eq!(api.get("/ccus/02").await.0, StatusCode::NOT_FOUND);
    let (_, list) = api.get("/ccus").await;
    assert_eq!(list, json!([]));
    for body in [json!({}), json!({"addr": "127.0.0.9"})] {
        let (s, v) = api.post("/ccus/02/legacy-binding", body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    }
    let c = app.store().get_ccu("02").await.unwrap().unwrap();
    assert_eq!(c.legacy_addr.as_deref(), Some("127.0.0.8"), "unchanged");
    assert_eq!(fw.reading("FE", 3).await.0, 200);
}

/// The REST API with a bearer token.
struct Api {
    http: reqwest::Client,
    base: String,
    token: String,
}

impl Api {
    fn new(app: &TestApp, token: &str) -> Api {
        Api {
            http: reqwest::Client::new(),
            base: format!("http://{}/api/v1", app.http_addr),
            token: token.to_string(),
        }
    }

    async fn send(&self, req: reqwest::RequestBuilder) -> (StatusCode, Value) {
        let r = req.bearer_auth(&self.token).send().await.unwrap();
        let status = r.status();
        let text = r.text().await.unwrap();
        (
            status,
            serde_json::from_str(&text).unwrap_or(Value::String(text)),
        )
    }

    async fn get(&self, path: &str) -> (StatusCode, Value) {
        self.send(self.http.get(format!("{}{path}", self.base)))
            .await
    }

    async fn post(&self, path: &str, body: Value) -> (StatusCode, Value) {
        self.send(self.http.post(format!("{}{path}", self.base)).json(&body))
            .await
    }
}
