//! A throw-away database for one test: a SQLite file, or, when `TEST_DATABASE_URL` names a
//! PostgreSQL server (`./test`'s second pass), a new database there that is dropped when the
//! [`TestDatabase`] is. Shared by the store's unit tests, the web tests and the system tests.

use crate::Error;
use sea_orm::{ConnectionTrait, Database};
use std::path::Path;

/// The variable naming a PostgreSQL server whose user may create databases.
pub const TEST_DATABASE_URL: &str = "TEST_DATABASE_URL";

/// One test's database; a PostgreSQL one is dropped (`WITH (FORCE)`) on drop, see
/// [`super::test_dropper`].
#[derive(Debug)]
pub struct TestDatabase {
    url: String,
    /// The admin URL and the database's name, on PostgreSQL.
    postgres: Option<(String, String)>,
}

impl TestDatabase {
    /// A new database: the SQLite file `sqlite_file` (created on first connect), or a new
    /// PostgreSQL database when `TEST_DATABASE_URL` is set.
    pub async fn create(sqlite_file: &Path) -> Result<TestDatabase, Error> {
        let admin_url = match std::env::var(TEST_DATABASE_URL) {
            Ok(u) if !u.is_empty() => u,
            _ => {
                return Ok(TestDatabase {
                    url: format!("sqlite://{}?mode=rwc", sqlite_file.display()),
                    postgres: None,
                });
            }
        };
        let name = super::test_dropper::new_name();
        let admin = Database::connect(admin_url.as_str()).await?;
        let created = admin
            .execute_unprepared(&format!("CREATE DATABASE {name}"))
            .await;
        let _ = admin.close().await;
        created?;
        let url = match admin_url.rfind('/') {
            Some(i) if i > "postgres://".len() => format!("{}/{name}", &admin_url[..i]),
            _ => format!("{admin_url}/{name}"),
        };
        Ok(TestDatabase {
            url,
            postgres: Some((admin_url, name)),
        })
    }

    /// The URL to connect to.
    pub fn url(&self) -> &str {
        &self.url
    }

    /// The same database for a second user of it (another instance in a cluster test); only
    /// the original drops it.
    pub fn shared(&self) -> TestDatabase {
        TestDatabase {
            url: self.url.clone(),
            postgres: None,
        }
    }

    /// Whether it is a PostgreSQL database.
    pub fn is_postgres(&self) -> bool {
        self.postgres.is_some()
    }
}

impl Drop for TestDatabase {
    fn drop(&mut self) {
        if let Some((admin_url, name)) = self.postgres.take() {
            super::test_dropper::drop_database(admin_url, name);
        }
    }
}
