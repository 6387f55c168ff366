//! The invoice operations: create, get, partial update, search, dispatch and the Bharat Connect
//! 2.0 payment confirmation.

use std::cmp::Ordering;

use chrono::{DateTime, NaiveDateTime, Utc};
use rust_decimal::Decimal;

use super::super::App;
use super::super::ops::Answer;
use super::super::state::timestamp;
use super::super::wire::{QueryParams, Reply, Strict, decode, decode_patch};
use super::{
    DEFAULT_APPROVAL, InvoiceRecord, PAID, Receivables, ReceivedPayment, UNPAID, apply, label, sum,
};
use enkash::patch::{InvoiceUpdate, Patch};
use enkash::{Amount, types};

/// Largest page of the invoice search (the spec's `limit` maximum).
pub(crate) const SEARCH_LIMIT: i64 = 5000;
/// Smallest `baseAmount` EnKash documents.
const MIN_BASE_AMOUNT: Decimal = Decimal::from_parts(1, 0, 0, false, 1);
/// The money fields of an invoice body.
const AMOUNTS: &[&str] = &[
    "balanceAmount",
    "baseAmount",
    "cgst",
    "igst",
    "netAmount",
    "sgst",
    "tds",
    "totalReceived",
];

fn no_such_invoice(id: &str) -> Reply {
    Reply::not_found(format!("No invoice found for invoiceId {id}"))
}

/// Checks the optional `sellerId` (`CompanyIdentifier` pattern). The sandbox has one seller,
/// so a well-formed value selects nothing else.
fn check_seller(query: &QueryParams) -> Result<(), Reply> {
    query
        .pattern::<types::CompanyIdentifier>("sellerId")
        .map(drop)
}

/// The customer an invoice may be raised for: known, not deleted (404), active (422).
fn invoiceable(receivables: &Receivables, id: &str) -> Result<(), Reply> {
    let customer = receivables
        .customer(id)
        .ok_or_else(|| Reply::not_found(format!("No customer found for customerId {id}")))?;
    if !customer.active {
        return Err(Reply::unprocessable(format!("Customer {id} is not active")));
    }
    Ok(())
}

/// 400 unless every amount given is zero or more and `baseAmount` at least 0.1.
fn check_amounts(invoice: &types::Invoice) -> Result<(), Reply> {
    let named = [
        ("balanceAmount", invoice.balance_amount),
        ("cgst", invoice.cgst),
        ("igst", invoice.igst),
        ("netAmount", invoice.net_amount),
        ("sgst", invoice.sgst),
        ("tds", invoice.tds),
        ("totalReceived", invoice.total_received),
    ];
    if let Some((name, _)) = named
        .iter()
        .find(|(_, amount)| amount.is_some_and(|a| a.as_decimal().is_sign_negative()))
    {
        return Err(Reply::invalid(format!("{name} must not be negative")));
    }
    if invoice
        .base_amount
        .is_none_or(|base| base.as_decimal() < MIN_BASE_AMOUNT)
    {
        return Err(Reply::invalid("baseAmount must be at least 0.1"));
    }
    Ok(())
}

/// Net amount of an invoice: base plus GST (unless `gstExclusive` is `false`: GST included).
fn net_of(invoice: &types::Invoice, gst_exclusive: Option<bool>) -> Amount {
    let taxes = if gst_exclusive == Some(false) {
        Amount::from(0)
    } else {
        sum(&[invoice.cgst, invoice.sgst, invoice.igst])
    };
    sum(&[invoice.base_amount, Some(taxes)])
}

/// Net amount less what was received.
fn balance_of(invoice: &types::Invoice) -> Amount {
    let net = invoice.net_amount.map_or(Decimal::ZERO, |a| a.as_decimal());
    let received = invoice
        .total_received
        .map_or(Decimal::ZERO, |a| a.as_decimal());
    Amount::new(net - received)
}

/// A new invoice from a create body: `UNPAID`, not dispatched, approval `CHECKER_APPROVED`
/// unless the body says otherwise; net and balance computed when not given.
pub(crate) fn new_record(
    id: String,
    seller_id: &str,
    request: types::InvoiceCreateRequest,
    now: DateTime<Utc>,
) -> InvoiceRecord {
    let approval = request
        .approval_status
        .map_or_else(|| DEFAULT_APPROVAL.to_owned(), |status| status.to_string());
    let mut invoice = types::Invoice {
        approval_status: Some(label(&approval)),
        attachment_url: None,
        balance_amount: request.balance_amount,
        base_amount: Some(request.base_amount),
        cgst: request.cgst,
        created_by: Some("sandbox-user".to_owned()),
        created_by_email: None,
        created_by_mobile: None,
        created_by_name: Some("Sandbox User".to_owned()),
        created_on: Some(timestamp(now)),
        customer_id: Some(request.customer_id.to_string()),
        customer_legal_name: None,
        description: request.description,
        dispatched: Some(false),
        dispatched_on: None,
        due_date: Some(request.due_date),
        external_id: request.external_id,
        has_key_contacts: None,
        igst: request.igst,
        invoice_attachments: Vec::new(),
        invoice_date: request.invoice_date,
        invoice_id: Some(id),
        invoice_number: request.invoice_number,
        modified_by: Some("sandbox-user".to_owned()),
        modified_by_email: None,
        modified_by_mobile: None,
        modified_by_name: Some("Sandbox User".to_owned()),
        modified_on: Some(timestamp(now)),
        net_amount: request.net_amount,
        partial_payment_allowed: request.partial_payment_allowed,
        payable_reference_id: request.payable_reference_id,
        payment_link: None,
        payout_status: None,
        po_number: request.po_number,
        receivable_status: Some(label(
            request.receivable_status.as_deref().unwrap_or(UNPAID),
        )),
        seller_id: Some(seller_id.to_owned()),
        sgst: request.sgst,
        tds: request.tds,
        total_received: request.total_received,
        via: request.via.or_else(|| Some("API".to_owned())),
        ..Default::default()
    };
    if invoice.net_amount.is_none() {
        invoice.net_amount = Some(net_of(&invoice, request.gst_exclusive));
    }
    if invoice.balance_amount.is_none() {
        invoice.balance_amount = Some(balance_of(&invoice));
    }
    let mut record = InvoiceRecord {
        invoice,
        charge_customer: request.charge_customer,
        gst_exclusive: request.gst_exclusive,
        email_address: request.email_address,
        mobile_number: request.mobile_number,
        collection_mode: None,
        payments: Vec::new(),
        created: now,
        dispatched: None,
    };
    if request.dispatch_now == Some(true) {
        record.dispatch(now);
    }
    record
}

/// `POST /api/v0/invoice`: a new invoice (`INVCSBX...`) for a known, active customer; the
/// payload is the invoice as Get Invoice answers it.
pub(crate) fn create(app: &App, body: &[u8]) -> Answer {
    let strict = Strict {
        amounts: AMOUNTS,
        patterns: &[],
        optional: &[],
    };
    let request: types::InvoiceCreateRequest = decode(body, &strict)?;
    let seller = app.config.credentials.client_id.clone();
    let mut state = app.lock();
    let receivables = &mut state.receivables;
    invoiceable(receivables, &request.customer_id)?;
    let id = receivables.next_invoice_id();
    let record = new_record(id, &seller, request, Utc::now());
    check_amounts(&record.invoice)?;
    let view = receivables.view(&record);
    receivables.insert_invoice(record);
    Ok(Reply::ok(view))
}

/// `GET /api/v0/invoice/{invoiceId}`.
pub(crate) fn get(app: &App, id: &str, query: &QueryParams) -> Answer {
    check_seller(query)?;
    let state = app.lock();
    let record = state
        .receivables
        .invoice(id)
        .ok_or_else(|| no_such_invoice(id))?;
    Ok(Reply::ok(state.receivables.view(record)))
}

/// `PATCH /api/v0/invoice/{invoiceId}`: a field left out stays, `null` clears it, a value sets
/// it. `baseAmount` and `dueDate` cannot be cleared (400); `customerId` must name a known,
/// active customer; `dispatchNow: true` dispatches the invoice. When amounts change and
/// `netAmount` / `balanceAmount` are not sent, they are computed again.
pub(crate) fn update(app: &App, id: &str, query: &QueryParams, body: &[u8]) -> Answer {
    check_seller(query)?;
    let update: InvoiceUpdate = decode_patch(body, &["customerId"], AMOUNTS)?;
    if update.base_amount.is_null() {
        return Err(Reply::invalid("baseAmount cannot be cleared"));
    }
    if update.due_date.is_null() {
        return Err(Reply::invalid("dueDate cannot be cleared"));
    }
    let now = Utc::now();
    let mut state = app.lock();
    let receivables = &mut state.receivables;
    if let Some(customer) = &update.customer_id {
        invoiceable(receivables, customer)?;
    }
    let mut record = receivables
        .invoice(id)
        .cloned()
        .ok_or_else(|| no_such_invoice(id))?;
    let amounts_changed = [
        &update.base_amount,
        &update.cgst,
        &update.sgst,
        &update.igst,
    ]
    .iter()
    .any(|patch| !patch.is_unchanged())
        || !update.gst_exclusive.is_unchanged();
    let net_sent = !update.net_amount.is_unchanged();
    let balance_sent = !update.balance_amount.is_unchanged();
    let received_changed = !update.total_received.is_unchanged();

    let invoice = &mut record.invoice;
    let mut approval = invoice
        .approval_status
        .take()
        .and_then(|status| status.name);
    apply(&mut approval, update.approval_status);
    invoice.approval_status = approval.as_deref().map(label);
    let mut receivable = invoice
        .receivable_status
        .take()
        .and_then(|status| status.name);
    apply(&mut receivable, update.receivable_status);
    invoice.receivable_status = receivable.as_deref().map(label);
    apply(&mut invoice.balance_amount, update.balance_amount);
    apply(&mut invoice.base_amount, update.base_amount);
    apply(&mut invoice.cgst, update.cgst);
    apply(&mut invoice.description, update.description);
    apply(&mut invoice.due_date, update.due_date);
    apply(&mut invoice.igst, update.igst);
    apply(&mut invoice.invoice_date, update.invoice_date);
    apply(&mut invoice.invoice_number, update.invoice_number);
    apply(&mut invoice.net_amount, update.net_amount);
    apply(
        &mut invoice.partial_payment_allowed,
        update.partial_payment_allowed,
    );
    apply(
        &mut invoice.payable_reference_id,
        update.payable_reference_id,
    );
    apply(&mut invoice.po_number, update.po_number);
    apply(&mut invoice.sgst, update.sgst);
    apply(&mut invoice.tds, update.tds);
    apply(&mut invoice.total_received, update.total_received);
    apply(&mut invoice.via, update.via);
    if let Some(customer) = update.customer_id {
        invoice.customer_id = Some(customer.to_string());
    }
    apply(&mut record.charge_customer, update.charge_customer);
    apply(&mut record.gst_exclusive, update.gst_exclusive);
    apply(&mut record.email_address, update.email_address);
    apply(&mut record.mobile_number, update.mobile_number);

    let invoice = &mut record.invoice;
    if amounts_changed && !net_sent {
        invoice.net_amount = Some(net_of(invoice, record.gst_exclusive));
    }
    if (amounts_changed || net_sent || received_changed) && !balance_sent {
        invoice.balance_amount = Some(balance_of(invoice));
    }
    check_amounts(invoice)?;
    invoice.modified_on = Some(timestamp(now));
    if update.dispatch_now == Patch::Set(true) {
        record.dispatch(now);
    }
    let view = receivables.view(&record);
    if let Some(stored) = receivables.invoice_mut(id) {
        *stored = record;
    }
    Ok(Reply::ok(view))
}

/// A `yyyy-MM-dd HH:mm:ss` search bound; 400 when it is not a real date and time.
fn bound(
    value: Option<&types::SearchDateTime>,
    name: &str,
) -> Result<Option<NaiveDateTime>, Reply> {
    value
        .map(|text| {
            NaiveDateTime::parse_from_str(text, "%Y-%m-%d %H:%M:%S")
                .map_err(|_| Reply::invalid(format!("{name} is not a valid date and time")))
        })
        .transpose()
}

/// `POST /api/v0/invoice/search`: the invoices matching every filter given, as a JSON array of
/// invoices, paged by `offset` / `limit` and sorted by `orderBy` (`dueDate`, `baseAmount`,
/// `netAmount`, `balanceAmount` or `invoiceNumber`; otherwise creation order) in `direction`
/// (ascending unless `DESC`). Date bounds are compared with the stored UTC times; `dueDateFrom`
/// / `dueDateTo` compare the due date's day. `collectionMode` matches the `type` of the accepted
/// payment.
pub(crate) fn search(app: &App, query: &QueryParams, body: &[u8]) -> Answer {
    let direction = query.pattern::<types::SortDirection>("direction")?;
    let limit = query
        .integer("limit", 1, SEARCH_LIMIT)?
        .unwrap_or(SEARCH_LIMIT);
    let offset = query
        .integer("offset", 0, i64::from(i32::MAX))?
        .unwrap_or(0);
    let order_by = query.get("orderBy")?.unwrap_or("createdOn").to_owned();
    let strict = Strict {
        amounts: &[
            "balanceAmountFrom",
            "balanceAmountTo",
            "baseAmountFrom",
            "baseAmountTo",
        ],
        patterns: &[],
        optional: &[],
    };
    let filter: types::InvoiceSearchRequest = decode(body, &strict)?;
    let created = (
        bound(filter.created_on_from.as_ref(), "createdOnFrom")?,
        bound(filter.created_on_to.as_ref(), "createdOnTo")?,
    );
    let dispatched = (
        bound(filter.dispatched_on_from.as_ref(), "dispatchedOnFrom")?,
        bound(filter.dispatched_on_to.as_ref(), "dispatchedOnTo")?,
    );
    let due = (
        bound(filter.due_date_from.as_ref(), "dueDateFrom")?.map(|at| at.date()),
        bound(filter.due_date_to.as_ref(), "dueDateTo")?.map(|at| at.date()),
    );
    let in_range = |amount: Option<Amount>, from: Option<Amount>, to: Option<Amount>| {
        (from.is_none() && to.is_none())
            || amount.is_some_and(|amount| {
                from.is_none_or(|from| amount >= from) && to.is_none_or(|to| amount <= to)
            })
    };
    fn within<T: PartialOrd + Copy>(value: Option<T>, (from, to): (Option<T>, Option<T>)) -> bool {
        (from.is_none() && to.is_none())
            || value.is_some_and(|value| {
                from.is_none_or(|from| value >= from) && to.is_none_or(|to| value <= to)
            })
    }
    let wanted_name = filter.customer_legal_name.map(|name| name.to_lowercase());

    let state = app.lock();
    let receivables = &state.receivables;
    let mut matching: Vec<&InvoiceRecord> = receivables
        .invoices()
        .iter()
        .filter(|record| {
            let invoice = &record.invoice;
            let customer = receivables.customer_of(record);
            let approval = invoice
                .approval_status
                .as_ref()
                .and_then(|status| status.name.as_deref())
                .unwrap_or_default();
            (filter.approval_statuses.is_empty()
                || filter
                    .approval_statuses
                    .iter()
                    .any(|status| status.to_string() == approval))
                && in_range(
                    invoice.balance_amount,
                    filter.balance_amount_from,
                    filter.balance_amount_to,
                )
                && in_range(
                    invoice.base_amount,
                    filter.base_amount_from,
                    filter.base_amount_to,
                )
                && (filter.collection_mode.is_empty()
                    || record
                        .collection_mode
                        .as_ref()
                        .is_some_and(|mode| filter.collection_mode.contains(mode)))
                && within(Some(record.created.naive_utc()), created)
                && filter.created_via.as_deref().is_none_or(|via| {
                    invoice
                        .via
                        .as_deref()
                        .is_some_and(|v| v.eq_ignore_ascii_case(via))
                })
                && filter
                    .customer_deleted
                    .is_none_or(|deleted| customer.is_some_and(|c| c.deleted == deleted))
                && (filter.customer_ids.is_empty()
                    || filter
                        .customer_ids
                        .iter()
                        .any(|id| id == record.customer_id()))
                && wanted_name.as_deref().is_none_or(|wanted| {
                    customer
                        .and_then(|c| c.legal_name.as_deref())
                        .is_some_and(|name| name.to_lowercase().contains(wanted))
                })
                && filter.customer_status.as_deref().is_none_or(|wanted| {
                    customer.is_some_and(|c| c.status.eq_ignore_ascii_case(wanted))
                })
                && filter
                    .dispatched
                    .is_none_or(|wanted| invoice.dispatched == Some(wanted))
                && within(record.dispatched.map(|at| at.naive_utc()), dispatched)
                && within(invoice.due_date, due)
        })
        .collect();
    let compare = |a: &&InvoiceRecord, b: &&InvoiceRecord| -> Ordering {
        let (a, b) = (&a.invoice, &b.invoice);
        match order_by.as_str() {
            "dueDate" => a.due_date.cmp(&b.due_date),
            "baseAmount" => a.base_amount.cmp(&b.base_amount),
            "netAmount" => a.net_amount.cmp(&b.net_amount),
            "balanceAmount" => a.balance_amount.cmp(&b.balance_amount),
            "invoiceNumber" => a.invoice_number.cmp(&b.invoice_number),
            _ => Ordering::Equal,
        }
    };
    // A stable sort keeps creation order among equal keys.
    matching.sort_by(compare);
    if matches!(direction, Some(types::SortDirection::Desc)) {
        matching.reverse();
    }
    let page: Vec<types::Invoice> = matching
        .into_iter()
        .skip(usize::try_from(offset).unwrap_or(usize::MAX))
        .take(usize::try_from(limit).unwrap_or(0))
        .map(|record| receivables.view(record))
        .collect();
    Ok(Reply::ok(page))
}

/// The invoices named by `ids`: 400 when there are none, 404 (nothing changes) when one is
/// unknown.
fn named_invoices(receivables: &Receivables, ids: &[String]) -> Result<(), Reply> {
    if ids.is_empty() {
        return Err(Reply::invalid(
            "invoiceIds must hold at least one invoice id",
        ));
    }
    match ids.iter().find(|id| receivables.invoice(id).is_none()) {
        Some(missing) => Err(no_such_invoice(missing)),
        None => Ok(()),
    }
}

/// `POST /api/v0/invoice/bulk/dispatch`: every named invoice is dispatched (`dispatched`,
/// `dispatchedOn`, a payment link) and takes `partialPaymentAllowed` when it is sent. 422 (and
/// nothing changes) when an invoice's customer is deleted or inactive. The payload is the
/// dispatched invoices.
pub(crate) fn dispatch(app: &App, body: &[u8]) -> Answer {
    let request: types::InvoiceDispatchRequest = decode(body, &Strict::NONE)?;
    let now = Utc::now();
    let mut state = app.lock();
    let receivables = &mut state.receivables;
    named_invoices(receivables, &request.invoice_ids)?;
    for id in &request.invoice_ids {
        let customer = receivables
            .invoice(id)
            .and_then(|record| receivables.customer(record.customer_id()));
        if !customer.is_some_and(|c| c.active) {
            return Err(Reply::unprocessable(format!(
                "The customer of invoice {id} is not active"
            )));
        }
    }
    for id in &request.invoice_ids {
        if let Some(record) = receivables.invoice_mut(id) {
            record.dispatch(now);
            if let Some(partial) = request.partial_payment_allowed {
                record.invoice.partial_payment_allowed = Some(partial);
            }
            record.invoice.modified_on = Some(timestamp(now));
        }
    }
    let views: Vec<types::Invoice> = request
        .invoice_ids
        .iter()
        .filter_map(|id| receivables.invoice(id))
        .map(|record| receivables.view(record))
        .collect();
    Ok(Reply::ok(views))
}

/// `POST /api/v0/invoice/payment-confirmation`: records the payment against every named
/// invoice. `type` must be `OFFPLATFORM` or `ONPLATFORM` and `response` `ACCEPT` or `REJECT`
/// (`REJECT` only off-platform), the values of the related Bharat Connect webhook; `paymentId`
/// must not be blank (400 otherwise). `ACCEPT` settles the invoice: `totalReceived` becomes its
/// net amount, `balanceAmount` 0 and `receivableStatus` `PAID` (422, nothing changes, when one is
/// already paid). `REJECT` only records the answer. The payload is the invoices.
pub(crate) fn confirm_payment(app: &App, body: &[u8]) -> Answer {
    let request: types::PaymentConfirmationRequest = decode(body, &Strict::NONE)?;
    if request.payment_id.trim().is_empty() {
        return Err(Reply::invalid("paymentId must not be blank"));
    }
    if !matches!(request.type_.as_str(), "OFFPLATFORM" | "ONPLATFORM") {
        return Err(Reply::invalid("type must be OFFPLATFORM or ONPLATFORM"));
    }
    let accept = match request.response.as_str() {
        "ACCEPT" => true,
        "REJECT" if request.type_ == "OFFPLATFORM" => false,
        "REJECT" => {
            return Err(Reply::invalid("An on-platform payment cannot be rejected"));
        }
        _ => return Err(Reply::invalid("response must be ACCEPT or REJECT")),
    };
    let now = Utc::now();
    let mut state = app.lock();
    let receivables = &mut state.receivables;
    named_invoices(receivables, &request.invoice_ids)?;
    if accept
        && let Some(paid) = request.invoice_ids.iter().find(|id| {
            receivables
                .invoice(id)
                .is_some_and(|r| r.receivable_status() == PAID)
        })
    {
        return Err(Reply::unprocessable(format!(
            "Invoice {paid} is already paid"
        )));
    }
    for id in &request.invoice_ids {
        let Some(record) = receivables.invoice_mut(id) else {
            continue;
        };
        record.payments.push(ReceivedPayment {
            payment_id: request.payment_id.clone(),
            payment_type: request.type_.clone(),
            response: request.response.clone(),
            remarks: request.remarks.clone(),
            recorded: now,
        });
        if accept {
            let invoice = &mut record.invoice;
            invoice.total_received = invoice.net_amount.or(invoice.base_amount);
            invoice.balance_amount = Some(Amount::from(0));
            invoice.receivable_status = Some(label(PAID));
            invoice.modified_on = Some(timestamp(now));
            record.collection_mode = Some(request.type_.clone());
        }
    }
    let views: Vec<types::Invoice> = request
        .invoice_ids
        .iter()
        .filter_map(|id| receivables.invoice(id))
        .map(|record| receivables.view(record))
        .collect();
    Ok(Reply::ok(views))
}
