//! The access matrix: every route of the served OpenAPI spec, called as anonymous, as another
//! user and as the owner; then the WebSocket, legacy and operations routes (not in the spec)
//! from a fixed table. The route list comes from the spec, so a new route is covered without
//! editing these files; a path parameter, required query parameter or request body this file
//! cannot fill fails the test instead of skipping the route. This file holds the world the
//! calls run in (the owner's objects, the callers) and builds each call from the spec.

mod fixed_routes;
mod spec_routes;

use reqwest::{Client, Method};
use serde_json::{Value, json};
use std::collections::{BTreeSet, HashMap};
use std::fmt::Write as _;
use system_tests::{TestApp, spawn_app_with, wait_for};

/// Routes any caller may use without credentials (`METHOD /path` as in the spec). The spec
/// must mark exactly these as having no security requirement.
const PUBLIC: &[&str] = &["POST /auth/register", "POST /auth/login"];

/// Owner calls that answer a documented 4xx in this state, with the reason. Empty today.
const OWNER_EXPECTED_4XX: &[(&str, u16, &str)] = &[];

const PASSWORD: &str = "correct horse battery";
/// What `POST /auth/password` sets, and `DELETE /auth/account` then confirms with.
const NEW_PASSWORD: &str = "matrix battery staple";
const METRICS_TOKEN: &str = "matrix-metrics-token-0123456789";

#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
enum Caller {
    Anonymous,
    Other,
    Owner,
}

impl Caller {
    const ALL: [Caller; 3] = [Caller::Anonymous, Caller::Other, Caller::Owner];

    fn tag(self) -> &'static str {
        match self {
            Caller::Anonymous => "anon",
            Caller::Other => "other",
            Caller::Owner => "owner",
        }
    }
}

/// What the owner has, and what must never reach anyone else.
struct World {
    app: TestApp,
    http: Client,
    base: String,
    owner_token: String,
    other_token: String,
    ccu: String,
    outlet: i32,
    command: String,
    alert: i32,
    /// A notification target of the owner's.
    target: i32,
    /// A schedule of the owner's (the one `DELETE /schedules/{id}` deletes).
    spare_schedule: i32,
    /// Objects the destructive routes delete (the owner's too, so that the other user's
    /// refusal means something).
    spare_ccu: String,
    spare_outlet: i32,
    spare_token: i32,
    spare_target: i32,
    /// Strings of the owner's that another caller must never see in a response.
    secrets: Vec<(String, &'static str)>,
}

/// One call's request, built from the spec and the world.
struct Call {
    method: Method,
    path: String,
    body: Option<Value>,
    /// True when the request names one of the owner's objects (path parameter, query or
    /// body), so that the other user must be refused (403/404) rather than served.
    names_owner_object: bool,
}

async fn world() -> World {
    let app = spawn_app_with(|s| {
        s.http.metrics_token = settings::Secret::new(METRICS_TOKEN.to_string());
        // Loopback is not allowed: the shim must refuse every caller, credentials or not.
        s.legacy.allowed_networks = vec!["10.0.0.0/8".into()];
    })
    .await;
    let b = app.backend();
    // Users through the backend: registration may be closed after the first user.
    let owner = app.add_user("matrix_owner").await;
    let other = app.add_user("matrix_other").await;
    app.add_user("matrix_login").await;
    let (_, owner_token) = b.create_token(owner.id, "matrix owner").await.unwrap();
    let (_, other_token) = b.create_token(other.id, "matrix other").await.unwrap();
    let (spare_token, spare_secret) = b.create_token(owner.id, "matrix spare").await.unwrap();

    let ccu = "MXOWNER1".to_string();
    let (_, ccu_secret) = b
        .create_ccu(
            backend::Actor::CLI,
            owner.id,
            &ccu,
            Some("Owners Garage Cabinet"),
            backend::domain::Transport::Mqtt,
        )
        .await
        .unwrap();
    let outlet = app.add_outlet(&ccu, "FE", "Owners Aquarium Heater").await;
    let spare_ccu = "MXSPARE9".to_string();
    let (_, spare_ccu_secret) = b
        .create_ccu(
            backend::Actor::CLI,
            owner.id,
            &spare_ccu,
            Some("Owners Spare Box"),
            backend::domain::Transport::Mqtt,
        )
        .await
        .unwrap();
    let spare_outlet = app.add_outlet(&ccu, "0C", "Owners Spare Lamp").await;
    // The other user has objects of their own, so that their lists are not trivially empty.
    app.add_ccu(&other, "MXOTHER2").await;
    app.add_outlet("MXOTHER2", "0D", "Other Kettle").await;

    // An alert: the owner's CCU reports an overload.
    let dev = app.device(&ccu, &ccu_secret).await;
    dev.send(
        "sensor",
        json!({"device_id":"FE","current_a":65535,"current_b":0,"is_overload":true}),
    )
    .await;
    let alert = wait_for("the owner's overload alert", || async {
        b.list_alerts(backend::Actor::User(owner.id), true, 10)
            .await
            .ok()
            .and_then(|a| a.first().map(|a| a.id))
    })
    .await;
    dev.disconnect().await;
    // A command.
    let command = b
        .send_command(
            backend::commands::Actor::User(owner.id),
            backend::commands::NewCommand {
                outlet_id: outlet.id,
                command: ccu_core::protocol::CommandKind::Ping,
                socket: None,
                value: None,
            },
        )
        .await
        .unwrap()
        .id;

    // Notification targets: their URLs may hold tokens.
    let owner_actor = backend::Actor::User(owner.id);
    let target_url = "https://hooks.invalid/owners-secret-hook-4711";
    let target = b
        .add_notification_target(owner_actor, "webhook", target_url)
        .await
        .unwrap()
        .id;
    let spare_target_url = "https://ntfy.invalid/owners-spare-topic-0815";
    let spare_target = b
        .add_notification_target(owner_actor, "ntfy", spare_target_url)
        .await
        .unwrap()
        .id;

    let schedule = backend::schedules::NewSchedule {
        socket: "a".into(),
        turn_on: true,
        time: "06:45".into(),
        weekdays: 0,
        timezone: "Pacific/Chatham".into(),
    };
    let spare_schedule = b
        .add_schedule(owner_actor, outlet.id, schedule)
        .await
        .unwrap()
        .id;

    let secrets = vec![
        ("Pacific/Chatham".into(), "owner's schedule's time zone"),
        (target_url.into(), "owner's notification target"),
        (spare_target_url.into(), "owner's spare notification target"),
        (owner.username.clone(), "owner's username"),
        (ccu.clone(), "owner's CCU id"),
        ("Owners Garage Cabinet".into(), "owner's CCU name"),
        ("Owners Aquarium Heater".into(), "owner's outlet name"),
        (ccu_secret, "owner's CCU secret"),
        (owner_token.clone(), "owner's API token"),
        (spare_secret, "owner's spare API token"),
        (spare_ccu.clone(), "owner's spare CCU id"),
        (spare_ccu_secret, "owner's spare CCU secret"),
        ("Owners Spare Lamp".into(), "owner's spare outlet name"),
        (command.clone(), "owner's command id"),
    ];
    World {
        http: Client::new(),
        base: format!("http://{}/api/v1", app.http_addr),
        app,
        owner_token,
        other_token,
        ccu,
        outlet: outlet.id,
        command,
        alert,
        target,
        spare_schedule,
        spare_ccu,
        spare_outlet: spare_outlet.id,
        spare_token: spare_token.id,
        spare_target,
        secrets,
    }
}

impl World {
    /// The value of path parameter `name` of `path` (keyed by the path's first segment);
    /// destructive methods get the spare objects.
    fn path_param(&self, method: &Method, path: &str, name: &str) -> Result<String, String> {
        let resource = path.trim_start_matches('/').split('/').next().unwrap_or("");
        let delete = *method == Method::DELETE;
        Ok(match (resource, name, delete) {
            ("ccus", "id", false) => self.ccu.clone(),
            ("ccus", "id", true) => self.spare_ccu.clone(),
            ("outlets", "id", false) => self.outlet.to_string(),
            ("outlets", "id", true) => self.spare_outlet.to_string(),
            ("commands", "id", _) => self.command.clone(),
            ("alerts", "id", _) => self.alert.to_string(),
            ("tokens", "id", _) => self.spare_token.to_string(),
            ("notifications", "id", false) => self.target.to_string(),
            ("notifications", "id", true) => self.spare_target.to_string(),
            ("schedules", "id", true) => self.spare_schedule.to_string(),
            _ => {
                return Err(format!(
                    "{method} {path}: no value for path parameter `{name}`: add it to \
                     World::path_param in tests/e2e/access_matrix.rs"
                ));
            }
        })
    }

    /// A value for query parameter `name`; `Ok(None)` for an optional one left out.
    fn query_param(&self, name: &str, required: bool) -> Result<Option<String>, String> {
        Ok(match name {
            // Object references are always sent: another user must not get through a filter.
            "ccu_id" => Some(self.ccu.clone()),
            "outlet_id" => Some(self.outlet.to_string()),
            "from" if required => Some("0".into()),
            "to" if required => Some(i64::MAX.to_string()),
            _ if !required => None,
            _ => return Err(format!("no value for required query parameter `{name}`")),
        })
    }

    /// A minimal valid body for `route`, per caller (creations must not collide), and
    /// whether it names one of the owner's objects.
    fn body(&self, route: &str, who: Caller) -> Result<(Value, bool), String> {
        let tag = who.tag();
        Ok(match route {
            "POST /auth/register" => (
                json!({"username": format!("matrix_new_{tag}"), "password": PASSWORD}),
                false,
            ),
            "POST /auth/login" => (
                json!({"username": "matrix_login", "password": PASSWORD}),
                false,
            ),
            "POST /tokens" => (json!({"name": format!("matrix {tag}")}), false),
            "POST /outlets/{id}/schedules" => (
                json!({"socket": "b", "action": "off", "time": "22:00", "timezone": "Asia/Tokyo"}),
                false,
            ),
            "POST /notifications/targets" => (
                json!({"kind": "webhook", "url": format!("https://hooks.invalid/matrix-{tag}")}),
                false,
            ),
            "POST /ccus" => (
                json!({"id": format!("MXNEW-{}", tag.to_uppercase())}),
                false,
            ),
            "PATCH /ccus/{id}" => (json!({"location": "matrix hall"}), false),
            "PUT /ccus/{id}/breaker-threshold" => (json!({"threshold_ma": 20000}), false),
            "PUT /ccus/{id}/auto-cutoff" => (json!({"at_pct": 95}), false),
            "POST /outlets" => (
                json!({"ccu_id": self.ccu, "device_id": "0B", "name": format!("matrix {tag}")}),
                true,
            ),
            "PATCH /outlets/{id}" => (json!({"location": "matrix desk"}), false),
            "PUT /outlets/{id}/threshold" => (json!({"threshold_ma": 1000}), false),
            "PUT /outlets/{id}/cutoff-protection" => (json!({"protected": true}), false),
            "POST /commands" => (json!({"outlet_id": self.outlet, "command": "ping"}), true),
            "POST /ccus/{id}/legacy-binding" => (json!({"addr": "10.0.0.77"}), false),
            // Each caller changes their own password, then (last of all) deletes their own
            // account with the new one.
            "POST /auth/password" => (
                json!({"current_password": PASSWORD, "new_password": NEW_PASSWORD}),
                false,
            ),
            "DELETE /auth/account" => (json!({"password": NEW_PASSWORD}), false),
            _ => {
                return Err(format!(
                    "{route}: no request body: add one to World::body in tests/e2e/access_matrix.rs"
                ));
            }
        })
    }

    /// The request for one operation of the spec.
    fn call(&self, path: &str, method: &Method, op: &Value, who: Caller) -> Result<Call, String> {
        let route = format!("{method} {path}");
        let mut url_path = path.to_string();
        let mut query = Vec::new();
        let mut names_owner_object = false;
        for p in op["parameters"].as_array().into_iter().flatten() {
            let name = p["name"].as_str().unwrap_or_default();
            let required = p["required"].as_bool().unwrap_or(false);
            match p["in"].as_str() {
                Some("path") => {
                    let v = self.path_param(method, path, name)?;
                    url_path = url_path.replace(&format!("{{{name}}}"), &v);
                    names_owner_object = true;
                }
                Some("query") => {
                    if let Some(v) = self.query_param(name, required)? {
                        query.push(format!("{name}={v}"));
                    }
                }
                Some("header" | "cookie") if !required => {}
                other => {
                    return Err(format!(
                        "{route}: cannot fill parameter `{name}` in {other:?}"
                    ));
                }
            }
        }
        if url_path.contains('{') {
            return Err(format!("{route}: path parameter not declared in the spec"));
        }
        let body = if op.get("requestBody").is_some() {
            let (b, names) = self.body(&route, who)?;
            names_owner_object |= names;
            Some(b)
        } else {
            None
        };
        if !query.is_empty() {
            url_path = format!("{url_path}?{}", query.join("&"));
        }
        Ok(Call {
            method: method.clone(),
            path: url_path,
            body,
            names_owner_object,
        })
    }

    async fn send(&self, call: &Call, who: Caller) -> (u16, String) {
        let mut req = self
            .http
            .request(call.method.clone(), format!("{}{}", self.base, call.path));
        match who {
            Caller::Anonymous => {}
            Caller::Other => req = req.bearer_auth(&self.other_token),
            Caller::Owner => req = req.bearer_auth(&self.owner_token),
        }
        if let Some(b) = &call.body {
            req = req.json(b);
        }
        let r = req.send().await.expect("request");
        let status = r.status().as_u16();
        (status, r.text().await.unwrap_or_default())
    }

    /// The owner's strings in `body` that the request itself did not carry.
    fn leaks(&self, call: &Call, body: &str) -> Vec<&'static str> {
        let sent = format!(
            "{} {}",
            call.path,
            call.body.as_ref().map(Value::to_string).unwrap_or_default()
        );
        self.secrets
            .iter()
            .filter(|(s, _)| body.contains(s.as_str()) && !sent.contains(s.as_str()))
            .map(|(_, what)| *what)
            .collect()
    }
}

/// Prints a table and keeps it in `target/tmp/access-matrix-<name>.txt`, which CI shows
/// after the test run (printing alone would need `--nocapture`, a second cargo run).
fn report(name: &str, text: &str) {
    println!("{text}");
    let path = format!("{}/access-matrix-{name}.txt", env!("CARGO_TARGET_TMPDIR"));
    if let Err(e) = std::fs::write(&path, text) {
        eprintln!("cannot write {path}: {e}");
    }
}
