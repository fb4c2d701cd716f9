//! Alerts.

use super::Store;
use super::entity::{alert, outlet};
use crate::Error;
use crate::domain::{AlertKind, AlertRecord};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set, SqlErr,
};

/// What raising an alert did.
#[derive(Debug)]
pub enum Raised {
    /// Stored: this instance raised it.
    New(AlertRecord),
    /// The condition already had an active alert (this id), raised by another instance.
    Existing(i32),
}

/// An alert about to be raised.
#[derive(Debug, Clone)]
pub struct NewAlert {
    /// Owner.
    pub user_id: i32,
    /// Kind.
    pub kind: AlertKind,
    /// CCU.
    pub ccu_id: Option<String>,
    /// Outlet.
    pub outlet_id: Option<i32>,
    /// Text.
    pub message: String,
    /// Value (mA).
    pub value: Option<i64>,
    /// Threshold (mA).
    pub threshold: Option<i64>,
    /// When.
    pub raised_at: i64,
}

impl Store {
    /// Stores a raised alert, unless its condition (kind, CCU, outlet) already has an active
    /// one (raised by another instance): then that one's id, and nothing is stored.
    pub async fn raise_alert(&self, a: NewAlert) -> Result<Raised, Error> {
        // the other instance's alert may be cleared between our insert and our look-up:
        // then the insert is tried again
        let mut tries = 0;
        loop {
            tries += 1;
            match self.insert_alert(a.clone()).await {
                Ok(m) => return Ok(Raised::New(self.alert_record(m).await?)),
                Err(e) if matches!(e.sql_err(), Some(SqlErr::UniqueConstraintViolation(_))) => {
                    if let Some(id) = self.active_alert_id(&a).await? {
                        return Ok(Raised::Existing(id));
                    }
                    if tries >= 3 {
                        return Err(e.into());
                    }
                }
                Err(e) => return Err(e.into()),
            }
        }
    }

    async fn insert_alert(&self, a: NewAlert) -> Result<alert::Model, sea_orm::DbErr> {
        alert::ActiveModel {
            user_id: Set(a.user_id),
            ccu_id: Set(a.ccu_id),
            outlet_id: Set(a.outlet_id),
            kind: Set(a.kind.as_str().to_string()),
            message: Set(a.message),
            value: Set(a.value),
            threshold: Set(a.threshold),
            raised_at: Set(a.raised_at),
            cleared_at: Set(None),
            acknowledged_at: Set(None),
            acknowledged_by: Set(None),
            ..Default::default()
        }
        .insert(self.db())
        .await
    }

    /// The active alert of `a`'s condition, if any.
    async fn active_alert_id(&self, a: &NewAlert) -> Result<Option<i32>, Error> {
        let mut q = alert::Entity::find()
            .filter(alert::Column::Kind.eq(a.kind.as_str()))
            .filter(alert::Column::ClearedAt.is_null());
        q = match &a.ccu_id {
            Some(c) => q.filter(alert::Column::CcuId.eq(c.as_str())),
            None => q.filter(alert::Column::CcuId.is_null()),
        };
        q = match a.outlet_id {
            Some(o) => q.filter(alert::Column::OutletId.eq(o)),
            None => q.filter(alert::Column::OutletId.is_null()),
        };
        Ok(q.one(self.db()).await?.map(|m| m.id))
    }

    /// Marks an alert cleared, if it still is active: `None` when another instance cleared
    /// it first.
    pub async fn clear_alert(&self, id: i32, at: i64) -> Result<Option<AlertRecord>, Error> {
        let done = alert::Entity::update_many()
            .col_expr(alert::Column::ClearedAt, Expr::value(at))
            .filter(alert::Column::Id.eq(id))
            .filter(alert::Column::ClearedAt.is_null())
            .exec(self.db())
            .await?;
        if done.rows_affected == 0 {
            return Ok(None);
        }
        match alert::Entity::find_by_id(id).one(self.db()).await? {
            Some(m) => Ok(Some(self.alert_record(m).await?)),
            None => Ok(None),
        }
    }

    /// Marks an alert acknowledged.
    pub async fn acknowledge_alert(
        &self,
        id: i32,
        by: Option<i32>,
        at: i64,
    ) -> Result<AlertRecord, Error> {
        let m = alert::ActiveModel {
            id: sea_orm::Unchanged(id),
            acknowledged_at: Set(Some(at)),
            acknowledged_by: Set(by),
            ..Default::default()
        }
        .update(self.db())
        .await?;
        self.alert_record(m).await
    }

    /// An alert by id.
    pub async fn get_alert(&self, id: i32) -> Result<Option<AlertRecord>, Error> {
        match alert::Entity::find_by_id(id).one(self.db()).await? {
            Some(m) => Ok(Some(self.alert_record(m).await?)),
            None => Ok(None),
        }
    }

    /// Alerts, newest first: of one user or all, only active ones or all.
    pub async fn list_alerts(
        &self,
        user_id: Option<i32>,
        active_only: bool,
        limit: u64,
    ) -> Result<Vec<AlertRecord>, Error> {
        let mut q = alert::Entity::find()
            .order_by_desc(alert::Column::RaisedAt)
            .order_by_desc(alert::Column::Id)
            .limit(limit);
        if let Some(u) = user_id {
            q = q.filter(alert::Column::UserId.eq(u));
        }
        if active_only {
            q = q.filter(alert::Column::ClearedAt.is_null());
        }
        let mut out = Vec::new();
        for m in q.all(self.db()).await? {
            out.push(self.alert_record(m).await?);
        }
        Ok(out)
    }

    async fn alert_record(&self, m: alert::Model) -> Result<AlertRecord, Error> {
        let device_id = match m.outlet_id {
            Some(id) => outlet::Entity::find_by_id(id)
                .one(self.db())
                .await?
                .map(|o| o.device_id),
            None => None,
        };
        Ok(AlertRecord {
            id: m.id,
            user_id: m.user_id,
            kind: AlertKind::parse(&m.kind).unwrap_or(AlertKind::Overload),
            ccu_id: m.ccu_id,
            outlet_id: m.outlet_id,
            device_id,
            message: m.message,
            value: m.value,
            threshold: m.threshold,
            raised_at: m.raised_at,
            cleared_at: m.cleared_at,
            acknowledged_at: m.acknowledged_at,
            acknowledged_by: m.acknowledged_by,
        })
    }
}
