#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
pub mod client;
pub mod enums;
mod generated;
pub mod money;
pub mod secret;
pub mod time;

pub use generated::types;
pub use money::{Amount, Quantity};
pub use secret::Secret;
pub use time::Timestamp;

/// The generated client, without the hand-written layer.
pub use generated::Client as RawClient;
