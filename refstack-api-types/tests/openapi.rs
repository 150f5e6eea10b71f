//! The `openapi` feature: every type has a schema, and the schemas say what
//! the serde attributes do.
#![cfg(feature = "openapi")]

use refstack_api_types::openapi::ApiTypes;
use serde_json::Value;
use utoipa::OpenApi;

fn components() -> Result<Value, Box<dyn std::error::Error>> {
    let doc = serde_json::to_value(ApiTypes::openapi())?;
    Ok(doc["components"]["schemas"].clone())
}

fn required(schema: &Value) -> Vec<&str> {
    schema["required"]
        .as_array()
        .map(|a| a.iter().filter_map(Value::as_str).collect())
        .unwrap_or_default()
}

#[test]
fn every_type_is_a_component() -> Result<(), Box<dyn std::error::Error>> {
    let schemas = components()?;
    let map = schemas.as_object().ok_or("no schemas")?;
    assert_eq!(map.len(), 67, "{:?}", map.keys().collect::<Vec<_>>());
    for name in [
        "UploadRequest",
        "ResultsPage",
        "VendorActionRequest",
        "Timestamp",
        "ErrorBody",
        "ComplianceReport",
        "ApiTokenCreated",
        "TestOutcome",
        "StreamSummary",
        "StreamUploadResponse",
        "CompareReport",
    ] {
        assert!(map.contains_key(name), "{name} missing");
    }
    Ok(())
}

#[test]
fn schemas_follow_serde_attributes() -> Result<(), Box<dyn std::error::Error>> {
    let s = components()?;
    // uuid optional, name required.
    assert_eq!(required(&s["UploadedTest"]), ["name"]);
    assert_eq!(
        required(&s["UploadRequest"]),
        ["cpid", "duration_seconds", "results"]
    );
    // The HTTP error shape always carries detail; the exception shape may not.
    assert!(required(&s["HttpErrorBody"]).contains(&"detail"));
    assert!(!required(&s["ExceptionErrorBody"]).contains(&"detail"));
    // `type` renames.
    assert!(s["VendorSummary"]["properties"].get("type").is_some());
    assert!(s["ProductSummary"]["properties"].get("type").is_some());
    // Integer enums list their wire values.
    assert_eq!(
        s["OrganizationType"]["enum"],
        serde_json::json!([0, 1, 2, 3])
    );
    assert_eq!(s["ProductType"]["type"], "integer");
    // Timestamps are strings in the v1 format.
    assert_eq!(s["Timestamp"]["type"], "string");
    // The action body names the four actions.
    let actions = &s["VendorActionRequest"]["properties"];
    for a in [
        "register",
        "approve",
        "deny",
        "cancel",
        "registration_decline_reason",
    ] {
        assert!(actions.get(a).is_some(), "{a}");
    }
    Ok(())
}
