//! Notification targets for people (add, list, test, delete; only their own), and
//! [`Backend::notify`], which queues a notification for the [`crate::notifier`].

use crate::actor::Actor;
use crate::app::Backend;
use crate::notifier::format::TargetKind;
use crate::notifier::{Delivery, Notification, guard};
use crate::store::TargetRecord;
use crate::{Error, Result, clock};
use std::sync::atomic::Ordering::Relaxed;

impl Backend {
    /// Queues `n` for its user's targets (dropped and counted when the queue is full).
    pub(crate) fn notify(&self, n: Notification) {
        if !self.inner.notifier.queue(n) {
            self.inner
                .metrics
                .notifications_dropped
                .fetch_add(1, Relaxed);
            tracing::warn!("notification queue full; a notification was dropped");
        }
    }

    /// Adds a notification target for the actor.
    pub async fn add_notification_target(
        &self,
        actor: Actor,
        kind: &str,
        url: &str,
    ) -> Result<TargetRecord> {
        let user = actor
            .user_id()
            .ok_or_else(|| Error::Forbidden("notification targets belong to a person".into()))?;
        let kind = TargetKind::parse(kind).ok_or_else(|| {
            Error::invalid("kind must be webhook, ntfy, gotify, slack or discord")
        })?;
        let s = &self.inner.settings.notifications;
        guard::check_url(url, s.allow_private_targets).map_err(Error::Invalid)?;
        let store = &self.inner.store;
        if store.count_notification_targets(user).await? >= s.max_targets_per_user {
            return Err(Error::invalid(format!(
                "at most {} notification targets per account",
                s.max_targets_per_user
            )));
        }
        store
            .insert_notification_target(user, kind.as_str(), url, clock::now_ms())
            .await
    }

    /// The actor's notification targets.
    pub async fn notification_targets(&self, actor: Actor) -> Result<Vec<TargetRecord>> {
        let user = actor
            .user_id()
            .ok_or_else(|| Error::Forbidden("notification targets belong to a person".into()))?;
        self.inner.store.notification_targets(user).await
    }

    /// Deletes one of the actor's notification targets.
    pub async fn delete_notification_target(&self, actor: Actor, id: i32) -> Result<()> {
        let user = actor
            .user_id()
            .ok_or_else(|| Error::Forbidden("notification targets belong to a person".into()))?;
        if self
            .inner
            .store
            .delete_notification_target(user, id)
            .await?
        {
            Ok(())
        } else {
            Err(Error::NotFound("notification target"))
        }
    }

    /// Sends a test notification to one of the actor's targets now (one attempt) and says
    /// how it went.
    pub async fn test_notification_target(&self, actor: Actor, id: i32) -> Result<Delivery> {
        let user = actor
            .user_id()
            .ok_or_else(|| Error::Forbidden("notification targets belong to a person".into()))?;
        let target = self
            .inner
            .store
            .notification_targets(user)
            .await?
            .into_iter()
            .find(|t| t.id == id)
            .ok_or(Error::NotFound("notification target"))?;
        let n = Notification {
            user_id: user,
            kind: "test",
            title: "Smart outlet: test".into(),
            message: "Notifications reach this target.".into(),
            ccu_id: None,
            device_id: None,
            data: serde_json::Value::Null,
            urgent: false,
        };
        Ok(self.inner.notifier.send_once(&target, &n).await)
    }
}
