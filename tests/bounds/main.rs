//! Bounded everything: request bodies (413 early, memory flat), history ranges and bucket
//! counts (400, never 500), the CSV export (streamed, every row, memory flat), paging, and the
//! time window of readings (rejected, counted, told to the CCU; back-dated rows bounded).
//!
//! The memory checks read this process's `VmRSS`: the server runs in-process. So this is a
//! test binary of its own (no other suite's tests share the process) and every test takes one
//! lock, so that they run one at a time and never measure each other. This file holds the
//! lock and the memory readings.

mod bodies;
mod export;
mod history;
mod time_window;

use backend::metrics::RejectReason;
use backend::store::{Batch, SensorRow};
use reqwest::StatusCode;
use serde_json::{Value, json};
use std::net::SocketAddr;
use std::sync::Arc;
use std::sync::atomic::{AtomicU64, Ordering};
use std::time::Duration;
use system_tests::{ApiClient, PASSWORD, spawn_app, spawn_app_with, wait_for};
use tokio::io::{AsyncReadExt, AsyncWriteExt};

const GIB: u64 = 1 << 30;
const MIB: u64 = 1 << 20;
const DAY_MS: i64 = 86_400_000;

/// One memory measurement at a time in this process.
async fn memory_lock() -> tokio::sync::MutexGuard<'static, ()> {
    static LOCK: std::sync::OnceLock<tokio::sync::Mutex<()>> = std::sync::OnceLock::new();
    LOCK.get_or_init(|| tokio::sync::Mutex::new(()))
        .lock()
        .await
}

/// This process's resident set size in bytes (`VmRSS`), or one part of it (`RssAnon`: heap
/// and stacks, without file pages such as SQLite's memory-mapped database).
fn rss_field(field: &str) -> u64 {
    let status = std::fs::read_to_string("/proc/self/status").expect("/proc/self/status");
    status
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse::<u64>().ok())
        .unwrap_or_else(|| panic!("{field} in /proc/self/status"))
        * 1024
}

fn rss() -> u64 {
    rss_field("VmRSS:")
}

fn rss_anon() -> u64 {
    rss_field("RssAnon:")
}

/// A route to push a body at: path, extra headers, whether it answers in the legacy shape.
type Route<'a> = (&'a str, &'a [(&'a str, &'a str)], bool);
