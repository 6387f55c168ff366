//! Produces `$OUT_DIR/enkash_generated.rs`, the generated client that `src/generated.rs` includes.
//!
//! * Default: copies the reviewed code out of `generated/enkash.snap` (an insta snapshot: a short
//!   header, then Rust source). Consumers compile no code generator.
//! * Feature `codegen`: loads `spec/enkash.yaml`, checks the conventions the client relies on,
//!   generates the client with progenitor and formats it with prettyplease. The snapshot test
//!   (`tests/generated_code.rs`) then fails until the new code is accepted into `generated/`.
//!
//! Every failure names the file and, where there is one, the spec path or schema at fault.

use std::path::{Path, PathBuf};
use std::process::ExitCode;

const SNAPSHOT: &str = "generated/enkash.snap";
const OUTPUT: &str = "enkash_generated.rs";

fn main() -> ExitCode {
    let out_dir = match std::env::var_os("OUT_DIR") {
        Some(dir) => PathBuf::from(dir),
        None => return fail("OUT_DIR is not set; build.rs must run under cargo"),
    };
    let produced = if cfg!(feature = "codegen") {
        codegen_or_not::generate()
    } else {
        extract_snapshot(Path::new(SNAPSHOT))
    };
    let code = match produced {
        Ok(code) => code,
        Err(message) => return fail(&message),
    };
    let target = out_dir.join(OUTPUT);
    if let Err(err) = std::fs::write(&target, code) {
        return fail(&format!("cannot write {}: {err}", target.display()));
    }
    ExitCode::SUCCESS
}

/// Prints the message as a cargo error and fails the build without a panic backtrace.
fn fail(message: &str) -> ExitCode {
    for line in message.lines() {
        println!("cargo::error={line}");
    }
    eprintln!("error: {message}");
    ExitCode::FAILURE
}

/// Returns the Rust source stored in an insta snapshot file (everything after its `---` header).
fn extract_snapshot(path: &Path) -> Result<String, String> {
    println!("cargo::rerun-if-changed={}", path.display());
    let text = std::fs::read_to_string(path)
        .map_err(|err| format!("cannot read {}: {err}", path.display()))?;
    let body = text
        .strip_prefix("---\n")
        .and_then(|rest| rest.split_once("\n---\n"))
        .map(|(_header, body)| body)
        .ok_or_else(|| {
            format!(
                "{}: not an insta snapshot (expected a `---` header); regenerate it with \
                 `cargo insta test --features codegen --accept`",
                path.display()
            )
        })?;
    Ok(body.to_owned())
}

#[cfg(feature = "codegen")]
#[path = "build/operations.rs"]
mod operations;

#[cfg(feature = "codegen")]
#[path = "build/optional_fields.rs"]
mod optional_fields;

#[cfg(not(feature = "codegen"))]
mod codegen_or_not {
    pub fn generate() -> Result<String, String> {
        unreachable!("only called with the codegen feature")
    }
}

#[cfg(feature = "codegen")]
mod codegen_or_not {
    use progenitor::{GenerationSettings, Generator, InterfaceStyle, TagStyle, TypeImpl};
    use serde_yaml::Value;

    const SPEC: &str = "spec/enkash.yaml";
    /// State the generated `Client` carries for the hand-written hooks (tokens, retries, ...).
    const INNER_TYPE: &str = "crate::client::ClientState";

    /// Hand-written Rust types that stand in for shared spec schemas (why: README, "Generated code").
    const REPLACEMENTS: &[(&str, &str)] = &[
        ("Amount", "crate::money::Amount"),
        ("Quantity", "crate::money::Quantity"),
        ("Timestamp", "crate::time::Timestamp"),
        ("Secret", "crate::secret::Secret"),
        // Two documented shapes whose snake_case names collide in Rust: decoded by hand with aliases.
        ("OAuthTokenResponse", "crate::auth::TokenResponse"),
        // PATCH bodies: a field left out, sent as null, or set (typify's Option cannot send null).
        ("CustomerUpdateRequest", "crate::patch::CustomerUpdate"),
        ("InvoiceUpdateRequest", "crate::patch::InvoiceUpdate"),
        // ---- Vendor Payment ----
        // Bank-account blocks never show in Debug or Display output.
        ("InstituteBankAccount", "crate::secret::SecretObject"),
    ];
    /// Marks a schema whose values stay out of Debug and Display output: it becomes a masking type
    /// ([`SENSITIVE_TYPES`]). On a property it is allowed only inside a schema replaced by a
    /// hand-written type, which masks it itself.
    const SENSITIVE: &str = "x-sensitive";
    /// The kinds of [`SENSITIVE`]: the `type` the schema must have (`None`: any JSON value), and
    /// its Rust type with a pattern (checked on construction) and without.
    const SENSITIVE_TYPES: &[(&str, Option<&str>, &str, &str)] = &[
        (
            "account-number",
            Some("string"),
            "crate::secret::AccountNumber",
            "crate::secret::UncheckedAccountNumber",
        ),
        (
            "json",
            None,
            "crate::secret::JsonPayload",
            "crate::secret::JsonPayload",
        ),
    ];
    /// A property whose name holds this (lower case, without `_`) is an account number and must
    /// be marked [`SENSITIVE`].
    const ACCOUNT_NUMBER_NAME: &str = "accountnumber";
    /// Only these schemas may be `type: number`; they become exact decimals, never `f64`.
    const DECIMAL_SCHEMAS: &[&str] = &["Amount", "Quantity"];
    /// Marks an enumeration that only the client sends: it stays a closed, generated enum.
    /// Every other enumeration component is server-sent and becomes an open enum in `crate::enums`.
    const REQUEST_ONLY: &str = "x-request-only";
    /// The documented values of a server-sent enumeration: an open list (other values are valid).
    const OPEN_ENUM: &str = "x-extensible-enum";
    /// Marks a large object schema that optional fields hold behind a `Box`, so a record that
    /// leaves it out (and a list of records) does not carry its full size inline.
    const BOXED: &str = "x-boxed";

    pub fn generate() -> Result<String, String> {
        println!("cargo::rerun-if-changed={SPEC}");
        let text =
            std::fs::read_to_string(SPEC).map_err(|err| format!("cannot read {SPEC}: {err}"))?;
        let value: Value =
            serde_yaml::from_str(&text).map_err(|err| format!("{SPEC}: invalid YAML: {err}"))?;
        let problems = check_conventions(&value);
        if !problems.is_empty() {
            return Err(format!(
                "{SPEC} breaks the spec conventions:\n  {}",
                problems.join("\n  ")
            ));
        }
        let mut for_progenitor = value.clone();
        crate::operations::success_answers(&mut for_progenitor);
        crate::operations::optional_without_null(&mut for_progenitor);
        crate::operations::plain_references(&mut for_progenitor);
        // progenitor rejects multipart bodies: build/operations.rs sends them.
        crate::operations::strip_multipart(&mut for_progenitor);
        crate::operations::require_settling_fields(&mut for_progenitor).map_err(|problems| {
            format!(
                "{SPEC}: the settling fields cannot be required:\n  {}",
                problems.join("\n  ")
            )
        })?;
        let spec: openapiv3::OpenAPI = serde_path_to_error::deserialize(for_progenitor)
            .map_err(|err| format!("{SPEC}: at `{}`: {}", err.path(), err.inner()))?;

        let inner_type: proc_macro2::TokenStream = INNER_TYPE
            .parse()
            .map_err(|err| format!("build.rs: INNER_TYPE `{INNER_TYPE}`: {err}"))?;
        let mut settings = GenerationSettings::new();
        settings
            .with_interface(InterfaceStyle::Builder)
            .with_tag(TagStyle::Merged)
            .with_map_type("::std::collections::BTreeMap")
            .with_inner_type(inner_type);
        for (schema, rust_type) in REPLACEMENTS {
            settings.with_replacement(schema, rust_type, [TypeImpl::Display].into_iter());
        }
        for (schema, rust_type) in sensitive_replacements(&value) {
            settings.with_replacement(&schema, rust_type, [TypeImpl::Display].into_iter());
        }
        for name in open_enum_names(&value) {
            settings.with_replacement(
                &name,
                format!("crate::enums::{name}"),
                [TypeImpl::Display, TypeImpl::FromStr].into_iter(),
            );
        }

        let tokens = match generate_quietly(&settings, &spec) {
            Ok(Ok(tokens)) => tokens,
            Ok(Err(message)) => return Err(format!("{SPEC}: progenitor: {message}")),
            Err(message) => {
                // progenitor panics on a few spec shapes without saying where: find the
                // operations that cannot be generated on their own.
                let culprits = panicking_operations(&settings, &spec);
                return Err(format!(
                    "{SPEC}: progenitor panicked ({message}) generating {}",
                    if culprits.is_empty() {
                        "the components".to_owned()
                    } else {
                        culprits.join(", ")
                    }
                ));
            }
        };
        let mut file: syn::File = syn::parse2(tokens)
            .map_err(|err| format!("{SPEC}: progenitor produced unparsable code: {err}"))?;
        syn::visit_mut::VisitMut::visit_file_mut(
            &mut Tailor {
                boxed: boxed_names(&value),
            },
            &mut file,
        );
        crate::optional_fields::tailor(&mut file);
        let layer = crate::operations::generate(&value, &mut file).map_err(|problems| {
            format!(
                "{SPEC}: the client layer cannot be wired:\n  {}",
                problems.join("\n  ")
            )
        })?;
        file.items.extend(layer);
        Ok(format!(
            "// Generated from spec/enkash.yaml by build.rs with progenitor 0.15.1.\n\
             // Do not edit: change the spec and accept the snapshot (see README.md).\n\n{}",
            prettyplease::unparse(&file)
        ))
    }

    /// Runs progenitor with the panic message kept off stderr; a panic becomes `Err(message)`.
    fn generate_quietly(
        settings: &GenerationSettings,
        spec: &openapiv3::OpenAPI,
    ) -> Result<Result<proc_macro2::TokenStream, String>, String> {
        let previous = std::panic::take_hook();
        std::panic::set_hook(Box::new(|_| {}));
        let result = std::panic::catch_unwind(|| {
            Generator::new(settings)
                .generate_tokens(spec)
                .map_err(|err| err.to_string())
        });
        std::panic::set_hook(previous);
        result.map_err(|panic| {
            panic
                .downcast_ref::<String>()
                .cloned()
                .or_else(|| panic.downcast_ref::<&str>().map(|s| (*s).to_owned()))
                .unwrap_or_else(|| "no message".to_owned())
        })
    }

    /// `METHOD path` of each operation whose generation alone panics.
    fn panicking_operations(
        settings: &GenerationSettings,
        spec: &openapiv3::OpenAPI,
    ) -> Vec<String> {
        let mut culprits = Vec::new();
        for (path, item) in &spec.paths.paths {
            let Some(item) = item.as_item() else { continue };
            for (method, _) in item.iter() {
                let mut single = spec.clone();
                let mut only = item.clone();
                for (other, slot) in [
                    ("get", &mut only.get),
                    ("put", &mut only.put),
                    ("post", &mut only.post),
                    ("delete", &mut only.delete),
                    ("options", &mut only.options),
                    ("head", &mut only.head),
                    ("patch", &mut only.patch),
                    ("trace", &mut only.trace),
                ] {
                    if other != method {
                        *slot = None;
                    }
                }
                single.paths.paths = [(path.clone(), openapiv3::ReferenceOr::Item(only))]
                    .into_iter()
                    .collect();
                if generate_quietly(settings, &single).is_err() {
                    culprits.push(format!("paths.{path}.{method}"));
                }
            }
        }
        culprits
    }

    /// Changes to the generated types that progenitor has no setting for.
    struct Tailor {
        /// Schemas marked `x-boxed`.
        boxed: Vec<String>,
    }

    impl syn::visit_mut::VisitMut for Tailor {
        /// `Option<X>` becomes `Option<Box<X>>` for every boxed schema `X`, in the types and
        /// their builders alike.
        fn visit_type_path_mut(&mut self, path: &mut syn::TypePath) {
            syn::visit_mut::visit_type_path_mut(self, path);
            let Some(option) = path.path.segments.last_mut() else {
                return;
            };
            if option.ident != "Option" {
                return;
            }
            let syn::PathArguments::AngleBracketed(args) = &mut option.arguments else {
                return;
            };
            let Some(syn::GenericArgument::Type(inner)) = args.args.first_mut() else {
                return;
            };
            let boxed = matches!(&*inner, syn::Type::Path(held) if held
                .path
                .segments
                .last()
                .is_some_and(|last| self.boxed.iter().any(|name| last.ident == name)));
            if boxed {
                *inner = syn::parse_quote!(::std::boxed::Box<#inner>);
            }
        }

        /// progenitor adds an `api-version` header (the spec's `info.version`) to every request;
        /// EnKash does not document it. The statement that appends it is left out, and the header
        /// map it went into is made that much smaller (empty maps do not allocate).
        fn visit_block_mut(&mut self, block: &mut syn::Block) {
            syn::visit_mut::visit_block_mut(self, block);
            let before = block.stmts.len();
            block.stmts.retain(|stmt| !appends_api_version(stmt));
            let removed = before - block.stmts.len();
            if removed == 0 {
                return;
            }
            for stmt in &mut block.stmts {
                if let syn::Stmt::Local(local) = stmt
                    && let Some(init) = &mut local.init
                    && let syn::Expr::Call(call) = &mut *init.expr
                    && let syn::Expr::Path(func) = &*call.func
                    && func
                        .path
                        .segments
                        .last()
                        .is_some_and(|last| last.ident == "with_capacity")
                    && let Some(syn::Expr::Lit(capacity)) = call.args.first_mut()
                    && let syn::Lit::Int(int) = &capacity.lit
                    && let Ok(value) = int.base10_parse::<usize>()
                {
                    let smaller = value.saturating_sub(removed);
                    capacity.lit = syn::parse_quote!(#smaller);
                    if smaller == 0
                        && let syn::Pat::Ident(binding) = &mut local.pat
                    {
                        // Nothing is appended to it any more.
                        binding.mutability = None;
                    }
                }
            }
        }

        /// Every decoded list is read with `crate::de::vec`, which sizes it to its length.
        fn visit_item_struct_mut(&mut self, item: &mut syn::ItemStruct) {
            syn::visit_mut::visit_item_struct_mut(self, item);
            let decoded = item.attrs.iter().any(|attr| {
                attr.path().is_ident("derive")
                    && attr
                        .meta
                        .require_list()
                        .is_ok_and(|list| list.tokens.to_string().contains("Deserialize"))
            });
            if !decoded {
                return;
            }
            for field in &mut item.fields {
                let is_vec = matches!(&field.ty, syn::Type::Path(ty) if ty
                    .path
                    .segments
                    .last()
                    .is_some_and(|last| last.ident == "Vec"));
                if is_vec {
                    field
                        .attrs
                        .push(syn::parse_quote!(#[serde(deserialize_with = "crate::de::vec")]));
                }
            }
        }
    }

    /// `header_map.append(HeaderName::from_static("api-version"), ...);`
    fn appends_api_version(stmt: &syn::Stmt) -> bool {
        let syn::Stmt::Expr(syn::Expr::MethodCall(call), _) = stmt else {
            return false;
        };
        let Some(syn::Expr::Call(name)) = call.args.first() else {
            return false;
        };
        call.method == "append"
            && matches!(name.args.first(), Some(syn::Expr::Lit(syn::ExprLit {
                lit: syn::Lit::Str(text),
                ..
            })) if text.value() == "api-version")
    }

    /// Names of the object schemas marked `x-boxed: true`.
    fn boxed_names(spec: &Value) -> Vec<String> {
        component_schemas(spec)
            .filter(|(_, schema)| schema.get(BOXED) == Some(&Value::Bool(true)))
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    /// Names of the enumeration components that the server sends (an open list of values), sorted.
    pub fn open_enum_names(spec: &Value) -> Vec<String> {
        component_schemas(spec)
            .filter(|(_, schema)| schema.get(OPEN_ENUM).is_some())
            .map(|(name, _)| name.to_owned())
            .collect()
    }

    /// A closed `enum` is a request-only component (marked [`REQUEST_ONLY`]); an enumeration
    /// EnKash sends lists its documented values as [`OPEN_ENUM`], which other values pass.
    fn check_enums(spec: &Value, server_sent: &[String], problems: &mut Vec<String>) {
        for (name, schema) in component_schemas(spec) {
            let at = format!("#/components/schemas/{name}");
            let request_only = schema.get(REQUEST_ONLY) == Some(&Value::Bool(true));
            if request_only && schema.get(OPEN_ENUM).is_some() {
                problems.push(format!(
                    "{at}/{OPEN_ENUM}: a request-only enumeration is closed (`enum`)"
                ));
            }
            if schema.get("enum").is_some() && !request_only {
                problems.push(format!(
                    "{at}/enum: an enumeration is `{OPEN_ENUM}` (EnKash may send other values), \
                     or `enum` marked `{REQUEST_ONLY}: true`"
                ));
            }
            if request_only && server_sent.iter().any(|sent| sent == name) {
                problems.push(format!(
                    "{at}/{REQUEST_ONLY}: EnKash sends this schema (a response or webhook body \
                     reaches it)"
                ));
            }
        }
    }

    /// The masking type of each component marked [`SENSITIVE`].
    fn sensitive_replacements(spec: &Value) -> Vec<(String, &'static str)> {
        component_schemas(spec)
            .filter_map(|(name, schema)| {
                let kind = schema.get(SENSITIVE)?.as_str()?;
                let (_, _, checked, unchecked) =
                    SENSITIVE_TYPES.iter().find(|(known, ..)| *known == kind)?;
                let rust_type = if schema.get("pattern").is_some() {
                    checked
                } else {
                    unchecked
                };
                Some((name.to_owned(), *rust_type))
            })
            .collect()
    }

    /// Where [`SENSITIVE`] is misused, and every account-number property that is not marked.
    fn check_sensitive(spec: &Value, problems: &mut Vec<String>) {
        let marked: Vec<String> = sensitive_replacements(spec)
            .into_iter()
            .map(|(name, _)| format!("#/components/schemas/{name}"))
            .collect();
        for (name, schema) in component_schemas(spec) {
            let at = format!("#/components/schemas/{name}");
            if let Some(mark) = schema.get(SENSITIVE) {
                let fits = SENSITIVE_TYPES.iter().any(|(kind, schema_type, ..)| {
                    mark.as_str() == Some(kind)
                        && schema.get("type").and_then(Value::as_str) == *schema_type
                });
                if !fits {
                    problems.push(format!(
                        "{at}/{SENSITIVE}: `account-number` on a string schema, or `json` on a \
                         schema with no type"
                    ));
                }
            }
            let hand_written = REPLACEMENTS.iter().any(|(replaced, _)| *replaced == name);
            check_account_properties(schema, &at, hand_written, &marked, problems);
        }
    }

    /// Every property named like an account number, at any depth of `schema`, references a
    /// component marked [`SENSITIVE`], or is marked itself inside a hand-written type.
    fn check_account_properties(
        schema: &Value,
        at: &str,
        hand_written: bool,
        marked: &[String],
        problems: &mut Vec<String>,
    ) {
        let properties = schema.get("properties").and_then(Value::as_mapping);
        for (key, property) in properties.into_iter().flatten() {
            let key = key.as_str().unwrap_or("?");
            let here = format!("{at}/properties/{key}");
            let folded = key.replace('_', "").to_ascii_lowercase();
            if folded.contains(ACCOUNT_NUMBER_NAME) {
                let target = reference(property);
                let references_marked = target.is_some_and(|t| marked.iter().any(|m| m == t));
                let marked_here =
                    property.get(SENSITIVE).and_then(Value::as_str) == Some("account-number");
                if !(references_marked || hand_written && marked_here) {
                    problems.push(format!(
                        "{here}: an account number must reference a schema marked \
                         `{SENSITIVE}: account-number` (or be marked itself in a hand-written type)"
                    ));
                }
            } else if property.get(SENSITIVE).is_some() && !hand_written {
                problems.push(format!(
                    "{here}/{SENSITIVE}: only a component schema can be marked"
                ));
            }
            check_account_properties(property, &here, hand_written, marked, problems);
            if let Some(items) = property.get("items") {
                check_account_properties(
                    items,
                    &format!("{here}/items"),
                    hand_written,
                    marked,
                    problems,
                );
            }
        }
    }

    /// The `$ref` of a schema, bare or as the one member of its `allOf` (how a nullable or bounded
    /// reference is written).
    fn reference(schema: &Value) -> Option<&str> {
        schema.get("$ref").and_then(Value::as_str).or_else(|| {
            schema
                .get("allOf")
                .and_then(Value::as_sequence)
                .filter(|items| items.len() == 1)
                .and_then(|items| items[0].get("$ref"))
                .and_then(Value::as_str)
        })
    }

    /// Names of the component schemas EnKash sends: reachable from a response (of an operation, or
    /// `components.responses`) or from a webhook's body (`x-webhooks`), sorted.
    fn server_sent_schemas(spec: &Value) -> Vec<String> {
        let mut roots = Vec::new();
        let operations = ["paths", "x-webhooks"].into_iter().flat_map(|section| {
            spec.get(section)
                .and_then(Value::as_mapping)
                .into_iter()
                .flatten()
                .flat_map(|(_, item)| item.as_mapping().into_iter().flatten())
                .map(move |(_, op)| (section, op))
        });
        for (section, op) in operations {
            let sent = if section == "paths" {
                "responses"
            } else {
                "requestBody"
            };
            if let Some(part) = op.get(sent) {
                crate::operations::references(part, &mut roots);
            }
        }
        if let Some(responses) = spec.get("components").and_then(|c| c.get("responses")) {
            crate::operations::references(responses, &mut roots);
        }
        let schemas = spec.get("components").and_then(|c| c.get("schemas"));
        let mut reached: Vec<String> = Vec::new();
        while let Some(target) = roots.pop() {
            let Some(name) = target.strip_prefix("#/components/schemas/") else {
                if let Some(name) = target.strip_prefix("#/components/responses/")
                    && let Some(response) = spec
                        .get("components")
                        .and_then(|c| c.get("responses"))
                        .and_then(|r| r.get(name))
                {
                    crate::operations::references(response, &mut roots);
                }
                continue;
            };
            if reached.iter().any(|known| known == name) {
                continue;
            }
            reached.push(name.to_owned());
            if let Some(schema) = schemas.and_then(|s| s.get(name)) {
                crate::operations::references(schema, &mut roots);
            }
        }
        reached.sort();
        reached
    }

    /// Every optional property of a server-sent schema, at any depth, is `nullable: true` (EnKash's
    /// back end sends `null` for an absent field); a reference is written `{type, nullable: true,
    /// allOf: [$ref]}`. A property without a `type` (any JSON value) admits `null` already.
    fn check_server_nulls(spec: &Value, server_sent: &[String], problems: &mut Vec<String>) {
        let schemas = spec.get("components").and_then(|c| c.get("schemas"));
        for name in server_sent {
            if let Some(schema) = schemas.and_then(|s| s.get(name.as_str())) {
                check_nullable_properties(
                    spec,
                    schema,
                    &format!("#/components/schemas/{name}"),
                    problems,
                );
            }
        }
    }

    fn check_nullable_properties(
        spec: &Value,
        schema: &Value,
        at: &str,
        problems: &mut Vec<String>,
    ) {
        let required: Vec<&str> = schema
            .get("required")
            .and_then(Value::as_sequence)
            .into_iter()
            .flatten()
            .filter_map(Value::as_str)
            .collect();
        let properties = schema.get("properties").and_then(Value::as_mapping);
        for (key, property) in properties.into_iter().flatten() {
            let key = key.as_str().unwrap_or("?");
            let here = format!(
                "{at}/properties/{key_text}",
                key_text = key_text(&Value::from(key))
            );
            let nullable = property.get("nullable") == Some(&Value::Bool(true));
            let typed = property.get("type").is_some();
            // A reference to a schema without a `type` (any JSON value) admits `null` already.
            let any_value = property
                .get("$ref")
                .and_then(Value::as_str)
                .and_then(|target| target.strip_prefix("#/components/schemas/"))
                .and_then(|name| spec.get("components")?.get("schemas")?.get(name))
                .is_some_and(|target| target.get("type").is_none());
            if !required.contains(&key) && !nullable && !any_value {
                if property.get("$ref").is_some() {
                    problems.push(format!(
                        "{here}: an optional field EnKash sends may be null; write the reference \
                         as `{{type, nullable: true, allOf: [$ref]}}`"
                    ));
                } else if typed || property.get("allOf").is_some() {
                    problems.push(format!(
                        "{here}: an optional field EnKash sends may be null; mark it `nullable: true`"
                    ));
                }
            }
            if nullable && !typed {
                problems.push(format!("{here}: `nullable` needs a `type` beside it"));
            }
            if let Some(target) = reference(property).filter(|_| property.get("$ref").is_none()) {
                let declared = target
                    .strip_prefix("#/components/schemas/")
                    .and_then(|name| spec.get("components")?.get("schemas")?.get(name))
                    .and_then(|schema| schema.get("type"));
                if typed && declared.is_some() && declared != property.get("type") {
                    problems.push(format!("{here}/type: must be the `type` of {target}"));
                }
            }
            check_nullable_properties(spec, property, &here, problems);
            if let Some(items) = property.get("items") {
                check_nullable_properties(spec, items, &format!("{here}/items"), problems);
            }
        }
    }

    fn component_schemas(spec: &Value) -> impl Iterator<Item = (&str, &Value)> {
        spec.get("components")
            .and_then(|c| c.get("schemas"))
            .and_then(Value::as_mapping)
            .into_iter()
            .flatten()
            .filter_map(|(name, schema)| Some((name.as_str()?, schema)))
    }

    /// Checks the rules that keep the generated client safe on real traffic and progenitor from
    /// panicking; each problem names the spec path.
    fn check_conventions(spec: &Value) -> Vec<String> {
        let mut problems = Vec::new();
        walk(spec, &mut String::from("#"), &mut problems);
        check_sensitive(spec, &mut problems);
        let server_sent = server_sent_schemas(spec);
        check_server_nulls(spec, &server_sent, &mut problems);
        check_enums(spec, &server_sent, &mut problems);
        for (name, schema) in component_schemas(spec) {
            let Some(mark) = schema.get(BOXED) else {
                continue;
            };
            let at = format!("#/components/schemas/{name}/{BOXED}");
            if mark != &Value::Bool(true) {
                problems.push(format!("{at}: must be `true` (or left out)"));
            } else if schema.get("type").and_then(Value::as_str) != Some("object") {
                problems.push(format!("{at}: only an object schema can be boxed"));
            }
        }
        let paths = spec.get("paths").and_then(Value::as_mapping);
        for (path, item) in paths.into_iter().flatten() {
            let path = path.as_str().unwrap_or("?");
            for (method, op) in item.as_mapping().into_iter().flatten() {
                let method = method.as_str().unwrap_or("?");
                let at = format!("paths.{path}.{method}");
                if op.get("operationId").and_then(Value::as_str).is_none() {
                    problems.push(format!("{at}: operationId is missing"));
                }
                let responses = op.get("responses").and_then(Value::as_mapping);
                if responses.is_some_and(|r| r.contains_key("default")) {
                    problems.push(format!(
                        "{at}.responses.default: use 4XX/5XX with the shared error schema; \
                         a `default` response next to 200 panics progenitor"
                    ));
                }
                let body = op.get("requestBody").and_then(|b| b.get("content"));
                let media_types = body.and_then(Value::as_mapping).map_or(0, |m| m.len());
                if media_types > 1 {
                    problems.push(format!(
                        "{at}.requestBody: {media_types} media types; progenitor supports one"
                    ));
                }
                for (name, media) in body.and_then(Value::as_mapping).into_iter().flatten() {
                    let name = name.as_str().unwrap_or("?");
                    let here = format!("{at}.requestBody.content.{name}");
                    if media.get("encoding").is_some() {
                        problems.push(format!("{here}.encoding: unsupported by progenitor"));
                    }
                    if name == crate::operations::MULTIPART {
                        // Sent by the client layer, not progenitor: its parts must be files.
                        problems.extend(
                            crate::operations::multipart_parts(media, &here)
                                .err()
                                .into_iter()
                                .flatten(),
                        );
                    } else if !crate::operations::PROGENITOR_MEDIA.contains(&name) {
                        problems.push(format!(
                            "{here}: the client sends application/json, \
                             application/x-www-form-urlencoded or {}",
                            crate::operations::MULTIPART
                        ));
                    }
                }
            }
        }
        problems
    }

    /// Rules that hold anywhere in the document.
    fn walk(value: &Value, at: &mut String, problems: &mut Vec<String>) {
        match value {
            Value::Mapping(map) => {
                if map.get("additionalProperties") == Some(&Value::Bool(false)) {
                    problems.push(format!(
                        "{at}: `additionalProperties: false` rejects responses with new fields"
                    ));
                }
                if map.get("type").and_then(Value::as_str) == Some("number")
                    && !DECIMAL_SCHEMAS
                        .iter()
                        .any(|name| at == &format!("#/components/schemas/{name}"))
                    && !is_nullable_decimal_ref(map)
                {
                    problems.push(format!(
                        "{at}: inline `type: number` would become f64; reference Amount or Quantity"
                    ));
                }
                for (key, child) in map {
                    let len = at.len();
                    at.push('/');
                    at.push_str(&key_text(key));
                    walk(child, at, problems);
                    at.truncate(len);
                }
            }
            Value::Sequence(items) => {
                for (index, child) in items.iter().enumerate() {
                    let len = at.len();
                    at.push_str(&format!("/{index}"));
                    walk(child, at, problems);
                    at.truncate(len);
                }
            }
            _ => {}
        }
    }

    /// `{type: number, nullable: true, allOf: [$ref: Amount]}`: a nullable reference to a decimal
    /// schema. OpenAPI 3.0 cannot put `nullable` beside a bare `$ref` and redocly wants `type` beside
    /// `nullable`, so this is how a PATCH body spells "an Amount, or null to clear it".
    fn is_nullable_decimal_ref(map: &serde_yaml::Mapping) -> bool {
        let single_ref = map
            .get("allOf")
            .and_then(Value::as_sequence)
            .filter(|items| items.len() == 1)
            .and_then(|items| items[0].get("$ref"))
            .and_then(Value::as_str);
        map.get("nullable") == Some(&Value::Bool(true))
            && single_ref.is_some_and(|target| {
                DECIMAL_SCHEMAS
                    .iter()
                    .any(|name| target == format!("#/components/schemas/{name}"))
            })
    }

    fn key_text(key: &Value) -> String {
        match key {
            Value::String(s) => s.replace('~', "~0").replace('/', "~1"),
            other => serde_yaml::to_string(other)
                .unwrap_or_default()
                .trim()
                .to_owned(),
        }
    }
}
