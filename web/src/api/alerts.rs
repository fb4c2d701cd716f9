//! Alerts: active and past, acknowledge.

use super::models::Alert;
use crate::auth::Auth;
use crate::error::ApiResult;
use backend::Backend;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, Tags};

#[derive(Tags)]
enum Tag {
    /// Alerts.
    Alerts,
}

/// Alert operations.
pub struct AlertsApi;

#[OpenApi(prefix_path = "/alerts", tag = "Tag::Alerts")]
impl AlertsApi {
    /// Your alerts, newest first; `active=true` for the active ones only.
    /// `limit` 1 to 1000 (default 100); out of range: 400.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        active: Query<Option<bool>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<Vec<Alert>>> {
        let limit = super::paging::limit(limit.0).map_err(crate::error::ApiError::invalid)?;
        let alerts = backend
            .list_alerts(auth.actor(), active.0.unwrap_or(false), limit)
            .await?;
        Ok(Json(alerts.into_iter().map(Into::into).collect()))
    }

    /// Acknowledge an alert.
    #[oai(path = "/:id/ack", method = "post")]
    async fn ack(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
    ) -> ApiResult<Json<Alert>> {
        Ok(Json(
            backend.acknowledge_alert(auth.actor(), id.0).await?.into(),
        ))
    }
}
