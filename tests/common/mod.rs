//! Helpers shared by the integration tests.
#![allow(dead_code)]

/// `spec/enkash.yaml`, parsed.
pub fn spec() -> serde_yaml::Value {
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/spec/enkash.yaml");
    let text = std::fs::read_to_string(path).expect("spec/enkash.yaml is readable");
    serde_yaml::from_str(&text).expect("spec/enkash.yaml is YAML")
}

/// The component schemas of the spec, by name.
pub fn component_schemas(spec: &serde_yaml::Value) -> Vec<(String, serde_yaml::Value)> {
    spec["components"]["schemas"]
        .as_mapping()
        .expect("components.schemas")
        .iter()
        .map(|(name, schema)| {
            (
                name.as_str().expect("schema name").to_owned(),
                schema.clone(),
            )
        })
        .collect()
}
pub mod server;

/// JSON in the form two encodings of the same value share: `null` fields and empty arrays dropped
/// (both encode as absent), numbers written as normalised decimals (YAML reads `2400.00` as the
/// float 2400.0; the decimal it decodes to is the same number).
pub fn canonical(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null() && v.as_array().is_none_or(|items| !items.is_empty()))
                .map(|(k, v)| (k, canonical(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        Value::Number(number) => {
            let exact: enkash::Amount = number
                .to_string()
                .parse()
                .expect("a JSON number is a decimal");
            Value::String(exact.as_decimal().normalize().to_string())
        }
        other => other,
    }
}
