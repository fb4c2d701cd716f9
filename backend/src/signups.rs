//! Registrations one at a time, so that "the first user" (the admin) is one user.

use tokio::sync::{Mutex, MutexGuard};

/// The registration lock.
#[derive(Debug, Default)]
pub struct Signups(Mutex<()>);

impl Signups {
    /// Held while a registration counts users and inserts one.
    pub(crate) async fn one_at_a_time(&self) -> MutexGuard<'_, ()> {
        self.0.lock().await
    }
}
