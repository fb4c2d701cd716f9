//! The REST API (poem-openapi): one file per resource, assembled into one service whose
//! spec is served at `/api/v1/openapi.json` and checked in as `web/openapi.json`.

mod accounts;
mod alerts;
mod ccus;
mod commands;
mod csv_export;
mod energy;
mod events;
mod history;
pub mod models;
mod notifications;
mod outlets;
pub mod paging;
pub mod range;
mod schedules;
mod server;
mod tokens;

use poem_openapi::OpenApiService;

/// Every API, in spec order.
pub type Apis = (
    accounts::AccountsApi,
    tokens::TokensApi,
    ccus::CcusApi,
    outlets::OutletsApi,
    commands::CommandsApi,
    history::HistoryApi,
    energy::EnergyApi,
    notifications::NotificationsApi,
    schedules::SchedulesApi,
    alerts::AlertsApi,
    events::EventsApi,
    server::ServerApi,
);

/// The OpenAPI service mounted at `/api/v1`, with the default `[accounts]` settings.
pub fn service() -> OpenApiService<Apis, ()> {
    service_for(&settings::Settings::default().accounts)
}

/// The OpenAPI service with these `[accounts]` settings (the login limiter's numbers).
pub fn service_for(account_settings: &settings::AccountsSettings) -> OpenApiService<Apis, ()> {
    OpenApiService::new(
        (
            accounts::AccountsApi::new(account_settings),
            tokens::TokensApi,
            ccus::CcusApi,
            outlets::OutletsApi,
            commands::CommandsApi,
            history::HistoryApi,
            energy::EnergyApi,
            notifications::NotificationsApi,
            schedules::SchedulesApi,
            alerts::AlertsApi,
            events::EventsApi,
            server::ServerApi,
        ),
        "smart-outlet",
        env!("CARGO_PKG_VERSION"),
    )
    .description(
        "REST API of the smart-outlet backend. Authenticate with the session cookie from \
         POST /auth/login (and send X-CSRF-Token on state-changing requests) or with an API \
         token as `Authorization: Bearer so_…`. Every error body is {\"code\", \"message\"}.",
    )
    .server("/api/v1")
}

/// The spec as pretty JSON (what `web/openapi.json` must contain).
pub fn spec_json() -> String {
    service().spec()
}
