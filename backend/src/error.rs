//! The backend's error type, shared by its services.

/// What a backend operation can fail with. `web` maps each variant to an HTTP status.
#[derive(Debug, thiserror::Error)]
pub enum Error {
    /// The thing does not exist, or belongs to another user (never say which).
    #[error("{0} not found")]
    NotFound(&'static str),
    /// A unique name or id is already taken.
    #[error("{0}")]
    Conflict(String),
    /// The request is malformed or out of range.
    #[error("{0}")]
    Invalid(String),
    /// Wrong credentials.
    #[error("invalid credentials")]
    Unauthorized,
    /// The database failed.
    #[error("database error: {0}")]
    Db(#[from] sea_orm::DbErr),
    /// Publishing to the broker failed.
    #[error("MQTT publish failed: {0}")]
    Publish(String),
    /// Password hashing failed.
    #[error("password hashing failed: {0}")]
    Hash(String),
    /// Not allowed for this caller (registration closed, account disabled, not an admin).
    #[error("{0}")]
    Forbidden(String),
    /// The spool of device publishes cannot be opened.
    #[error("spool: {0}")]
    Spool(String),
    /// Too many password hashes waiting already; try again shortly.
    #[error("too many password checks in progress; try again shortly")]
    Busy,
    /// Accepted but not stored within the time a caller can wait (the database is slow or
    /// down); it is stored when the database takes it.
    #[error("not stored yet: the database is slow or unavailable")]
    NotStored,
}

impl Error {
    pub(crate) fn invalid(msg: impl Into<String>) -> Error {
        Error::Invalid(msg.into())
    }

    /// The database refused a row whose outlet or CCU does not exist (any more).
    pub(crate) fn is_foreign_key(&self) -> bool {
        matches!(self, Error::Db(e)
            if matches!(e.sql_err(), Some(sea_orm::SqlErr::ForeignKeyConstraintViolation(_))))
    }
}
