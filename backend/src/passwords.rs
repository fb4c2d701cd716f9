//! People's passwords: argon2 hashing and checking in a budget of their own.
//!
//! A person's password hash costs ~19 MiB and tens of milliseconds on purpose
//! ([`Kind::Password`]). CCU logins check cheap generated secrets in another budget
//! (`credentials::verify_async`, one slot per core), so a flood of logins or registrations
//! queues here and never in front of a CCU reconnecting. At most `concurrency` hashes run at
//! once and at most `queue` wait; more are refused at once ([`Error::Busy`]).

use crate::credentials::{self, Kind};
use crate::{Error, Result};
use std::sync::atomic::{AtomicU64, AtomicUsize, Ordering::Relaxed};
use tokio::sync::Semaphore;

/// The budget for people's password hashes, with its counters.
#[derive(Debug)]
pub struct Passwords {
    slots: Semaphore,
    max_pending: usize,
    /// Hashes waiting for a slot or running.
    pending: AtomicUsize,
    /// Password checks run (argon2 verifications of people's passwords).
    checks: AtomicU64,
    /// Hashes refused because the queue was full.
    refused: AtomicU64,
}

/// Decrements the pending gauge when a hash ends (also when its request is dropped).
struct Pending<'a>(&'a AtomicUsize);

impl Drop for Pending<'_> {
    fn drop(&mut self) {
        self.0.fetch_sub(1, Relaxed);
    }
}

impl Passwords {
    /// At most `concurrency` hashes at once (at least 1) and `queue` waiting.
    pub fn new(concurrency: usize, queue: usize) -> Passwords {
        Passwords {
            slots: Semaphore::new(concurrency.max(1)),
            max_pending: concurrency.max(1) + queue,
            pending: AtomicUsize::new(0),
            checks: AtomicU64::new(0),
            refused: AtomicU64::new(0),
        }
    }

    fn enter(&self) -> Result<Pending<'_>> {
        let before = self.pending.fetch_add(1, Relaxed);
        let guard = Pending(&self.pending);
        if before >= self.max_pending {
            self.refused.fetch_add(1, Relaxed);
            return Err(Error::Busy);
        }
        Ok(guard)
    }

    /// Hashes a person's new password (argon2id, [`Kind::Password`]).
    pub async fn hash(&self, password: &str) -> Result<String> {
        let password = password.to_string();
        self.in_slot(None, move || credentials::hash(&password, Kind::Password))
            .await?
    }

    /// Checks a person's password against a PHC string; counted in [`Passwords::checks`].
    pub async fn verify(&self, password: &str, phc: &str) -> Result<bool> {
        let (password, phc) = (password.to_string(), phc.to_string());
        self.in_slot(Some(&self.checks), move || {
            credentials::verify(&password, &phc)
        })
        .await
    }

    /// Runs `work` on the blocking pool once a slot of the budget is free (counted in
    /// `count` when it starts); refused at once when the queue is full.
    async fn in_slot<T: Send + 'static>(
        &self,
        count: Option<&AtomicU64>,
        work: impl FnOnce() -> T + Send + 'static,
    ) -> Result<T> {
        let _pending = self.enter()?;
        let _slot = self
            .slots
            .acquire()
            .await
            .map_err(|e| Error::Hash(e.to_string()))?;
        if let Some(c) = count {
            c.fetch_add(1, Relaxed);
        }
        tokio::task::spawn_blocking(work)
            .await
            .map_err(|e| Error::Hash(e.to_string()))
    }

    /// Hashes waiting or running now.
    pub fn pending(&self) -> usize {
        self.pending.load(Relaxed).min(self.max_pending)
    }

    /// Password checks run so far.
    pub fn checks(&self) -> u64 {
        self.checks.load(Relaxed)
    }

    /// Hashes refused for a full queue so far.
    pub fn refused(&self) -> u64 {
        self.refused.load(Relaxed)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn a_full_queue_refuses_at_once_and_counts() {
        let p = std::sync::Arc::new(Passwords::new(1, 1));
        let h = p.hash("correct horse").await.unwrap();
        assert!(p.verify("correct horse", &h).await.unwrap());
        assert!(!p.verify("wrong horse", &h).await.unwrap());
        assert_eq!(p.checks(), 2);
        // Hold the only slot: one check may run (here: wait for the held slot) and one wait
        // (queue 1); the next is refused at once.
        let slot = p.slots.acquire().await.unwrap();
        let waiting: Vec<_> = (0..2)
            .map(|_| {
                let (p, h) = (p.clone(), h.clone());
                tokio::spawn(async move { p.verify("correct horse", &h).await })
            })
            .collect();
        tokio::time::timeout(std::time::Duration::from_secs(10), async {
            while p.pending() != 2 {
                tokio::task::yield_now().await;
            }
        })
        .await
        .unwrap();
        assert!(matches!(p.verify("x", &h).await, Err(Error::Busy)));
        assert_eq!(p.refused(), 1);
        assert_eq!(p.pending(), 2, "a refused hash leaves the gauge as it was");
        drop(slot);
        for w in waiting {
            assert!(w.await.unwrap().unwrap());
        }
        assert_eq!(p.pending(), 0);
    }
}
