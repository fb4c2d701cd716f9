//! Legacy routes answer only callers from the allowed networks.

use super::*;

#[tokio::test]
async fn legacy_routes_are_limited_to_allowed_networks() {
    let app = spawn_app_with(|s| {
        s.legacy.allowed_networks = vec!["10.1.2.3/32".into()];
    })
    .await;
    http_ccu_learning(&app).await;
    let a = app.http_addr;
    let (s, body) = http_raw(a, "GET", "/api/devices/", None, &[]).await;
    assert_eq!(
        (s, body.as_str()),
        (403, r#"{"success": false, "message": "Forbidden"}"#)
    );
    // X-Forwarded-For is not believed from an untrusted peer.
    assert_eq!(
        http_raw(
            a,
            "GET",
            "/api/devices/",
            None,
            &[("X-Forwarded-For", "10.1.2.3")]
        )
        .await
        .0,
        403
    );

    let app = spawn_app_with(|s| {
        s.legacy.allowed_networks = vec!["10.1.2.3/32".into()];
        s.http.trusted_proxies = vec!["127.0.0.1/32".into()];
    })
    .await;
    let user = http_ccu_learning(&app).await;
    // Only allowed addresses can be bound.
    let bind = |addr: &str| {
        app.backend().set_legacy_binding(
            backend::Actor::User(user.id),
            "02",
            Binding::Address(addr.parse().unwrap()),
        )
    };
    assert!(matches!(
        bind("127.0.0.1").await,
        Err(backend::Error::Invalid(_))
    ));
    bind("10.1.2.3").await.unwrap();
    let via_proxy = |xff: &'static str| {
        let a = app.http_addr;
        async move {
            http_raw(a, "GET", "/api/devices/", None, &[("X-Forwarded-For", xff)])
                .await
                .0
        }
    };
    assert_eq!(via_proxy("10.1.2.3").await, 200);
    assert_eq!(
        http_raw(
            app.http_addr,
            "GET",
            "/api/devices/",
            None,
            &[("X-Forwarded-For", "10.1.2.3")]
        )
        .await
        .1,
        r#"{"success": true, "devices": ["1F", "03", "FE"]}"#,
        "the client behind the proxy is the bound address"
    );
    // The header is read from the right: a client behind the trusted proxy who prepends an
    // allowed address is still itself.
    assert_eq!(via_proxy("10.1.2.3, 203.0.113.9").await, 403);
    assert_eq!(via_proxy("203.0.113.9, 10.1.2.3").await, 200);
    assert_eq!(via_proxy("10.1.2.3, bogus").await, 403);

    let app = spawn_app_with(|s| s.legacy.enabled = false).await;
    http_ccu_learning(&app).await;
    assert_eq!(
        http_raw(app.http_addr, "GET", "/api/devices/", None, &[])
            .await
            .0,
        404
    );
}
