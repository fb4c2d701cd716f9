//! A simulated PIC16F88 outlet: two relay sockets, per-socket overload trip, the RF command set.
//!
//! Behaviour follows the original PIC firmware (v5.3.1 docs): a frame is processed only when
//! its TARGET is the PIC's device id *and* its SENDER is the stored master id, anything else
//! is dropped silently; relay and threshold commands are ACKed (`TARGET` = master, `SENDER` =
//! own id, `DATA_H` = socket or 0, `DATA_L` = the command); READ_CURRENT is answered by two
//! REPORT_DATA frames with the *socket* in SENDER. Relays are OFF at boot.
//!
//! Time is passed in (ms since the simulated boot), so the model is deterministic.

mod load;
mod socket;
mod stats;

pub use load::LoadProfile;
pub use socket::{CHECK_PERIOD_MS, DEFAULT_THRESHOLD_MA, PicSocket, RETRY_AFTER_MS};
pub use stats::PicStats;

use ccu_core::protocol::{DeviceId, Socket};
use ccu_core::rf::{CommandCode, Frame, FrameReader, socket_code, socket_from_code};

/// Extra draw above the threshold that [`SimPic::force_overload`] sets (mA).
pub const OVERLOAD_MARGIN_MA: u32 = 1_000;

/// One simulated outlet.
#[derive(Debug, Clone)]
pub struct SimPic {
    id: u8,
    master: u8,
    sockets: [PicSocket; 2],
    next_check_ms: u64,
    config_mode: bool,
    reader: FrameReader,
    stats: PicStats,
}

const fn idx(socket: Socket) -> usize {
    match socket {
        Socket::A => 0,
        Socket::B => 1,
    }
}

impl SimPic {
    /// A PIC that just booted: both relays OFF, thresholds 3000 mA, nothing plugged in.
    pub fn new(device_id: u8, master_id: u8) -> SimPic {
        SimPic {
            id: device_id,
            master: master_id,
            sockets: [PicSocket::default(), PicSocket::default()],
            next_check_ms: CHECK_PERIOD_MS,
            config_mode: false,
            reader: FrameReader::new(),
            stats: PicStats::default(),
        }
    }

    /// The device id (EEPROM).
    pub fn id(&self) -> DeviceId {
        DeviceId(self.id)
    }

    /// The master id it obeys (EEPROM).
    pub fn master_id(&self) -> u8 {
        self.master
    }

    /// A socket's state (call [`SimPic::advance`] first for an up-to-date view).
    pub fn socket(&self, socket: Socket) -> &PicSocket {
        &self.sockets[idx(socket)]
    }

    /// True while the socket's relay is closed.
    pub fn relay(&self, socket: Socket) -> bool {
        self.socket(socket).relay_on()
    }

    /// True while the socket is in overload trip.
    pub fn is_tripped(&self, socket: Socket) -> bool {
        self.socket(socket).is_tripped()
    }

    /// The counters.
    pub fn stats(&self) -> PicStats {
        self.stats
    }

    /// True while waiting for SET_DEVICE_ID / SET_ID_MASTER (the button held 3 s).
    pub fn in_config_mode(&self) -> bool {
        self.config_mode
    }

    /// Holds the config button: the next SET_DEVICE_ID or SET_ID_MASTER is accepted.
    pub fn enter_config_mode(&mut self) {
        self.config_mode = true;
    }

    /// Plugs an appliance into a socket.
    pub fn set_load(&mut self, socket: Socket, load: LoadProfile) {
        self.sockets[idx(socket)].set_load(load);
    }

    /// Sets one socket's threshold (SET_THRESHOLD over the air sets both).
    pub fn set_threshold(&mut self, socket: Socket, threshold_ma: u16) {
        self.sockets[idx(socket)].set_threshold(threshold_ma);
    }

    /// Plugs in a load [`OVERLOAD_MARGIN_MA`] above the socket's threshold; returns it (mA).
    ///
    /// The trip happens at the next protection check while the relay is closed (an open
    /// relay carries no current, so it cannot trip).
    pub fn force_overload(&mut self, socket: Socket) -> u32 {
        let ma = u32::from(self.socket(socket).threshold_ma()) + OVERLOAD_MARGIN_MA;
        self.set_load(socket, LoadProfile::constant(ma));
        ma
    }

    /// Closes or opens a relay directly (a bench switch, not a radio command).
    pub fn set_relay(&mut self, socket: Socket, on: bool, now_ms: u64) {
        self.advance(now_ms);
        self.sockets[idx(socket)].switch(on);
    }

    /// Runs the 200 ms protection loop up to `now_ms` (trips and retries).
    pub fn advance(&mut self, now_ms: u64) {
        while self.next_check_ms <= now_ms {
            let t = self.next_check_ms;
            for socket in &mut self.sockets {
                socket.check(t);
            }
            self.next_check_ms += CHECK_PERIOD_MS;
        }
    }

    /// Current flowing through both sockets at `now_ms` (mA), for the breaker clamp.
    pub fn flowing_ma(&mut self, now_ms: u64) -> u32 {
        self.advance(now_ms);
        self.sockets
            .iter()
            .map(|s| s.current_ma(now_ms))
            .fold(0, u32::saturating_add)
    }

    /// Bytes heard on the air at `now_ms`; returns the frames sent back, in order.
    pub fn hear(&mut self, bytes: &[u8], now_ms: u64) -> Vec<Frame> {
        let mut replies = Vec::new();
        for byte in bytes {
            match self.reader.push(*byte) {
                Some(Ok(frame)) => replies.extend(self.handle(&frame, now_ms)),
                Some(Err(_)) => self.stats.bad_frames += 1,
                None => {}
            }
        }
        replies
    }

    /// Processes one decoded frame at `now_ms`; returns the frames sent back, in order.
    pub fn handle(&mut self, frame: &Frame, now_ms: u64) -> Vec<Frame> {
        self.advance(now_ms);
        if frame.target != self.id || frame.sender != self.master {
            self.stats.ignored += 1;
            return Vec::new();
        }
        self.stats.accepted += 1;
        let replies = self.execute(frame, now_ms);
        self.stats.sent += replies.len() as u32;
        replies
    }

    fn execute(&mut self, frame: &Frame, now_ms: u64) -> Vec<Frame> {
        let ack = |from: u8, data_h: u8| Frame::ack(frame.sender, from, frame.cmd, data_h);
        match frame.cmd {
            CommandCode::Ping => vec![ack(self.id, 0)],
            CommandCode::RelayOn | CommandCode::RelayOff => {
                let Some(socket) = socket_from_code(frame.data_l()) else {
                    return Vec::new();
                };
                self.sockets[idx(socket)].switch(frame.cmd == CommandCode::RelayOn);
                vec![ack(self.id, socket_code(socket))]
            }
            CommandCode::ReadCurrent => [Socket::A, Socket::B]
                .into_iter()
                .map(|s| Frame::report(self.master, s, self.socket(s).report_ma(now_ms)))
                .collect(),
            CommandCode::SetThreshold => {
                for socket in &mut self.sockets {
                    socket.set_threshold(frame.data);
                }
                vec![ack(self.id, 0)]
            }
            CommandCode::SetDeviceId | CommandCode::SetIdMaster if !self.config_mode => {
                // The PIC prints `Cfg?` on its debug UART and sends nothing.
                Vec::new()
            }
            CommandCode::SetDeviceId => {
                self.config_mode = false;
                self.id = frame.data_l();
                vec![ack(self.id, 0)]
            }
            CommandCode::SetIdMaster => {
                self.config_mode = false;
                self.master = frame.data_l();
                vec![ack(self.id, 0)]
            }
            CommandCode::ReportData | CommandCode::Ack => Vec::new(),
        }
    }
}
