//! What the client layer knows about each operation, read from the spec and written as Rust next to
//! the generated client: the operation table (`x-call-kind`, `x-settle-by`, path, bounds), the
//! envelope wiring (`x-payload`) and the glue from each generated builder to the layer.
//!
//! Every problem names the spec path at fault.

use serde_yaml::Value;

/// `x-call-kind` on an operation: `lookup`, `write` or `money-moving`.
pub const CALL_KIND: &str = "x-call-kind";
/// `x-settle-by` on a money-moving operation: `{lookup: reference-id | bill-ids | webhook-echo,
/// field: <JSON pointer into the request body>}`.
pub const SETTLE_BY: &str = "x-settle-by";
/// `x-payload` on an envelope schema: `required` (a success without it is an error), `as-sent`
/// (the payload as decoded, possibly absent) or `ignored` (the call returns nothing).
pub const PAYLOAD: &str = "x-payload";

/// The request media type the client layer sends itself (progenitor rejects it).
pub const MULTIPART: &str = "multipart/form-data";
/// The request media types progenitor sends.
pub const PROGENITOR_MEDIA: [&str; 2] = ["application/json", "application/x-www-form-urlencoded"];

const METHODS: [&str; 8] = [
    "get", "put", "post", "delete", "options", "head", "patch", "trace",
];

/// One operation of the spec, as the layer needs it.
struct Operation {
    /// progenitor's name for it (the operationId in snake_case).
    id: String,
    method: String,
    path: String,
    kind: &'static str,
    lookup_key: String,
    basic_auth: bool,
    bounds: Vec<String>,
    /// `Some(crate::operation::Paging { .. })` as Rust source, or `None`.
    paging: String,
    /// The `FailureBody` variant of its error envelope.
    failure_body: &'static str,
    /// The file parts of its `multipart/form-data` body, in the spec's order.
    parts: Vec<Part>,
}

/// A file part of a `multipart/form-data` request body.
pub struct Part {
    /// The part's name on the wire, as the spec writes it.
    name: String,
    /// The builder method and field that hold it.
    method: String,
    required: bool,
    description: Option<String>,
}

/// Each error envelope schema an operation's `4XX` response may name, and its `FailureBody`.
const FAILURE_ENVELOPES: [(&str, &str); 3] = [
    ("ErrorEnvelope", "Plain"),
    ("ArErrorEnvelope", "Receivables"),
    ("VendorErrorEnvelope", "Vendor"),
];

/// Reshapes each builder's `send()` into the call pipeline's, and returns the Rust items for the
/// operation table and the envelopes, or the problems found.
pub fn generate(spec: &Value, file: &mut syn::File) -> Result<Vec<syn::Item>, Vec<String>> {
    let mut problems = Vec::new();
    let operations = read_operations(spec, &mut problems);
    let (envelopes, outputs) = envelope_impls(spec, file, &mut problems);
    reshape_sends(file, &operations, &outputs, &mut problems);
    if !problems.is_empty() {
        return Err(problems);
    }
    let mut code = String::new();
    code.push_str(&operation_table(&operations));
    // Payload types are named as in `types`, where the envelopes are.
    code.push_str(&format!(
        "/// The envelope of each answer: where its payload is and whether it must be there.\n\
         mod envelopes {{\nuse super::types;\nuse super::types::*;\n{envelopes}}}\n"
    ));
    syn::parse_file(&code)
        .map(|parsed| parsed.items)
        .map_err(|err| {
            vec![format!(
                "build/operations.rs produced unparsable code: {err}"
            )]
        })
}

fn read_operations(spec: &Value, problems: &mut Vec<String>) -> Vec<Operation> {
    let mut operations = Vec::new();
    let paths = spec.get("paths").and_then(Value::as_mapping);
    for (path, item) in paths.into_iter().flatten() {
        let path = path.as_str().unwrap_or("?");
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let at = format!("paths.{path}.{method}");
            let Some(operation_id) = op.get("operationId").and_then(Value::as_str) else {
                continue; // check_conventions reports it
            };
            let kind = match op.get(CALL_KIND).and_then(Value::as_str) {
                Some("lookup") => "Lookup",
                Some("write") => "Write",
                Some("money-moving") => "MoneyMoving",
                Some(other) => {
                    problems.push(format!(
                        "{at}.{CALL_KIND}: `{other}` is not lookup, write or money-moving"
                    ));
                    continue;
                }
                None => {
                    problems.push(format!(
                        "{at}: {CALL_KIND} is missing (lookup, write or money-moving): the client \
                         must know whether a call may be repeated"
                    ));
                    continue;
                }
            };
            let lookup_key = match settle_by(op, &at) {
                Ok(key) => key,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            };
            if kind == "MoneyMoving" && lookup_key == "LookupKey::None" {
                problems.push(format!(
                    "{at}: a money-moving operation needs {SETTLE_BY}, the request field an \
                     unknown outcome is settled by"
                ));
            }
            let id = snake_case(operation_id);
            let bounds = bounds(spec, op, &id, &at, problems);
            let paging = match paging(spec, op, &at) {
                Ok(paging) => paging,
                Err(problem) => {
                    problems.push(problem);
                    continue;
                }
            };
            let parts = match op
                .get("requestBody")
                .and_then(|body| body.get("content"))
                .and_then(|content| content.get(MULTIPART))
            {
                Some(media) => {
                    multipart_parts(media, &format!("{at}.requestBody.content.{MULTIPART}"))
                        .unwrap_or_else(|found| {
                            problems.extend(found);
                            Vec::new()
                        })
                }
                None => Vec::new(),
            };
            let basic_auth =
                op.get("security")
                    .and_then(Value::as_sequence)
                    .is_some_and(|schemes| {
                        schemes
                            .iter()
                            .any(|scheme| scheme.get("basicAuth").is_some())
                    });
            let Some(failure_body) = failure_body(spec, op, &at, problems) else {
                continue;
            };
            operations.push(Operation {
                failure_body,
                id,
                method: method.to_uppercase(),
                path: path.to_owned(),
                kind,
                lookup_key,
                basic_auth,
                bounds,
                paging,
                parts,
            });
        }
    }
    operations
}

/// The `FailureBody` of the error envelope the operation's `4XX` response names.
fn failure_body(
    spec: &Value,
    op: &Value,
    at: &str,
    problems: &mut Vec<String>,
) -> Option<&'static str> {
    let response = op.get("responses").and_then(|r| r.get("4XX"));
    let response = response.map(|response| resolve(spec, response));
    let schema = response
        .and_then(|r| r.get("content"))
        .and_then(|c| c.get("application/json"))
        .and_then(|m| m.get("schema"))
        .and_then(|s| s.get("$ref"))
        .and_then(Value::as_str)
        .and_then(|target| target.strip_prefix("#/components/schemas/"));
    let found = FAILURE_ENVELOPES
        .iter()
        .find(|(name, _)| Some(*name) == schema)
        .map(|(_, body)| *body);
    if found.is_none() {
        let names: Vec<&str> = FAILURE_ENVELOPES.iter().map(|(name, _)| *name).collect();
        problems.push(format!(
            "{at}.responses.4XX: its body must reference one of the error envelopes ({})",
            names.join(", ")
        ));
    }
    found
}

fn settle_by(op: &Value, at: &str) -> Result<String, String> {
    let Some(settle) = op.get(SETTLE_BY) else {
        return Ok("LookupKey::None".to_owned());
    };
    let at = format!("{at}.{SETTLE_BY}");
    let field = settle
        .get("field")
        .and_then(Value::as_str)
        .filter(|field| field.starts_with('/'))
        .ok_or_else(|| format!("{at}.field: a JSON pointer into the request body is required"))?;
    let variant = match settle.get("lookup").and_then(Value::as_str) {
        Some("reference-id") => "ReferenceId",
        Some("bill-ids") => "BillIds",
        Some("webhook-echo") => "Echoed",
        other => {
            return Err(format!(
                "{at}.lookup: `{}` is not reference-id, bill-ids or webhook-echo",
                other.unwrap_or("(missing)")
            ));
        }
    };
    Ok(format!("LookupKey::{variant}({field:?})"))
}

/// `x-pages` on a search: `{limit: L, offset: O, page-size: N}`, where `L` and `O` name a query
/// parameter (`limit`) or a member of the JSON body (`/limit`), and `N` is the page size used
/// when the request sets none.
pub const PAGES: &str = "x-pages";

fn paging(spec: &Value, op: &Value, at: &str) -> Result<String, String> {
    let Some(pages) = op.get(PAGES) else {
        return Ok("None".to_owned());
    };
    let at = format!("{at}.{PAGES}");
    let place = |key: &str| -> Result<String, String> {
        let name = pages.get(key).and_then(Value::as_str).ok_or_else(|| {
            format!("{at}.{key}: a query parameter name or a body pointer is required")
        })?;
        if let Some(pointer) = name.strip_prefix('/') {
            let body = op
                .get("requestBody")
                .and_then(|body| body.get("content"))
                .and_then(|content| content.get("application/json"))
                .and_then(|media| media.get("schema"))
                .map(|schema| resolve(spec, schema));
            let declared = body
                .and_then(|schema| schema.get("properties"))
                .is_some_and(|properties| properties.get(pointer).is_some());
            if !declared {
                return Err(format!(
                    "{at}.{key}: the request body has no property `{pointer}`"
                ));
            }
            return Ok(format!("Place::Body({name:?})"));
        }
        let declared = op
            .get("parameters")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .map(|parameter| resolve(spec, parameter))
            .any(|parameter| {
                parameter.get("in").and_then(Value::as_str) == Some("query")
                    && parameter.get("name").and_then(Value::as_str) == Some(name)
            });
        if !declared {
            return Err(format!(
                "{at}.{key}: the operation has no query parameter `{name}`"
            ));
        }
        Ok(format!("Place::Query({name:?})"))
    };
    let limit = place("limit")?;
    let offset = place("offset")?;
    let page_size = pages
        .get("page-size")
        .and_then(Value::as_u64)
        .filter(|size| (1..=u64::from(u32::MAX)).contains(size))
        .ok_or_else(|| format!("{at}.page-size: a whole number of at least 1 is required"))?;
    Ok(format!(
        "Some(crate::operation::Paging {{ limit: {limit}, offset: {offset}, page_size: {page_size} }})"
    ))
}

/// progenitor's operation name: `getUtilityBillStatusV0` -> `get_utility_bill_status_v0`.
fn snake_case(operation_id: &str) -> String {
    let mut out = String::new();
    for (i, c) in operation_id.chars().enumerate() {
        if c.is_ascii_uppercase() {
            if i > 0 {
                out.push('_');
            }
            out.push(c.to_ascii_lowercase());
        } else {
            out.push(c);
        }
    }
    out
}

fn const_name(id: &str) -> String {
    id.to_uppercase()
}

// ---- bounds ----------------------------------------------------------------------------------

/// The bounds of an operation's JSON body members (nested objects included) and query parameters:
/// `minimum`, `maximum`, `exclusiveMinimum`, `exclusiveMaximum`, `minItems`, `maxItems`.
fn bounds(spec: &Value, op: &Value, id: &str, at: &str, problems: &mut Vec<String>) -> Vec<String> {
    let mut out = Vec::new();
    let body = op
        .get("requestBody")
        .and_then(|body| body.get("content"))
        .and_then(|content| content.get("application/json"))
        .and_then(|media| media.get("schema"));
    if let Some(schema) = body {
        body_bounds(
            spec,
            schema,
            id,
            "",
            &format!("{at}.requestBody"),
            0,
            &mut out,
            problems,
        );
    }
    for parameter in op
        .get("parameters")
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
    {
        let parameter = resolve(spec, parameter);
        if parameter.get("in").and_then(Value::as_str) != Some("query") {
            continue;
        }
        let Some(name) = parameter.get("name").and_then(Value::as_str) else {
            continue;
        };
        if let Some(schema) = parameter.get("schema") {
            let place = format!("Place::Query({name:?})");
            push_bound(
                resolve(spec, schema),
                id,
                &place,
                &format!("{at}.parameters.{name}"),
                &mut out,
                problems,
            );
        }
    }
    out
}

#[allow(clippy::too_many_arguments)]
fn body_bounds(
    spec: &Value,
    schema: &Value,
    id: &str,
    pointer: &str,
    at: &str,
    depth: usize,
    out: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    // Deep enough for every documented body; a cycle of `$ref`s stops here.
    if depth > 8 {
        return;
    }
    if !pointer.is_empty() {
        let place = format!("Place::Body({pointer:?})");
        push_bound(schema, id, &place, at, out, problems);
    }
    let schema = resolve(spec, schema);
    if let Some(properties) = schema.get("properties").and_then(Value::as_mapping) {
        for (name, property) in properties {
            let Some(name) = name.as_str() else { continue };
            let escaped = name.replace('~', "~0").replace('/', "~1");
            body_bounds(
                spec,
                property,
                id,
                &format!("{pointer}/{escaped}"),
                &format!("{at}.{name}"),
                depth + 1,
                out,
                problems,
            );
        }
    }
}

/// The bound a schema's own keywords (or those of the schema it references) set, if any.
fn push_bound(
    schema: &Value,
    id: &str,
    place: &str,
    at: &str,
    out: &mut Vec<String>,
    problems: &mut Vec<String>,
) {
    let mut number = |key: &str| -> Option<String> {
        match schema.get(key)? {
            Value::Number(n) => Some(n.to_string()),
            _ => {
                problems.push(format!("{at}.{key}: must be a number"));
                None
            }
        }
    };
    let flag = |key: &str| schema.get(key) == Some(&Value::Bool(true));
    let text = |value: Option<String>| match value {
        Some(value) => format!("Some({value:?})"),
        None => "None".to_owned(),
    };
    let (min, max) = (number("minimum"), number("maximum"));
    if min.is_some() || max.is_some() {
        out.push(format!(
            "Bound {{ operation: {id:?}, place: {place}, measure: Measure::Value, min: {}, max: {}, \
             min_exclusive: {}, max_exclusive: {} }}",
            text(min),
            text(max),
            flag("exclusiveMinimum"),
            flag("exclusiveMaximum"),
        ));
    }
    let (min, max) = (number("minItems"), number("maxItems"));
    if min.is_some() || max.is_some() {
        out.push(format!(
            "Bound {{ operation: {id:?}, place: {place}, measure: Measure::Items, min: {}, max: {}, \
             min_exclusive: false, max_exclusive: false }}",
            text(min),
            text(max),
        ));
    }
}

/// The schema a `$ref` points to (once; a local reference), or the value itself.
fn resolve<'a>(spec: &'a Value, value: &'a Value) -> &'a Value {
    let Some(target) = value.get("$ref").and_then(Value::as_str) else {
        return value;
    };
    let mut found = spec;
    for part in target.trim_start_matches("#/").split('/') {
        match found.get(part) {
            Some(next) => found = next,
            None => return value,
        }
    }
    found
}

// ---- the table -------------------------------------------------------------------------------

fn operation_table(operations: &[Operation]) -> String {
    let mut code = String::from(
        "/// What the client layer knows about each operation, from the spec: its call kind \
         (`x-call-kind`), the request field an unknown outcome is settled by (`x-settle-by`), its \
         path and the bounds of its request (`minimum`, `maxItems`, ...).\n\
         pub mod operations {\n\
         use crate::operation::{Auth, CallKind, FailureBody, LookupKey, OperationSpec};\n\
         use crate::validate::{Bound, Measure, Place};\n",
    );
    for op in operations {
        let bounds = op.bounds.join(", ");
        code.push_str(&format!(
            "/// `{} {}`\npub const {}: OperationSpec = OperationSpec {{ id: {:?}, method: {:?}, \
             path: {:?}, kind: CallKind::{}, lookup_key: crate::operation::{}, auth: Auth::{}, \
             failure_body: FailureBody::{}, bounds: &[{bounds}], paging: {} }};\n",
            op.method,
            op.path,
            const_name(&op.id),
            op.id,
            op.method,
            op.path,
            op.kind,
            op.lookup_key,
            if op.basic_auth { "Basic" } else { "Bearer" },
            op.failure_body,
            op.paging,
        ));
    }
    let all: Vec<String> = operations.iter().map(|op| const_name(&op.id)).collect();
    code.push_str(&format!(
        "/// Every operation of the spec, in its order.\npub const ALL: &[OperationSpec] = &[{}];\n",
        all.join(", ")
    ));
    let bounds: Vec<String> = operations
        .iter()
        .flat_map(|op| op.bounds.iter().cloned())
        .collect();
    code.push_str(&format!(
        "/// Every bound of the spec's requests.\npub const BOUNDS: &[Bound] = &[{}];\n}}\n",
        bounds.join(", ")
    ));
    code
}

// ---- envelopes -------------------------------------------------------------------------------

/// `impl Envelope` for every envelope schema marked `x-payload`, from the generated struct's
/// `payload` field.
fn envelope_impls(
    spec: &Value,
    file: &syn::File,
    problems: &mut Vec<String>,
) -> (String, std::collections::BTreeMap<String, String>) {
    let mut outputs = std::collections::BTreeMap::new();
    let schemas = spec
        .get("components")
        .and_then(|c| c.get("schemas"))
        .and_then(Value::as_mapping);
    let mut code = String::new();
    for (name, schema) in schemas.into_iter().flatten() {
        let Some(name) = name.as_str() else { continue };
        let Some(mode) = schema.get(PAYLOAD) else {
            continue;
        };
        let at = format!("#/components/schemas/{name}/{PAYLOAD}");
        let Some(field) = payload_type(file, name) else {
            problems.push(format!(
                "{at}: the generated `types::{name}` has no `payload` field (is `payload` a property?)"
            ));
            continue;
        };
        let (output, body) = match mode.as_str() {
            Some("required") => match option_inner(&field) {
                Some(inner) => (inner, "self.payload"),
                None => (field.clone(), "Some(self.payload)"),
            },
            Some("as-sent") => (field.clone(), "Some(self.payload)"),
            Some("ignored") => ("()".to_owned(), "Some(())"),
            _ => {
                problems.push(format!("{at}: must be required, as-sent or ignored"));
                continue;
            }
        };
        outputs.insert(format!("types::{name}"), output.clone());
        code.push_str(&format!(
            "impl crate::answer::Envelope for types::{name} {{\n\
             type Output = {output};\n\
             fn response_code(&self) -> i64 {{ self.response_code }}\n\
             fn response_message(&self) -> Option<&str> {{ self.response_message.as_deref() }}\n\
             fn into_output(self) -> Option<{output}> {{ {body} }}\n}}\n"
        ));
    }
    (code, outputs)
}

/// The type of `payload` in the generated struct `types::<name>`, as Rust source.
fn payload_type(file: &syn::File, name: &str) -> Option<String> {
    let types = file.items.iter().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "types" => module.content.as_ref(),
        _ => None,
    })?;
    types.1.iter().find_map(|item| match item {
        syn::Item::Struct(item) if item.ident == name => item.fields.iter().find_map(|field| {
            let ident = field.ident.as_ref()?;
            (ident == "payload").then(|| type_source(&field.ty))
        }),
        _ => None,
    })
}

fn type_source(ty: &syn::Type) -> String {
    let file: syn::File = syn::parse_quote!(type T = #ty;);
    prettyplease::unparse(&file)
        .trim()
        .trim_start_matches("type T = ")
        .trim_end_matches(';')
        .to_owned()
}

/// `T` of `::std::option::Option<T>`.
fn option_inner(source: &str) -> Option<String> {
    let ty: syn::Type = syn::parse_str(source).ok()?;
    let syn::Type::Path(path) = ty else {
        return None;
    };
    let last = path.path.segments.last()?;
    if last.ident != "Option" {
        return None;
    }
    let syn::PathArguments::AngleBracketed(args) = &last.arguments else {
        return None;
    };
    match args.args.first()? {
        syn::GenericArgument::Type(inner) => Some(type_source(inner)),
        _ => None,
    }
}

// ---- builders ----------------------------------------------------------------------------------

/// Splits every generated builder's `send()` in two:
/// * `request()`, progenitor's own code up to the built `reqwest::Request` (path, query, headers,
///   body), crate-private;
/// * `send()`, the one public way to make the call: the request goes through the call pipeline
///   (`crate::answer::call`: checks, token, attempts, envelope) and the payload or a typed
///   `crate::Error` comes back.
///
/// progenitor's own attempt (its `pre`/`exec`/`post` hooks and its decoding) is dropped, so no
/// weaker path is left.
fn reshape_sends(
    file: &mut syn::File,
    operations: &[Operation],
    outputs: &std::collections::BTreeMap<String, String>,
    problems: &mut Vec<String>,
) {
    let Some(builders) = file.items.iter_mut().find_map(|item| match item {
        syn::Item::Mod(module) if module.ident == "builder" => module.content.as_mut(),
        _ => None,
    }) else {
        problems.push("progenitor generated no `builder` module".to_owned());
        return;
    };
    let mut with_parts = Vec::new();
    for item in &mut builders.1 {
        let syn::Item::Impl(block) = item else {
            continue;
        };
        let syn::Type::Path(self_ty) = &*block.self_ty else {
            continue;
        };
        let Some(builder) = self_ty.path.segments.last().map(|s| s.ident.to_string()) else {
            continue;
        };
        let Some(position) = block
            .items
            .iter()
            .position(|item| matches!(item, syn::ImplItem::Fn(f) if f.sig.ident == "send"))
        else {
            continue;
        };
        let syn::ImplItem::Fn(send) = block.items.remove(position) else {
            continue;
        };
        let id = operation_id(&send);
        match split_send(&builder, send, operations, outputs) {
            Ok(pair) => block.items.splice(position..position, pair),
            Err(problem) => {
                problems.push(problem);
                continue;
            }
        };
        let parts = operations
            .iter()
            .find(|op| Some(&op.id) == id.as_ref())
            .map_or(&[][..], |op| &op.parts[..]);
        if !parts.is_empty() {
            match multipart_builder(&builder, block, parts) {
                Ok(()) => with_parts.push((builder, parts)),
                Err(problem) => problems.push(problem),
            }
        }
    }
    for (builder, parts) in with_parts {
        let found = builders.1.iter_mut().find_map(|item| match item {
            syn::Item::Struct(item) if item.ident == builder => Some(item),
            _ => None,
        });
        let Some(item) = found else {
            problems.push(format!("builder::{builder}: no struct"));
            continue;
        };
        let syn::Fields::Named(fields) = &mut item.fields else {
            problems.push(format!("builder::{builder}: no named fields"));
            continue;
        };
        for part in parts {
            let field = syn::Ident::new(&part.method, proc_macro2::Span::call_site());
            fields.named.push(syn::parse_quote!(
                #field: ::std::option::Option<crate::upload::Upload>
            ));
        }
        // A streamed file cannot be copied, so neither can the builder that holds it.
        for attr in &mut item.attrs {
            if attr.path().is_ident("derive") {
                *attr = syn::parse_quote!(#[derive(Debug)]);
            }
        }
    }
}

/// Wires the file parts of a `multipart/form-data` body into a builder: a field and a method per
/// part (taking a `crate::upload::Upload`), and a `request()` that sends them as the request's
/// form. progenitor never sees these bodies (see [`strip_multipart`]).
fn multipart_builder(
    builder: &str,
    block: &mut syn::ItemImpl,
    parts: &[Part],
) -> Result<(), String> {
    let at = format!("builder::{builder}");
    for part in parts {
        let taken = block
            .items
            .iter()
            .any(|item| matches!(item, syn::ImplItem::Fn(f) if f.sig.ident == part.method));
        if taken {
            return Err(format!(
                "{at}: the part `{}` would be set by `{}`, which the builder already has",
                part.name, part.method
            ));
        }
    }
    let field = |part: &Part| syn::Ident::new(&part.method, proc_macro2::Span::call_site());
    let bound = |part: &Part| {
        syn::Ident::new(
            &format!("part_{}", part.method),
            proc_macro2::Span::call_site(),
        )
    };
    let mut setters = Vec::new();
    for part in parts {
        let (method, name) = (field(part), &part.name);
        let mut doc = format!(
            "Attaches the file sent as the `{name}` part of the `{MULTIPART}` body ({}).",
            if part.required {
                "required"
            } else {
                "optional"
            }
        );
        if let Some(description) = &part.description {
            doc.push_str(&format!(" {}", description.trim()));
        }
        setters.push(syn::ImplItem::Fn(syn::parse_quote! {
            #[doc = #doc]
            pub fn #method(mut self, value: crate::upload::Upload) -> Self {
                self.#method = ::std::option::Option::Some(value);
                self
            }
        }));
    }
    let mut found_new = false;
    let mut found_request = false;
    for item in &mut block.items {
        let syn::ImplItem::Fn(function) = item else {
            continue;
        };
        if function.sig.ident == "new" {
            // `Self { client, ... }`: each part starts out empty.
            if let Some(syn::Stmt::Expr(syn::Expr::Struct(init), None)) =
                function.block.stmts.last_mut()
            {
                for part in parts {
                    let field = field(part);
                    init.fields
                        .push(syn::parse_quote!(#field: ::std::option::Option::None));
                }
                found_new = true;
            }
        } else if function.sig.ident == "request" {
            found_request = wire_form(function, parts, &field, &bound);
        }
    }
    if !(found_new && found_request) {
        return Err(format!(
            "{at}: progenitor's `new` or `send` changed shape; the `{MULTIPART}` parts cannot be wired"
        ));
    }
    let position = block
        .items
        .iter()
        .position(|item| matches!(item, syn::ImplItem::Fn(f) if f.sig.ident == "request"))
        .unwrap_or(block.items.len());
    block.items.splice(position..position, setters);
    Ok(())
}

/// In `request()`: takes the parts out of the builder, and sends them as the request's
/// `multipart/form-data` form (`.multipart(form)` before `.build()`). False if the code is not
/// shaped as expected.
fn wire_form(
    request: &mut syn::ImplItemFn,
    parts: &[Part],
    field: &dyn Fn(&Part) -> syn::Ident,
    bound: &dyn Fn(&Part) -> syn::Ident,
) -> bool {
    let stmts = &mut request.block.stmts;
    // `let Self { client, ... } = self;`
    let Some(destructure) = stmts.iter_mut().find_map(|stmt| match stmt {
        syn::Stmt::Local(syn::Local {
            pat: syn::Pat::Struct(pattern),
            ..
        }) => Some(pattern),
        _ => None,
    }) else {
        return false;
    };
    for part in parts {
        let (field, bound) = (field(part), bound(part));
        let pattern: syn::Pat = syn::parse_quote!(Self { #field: #bound });
        if let syn::Pat::Struct(pattern) = pattern {
            destructure.fields.extend(pattern.fields);
        }
    }
    // `let mut request = client.client.post(url)...build()?;`
    let Some(position) = stmts.iter().position(|stmt| {
        matches!(stmt, syn::Stmt::Local(local) if matches!(&local.pat,
            syn::Pat::Ident(binding) if binding.ident == "request"))
    }) else {
        return false;
    };
    let syn::Stmt::Local(local) = &mut stmts[position] else {
        return false;
    };
    let Some(init) = &mut local.init else {
        return false;
    };
    let syn::Expr::Try(built) = &mut *init.expr else {
        return false;
    };
    let syn::Expr::MethodCall(build) = &mut *built.expr else {
        return false;
    };
    if build.method != "build" {
        return false;
    }
    let receiver = build.receiver.clone();
    *build.receiver = syn::parse_quote!(#receiver.multipart(form));
    let mut form: Vec<syn::Stmt> = vec![syn::parse_quote!(
        let mut form = ::reqwest::multipart::Form::new();
    )];
    for part in parts {
        let (name, bound) = (&part.name, bound(part));
        if part.required {
            let missing = format!("no value supplied for {}", part.method);
            form.push(syn::parse_quote!(
                let #bound = #bound.ok_or_else(|| Error::InvalidRequest(#missing.to_string()))?;
            ));
            form.push(syn::parse_quote!(
                form = form.part(#name, #bound.into_part(#name).map_err(Error::InvalidRequest)?);
            ));
        } else {
            form.push(syn::parse_quote!(
                if let ::std::option::Option::Some(upload) = #bound {
                    form = form.part(#name, upload.into_part(#name).map_err(Error::InvalidRequest)?);
                }
            ));
        }
    }
    stmts.splice(position..position, form);
    true
}

/// `request()` and the new `send()` made from progenitor's `send()`.
fn split_send(
    builder: &str,
    send: syn::ImplItemFn,
    operations: &[Operation],
    outputs: &std::collections::BTreeMap<String, String>,
) -> Result<Vec<syn::ImplItem>, String> {
    let at = format!("builder::{builder}::send");
    let body = success_type(&send.sig.output).ok_or(format!("{at}: unexpected return type"))?;
    let error = error_type(&send.sig.output).ok_or(format!("{at}: unexpected return type"))?;
    let id = operation_id(&send).ok_or(format!("{at}: no operation id"))?;
    let Some(operation) = operations.iter().find(|op| op.id == id) else {
        return Err(format!("{at}: operation `{id}` is not in the table"));
    };
    let built = send
        .block
        .stmts
        .iter()
        .position(|stmt| {
            matches!(stmt, syn::Stmt::Local(local) if matches!(&local.pat,
                syn::Pat::Ident(binding) if binding.ident == "request"))
        })
        .ok_or(format!("{at}: no `let request = ...` statement"))?;
    let kept = &send.block.stmts[..=built];
    let error: syn::Type = syn::parse_str(&error).map_err(|err| format!("{at}: {err}"))?;
    let request: syn::ImplItemFn = syn::parse_quote! {
        /// Builds the request (path, query, headers, body) for the call pipeline.
        pub(crate) fn request(self) -> ::std::result::Result<::reqwest::Request, #error> {
            #(#kept)*
            Ok(request)
        }
    };
    // An answer that is no envelope (the token call's) is returned as it is.
    let output = outputs
        .get(&body)
        .map(|output| qualified(output))
        .unwrap_or_else(|| body.clone());
    let output: syn::Type = syn::parse_str(&output).map_err(|err| format!("{at}: {err}"))?;
    let body: syn::Type = syn::parse_str(&body).map_err(|err| format!("{at}: {err}"))?;
    let spec = syn::Ident::new(&const_name(&id), proc_macro2::Span::call_site());
    let docs = send.attrs.iter().filter(|attr| attr.path().is_ident("doc"));
    let send: syn::ImplItemFn = syn::parse_quote! {
        #(#docs)*
        ///
        /// Returns the payload, or a typed [`crate::Error`]: the request is checked before it is
        /// sent, carries the access token, is retried only where that is safe, and an unknown
        /// outcome of a call that changes state is [`crate::Error::OutcomeUnknown`].
        pub async fn send(self) -> ::std::result::Result<#output, crate::Error> {
            let client = self.client;
            let built = self.request().map_err(crate::driver::refused);
            crate::answer::call::<#body>(client, &super::operations::#spec, built).await
        }
    };
    let send_with_metadata: syn::ImplItemFn = syn::parse_quote! {
        /// [`Self::send`], with the answer's HTTP status, headers, EnKash request id, attempts and
        /// duration beside the payload ([`crate::Response`] dereferences to the payload).
        pub async fn send_with_metadata(
            self,
        ) -> ::std::result::Result<crate::Response<#output>, crate::Error> {
            let client = self.client;
            let built = self.request().map_err(crate::driver::refused);
            crate::answer::call_with_metadata::<#body>(client, &super::operations::#spec, built)
                .await
        }
    };
    let mut items = vec![
        syn::ImplItem::Fn(request),
        syn::ImplItem::Fn(send),
        syn::ImplItem::Fn(send_with_metadata),
    ];
    if operation.paging != "None" {
        let pages: syn::ImplItemFn = syn::parse_quote! {
            /// Every item of every page, as a stream: pages of the request's `limit` (the
            /// spec's page size if it sets none) from its `offset` (0 if none), until a page
            /// comes back short. Each page is a call of its own; the first error ends the
            /// stream after it is yielded.
            pub fn pages(
                self,
            ) -> impl ::futures::Stream<
                Item = ::std::result::Result<
                    <#output as crate::pages::PageItems>::Item,
                    crate::Error,
                >,
            > + Send + 'a {
                let client = self.client;
                let built = self.request().map_err(crate::driver::refused);
                crate::pages::pages::<#body>(client, &super::operations::#spec, built)
            }
        };
        items.push(syn::ImplItem::Fn(pages));
    }
    Ok(items)
}

/// A type written inside `types`, as it is named from `builder`: bare type names are `types::`.
fn qualified(source: &str) -> String {
    struct Qualify;
    impl syn::visit_mut::VisitMut for Qualify {
        fn visit_type_path_mut(&mut self, ty: &mut syn::TypePath) {
            syn::visit_mut::visit_type_path_mut(self, ty);
            let bare = ty.qself.is_none()
                && ty.path.leading_colon.is_none()
                && ty.path.segments.len() == 1
                && ty.path.segments[0]
                    .ident
                    .to_string()
                    .starts_with(|c: char| c.is_ascii_uppercase());
            if bare {
                let ident = &ty.path.segments[0];
                ty.path = syn::parse_quote!(types::#ident);
            }
        }
    }
    let Ok(mut ty) = syn::parse_str::<syn::Type>(source) else {
        return source.to_owned();
    };
    syn::visit_mut::VisitMut::visit_type_mut(&mut Qualify, &mut ty);
    type_source(&ty)
}

/// `Error<E>` of `Result<ResponseValue<T>, Error<E>>`.
fn error_type(output: &syn::ReturnType) -> Option<String> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    match generic_args(ty)?.iter().nth(1)? {
        syn::GenericArgument::Type(error) => Some(type_source(error)),
        _ => None,
    }
}

/// `T` of `Result<ResponseValue<T>, Error<E>>`.
fn success_type(output: &syn::ReturnType) -> Option<String> {
    let syn::ReturnType::Type(_, ty) = output else {
        return None;
    };
    let result = generic_args(ty)?;
    let syn::GenericArgument::Type(value) = result.first()? else {
        return None;
    };
    let inner = generic_args(value)?;
    let syn::GenericArgument::Type(body) = inner.first()? else {
        return None;
    };
    Some(type_source(body))
}

fn generic_args(
    ty: &syn::Type,
) -> Option<&syn::punctuated::Punctuated<syn::GenericArgument, syn::token::Comma>> {
    let syn::Type::Path(path) = ty else {
        return None;
    };
    match &path.path.segments.last()?.arguments {
        syn::PathArguments::AngleBracketed(args) => Some(&args.args),
        _ => None,
    }
}

/// The `operation_id` of the `OperationInfo` that `send` builds.
fn operation_id(send: &syn::ImplItemFn) -> Option<String> {
    struct Find(Option<String>);
    impl<'ast> syn::visit::Visit<'ast> for Find {
        fn visit_field_value(&mut self, field: &'ast syn::FieldValue) {
            if let syn::Member::Named(name) = &field.member
                && name == "operation_id"
                && let syn::Expr::Lit(syn::ExprLit {
                    lit: syn::Lit::Str(text),
                    ..
                }) = &field.expr
            {
                self.0 = Some(text.value());
            }
            syn::visit::visit_field_value(self, field);
        }
    }
    let mut find = Find(None);
    syn::visit::Visit::visit_impl_item_fn(&mut find, send);
    find.0
}

// ---- what progenitor sees ----------------------------------------------------------------------

/// Keywords a property may set beside `allOf: [{$ref}]` to bound a referenced schema.
const BOUND_KEYWORDS: [&str; 5] = [
    "minimum",
    "maximum",
    "exclusiveMinimum",
    "exclusiveMaximum",
    "description",
];

/// Gives progenitor the success envelope of each answer: a 200 response schema `anyOf: [success,
/// failure]` (a failure may come with HTTP 200) becomes the success envelope; the layer reads a
/// failure whatever its status (`answer.rs`). Schemas nothing references any more (`FailureCode`)
/// are dropped, so no type is generated for them.
pub fn success_answers(value: &mut Value) {
    let Some(Value::Mapping(paths)) = value.get_mut("paths") else {
        return;
    };
    for (_, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(schemas) = item
                .get_mut(method)
                .and_then(|op| op.get_mut("responses"))
                .and_then(|responses| responses.get_mut("200"))
                .and_then(|ok| ok.get_mut("content"))
                .and_then(Value::as_mapping_mut)
            else {
                continue;
            };
            for (_, media) in schemas.iter_mut() {
                let Some(schema) = media.get_mut("schema") else {
                    continue;
                };
                let success = schema
                    .get("anyOf")
                    .and_then(Value::as_sequence)
                    .and_then(|choices| choices.first())
                    .cloned();
                if let Some(success) = success {
                    *schema = success;
                }
            }
        }
    }
    drop_unreferenced_schemas(value);
}

/// Removes the component schemas no `$ref` in the document reaches, until none is left.
fn drop_unreferenced_schemas(value: &mut Value) {
    loop {
        let mut text = Vec::new();
        references(value, &mut text);
        let Some(Value::Mapping(schemas)) = value
            .get_mut("components")
            .and_then(|components| components.get_mut("schemas"))
        else {
            return;
        };
        let unused: Vec<Value> = schemas
            .keys()
            .filter(|name| {
                let target = format!("#/components/schemas/{}", name.as_str().unwrap_or(""));
                !text.contains(&target)
            })
            .cloned()
            .collect();
        if unused.is_empty() {
            return;
        }
        for name in unused {
            schemas.remove(&name);
        }
    }
}

/// Every `$ref` target in `value`, in document order.
pub fn references(value: &Value, found: &mut Vec<String>) {
    match value {
        Value::Mapping(map) => {
            for (key, child) in map {
                match (key.as_str(), child) {
                    (Some("$ref"), Value::String(target)) => found.push(target.clone()),
                    _ => references(child, found),
                }
            }
        }
        Value::Sequence(items) => items.iter().for_each(|item| references(item, found)),
        _ => {}
    }
}

/// Drops `nullable: true` from every optional property, and with it the `type` written beside
/// `allOf: [{$ref}]` (`{type: object, nullable: true, allOf: [$ref: X]}` becomes `{allOf: [$ref:
/// X]}`, which [`plain_references`] makes `{$ref: X}`). An optional field is an `Option` (or a
/// list, which reads `null` as empty) either way; typify would otherwise make a new type of each
/// nullable reference. A required nullable property (a PATCH body's "clear it") and an inline map
/// keep the mark.
pub fn optional_without_null(value: &mut Value) {
    match value {
        Value::Mapping(map) => {
            let required: Vec<String> = map
                .get("required")
                .and_then(Value::as_sequence)
                .into_iter()
                .flatten()
                .filter_map(|name| name.as_str().map(str::to_owned))
                .collect();
            if let Some(Value::Mapping(properties)) = map.get_mut("properties") {
                for (name, property) in properties.iter_mut() {
                    let optional = name
                        .as_str()
                        .is_some_and(|name| !required.iter().any(|r| r == name));
                    let Value::Mapping(property) = property else {
                        continue;
                    };
                    let reference = property.contains_key("allOf");
                    // An inline map stays nullable: typify makes it an `Option` only then, and a
                    // plain map does not read `null`.
                    let map = property.get("type").and_then(Value::as_str) == Some("object");
                    if !optional || (map && !reference) {
                        continue;
                    }
                    if property.remove("nullable").is_some() && reference {
                        property.remove("type");
                    }
                }
            }
            for (_, child) in map.iter_mut() {
                optional_without_null(child);
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(optional_without_null),
        _ => {}
    }
}

/// Turns `{allOf: [{$ref: X}], minimum: 1}` into `{$ref: X}` everywhere. OpenAPI 3.0 ignores
/// keywords beside a bare `$ref`, so a bound on a referenced schema (`billNetAmount`, an `Amount`
/// of at least 1) is written this way; typify would make a new `f64` type of it. The layer checks
/// the bound from the operation table instead, and the field keeps the referenced Rust type.
pub fn plain_references(value: &mut Value) {
    match value {
        Value::Mapping(map) => {
            let single_ref = map
                .get("allOf")
                .and_then(Value::as_sequence)
                .filter(|items| items.len() == 1)
                .and_then(|items| items[0].get("$ref"))
                .cloned();
            let only_bounds = map.keys().all(|key| {
                key.as_str()
                    .is_some_and(|key| key == "allOf" || BOUND_KEYWORDS.contains(&key))
            });
            if let Some(target) = single_ref
                && only_bounds
            {
                let mut plain = serde_yaml::Mapping::new();
                plain.insert(Value::from("$ref"), target);
                *map = plain;
                return;
            }
            for (_, child) in map.iter_mut() {
                plain_references(child);
            }
        }
        Value::Sequence(items) => items.iter_mut().for_each(plain_references),
        _ => {}
    }
}

/// Makes the field a `reference-id` settled operation is settled by required in its request
/// schema, as fed to progenitor: the client refuses such a request without it, so the generated
/// builder cannot build one either. The published spec keeps the docs' field table (optional).
pub fn require_settling_fields(value: &mut Value) -> Result<(), Vec<String>> {
    let mut targets = Vec::new();
    let mut problems = Vec::new();
    let paths = value.get("paths").and_then(Value::as_mapping);
    for (path, item) in paths.into_iter().flatten() {
        for method in METHODS {
            let Some(op) = item.get(method) else { continue };
            let Some(settle) = op.get(SETTLE_BY) else {
                continue;
            };
            if settle.get("lookup").and_then(Value::as_str) != Some("reference-id") {
                continue;
            }
            let at = format!(
                "paths.{}.{method}.{SETTLE_BY}",
                path.as_str().unwrap_or("?")
            );
            let field = settle.get("field").and_then(Value::as_str).unwrap_or("");
            let name = field.strip_prefix('/').filter(|name| !name.contains('/'));
            let schema = op
                .get("requestBody")
                .and_then(|body| body.get("content"))
                .and_then(|content| content.get("application/json"))
                .and_then(|media| media.get("schema"))
                .and_then(|schema| schema.get("$ref"))
                .and_then(Value::as_str)
                .and_then(|target| target.strip_prefix("#/components/schemas/"));
            match (name, schema) {
                (Some(name), Some(schema)) => targets.push((schema.to_owned(), name.to_owned())),
                _ => problems.push(format!(
                    "{at}: a reference-id field must be a top-level property (`/name`) of a \
                     request body that references a component schema"
                )),
            }
        }
    }
    for (schema, name) in targets {
        let Some(Value::Mapping(map)) = value
            .get_mut("components")
            .and_then(|components| components.get_mut("schemas"))
            .and_then(|schemas| schemas.get_mut(schema.as_str()))
        else {
            problems.push(format!("components.schemas.{schema}: not found"));
            continue;
        };
        let declared = map
            .get("properties")
            .is_some_and(|properties| properties.get(name.as_str()).is_some());
        if !declared {
            problems.push(format!(
                "components.schemas.{schema}.properties.{name}: the field {SETTLE_BY} names is \
                 not declared"
            ));
            continue;
        }
        let required = map
            .entry(Value::from("required"))
            .or_insert_with(|| Value::Sequence(Vec::new()));
        if let Value::Sequence(list) = required
            && !list.iter().any(|item| item.as_str() == Some(name.as_str()))
        {
            list.push(Value::from(name));
        }
    }
    if problems.is_empty() {
        Ok(())
    } else {
        Err(problems)
    }
}

// ---- multipart bodies --------------------------------------------------------------------------

/// The file parts of a `multipart/form-data` media type: an inline object schema whose
/// properties are files (`type: string`, `format: binary`). `at` names the media type.
pub fn multipart_parts(media: &Value, at: &str) -> Result<Vec<Part>, Vec<String>> {
    let schema = media.get("schema");
    let Some(properties) = schema
        .filter(|schema| schema.get("$ref").is_none())
        .filter(|schema| schema.get("type").and_then(Value::as_str) == Some("object"))
        .and_then(|schema| schema.get("properties"))
        .and_then(Value::as_mapping)
        .filter(|properties| !properties.is_empty())
    else {
        return Err(vec![format!(
            "{at}.schema: an inline `type: object` schema whose properties are the parts"
        )]);
    };
    let required: Vec<&str> = schema
        .and_then(|schema| schema.get("required"))
        .and_then(Value::as_sequence)
        .into_iter()
        .flatten()
        .filter_map(Value::as_str)
        .collect();
    let mut parts = Vec::new();
    let mut problems = Vec::new();
    for (name, property) in properties {
        let name = name.as_str().unwrap_or("?");
        let here = format!("{at}.schema.properties.{name}");
        let file = property.get("type").and_then(Value::as_str) == Some("string")
            && property.get("format").and_then(Value::as_str) == Some("binary");
        if !file {
            problems.push(format!(
                "{here}: a part must be a file (`type: string`, `format: binary`)"
            ));
            continue;
        }
        let method: String = snake_case(name)
            .chars()
            .map(|c| if c.is_ascii_alphanumeric() { c } else { '_' })
            .collect();
        let usable = method.starts_with(|c: char| c.is_ascii_lowercase())
            && syn::parse_str::<syn::Ident>(&method).is_ok()
            && !matches!(method.as_str(), "new" | "request" | "send" | "client");
        if !usable {
            problems.push(format!(
                "{here}: the part's name makes no builder method (`{method}`)"
            ));
            continue;
        }
        parts.push(Part {
            name: name.to_owned(),
            method,
            required: required.contains(&name),
            description: property
                .get("description")
                .and_then(Value::as_str)
                .map(str::to_owned),
        });
    }
    if problems.is_empty() {
        Ok(parts)
    } else {
        Err(problems)
    }
}

/// Removes every `multipart/form-data` request body from the spec fed to progenitor, which
/// rejects them; [`reshape_sends`] wires their parts from the spec itself.
pub fn strip_multipart(value: &mut Value) {
    let Some(paths) = value.get_mut("paths").and_then(Value::as_mapping_mut) else {
        return;
    };
    for (_, item) in paths.iter_mut() {
        for method in METHODS {
            let Some(Value::Mapping(op)) = item.get_mut(method) else {
                continue;
            };
            let multipart = op
                .get("requestBody")
                .and_then(|body| body.get("content"))
                .is_some_and(|content| content.get(MULTIPART).is_some());
            if multipart {
                op.remove("requestBody");
            }
        }
    }
}
