//! The task that drives one `ccu_core::ccu::Ccu`: poll when due, feed it the server's messages,
//! wake on radio traffic and connection changes, and obey the handle's controls.

use super::control::Control;
use super::snapshot::CcuSnapshot;
use crate::adc::SimAdc;
use crate::clock::SimClock;
use crate::rf::SimRadio;
use crate::rf::medium::{SharedMedium, lock};
use crate::uplink::{Uplink, UplinkEvents};
use ccu_core::ccu::{Ccu, Tick};
use std::time::Duration;
use tokio::sync::{mpsc, watch};
use tokio::time::Instant;

/// Readings a simulated CCU keeps while offline (the core's default is 64).
pub const SIM_BUFFER_LEN: usize = 512;

/// The core on simulated hardware, with uplink `U`.
pub type SimCore<U> = Ccu<SimRadio, SimClock, SimAdc, U, SIM_BUFFER_LEN>;

/// Longest sleep without a poll (the core may have nothing scheduled).
const MAX_IDLE: Duration = Duration::from_millis(500);

/// Owns the core and everything it listens to.
pub struct Runner<U: Uplink> {
    /// The core.
    pub ccu: Box<SimCore<U>>,
    /// Its clock (for wake-up instants).
    pub clock: SimClock,
    /// Its air (for the next radio event).
    pub medium: SharedMedium,
    /// The uplink's receiving ends.
    pub events: UplinkEvents,
    /// Requests from the handle.
    pub control: mpsc::UnboundedReceiver<Control>,
    /// Where the state is reported.
    pub snapshot: watch::Sender<CcuSnapshot>,
}

impl<U: Uplink> Runner<U> {
    /// Runs until stopped (or until every handle is gone: then it powers off, no goodbye).
    pub async fn run(mut self) {
        self.ccu.hal_mut().mqtt.connect();
        let mut network_up = true;
        loop {
            let tick = self.ccu.poll();
            self.report(network_up, false);
            let wake = self.wake_at(tick);
            tokio::select! {
                biased;
                control = self.control.recv() => match control {
                    Some(Control::CutNetwork(done)) => {
                        self.ccu.hal_mut().mqtt.cut();
                        network_up = false;
                        let _ = done.send(());
                    }
                    Some(Control::RestoreNetwork(done)) => {
                        self.ccu.hal_mut().mqtt.connect();
                        network_up = true;
                        let _ = done.send(());
                    }
                    Some(Control::Stop(done)) => {
                        self.ccu.hal_mut().mqtt.close().await;
                        self.report(false, true);
                        let _ = done.send(());
                        return;
                    }
                    None => {
                        self.ccu.hal_mut().mqtt.cut();
                        self.report(false, true);
                        return;
                    }
                },
                Some(message) = self.events.messages.recv() => {
                    if let Err(e) = self.ccu.handle_message(&message.topic, &message.payload) {
                        tracing::warn!(topic = %message.topic, "bad message from the server: {e}");
                    }
                }
                Ok(()) = self.events.connected.changed() => {}
                () = tokio::time::sleep_until(wake) => {}
            }
        }
    }

    /// The next poll: when the core is due, when the next frame lands, or after `MAX_IDLE`.
    fn wake_at(&self, tick: Tick) -> Instant {
        let radio_ms = lock(&self.medium)
            .next_event_us()
            .map(|us| us.div_ceil(1000));
        let idle_ms = tick.now_ms + MAX_IDLE.as_millis() as u64;
        let due = [Some(tick.next_due_ms), radio_ms, Some(idle_ms)]
            .into_iter()
            .flatten()
            .min()
            .unwrap_or(idle_ms);
        self.clock.instant_at_ms(due)
    }

    fn report(&self, network_up: bool, stopped: bool) {
        let ccu = &self.ccu;
        let mqtt = &ccu.hal().mqtt;
        let now = CcuSnapshot {
            connected: mqtt.is_connected(),
            network_up,
            outlets: ccu.outlets().len(),
            buffered_readings: ccu.buffered().len(),
            buffered_breaker: ccu.buffered_breaker().len(),
            pending_commands: ccu.pending_commands(),
            pending_acks: ccu.pending_acks(),
            last_breaker_ma: ccu.last_breaker_ma(),
            published: mqtt.published(),
            stats: ccu.stats(),
            air: lock(&self.medium).stats(),
            stopped,
        };
        self.snapshot.send_if_modified(|old| {
            let changed = *old != now;
            *old = now;
            changed
        });
    }
}
