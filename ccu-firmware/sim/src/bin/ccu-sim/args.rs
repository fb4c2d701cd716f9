//! Command-line arguments of `ccu-sim`.

use anyhow::{Context, bail};
use ccu_sim::accounts::load_accounts;
use ccu_sim::{
    BrokerAddr, CcuAccount, LegacyHttpConfig, LoadProfile, RfSettings, SimCcuConfig, SimTransport,
    device_ids, installation,
};
use clap::Parser;
use std::path::PathBuf;
use std::time::Duration;

/// Runs N simulated CCUs with M simulated PIC outlets each against a server's MQTT broker, or
/// (with --legacy-http) against its old-firmware HTTP routes.
///
/// Register the CCUs first (`smart-outlet ccu add`, with `--transport http` for
/// --legacy-http) and their outlets with the ids FE, FD, FC, … (as many as --outlets). With
/// --legacy-http each further CCU continues the ids (the old protocol's device list is
/// global, so ids must differ across CCUs).
#[derive(Debug, Parser)]
#[command(name = "ccu-sim", version)]
pub struct Args {
    /// Broker host.
    #[arg(long, default_value = "127.0.0.1", env = "CCU_SIM_HOST")]
    pub host: String,
    /// Broker port.
    #[arg(long, default_value_t = 1883, env = "CCU_SIM_PORT")]
    pub port: u16,
    /// A CCU login, `ID:SECRET` (just `ID` with --legacy-http); repeat for more CCUs.
    #[arg(long = "ccu", value_name = "ID:SECRET")]
    pub ccus: Vec<String>,
    /// Run the old firmware's HTTP cycle against this server (`http://host:port`) instead of
    /// MQTT.
    #[arg(long, value_name = "URL", env = "CCU_SIM_LEGACY_HTTP")]
    pub legacy_http: Option<String>,
    /// With --legacy-http: a cycle every this many ms (the firmware's 2000).
    #[arg(long, default_value_t = 2000)]
    pub legacy_period_ms: u64,
    /// With --legacy-http: one background outlet every this many ms (the firmware's 30000).
    #[arg(long, default_value_t = 30_000)]
    pub legacy_background_ms: u64,
    /// A JSON file of logins: `[{"ccu_id":"02","password":"..."}]`.
    #[arg(long, value_name = "FILE", env = "CCU_SIM_ACCOUNTS")]
    pub accounts: Option<PathBuf>,
    /// Simulated outlets per CCU (ids FE, FD, …).
    #[arg(long, default_value_t = 4)]
    pub outlets: usize,
    /// One outlet is read every this many ms (round robin).
    #[arg(long, default_value_t = 2000)]
    pub poll_ms: u32,
    /// The breaker is measured every this many ms.
    #[arg(long, default_value_t = 1500)]
    pub breaker_ms: u32,
    /// Probability that a radio frame is lost (0..1).
    #[arg(long, default_value_t = 0.0)]
    pub loss: f64,
    /// Seed of the frame-loss RNG (per CCU: seed + index).
    #[arg(long, default_value_t = 1)]
    pub seed: u64,
    /// Base load of every socket (mA); each socket varies slowly above it.
    #[arg(long, default_value_t = 400)]
    pub load_ma: u32,
    /// Close every relay at boot, so that currents flow before any command.
    #[arg(long)]
    pub switch_on: bool,
    /// Print a status line per CCU every this many seconds.
    #[arg(long, default_value_t = 5)]
    pub report_s: u64,
    /// Stop after this many seconds (default: run until Ctrl-C).
    #[arg(long)]
    pub duration_s: Option<u64>,
}

impl Args {
    /// The logins from `--ccu` and `--accounts`.
    pub fn accounts(&self) -> anyhow::Result<Vec<CcuAccount>> {
        let mut accounts = self
            .ccus
            .iter()
            .map(|a| match (&self.legacy_http, a.contains(':')) {
                (Some(_), false) if !a.is_empty() => Ok(CcuAccount::new(a, "")),
                _ => CcuAccount::parse(a),
            })
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(path) = &self.accounts {
            accounts.extend(load_accounts(path).context("--accounts")?);
        }
        if accounts.is_empty() {
            bail!("no CCU given: use --ccu ID:SECRET or --accounts FILE");
        }
        Ok(accounts)
    }

    /// One configuration per account, on the chosen transport.
    pub fn plan(&self, accounts: &[CcuAccount]) -> Vec<SimCcuConfig> {
        let broker = BrokerAddr::new(&self.host, self.port);
        let mut configs = installation::plan(&broker, accounts, self.outlets);
        if let Some(url) = &self.legacy_http {
            let http = LegacyHttpConfig::new(url).with_cadence(
                Duration::from_millis(self.legacy_period_ms),
                Duration::from_millis(self.legacy_background_ms),
            );
            let ids = device_ids(self.outlets * configs.len());
            for (config, ids) in configs.iter_mut().zip(ids.chunks(self.outlets.max(1))) {
                config.transport = SimTransport::LegacyHttp(http.clone());
                for (outlet, id) in config.outlets.iter_mut().zip(ids) {
                    outlet.device_id = *id;
                }
            }
        }
        configs
    }

    /// Where the CCUs connect, for the start-up lines.
    pub fn target(&self) -> String {
        match &self.legacy_http {
            Some(url) => format!("{url} (legacy HTTP)"),
            None => format!("{}:{}", self.host, self.port),
        }
    }

    /// Applies the cadences, radio and loads to the planned configurations.
    pub fn tune(&self, configs: &mut [SimCcuConfig]) {
        for (i, config) in configs.iter_mut().enumerate() {
            config.poll_interval_ms = self.poll_ms;
            config.breaker_interval_ms = self.breaker_ms;
            config.rf = RfSettings {
                loss_rate: self.loss,
                seed: self.seed.wrapping_add(i as u64),
                ..RfSettings::default()
            };
            for (j, outlet) in config.outlets.iter_mut().enumerate() {
                let k = (i * 31 + j * 7) as u32;
                for (n, load) in outlet.loads.iter_mut().enumerate() {
                    let period = 20_000 + 1_500 * u64::from(k % 7) + 700 * n as u64;
                    let base = self.load_ma + 25 * (k % 9);
                    *load = LoadProfile::wave(base, self.load_ma / 2, period, 0);
                }
                outlet.switched_on = self.switch_on;
            }
        }
    }
}
