//! Schedules: an outlet's socket switched on or off at a local time on chosen days.

use super::models::{NewSchedule, Schedule, WEEKDAYS};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use backend::Backend;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};

#[derive(Tags)]
enum Tag {
    /// Schedules.
    Schedules,
}

/// Schedule operations.
pub struct SchedulesApi;

#[derive(ApiResponse)]
enum Created {
    /// The schedule, with its next run.
    #[oai(status = 201)]
    Ok(Json<Schedule>),
}

#[derive(ApiResponse)]
enum Deleted {
    /// Deleted.
    #[oai(status = 204)]
    Ok,
}

#[OpenApi(tag = "Tag::Schedules")]
impl SchedulesApi {
    /// An outlet's schedules.
    #[oai(path = "/outlets/:id/schedules", method = "get")]
    async fn list(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
    ) -> ApiResult<Json<Vec<Schedule>>> {
        let list = backend.outlet_schedules(auth.actor(), id.0).await?;
        Ok(Json(list.into_iter().map(Into::into).collect()))
    }

    /// Switch a socket on or off every chosen day at a local time (the server runs it, once,
    /// within `automation.schedule_check`; a run missed by over 5 minutes is skipped). At
    /// most 20 per outlet; bad values are a 400.
    #[oai(path = "/outlets/:id/schedules", method = "post")]
    async fn create(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
        body: Json<NewSchedule>,
    ) -> ApiResult<Created> {
        let turn_on = match body.action.as_str() {
            "on" => true,
            "off" => false,
            _ => return Err(ApiError::invalid("action must be on or off")),
        };
        let mut weekdays = 0;
        for d in body.weekdays.iter().flatten() {
            let i = WEEKDAYS
                .iter()
                .position(|w| w.eq_ignore_ascii_case(d))
                .ok_or_else(|| {
                    ApiError::invalid("weekdays must be mon, tue, wed, thu, fri, sat or sun")
                })?;
            weekdays |= 1 << i;
        }
        let s = backend::schedules::NewSchedule {
            socket: body.socket.clone(),
            turn_on,
            time: body.time.clone(),
            weekdays,
            timezone: body.timezone.clone().unwrap_or_default(),
        };
        let created = backend.add_schedule(auth.actor(), id.0, s).await?;
        Ok(Created::Ok(Json(created.into())))
    }

    /// Delete a schedule.
    #[oai(path = "/schedules/:id", method = "delete")]
    async fn delete(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
    ) -> ApiResult<Deleted> {
        backend.delete_schedule(auth.actor(), id.0).await?;
        Ok(Deleted::Ok)
    }
}
