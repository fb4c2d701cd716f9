//! The REST API over a real socket, one file per resource: accounts and CSRF, CCUs and
//! outlets, commands, API tokens, history, events, and errors with the spec.

mod accounts;
mod ccus;
mod commands;
mod errors;
mod events;
mod history;
mod tokens;
