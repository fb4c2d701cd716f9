//! Command-line arguments of `ccu-sim`.

use anyhow::{Context, bail};
use ccu_sim::accounts::load_accounts;
use ccu_sim::{CcuAccount, LoadProfile, RfSettings, SimCcuConfig};
use clap::Parser;
use std::path::PathBuf;

/// Runs N simulated CCUs with M simulated PIC outlets each against a server's MQTT broker.
///
/// Register the CCUs first (`smart-outlet ccu add`) and their outlets with the ids
/// FE, FD, FC, … (as many as --outlets).
#[derive(Debug, Parser)]
#[command(name = "ccu-sim", version)]
pub struct Args {
    /// Broker host.
    #[arg(long, default_value = "127.0.0.1", env = "CCU_SIM_HOST")]
    pub host: String,
    /// Broker port.
    #[arg(long, default_value_t = 1883, env = "CCU_SIM_PORT")]
    pub port: u16,
    /// A CCU login, `ID:SECRET`; repeat for more CCUs.
    #[arg(long = "ccu", value_name = "ID:SECRET")]
    pub ccus: Vec<String>,
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
            .map(|a| CcuAccount::parse(a))
            .collect::<Result<Vec<_>, _>>()?;
        if let Some(path) = &self.accounts {
            accounts.extend(load_accounts(path).context("--accounts")?);
        }
        if accounts.is_empty() {
            bail!("no CCU given: use --ccu ID:SECRET or --accounts FILE");
        }
        Ok(accounts)
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
