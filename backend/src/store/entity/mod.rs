//! sea-orm entities, one file per table. Only `store` uses them.

pub mod alert;
pub mod api_token;
pub mod breaker_reading;
pub mod ccu;
pub mod command;
pub mod event;
pub mod notification_target;
pub mod outlet;
pub mod sensor_reading;
pub mod session;
pub mod user;
