//! The checked-in `docs/ws-messages.json` (an example of every WebSocket message and their
//! JSON Schemas) must match what the code generates.
//! Regenerate with `UPDATE_WS_SNAPSHOT=1 cargo test --workspace --test ws_messages`.

#[test]
fn checked_in_ws_messages_match_the_code() {
    let generated = web::ws::document();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/../docs/ws-messages.json");
    if std::env::var_os("UPDATE_WS_SNAPSHOT").is_some() {
        std::fs::write(path, &generated).expect("write docs/ws-messages.json");
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "docs/ws-messages.json is out of date; run UPDATE_WS_SNAPSHOT=1 cargo test --workspace --test ws_messages"
    );
}

#[test]
fn the_document_is_json() {
    let doc: serde_json::Value = serde_json::from_str(&web::ws::document()).expect("JSON");
    for stream in ["ws", "ws_sensor", "ws_breaker"] {
        assert!(
            doc[stream]["examples"]
                .as_array()
                .is_some_and(|e| !e.is_empty())
        );
        assert!(doc[stream]["schema"].is_object(), "{stream}");
    }
}
