//! Users.

use super::Store;
use super::entity::user;
use crate::domain::UserRecord;
use crate::{Error, clock};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, Set};

impl Store {
    /// Creates a user with an already hashed password.
    pub async fn insert_user(
        &self,
        username: &str,
        password_hash: &str,
    ) -> Result<UserRecord, Error> {
        let m = user::ActiveModel {
            username: Set(username.to_string()),
            password_hash: Set(password_hash.to_string()),
            created_at: Set(clock::now_ms()),
            ..Default::default()
        }
        .insert(self.db())
        .await
        .map_err(|e| super::on_conflict(e, format!("user {username} already exists")))?;
        Ok(to_record(m))
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
}

fn to_record(m: user::Model) -> UserRecord {
    UserRecord {
        id: m.id,
        username: m.username,
        created_at: m.created_at,
    }
}
