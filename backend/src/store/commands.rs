//! Commands.

use super::Store;
use super::entity::command;
use crate::Error;
use crate::domain::{CommandKind, CommandRecord, CommandStatus, Socket};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};

impl Store {
    /// Stores a new command.
    pub async fn insert_command(&self, c: &CommandRecord) -> Result<(), Error> {
        command::ActiveModel {
            id: Set(c.id.clone()),
            ccu_id: Set(c.ccu_id.clone()),
            outlet_id: Set(c.outlet_id),
            user_id: Set(c.user_id),
            command: Set(c.command.as_str().to_string()),
            socket: Set(c.socket.map(|s| s.as_str().to_string())),
            value: Set(c.value),
            status: Set(c.status.as_str().to_string()),
            detail: Set(c.detail.clone()),
            created_at: Set(c.created_at),
            sent_at: Set(c.sent_at),
            completed_at: Set(c.completed_at),
            expires_at: Set(c.expires_at),
        }
        .insert(self.db())
        .await?;
        Ok(())
    }

    /// Writes a command's final status, detail and `completed_at`, only while its stored
    /// status is one of `from`: of two instances finishing one command (an ack and a
    /// time-out), one wins. True if this caller's write took effect.
    pub async fn finish_command(
        &self,
        c: &CommandRecord,
        from: &[CommandStatus],
    ) -> Result<bool, Error> {
        use sea_orm::sea_query::Expr;
        let r = command::Entity::update_many()
            .col_expr(command::Column::Status, Expr::value(c.status.as_str()))
            .col_expr(command::Column::Detail, Expr::value(c.detail.clone()))
            .col_expr(command::Column::CompletedAt, Expr::value(c.completed_at))
            .filter(command::Column::Id.eq(c.id.as_str()))
            .filter(command::Column::Status.is_in(from.iter().map(|s| s.as_str())))
            .exec(self.db())
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// Moves a command from queued to sent unless someone else did; true if this caller won.
    pub async fn claim_command(&self, id: &str, sent_at: i64) -> Result<bool, Error> {
        use sea_orm::sea_query::Expr;
        let r = command::Entity::update_many()
            .col_expr(
                command::Column::Status,
                Expr::value(CommandStatus::Sent.as_str()),
            )
            .col_expr(command::Column::SentAt, Expr::value(sent_at))
            .filter(command::Column::Id.eq(id))
            .filter(command::Column::Status.eq(CommandStatus::Queued.as_str()))
            .exec(self.db())
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// Puts a sent command back in the queue (sent → queued, atomically); false when it is
    /// no longer `sent`.
    pub async fn requeue_command(&self, id: &str) -> Result<bool, Error> {
        use sea_orm::sea_query::Expr;
        let r = command::Entity::update_many()
            .col_expr(
                command::Column::Status,
                Expr::value(CommandStatus::Queued.as_str()),
            )
            .col_expr(command::Column::SentAt, Expr::value(Option::<i64>::None))
            .filter(command::Column::Id.eq(id))
            .filter(command::Column::Status.eq(CommandStatus::Sent.as_str()))
            .exec(self.db())
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// A command by id, with the device id of its outlet.
    pub async fn get_command(&self, id: &str) -> Result<Option<CommandRecord>, Error> {
        let Some(m) = command::Entity::find_by_id(id.to_string())
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        Ok(self.to_records(vec![m]).await?.pop())
    }

    /// Commands of a CCU in one status, oldest first.
    pub async fn commands_in_status(
        &self,
        ccu_id: Option<&str>,
        status: CommandStatus,
    ) -> Result<Vec<CommandRecord>, Error> {
        let mut q = command::Entity::find()
            .filter(command::Column::Status.eq(status.as_str()))
            .order_by_asc(command::Column::CreatedAt);
        if let Some(ccu_id) = ccu_id {
            q = q.filter(command::Column::CcuId.eq(ccu_id));
        }
        let models = q.all(self.db()).await?;
        self.to_records(models).await
    }

    /// Commands of one outlet in one status, oldest first.
    pub async fn commands_of_outlet(
        &self,
        outlet_id: i32,
        status: CommandStatus,
    ) -> Result<Vec<CommandRecord>, Error> {
        let models = command::Entity::find()
            .filter(command::Column::OutletId.eq(outlet_id))
            .filter(command::Column::Status.eq(status.as_str()))
            .order_by_asc(command::Column::CreatedAt)
            .all(self.db())
            .await?;
        self.to_records(models).await
    }

    /// Recent commands of some outlets, newest first.
    pub async fn list_commands(
        &self,
        outlet_ids: &[i32],
        limit: u64,
    ) -> Result<Vec<CommandRecord>, Error> {
        let models = command::Entity::find()
            .filter(command::Column::OutletId.is_in(outlet_ids.iter().copied()))
            .order_by_desc(command::Column::CreatedAt)
            .limit(limit)
            .all(self.db())
            .await?;
        self.to_records(models).await
    }

    async fn to_records(&self, models: Vec<command::Model>) -> Result<Vec<CommandRecord>, Error> {
        let mut devices = std::collections::HashMap::new();
        let mut out = Vec::with_capacity(models.len());
        for m in models {
            let device_id = match devices.get(&m.outlet_id) {
                Some(d) => Clone::clone(d),
                None => {
                    let d = self
                        .get_outlet(m.outlet_id)
                        .await?
                        .map(|o| o.device_id)
                        .unwrap_or_default();
                    devices.insert(m.outlet_id, d.clone());
                    d
                }
            };
            out.push(CommandRecord {
                command: CommandKind::parse(&m.command).unwrap_or(CommandKind::Ping),
                socket: m.socket.as_deref().and_then(Socket::parse),
                status: CommandStatus::parse(&m.status).unwrap_or(CommandStatus::Failed),
                id: m.id,
                ccu_id: m.ccu_id,
                outlet_id: m.outlet_id,
                device_id,
                user_id: m.user_id,
                value: m.value,
                detail: m.detail,
                created_at: m.created_at,
                sent_at: m.sent_at,
                completed_at: m.completed_at,
                expires_at: m.expires_at,
            });
        }
        Ok(out)
    }
}
