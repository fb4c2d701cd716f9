//! API token bodies: new tokens, tokens (never their secret), a created token.

use super::*;

/// A name for a new API token.
#[derive(Debug, Object)]
pub struct NewToken {
    /// Label.
    pub name: String,
}

/// An API token (never its secret).
#[derive(Debug, Object)]
pub struct Token {
    /// Id.
    pub id: i32,
    /// Label.
    pub name: String,
    /// First characters, to recognise it.
    pub prefix: String,
    /// Created (unix ms).
    pub created_at: i64,
    /// Last used (unix ms).
    #[oai(nullable)]
    pub last_used_at: Option<i64>,
    /// Revoked (unix ms).
    #[oai(nullable)]
    pub revoked_at: Option<i64>,
}

impl From<backend::store::TokenRecord> for Token {
    fn from(t: backend::store::TokenRecord) -> Token {
        Token {
            id: t.id,
            name: t.name,
            prefix: t.prefix,
            created_at: t.created_at,
            last_used_at: t.last_used_at,
            revoked_at: t.revoked_at,
        }
    }
}

/// A token just created: send `secret` as `Authorization: Bearer <secret>`. Shown once.
#[derive(Debug, Object)]
pub struct TokenCreated {
    /// The token.
    pub token: Token,
    /// The secret.
    pub secret: String,
}
