//! System tests: the whole program over real sockets with real MQTT clients and databases.

mod access_matrix;
mod accounts;
mod alerts;
mod api;
mod broker_features;
mod cli;
mod commands;
mod demo;
mod emqx_hooks;
mod external_mosquitto;
mod foreign_client;
mod ingest;
mod interop;
mod isolation;
mod legacy;
mod legacy_focus;
mod legacy_tenancy;
mod nodelay;
mod ops;
mod presence;
mod security;
mod shutdown;
mod sim_legacy;
mod sim_mqtt;
mod tls;
mod websocket;
