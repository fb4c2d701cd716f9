//! API tokens for integrators: create (shown once), list, revoke.

use super::models::{NewToken, Token, TokenCreated};
use crate::auth::Auth;
use crate::error::ApiResult;
use backend::Backend;
use poem::web::Data;
use poem_openapi::param::Path;
use poem_openapi::payload::Json;
use poem_openapi::{ApiResponse, OpenApi, Tags};

#[derive(Tags)]
enum Tag {
    /// API tokens.
    Tokens,
}

/// Token operations.
pub struct TokensApi;

#[derive(ApiResponse)]
enum Created {
    /// The token and its secret (shown once).
    #[oai(status = 201)]
    Ok(Json<TokenCreated>),
}

#[derive(ApiResponse)]
enum Revoked {
    /// Revoked.
    #[oai(status = 204)]
    Ok,
}

#[OpenApi(prefix_path = "/tokens", tag = "Tag::Tokens")]
impl TokensApi {
    /// Your API tokens.
    #[oai(path = "/", method = "get")]
    async fn list(&self, backend: Data<&Backend>, auth: Auth) -> ApiResult<Json<Vec<Token>>> {
        let tokens = backend.list_tokens(auth.user_id()).await?;
        Ok(Json(tokens.into_iter().map(Into::into).collect()))
    }

    /// Create a token; its secret is in the answer and never again.
    #[oai(path = "/", method = "post")]
    async fn create(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        body: Json<NewToken>,
    ) -> ApiResult<Created> {
        let (token, secret) = backend.create_token(auth.user_id(), &body.name).await?;
        Ok(Created::Ok(Json(TokenCreated {
            token: token.into(),
            secret,
        })))
    }

    /// Revoke a token.
    #[oai(path = "/:id", method = "delete")]
    async fn revoke(
        &self,
        backend: Data<&Backend>,
        auth: Auth,
        id: Path<i32>,
    ) -> ApiResult<Revoked> {
        backend.revoke_token(auth.user_id(), id.0).await?;
        Ok(Revoked::Ok)
    }
}
