//! Fresh databases and their contents (users, CCUs, outlets), written straight into the store
//! before the server starts. CCUs of one batch share a secret, so it is hashed once.

use backend::domain::Transport;
use backend::{Store, admin, credentials};
use sea_orm::ConnectionTrait;
use std::path::Path;

/// The password of every bench user.
pub const PASSWORD: &str = "bench-password";

/// A fresh database: a SQLite file in `dir`, or a new database on the PostgreSQL server at
/// `postgres` (returned second, for dropping it afterwards).
pub async fn fresh_database(
    dir: &Path,
    postgres: Option<&str>,
) -> anyhow::Result<(String, Option<String>)> {
    let Some(admin_url) = postgres else {
        return Ok((
            format!("sqlite://{}?mode=rwc", dir.join("bench.db").display()),
            None,
        ));
    };
    let name = format!("so_bench_{}", uuid::Uuid::new_v4().simple());
    let admin = sea_orm::Database::connect(admin_url).await?;
    admin
        .execute_unprepared(&format!("CREATE DATABASE {name}"))
        .await?;
    let _ = admin.close().await;
    let base = match admin_url.rfind('/') {
        Some(i) if i > "postgres://".len() => admin_url[..i].to_string(),
        _ => admin_url.to_string(),
    };
    Ok((format!("{base}/{name}"), Some(name)))
}

/// Drops a database made by [`fresh_database`].
pub async fn drop_database(postgres: &str, name: &str) {
    if let Ok(admin) = sea_orm::Database::connect(postgres).await {
        let _ = admin
            .execute_unprepared(&format!("DROP DATABASE IF EXISTS {name} WITH (FORCE)"))
            .await;
        let _ = admin.close().await;
    }
}

/// A seeded CCU.
#[derive(Debug, Clone)]
pub struct SeedCcu {
    /// Its id (MQTT username and client id).
    pub id: String,
    /// Its MQTT secret.
    pub secret: String,
    /// Its outlets: `(outlet id, device id)`.
    pub outlets: Vec<(i32, String)>,
}

/// Writes users, CCUs and outlets.
pub struct Seeder {
    store: Store,
}

impl Seeder {
    /// Opens (and migrates) the database.
    pub async fn open(url: &str) -> anyhow::Result<Seeder> {
        Ok(Seeder {
            store: Store::open(url, 4).await?,
        })
    }

    /// A user with [`PASSWORD`]; returns its id.
    pub async fn user(&self, name: &str) -> anyhow::Result<i32> {
        Ok(admin::add_user(&self.store, name, PASSWORD).await?.id)
    }

    /// `n` CCUs `<prefix><i>` of `owner`, each with `outlets` outlets (device ids from
    /// `first_device` down), all with one secret.
    pub async fn ccus(
        &self,
        owner: i32,
        prefix: &str,
        n: usize,
        outlets: usize,
        transport: Transport,
        first_device: u8,
    ) -> anyhow::Result<Vec<SeedCcu>> {
        let secret = credentials::generate_secret();
        let hash = credentials::hash(&secret, credentials::Kind::Secret)?;
        let mut out = Vec::with_capacity(n);
        for i in 0..n {
            let id = format!("{prefix}{i}");
            self.store
                .insert_ccu(&id, owner, &id, transport, &hash, 1_000_000)
                .await?;
            if transport == Transport::Http {
                // The bench's old-firmware CCUs call from loopback: bind them there (the
                // legacy shim serves only the CCUs bound to the caller's address).
                self.store
                    .set_legacy_binding(&id, Some("127.0.0.1".into()), None)
                    .await?;
            }
            let mut list = Vec::with_capacity(outlets);
            for j in 0..outlets {
                let device = format!("{:02X}", first_device.wrapping_sub(j as u8));
                let o = self
                    .store
                    .insert_outlet(&id, &device, &format!("{id}-{device}"), "")
                    .await?;
                list.push((o.id, device));
            }
            out.push(SeedCcu {
                id,
                secret: secret.clone(),
                outlets: list,
            });
        }
        Ok(out)
    }

    /// Binds a legacy CCU to `addr` (instead of loopback's 127.0.0.1): one household per
    /// address.
    pub async fn bind(&self, ccu: &str, addr: std::net::IpAddr) -> anyhow::Result<()> {
        self.store
            .set_legacy_binding(ccu, Some(addr.to_string()), None)
            .await?;
        Ok(())
    }

    /// The store, for scenarios that write history themselves.
    pub fn store(&self) -> &Store {
        &self.store
    }

    /// Closes the store.
    pub async fn close(self) {
        let _ = self.store.db().clone().close().await;
    }
}
