//! Notification bodies: targets and a test delivery's outcome.

use super::*;

/// Where your alerts and automatic cut-offs are pushed.
#[derive(Debug, Object)]
pub struct NotificationTarget {
    /// Id.
    pub id: i32,
    /// `webhook` (the notification as JSON), `ntfy`, `gotify`, `slack` or `discord`.
    pub kind: String,
    /// Where to `POST` (an ntfy topic URL, a Gotify `…/message?token=…`, a webhook URL).
    pub url: String,
    /// Created (unix ms).
    pub created_at: i64,
}

impl From<backend::store::TargetRecord> for NotificationTarget {
    fn from(t: backend::store::TargetRecord) -> NotificationTarget {
        NotificationTarget {
            id: t.id,
            kind: t.kind,
            url: t.url,
            created_at: t.created_at,
        }
    }
}

/// A new notification target.
#[derive(Debug, Object)]
pub struct NewNotificationTarget {
    /// `webhook`, `ntfy`, `gotify`, `slack` or `discord`.
    pub kind: String,
    /// `http` or `https`, at most 2048 characters; its host must resolve to public
    /// addresses (unless the server allows private ones).
    pub url: String,
}

/// How a test delivery went.
#[derive(Debug, Object)]
pub struct DeliveryResult {
    /// The target answered 2xx.
    pub delivered: bool,
    /// Its HTTP status, when it answered.
    #[oai(nullable)]
    pub status: Option<u16>,
    /// Why not, when not.
    #[oai(nullable)]
    pub error: Option<String>,
}
