//! An outlet's energy and cost per hour.

use super::models::OutletEnergy;
use super::range::Range;
use crate::auth::Auth;
use crate::error::{ApiError, ApiResult};
use backend::Backend;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{OpenApi, Tags};

#[derive(Tags)]
enum Tag {
    /// Energy.
    Energy,
}

/// Energy operations.
pub struct EnergyApi;

#[OpenApi(tag = "Tag::Energy")]
impl EnergyApi {
    /// An outlet's energy per hour for readings in `[from, to)` (unix ms, 0 to
    /// 253402300800000; default the last 24 h; at most 400 days): Wh per socket at the
    /// configured voltage, the total and, when a price is configured, its cost. Hours whose
    /// readings the retention (`energy.keep_readings`) deleted come from their hourly
    /// roll-up. Out-of-range values are a 400; another user's outlet a 404.
    #[oai(path = "/outlets/:id/energy", method = "get")]
    async fn outlet(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
        from: Query<Option<i64>>,
        to: Query<Option<i64>>,
    ) -> ApiResult<Json<OutletEnergy>> {
        let r = Range::parse(from.0, to.0, backend::clock::now_ms()).map_err(ApiError::invalid)?;
        let report = backend
            .outlet_energy(auth.actor(), id.0, r.from, r.to)
            .await?;
        Ok(Json(OutletEnergy::new(r.from, r.to, report)))
    }
}
