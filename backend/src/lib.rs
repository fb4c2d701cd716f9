//! The backend: store, ingest of device traffic, alerts, commands, presence, live events.
//!
//! # Layout
//! - [`Backend`] (`app`): the application services as one handle; services are grouped by
//!   the thing they act on, each in its own module: `ccus`, `outlets`, `commands`, `alerts`,
//!   `history` (readings and events), `accounts`; `ingest` (device traffic), `presence`,
//!   `reconfigure` (following a configuration change), `auth` (the broker's CONNECT hook).
//!   Who is asking is always an [`Actor`]; `admin` holds the store-only functions the CLI
//!   uses without a running server.
//! - [`domain`]: plain types (ids, records, statuses).
//! - [`store`]: sea-orm persistence; nothing else touches entities.
//! - [`bus`]: the backend's MQTT client (rumqttc), for the embedded and external broker alike.
//! - [`writer`]: batches history and latest-state writes into transactions.
//! - [`registry`] / [`state`]: in-memory configuration and live device state.
//! - [`live`]: the in-process event stream for the web layer.
//! - [`metrics`]: counters, including rejects per reason.
#![allow(clippy::too_many_arguments)]

pub mod accounts;
pub mod actor;
pub mod admin;
pub mod adopt;
pub mod alerts;
mod app;
pub mod auth;
pub mod bus;
pub mod ccus;
pub mod clock;
pub mod commands;
pub mod config_watch;
pub mod credentials;
pub mod cutoff;
pub mod domain;
pub mod energy;
mod error;
pub mod external;
pub mod fanout;
pub mod history;
pub mod ingest;
pub mod intake;
pub mod labels;
pub mod lease;
pub mod legacy;
pub mod live;
pub mod login_cache;
pub mod metrics;
pub mod mqtt_link;
pub mod notifications;
pub mod notifier;
pub mod outlets;
pub mod passwords;
mod presence;
mod reconfigure;
pub mod registry;
pub mod schedules;
pub mod signups;
pub mod spool;
pub mod state;
pub mod store;
pub mod tasks;
pub mod users;
pub mod watchers;
pub mod writer;

pub use actor::Actor;
pub use app::Backend;
pub use error::Error;
pub use store::Store;

/// Result alias of this crate.
pub type Result<T> = std::result::Result<T, Error>;
