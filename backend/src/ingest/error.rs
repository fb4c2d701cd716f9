//! What handling one device message can end in besides success: the device's fault (a
//! [`Rejection`], told to the device and counted per reason) or the server's (an internal
//! failure, counted apart and never blamed on the device).

use super::Rejection;

/// Why a device message (or one reading of a batch) was not taken.
#[derive(Debug, thiserror::Error)]
pub enum IngestError {
    /// The message is wrong; the reason goes back to the device.
    #[error("{}", .0.detail)]
    Rejected(Rejection),
    /// The message is fine; the server failed to handle it (database, broker).
    #[error("server error: {0}")]
    Internal(#[from] crate::Error),
}

impl From<Rejection> for IngestError {
    fn from(r: Rejection) -> IngestError {
        IngestError::Rejected(r)
    }
}

impl From<super::payload::Refused> for IngestError {
    fn from(r: super::payload::Refused) -> IngestError {
        IngestError::Rejected(r.into())
    }
}

impl From<crate::commands::AckError> for IngestError {
    fn from(e: crate::commands::AckError) -> IngestError {
        use crate::commands::AckError;
        use crate::metrics::RejectReason;
        let reason = match e {
            AckError::Internal(cause) => return IngestError::Internal(cause),
            AckError::UnknownCommand(_) => RejectReason::UnknownCommand,
            AckError::ForeignCommand(_) => RejectReason::ForeignCommand,
        };
        IngestError::Rejected(Rejection::new(reason, e.to_string()))
    }
}
