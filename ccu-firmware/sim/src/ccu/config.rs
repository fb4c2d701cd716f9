//! What a simulated CCU is started with: transport and login, outlets (simulated PICs),
//! cadences, radio.

use crate::SimError;
use crate::pic::{DEFAULT_THRESHOLD_MA, LoadProfile, SimPic};
use crate::rf::RfSettings;
use crate::uplink::{BrokerAddr, LegacyHttpConfig, MqttConfig};
use ccu_core::ccu::CcuSettings;
use ccu_core::exec::ExecSettings;
use ccu_core::protocol::{DeviceId, Socket};
use ccu_core::rf::DEFAULT_MASTER_ID;
use std::time::Duration;

/// One simulated outlet (PIC) in range of the CCU.
#[derive(Debug, Clone)]
pub struct OutletSpec {
    /// Its device id; must match the outlet registered on the server.
    pub device_id: DeviceId,
    /// Per-socket overload threshold (mA).
    pub threshold_ma: u16,
    /// What is plugged into sockets A and B.
    pub loads: [LoadProfile; 2],
    /// Close both relays at boot (a bench switch; a real PIC boots with both OFF).
    pub switched_on: bool,
}

impl OutletSpec {
    /// A factory-fresh outlet: threshold 3000 mA, nothing plugged in, relays OFF.
    pub fn new(device_id: DeviceId) -> OutletSpec {
        OutletSpec {
            device_id,
            threshold_ma: DEFAULT_THRESHOLD_MA,
            loads: [LoadProfile::NONE, LoadProfile::NONE],
            switched_on: false,
        }
    }

    /// Plugs a load into a socket.
    pub fn with_load(mut self, socket: Socket, load: impl Into<LoadProfile>) -> OutletSpec {
        self.loads[usize::from(socket == Socket::B)] = load.into();
        self
    }

    /// The PIC this describes, obeying `master_id`.
    pub fn build(&self, master_id: u8) -> SimPic {
        let mut pic = SimPic::new(self.device_id.0, master_id);
        for (socket, load) in [Socket::A, Socket::B].into_iter().zip(&self.loads) {
            pic.set_threshold(socket, self.threshold_ma);
            pic.set_load(socket, load.clone());
            if self.switched_on {
                pic.set_relay(socket, true, 0);
            }
        }
        pic
    }
}

/// `n` distinct outlet ids, `FE`, `FD`, `FC`, … (the ids of the original docs), at most 252.
pub fn device_ids(n: usize) -> Vec<DeviceId> {
    (0..n.min(252)).map(|i| DeviceId(0xFE - i as u8)).collect()
}

/// How a simulated CCU talks to the server.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub enum SimTransport {
    /// MQTT to the server's broker ([`SimCcuConfig::broker`], with the CCU's secret).
    #[default]
    Mqtt,
    /// The old firmware's HTTP polling of the server's `/api/` routes (register the CCU with
    /// the `http` transport; broker and secret are unused).
    LegacyHttp(LegacyHttpConfig),
}

/// A simulated CCU's configuration.
#[derive(Debug, Clone)]
pub struct SimCcuConfig {
    /// Registered CCU id (`02`).
    pub ccu_id: String,
    /// How it talks to the server.
    pub transport: SimTransport,
    /// Its MQTT secret.
    pub password: String,
    /// The server's broker.
    pub broker: BrokerAddr,
    /// The PICs in range.
    pub outlets: Vec<OutletSpec>,
    /// The RF master id (the PICs are programmed to obey it).
    pub master_id: u8,
    /// Firmware announced in the status message (≤ 24 characters).
    pub firmware: String,
    /// One outlet is read (round robin) every this many ms.
    pub poll_interval_ms: u32,
    /// The breaker is measured every this many ms.
    pub breaker_interval_ms: u32,
    /// RF time-outs and retries.
    pub exec: ExecSettings,
    /// The air.
    pub rf: RfSettings,
    /// MQTT keep-alive.
    pub keep_alive: Duration,
    /// Pause between MQTT connection attempts.
    pub reconnect_delay: Duration,
}

impl SimCcuConfig {
    /// Defaults of the core (a read every 2 s, breaker every 1.5 s, master `0x02`), a
    /// perfect radio, no outlets.
    pub fn new(
        ccu_id: impl Into<String>,
        password: impl Into<String>,
        broker: BrokerAddr,
    ) -> SimCcuConfig {
        SimCcuConfig {
            ccu_id: ccu_id.into(),
            transport: SimTransport::Mqtt,
            password: password.into(),
            broker,
            outlets: Vec::new(),
            master_id: DEFAULT_MASTER_ID,
            firmware: format!("sim-{}", env!("CARGO_PKG_VERSION")),
            poll_interval_ms: 2_000,
            breaker_interval_ms: 1_500,
            exec: ExecSettings::DEFAULT,
            rf: RfSettings::default(),
            keep_alive: Duration::from_secs(5),
            reconnect_delay: Duration::from_secs(1),
        }
    }

    /// A CCU on the old firmware's HTTP polling of `http.base_url`, otherwise as
    /// [`SimCcuConfig::new`].
    pub fn legacy_http(ccu_id: impl Into<String>, http: LegacyHttpConfig) -> SimCcuConfig {
        SimCcuConfig::new(ccu_id, "", BrokerAddr::new("unused", 0))
            .with_transport(SimTransport::LegacyHttp(http))
    }

    /// Switches the transport.
    pub fn with_transport(mut self, transport: SimTransport) -> SimCcuConfig {
        self.transport = transport;
        self
    }

    /// Adds factory-fresh outlets with these ids.
    pub fn with_device_ids(mut self, ids: impl IntoIterator<Item = DeviceId>) -> SimCcuConfig {
        self.outlets.extend(ids.into_iter().map(OutletSpec::new));
        self
    }

    /// Short cadences for tests and demos: a read every 100 ms, the breaker every 250 ms,
    /// reconnect attempts every 200 ms.
    pub fn fast(mut self) -> SimCcuConfig {
        self.poll_interval_ms = 100;
        self.breaker_interval_ms = 250;
        self.reconnect_delay = Duration::from_millis(200);
        self
    }

    /// The core's settings.
    pub fn core_settings(&self) -> Result<CcuSettings, SimError> {
        let mut s = CcuSettings::new(&self.ccu_id)
            .filter(|_| !self.ccu_id.is_empty())
            .ok_or_else(|| SimError::InvalidCcuId(self.ccu_id.clone()))?;
        s.firmware = self
            .firmware
            .as_str()
            .try_into()
            .map_err(|_| SimError::InvalidFirmware(self.firmware.clone()))?;
        s.master_id = self.master_id;
        s.poll_interval_ms = self.poll_interval_ms;
        s.breaker_interval_ms = self.breaker_interval_ms;
        s.exec = self.exec;
        Ok(s)
    }

    /// The MQTT login.
    pub fn mqtt(&self) -> MqttConfig {
        MqttConfig {
            broker: self.broker.clone(),
            ccu_id: self.ccu_id.clone(),
            password: self.password.clone(),
            keep_alive: self.keep_alive,
            reconnect_delay: self.reconnect_delay,
        }
    }
}
