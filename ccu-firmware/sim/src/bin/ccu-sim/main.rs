//! `ccu-sim`: N simulated CCUs × M simulated outlets against a server, with progress output.

mod args;
mod progress;

use args::Args;
use ccu_sim::Installation;
use clap::Parser;
use progress::Progress;
use std::time::Duration;

#[tokio::main]
async fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env().unwrap_or_else(|_| "warn".into()),
        )
        .init();
    let accounts = args.accounts()?;
    let mut configs = args.plan(&accounts);
    args.tune(&mut configs);
    for c in &configs {
        let ids: Vec<String> = c.outlets.iter().map(|o| o.device_id.to_string()).collect();
        println!(
            "CCU {}: outlets {} -> {}",
            c.ccu_id,
            ids.join(" "),
            args.target()
        );
    }
    let site = Installation::start(configs).await?;
    let mut progress = Progress::default();
    let mut changes = tokio::time::interval(Duration::from_millis(250));
    let mut report = tokio::time::interval(Duration::from_secs(args.report_s.max(1)));
    let end = async {
        match args.duration_s {
            Some(s) => tokio::time::sleep(Duration::from_secs(s)).await,
            None => std::future::pending().await,
        }
    };
    tokio::pin!(end);
    loop {
        tokio::select! {
            _ = tokio::signal::ctrl_c() => break,
            () = &mut end => break,
            _ = changes.tick() => progress.changes(&site),
            _ = report.tick() => progress.report(&site),
        }
    }
    println!("stopping");
    progress.report(&site);
    site.stop().await;
    Ok(())
}
