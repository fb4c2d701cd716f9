//! Progress lines printed by `ccu-sim`.

use ccu_sim::{CcuSnapshot, Installation};

/// Remembers what was printed, to report connection changes once.
#[derive(Debug, Default)]
pub struct Progress {
    connected: Vec<bool>,
}

impl Progress {
    /// Prints a line per CCU whose connection went up or down since the last call.
    pub fn changes(&mut self, site: &Installation) {
        let snapshots = site.snapshots();
        self.connected.resize(snapshots.len(), false);
        for ((id, s), was) in snapshots.iter().zip(&mut self.connected) {
            if s.connected != *was {
                *was = s.connected;
                let state = if s.connected { "online" } else { "offline" };
                println!("CCU {id}: {state}");
            }
        }
    }

    /// Prints one status line per CCU.
    pub fn report(&self, site: &Installation) {
        for (id, s) in site.snapshots() {
            println!("{}", line(&id, &s));
        }
    }
}

fn line(id: &str, s: &CcuSnapshot) -> String {
    let breaker = s
        .last_breaker_ma
        .map_or_else(|| "-".to_string(), |ma| format!("{ma} mA"));
    format!(
        "CCU {id}: {} | outlets {} | breaker {breaker} | published {} | buffered {} | \
         frames tx {} rx {} lost {} | silent reads {} | timeouts {}",
        if s.connected { "online" } else { "offline" },
        s.outlets,
        s.published,
        s.buffered_readings,
        s.stats.frames_sent,
        s.stats.frames_received,
        s.air.lost,
        s.stats.silent_reads,
        s.stats.commands_timed_out,
    )
}
