//! Request and response bodies of the REST API, one file per resource.

mod accounts;
mod alerts;
mod ccus;
mod commands;
mod energy;
mod events;
mod history;
mod notifications;
mod outlets;
mod schedules;
mod server;
mod tokens;

pub use accounts::*;
pub use alerts::*;
pub use ccus::*;
pub use commands::*;
pub use energy::*;
pub use events::*;
pub use history::*;
pub use notifications::*;
pub use outlets::*;
pub use schedules::*;
pub use server::*;
pub use tokens::*;

use backend::domain as d;
use poem_openapi::{Enum, Object};
