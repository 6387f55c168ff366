//! `Client::create_bill_once` and `Client::confirm_debit_once` against the sandbox.
//!
//! The property test runs a seeded, random fault schedule over the whole flow (create, settle,
//! confirm debit): connections dropped before and after the call is applied, 5XX answers, timeouts,
//! unreadable answers, calls that land only minutes later, expired and revoked tokens, and crashes
//! simulated by dropping the call's future mid-call (while the request is in flight, or during the
//! settle wait) and calling again. Every run must end with exactly one bill for its `referenceId`,
//! equal to the value returned, and the debit confirmed without a confirmation sent to a bill
//! already approved. The settle wait passes on the sandbox's clock, so it costs no wall time.
//!
//! `cargo test --test exactly_once` runs 50 seeds; the full run is
//! `ENKASH_PROPERTY_RUNS=1000 cargo test --all-features --test exactly_once every_run -- --nocapture`
//! (`ENKASH_PROPERTY_SEED` moves the first seed; a failure names its seed, and
//! `ENKASH_PROPERTY_RUNS=1 ENKASH_PROPERTY_SEED=<seed>` replays it).

use std::future::Future;
use std::sync::Arc;
use std::sync::atomic::{AtomicU32, Ordering};
use std::time::Duration;

use enkash::enums::ApprovalStatus;
use enkash::exactly_once::{ExactlyOnceErrorKind, Step, StepOutcome};
use enkash::{Amount, BillRequest, Client, Config, Error, RetryPolicy, SettlePolicy, Timeouts};
use enkash::{error::UnknownCause, types};
use enkash_sandbox::{Fault, Operation, Sandbox, SandboxHandle};
use futures::StreamExt as _;

/// Each attempt's timeout; a timeout fault answers later than this.
const ATTEMPT_TIMEOUT: Duration = Duration::from_millis(250);
/// How late a timeout fault answers (wall time).
const TIMEOUT_FAULT: Duration = Duration::from_millis(400);
/// How long a request held for an in-flight crash waits before it is handled (wall time). The
/// sandbox abandons a held call whose connection closes, as it does after a timeout fault.
const IN_FLIGHT: Duration = Duration::from_millis(150);
/// Token lifetime on the sandbox's clock: shorter than two settle waits, so tokens expire while a
/// call waits and the next request is refused with `invalid_token`.
const TOKEN_LIFETIME: Duration = Duration::from_secs(420);
/// The settle wait the tests use: the documented default.
const WAIT: Duration = enkash::exactly_once::DEFAULT_SETTLE_WAIT;

/// SplitMix64: a small, seeded, reproducible stream of numbers.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    fn below(&mut self, n: u64) -> u64 {
        self.next() % n
    }

    fn one_in(&mut self, n: u64) -> bool {
        self.below(n) == 0
    }
}

/// Where a simulated crash drops a call's future during a settle wait.
#[derive(Default)]
struct CrashPlan {
    /// Drop the call during this settle wait (counted from 1 over the harness's life); 0: never.
    in_wait: AtomicU32,
    waits: AtomicU32,
    crashed: tokio::sync::Notify,
}

/// A sandbox and a client whose settle wait moves the sandbox's clock instead of sleeping.
struct Harness {
    sandbox: Arc<SandboxHandle>,
    client: Client,
    crash: Arc<CrashPlan>,
}

/// The one client factory of this file: short attempt timeout, fast retries of lookups, and the
/// settle wait through the sandbox's clock (`rounds` lookups).
async fn harness(rounds: u32) -> Harness {
    let sandbox = Arc::new(
        Sandbox::builder()
            .token_lifetime(TOKEN_LIFETIME)
            .start()
            .await
            .unwrap(),
    );
    let crash = Arc::new(CrashPlan::default());
    let (clock, plan) = (Arc::clone(&sandbox), Arc::clone(&crash));
    let settle = SettlePolicy::default()
        .with_rounds(rounds)
        .sleep_with(move |wait| {
            let (clock, plan) = (Arc::clone(&clock), Arc::clone(&plan));
            async move {
                // The wait passes on the sandbox's clock: calls in flight there land.
                clock.advance_clock(wait);
                let wait_number = plan.waits.fetch_add(1, Ordering::SeqCst) + 1;
                if plan.in_wait.load(Ordering::SeqCst) == wait_number {
                    plan.crashed.notify_one();
                    std::future::pending::<()>().await;
                }
            }
        });
    let config = Config::builder()
        .base_url(sandbox.base_url())
        .credentials(sandbox.credentials().clone())
        .timeouts(
            Timeouts::default()
                .with_attempt(ATTEMPT_TIMEOUT)
                .with_total(Duration::from_secs(10)),
        )
        .retry(
            RetryPolicy::standard()
                .with_initial_backoff(Duration::from_millis(1))
                .with_max_backoff(Duration::from_millis(2))
                .with_jitter(false),
        )
        .settle(settle)
        .build()
        .unwrap();
    Harness {
        client: Client::from_config(config).unwrap(),
        sandbox,
        crash,
    }
}

/// `call` to its end, or `None` when the crash plan dropped it during a settle wait.
async fn or_crash<T>(crash: &CrashPlan, call: impl Future<Output = T>) -> Option<T> {
    tokio::select! {
        result = call => Some(result),
        () = crash.crashed.notified() => None,
    }
}

/// `call` dropped as soon as its request reached the sandbox (`operation`'s count passes `seen`).
async fn crash_in_flight<T>(
    sandbox: &SandboxHandle,
    operation: Operation,
    seen: u64,
    call: impl Future<Output = T>,
) -> Option<T> {
    let arrived = async {
        while sandbox.calls(operation) <= seen {
            tokio::time::sleep(Duration::from_millis(2)).await;
        }
    };
    tokio::select! {
        result = call => Some(result),
        () = arrived => None,
    }
}

const CONSUMER: &str = "CN123456789";

/// A bill request of either kind for `reference`, with `extra` added to the amount.
async fn bill_request(
    client: &Client,
    after_fetch: bool,
    reference: &str,
    extra: i64,
) -> BillRequest {
    let circle = Some(enkash::enums::Circle::Mum);
    let params = types::BillParams::consumer_number(CONSUMER);
    if after_fetch {
        let fetched = client
            .fetch_current_bill()
            .body(
                types::BillFetchRequest::builder()
                    .biller_id(2001)
                    .circle(circle)
                    .bill_params(params),
            )
            .send()
            .await
            .unwrap();
        let net = plus(fetched.billnetamount.unwrap(), extra);
        BillRequest::try_from(
            types::CreateBillRequest::builder()
                .reference_id(reference.to_owned())
                .company_biller_id(fetched.company_biller_id.unwrap())
                .bill_amount(fetched.bill_amount.unwrap())
                .bill_net_amount(net),
        )
        .unwrap()
    } else {
        BillRequest::try_from(
            types::AddBillRequest::builder()
                .reference_id(reference.to_owned())
                .biller_id(2001)
                .circle(circle)
                .bill_params(params)
                .bill_amount(Some(plus("1250.50".parse().unwrap(), extra))),
        )
        .unwrap()
    }
}

fn plus(amount: Amount, extra: i64) -> Amount {
    Amount::new(amount.as_decimal() + enkash::money::Decimal::from(extra))
}

/// The create operation a request goes to.
fn create_operation(request: &BillRequest) -> Operation {
    match request {
        BillRequest::AfterFetch(_) => Operation::CreateBill,
        _ => Operation::CreateBillWithoutFetch,
    }
}

/// A fault for a call that moves money.
fn money_fault(rng: &mut Rng) -> Fault {
    match rng.below(8) {
        0 => Fault::drop_before_apply(),
        1 => Fault::apply_then_drop(),
        2 => Fault::server_error(500),
        3 => Fault::gateway_html(if rng.one_in(2) { 503 } else { 504 }),
        4 => Fault::malformed_body(),
        5 => Fault::delay(TIMEOUT_FAULT),
        // Still in flight inside EnKash: lands 1 to 10 minutes later.
        _ => Fault::apply_late(Duration::from_secs(60 * (1 + rng.below(10)))),
    }
}

/// A fault for a lookup.
fn lookup_fault(rng: &mut Rng) -> Fault {
    match rng.below(5) {
        0 => Fault::server_error(503),
        1 => Fault::gateway_html(502),
        2 => Fault::drop_before_apply(),
        3 => Fault::malformed_body(),
        _ => Fault::delay(TIMEOUT_FAULT),
    }
}

/// Scripts a random schedule for one step of the flow: fewer than `most` faults on `operation`
/// and as many on `lookup` (each failing 1 to 3 attempts), maybe a revoked token, maybe a crash in
/// one of the next settle waits. Returns the faulty answers scripted.
fn schedule(h: &Harness, rng: &mut Rng, operation: Operation, lookup: Operation, most: u64) -> u64 {
    let mut faults = 0;
    for _ in 0..rng.below(most) {
        h.sandbox.inject(operation, money_fault(rng), 1);
        faults += 1;
    }
    for _ in 0..rng.below(most) {
        let times = 1 + rng.below(3) as u32;
        h.sandbox.inject(lookup, lookup_fault(rng), times);
        faults += u64::from(times);
    }
    if rng.one_in(4) {
        h.sandbox.revoke_tokens();
    }
    if rng.one_in(4) {
        let now = h.crash.waits.load(Ordering::SeqCst);
        let wait = now + 1 + rng.below(most - 1) as u32;
        h.crash.in_wait.store(wait, Ordering::SeqCst);
    }
    faults
}

/// What the runs saw, summed.
#[derive(Debug, Default, Clone, Copy)]
struct Figures {
    runs: u64,
    bills_checked: u64,
    calls: u64,
    give_ups: u64,
    /// Calls that could not get a token (an attempt timeout of 250 ms on a loaded machine): nothing
    /// was sent, and the caller calls again, as the README's table says.
    token_failures: u64,
    crashes: u64,
    mismatches_caught: u64,
    confirmations: u64,
    faults: u64,
}

impl Figures {
    fn add(mut self, other: Figures) -> Figures {
        self.runs += other.runs;
        self.bills_checked += other.bills_checked;
        self.calls += other.calls;
        self.give_ups += other.give_ups;
        self.token_failures += other.token_failures;
        self.crashes += other.crashes;
        self.mismatches_caught += other.mismatches_caught;
        self.confirmations += other.confirmations;
        self.faults += other.faults;
        self
    }
}

/// One seeded run of the whole flow. Panics, naming the seed, on any broken property.
async fn run(seed: u64) -> Figures {
    let mut rng = Rng(seed);
    let mut figures = Figures {
        runs: 1,
        ..Figures::default()
    };
    let h = harness(1 + rng.below(3) as u32).await;
    let reference = format!("PAY-{seed}");
    let request = bill_request(&h.client, rng.one_in(2), &reference, 0).await;
    let create = create_operation(&request);

    // The schedule: faults on the create and on the lookup, a token revoked, crashes.
    let in_flight = rng.one_in(8);
    if in_flight {
        h.sandbox.inject(create, Fault::delay(IN_FLIGHT), 1);
    }
    figures.faults += schedule(
        &h,
        &mut rng,
        create,
        Operation::GetUtilityBillByReferenceId,
        4,
    );

    // Call until it returns the bill, as a caller following the README does.
    let mut call_starts = Vec::new();
    let bill = loop {
        assert!(figures.calls < 20, "seed {seed}: no bill after 20 calls");
        figures.calls += 1;
        call_starts.push(h.sandbox.requests().len());
        let call = h.client.create_bill_once(request.clone());
        let result = if in_flight && figures.calls == 1 {
            crash_in_flight(&h.sandbox, create, 0, call).await
        } else {
            or_crash(&h.crash, call).await
        };
        match result {
            None => figures.crashes += 1,
            Some(Ok(bill)) => break bill,
            Some(Err(err)) if err.is_still_unknown() => figures.give_ups += 1,
            Some(Err(err)) if err.is_token_error() => figures.token_failures += 1,
            Some(Err(err)) => panic!("seed {seed}: {err}"),
        }
    };
    let stored = h.sandbox.bill_by_reference(&reference);
    assert_eq!(
        serde_json::to_value(stored).unwrap(),
        serde_json::to_value(&bill).unwrap(),
        "seed {seed}: the bill returned is the sandbox's"
    );
    figures.bills_checked += 1;

    // The same referenceId for another bill is refused, and creates nothing.
    if rng.one_in(6) {
        h.sandbox.clear_faults();
        call_starts.push(h.sandbox.requests().len());
        let other = bill_request(
            &h.client,
            matches!(request, BillRequest::AfterFetch(_)),
            &reference,
            1,
        )
        .await;
        let err = h.client.create_bill_once(other).await.unwrap_err();
        assert!(err.is_reference_id_mismatch(), "seed {seed}: {err}");
        figures.mismatches_caught += 1;
    }

    // Confirm the debit under its own faults.
    let id = bill.utility_enkash_id.clone().unwrap();
    figures.faults += schedule(
        &h,
        &mut rng,
        Operation::ConfirmDebit,
        Operation::GetUtilityBillStatus,
        3,
    );
    let mut confirmed = false;
    for _ in 0..20 {
        figures.confirmations += 1;
        call_starts.push(h.sandbox.requests().len());
        let approval = types::UtilityPaymentApprovalRequest {
            utility_payment_ids: vec![id.clone()],
            approval_status: None,
            remarks: None,
        };
        match or_crash(&h.crash, h.client.confirm_debit_once(approval)).await {
            None => figures.crashes += 1,
            Some(Ok(())) => {
                confirmed = true;
                break;
            }
            Some(Err(err)) if err.is_still_unknown() => figures.give_ups += 1,
            Some(Err(err)) if err.is_token_error() => figures.token_failures += 1,
            Some(Err(err)) => panic!("seed {seed}: {err}"),
        }
    }
    assert!(confirmed, "seed {seed}: debit not confirmed after 20 calls");
    let journal = h.sandbox.requests();
    let not_found = Some(400);
    assert_never_sent_blindly(&journal, create, not_found, &call_starts, seed);
    assert_never_sent_blindly(
        &journal,
        Operation::ConfirmDebit,
        Some(200),
        &call_starts,
        seed,
    );
    // A confirmation is sent only after its call looked the bill up.
    for (index, request) in journal.iter().enumerate() {
        if request.operation == Operation::ConfirmDebit && request.status != Some(401) {
            let start = call_starts
                .iter()
                .rev()
                .find(|&&start| start <= index)
                .unwrap();
            assert!(
                journal[*start..index]
                    .iter()
                    .any(|lookup| lookup.operation == Operation::GetUtilityBillStatus
                        && lookup.status == Some(200)),
                "seed {seed}: confirmation #{} sent without a status lookup",
                request.sequence
            );
        }
    }

    // Everything still in flight lands; still one bill, approved, never confirmed twice.
    h.sandbox.advance_clock(Duration::from_secs(24 * 3600));
    let bills = h.sandbox.bills();
    assert_eq!(bills.len(), 1, "seed {seed}: one bill, not {bills:#?}");
    assert_eq!(bills[0].reference_id.as_deref(), Some(reference.as_str()));
    assert_eq!(
        bills[0].approval_status,
        Some(ApprovalStatus::CheckerApproved),
        "seed {seed}"
    );
    let approved = bills[0].approved_date.as_ref().unwrap().to_utc().unwrap();
    let after_approval = h
        .sandbox
        .requests()
        .into_iter()
        .filter(|request| request.operation == Operation::ConfirmDebit)
        .filter(|request| request.received > approved + chrono::Duration::seconds(1))
        .count();
    assert_eq!(
        after_approval, 0,
        "seed {seed}: a confirmation went to a bill already approved"
    );
    figures
}

/// Within one call (calls start at `call_starts`, journal indexes), a request of `operation` is
/// sent again only after the settle wait and a lookup answered `lookup_status` (the bill proven
/// absent, or shown still waiting). A request refused unread for its token (401) does not count:
/// the client renews the token and resends it at once, as it may.
fn assert_never_sent_blindly(
    journal: &[enkash_sandbox::ReceivedRequest],
    operation: Operation,
    lookup_status: Option<u16>,
    call_starts: &[usize],
    seed: u64,
) {
    let lookup = match operation {
        Operation::ConfirmDebit => Operation::GetUtilityBillStatus,
        _ => Operation::GetUtilityBillByReferenceId,
    };
    let wait = chrono::Duration::from_std(WAIT).unwrap();
    let sends: Vec<usize> = (0..journal.len())
        .filter(|&index| {
            journal[index].operation == operation && journal[index].status != Some(401)
        })
        .collect();
    for pair in sends.windows(2) {
        let (first, again) = (pair[0], pair[1]);
        if call_starts
            .iter()
            .any(|&start| first < start && start <= again)
        {
            continue; // a new call: it starts by sending (a 38 settles it) or looking up
        }
        let settled = journal[first + 1..again].iter().any(|request| {
            request.operation == lookup
                && request.status == lookup_status
                && request.received >= journal[first].received + wait
        });
        assert!(
            settled,
            "seed {seed}: {operation} #{} sent again without the wait and a lookup",
            journal[again].sequence
        );
    }
}

/// Far beyond a run's few hundred milliseconds of wall time (its waits pass on the sandbox clock).
const RUN_LIMIT: Duration = Duration::from_secs(120);

fn env_number(name: &str, default: u64) -> u64 {
    std::env::var(name)
        .ok()
        .map(|text| text.trim().parse().expect("a whole number"))
        .unwrap_or(default)
}

#[tokio::test(flavor = "multi_thread", worker_threads = 2)]
async fn every_run_of_a_random_fault_schedule_ends_with_exactly_one_bill() {
    let runs = env_number("ENKASH_PROPERTY_RUNS", 50);
    let first = env_number("ENKASH_PROPERTY_SEED", 1);
    let started = std::time::Instant::now();
    // Eight runs at a time, each against its own sandbox (faults are per sandbox).
    let figures = futures::stream::iter(first..first + runs)
        .map(|seed| async move {
            // A run that never ends is a failure that names its seed, not a hung test.
            tokio::time::timeout(RUN_LIMIT, run(seed))
                .await
                .unwrap_or_else(|_| panic!("seed {seed}: the run did not end within {RUN_LIMIT:?}"))
        })
        .buffer_unordered(8)
        .fold(Figures::default(), |sum, one| async move { sum.add(one) })
        .await;
    assert_eq!(figures.runs, runs);
    assert_eq!(figures.bills_checked, runs);
    println!(
        "{} runs, seeds {first}..={}, in {:.1?}: one bill per referenceId in every run ({} checked), \
         {} mismatches caught, {} give-ups, {} token failures, {} crashes, {} create calls, \
         {} confirm calls, {} faults",
        figures.runs,
        first + runs - 1,
        started.elapsed(),
        figures.bills_checked,
        figures.mismatches_caught,
        figures.give_ups,
        figures.token_failures,
        figures.crashes,
        figures.calls,
        figures.confirmations,
        figures.faults,
    );
}

#[tokio::test]
async fn a_reference_id_holding_a_different_bill_is_a_mismatch_and_nothing_is_created() {
    let h = harness(3).await;
    let first = bill_request(&h.client, true, "PAY-MISMATCH", 0).await;
    let bill = h.client.create_bill_once(first.clone()).await.unwrap();
    let other = bill_request(&h.client, true, "PAY-MISMATCH", 7).await;
    let err = h.client.create_bill_once(other).await.unwrap_err();

    assert!(err.is_reference_id_mismatch(), "{err:?}");
    assert!(!err.is_still_unknown());
    let settle = err.exactly_once_error().unwrap();
    assert_eq!(settle.reference_id.as_deref(), Some("PAY-MISMATCH"));
    assert_eq!(settle.differences().len(), 1, "{settle:?}");
    let difference = &settle.differences()[0];
    assert_eq!(difference.field, "billNetAmount");
    assert_eq!(
        difference.found,
        bill.amount.unwrap().to_string(),
        "the existing bill's amount"
    );
    assert_eq!(
        settle.steps,
        vec![
            Step::Sent {
                operation: "create_bill",
                outcome: StepOutcome::Duplicate
            },
            Step::LookedUp {
                operation: "get_utility_bill_by_reference_id",
                key: "PAY-MISMATCH".into(),
                outcome: StepOutcome::Done
            },
        ]
    );
    let text = err.to_string();
    assert!(
        text.starts_with(
            "referenceId PAY-MISMATCH belongs to a different bill (billNetAmount: requested "
        ),
        "{text}"
    );
    let secrets = [
        h.sandbox.credentials().password.expose().to_owned(),
        h.sandbox.credentials().client_secret.expose().to_owned(),
    ];
    for shown in [text, format!("{err:?}")] {
        assert!(
            secrets
                .iter()
                .all(|secret| !shown.contains(secret.as_str()))
        );
    }
    // One bill, the first; the same request again still returns it.
    assert_eq!(h.sandbox.bills().len(), 1);
    let again = h.client.create_bill_once(first).await.unwrap();
    assert_eq!(again.utility_enkash_id, bill.utility_enkash_id);
    assert_eq!(h.sandbox.bills().len(), 1);
}

#[tokio::test]
async fn a_consumer_number_in_a_mismatch_shows_only_its_end() {
    let h = harness(3).await;
    let first = bill_request(&h.client, false, "PAY-CN", 0).await;
    h.client.create_bill_once(first).await.unwrap();
    let BillRequest::WithoutFetch(mut other) = bill_request(&h.client, false, "PAY-CN", 0).await
    else {
        unreachable!()
    };
    other.bill_params = types::BillParams::consumer_number("CN987654321");
    let err = h.client.create_bill_once(other).await.unwrap_err();
    let settle = err.exactly_once_error().unwrap();
    let difference = &settle.differences()[0];
    assert_eq!(difference.field, "billParams.cn");
    assert_eq!(difference.requested, "*******4321");
    assert_eq!(difference.found, "*******6789");
    assert!(!format!("{err} {err:?}").contains("987654321"));
}

#[tokio::test]
async fn an_outcome_still_unknown_after_the_allowed_lookups_is_a_bounded_give_up() {
    let h = harness(2).await;
    let request = bill_request(&h.client, true, "PAY-GIVE-UP", 0).await;
    h.sandbox
        .inject(Operation::CreateBill, Fault::apply_then_drop(), 1);
    // Every attempt of both lookups fails (three attempts each).
    h.sandbox.inject(
        Operation::GetUtilityBillByReferenceId,
        Fault::gateway_html(503),
        6,
    );
    let before = h.sandbox.now();
    let err = h
        .client
        .create_bill_once(request.clone())
        .await
        .unwrap_err();

    assert!(err.is_still_unknown(), "{err:?}");
    let settle = err.exactly_once_error().unwrap();
    assert_eq!(settle.kind, ExactlyOnceErrorKind::StillUnknown);
    assert_eq!(settle.operation, "create_bill");
    assert_eq!(settle.reference_id.as_deref(), Some("PAY-GIVE-UP"));
    assert_eq!(settle.lookups(), 2);
    assert!(
        matches!(
            settle.steps.as_slice(),
            [
                Step::Sent {
                    outcome: StepOutcome::Unknown(UnknownCause::ConnectionLost),
                    ..
                },
                Step::Waited(WAIT),
                Step::LookedUp {
                    outcome: StepOutcome::Failed(_),
                    ..
                },
                Step::Waited(WAIT),
                Step::LookedUp {
                    outcome: StepOutcome::Failed(_),
                    ..
                },
            ]
        ),
        "{:#?}",
        settle.steps
    );
    assert!(
        settle
            .last_error
            .as_deref()
            .is_some_and(Error::is_server_error)
    );
    assert!(
        err.to_string().starts_with(
            "outcome of create_bill for referenceId PAY-GIVE-UP is still unknown after 2 lookups"
        ),
        "{err}"
    );
    // The waits passed on the sandbox's clock; the request was never sent again.
    assert!(h.sandbox.now() - before >= chrono::Duration::from_std(2 * WAIT).unwrap());
    assert_eq!(h.sandbox.calls(Operation::CreateBill), 1);
    assert_eq!(h.sandbox.bills().len(), 1);

    // Called again later: the bill that went through, not a second one.
    let bill = h.client.create_bill_once(request).await.unwrap();
    assert_eq!(bill.reference_id.as_deref(), Some("PAY-GIVE-UP"));
    assert_eq!(h.sandbox.bills().len(), 1);
}

#[tokio::test]
async fn a_bill_proven_absent_after_the_wait_is_sent_once_more_with_the_same_reference_id() {
    let h = harness(3).await;
    let request = bill_request(&h.client, false, "PAY-ABSENT", 0).await;
    h.sandbox.inject(
        Operation::CreateBillWithoutFetch,
        Fault::drop_before_apply(),
        1,
    );
    let bill = h.client.create_bill_once(request).await.unwrap();
    assert_eq!(h.sandbox.calls(Operation::CreateBillWithoutFetch), 2);
    assert_eq!(h.sandbox.bills().len(), 1);
    assert_eq!(bill.reference_id.as_deref(), Some("PAY-ABSENT"));
    let bodies: Vec<_> = h
        .sandbox
        .requests()
        .into_iter()
        .filter(|request| request.operation == Operation::CreateBillWithoutFetch)
        .map(|request| request.body)
        .collect();
    assert_eq!(bodies[0], bodies[1], "the same request, same referenceId");
}

#[tokio::test]
async fn a_bill_still_in_flight_is_found_after_the_documented_wait_not_sent_again() {
    let h = harness(3).await;
    let request = bill_request(&h.client, true, "PAY-LATE", 0).await;
    // The request lands two minutes after the connection broke: a lookup at once would find
    // nothing; after the documented wait it finds the bill.
    h.sandbox.inject(
        Operation::CreateBill,
        Fault::apply_late(Duration::from_secs(120)),
        1,
    );
    let bill = h.client.create_bill_once(request).await.unwrap();
    assert_eq!(
        h.sandbox.calls(Operation::CreateBill),
        1,
        "never sent again"
    );
    assert_eq!(
        h.sandbox.calls(Operation::GetUtilityBillByReferenceId),
        1,
        "one lookup, after the wait"
    );
    assert_eq!(bill.reference_id.as_deref(), Some("PAY-LATE"));
    assert_eq!(h.sandbox.bills().len(), 1);
}

#[tokio::test]
async fn confirm_debit_is_resent_only_for_bills_still_waiting() {
    let h = harness(3).await;
    let mut ids = Vec::new();
    for reference in ["PAY-D1", "PAY-D2"] {
        let request = bill_request(&h.client, true, reference, 0).await;
        let bill = h.client.create_bill_once(request).await.unwrap();
        ids.push(bill.utility_enkash_id.unwrap());
    }
    let approval = |ids: Vec<String>| types::UtilityPaymentApprovalRequest {
        utility_payment_ids: ids,
        approval_status: None,
        remarks: None,
    };

    // Applied, then the connection broke: the lookup shows it approved; nothing is resent.
    h.sandbox
        .inject(Operation::ConfirmDebit, Fault::apply_then_drop(), 1);
    h.client
        .confirm_debit_once(approval(vec![ids[0].clone()]))
        .await
        .unwrap();
    assert_eq!(h.sandbox.calls(Operation::ConfirmDebit), 1);

    // Only the second bill is waiting, so only it is sent; not applied, the lookup after the
    // wait shows it still waiting, and it is sent again.
    h.sandbox
        .inject(Operation::ConfirmDebit, Fault::drop_before_apply(), 1);
    h.client
        .confirm_debit_once(approval(ids.clone()))
        .await
        .unwrap();
    let confirmations: Vec<_> = h
        .sandbox
        .requests()
        .into_iter()
        .filter(|request| request.operation == Operation::ConfirmDebit)
        // A request refused unread for an expired token (and sent again) is not a confirmation.
        .filter(|request| request.status != Some(401))
        .map(|request| request.body["utilityPaymentIds"].clone())
        .collect();
    assert_eq!(
        confirmations,
        vec![
            serde_json::json!([ids[0]]),
            serde_json::json!([ids[1]]),
            serde_json::json!([ids[1]]),
        ]
    );
    for id in &ids {
        assert_eq!(
            h.sandbox.bill(id).unwrap().approval_status,
            Some(ApprovalStatus::CheckerApproved)
        );
    }
}

#[tokio::test]
async fn a_confirmation_still_unknown_names_its_bills() {
    let h = harness(1).await;
    let request = bill_request(&h.client, true, "PAY-C-UNKNOWN", 0).await;
    let id = h
        .client
        .create_bill_once(request)
        .await
        .unwrap()
        .utility_enkash_id
        .unwrap();
    h.sandbox
        .inject(Operation::ConfirmDebit, Fault::gateway_html(504), 1);
    // The first lookup (before sending) goes through; the one after the wait fails.
    h.sandbox.inject(
        Operation::GetUtilityBillStatus,
        Fault::delay(Duration::ZERO),
        1,
    );
    h.sandbox
        .inject(Operation::GetUtilityBillStatus, Fault::server_error(500), 3);
    let err = h
        .client
        .confirm_debit_once(types::UtilityPaymentApprovalRequest {
            utility_payment_ids: vec![id.clone()],
            approval_status: None,
            remarks: None,
        })
        .await
        .unwrap_err();
    assert!(err.is_still_unknown(), "{err:?}");
    let settle = err.exactly_once_error().unwrap();
    assert_eq!(settle.operation, "confirm_debit");
    assert_eq!(settle.utility_payment_ids, vec![id.clone()]);
    assert_eq!(settle.reference_id, None);
    assert!(
        err.to_string()
            .contains(&format!("for bills {id} is still unknown after 2 lookups"))
    );
    assert_eq!(h.sandbox.calls(Operation::ConfirmDebit), 1);
}

#[test]
fn the_settle_policy_is_checked_with_the_configuration() {
    let config = |settle: SettlePolicy| {
        Config::builder()
            .base_url("http://127.0.0.1:9")
            .credentials(enkash_sandbox::default_credentials())
            .settle(settle)
            .build()
    };
    let default = config(SettlePolicy::default()).unwrap();
    assert_eq!(default.settle.wait, Duration::from_secs(300));
    assert_eq!(default.settle.rounds, 3);
    let err = config(SettlePolicy::default().with_rounds(0)).unwrap_err();
    assert_eq!(
        err.to_string(),
        "invalid enkash configuration: settle.rounds is 0; 1 to 100 are accepted"
    );
    let err =
        config(SettlePolicy::default().with_wait(Duration::from_secs(2 * 86_400))).unwrap_err();
    assert!(err.to_string().contains("settle.wait"), "{err}");
    let from_env = Config::from_lookup(|name| {
        let value = match name {
            "ENKASH_CLIENT_ID" => "CEKFOWV7UQ",
            "ENKASH_CLIENT_SECRET" | "ENKASH_USERNAME" | "ENKASH_PASSWORD" => "x",
            "ENKASH_SETTLE_WAIT_MS" => "180000",
            "ENKASH_SETTLE_ROUNDS" => "5",
            _ => return None,
        };
        Some(value.to_owned())
    })
    .unwrap();
    assert_eq!(
        (from_env.settle.wait, from_env.settle.rounds),
        (Duration::from_secs(180), 5)
    );
    assert!(format!("{default:?}").contains(
        r#"settle: SettlePolicy { wait: 300s, rounds: 3, sleep: "tokio::time::sleep" }"#
    ));
}
