//! Notification targets: where a user's alerts and automatic cut-offs are pushed.

use super::models::{DeliveryResult, NewNotificationTarget, NotificationTarget};
use crate::auth::Auth;
use crate::error::ApiResult;
use backend::Backend;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};

#[derive(Tags)]
enum Tag {
    /// Notifications.
    Notifications,
}

/// Notification operations.
pub struct NotificationsApi;

#[derive(ApiResponse)]
enum Created {
    /// The target.
    #[oai(status = 201)]
    Ok(Json<NotificationTarget>),
}

#[derive(ApiResponse)]
enum Deleted {
    /// Deleted.
    #[oai(status = 204)]
    Ok,
}

#[OpenApi(prefix_path = "/notifications/targets", tag = "Tag::Notifications")]
impl NotificationsApi {
    /// Your notification targets.
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
    ) -> ApiResult<Json<Vec<NotificationTarget>>> {
        let targets = backend.notification_targets(auth.actor()).await?;
        Ok(Json(targets.into_iter().map(Into::into).collect()))
    }

    /// Add a target: alerts raised and cleared and automatic cut-offs of your devices are
    /// `POST`ed to it (retried, `notifications.attempts`). A URL whose host is this
    /// machine, a private, loopback or link-local address is a 400 (unless the server allows
    /// private targets); at most `notifications.max_targets_per_user` targets.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        body: Json<NewNotificationTarget>,
    ) -> ApiResult<Created> {
        let t = backend
            .add_notification_target(auth.actor(), &body.kind, &body.url)
            .await?;
        Ok(Created::Ok(Json(t.into())))
    }

    /// Send a test notification to a target now (one attempt) and say how it went.
    #[oai(path = "/:id/test", method = "post")]
    async fn test(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
    ) -> ApiResult<Json<DeliveryResult>> {
        let d = backend.test_notification_target(auth.actor(), id.0).await?;
        Ok(Json(DeliveryResult {
            delivered: d.delivered,
            status: d.status,
            error: d.error,
        }))
    }

    /// Delete a target.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
    ) -> ApiResult<Deleted> {
        backend
            .delete_notification_target(auth.actor(), id.0)
            .await?;
        Ok(Deleted::Ok)
    }
}
