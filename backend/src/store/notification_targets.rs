//! A user's notification targets.

use super::Store;
use super::entity::notification_target as target;
use crate::Error;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
};

/// A stored notification target.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct TargetRecord {
    /// Id.
    pub id: i32,
    /// Owner.
    pub user_id: i32,
    /// `webhook`, `ntfy`, `gotify`, `slack` or `discord`.
    pub kind: String,
    /// Where to send (may hold a token: never logged).
    pub url: String,
    /// Created (unix ms).
    pub created_at: i64,
}

fn record(m: target::Model) -> TargetRecord {
    TargetRecord {
        id: m.id,
        user_id: m.user_id,
        kind: m.kind,
        url: m.url,
        created_at: m.created_at,
    }
}

impl Store {
    /// Adds a target for `user_id`.
    pub async fn insert_notification_target(
        &self,
        user_id: i32,
        kind: &str,
        url: &str,
        now: i64,
    ) -> Result<TargetRecord, Error> {
        let m = target::ActiveModel {
            user_id: Set(user_id),
            kind: Set(kind.to_string()),
            url: Set(url.to_string()),
            created_at: Set(now),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        Ok(record(m))
    }

    /// `user_id`'s targets, oldest first.
    pub async fn notification_targets(&self, user_id: i32) -> Result<Vec<TargetRecord>, Error> {
        let rows = target::Entity::find()
            .filter(target::Column::UserId.eq(user_id))
            .order_by_asc(target::Column::Id)
            .all(self.db())
            .await?;
        Ok(rows.into_iter().map(record).collect())
    }

    /// How many targets `user_id` has.
    pub async fn count_notification_targets(&self, user_id: i32) -> Result<u64, Error> {
        Ok(target::Entity::find()
            .filter(target::Column::UserId.eq(user_id))
            .count(self.db())
            .await?)
    }

    /// Deletes `user_id`'s target `id`; false when there is none.
    pub async fn delete_notification_target(&self, user_id: i32, id: i32) -> Result<bool, Error> {
        let r = target::Entity::delete_many()
            .filter(target::Column::Id.eq(id))
            .filter(target::Column::UserId.eq(user_id))
            .exec(self.db())
            .await?;
        Ok(r.rows_affected == 1)
    }
}
