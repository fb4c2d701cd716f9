//! Outlets: add, list with live state, rename, move, threshold, cut, delete.

use super::models::{Command, CutoffProtection, NewOutlet, Outlet, OutletPatch, Threshold};
use crate::auth::Auth;
use crate::error::ApiResult;
use backend::Backend;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, Object, OpenApi, Tags};

#[derive(Tags)]
enum Tag {
    /// Outlets (PICs).
    Outlets,
}

/// Outlet operations.
pub struct OutletsApi;

/// The answer to `POST /outlets/{id}/view`.
#[derive(Object)]
struct Viewed {
    /// The outlet's CCU runs the old firmware and now reads it every cycle (false: an MQTT
    /// CCU, whose outlets report every few seconds anyway).
    focused: bool,
}

#[derive(ApiResponse)]
enum Created {
    /// Added.
    #[oai(status = 201)]
    Ok(Json<Outlet>),
}

#[derive(ApiResponse)]
enum Deleted {
    /// Deleted with its history.
    #[oai(status = 204)]
    Ok,
}

#[OpenApi(prefix_path = "/outlets", tag = "Tag::Outlets")]
impl OutletsApi {
    /// Your outlets with their live state (optionally of one CCU).
    #[oai(path = "/", method = "get")]
    async fn list(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        ccu_id: Query<Option<String>>,
    ) -> ApiResult<Json<Vec<Outlet>>> {
        let outlets = backend
            .list_outlets(auth.actor(), ccu_id.0.as_deref())
            .await?;
        Ok(Json(outlets.into_iter().map(Into::into).collect()))
    }

    /// Add an outlet to one of your CCUs.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        body: Json<NewOutlet>,
    ) -> ApiResult<Created> {
        let o = backend
            .create_outlet(
                auth.actor(),
                &body.ccu_id,
                &body.device_id,
                &body.name,
                body.location.as_deref().unwrap_or(""),
            )
            .await?;
        Ok(Created::Ok(Json(
            backend.get_outlet(auth.actor(), o.id).await?.into(),
        )))
    }

    /// One outlet.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
    ) -> ApiResult<Json<Outlet>> {
        Ok(Json(backend.get_outlet(auth.actor(), id.0).await?.into()))
    }

    /// Rename, relocate or move an outlet to another of your CCUs.
    #[oai(path = "/:id", method = "patch")]
    async fn patch(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
        body: Json<OutletPatch>,
    ) -> ApiResult<Json<Outlet>> {
        let o = backend
            .edit_outlet(
                auth.actor(),
                id.0,
                body.name.as_deref(),
                body.location.as_deref(),
                body.ccu_id.as_deref(),
            )
            .await?;
        Ok(Json(o.into()))
    }

    /// Set the per-socket threshold (0 = none); also programs the PIC.
    #[oai(path = "/:id/threshold", method = "put")]
    async fn threshold(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
        body: Json<Threshold>,
    ) -> ApiResult<Json<Outlet>> {
        backend
            .set_outlet_threshold(auth.actor(), id.0, body.threshold_ma)
            .await?;
        Ok(Json(backend.get_outlet(auth.actor(), id.0).await?.into()))
    }

    /// Protect the outlet from its CCU's automatic cut-off (`protected: true`), or not.
    #[oai(path = "/:id/cutoff-protection", method = "put")]
    async fn cutoff_protection(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
        body: Json<CutoffProtection>,
    ) -> ApiResult<Json<Outlet>> {
        backend
            .set_cutoff_protected(auth.actor(), id.0, body.protected)
            .await?;
        Ok(Json(backend.get_outlet(auth.actor(), id.0).await?.into()))
    }

    /// Say that a person has this outlet open (its page, or its card being used). An outlet
    /// of a CCU on the old HTTP firmware is then read every 2 s instead of once per round
    /// robin, for `legacy.view_ttl` (60 s) after the last call: the dashboard repeats it
    /// every 20 s while the outlet is shown.
    #[oai(path = "/:id/view", method = "post")]
    async fn view(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
    ) -> ApiResult<Json<Viewed>> {
        let focused = backend.view_outlet(auth.actor(), id.0).await?;
        Ok(Json(Viewed { focused }))
    }

    /// Cut power: `relay_off` on both sockets.
    #[oai(path = "/:id/cut", method = "post")]
    async fn cut(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
    ) -> ApiResult<Json<Vec<Command>>> {
        let cmds = backend.cut_outlet(auth.actor(), id.0).await?;
        Ok(Json(cmds.into_iter().map(Into::into).collect()))
    }

    /// Delete an outlet with its history.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
    ) -> ApiResult<Deleted> {
        backend.delete_outlet(auth.actor(), id.0).await?;
        Ok(Deleted::Ok)
    }
}
