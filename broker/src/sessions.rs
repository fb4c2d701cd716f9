//! Live sessions by login, so that revoking a login (secret rotated, CCU removed) closes
//! its connections at once.
//!
//! A login hook calls [`Sessions::watch`] *before* it reads the credentials it checks, and
//! [`Sessions::tag`] with what it checked against (the secret's hash) once admitted; the
//! future it gets goes to the broker, which closes the connection when it completes. An
//! entry lives as long as that connection: when the broker drops the future, the entry is
//! pruned on the next look.

use crate::BoxFuture;
use crate::stats::Stats;
use std::collections::HashMap;
use std::sync::atomic::{AtomicU64, Ordering::Relaxed};
use std::sync::{Arc, Mutex};
use tokio::sync::oneshot;

struct Entry {
    tag: String,
    tx: oneshot::Sender<()>,
}

/// The registry of live sessions per login key.
#[derive(Default)]
pub struct Sessions {
    next: AtomicU64,
    map: Mutex<HashMap<String, HashMap<u64, Entry>>>,
    stats: Arc<Stats>,
}

impl Sessions {
    /// An empty registry counting revocations into `stats`.
    pub fn new(stats: Arc<Stats>) -> Sessions {
        Sessions {
            stats,
            ..Sessions::default()
        }
    }

    fn lock(&self) -> std::sync::MutexGuard<'_, HashMap<String, HashMap<u64, Entry>>> {
        self.map.lock().unwrap_or_else(|e| e.into_inner())
    }

    /// Registers a session of `key`; the future completes when it is revoked.
    pub fn watch(&self, key: &str) -> (u64, BoxFuture<()>) {
        let id = self.next.fetch_add(1, Relaxed);
        let (tx, rx) = oneshot::channel();
        let mut map = self.lock();
        let entries = map.entry(key.to_string()).or_default();
        entries.retain(|_, e| !e.tx.is_closed());
        entries.insert(
            id,
            Entry {
                tag: String::new(),
                tx,
            },
        );
        let revoked = Box::pin(async move {
            if rx.await.is_err() {
                // The registry forgot the entry without revoking it: never fire.
                std::future::pending::<()>().await;
            }
        });
        (id, revoked)
    }

    /// Records what session `id` of `key` was admitted with.
    pub fn tag(&self, key: &str, id: u64, tag: String) {
        if let Some(e) = self.lock().get_mut(key).and_then(|m| m.get_mut(&id)) {
            e.tag = tag;
        }
    }

    /// Drops session `id` of `key` without revoking it (its login was refused), so that
    /// failed logins with made-up names leave nothing behind.
    pub fn forget(&self, key: &str, id: u64) {
        let mut map = self.lock();
        if let Some(entries) = map.get_mut(key) {
            entries.remove(&id);
            entries.retain(|_, e| !e.tx.is_closed());
            if entries.is_empty() {
                map.remove(key);
            }
        }
    }

    /// Closes every live session of `key`; returns how many.
    pub fn revoke(&self, key: &str) -> usize {
        let entries = self.lock().remove(key).unwrap_or_default();
        self.fire(entries.into_values())
    }

    /// Closes every live session for which `stale(key, tag)` holds; returns how many.
    pub fn revoke_where(&self, stale: impl Fn(&str, &str) -> bool) -> usize {
        let mut fired = Vec::new();
        {
            let mut map = self.lock();
            map.retain(|key, entries| {
                entries.retain(|_, e| !e.tx.is_closed());
                let ids: Vec<u64> = entries
                    .iter()
                    .filter(|(_, e)| stale(key, &e.tag))
                    .map(|(id, _)| *id)
                    .collect();
                fired.extend(ids.into_iter().filter_map(|id| entries.remove(&id)));
                !entries.is_empty()
            });
        }
        self.fire(fired.into_iter())
    }

    /// Keys with at least one live session.
    pub fn keys(&self) -> Vec<String> {
        let mut map = self.lock();
        map.retain(|_, entries| {
            entries.retain(|_, e| !e.tx.is_closed());
            !entries.is_empty()
        });
        map.keys().cloned().collect()
    }

    fn fire(&self, entries: impl Iterator<Item = Entry>) -> usize {
        let mut n = 0;
        for e in entries {
            if e.tx.send(()).is_ok() {
                n += 1;
            }
        }
        self.stats.sessions_revoked.fetch_add(n as u64, Relaxed);
        n
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::time::Duration;

    async fn fired(f: BoxFuture<()>) -> bool {
        tokio::time::timeout(Duration::from_millis(50), f)
            .await
            .is_ok()
    }

    #[tokio::test]
    async fn revoking_a_key_fires_only_its_sessions() {
        let s = Sessions::default();
        let (_, a1) = s.watch("A");
        let (_, a2) = s.watch("A");
        let (_, b) = s.watch("B");
        assert_eq!(s.revoke("A"), 2);
        assert!(fired(a1).await);
        assert!(fired(a2).await);
        assert!(!fired(b).await, "B's session must stay");
        assert_eq!(s.stats.sessions_revoked.load(Relaxed), 2);
    }

    #[tokio::test]
    async fn stale_tags_are_revoked_and_closed_sessions_pruned() {
        let s = Sessions::default();
        let (id, old) = s.watch("A");
        s.tag("A", id, "hash1".into());
        let (id2, new) = s.watch("A");
        s.tag("A", id2, "hash2".into());
        let (_, gone) = s.watch("C");
        drop(gone);
        assert_eq!(s.keys(), vec!["A".to_string()]);
        assert_eq!(s.revoke_where(|_, tag| tag != "hash2"), 1);
        assert!(fired(old).await);
        assert!(!fired(new).await);
    }

    #[tokio::test]
    async fn refused_logins_leave_no_entry() {
        let s = Sessions::default();
        for i in 0..100 {
            let key = format!("nobody-{i}");
            let (id, _f) = s.watch(&key);
            s.forget(&key, id);
        }
        assert!(s.lock().is_empty());
    }

    #[tokio::test]
    async fn a_forgotten_entry_never_fires() {
        let s = Sessions::default();
        let (_, f) = s.watch("A");
        drop(s);
        assert!(!fired(f).await);
    }
}
