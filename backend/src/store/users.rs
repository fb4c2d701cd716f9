//! Users: accounts, their role and disabled flag, and deleting one with everything it owns.

use super::Store;
use super::entity::{ccu, event, session, user};
use crate::domain::UserRecord;
use crate::{Error, clock};
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder, Set,
    TransactionTrait,
};

impl Store {
    /// Creates a user with an already hashed password.
    pub async fn insert_user(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<UserRecord, Error> {
        self.insert_user_with_role(username, password_hash, false)
            .await
    }

    /// Creates a user, an admin or not.
    pub async fn insert_user_with_role(
        &self,
        username: &str,
        password_hash: &str,
        is_admin: bool,
    ) -> Result<UserRecord, Error> {
        let m = user::ActiveModel {
            username: Set(username.to_string()),
            password_hash: Set(password_hash.to_string()),
            created_at: Set(clock::now_ms()),
            is_admin: Set(is_admin),
            disabled: Set(false),
            ..Default::default()
        }
        .insert(self.db())
        .await
        .map_err(|e| super::on_conflict(e, format!("user {username} already exists")))?;
        Ok(to_record(m))
    }

    /// How many users exist.
    pub async fn count_users(&self) -> Result<u64, Error> {
        Ok(user::Entity::find().count(self.db()).await?)
    }

    /// A user and its password hash, by name.
    pub async fn find_user(&self, username: &str) -> Result<Option<(UserRecord, String)>, Error> {
        let m = user::Entity::find()
            .filter(user::Column::Username.eq(username))
            .one(self.db())
            .await?;
        Ok(m.map(|m| {
            let hash = m.password_hash.clone();
            (to_record(m), hash)
        }))
    }

    /// A user by id.
    pub async fn get_user(&self, id: i32) -> Result<Option<UserRecord>, Error> {
        Ok(user::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .map(to_record))
    }

    /// A user's password hash.
    pub async fn password_hash(&self, id: i32) -> Result<Option<String>, Error> {
        Ok(user::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .map(|m| m.password_hash))
    }

    /// Every user, oldest first.
    pub async fn list_users(&self) -> Result<Vec<UserRecord>, Error> {
        Ok(user::Entity::find()
            .order_by_asc(user::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(to_record)
            .collect())
    }

    /// Replaces a user's password hash.
    pub async fn set_password_hash(&self, id: i32, password_hash: &str) -> Result<(), Error> {
        let r = user::Entity::update_many()
            .col_expr(user::Column::PasswordHash, Expr::value(password_hash))
            .filter(user::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        if r.rows_affected == 0 {
            return Err(Error::NotFound("user"));
        }
        Ok(())
    }

    /// Disables or enables a user; disabling also ends its sessions.
    pub async fn set_user_disabled(&self, id: i32, disabled: bool) -> Result<(), Error> {
        let r = user::Entity::update_many()
            .col_expr(user::Column::Disabled, Expr::value(disabled))
            .filter(user::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        if r.rows_affected == 0 {
            return Err(Error::NotFound("user"));
        }
        if disabled {
            self.delete_user_sessions(id, None).await?;
        }
        Ok(())
    }

    /// Deletes a user with everything it owns, in one transaction: its CCUs (with their
    /// outlets, readings and commands, by cascade), alerts, sessions and API tokens (by
    /// cascade) and its events (no foreign key: the log outlives CCUs). Returns the ids of
    /// the CCUs removed.
    pub async fn delete_user(&self, id: i32) -> Result<Vec<String>, Error> {
        let txn = self.db().begin().await?;
        let ccus: Vec<String> = ccu::Entity::find()
            .filter(ccu::Column::OwnerId.eq(id))
            .all(&txn)
            .await?
            .into_iter()
            .map(|c| c.id)
            .collect();
        event::Entity::delete_many()
            .filter(event::Column::UserId.eq(id))
            .exec(&txn)
            .await?;
        if !ccus.is_empty() {
            event::Entity::delete_many()
                .filter(event::Column::UserId.is_null())
                .filter(event::Column::CcuId.is_in(ccus.clone()))
                .exec(&txn)
                .await?;
        }
        // Explicit, not only by cascade, so the order never trips a constraint.
        ccu::Entity::delete_many()
            .filter(ccu::Column::OwnerId.eq(id))
            .exec(&txn)
            .await?;
        session::Entity::delete_many()
            .filter(session::Column::UserId.eq(id))
            .exec(&txn)
            .await?;
        let r = user::Entity::delete_by_id(id).exec(&txn).await?;
        if r.rows_affected == 0 {
            return Err(Error::NotFound("user"));
        }
        txn.commit().await?;
        Ok(ccus)
    }
}

fn to_record(m: user::Model) -> UserRecord {
    UserRecord {
        id: m.id,
        username: m.username,
        created_at: m.created_at,
        is_admin: m.is_admin,
        disabled: m.disabled,
    }
}
