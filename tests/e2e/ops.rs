//! Operations endpoints: `/metrics` and `/status` behind `http.metrics_token`.

use settings::Secret;
use system_tests::{http_raw, spawn_app, spawn_app_with};

const TOKEN: &str = "ops-token-0123456789abcdef";

#[tokio::test]
async fn metrics_and_status_need_the_token_when_one_is_set() {
    let app = spawn_app_with(|s| s.http.metrics_token = Secret::new(TOKEN)).await;
    let a = app.http_addr;
    for path in ["/metrics", "/status"] {
        let (status, body) = http_raw(a, "GET", path, None, &[]).await;
        assert_eq!(status, 401, "{path} without a token: {body}");
        assert!(!body.contains("smart_outlet_"), "{path} leaked: {body}");
        let wrong = http_raw(
            a,
            "GET",
            path,
            None,
            &[("Authorization", "Bearer ops-token-0123456789abcdeX")],
        )
        .await;
        assert_eq!(wrong.0, 401, "{path} with a wrong token");
        let bearer = format!("Bearer {TOKEN}");
        let (status, body) = http_raw(a, "GET", path, None, &[("Authorization", &bearer)]).await;
        assert_eq!(status, 200, "{path} with the token: {body}");
    }
    let bearer = format!("Bearer {TOKEN}");
    let (_, body) = http_raw(a, "GET", "/metrics", None, &[("Authorization", &bearer)]).await;
    assert!(
        body.contains("smart_outlet_http_ops_refused_total 4"),
        "refusals are counted: {body}"
    );
    // Health probes stay open for orchestrators.
    assert_eq!(http_raw(a, "GET", "/healthz", None, &[]).await.0, 200);
    assert_eq!(http_raw(a, "GET", "/readyz", None, &[]).await.0, 200);
}

#[tokio::test]
async fn without_a_token_metrics_are_open() {
    let app = spawn_app().await;
    let (status, body) = http_raw(app.http_addr, "GET", "/metrics", None, &[]).await;
    assert_eq!(status, 200);
    assert!(
        body.contains("smart_outlet_http_ops_refused_total 0"),
        "{body}"
    );
}

#[test]
fn a_short_token_is_a_configuration_error() {
    let mut s = settings::Settings::default();
    s.http.metrics_token = Secret::new("short");
    let e = s
        .validate()
        .expect_err("a 5-character token must be refused");
    assert!(e.to_string().contains("http.metrics_token"), "{e}");
}
