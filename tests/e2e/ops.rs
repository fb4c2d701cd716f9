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

/// A Prometheus parser reads the whole exposition: every metric is documented and
/// prefixed, the refusals just made are counted, and the latency histogram is complete.
#[tokio::test]
async fn the_exposition_is_valid_prometheus_text() {
    let app = spawn_app_with(|s| s.http.metrics_token = Secret::new(TOKEN)).await;
    let a = app.http_addr;
    for _ in 0..3 {
        assert_eq!(http_raw(a, "GET", "/metrics", None, &[]).await.0, 401);
    }
    let bearer = format!("Bearer {TOKEN}");
    let (status, body) = http_raw(a, "GET", "/metrics", None, &[("Authorization", &bearer)]).await;
    assert_eq!(status, 200, "{body}");
    let scrape = prometheus_parse::Scrape::parse(body.lines().map(|l| Ok(l.to_string())))
        .expect("parses as Prometheus text");
    assert!(
        scrape.samples.len() > 50,
        "{} samples",
        scrape.samples.len()
    );
    for sample in &scrape.samples {
        assert!(
            sample.metric.starts_with("smart_outlet_"),
            "{}",
            sample.metric
        );
        // a histogram's `_sum` and `_count` are documented under its own name
        let m = &sample.metric;
        let family = m
            .strip_suffix("_sum")
            .or_else(|| m.strip_suffix("_count"))
            .unwrap_or(m);
        assert!(scrape.docs.contains_key(family), "{m} lacks HELP");
    }
    let value = |name: &str, label: Option<(&str, &str)>| {
        scrape
            .samples
            .iter()
            .find(|s| s.metric == name && label.is_none_or(|(k, v)| s.labels.get(k) == Some(v)))
            .map(|s| s.value.clone())
            .unwrap_or_else(|| panic!("{name} {label:?} missing"))
    };
    use prometheus_parse::Value;
    assert_eq!(
        value("smart_outlet_http_ops_refused_total", None),
        Value::Counter(3.0)
    );
    assert_eq!(
        value("smart_outlet_rejects_total", Some(("reason", "oversize"))),
        Value::Counter(0.0)
    );
    assert_eq!(
        value(
            "smart_outlet_mqtt_connections_refused_total",
            Some(("limit", "per_ip"))
        ),
        Value::Counter(0.0)
    );
    assert_eq!(
        value("smart_outlet_websocket_clients", None),
        Value::Gauge(0.0)
    );
    let Value::Histogram(buckets) = value("smart_outlet_command_latency_ms", None) else {
        panic!("command latency is not a histogram");
    };
    assert_eq!(buckets.last().map(|b| b.less_than), Some(f64::INFINITY));
    assert!(
        buckets
            .windows(2)
            .all(|w| w[0].less_than < w[1].less_than && w[0].count <= w[1].count)
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
