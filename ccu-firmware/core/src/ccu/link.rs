//! The CCU's radio side: drain and route received frames, run one exchange at a time.

use super::{COMMAND_QUEUE_LEN, Ccu, InFlight, Purpose};
use crate::exec::{Exchange, Outcome, Step, outcome_ack, plan, rejection_ack};
use crate::hal::{BreakerAdc, Clock, MqttSession, Radio};
use crate::protocol::DeviceId;
use crate::rf::{CommandCode, Frame};

/// Radio reads per poll (64 bytes each), so a babbling radio cannot stall the loop.
const MAX_READS_PER_POLL: usize = 8;

impl<R, C, A, M, const BUF: usize> Ccu<R, C, A, M, BUF>
where
    R: Radio,
    C: Clock,
    A: BreakerAdc,
    M: MqttSession,
{
    /// Drains the radio and routes every good frame.
    pub(super) fn receive(&mut self, now: u64) {
        let mut buf = [0u8; 64];
        for _ in 0..MAX_READS_PER_POLL {
            let n = match self.hal.radio.read(&mut buf) {
                Ok(0) => break,
                Ok(n) => n.min(buf.len()),
                Err(_) => {
                    self.stats.radio_errors += 1;
                    break;
                }
            };
            for &byte in &buf[..n] {
                // Rejections are counted by the reader itself.
                if let Some(Ok(frame)) = self.reader.push(byte) {
                    self.route(&frame, now);
                }
            }
        }
    }

    /// ACKs update the table wherever they come from; reports only count inside a read.
    fn route(&mut self, frame: &Frame, now: u64) {
        if frame.target != self.settings.master_id {
            self.stats.unmatched_frames += 1;
            return;
        }
        let mut matched = false;
        if frame.cmd == CommandCode::Ack
            && let Some(acked) = CommandCode::from_code(frame.data_l())
            && let Some(outlet) = self.table.get_mut(DeviceId(frame.sender))
        {
            outlet.apply_ack(frame.data_h(), acked, now);
            matched = true;
        }
        if let Some(inflight) = &mut self.inflight {
            let was_open = inflight.exchange.outcome().is_none();
            if let Some(report) = inflight.exchange.on_frame(frame) {
                if let Some(outlet) = self.table.get_mut(report.device) {
                    outlet.record_report(report.socket, report.current_ma, now);
                }
                matched = true;
            }
            matched |= was_open && inflight.exchange.outcome().is_some();
        }
        if !matched {
            self.stats.unmatched_frames += 1;
        }
    }

    /// Moves the exchange on; when it ends, reports it and starts the next one.
    pub(super) fn advance(&mut self, now: u64) {
        for _ in 0..COMMAND_QUEUE_LEN + 2 {
            if self.inflight.is_none() && !self.start_next(now) {
                return;
            }
            let Some(inflight) = &mut self.inflight else {
                return;
            };
            match inflight.exchange.poll(now) {
                Step::Send(frame) => {
                    self.send(&frame);
                    return;
                }
                Step::Wait => return,
                Step::Done(outcome) => {
                    if let Some(done) = self.inflight.take() {
                        self.finish(done, outcome);
                    }
                }
            }
        }
    }

    /// Starts the next command, else the next background read when due.
    fn start_next(&mut self, now: u64) -> bool {
        let master = self.settings.master_id;
        while let Some(command) = self.commands.pop_front() {
            match plan(&command, master, &mut self.table, &self.settings.exec) {
                Ok(exchange) => {
                    self.inflight = Some(InFlight {
                        exchange,
                        purpose: Purpose::Command(command.id),
                    });
                    return true;
                }
                Err(rejection) => {
                    self.stats.commands_rejected += 1;
                    self.queue_ack(rejection_ack(&command.id, rejection));
                }
            }
        }
        let due = self.next_read_ms.is_some_and(|t| now >= t);
        if !due || self.table.is_empty() {
            return false;
        }
        let index = self.read_cursor % self.table.len();
        self.read_cursor = index + 1;
        let Some(outlet) = self.table.at(index) else {
            return false;
        };
        let exec = &self.settings.exec;
        let exchange = Exchange::read(outlet.id(), master, exec.read_window_ms, exec.poll_retries);
        self.next_read_ms = Some(now + u64::from(self.settings.poll_interval_ms));
        self.inflight = Some(InFlight {
            exchange,
            purpose: Purpose::Poll,
        });
        true
    }

    fn send(&mut self, frame: &Frame) {
        match self.hal.radio.write(&frame.encode()) {
            Ok(()) => self.stats.frames_sent += 1,
            // The exchange times out and resends as if the frame was lost.
            Err(_) => self.stats.radio_errors += 1,
        }
    }

    fn finish(&mut self, done: InFlight, outcome: Outcome) {
        let device = done.exchange.device();
        let was_read = done.exchange.code() == CommandCode::ReadCurrent;
        if was_read
            && outcome.is_ok()
            && let Some(outlet) = self.table.get(device)
        {
            let reading = outlet.reading();
            self.emit_reading(reading);
        }
        match done.purpose {
            Purpose::Command(id) => {
                if !outcome.is_ok() {
                    self.stats.commands_timed_out += 1;
                }
                self.queue_ack(outcome_ack(&id, device, outcome));
            }
            Purpose::Poll if !outcome.is_ok() => self.stats.silent_reads += 1,
            Purpose::Poll => {}
        }
    }
}
