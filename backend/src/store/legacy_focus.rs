//! What a legacy CCU should read first: its outlets' waiting commands and the focus a person
//! set, read straight from the database so that every backend instance answers the same.

use super::Store;
use super::entity::{ccu, command};
use crate::Error;
use crate::domain::{CommandKind, CommandStatus};
use sea_orm::sea_query::Expr;
use sea_orm::{ColumnTrait, Condition, EntityTrait, Order, QueryFilter, QueryOrder, QuerySelect};

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

    /// The outlet of these CCUs with work for the old firmware: the one whose oldest command
    /// is still queued (not expired at `now`), else the one whose earliest relay command sent
    /// since `since` still waits for the reading that confirms it (the old firmware has no
    /// acks). One query: the old firmware asks every cycle.
    pub async fn legacy_work_outlet(
        &self,
        ids: &[String],
        now: i64,
        since: i64,
    ) -> Result<Option<i32>, Error> {
        use command::Column as C;
        let queued = CommandStatus::Queued.as_str();
        let row: Option<(i32,)> = command::Entity::find()
            .select_only()
            .column(C::OutletId)
            .filter(C::CcuId.is_in(ids.iter().cloned()))
            .filter(
                Condition::any()
                    .add(
                        Condition::all()
                            .add(C::Status.eq(queued))
                            .add(C::ExpiresAt.gt(now)),
                    )
                    .add(
                        Condition::all()
                            .add(C::Status.eq(CommandStatus::Sent.as_str()))
                            .add(C::Command.is_in([
                                CommandKind::RelayOn.as_str(),
                                CommandKind::RelayOff.as_str(),
                            ]))
                            .add(C::SentAt.gte(since)),
                    ),
            )
            // Queued commands first (the string is our own constant, not input).
            .order_by(
                Expr::cust(format!("CASE WHEN status = '{queued}' THEN 0 ELSE 1 END")),
                Order::Asc,
            )
            .order_by_asc(C::CreatedAt)
            .order_by_asc(C::Id)
            .limit(1)
            .into_tuple()
            .one(self.db())
            .await?;
        Ok(row.map(|(o,)| o))
    }
}
