//! History and event-log services for people: ownership is checked here, then the store
//! answers (buckets for charts, keyset pages for CSV exports, event pages and day counts).

use crate::actor::Actor;
use crate::app::Backend;
use crate::domain::{BreakerPoint, EventRecord, ReadingPoint};
use crate::store::{BreakerBucket, EventCount, EventFilter, HistoryCursor, ReadingBucket, Store};
use crate::{Error, Result};

/// Which history to read.
#[derive(Debug, Clone)]
pub enum Series {
    /// An outlet's readings.
    Outlet(i32),
    /// A CCU's main-breaker readings.
    Breaker(String),
}

/// One page of a series, oldest first.
#[derive(Debug)]
pub enum Page {
    /// Outlet readings.
    Outlet(Vec<ReadingPoint>),
    /// Breaker readings.
    Breaker(Vec<BreakerPoint>),
}

/// Reads one series, already authorized, page by page (for streamed exports).
#[derive(Debug, Clone)]
pub struct HistoryPages {
    store: Store,
    series: Series,
    label: String,
}

impl HistoryPages {
    /// The series read.
    pub fn series(&self) -> &Series {
        &self.series
    }

    /// What people call the series' device: the outlet's device id (`FE`) or the CCU's id.
    pub fn label(&self) -> &str {
        &self.label
    }

    /// Up to `limit` rows in `[from, to)` after `after`; the cursor of the next page.
    pub async fn page(
        &self,
        from: i64,
        to: i64,
        after: Option<HistoryCursor>,
        limit: u64,
    ) -> Result<(Page, Option<HistoryCursor>)> {
        Ok(match &self.series {
            Series::Outlet(id) => {
                let (rows, next) = self
                    .store
                    .readings_page(*id, from, to, after, limit)
                    .await?;
                (Page::Outlet(rows), next)
            }
            Series::Breaker(ccu) => {
                let (rows, next) = self.store.breaker_page(ccu, from, to, after, limit).await?;
                (Page::Breaker(rows), next)
            }
        })
    }
}

impl Backend {
    /// An outlet's readings in `[from, to)` as buckets of `width` ms.
    pub async fn outlet_history(
        &self,
        actor: Actor,
        outlet: i32,
        from: i64,
        to: i64,
        width: i64,
    ) -> Result<Vec<ReadingBucket>> {
        self.owned_outlet(actor, outlet)?;
        self.inner
            .store
            .reading_buckets(outlet, from, to, width)
            .await
    }

    /// A CCU's breaker readings in `[from, to)` as buckets of `width` ms.
    pub async fn breaker_history(
        &self,
        actor: Actor,
        ccu: &str,
        from: i64,
        to: i64,
        width: i64,
    ) -> Result<Vec<BreakerBucket>> {
        let ccu = self.owned_ccu(actor, ccu)?;
        self.inner
            .store
            .breaker_buckets(&ccu.id, from, to, width)
            .await
    }

    /// A reader of `series`, if the actor may read it.
    pub async fn history_pages(&self, actor: Actor, series: Series) -> Result<HistoryPages> {
        let (series, label) = match series {
            Series::Outlet(id) => {
                let outlet = self.owned_outlet(actor, id)?;
                (Series::Outlet(outlet.id), outlet.device_id.to_string())
            }
            Series::Breaker(id) => {
                let ccu = self.owned_ccu(actor, &id)?;
                (Series::Breaker(ccu.id.clone()), ccu.id)
            }
        };
        Ok(HistoryPages {
            store: self.inner.store.clone(),
            series,
            label,
        })
    }

    /// A page of the events the actor may see (a user's filter is always narrowed to
    /// their own) and the total.
    pub async fn list_events(
        &self,
        actor: Actor,
        mut filter: EventFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<EventRecord>, u64)> {
        if let Some(user) = actor.user_id() {
            filter.user_id = Some(user);
        }
        self.inner.store.list_events(&filter, offset, limit).await
    }

    /// A user's events per kind per UTC day in `[from, to)` (the chart of one account).
    pub async fn event_counts(&self, actor: Actor, from: i64, to: i64) -> Result<Vec<EventCount>> {
        let user = actor
            .user_id()
            .ok_or_else(|| Error::invalid("event counts are per account"))?;
        self.inner.store.event_counts(user, from, to).await
    }

    /// Whether the database answers within [`READY_PATIENCE`] (readiness: a stopped
    /// PostgreSQL otherwise holds the check for the pool's 30 s acquire time-out).
    pub async fn database_ready(&self) -> Result<()> {
        self.inner.store.answers_within(READY_PATIENCE).await
    }
}

/// How long readiness waits for the database.
pub const READY_PATIENCE: std::time::Duration = std::time::Duration::from_millis(500);
