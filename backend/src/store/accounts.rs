//! Sessions and API tokens (stored as SHA-256 digests of the secrets handed out).

use super::Store;
use super::entity::{api_token, session, user};
use crate::Error;
use sea_orm::sea_query::Expr;
use sea_orm::{
    ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, QuerySelect, Set,
};
use serde::Serialize;

/// An API token as listed (never the secret).
#[derive(Debug, Clone, Serialize)]
pub struct TokenRecord {
    /// Id.
    pub id: i32,
    /// Owner.
    pub user_id: i32,
    /// Label.
    pub name: String,
    /// First characters of the token, to recognise it.
    pub prefix: String,
    /// Created (unix ms).
    pub created_at: i64,
    /// Last used (unix ms).
    pub last_used_at: Option<i64>,
    /// Revoked (unix ms).
    pub revoked_at: Option<i64>,
}

/// A live session.
#[derive(Debug, Clone)]
pub struct SessionRecord {
    /// Owner.
    pub user_id: i32,
    /// Token the client must echo in `X-CSRF-Token`.
    pub csrf_token: String,
    /// Expiry (unix ms).
    pub expires_at: i64,
}

/// Most revoked API tokens [`Store::list_tokens`] returns.
pub const REVOKED_TOKENS_LISTED: u64 = 100;

impl Store {
    /// Stores a session by the digest of its cookie value.
    pub async fn insert_session(
        &self,
        digest: &str,
        user_id: i32,
        csrf: &str,
        now: i64,
        expires_at: i64,
    ) -> Result<(), Error> {
        session::ActiveModel {
            id: Set(digest.to_string()),
            user_id: Set(user_id),
            csrf_token: Set(csrf.to_string()),
            created_at: Set(now),
            expires_at: Set(expires_at),
        }
        .insert(self.db())
        .await?;
        Ok(())
    }

    /// A session that has not expired, of a user who is not disabled.
    pub async fn find_session(
        &self,
        digest: &str,
        now: i64,
    ) -> Result<Option<SessionRecord>, Error> {
        let Some(m) = session::Entity::find_by_id(digest.to_string())
            .filter(session::Column::ExpiresAt.gt(now))
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        if !self.user_enabled(m.user_id).await? {
            return Ok(None);
        }
        Ok(Some(SessionRecord {
            user_id: m.user_id,
            csrf_token: m.csrf_token,
            expires_at: m.expires_at,
        }))
    }

    /// True if the user exists and is not disabled.
    async fn user_enabled(&self, user_id: i32) -> Result<bool, Error> {
        Ok(user::Entity::find_by_id(user_id)
            .filter(user::Column::Disabled.eq(false))
            .one(self.db())
            .await?
            .is_some())
    }

    /// Ends every session of a user, but the one with digest `keep`.
    pub async fn delete_user_sessions(
        &self,
        user_id: i32,
        keep: Option<&str>,
    ) -> Result<u64, Error> {
        let mut q = session::Entity::delete_many().filter(session::Column::UserId.eq(user_id));
        if let Some(keep) = keep {
            q = q.filter(session::Column::Id.ne(keep));
        }
        Ok(q.exec(self.db()).await?.rows_affected)
    }

    /// Ends a session.
    pub async fn delete_session(&self, digest: &str) -> Result<(), Error> {
        session::Entity::delete_by_id(digest.to_string())
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Stores a new API token by digest.
    pub async fn insert_token(
        &self,
        user_id: i32,
        name: &str,
        digest: &str,
        prefix: &str,
        now: i64,
    ) -> Result<TokenRecord, Error> {
        let m = api_token::ActiveModel {
            user_id: Set(user_id),
            name: Set(name.to_string()),
            token_hash: Set(digest.to_string()),
            prefix: Set(prefix.to_string()),
            created_at: Set(now),
            last_used_at: Set(None),
            revoked_at: Set(None),
            ..Default::default()
        }
        .insert(self.db())
        .await?;
        Ok(token_record(m))
    }

    /// The owner of an unrevoked token (if not disabled), marking it used.
    pub async fn use_token(&self, digest: &str, now: i64) -> Result<Option<i32>, Error> {
        let Some(m) = api_token::Entity::find()
            .filter(api_token::Column::TokenHash.eq(digest))
            .filter(api_token::Column::RevokedAt.is_null())
            .one(self.db())
            .await?
        else {
            return Ok(None);
        };
        if !self.user_enabled(m.user_id).await? {
            return Ok(None);
        }
        api_token::Entity::update_many()
            .col_expr(api_token::Column::LastUsedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(m.id))
            .exec(self.db())
            .await?;
        Ok(Some(m.user_id))
    }

    /// A user's tokens: every unrevoked one (their number is capped by
    /// `accounts.max_tokens_per_user`), then at most [`REVOKED_TOKENS_LISTED`] revoked ones,
    /// each group newest first. Bounded however many tokens were ever revoked.
    pub async fn list_tokens(&self, user_id: i32) -> Result<Vec<TokenRecord>, Error> {
        let mut active: Vec<TokenRecord> = api_token::Entity::find()
            .filter(api_token::Column::UserId.eq(user_id))
            .filter(api_token::Column::RevokedAt.is_null())
            .order_by_desc(api_token::Column::Id)
            .all(self.db())
            .await?
            .into_iter()
            .map(token_record)
            .collect();
        let revoked = api_token::Entity::find()
            .filter(api_token::Column::UserId.eq(user_id))
            .filter(api_token::Column::RevokedAt.is_not_null())
            .order_by_desc(api_token::Column::Id)
            .limit(REVOKED_TOKENS_LISTED)
            .all(self.db())
            .await?;
        active.extend(revoked.into_iter().map(token_record));
        Ok(active)
    }

    /// Revokes one of a user's tokens.
    pub async fn revoke_token(&self, user_id: i32, id: i32, now: i64) -> Result<(), Error> {
        let r = api_token::Entity::update_many()
            .col_expr(api_token::Column::RevokedAt, Expr::value(now))
            .filter(api_token::Column::Id.eq(id))
            .filter(api_token::Column::UserId.eq(user_id))
            .filter(api_token::Column::RevokedAt.is_null())
            .exec(self.db())
            .await?;
        if r.rows_affected == 0 {
            return Err(Error::NotFound("token"));
        }
        Ok(())
    }
}

fn token_record(m: api_token::Model) -> TokenRecord {
    TokenRecord {
        id: m.id,
        user_id: m.user_id,
        name: m.name,
        prefix: m.prefix,
        created_at: m.created_at,
        last_used_at: m.last_used_at,
        revoked_at: m.revoked_at,
    }
}
