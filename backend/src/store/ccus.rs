//! CCUs.

use super::Store;
use super::entity::{ccu, outlet};
use crate::domain::{CcuRecord, Transport};
use crate::{Error, clock};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{
    ActiveModelTrait, ColumnTrait, Condition, EntityTrait, PaginatorTrait, QueryFilter, QueryOrder,
    QuerySelect, Set,
};

/// What the broker's authentication needs of a CCU.
#[derive(Debug, Clone)]
pub struct CcuAuth {
    /// The CCU id.
    pub id: String,
    /// argon2 PHC string of its secret.
    pub secret_hash: String,
}

impl Store {
    /// Registers a CCU.
    pub async fn insert_ccu(
        &self,
        id: &str,
        owner_id: i32,
        name: &str,
        transport: Transport,
        secret_hash: &str,
        breaker_threshold_ma: i64,
    ) -> Result<CcuRecord, Error> {
        let now = clock::now_ms();
        let m = ccu::ActiveModel {
            id: Set(id.to_string()),
            owner_id: Set(owner_id),
            name: Set(name.to_string()),
            location: Set(String::new()),
            secret_hash: Set(secret_hash.to_string()),
            transport: Set(transport.as_str().to_string()),
            breaker_threshold_ma: Set(breaker_threshold_ma),
            online: Set(false),
            firmware: Set(None),
            last_seen: Set(None),
            breaker_ma: Set(None),
            breaker_at: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            legacy_addr: Set(None),
            legacy_bind_until: Set(None),
            legacy_focus: Set(None),
            legacy_focus_until: Set(None),
            readings_dropped: Set(0),
            auto_cutoff_pct: Set(None),
            last_cutoff_at: Set(None),
        }
        .insert(self.db())
        .await
        .map_err(|e| super::on_conflict(e, format!("CCU {id} already exists")))?;
        Ok(to_record(m))
    }

    /// A CCU by id.
    pub async fn get_ccu(&self, id: &str) -> Result<Option<CcuRecord>, Error> {
        Ok(ccu::Entity::find_by_id(id.to_string())
            .one(self.db())
            .await?
            .map(to_record))
    }

    /// A CCU's credentials.
    pub async fn ccu_auth(&self, id: &str) -> Result<Option<CcuAuth>, Error> {
        Ok(ccu::Entity::find_by_id(id.to_string())
            .one(self.db())
            .await?
            .map(|m| CcuAuth {
                id: m.id,
                secret_hash: m.secret_hash,
            }))
    }

    /// Every CCU's secret hash, by id (one query: checked against live sessions).
    pub async fn ccu_secret_hashes(
        &self,
    ) -> Result<std::collections::HashMap<String, String>, Error> {
        let rows: Vec<(String, String)> = ccu::Entity::find()
            .select_only()
            .column(ccu::Column::Id)
            .column(ccu::Column::SecretHash)
            .into_tuple()
            .all(self.db())
            .await?;
        Ok(rows.into_iter().collect())
    }

    /// CCUs of one owner, or all of them.
    pub async fn list_ccus(&self, owner: Option<i32>) -> Result<Vec<CcuRecord>, Error> {
        let mut q = ccu::Entity::find().order_by_asc(ccu::Column::Id);
        if let Some(owner) = owner {
            q = q.filter(ccu::Column::OwnerId.eq(owner));
        }
        Ok(q.all(self.db()).await?.into_iter().map(to_record).collect())
    }

    /// Replaces a CCU's secret hash.
    pub async fn set_ccu_secret(&self, id: &str, secret_hash: &str) -> Result<(), Error> {
        self.update_ccu(id, |m| m.secret_hash = Set(secret_hash.to_string()))
            .await
    }

    /// Renames a CCU and sets its location.
    pub async fn rename_ccu(
        &self,
        id: &str,
        name: &str,
        location: Option<&str>,
    ) -> Result<(), Error> {
        let name = name.to_string();
        let location = location.map(str::to_string);
        self.update_ccu(id, move |m| {
            m.name = Set(name);
            if let Some(l) = location {
                m.location = Set(l);
            }
        })
        .await
    }

    /// Sets a CCU's breaker threshold.
    pub async fn set_breaker_threshold(&self, id: &str, ma: i64) -> Result<(), Error> {
        self.update_ccu(id, |m| m.breaker_threshold_ma = Set(ma))
            .await
    }

    /// Sets a CCU's automatic cut-off (percent of its breaker threshold; `None`: off).
    pub async fn set_auto_cutoff(&self, id: &str, pct: Option<i32>) -> Result<(), Error> {
        self.update_ccu(id, |m| m.auto_cutoff_pct = Set(pct)).await
    }

    /// Claims a cut-off of `id` at `now` unless one happened within `cooldown_ms`: one
    /// conditional UPDATE, so of two instances (or two readings) only one cuts.
    pub async fn claim_cutoff(&self, id: &str, now: i64, cooldown_ms: i64) -> Result<bool, Error> {
        let r = ccu::Entity::update_many()
            .col_expr(ccu::Column::LastCutoffAt, Expr::value(now))
            .filter(ccu::Column::Id.eq(id))
            .filter(
                Condition::any()
                    .add(ccu::Column::LastCutoffAt.is_null())
                    .add(ccu::Column::LastCutoffAt.lte(now.saturating_sub(cooldown_ms))),
            )
            .exec(self.db())
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// Sets a CCU's transport.
    pub async fn set_ccu_transport(&self, id: &str, transport: Transport) -> Result<(), Error> {
        self.update_ccu(id, |m| m.transport = Set(transport.as_str().to_string()))
            .await
    }

    /// Binds a legacy CCU to `addr` (or unbinds it with `None`) and sets its learning
    /// window (`None`: closed).
    pub async fn set_legacy_binding(
        &self,
        id: &str,
        addr: Option<String>,
        bind_until: Option<i64>,
    ) -> Result<(), Error> {
        self.update_ccu(id, move |m| {
            m.legacy_addr = Set(addr);
            m.legacy_bind_until = Set(bind_until);
        })
        .await
    }

    /// Binds an unbound legacy CCU to `addr` if its learning window is still open at `now`;
    /// false when it was bound meanwhile (maybe by another instance) or the window closed.
    /// One conditional UPDATE, so two instances cannot both learn.
    pub async fn learn_legacy_addr(&self, id: &str, addr: &str, now: i64) -> Result<bool, Error> {
        let r = ccu::Entity::update_many()
            .col_expr(ccu::Column::LegacyAddr, Expr::value(addr.to_string()))
            .col_expr(
                ccu::Column::LegacyBindUntil,
                Expr::value(Option::<i64>::None),
            )
            .col_expr(ccu::Column::UpdatedAt, Expr::value(now))
            .filter(ccu::Column::Id.eq(id))
            .filter(ccu::Column::LegacyAddr.is_null())
            .filter(ccu::Column::LegacyBindUntil.gt(now))
            .exec(self.db())
            .await?;
        Ok(r.rows_affected == 1)
    }

    async fn update_ccu(
        &self,
        id: &str,
        f: impl FnOnce(&mut ccu::ActiveModel),
    ) -> Result<(), Error> {
        let mut m = ccu::ActiveModel {
            id: sea_orm::Unchanged(id.to_string()),
            updated_at: Set(clock::now_ms()),
            ..Default::default()
        };
        f(&mut m);
        match m.update(self.db()).await {
            Ok(_) => Ok(()),
            Err(sea_orm::DbErr::RecordNotUpdated) => Err(Error::NotFound("CCU")),
            Err(e) => Err(e.into()),
        }
    }

    /// Records a CCU's presence. True when this call changed `online` in the database;
    /// false when it already said so (another instance recorded the change first), and then
    /// only `last_seen` and the firmware are written.
    pub async fn set_ccu_presence(
        &self,
        id: &str,
        online: bool,
        firmware: Option<&str>,
        last_seen: i64,
    ) -> Result<bool, Error> {
        let update = || {
            let mut q = ccu::Entity::update_many()
                .col_expr(ccu::Column::Online, Expr::value(online))
                .col_expr(ccu::Column::LastSeen, Expr::value(last_seen));
            if let Some(fw) = firmware {
                q = q.col_expr(ccu::Column::Firmware, Expr::value(fw.to_string()));
            }
            q.filter(ccu::Column::Id.eq(id))
        };
        let flipped = update()
            .filter(ccu::Column::Online.ne(online))
            .exec(self.db())
            .await?
            .rows_affected
            > 0;
        if !flipped {
            update().exec(self.db()).await?;
        }
        Ok(flipped)
    }

    /// When any instance last heard the CCU (the writer keeps it), if ever.
    pub async fn ccu_last_seen(&self, id: &str) -> Result<Option<i64>, Error> {
        Ok(ccu::Entity::find_by_id(id.to_string())
            .one(self.db())
            .await?
            .and_then(|c| c.last_seen))
    }

    /// Adds readings a CCU reported it dropped to its total.
    pub async fn add_ccu_readings_dropped(&self, id: &str, dropped: u32) -> Result<(), Error> {
        ccu::Entity::update_many()
            .col_expr(
                ccu::Column::ReadingsDropped,
                Expr::col(ccu::Column::ReadingsDropped).add(i64::from(dropped)),
            )
            .filter(ccu::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Marks every CCU offline (start-up of the embedded broker: nobody is connected yet).
    pub async fn set_all_ccus_offline(&self) -> Result<(), Error> {
        ccu::Entity::update_many()
            .col_expr(ccu::Column::Online, Expr::value(false))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// Deletes a CCU with its outlets, readings and commands.
    pub async fn delete_ccu(&self, id: &str) -> Result<(), Error> {
        let r = ccu::Entity::delete_by_id(id.to_string())
            .exec(self.db())
            .await?;
        if r.rows_affected == 0 {
            return Err(Error::NotFound("CCU"));
        }
        Ok(())
    }

    /// A value that changes whenever CCUs or outlets are added, changed or removed; lets a
    /// running server notice what another process (the CLI) did.
    pub async fn config_fingerprint(&self) -> Result<(u64, i64, u64, i64), Error> {
        let n_ccus = ccu::Entity::find().count(self.db()).await?;
        let n_outlets = outlet::Entity::find().count(self.db()).await?;
        let ccu_max: Option<Option<i64>> = ccu::Entity::find()
            .select_only()
            .column_as(ccu::Column::UpdatedAt.max(), "m")
            .into_tuple()
            .one(self.db())
            .await?;
        let outlet_max: Option<Option<i64>> = outlet::Entity::find()
            .select_only()
            .column_as(outlet::Column::UpdatedAt.max(), "m")
            .into_tuple()
            .one(self.db())
            .await?;
        Ok((
            n_ccus,
            ccu_max.flatten().unwrap_or(0),
            n_outlets,
            outlet_max.flatten().unwrap_or(0),
        ))
    }
}

pub(crate) fn to_record(m: ccu::Model) -> CcuRecord {
    CcuRecord {
        transport: Transport::parse(&m.transport).unwrap_or(Transport::Mqtt),
        id: m.id,
        owner_id: m.owner_id,
        name: m.name,
        location: m.location,
        breaker_threshold_ma: m.breaker_threshold_ma,
        online: m.online,
        firmware: m.firmware,
        last_seen: m.last_seen,
        breaker_ma: m.breaker_ma,
        breaker_at: m.breaker_at,
        created_at: m.created_at,
        legacy_addr: m.legacy_addr,
        legacy_bind_until: m.legacy_bind_until,
        legacy_focus: m
            .legacy_focus
            .filter(|_| m.legacy_focus_until.is_none_or(|u| u > clock::now_ms())),
        legacy_refused_addr: None,
        readings_dropped: m.readings_dropped,
        auto_cutoff_pct: m.auto_cutoff_pct,
    }
}
