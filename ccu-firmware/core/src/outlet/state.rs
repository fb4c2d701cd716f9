//! One outlet's state as the CCU knows it (the original `OutletDevice`, without its -1 sentinels).

use crate::protocol::{DeviceId, OVERLOAD_MA, SensorReading, Socket};
use crate::rf::{CommandCode, OVERLOAD_RAW, socket_from_code};

/// A relay as last acknowledged by the PIC.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum RelayState {
    /// No ACK seen yet (also after a PIC power cycle the CCU cannot know).
    #[default]
    Unknown,
    /// Acknowledged off.
    Off,
    /// Acknowledged on.
    On,
}

impl RelayState {
    /// `Some(true)` for on, `Some(false)` for off, `None` when unknown.
    pub const fn as_bool(self) -> Option<bool> {
        match self {
            RelayState::Unknown => None,
            RelayState::Off => Some(false),
            RelayState::On => Some(true),
        }
    }
}

/// One outlet (PIC) and its two sockets.
///
/// Relay states change only through [`Outlet::apply_ack`]; currents only through
/// [`Outlet::record_report`]. A current of `0xFFFF` is an overload trip and is kept as such.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Outlet {
    id: DeviceId,
    relay: [RelayState; 2],
    current_ma: [Option<u16>; 2],
    threshold_ma: Option<u16>,
    pending_threshold_ma: Option<u16>,
    last_seen_ms: Option<u64>,
}

const fn idx(socket: Socket) -> usize {
    match socket {
        Socket::A => 0,
        Socket::B => 1,
    }
}

impl Outlet {
    /// A freshly added outlet: everything unknown.
    pub const fn new(id: DeviceId) -> Outlet {
        Outlet {
            id,
            relay: [RelayState::Unknown; 2],
            current_ma: [None; 2],
            threshold_ma: None,
            pending_threshold_ma: None,
            last_seen_ms: None,
        }
    }

    /// The outlet's id.
    pub const fn id(&self) -> DeviceId {
        self.id
    }

    /// A socket's relay state.
    pub const fn relay(&self, socket: Socket) -> RelayState {
        self.relay[idx(socket)]
    }

    /// A socket's last reported current in mA (`0xFFFF` = overload), `None` if never read.
    pub const fn current_ma(&self, socket: Socket) -> Option<u16> {
        self.current_ma[idx(socket)]
    }

    /// True when the socket's last report was the overload value `0xFFFF`.
    pub const fn socket_overload(&self, socket: Socket) -> bool {
        matches!(self.current_ma[idx(socket)], Some(OVERLOAD_RAW))
    }

    /// True when either socket is in overload trip.
    pub const fn is_overload(&self) -> bool {
        self.socket_overload(Socket::A) || self.socket_overload(Socket::B)
    }

    /// The PIC's threshold in mA, once a SET_THRESHOLD was acknowledged.
    pub const fn threshold_ma(&self) -> Option<u16> {
        self.threshold_ma
    }

    /// A threshold sent but not yet acknowledged.
    pub const fn pending_threshold_ma(&self) -> Option<u16> {
        self.pending_threshold_ma
    }

    /// When the PIC last answered (monotonic ms), `None` if never.
    pub const fn last_seen_ms(&self) -> Option<u64> {
        self.last_seen_ms
    }

    /// Stages a threshold; it is committed by the matching ACK.
    pub fn stage_threshold(&mut self, threshold_ma: u16) {
        self.pending_threshold_ma = Some(threshold_ma);
    }

    /// Applies an ACK from this outlet: `data_h` is the socket code for relay commands.
    ///
    /// Returns false (and changes nothing but `last_seen`) when the ACK carries nothing to apply.
    pub fn apply_ack(&mut self, data_h: u8, acked: CommandCode, now_ms: u64) -> bool {
        self.last_seen_ms = Some(now_ms);
        match acked {
            CommandCode::RelayOn | CommandCode::RelayOff => match socket_from_code(data_h) {
                Some(socket) => {
                    self.relay[idx(socket)] = if acked == CommandCode::RelayOn {
                        RelayState::On
                    } else {
                        RelayState::Off
                    };
                    true
                }
                None => false,
            },
            CommandCode::SetThreshold => match self.pending_threshold_ma.take() {
                Some(threshold) => {
                    self.threshold_ma = Some(threshold);
                    true
                }
                None => false,
            },
            _ => false,
        }
    }

    /// Records a REPORT_DATA value (mA, `0xFFFF` = overload) for one socket.
    pub fn record_report(&mut self, socket: Socket, current_ma: u16, now_ms: u64) {
        self.current_ma[idx(socket)] = Some(current_ma);
        self.last_seen_ms = Some(now_ms);
    }

    /// The live reading (no `ts`): overload is reported as `65535` with `is_overload` set.
    pub fn reading(&self) -> SensorReading {
        let current = |s| self.current_ma(s).map(i64::from);
        SensorReading {
            device_id: self.id,
            current_a: current(Socket::A),
            current_b: current(Socket::B),
            relay_a: self.relay(Socket::A).as_bool(),
            relay_b: self.relay(Socket::B).as_bool(),
            is_overload: self.is_overload(),
            ts: None,
        }
    }
}

// The wire value and the protocol constant must agree.
const _: () = assert!(OVERLOAD_RAW as i64 == OVERLOAD_MA);
