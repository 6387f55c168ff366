#![doc = include_str!("../README.md")]
#![forbid(unsafe_code)]
#![warn(missing_docs)]

pub mod auth;
mod bill_params;
pub mod client;
pub mod config;
mod context;
mod de;
pub mod enums;
pub mod error;
mod execute;
mod generated;
mod hooks;
pub mod money;
pub mod operation;
pub mod patch;
pub mod retry;
pub mod secret;
pub mod time;
pub mod validate;
pub mod webhook;

pub use client::Resolution;
pub use config::{Config, Credentials, Environment, Timeouts};
pub use error::{Error, ErrorMeta, ResponseCode};
pub use execute::Execute;
#[cfg(fuzzing)]
#[doc(hidden)]
pub use execute::fuzzing;
pub use generated::{Client, builder, types};
pub use money::{Amount, Quantity};
pub use retry::RetryPolicy;
pub use secret::Secret;
pub use time::Timestamp;
