//! The hand-written layer over the generated client.

use std::sync::Arc;

/// State the generated client carries for the hooks.
#[derive(Debug, Default, Clone)]
pub struct ClientState {
    _shared: Arc<()>,
}
