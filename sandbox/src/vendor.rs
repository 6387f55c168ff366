//! Vendor Payment (Bharat Connect B2B): business onboarding, invoices, purchase orders, credit
//! and debit notes, payments and financing, with state, and the response webhooks the network
//! sends back.
//!
//! Every call is answered at once with the section's acknowledgement; its outcome follows on a
//! response webhook, [`crate::SandboxBuilder::respond_after`] later on the sandbox's clock. What
//! EnKash does not publish is the sandbox's choice and is documented in the crate's README:
//! unknown object ids are 404, an `objectVersion.currentVersion` or `currentStatus` that does not
//! match the record is 422, an `objectId` (payment, purchase order, note) or
//! `financingRequestId` sent again is `response_code` 38 and changes nothing.

use std::collections::BTreeMap;
use std::time::Duration;

use enkash::webhook::WebhookKind;
use enkash::{Amount, types};
use rust_decimal::Decimal;
use serde::Serialize;
use serde_json::{Value, json};

use super::App;
use super::ops::Answer;
use super::wire::{Reply, Strict, decode};

/// `response_code` of an id that was used already (Bill Payment's "duplicate referenceId").
const DUPLICATE: i64 = 38;

/// Status of a document raised and not answered yet.
const CREATED: &str = "CREATED";

/// An invoice the sandbox knows, as if its supplier had raised it on the network (EnKash
/// publishes no Create Invoice call). Added with [`crate::SandboxHandle::add_vendor_invoice`] or
/// `POST /_sandbox/vendor/invoices`.
#[derive(Clone, Debug, PartialEq, serde::Deserialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct VendorInvoice {
    /// `objectId` (`INV` and 32 letters or digits).
    pub object_id: String,
    /// `supplierInvoiceNumber`.
    pub supplier_invoice_number: String,
    /// The buyer's Bharat Connect B2B id.
    #[serde(rename = "buyerB2BId")]
    pub buyer_b2b_id: String,
    /// The supplier's Bharat Connect B2B id.
    #[serde(rename = "supplierB2BId")]
    pub supplier_b2b_id: String,
    /// The invoice's total, all of it due.
    pub total_amount: Amount,
}

impl VendorInvoice {
    /// An invoice at version 1, `CREATED`, with `total_amount` due.
    pub fn new(
        object_id: impl Into<String>,
        supplier_invoice_number: impl Into<String>,
        buyer_b2b_id: impl Into<String>,
        supplier_b2b_id: impl Into<String>,
        total_amount: Amount,
    ) -> Self {
        Self {
            object_id: object_id.into(),
            supplier_invoice_number: supplier_invoice_number.into(),
            buyer_b2b_id: buyer_b2b_id.into(),
            supplier_b2b_id: supplier_b2b_id.into(),
            total_amount,
        }
    }
}

/// A business on the network.
#[derive(Clone, Debug, Default, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Entity {
    object_id: String,
    pan: String,
    name: String,
    /// `CHECKED` after Initiate Entity Check, `REGISTERED` after Register Entity.
    status: &'static str,
    #[serde(rename = "defaultB2BId", skip_serializing_if = "Option::is_none")]
    default_b2b_id: Option<String>,
    #[serde(rename = "b2bIds")]
    b2b_ids: Vec<String>,
}

/// An invoice, purchase order or note: versioned, with a status.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Document {
    object_id: String,
    number: String,
    #[serde(rename = "buyerB2BId")]
    buyer_b2b_id: String,
    #[serde(rename = "supplierB2BId")]
    supplier_b2b_id: String,
    version: i64,
    status: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    total_amount: Option<Amount>,
    #[serde(skip_serializing_if = "Option::is_none")]
    due_amount: Option<Amount>,
}

/// A Pay Invoice request and its outcome.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Payment {
    object_id: String,
    req_msg_id: String,
    /// `PENDING` until the network answers, then `SUCCESS` or `FAILURE`.
    status: &'static str,
    #[serde(skip_serializing_if = "Option::is_none")]
    error_cd: Option<String>,
    total_amount: Option<Amount>,
    /// The request as sent.
    #[serde(skip)]
    request: Value,
}

/// A Request Financing request.
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Financing {
    financing_request_id: String,
    req_msg_id: String,
    /// `PENDING` until the bids are shared, then `BIDS_SHARED`.
    status: &'static str,
    financing_request_amount: Option<Amount>,
    bid_ids: Vec<String>,
}

/// One response webhook the network sends, and what became of its delivery.
#[derive(Clone, Debug, PartialEq, Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct VendorWebhook {
    /// The webhook, as `enkash::webhook` names it (parse the body with
    /// `WebhookEvent::parse(kind, ..)`).
    #[serde(serialize_with = "kind_name")]
    pub kind: WebhookKind,
    /// The documented path it is POSTed to, under the Vendor Payment webhook URL.
    pub path: &'static str,
    /// The id it answers for: the `objectId`, or the `financingRequestId` of a bid.
    pub object_id: String,
    /// The body.
    pub body: Value,
    /// The receiver's HTTP status, when it was POSTed and answered.
    pub status: Option<u16>,
    /// Why it was not delivered (no webhook URL, connection refused, ...).
    pub error: Option<String>,
}

fn kind_name<S: serde::Serializer>(kind: &WebhookKind, serializer: S) -> Result<S::Ok, S::Error> {
    serializer.serialize_str(kind.name())
}

impl VendorWebhook {
    /// True when the receiver answered with a 2xx status.
    pub fn is_acknowledged(&self) -> bool {
        self.status
            .is_some_and(|status| (200..300).contains(&status))
    }
}

/// Everything the Vendor Payment section remembers.
#[derive(Debug, Default)]
pub(crate) struct Vendor {
    entities: BTreeMap<String, Entity>,
    invoices: BTreeMap<String, Document>,
    purchase_orders: BTreeMap<String, Document>,
    cd_notes: BTreeMap<String, Document>,
    payments: BTreeMap<String, Payment>,
    financing: BTreeMap<String, Financing>,
    pub webhooks: Vec<VendorWebhook>,
}

impl Vendor {
    /// Adds (or replaces) an invoice raised by its supplier.
    pub(crate) fn add_invoice(&mut self, invoice: VendorInvoice) {
        self.invoices.insert(
            invoice.object_id.clone(),
            Document {
                object_id: invoice.object_id,
                number: invoice.supplier_invoice_number,
                buyer_b2b_id: invoice.buyer_b2b_id,
                supplier_b2b_id: invoice.supplier_b2b_id,
                version: 1,
                status: CREATED.to_owned(),
                total_amount: Some(invoice.total_amount),
                due_amount: Some(invoice.total_amount),
            },
        );
    }

    /// Everything, as `GET /_sandbox/vendor` answers it.
    pub(crate) fn snapshot(&self) -> Value {
        json!({
            "entities": self.entities.values().collect::<Vec<_>>(),
            "invoices": self.invoices.values().collect::<Vec<_>>(),
            "purchaseOrders": self.purchase_orders.values().collect::<Vec<_>>(),
            "cdNotes": self.cd_notes.values().collect::<Vec<_>>(),
            "payments": self.payments.values().collect::<Vec<_>>(),
            "financingRequests": self.financing.values().collect::<Vec<_>>(),
        })
    }

    /// The records the spec's examples name: entity `ORGUJZDE8GXD6NCF10EPF91DHODZDOC9IS0`
    /// (checked, not registered) and invoice `INVEH60KVJ50CE9UVW53EFR4EDT2SYWB3WK` (version 1,
    /// `CREATED`, 117500.50 due from `acmeindustries@b2b` to `sharmasupplies@b2b`).
    pub(crate) fn seed_spec_examples(&mut self) {
        self.entities.insert(
            "ORGUJZDE8GXD6NCF10EPF91DHODZDOC9IS0".to_owned(),
            Entity {
                object_id: "ORGUJZDE8GXD6NCF10EPF91DHODZDOC9IS0".to_owned(),
                pan: "AAACA1234F".to_owned(),
                name: "Acme Industries Private Limited".to_owned(),
                status: "CHECKED",
                ..Entity::default()
            },
        );
        if let Ok(total) = "117500.50".parse() {
            self.add_invoice(VendorInvoice::new(
                "INVEH60KVJ50CE9UVW53EFR4EDT2SYWB3WK",
                "SS/2025-26/0412",
                "acmeindustries@b2b",
                "sharmasupplies@b2b",
                total,
            ));
        }
    }
}

/// The section's acknowledgement: `{"response_code":0,"response_message":"SUCCESS","payload":"SUCCESS"}`.
fn acknowledged() -> Reply {
    Reply::raw(
        axum::http::StatusCode::OK,
        json!({"response_code": 0, "response_message": "SUCCESS", "payload": "SUCCESS"}),
    )
}

fn duplicate(field: &str, id: &str) -> Reply {
    Reply::raw(
        axum::http::StatusCode::OK,
        json!({"response_code": DUPLICATE, "response_message": format!("Duplicate {field}"), "payload": id}),
    )
}

/// Checks the request against its type (412 as every other body), then reads it as JSON.
fn read<T: serde::de::DeserializeOwned>(body: &[u8]) -> Result<Value, Reply> {
    decode::<T>(body, &Strict::NONE)?;
    serde_json::from_slice(body).map_err(|err| Reply::unreadable(err.to_string()))
}

/// True when a JSON value is a known value of the open enumeration `$ty`.
macro_rules! known {
    ($ty:ty) => {
        |value: &Value| serde_json::from_value::<$ty>(value.clone()).is_ok_and(|v| v.is_known())
    };
}

/// A request field whose value must be one of its enumeration's (the client's types accept
/// unknown values in answers; a request must not send one).
type EnumCheck = (&'static str, fn(&Value) -> bool);

/// Refuses (412) a request whose enumerated field holds a value outside its enumeration.
fn check_enums(request: &Value, checks: &[EnumCheck]) -> Result<(), Reply> {
    for (pointer, known) in checks {
        if let Some(value) = request.pointer(pointer)
            && !known(value)
        {
            return Err(Reply::unreadable(format!(
                "`{}` is not one of its documented values",
                pointer.trim_start_matches('/').replace('/', ".")
            )));
        }
    }
    Ok(())
}

fn text(value: &Value, pointer: &str) -> String {
    value
        .pointer(pointer)
        .and_then(Value::as_str)
        .unwrap_or_default()
        .to_owned()
}

fn amount(value: &Value, pointer: &str) -> Option<Amount> {
    value
        .pointer(pointer)
        .and_then(|amount| serde_json::from_value(amount.clone()).ok())
}

/// Moves a document along: the request's `objectVersion.currentVersion` and `currentStatus`
/// must be the record's (422 otherwise); the record takes the new version and status.
fn transition(
    document: &mut Document,
    what: &str,
    version: Option<&Value>,
    status: Option<&Value>,
) -> Result<(), Reply> {
    let current_version = version.and_then(|v| v.get("currentVersion")?.as_i64());
    let new_version = version.and_then(|v| v.get("newVersion")?.as_i64());
    if let Some(current) = current_version
        && current != document.version
    {
        return Err(Reply::unprocessable(format!(
            "objectVersion.currentVersion is {current} but the {what} is at version {}",
            document.version
        )));
    }
    let current_status = status.and_then(|s| s.get("currentStatus")?.as_str());
    if let Some(current) = current_status
        && current != document.status
    {
        return Err(Reply::unprocessable(format!(
            "currentStatus is {current} but the {what} is {}",
            document.status
        )));
    }
    if let Some(new) = new_version {
        if new <= document.version {
            return Err(Reply::unprocessable(format!(
                "objectVersion.newVersion must be above {}",
                document.version
            )));
        }
        document.version = new;
    }
    if let Some(new) = status.and_then(|s| s.get("newStatus")?.as_str()) {
        document.status = new.to_owned();
    }
    Ok(())
}

/// The `resp` object of a response webhook.
fn resp(req_msg_id: &str, error: Option<(&str, &str, &str)>) -> Value {
    match error {
        None => {
            json!({"reqMsgId": req_msg_id, "result": "SUCCESS", "errorCd": "", "errorDtl": "", "errorField": ""})
        }
        Some((code, detail, field)) => json!({
            "reqMsgId": req_msg_id, "result": "FAILURE", "errorCd": code, "errorDtl": detail,
            "errorField": field,
        }),
    }
}

/// A webhook body with the request's `additionalInfos` echoed, when it sent any.
fn with_additional_infos(mut body: Value, request: &Value) -> Value {
    if let Some(infos) = request.get("additionalInfos") {
        body["additionalInfos"] = infos.clone();
    }
    body
}

/// A response webhook to send once the network "answers".
struct Outgoing {
    kind: WebhookKind,
    path: &'static str,
    object_id: String,
    body: Value,
}

/// `POST /api/v0/business-onboarding/reg-check-entity`: records the check; the Check Entity
/// Webhook lists the registered entities with the same PAN.
pub(crate) fn initiate_entity_check(app: &App, body: &[u8]) -> Answer {
    let request = read::<types::InitiateEntityCheckRequest>(body)?;
    check_enums(
        &request,
        &[(
            "/checkInstitute/docName",
            known!(enkash::enums::CheckDocName),
        )],
    )?;
    let object_id = text(&request, "/objectId");
    let pan = text(&request, "/checkInstitute/value");
    let mut state = app.lock();
    let req_msg_id = state.ids.uuid();
    let vendor = &mut state.vendor;
    let institutes: Vec<Value> = vendor
        .entities
        .values()
        .filter(|entity| entity.status == "REGISTERED" && entity.pan.eq_ignore_ascii_case(&pan))
        .map(|entity| {
            json!({"objectId": entity.object_id, "name": entity.name,
                   "defaultB2BId": entity.default_b2b_id, "status": "ACTIVE"})
        })
        .collect();
    let entity = vendor.entities.entry(object_id.clone()).or_default();
    if entity.status != "REGISTERED" {
        *entity = Entity {
            object_id: object_id.clone(),
            pan,
            name: text(&request, "/checkInstitute/registeredName"),
            status: "CHECKED",
            ..Entity::default()
        };
    }
    drop(state);
    let body = json!({
        "objectId": object_id,
        "resp": resp(&req_msg_id, None),
        "instituteStatus": {"institutes": institutes},
        "checkInstitute": request["checkInstitute"],
    });
    respond(
        app,
        vec![Outgoing {
            kind: WebhookKind::VendorCheckEntityResponse,
            path: "/api/v0/business-onboarding/respCheckEntity",
            object_id,
            body,
        }],
    );
    Ok(acknowledged())
}

/// `POST /api/v0/business-onboarding/reg-entity`: registers a checked entity and its default
/// B2B id; the Entity Registration Response Webhook echoes the profile.
pub(crate) fn register_entity(app: &App, body: &[u8]) -> Answer {
    let request = read::<types::RegisterEntityRequest>(body)?;
    let institute = &request["institute"];
    let object_id = text(institute, "/objectId");
    let b2b_id = text(institute, "/defaultB2BId");
    let mut state = app.lock();
    let req_msg_id = state.ids.uuid();
    let vendor = &mut state.vendor;
    if b2b_owner(vendor, &b2b_id).is_some_and(|owner| owner != object_id) {
        return Err(Reply::unprocessable(format!(
            "B2B id {b2b_id} belongs to another entity"
        )));
    }
    let entity = vendor.entities.get_mut(&object_id).ok_or_else(|| {
        Reply::unprocessable(format!(
            "No entity check for objectId {object_id}: run Initiate Entity Check first"
        ))
    })?;
    if entity.status == "REGISTERED" {
        return Err(Reply::unprocessable(format!(
            "Entity {object_id} is registered already"
        )));
    }
    entity.status = "REGISTERED";
    entity.name = text(institute, "/name");
    if let Some(pan) = institute.pointer("/lei/value").and_then(Value::as_str) {
        entity.pan = pan.to_owned();
    }
    entity.default_b2b_id = Some(b2b_id.clone());
    if !entity.b2b_ids.contains(&b2b_id) {
        entity.b2b_ids.push(b2b_id);
    }
    drop(state);
    let body = json!({"resp": resp(&req_msg_id, None), "institute": institute});
    respond(
        app,
        vec![Outgoing {
            kind: WebhookKind::VendorEntityRegistrationResponse,
            path: "/api/v0/business-onboarding/respRegEntity",
            object_id,
            body,
        }],
    );
    Ok(acknowledged())
}

/// The entity a B2B id belongs to.
fn b2b_owner<'v>(vendor: &'v Vendor, b2b_id: &str) -> Option<&'v str> {
    vendor
        .entities
        .values()
        .find(|entity| entity.b2b_ids.iter().any(|id| id == b2b_id))
        .map(|entity| entity.object_id.as_str())
}

/// `POST /api/v0/business-onboarding/reg-id`: adds B2B ids to a registered entity. EnKash
/// publishes no body for its response webhook, so none is sent.
pub(crate) fn register_b2b_id(app: &App, body: &[u8]) -> Answer {
    let request = read::<types::RegisterB2bIdRequest>(body)?;
    let object_id = text(&request, "/objectId");
    let requestor = text(&request, "/onboardingB2BIds/requestorB2BId");
    let wanted: Vec<String> = request
        .pointer("/regB2BIds/ids")
        .and_then(Value::as_array)
        .into_iter()
        .flatten()
        .filter_map(|id| id.get("value")?.as_str().map(str::to_owned))
        .collect();
    let mut state = app.lock();
    let vendor = &mut state.vendor;
    let registered = vendor
        .entities
        .get(&object_id)
        .is_some_and(|entity| entity.status == "REGISTERED");
    if !registered {
        return Err(Reply::unprocessable(format!(
            "Entity {object_id} is not registered: run Register Entity first"
        )));
    }
    if !requestor.is_empty() && b2b_owner(vendor, &requestor) != Some(object_id.as_str()) {
        return Err(Reply::unprocessable(format!(
            "requestorB2BId {requestor} is not a B2B id of entity {object_id}"
        )));
    }
    if let Some(taken) = wanted
        .iter()
        .find(|id| b2b_owner(vendor, id).is_some_and(|owner| owner != object_id))
    {
        return Err(Reply::unprocessable(format!(
            "B2B id {taken} belongs to another entity"
        )));
    }
    if let Some(entity) = vendor.entities.get_mut(&object_id) {
        for id in wanted {
            if !entity.b2b_ids.contains(&id) {
                entity.b2b_ids.push(id);
            }
        }
    }
    Ok(acknowledged())
}

fn not_found(what: &str, id: &str) -> Reply {
    Reply::not_found(format!("No {what} found for objectId {id}"))
}

/// The parties of a request must be the document's (422 otherwise); absent ids are not checked.
fn same_parties(document: &Document, request: &Value) -> Result<(), Reply> {
    for (pointer, expected, name) in [
        ("/b2bIds/buyerB2BId", &document.buyer_b2b_id, "buyerB2BId"),
        (
            "/b2bIds/supplierB2BId",
            &document.supplier_b2b_id,
            "supplierB2BId",
        ),
    ] {
        if let Some(sent) = request.pointer(pointer).and_then(Value::as_str)
            && sent != expected
        {
            return Err(Reply::unprocessable(format!(
                "{name} {sent} is not a party to {}",
                document.object_id
            )));
        }
    }
    Ok(())
}

/// `POST /api/v0/invoice/req-confirm-invoice`: the buyer accepts, rejects or returns a
/// `CREATED` invoice.
pub(crate) fn confirm_invoice(app: &App, body: &[u8]) -> Answer {
    let request = read::<types::ConfirmInvoiceRequest>(body)?;
    let confirmation = &request["invoiceConfirmation"];
    let object_id = text(confirmation, "/objectId");
    let mut state = app.lock();
    let invoice = state
        .vendor
        .invoices
        .get_mut(&object_id)
        .ok_or_else(|| not_found("invoice", &object_id))?;
    same_parties(invoice, &request)?;
    if invoice.status != CREATED {
        return Err(Reply::unprocessable(format!(
            "Invoice {object_id} is {}; only a CREATED invoice can be confirmed",
            invoice.status
        )));
    }
    transition(
        invoice,
        "invoice",
        confirmation.get("objectVersion"),
        confirmation.get("statusTransition"),
    )?;
    Ok(acknowledged())
}

/// `POST /api/v0/invoice/req-status-change-invoice`: the supplier changes an invoice's status
/// (not once it is paid); answered with the result and the echoed status.
pub(crate) fn change_invoice_status(app: &App, body: &[u8]) -> Answer {
    let request = read::<types::ChangeInvoiceStatusRequest>(body)?;
    let change = &request["invoiceStatus"];
    let object_id = text(change, "/objectId");
    let mut state = app.lock();
    let req_msg_id = state.ids.uuid();
    let invoice = state
        .vendor
        .invoices
        .get_mut(&object_id)
        .ok_or_else(|| not_found("invoice", &object_id))?;
    same_parties(invoice, &request)?;
    if invoice.status == "PAID" {
        return Err(Reply::unprocessable(format!(
            "Invoice {object_id} is PAID; its status cannot change"
        )));
    }
    transition(
        invoice,
        "invoice",
        change.get("objectVersion"),
        change.get("statusTransition"),
    )?;
    Ok(Reply::raw(
        axum::http::StatusCode::OK,
        json!({
            "response_code": 0,
            "response_message": "SUCCESS",
            "payload": {"b2bIds": request["b2bIds"], "resp": {"reqMsgId": req_msg_id, "result": "SUCCESS"},
                        "invoiceStatus": change},
        }),
    ))
}

/// `POST /api/v0/payment/req-pay`: moves money. Refused at once (nothing paid): a payment
/// `objectId` used before (38), an invoice `objectId` that names no invoice (404). Otherwise the
/// payment is `PENDING`; when the network answers, each invoice must be payable (`CREATED` or
/// `ACCEPTED`, or part-paid) and paid at most its due amount, or the Payment Response Webhook
/// says `FAILURE` (`INVOICE_NOT_PAYABLE`, `AMOUNT_EXCEEDS_DUE`) and nothing is paid.
pub(crate) fn pay_invoice(app: &App, body: &[u8]) -> Answer {
    let request = read::<types::PayInvoiceRequest>(body)?;
    check_enums(
        &request,
        &[
            ("/payment/currency", known!(enkash::enums::PaymentCurrency)),
            ("/payment/mode", known!(enkash::enums::InvoicePaymentMode)),
            ("/payment/type", known!(enkash::enums::PaymentPlatform)),
        ],
    )?;
    let payment = &request["payment"];
    let object_id = text(payment, "/objectId");
    let mut state = app.lock();
    if state.vendor.payments.contains_key(&object_id) {
        return Err(duplicate("payment objectId", &object_id));
    }
    let infos = payment["invoicesPayInfos"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    for info in &infos {
        let invoice_id = text(info, "/objectId");
        if !state.vendor.invoices.contains_key(&invoice_id) {
            return Err(not_found("invoice", &invoice_id));
        }
    }
    let req_msg_id = state.ids.uuid();
    state.vendor.payments.insert(
        object_id.clone(),
        Payment {
            object_id: object_id.clone(),
            req_msg_id,
            status: "PENDING",
            error_cd: None,
            total_amount: amount(payment, "/paymentAmount/totalAmount"),
            request: request.clone(),
        },
    );
    drop(state);
    let due = app.clock.now() + app.config.respond_after;
    later(app, due, move |app| settle_payment(app, &object_id));
    Ok(acknowledged())
}

/// The network's answer to a payment: applies it to its invoices, or fails it whole.
fn settle_payment(app: &App, object_id: &str) -> Vec<Outgoing> {
    let mut state = app.lock();
    let vendor = &mut state.vendor;
    let Some(payment) = vendor.payments.get(object_id).cloned() else {
        return Vec::new();
    };
    let mut request = payment.request.clone();
    let infos = request["payment"]["invoicesPayInfos"]
        .as_array()
        .cloned()
        .unwrap_or_default();
    let mut failure = None;
    let mut paid = Vec::new();
    for info in &infos {
        let invoice_id = text(info, "/objectId");
        let Some(invoice) = vendor.invoices.get(&invoice_id) else {
            failure = Some(("INVOICE_NOT_FOUND", invoice_id, "objectId"));
            break;
        };
        let payable = matches!(
            invoice.status.as_str(),
            CREATED | "ACCEPTED" | "PARTIALLY_PAID"
        );
        if !payable {
            failure = Some(("INVOICE_NOT_PAYABLE", invoice_id, "statusTransition"));
            break;
        }
        let net = amount(info, "/invoicePaymentAmount/netPaidAmount")
            .map_or(Decimal::ZERO, |a| a.as_decimal());
        let due = invoice.due_amount.map_or(Decimal::ZERO, |a| a.as_decimal());
        if net > due {
            failure = Some(("AMOUNT_EXCEEDS_DUE", invoice_id, "netPaidAmount"));
            break;
        }
        paid.push((invoice_id, due - net));
    }
    let outcome = match &failure {
        Some((code, invoice_id, field)) => {
            let detail = format!("{code} for invoice {invoice_id}");
            resp(&payment.req_msg_id, Some((code, &detail, field)))
        }
        None => {
            for (index, (invoice_id, left)) in paid.iter().enumerate() {
                if let Some(invoice) = vendor.invoices.get_mut(invoice_id) {
                    invoice.due_amount = Some(Amount::from(*left));
                    invoice.status = if left.is_zero() {
                        "PAID".to_owned()
                    } else {
                        "PARTIALLY_PAID".to_owned()
                    };
                    invoice.version += 1;
                    if let Some(info) = request["payment"]["invoicesPayInfos"].get_mut(index) {
                        info["invoiceAmount"]["dueAmount"] = json!(Amount::from(*left));
                    }
                }
            }
            resp(&payment.req_msg_id, None)
        }
    };
    if let Some(record) = vendor.payments.get_mut(object_id) {
        record.status = if failure.is_some() {
            "FAILURE"
        } else {
            "SUCCESS"
        };
        record.error_cd = failure.map(|(code, _, _)| code.to_owned());
    }
    let body = json!({
        "resp": outcome,
        "b2bIds": request["b2bIds"],
        "payment": request["payment"],
    });
    let body = with_additional_infos(body, &request);
    vec![Outgoing {
        kind: WebhookKind::VendorPaymentResponse,
        path: "/api/v0/payment/resp-pay",
        object_id: object_id.to_owned(),
        body,
    }]
}

/// Which kind of document a call is about.
#[derive(Clone, Copy)]
enum Kind {
    PurchaseOrder,
    CdNote,
}

impl Kind {
    fn name(self) -> &'static str {
        match self {
            Self::PurchaseOrder => "purchase order",
            Self::CdNote => "note",
        }
    }

    fn documents(self, vendor: &mut Vendor) -> &mut BTreeMap<String, Document> {
        match self {
            Self::PurchaseOrder => &mut vendor.purchase_orders,
            Self::CdNote => &mut vendor.cd_notes,
        }
    }
}

/// Records a new purchase order or note (`objectId` used before: 38).
fn create_document(
    app: &App,
    kind: Kind,
    request: &Value,
    document: &Value,
    number: &str,
    status_field: &str,
) -> Result<(String, String), Reply> {
    let object_id = text(document, "/objectId");
    let mut state = app.lock();
    let req_msg_id = state.ids.uuid();
    let documents = kind.documents(&mut state.vendor);
    if documents.contains_key(&object_id) {
        return Err(duplicate(&format!("{} objectId", kind.name()), &object_id));
    }
    let version = document
        .pointer("/objectVersion/newVersion")
        .and_then(Value::as_i64)
        .unwrap_or(1);
    let status = document
        .pointer(&format!("/{status_field}/newStatus"))
        .and_then(Value::as_str)
        .unwrap_or(CREATED);
    documents.insert(
        object_id.clone(),
        Document {
            object_id: object_id.clone(),
            number: number.to_owned(),
            buyer_b2b_id: text(request, "/b2bIds/buyerB2BId"),
            supplier_b2b_id: text(request, "/b2bIds/supplierB2BId"),
            version,
            status: status.to_owned(),
            total_amount: None,
            due_amount: None,
        },
    );
    Ok((object_id, req_msg_id))
}

/// Moves a purchase order or note along (404 unknown, 422 out of step).
fn change_document(
    app: &App,
    kind: Kind,
    request: &Value,
    change: &Value,
    status_field: &str,
) -> Result<(String, String), Reply> {
    let object_id = text(change, "/objectId");
    let mut state = app.lock();
    let req_msg_id = state.ids.uuid();
    let document = kind
        .documents(&mut state.vendor)
        .get_mut(&object_id)
        .ok_or_else(|| not_found(kind.name(), &object_id))?;
    same_parties(document, request)?;
    transition(
        document,
        kind.name(),
        change.get("objectVersion"),
        change.get(status_field),
    )?;
    Ok((object_id, req_msg_id))
}

/// `POST /api/v0/purchase-order/req-send`.
pub(crate) fn send_purchase_order(app: &App, body: &[u8]) -> Answer {
    let request = read::<types::SendPurchaseOrderRequest>(body)?;
    let order = &request["purchaseOrder"];
    create_document(
        app,
        Kind::PurchaseOrder,
        &request,
        order,
        &text(order, "/buyerPONumber"),
        "poStatusTransition",
    )?;
    Ok(acknowledged())
}

/// `POST /api/v0/purchase-order/req-confirm`: the supplier answers a purchase order.
pub(crate) fn confirm_purchase_order(app: &App, body: &[u8]) -> Answer {
    let request = read::<types::ConfirmPurchaseOrderRequest>(body)?;
    change_document(
        app,
        Kind::PurchaseOrder,
        &request,
        &request["poConfirmation"],
        "poStatusTransition",
    )?;
    Ok(acknowledged())
}

/// `POST /api/v0/purchase-order/req-status-change`; the Status Change Purchase Order Response
/// Webhook echoes the change.
pub(crate) fn change_purchase_order_status(app: &App, body: &[u8]) -> Answer {
    let request = read::<types::ChangePurchaseOrderStatusRequest>(body)?;
    let change = &request["poStatus"];
    let (object_id, req_msg_id) = change_document(
        app,
        Kind::PurchaseOrder,
        &request,
        change,
        "poStatusTransition",
    )?;
    let body = json!({
        "b2bIds": request["b2bIds"],
        "resp": resp(&req_msg_id, None),
        "poStatus": change,
    });
    let body = with_additional_infos(body, &request);
    respond(
        app,
        vec![Outgoing {
            kind: WebhookKind::VendorPurchaseOrderStatusChangeResponse,
            path: "/api/v0/purchase-order/resp-status-change",
            object_id,
            body,
        }],
    );
    Ok(acknowledged())
}

/// `POST /api/v0/cd-note/req-send`; the Send C/N Response Webhook echoes the note.
pub(crate) fn send_cd_note(app: &App, body: &[u8]) -> Answer {
    let request = read::<types::SendCdNoteRequest>(body)?;
    let note = &request["cdNote"];
    let (object_id, req_msg_id) = create_document(
        app,
        Kind::CdNote,
        &request,
        note,
        &text(note, "/supplierCDNoteNumber"),
        "cdNoteStatusTransition",
    )?;
    let body = json!({
        "device": request["device"],
        "b2bIds": request["b2bIds"],
        "resp": resp(&req_msg_id, None),
        "cdNote": note,
    });
    let body = with_additional_infos(body, &request);
    respond(
        app,
        vec![Outgoing {
            kind: WebhookKind::VendorCdNoteSendResponse,
            path: "/api/v0/cd-note/resp-send",
            object_id,
            body,
        }],
    );
    Ok(acknowledged())
}

/// `POST /api/v0/cd-note/req-confirm`: the buyer answers a note.
pub(crate) fn confirm_cd_note(app: &App, body: &[u8]) -> Answer {
    let request = read::<types::ConfirmCdNoteRequest>(body)?;
    change_document(
        app,
        Kind::CdNote,
        &request,
        &request["cdNoteConfirmation"],
        "cdNoteStatusTransition",
    )?;
    Ok(acknowledged())
}

/// Share of the requested amount each financier approves in its bid.
const APPROVED_SHARE: Decimal = Decimal::from_parts(95, 0, 0, false, 2);

/// `POST /api/v0/finance/req-financing`: can lead to a disbursement. Refused at once: a
/// `financingRequestId` used before (38), an invoice `objectId` that names no invoice (404).
/// Otherwise each financier of `financeId` bids 95 % of the amount on the Share Bid Request
/// Webhook.
pub(crate) fn request_financing(app: &App, body: &[u8]) -> Answer {
    let request = read::<types::RequestFinancingRequest>(body)?;
    let finance = &request["financeRequest"];
    let id = text(finance, "/financingRequestId");
    let mut state = app.lock();
    if state.vendor.financing.contains_key(&id) {
        return Err(duplicate("financingRequestId", &id));
    }
    let invoices: Vec<String> = finance["invoices"]
        .as_array()
        .into_iter()
        .flatten()
        .map(|invoice| text(invoice, "/objectId"))
        .collect();
    if let Some(unknown) = invoices
        .iter()
        .find(|invoice| !state.vendor.invoices.contains_key(*invoice))
    {
        return Err(not_found("invoice", unknown));
    }
    let requested = amount(finance, "/financingRequestAmount");
    let req_msg_id = state.ids.uuid();
    let mut bids = Vec::new();
    for fa in finance["financeId"].as_array().into_iter().flatten() {
        for financier in fa["financierId"].as_array().into_iter().flatten() {
            let bid_id = format!("BID-{:06}", state.ids.next_u64() % 1_000_000);
            let approved =
                requested.map(|a| Amount::from((a.as_decimal() * APPROVED_SHARE).round_dp(2)));
            let details: Vec<Value> = invoices
                .iter()
                .map(|invoice| json!({"objectId": invoice, "approvedAmount": approved, "financingRequestAmount": requested}))
                .collect();
            bids.push((
                text(fa, "/faId"),
                json!({"bidId": bid_id, "financierId": financier, "approvedAmount": approved,
                       "bidValue": 11.25, "invoiceFinDetails": details}),
            ));
        }
    }
    state.vendor.financing.insert(
        id.clone(),
        Financing {
            financing_request_id: id.clone(),
            req_msg_id,
            status: "PENDING",
            financing_request_amount: requested,
            bid_ids: bids.iter().map(|(_, bid)| text(bid, "/bidId")).collect(),
        },
    );
    drop(state);
    let device = request["device"].clone();
    let due = app.clock.now() + app.config.respond_after;
    later(app, due, move |app| {
        let mut state = app.lock();
        if let Some(record) = state.vendor.financing.get_mut(&id) {
            record.status = "BIDS_SHARED";
        }
        bids.into_iter()
            .map(|(fa_id, bid)| Outgoing {
                kind: WebhookKind::VendorShareBidRequest,
                path: "/api/v0/finance/shareBid",
                object_id: id.clone(),
                body: json!({
                    "device": device,
                    "bid": {"faId": fa_id, "financingRequestId": id, "financingRequestAmount": requested,
                            "bidDetails": [bid]},
                }),
            })
            .collect()
    });
    Ok(acknowledged())
}

/// Sends response webhooks once [`crate::SandboxBuilder::respond_after`] passed.
fn respond(app: &App, outgoing: Vec<Outgoing>) {
    let due = app.clock.now() + app.config.respond_after;
    later(app, due, move |_| outgoing);
}

/// Runs `answer` when the sandbox's clock reaches `due` (at once when it has), then delivers the
/// webhooks it returns, in order. Answers run one after the other in the order of their calls (their
/// due times never decrease), so webhooks go out in the order a real network would send them.
fn later(
    app: &App,
    due: std::time::Instant,
    answer: impl FnOnce(&App) -> Vec<Outgoing> + Send + 'static,
) {
    let (done, finished) = tokio::sync::oneshot::channel::<()>();
    let previous = app
        .vendor_answers
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
        .replace(finished);
    let app = App::clone(app);
    tokio::spawn(async move {
        if let Some(previous) = previous {
            // An error only means the previous answer's task ended: it is done either way.
            let _ = previous.await;
        }
        app.clock.sleep_until(due).await;
        let outgoing = answer(&app);
        for message in outgoing {
            deliver(&app, message).await;
        }
        drop(done);
    });
}

/// POSTs one webhook under the Vendor Payment webhook URL (if any) and records it.
async fn deliver(app: &App, message: Outgoing) {
    let (status, error) = match &app.vendor_webhook {
        Some(hook) => {
            let url = format!("{}{}", hook.url.trim_end_matches('/'), message.path);
            super::webhook::post(hook, &url, &message.body).await
        }
        None => (
            None,
            Some("no Vendor Payment webhook URL is set".to_owned()),
        ),
    };
    app.lock().vendor.webhooks.push(VendorWebhook {
        kind: message.kind,
        path: message.path,
        object_id: message.object_id,
        body: message.body,
        status,
        error,
    });
}

/// How long the network takes to answer by default: at once.
pub(crate) const DEFAULT_RESPOND_AFTER: Duration = Duration::ZERO;

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_transition_checks_version_and_status_then_moves_both() {
        let mut vendor = Vendor::default();
        vendor.seed_spec_examples();
        let invoice = vendor
            .invoices
            .get_mut("INVEH60KVJ50CE9UVW53EFR4EDT2SYWB3WK")
            .unwrap();
        let stale = json!({"currentVersion": 0, "newVersion": 1});
        let status = json!({"currentStatus": "CREATED", "newStatus": "ACCEPTED"});
        let err = transition(invoice, "invoice", Some(&stale), Some(&status)).unwrap_err();
        assert_eq!(err.status.as_u16(), 422);
        let version = json!({"currentVersion": 1, "newVersion": 2});
        transition(invoice, "invoice", Some(&version), Some(&status)).unwrap();
        assert_eq!((invoice.version, invoice.status.as_str()), (2, "ACCEPTED"));
        let err = transition(invoice, "invoice", Some(&version), Some(&status)).unwrap_err();
        assert_eq!(err.status.as_u16(), 422);
    }
}
