//! Reading and breaker history, downsampled into buckets; CSV export (streamed).
//!
//! Every range is checked by [`Range`] (both ends within year 0–10000 in unix ms, `from`
//! before `to`, at most 400 days) and every bucket count by [`Range::bucket_width`] (1 to
//! 5000), so no request can make the bucket arithmetic overflow.

use super::csv_export;
use super::models::{BreakerBucket, BreakerHistory, ReadingBucket, ReadingHistory, Stat};
use super::range::Range;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use backend::Backend;
use backend::history::{HistoryPages, Series};
use poem::Body;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::{Attachment, AttachmentType, Json};
use poem_openapi::{OpenApi, Tags};

#[derive(Tags)]
enum Tag {
    /// History.
    History,
}

/// History operations.
pub struct HistoryApi;

fn range(from: Option<i64>, to: Option<i64>) -> ApiResult<Range> {
    Range::parse(from, to, backend::clock::now_ms()).map_err(ApiError::invalid)
}

fn stat(s: (i64, f64, i64)) -> Stat {
    Stat {
        min: s.0,
        mean: s.1,
        max: s.2,
    }
}

#[OpenApi(tag = "Tag::History")]
impl HistoryApi {
    /// An outlet's readings in `[from, to)` (unix ms, 0 to 253402300800000; default the last
    /// 24 h; at most 400 days) as at most `buckets` (1 to 5000, default 500) buckets with
    /// min, mean and max per socket. Out-of-range values are a 400.
    #[oai(path = "/outlets/:id/history", method = "get")]
    async fn outlet(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
        from: Query<Option<i64>>,
        to: Query<Option<i64>>,
        buckets: Query<Option<i64>>,
    ) -> ApiResult<Json<ReadingHistory>> {
        let r = range(from.0, to.0)?;
        let width = r.bucket_width(buckets.0).map_err(ApiError::invalid)?;
        let rows = backend
            .outlet_history(auth.actor(), id.0, r.from, r.to, width)
            .await?;
        Ok(Json(ReadingHistory {
            from: r.from,
            to: r.to,
            bucket_ms: width,
            buckets: rows
                .into_iter()
                .map(|b| ReadingBucket {
                    ts: b.ts,
                    n: b.n,
                    a: stat(b.a),
                    b: stat(b.b),
                    overload: b.overload,
                })
                .collect(),
        }))
    }

    /// An outlet's stored readings in `[from, to)` (unix ms; default the last 24 h; at most
    /// 400 days) as CSV, every row, streamed (chunked, read from the database page by page).
    #[oai(path = "/outlets/:id/history.csv", method = "get")]
    async fn outlet_csv(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
        from: Query<Option<i64>>,
        to: Query<Option<i64>>,
    ) -> ApiResult<Attachment<Body>> {
        let series = Series::Outlet(id.0);
        let pages = backend.history_pages(auth.actor(), series).await?;
        let name = format!("outlet-{}-history.csv", pages.label());
        csv_attachment(pages, range(from.0, to.0)?, name)
    }

    /// A CCU's stored breaker readings in `[from, to)` (unix ms; default the last 24 h; at
    /// most 400 days) as CSV, every row, streamed (chunked).
    #[oai(path = "/ccus/:id/breaker-history.csv", method = "get")]
    async fn breaker_csv(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<String>,
        from: Query<Option<i64>>,
        to: Query<Option<i64>>,
    ) -> ApiResult<Attachment<Body>> {
        let series = Series::Breaker(id.0);
        let pages = backend.history_pages(auth.actor(), series).await?;
        let name = format!("ccu-{}-breaker-history.csv", pages.label());
        csv_attachment(pages, range(from.0, to.0)?, name)
    }

    /// A CCU's main-breaker load in `[from, to)` (unix ms; default the last 24 h; at most
    /// 400 days) as at most `buckets` (1 to 5000, default 500) buckets.
    #[oai(path = "/ccus/:id/breaker-history", method = "get")]
    async fn breaker(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<String>,
        from: Query<Option<i64>>,
        to: Query<Option<i64>>,
        buckets: Query<Option<i64>>,
    ) -> ApiResult<Json<BreakerHistory>> {
        let r = range(from.0, to.0)?;
        let width = r.bucket_width(buckets.0).map_err(ApiError::invalid)?;
        let rows = backend
            .breaker_history(auth.actor(), &id.0, r.from, r.to, width)
            .await?;
        Ok(Json(BreakerHistory {
            from: r.from,
            to: r.to,
            bucket_ms: width,
            buckets: rows
                .into_iter()
                .map(|b| BreakerBucket {
                    ts: b.ts,
                    n: b.n,
                    current_ma: stat(b.ma),
                })
                .collect(),
        }))
    }
}

/// A series' rows in `r` as a streamed CSV download named `name`.
fn csv_attachment(pages: HistoryPages, r: Range, name: String) -> ApiResult<Attachment<Body>> {
    let body = csv_export::body(pages, r.from, r.to);
    Ok(Attachment::new(body)
        .attachment_type(AttachmentType::Attachment)
        .filename(name))
}
