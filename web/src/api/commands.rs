//! Commands: send, list, one; cut all power.

use super::models::{Command, NewCommand};
use crate::auth::Auth;
use crate::error::ApiResult;
use backend::Backend;
use backend::commands::NewCommand as Request;
use poem::web::Data;
use poem_openapi::param::{Path, Query};
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};

#[derive(Tags)]
enum Tag {
    /// Commands and their lifecycle.
    Commands,
}

/// Command operations.
pub struct CommandsApi;

#[derive(ApiResponse)]
enum Accepted {
    /// Stored; `status` is `sent` when the CCU was online, else `queued`.
    #[oai(status = 202)]
    Ok(Json<Command>),
}

#[OpenApi(tag = "Tag::Commands")]
impl CommandsApi {
    /// Send a command to one of your outlets.
    #[oai(path = "/commands", method = "post")]
    async fn send(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        body: Json<NewCommand>,
    ) -> ApiResult<Accepted> {
        let c = backend
            .send_command(
                auth.actor(),
                Request {
                    outlet_id: body.outlet_id,
                    command: body.command.into(),
                    socket: body.socket.map(Into::into),
                    value: body.value,
                },
            )
            .await?;
        Ok(Accepted::Ok(Json(c.into())))
    }

    /// Recent commands, newest first (optionally of one outlet).
    /// `limit` 1 to 1000 (default 100); out of range: 400.
    #[oai(path = "/commands", method = "get")]
    async fn list(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        outlet_id: Query<Option<i32>>,
        limit: Query<Option<u64>>,
    ) -> ApiResult<Json<Vec<Command>>> {
        let limit = super::paging::limit(limit.0).map_err(crate::error::ApiError::invalid)?;
        let cmds = backend
            .list_commands(auth.actor(), outlet_id.0, limit)
            .await?;
        Ok(Json(cmds.into_iter().map(Into::into).collect()))
    }

    /// One command.
    #[oai(path = "/commands/:id", method = "get")]
    async fn get(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<String>,
    ) -> ApiResult<Json<Command>> {
        Ok(Json(backend.get_command(auth.actor(), &id.0).await?.into()))
    }

    /// Cut all power: `relay_off` on both sockets of every one of your outlets.
    #[oai(path = "/cut-all", method = "post")]
    async fn cut_all(&self, backend: Data<&Backend>, auth: Auth) -> ApiResult<Json<Vec<Command>>> {
        let cmds = backend.cut_all(auth.actor()).await?;
        Ok(Json(cmds.into_iter().map(Into::into).collect()))
    }
}
