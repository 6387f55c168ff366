//! What a successful call answered beside its payload: [`Response`] and [`ResponseMetadata`],
//! from each builder's `send_with_metadata()`. `send()` returns the payload alone.

use std::time::Duration;

use http::HeaderMap;

/// A successful call's payload with the facts of its answer.
///
/// Dereferences to the payload, so `response.utility_enkash_id` reads as it would on the
/// payload itself.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct Response<T> {
    /// What `send()` would have returned.
    pub payload: T,
    /// The answer's HTTP status, headers, request id, attempts and duration.
    pub metadata: ResponseMetadata,
}

impl<T> Response<T> {
    /// The payload, without the metadata.
    pub fn into_payload(self) -> T {
        self.payload
    }
}

impl<T> std::ops::Deref for Response<T> {
    type Target = T;
    fn deref(&self) -> &T {
        &self.payload
    }
}

/// The facts of a successful call's answer.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ResponseMetadata {
    /// The HTTP status of the answer (200 for a success).
    pub http_status: u16,
    /// The answer's headers, as EnKash sent them.
    pub headers: HeaderMap,
    /// EnKash's id of the request (`x-request-id`), when the answer carries one.
    pub request_id: Option<String>,
    /// Attempts the call took, the one that succeeded included (a retry or a renewed token adds
    /// one).
    pub attempts: u32,
    /// From the first poll of the call to its decoded answer: token, attempts, waits.
    pub duration: Duration,
}
