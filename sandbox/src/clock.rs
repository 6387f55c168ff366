//! The sandbox's clock: the wall clock plus an offset that only grows.
//!
//! Token expiry, the velocity window, bill settlement and the Vendor Payment response webhooks
//! all read this clock, so a test moves time forward with [`crate::SandboxHandle::advance_clock`]
//! (or `POST /_sandbox/clock/advance`) instead of sleeping.

use std::time::{Duration, Instant};

use chrono::{DateTime, Utc};
use tokio::sync::watch;

/// Wall-clock time moved forward by everything [`Clock::advance`] added.
#[derive(Debug)]
pub(crate) struct Clock {
    offset: watch::Sender<Duration>,
}

impl Default for Clock {
    fn default() -> Self {
        Self {
            offset: watch::Sender::new(Duration::ZERO),
        }
    }
}

impl Clock {
    /// How far the clock is ahead of the wall clock.
    pub(crate) fn offset(&self) -> Duration {
        *self.offset.borrow()
    }

    /// The sandbox's monotonic time.
    pub(crate) fn now(&self) -> Instant {
        Instant::now() + self.offset()
    }

    /// The sandbox's calendar time (UTC).
    pub(crate) fn now_utc(&self) -> DateTime<Utc> {
        let offset = chrono::Duration::from_std(self.offset()).unwrap_or(chrono::Duration::MAX);
        Utc::now()
            .checked_add_signed(offset)
            .unwrap_or(DateTime::<Utc>::MAX_UTC)
    }

    /// Moves the clock forward by `by`; whatever waits for a time now reached runs.
    pub(crate) fn advance(&self, by: Duration) {
        self.offset
            .send_modify(|offset| *offset = offset.saturating_add(by));
    }

    /// Waits until the sandbox's clock reaches `due`, by the wall clock or by [`Clock::advance`].
    pub(crate) async fn sleep_until(&self, due: Instant) {
        let mut advanced = self.offset.subscribe();
        loop {
            let now = self.now();
            if now >= due {
                return;
            }
            tokio::select! {
                () = tokio::time::sleep(due - now) => {}
                changed = advanced.changed() => {
                    if changed.is_err() {
                        return;
                    }
                }
            }
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[tokio::test]
    async fn advancing_wakes_a_sleeper_without_waiting() {
        let clock = std::sync::Arc::new(Clock::default());
        let due = clock.now() + Duration::from_secs(3600);
        let sleeper = tokio::spawn({
            let clock = std::sync::Arc::clone(&clock);
            async move { clock.sleep_until(due).await }
        });
        tokio::task::yield_now().await;
        assert!(!sleeper.is_finished());
        clock.advance(Duration::from_secs(3600));
        tokio::time::timeout(Duration::from_secs(5), sleeper)
            .await
            .expect("woken by the advance")
            .unwrap();
        assert!(clock.offset() >= Duration::from_secs(3600));
        assert!(clock.now_utc() > Utc::now() + chrono::Duration::seconds(3599));
    }
}
