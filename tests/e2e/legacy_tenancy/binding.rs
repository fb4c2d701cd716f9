//! A CCU's address binding: the learning window, its reset, an explicit bind, and that only
//! the owner sees and changes it.

use super::*;

#[tokio::test]
async fn the_learning_window_closes_reset_reopens_it_and_an_explicit_bind_works() {
    let app = spawn_app().await;
    let alice = household(&app, "alice", "02", &[("FE", "Desk")]).await;
    let window = app
        .backend()
        .registry()
        .ccu("02")
        .unwrap()
        .legacy_bind_until
        .unwrap();
    let expected = backend::clock::now_ms() + 15 * 60 * 1000;
    assert!(
        (expected - 60_000..=expected).contains(&window),
        "{window} vs {expected}"
    );
    // The window closes (moved into the past, as if 15 minutes had passed).
    app.store()
        .set_legacy_binding("02", None, Some(backend::clock::now_ms() - 1))
        .await
        .unwrap();
    app.backend().config_changed().await.unwrap();
    let fw = Firmware::at(&app, "127.0.0.6");
    let closed = refused(&app, Refusal::NotLearning);
    assert_eq!(fw.breaker("02", 1).await, 404);
    assert_eq!(refused(&app, Refusal::NotLearning), closed + 1);
    assert_eq!(
        app.backend().registry().ccu("02").unwrap().legacy_addr,
        None
    );
    assert_eq!(fw.reading("FE", 1).await.0, 404);

    // Over the REST API: the owner sees it called from there, and resets the binding.
    let token = app.backend().create_token(alice.id, "t").await.unwrap().1;
    let api = ApiClient::with_token(&app, &token);
    let (s, c) = api.get("/ccus/02").await;
    assert_eq!(s, StatusCode::OK);
    assert_eq!(
        c["legacy"],
        json!({"state": "unbound", "addr": null, "learn_until": null, "refused_addr": "127.0.0.6"})
    );
    let (s, c) = api.post("/ccus/02/legacy-binding", json!({})).await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["legacy"]["state"], "learning");
    assert!(c["legacy"]["learn_until"].as_i64().unwrap() > backend::clock::now_ms());
    assert_eq!(fw.breaker("02", 1).await, 200);
    assert_eq!(fw.reading("FE", 1).await.0, 200);
    let (_, c) = api.get("/ccus/02").await;
    assert_eq!(
        c["legacy"],
        json!({"state": "bound", "addr": "127.0.0.6", "learn_until": null, "refused_addr": null})
    );

    // An explicit bind moves it; the old address is refused from then on.
    let (s, c) = api
        .post("/ccus/02/legacy-binding", json!({"addr": "127.0.0.7"}))
        .await;
    assert_eq!(s, StatusCode::OK, "{c}");
    assert_eq!(c["legacy"]["addr"], "127.0.0.7");
    assert_eq!(fw.reading("FE", 1).await.0, 404);
    assert_eq!(fw.breaker("02", 1).await, 404);
    let moved = Firmware::at(&app, "127.0.0.7");
    assert_eq!(moved.reading("FE", 2).await.0, 200);
    assert_eq!(moved.breaker("02", 2).await, 200);
    // Nonsense and addresses the shim would never serve are refused.
    let (s, _) = api
        .post("/ccus/02/legacy-binding", json!({"addr": "not an ip"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
    let (s, _) = api
        .post("/ccus/02/legacy-binding", json!({"addr": "203.0.113.9"}))
        .await;
    assert_eq!(s, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn only_the_owner_sees_and_changes_the_binding() {
    let app = spawn_app().await;
    household(&app, "alice", "02", &[("FE", "Desk")]).await;
    let bob = app.add_user("bob").await;
    let fw = Firmware::at(&app, "127.0.0.8");
    assert_eq!(fw.breaker("02", 1).await, 200);
    let token = app.backend().create_token(bob.id, "t").await.unwrap().1;
    let api = ApiClient::with_token(&app, &token);
    assert_eq!(api.get("/ccus/02").await.0, StatusCode::NOT_FOUND);
    let (_, list) = api.get("/ccus").await;
    assert_eq!(list, json!([]));
    for body in [json!({}), json!({"addr": "127.0.0.9"})] {
        let (s, v) = api.post("/ccus/02/legacy-binding", body).await;
        assert_eq!(s, StatusCode::NOT_FOUND, "{v}");
    }
    let c = app.store().get_ccu("02").await.unwrap().unwrap();
    assert_eq!(c.legacy_addr.as_deref(), Some("127.0.0.8"), "unchanged");
    assert_eq!(fw.reading("FE", 3).await.0, 200);
}
