//! The operations: what each call does to the state and what it answers.
//!
//! Each returns `Err(reply)` to answer early; `Ok` and `Err` are both answers.

use axum::http::header::{AUTHORIZATION, HeaderMap};
use base64::Engine as _;
use base64::engine::general_purpose::STANDARD as BASE64;
use chrono::Utc;
use rust_decimal::Decimal;
use serde_json::{Value, json};

use super::App;
use super::catalogue::{self, Biller, FAILING_CONSUMER_SUFFIX};
use super::state::{Bill, Failure, Registration, State};
use super::webhook;
use super::wire::{Reply, Strict, decode, matches_pattern};
use enkash::enums::{ApprovalStatus, BillpayStatus, Circle, PaymentStatus};
use enkash::{Amount, types};

/// What an operation answers: `Err` answers early.
pub(crate) type Answer = Result<Reply, Reply>;

/// `response_code` of a duplicate `referenceId`.
const DUPLICATE_REFERENCE: i64 = 38;
/// `response_code` of a breached velocity limit.
const VELOCITY_LIMIT: i64 = 36;
/// Most bills one search returns, and most bills one approval takes.
const SEARCH_LIMIT: u32 = 5000;
const APPROVAL_LIMIT: usize = 1000;

/// `POST /oauth/token`.
pub(crate) fn oauth_token(app: &App, headers: &HeaderMap, body: &[u8]) -> Answer {
    let credentials = &app.config.credentials;
    let basic = headers
        .get(AUTHORIZATION)
        .and_then(|value| value.to_str().ok())
        .and_then(|value| value.split_once(' '))
        .filter(|(scheme, _)| scheme.eq_ignore_ascii_case("basic"))
        .and_then(|(_, encoded)| BASE64.decode(encoded.trim()).ok())
        .and_then(|decoded| String::from_utf8(decoded).ok());
    let expected = format!(
        "{}:{}",
        credentials.client_id,
        credentials.client_secret.expose()
    );
    if basic.as_deref() != Some(expected.as_str()) {
        return Err(Reply::unauthorized("Basic", "Bad client credentials"));
    }
    let form: types::OAuthTokenRequest = serde_urlencoded::from_bytes(body)
        .map_err(|err| Reply::failed(axum::http::StatusCode::BAD_REQUEST, err.to_string()))?;
    if form.client_id != credentials.client_id
        || form.username != credentials.username
        || form.password != credentials.password
    {
        return Err(Reply::unauthorized("Basic", "Bad credentials"));
    }
    let lifetime = app.config.token_lifetime;
    let now = app.clock.now();
    let (access, refresh) = app.lock().issue_token(lifetime, now);
    let expires_in = lifetime.as_secs() + u64::from(lifetime.subsec_nanos() > 0);
    let body = if app.config.camel_case_token {
        json!({"accessToken": access, "tokenType": "bearer", "refreshToken": refresh, "expiresIn": expires_in})
    } else {
        json!({
            "access_token": access, "token_type": "bearer", "refresh_token": refresh,
            "expires_in": expires_in, "scope": "read write trust",
        })
    };
    Ok(Reply::raw(axum::http::StatusCode::OK, body))
}

/// `POST /api/v0/biller/fetchOrAddBill`: fetch, and register the consumer number.
pub(crate) fn fetch_or_add_bill_v0(app: &App, body: &[u8]) -> Answer {
    let request: types::BillFetchV0Request = decode(body, &Strict::NONE)?;
    let biller = resolve_biller(
        request.biller_id,
        request.circle.as_ref(),
        &request.bill_params,
    )?;
    let mut state = app.lock();
    let registration = register(
        &mut state,
        biller,
        request.circle,
        request.bill_params,
        request.branch_code,
        request.remarks,
        request.key_contact_email,
    );
    let mut fetched = fetched_bill(registration);
    let issued = &registration.bill;
    let params: std::collections::BTreeMap<String, String> =
        [("cn".to_owned(), registration.params.cn.clone())]
            .into_iter()
            .chain(registration.params.extra.clone())
            .chain(optional_params(&registration.params))
            .collect();
    fetched.bill_params = Some(types::StringMap(params));
    fetched.additional_info = Some(types::StringMap(
        [
            ("Early Payment Date", issued.early_date.to_string()),
            ("Bill Month", issued.bill_date.format("%y%m").to_string()),
            ("Units", issued.units.to_string()),
        ]
        .into_iter()
        .map(|(k, v)| (k.to_owned(), v))
        .collect(),
    ));
    Ok(Reply::ok(fetched))
}

/// `POST /api/v2/biller/fetchOrAddBill`: fetch the current bill.
pub(crate) fn fetch_current_bill(app: &App, body: &[u8]) -> Answer {
    let request: types::BillFetchRequest = decode(body, &Strict::NONE)?;
    let biller = resolve_biller(
        request.biller_id,
        request.circle.as_ref(),
        &request.bill_params,
    )?;
    let mut state = app.lock();
    let registration = register(
        &mut state,
        biller,
        request.circle,
        request.bill_params,
        None,
        request.remarks,
        request.key_contact_email,
    );
    Ok(Reply::ok(fetched_bill(registration)))
}

/// `POST /api/v2/utilityPayment`: create a bill from a fetched one.
pub(crate) fn create_bill(app: &App, body: &[u8]) -> Answer {
    let strict = Strict {
        amounts: &[
            "billNetAmount",
            "billAmount",
            "earlyPaymentAmount",
            "latePaymentAmount",
        ],
        patterns: &[],
        optional: &["referenceId"],
    };
    let request: types::CreateBillRequest = decode(body, &strict)?;
    if request.bill_net_amount.as_decimal() < Decimal::ONE {
        return Err(Reply::invalid("billNetAmount must be at least 1"));
    }
    let mut state = app.lock();
    let registration = state
        .registration(&request.company_biller_id)
        .cloned()
        .ok_or_else(|| Reply::invalid("No biller found for this companyBillerId"))?;
    let mut issued = registration.bill.clone();
    issued.amount = request.bill_amount;
    set(&mut issued.early_amount, request.early_payment_amount);
    set(&mut issued.late_amount, request.late_payment_amount);
    set(&mut issued.bill_date, request.bill_date);
    set(&mut issued.early_date, request.early_payment_date);
    set(
        &mut issued.due_date,
        request.actual_due_date.or(request.bill_due_date),
    );
    set(&mut issued.period_start, request.bill_start_date);
    set(&mut issued.period_end, request.bill_end_date);
    set(&mut issued.bill_number, request.bill_number);
    set(&mut issued.validation_id, request.validation_id);
    set(&mut issued.bill_id, request.bill_id);
    let id = open_bill(
        app,
        &mut state,
        Some(request.reference_id).filter(|reference| !reference.is_empty()),
        &registration,
        issued,
        request.bill_net_amount,
        None,
    )?;
    let record = state.bill(&id).map(|bill| state.v2_record(bill));
    Ok(Reply::ok(record))
}

/// `POST /api/v0/biller/addBill` and `POST /api/v2/biller/addBill`: create a bill without a
/// fetch. With `autoDebit` (v0) the bill is approved at once.
pub(crate) fn create_bill_without_fetch(app: &App, body: &[u8], v0: bool) -> Answer {
    let strict = Strict {
        amounts: &["billAmount"],
        patterns: &[("autoDebit", matches_pattern::<types::BankCardId>)],
        optional: &["referenceId"],
    };
    let request: types::AddBillV0Request = if v0 {
        decode(body, &strict)?
    } else {
        // The v2 body has no `autoDebit`; read it as v2, then widen.
        let strict = Strict {
            amounts: &["billAmount"],
            patterns: &[],
            optional: &["referenceId"],
        };
        let v2: types::AddBillRequest = decode(body, &strict)?;
        // Through JSON, not a struct literal: a field added to either body changes nothing here.
        serde_json::to_value(&v2)
            .and_then(serde_json::from_value::<types::AddBillV0Request>)
            .map_err(|_| Reply::invalid("the request body does not fit the v0 shape"))?
    };
    if request
        .bill_amount
        .is_some_and(|amount| amount.as_decimal() < Decimal::ONE)
    {
        return Err(Reply::invalid("billAmount must be at least 1"));
    }
    let biller = resolve_biller(
        request.biller_id,
        request.circle.as_ref(),
        &request.bill_params,
    )?;
    let mut state = app.lock();
    let registration = register(
        &mut state,
        biller,
        request.circle,
        request.bill_params,
        None,
        None,
        request.key_contact_email,
    )
    .clone();
    let mut issued = registration.bill.clone();
    if let Some(amount) = request.bill_amount {
        issued.amount = amount;
    }
    if let Some(date) = request.bill_date {
        issued.bill_date = date;
    }
    if let Some(date) = request.bill_due_date {
        issued.due_date = date;
    }
    let amount = issued.amount;
    let id = open_bill(
        app,
        &mut state,
        Some(request.reference_id).filter(|reference| !reference.is_empty()),
        &registration,
        issued,
        amount,
        request.remarks,
    )?;
    if request.auto_debit.is_some() {
        approve(
            &mut state,
            &id,
            Some("Auto debit".to_owned()),
            app.clock.now_utc(),
        );
    }
    let Some(bill) = state.bill(&id) else {
        return Err(Reply::no_such_bill());
    };
    let issued = &bill.issued;
    let reply = if v0 {
        Reply::ok(types::BillAddResponse {
            amount: Some(bill.amount),
            consumer_number: Some(registration.params.cn.clone()),
            billdate: Some(issued.bill_date.to_string()),
            bill_due_date: Some(issued.due_date.to_string()),
            created_date: Some(super::state::timestamp(bill.created)),
            utility_enkash_id: Some(bill.id.clone()),
            reference_id: bill.reference_id.clone(),
            ..Default::default()
        })
    } else {
        Reply::ok(types::AddBillV2Response {
            utility_enkash_id: Some(bill.id.clone()),
            amount: Some(bill.amount),
            consumer_number: Some(registration.params.cn.clone()),
            billdate: Some(issued.bill_date.to_string()),
            bill_due_date: Some(issued.due_date.to_string()),
            created_date: Some(super::state::timestamp(bill.created)),
            reference_id: bill.reference_id.clone(),
            payment_status: Some(bill.payment.clone()),
            ..Default::default()
        })
    };
    drop(state);
    if request.auto_debit.is_some() {
        settle_in_time(app, vec![id]);
    }
    Ok(reply)
}

/// `PUT /api/v0/utilityPayment/status`: approve bills, which then get paid.
pub(crate) fn confirm_debit(app: &App, body: &[u8]) -> Answer {
    let strict = Strict {
        amounts: &[],
        patterns: &[("remarks", matches_pattern::<types::ApprovalRemarks>)],
        optional: &[],
    };
    let request: types::UtilityPaymentApprovalRequest = decode(body, &strict)?;
    let ids = request.utility_payment_ids;
    if ids.is_empty() || ids.len() > APPROVAL_LIMIT {
        return Err(Reply::invalid("utilityPaymentIds must hold 1 to 1000 ids"));
    }
    let mut state = app.lock();
    if let Some(missing) = ids.iter().find(|id| state.bill(id).is_none()) {
        return Err(Reply::invalid(format!(
            "No utility payment found: {missing}"
        )));
    }
    let remarks = request.remarks.map(String::from);
    let approved: Vec<String> = ids
        .iter()
        .filter(|id| approve(&mut state, id, remarks.clone(), app.clock.now_utc()))
        .cloned()
        .collect();
    drop(state);
    settle_in_time(app, approved);
    Ok(Reply::ok(Value::Null))
}

/// Which bill a lookup wants.
pub(crate) enum Lookup {
    /// By `utilityEnkashId`.
    Id(String),
    /// By the caller's `referenceId`.
    Reference(String),
}

/// The four lookups; `v0` picks the first-generation record shape.
pub(crate) fn lookup(app: &App, key: &Lookup, v0: bool) -> Answer {
    let state = app.lock();
    let bill = match key {
        Lookup::Id(id) => state.bill(id),
        Lookup::Reference(reference) => state.bill_by_reference(reference),
    };
    let bill = bill.ok_or_else(Reply::no_such_bill)?;
    Ok(if v0 {
        Reply::ok(state.v0_record(bill))
    } else {
        Reply::ok(state.v2_record(bill))
    })
}

/// `POST /api/v1/utilityPayment/search`.
pub(crate) fn search(app: &App, body: &[u8]) -> Answer {
    let strict = Strict {
        amounts: &["amountRangeStart", "amountRangeEnd"],
        patterns: &[],
        optional: &[],
    };
    let filter: types::UtilityBillSearchRequest = decode(body, &strict)?;
    let offset = usize::try_from(filter.offset.unwrap_or(0))
        .map_err(|_| Reply::invalid("offset must not be negative"))?;
    let limit = filter.limit.map_or(SEARCH_LIMIT, |limit| limit.get());
    if limit > SEARCH_LIMIT {
        return Err(Reply::invalid("limit must be at most 5000"));
    }
    let date = |text: &Option<String>, name: &str| {
        text.as_deref()
            .map(|text| {
                text.get(..10)
                    .and_then(|day| day.parse::<chrono::NaiveDate>().ok())
                    .ok_or_else(|| Reply::invalid(format!("{name} must be a date (YYYY-MM-DD)")))
            })
            .transpose()
    };
    let created = (
        date(&filter.created_date_from, "createdDateFrom")?,
        date(&filter.created_date_to, "createdDateTo")?,
    );
    let due = (
        date(&filter.bill_due_date_from, "billDueDateFrom")?,
        date(&filter.bill_due_date_to, "billDueDateTo")?,
    );
    let paid = (
        date(&filter.payment_start_date, "paymentStartDate")?,
        date(&filter.payment_end_date, "paymentEndDate")?,
    );
    let billpaid = (
        date(&filter.billpay_date_from, "billpayDateFrom")?,
        date(&filter.billpay_date_to, "billpayDateTo")?,
    );
    let refunded = (
        date(&filter.refund_date_from, "refundDateFrom")?,
        date(&filter.refund_date_to, "refundDateTo")?,
    );
    let within =
        |day: Option<chrono::NaiveDate>,
         (from, to): (Option<chrono::NaiveDate>, Option<chrono::NaiveDate>)| {
            (from.is_none() && to.is_none())
                || day.is_some_and(|day| {
                    from.is_none_or(|from| day >= from) && to.is_none_or(|to| day <= to)
                })
        };
    let same = |wanted: &Option<String>, actual: &str| {
        wanted
            .as_deref()
            .is_none_or(|wanted| wanted.eq_ignore_ascii_case(actual))
    };

    let state = app.lock();
    let matching: Vec<types::UtilityPaymentV2Response> = state
        .bills()
        .iter()
        .filter(|bill| {
            let biller = state.biller_of(bill);
            let consumer = state
                .registration(&bill.registration)
                .map_or("", |r| r.params.cn.as_str());
            (filter.utility_enkash_ids.is_empty() || filter.utility_enkash_ids.contains(&bill.id))
                && filter
                    .consumer_number
                    .as_deref()
                    .is_none_or(|cn| cn == consumer)
                && (filter.consumer_numbers.is_empty()
                    || filter.consumer_numbers.iter().any(|cn| cn == consumer))
                && same(&filter.payment_status, bill.payment.as_str())
                && (filter.statuses.is_empty()
                    || filter
                        .statuses
                        .iter()
                        .any(|s| s.to_string() == bill.payment.as_str()))
                && same(&filter.billpay_status, bill.billpay.as_str())
                && (filter.bill_pay_statuses.is_empty()
                    || filter
                        .bill_pay_statuses
                        .iter()
                        .any(|s| s.eq_ignore_ascii_case(bill.billpay.as_str())))
                && filter
                    .amount_range_start
                    .is_none_or(|min| bill.amount >= min)
                && filter.amount_range_end.is_none_or(|max| bill.amount <= max)
                && same(&filter.biller_type, biller.map_or("", |b| b.biller_type))
                && same(&filter.biller_name, biller.map_or("", |b| b.name))
                && filter
                    .bill_reference_id
                    .as_deref()
                    .is_none_or(|wanted| bill.bill_reference_id.as_deref() == Some(wanted))
                && within(Some(bill.created.date_naive()), created)
                && within(Some(bill.issued.due_date), due)
                && within(bill.paid.map(|at| at.date_naive()), paid)
                && within(bill.billpaid.map(|at| at.date_naive()), billpaid)
                && within(
                    bill.failure.as_ref().map(|f| f.refunded.date_naive()),
                    refunded,
                )
        })
        .skip(offset)
        .take(limit as usize)
        .map(|bill| state.v2_record(bill))
        .collect();
    Ok(Reply::ok(matching))
}

/// Checks the biller and its input parameters.
///
/// 400 unknown biller or circle; 422 inactive biller; 412 a circle-specific biller without a
/// circle it serves, or a consumer number that breaks the biller's pattern.
fn resolve_biller(
    biller_id: i32,
    circle: Option<&Circle>,
    params: &types::BillParams,
) -> Result<&'static Biller, Reply> {
    let biller = catalogue::biller(biller_id)
        .ok_or_else(|| Reply::invalid(format!("No biller found for billerId {biller_id}")))?;
    if !biller.active {
        return Err(Reply::failed(
            axum::http::StatusCode::UNPROCESSABLE_ENTITY,
            "Biller is not active",
        ));
    }
    match circle {
        Some(circle) if !circle.is_known() => return Err(Reply::invalid("Invalid circle")),
        Some(circle) if !biller.serves(circle) => {
            return Err(Reply::unreadable(format!(
                "The biller does not serve circle {circle}"
            )));
        }
        None if !biller.circles.is_empty() => {
            return Err(Reply::unreadable("circle is required for this biller"));
        }
        _ => {}
    }
    if !catalogue::is_valid_consumer_number(&params.cn) {
        return Err(Reply::unreadable("Enter a valid consumer number"));
    }
    Ok(biller)
}

/// Registers (or refreshes) a consumer number at a biller, with its current bill.
fn register<'s>(
    state: &'s mut State,
    biller: &'static Biller,
    circle: Option<Circle>,
    params: types::BillParams,
    branch_code: Option<String>,
    remarks: Option<String>,
    key_contact_email: Option<String>,
) -> &'s Registration {
    let id = catalogue::company_biller_id(biller.id, circle.as_ref(), &params.cn);
    let created = state
        .registration(&id)
        .map_or_else(Utc::now, |existing| existing.created);
    let bill = catalogue::current_bill(biller, &params.cn, super::state::today());
    state.register(Registration {
        id,
        biller,
        circle,
        params,
        branch_code,
        remarks,
        key_contact_email,
        created,
        bill,
    })
}

/// A registration's current bill in the fetch response shape.
fn fetched_bill(registration: &Registration) -> types::BillFetchResponse {
    let issued = &registration.bill;
    types::BillFetchResponse {
        company_biller_id: Some(registration.id.clone()),
        bill_number: Some(issued.bill_number.clone()),
        user_name: Some(issued.consumer_name.clone()),
        bill_amount: Some(issued.amount),
        billdate: Some(issued.bill_date),
        due_date: Some(issued.due_date),
        bill_period: Some("MONTHLY".to_owned()),
        billnetamount: Some(issued.amount),
        early_payment_amount: Some(issued.early_amount),
        early_payment_date: Some(issued.early_date),
        late_payment_amount: Some(issued.late_amount),
        actual_due_date: Some(issued.due_date),
        status_message: Some(String::new()),
        bill_id: Some(issued.bill_id.clone()),
        validation_id: Some(issued.validation_id.clone()),
        bill_start_date: Some(issued.period_start),
        bill_enddate: Some(issued.period_end),
        bill_params: None,
        additional_info: None,
        ..Default::default()
    }
}

/// Replaces `target` with `value` when there is one.
fn set<T>(target: &mut T, value: Option<T>) {
    if let Some(value) = value {
        *target = value;
    }
}

fn optional_params(params: &types::BillParams) -> impl Iterator<Item = (String, String)> + '_ {
    [
        ("ad1", &params.ad1),
        ("ad2", &params.ad2),
        ("ad3", &params.ad3),
    ]
    .into_iter()
    .filter_map(|(key, value)| Some((key.to_owned(), value.clone()?)))
}

/// Creates a bill unless its `referenceId` is taken (code 38) or the velocity limit is
/// breached (code 36). A blank `referenceId` counts as none.
fn open_bill(
    app: &App,
    state: &mut State,
    reference_id: Option<String>,
    registration: &Registration,
    issued: catalogue::IssuedBill,
    amount: Amount,
    remarks: Option<String>,
) -> Result<String, Reply> {
    let reference_id = reference_id.filter(|reference| !reference.trim().is_empty());
    if reference_id
        .as_deref()
        .is_some_and(|reference| state.bill_by_reference(reference).is_some())
    {
        return Err(Reply::refused(DUPLICATE_REFERENCE, "Duplicate referenceId"));
    }
    if state.velocity_exceeded(app.config.velocity_limit, app.clock.now()) {
        return Err(Reply::refused(VELOCITY_LIMIT, "Velocity limit breached"));
    }
    let id = state.next_bill_id();
    let bill = Bill::new(
        id.clone(),
        reference_id,
        registration,
        issued,
        amount,
        remarks,
        app.clock.now_utc(),
    );
    state.insert_bill(bill);
    Ok(id)
}

/// Approves a bill awaiting approval and debits the account; the bill payment is then
/// `IN_PROGRESS` until [`settle`]. False when the bill was not awaiting approval.
pub(crate) fn approve(
    state: &mut State,
    id: &str,
    remarks: Option<String>,
    now: chrono::DateTime<Utc>,
) -> bool {
    let Some(bill) = state.bill_mut(id) else {
        return false;
    };
    if bill.approval != ApprovalStatus::MakerApprovalPending {
        return false;
    }
    bill.approval = ApprovalStatus::CheckerApproved;
    bill.approval_remarks = Some(remarks.unwrap_or_else(|| "Approved".to_owned()));
    bill.approved = Some(now);
    bill.payment = PaymentStatus::Success;
    bill.paid = Some(now);
    bill.bank_transaction_id = Some(format!("TXN{}", bill.id.trim_start_matches("UTIL-")));
    bill.billpay = BillpayStatus::InProgress;
    true
}

/// Settles approved bills now, or once the configured delay passed on the sandbox's clock.
pub(crate) fn settle_in_time(app: &App, ids: Vec<String>) {
    if ids.is_empty() {
        return;
    }
    match app.config.settle_after {
        None => settle(app, &ids),
        Some(delay) => {
            let app = App::clone(app);
            let due = app.clock.now() + delay;
            tokio::spawn(async move {
                app.clock.sleep_until(due).await;
                settle(&app, &ids);
            });
        }
    }
}

/// Moves in-progress bills to their final state and sends their webhooks.
///
/// A consumer number ending in [`FAILING_CONSUMER_SUFFIX`] fails: `billpayStatus` FAILED,
/// `paymentStatus` REFUNDED; every other bill is paid.
fn settle(app: &App, ids: &[String]) {
    let now = app.clock.now_utc();
    let mut state = app.lock();
    let mut bodies = Vec::new();
    for id in ids {
        let failing = state
            .bill(id)
            .and_then(|bill| state.registration(&bill.registration))
            .is_some_and(|r| r.params.cn.ends_with(FAILING_CONSUMER_SUFFIX));
        let Some(bill) = state.bill_mut(id) else {
            continue;
        };
        if bill.billpay != BillpayStatus::InProgress {
            continue;
        }
        if failing {
            bill.billpay = BillpayStatus::Failed;
            bill.payment = PaymentStatus::Refunded;
            bill.failure = Some(Failure {
                reason: "Payment rejected by the biller",
                code: "UTEX001",
                refunded: now,
            });
        } else {
            bill.billpay = BillpayStatus::Success;
            bill.billpaid = Some(now);
            bill.bill_reference_id = Some(format!("BBPS{}", bill.id.trim_start_matches("UTIL-")));
        }
        if app.webhook.is_some()
            && let Some(body) = state
                .bill(id)
                .and_then(|bill| state.webhook_body(bill).ok())
        {
            bodies.push(body);
        }
    }
    drop(state);
    for body in bodies {
        webhook::deliver(app, body);
    }
}
