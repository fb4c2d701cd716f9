//! A CCU `02` on mock hardware, driven in 10 ms steps, for the end-to-end tests.

use super::{MockAdc, MockClock, MockMqtt, MockRadio, RadioExpectation, device_list};
use ccu_core::ccu::{Ccu, CcuSettings, Inbound};
use ccu_core::hal::Hal;

pub type TestCcu = Ccu<MockRadio, MockClock, MockAdc, MockMqtt, 8>;

/// A CCU `02` with background reads and breaker off unless a test turns them on.
pub fn settings() -> CcuSettings {
    let mut settings = CcuSettings::new("02").unwrap();
    settings.firmware = "test".try_into().unwrap();
    settings.poll_interval_ms = 0;
    settings.breaker_interval_ms = 0;
    settings
}

pub struct Rig {
    pub ccu: TestCcu,
    pub clock: MockClock,
}

pub fn rig(
    settings: CcuSettings,
    radio: Vec<RadioExpectation>,
    outlets: &[u8],
    connected: bool,
) -> Rig {
    let clock = MockClock::new();
    let hal = Hal {
        radio: MockRadio::new(radio),
        clock: clock.clone(),
        adc: MockAdc::flat(2048, 320),
        mqtt: MockMqtt {
            connected,
            ..MockMqtt::default()
        },
    };
    let mut ccu = TestCcu::new(settings, hal);
    ccu.set_devices(&device_list(outlets));
    Rig { ccu, clock }
}

impl Rig {
    /// Polls every 10 ms until `ms` have passed (polling at the start too).
    pub fn run_for(&mut self, ms: u64) {
        let end = self.clock.get() + ms;
        loop {
            self.ccu.poll();
            if self.clock.get() >= end {
                return;
            }
            self.clock.advance(10);
        }
    }

    pub fn set_connected(&mut self, connected: bool) {
        self.ccu.hal_mut().mqtt.connected = connected;
    }

    /// Publishes since the last call as `(topic, payload)`, status messages included.
    pub fn published(&mut self) -> Vec<(String, String)> {
        let taken = self.ccu.hal_mut().mqtt.take();
        taken.into_iter().map(|p| (p.topic, p.payload)).collect()
    }

    pub fn command(&mut self, json: &str) -> Inbound {
        self.ccu
            .handle_message("ccu/02/cmd", json.as_bytes())
            .unwrap()
    }
}

pub fn pairs(list: &[(&str, &str)]) -> Vec<(String, String)> {
    list.iter()
        .map(|(t, p)| (t.to_string(), p.to_string()))
        .collect()
}

pub const STATUS: (&str, &str) = ("ccu/02/status", r#"{"online":true,"firmware":"test"}"#);
