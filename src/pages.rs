//! Paging through a search: each search builder's `pages()` is a `Stream` of the items of every
//! page, asked for with the operation's `limit` and `offset` (where they are, query or body, and
//! the page size, come from the spec's `x-pages`) until a page comes back short.
//!
//! Each page is a call of its own through the one call pipeline (token, retries of a lookup,
//! deadline, envelope). The first error ends the stream after it is yielded.

use futures::{Stream, StreamExt as _, TryStreamExt as _};
use reqwest::Request;
use serde::de::DeserializeOwned;

use crate::answer::Envelope;
use crate::driver::Built;
use crate::error::{Error, ValidationError};
use crate::generated::Client;
use crate::operation::{OperationSpec, Paging};
use crate::secret::JsonPayload;
use crate::validate::Place;

/// What a search's payload holds: the items of one page.
pub trait PageItems {
    /// One item of a page.
    type Item;
    /// The page's items, or why the payload is no page.
    fn into_items(self) -> Result<Vec<Self::Item>, &'static str>;
}

impl<T> PageItems for Vec<T> {
    type Item = T;
    fn into_items(self) -> Result<Vec<T>, &'static str> {
        Ok(self)
    }
}

/// A payload EnKash does not publish, kept as raw JSON: a page is a JSON array of items.
impl PageItems for Option<JsonPayload> {
    type Item = JsonPayload;
    fn into_items(self) -> Result<Vec<JsonPayload>, &'static str> {
        match self.map(JsonPayload::into_value) {
            None | Some(serde_json::Value::Null) => Ok(Vec::new()),
            Some(serde_json::Value::Array(items)) => {
                Ok(items.into_iter().map(JsonPayload::new).collect())
            }
            Some(_) => Err("the search's payload is not a list, so it cannot be paged"),
        }
    }
}

/// Where the next page starts and how long pages are.
struct Cursor {
    first: Option<Request>,
    offset: u64,
    limit: u64,
    done: bool,
}

/// The items of every page of the search `built` asks for, from its own `offset` (0 if none)
/// with its own `limit` (the spec's page size if none).
pub(crate) fn pages<'a, T>(
    client: &'a Client,
    operation: &'static OperationSpec,
    built: Built,
) -> impl Stream<Item = Result<<T::Output as PageItems>::Item, Error>> + Send + 'a
where
    T: Envelope + DeserializeOwned + 'a,
    T::Output: PageItems + Send,
    <T::Output as PageItems>::Item: Send + 'a,
{
    let start = first_page(operation, built);
    futures::stream::try_unfold(start, move |cursor: Result<Cursor, Error>| async move {
        let mut cursor = cursor?;
        let paging = match operation.paging.as_ref() {
            Some(paging) if !cursor.done => paging,
            _ => return Ok::<_, Error>(None),
        };
        let request = page_request(operation, paging, cursor.first.as_ref(), &cursor)?;
        let payload = crate::answer::call::<T>(client, operation, Ok(request)).await?;
        let items = payload.into_items().map_err(|why| {
            Error::InvalidRequest(Box::new(ValidationError {
                operation: Some(operation.id),
                field: None,
                rule: why.into(),
            }))
        })?;
        let returned = items.len() as u64;
        cursor.done = returned < cursor.limit;
        cursor.offset += returned;
        Ok(Some((items, Ok(cursor))))
    })
    .map_ok(|items| futures::stream::iter(items.into_iter().map(Ok::<_, Error>)))
    .try_flatten()
    // After an error the unfold's state is gone: the stream ends.
    .fuse()
}

/// The cursor of the first page: the request as built, its offset and its page size.
fn first_page(operation: &'static OperationSpec, built: Built) -> Result<Cursor, Error> {
    let request = crate::driver::built_request(operation, built)?;
    let paging = operation.paging.as_ref();
    let read = |place: Option<&Place>| -> Option<u64> {
        match place? {
            Place::Query(name) => request
                .url()
                .query_pairs()
                .find(|(key, _)| key == name)
                .and_then(|(_, value)| value.parse().ok()),
            Place::Body(pointer) => body_json(&request)?.pointer(pointer)?.as_u64(),
        }
    };
    let offset = read(paging.map(|p| &p.offset)).unwrap_or(0);
    let limit = read(paging.map(|p| &p.limit))
        .or(paging.map(|p| u64::from(p.page_size)))
        .unwrap_or(1)
        .max(1);
    Ok(Cursor {
        first: Some(request),
        offset,
        limit,
        done: false,
    })
}

fn body_json(request: &Request) -> Option<serde_json::Value> {
    serde_json::from_slice(request.body()?.as_bytes()?).ok()
}

/// The first request with this page's `limit` and `offset`.
fn page_request(
    operation: &'static OperationSpec,
    paging: &Paging,
    first: Option<&Request>,
    cursor: &Cursor,
) -> Result<Request, Error> {
    let unpageable = |why: &str| {
        Error::InvalidRequest(Box::new(ValidationError {
            operation: Some(operation.id),
            field: None,
            rule: format!("cannot page: {why}"),
        }))
    };
    let first = first.ok_or_else(|| unpageable("no first request"))?;
    let mut request = first
        .try_clone()
        .ok_or_else(|| unpageable("the request body cannot be copied"))?;
    let mut body = None;
    for (place, value) in [(paging.limit, cursor.limit), (paging.offset, cursor.offset)] {
        match place {
            Place::Query(name) => {
                let pairs: Vec<(String, String)> = request
                    .url()
                    .query_pairs()
                    .filter(|(key, _)| key != name)
                    .map(|(key, value)| (key.into_owned(), value.into_owned()))
                    .collect();
                request
                    .url_mut()
                    .query_pairs_mut()
                    .clear()
                    .extend_pairs(pairs)
                    .append_pair(name, &value.to_string());
            }
            Place::Body(pointer) => {
                let json = body.get_or_insert_with(|| {
                    body_json(first).unwrap_or_else(|| serde_json::json!({}))
                });
                set_pointer(json, pointer, value)
                    .ok_or_else(|| unpageable("the body has no place for the paging field"))?;
            }
        }
    }
    if let Some(json) = body {
        let bytes = serde_json::to_vec(&json).map_err(|_| unpageable("the body is no JSON"))?;
        *request.body_mut() = Some(reqwest::Body::from(bytes));
    }
    Ok(request)
}

/// Sets the member `pointer` (`/limit`) of an object to `value`.
fn set_pointer(json: &mut serde_json::Value, pointer: &str, value: u64) -> Option<()> {
    let (parent, name) = pointer.rsplit_once('/')?;
    let object = json.pointer_mut(parent)?.as_object_mut()?;
    object.insert(name.replace("~1", "/").replace("~0", "~"), value.into());
    Some(())
}
