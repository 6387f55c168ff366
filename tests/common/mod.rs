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
pub mod raw;
pub mod server;

/// Collects everything a tracing subscriber writes.
#[derive(Clone, Default)]
pub struct Captured(std::sync::Arc<std::sync::Mutex<Vec<u8>>>);

impl Captured {
    /// What was written so far.
    pub fn text(&self) -> String {
        String::from_utf8(self.0.lock().unwrap().clone()).expect("tracing writes UTF-8")
    }
}

impl std::io::Write for Captured {
    fn write(&mut self, bytes: &[u8]) -> std::io::Result<usize> {
        self.0.lock().unwrap().extend_from_slice(bytes);
        Ok(bytes.len())
    }
    fn flush(&mut self) -> std::io::Result<()> {
        Ok(())
    }
}

/// JSON with every number written in one form (YAML reads `2400.00` as the float 2400.0; the
/// decimal it decodes to is the same number). Strings stay strings and `null` stays `null`.
pub fn normalize_numbers(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, normalize_numbers(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(normalize_numbers).collect()),
        Value::Number(number) => {
            let exact: enkash::Amount = number
                .to_string()
                .parse()
                .expect("a JSON number is a decimal");
            let written = exact.as_decimal().normalize().to_string();
            Value::Number(written.parse().expect("a decimal is a JSON number"))
        }
        other => other,
    }
}

/// As [`normalize_numbers`], with `null` fields and empty arrays dropped: a decoded value writes
/// an absent optional field as absent, whether it came as `null`, `[]` or not at all.
pub fn canonical(value: serde_json::Value) -> serde_json::Value {
    use serde_json::Value;
    match normalize_numbers(value) {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .filter(|(_, v)| !v.is_null() && v.as_array().is_none_or(|items| !items.is_empty()))
                .map(|(k, v)| (k, canonical(v)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(canonical).collect()),
        other => other,
    }
}

/// Follows `$ref`s (`#/components/...`) to the node they name.
pub fn resolve<'a>(
    spec: &'a serde_yaml::Value,
    node: &'a serde_yaml::Value,
) -> &'a serde_yaml::Value {
    match node.get("$ref").and_then(|r| r.as_str()) {
        Some(reference) => {
            let mut target = spec;
            for part in reference.trim_start_matches("#/").split('/') {
                target = &target[part];
            }
            resolve(spec, target)
        }
        None => node,
    }
}

/// One operation of the spec, found by method and path.
pub struct SpecOperation<'a> {
    spec: &'a serde_yaml::Value,
    /// `GET`, `POST`, ...
    pub method: String,
    /// The path as the spec writes it, with `{name}` placeholders.
    pub template: String,
    path_item: &'a serde_yaml::Value,
    node: &'a serde_yaml::Value,
}

/// The operation that answers `method` on `path`: a template (`/api/v0/invoice/{invoiceId}`) or a
/// concrete path (`/api/v0/invoice/INV1?sellerId=CEK1234567`, query ignored). A literal segment
/// wins over a placeholder.
pub fn find_operation<'a>(
    spec: &'a serde_yaml::Value,
    method: &str,
    path: &str,
) -> Option<SpecOperation<'a>> {
    let path = path.split('?').next().unwrap_or_default();
    let segments: Vec<&str> = path.split('/').collect();
    let method_key = method.to_ascii_lowercase();
    let mut candidates: Vec<(usize, SpecOperation<'a>)> = spec["paths"]
        .as_mapping()
        .expect("paths")
        .iter()
        .filter_map(|(template, item)| {
            let template = template.as_str().expect("path template");
            let parts: Vec<&str> = template.split('/').collect();
            if parts.len() != segments.len() {
                return None;
            }
            let mut placeholders = 0;
            for (part, segment) in parts.iter().zip(&segments) {
                if part.starts_with('{') && part.ends_with('}') {
                    placeholders += usize::from(part != segment);
                    if segment.is_empty() {
                        return None;
                    }
                } else if part != segment {
                    return None;
                }
            }
            let node = item.get(method_key.as_str())?;
            Some((
                placeholders,
                SpecOperation {
                    spec,
                    method: method.to_ascii_uppercase(),
                    template: template.to_owned(),
                    path_item: item,
                    node,
                },
            ))
        })
        .collect();
    candidates.sort_by_key(|(placeholders, _)| *placeholders);
    candidates
        .into_iter()
        .next()
        .map(|(_, operation)| operation)
}

/// The operation ids of every operation tagged `tag`.
pub fn operation_ids_tagged(spec: &serde_yaml::Value, tag: &str) -> Vec<String> {
    let mut ids = Vec::new();
    for (_, item) in spec["paths"].as_mapping().expect("paths") {
        for (method, operation) in item.as_mapping().expect("path item") {
            let method = method.as_str().unwrap_or_default();
            if ![
                "get", "put", "post", "delete", "options", "head", "patch", "trace",
            ]
            .contains(&method)
            {
                continue;
            }
            let tagged = operation["tags"]
                .as_sequence()
                .is_some_and(|tags| tags.iter().any(|t| t.as_str() == Some(tag)));
            if tagged {
                ids.push(
                    operation["operationId"]
                        .as_str()
                        .expect("operationId")
                        .to_owned(),
                );
            }
        }
    }
    ids
}

/// The example of a media type object (`example`, or the first of `examples`), as JSON.
pub fn media_example(
    spec: &serde_yaml::Value,
    media: &serde_yaml::Value,
) -> Option<serde_json::Value> {
    let example = match media.get("example") {
        Some(example) => example,
        None => {
            let (_, first) = media.get("examples")?.as_mapping()?.iter().next()?;
            resolve(spec, first).get("value")?
        }
    };
    Some(serde_json::to_value(example).expect("a YAML example is JSON"))
}

impl SpecOperation<'_> {
    /// The `operationId`.
    pub fn id(&self) -> &str {
        self.node["operationId"].as_str().expect("operationId")
    }

    /// The example of the JSON request body, if the operation has a body.
    pub fn request_example(&self) -> Option<serde_json::Value> {
        let body = resolve(self.spec, self.node.get("requestBody")?);
        let media = body["content"].get("application/json")?;
        Some(media_example(self.spec, media).unwrap_or_else(|| {
            panic!(
                "{} {}: request body without example",
                self.method, self.template
            )
        }))
    }

    /// The example of the JSON body of the response with `status` (`"200"`, `"5XX"`).
    pub fn response_example(&self, status: &str) -> serde_json::Value {
        let response = resolve(self.spec, &self.node["responses"][status]);
        media_example(self.spec, &response["content"]["application/json"])
            .unwrap_or_else(|| panic!("{} {}: no {status} example", self.method, self.template))
    }

    /// The parameters (path item's, then the operation's), resolved.
    pub fn parameters(&self) -> Vec<&serde_yaml::Value> {
        [
            self.path_item.get("parameters"),
            self.node.get("parameters"),
        ]
        .into_iter()
        .flatten()
        .filter_map(|parameters| parameters.as_sequence())
        .flatten()
        .map(|parameter| resolve(self.spec, parameter))
        .collect()
    }

    /// The example of parameter `name` (its own `example`, else its schema's).
    pub fn parameter_example(&self, name: &str) -> serde_json::Value {
        let parameter = self
            .parameters()
            .into_iter()
            .find(|p| p["name"].as_str() == Some(name))
            .unwrap_or_else(|| panic!("{} {}: no parameter {name}", self.method, self.template));
        let example = parameter
            .get("example")
            .or_else(|| resolve(self.spec, &parameter["schema"]).get("example"))
            .unwrap_or_else(|| {
                panic!(
                    "{} {}: parameter {name} has no example",
                    self.method, self.template
                )
            });
        serde_json::to_value(example).expect("a YAML example is JSON")
    }

    /// The request target when every parameter is given its example: path placeholders filled
    /// in, query parameters in the spec's order.
    pub fn example_target(&self) -> String {
        let mut path = self.template.clone();
        let mut query = Vec::new();
        for parameter in self.parameters() {
            let name = parameter["name"].as_str().expect("parameter name");
            let value = match self.parameter_example(name) {
                serde_json::Value::String(text) => text,
                other => other.to_string(),
            };
            match parameter["in"].as_str() {
                Some("path") => path = path.replace(&format!("{{{name}}}"), &value),
                Some("query") => query.push((name.to_owned(), value)),
                other => panic!("{} {}: parameter in {other:?}", self.method, self.template),
            }
        }
        if query.is_empty() {
            path
        } else {
            format!(
                "{path}?{}",
                serde_urlencoded::to_string(&query).expect("query encodes")
            )
        }
    }
}

/// A plain reqwest client for poking servers directly, with the crate's TLS backend (the
/// default one leaves reqwest without a provider of its own).
pub fn plain_http() -> reqwest::Client {
    enkash::tls::client_builder()
        .expect("the TLS backend is set up")
        .build()
        .expect("a reqwest client")
}

/// The client id every test client uses.
pub const CLIENT_ID: &str = "CEKFOWV7UQ";
/// The client secret every test client uses; redaction tests look for it in every output.
pub const CLIENT_SECRET: &str = "client-secret-4f9a";
/// The portal password every test client uses; redaction tests look for it in every output.
pub const PASSWORD: &str = "portal-password-77x";

/// The test credentials.
pub fn credentials() -> enkash::Credentials {
    enkash::Credentials {
        client_id: CLIENT_ID.into(),
        client_secret: CLIENT_SECRET.into(),
        username: "ops@example.com".into(),
        password: PASSWORD.into(),
    }
}

/// The one test configuration: the test credentials against `base_url`, with quick retries
/// and no jitter, so tests that wait for a backoff wait little and always the same.
pub fn config(base_url: &str) -> enkash::config::ConfigBuilder {
    enkash::Config::builder()
        .base_url(base_url)
        .credentials(credentials())
        .retry(
            enkash::RetryPolicy::standard()
                .with_initial_backoff(std::time::Duration::from_millis(20))
                .with_jitter(false),
        )
}

/// A client of [`config`].
pub fn client(base_url: &str) -> enkash::Client {
    enkash::Client::from_config(config(base_url).build().expect("a valid configuration"))
        .expect("a client")
}
