//! Request body limits, enforced while the body is read: `http.auth_body_limit` for the login
//! and registration routes, `http.body_limit` for every other route.
//!
//! A `Content-Length` over the limit is refused before the handler runs (nothing of the body
//! is read). A body without a length (chunked) is counted as it streams: the read that passes
//! the limit fails, and whatever the handler made of that failure is replaced by the 413. The
//! 413 carries `Connection: close`, so hyper drops the rest of the body instead of draining
//! it. The answer has the API's `{"code","message"}` shape, or `{"success": false, …}` on the
//! legacy shim; each refusal is counted (`smart_outlet_http_body_too_large_total`) and logged
//! with the client's address.
//!
//! poem's own `SizeLimit` only compares `Content-Length` (and refuses requests without one),
//! and `http_body_util::Limited` cannot tell the middleware that it cut a body, hence this.

use crate::client_ip::ClientIp;
use backend::Backend;
use futures_util::StreamExt;
use poem::http::{StatusCode, header};
use poem::{Body, Endpoint, IntoResponse, Middleware, Request, Response};
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, Ordering};

/// Routes that get the small limit (credentials only).
const AUTH_PREFIX: &str = "/api/v1/auth/";

/// Which limit applies to a path, and how its refusal is worded.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RouteClass {
    /// `/api/v1/auth/…`: login, registration, logout.
    Auth,
    /// The legacy `/api/…` shim (old-style JSON body).
    Legacy,
    /// Everything else.
    Default,
}

impl RouteClass {
    /// The class of a request path.
    pub fn of(path: &str, legacy_enabled: bool) -> RouteClass {
        if path.starts_with(AUTH_PREFIX) {
            RouteClass::Auth
        } else if legacy_enabled && path.starts_with("/api/") && !path.starts_with("/api/v1") {
            RouteClass::Legacy
        } else {
            RouteClass::Default
        }
    }
}

/// The middleware; limits come from `[http]`.
pub struct BodyLimit {
    backend: Backend,
}

impl BodyLimit {
    /// Limits from `backend`'s settings; refusals counted in its metrics.
    pub fn new(backend: Backend) -> BodyLimit {
        BodyLimit { backend }
    }
}

impl<E: Endpoint> Middleware<E> for BodyLimit {
    type Output = BodyLimitEndpoint<E>;

    fn transform(&self, inner: E) -> Self::Output {
        BodyLimitEndpoint {
            inner,
            backend: self.backend.clone(),
        }
    }
}

/// The endpoint [`BodyLimit`] makes.
pub struct BodyLimitEndpoint<E> {
    inner: E,
    backend: Backend,
}

/// `Content-Length` as a number; `None` when absent or unreadable (hyper refuses a malformed
/// length itself before we see the request).
fn content_length(req: &Request) -> Option<u64> {
    req.headers()
        .get(header::CONTENT_LENGTH)?
        .to_str()
        .ok()?
        .trim()
        .parse()
        .ok()
}

/// `body` cut off after `limit` bytes: the read that passes the limit yields an error and
/// sets `cut`.
pub fn limited(body: Body, limit: u64, cut: Arc<AtomicBool>) -> Body {
    let mut seen: u64 = 0;
    let stream = body.into_bytes_stream().map(move |chunk| {
        let chunk = chunk?;
        seen = seen.saturating_add(chunk.len() as u64);
        if seen > limit {
            cut.store(true, Ordering::Relaxed);
            return Err(std::io::Error::other(format!(
                "request body larger than {limit} bytes"
            )));
        }
        Ok(chunk)
    });
    Body::from_bytes_stream(stream)
}

impl<E: Endpoint> Endpoint for BodyLimitEndpoint<E> {
    type Output = Response;

    async fn call(&self, mut req: Request) -> poem::Result<Response> {
        let http = &self.backend.settings().http;
        let class = RouteClass::of(req.uri().path(), self.backend.settings().legacy.enabled);
        let limit = match class {
            RouteClass::Auth => http.auth_body_limit,
            _ => http.body_limit,
        } as u64;
        if let Some(len) = content_length(&req)
            && len > limit
        {
            return Ok(self.refuse(&req, class, limit, Some(len)));
        }
        let cut = Arc::new(AtomicBool::new(false));
        let body = req.take_body();
        req.set_body(limited(body, limit, cut.clone()));
        let client = ClientIp::of(&req);
        let path = req.uri().path().to_string();
        let result = self.inner.call(req).await;
        if cut.load(Ordering::Relaxed) {
            return Ok(self.refused(client, &path, class, limit, None));
        }
        result.map(IntoResponse::into_response)
    }
}

impl<E> BodyLimitEndpoint<E> {
    fn refuse(&self, req: &Request, class: RouteClass, limit: u64, len: Option<u64>) -> Response {
        self.refused(ClientIp::of(req), req.uri().path(), class, limit, len)
    }

    fn refused(
        &self,
        client: ClientIp,
        path: &str,
        class: RouteClass,
        limit: u64,
        len: Option<u64>,
    ) -> Response {
        let n = self
            .backend
            .metrics()
            .http_body_too_large
            .fetch_add(1, Ordering::Relaxed)
            + 1;
        match len {
            Some(len) => {
                tracing::warn!(client = %client.label(), path, limit, content_length = len, count = n, "request body refused: Content-Length over the limit")
            }
            None => {
                tracing::warn!(client = %client.label(), path, limit, count = n, "request body refused: cut off at the limit while reading")
            }
        }
        let message = format!("request body larger than {limit} bytes");
        let resp = match class {
            RouteClass::Legacy => crate::legacy::json(
                StatusCode::PAYLOAD_TOO_LARGE,
                &crate::legacy::Failure::new(message),
            ),
            _ => Response::builder()
                .status(StatusCode::PAYLOAD_TOO_LARGE)
                .content_type("application/json")
                .body(
                    serde_json::json!({
                        "code": crate::error::code_for(StatusCode::PAYLOAD_TOO_LARGE),
                        "message": message,
                    })
                    .to_string(),
                ),
        };
        let mut resp = resp;
        resp.headers_mut().insert(
            header::CONNECTION,
            header::HeaderValue::from_static("close"),
        );
        resp
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn classes() {
        assert_eq!(RouteClass::of("/api/v1/auth/login", true), RouteClass::Auth);
        assert_eq!(
            RouteClass::of("/api/v1/auth/register", false),
            RouteClass::Auth
        );
        assert_eq!(RouteClass::of("/api/v1/outlets", true), RouteClass::Default);
        assert_eq!(RouteClass::of("/api/data/", true), RouteClass::Legacy);
        assert_eq!(RouteClass::of("/api/data/", false), RouteClass::Default);
        assert_eq!(RouteClass::of("/ws", true), RouteClass::Default);
    }

    #[tokio::test]
    async fn a_body_is_cut_at_the_limit() {
        let chunks: Vec<Result<Vec<u8>, std::io::Error>> =
            (0..10).map(|_| Ok(vec![b'x'; 100])).collect();
        let cut = Arc::new(AtomicBool::new(false));
        let body = limited(
            Body::from_bytes_stream(futures_util::stream::iter(chunks)),
            550,
            cut.clone(),
        );
        assert!(body.into_vec().await.is_err());
        assert!(cut.load(Ordering::Relaxed));

        let cut = Arc::new(AtomicBool::new(false));
        let body = limited(Body::from(vec![b'x'; 550]), 550, cut.clone());
        assert_eq!(body.into_vec().await.map(|v| v.len()).ok(), Some(550));
        assert!(!cut.load(Ordering::Relaxed));
    }
}
