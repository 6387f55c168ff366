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
