//! Topic names: `ccu/<ccu_id>/<kind>`.

use core::fmt::Write;

/// The first topic level of every device topic.
pub const PREFIX: &str = "ccu";

/// The last topic level: which message a topic carries.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum TopicKind {
    /// CCU → server: outlet readings ([`super::SensorReading`], or an array of them).
    Sensor,
    /// CCU → server: main-breaker load ([`super::BreakerReading`]).
    Breaker,
    /// CCU → server: command outcome ([`super::Ack`]).
    Ack,
    /// CCU → server, retained, also the last will ([`super::Status`]).
    Status,
    /// Server → CCU: a command ([`super::Command`]).
    Cmd,
    /// Server → CCU, retained: the CCU's outlets ([`super::DeviceList`]).
    Devices,
    /// Server → CCU: why a message of the CCU was rejected ([`super::DeviceError`]).
    Error,
}

impl TopicKind {
    /// Every kind, for subscriptions and tests.
    pub const ALL: [TopicKind; 7] = [
        TopicKind::Sensor,
        TopicKind::Breaker,
        TopicKind::Ack,
        TopicKind::Status,
        TopicKind::Cmd,
        TopicKind::Devices,
        TopicKind::Error,
    ];

    /// The topic level as written on the wire.
    pub const fn as_str(self) -> &'static str {
        match self {
            TopicKind::Sensor => "sensor",
            TopicKind::Breaker => "breaker",
            TopicKind::Ack => "ack",
            TopicKind::Status => "status",
            TopicKind::Cmd => "cmd",
            TopicKind::Devices => "devices",
            TopicKind::Error => "error",
        }
    }

    /// Parses a topic level.
    pub fn parse(s: &str) -> Option<TopicKind> {
        TopicKind::ALL.into_iter().find(|k| k.as_str() == s)
    }

    /// True for the kinds a CCU publishes.
    pub const fn from_device(self) -> bool {
        matches!(
            self,
            TopicKind::Sensor | TopicKind::Breaker | TopicKind::Ack | TopicKind::Status
        )
    }
}

/// A parsed device topic, borrowing the CCU id from the topic string.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Topic<'a> {
    /// The CCU id (second level).
    pub ccu_id: &'a str,
    /// The message kind (third level).
    pub kind: TopicKind,
}

impl<'a> Topic<'a> {
    /// Parses `ccu/<id>/<kind>`; anything else (wildcards, extra levels, empty id) is `None`.
    pub fn parse(topic: &'a str) -> Option<Topic<'a>> {
        let mut parts = topic.split('/');
        let (prefix, ccu_id, kind) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() || prefix != PREFIX || ccu_id.is_empty() {
            return None;
        }
        if ccu_id.contains(['+', '#']) {
            return None;
        }
        Some(Topic {
            ccu_id,
            kind: TopicKind::parse(kind)?,
        })
    }

    /// Writes the topic into a fixed-capacity string; `None` if it does not fit.
    pub fn write<const N: usize>(ccu_id: &str, kind: TopicKind) -> Option<heapless::String<N>> {
        let mut s = heapless::String::new();
        write!(s, "{PREFIX}/{ccu_id}/{}", kind.as_str()).ok()?;
        Some(s)
    }
}

impl core::fmt::Display for Topic<'_> {
    fn fmt(&self, f: &mut core::fmt::Formatter<'_>) -> core::fmt::Result {
        write!(f, "{PREFIX}/{}/{}", self.ccu_id, self.kind.as_str())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn parses_and_rejects() {
        let cases: &[(&str, Option<(&str, TopicKind)>)] = &[
            ("ccu/02/sensor", Some(("02", TopicKind::Sensor))),
            ("ccu/AB-1/breaker", Some(("AB-1", TopicKind::Breaker))),
            ("ccu/02/ack", Some(("02", TopicKind::Ack))),
            ("ccu/02/status", Some(("02", TopicKind::Status))),
            ("ccu/02/cmd", Some(("02", TopicKind::Cmd))),
            ("ccu/02/devices", Some(("02", TopicKind::Devices))),
            ("ccu/02/error", Some(("02", TopicKind::Error))),
            ("ccu//sensor", None),
            ("ccu/02/sensor/x", None),
            ("ccu/+/sensor", None),
            ("dev/02/sensor", None),
            ("ccu/02/other", None),
            ("ccu/02", None),
        ];
        for (topic, want) in cases {
            let got = Topic::parse(topic).map(|t| (t.ccu_id, t.kind));
            assert_eq!(got, *want, "{topic}");
        }
    }

    #[test]
    fn writes() {
        let t: heapless::String<32> = Topic::write("02", TopicKind::Cmd).unwrap();
        assert_eq!(t.as_str(), "ccu/02/cmd");
        assert!(Topic::write::<4>("02", TopicKind::Cmd).is_none());
    }
}
