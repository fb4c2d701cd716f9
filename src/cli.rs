//! The command line: `serve` (default), `config`, `migrate`, `user add|list|disable|enable|reset-password`, `ccu add|list|rotate-secret|bind|unbind`, `outlet add|list`, `tls self-signed`.

mod manage;

use crate::demo;
use crate::startup::{Application, mask_url};
use crate::telemetry;
use anyhow::{Context, bail};
use backend::Store;
use backend::domain::Transport;
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
            manage::open_store(&settings).await?;
            println!("database {} is up to date", mask_url(&url));
            Ok(())
        }
        Command::User(c) => manage::user_command(&settings, c).await,
        Command::Ccu(c) => manage::ccu_command(&settings, c).await,
        Command::Outlet(c) => manage::outlet_command(&settings, c).await,
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
    if args.demo && settings.energy.price_per_kwh == 0.0 {
        // So that the outlet pages show what the demo's loads cost.
        settings.energy.price_per_kwh = demo::DEMO_PRICE_PER_KWH;
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

fn display_addr(a: SocketAddr) -> String {
    if a.ip().is_unspecified() {
        format!("127.0.0.1:{}", a.port())
    } else {
        a.to_string()
    }
}
