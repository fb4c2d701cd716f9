//! External brokers: keeping their logins and topic rules in step with the CCU table.
//!
//! With `mqtt.external.provisioning = "mosquitto-dynsec"` the backend gives every CCU one
//! dynsec client (username = client id = CCU id, password = its secret) and one role
//! `ccu-<id>` whose ACLs are generated from [`broker::acl::RULES`] ([`dynsec`]). The plaintext
//! secret exists only when a CCU is added or its secret rotated, so that is when its login is
//! made; at start the server only ensures the default access, its own role and every CCU's role
//! (an argon2 hash cannot be turned back into a password: a CCU that has no broker login, e.g.
//! one registered before provisioning was switched on, gets one by rotating its secret).
//! Without provisioning every hook here does nothing. EMQX asks us instead ([`principal`]).

pub mod dynsec;
pub mod principal;

pub use dynsec::connect;

use crate::app::Backend;
use crate::{Error, Result};
use broker::acl::Role;
use dynsec::{BACKEND_ROLE, Dynsec, DynsecError, ccu_role, default_access_command};
use futures_util::StreamExt;
use serde_json::json;

/// Creates or updates a CCU's login with `secret`; `kick` also drops its live session
/// (rotation: dynsec's `setClientPassword` keeps a connected client, `disableClient` kicks it).
pub async fn provision_login(
    d: &Dynsec,
    ccu_id: &str,
    secret: &str,
    kick: bool,
) -> std::result::Result<(), DynsecError> {
    add_login(d, ccu_id, secret).await?;
    if kick {
        let answers = d
            .run(vec![
                json!({"command": "disableClient", "username": ccu_id}),
                json!({"command": "enableClient", "username": ccu_id}),
            ])
            .await?;
        answers.iter().try_for_each(|a| a.check(&[]))?;
    }
    Ok(())
}

/// Deletes a CCU's login (which disconnects it) and its role.
pub async fn remove_login(d: &Dynsec, ccu_id: &str) -> std::result::Result<(), DynsecError> {
    let answers = d
        .run(vec![
            json!({"command": "deleteClient", "username": ccu_id}),
            json!({"command": "deleteRole", "rolename": ccu_role(ccu_id)}),
        ])
        .await?;
    answers.iter().try_for_each(|a| a.check(&["not found"]))
}

/// CCUs checked at once when syncing.
const SYNC_CONCURRENCY: usize = 16;

impl Backend {
    /// A CCU was added with `secret`: create its broker login. On failure the CCU is removed
    /// again, so that adding it can simply be retried.
    pub(crate) async fn broker_ccu_added(&self, ccu_id: &str, secret: &str) -> Result<()> {
        let Some(d) = &self.inner.mqtt.dynsec else {
            return Ok(());
        };
        if let Err(e) = provision_login(d, ccu_id, secret, false).await {
            let err = self.provisioning_failed(d, "add", ccu_id, e);
            if let Err(undo) = self.inner.store.delete_ccu(ccu_id).await {
                tracing::error!(ccu = %ccu_id, cause = %undo, "cannot undo adding the CCU");
            }
            let _ = self.config_changed().await;
            return Err(err);
        }
        Ok(())
    }

    /// A CCU's secret was replaced: set the broker password and drop its session (dynsec's
    /// `setClientPassword` keeps a connected client; `disableClient` kicks it).
    pub(crate) async fn broker_ccu_rotated(&self, ccu_id: &str, secret: &str) -> Result<()> {
        let Some(d) = &self.inner.mqtt.dynsec else {
            return Ok(());
        };
        // A CCU without a broker login yet (added before provisioning) gets one here.
        provision_login(d, ccu_id, secret, true)
            .await
            .map_err(|e| self.provisioning_failed(d, "rotate", ccu_id, e))
    }

    /// A CCU was removed: delete its login and role (this disconnects it).
    pub(crate) async fn broker_ccu_removed(&self, ccu_id: &str) -> Result<()> {
        let Some(d) = &self.inner.mqtt.dynsec else {
            return Ok(());
        };
        remove_login(d, ccu_id)
            .await
            .map_err(|e| self.provisioning_failed(d, "remove", ccu_id, e))
    }

    /// Provisioning operations that failed so far (0 without provisioning).
    pub fn provisioning_failures(&self) -> u64 {
        self.inner.mqtt.dynsec.as_ref().map_or(0, Dynsec::failures)
    }

    fn provisioning_failed(&self, d: &Dynsec, op: &str, ccu_id: &str, e: DynsecError) -> Error {
        d.count_failure();
        tracing::error!(ccu = %ccu_id, op, cause = %e, failures = d.failures(), "broker provisioning failed");
        Error::Publish(format!("broker provisioning ({op}) failed: {e}"))
    }

    /// Ensures the broker's default access, the backend's role and every CCU's role now and
    /// after every reconnection of the provisioning connection. Waits for the first round.
    pub(crate) async fn spawn_broker_sync(&self) {
        let Some(d) = self.inner.mqtt.dynsec.clone() else {
            return;
        };
        let weak = std::sync::Arc::downgrade(&self.inner);
        let (first_tx, first_rx) = tokio::sync::oneshot::channel::<()>();
        tokio::spawn(async move {
            let mut first = Some(first_tx);
            let mut conns = d.connections();
            loop {
                if conns.wait_for(|g| g & 1 == 1).await.is_err() {
                    return;
                }
                let generation = *conns.borrow_and_update();
                let Some(inner) = weak.upgrade() else { return };
                let backend = Backend { inner };
                match backend.sync_broker(&d).await {
                    Ok(()) => tracing::info!("external broker: logins and roles in step"),
                    Err(e) => {
                        d.count_failure();
                        tracing::error!(cause = %e, "external broker sync failed; retrying on reconnection");
                    }
                }
                drop(backend);
                if let Some(tx) = first.take() {
                    let _ = tx.send(());
                }
                // Next round after the next reconnection (or after a timeout of this one).
                if conns.wait_for(|g| *g != generation).await.is_err() {
                    return;
                }
            }
        });
        let limit = self.inner.settings.mqtt.external.provisioning_timeout * 4;
        if tokio::time::timeout(limit, first_rx).await.is_err() {
            tracing::warn!("external broker not in step yet; continuing in the background");
        }
    }

    async fn sync_broker(&self, d: &Dynsec) -> std::result::Result<(), DynsecError> {
        let me = self.inner.mqtt.login.username().to_string();
        let mut cmds = vec![
            default_access_command(),
            json!({"command": "createRole", "rolename": BACKEND_ROLE,
                   "textname": "smart-outlet server"}),
        ];
        cmds.extend(dynsec::role_acl_commands(BACKEND_ROLE, Role::Backend, &me));
        cmds.push(json!({"command": "getClient", "username": me}));
        let answers = d.run(cmds).await?;
        for a in &answers {
            a.check(&["already exists"])?;
        }
        if !has_role(answers.last(), BACKEND_ROLE) {
            // Changing our own roles makes Mosquitto kick every session of ours (this one
            // too); the next round after reconnecting finds the role in place.
            tracing::info!(user = %me, "giving the backend's broker login its role");
            match d
                .run(vec![json!({"command": "addClientRole", "username": me,
                                 "rolename": BACKEND_ROLE, "priority": 10})])
                .await
            {
                Ok(a) => a[0].check(&[])?,
                Err(DynsecError::Disconnected) => {}
                Err(e) => return Err(e),
            }
        }
        let ccus = self.inner.registry.ccus();
        let missing: Vec<String> = futures_util::stream::iter(ccus)
            .map(|c| async move {
                ensure_role(d, &c.id)
                    .await
                    .map(|has| (!has).then_some(c.id))
            })
            .buffer_unordered(SYNC_CONCURRENCY)
            .collect::<Vec<_>>()
            .await
            .into_iter()
            .collect::<std::result::Result<Vec<_>, _>>()?
            .into_iter()
            .flatten()
            .collect();
        if !missing.is_empty() {
            tracing::warn!(
                count = missing.len(),
                ccus = %missing.join(","),
                "CCUs without a broker login (passwords cannot be recovered from hashes); rotate their secrets"
            );
        }
        Ok(())
    }
}

/// Role, rows and client (with the role) of a new login; what already exists is kept.
async fn add_login(d: &Dynsec, ccu_id: &str, secret: &str) -> std::result::Result<(), DynsecError> {
    let role = ccu_role(ccu_id);
    let mut cmds = vec![json!({"command": "createRole", "rolename": role})];
    cmds.extend(dynsec::role_acl_commands(&role, Role::Ccu, ccu_id));
    // The role is given inline: a separate `addClientRole` of a role the client already has
    // fails with "Internal error" in Mosquitto 2.0.
    cmds.push(
        json!({"command": "createClient", "username": ccu_id, "password": secret,
                     "clientid": ccu_id, "textname": format!("CCU {ccu_id}"),
                     "roles": [{"rolename": role}]}),
    );
    // A client left over from an earlier try or a removal the broker missed keeps its old
    // password unless it is set again.
    cmds.push(json!({"command": "setClientPassword", "username": ccu_id, "password": secret}));
    let answers = d.run(cmds).await?;
    for a in &answers {
        a.check(&["already exists"])?;
    }
    Ok(())
}

/// Ensures a CCU's role and rows, and its membership when the client exists; returns whether
/// the client exists.
async fn ensure_role(d: &Dynsec, ccu_id: &str) -> std::result::Result<bool, DynsecError> {
    let role = ccu_role(ccu_id);
    let mut cmds = vec![json!({"command": "createRole", "rolename": role})];
    cmds.extend(dynsec::role_acl_commands(&role, Role::Ccu, ccu_id));
    cmds.push(json!({"command": "getClient", "username": ccu_id}));
    let answers = d.run(cmds).await?;
    let (client, rows) = answers
        .split_last()
        .ok_or(DynsecError::Malformed("empty".into()))?;
    for a in rows {
        a.check(&["already exists"])?;
    }
    if client.error.is_some() {
        return Ok(false);
    }
    if !has_role(Some(client), &role) {
        let a = d
            .run(vec![
                json!({"command": "addClientRole", "username": ccu_id, "rolename": role}),
            ])
            .await?;
        a[0].check(&[])?;
    }
    Ok(true)
}

fn has_role(get_client: Option<&dynsec::Answer>, role: &str) -> bool {
    get_client
        .and_then(|a| a.data.as_ref())
        .and_then(|d| d["client"]["roles"].as_array())
        .is_some_and(|roles| roles.iter().any(|r| r["rolename"] == role))
}
