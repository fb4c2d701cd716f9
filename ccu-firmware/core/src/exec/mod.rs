//! Command execution on the RF link: one exchange at a time, ACK matching, time-outs, retries.
//!
//! [`plan()`] turns a [`crate::protocol::Command`] into an [`Exchange`] (or a rejection);
//! the exchange is then driven by [`Exchange::poll`] and [`Exchange::on_frame`], and its
//! [`Outcome`] becomes the [`crate::protocol::Ack`] published for the command.

pub mod ack;
pub mod exchange;
pub mod plan;
pub mod settings;

pub use ack::{CommandId, outcome_ack, rejection_ack};
pub use exchange::{Exchange, Expect, Outcome, Step};
pub use plan::{Rejection, plan};
pub use settings::ExecSettings;
