//! The dashboard: static assets embedded in the binary (no build step), using only the
//! public REST and WebSocket API.

use poem::http::StatusCode;
use poem::web::Path;
use poem::{Response, handler};

const INDEX: &str = include_str!("../assets/index.html");
const APP_JS: &str = include_str!("../assets/app.js");
const STYLE_CSS: &str = include_str!("../assets/style.css");

fn respond(body: &'static str, content_type: &str) -> Response {
    Response::builder()
        .content_type(content_type)
        .header("cache-control", "no-cache")
        .header("x-content-type-options", "nosniff")
        .body(body)
}

/// `/`: the single-page dashboard.
#[handler]
pub fn index() -> Response {
    let mut r = respond(INDEX, "text/html; charset=utf-8");
    r.headers_mut().insert(
        "content-security-policy",
        poem::http::HeaderValue::from_static(
            "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; style-src 'self' 'unsafe-inline'",
        ),
    );
    r
}

/// `/assets/<file>`.
#[handler]
pub fn asset(Path(file): Path<String>) -> Response {
    match file.as_str() {
        "app.js" => respond(APP_JS, "text/javascript; charset=utf-8"),
        "style.css" => respond(STYLE_CSS, "text/css; charset=utf-8"),
        _ => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .content_type("application/json")
            .body(r#"{"code":"not_found","message":"no such asset"}"#),
    }
}
