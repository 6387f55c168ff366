//! What the client must know about each operation: is it safe to repeat, does it move money,
//! which field identifies it for a later lookup.

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

/// The request field that identifies a money-moving call for a later lookup.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum LookupKey {
    /// None.
    None,
    /// `referenceId`; required, so an unknown outcome can always be resolved.
    ReferenceId,
    /// `utilityPaymentIds` (Confirm Debit): each bill is looked up by its id.
    UtilityPaymentIds,
    /// The caller-made id at this JSON pointer, which the response webhook echoes (Vendor
    /// Payment: the payment's `objectId`, the financing request's `financingRequestId`).
    Echoed(&'static str),
}

/// One operation of the spec.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) struct OperationSpec {
    /// The generated operation id (snake_case).
    pub id: &'static str,
    pub kind: CallKind,
    pub lookup_key: LookupKey,
}

impl OperationSpec {
    /// Every call but the token call carries the bearer token.
    pub fn needs_token(&self) -> bool {
        self.id != TOKEN_OPERATION
    }
}

/// The token call's operation id.
pub(crate) const TOKEN_OPERATION: &str = "oauth_token";

const fn spec(id: &'static str, kind: CallKind, lookup_key: LookupKey) -> OperationSpec {
    OperationSpec {
        id,
        kind,
        lookup_key,
    }
}

/// Every operation in the spec. `tests/operations.rs` checks this list against the spec.
pub(crate) const OPERATIONS: &[OperationSpec] = &[
    spec(TOKEN_OPERATION, CallKind::Lookup, LookupKey::None),
    spec("fetch_or_add_bill_v0", CallKind::Write, LookupKey::None),
    spec("fetch_current_bill", CallKind::Lookup, LookupKey::None),
    spec("create_bill", CallKind::MoneyMoving, LookupKey::ReferenceId),
    spec(
        "create_bill_without_fetch_v0",
        CallKind::MoneyMoving,
        LookupKey::ReferenceId,
    ),
    spec(
        "create_bill_without_fetch",
        CallKind::MoneyMoving,
        LookupKey::ReferenceId,
    ),
    spec(
        "confirm_debit",
        CallKind::MoneyMoving,
        LookupKey::UtilityPaymentIds,
    ),
    spec(
        "get_utility_bill_status_v0",
        CallKind::Lookup,
        LookupKey::None,
    ),
    spec("get_utility_bill_status", CallKind::Lookup, LookupKey::None),
    spec(
        "get_utility_bill_by_reference_id_v0",
        CallKind::Lookup,
        LookupKey::None,
    ),
    spec(
        "get_utility_bill_by_reference_id",
        CallKind::Lookup,
        LookupKey::None,
    ),
    spec("search_utility_bills", CallKind::Lookup, LookupKey::None),
    // Accounts Receivable: records and notifications, no money leaves an account.
    spec("create_customer", CallKind::Write, LookupKey::None),
    spec("search_customer", CallKind::Lookup, LookupKey::None),
    spec("activate_customer", CallKind::Write, LookupKey::None),
    spec("create_bulk_customer", CallKind::Write, LookupKey::None),
    spec("bulk_update_customers", CallKind::Write, LookupKey::None),
    spec(
        "delete_customer_by_customer_id",
        CallKind::Write,
        LookupKey::None,
    ),
    spec("update_customer", CallKind::Write, LookupKey::None),
    spec("create_invoice", CallKind::Write, LookupKey::None),
    spec("get_invoice", CallKind::Lookup, LookupKey::None),
    spec("update_invoice", CallKind::Write, LookupKey::None),
    spec(
        "search_collection_invoices",
        CallKind::Lookup,
        LookupKey::None,
    ),
    spec("invoice_bulk_upload", CallKind::Write, LookupKey::None),
    spec(
        "dispatch_invoice_collection",
        CallKind::Write,
        LookupKey::None,
    ),
    spec("confirm_invoice_payment", CallKind::Write, LookupKey::None),
    // Vendor Payment
    // Every call is a message to the Bharat Connect network, answered by webhook: none is a lookup.
    // No status enquiry is documented, so the money-moving ones have no lookup key; their outcome
    // is settled from the response webhooks (Payment Response, Share Bid Request).
    spec("initiate_entity_check", CallKind::Write, LookupKey::None),
    spec("register_entity", CallKind::Write, LookupKey::None),
    spec("register_b2b_id", CallKind::Write, LookupKey::None),
    spec("confirm_invoice", CallKind::Write, LookupKey::None),
    spec("change_invoice_status", CallKind::Write, LookupKey::None),
    spec(
        "pay_invoice",
        CallKind::MoneyMoving,
        LookupKey::Echoed("/payment/objectId"),
    ),
    spec("send_purchase_order", CallKind::Write, LookupKey::None),
    spec("confirm_purchase_order", CallKind::Write, LookupKey::None),
    spec(
        "change_purchase_order_status",
        CallKind::Write,
        LookupKey::None,
    ),
    spec("send_cd_note", CallKind::Write, LookupKey::None),
    spec("confirm_cd_note", CallKind::Write, LookupKey::None),
    spec(
        "request_financing",
        CallKind::MoneyMoving,
        LookupKey::Echoed("/financeRequest/financingRequestId"),
    ),
];

/// The spec of an operation id. An id missing from the table is treated as money-moving: the
/// safe assumption for a call nobody has classified.
pub(crate) fn spec_of(id: &str) -> OperationSpec {
    OPERATIONS
        .iter()
        .find(|spec| spec.id == id)
        .copied()
        .unwrap_or(OperationSpec {
            id: "unclassified_operation",
            kind: CallKind::MoneyMoving,
            lookup_key: LookupKey::None,
        })
}

/// The kind of every operation, by generated operation id (for tests and documentation).
pub fn call_kinds() -> impl Iterator<Item = (&'static str, CallKind)> {
    OPERATIONS.iter().map(|spec| (spec.id, spec.kind))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn unknown_operations_are_treated_as_money_moving() {
        assert_eq!(spec_of("something_new").kind, CallKind::MoneyMoving);
        assert_eq!(spec_of("create_bill").lookup_key, LookupKey::ReferenceId);
        assert!(!spec_of(TOKEN_OPERATION).needs_token());
    }
}
