//! `bench`: starts the server on ephemeral ports with a fresh database (as a child process, so
//! its CPU and memory are its own), drives it with simulated CCUs over real sockets, and
//! prints a table plus a JSON file. See `docs/BENCHMARKS.md`.

mod api;
mod args;
mod cluster;
mod cpu;
mod invariants;
mod legacy_ccu;
mod mosquitto;
mod mqtt_ccu;
mod probe;
mod profile;
mod report;
mod scenario;
mod seed;
mod server;
mod stats;

use args::Args;
use clap::Parser;

fn main() -> anyhow::Result<()> {
    let args = Args::parse();
    let _ = rlimit::increase_nofile_limit(1 << 20);
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    if let Some(dir) = &args.perf {
        server::profile_into(dir)?;
    }
    if let Some(config) = &args.serve {
        return runtime.block_on(server::serve_child(config));
    }
    runtime.block_on(scenario::run_all(&args))
}
