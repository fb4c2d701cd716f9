//! Events (the audit log).

use super::Store;
use super::entity::event;
use crate::domain::{EventKind, EventRecord, Source};
use crate::{Error, clock};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// An event about to be stored.
#[derive(Debug, Clone)]
pub struct NewEvent {
    /// Owner it concerns.
    pub user_id: Option<i32>,
    /// What happened.
    pub kind: EventKind,
    /// Who caused it.
    pub source: Source,
    /// CCU.
    pub ccu_id: Option<String>,
    /// Outlet device id.
    pub device_id: Option<String>,
    /// Text.
    pub message: String,
    /// Structured detail.
    pub data: Option<serde_json::Value>,
}

/// Which events to list.
#[derive(Debug, Clone, Default)]
pub struct EventFilter {
    /// Owner.
    pub user_id: Option<i32>,
    /// Kind (stored name).
    pub kind: Option<String>,
    /// Source (stored name).
    pub source: Option<String>,
    /// CCU.
    pub ccu_id: Option<String>,
    /// Device id.
    pub device_id: Option<String>,
    /// From (unix ms, inclusive).
    pub since: Option<i64>,
    /// Until (unix ms, exclusive).
    pub until: Option<i64>,
}

impl Store {
    /// Stores an event.
    pub async fn insert_event(&self, e: NewEvent) -> Result<EventRecord, Error> {
        let m = event::ActiveModel {
            user_id: Set(e.user_id),
            kind: Set(e.kind.as_str().to_string()),
            source: Set(e.source.as_str().to_string()),
            ccu_id: Set(e.ccu_id),
            device_id: Set(e.device_id),
            message: Set(e.message),
            data: Set(e.data.map(|d| d.to_string())),
            created_at: Set(clock::now_ms()),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        Ok(to_record(m))
    }

    /// Events matching `filter`, newest first, with the total count.
    pub async fn list_events(
        &self,
        filter: &EventFilter,
        offset: u64,
        limit: u64,
    ) -> Result<(Vec<EventRecord>, u64), Error> {
        let mut q = event::Entity::find();
        if let Some(u) = filter.user_id {
            q = q.filter(event::Column::UserId.eq(u));
        }
        if let Some(k) = &filter.kind {
            q = q.filter(event::Column::Kind.eq(k.as_str()));
        }
        if let Some(s) = &filter.source {
            q = q.filter(event::Column::Source.eq(s.as_str()));
        }
        if let Some(c) = &filter.ccu_id {
            q = q.filter(event::Column::CcuId.eq(c.as_str()));
        }
        if let Some(d) = &filter.device_id {
            q = q.filter(event::Column::DeviceId.eq(d.as_str()));
        }
        if let Some(t) = filter.since {
            q = q.filter(event::Column::CreatedAt.gte(t));
        }
        if let Some(t) = filter.until {
            q = q.filter(event::Column::CreatedAt.lt(t));
        }
        let total = q.clone().count(self.db()).await?;
        let rows = q
            .order_by_desc(event::Column::CreatedAt)
            .order_by_desc(event::Column::Id)
            .offset(offset)
            .limit(limit)
            .all(self.db())
            .await?;
        Ok((rows.into_iter().map(to_record).collect(), total))
    }
}

fn to_record(m: event::Model) -> EventRecord {
    EventRecord {
        id: m.id,
        user_id: m.user_id,
        kind: m.kind,
        source: m.source,
        ccu_id: m.ccu_id,
        device_id: m.device_id,
        message: m.message,
        data: m.data.and_then(|d| serde_json::from_str(&d).ok()),
        created_at: m.created_at,
    }
}
