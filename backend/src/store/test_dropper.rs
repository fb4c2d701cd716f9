//! Drops the PostgreSQL test databases of one test process on a thread of its own, one at a
//! time, so that a test's `Drop` never waits for `DROP DATABASE` on its runtime's thread.
//!
//! Why: `DROP DATABASE` waits until every backend of the server has taken a
//! `ProcSignalBarrier`. A backend still authenticating takes it only once its client has
//! answered, and that client may be a connection the test's own server was opening, on the
//! runtime thread that would be waiting: two tests then stalled for PostgreSQL's 60 s
//! `authentication_timeout`. Here the test returns at once, its runtime ends (closing its
//! sockets) and the drop goes through. Databases of tests still queued when the process exits
//! are dropped by a later run: their names carry their creation time, and the dropper's first
//! job is to drop every test database older than an hour.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Condvar, Mutex, OnceLock, PoisonError};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The prefix of every test database's name.
pub(super) const PREFIX: &str = "so_test_";

/// How old a left-over test database must be before any run drops it.
const LEFT_OVER_AFTER: Duration = Duration::from_secs(3600);

/// A new test database's name: the prefix, the creation time in seconds, a random part.
pub(super) fn new_name() -> String {
    format!("{PREFIX}{}_{}", now_secs(), uuid::Uuid::new_v4().simple())
}

/// Queues the drop of `name` on the server at `admin_url`. Inside a tokio runtime it returns
/// at once; elsewhere it waits (at most a minute) until the queue is empty.
pub(super) fn drop_database(admin_url: String, name: String) {
    let dropper = DROPPER.get_or_init(Dropper::start);
    *dropper
        .pending
        .lock()
        .unwrap_or_else(PoisonError::into_inner) += 1;
    let sent = dropper
        .jobs
        .lock()
        .unwrap_or_else(PoisonError::into_inner)
        .send(Job { admin_url, name });
    if let Err(mpsc::SendError(job)) = sent {
        eprintln!(
            "test database {} not dropped: the dropping thread is gone",
            job.name
        );
        dropper.finished();
        return;
    }
    if tokio::runtime::Handle::try_current().is_err() {
        dropper.wait_idle(Duration::from_secs(60));
    }
}

static DROPPER: OnceLock<Dropper> = OnceLock::new();

/// One database to drop.
struct Job {
    admin_url: String,
    name: String,
}

/// The queue to the dropping thread, and how many of its jobs are not finished.
struct Dropper {
    jobs: Mutex<Sender<Job>>,
    pending: Mutex<usize>,
    idle: Condvar,
}

impl Dropper {
    fn start() -> Dropper {
        let (jobs, rx) = mpsc::channel();
        std::thread::Builder::new()
            .name("test-db-dropper".into())
            .spawn(move || run(rx))
            .expect("spawn the test database dropper");
        Dropper {
            jobs: Mutex::new(jobs),
            pending: Mutex::new(0),
            idle: Condvar::new(),
        }
    }

    fn finished(&self) {
        let mut pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        *pending = pending.saturating_sub(1);
        if *pending == 0 {
            self.idle.notify_all();
        }
    }

    fn wait_idle(&self, limit: Duration) {
        let pending = self.pending.lock().unwrap_or_else(PoisonError::into_inner);
        let _ = self
            .idle
            .wait_timeout_while(pending, limit, |p| *p > 0)
            .unwrap_or_else(PoisonError::into_inner);
    }
}

/// The dropping thread: one job at a time, on a runtime of its own.
fn run(rx: Receiver<Job>) {
    let rt = match tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
    {
        Ok(rt) => rt,
        Err(e) => {
            eprintln!("test databases not dropped: no runtime: {e}");
            return;
        }
    };
    let mut swept = false;
    while let Ok(job) = rx.recv() {
        rt.block_on(async {
            let admin = match Database::connect(job.admin_url.as_str()).await {
                Ok(admin) => admin,
                Err(e) => return eprintln!("test database {} not dropped: {e}", job.name),
            };
            if !swept {
                swept = true;
                sweep_left_overs(&admin).await;
            }
            if let Err(e) = drop_one(&admin, &job.name).await {
                eprintln!("test database {} not dropped: {e}", job.name);
            }
            let _ = admin.close().await;
        });
        if let Some(dropper) = DROPPER.get() {
            dropper.finished();
        }
    }
}

async fn drop_one(admin: &DatabaseConnection, name: &str) -> Result<(), sea_orm::DbErr> {
    // FORCE: a connection of the test's server may still be open.
    admin
        .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
        .await
        .map(|_| ())
}

/// Drops the test databases created more than [`LEFT_OVER_AFTER`] ago (by a run that ended
/// before its dropper had finished).
async fn sweep_left_overs(admin: &DatabaseConnection) {
    let rows = admin
        .query_all_raw(Statement::from_string(
            admin.get_database_backend(),
            format!("SELECT datname FROM pg_database WHERE datname LIKE '{PREFIX}%'"),
        ))
        .await;
    let Ok(rows) = rows else { return };
    let cutoff = now_secs().saturating_sub(LEFT_OVER_AFTER.as_secs());
    for row in rows {
        let Ok(name) = row.try_get::<String>("", "datname") else {
            continue;
        };
        if created_secs(&name).is_some_and(|t| t < cutoff)
            && let Err(e) = drop_one(admin, &name).await
        {
            eprintln!("left-over test database {name} not dropped: {e}");
        }
    }
}

/// The creation time in a test database's name, if it has one.
fn created_secs(name: &str) -> Option<u64> {
    name.strip_prefix(PREFIX)?.split('_').next()?.parse().ok()
}

fn now_secs() -> u64 {
    SystemTime::now()
        .duration_since(UNIX_EPOCH)
        .map_or(0, |d| d.as_secs())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_new_name_carries_its_creation_time() {
        let name = new_name();
        let t = created_secs(&name).expect("a time in the name");
        assert!(now_secs().abs_diff(t) <= 1, "{name}");
        assert!(
            name.len() < 64,
            "PostgreSQL names are at most 63 bytes: {name}"
        );
        assert_eq!(
            created_secs("so_test_0123abcd"),
            None,
            "an old-style name is never swept"
        );
        assert_eq!(created_secs("postgres"), None);
    }

    /// On PostgreSQL (`TEST_DATABASE_URL`): a test database older than an hour is swept, a
    /// new one and any other database are kept.
    #[tokio::test]
    async fn the_sweep_drops_only_test_databases_older_than_an_hour() {
        let Ok(url) = std::env::var(super::super::test_database::TEST_DATABASE_URL) else {
            return;
        };
        let admin = Database::connect(url.as_str()).await.unwrap();
        let id = uuid::Uuid::new_v4().simple();
        let old = format!("{PREFIX}{}_{id}", now_secs() - 3700);
        let new = new_name();
        let other = format!("kept_{id}");
        for name in [&old, &new, &other] {
            admin
                .execute_unprepared(&format!("CREATE DATABASE {name}"))
                .await
                .unwrap();
        }
        sweep_left_overs(&admin).await;
        let left: Vec<String> = admin
            .query_all_raw(Statement::from_string(
                admin.get_database_backend(),
                "SELECT datname FROM pg_database",
            ))
            .await
            .unwrap()
            .iter()
            .map(|r| r.try_get::<String>("", "datname").unwrap())
            .collect();
        for name in [&new, &other] {
            drop_one(&admin, name).await.unwrap();
        }
        assert!(!left.contains(&old), "swept: {left:?}");
        assert!(
            left.contains(&new) && left.contains(&other),
            "kept: {left:?}"
        );
    }
}
