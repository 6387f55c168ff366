//! What the hooks learn during one call, for [`crate::Execute`] to turn into a typed result.
//!
//! The generated `send()` reports failures as progenitor's untyped error, without the HTTP status
//! of an unreadable body, the `referenceId` of the request or the typed token error. The hooks
//! record those here; the context lives for one `execute()` call (a task-local), so concurrent
//! calls never see each other's.

use std::sync::Mutex;
use std::time::Duration;

use crate::error::{TokenError, ValidationError};
use crate::retry::AttemptOutcome;

tokio::task_local! {
    static CALL: CallContext;
}

/// Facts about the call in progress.
#[derive(Debug, Default)]
pub(crate) struct CallFacts {
    pub attempts: u32,
    pub last_outcome: Option<AttemptOutcome>,
    pub request_id: Option<String>,
    pub retry_after: Option<Duration>,
    pub reference_id: Option<String>,
    pub utility_payment_ids: Vec<String>,
    pub echoed_id: Option<String>,
    pub invalid: Option<ValidationError>,
    pub token_error: Option<TokenError>,
    pub body_too_large: bool,
    /// The client making the call, whose secrets are masked where an answer echoes them.
    pub client: Option<crate::client::ClientState>,
}

#[derive(Debug, Default)]
pub(crate) struct CallContext {
    facts: Mutex<CallFacts>,
}

impl CallContext {
    /// Runs `future` with a fresh context and returns its output with the facts recorded.
    pub async fn scope<F: Future>(future: F) -> (F::Output, CallFacts) {
        CALL.scope(CallContext::default(), async {
            let output = future.await;
            let facts = CALL.with(|ctx| std::mem::take(&mut *lock(&ctx.facts)));
            (output, facts)
        })
        .await
    }

    /// The HTTP status of the last answer the current call received, if any.
    pub fn last_status() -> Option<u16> {
        CALL.try_with(|ctx| match lock(&ctx.facts).last_outcome {
            Some(AttemptOutcome::Status(status)) => Some(status),
            _ => None,
        })
        .ok()
        .flatten()
    }

    /// Records into the current call's facts; does nothing outside [`CallContext::scope`] (a
    /// plain `send()`).
    pub fn record(update: impl FnOnce(&mut CallFacts)) {
        let _ = CALL.try_with(|ctx| update(&mut lock(&ctx.facts)));
    }
}

fn lock(facts: &Mutex<CallFacts>) -> std::sync::MutexGuard<'_, CallFacts> {
    // A panic while recording leaves plain data behind; keep using it.
    facts
        .lock()
        .unwrap_or_else(std::sync::PoisonError::into_inner)
}
