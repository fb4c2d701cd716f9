//! Account bodies: users, credentials, sessions, password changes.

use super::*;

/// A user.
#[derive(Debug, Object)]
pub struct User {
    /// Id.
    pub id: i32,
    /// Login name.
    pub username: String,
    /// Created (unix ms).
    pub created_at: i64,
    /// May manage other users (the first user is; `smart-outlet user add --admin`).
    pub is_admin: bool,
}

impl From<d::UserRecord> for User {
    fn from(u: d::UserRecord) -> User {
        User {
            id: u.id,
            username: u.username,
            created_at: u.created_at,
            is_admin: u.is_admin,
        }
    }
}

/// A password change.
#[derive(Debug, Object)]
pub struct PasswordChange {
    /// The password now.
    pub current_password: String,
    /// The new one: at least 8 characters.
    pub new_password: String,
}

/// The account's password, to confirm a destructive action.
#[derive(Debug, Object)]
pub struct PasswordConfirm {
    /// The password now.
    pub password: String,
}

/// Username and password.
#[derive(Debug, Object)]
pub struct Credentials {
    /// 3 to 64 of letters, digits and `_ . @ -`.
    pub username: String,
    /// At least 8 characters.
    pub password: String,
}

/// A logged-in session. The session itself travels in the `so_session` cookie.
#[derive(Debug, Object)]
pub struct Session {
    /// The user.
    pub user: User,
    /// Send it as `X-CSRF-Token` on every POST, PUT, PATCH and DELETE made with the cookie.
    pub csrf_token: String,
    /// Expiry (unix ms).
    pub expires_at: i64,
}
