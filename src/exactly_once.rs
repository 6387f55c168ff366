//! Exactly-once bill payment: one call that creates a bill or finds the one that already exists,
//! and one that confirms the debit of bills, whatever fails in between.
//!
//! EnKash has no idempotency keys. It has a `referenceId` that must be unique (a second create
//! answers `response_code` 38), a lookup by `referenceId`, and a rule: after a 5XX or a timeout,
//! wait a few minutes and enquire before sending again. [`Client::create_bill_once`] and
//! [`Client::confirm_debit_once`] follow that rule through the ordinary calls of the client
//! (each builder's `send()` and [`Client::resolve_by_reference_id`]), so a caller never writes
//! the loop that joins them:
//!
//! * the request is sent; success gives the bill;
//! * a 38 means the bill exists: it is looked up by `referenceId` and returned only if it is the
//!   bill asked for (biller, consumer, amounts), else [`ExactlyOnceError`] says the
//!   `referenceId` belongs to a different bill;
//! * an unknown outcome ([`Error::OutcomeUnknown`]) waits [`SettlePolicy::wait`], then looks the
//!   bill up: found, it is returned; proven absent, the request is sent once more with the same
//!   `referenceId`; still unknown after [`SettlePolicy::rounds`] lookups, [`ExactlyOnceError`]
//!   says so and carries the `referenceId` and every step tried.
//!
//! Nothing is kept between calls: EnKash holds the state. Calling again with the same request,
//! after any error or after the process died at any point, returns the same single bill. That is
//! why the `referenceId` should be derived from the caller's own payment id.

use std::fmt;
use std::future::Future;
use std::pin::Pin;
use std::sync::Arc;
use std::time::Duration;

use crate::client::Resolution;
use crate::enums::ApprovalStatus;
use crate::error::{Error, UnknownCause};
use crate::generated::{Client, operations};
use crate::money::Amount;
use crate::types;

/// Default [`SettlePolicy::wait`]: 5 minutes, the longer of the two waits EnKash's docs give
/// before an enquiry (5 minutes on "Utility API Response Handling", 2 to 3 on its rewrite).
pub const DEFAULT_SETTLE_WAIT: Duration = Duration::from_secs(5 * 60);

/// Default [`SettlePolicy::rounds`]: 3 lookups, so about 15 minutes before giving up.
pub const DEFAULT_SETTLE_ROUNDS: u32 = 3;

/// Most lookups [`SettlePolicy::rounds`] accepts.
pub const MAX_SETTLE_ROUNDS: u32 = 100;

type SleepFn = dyn Fn(Duration) -> Pin<Box<dyn Future<Output = ()> + Send>> + Send + Sync;

/// How [`Client::create_bill_once`] and [`Client::confirm_debit_once`] settle an unknown
/// outcome: how long they wait before each lookup, how many lookups they make, and how they wait.
///
/// The wait goes through a sleep function, `tokio::time::sleep` unless
/// [`SettlePolicy::sleep_with`] gives another: a test can make it free, for instance by moving a
/// sandbox's clock forward instead of sleeping.
///
/// ```
/// use std::time::Duration;
/// use enkash::SettlePolicy;
/// let policy = SettlePolicy::default()
///     .with_wait(Duration::from_secs(180))
///     .with_rounds(5);
/// assert_eq!(policy.wait, Duration::from_secs(180));
/// ```
#[derive(Clone)]
#[non_exhaustive]
pub struct SettlePolicy {
    /// How long to wait after an unknown outcome (and between lookups) before looking the bill
    /// up. Default [`DEFAULT_SETTLE_WAIT`] (5 minutes); at most a day.
    pub wait: Duration,
    /// How many lookups to make before giving up with [`ExactlyOnceError`]. Default
    /// [`DEFAULT_SETTLE_ROUNDS`] (3); 1 to [`MAX_SETTLE_ROUNDS`].
    pub rounds: u32,
    sleep: Option<Arc<SleepFn>>,
}

impl SettlePolicy {
    /// This policy with another wait.
    pub fn with_wait(mut self, wait: Duration) -> Self {
        self.wait = wait;
        self
    }

    /// This policy with another number of lookups.
    pub fn with_rounds(mut self, rounds: u32) -> Self {
        self.rounds = rounds;
        self
    }

    /// This policy waiting through `sleep` instead of `tokio::time::sleep`: it is called with
    /// [`SettlePolicy::wait`] before each lookup, and the lookup follows when its future ends.
    ///
    /// ```
    /// use enkash::SettlePolicy;
    /// // Wait on another runtime's timer, or not at all (a test moving a fake clock instead).
    /// let policy = SettlePolicy::default().sleep_with(|wait| async move {
    ///     let _ = wait;
    /// });
    /// ```
    pub fn sleep_with<F, Fut>(mut self, sleep: F) -> Self
    where
        F: Fn(Duration) -> Fut + Send + Sync + 'static,
        Fut: Future<Output = ()> + Send + 'static,
    {
        self.sleep = Some(Arc::new(move |wait| Box::pin(sleep(wait))));
        self
    }

    /// Waits [`SettlePolicy::wait`] through the sleep function.
    async fn sleep(&self) {
        match &self.sleep {
            Some(sleep) => sleep(self.wait).await,
            None => tokio::time::sleep(self.wait).await,
        }
    }

    /// The setting out of range, if one is.
    pub(crate) fn out_of_range(&self) -> Option<String> {
        if self.wait > crate::config::MAX_DURATION_SETTING {
            return Some(format!(
                "settle.wait is {:?}; at most {:?} is accepted",
                self.wait,
                crate::config::MAX_DURATION_SETTING
            ));
        }
        if !(1..=MAX_SETTLE_ROUNDS).contains(&self.rounds) {
            return Some(format!(
                "settle.rounds is {}; 1 to {MAX_SETTLE_ROUNDS} are accepted",
                self.rounds
            ));
        }
        None
    }
}

impl Default for SettlePolicy {
    /// Wait 5 minutes, 3 lookups, `tokio::time::sleep`.
    fn default() -> Self {
        Self {
            wait: DEFAULT_SETTLE_WAIT,
            rounds: DEFAULT_SETTLE_ROUNDS,
            sleep: None,
        }
    }
}

impl fmt::Debug for SettlePolicy {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.debug_struct("SettlePolicy")
            .field("wait", &self.wait)
            .field("rounds", &self.rounds)
            .field(
                "sleep",
                &if self.sleep.is_some() {
                    "custom"
                } else {
                    "tokio::time::sleep"
                },
            )
            .finish()
    }
}

impl PartialEq for SettlePolicy {
    /// Equal waits and rounds, and the same sleep function.
    fn eq(&self, other: &Self) -> bool {
        self.wait == other.wait
            && self.rounds == other.rounds
            && match (&self.sleep, &other.sleep) {
                (None, None) => true,
                (Some(one), Some(other)) => Arc::ptr_eq(one, other),
                _ => false,
            }
    }
}

impl Eq for SettlePolicy {}

/// A bill to create: after a fetch (`create_bill`) or without one (`create_bill_without_fetch`).
#[derive(Debug, Clone)]
#[non_exhaustive]
pub enum BillRequest {
    /// Create Bill After Successful Bill Fetch.
    AfterFetch(types::CreateBillRequest),
    /// Create Bill Without Bill Fetch.
    WithoutFetch(types::AddBillRequest),
}

impl From<types::CreateBillRequest> for BillRequest {
    fn from(request: types::CreateBillRequest) -> Self {
        BillRequest::AfterFetch(request)
    }
}

impl From<types::AddBillRequest> for BillRequest {
    fn from(request: types::AddBillRequest) -> Self {
        BillRequest::WithoutFetch(request)
    }
}

/// A conversion that cannot fail (a request into a [`BillRequest`]) has no error to give.
impl From<std::convert::Infallible> for Error {
    fn from(never: std::convert::Infallible) -> Self {
        match never {}
    }
}

impl TryFrom<types::builder::CreateBillRequest> for BillRequest {
    type Error = Error;

    /// The built request, or [`Error::InvalidRequest`] naming the field at fault.
    fn try_from(builder: types::builder::CreateBillRequest) -> Result<Self, Error> {
        types::CreateBillRequest::try_from(builder)
            .map(BillRequest::AfterFetch)
            .map_err(|err| invalid(operations::CREATE_BILL.id, "CreateBillRequest", &err))
    }
}

impl TryFrom<types::builder::AddBillRequest> for BillRequest {
    type Error = Error;

    /// The built request, or [`Error::InvalidRequest`] naming the field at fault.
    fn try_from(builder: types::builder::AddBillRequest) -> Result<Self, Error> {
        types::AddBillRequest::try_from(builder)
            .map(BillRequest::WithoutFetch)
            .map_err(|err| {
                invalid(
                    operations::CREATE_BILL_WITHOUT_FETCH.id,
                    "AddBillRequest",
                    &err,
                )
            })
    }
}

/// A builder's refusal, read as the generated `send()` reads it.
fn invalid(operation: &'static str, type_name: &str, err: &dyn fmt::Display) -> Error {
    Error::InvalidRequest(Box::new(
        crate::error::ValidationError::from_builder_message(
            operation,
            &format!("conversion to `{type_name}` for body failed: {err}"),
        ),
    ))
}

impl BillRequest {
    /// The request's `referenceId`.
    pub fn reference_id(&self) -> &str {
        match self {
            BillRequest::AfterFetch(request) => &request.reference_id,
            BillRequest::WithoutFetch(request) => &request.reference_id,
        }
    }

    /// The operation that creates it.
    fn operation(&self) -> &'static str {
        match self {
            BillRequest::AfterFetch(_) => operations::CREATE_BILL.id,
            BillRequest::WithoutFetch(_) => operations::CREATE_BILL_WITHOUT_FETCH.id,
        }
    }

    /// Sends it once. After a fetch the answer is the bill; without one it is a shorter record,
    /// so the bill is `None` and is then read by its `referenceId`.
    async fn send(
        &self,
        client: &Client,
    ) -> Result<Option<types::UtilityPaymentV2Response>, Error> {
        match self {
            BillRequest::AfterFetch(request) => client
                .create_bill()
                .body(request.clone())
                .send()
                .await
                .map(Some),
            BillRequest::WithoutFetch(request) => client
                .create_bill_without_fetch()
                .body(request.clone())
                .send()
                .await
                .map(|_| None),
        }
    }

    /// Where `bill` differs from this request: biller, consumer and amounts. A value the bill
    /// leaves out is not compared.
    fn differences(&self, bill: &types::UtilityPaymentV2Response) -> Vec<Difference> {
        let registration = bill.company_biller.as_deref();
        let mut differences = Vec::new();
        match self {
            BillRequest::AfterFetch(request) => {
                let found = registration.and_then(|r| r.company_biller_id.as_deref());
                differ_text(
                    &mut differences,
                    "companyBillerId",
                    &request.company_biller_id,
                    found,
                );
                differ_amount(
                    &mut differences,
                    "billNetAmount",
                    request.bill_net_amount,
                    bill.amount,
                );
                differ_amount(
                    &mut differences,
                    "billAmount",
                    request.bill_amount,
                    bill.bill_amount,
                );
            }
            BillRequest::WithoutFetch(request) => {
                let biller = registration
                    .and_then(|r| r.biller.as_ref())
                    .and_then(|biller| biller.biller_id);
                if let Some(found) = biller.filter(|found| *found != request.biller_id) {
                    differences.push(Difference {
                        field: "billerId",
                        requested: request.biller_id.to_string(),
                        found: found.to_string(),
                    });
                }
                let consumer = bill
                    .consumer_number
                    .as_deref()
                    .or(registration.and_then(|r| r.consumer_number.as_deref()));
                if let Some(found) = consumer.filter(|found| *found != request.bill_params.cn) {
                    // A consumer number may be an account number: only its end is shown.
                    differences.push(Difference {
                        field: "billParams.cn",
                        requested: crate::redact::last_four(&request.bill_params.cn),
                        found: crate::redact::last_four(found),
                    });
                }
                if let Some(amount) = request.bill_amount {
                    differ_amount(&mut differences, "billAmount", amount, bill.amount);
                }
            }
        }
        differences
    }
}

fn differ_text(
    differences: &mut Vec<Difference>,
    field: &'static str,
    requested: &str,
    found: Option<&str>,
) {
    if let Some(found) = found.filter(|found| *found != requested) {
        differences.push(Difference {
            field,
            requested: requested.to_owned(),
            found: found.to_owned(),
        });
    }
}

fn differ_amount(
    differences: &mut Vec<Difference>,
    field: &'static str,
    requested: Amount,
    found: Option<Amount>,
) {
    // Compared as numbers: 100.10 and 100.1 are the same amount.
    if let Some(found) = found.filter(|found| *found != requested) {
        differences.push(Difference {
            field,
            requested: requested.to_string(),
            found: found.to_string(),
        });
    }
}

/// One field in which the bill holding a `referenceId` differs from the request.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub struct Difference {
    /// The request field (`companyBillerId`, `billNetAmount`, `billAmount`, `billerId`,
    /// `billParams.cn`).
    pub field: &'static str,
    /// The value requested (a consumer number shows only its last four characters).
    pub requested: String,
    /// The value of the existing bill (masked in the same way).
    pub found: String,
}

/// What [`Client::create_bill_once`] or [`Client::confirm_debit_once`] did, step by step.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum Step {
    /// The request was sent (`operation`), and how that ended.
    Sent {
        /// `create_bill`, `create_bill_without_fetch` or `confirm_debit`.
        operation: &'static str,
        /// How it ended.
        outcome: StepOutcome,
    },
    /// The settle wait.
    Waited(Duration),
    /// A lookup (`operation`) of `key`, and what it found.
    LookedUp {
        /// `get_utility_bill_by_reference_id` or `get_utility_bill_status`.
        operation: &'static str,
        /// The `referenceId` or `utilityEnkashId` looked up.
        key: String,
        /// What it found.
        outcome: StepOutcome,
    },
}

/// How one [`Step`] ended.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum StepOutcome {
    /// Sent and accepted; or the lookup found the bill (for Confirm Debit: approved).
    Done,
    /// `response_code` 38: a bill with this `referenceId` exists.
    Duplicate,
    /// The outcome of the send is unknown, for this reason.
    Unknown(UnknownCause),
    /// The lookup proved the bill absent ("No utility payment found").
    NotFound,
    /// The bill's debit is still waiting for its confirmation (`MAKER_APPROVAL_PENDING`).
    Waiting,
    /// The lookup failed; the error's message (secrets masked, as every error's).
    Failed(String),
}

/// Why [`Client::create_bill_once`] or [`Client::confirm_debit_once`] could not return.
#[derive(Debug, Clone, PartialEq, Eq)]
#[non_exhaustive]
pub enum ExactlyOnceErrorKind {
    /// The `referenceId` belongs to a different bill: the existing bill differs from the request
    /// in these fields. Nothing was created; use a new `referenceId` for a new bill.
    ReferenceIdMismatch(Vec<Difference>),
    /// The outcome is still unknown after every lookup the [`SettlePolicy`] allows.
    StillUnknown,
}

/// A bill creation or debit confirmation that cannot be settled yet, or a `referenceId` that
/// belongs to another bill. It carries the `referenceId` (or the bill ids), what was tried, and
/// the last error seen.
#[derive(Debug, Clone)]
#[non_exhaustive]
pub struct ExactlyOnceError {
    /// Why.
    pub kind: ExactlyOnceErrorKind,
    /// The operation: `create_bill`, `create_bill_without_fetch` or `confirm_debit`.
    pub operation: &'static str,
    /// The request's `referenceId` (bill creation).
    pub reference_id: Option<String>,
    /// The bills whose confirmation is not settled (Confirm Debit).
    pub utility_payment_ids: Vec<String>,
    /// Every step tried, in order.
    pub steps: Vec<Step>,
    /// The last error seen, when there was one (an unknown outcome, a failed lookup).
    pub last_error: Option<Arc<Error>>,
}

impl ExactlyOnceError {
    /// The `referenceId` belongs to a bill that differs from the request.
    pub fn is_reference_id_mismatch(&self) -> bool {
        matches!(self.kind, ExactlyOnceErrorKind::ReferenceIdMismatch(_))
    }

    /// The outcome is still unknown after every lookup allowed.
    pub fn is_still_unknown(&self) -> bool {
        self.kind == ExactlyOnceErrorKind::StillUnknown
    }

    /// The fields in which the existing bill differs from the request (empty unless
    /// [`ExactlyOnceError::is_reference_id_mismatch`]).
    pub fn differences(&self) -> &[Difference] {
        match &self.kind {
            ExactlyOnceErrorKind::ReferenceIdMismatch(differences) => differences,
            ExactlyOnceErrorKind::StillUnknown => &[],
        }
    }

    /// The lookups made.
    pub fn lookups(&self) -> usize {
        self.steps
            .iter()
            .filter(|step| matches!(step, Step::LookedUp { .. }))
            .count()
    }
}

impl fmt::Display for ExactlyOnceError {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        let subject = match (&self.reference_id, self.utility_payment_ids.as_slice()) {
            (Some(reference), _) => format!("referenceId {reference}"),
            (None, ids) => format!("bills {}", ids.join(", ")),
        };
        match &self.kind {
            ExactlyOnceErrorKind::ReferenceIdMismatch(differences) => {
                write!(f, "{subject} belongs to a different bill (")?;
                for (index, difference) in differences.iter().enumerate() {
                    if index > 0 {
                        f.write_str(", ")?;
                    }
                    write!(
                        f,
                        "{}: requested {}, found {}",
                        difference.field, difference.requested, difference.found
                    )?;
                }
                f.write_str("); nothing was created: use a new referenceId for a new bill")
            }
            ExactlyOnceErrorKind::StillUnknown => {
                write!(
                    f,
                    "outcome of {} for {subject} is still unknown after {} lookups",
                    self.operation,
                    self.lookups()
                )?;
                if let Some(last) = &self.last_error {
                    write!(f, " (last: {last})")?;
                }
                f.write_str("; call again with the same request later: it is safe")
            }
        }
    }
}

/// The steps so far, and how they end.
struct Trail {
    operation: &'static str,
    steps: Vec<Step>,
    last_error: Option<Error>,
    lookups: u32,
}

impl Trail {
    fn new(operation: &'static str) -> Self {
        Self {
            operation,
            steps: Vec::new(),
            last_error: None,
            lookups: 0,
        }
    }

    fn sent(&mut self, outcome: StepOutcome) {
        tracing::debug!(operation = self.operation, ?outcome, "sent");
        self.steps.push(Step::Sent {
            operation: self.operation,
            outcome,
        });
    }

    fn looked_up(&mut self, operation: &'static str, key: &str, outcome: StepOutcome) {
        tracing::debug!(operation, key, ?outcome, "looked up");
        self.steps.push(Step::LookedUp {
            operation,
            key: key.to_owned(),
            outcome,
        });
    }

    /// Waits before a lookup, or returns `false` when the policy allows no more lookups.
    async fn wait_for_lookup(&mut self, policy: &SettlePolicy, wait: bool) -> bool {
        if self.lookups >= policy.rounds {
            return false;
        }
        self.lookups += 1;
        if wait {
            tracing::info!(
                operation = self.operation,
                wait = ?policy.wait,
                "outcome unknown: waiting before the lookup"
            );
            policy.sleep().await;
            self.steps.push(Step::Waited(policy.wait));
        }
        true
    }

    fn fail(
        self,
        kind: ExactlyOnceErrorKind,
        reference_id: Option<String>,
        utility_payment_ids: Vec<String>,
    ) -> Error {
        tracing::warn!(operation = self.operation, ?kind, "not settled");
        Error::ExactlyOnce(Box::new(ExactlyOnceError {
            kind,
            operation: self.operation,
            reference_id,
            utility_payment_ids,
            steps: self.steps,
            last_error: self.last_error.map(Arc::new),
        }))
    }
}

/// What to do next.
enum Next {
    Send,
    /// Look the bill up; wait first unless EnKash just said it exists (38).
    LookUp {
        wait: bool,
        after_duplicate: bool,
    },
}

impl Client {
    /// Creates a bill exactly once: returns the bill created for `request`, or the one that
    /// already holds its `referenceId`, whatever fails in between. `request` is a
    /// [`types::CreateBillRequest`] (after a fetch) or a [`types::AddBillRequest`] (without one),
    /// or the builder of either; a builder missing a field is [`Error::InvalidRequest`].
    ///
    /// See [the module](crate::exactly_once) for the steps. Errors:
    ///
    /// * [`Error::ExactlyOnce`] with [`ExactlyOnceError::is_reference_id_mismatch`]: the
    ///   `referenceId` belongs to a different bill (its biller, consumer or amounts differ).
    ///   Nothing was created. A new bill needs a new `referenceId`.
    /// * [`Error::ExactlyOnce`] with [`ExactlyOnceError::is_still_unknown`]: the outcome is still
    ///   unknown after [`SettlePolicy::rounds`] lookups. Call again later with the same request.
    /// * Any other error comes from one call: EnKash refused it (a rejection, a velocity limit)
    ///   or it could not be sent (no token, no connection, an invalid request).
    ///
    /// Whatever the error, calling again with the same request is safe: it returns the bill if
    /// one holds the `referenceId`, and creates it if none does.
    ///
    /// Dropping the future at any point is safe too: calling again with the same request returns
    /// the same single bill.
    ///
    /// ```no_run
    /// # async fn pay(client: &enkash::Client, payment_id: u64) -> Result<(), enkash::Error> {
    /// use enkash::{Amount, money::Decimal, types};
    /// let amount = Amount::new(Decimal::new(245075, 2)); // 2450.75
    /// let bill = client
    ///     .create_bill_once(
    ///         types::CreateBillRequest::builder()
    ///             .reference_id(format!("PAY-{payment_id}")) // derived from your payment id
    ///             .company_biller_id("CB-54321")
    ///             .bill_amount(amount)
    ///             .bill_net_amount(amount),
    ///     )
    ///     .await?;
    /// println!("bill {:?}", bill.utility_enkash_id);
    /// # Ok(())
    /// # }
    /// ```
    pub async fn create_bill_once(
        &self,
        request: impl TryInto<BillRequest, Error: Into<Error>>,
    ) -> Result<types::UtilityPaymentV2Response, Error> {
        let request = request.try_into().map_err(Into::into)?;
        let policy = &self.inner.config().settle;
        let reference = request.reference_id().trim().to_owned();
        let mut trail = Trail::new(request.operation());
        let mut next = Next::Send;
        loop {
            next = match next {
                Next::Send => match request.send(self).await {
                    Ok(Some(bill)) => {
                        trail.sent(StepOutcome::Done);
                        return Ok(bill);
                    }
                    // Created; its record is read by its referenceId.
                    Ok(None) => {
                        trail.sent(StepOutcome::Done);
                        Next::LookUp {
                            wait: false,
                            after_duplicate: true,
                        }
                    }
                    Err(err) if err.is_duplicate_reference_id() => {
                        trail.sent(StepOutcome::Duplicate);
                        Next::LookUp {
                            wait: false,
                            after_duplicate: true,
                        }
                    }
                    Err(Error::OutcomeUnknown(unknown)) => {
                        trail.sent(StepOutcome::Unknown(unknown.cause));
                        trail.last_error = Some(Error::OutcomeUnknown(unknown));
                        Next::LookUp {
                            wait: true,
                            after_duplicate: false,
                        }
                    }
                    Err(err) => return Err(err),
                },
                Next::LookUp {
                    wait,
                    after_duplicate,
                } => {
                    if !trail.wait_for_lookup(policy, wait).await {
                        return Err(trail.fail(
                            ExactlyOnceErrorKind::StillUnknown,
                            Some(reference),
                            Vec::new(),
                        ));
                    }
                    let lookup = operations::GET_UTILITY_BILL_BY_REFERENCE_ID.id;
                    match self.resolve_by_reference_id(&reference).await {
                        Ok(Resolution::WentThrough(bill)) => {
                            trail.looked_up(lookup, &reference, StepOutcome::Done);
                            let differences = request.differences(&bill);
                            if differences.is_empty() {
                                return Ok(*bill);
                            }
                            return Err(trail.fail(
                                ExactlyOnceErrorKind::ReferenceIdMismatch(differences),
                                Some(reference),
                                Vec::new(),
                            ));
                        }
                        // EnKash said the bill exists, but the lookup does not show it yet:
                        // wait and look again, never send again.
                        Ok(_) if after_duplicate => {
                            trail.looked_up(lookup, &reference, StepOutcome::NotFound);
                            Next::LookUp {
                                wait: true,
                                after_duplicate,
                            }
                        }
                        // Proven absent after the wait: send once more, same referenceId.
                        Ok(_) => {
                            trail.looked_up(lookup, &reference, StepOutcome::NotFound);
                            Next::Send
                        }
                        Err(err) => {
                            trail.looked_up(
                                lookup,
                                &reference,
                                StepOutcome::Failed(err.to_string()),
                            );
                            trail.last_error = Some(err);
                            Next::LookUp {
                                wait: true,
                                after_duplicate,
                            }
                        }
                    }
                }
            };
        }
    }

    /// Confirms the debit of bills exactly once. It looks up each bill's approval status and
    /// sends the confirmation only for the bills still waiting for it (`MAKER_APPROVAL_PENDING`).
    /// After an unknown outcome it waits [`SettlePolicy::wait`] and does the same again, so a
    /// bill already approved is never sent again, in this call or in a later one. `request` is
    /// the body or its builder; a builder missing a field is [`Error::InvalidRequest`].
    ///
    /// Errors: [`Error::ExactlyOnce`] with [`ExactlyOnceError::is_still_unknown`] when some
    /// bill's status is still unknown after [`SettlePolicy::rounds`] settle waits (it names them);
    /// any other error comes from one call, which changed nothing, and calling again with the
    /// same request is safe.
    ///
    /// ```no_run
    /// # async fn confirm(client: &enkash::Client) -> Result<(), enkash::Error> {
    /// use enkash::types;
    /// let request = types::UtilityPaymentApprovalRequest::builder()
    ///     .utility_payment_ids(vec!["UTIL-87654321".to_owned()]);
    /// client.confirm_debit_once(request).await?;
    /// # Ok(())
    /// # }
    /// ```
    pub async fn confirm_debit_once(
        &self,
        request: impl TryInto<types::UtilityPaymentApprovalRequest, Error: fmt::Display>,
    ) -> Result<(), Error> {
        let mut request = request.try_into().map_err(|err| {
            invalid(
                operations::CONFIRM_DEBIT.id,
                "UtilityPaymentApprovalRequest",
                &err,
            )
        })?;
        let policy = &self.inner.config().settle;
        let mut trail = Trail::new(operations::CONFIRM_DEBIT.id);
        // Every bill is looked up before anything is sent, so a call made again (after an
        // error, or after the process died) never confirms a bill already approved.
        let mut unsettled = request.utility_payment_ids.clone();
        loop {
            let (waiting, unknown) = self.approval_waiting(&unsettled, &mut trail).await;
            if !unknown.is_empty() {
                unsettled = unknown.into_iter().chain(waiting).collect();
                if !trail.wait_for_lookup(policy, true).await {
                    return Err(trail.fail(ExactlyOnceErrorKind::StillUnknown, None, unsettled));
                }
                continue;
            }
            if waiting.is_empty() {
                return Ok(());
            }
            request.utility_payment_ids = waiting;
            match self.confirm_debit().body(request.clone()).send().await {
                Ok(()) => {
                    trail.sent(StepOutcome::Done);
                    return Ok(());
                }
                Err(Error::OutcomeUnknown(unknown)) => {
                    trail.sent(StepOutcome::Unknown(unknown.cause));
                    trail.last_error = Some(Error::OutcomeUnknown(unknown));
                }
                Err(err) => return Err(err),
            }
            unsettled = request.utility_payment_ids.clone();
            if !trail.wait_for_lookup(policy, true).await {
                return Err(trail.fail(ExactlyOnceErrorKind::StillUnknown, None, unsettled));
            }
        }
    }

    /// Looks each bill up: the bills still waiting for their confirmation, and those whose
    /// status could not be read.
    async fn approval_waiting(
        &self,
        ids: &[String],
        trail: &mut Trail,
    ) -> (Vec<String>, Vec<String>) {
        let lookup = operations::GET_UTILITY_BILL_STATUS.id;
        let mut waiting = Vec::new();
        let mut unknown = Vec::new();
        for id in ids {
            let outcome = match self
                .get_utility_bill_status()
                .utility_enkash_id(id.as_str())
                .send()
                .await
            {
                Ok(bill) => match bill.approval_status {
                    Some(ApprovalStatus::MakerApprovalPending) => {
                        waiting.push(id.clone());
                        StepOutcome::Waiting
                    }
                    // Approved (or moved on): never confirmed again.
                    Some(_) => StepOutcome::Done,
                    // No status: nothing proves it is still waiting.
                    None => {
                        unknown.push(id.clone());
                        StepOutcome::Failed("the answer has no approvalStatus".into())
                    }
                },
                Err(err) => {
                    unknown.push(id.clone());
                    let failed = StepOutcome::Failed(err.to_string());
                    trail.last_error = Some(err);
                    failed
                }
            };
            trail.looked_up(lookup, id, outcome);
        }
        (waiting, unknown)
    }
}
