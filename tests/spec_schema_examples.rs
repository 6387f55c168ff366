//! Every example in the spec (media-type and parameter examples, `components.examples`, examples
//! inside schemas) and every EnKash seed example (tests/fixtures/seeds) validates against its schema
//! with a JSON Schema validator, the way other tools read the spec: `required` and `nullable`
//! apply, and a `null` is accepted only where the schema says `nullable: true`.
//!
//! OpenAPI 3.0 is turned into JSON Schema draft 4 first: `nullable: true` becomes "this schema, or
//! `null`"; `$ref`s keep pointing into `components.schemas`.

use serde_json::{Map, Value, json};

fn spec() -> Value {
    let path = format!("{}/spec/enkash.yaml", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    serde_yaml::from_str(&text).expect("spec/enkash.yaml is YAML")
}

/// OpenAPI 3.0 schema to JSON Schema: `nullable: true` becomes `anyOf: [null, schema]` (so an
/// `enum`, `allOf` or `$ref` beside it does not reject the `null`).
fn to_json_schema(schema: &Value) -> Value {
    match schema {
        Value::Object(map) => {
            let mut out = Map::new();
            let mut nullable = false;
            for (key, value) in map {
                match key.as_str() {
                    "nullable" => nullable = value == &Value::Bool(true),
                    "example" | "examples" => {}
                    key if key.starts_with("x-") => {}
                    // Maps of names to schemas (a property may be called anything) and values.
                    "properties" => {
                        let properties = value.as_object().into_iter().flatten();
                        let converted: Map<String, Value> = properties
                            .map(|(name, schema)| (name.clone(), to_json_schema(schema)))
                            .collect();
                        out.insert(key.clone(), Value::Object(converted));
                    }
                    "enum" | "required" | "default" => {
                        out.insert(key.clone(), value.clone());
                    }
                    _ => {
                        out.insert(key.clone(), to_json_schema(value));
                    }
                }
            }
            if nullable {
                json!({ "anyOf": [{ "type": "null" }, Value::Object(out)] })
            } else {
                Value::Object(out)
            }
        }
        Value::Array(items) => Value::Array(items.iter().map(to_json_schema).collect()),
        other => other.clone(),
    }
}

struct Checker {
    components: Value,
    examples: Map<String, Value>,
}

impl Checker {
    fn new(spec: &Value) -> Self {
        let schemas = spec["components"]["schemas"]
            .as_object()
            .expect("components.schemas");
        let converted: Map<String, Value> = schemas
            .iter()
            .map(|(name, schema)| (name.clone(), to_json_schema(schema)))
            .collect();
        Checker {
            components: json!({ "schemas": converted }),
            examples: spec["components"]["examples"]
                .as_object()
                .cloned()
                .unwrap_or_default(),
        }
    }

    /// The validator's complaints about `example` against the (OpenAPI) `schema`.
    fn check(&self, schema: &Value, example: &Value) -> Vec<String> {
        let root = json!({
            "components": self.components,
            "allOf": [to_json_schema(schema)],
        });
        let validator = jsonschema::options()
            .with_draft(jsonschema::Draft::Draft4)
            .build(&root)
            .unwrap_or_else(|err| panic!("schema does not compile: {err}"));
        validator
            .iter_errors(example)
            .map(|err| format!("at `{}`: {err}", err.instance_path()))
            .collect()
    }

    fn example_value<'a>(&'a self, entry: &'a Value) -> &'a Value {
        match entry.get("$ref").and_then(Value::as_str) {
            Some(target) => {
                let name = target
                    .strip_prefix("#/components/examples/")
                    .expect("example $ref into components.examples");
                &self.examples[name]["value"]
            }
            None => &entry["value"],
        }
    }
}

/// (where, schema, example) for every example the spec carries.
fn spec_examples(spec: &Value) -> Vec<(String, Value, Value)> {
    let mut found = Vec::new();
    let checker = Checker::new(spec);
    collect(spec, "#", false, &checker, &mut found);
    found
}

fn collect(
    value: &Value,
    at: &str,
    in_schema: bool,
    checker: &Checker,
    found: &mut Vec<(String, Value, Value)>,
) {
    match value {
        Value::Object(map) => {
            if let Some(schema) = map.get("schema") {
                // A media type or a parameter.
                if let Some(example) = map.get("example") {
                    found.push((format!("{at}/example"), schema.clone(), example.clone()));
                }
                for (name, entry) in map
                    .get("examples")
                    .and_then(Value::as_object)
                    .into_iter()
                    .flatten()
                {
                    found.push((
                        format!("{at}/examples/{name}"),
                        schema.clone(),
                        checker.example_value(entry).clone(),
                    ));
                }
            } else if in_schema && let Some(example) = map.get("example") {
                found.push((format!("{at}/example"), value.clone(), example.clone()));
            }
            for (key, child) in map {
                // Example values are data, and `components.examples` are reached by reference.
                if matches!(key.as_str(), "example" | "examples") {
                    continue;
                }
                let child_in_schema = in_schema || key == "schema" || at == "#/components/schemas";
                collect(
                    child,
                    &format!("{at}/{}", key.replace('~', "~0").replace('/', "~1")),
                    child_in_schema,
                    checker,
                    found,
                );
            }
        }
        Value::Array(items) => {
            for (index, child) in items.iter().enumerate() {
                collect(child, &format!("{at}/{index}"), in_schema, checker, found);
            }
        }
        _ => {}
    }
}

/// The seed examples copied from EnKash's doc pages, with the schema each one is a body of.
const SEEDS: &[(&str, &str)] = &[
    ("add-consumer-number.request.json", "BillFetchV0Request"),
    ("add-consumer-number.response.json", "BillFetchEnvelope"),
    ("bill-payment-webhook.json", "UtilityBillWebhookRequest"),
    ("create-bill.request.json", "CreateBillRequest"),
    ("create-bill.response.json", "UtilityPaymentV2Envelope"),
    ("create-customer.request.json", "CustomerCreateRequest"),
    (
        "get-utility-bill-status-v0.response.json",
        "UtilityPaymentEnvelope",
    ),
];

/// A seed the docs fill with placeholders (`"string"` for an email, a GSTIN, ...): the strict
/// request schema must refuse it.
const REFUSED_SEEDS: &[(&str, &str)] = &[(
    "create-customer.request.placeholders.json",
    "CustomerCreateRequest",
)];

fn seed(name: &str) -> Value {
    let path = format!("{}/tests/fixtures/seeds/{name}", env!("CARGO_MANIFEST_DIR"));
    let text = std::fs::read_to_string(&path).unwrap_or_else(|err| panic!("{path}: {err}"));
    serde_json::from_str(&text).unwrap_or_else(|err| panic!("{path}: {err}"))
}

fn schema_ref(name: &str) -> Value {
    json!({ "$ref": format!("#/components/schemas/{name}") })
}

#[test]
fn every_spec_example_validates_against_its_schema() {
    let spec = spec();
    let checker = Checker::new(&spec);
    let examples = spec_examples(&spec);
    assert!(
        examples.len() > 80,
        "the walk finds the spec's examples ({} found)",
        examples.len()
    );
    let failures: Vec<String> = examples
        .iter()
        .filter_map(|(at, schema, example)| {
            let errors = checker.check(schema, example);
            (!errors.is_empty()).then(|| format!("{at}:\n    {}", errors.join("\n    ")))
        })
        .collect();
    eprintln!(
        "spec examples: {} of {} validate",
        examples.len() - failures.len(),
        examples.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn every_seed_example_validates_against_its_schema() {
    let spec = spec();
    let checker = Checker::new(&spec);
    let failures: Vec<String> = SEEDS
        .iter()
        .filter_map(|(file, schema)| {
            let errors = checker.check(&schema_ref(schema), &seed(file));
            (!errors.is_empty())
                .then(|| format!("{file} ({schema}):\n    {}", errors.join("\n    ")))
        })
        .collect();
    eprintln!(
        "seed examples: {} of {} validate",
        SEEDS.len() - failures.len(),
        SEEDS.len()
    );
    assert!(failures.is_empty(), "{}", failures.join("\n"));
}

#[test]
fn placeholder_seeds_are_refused_by_the_strict_request_schema() {
    let spec = spec();
    let checker = Checker::new(&spec);
    for (file, schema) in REFUSED_SEEDS {
        let errors = checker.check(&schema_ref(schema), &seed(file));
        assert!(!errors.is_empty(), "{file} validates against {schema}");
    }
}

#[test]
fn every_seed_fixture_is_listed() {
    let dir = format!("{}/tests/fixtures/seeds", env!("CARGO_MANIFEST_DIR"));
    let mut on_disk: Vec<String> = std::fs::read_dir(&dir)
        .expect("seed fixture directory")
        .map(|entry| {
            entry
                .expect("entry")
                .file_name()
                .into_string()
                .expect("UTF-8")
        })
        .collect();
    on_disk.sort();
    let mut listed: Vec<String> = SEEDS
        .iter()
        .chain(REFUSED_SEEDS)
        .map(|(file, _)| (*file).to_owned())
        .collect();
    listed.sort();
    assert_eq!(on_disk, listed);
}

#[test]
fn null_is_refused_unless_nullable_and_required_is_applied() {
    let spec = json!({ "components": { "schemas": {
        "Loose": { "type": "object", "properties": { "a": { "type": "string", "nullable": true } } },
        "Strict": { "type": "object", "required": ["a"], "properties": { "a": { "type": "string" } } },
    }}});
    let checker = Checker::new(&spec);
    assert!(
        checker
            .check(&schema_ref("Loose"), &json!({ "a": null }))
            .is_empty()
    );
    assert!(
        !checker
            .check(&schema_ref("Strict"), &json!({ "a": null }))
            .is_empty()
    );
    assert!(!checker.check(&schema_ref("Strict"), &json!({})).is_empty());
}

/// The schema of the HTTP 200 answer of the operation at `path` (method POST).
fn ok_schema(spec: &Value, path: &str) -> Value {
    spec["paths"][path]["post"]["responses"]["200"]["content"]["application/json"]["schema"].clone()
}

#[test]
fn a_failure_at_http_200_is_a_valid_answer_and_a_success_must_fit_its_schema() {
    let spec = spec();
    let checker = Checker::new(&spec);
    let create_bill = ok_schema(&spec, "/api/v2/utilityPayment");
    for payload in [
        json!("Duplicate reference id"),
        Value::Null,
        json!({"reason": "x"}),
    ] {
        let failure =
            json!({"response_code": 38, "response_message": "Duplicate", "payload": payload});
        assert_eq!(checker.check(&create_bill, &failure), Vec::<String>::new());
    }
    // A success (code 0) whose payload is a string fits neither choice.
    let odd = json!({"response_code": 0, "response_message": "Success", "payload": "done"});
    assert!(!checker.check(&create_bill, &odd).is_empty());

    // Accounts Receivable and Vendor Payment failures carry `errorResponse`, which is checked.
    let invoice = ok_schema(&spec, "/api/v0/invoice");
    let failure = json!({"response_code": 1, "payload": null,
        "errorResponse": {"errorType": "VALIDATION_ERROR", "errorMessage": "bad"}});
    assert_eq!(checker.check(&invoice, &failure), Vec::<String>::new());
    let broken = json!({"response_code": 1, "errorResponse": {"errorMessage": 7}});
    assert!(!checker.check(&invoice, &broken).is_empty());
    let vendor = ok_schema(&spec, "/api/v0/cd-note/req-send");
    assert_eq!(checker.check(&vendor, &failure), Vec::<String>::new());
}

#[test]
fn a_request_block_requires_what_the_docs_table_requires_and_its_echo_does_not() {
    let spec = spec();
    let checker = Checker::new(&spec);
    let only_id = json!({"objectId": "PO1"});
    for (request, echo) in [
        ("PoConfirmation", "PoConfirmationEcho"),
        ("PoStatus", "PoStatusEcho"),
        ("CdNote", "CdNoteEcho"),
    ] {
        assert!(
            !checker.check(&schema_ref(request), &only_id).is_empty(),
            "{request}"
        );
        assert_eq!(
            checker.check(&schema_ref(echo), &only_id),
            Vec::<String>::new(),
            "{echo}"
        );
        let with_null = json!({"objectId": "PO1", "objectVersion": null});
        assert_eq!(
            checker.check(&schema_ref(echo), &with_null),
            Vec::<String>::new(),
            "{echo}"
        );
    }
}
