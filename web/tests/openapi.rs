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

/// Every optional property of a schema is `nullable`: our responses serialise `None` as
/// `null` (schemathesis flags a response whose `null` the spec does not allow).
#[test]
fn optional_properties_are_nullable() {
    let spec: serde_json::Value = serde_json::from_str(&web::api::spec_json()).unwrap();
    let schemas = spec["components"]["schemas"].as_object().unwrap();
    let mut missing = Vec::new();
    for (name, schema) in schemas {
        let required: Vec<&str> = schema["required"]
            .as_array()
            .map(|r| r.iter().filter_map(|v| v.as_str()).collect())
            .unwrap_or_default();
        for (prop, p) in schema["properties"].as_object().into_iter().flatten() {
            if !required.contains(&prop.as_str())
                && p.get("nullable") != Some(&serde_json::Value::Bool(true))
            {
                missing.push(format!("{name}.{prop}"));
            }
        }
    }
    assert!(
        missing.is_empty(),
        "optional but not nullable (add #[oai(nullable)]): {missing:?}"
    );
}
