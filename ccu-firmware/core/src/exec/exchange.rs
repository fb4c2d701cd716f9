//! One RF exchange: send a frame, wait for the matching answer, resend on time-out.

use crate::outlet::{ReadCycle, Report};
use crate::protocol::DeviceId;
use crate::rf::{CommandCode, Frame};

/// The answer an exchange waits for.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Expect {
    /// An ACK equal to this frame: TARGET = master, SENDER = the outlet, DATA_H = socket code
    /// (relay commands) or 0, DATA_L = the acknowledged command code.
    Ack(Frame),
    /// REPORT_DATA frames for the selected outlet's sockets.
    Reports(ReadCycle),
}

/// What the caller should do after [`Exchange::poll`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Step {
    /// Write this frame to the radio (first attempt or a retry).
    Send(Frame),
    /// Nothing to do until the next poll.
    Wait,
    /// The exchange is over.
    Done(Outcome),
}

/// How an exchange ended.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Outcome {
    /// The matching ACK arrived.
    Acked,
    /// Reports arrived (1 or 2 sockets) for a read.
    Reported {
        /// Distinct sockets reported.
        n_reports: u8,
    },
    /// Nothing matching arrived after every attempt.
    TimedOut {
        /// Frames sent.
        attempts: u8,
    },
}

impl Outcome {
    /// True unless timed out.
    pub const fn is_ok(&self) -> bool {
        !matches!(self, Outcome::TimedOut { .. })
    }
}

/// A frame in flight with its expectation, attempt count and deadline.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Exchange {
    device: DeviceId,
    frame: Frame,
    expect: Expect,
    wait_ms: u32,
    max_attempts: u8,
    attempts: u8,
    deadline_ms: u64,
    outcome: Option<Outcome>,
}

impl Exchange {
    /// An exchange that sends `frame` (CCU→PIC) and waits for its ACK.
    pub const fn ack(frame: Frame, wait_ms: u32, retries: u8) -> Exchange {
        Exchange::new(frame, Expect::Ack(frame.expected_ack()), wait_ms, retries)
    }

    /// A read cycle: READ_CURRENT to `device`, then up to two reports within `window_ms`.
    pub const fn read(device: DeviceId, master: u8, window_ms: u32, retries: u8) -> Exchange {
        let cycle = ReadCycle::new(device, master);
        Exchange::new(cycle.request(), Expect::Reports(cycle), window_ms, retries)
    }

    const fn new(frame: Frame, expect: Expect, wait_ms: u32, retries: u8) -> Exchange {
        Exchange {
            device: DeviceId(frame.target),
            frame,
            expect,
            wait_ms,
            max_attempts: retries.saturating_add(1),
            attempts: 0,
            deadline_ms: 0,
            outcome: None,
        }
    }

    /// The outlet addressed.
    pub const fn device(&self) -> DeviceId {
        self.device
    }

    /// The frame sent on each attempt.
    pub const fn frame(&self) -> Frame {
        self.frame
    }

    /// The CCU→PIC command code.
    pub const fn code(&self) -> CommandCode {
        self.frame.cmd
    }

    /// Frames sent so far.
    pub const fn attempts(&self) -> u8 {
        self.attempts
    }

    /// When the current attempt times out (monotonic ms); meaningful after the first send.
    pub const fn deadline_ms(&self) -> u64 {
        self.deadline_ms
    }

    /// The outcome, once over.
    pub const fn outcome(&self) -> Option<Outcome> {
        self.outcome
    }

    /// Advances time: sends the first attempt, resends after a time-out, or ends.
    pub fn poll(&mut self, now_ms: u64) -> Step {
        if let Some(outcome) = self.outcome {
            return Step::Done(outcome);
        }
        if self.attempts > 0 && now_ms < self.deadline_ms {
            return Step::Wait;
        }
        if let Expect::Reports(cycle) = &self.expect
            && self.attempts > 0
            && cycle.n_reports() > 0
        {
            return self.finish(Outcome::Reported {
                n_reports: cycle.n_reports(),
            });
        }
        if self.attempts >= self.max_attempts {
            return self.finish(Outcome::TimedOut {
                attempts: self.attempts,
            });
        }
        self.attempts += 1;
        self.deadline_ms = now_ms.saturating_add(u64::from(self.wait_ms));
        Step::Send(self.frame)
    }

    /// Offers a received frame; returns the report to file when it is one of ours.
    ///
    /// A matching ACK ends the exchange (seen at the next [`Exchange::poll`]); so do reports
    /// for both sockets. Frames before the first send or after the end are ignored.
    pub fn on_frame(&mut self, frame: &Frame) -> Option<Report> {
        if self.attempts == 0 || self.outcome.is_some() {
            return None;
        }
        match &mut self.expect {
            Expect::Ack(expected) => {
                if frame == expected {
                    self.outcome = Some(Outcome::Acked);
                }
                None
            }
            Expect::Reports(cycle) => {
                let report = cycle.accept(frame)?;
                if cycle.is_complete() {
                    self.outcome = Some(Outcome::Reported { n_reports: 2 });
                }
                Some(report)
            }
        }
    }

    fn finish(&mut self, outcome: Outcome) -> Step {
        self.outcome = Some(outcome);
        Step::Done(outcome)
    }
}
