//! The checked-in `web/openapi.json` must match the spec the code generates.
//! Regenerate with `UPDATE_OPENAPI=1 cargo test -p web --test openapi`.

#[test]
fn checked_in_spec_matches_the_code() {
    let generated = web::api::spec_json();
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/openapi.json");
    if std::env::var_os("UPDATE_OPENAPI").is_some() {
        std::fs::write(path, &generated).expect("write openapi.json");
    }
    let checked_in = std::fs::read_to_string(path).unwrap_or_default();
    assert!(
        checked_in == generated,
        "web/openapi.json is out of date; run UPDATE_OPENAPI=1 cargo test -p web --test openapi"
    );
}

#[test]
fn every_operation_documents_the_error_shape() {
    let spec: serde_json::Value = serde_json::from_str(&web::api::spec_json()).unwrap();
    let paths = spec["paths"].as_object().unwrap();
    assert!(paths.len() >= 15, "{} paths", paths.len());
    for (path, ops) in paths {
        for (method, op) in ops.as_object().unwrap() {
            let responses = op["responses"].as_object().unwrap();
            assert!(responses.contains_key("400"), "{method} {path} lacks 400");
            assert!(responses.contains_key("500"), "{method} {path} lacks 500");
        }
    }
}
