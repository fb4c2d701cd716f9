//! Outlets.

use super::Store;
use super::entity::{ccu, outlet};
use crate::domain::{OutletRecord, Socket};
use crate::{Error, clock};
use sea_orm::sea_query::{Expr, ExprTrait};
use sea_orm::{ActiveModelTrait, ColumnTrait, EntityTrait, QueryFilter, QueryOrder, Set};

impl Store {
    /// Adds an outlet to a CCU.
    pub async fn insert_outlet(
        &self,
        ccu_id: &str,
        device_id: &str,
        name: &str,
        location: &str,
    ) -> Result<OutletRecord, Error> {
        let now = clock::now_ms();
        let m = outlet::ActiveModel {
            ccu_id: Set(ccu_id.to_string()),
            device_id: Set(device_id.to_string()),
            name: Set(name.to_string()),
            location: Set(location.to_string()),
            threshold_ma: Set(0),
            current_a: Set(None),
            current_b: Set(None),
            relay_a: Set(None),
            relay_b: Set(None),
            is_overload: Set(false),
            online: Set(false),
            last_seen: Set(None),
            created_at: Set(now),
            updated_at: Set(now),
            ..Default::default()
        }
        .insert(self.db())
        .await
        .map_err(|e| {
            super::on_conflict(
                e,
                format!("outlet {device_id} already exists on CCU {ccu_id}"),
            )
        })?;
        Ok(to_record(m))
    }

    /// An outlet by id.
    pub async fn get_outlet(&self, id: i32) -> Result<Option<OutletRecord>, Error> {
        Ok(outlet::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .map(to_record))
    }

    /// An outlet by CCU and device id.
    pub async fn find_outlet(
        &self,
        ccu_id: &str,
        device_id: &str,
    ) -> Result<Option<OutletRecord>, Error> {
        Ok(outlet::Entity::find()
            .filter(outlet::Column::CcuId.eq(ccu_id))
            .filter(outlet::Column::DeviceId.eq(device_id))
            .one(self.db())
            .await?
            .map(to_record))
    }

    /// Outlets of one CCU, of one owner, or all.
    pub async fn list_outlets(
        &self,
        ccu_id: Option<&str>,
        owner: Option<i32>,
    ) -> Result<Vec<OutletRecord>, Error> {
        let mut q = outlet::Entity::find().order_by_asc(outlet::Column::Id);
        if let Some(ccu_id) = ccu_id {
            q = q.filter(outlet::Column::CcuId.eq(ccu_id));
        }
        if let Some(owner) = owner {
            let ids: Vec<String> = ccu::Entity::find()
                .filter(ccu::Column::OwnerId.eq(owner))
                .all(self.db())
                .await?
                .into_iter()
                .map(|c| c.id)
                .collect();
            q = q.filter(outlet::Column::CcuId.is_in(ids));
        }
        Ok(q.all(self.db()).await?.into_iter().map(to_record).collect())
    }

    /// Records a relay state reported or acknowledged by the device, unless it is stored
    /// already; whether it changed. One conditional statement, so of several instances that
    /// see the same change, one records it.
    pub async fn set_outlet_relay(&self, id: i32, socket: Socket, on: bool) -> Result<bool, Error> {
        let col = match socket {
            Socket::A => outlet::Column::RelayA,
            Socket::B => outlet::Column::RelayB,
        };
        let r = outlet::Entity::update_many()
            .col_expr(col, Expr::value(on))
            .filter(outlet::Column::Id.eq(id))
            .filter(col.is_null().or(col.ne(on)))
            .exec(self.db())
            .await?;
        Ok(r.rows_affected == 1)
    }

    /// Records presence of an outlet.
    pub async fn set_outlet_online(&self, id: i32, online: bool) -> Result<(), Error> {
        outlet::Entity::update_many()
            .col_expr(outlet::Column::Online, Expr::value(online))
            .filter(outlet::Column::Id.eq(id))
            .exec(self.db())
            .await?;
        Ok(())
    }

    /// When any instance last heard the outlet (the writer keeps it), if ever.
    pub async fn outlet_last_seen(&self, id: i32) -> Result<Option<i64>, Error> {
        Ok(outlet::Entity::find_by_id(id)
            .one(self.db())
            .await?
            .and_then(|o| o.last_seen))
    }

    /// Sets the per-socket alert threshold.
    pub async fn set_outlet_threshold(&self, id: i32, ma: i64) -> Result<(), Error> {
        self.update_outlet(id, |m| m.threshold_ma = Set(ma)).await
    }

    /// Protects an outlet from the automatic cut-off, or not.
    pub async fn set_cutoff_protected(&self, id: i32, protected: bool) -> Result<(), Error> {
        self.update_outlet(id, |m| m.cutoff_protected = Set(protected))
            .await
    }

    /// Renames an outlet and sets its location.
    pub async fn rename_outlet(
        &self,
        id: i32,
        name: &str,
        location: Option<&str>,
    ) -> Result<(), Error> {
        let name = name.to_string();
        let location = location.map(str::to_string);
        self.update_outlet(id, move |m| {
            m.name = Set(name);
            if let Some(l) = location {
                m.location = Set(l);
            }
        })
        .await
    }

    /// Moves an outlet to another CCU.
    pub async fn move_outlet(&self, id: i32, ccu_id: &str) -> Result<(), Error> {
        let ccu_id = ccu_id.to_string();
        self.update_outlet(id, move |m| m.ccu_id = Set(ccu_id))
            .await
            .map_err(|e| match e {
                Error::Db(e) => {
                    super::on_conflict(e, "that CCU already has an outlet with this id")
                }
                e => e,
            })
    }

    async fn update_outlet(
        &self,
        id: i32,
        f: impl FnOnce(&mut outlet::ActiveModel),
    ) -> Result<(), Error> {
        let mut m = outlet::ActiveModel {
            id: sea_orm::Unchanged(id),
            updated_at: Set(clock::now_ms()),
            ..Default::default()
        };
        f(&mut m);
        match m.update(self.db()).await {
            Ok(_) => Ok(()),
            Err(sea_orm::DbErr::RecordNotUpdated) => Err(Error::NotFound("outlet")),
            Err(e) => Err(e.into()),
        }
    }

    /// Deletes an outlet with its readings and commands.
    pub async fn delete_outlet(&self, id: i32) -> Result<(), Error> {
        let r = outlet::Entity::delete_by_id(id).exec(self.db()).await?;
        if r.rows_affected == 0 {
            return Err(Error::NotFound("outlet"));
        }
        Ok(())
    }
}

pub(crate) fn to_record(m: outlet::Model) -> OutletRecord {
    OutletRecord {
        id: m.id,
        ccu_id: m.ccu_id,
        device_id: m.device_id,
        name: m.name,
        location: m.location,
        threshold_ma: m.threshold_ma,
        current_a: m.current_a,
        current_b: m.current_b,
        relay_a: m.relay_a,
        relay_b: m.relay_b,
        is_overload: m.is_overload,
        online: m.online,
        last_seen: m.last_seen,
        polled: false,
        silent_after_ms: 0,
        cutoff_protected: m.cutoff_protected,
    }
}
