//! CCUs: register (credentials shown once), list, rename, rotate secret, breaker threshold, delete.

use super::models::{
    AutoCutoff, Ccu, CcuCreated, CcuPatch, LegacyBindingChange, MqttCredentials, NewCcu, Threshold,
    Transport,
};
use crate::auth::Auth;
use crate::error::ApiResult;
use backend::Backend;
use backend::legacy::Binding;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};

#[derive(Tags)]
enum Tag {
    /// Central control units.
    Ccus,
}

/// CCU operations.
pub struct CcusApi;

#[derive(ApiResponse)]
enum Created {
    /// Registered; the MQTT password is shown only now.
    #[oai(status = 201)]
    Ok(Json<CcuCreated>),
}

#[derive(ApiResponse)]
enum Deleted {
    /// Deleted with its outlets and history.
    #[oai(status = 204)]
    Ok,
}

fn credentials(backend: &Backend, id: &str, password: String) -> MqttCredentials {
    MqttCredentials {
        username: id.to_string(),
        client_id: id.to_string(),
        password,
        port: backend.settings().mqtt.addr.port(),
    }
}

#[OpenApi(prefix_path = "/ccus", tag = "Tag::Ccus")]
impl CcusApi {
    /// Your CCUs with online state and last seen.
    #[oai(path = "/", method = "get")]
    async fn list(&self, backend: Data<&Backend>, auth: Auth) -> ApiResult<Json<Vec<Ccu>>> {
        let ccus = backend.list_ccus(auth.actor()).await?;
        Ok(Json(ccus.into_iter().map(Into::into).collect()))
    }

    /// Register a CCU.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        body: Json<NewCcu>,
    ) -> ApiResult<Created> {
        let transport = body.transport.unwrap_or(Transport::Auto).into();
        // checked before the CCU exists: a refusal must not leave one behind
        let location = body.location.as_deref().map(backend::labels::location);
        let location = location.transpose()?;
        let (ccu, secret) = backend
            .create_ccu(
                auth.actor(),
                auth.user_id(),
                &body.id,
                body.name.as_deref(),
                transport,
            )
            .await?;
        if let Some(location) = &location {
            backend
                .rename_ccu(auth.actor(), &ccu.id, None, Some(location))
                .await?;
        }
        let ccu = backend.get_ccu(auth.actor(), &ccu.id).await?;
        let mqtt = credentials(&backend, &ccu.id, secret);
        Ok(Created::Ok(Json(CcuCreated {
            ccu: ccu.into(),
            mqtt,
        })))
    }

    /// One CCU.
    #[oai(path = "/:id", method = "get")]
    async fn get(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<String>,
    ) -> ApiResult<Json<Ccu>> {
        Ok(Json(backend.get_ccu(auth.actor(), &id.0).await?.into()))
    }

    /// Rename a CCU or change its location.
    #[oai(path = "/:id", method = "patch")]
    async fn patch(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<String>,
        body: Json<CcuPatch>,
    ) -> ApiResult<Json<Ccu>> {
        let c = backend
            .rename_ccu(
                auth.actor(),
                &id.0,
                body.name.as_deref(),
                body.location.as_deref(),
            )
            .await?;
        Ok(Json(c.into()))
    }

    /// Replace a CCU's MQTT secret; the new one is shown once.
    #[oai(path = "/:id/rotate-secret", method = "post")]
    async fn rotate(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<String>,
    ) -> ApiResult<Json<MqttCredentials>> {
        let ccu = backend.get_ccu(auth.actor(), &id.0).await?;
        let secret = backend.rotate_ccu_secret(auth.actor(), &ccu.id).await?;
        Ok(Json(credentials(&backend, &ccu.id, secret)))
    }

    /// Set the main-breaker alert threshold.
    #[oai(path = "/:id/breaker-threshold", method = "put")]
    async fn breaker_threshold(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<String>,
        body: Json<Threshold>,
    ) -> ApiResult<Json<Ccu>> {
        backend
            .set_breaker_threshold(auth.actor(), &id.0, body.threshold_ma)
            .await?;
        Ok(Json(backend.get_ccu(auth.actor(), &id.0).await?.into()))
    }

    /// Set the automatic cut-off: when the breaker load reaches `at_pct` % of the breaker
    /// threshold, the server switches off the switched-on socket drawing the most among the
    /// CCU's outlets that are not protected (`PUT /outlets/{id}/cutoff-protection`), records
    /// an `auto_cutoff` event, and cuts nothing else on this CCU for
    /// `automation.cutoff_cooldown`. `at_pct` null: off (the default). 1 to 100, else 400.
    #[oai(path = "/:id/auto-cutoff", method = "put")]
    async fn auto_cutoff(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<String>,
        body: Json<AutoCutoff>,
    ) -> ApiResult<Json<Ccu>> {
        backend
            .set_auto_cutoff(auth.actor(), &id.0, body.at_pct)
            .await?;
        Ok(Json(backend.get_ccu(auth.actor(), &id.0).await?.into()))
    }

    /// Bind a CCU on the old HTTP firmware to the address it calls from (`addr`), or reset
    /// the binding (no `addr`): it then learns its address from its next
    /// `POST /api/breaker-data/` within `legacy.learn_window`. The old firmware sends no CCU
    /// id with its other requests, so they are served only for the CCUs bound to the
    /// caller's address. 409 when `addr` is bound to another account's CCU.
    #[oai(path = "/:id/legacy-binding", method = "post")]
    async fn legacy_binding(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<String>,
        body: Json<LegacyBindingChange>,
    ) -> ApiResult<Json<Ccu>> {
        let binding = match body.0.addr.as_deref().map(str::trim) {
            None | Some("") => Binding::Reset,
            Some(a) => Binding::Address(
                a.parse()
                    .map_err(|_| backend::Error::Invalid(format!("{a:?} is not an IP address")))?,
            ),
        };
        backend
            .set_legacy_binding(auth.actor(), &id.0, binding)
            .await?;
        Ok(Json(backend.get_ccu(auth.actor(), &id.0).await?.into()))
    }

    /// Delete a CCU with its outlets and history.
    #[oai(path = "/:id", method = "delete")]
    async fn delete(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<String>,
    ) -> ApiResult<Deleted> {
        backend.delete_ccu(auth.actor(), &id.0).await?;
        Ok(Deleted::Ok)
    }
}
