//! Drops a PostgreSQL test database from a test's `Drop` without holding the test's runtime
//! thread while the server waits for that very thread.
//!
//! Why: `DROP DATABASE` waits until every backend of the server has taken a
//! `ProcSignalBarrier`. A backend still authenticating takes it only once its client has
//! answered, and that client may be a connection the test's own server was opening, on the
//! runtime thread that `Drop` blocks: two tests stalled for PostgreSQL's 60 s
//! `authentication_timeout`. So the drop runs on a thread of its own and `Drop` waits until
//! it has finished or is seen waiting for that barrier: the statement is then with the server,
//! which completes it once the test's runtime has ended (closing its sockets ends the waiting
//! backend), even if this process has exited. Databases left by a process killed before its
//! drops were sent are dropped by a later run: their names carry their creation time, and
//! each process first drops every test database older than an hour.

use sea_orm::{ConnectionTrait, Database, DatabaseConnection, Statement};
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Sender};
use std::time::{Duration, SystemTime, UNIX_EPOCH};

/// The prefix of every test database's name.
pub(super) const PREFIX: &str = "so_test_";

/// How long a drop runs before its barrier wait is looked for (one takes tens of milliseconds).
const LOOK_AFTER: Duration = Duration::from_millis(200);

/// The longest `Drop` waits in any case.
const WAIT_AT_MOST: Duration = Duration::from_secs(30);

/// How old a left-over test database must be before any run drops it.
const LEFT_OVER_AFTER: Duration = Duration::from_secs(3600);

/// Whether this process has swept the left-overs (or is doing it).
static SWEPT: AtomicBool = AtomicBool::new(false);

/// A new test database's name: the prefix, the creation time in seconds, a random part.
pub(super) fn new_name() -> String {
    format!("{PREFIX}{}_{}", now_secs(), uuid::Uuid::new_v4().simple())
}

/// What the dropping thread tells `Drop`.
enum Progress {
    /// The statement waits for the barrier: the server finishes it on its own.
    WaitingForBarrier,
    /// Done, or failed with this message.
    Finished(Result<(), String>),
}

/// Drops `name` on the server at `admin_url` (see the module's text for how long it waits).
pub(super) fn drop_database(admin_url: String, name: String) {
    let (progress, rx) = mpsc::channel();
    let label = name.clone();
    let spawned = std::thread::Builder::new()
        .name("test-db-drop".into())
        .spawn(move || {
            let finished = drop_with_own_runtime(&admin_url, &name, &progress);
            let _ = progress.send(Progress::Finished(finished));
        });
    if let Err(e) = spawned {
        return eprintln!("test database {label} not dropped: no thread: {e}");
    }
    match rx.recv_timeout(WAIT_AT_MOST) {
        Ok(Progress::Finished(Ok(()))) => {}
        Ok(Progress::Finished(Err(e))) => eprintln!("test database {label} not dropped: {e}"),
        Ok(Progress::WaitingForBarrier) => {
            eprintln!("test database {label}: the server drops it once this test has ended")
        }
        Err(_) => eprintln!("test database {label}: drop still running after {WAIT_AT_MOST:?}"),
    }
}

fn drop_with_own_runtime(
    admin_url: &str,
    name: &str,
    progress: &Sender<Progress>,
) -> Result<(), String> {
    let rt = tokio::runtime::Builder::new_current_thread()
        .enable_all()
        .build()
        .map_err(|e| e.to_string())?;
    rt.block_on(async {
        let admin = Database::connect(admin_url)
            .await
            .map_err(|e| e.to_string())?;
        if !SWEPT.swap(true, Ordering::SeqCst) {
            sweep_left_overs(&admin).await;
        }
        let dropped = {
            let drop = drop_one(&admin, name);
            tokio::pin!(drop);
            tokio::select! {
                dropped = &mut drop => dropped,
                () = report_barrier_wait(&admin, name, progress) => drop.await,
            }
        };
        let _ = admin.close().await;
        dropped.map_err(|e| e.to_string())
    })
}

/// After [`LOOK_AFTER`], watches (on another of the pool's connections) for the drop of
/// `name` to wait for a `ProcSignalBarrier`, and reports it once.
async fn report_barrier_wait(admin: &DatabaseConnection, name: &str, progress: &Sender<Progress>) {
    tokio::time::sleep(LOOK_AFTER).await;
    let look = Statement::from_string(
        admin.get_database_backend(),
        format!(
            "SELECT pid FROM pg_stat_activity WHERE wait_event = 'ProcSignalBarrier' \
             AND query LIKE 'DROP DATABASE IF EXISTS \"{name}\" %'"
        ),
    );
    loop {
        if let Ok(Some(_)) = admin.query_one_raw(look.clone()).await {
            let _ = progress.send(Progress::WaitingForBarrier);
            return std::future::pending().await;
        }
        tokio::time::sleep(Duration::from_millis(50)).await;
    }
}

async fn drop_one(admin: &DatabaseConnection, name: &str) -> Result<(), sea_orm::DbErr> {
    // Quoted: a left-over's name comes from the server. FORCE: a connection of the test's
    // server may still be open.
    let quoted = name.replace('"', "\"\"");
    admin
        .execute_unprepared(&format!(
            "DROP DATABASE IF EXISTS \"{quoted}\" WITH (FORCE)"
        ))
        .await
        .map(|_| ())
}

/// Drops the test databases created more than [`LEFT_OVER_AFTER`] ago (by a process killed
/// before its drops were sent).
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
