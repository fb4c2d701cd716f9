//! Legacy errors keep the old app's bodies.

use super::*;

#[tokio::test]
async fn legacy_errors_keep_the_old_bodies() {
    let app = spawn_app().await;
    http_ccu(&app).await;
    let a = app.http_addr;
    let cases: &[(&str, &str, Option<&str>, u16, &str)] = &[
        (
            "POST",
            "/api/data/",
            Some(r#"{"device_id":"FE"}"#),
            400,
            r#"{"success": false, "message": "Missing required fields. Required: ['device_id', 'current_a', 'current_b']"}"#,
        ),
        (
            "POST",
            "/api/data/",
            Some("not json"),
            400,
            r#"{"success": false, "message": "Invalid JSON format"}"#,
        ),
        (
            "POST",
            "/api/data/",
            Some(r#"{"device_id":"AB","current_a":1,"current_b":2}"#),
            404,
            r#"{"success": false, "message": "Outlet with device_id AB not found"}"#,
        ),
        (
            "POST",
            "/api/breaker-data/",
            Some(r#"{"ccu_id":"02"}"#),
            400,
            r#"{"success": false, "message": "Missing required fields. Required: ['ccu_id', 'current_ma']"}"#,
        ),
        (
            "GET",
            "/api/commands/AB/",
            None,
            404,
            r#"{"success": false, "message": "Outlet with device_id AB not found"}"#,
        ),
        (
            "POST",
            "/api/focus/AB/",
            None,
            404,
            r#"{"success": false, "message": "Outlet AB not found"}"#,
        ),
    ];
    for (method, path, body, status, want) in cases {
        let got = http_raw(a, method, path, *body, &[]).await;
        assert_eq!(got, (*status, want.to_string()), "{method} {path} {body:?}");
    }
    let (status, body) =
        post_data(a, r#"{"device_id":"FE","current_a":"abc","current_b":0}"#).await;
    assert_eq!(status, 400);
    assert_eq!(
        body,
        r#"{"success": false, "message": "invalid literal for int() with base 10: 'abc'"}"#
    );
    assert_eq!(http_raw(a, "GET", "/api/data/", None, &[]).await.0, 405);
}
