//! The three bulk file uploads (create customers, update customers, create invoices).
//!
//! EnKash documents these calls only as `multipart/form-data` with one optional part `file`,
//! and publishes neither the file format nor the payload's keys. The sandbox therefore reads no
//! rows: it answers a `BulkUploadEnvelope` saying whether a file arrived and that nothing was
//! parsed, created or updated. The payload's keys are the sandbox's own.

use axum::http::StatusCode;
use axum::http::header::{CONTENT_TYPE, HeaderMap};
use serde_json::json;

use super::super::ops::Answer;
use super::super::wire::{QueryParams, Reply};
use enkash::types;

/// Which bulk upload a call is.
#[derive(Clone, Copy, Debug)]
pub(crate) enum Upload {
    /// `POST /api/v0/customer/bulk`: needs `companyId`.
    CreateCustomers,
    /// `POST /api/v0/customer/bulk/update`: optional `parentCompanyId`.
    UpdateCustomers,
    /// `POST /api/v0/invoice/bulk/create`: optional `sellerId`.
    CreateInvoices,
}

/// Answers a bulk upload.
///
/// * 412: `companyId` missing (create customers).
/// * 400: `parentCompanyId` / `sellerId` not a `CompanyIdentifier`.
/// * 415: a body that is not `multipart/form-data` (an empty body is accepted: the spec models
///   these calls without one).
/// * 200: `{"fileReceived", "fileName"?, "fileBytes", "rowsParsed": 0, "rowsApplied": 0,
///   "message"}`.
pub(crate) fn upload(
    kind: Upload,
    query: &QueryParams,
    headers: &HeaderMap,
    body: &[u8],
) -> Answer {
    match kind {
        Upload::CreateCustomers => {
            query.required("companyId")?;
        }
        Upload::UpdateCustomers => {
            query.pattern::<types::CompanyIdentifier>("parentCompanyId")?;
        }
        Upload::CreateInvoices => {
            query.pattern::<types::CompanyIdentifier>("sellerId")?;
        }
    }
    let file = if body.is_empty() {
        None
    } else {
        let content_type = headers
            .get(CONTENT_TYPE)
            .and_then(|value| value.to_str().ok())
            .unwrap_or_default();
        let boundary = multipart_boundary(content_type).ok_or_else(|| {
            Reply::failed(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The body must be multipart/form-data",
            )
        })?;
        file_part(body, &boundary)
    };
    let (name, bytes) = match &file {
        Some((name, bytes)) => (name.clone(), *bytes),
        None => (None, 0),
    };
    let mut payload = json!({
        "fileReceived": file.is_some(),
        "fileBytes": bytes,
        "rowsParsed": 0,
        "rowsApplied": 0,
        "message": "The sandbox does not read bulk files (EnKash does not publish their format): \
                    nothing was parsed, created or updated",
    });
    if let (Some(name), Some(fields)) = (name, payload.as_object_mut()) {
        fields.insert("fileName".to_owned(), name.into());
    }
    Ok(Reply::ok(payload))
}

/// The boundary of a `multipart/form-data` content type.
fn multipart_boundary(content_type: &str) -> Option<String> {
    let mut parts = content_type.split(';').map(str::trim);
    if !parts.next()?.eq_ignore_ascii_case("multipart/form-data") {
        return None;
    }
    parts
        .filter_map(|part| part.split_once('='))
        .find(|(key, _)| key.trim().eq_ignore_ascii_case("boundary"))
        .map(|(_, value)| value.trim().trim_matches('"').to_owned())
        .filter(|boundary| !boundary.is_empty())
}

/// The part named `file`: its file name (if given) and its size in bytes.
fn file_part(body: &[u8], boundary: &str) -> Option<(Option<String>, usize)> {
    let text = String::from_utf8_lossy(body);
    let delimiter = format!("--{boundary}");
    text.split(delimiter.as_str()).find_map(|part| {
        let (head, content) = part.split_once("\r\n\r\n")?;
        let disposition = head.lines().find(|line| {
            line.to_ascii_lowercase()
                .starts_with("content-disposition:")
        })?;
        let params: Vec<(&str, &str)> = disposition
            .split(';')
            .filter_map(|param| param.split_once('='))
            .map(|(key, value)| (key.trim(), value.trim().trim_matches('"')))
            .collect();
        params
            .iter()
            .any(|(key, value)| *key == "name" && *value == "file")
            .then(|| {
                let name = params
                    .iter()
                    .find(|(key, _)| *key == "filename")
                    .map(|(_, value)| (*value).to_owned());
                let content = content.strip_suffix("\r\n").unwrap_or(content);
                (name, content.len())
            })
    })
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn finds_the_file_part() {
        let body = "--XyZ\r\nContent-Disposition: form-data; name=\"file\"; filename=\"c.csv\"\r\n\
                    Content-Type: text/csv\r\n\r\na,b\r\n1,2\r\n--XyZ--\r\n";
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=XyZ").as_deref(),
            Some("XyZ")
        );
        assert_eq!(
            file_part(body.as_bytes(), "XyZ"),
            Some((Some("c.csv".to_owned()), 8))
        );
        assert_eq!(multipart_boundary("application/json"), None);
        assert_eq!(file_part(b"garbage", "XyZ"), None);
    }
}
