//! The results: one section per scenario, printed as a table and written as JSON.

use serde::Serialize;
use serde_json::Value;
use std::path::Path;

/// One scenario's outcome.
#[derive(Debug, Serialize)]
pub struct Section {
    /// Short name (`ingest`, …).
    pub scenario: String,
    /// `(label, value)` lines for the table.
    pub rows: Vec<(String, String)>,
    /// The numbers, for machines.
    pub numbers: Value,
    /// Why it did not run or failed.
    pub error: Option<String>,
}

/// Every section and the machine they ran on.
#[derive(Debug, Serialize)]
pub struct Report {
    /// `quick` or `full`.
    pub profile: crate::args::Profile,
    /// CPU model, cores, memory, kernel, build profile.
    pub machine: Value,
    /// The scenarios in run order.
    pub sections: Vec<Section>,
}

impl Report {
    /// Prints the table.
    pub fn print(&self) {
        println!();
        println!("== smart-outlet benchmarks ({:?} profile) ==", self.profile);
        println!("machine: {}", self.machine);
        for s in &self.sections {
            println!();
            println!("[{}]", s.scenario);
            if let Some(e) = &s.error {
                println!("  FAILED: {e}");
            }
            let width = s.rows.iter().map(|(l, _)| l.len()).max().unwrap_or(0);
            for (label, value) in &s.rows {
                println!("  {label:<width$}  {value}");
            }
        }
    }

    /// Writes the JSON file (creating its folder).
    pub fn write(&self, path: &Path) -> anyhow::Result<()> {
        if let Some(dir) = path.parent() {
            std::fs::create_dir_all(dir)?;
        }
        std::fs::write(path, serde_json::to_string_pretty(self)?)?;
        Ok(())
    }
}

/// What this machine is.
pub fn machine() -> Value {
    let cpuinfo = std::fs::read_to_string("/proc/cpuinfo").unwrap_or_default();
    let model = cpuinfo
        .lines()
        .find_map(|l| l.strip_prefix("model name"))
        .map(|m| m.trim_start_matches([' ', '\t', ':']).to_string())
        .unwrap_or_default();
    let meminfo = std::fs::read_to_string("/proc/meminfo").unwrap_or_default();
    let mem_kb = meminfo
        .lines()
        .find_map(|l| l.strip_prefix("MemTotal:"))
        .and_then(|v| v.split_whitespace().next()?.parse::<u64>().ok())
        .unwrap_or(0);
    let kernel = std::fs::read_to_string("/proc/sys/kernel/osrelease").unwrap_or_default();
    serde_json::json!({
        "cpu": model,
        "cores": std::thread::available_parallelism().map(|n| n.get()).unwrap_or(0),
        "memory_gib": (mem_kb as f64 / 1024.0 / 1024.0 * 10.0).round() / 10.0,
        "kernel": kernel.trim(),
        "build": if cfg!(debug_assertions) { "debug" } else { "release" },
    })
}
