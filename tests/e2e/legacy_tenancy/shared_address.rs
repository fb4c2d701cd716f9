//! An address that two owners' CCUs call from is refused and counted, never guessed.

use super::*;

#[tokio::test]
async fn an_address_of_two_owners_is_refused_and_counted() {
    let app = spawn_app().await;
    let alice = household(&app, "alice", "02", &[("FE", "Alice desk")]).await;
    let bob = household(&app, "bob", "03", &[("FE", "Bob desk")]).await;
    let shared = Firmware::at(&app, "127.0.0.5");
    assert_eq!(shared.breaker("02", 1).await, 200);
    // Bob's CCU cannot learn an address Alice's CCU is bound to ...
    let taken = refused(&app, Refusal::AddressTaken);
    assert_eq!(shared.breaker("03", 1).await, 404);
    assert_eq!(refused(&app, Refusal::AddressTaken), taken + 1);
    assert_eq!(
        app.backend().registry().ccu("03").unwrap().legacy_addr,
        None
    );
    // ... nor can Bob bind it there ...
    let err = app
        .backend()
        .set_legacy_binding(
            backend::Actor::User(bob.id),
            "03",
            Binding::Address(shared.from),
        )
        .await
        .unwrap_err();
    assert!(matches!(err, backend::Error::Conflict(_)), "{err}");
    // ... but the operator can (the CLI): now the address is ambiguous, and every request
    // from it that does not name its CCU is refused and counted, never guessed.
    app.backend()
        .set_legacy_binding(backend::Actor::CLI, "03", Binding::Address(shared.from))
        .await
        .unwrap();
    let before = refused(&app, Refusal::AmbiguousCaller);
    shared.sees_nothing(7).await;
    assert_eq!(refused(&app, Refusal::AmbiguousCaller), before + 4);
    for (user, ccu) in [(&alice, "02"), (&bob, "03")] {
        let outlet = app.store().find_outlet(ccu, "FE").await.unwrap().unwrap();
        assert_eq!(
            app.backend()
                .state()
                .outlet(outlet.id)
                .unwrap_or_default()
                .current_a,
            None
        );
        assert_eq!(
            app.backend()
                .get_ccu(backend::Actor::User(user.id), ccu)
                .await
                .unwrap()
                .legacy_refused_addr,
            Some(shared.from.to_string())
        );
    }
    let metrics = http_get(app.http_addr, "/metrics").await;
    assert!(
        metrics.contains(&format!(
            "smart_outlet_legacy_refused_total{{reason=\"ambiguous_caller\"}} {}",
            before + 4
        )),
        "{metrics}"
    );

    // One owner, two CCUs at one address, the same device id on both: ambiguous too.
    app.backend()
        .create_ccu(backend::Actor::CLI, alice.id, "05", None, Transport::Http)
        .await
        .unwrap();
    app.add_outlet("05", "FE", "Alice garage").await;
    app.add_outlet("05", "11", "Alice pump").await;
    app.backend()
        .set_legacy_binding(backend::Actor::User(alice.id), "03", Binding::Reset)
        .await
        .expect_err("not Alice's CCU");
    app.backend()
        .set_legacy_binding(backend::Actor::User(bob.id), "03", Binding::Reset)
        .await
        .unwrap();
    app.backend()
        .set_legacy_binding(
            backend::Actor::User(alice.id),
            "05",
            Binding::Address(shared.from),
        )
        .await
        .unwrap();
    assert_eq!(
        shared.get("/api/devices/").await.1,
        r#"{"success": true, "devices": ["11", "FE", "FE"]}"#
    );
    let device = refused(&app, Refusal::AmbiguousDevice);
    assert_eq!(
        shared.reading("FE", 7).await,
        (404, NOT_FOUND_FE.to_string())
    );
    assert_eq!(refused(&app, Refusal::AmbiguousDevice), device + 1);
    assert_eq!(shared.reading("11", 7).await.0, 200);
}
