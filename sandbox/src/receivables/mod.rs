//! Accounts Receivable: the customers and receivable invoices the sandbox keeps, and how they
//! look on the wire. The operations live in [`customers`], [`invoices`] and [`bulk`].

pub(crate) mod bulk;
pub(crate) mod customers;
pub(crate) mod invoices;

use chrono::{DateTime, NaiveDate, TimeZone, Utc};
use serde::Serialize;
use serde_json::Value;

use super::state::timestamp;
use enkash::patch::Patch;
use enkash::{Amount, Timestamp, types};

/// `receivableStatus` of an invoice nobody has paid yet.
pub(crate) const UNPAID: &str = "UNPAID";
/// `receivableStatus` of an invoice whose payment was accepted.
pub(crate) const PAID: &str = "PAID";
/// `approvalStatus` of an invoice created without one.
pub(crate) const DEFAULT_APPROVAL: &str = "CHECKER_APPROVED";

/// A payment confirmed (or answered) against an invoice with the Payment Confirmation Request.
#[derive(Clone, Debug, PartialEq, Eq)]
#[non_exhaustive]
pub struct ReceivedPayment {
    /// `paymentId` of the request.
    pub payment_id: String,
    /// `type` of the request: `OFFPLATFORM` or `ONPLATFORM`.
    pub payment_type: String,
    /// `response` of the request: `ACCEPT` or `REJECT`.
    pub response: String,
    /// `remarks` of the request.
    pub remarks: String,
    /// When the sandbox recorded it.
    pub recorded: DateTime<Utc>,
}

/// A customer as the sandbox keeps it and answers it (create, update, activate, search).
#[derive(Clone, Debug, Serialize)]
#[serde(rename_all = "camelCase")]
pub(crate) struct Customer {
    pub customer_id: String,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub legal_name: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub account_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub address: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub assigned_agent: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub branch_codes: Option<Vec<String>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub company_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub contact_number: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_company_id: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_key_contacts: Option<Vec<types::CustomerKeyContactCreateDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub customer_reminders: Option<Vec<types::CustomerReminderCreateDto>>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub external_source: Option<bool>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub ifsc: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pan_or_gstin: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub pin_code: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub state: Option<String>,
    #[serde(skip_serializing_if = "Option::is_none")]
    pub unique_ref_no: Option<String>,
    /// `ACTIVE` or `INACTIVE`.
    pub status: &'static str,
    pub active: bool,
    #[serde(skip)]
    pub deleted: bool,
    pub created_on: Timestamp,
    pub modified_on: Timestamp,
}

impl Customer {
    /// The customer as JSON (the payload of the customer calls).
    pub(crate) fn to_json(&self) -> Value {
        serde_json::to_value(self).unwrap_or(Value::Null)
    }

    pub(crate) fn set_active(&mut self, active: bool) {
        self.active = active;
        self.status = if active { "ACTIVE" } else { "INACTIVE" };
        self.modified_on = timestamp(Utc::now());
    }

    /// True when it has at least one key contact not marked deleted.
    fn has_key_contacts(&self) -> bool {
        self.customer_key_contacts
            .as_ref()
            .is_some_and(|contacts| contacts.iter().any(|contact| !contact.deleted))
    }
}

/// An invoice as the sandbox keeps it: the response shape plus the request fields the response
/// does not carry.
#[derive(Clone, Debug)]
pub(crate) struct InvoiceRecord {
    pub invoice: types::Invoice,
    pub charge_customer: Option<bool>,
    pub gst_exclusive: Option<bool>,
    pub email_address: Option<String>,
    pub mobile_number: Option<String>,
    /// `type` of the accepted payment (the invoice search's `collectionMode`).
    pub collection_mode: Option<String>,
    pub payments: Vec<ReceivedPayment>,
    pub created: DateTime<Utc>,
    pub dispatched: Option<DateTime<Utc>>,
}

impl InvoiceRecord {
    pub(crate) fn id(&self) -> &str {
        self.invoice.invoice_id.as_deref().unwrap_or_default()
    }

    pub(crate) fn customer_id(&self) -> &str {
        self.invoice.customer_id.as_deref().unwrap_or_default()
    }

    pub(crate) fn receivable_status(&self) -> &str {
        self.invoice
            .receivable_status
            .as_ref()
            .and_then(|status| status.name.as_deref())
            .unwrap_or_default()
    }

    /// Sends the invoice to its customer now.
    pub(crate) fn dispatch(&mut self, at: DateTime<Utc>) {
        self.dispatched = Some(at);
        self.invoice.dispatched = Some(true);
        self.invoice.dispatched_on = Some(timestamp(at));
        let id = self.id().to_owned();
        self.invoice.payment_link = Some(format!("https://collect.sandbox.invalid/pay/{id}"));
    }
}

/// Every customer and invoice of one sandbox.
#[derive(Debug, Default)]
pub(crate) struct Receivables {
    customers: Vec<Customer>,
    invoices: Vec<InvoiceRecord>,
    customer_counter: u64,
    invoice_counter: u64,
}

impl Receivables {
    /// A new customer id, `KC` and 14 upper-case letters or digits (`KCSBX00000000001`, ...).
    pub(crate) fn next_customer_id(&mut self) -> String {
        loop {
            self.customer_counter += 1;
            let id = format!("KCSBX{:011}", self.customer_counter);
            if self.customers.iter().all(|c| c.customer_id != id) {
                return id;
            }
        }
    }

    /// A new invoice id (`INVCSBX0000001`, ...).
    pub(crate) fn next_invoice_id(&mut self) -> String {
        loop {
            self.invoice_counter += 1;
            let id = format!("INVCSBX{:07}", self.invoice_counter);
            if self.invoices.iter().all(|i| i.id() != id) {
                return id;
            }
        }
    }

    pub(crate) fn insert_customer(&mut self, customer: Customer) {
        self.customers.push(customer);
    }

    pub(crate) fn insert_invoice(&mut self, invoice: InvoiceRecord) {
        self.invoices.push(invoice);
    }

    /// Every customer, deleted ones included, in creation order.
    pub(crate) fn all_customers(&self) -> &[Customer] {
        &self.customers
    }

    /// A customer that is not deleted.
    pub(crate) fn customer(&self, id: &str) -> Option<&Customer> {
        self.customers
            .iter()
            .find(|c| c.customer_id == id && !c.deleted)
    }

    pub(crate) fn customer_mut(&mut self, id: &str) -> Option<&mut Customer> {
        self.customers
            .iter_mut()
            .find(|c| c.customer_id == id && !c.deleted)
    }

    /// A customer, deleted or not.
    fn any_customer(&self, id: &str) -> Option<&Customer> {
        self.customers.iter().find(|c| c.customer_id == id)
    }

    pub(crate) fn invoices(&self) -> &[InvoiceRecord] {
        &self.invoices
    }

    pub(crate) fn invoice(&self, id: &str) -> Option<&InvoiceRecord> {
        self.invoices.iter().find(|i| i.id() == id)
    }

    pub(crate) fn invoice_mut(&mut self, id: &str) -> Option<&mut InvoiceRecord> {
        self.invoices.iter_mut().find(|i| i.id() == id)
    }

    /// The customer of an invoice, deleted or not.
    pub(crate) fn customer_of(&self, invoice: &InvoiceRecord) -> Option<&Customer> {
        self.any_customer(invoice.customer_id())
    }

    /// An invoice as Get Invoice answers it: the customer's current name and key contacts.
    pub(crate) fn view(&self, record: &InvoiceRecord) -> types::Invoice {
        let mut invoice = record.invoice.clone();
        if let Some(customer) = self.customer_of(record) {
            invoice.customer_legal_name = customer.legal_name.clone();
            invoice.has_key_contacts = Some(customer.has_key_contacts());
        }
        invoice
    }
}

/// A status object: the code and a display label made from it (`CHECKER_APPROVED` becomes
/// `Checker Approved`).
pub(crate) fn label(name: &str) -> types::LabelName {
    let label = name
        .split(['_', ' '])
        .filter(|word| !word.is_empty())
        .map(|word| {
            let lower = word.to_lowercase();
            let mut chars = lower.chars();
            chars
                .next()
                .map(|first| first.to_uppercase().chain(chars).collect::<String>())
                .unwrap_or_default()
        })
        .collect::<Vec<_>>()
        .join(" ");
    types::LabelName {
        label: Some(label),
        name: Some(name.to_owned()),
        ..Default::default()
    }
}

/// Applies one field of a partial update to a stored value.
pub(crate) fn apply<T>(target: &mut Option<T>, patch: Patch<T>) {
    match patch {
        Patch::Unchanged => {}
        Patch::Null => *target = None,
        Patch::Set(value) => *target = Some(value),
    }
}

/// The sum of the amounts given (zero when none is).
pub(crate) fn sum(amounts: &[Option<Amount>]) -> Amount {
    Amount::new(amounts.iter().flatten().map(Amount::as_decimal).sum())
}

/// Customer `KCX7M2Q9A4B8C1D3` and invoices `INVC5K8M2Q7R1T` / `INVC5K8M2Q7R2V`, the records
/// the spec's Accounts Receivable examples name.
pub(crate) fn seed_spec_examples(receivables: &mut Receivables, seller_id: &str) {
    let created = Utc
        .with_ymd_and_hms(2025, 6, 1, 4, 30, 0)
        .single()
        .unwrap_or_else(Utc::now);
    let contact = types::CustomerKeyContactCreateDto::builder()
        .deleted(false)
        .legal_name("Sharma Traders Private Limited")
        .mobile("9876543210")
        .name("Priya Sharma");
    let contact = types::CustomerKeyContactCreateDto::try_from(contact).ok();
    receivables.insert_customer(Customer {
        customer_id: "KCX7M2Q9A4B8C1D3".to_owned(),
        legal_name: Some("Sharma Traders Private Limited".to_owned()),
        account_number: Some("50100234567890".to_owned()),
        address: Some("14 MG Road, Indiranagar, Bengaluru".to_owned()),
        assigned_agent: Some("Rahul Verma".to_owned()),
        branch_codes: None,
        company_id: Some(seller_id.to_owned()),
        contact_number: Some("+91 9876543210".to_owned()),
        customer_company_id: Some("SHARMA-TRD-001".to_owned()),
        customer_key_contacts: contact.map(|contact| vec![contact]),
        customer_reminders: None,
        external_source: Some(false),
        ifsc: Some("HDFC0001234".to_owned()),
        pan_or_gstin: Some("29ABCDE1234F1Z5".to_owned()),
        pin_code: Some("560038".to_owned()),
        state: Some("Karnataka".to_owned()),
        unique_ref_no: Some("CUST-2025-0042".to_owned()),
        status: "ACTIVE",
        active: true,
        deleted: false,
        created_on: timestamp(created),
        modified_on: timestamp(created),
    });
    let Ok(customer_id) = types::CustomerIdentifier::try_from("KCX7M2Q9A4B8C1D3") else {
        return;
    };
    for id in ["INVC5K8M2Q7R1T", "INVC5K8M2Q7R2V"] {
        let due = NaiveDate::from_ymd_opt(2025, 6, 30).unwrap_or_default();
        let mut record = invoices::new_record(
            id.to_owned(),
            seller_id,
            // From JSON, not a struct literal: a field added to the spec changes nothing here.
            match serde_json::from_value::<types::InvoiceCreateRequest>(serde_json::json!({
                "baseAmount": 10000,
                "cgst": 900,
                "sgst": 900,
                "chargeCustomer": false,
                "customerId": customer_id,
                "description": "Supply of packaging material, May 2025",
                "dueDate": due,
                "emailAddress": "accounts@sharmatraders.example.com",
                "externalId": "ERP-INV-88213",
                "gstExclusive": true,
                "invoiceDate": timestamp(created),
                "invoiceNumber": format!("INV-2025-{}", &id[id.len() - 4..]),
                "mobileNumber": "9876543210",
                "partialPaymentAllowed": true,
                "poNumber": "PO-7781",
                "via": "API",
            })) {
                Ok(request) => request,
                Err(_) => return,
            },
            created,
        );
        record.dispatch(created);
        receivables.insert_invoice(record);
    }
}
