//! The event log: filter, paginate, statistics.

use super::models::{EventCount, EventPage};
use super::range::Range;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use backend::Backend;
use backend::store::EventFilter;
use poem::web::Data;
use poem_openapi::param::Query;
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, Tags};

#[derive(Tags)]
enum Tag {
    /// Event log.
    Events,
}

/// Event operations.
pub struct EventsApi;

#[OpenApi(prefix_path = "/events", tag = "Tag::Events")]
impl EventsApi {
    /// Your events, newest first, filtered by kind, source, CCU, device and time (unix ms).
    /// `per_page` 1 to 500 (default 50); `page` from 1, at most 100 000 events skipped
    /// (`(page - 1) * per_page`); beyond, narrow with `from`/`to`. Out of range: 400.
    #[oai(path = "/", method = "get")]
    #[allow(clippy::too_many_arguments)]
    async fn list(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        kind: Query<Option<String>>,
        source: Query<Option<String>>,
        ccu_id: Query<Option<String>>,
        device_id: Query<Option<String>>,
        from: Query<Option<i64>>,
        to: Query<Option<i64>>,
        page: Query<Option<u64>>,
        per_page: Query<Option<u64>>,
    ) -> ApiResult<Json<EventPage>> {
        let (page, per_page, offset) =
            super::paging::page(page.0, per_page.0).map_err(ApiError::invalid)?;
        let device_id = device_id.0.map(|d| {
            backend::domain::DeviceId::parse(&d)
                .map(|d| d.to_string())
                .unwrap_or(d)
        });
        let filter = EventFilter {
            user_id: None,
            kind: kind.0,
            source: source.0,
            ccu_id: ccu_id.0.map(|c| c.to_uppercase()),
            device_id,
            since: from.0,
            until: to.0,
        };
        let (items, total) = backend
            .list_events(auth.actor(), filter, offset, per_page)
            .await?;
        Ok(Json(EventPage {
            items: items.into_iter().map(Into::into).collect(),
            total,
            page,
            per_page,
        }))
    }

    /// Counts of your events per kind per UTC day in `[from, to)` (unix ms; default: the
    /// last 30 days; at most 400 days). Out of range: 400.
    #[oai(path = "/stats", method = "get")]
    async fn stats(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        from: Query<Option<i64>>,
        to: Query<Option<i64>>,
    ) -> ApiResult<Json<Vec<EventCount>>> {
        let r = Range::parse_with_default(from.0, to.0, backend::clock::now_ms(), 30 * 86_400_000)
            .map_err(ApiError::invalid)?;
        let counts = backend.event_counts(auth.actor(), r.from, r.to).await?;
        Ok(Json(
            counts
                .into_iter()
                .map(|c| EventCount {
                    day: c.day,
                    kind: c.kind,
                    count: c.count,
                })
                .collect(),
        ))
    }
}
