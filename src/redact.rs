//! Redaction: what an error, a log line or a webhook answer may show of a body, a message or a
//! decode failure.
//!
//! One path for every output of the crate:
//! * a body is read as JSON when it is JSON: the values under sensitive keys (passwords, secrets,
//!   tokens, account numbers) are masked at any depth, then it is written back and bounded
//!   ([`excerpt`]); any other text goes through a scanner that knows JSON strings with escaped
//!   quotes and `key=value` pairs;
//! * long digit runs (account, card and phone numbers) keep their last four digits;
//! * the configured secrets (password, client secret, current access token) are masked wherever
//!   an answer echoes them ([`scrub`]);
//! * a decode failure names the field path and the expected type, never the value
//!   ([`decode_json`], [`unreadable`]).

use serde::de::DeserializeOwned;
use serde_json::Value;

use crate::error::Error;
use crate::secret::REDACTED;

/// Longest excerpt of a body an error quotes, in characters.
pub(crate) const EXCERPT_LIMIT: usize = 256;

/// Bytes of a body that is not JSON that are masked before the excerpt is cut from them.
const TEXT_WINDOW: usize = EXCERPT_LIMIT * 4;

/// Digit runs at least this long are taken for account, card or phone numbers.
const LONG_DIGIT_RUN: usize = 9;

/// What a key says about its value.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Sensitivity {
    /// Shown (with long digit runs masked).
    Plain,
    /// Never shown.
    Secret,
    /// Shown by its last four characters.
    AccountNumber,
}

/// Key fragments (lower case, without `_` and `-`) whose values are never shown.
const SECRET_KEYS: &[&str] = &[
    "password",
    "passwd",
    "secret",
    "token",
    "authorization",
    "cvv",
];

/// Key fragments (as above) whose values are account numbers.
const ACCOUNT_KEYS: &[&str] = &["accountnumber", "accountno", "acctno"];

fn sensitivity(key: &str) -> Sensitivity {
    let folded: String = key
        .chars()
        .filter(|c| !matches!(c, '_' | '-'))
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if ACCOUNT_KEYS.iter().any(|k| folded.contains(k)) {
        Sensitivity::AccountNumber
    } else if SECRET_KEYS.iter().any(|k| folded.contains(k)) {
        Sensitivity::Secret
    } else {
        Sensitivity::Plain
    }
}

/// `value` masked to its last four characters: `50100234567890` -> `**********7890`.
pub(crate) fn last_four(value: &str) -> String {
    let count = value.chars().count();
    let hidden = count.saturating_sub(4);
    let mut out: String = "*".repeat(hidden);
    out.extend(value.chars().skip(hidden));
    out
}

/// The start of a body, at most [`EXCERPT_LIMIT`] characters, with sensitive values masked.
pub(crate) fn excerpt(body: &[u8]) -> String {
    match serde_json::from_slice::<Value>(body) {
        Ok(value) => bound(&json_text(value), false),
        Err(_) => {
            let window = String::from_utf8_lossy(&body[..body.len().min(TEXT_WINDOW)]);
            bound(&mask_text(&window), body.len() > TEXT_WINDOW)
        }
    }
}

/// A JSON document as text, with sensitive values masked (not bounded).
pub(crate) fn json_text(value: Value) -> String {
    mask_json(value).to_string()
}

/// A JSON document with sensitive values masked (as [`json_text`], kept as JSON).
pub(crate) fn masked_json(value: Value) -> Value {
    mask_json(value)
}

/// `text` cut to [`EXCERPT_LIMIT`] characters, with `...` when it was longer or `cut` already.
fn bound(text: &str, cut: bool) -> String {
    let mut chars = text.chars();
    let mut out: String = chars.by_ref().take(EXCERPT_LIMIT).collect();
    if cut || chars.next().is_some() {
        out.push_str("...");
    }
    out
}

/// `value` with the values of sensitive keys masked at any depth, and long digit runs and
/// embedded JSON masked in every other string.
fn mask_json(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| {
                    let value = match sensitivity(&key) {
                        Sensitivity::Plain => mask_json(value),
                        Sensitivity::Secret => hide(value),
                        Sensitivity::AccountNumber => account_numbers(value),
                    };
                    (key, value)
                })
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(mask_json).collect()),
        Value::String(text) => Value::String(mask_string(&text)),
        Value::Number(number) => mask_number(number),
        other => other,
    }
}

/// A secret key's value: `null` and booleans say nothing; anything else is replaced.
fn hide(value: Value) -> Value {
    match value {
        Value::Null | Value::Bool(_) => value,
        _ => Value::String(REDACTED.to_owned()),
    }
}

/// An account-number key's value: every string or number in it masked to its last four.
fn account_numbers(value: Value) -> Value {
    match value {
        Value::String(text) => Value::String(last_four(&text)),
        Value::Number(number) => Value::String(last_four(&number.to_string())),
        Value::Array(items) => Value::Array(items.into_iter().map(account_numbers).collect()),
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, account_numbers(value)))
                .collect(),
        ),
        other => other,
    }
}

/// A number whose digits form a long run (an account number sent as a number) keeps its last four.
fn mask_number(number: serde_json::Number) -> Value {
    let text = number.to_string();
    let masked = mask_digit_runs(&text);
    if masked == text {
        Value::Number(number)
    } else {
        Value::String(masked)
    }
}

/// A string value: JSON inside it is masked as JSON, any other text by [`mask_text`].
fn mask_string(text: &str) -> String {
    let trimmed = text.trim_start();
    if trimmed.starts_with(['{', '['])
        && let Ok(inner) = serde_json::from_str::<Value>(text)
    {
        return mask_json(inner).to_string();
    }
    mask_text(text)
}

/// Text that is not JSON (or JSON cut short): the values of sensitive keys in `"key":"value"`,
/// `"key":value`, `key=value` and `key: value` are masked, then long digit runs.
pub(crate) fn mask_text(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut rest = text;
    // The sensitivity of the last key, until its value has been read.
    let mut pending = Sensitivity::Plain;
    while let Some(c) = rest.chars().next() {
        if c == '"' {
            let (token, after) = quoted(rest);
            if after.trim_start().starts_with(':') {
                out.push_str(token);
                pending = sensitivity(token.trim_matches('"'));
            } else {
                push_value(&mut out, token, pending);
                pending = Sensitivity::Plain;
            }
            rest = after;
        } else if pending != Sensitivity::Plain && !matches!(c, ':' | '=' | ' ' | '\t') {
            // An unquoted value (`"token":abc`, `password=abc`): up to the next delimiter.
            let end = rest.find(is_delimiter).unwrap_or(rest.len());
            let (value, after) = rest.split_at(end);
            if value.is_empty() {
                out.push(c);
                rest = &rest[c.len_utf8()..];
            } else {
                push_value(&mut out, value, pending);
                rest = after;
            }
            pending = Sensitivity::Plain;
        } else if c.is_alphanumeric() || c == '_' {
            let end = rest
                .find(|c: char| !(c.is_alphanumeric() || matches!(c, '_' | '-' | '.')))
                .unwrap_or(rest.len());
            let (word, after) = rest.split_at(end);
            out.push_str(word);
            if after.trim_start_matches(' ').starts_with(['=', ':']) {
                pending = sensitivity(word);
            }
            rest = after;
        } else {
            out.push(c);
            rest = &rest[c.len_utf8()..];
        }
    }
    mask_digit_runs(&out)
}

fn is_delimiter(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '&' | ';' | '}' | ']' | '"' | '\'')
}

/// The JSON string at the start of `text` (quotes included, escapes respected; to the end of
/// `text` when it is cut short), and what follows it.
fn quoted(text: &str) -> (&str, &str) {
    let mut escaped = false;
    for (at, c) in text.char_indices().skip(1) {
        match c {
            _ if escaped => escaped = false,
            '\\' => escaped = true,
            '"' => return text.split_at(at + 1),
            _ => {}
        }
    }
    (text, "")
}

/// Writes a value as its key's sensitivity allows, keeping its quotes.
fn push_value(out: &mut String, value: &str, sensitivity: Sensitivity) {
    let open = value.starts_with('"');
    let close = open && value.len() > 1 && value.ends_with('"');
    let inner = &value[usize::from(open)..value.len() - usize::from(close)];
    let quote = |out: &mut String, yes: bool| {
        if yes {
            out.push('"');
        }
    };
    quote(out, open);
    match sensitivity {
        Sensitivity::Plain => out.push_str(inner),
        Sensitivity::Secret => out.push_str(REDACTED),
        Sensitivity::AccountNumber => out.push_str(&last_four(inner)),
    }
    quote(out, close);
}

/// Runs of [`LONG_DIGIT_RUN`] or more digits keep their last four: account, card and phone
/// numbers more often than amounts.
fn mask_digit_runs(text: &str) -> String {
    let mut out = String::with_capacity(text.len());
    let mut run_start = None;
    for (at, c) in text.char_indices() {
        if c.is_ascii_digit() {
            run_start.get_or_insert(at);
            continue;
        }
        if let Some(start) = run_start.take() {
            push_run(&mut out, &text[start..at]);
        }
        out.push(c);
    }
    if let Some(start) = run_start {
        push_run(&mut out, &text[start..]);
    }
    out
}

fn push_run(out: &mut String, run: &str) {
    if run.len() >= LONG_DIGIT_RUN {
        out.push_str(&last_four(run));
    } else {
        out.push_str(run);
    }
}

/// Why a JSON document does not decode as a type: where, and what was expected there, never the
/// value found.
#[derive(Debug)]
pub(crate) struct JsonFailure {
    /// Where in the document, for a value that does not fit (not for a syntax error).
    path: Option<serde_path_to_error::Path>,
    error: serde_json::Error,
}

/// Decodes `bytes` as a `T`, keeping the path of a value that does not fit.
pub(crate) fn decode_json<T: DeserializeOwned>(bytes: &[u8]) -> Result<T, JsonFailure> {
    let mut decoder = serde_json::Deserializer::from_slice(bytes);
    let value = serde_path_to_error::deserialize(&mut decoder).map_err(|err| {
        let path = err.path().clone();
        let error = err.into_inner();
        JsonFailure {
            path: error.is_data().then_some(path),
            error,
        }
    })?;
    decoder
        .end()
        .map_err(|error| JsonFailure { path: None, error })?;
    Ok(value)
}

/// The path as the document has it: without the keys serde_json uses to hand a number's text to
/// the amount types, which the path tracker records as if they were fields.
fn json_path(path: &serde_path_to_error::Path) -> String {
    path.to_string()
        .split('.')
        .filter(|segment| !segment.starts_with("$serde_json::private::"))
        .collect::<Vec<_>>()
        .join(".")
}

impl JsonFailure {
    /// `empty body`, `truncated JSON at line 1 column 9`, `not valid JSON: ...`, or for a value
    /// that does not fit `at payload.billAmount: invalid type: string, expected a decimal number`.
    pub(crate) fn reason(&self, body: &[u8]) -> String {
        use serde_json::error::Category;
        let error = &self.error;
        let message = error.to_string();
        let message = message
            .strip_suffix(&format!(
                " at line {} column {}",
                error.line(),
                error.column()
            ))
            .unwrap_or(&message);
        match error.classify() {
            Category::Eof if body.iter().all(u8::is_ascii_whitespace) => "empty body".to_owned(),
            Category::Eof => format!(
                "truncated JSON at line {} column {}",
                error.line(),
                error.column()
            ),
            Category::Syntax | Category::Io => format!(
                "not valid JSON: {} at line {} column {}",
                hide_quoted(message),
                error.line(),
                error.column()
            ),
            Category::Data => match self.path.as_ref().filter(|p| p.iter().next().is_some()) {
                Some(path) => format!("at {}: {}", json_path(path), without_values(message)),
                None => without_values(message),
            },
        }
    }

    /// `body` with the value at the failing path masked too (whole, when the path cannot be
    /// followed), for [`excerpt`] to mask and bound. A body that is not JSON is returned as is.
    pub(crate) fn masked_body(&self, body: &[u8]) -> Vec<u8> {
        let Ok(mut document) = serde_json::from_slice::<Value>(body) else {
            return body.to_vec();
        };
        let message = self.error.to_string();
        let names_a_key = ["missing field", "unknown field", "duplicate field"]
            .iter()
            .any(|start| message.starts_with(start));
        if !(names_a_key && self.path.is_some()) {
            let hidden = self.path.as_ref().is_some_and(|path| {
                follow(&mut document, path)
                    .map(|value| *value = hide(value.take()))
                    .is_some()
            });
            if !hidden {
                document = hide_leaves(document);
            }
        }
        document.to_string().into_bytes()
    }
}

/// The value at `path`, when every segment can be followed.
fn follow<'a>(document: &'a mut Value, path: &serde_path_to_error::Path) -> Option<&'a mut Value> {
    use serde_path_to_error::Segment;
    path.iter()
        .try_fold(document, |value, segment| match segment {
            // The keys serde_json hands a number's text under (see `json_path`) are no fields.
            Segment::Map { key } if key.starts_with("$serde_json::private::") => Some(value),
            Segment::Map { key } => value.get_mut(key),
            Segment::Seq { index } => value.get_mut(index),
            Segment::Enum { .. } => Some(value),
            Segment::Unknown => None,
        })
}

/// The document's shape with every scalar hidden.
fn hide_leaves(value: Value) -> Value {
    match value {
        Value::Object(map) => Value::Object(
            map.into_iter()
                .map(|(key, value)| (key, hide_leaves(value)))
                .collect(),
        ),
        Value::Array(items) => Value::Array(items.into_iter().map(hide_leaves).collect()),
        other => hide(other),
    }
}

/// The reason and the body to quote for an answer that did not decode as `T` (`err` is the
/// decoder's own error): see [`JsonFailure::reason`] and [`JsonFailure::masked_body`].
pub(crate) fn unreadable<T: DeserializeOwned>(
    body: &[u8],
    err: serde_json::Error,
) -> (String, Vec<u8>) {
    let failure = decode_json::<T>(body).err().unwrap_or(JsonFailure {
        // Decoded this time: describe the decoder's own error, and hide every value.
        path: None,
        error: err,
    });
    (failure.reason(body), failure.masked_body(body))
}

/// A serde message without the value it quotes. serde's own messages keep the kind of what was
/// found and what was expected (`invalid type: string "x", expected u32` ->
/// `invalid type: string, expected u32`); a message of any other form loses its quoted runs.
fn without_values(message: &str) -> String {
    for start in ["invalid type: ", "invalid value: "] {
        if let Some((found, expected)) = message
            .strip_prefix(start)
            .and_then(|rest| rest.rsplit_once(", expected "))
        {
            // `string "x"`, `integer `5``, `boolean `true``, or a bare kind (`map`, `null`).
            let kind = found
                .split(['"', '`'])
                .next()
                .unwrap_or_default()
                .trim_end();
            return format!("{start}{kind}, expected {expected}");
        }
    }
    if let Some(rest) = message.strip_prefix("unknown variant `") {
        let expected = rest
            .rfind("`, expected ")
            .or_else(|| rest.rfind("`, there are no variants"));
        if let Some(at) = expected {
            return format!("unknown variant{}", &rest[at + 1..]);
        }
    }
    let names_the_schema = [
        "missing field `",
        "unknown field `",
        "duplicate field `",
        "invalid length ",
    ];
    if names_the_schema
        .iter()
        .any(|start| message.starts_with(start))
    {
        return message.to_owned();
    }
    hide_quoted(message)
}

/// Every `"..."` and `` `...` `` run of `message` replaced by `"…"` and `` `…` ``.
fn hide_quoted(message: &str) -> String {
    let mut out = String::with_capacity(message.len());
    let mut open: Option<char> = None;
    let mut escaped = false;
    for c in message.chars() {
        match open {
            Some(_) if escaped => escaped = false,
            Some('"') if c == '\\' => escaped = true,
            Some(quote) if c == quote => {
                out.push('…');
                out.push(quote);
                open = None;
            }
            Some(_) => {}
            None if matches!(c, '"' | '`') => {
                out.push(c);
                open = Some(c);
            }
            None => out.push(c),
        }
    }
    if open.is_some() {
        out.push('…');
    }
    mask_digit_runs(&out)
}

/// `err` with every configured secret (`known`) it quotes masked, and the messages EnKash wrote
/// masked as text.
pub(crate) fn scrub(err: Error, known: &[&str]) -> Error {
    let mask = |text: &mut String| *text = mask_known(text, known);
    let mask_message = |text: &mut String| *text = mask_known(&mask_text(text), known);
    match err {
        Error::Api(mut api) => {
            if let Some(message) = api.message.as_mut() {
                mask_message(message);
            }
            if let Some(payload) = api.payload.as_mut() {
                mask(payload);
            }
            if let Some(detail) = api.error_response.as_deref_mut() {
                mask_known_json(detail, known);
            }
            Error::Api(api)
        }
        Error::Token(mut token) => {
            mask_message(&mut token.message);
            Error::Token(token)
        }
        Error::Decode(mut decode) => {
            mask(&mut decode.reason);
            mask(&mut decode.excerpt);
            if let Some(raw) = decode.raw_payload.take() {
                let mut value = raw.into_value();
                mask_known_json(&mut value, known);
                decode.raw_payload = Some(Box::new(crate::secret::JsonPayload::new(value)));
            }
            Error::Decode(decode)
        }
        other => other,
    }
}

/// [`scrub`] with the secrets of the client that made the call (when known): its password, its
/// client secret and its current access token.
pub(crate) fn scrub_for(err: Error, client: Option<&crate::client::ClientState>) -> Error {
    let Some(client) = client else {
        return scrub(err, &[]);
    };
    let credentials = &client.config().credentials;
    let token = client.tokens().current();
    let mut known = vec![
        credentials.password.expose(),
        credentials.client_secret.expose(),
    ];
    known.extend(token.as_ref().map(|token| token.expose()));
    scrub(err, &known)
}

/// Every string in `value` (keys aside) with the known secrets it quotes masked.
fn mask_known_json(value: &mut Value, known: &[&str]) {
    match value {
        Value::String(text) => *text = mask_known(text, known),
        Value::Array(items) => items
            .iter_mut()
            .for_each(|item| mask_known_json(item, known)),
        Value::Object(map) => map
            .values_mut()
            .for_each(|item| mask_known_json(item, known)),
        _ => {}
    }
}

/// Shortest start of a secret that is masked where an excerpt was cut in the middle of it.
const CUT_SECRET_PREFIX: usize = 3;

/// `text` with every occurrence of a known secret (as written, or escaped in a JSON string)
/// masked, and the start of one where `text` was cut after it (`...`).
pub(crate) fn mask_known(text: &str, known: &[&str]) -> String {
    let mut out = text.to_owned();
    for secret in known.iter().filter(|secret| !secret.is_empty()) {
        let escaped = Value::from(*secret).to_string();
        let escaped = &escaped[1..escaped.len() - 1];
        for form in [*secret, escaped] {
            if out.contains(form) {
                out = out.replace(form, REDACTED);
            }
        }
        if let Some(body) = out.strip_suffix("...") {
            let cut = (CUT_SECRET_PREFIX..secret.len())
                .rev()
                .filter(|&len| secret.is_char_boundary(len))
                .find(|&len| body.ends_with(&secret[..len]));
            if let Some(len) = cut {
                out = format!("{}{REDACTED}...", &body[..body.len() - len]);
            }
        }
    }
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn json_is_read_as_json_at_any_depth() {
        let table: [(&str, &str); 5] = [
            (
                r#"{"payload":{"password":"ab\"cd","token":"xyz"}}"#,
                r#"{"payload":{"password":"** redacted **","token":"** redacted **"}}"#,
            ),
            (
                r#"{"access_token":"tok-abc","accountNumber":"123456789012","note":"ok"}"#,
                r#"{"access_token":"** redacted **","accountNumber":"********9012","note":"ok"}"#,
            ),
            (
                r#"[{"customers":[{"account_number":50100234567890,"name":"A"}]},{"clientSecret":{"k":"v"}}]"#,
                r#"[{"customers":[{"account_number":"**********7890","name":"A"}]},{"clientSecret":"** redacted **"}]"#,
            ),
            (
                r#"{"payload":"{\"token\":\"abc\",\"mobile\":\"9876543210\"}","password":null}"#,
                r#"{"password":null,"payload":"{\"mobile\":\"******3210\",\"token\":\"** redacted **\"}"}"#,
            ),
            (
                r#"{"message":"card 4111111111111111 refused","amount":2450.75}"#,
                r#"{"amount":2450.75,"message":"card ************1111 refused"}"#,
            ),
        ];
        for (body, expected) in table {
            assert_eq!(excerpt(body.as_bytes()), expected, "{body}");
        }
    }

    #[test]
    fn text_that_is_not_json_is_masked_by_key_and_digit_runs() {
        let table: [(&str, &str); 5] = [
            (
                r#"{"password":"ab\"cd","token":"xyz","note":"acct 123456789012"#,
                r#"{"password":"** redacted **","token":"** redacted **","note":"acct ********9012"#,
            ),
            (
                "password=hunter2&accountNumber=50100234567890&ok=1",
                "password=** redacted **&accountNumber=**********7890&ok=1",
            ),
            (
                "upstream said: Invalid token: abc.def-123 (request 42)",
                "upstream said: Invalid token: ** redacted ** (request 42)",
            ),
            ("acct 123456789012 paid", "acct ********9012 paid"),
            ("secret: -abc+def, next", "secret: ** redacted **, next"),
        ];
        for (body, expected) in table {
            assert_eq!(excerpt(body.as_bytes()), expected, "{body}");
        }
    }

    #[test]
    fn excerpts_are_bounded() {
        let html = format!("<html>{}</html>", "x".repeat(10_000));
        let short = excerpt(html.as_bytes());
        assert_eq!(short, format!("<html>{}...", "x".repeat(EXCERPT_LIMIT - 6)));
        let long_json = format!(r#"{{"note":"{}"}}"#, "y".repeat(1000));
        let short = excerpt(long_json.as_bytes());
        assert_eq!(
            short,
            format!(r#"{{"note":"{}..."#, "y".repeat(EXCERPT_LIMIT - 9))
        );
    }

    #[test]
    fn configured_secrets_are_masked_wherever_they_are_echoed() {
        let known = ["hunter2", "tok-\"1", "cs-secret"];
        let table: [(&str, &str); 4] = [
            (
                "Bad credentials hunter2 for ops@example.com",
                "Bad credentials ** redacted ** for ops@example.com",
            ),
            (
                r#"{"echo":"tok-\"1","note":"cs-secretcs-secret"}"#,
                r#"{"echo":"** redacted **","note":"** redacted **** redacted **"}"#,
            ),
            (
                "cut in the middle: hunt...",
                "cut in the middle: ** redacted **...",
            ),
            ("nothing to hide: hu...", "nothing to hide: hu..."),
        ];
        for (text, expected) in table {
            assert_eq!(mask_known(text, &known), expected, "{text}");
        }
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    struct Answer {
        payload: Bill,
    }

    #[derive(Debug, serde::Deserialize)]
    #[allow(dead_code)]
    #[serde(rename_all = "camelCase")]
    struct Bill {
        bill_amount: Option<crate::Amount>,
        paid_at: Option<crate::Timestamp>,
        name: Option<String>,
        lines: Option<Vec<u32>>,
        kind: Option<Kind>,
    }

    #[derive(Debug, serde::Deserialize)]
    enum Kind {
        Electricity,
    }

    #[test]
    fn decode_failures_name_the_path_and_the_expected_type_never_the_value() {
        let table: [(&str, &str, &str); 8] = [
            (
                r#"{"payload":{"billAmount":"lots","name":"A"}}"#,
                "at payload.billAmount: invalid value: string, expected a decimal number or a string holding one",
                r#"{"payload":{"billAmount":"** redacted **","name":"A"}}"#,
            ),
            (
                r#"{"payload":{"paidAt":"50200012345678"}}"#,
                "at payload.paidAt: invalid value: string, expected a date-time such as 2025-06-02T14:24:14.670Z or 2025-05-12T14:30:25",
                r#"{"payload":{"paidAt":"** redacted **"}}"#,
            ),
            (
                r#"{"payload":{"name":50200012345678}}"#,
                "at payload.name: invalid type: integer, expected a string",
                r#"{"payload":{"name":"** redacted **"}}"#,
            ),
            (
                r#"{"payload":{"lines":[1,"two \"quoted\", expected"]}}"#,
                "at payload.lines[1]: invalid type: string, expected u32",
                r#"{"payload":{"lines":[1,"** redacted **"]}}"#,
            ),
            (
                r#"{"payload":{"kind":"Gas-50200012345678"}}"#,
                "at payload.kind: unknown variant, expected `Electricity`",
                r#"{"payload":{"kind":"** redacted **"}}"#,
            ),
            (
                r#"{"other":"x"}"#,
                "missing field `payload`",
                r#"{"other":"x"}"#,
            ),
            (
                r#"{"payload":{"name":"A"}"#,
                "truncated JSON at line 1 column 23",
                r#"{"payload":{"name":"A"}"#,
            ),
            (
                "<html>50200012345678</html>",
                "not valid JSON: expected value at line 1 column 1",
                "<html>**********5678</html>",
            ),
        ];
        for (body, reason, quoted) in table {
            let failure = decode_json::<Answer>(body.as_bytes()).unwrap_err();
            assert_eq!(failure.reason(body.as_bytes()), reason, "{body}");
            assert_eq!(
                excerpt(&failure.masked_body(body.as_bytes())),
                quoted,
                "{body}"
            );
        }
        assert_eq!(
            decode_json::<Answer>(b"  ").unwrap_err().reason(b"  "),
            "empty body"
        );
    }

    #[test]
    fn messages_of_other_forms_lose_their_quoted_runs() {
        assert_eq!(
            without_values(r#"`lots` is not a "decimal" number 50200012345678"#),
            r#"`…` is not a "…" number **********5678"#
        );
        assert_eq!(hide_quoted(r#"s "a\"b" t `u"#), r#"s "…" t `…"#);
    }
}
