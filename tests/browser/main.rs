//! Browser tests: the dashboard in headless Chromium, driven over WebDriver (chromedriver),
//! against the whole server with simulated CCUs. Each test saves what it saw as a PNG under
//! `target/browser-screenshots/`.
//!
//! Needs `chromium` and `chromium-driver` (Debian packages; `.ci/run` installs them). Without
//! them every test fails saying so. `CHROME_BIN` and `CHROMEDRIVER` override the binaries.
//!
//! # Layout
//! - [`chrome`]: chromedriver and the browser session, screenshots, clean-up.
//! - [`page`]: waiting on DOM conditions, clicking, typing, logging in.
//! - [`site`]: the server with a user, a CCU, outlets and a simulated CCU.
//! - [`proxy`]: a TCP proxy that can cut the browser off the server.
//! - one module per feature: [`accounts`], [`devices`], [`relays`], [`alerts`],
//!   [`cut_all`], [`events`], [`reconnect`], [`legacy_binding`].

mod accounts;
mod alerts;
mod auto_cutoff;
mod chrome;
mod cut_all;
mod devices;
mod events;
mod legacy_binding;
mod legacy_focus;
mod page;
mod proxy;
mod reconnect;
mod relays;
mod site;
