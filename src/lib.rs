//! The `smart-outlet` program: CLI, telemetry and start-up wiring of broker, backend and web.
//!
//! # Layout
//! - [`cli`]: the clap commands (`serve`, `config`, `migrate`, `user`, `ccu`, `outlet`).
//! - [`demo`]: `serve --demo`, a demo account with a simulated CCU.
//! - [`startup`]: [`startup::Application`] builds and runs the whole server; tests use it
//!   in-process on ephemeral ports.
//! - [`telemetry`]: tracing subscriber set-up.
//! - [`tls`]: `tls self-signed` (a certificate for the broker's TLS listener) and raising
//!   the open-files limit.

pub mod cli;
pub mod demo;
pub mod startup;
pub mod telemetry;
pub mod tls;
