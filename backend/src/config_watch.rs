//! Watching the stored configuration: reloads run one at a time, and the fingerprint of the
//! last one tells the refresh timer whether another process (the CLI) changed the store.

use std::sync::Mutex;
use std::sync::atomic::{AtomicU64, Ordering::SeqCst};
use tokio::sync::{Mutex as AsyncMutex, MutexGuard};

/// What `Store::config_fingerprint` returns: counts and newest change times of CCUs and
/// outlets.
pub type Fingerprint = (u64, i64, u64, i64);

/// The reload lock and the fingerprint of the configuration last loaded.
#[derive(Debug, Default)]
pub struct ConfigWatch {
    reload: AsyncMutex<()>,
    loaded: Mutex<Option<Fingerprint>>,
    /// Reloads done so far.
    generation: AtomicU64,
}

impl ConfigWatch {
    /// Serialises reloads, so that a slow, stale one never overwrites a newer one.
    pub(crate) async fn one_reload_at_a_time(&self) -> MutexGuard<'_, ()> {
        self.reload.lock().await
    }

    /// Records the configuration just loaded.
    pub(crate) fn loaded(&self, now: Fingerprint) {
        *self.loaded.lock().unwrap_or_else(|e| e.into_inner()) = Some(now);
        self.generation.fetch_add(1, SeqCst);
    }

    /// How many reloads were done (a login compares it before and after its check).
    pub(crate) fn generation(&self) -> u64 {
        self.generation.load(SeqCst)
    }

    /// Whether `now` differs from what was loaded last (`None`: nothing loaded yet).
    pub(crate) fn differs(&self, now: Fingerprint) -> Option<bool> {
        let before = *self.loaded.lock().unwrap_or_else(|e| e.into_inner());
        before.map(|b| b != now)
    }
}
