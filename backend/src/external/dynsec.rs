//! A client of Mosquitto's dynamic-security plugin: one MQTT connection that publishes
//! `{"commands":[…]}` on `$CONTROL/dynamic-security/v1` and matches the answers on
//! `…/v1/response` by `correlationData`, and the per-CCU and backend roles generated from
//! [`broker::acl::RULES`].
//!
//! Dynsec cannot express everything the table says: a publish row allows retained and plain
//! publishes alike (the `retain` flag of a row is lost), so under Mosquitto a CCU may retain
//! on its own `sensor`, `breaker` and `ack` topics. Deny rows become deny ACLs at a higher
//! priority. Subscribe rows become `subscribeLiteral` (`subscribePattern` for a wildcard row)
//! plus `publishClientReceive`, because the default access we set denies receiving too.

use broker::acl::{Action, Effect, RULES, Role};
use rumqttc::{AsyncClient, Event, MqttOptions, Packet, QoS};
use serde_json::{Value, json};
use settings::{MqttMode, Provisioning, Settings};
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use std::time::Duration;
use tokio::sync::{oneshot, watch};

/// The provisioning connection `settings` ask for, if any, logged in as
/// `mqtt.external.username` (the server at start; the CLI for `ccu add`/`rotate-secret`).
pub fn connect(settings: &Settings) -> Option<Dynsec> {
    let e = &settings.mqtt.external;
    if settings.mqtt.mode != MqttMode::External || e.provisioning != Provisioning::MosquittoDynsec {
        return None;
    }
    let suffix = &uuid::Uuid::new_v4().simple().to_string()[..8];
    Some(Dynsec::connect(
        &e.host,
        e.port,
        &e.username,
        e.password.expose(),
        &format!("{}-dynsec-{suffix}", e.client_id),
        e.provisioning_timeout,
    ))
}

/// Where the plugin listens.
pub const CONTROL_TOPIC: &str = "$CONTROL/dynamic-security/v1";
/// Where it answers.
pub const RESPONSE_TOPIC: &str = "$CONTROL/dynamic-security/v1/response";
/// The role of the backend's own client.
pub const BACKEND_ROLE: &str = "smart-outlet-backend";

/// Why a dynsec request failed.
#[derive(Debug, thiserror::Error)]
pub enum DynsecError {
    /// No answer in time (broker away, plugin not loaded, no right to `$CONTROL`).
    #[error("the broker did not answer within {0:?}")]
    Timeout(Duration),
    /// The connection dropped while waiting (a change to our own login kicks us).
    #[error("the connection to the broker was lost")]
    Disconnected,
    /// The plugin refused one command.
    #[error("{command} refused: {error}")]
    Refused {
        /// The command.
        command: String,
        /// The plugin's `error` text.
        error: String,
    },
    /// The answer did not have the expected shape.
    #[error("malformed answer: {0}")]
    Malformed(String),
    /// The request could not be queued.
    #[error("cannot publish: {0}")]
    Publish(String),
}

/// One command's answer.
#[derive(Debug, Clone)]
pub struct Answer {
    /// The command name.
    pub command: String,
    /// The plugin's error text, if it refused.
    pub error: Option<String>,
    /// Its `data`, if any.
    pub data: Option<Value>,
}

impl Answer {
    /// Ok, or an error unless the plugin's error text contains one of `tolerated`.
    pub fn check(&self, tolerated: &[&str]) -> Result<(), DynsecError> {
        match &self.error {
            Some(e) if !tolerated.iter().any(|t| e.contains(t)) => Err(DynsecError::Refused {
                command: self.command.clone(),
                error: e.clone(),
            }),
            _ => Ok(()),
        }
    }
}

type Pending = Arc<Mutex<HashMap<String, oneshot::Sender<Vec<Answer>>>>>;

/// The control connection; cheap to clone.
#[derive(Clone)]
pub struct Dynsec {
    client: AsyncClient,
    pending: Pending,
    /// Connection generation: odd = subscribed to the answers, even = not.
    ready: watch::Receiver<u64>,
    timeout: Duration,
    failures: Arc<AtomicU64>,
}

impl std::fmt::Debug for Dynsec {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Dynsec").finish_non_exhaustive()
    }
}

impl Dynsec {
    /// Connects (in the background, reconnecting for ever) as the dynsec admin.
    pub fn connect(
        host: &str,
        port: u16,
        username: &str,
        password: &str,
        client_id: &str,
        timeout: Duration,
    ) -> Dynsec {
        let mut opts = MqttOptions::new(client_id, host, port);
        opts.set_credentials(username, password)
            .set_keep_alive(Duration::from_secs(30))
            .set_clean_session(true)
            .set_max_packet_size(4 << 20, 4 << 20);
        let (client, mut eventloop) = AsyncClient::new(opts, 256);
        let mut net = eventloop.network_options();
        net.set_tcp_nodelay(true);
        eventloop.set_network_options(net);
        let pending: Pending = Arc::default();
        let (ready_tx, ready) = watch::channel(0u64);
        let (sub_client, map) = (client.clone(), pending.clone());
        tokio::spawn(async move {
            let mut backoff = Duration::from_millis(100);
            loop {
                match eventloop.poll().await {
                    Ok(Event::Incoming(Packet::ConnAck(_))) => {
                        backoff = Duration::from_millis(100);
                        if let Err(e) = sub_client.try_subscribe(RESPONSE_TOPIC, QoS::AtLeastOnce) {
                            tracing::error!(cause = %e, "dynsec: cannot subscribe to answers");
                        }
                    }
                    Ok(Event::Incoming(Packet::SubAck(_))) => {
                        ready_tx.send_modify(|g| *g |= 1);
                    }
                    Ok(Event::Incoming(Packet::Publish(p))) if p.topic == RESPONSE_TOPIC => {
                        deliver(&map, &p.payload);
                    }
                    Ok(_) => {}
                    Err(e) => {
                        let was_ready = *ready_tx.borrow() & 1 == 1;
                        ready_tx.send_modify(|g| *g = (*g | 1) + 1);
                        // Dropping the senders fails every request in flight at once.
                        map.lock().unwrap_or_else(|e| e.into_inner()).clear();
                        if was_ready {
                            tracing::warn!(cause = %e, "dynsec connection lost; reconnecting");
                        }
                        if ready_tx.is_closed() {
                            return;
                        }
                        tokio::time::sleep(backoff).await;
                        backoff = (backoff * 2).min(Duration::from_secs(5));
                    }
                }
            }
        });
        Dynsec {
            client,
            pending,
            ready,
            timeout,
            failures: Arc::default(),
        }
    }

    /// Operations that failed so far (each is also logged).
    pub fn failures(&self) -> u64 {
        self.failures.load(Relaxed)
    }

    /// Counts one failed operation.
    pub fn count_failure(&self) {
        self.failures.fetch_add(1, Relaxed);
    }

    /// A watch that changes on every (re)connection; odd values mean ready.
    pub fn connections(&self) -> watch::Receiver<u64> {
        self.ready.clone()
    }

    /// Sends `commands` in one message and returns their answers, in order.
    pub async fn run(&self, mut commands: Vec<Value>) -> Result<Vec<Answer>, DynsecError> {
        let deadline = tokio::time::Instant::now() + self.timeout;
        let mut ready = self.ready.clone();
        tokio::time::timeout_at(deadline, ready.wait_for(|g| g & 1 == 1))
            .await
            .map_err(|_| DynsecError::Timeout(self.timeout))?
            .map_err(|_| DynsecError::Disconnected)?;
        let key = uuid::Uuid::new_v4().simple().to_string();
        for (i, c) in commands.iter_mut().enumerate() {
            c["correlationData"] = json!(format!("{key}:{i}"));
        }
        let (tx, rx) = oneshot::channel();
        self.lock().insert(key.clone(), tx);
        let body = json!({ "commands": commands }).to_string();
        let sent = self
            .client
            .publish(CONTROL_TOPIC, QoS::AtLeastOnce, false, body)
            .await;
        if let Err(e) = sent {
            self.lock().remove(&key);
            return Err(DynsecError::Publish(e.to_string()));
        }
        let answers = match tokio::time::timeout_at(deadline, rx).await {
            Ok(Ok(a)) => a,
            Ok(Err(_)) => return Err(DynsecError::Disconnected),
            Err(_) => {
                self.lock().remove(&key);
                return Err(DynsecError::Timeout(self.timeout));
            }
        };
        if answers.len() != commands.len() {
            return Err(DynsecError::Malformed(format!(
                "{} answers to {} commands",
                answers.len(),
                commands.len()
            )));
        }
        Ok(answers)
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, oneshot::Sender<Vec<Answer>>>> {
        self.pending.lock().unwrap_or_else(|e| e.into_inner())
    }
}

/// Hands an answer message to the request it belongs to (other instances' are ignored).
fn deliver(pending: &Pending, payload: &[u8]) {
    let Ok(v) = serde_json::from_slice::<Value>(payload) else {
        tracing::warn!("dynsec: answer is not JSON");
        return;
    };
    let Some(list) = v["responses"].as_array() else {
        return;
    };
    let mut answers: Vec<(usize, Answer)> = Vec::with_capacity(list.len());
    let mut key = None;
    for r in list {
        let Some((k, i)) = r["correlationData"]
            .as_str()
            .and_then(|c| c.split_once(':'))
            .and_then(|(k, i)| Some((k.to_string(), i.parse::<usize>().ok()?)))
        else {
            continue;
        };
        key.get_or_insert(k);
        answers.push((
            i,
            Answer {
                command: r["command"].as_str().unwrap_or_default().to_string(),
                error: r["error"].as_str().map(str::to_string),
                data: r.get("data").cloned(),
            },
        ));
    }
    answers.sort_by_key(|(i, _)| *i);
    let Some(key) = key else { return };
    let tx = pending
        .lock()
        .unwrap_or_else(|e| e.into_inner())
        .remove(&key);
    if let Some(tx) = tx {
        let _ = tx.send(answers.into_iter().map(|(_, a)| a).collect());
    }
}

/// Name of a CCU's role.
pub fn ccu_role(ccu_id: &str) -> String {
    format!("ccu-{ccu_id}")
}

/// `addRoleACL` commands for `rolename`: the rows of `role` in [`RULES`] with `{id}` = `id`.
pub fn role_acl_commands(rolename: &str, role: Role, id: &str) -> Vec<Value> {
    let plain = !id.is_empty() && !id.contains(['/', '+', '#', '\0']);
    let mut out = Vec::new();
    for rule in RULES.iter().filter(|r| r.role == role) {
        if rule.filter.contains("{id}") && !plain {
            continue;
        }
        let topic = rule.filter.replace("{id}", id);
        let wildcard = topic.contains(['+', '#']);
        let allow = rule.effect == Effect::Allow;
        // Deny rows must win over allow rows: dynsec checks higher priorities first.
        let priority = if allow { 0 } else { 10 };
        let acl = |acltype: &str| {
            json!({"command": "addRoleACL", "rolename": rolename, "acltype": acltype,
                   "topic": topic, "allow": allow, "priority": priority})
        };
        let subscribe = if wildcard {
            "subscribePattern"
        } else {
            "subscribeLiteral"
        };
        match (rule.effect, rule.action) {
            (Effect::Allow, Action::Publish) => out.push(acl("publishClientSend")),
            (Effect::Allow, Action::Subscribe) => {
                out.push(acl(subscribe));
                out.push(acl("publishClientReceive"));
            }
            (Effect::Deny, _) => {
                out.push(acl("publishClientSend"));
                out.push(acl("subscribePattern"));
                out.push(acl("publishClientReceive"));
            }
        }
    }
    out
}

/// Default access for clients without a matching ACL: nothing but unsubscribing.
pub fn default_access_command() -> Value {
    json!({"command": "setDefaultACLAccess", "acls": [
        {"acltype": "publishClientSend", "allow": false},
        {"acltype": "publishClientReceive", "allow": false},
        {"acltype": "subscribe", "allow": false},
        {"acltype": "unsubscribe", "allow": true},
    ]})
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn ccu_rows_come_from_the_rule_table() {
        let rows = role_acl_commands("ccu-02", Role::Ccu, "02");
        let pairs: Vec<(String, String)> = rows
            .iter()
            .map(|r| {
                (
                    r["acltype"].as_str().unwrap().to_string(),
                    r["topic"].as_str().unwrap().to_string(),
                )
            })
            .collect();
        let has = |t: &str, topic: &str| pairs.contains(&(t.to_string(), topic.to_string()));
        for k in ["sensor", "breaker", "ack", "status"] {
            assert!(has("publishClientSend", &format!("ccu/02/{k}")), "{k}");
        }
        for k in ["cmd", "devices", "error"] {
            assert!(has("subscribeLiteral", &format!("ccu/02/{k}")), "{k}");
            assert!(has("publishClientReceive", &format!("ccu/02/{k}")), "{k}");
        }
        assert_eq!(rows.len(), 4 + 3 * 2);
        assert!(
            rows.iter()
                .all(|r| r["allow"] == true && r["rolename"] == "ccu-02")
        );
    }

    #[test]
    fn an_id_with_mqtt_syntax_gets_no_rows() {
        assert!(role_acl_commands("ccu-x", Role::Ccu, "+").is_empty());
        assert!(role_acl_commands("ccu-x", Role::Ccu, "a/b").is_empty());
    }

    #[test]
    fn the_backend_role_reaches_everything_with_patterns() {
        let rows = role_acl_commands(BACKEND_ROLE, Role::Backend, "smart-outlet-backend");
        assert!(
            rows.iter()
                .any(|r| r["acltype"] == "publishClientSend" && r["topic"] == "#")
        );
        assert!(
            rows.iter()
                .any(|r| r["acltype"] == "subscribePattern" && r["topic"] == "#")
        );
    }

    #[test]
    fn answers_go_to_their_request_in_order() {
        let pending: Pending = Arc::default();
        let (tx, mut rx) = oneshot::channel();
        pending.lock().unwrap().insert("k".into(), tx);
        deliver(&pending, br#"{"responses":[{"command":"b","correlationData":"k:1","error":"Role already exists"},{"command":"a","correlationData":"k:0"}]}"#);
        let a = rx.try_recv().unwrap();
        assert_eq!(a[0].command, "a");
        assert!(a[0].check(&[]).is_ok());
        assert!(a[1].check(&[]).is_err());
        assert!(a[1].check(&["already exists"]).is_ok());
        // Someone else's answers are ignored.
        deliver(
            &pending,
            br#"{"responses":[{"command":"x","correlationData":"other:0"}]}"#,
        );
    }
}
