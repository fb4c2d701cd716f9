//! The command line: `serve` (default), `config`, `migrate`, `user add|list|disable|enable|reset-password`, `ccu add|list|rotate-secret|bind|unbind`, `outlet add|list`, `tls self-signed`.

use crate::demo;
use crate::startup::{Application, mask_url};
use crate::telemetry;
use anyhow::{Context, bail};
use backend::domain::Transport;
use backend::{Store, admin};
use clap::{Args, Parser, Subcommand};
use settings::Settings;
use std::io::{BufRead, IsTerminal, Write};
use std::net::SocketAddr;
use std::path::PathBuf;

/// MQTT-native backend for DIY smart power outlets.
#[derive(Debug, Parser)]
#[command(name = "smart-outlet", version, about)]
pub struct Cli {
    /// TOML settings file, layered over the built-in defaults (env SMART_OUTLET_* wins).
    #[arg(long, short, global = true, env = "SMART_OUTLET_CONFIG")]
    pub config: Option<PathBuf>,
    /// Overrides that apply to every command.
    #[command(flatten)]
    pub overrides: Overrides,
    /// What to do (default: serve).
    #[command(subcommand)]
    pub command: Option<Command>,
}

/// Flags that override settings.
#[derive(Debug, Args, Default)]
pub struct Overrides {
    /// HTTP listen address (http.addr).
    #[arg(long, global = true)]
    pub http_addr: Option<SocketAddr>,
    /// Embedded MQTT listen address (mqtt.addr).
    #[arg(long, global = true)]
    pub mqtt_addr: Option<SocketAddr>,
    /// Database URL (database.url), e.g. postgres://user:pass@host/db.
    #[arg(long, global = true)]
    pub database_url: Option<String>,
    /// Data folder for the SQLite database (data_dir).
    #[arg(long, global = true)]
    pub data_dir: Option<PathBuf>,
}

/// Commands.
#[derive(Debug, Subcommand)]
pub enum Command {
    /// Run the server: embedded broker, backend and HTTP (the default).
    Serve(ServeArgs),
    /// Print the effective settings (secrets masked).
    Config,
    /// Apply database migrations and exit.
    Migrate,
    /// Manage users.
    #[command(subcommand)]
    User(UserCommand),
    /// Manage CCUs.
    #[command(subcommand)]
    Ccu(CcuCommand),
    /// Manage outlets.
    #[command(subcommand)]
    Outlet(OutletCommand),
    /// TLS for the embedded broker.
    #[command(subcommand)]
    Tls(TlsCommand),
}

/// `tls …`
#[derive(Debug, Subcommand)]
pub enum TlsCommand {
    /// Write a self-signed certificate and key for the MQTT TLS listener into data_dir and
    /// print the settings to use and the certificate's SHA-256 fingerprint (for a LAN; on
    /// the Internet use a certificate from a CA).
    SelfSigned {
        /// A DNS name or IP address CCUs use to reach the server (repeat for several);
        /// localhost, 127.0.0.1 and ::1 are always included.
        #[arg(long = "host", value_name = "NAME")]
        hosts: Vec<String>,
        /// Replace an existing certificate and key.
        #[arg(long)]
        force: bool,
    },
}

/// `serve …`
#[derive(Debug, Args, Default)]
pub struct ServeArgs {
    /// Also create a demo account (demo / demo-outlets) with a simulated CCU and four
    /// outlets, live at once. Uses its own SQLite database (<data_dir>/demo) unless
    /// database.url is set.
    #[arg(long)]
    pub demo: bool,
}

/// `user …`
#[derive(Debug, Subcommand)]
pub enum UserCommand {
    /// Create a user; the password is asked for (or read from the first line of stdin). The
    /// first user is an admin.
    Add {
        /// Login name.
        name: String,
        /// Make the user an admin.
        #[arg(long)]
        admin: bool,
    },
    /// List users: id, name, role, state, created.
    List,
    /// Disable a user: it cannot log in, and its sessions and API tokens stop working at once.
    Disable {
        /// Login name.
        name: String,
    },
    /// Enable a disabled user again (its API tokens work again; sessions were ended).
    Enable {
        /// Login name.
        name: String,
    },
    /// Set a new password and end the user's sessions. Prints a generated password once, or
    /// with --stdin reads it from the first line of stdin (never logged).
    ResetPassword {
        /// Login name.
        name: String,
        /// Read the new password from stdin instead of generating one.
        #[arg(long)]
        stdin: bool,
    },
}

/// `ccu …`
#[derive(Debug, Subcommand)]
pub enum CcuCommand {
    /// Register a CCU and print its MQTT credentials (shown once).
    Add {
        /// CCU id (also its MQTT username and client id), e.g. 02.
        id: String,
        /// Owning user.
        #[arg(long)]
        owner: String,
        /// Display name.
        #[arg(long)]
        name: Option<String>,
        /// `auto` (default: settled by the CCU's first MQTT session or legacy HTTP request),
        /// `mqtt`, or `http` for CCUs running the old firmware.
        #[arg(long, default_value = "auto")]
        transport: String,
        /// Print the credentials as JSON.
        #[arg(long)]
        json: bool,
    },
    /// List CCUs.
    List,
    /// Replace a CCU's secret and print the new one.
    RotateSecret {
        /// CCU id.
        id: String,
    },
    /// Bind a CCU on the old HTTP firmware to the address it calls from (legacy requests
    /// are served only for the CCUs bound to the caller's address).
    Bind {
        /// CCU id.
        id: String,
        /// The client address as the server sees it, e.g. 192.168.1.20.
        addr: std::net::IpAddr,
    },
    /// Unbind a CCU on the old HTTP firmware: it learns its address again from its next
    /// breaker reading within `legacy.learn_window`.
    Unbind {
        /// CCU id.
        id: String,
    },
}

/// `outlet …`
#[derive(Debug, Subcommand)]
pub enum OutletCommand {
    /// Add an outlet (PIC) to a CCU.
    Add {
        /// The PIC's device id, 1 or 2 hex digits (fe, 0xFE and FE are the same).
        device_id: String,
        /// CCU id.
        #[arg(long)]
        ccu: String,
        /// Display name.
        #[arg(long)]
        name: String,
        /// Where it is.
        #[arg(long, default_value = "")]
        location: String,
    },
    /// List outlets.
    List,
}

/// Loads settings and applies the command-line overrides.
pub fn load_settings(cli: &Cli) -> anyhow::Result<Settings> {
    let mut s = Settings::load(cli.config.as_deref())?;
    let o = &cli.overrides;
    if let Some(a) = o.http_addr {
        s.http.addr = a;
    }
    if let Some(a) = o.mqtt_addr {
        s.mqtt.addr = a;
    }
    if let Some(u) = &o.database_url {
        s.database.url = settings::Secret::new(u.clone());
    }
    if let Some(d) = &o.data_dir {
        s.data_dir = d.clone();
    }
    s.validate()?;
    Ok(s)
}

/// Runs a parsed command line.
pub async fn run(cli: Cli) -> anyhow::Result<()> {
    let settings = load_settings(&cli)?;
    telemetry::init(&settings.log.filter);
    match cli.command.unwrap_or(Command::Serve(ServeArgs::default())) {
        Command::Serve(args) => serve(settings, args).await,
        Command::Config => {
            print!("{}", settings.to_masked_toml());
            Ok(())
        }
        Command::Migrate => {
            let url = settings.database_url();
            open_store(&settings).await?;
            println!("database {} is up to date", mask_url(&url));
            Ok(())
        }
        Command::User(c) => user_command(&settings, c).await,
        Command::Ccu(c) => ccu_command(&settings, c).await,
        Command::Outlet(c) => outlet_command(&settings, c).await,
        Command::Tls(TlsCommand::SelfSigned { hosts, force }) => {
            let s = crate::tls::self_signed(&settings.data_dir, &hosts, force)?;
            println!(
                "wrote {} and {} (mode 0600)",
                s.cert_file.display(),
                s.key_file.display()
            );
            println!("names: {}", s.hosts.join(", "));
            println!("SHA-256 fingerprint: {}", s.fingerprint);
            println!();
            println!("# add to your config file (or set the environment variables below):");
            println!("[mqtt]");
            println!("tls_addr = \"{}\"", settings.mqtt.tls_addr);
            println!("[mqtt.tls]");
            println!("cert_file = {:?}", s.cert_file.display().to_string());
            println!("key_file = {:?}", s.key_file.display().to_string());
            println!();
            println!(
                "SMART_OUTLET_MQTT__TLS__CERT_FILE={}",
                s.cert_file.display()
            );
            println!("SMART_OUTLET_MQTT__TLS__KEY_FILE={}", s.key_file.display());
            println!();
            println!(
                "Give CCUs {} as their CA certificate (esp-tls cert_pem), port {}.",
                s.cert_file.display(),
                settings.mqtt.tls_addr.port()
            );
            Ok(())
        }
    }
}

async fn serve(mut settings: Settings, args: ServeArgs) -> anyhow::Result<()> {
    if args.demo && settings.database.url.expose().is_empty() {
        settings.data_dir = settings.data_dir.join("demo");
    }
    match crate::tls::raise_nofile_limit() {
        Ok(n) => tracing::info!(
            nofile = n,
            "open-files limit (RLIMIT_NOFILE) raised to the hard limit"
        ),
        Err(e) => tracing::warn!(error = %e, "cannot raise the open-files limit (RLIMIT_NOFILE)"),
    }
    let app = Application::build(settings).await?;
    println!(
        "smart-outlet: dashboard http://{}  MQTT {}",
        display_addr(app.http_addr()),
        app.mqtt_addr()
    );
    let demo = if args.demo {
        let demo = demo::start(app.backend(), app.mqtt_addr(), app.http_addr()).await?;
        println!(
            "demo: log in as {} / {} (simulated CCU {} with four outlets on MQTT, and {} with three on the old HTTP firmware)",
            demo::DEMO_USER,
            demo::DEMO_PASSWORD,
            demo::DEMO_CCU,
            demo::DEMO_LEGACY_CCU
        );
        Some(demo)
    } else {
        None
    };
    let result = app.run_until_stopped().await;
    if let Some(d) = demo {
        d.stop().await;
    }
    result
}

async fn open_store(settings: &Settings) -> anyhow::Result<Store> {
    let url = settings.database_url();
    Store::open(&url, 2)
        .await
        .with_context(|| format!("opening the database {}", mask_url(&url)))
}

async fn user_command(settings: &Settings, c: UserCommand) -> anyhow::Result<()> {
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

async fn ccu_command(settings: &Settings, c: CcuCommand) -> anyhow::Result<()> {
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

async fn outlet_command(settings: &Settings, c: OutletCommand) -> anyhow::Result<()> {
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

fn display_addr(a: SocketAddr) -> String {
    if a.ip().is_unspecified() {
        format!("127.0.0.1:{}", a.port())
    } else {
        a.to_string()
    }
}
