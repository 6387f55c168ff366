//! Calls that take effect later: a call under [`crate::Fault::ApplyLate`] lands once the
//! sandbox's clock reaches its time, as a request still in flight inside EnKash does.
//!
//! Due calls run before the next call is served and when the clock is advanced, so a lookup made
//! after the clock passed their time always sees them, without any wall-clock wait.

use std::sync::{Mutex, PoisonError};
use std::time::Instant;

use super::App;

/// A call waiting for its time.
type Pending = Box<dyn FnOnce(&App) + Send>;

/// The calls waiting to land, with the sandbox time each lands at.
#[derive(Default)]
pub(crate) struct LateCalls {
    waiting: Mutex<Vec<(Instant, Pending)>>,
}

impl std::fmt::Debug for LateCalls {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("LateCalls")
            .field("waiting", &self.lock().len())
            .finish()
    }
}

impl LateCalls {
    fn lock(&self) -> std::sync::MutexGuard<'_, Vec<(Instant, Pending)>> {
        self.waiting.lock().unwrap_or_else(PoisonError::into_inner)
    }

    /// `call` lands when the sandbox's clock reaches `due`.
    pub(crate) fn push(&self, due: Instant, call: Pending) {
        self.lock().push((due, call));
    }

    /// Runs every call whose time has come, in the order they arrived. The list is not held
    /// while a call runs: a call takes the state's lock itself.
    pub(crate) fn run_due(&self, app: &App) {
        let now = app.clock.now();
        let due: Vec<Pending> = {
            let mut waiting = self.lock();
            let (due, later): (Vec<_>, Vec<_>) =
                waiting.drain(..).partition(|(time, _)| *time <= now);
            *waiting = later;
            due.into_iter().map(|(_, call)| call).collect()
        };
        for call in due {
            call(app);
        }
    }

    /// Forgets the calls still waiting.
    pub(crate) fn clear(&self) {
        self.lock().clear();
    }
}
