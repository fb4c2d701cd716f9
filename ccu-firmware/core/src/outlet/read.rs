//! The read cycle: READ_CURRENT to one outlet, then two REPORT_DATA frames filed under it.
//!
//! A PIC puts the *socket* (1 = A, 2 = B) in the SENDER byte of its reports, so a report says
//! nothing about which outlet sent it: it belongs to the outlet this cycle selected.

use crate::protocol::{DeviceId, Socket};
use crate::rf::{CommandCode, Frame, OVERLOAD_RAW, socket_from_code};

/// One socket's current, filed under the selected outlet.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Report {
    /// The outlet the read cycle selected.
    pub device: DeviceId,
    /// The socket (from the SENDER byte).
    pub socket: Socket,
    /// RMS current in mA; `0xFFFF` = overload trip.
    pub current_ma: u16,
}

impl Report {
    /// True for the overload value `0xFFFF`.
    pub const fn is_overload(&self) -> bool {
        self.current_ma == OVERLOAD_RAW
    }
}

/// Collects the reports answering one READ_CURRENT.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct ReadCycle {
    device: DeviceId,
    master: u8,
    seen: [bool; 2],
}

impl ReadCycle {
    /// Selects `device`; reports must be addressed to `master`.
    pub const fn new(device: DeviceId, master: u8) -> ReadCycle {
        ReadCycle {
            device,
            master,
            seen: [false; 2],
        }
    }

    /// The selected outlet.
    pub const fn device(&self) -> DeviceId {
        self.device
    }

    /// The READ_CURRENT frame to send.
    pub const fn request(&self) -> Frame {
        Frame::read_current(self.device.0, self.master)
    }

    /// Accepts a REPORT_DATA frame addressed to the master with a socket in SENDER.
    pub fn accept(&mut self, frame: &Frame) -> Option<Report> {
        if frame.cmd != CommandCode::ReportData || frame.target != self.master {
            return None;
        }
        let socket = socket_from_code(frame.sender)?;
        self.seen[match socket {
            Socket::A => 0,
            Socket::B => 1,
        }] = true;
        Some(Report {
            device: self.device,
            socket,
            current_ma: frame.data,
        })
    }

    /// Distinct sockets reported so far.
    pub fn n_reports(&self) -> u8 {
        self.seen.iter().filter(|&&s| s).count() as u8
    }

    /// True once both sockets have reported.
    pub fn is_complete(&self) -> bool {
        self.seen == [true, true]
    }
}
