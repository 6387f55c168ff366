//! Everything the sandbox remembers: tokens, consumer registrations, bills, faults, counters,
//! webhook deliveries; and how a bill looks in each response shape.

use std::collections::{BTreeMap, HashMap, VecDeque};
use std::hash::BuildHasher;
use std::time::{Duration, Instant};

use chrono::{DateTime, NaiveDate, SubsecRound, Utc};

use super::catalogue::{Biller, IssuedBill};
use super::faults::{FaultScript, Operation};
use super::receivables::Receivables;
use super::vendor::Vendor;
use super::webhook::WebhookDelivery;
use enkash::enums::{ApprovalStatus, BillpayStatus, Circle, PaymentMode, PaymentStatus};
use enkash::{Amount, Timestamp, types};

/// Name of the company every sandbox bill belongs to.
pub const COMPANY_NAME: &str = "Sandbox Company Pvt Ltd";
/// EnKash id of that company.
pub const COMPANY_ID: &str = "CEKSANDBOX01";

/// Counters the tests read from the handle.
#[derive(Clone, Debug, Default, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct SandboxStats {
    /// Calls of `POST /oauth/token`, answered or not.
    pub token_requests: u64,
    /// Access tokens issued.
    pub tokens_issued: u64,
    /// Calls answered HTTP 401.
    pub unauthorized: u64,
    /// Calls per operation, including those a fault answered.
    pub calls: BTreeMap<Operation, u64>,
    /// TCP connections accepted.
    pub connections_accepted: u64,
    /// The most TCP connections open at one time.
    pub peak_open_connections: u64,
}

/// Where generated ids come from: a seed and a counter, so a seeded sandbox hands out the same
/// tokens and `reqMsgId`s on every run.
#[derive(Debug)]
pub(crate) struct IdSource {
    seed: u64,
    counter: u64,
}

impl Default for IdSource {
    /// A random seed.
    fn default() -> Self {
        Self::seeded(std::hash::RandomState::new().hash_one("enkash-sandbox"))
    }
}

impl IdSource {
    pub(crate) fn seeded(seed: u64) -> Self {
        Self { seed, counter: 0 }
    }

    /// The next 64 bits of the sequence.
    pub(crate) fn next_u64(&mut self) -> u64 {
        use std::hash::{DefaultHasher, Hash, Hasher};
        self.counter += 1;
        let mut hasher = DefaultHasher::new();
        (self.seed, self.counter).hash(&mut hasher);
        hasher.finish()
    }

    /// The next id in the shape of a version-4 UUID.
    pub(crate) fn uuid(&mut self) -> String {
        let high = self.next_u64();
        let low = self.next_u64();
        format!(
            "{:08x}-{:04x}-4{:03x}-{:04x}-{:012x}",
            high >> 32,
            (high >> 16) & 0xffff,
            high & 0x0fff,
            (low >> 48) & 0x3fff | 0x8000,
            low & 0xffff_ffff_ffff
        )
    }
}

/// One call the sandbox received, as `GET /_sandbox/requests` and
/// [`crate::SandboxHandle::requests`] report it.
#[derive(Clone, Debug, PartialEq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReceivedRequest {
    /// 1 for the first call, then counting up.
    pub sequence: u64,
    /// The operation's id in snake_case (`pay_invoice`).
    pub operation: Operation,
    /// HTTP method.
    pub method: String,
    /// Path, without the query string.
    pub path: String,
    /// Query string, when there was one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub query: Option<String>,
    /// The JSON body; a body that is not JSON as text; `null` for the token call, whose form
    /// carries credentials, and for a `multipart/form-data` body (see `parts`).
    pub body: serde_json::Value,
    /// The parts of a `multipart/form-data` body, in order (empty for any other body).
    #[serde(skip_serializing_if = "Vec::is_empty")]
    pub parts: Vec<ReceivedPart>,
    /// HTTP status answered; `None` when a fault cut the connection.
    pub status: Option<u16>,
    /// The scripted fault applied to the call, by name.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub fault: Option<&'static str>,
    /// Sandbox time when the call arrived.
    pub received: DateTime<Utc>,
}

/// One part of a `multipart/form-data` body the sandbox received (its content is not kept).
#[derive(Clone, Debug, PartialEq, Eq, serde::Serialize)]
#[serde(rename_all = "camelCase")]
#[non_exhaustive]
pub struct ReceivedPart {
    /// The part's name (`file`).
    pub name: String,
    /// The file name it was sent with, if any.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub file_name: Option<String>,
    /// Its `Content-Type`, if it had one.
    #[serde(skip_serializing_if = "Option::is_none")]
    pub content_type: Option<String>,
    /// Its size in bytes.
    pub size: usize,
}

/// A consumer number registered against a biller (the spec's `companyBiller`).
#[derive(Clone, Debug)]
pub(crate) struct Registration {
    pub id: String,
    pub biller: &'static Biller,
    pub circle: Option<Circle>,
    pub params: types::BillParams,
    pub branch_code: Option<String>,
    pub remarks: Option<String>,
    pub key_contact_email: Option<String>,
    pub created: DateTime<Utc>,
    pub bill: IssuedBill,
}

/// Why a bill payment failed, and when the money went back.
#[derive(Clone, Debug)]
pub(crate) struct Failure {
    pub reason: &'static str,
    pub code: &'static str,
    pub refunded: DateTime<Utc>,
}

/// A bill created on the sandbox.
#[derive(Clone, Debug)]
pub(crate) struct Bill {
    pub id: String,
    pub reference_id: Option<String>,
    pub registration: String,
    pub issued: IssuedBill,
    /// The amount to pay (`billNetAmount`).
    pub amount: Amount,
    pub remarks: Option<String>,
    pub created: DateTime<Utc>,
    pub approval: ApprovalStatus,
    pub approval_remarks: Option<String>,
    pub approved: Option<DateTime<Utc>>,
    pub payment: PaymentStatus,
    pub paid: Option<DateTime<Utc>>,
    pub bank_transaction_id: Option<String>,
    pub billpay: BillpayStatus,
    pub billpaid: Option<DateTime<Utc>>,
    pub bill_reference_id: Option<String>,
    pub failure: Option<Failure>,
}

impl Bill {
    /// A new bill awaiting approval.
    pub(crate) fn new(
        id: String,
        reference_id: Option<String>,
        registration: &Registration,
        issued: IssuedBill,
        amount: Amount,
        remarks: Option<String>,
        created: DateTime<Utc>,
    ) -> Self {
        Self {
            id,
            reference_id,
            registration: registration.id.clone(),
            issued,
            amount,
            remarks,
            created,
            approval: ApprovalStatus::MakerApprovalPending,
            approval_remarks: None,
            approved: None,
            payment: PaymentStatus::Init,
            paid: None,
            bank_transaction_id: None,
            billpay: BillpayStatus::Pending,
            billpaid: None,
            bill_reference_id: None,
            failure: None,
        }
    }
}

/// The sandbox's memory, behind one mutex.
#[derive(Debug, Default)]
pub(crate) struct State {
    tokens: HashMap<String, Instant>,
    pub ids: IdSource,
    registrations: HashMap<String, Registration>,
    bills: Vec<Bill>,
    by_id: HashMap<String, usize>,
    by_reference: HashMap<String, usize>,
    recent_creates: VecDeque<Instant>,
    pub faults: FaultScript,
    pub receivables: Receivables,
    pub vendor: Vendor,
    pub stats: SandboxStats,
    pub deliveries: Vec<WebhookDelivery>,
    pub journal: Vec<ReceivedRequest>,
}

impl State {
    /// A fresh state whose generated ids (tokens, `reqMsgId`s) follow `seed`.
    pub(crate) fn seeded(seed: u64) -> Self {
        Self {
            ids: IdSource::seeded(seed),
            ..Self::default()
        }
    }

    /// Forgets every record, fault, counter, delivery and journal entry. Issued tokens stay
    /// valid and generated ids keep counting, so a client in the middle of a test goes on.
    pub(crate) fn reset(&mut self) {
        let tokens = std::mem::take(&mut self.tokens);
        let ids = std::mem::take(&mut self.ids);
        *self = Self {
            tokens,
            ids,
            ..Self::default()
        };
    }

    /// Issues a new access token valid for `lifetime` from `now`; returns it with a refresh token.
    pub(crate) fn issue_token(&mut self, lifetime: Duration, now: Instant) -> (String, String) {
        self.tokens.retain(|_, expiry| *expiry > now);
        let access = self.ids.uuid();
        let refresh = self.ids.uuid();
        self.tokens.insert(access.clone(), now + lifetime);
        self.stats.tokens_issued += 1;
        (access, refresh)
    }

    /// True for a token this sandbox issued that has not expired at `now`.
    pub(crate) fn token_is_valid(&self, token: &str, now: Instant) -> bool {
        self.tokens.get(token).is_some_and(|expiry| *expiry > now)
    }

    pub(crate) fn revoke_tokens(&mut self) {
        self.tokens.clear();
    }

    /// Counts a bill creation and tells whether it breaks the limit of `max` per `window`.
    pub(crate) fn velocity_exceeded(
        &mut self,
        limit: Option<(u32, Duration)>,
        now: Instant,
    ) -> bool {
        let Some((max, window)) = limit else {
            return false;
        };
        while self
            .recent_creates
            .front()
            .is_some_and(|at| now.duration_since(*at) >= window)
        {
            self.recent_creates.pop_front();
        }
        if self.recent_creates.len() >= max as usize {
            return true;
        }
        self.recent_creates.push_back(now);
        false
    }

    pub(crate) fn register(&mut self, registration: Registration) -> &Registration {
        self.registrations
            .entry(registration.id.clone())
            .insert_entry(registration)
            .into_mut()
    }

    pub(crate) fn registration(&self, id: &str) -> Option<&Registration> {
        self.registrations.get(id)
    }

    /// The id the next bill gets.
    pub(crate) fn next_bill_id(&self) -> String {
        let mut number = self.bills.len() + 1;
        loop {
            let id = format!("UTIL-{number:08}");
            if !self.by_id.contains_key(&id) {
                return id;
            }
            number += 1;
        }
    }

    pub(crate) fn insert_bill(&mut self, bill: Bill) {
        let index = self.bills.len();
        self.by_id.insert(bill.id.clone(), index);
        if let Some(reference) = &bill.reference_id {
            self.by_reference.insert(reference.clone(), index);
        }
        self.bills.push(bill);
    }

    pub(crate) fn bills(&self) -> &[Bill] {
        &self.bills
    }

    pub(crate) fn bill(&self, id: &str) -> Option<&Bill> {
        self.by_id.get(id).and_then(|&index| self.bills.get(index))
    }

    pub(crate) fn bill_mut(&mut self, id: &str) -> Option<&mut Bill> {
        self.by_id
            .get(id)
            .and_then(|&index| self.bills.get_mut(index))
    }

    pub(crate) fn bill_by_reference(&self, reference: &str) -> Option<&Bill> {
        self.by_reference
            .get(reference)
            .and_then(|&index| self.bills.get(index))
    }

    /// The biller of a bill.
    pub(crate) fn biller_of(&self, bill: &Bill) -> Option<&'static Biller> {
        self.registrations.get(&bill.registration).map(|r| r.biller)
    }

    /// A bill in the current-generation shape (create, v2 lookups, search).
    pub(crate) fn v2_record(&self, bill: &Bill) -> types::UtilityPaymentV2Response {
        let registration = self.registrations.get(&bill.registration);
        let issued = &bill.issued;
        types::UtilityPaymentV2Response {
            company_name: Some(COMPANY_NAME.to_owned()),
            company_id: Some(COMPANY_ID.to_owned()),
            utility_enkash_id: Some(bill.id.clone()),
            reference_id: bill.reference_id.clone(),
            amount: Some(bill.amount),
            consumer_number: Some(issued_consumer_number(registration)),
            consumer_name: Some(issued.consumer_name.clone()),
            bill_date: Some(issued.bill_date.to_string()),
            bill_due_date: Some(issued.due_date.to_string()),
            created_date: Some(timestamp(bill.created)),
            bill_number: Some(issued.bill_number.clone()),
            biller_bill_number: Some(issued.biller_bill_number.clone()),
            number_of_units: Some(issued.units),
            approval_status: Some(bill.approval.clone()),
            approval_remarks: bill.approval_remarks.clone(),
            payment_status: Some(bill.payment.clone()),
            billpay_status: Some(bill.billpay.clone()),
            failure_reason: bill.failure.as_ref().map(|f| f.reason.to_owned()),
            failure_code: bill.failure.as_ref().map(|f| f.code.to_owned()),
            payment_date: bill.paid.map(timestamp),
            billpay_date: bill.billpaid.map(timestamp),
            payment_mode: bill.paid.map(|_| PaymentMode::VirtualAccount),
            approved_date: bill.approved.map(timestamp),
            bill_reference_id: bill.bill_reference_id.clone(),
            bill_start_date: Some(issued.period_start.to_string()),
            bill_end_date: Some(issued.period_end.to_string()),
            remarks: bill.remarks.clone(),
            company_biller: registration.map(|r| Box::new(company_biller(r))),
            bill_amount: Some(issued.amount),
            early_payment_date: Some(issued.early_date.to_string()),
            early_payment_amount: Some(issued.early_amount),
            late_payment_amount: Some(issued.late_amount),
            actual_due_date: Some(issued.due_date.to_string()),
            bank_transaction_id: bill.bank_transaction_id.clone(),
            refund: bill.failure.as_ref().map(|failure| {
                Box::new(types::Refund {
                    refund_date: Some(timestamp(failure.refunded)),
                    refund_amount: Some(bill.amount),
                    refund_mode: Some("VIRTUAL_ACCOUNT".to_owned()),
                    refund_reason: Some(failure.reason.to_owned()),
                    refund_status: Some("SUCCESS".to_owned()),
                    refund_transaction_id: Some(format!("RFD-{}", bill.id)),
                    instrument: None,
                    ..Default::default()
                })
            }),
            ..Default::default()
        }
    }

    /// A bill in the first-generation shape (v0 lookups).
    pub(crate) fn v0_record(&self, bill: &Bill) -> types::UtilityPaymentResponse {
        let registration = self.registrations.get(&bill.registration);
        let issued = &bill.issued;
        types::UtilityPaymentResponse {
            utility_enkash_id: Some(bill.id.clone()),
            reference_id: bill.reference_id.clone(),
            amount: Some(bill.amount),
            consumer_number: Some(issued_consumer_number(registration)),
            consumer_name: Some(issued.consumer_name.clone()),
            bill_date: Some(issued.bill_date),
            bill_due_date: Some(issued.due_date),
            created_date: Some(timestamp(bill.created)),
            bill_number: Some(issued.bill_number.clone()),
            biller_bill_number: Some(issued.biller_bill_number.clone()),
            payment_status: Some(bill.payment.clone()),
            payment_date: bill.paid.map(timestamp),
            billpay_status: Some(bill.billpay.clone()),
            bill_reference_id: bill.bill_reference_id.clone(),
            billpay_date: bill.billpaid.map(timestamp),
            failure_reason: bill.failure.as_ref().map(|f| f.reason.to_owned()),
            refund_date: bill.failure.as_ref().map(|f| timestamp(f.refunded)),
            payment_mode: bill.paid.map(|_| PaymentMode::VirtualAccount),
            approved_date: bill.approved.map(timestamp),
            bill_start_date: Some(issued.period_start),
            bill_end_date: Some(issued.period_end),
            remarks: bill.remarks.clone(),
            validation_id: Some(issued.validation_id.clone()),
            bill_amount: Some(issued.amount),
            early_payment_date: Some(issued.early_date),
            early_payment_amount: Some(issued.early_amount),
            late_payment_amount: Some(issued.late_amount),
            actual_due_date: Some(issued.due_date),
            company_biller: registration.map(|r| Box::new(company_biller(r))),
            ..Default::default()
        }
    }

    /// The webhook body for a bill: the bill record, as EnKash POSTs it.
    pub(crate) fn webhook_body(
        &self,
        bill: &Bill,
    ) -> Result<types::UtilityBillWebhookRequest, serde_json::Error> {
        let mut record = serde_json::to_value(self.v2_record(bill))?;
        if let Some(fields) = record.as_object_mut() {
            let issued = &bill.issued;
            fields.insert("validationId".into(), issued.validation_id.clone().into());
            if let Some(failure) = &bill.failure {
                fields.insert(
                    "refundDate".into(),
                    timestamp(failure.refunded).to_string().into(),
                );
            }
        }
        serde_json::from_value(record)
    }
}

fn issued_consumer_number(registration: Option<&Registration>) -> String {
    registration.map_or_else(String::new, |r| r.params.cn.clone())
}

/// A registration as responses carry it (`companyBiller`).
fn company_biller(registration: &Registration) -> types::CompanyBillerResponse {
    let params = &registration.params;
    let mut pairs = vec![("cn".to_owned(), params.cn.clone())];
    for (key, value) in [
        ("ad1", &params.ad1),
        ("ad2", &params.ad2),
        ("ad3", &params.ad3),
    ] {
        if let Some(value) = value {
            pairs.push((key.to_owned(), value.clone()));
        }
    }
    pairs.extend(params.extra.iter().map(|(k, v)| (k.clone(), v.clone())));
    let biller_params = pairs
        .iter()
        .map(|(key, value)| types::BillerParam {
            key: Some(key.clone()),
            name: Some(if key == "cn" {
                "Consumer Number".to_owned()
            } else {
                key.clone()
            }),
            value: Some(value.clone()),
            param_type: None,
            ..Default::default()
        })
        .collect();
    let input = pairs
        .iter()
        .map(|(key, value)| format!("{key}={value}"))
        .collect::<Vec<_>>()
        .join(",");
    types::CompanyBillerResponse {
        company_biller_id: Some(registration.id.clone()),
        company_name: Some(COMPANY_NAME.to_owned()),
        company_id: Some(COMPANY_ID.to_owned()),
        biller: Some(registration.biller.to_response()),
        circle_enum: registration.circle.clone(),
        bill_input_params: Some(input),
        biller_params,
        consumer_number: Some(params.cn.clone()),
        consumer_name: Some(registration.bill.consumer_name.clone()),
        branch_code: registration.branch_code.clone(),
        created_date: Some(timestamp(registration.created)),
        last_due_date: Some(registration.bill.due_date),
        active: Some(true),
        company_biller_validation_status: Some("SUCCESS".to_owned()),
        auto_debit: Some(false),
        recoverable_amount: Some(Amount::from(0)),
        remarks: registration.remarks.clone(),
        key_contact_email: registration.key_contact_email.clone(),
        last_bill_fetched_amount: Some(registration.bill.amount),
        ..Default::default()
    }
}

/// A UTC instant as EnKash writes it (`2025-05-12T14:30:25.120Z`).
pub(crate) fn timestamp(at: DateTime<Utc>) -> Timestamp {
    Timestamp::from(at.trunc_subsecs(3))
}

/// Today's date in UTC.
pub(crate) fn today() -> NaiveDate {
    Utc::now().date_naive()
}
