//! Accounts over real HTTP, one file per concern: the login limiter and the password-hash
//! budget, sessions (registration, password change, logout everywhere), and account removal
//! (delete, disable). This file holds their shared helpers.

mod limiter;
mod removal;
mod sessions;

use futures_util::future::join_all;
use reqwest::{Client, Method, StatusCode};
use rumqttc::AsyncClient;
use sea_orm::{ConnectionTrait, Statement};
use serde_json::json;
use std::sync::atomic::Ordering::Relaxed;
use std::time::Duration;
use system_tests::device::{connack, options};
use system_tests::{ApiClient, PASSWORD, TestApp, spawn_app, spawn_app_with, wait_for};

/// The status of `GET /auth/me`: is the session (or token) still good?
async fn me(client: &ApiClient) -> StatusCode {
    client.get("/auth/me").await.0
}

/// A login attempt without cookies; returns the status.
async fn try_login(app: &TestApp, name: &str, password: &str) -> StatusCode {
    ApiClient::new(app)
        .call(
            Method::POST,
            "/auth/login",
            Some(json!({"username": name, "password": password})),
        )
        .await
        .0
}
