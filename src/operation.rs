//! What the client must know about each operation: is it safe to repeat, does it move money,
//! which field identifies it for a later lookup. The spec says it (`x-call-kind`, `x-settle-by`);
//! `build.rs` writes the table ([`OPERATIONS`]).

/// How a call may be repeated.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
#[non_exhaustive]
pub enum CallKind {
    /// Reads only: retried after timeouts, lost connections, 429 and 5XX.
    Lookup,
    /// Changes state but moves no money (registering a consumer number): never resent after
    /// the request may have left.
    Write,
    /// Moves money: never resent after the request may have left; an unknown outcome is
    /// reported with what is needed to resolve it.
    MoneyMoving,
}

/// The request field that identifies a money-moving call for a later lookup (`x-settle-by` in
/// the spec), as a JSON pointer into the request body.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum LookupKey {
    /// None.
    None,
    /// A `referenceId`, looked up by itself; required, so an unknown outcome can always be
    /// resolved.
    ReferenceId(&'static str),
    /// The ids of the bills the call acts on (Confirm Debit), each looked up by its id.
    BillIds(&'static str),
    /// A caller-made id that the response webhook echoes (Vendor Payment: the payment's
    /// `objectId`, the financing request's `financingRequestId`).
    Echoed(&'static str),
}

/// How a call authenticates.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum Auth {
    /// HTTP Basic with the client id and secret (the token call).
    Basic,
    /// The bearer token (every other call).
    Bearer,
}

/// The error envelope an operation's failures come in: the schema its `4XX` response names in the
/// spec. The same envelope carries a failure at HTTP 200 (a non-zero `response_code`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub enum FailureBody {
    /// `ErrorEnvelope` (Bill Payment and the token call): code, message and payload.
    Plain,
    /// `ArErrorEnvelope` (Accounts Receivable): also `errorResponse`.
    Receivables,
    /// `VendorErrorEnvelope` (Vendor Payment): also `errorResponse`.
    Vendor,
}

/// One operation of the spec, as `build.rs` reads it (see `crate::operations`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct OperationSpec {
    /// The generated operation name (the spec's operationId in snake_case).
    pub id: &'static str,
    /// HTTP method, upper case.
    pub method: &'static str,
    /// Path template, e.g. `/api/v2/utilityPayment/{utilityEnkashId}`.
    pub path: &'static str,
    /// `x-call-kind`.
    pub kind: CallKind,
    /// `x-settle-by`.
    pub lookup_key: LookupKey,
    /// Basic or bearer.
    pub auth: Auth,
    /// The envelope its failures come in.
    pub failure_body: FailureBody,
    /// The bounds of its request values.
    pub bounds: &'static [crate::validate::Bound],
    /// How a search pages (`x-pages`), or `None` for an operation that does not.
    pub paging: Option<Paging>,
}

/// Where a search's page size and offset go, and the page size used when the request sets
/// none (`x-pages` in the spec).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
#[non_exhaustive]
pub struct Paging {
    /// The page size.
    pub limit: crate::validate::Place,
    /// The items to skip.
    pub offset: crate::validate::Place,
    /// The page size when the request gives none.
    pub page_size: u32,
}

impl OperationSpec {
    /// Every call but the token call carries the bearer token.
    pub fn needs_token(&self) -> bool {
        self.auth == Auth::Bearer
    }
}

/// Every operation of the spec, generated from it by `build.rs`.
pub use crate::generated::operations::ALL as OPERATIONS;

/// The kind of every operation, by generated operation name (for tests and documentation).
pub fn call_kinds() -> impl Iterator<Item = (&'static str, CallKind)> {
    OPERATIONS.iter().map(|spec| (spec.id, spec.kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn the_table_says_what_the_spec_declares() {
        use crate::generated::operations;
        assert_eq!(operations::CREATE_BILL.kind, CallKind::MoneyMoving);
        assert_eq!(
            operations::CREATE_BILL.lookup_key,
            LookupKey::ReferenceId("/referenceId")
        );
        assert!(!operations::OAUTH_TOKEN.needs_token());
        assert!(operations::GET_UTILITY_BILL_STATUS.needs_token());
    }
}
