//! What adopting other instances' broker sessions needs from this instance: its intake (the
//! broker settings and the ingest queue the MQTT pump feeds) and which sessions it is
//! adopting now.

use crate::bus::{BusEvent, BusSettings};
use std::collections::HashSet;
use std::sync::{Mutex, OnceLock};
use tokio::sync::mpsc;

/// This instance's adoptions.
#[derive(Debug, Default)]
pub struct Adoptions {
    intake: OnceLock<Intake>,
    running: Mutex<HashSet<String>>,
}

/// Where an adopted session's publishes go.
#[derive(Debug, Clone)]
pub struct Intake {
    /// This instance's broker settings (the adopted connection changes the client id).
    pub settings: BusSettings,
    /// The ingest queue, weak: ingest ends once the pump and the adoptions dropped theirs.
    pub tx: mpsc::WeakSender<BusEvent>,
}

impl Adoptions {
    /// Records the intake (external broker, once its pump started).
    pub fn set_intake(&self, settings: BusSettings, tx: mpsc::WeakSender<BusEvent>) {
        let _ = self.intake.set(Intake { settings, tx });
    }

    /// The intake, once there is one.
    pub fn intake(&self) -> Option<&Intake> {
        self.intake.get()
    }

    /// Marks lease `name` as being adopted here; false if it already is.
    pub fn begin(&self, name: &str) -> bool {
        self.lock().insert(name.to_string())
    }

    /// The adoption of `name` ended.
    pub fn end(&self, name: &str) {
        self.lock().remove(name);
    }

    /// How many sessions are being adopted now.
    pub fn running(&self) -> usize {
        self.lock().len()
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashSet<String>> {
        self.running.lock().unwrap_or_else(|e| e.into_inner())
    }
}
