//! A simulated CCU: the real `ccu_core::ccu::Ccu` on simulated radio, clock and breaker ADC,
//! talking MQTT (or the old firmware's HTTP polling) to a real server, driven by a tokio task;
//! [`SimCcu`] is its handle.
//!
//! The handle controls the simulated world directly (loads, overloads, relay states are read
//! from the PICs on the air) and the CCU through its task (network cut and restore, stop).

pub mod config;
pub mod control;
pub mod runner;
pub mod snapshot;

pub use config::{OutletSpec, SimCcuConfig, SimTransport, device_ids};
pub use runner::{SIM_BUFFER_LEN, SimCore};
pub use snapshot::CcuSnapshot;

use crate::SimError;
use crate::adc::SimAdc;
use crate::clock::SimClock;
use crate::pic::{LoadProfile, SimPic};
use crate::rf::SimRadio;
use crate::rf::medium::{RfMedium, SharedMedium, lock};
use crate::uplink::{HttpUplink, LegacyHandle, MqttUplink, Uplink, UplinkEvents};
use ccu_core::ccu::Ccu;
use ccu_core::hal::Hal;
use ccu_core::protocol::{DeviceId, MAX_OUTLETS_PER_CCU, Socket};
use control::Control;
use runner::Runner;
use tokio::sync::{mpsc, oneshot, watch};

/// A running simulated CCU and its PICs.
#[derive(Debug)]
pub struct SimCcu {
    id: String,
    clock: SimClock,
    medium: SharedMedium,
    control: mpsc::UnboundedSender<Control>,
    snapshot: watch::Receiver<CcuSnapshot>,
    legacy: Option<LegacyHandle>,
}

impl SimCcu {
    /// Boots the PICs and the CCU and starts connecting over the configured transport:
    /// MQTT, or the old firmware's HTTP cycle (needs a tokio runtime).
    pub fn start(config: SimCcuConfig) -> Result<SimCcu, SimError> {
        match &config.transport {
            SimTransport::Mqtt => {
                let (uplink, events) = MqttUplink::new(config.mqtt());
                SimCcu::start_with(config, uplink, events)
            }
            SimTransport::LegacyHttp(http) => {
                let (uplink, events) = HttpUplink::new(&config.ccu_id, http.clone())?;
                let legacy = uplink.handle();
                let mut ccu = SimCcu::start_with(config, uplink, events)?;
                ccu.legacy = Some(legacy);
                Ok(ccu)
            }
        }
    }

    /// As [`SimCcu::start`] over another transport (`config.transport` is not used).
    pub fn start_with<U: Uplink>(
        config: SimCcuConfig,
        uplink: U,
        events: UplinkEvents,
    ) -> Result<SimCcu, SimError> {
        let settings = config.core_settings()?;
        if config.outlets.len() > MAX_OUTLETS_PER_CCU {
            return Err(SimError::TooManyOutlets(config.outlets.len()));
        }
        let mut medium = RfMedium::new(&config.rf)?;
        for outlet in &config.outlets {
            medium.add_pic(outlet.build(config.master_id))?;
        }
        let medium = medium.shared();
        let clock = SimClock::start();
        let hal = Hal {
            radio: SimRadio::new(medium.clone(), clock),
            clock,
            adc: SimAdc::new(medium.clone(), clock),
            mqtt: uplink,
        };
        let (control, control_rx) = mpsc::unbounded_channel();
        let (snapshot_tx, snapshot) = watch::channel(CcuSnapshot {
            network_up: true,
            ..CcuSnapshot::default()
        });
        let runner = Runner {
            ccu: Box::new(Ccu::new(settings, hal)),
            clock,
            medium: medium.clone(),
            events,
            control: control_rx,
            snapshot: snapshot_tx,
        };
        tokio::spawn(runner.run());
        Ok(SimCcu {
            id: config.ccu_id,
            clock,
            medium,
            control,
            snapshot,
            legacy: None,
        })
    }

    /// The CCU id.
    pub fn id(&self) -> &str {
        &self.id
    }

    /// The legacy HTTP uplink's state and counters, for a CCU started on
    /// [`SimTransport::LegacyHttp`].
    pub fn legacy(&self) -> Option<&LegacyHandle> {
        self.legacy.as_ref()
    }

    /// The simulated outlets' ids, in the order configured.
    pub fn device_ids(&self) -> Vec<DeviceId> {
        lock(&self.medium).pics().iter().map(SimPic::id).collect()
    }

    /// The latest state report.
    pub fn snapshot(&self) -> CcuSnapshot {
        self.snapshot.borrow().clone()
    }

    /// Waits until the state report satisfies `done` (bound it with a timeout).
    pub async fn wait_until(
        &self,
        done: impl FnMut(&CcuSnapshot) -> bool,
    ) -> Result<CcuSnapshot, SimError> {
        let mut rx = self.snapshot.clone();
        let snapshot = rx
            .wait_for(done)
            .await
            .map_err(|_| SimError::Stopped(self.id.clone()))?;
        Ok(snapshot.clone())
    }

    /// Runs `f` on a PIC brought up to now; `f` also gets the time (ms since boot).
    pub fn with_pic<T>(
        &self,
        device: DeviceId,
        f: impl FnOnce(&mut SimPic, u64) -> T,
    ) -> Result<T, SimError> {
        let now_us = self.clock.now_us();
        let mut medium = lock(&self.medium);
        let pic = medium.pic_at(device, now_us)?;
        Ok(f(pic, now_us / 1000))
    }

    /// A socket's relay as it is on the PIC (true = closed, appliance powered).
    pub fn relay(&self, device: DeviceId, socket: Socket) -> Result<bool, SimError> {
        self.with_pic(device, |pic, _| pic.relay(socket))
    }

    /// Both relays of a PIC, `(A, B)`.
    pub fn relays(&self, device: DeviceId) -> Result<(bool, bool), SimError> {
        self.with_pic(device, |pic, _| {
            (pic.relay(Socket::A), pic.relay(Socket::B))
        })
    }

    /// True while the socket is in overload trip.
    pub fn is_tripped(&self, device: DeviceId, socket: Socket) -> Result<bool, SimError> {
        self.with_pic(device, |pic, _| pic.is_tripped(socket))
    }

    /// Plugs a load into a socket (mA, or a [`LoadProfile`]).
    pub fn set_load(
        &self,
        device: DeviceId,
        socket: Socket,
        load: impl Into<LoadProfile>,
    ) -> Result<(), SimError> {
        let load = load.into();
        self.with_pic(device, |pic, _| pic.set_load(socket, load))
    }

    /// Plugs a load above the socket's threshold; it trips at the PIC's next check while
    /// the relay is closed. Returns the load (mA).
    pub fn force_overload(&self, device: DeviceId, socket: Socket) -> Result<u32, SimError> {
        self.with_pic(device, |pic, _| pic.force_overload(socket))
    }

    /// Current through every PIC now (what the breaker clamp sees), mA.
    pub fn total_current_ma(&self) -> u32 {
        lock(&self.medium).total_current_ma(self.clock.now_us())
    }

    /// Drops the connection abruptly (over MQTT the server sees the last will; the legacy
    /// HTTP cycle just stops); the core buffers its readings with timestamps until
    /// [`SimCcu::restore_network`].
    pub async fn cut_network(&self) -> Result<(), SimError> {
        self.request(Control::CutNetwork).await
    }

    /// Reconnects after a cut; the core then flushes what it buffered.
    pub async fn restore_network(&self) -> Result<(), SimError> {
        self.request(Control::RestoreNetwork).await
    }

    /// Publishes `{"online":false}` and disconnects (the legacy HTTP cycle just stops), and
    /// ends the task. Stopping a stopped CCU is fine.
    pub async fn stop(&self) -> Result<(), SimError> {
        match self.request(Control::Stop).await {
            Err(SimError::Stopped(_)) | Ok(()) => Ok(()),
            Err(e) => Err(e),
        }
    }

    async fn request(&self, make: fn(oneshot::Sender<()>) -> Control) -> Result<(), SimError> {
        let (done, done_rx) = oneshot::channel();
        self.control
            .send(make(done))
            .map_err(|_| SimError::Stopped(self.id.clone()))?;
        done_rx
            .await
            .map_err(|_| SimError::Stopped(self.id.clone()))
    }
}
