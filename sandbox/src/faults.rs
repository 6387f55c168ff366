//! Scripted faults: what the sandbox does instead of (or besides) answering an operation.

use std::collections::{HashMap, VecDeque};
use std::fmt;
use std::str::FromStr;
use std::time::Duration;

/// An operation of `spec/enkash.yaml`, named by its operation id in snake_case.
#[derive(Clone, Copy, Debug, PartialEq, Eq, Hash, PartialOrd, Ord)]
#[non_exhaustive]
pub enum Operation {
    /// `POST /oauth/token` (`oauth_token`).
    OauthToken,
    /// `POST /api/v0/biller/fetchOrAddBill` (`fetch_or_add_bill_v0`).
    FetchOrAddBillV0,
    /// `POST /api/v2/biller/fetchOrAddBill` (`fetch_current_bill`).
    FetchCurrentBill,
    /// `POST /api/v2/utilityPayment` (`create_bill`).
    CreateBill,
    /// `POST /api/v0/biller/addBill` (`create_bill_without_fetch_v0`).
    CreateBillWithoutFetchV0,
    /// `POST /api/v2/biller/addBill` (`create_bill_without_fetch`).
    CreateBillWithoutFetch,
    /// `PUT /api/v0/utilityPayment/status` (`confirm_debit`).
    ConfirmDebit,
    /// `GET /api/v0/utilityPayment/{utilityEnkashId}` (`get_utility_bill_status_v0`).
    GetUtilityBillStatusV0,
    /// `GET /api/v2/utilityPayment/{utilityEnkashId}` (`get_utility_bill_status`).
    GetUtilityBillStatus,
    /// `GET /api/v0/utilityPayment/referenceId/{referenceId}` (`get_utility_bill_by_reference_id_v0`).
    GetUtilityBillByReferenceIdV0,
    /// `GET /api/v2/utilityPayment/referenceId/{referenceId}` (`get_utility_bill_by_reference_id`).
    GetUtilityBillByReferenceId,
    /// `POST /api/v1/utilityPayment/search` (`search_utility_bills`).
    SearchUtilityBills,
    // ---- Accounts Receivable ----
    /// `POST /api/v0/customer` (`create_customer`).
    CreateCustomer,
    /// `POST /api/v0/customer/search` (`search_customer`).
    SearchCustomer,
    /// `PUT /api/v0/customer/activate/{customerId}` (`activate_customer`).
    ActivateCustomer,
    /// `POST /api/v0/customer/bulk` (`create_bulk_customer`).
    CreateBulkCustomer,
    /// `POST /api/v0/customer/bulk/update` (`bulk_update_customers`).
    BulkUpdateCustomers,
    /// `PATCH /api/v0/customer/{customerId}` (`update_customer`).
    UpdateCustomer,
    /// `DELETE /api/v0/customer/{customerId}` (`delete_customer_by_customer_id`).
    DeleteCustomerByCustomerId,
    /// `POST /api/v0/invoice` (`create_invoice`).
    CreateInvoice,
    /// `GET /api/v0/invoice/{invoiceId}` (`get_invoice`).
    GetInvoice,
    /// `PATCH /api/v0/invoice/{invoiceId}` (`update_invoice`).
    UpdateInvoice,
    /// `POST /api/v0/invoice/search` (`search_collection_invoices`).
    SearchCollectionInvoices,
    /// `POST /api/v0/invoice/bulk/create` (`invoice_bulk_upload`).
    InvoiceBulkUpload,
    /// `POST /api/v0/invoice/bulk/dispatch` (`dispatch_invoice_collection`).
    DispatchInvoiceCollection,
    /// `POST /api/v0/invoice/payment-confirmation` (`confirm_invoice_payment`).
    ConfirmInvoicePayment,
    // ---- Vendor Payment ----
    /// `POST /api/v0/business-onboarding/reg-check-entity` (`initiate_entity_check`).
    InitiateEntityCheck,
    /// `POST /api/v0/business-onboarding/reg-entity` (`register_entity`).
    RegisterEntity,
    /// `POST /api/v0/business-onboarding/reg-id` (`register_b2b_id`).
    RegisterB2bId,
    /// `POST /api/v0/invoice/req-confirm-invoice` (`confirm_invoice`).
    ConfirmInvoice,
    /// `POST /api/v0/invoice/req-status-change-invoice` (`change_invoice_status`).
    ChangeInvoiceStatus,
    /// `POST /api/v0/payment/req-pay` (`pay_invoice`).
    PayInvoice,
    /// `POST /api/v0/purchase-order/req-send` (`send_purchase_order`).
    SendPurchaseOrder,
    /// `POST /api/v0/purchase-order/req-confirm` (`confirm_purchase_order`).
    ConfirmPurchaseOrder,
    /// `POST /api/v0/purchase-order/req-status-change` (`change_purchase_order_status`).
    ChangePurchaseOrderStatus,
    /// `POST /api/v0/cd-note/req-send` (`send_cd_note`).
    SendCdNote,
    /// `POST /api/v0/cd-note/req-confirm` (`confirm_cd_note`).
    ConfirmCdNote,
    /// `POST /api/v0/finance/req-financing` (`request_financing`).
    RequestFinancing,
}

impl Operation {
    /// Every operation of the spec.
    pub const ALL: [Operation; 38] = [
        Self::OauthToken,
        Self::FetchOrAddBillV0,
        Self::FetchCurrentBill,
        Self::CreateBill,
        Self::CreateBillWithoutFetchV0,
        Self::CreateBillWithoutFetch,
        Self::ConfirmDebit,
        Self::GetUtilityBillStatusV0,
        Self::GetUtilityBillStatus,
        Self::GetUtilityBillByReferenceIdV0,
        Self::GetUtilityBillByReferenceId,
        Self::SearchUtilityBills,
        Self::CreateCustomer,
        Self::SearchCustomer,
        Self::ActivateCustomer,
        Self::CreateBulkCustomer,
        Self::BulkUpdateCustomers,
        Self::UpdateCustomer,
        Self::DeleteCustomerByCustomerId,
        Self::CreateInvoice,
        Self::GetInvoice,
        Self::UpdateInvoice,
        Self::SearchCollectionInvoices,
        Self::InvoiceBulkUpload,
        Self::DispatchInvoiceCollection,
        Self::ConfirmInvoicePayment,
        Self::InitiateEntityCheck,
        Self::RegisterEntity,
        Self::RegisterB2bId,
        Self::ConfirmInvoice,
        Self::ChangeInvoiceStatus,
        Self::PayInvoice,
        Self::SendPurchaseOrder,
        Self::ConfirmPurchaseOrder,
        Self::ChangePurchaseOrderStatus,
        Self::SendCdNote,
        Self::ConfirmCdNote,
        Self::RequestFinancing,
    ];

    /// The spec's operation id in snake_case, e.g. `create_bill`.
    pub fn id(self) -> &'static str {
        match self {
            Self::OauthToken => "oauth_token",
            Self::FetchOrAddBillV0 => "fetch_or_add_bill_v0",
            Self::FetchCurrentBill => "fetch_current_bill",
            Self::CreateBill => "create_bill",
            Self::CreateBillWithoutFetchV0 => "create_bill_without_fetch_v0",
            Self::CreateBillWithoutFetch => "create_bill_without_fetch",
            Self::ConfirmDebit => "confirm_debit",
            Self::GetUtilityBillStatusV0 => "get_utility_bill_status_v0",
            Self::GetUtilityBillStatus => "get_utility_bill_status",
            Self::GetUtilityBillByReferenceIdV0 => "get_utility_bill_by_reference_id_v0",
            Self::GetUtilityBillByReferenceId => "get_utility_bill_by_reference_id",
            Self::SearchUtilityBills => "search_utility_bills",
            Self::CreateCustomer => "create_customer",
            Self::SearchCustomer => "search_customer",
            Self::ActivateCustomer => "activate_customer",
            Self::CreateBulkCustomer => "create_bulk_customer",
            Self::BulkUpdateCustomers => "bulk_update_customers",
            Self::UpdateCustomer => "update_customer",
            Self::DeleteCustomerByCustomerId => "delete_customer_by_customer_id",
            Self::CreateInvoice => "create_invoice",
            Self::GetInvoice => "get_invoice",
            Self::UpdateInvoice => "update_invoice",
            Self::SearchCollectionInvoices => "search_collection_invoices",
            Self::InvoiceBulkUpload => "invoice_bulk_upload",
            Self::DispatchInvoiceCollection => "dispatch_invoice_collection",
            Self::ConfirmInvoicePayment => "confirm_invoice_payment",
            Self::InitiateEntityCheck => "initiate_entity_check",
            Self::RegisterEntity => "register_entity",
            Self::RegisterB2bId => "register_b2b_id",
            Self::ConfirmInvoice => "confirm_invoice",
            Self::ChangeInvoiceStatus => "change_invoice_status",
            Self::PayInvoice => "pay_invoice",
            Self::SendPurchaseOrder => "send_purchase_order",
            Self::ConfirmPurchaseOrder => "confirm_purchase_order",
            Self::ChangePurchaseOrderStatus => "change_purchase_order_status",
            Self::SendCdNote => "send_cd_note",
            Self::ConfirmCdNote => "confirm_cd_note",
            Self::RequestFinancing => "request_financing",
        }
    }

    /// True for the operations that create a bill (counted by the velocity limit).
    pub fn creates_bill(self) -> bool {
        matches!(
            self,
            Self::CreateBill | Self::CreateBillWithoutFetchV0 | Self::CreateBillWithoutFetch
        )
    }
}

impl serde::Serialize for Operation {
    fn serialize<S: serde::Serializer>(&self, serializer: S) -> Result<S::Ok, S::Error> {
        serializer.serialize_str(self.id())
    }
}

impl<'de> serde::Deserialize<'de> for Operation {
    fn deserialize<D: serde::Deserializer<'de>>(deserializer: D) -> Result<Self, D::Error> {
        let text = String::deserialize(deserializer)?;
        text.parse().map_err(serde::de::Error::custom)
    }
}

impl fmt::Display for Operation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.id())
    }
}

/// An operation id that names no operation of the spec.
#[derive(Clone, Debug, PartialEq, Eq)]
pub struct UnknownOperation(pub String);

impl fmt::Display for UnknownOperation {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "`{}` is not an operation of the EnKash spec", self.0)
    }
}

impl std::error::Error for UnknownOperation {}

impl FromStr for Operation {
    type Err = UnknownOperation;

    /// Accepts the snake_case id (`create_bill`) and the spec's camelCase id (`createBill`).
    fn from_str(text: &str) -> Result<Self, Self::Err> {
        let wanted: String = text.chars().filter(|c| *c != '_').collect();
        Self::ALL
            .into_iter()
            .find(|op| op.id().replace('_', "").eq_ignore_ascii_case(&wanted))
            .ok_or_else(|| UnknownOperation(text.to_owned()))
    }
}

/// Whether a dropped connection happens before or after the request changes any state.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum DropMode {
    /// The request is read and discarded: nothing changes on the sandbox.
    DropBeforeApply,
    /// The request is carried out (a bill is created, approved, ...), then the connection is
    /// closed instead of answering: the outcome the docs call "unknown".
    ApplyThenDrop,
}

/// The body of a scripted error answer.
#[derive(Clone, Debug, PartialEq)]
pub enum FaultBody {
    /// A JSON body, sent as `application/json`.
    Json(serde_json::Value),
    /// An HTML page, sent as `text/html` (what a gateway in front of EnKash answers).
    Html(String),
}

/// What the sandbox does to a call instead of answering it normally.
#[derive(Clone, Debug, PartialEq)]
#[non_exhaustive]
pub enum Fault {
    /// Wait this long, then handle the call normally.
    Delay(Duration),
    /// Answer with this HTTP status and body without handling the call (no state changes).
    /// A status outside 100..=999 is sent as 502.
    Status {
        /// HTTP status code, e.g. 503.
        status: u16,
        /// Body of the answer.
        body: FaultBody,
    },
    /// Close the connection without answering.
    Drop(DropMode),
    /// Handle the call, then answer HTTP 200 with a truncated, unparsable JSON body.
    MalformedBody,
    /// Close the connection without answering; the call (if its token is valid) takes effect
    /// only once the sandbox's clock has moved this far on: until then a lookup finds nothing,
    /// as when a request is still in flight inside EnKash after a timeout.
    ApplyLate(Duration),
}

impl Fault {
    /// [`Fault::Delay`].
    pub fn delay(duration: Duration) -> Self {
        Self::Delay(duration)
    }

    /// A 5xx answer with EnKash's error envelope as its JSON body.
    pub fn server_error(status: u16) -> Self {
        Self::Status {
            status,
            body: FaultBody::Json(serde_json::json!({
                "response_code": 1,
                "response_message": "Internal server error",
                "payload": null,
            })),
        }
    }

    /// A 5xx answer with an HTML error page, as a load balancer or gateway sends it.
    pub fn gateway_html(status: u16) -> Self {
        let title = match status {
            502 => "502 Bad Gateway",
            503 => "503 Service Temporarily Unavailable",
            504 => "504 Gateway Time-out",
            _ => "Error",
        };
        Self::Status {
            status,
            body: FaultBody::Html(format!(
                "<html>\r\n<head><title>{title}</title></head>\r\n<body>\r\n\
                 <center><h1>{title}</h1></center>\r\n<hr><center>nginx</center>\r\n\
                 </body>\r\n</html>\r\n"
            )),
        }
    }

    /// Close the connection without handling the call.
    pub fn drop_before_apply() -> Self {
        Self::Drop(DropMode::DropBeforeApply)
    }

    /// Handle the call, then close the connection without answering.
    pub fn apply_then_drop() -> Self {
        Self::Drop(DropMode::ApplyThenDrop)
    }

    /// [`Fault::MalformedBody`].
    pub fn malformed_body() -> Self {
        Self::MalformedBody
    }

    /// [`Fault::ApplyLate`]: the call lands `after` this much sandbox time.
    pub fn apply_late(after: Duration) -> Self {
        Self::ApplyLate(after)
    }

    /// The fault's kind, as the control endpoint names it (`delay`, `status`, `drop_before_apply`,
    /// `apply_then_drop`, `malformed_body`, `apply_late`).
    pub fn kind(&self) -> &'static str {
        match self {
            Self::Delay(_) => "delay",
            Self::Status { .. } => "status",
            Self::Drop(DropMode::DropBeforeApply) => "drop_before_apply",
            Self::Drop(DropMode::ApplyThenDrop) => "apply_then_drop",
            Self::MalformedBody => "malformed_body",
            Self::ApplyLate(_) => "apply_late",
        }
    }
}

/// A fault as the control endpoint reads it (`POST /_sandbox/faults`): `{"kind": ...}` plus the
/// kind's fields.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case", deny_unknown_fields)]
pub(crate) enum FaultSpec {
    /// `{"kind":"delay","ms":1500}`
    Delay { ms: u64 },
    /// `{"kind":"server_error","status":503}`: EnKash's error envelope.
    ServerError {
        #[serde(default = "internal_server_error")]
        status: u16,
    },
    /// `{"kind":"gateway_html","status":504}`: a gateway's HTML page.
    GatewayHtml {
        #[serde(default = "gateway_timeout")]
        status: u16,
    },
    /// `{"kind":"status","status":429,"body":{...}}`: any status and JSON body.
    Status {
        status: u16,
        #[serde(default)]
        body: serde_json::Value,
    },
    /// `{"kind":"drop_before_apply"}`
    DropBeforeApply,
    /// `{"kind":"apply_then_drop"}`
    ApplyThenDrop,
    /// `{"kind":"malformed_body"}`
    MalformedBody,
    /// `{"kind":"apply_late","seconds":120}`: lands after that much sandbox time.
    ApplyLate { seconds: u64 },
}

fn internal_server_error() -> u16 {
    500
}

fn gateway_timeout() -> u16 {
    504
}

impl From<FaultSpec> for Fault {
    fn from(spec: FaultSpec) -> Self {
        match spec {
            FaultSpec::Delay { ms } => Fault::delay(Duration::from_millis(ms)),
            FaultSpec::ServerError { status } => Fault::server_error(status),
            FaultSpec::GatewayHtml { status } => Fault::gateway_html(status),
            FaultSpec::Status { status, body } => Fault::Status {
                status,
                body: FaultBody::Json(body),
            },
            FaultSpec::DropBeforeApply => Fault::drop_before_apply(),
            FaultSpec::ApplyThenDrop => Fault::apply_then_drop(),
            FaultSpec::MalformedBody => Fault::malformed_body(),
            FaultSpec::ApplyLate { seconds } => Fault::apply_late(Duration::from_secs(seconds)),
        }
    }
}

/// Faults waiting for their calls, per operation, in the order they were scripted.
#[derive(Debug, Default)]
pub(crate) struct FaultScript {
    queues: HashMap<Operation, VecDeque<(Fault, u32)>>,
}

impl FaultScript {
    /// Applies `fault` to the next `times` calls of `operation`, after any fault already queued.
    pub(crate) fn push(&mut self, operation: Operation, fault: Fault, times: u32) {
        if times > 0 {
            self.queues
                .entry(operation)
                .or_default()
                .push_back((fault, times));
        }
    }

    /// The fault for the current call of `operation`, if one is scripted.
    pub(crate) fn take(&mut self, operation: Operation) -> Option<Fault> {
        let queue = self.queues.get_mut(&operation)?;
        let (fault, remaining) = queue.front_mut()?;
        let fault = fault.clone();
        *remaining -= 1;
        if *remaining == 0 {
            queue.pop_front();
        }
        Some(fault)
    }

    pub(crate) fn clear(&mut self) {
        self.queues.clear();
    }

    /// The faults still waiting, per operation, as `(operation, kind, calls left)`.
    pub(crate) fn pending(&self) -> Vec<(Operation, &'static str, u32)> {
        let mut pending: Vec<_> = self
            .queues
            .iter()
            .flat_map(|(operation, queue)| {
                queue
                    .iter()
                    .map(|(fault, times)| (*operation, fault.kind(), *times))
            })
            .collect();
        pending.sort_by_key(|(operation, _, _)| *operation);
        pending
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn operation_ids_parse_in_both_casings() {
        for op in Operation::ALL {
            assert_eq!(op.id().parse::<Operation>(), Ok(op));
        }
        assert_eq!("createBill".parse(), Ok(Operation::CreateBill));
        assert_eq!(
            "getUtilityBillByReferenceIdV0".parse(),
            Ok(Operation::GetUtilityBillByReferenceIdV0)
        );
        assert_eq!(
            "deleteCustomerByCustomerId".parse(),
            Ok(Operation::DeleteCustomerByCustomerId)
        );
        assert_eq!("payInvoice".parse(), Ok(Operation::PayInvoice));
        assert_eq!("registerB2bId".parse(), Ok(Operation::RegisterB2bId));
        assert!("deleteBill".parse::<Operation>().is_err());
    }

    #[test]
    fn faults_apply_to_the_next_n_calls_in_order() {
        let mut script = FaultScript::default();
        script.push(Operation::CreateBill, Fault::server_error(503), 2);
        script.push(Operation::CreateBill, Fault::malformed_body(), 1);
        assert!(matches!(
            script.take(Operation::CreateBill),
            Some(Fault::Status { status: 503, .. })
        ));
        assert!(matches!(
            script.take(Operation::CreateBill),
            Some(Fault::Status { status: 503, .. })
        ));
        assert_eq!(
            script.take(Operation::CreateBill),
            Some(Fault::MalformedBody)
        );
        assert_eq!(script.take(Operation::CreateBill), None);
        assert_eq!(script.take(Operation::ConfirmDebit), None);
    }
}
