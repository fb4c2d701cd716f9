//! The dashboard: static assets (HTML, CSS, ES modules, the vendored uPlot chart library)
//! embedded in the binary, so there is no build step. It uses only the public REST and
//! WebSocket API.
//!
//! Assets are served flat under `/assets/<name>` (one path segment). Our own files are
//! revalidated on every load (`no-cache` with an `ETag`, answered 304 when unchanged); the
//! vendored library has its version in its name and is cached for a year.

use poem::http::{HeaderValue, StatusCode, header};
use poem::web::Path;
use poem::{Request, Response, handler};
use std::sync::LazyLock;

/// Content security policy of the page: everything from this origin, WebSockets to it.
const CSP: &str = "default-src 'self'; connect-src 'self' ws: wss:; img-src 'self' data:; \
                   style-src 'self' 'unsafe-inline'; object-src 'none'; base-uri 'none'; \
                   frame-ancestors 'none'";

const JS: &str = "text/javascript; charset=utf-8";
const CSS: &str = "text/css; charset=utf-8";
const TEXT: &str = "text/plain; charset=utf-8";

/// Revalidate every time (our files change with the binary).
const REVALIDATE: &str = "no-cache";
/// Versioned file names never change content.
const IMMUTABLE: &str = "public, max-age=31536000, immutable";

/// One embedded file.
struct Asset {
    /// Name under `/assets/`.
    name: &'static str,
    body: &'static str,
    content_type: &'static str,
    cache_control: &'static str,
}

macro_rules! asset {
    ($name:literal, $file:literal, $ty:expr) => {
        asset!($name, $file, $ty, REVALIDATE)
    };
    ($name:literal, $file:literal, $ty:expr, $cache:expr) => {
        Asset {
            name: $name,
            body: include_str!(concat!("../assets/", $file)),
            content_type: $ty,
            cache_control: $cache,
        }
    };
}

/// Every file under `/assets/`.
static ASSETS: &[Asset] = &[
    asset!("style.css", "style.css", CSS),
    asset!("app.js", "app.js", JS),
    asset!("api.js", "api.js", JS),
    asset!("live.js", "live.js", JS),
    asset!("state.js", "state.js", JS),
    asset!("ui.js", "ui.js", JS),
    asset!("chart.js", "chart.js", JS),
    asset!("labels.js", "labels.js", JS),
    asset!("alerts.js", "alerts.js", JS),
    asset!("breaker.js", "breaker.js", JS),
    asset!("outlet-card.js", "outlet-card.js", JS),
    asset!("ccu-card.js", "ccu-card.js", JS),
    asset!("view-login.js", "view-login.js", JS),
    asset!("view-dashboard.js", "view-dashboard.js", JS),
    asset!("view-outlet.js", "view-outlet.js", JS),
    asset!("view-events.js", "view-events.js", JS),
    asset!("view-settings.js", "view-settings.js", JS),
    asset!(
        "uplot-1.6.32.min.js",
        "vendor/uPlot.iife.min.js",
        JS,
        IMMUTABLE
    ),
    asset!(
        "uplot-1.6.32.min.css",
        "vendor/uPlot.min.css",
        CSS,
        IMMUTABLE
    ),
    asset!("uplot-LICENSE.txt", "vendor/LICENSE", TEXT, IMMUTABLE),
];

const INDEX: &str = include_str!("../assets/index.html");

/// Entity tags, one per asset (same order) and the page's last.
static ETAGS: LazyLock<Vec<HeaderValue>> = LazyLock::new(|| {
    ASSETS
        .iter()
        .map(|a| a.body)
        .chain([INDEX])
        .map(|body| {
            HeaderValue::from_str(&format!("\"{:016x}\"", fnv1a(body.as_bytes())))
                .unwrap_or_else(|_| HeaderValue::from_static("\"0\""))
        })
        .collect()
});

/// FNV-1a: a stable content hash for entity tags (not for security).
fn fnv1a(bytes: &[u8]) -> u64 {
    bytes.iter().fold(0xcbf2_9ce4_8422_2325, |h, b| {
        (h ^ u64::from(*b)).wrapping_mul(0x0100_0000_01b3)
    })
}

/// The body, or 304 when the client's copy (`If-None-Match`) is current.
fn respond(
    req: &Request,
    body: &'static str,
    content_type: &str,
    cache_control: &'static str,
    etag: &HeaderValue,
) -> Response {
    let fresh = req
        .headers()
        .get_all(header::IF_NONE_MATCH)
        .iter()
        .filter_map(|v| v.to_str().ok())
        .flat_map(|v| v.split(','))
        .any(|t| t.trim() == "*" || t.trim().trim_start_matches("W/") == etag);
    let builder = Response::builder()
        .header(header::CACHE_CONTROL, cache_control)
        .header(header::ETAG, etag.clone())
        .header(header::X_CONTENT_TYPE_OPTIONS, "nosniff");
    if fresh {
        builder.status(StatusCode::NOT_MODIFIED).finish()
    } else {
        builder.content_type(content_type).body(body)
    }
}

/// `/`: the single-page dashboard.
#[handler]
pub fn index(req: &Request) -> Response {
    let etag = &ETAGS[ASSETS.len()];
    let mut r = respond(req, INDEX, "text/html; charset=utf-8", REVALIDATE, etag);
    let headers = r.headers_mut();
    headers.insert(
        header::CONTENT_SECURITY_POLICY,
        HeaderValue::from_static(CSP),
    );
    headers.insert(
        header::REFERRER_POLICY,
        HeaderValue::from_static("same-origin"),
    );
    r
}

/// `/assets/<file>`; an unknown name answers 404 with the JSON error shape.
#[handler]
pub fn asset(req: &Request, Path(file): Path<String>) -> Response {
    match ASSETS.iter().position(|a| a.name == file) {
        Some(i) => {
            let a = &ASSETS[i];
            respond(req, a.body, a.content_type, a.cache_control, &ETAGS[i])
        }
        None => Response::builder()
            .status(StatusCode::NOT_FOUND)
            .content_type("application/json")
            .body(r#"{"code":"not_found","message":"no such asset"}"#),
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use poem::test::TestClient;
    use poem::{Route, get};

    fn client() -> TestClient<Route> {
        TestClient::new(
            Route::new()
                .at("/", get(index))
                .at("/assets/:file", get(asset)),
        )
    }

    /// Names the page and the modules load from `/assets/`: `/assets/x` in HTML and
    /// `from "./x"` / `import("./x")` in JavaScript.
    fn references(text: &str) -> Vec<String> {
        let mut names = Vec::new();
        for marker in ["/assets/", "from \"./", "import(\"./"] {
            for part in text.split(marker).skip(1) {
                let name: String = part
                    .chars()
                    .take_while(|c| !matches!(c, '"' | '\'' | ')' | '?' | '#'))
                    .collect();
                names.push(name);
            }
        }
        names
    }

    #[test]
    fn every_referenced_asset_is_served() {
        let mut texts = vec![("index.html", INDEX)];
        texts.extend(
            ASSETS
                .iter()
                .filter(|a| a.content_type == JS && !a.name.starts_with("uplot"))
                .map(|a| (a.name, a.body)),
        );
        for (file, text) in texts {
            for name in references(text) {
                assert!(
                    ASSETS.iter().any(|a| a.name == name),
                    "{file} references /assets/{name}, which is not in ASSETS"
                );
            }
        }
    }

    #[test]
    fn every_module_starts_with_a_comment_saying_what_it_owns() {
        for a in ASSETS.iter().filter(|a| a.content_type == JS) {
            assert!(
                a.body.starts_with("// ") || a.body.starts_with("/*"),
                "{} lacks a leading comment",
                a.name
            );
        }
    }

    #[tokio::test]
    async fn assets_have_their_type_an_etag_and_answer_304_when_unchanged() {
        let cli = client();
        let resp = cli.get("/assets/app.js").send().await;
        resp.assert_status_is_ok();
        resp.assert_header("content-type", JS);
        resp.assert_header("cache-control", REVALIDATE);
        let etag = resp.0.headers().get("etag").cloned().expect("an etag");
        let again = cli
            .get("/assets/app.js")
            .header("if-none-match", etag.clone())
            .send()
            .await;
        again.assert_status(StatusCode::NOT_MODIFIED);
        let vendor = cli.get("/assets/uplot-1.6.32.min.js").send().await;
        vendor.assert_status_is_ok();
        vendor.assert_header("cache-control", IMMUTABLE);
        let page = cli.get("/").send().await;
        page.assert_status_is_ok();
        page.assert_header("content-type", "text/html; charset=utf-8");
        assert!(page.0.headers().contains_key("content-security-policy"));
    }

    #[tokio::test]
    async fn an_unknown_asset_is_404() {
        let cli = client();
        for name in ["nope.js", "..%2Fsrc%2Flib.rs", "vendor"] {
            let resp = cli.get(format!("/assets/{name}")).send().await;
            resp.assert_status(StatusCode::NOT_FOUND);
        }
    }
}
