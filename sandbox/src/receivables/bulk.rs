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
use super::super::state::ReceivedPart;
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
/// * 415: a body that is not `multipart/form-data` (an empty body is accepted as a form without
///   parts).
/// * 200: `{"fileReceived", "fileName"?, "fileContentType"?, "fileBytes", "rowsParsed": 0,
///   "rowsApplied": 0, "message"}`.
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
    let parts = if body.is_empty() {
        Vec::new()
    } else {
        form_parts(headers, body).ok_or_else(|| {
            Reply::failed(
                StatusCode::UNSUPPORTED_MEDIA_TYPE,
                "The body must be multipart/form-data",
            )
        })?
    };
    let file = parts.iter().find(|part| part.name == "file");
    let mut payload = json!({
        "fileReceived": file.is_some(),
        "fileBytes": file.map_or(0, |part| part.size),
        "rowsParsed": 0,
        "rowsApplied": 0,
        "message": "The sandbox does not read bulk files (EnKash does not publish their format): \
                    nothing was parsed, created or updated",
    });
    if let (Some(file), Some(fields)) = (file, payload.as_object_mut()) {
        if let Some(name) = &file.file_name {
            fields.insert("fileName".to_owned(), name.clone().into());
        }
        if let Some(content_type) = &file.content_type {
            fields.insert("fileContentType".to_owned(), content_type.clone().into());
        }
    }
    Ok(Reply::ok(payload))
}

/// The parts of a `multipart/form-data` body, or `None` when the request's content type is not
/// `multipart/form-data` with a boundary.
pub(crate) fn form_parts(headers: &HeaderMap, body: &[u8]) -> Option<Vec<ReceivedPart>> {
    let content_type = headers
        .get(CONTENT_TYPE)
        .and_then(|value| value.to_str().ok())
        .unwrap_or_default();
    let boundary = multipart_boundary(content_type)?;
    Some(parts(body, &boundary))
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

/// Every part of a multipart body delimited by `boundary`: its name, file name, content type and
/// size in bytes (the content is read as bytes, so a binary file is measured exactly). A part
/// with no `Content-Disposition` name is left out.
fn parts(body: &[u8], boundary: &str) -> Vec<ReceivedPart> {
    let delimiter = format!("--{boundary}").into_bytes();
    let next_delimiter = format!("\r\n--{boundary}").into_bytes();
    let mut found = Vec::new();
    let Some(first) = find(body, &delimiter) else {
        return found;
    };
    let mut rest = &body[first + delimiter.len()..];
    // After each delimiter: `--` ends the body, otherwise a line break and a part.
    while let Some(after) = rest.strip_prefix(b"\r\n") {
        let Some(head_end) = find(after, b"\r\n\r\n") else {
            break;
        };
        let head = String::from_utf8_lossy(&after[..head_end]);
        let content = &after[head_end + 4..];
        let Some(end) = find(content, &next_delimiter) else {
            break;
        };
        if let Some(part) = part_of(&head, end) {
            found.push(part);
        }
        rest = &content[end + next_delimiter.len()..];
    }
    found
}

/// A part from its header lines and its size.
fn part_of(head: &str, size: usize) -> Option<ReceivedPart> {
    let mut name = None;
    let mut file_name = None;
    let mut content_type = None;
    for line in head.lines() {
        let Some((header, value)) = line.split_once(':') else {
            continue;
        };
        if header.trim().eq_ignore_ascii_case("content-disposition") {
            for param in value.split(';').filter_map(|param| param.split_once('=')) {
                let value = param.1.trim().trim_matches('"').to_owned();
                match param.0.trim() {
                    "name" => name = Some(value),
                    "filename" => file_name = Some(value),
                    _ => {}
                }
            }
        } else if header.trim().eq_ignore_ascii_case("content-type") {
            content_type = Some(value.trim().to_owned());
        }
    }
    Some(ReceivedPart {
        name: name?,
        file_name,
        content_type,
        size,
    })
}

/// Where `needle` first occurs in `haystack`.
fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack
        .windows(needle.len())
        .position(|window| window == needle)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn reads_every_part_as_bytes() {
        let mut body = b"preamble\r\n--XyZ\r\nContent-Disposition: form-data; name=\"file\"; \
                         filename=\"c.csv\"\r\nContent-Type: text/csv\r\n\r\na,b\r\n1,2\r\n--XyZ\r\n\
                         Content-Disposition: form-data; name=\"raw\"\r\n\r\n"
            .to_vec();
        // Not UTF-8: measured as bytes.
        body.extend_from_slice(&[0xff, 0xfe, 0x00, 0x80]);
        body.extend_from_slice(b"\r\n--XyZ--\r\n");
        assert_eq!(
            multipart_boundary("multipart/form-data; boundary=\"XyZ\"").as_deref(),
            Some("XyZ")
        );
        assert_eq!(
            parts(&body, "XyZ"),
            [
                ReceivedPart {
                    name: "file".into(),
                    file_name: Some("c.csv".into()),
                    content_type: Some("text/csv".into()),
                    size: 8,
                },
                ReceivedPart {
                    name: "raw".into(),
                    file_name: None,
                    content_type: None,
                    size: 4,
                },
            ]
        );
        assert_eq!(multipart_boundary("application/json"), None);
        assert_eq!(parts(b"garbage", "XyZ"), []);
        assert_eq!(parts(b"--XyZ--\r\n", "XyZ"), []);
    }
}
