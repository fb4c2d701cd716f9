//! The offline administration commands: `user`, `ccu` and `outlet`, straight on the
//! database (a running server picks the changes up), with secrets printed once.

use super::*;
use backend::admin;

pub(super) async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = settings.database_url();
    Store::open(&url, 2)
        .await
        .with_context(|| format!("opening the database {}", mask_url(&url)))
}

pub(super) async fn user_command(settings: &Settings, c: UserCommand) -> anyhow::Result<()> {
    match c {
        UserCommand::Add { name, admin } => {
            let password = read_password()?;
            let store = open_store(settings).await?;
            let user = admin::add_user_with_role(&store, &name, &password, admin).await?;
            let role = if user.is_admin { "admin" } else { "user" };
            println!("user {} created (id {}, {role})", user.username, user.id);
        }
        UserCommand::List => {
            let store = open_store(settings).await?;
            for u in backend::users::list(&store).await? {
                println!(
                    "{}\t{}\t{}\t{}\tcreated={}",
                    u.id,
                    u.username,
                    if u.is_admin { "admin" } else { "user" },
                    if u.disabled { "disabled" } else { "active" },
                    u.created_at
                );
            }
        }
        UserCommand::Disable { name } => set_disabled(settings, &name, true).await?,
        UserCommand::Enable { name } => set_disabled(settings, &name, false).await?,
        UserCommand::ResetPassword { name, stdin } => {
            let store = open_store(settings).await?;
            let (password, show) = if stdin {
                (read_password()?, false)
            } else {
                (backend::users::generate_password(), true)
            };
            backend::users::reset_password(&store, &name, &password)
                .await
                .with_context(|| format!("user {name}"))?;
            println!("password of {name} reset; their sessions ended");
            if show {
                println!("new password (shown once): {password}");
            }
        }
    }
    Ok(())
}

async fn set_disabled(settings: &Settings, name: &str, disable: bool) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    backend::users::set_disabled(&store, name, disable)
        .await
        .with_context(|| format!("user {name}"))?;
    if disable {
        println!("user {name} disabled: logins, sessions and API tokens refused");
    } else {
        println!("user {name} enabled");
    }
    Ok(())
}

pub(super) async fn ccu_command(settings: &Settings, c: CcuCommand) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    match c {
        CcuCommand::Add {
            id,
            owner,
            name,
            transport,
            json,
        } => {
            let transport =
                Transport::parse(&transport).context("--transport must be auto, mqtt or http")?;
            let Some((user, _)) = store.find_user(&owner).await? else {
                bail!("no user named {owner}; create it with `smart-outlet user add {owner}`");
            };
            let (ccu, secret) = admin::add_ccu(
                &store,
                user.id,
                &id,
                name.as_deref(),
                transport,
                settings.alerts.default_breaker_threshold_ma,
            )
            .await?;
            provision(settings, &store, &ccu.id, &secret, false).await?;
            if transport.serves_http() {
                backend::legacy::reset(&store, &ccu.id, settings.legacy.learn_window).await?;
            }
            let port = settings.mqtt.addr.port();
            if json {
                let v = serde_json::json!({
                    "ccu_id": ccu.id, "owner": owner, "transport": transport.as_str(),
                    "mqtt_port": port, "username": ccu.id, "client_id": ccu.id, "password": secret,
                });
                println!("{v}");
            } else {
                println!(
                    "CCU {} registered for {owner} ({} transport).",
                    ccu.id,
                    transport.as_str()
                );
                println!("MQTT credentials (shown once; store them on the CCU):");
                println!("  port:      {port}");
                println!("  username:  {}", ccu.id);
                println!("  client id: {}", ccu.id);
                println!("  password:  {secret}");
                println!(
                    "Publish to ccu/{0}/sensor, ccu/{0}/breaker, ccu/{0}/ack, ccu/{0}/status; subscribe to ccu/{0}/cmd and ccu/{0}/devices.",
                    ccu.id
                );
            }
            Ok(())
        }
        CcuCommand::List => {
            for c in store.list_ccus(None).await? {
                let owner = store
                    .get_user(c.owner_id)
                    .await?
                    .map(|u| u.username)
                    .unwrap_or_default();
                println!(
                    "{}\t{}\towner={owner}\t{}\t{}\tlegacy={}",
                    c.id,
                    c.name,
                    c.transport.as_str(),
                    if c.online { "online" } else { "offline" },
                    legacy_binding(&c)
                );
            }
            Ok(())
        }
        CcuCommand::RotateSecret { id } => {
            let id = backend::domain::CcuId::parse(&id).map_err(anyhow::Error::msg)?;
            let secret = admin::rotate_ccu_secret(&store, id.as_str()).await?;
            provision(settings, &store, id.as_str(), &secret, true).await?;
            println!("new password for CCU {id} (shown once): {secret}");
            Ok(())
        }
        CcuCommand::Bind { id, addr } => {
            if !settings.legacy.allowed().iter().any(|n| n.contains(&addr)) {
                bail!(
                    "{addr} is not in legacy.allowed_networks: the old firmware could not call from there"
                );
            }
            let shared: Vec<String> = store
                .list_ccus(None)
                .await?
                .into_iter()
                .filter(|c| {
                    c.legacy_addr.as_deref() == Some(addr.to_string().as_str())
                        && c.id != id.to_uppercase()
                })
                .map(|c| c.id)
                .collect();
            backend::legacy::bind(&store, &id, addr).await?;
            println!(
                "CCU {} bound to {addr}; legacy requests from {addr} are served for it.",
                id.to_uppercase()
            );
            if !shared.is_empty() {
                println!(
                    "Also bound to {addr}: {}. Requests from an address bound to CCUs of several owners are refused.",
                    shared.join(", ")
                );
            }
            Ok(())
        }
        CcuCommand::Unbind { id } => {
            let window = settings.legacy.learn_window;
            backend::legacy::reset(&store, &id, window).await?;
            println!(
                "CCU {} unbound; it learns its address from its next POST /api/breaker-data/ within {} s.",
                id.to_uppercase(),
                window.as_secs()
            );
            Ok(())
        }
    }
}

/// `bound <addr>`, `learning (N s left)`, `unbound`, or `-` for an MQTT CCU.
fn legacy_binding(c: &backend::domain::CcuRecord) -> String {
    let now = backend::clock::now_ms();
    match (&c.legacy_addr, c.legacy_bind_until) {
        (Some(a), _) => format!("bound {a}"),
        (None, Some(until)) if until > now => {
            format!("learning ({} s left)", (until - now) / 1000)
        }
        _ if !c.transport.serves_http() => "-".to_string(),
        _ => "unbound".to_string(),
    }
}

/// With `mqtt.external.provisioning`, gives the CCU its broker login now (the secret exists
/// only here); a new CCU whose login cannot be made is removed again.
async fn provision(
    settings: &Settings,
    store: &Store,
    ccu_id: &str,
    secret: &str,
    rotated: bool,
) -> anyhow::Result<()> {
    let Some(d) = backend::external::connect(settings) else {
        return Ok(());
    };
    let Err(e) = backend::external::provision_login(&d, ccu_id, secret, rotated).await else {
        return Ok(());
    };
    if rotated {
        bail!(
            "broker login of CCU {ccu_id} not updated ({e}); the old secret still works on the broker, rotate again"
        );
    }
    store.delete_ccu(ccu_id).await?;
    bail!("CCU {ccu_id} not added: its broker login could not be created ({e})")
}

pub(super) async fn outlet_command(settings: &Settings, c: OutletCommand) -> anyhow::Result<()> {
    let store = open_store(settings).await?;
    match c {
        OutletCommand::Add {
            device_id,
            ccu,
            name,
            location,
        } => {
            let o = admin::add_outlet(&store, &ccu, &device_id, &name, &location).await?;
            println!(
                "outlet {} ({}) added to CCU {} (id {})",
                o.device_id, o.name, o.ccu_id, o.id
            );
            Ok(())
        }
        OutletCommand::List => {
            for o in store.list_outlets(None, None).await? {
                println!("{}\t{}\tccu={}\t{}", o.id, o.device_id, o.ccu_id, o.name);
            }
            Ok(())
        }
    }
}

/// A password from a hidden prompt (asked twice) or the first line of stdin.
fn read_password() -> anyhow::Result<String> {
    if std::io::stdin().is_terminal() {
        let p1 = rpassword::prompt_password("Password: ")?;
        let p2 = rpassword::prompt_password("Repeat password: ")?;
        if p1 != p2 {
            bail!("passwords do not match");
        }
        Ok(p1)
    } else {
        let mut line = String::new();
        std::io::stdin().lock().read_line(&mut line)?;
        let p = line.trim_end_matches(['\n', '\r']).to_string();
        if p.is_empty() {
            bail!("no password on stdin");
        }
        let _ = std::io::stdout().flush();
        Ok(p)
    }
}
