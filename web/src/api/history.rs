//! Reading and breaker history, downsampled into buckets; CSV export.

use super::models::{BreakerBucket, BreakerHistory, ReadingBucket, ReadingHistory, Stat};
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use backend::Backend;
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

/// Most buckets one request may ask for.
pub const MAX_BUCKETS: i64 = 5000;

/// Latest time a history query accepts (9999-12-31, unix ms): with `from` and `to` in
/// `0..=MAX_TS` the bucket arithmetic cannot overflow (schemathesis found `to` = i64::MIN
/// panicking here).
pub const MAX_TS: i64 = 253_402_300_799_999;

fn range(from: Option<i64>, to: Option<i64>, buckets: Option<i64>) -> ApiResult<(i64, i64, i64)> {
    for (name, v) in [("from", from), ("to", to)] {
        if let Some(v) = v
            && !(0..=MAX_TS).contains(&v)
        {
            return Err(ApiError::invalid(format!(
                "`{name}` must be a unix time in ms from 0 to {MAX_TS}"
            )));
        }
    }
    let to = to.unwrap_or_else(|| backend::clock::now_ms() + 1);
    let from = from.unwrap_or(to.saturating_sub(86_400_000).max(0));
    if from >= to {
        return Err(ApiError::invalid("`from` must be before `to`"));
    }
    let n = buckets.unwrap_or(500).clamp(1, MAX_BUCKETS);
    let width = ((to - from) + n - 1) / n;
    Ok((from, to, width.max(1)))
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
    /// An outlet's readings in `[from, to)` (unix ms; default the last 24 h) as at most
    /// `buckets` (default 500, max 5000) buckets with min, mean and max per socket.
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
        backend.get_outlet(auth.user_id(), id.0).await?;
        let (from, to, width) = range(from.0, to.0, buckets.0)?;
        let rows = backend
            .store()
            .reading_buckets(id.0, from, to, width)
            .await?;
        Ok(Json(ReadingHistory {
            from,
            to,
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

    /// An outlet's stored readings in `[from, to)` as CSV (at most 1 000 000 rows).
    #[oai(path = "/outlets/:id/history.csv", method = "get")]
    async fn outlet_csv(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
        from: Query<Option<i64>>,
        to: Query<Option<i64>>,
    ) -> ApiResult<Attachment<Vec<u8>>> {
        let outlet = backend.get_outlet(auth.user_id(), id.0).await?;
        let (from, to, _) = range(from.0, to.0, None)?;
        let rows = backend.store().readings(id.0, from, to, 1_000_000).await?;
        let mut csv =
            String::from("timestamp_ms,timestamp,current_a_ma,current_b_ma,is_overload\n");
        for r in rows {
            let iso = chrono::DateTime::from_timestamp_millis(r.ts)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_default();
            csv.push_str(&format!(
                "{},{iso},{},{},{}\n",
                r.ts, r.current_a, r.current_b, r.is_overload
            ));
        }
        Ok(Attachment::new(csv.into_bytes())
            .attachment_type(AttachmentType::Attachment)
            .filename(format!("outlet-{}-history.csv", outlet.device_id)))
    }

    /// A CCU's stored breaker readings in `[from, to)` as CSV (at most 1 000 000 rows).
    #[oai(path = "/ccus/:id/breaker-history.csv", method = "get")]
    async fn breaker_csv(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<String>,
        from: Query<Option<i64>>,
        to: Query<Option<i64>>,
    ) -> ApiResult<Attachment<Vec<u8>>> {
        let ccu = backend.get_ccu(auth.user_id(), &id.0).await?;
        let (from, to, _) = range(from.0, to.0, None)?;
        let rows = backend
            .store()
            .breaker_readings(&ccu.id, from, to, 1_000_000)
            .await?;
        let mut csv = String::from("timestamp_ms,timestamp,current_ma\n");
        for r in rows {
            let iso = chrono::DateTime::from_timestamp_millis(r.ts)
                .map(|t| t.to_rfc3339_opts(chrono::SecondsFormat::Millis, true))
                .unwrap_or_default();
            csv.push_str(&format!("{},{iso},{}\n", r.ts, r.current_ma));
        }
        Ok(Attachment::new(csv.into_bytes())
            .attachment_type(AttachmentType::Attachment)
            .filename(format!("ccu-{}-breaker-history.csv", ccu.id)))
    }

    /// A CCU's main-breaker load in `[from, to)` as at most `buckets` buckets.
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
        let ccu = backend.get_ccu(auth.user_id(), &id.0).await?;
        let (from, to, width) = range(from.0, to.0, buckets.0)?;
        let rows = backend
            .store()
            .breaker_buckets(&ccu.id, from, to, width)
            .await?;
        Ok(Json(BreakerHistory {
            from,
            to,
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
