//! What a legacy CCU should read first: its outlets' waiting commands and the focus a person
//! set, read straight from the database so that every backend instance answers the same.

use super::Store;
use super::entity::{ccu, command};
use crate::Error;
use crate::domain::{CommandKind, CommandStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, QueryFilter, QueryOrder, QuerySelect};

impl Store {
    /// Focuses `device_id` on a CCU until `until` (unix ms; `None`: until cleared), or
    /// clears its focus (`device_id` `None`). Not configuration: `updated_at` stays, so no
    /// instance reloads its registry for it.
    pub async fn set_legacy_focus(
        &self,
        id: &str,
        device_id: Option<String>,
        until: Option<i64>,
    ) -> Result<(), Error> {
        let until = device_id.as_ref().and(until);
        ccu::Entity::update_many()
            .col_expr(ccu::Column::LegacyFocus, Expr::value(device_id))
            .col_expr(ccu::Column::LegacyFocusUntil, Expr::value(until))
            .filter(ccu::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// The focus of the first of these CCUs (by id) whose focus still holds at `now`.
    pub async fn legacy_focus_of(&self, ids: &[String], now: i64) -> Result<Option<String>, Error> {
        let row: Option<(Option<String>,)> = ccu::Entity::find()
            .select_only()
            .column(ccu::Column::LegacyFocus)
            .filter(ccu::Column::Id.is_in(ids.iter().cloned()))
            .filter(ccu::Column::LegacyFocus.is_not_null())
            .filter(
                Condition::any()
                    .add(ccu::Column::LegacyFocusUntil.is_null())
                    .add(ccu::Column::LegacyFocusUntil.gt(now)),
            )
            .order_by_asc(ccu::Column::Id)
            .limit(1)
            .into_tuple()
            .one(self.db())
            .await?;
        Ok(row.and_then(|(d,)| d))
    }

    /// The outlet of these CCUs whose oldest command is still queued (not expired at `now`).
    pub async fn oldest_queued_outlet(
        &self,
        ids: &[String],
        now: i64,
    ) -> Result<Option<i32>, Error> {
        let row: Option<(i32,)> = command::Entity::find()
            .select_only()
            .column(command::Column::OutletId)
            .filter(command::Column::CcuId.is_in(ids.iter().cloned()))
            .filter(command::Column::Status.eq(CommandStatus::Queued.as_str()))
            .filter(command::Column::ExpiresAt.gt(now))
            .order_by_asc(command::Column::CreatedAt)
            .order_by_asc(command::Column::Id)
            .limit(1)
            .into_tuple()
            .one(self.db())
            .await?;
        Ok(row.map(|(o,)| o))
    }

    /// The outlet of these CCUs whose earliest relay command sent since `since` still waits
    /// for the reading that confirms it (the old firmware has no acks).
    pub async fn oldest_unconfirmed_relay_outlet(
        &self,
        ids: &[String],
        since: i64,
    ) -> Result<Option<i32>, Error> {
        let row: Option<(i32,)> = command::Entity::find()
            .select_only()
            .column(command::Column::OutletId)
            .filter(command::Column::CcuId.is_in(ids.iter().cloned()))
            .filter(command::Column::Status.eq(CommandStatus::Sent.as_str()))
            .filter(command::Column::Command.is_in([
                CommandKind::RelayOn.as_str(),
                CommandKind::RelayOff.as_str(),
            ]))
            .filter(command::Column::SentAt.gte(since))
            .order_by_asc(command::Column::SentAt)
            .order_by_asc(command::Column::Id)
            .limit(1)
            .into_tuple()
            .one(self.db())
            .await?;
        Ok(row.map(|(o,)| o))
    }
}
